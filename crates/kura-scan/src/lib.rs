//! Scan pipeline: source to walker to analyzers to inventory, with a per-layer cache.
