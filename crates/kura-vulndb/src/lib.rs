//! The local vulnerability database: build from feeds, import files, open fast.
