//! `kura sbom REF`.

use crate::Global;
use std::process::ExitCode;

/// Arguments of `kura sbom`.
#[derive(Debug, clap::Args)]
pub struct SbomArgs {
    /// Image reference, archive or directory.
    pub reference: String,
}

/// Run `kura sbom`.
pub fn run(args: SbomArgs, _g: &Global) -> anyhow::Result<ExitCode> {
    anyhow::bail!("sbom of {} is not wired yet", args.reference)
}
