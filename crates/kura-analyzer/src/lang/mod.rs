//! Language-ecosystem analyzers: lockfiles, installed-package metadata, binaries.
