//! `kura db update|import|stat`.

use crate::Global;
use std::process::ExitCode;

/// Subcommands of `kura db`.
#[derive(Debug, clap::Subcommand)]
pub enum DbCommand {}

/// Run `kura db`.
pub fn run(cmd: DbCommand, _g: &Global) -> anyhow::Result<ExitCode> {
    match cmd {}
}
