//! Layer walker: stream layer tars, apply whiteouts, hand wanted files to analyzers.
