//! `kura scan image|rootfs|fs`.

use crate::Global;
use std::process::ExitCode;

/// Subcommands of `kura scan`.
#[derive(Debug, clap::Subcommand)]
pub enum ScanCommand {}

/// Run `kura scan`.
pub fn run(cmd: ScanCommand, _g: &Global) -> anyhow::Result<ExitCode> {
    match cmd {}
}
