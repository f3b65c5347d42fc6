//! The `kura` command: argument parsing, rendering and exit codes. All work happens in the
//! library crates; this crate only wires them to the command line.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod cmd;
mod exit;

/// kura secures the container lifecycle: scan images (Build), serve a private registry (Ship),
/// and guard what runs (Run).
#[derive(Debug, Parser)]
#[command(name = "kura", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

/// Options every command takes.
#[derive(Debug, Clone, clap::Args)]
pub struct Global {
    /// Print only errors and the requested output.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// More log output (repeat for more).
    #[arg(long, short, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Scan an image, a root filesystem or a source tree for vulnerabilities.
    #[command(subcommand)]
    Scan(Box<cmd::scan::ScanCommand>),
    /// Write the SBOM (inventory) of an image.
    Sbom(Box<cmd::sbom::SbomArgs>),
    /// List the analyzers: what each reads and what it extracts.
    Analyzers(cmd::analyzers::AnalyzersArgs),
    /// Build, import and inspect the vulnerability database.
    #[command(subcommand)]
    Db(cmd::db::DbCommand),
    /// Run and administer the private OCI registry.
    #[command(subcommand)]
    Registry(cmd::registry::RegistryCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(&cli.global);
    let result = match cli.command {
        Command::Scan(c) => cmd::scan::run(*c, &cli.global),
        Command::Sbom(a) => cmd::sbom::run(*a, &cli.global),
        Command::Analyzers(a) => cmd::analyzers::run(a, &cli.global),
        Command::Db(c) => cmd::db::run(c, &cli.global),
        Command::Registry(c) => cmd::registry::run(c, &cli.global),
    };
    match result {
        Ok(code) => code,
        Err(err) => exit::report_error(&err),
    }
}

fn init_tracing(g: &Global) {
    let default = match (g.quiet, g.verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("KURA_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}
