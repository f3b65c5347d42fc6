//! `kura db update|import|stat`.

use crate::Global;
use anyhow::Context;
use kura_vulndb::{
    DB_ENV, Freshness, ImportOptions, UpdateConfig, VulnDb, default_db_path, ensure_fresh,
};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// How old a DB may be before a scan refreshes it.
pub const MAX_DB_AGE: Duration = Duration::from_secs(24 * 3600);

/// DB selection shared by every command that reads the DB (`kura scan` flattens this too).
#[derive(Debug, Clone, clap::Args)]
pub struct DbSelect {
    /// Vulnerability DB file [default: <user cache dir>/kura/vuln.db].
    #[arg(long = "db", env = DB_ENV, value_name = "PATH")]
    pub db: Option<PathBuf>,
}

impl DbSelect {
    /// The DB path chosen by `--db`, `KURA_DB` or the default.
    pub fn path(&self) -> PathBuf {
        self.db.clone().unwrap_or_else(default_db_path)
    }
}

/// Where feeds come from (shared by `db update` and scans that refresh the DB).
#[derive(Debug, Clone, clap::Args)]
pub struct FeedArgs {
    /// Read every feed from a mirror laid out as <URL>/osv/<ecosystem>/all.zip,
    /// <URL>/alpine/<branch>/<repo>.json and <URL>/debian/json.
    #[arg(long, value_name = "URL")]
    pub mirror: Option<String>,
    /// OSV ecosystems to fetch, comma-separated (default: PyPI, npm, Go, crates.io, Maven,
    /// RubyGems, Packagist, NuGet, Alpine, Debian, Ubuntu, Rocky Linux, AlmaLinux, Wolfi, Chainguard).
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub ecosystems: Vec<String>,
    /// Alpine secdb branches, comma-separated (default: v3.16 … v3.22, edge); `none` to skip.
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub alpine_branches: Vec<String>,
    /// Skip the Debian security tracker feed.
    #[arg(long)]
    pub no_debian: bool,
    /// Override the OSV export base URL.
    #[arg(long, value_name = "URL")]
    pub osv_url: Option<String>,
    /// Override the Alpine secdb base URL.
    #[arg(long, value_name = "URL")]
    pub alpine_url: Option<String>,
    /// Override the Debian tracker JSON URL.
    #[arg(long, value_name = "URL")]
    pub debian_url: Option<String>,
}

impl FeedArgs {
    /// The update configuration these flags describe.
    pub fn config(&self) -> anyhow::Result<UpdateConfig> {
        let mut cfg = UpdateConfig::default();
        if let Some(m) = &self.mirror {
            cfg = cfg.with_mirror(m)?;
        }
        if !self.ecosystems.is_empty() {
            cfg.ecosystems = self
                .ecosystems
                .iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
        }
        if !self.alpine_branches.is_empty() {
            cfg.alpine_branches = self
                .alpine_branches
                .iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty() && s != "none")
                .collect();
        }
        if self.no_debian {
            cfg.debian_url = None;
        }
        if let Some(u) = &self.osv_url {
            cfg.osv_base = u.clone();
        }
        if let Some(u) = &self.alpine_url {
            cfg.alpine_base = u.clone();
        }
        if let Some(u) = &self.debian_url {
            cfg.debian_url = Some(u.clone());
        }
        Ok(cfg)
    }
}

/// Subcommands of `kura db`.
#[derive(Debug, clap::Subcommand)]
pub enum DbCommand {
    /// Download the advisory feeds and rebuild the DB (unchanged feeds are not re-downloaded).
    Update(UpdateArgs),
    /// Add advisories from local files: OSV JSON/YAML, Alpine secdb, Debian tracker JSON,
    /// RustSec Markdown; single files, directories or zip archives.
    Import(ImportArgs),
    /// Show the DB's schema, build time, sources and counts.
    Stat(StatArgs),
}

/// `kura db update`.
#[derive(Debug, clap::Args)]
pub struct UpdateArgs {
    #[command(flatten)]
    db: DbSelect,
    #[command(flatten)]
    feeds: FeedArgs,
    /// Do not use the network: rebuild from the feed files already downloaded.
    #[arg(long)]
    offline: bool,
}

/// `kura db import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    #[command(flatten)]
    db: DbSelect,
    /// Files, directories or zip archives to import.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Start from an empty DB instead of adding to the existing one.
    #[arg(long)]
    replace: bool,
}

/// `kura db stat`.
#[derive(Debug, clap::Args)]
pub struct StatArgs {
    #[command(flatten)]
    db: DbSelect,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// Run `kura db`.
pub fn run(cmd: DbCommand, g: &Global) -> anyhow::Result<ExitCode> {
    match cmd {
        DbCommand::Update(a) => update(a, g),
        DbCommand::Import(a) => import(a, g),
        DbCommand::Stat(a) => stat(a),
    }
}

fn print_skipped(skipped: &[kura_vulndb::Skipped]) {
    const SHOWN: usize = 20;
    for s in skipped.iter().take(SHOWN) {
        eprintln!("warning: skipped {}: {}", s.file, s.message);
    }
    if skipped.len() > SHOWN {
        eprintln!(
            "warning: … and {} more malformed advisories skipped",
            skipped.len() - SHOWN
        );
    }
}

fn update(a: UpdateArgs, g: &Global) -> anyhow::Result<ExitCode> {
    let path = a.db.path();
    let mut cfg = a.feeds.config()?;
    cfg.offline = a.offline;
    let report = kura_vulndb::update(&path, &cfg)
        .with_context(|| format!("updating {}; the previous DB is unchanged", path.display()))?;
    if !g.quiet {
        for f in &report.feeds {
            if f.changed {
                eprintln!(
                    "{}: {} advisories ({} bytes)",
                    f.name, f.advisories, f.bytes
                );
            } else {
                eprintln!("{}: no new data", f.name);
            }
        }
        eprintln!(
            "updated {}: {} advisories stored, {} skipped",
            path.display(),
            report.import.advisories,
            report.import.skipped.len()
        );
    }
    print_skipped(&report.import.skipped);
    Ok(ExitCode::SUCCESS)
}

fn import(a: ImportArgs, g: &Global) -> anyhow::Result<ExitCode> {
    let path = a.db.path();
    let report = kura_vulndb::import_paths(&path, &a.paths, &ImportOptions { replace: a.replace })
        .with_context(|| format!("importing into {}", path.display()))?;
    if !g.quiet {
        eprintln!(
            "imported {} advisories from {} files into {}; {} informational skipped; {} malformed skipped",
            report.advisories,
            report.files,
            path.display(),
            report.informational,
            report.skipped.len()
        );
    }
    print_skipped(&report.skipped);
    Ok(ExitCode::SUCCESS)
}

fn stat(a: StatArgs) -> anyhow::Result<ExitCode> {
    let path = a.db.path();
    let db = VulnDb::open(&path)?;
    let stats = db.stats()?;
    let meta = db.meta();
    let age = db
        .age(time::OffsetDateTime::now_utc())
        .map(|d| format!("{}h", d.whole_hours()))
        .unwrap_or_else(|| "unknown".into());
    if a.json {
        let v = serde_json::json!({
            "path": path,
            "meta": meta,
            "age_hours": db.age(time::OffsetDateTime::now_utc()).map(|d| d.whole_hours()),
            "stats": stats,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("path:        {}", path.display());
    println!("schema:      {}", meta.schema_version);
    println!(
        "built:       {} (age {age}) by kura {}",
        meta.built_at, meta.kura_version
    );
    println!("size:        {} bytes", stats.file_size);
    println!(
        "advisories:  {} ({} withdrawn)",
        stats.advisories, stats.withdrawn
    );
    println!("sources:");
    for s in &meta.sources {
        println!(
            "  {:<28} {:>7} advisories {:>5} skipped  snapshot {}  updated {}{}",
            s.name,
            s.advisories,
            s.skipped,
            s.snapshot.as_deref().unwrap_or("-"),
            s.updated,
            s.etag
                .as_deref()
                .map(|e| format!("  etag {e}"))
                .unwrap_or_default()
        );
    }
    println!("affected entries by ecosystem:");
    for (eco, n) in &stats.affected_by_ecosystem {
        println!("  {eco:<28} {n:>8}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Open the DB for a scan: refresh it when older than a day unless `offline`, print the
/// staleness warning, and open it. For `kura scan` (`--offline`, `--db`, feed flags).
pub fn open_for_scan(select: &DbSelect, feeds: &FeedArgs, offline: bool) -> anyhow::Result<VulnDb> {
    let path = select.path();
    let cfg = feeds.config()?;
    match ensure_fresh(&path, &cfg, offline, MAX_DB_AGE)? {
        Freshness::Fresh => {}
        Freshness::Updated(r) => tracing::info!(
            "vulnerability DB refreshed: {} advisories",
            r.import.advisories
        ),
        Freshness::Stale { warning } => eprintln!("warning: {warning}"),
    }
    Ok(VulnDb::open(&path)?)
}
