//! `kura registry serve|user|audit|gc`.

use crate::Global;
use std::process::ExitCode;

/// Subcommands of `kura registry`.
#[derive(Debug, clap::Subcommand)]
pub enum RegistryCommand {}

/// Run `kura registry`.
pub fn run(cmd: RegistryCommand, _g: &Global) -> anyhow::Result<ExitCode> {
    match cmd {}
}
