//! One module per command.

pub mod analyzers;
pub mod db;
pub mod registry;
pub mod sbom;
pub mod scan;
