//! `kura scan image|rootfs|fs`: inventory → match against the vulnerability DB → policy →
//! report → exit code.

use super::common::{CacheArgs, ImageArgs, OutputArgs, want_progress};
use super::db::{DbSelect, FeedArgs, open_for_scan};
use crate::Global;
use anyhow::Context;
use kura_policy::{IgnoreFileChoice, Policy, PolicyOptions, parse_severities};
use kura_report::{Format, RenderOptions};
use kura_scan::DirKind;
use kura_types::{Inventory, ScanReport};
use std::path::PathBuf;
use std::process::ExitCode;

/// Subcommands of `kura scan`.
#[derive(Debug, clap::Subcommand)]
pub enum ScanCommand {
    /// Scan a container image: docker-archive, OCI layout or archive, or a registry reference.
    Image(ImageScan),
    /// Scan an unpacked root filesystem (a directory; `/` scans this machine).
    Rootfs(DirScan),
    /// Scan a source tree's lockfiles and manifests.
    Fs(DirScan),
}

/// `kura scan image`.
#[derive(Debug, clap::Args)]
pub struct ImageScan {
    /// Image reference (`alpine:3.19`, `host:5000/repo@sha256:…`), archive path or OCI layout dir.
    pub reference: String,
    #[command(flatten)]
    pub image: ImageArgs,
    #[command(flatten)]
    pub scan: ScanArgs,
}

/// `kura scan rootfs|fs`.
#[derive(Debug, clap::Args)]
pub struct DirScan {
    /// Directory to scan.
    pub dir: PathBuf,
    #[command(flatten)]
    pub scan: ScanArgs,
}

/// Flags of every `kura scan` subcommand.
#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Output format: table, json, sarif, cyclonedx or spdx.
    #[arg(long, short, default_value = "table", value_name = "FORMAT")]
    pub format: String,
    /// Report only these severities (comma-separated: UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL).
    #[arg(long, short, value_name = "LIST")]
    pub severity: Option<String>,
    /// Exit with this code when findings remain after the policy [default when given bare: 1].
    #[arg(long, value_name = "N", num_args = 0..=1, default_missing_value = "1")]
    pub exit_code: Option<u8>,
    /// Drop findings that have no fixed version yet.
    #[arg(long)]
    pub ignore_unfixed: bool,
    /// Findings in base-image layers are reported but do not fail the gate.
    #[arg(long)]
    pub skip_base: bool,
    /// Ignore file [default: ./.kuraignore when present].
    #[arg(long, value_name = "FILE", conflicts_with = "no_ignore_file")]
    pub ignore_file: Option<PathBuf>,
    /// Do not read ./.kuraignore.
    #[arg(long)]
    pub no_ignore_file: bool,
    /// OpenVEX document whose not_affected/fixed statements suppress findings (repeatable).
    #[arg(long, value_name = "FILE")]
    pub vex: Vec<PathBuf>,
    /// Never touch the network: use the DB as it is, warning when it is older than a day.
    #[arg(long)]
    pub offline: bool,
    #[command(flatten)]
    pub db: DbSelect,
    #[command(flatten)]
    pub feeds: FeedArgs,
    #[command(flatten)]
    pub cache: CacheArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Run `kura scan`.
pub fn run(cmd: ScanCommand, g: &Global) -> anyhow::Result<ExitCode> {
    match cmd {
        ScanCommand::Image(a) => {
            let oci = a.image.open_options()?;
            scan(&a.scan, g, |opts| {
                let opts = kura_scan::ScanOptions { oci, ..opts };
                kura_scan::inventory(&a.reference, &opts)
                    .with_context(|| format!("scanning {}", a.reference))
            })
        }
        ScanCommand::Rootfs(a) => scan(&a.scan, g, |opts| {
            kura_scan::scan_dir(&a.dir, DirKind::Rootfs, &opts)
                .with_context(|| format!("scanning {}", a.dir.display()))
        }),
        ScanCommand::Fs(a) => scan(&a.scan, g, |opts| {
            kura_scan::scan_dir(&a.dir, DirKind::Fs, &opts)
                .with_context(|| format!("scanning {}", a.dir.display()))
        }),
    }
}

fn scan(
    args: &ScanArgs,
    g: &Global,
    inventory: impl FnOnce(kura_scan::ScanOptions) -> anyhow::Result<Inventory>,
) -> anyhow::Result<ExitCode> {
    // Everything that can be wrong with the flags or policy files fails before the scan runs.
    let format: Format = args.format.parse()?;
    let policy = Policy::load(PolicyOptions {
        severities: match &args.severity {
            Some(s) => parse_severities(s)?,
            None => Vec::new(),
        },
        ignore_unfixed: args.ignore_unfixed,
        skip_base: args.skip_base,
        ignore_file: match (&args.ignore_file, args.no_ignore_file) {
            (_, true) => IgnoreFileChoice::Disabled,
            (Some(p), false) => IgnoreFileChoice::Path(p.clone()),
            (None, false) => IgnoreFileChoice::Default,
        },
        vex: args.vex.clone(),
    })?;
    let db = open_for_scan(&args.db, &args.feeds, args.offline).context(
        "no usable vulnerability DB (hint: `kura db update`, or `kura db import PATH` offline)",
    )?;

    let opts = args
        .cache
        .scan_options(kura_oci::OpenOptions::default(), want_progress(g.quiet));
    let inventory = inventory(opts)?;
    super::print_warnings(&inventory.warnings, g);

    let matched = kura_match::match_inventory(
        &db,
        &inventory,
        &kura_match::MatchOptions {
            ignore_unfixed: args.ignore_unfixed,
        },
    )?;
    for w in matched.warnings.iter().take(20) {
        tracing::warn!("{w}");
    }
    let render = {
        let mut r = RenderOptions::now_utc();
        r.color = args.output.color();
        r
    };
    let mut report = ScanReport {
        schema_version: kura_report::REPORT_SCHEMA_VERSION,
        kura_version: env!("CARGO_PKG_VERSION").to_string(),
        created: render.now.clone(),
        inventory,
        findings: matched.findings,
        fixes: matched.fixes,
        db: serde_json::to_value(db.meta()).ok(),
        expired_ignores: Vec::new(),
    };
    let today = time::OffsetDateTime::now_utc().date();
    let verdict = policy.apply(&mut report, today);
    for e in &report.expired_ignores {
        eprintln!("warning: ignore entry expired and no longer applies: {e}");
    }
    args.output.write(|w| {
        kura_report::write_report(w, &report, format, &render)?;
        Ok(())
    })?;
    Ok(ExitCode::from(match args.exit_code {
        Some(code) => verdict.exit_code(code),
        None => crate::exit::OK,
    }))
}
