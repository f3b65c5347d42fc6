//! Version ordering and range semantics for every ecosystem kura matches.
