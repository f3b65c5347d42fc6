//! Policy: severity filters, ignore files, VEX, and the CI gate's exit decision.
//!
//! [`Policy::load`] reads the ignore file and VEX documents once; [`Policy::apply`] then
//! annotates a [`ScanReport`]:
//!
//! 1. findings outside `--severity` and, with `--ignore-unfixed`, findings without a fixed
//!    version are **dropped** from the report;
//! 2. findings named by a VEX `not_affected`/`fixed` statement or a live ignore-file entry are
//!    **kept and marked** [`Finding::suppressed`], so reports can show why they do not count;
//! 3. with `--skip-base`, findings in base-image layers are kept, unmarked, but do not gate;
//! 4. expired ignore entries are listed in [`ScanReport::expired_ignores`];
//! 5. fix advice is recounted over what still gates.
//!
//! ```
//! use kura_policy::{Policy, PolicyOptions, IgnoreFileChoice};
//! use kura_types::ScanReport;
//!
//! let policy = Policy::load(PolicyOptions {
//!     ignore_file: IgnoreFileChoice::Disabled,
//!     ..PolicyOptions::default()
//! }).unwrap();
//! let mut report = ScanReport::default();
//! let verdict = policy.apply(&mut report, time::macros::date!(2026 - 01 - 01));
//! assert_eq!(verdict.gating, 0);
//! assert_eq!(verdict.exit_code(1), 0);
//! ```

use kura_types::{Finding, FixState, ScanReport, Severity, Suppression};
use std::path::{Path, PathBuf};
use time::Date;

mod ignore;
pub mod purl;
mod vex;

pub use ignore::{IgnoreEntry, IgnoreFile};
pub use vex::{JUSTIFICATIONS, Product, Statement, VexDocument, VexStatus};

/// The ignore file looked for when none is named.
pub const DEFAULT_IGNORE_FILE: &str = ".kuraignore";

/// Policy files larger than this are refused: they are hand-written, so a huge one is a mistake
/// or an attack, and either way should not be parsed into memory.
pub const MAX_POLICY_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Which ignore file to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum IgnoreFileChoice {
    /// `./.kuraignore` when it exists; nothing otherwise.
    #[default]
    Default,
    /// This file; its absence is an error.
    Path(PathBuf),
    /// No ignore file.
    Disabled,
}

/// What the command line asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyOptions {
    /// Severities to report (`--severity`); empty means all.
    pub severities: Vec<Severity>,
    /// Drop findings with no fixed version (`--ignore-unfixed`).
    pub ignore_unfixed: bool,
    /// Findings in base-image layers do not gate (`--skip-base`).
    pub skip_base: bool,
    /// The ignore file (`--ignore-file`).
    pub ignore_file: IgnoreFileChoice,
    /// OpenVEX documents (`--vex`, repeatable).
    pub vex: Vec<PathBuf>,
}

/// Why the policy could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// A policy file could not be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A policy file is implausibly large.
    #[error("{} is {size} bytes; policy files are limited to {limit} bytes", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The ignore file is not valid YAML, or has a key kura does not know.
    #[error("{file}:{line}:{column}: {message}")]
    IgnoreSyntax {
        /// The file.
        file: String,
        /// 1-based line (0 when unknown).
        line: u64,
        /// 1-based column (0 when unknown).
        column: u64,
        /// What is wrong.
        message: String,
    },
    /// An ignore entry is incomplete or malformed.
    #[error("{file}:{line}: ignore entry {entry} {problem}")]
    IgnoreEntry {
        /// The file.
        file: String,
        /// 1-based entry number.
        entry: usize,
        /// 1-based line of the entry.
        line: u64,
        /// What is wrong.
        problem: String,
    },
    /// A VEX file is not valid JSON.
    #[error("{file}:{line}:{column}: not valid JSON: {message}")]
    VexSyntax {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the parser said.
        message: String,
    },
    /// A VEX file is JSON but not an OpenVEX document.
    #[error("{file}: {problem}")]
    VexDocument {
        /// The file.
        file: String,
        /// What is wrong.
        problem: String,
    },
    /// A VEX statement is malformed.
    #[error("{file}: statement {statement} {problem}")]
    VexStatement {
        /// The file.
        file: String,
        /// 1-based statement number.
        statement: usize,
        /// What is wrong.
        problem: String,
    },
    /// A `--severity` value is not a severity.
    #[error("unknown severity `{given}` (expected UNKNOWN, LOW, MEDIUM, HIGH or CRITICAL)")]
    Severity {
        /// What was given.
        given: String,
    },
}

/// Parse a `--severity` list: comma-separated names, case-insensitive (`high,CRITICAL`).
pub fn parse_severities(list: &str) -> Result<Vec<Severity>, PolicyError> {
    let mut out: Vec<Severity> = Vec::new();
    for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let s = Severity::parse(part).ok_or_else(|| PolicyError::Severity {
            given: part.to_string(),
        })?;
        if !out.contains(&s) {
            out.push(s);
        }
    }
    Ok(out)
}

/// Counts per severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeverityCounts {
    /// CRITICAL.
    pub critical: usize,
    /// HIGH.
    pub high: usize,
    /// MEDIUM.
    pub medium: usize,
    /// LOW.
    pub low: usize,
    /// UNKNOWN.
    pub unknown: usize,
}

impl SeverityCounts {
    fn add(&mut self, s: Severity) {
        match s {
            Severity::Critical => self.critical += 1,
            Severity::High => self.high += 1,
            Severity::Medium => self.medium += 1,
            Severity::Low => self.low += 1,
            Severity::Unknown => self.unknown += 1,
        }
    }
}

/// The outcome of applying the policy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Findings that make the gate fail.
    pub gating: usize,
    /// Those, per severity.
    pub gating_by_severity: SeverityCounts,
    /// Findings kept but marked suppressed (ignore file or VEX).
    pub suppressed: usize,
    /// Findings dropped by `--severity` or `--ignore-unfixed`.
    pub dropped: usize,
    /// Findings that do not gate because their package came from a base layer (`--skip-base`).
    pub base_layer: usize,
    /// Ignore entries past their expiry date.
    pub expired_ignores: usize,
}

impl Verdict {
    /// True when nothing gates.
    pub fn passed(&self) -> bool {
        self.gating == 0
    }

    /// The process exit code: 0 when nothing gates, else `on_findings` (`--exit-code`, default 1).
    pub fn exit_code(&self, on_findings: u8) -> u8 {
        if self.passed() { 0 } else { on_findings }
    }
}

/// A loaded policy.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    options: PolicyOptions,
    ignore: Option<IgnoreFile>,
    vex: Vec<VexDocument>,
}

impl Policy {
    /// Read the ignore file and VEX documents the options name.
    pub fn load(options: PolicyOptions) -> Result<Self, PolicyError> {
        let ignore = match &options.ignore_file {
            IgnoreFileChoice::Disabled => None,
            IgnoreFileChoice::Path(p) => Some(read_ignore(p)?),
            IgnoreFileChoice::Default => {
                let p = Path::new(DEFAULT_IGNORE_FILE);
                if p.is_file() {
                    Some(read_ignore(p)?)
                } else {
                    None
                }
            }
        };
        let vex = options
            .vex
            .iter()
            .map(|p| read_bounded(p).and_then(|b| VexDocument::parse(&b, &p.display().to_string())))
            .collect::<Result<_, _>>()?;
        Ok(Policy {
            options,
            ignore,
            vex,
        })
    }

    /// A policy from already parsed parts (for callers holding the documents in memory).
    pub fn from_parts(
        options: PolicyOptions,
        ignore: Option<IgnoreFile>,
        vex: Vec<VexDocument>,
    ) -> Self {
        Policy {
            options,
            ignore,
            vex,
        }
    }

    /// The options this policy was loaded with.
    pub fn options(&self) -> &PolicyOptions {
        &self.options
    }

    /// The loaded ignore file, if any.
    pub fn ignore_file(&self) -> Option<&IgnoreFile> {
        self.ignore.as_ref()
    }

    /// Apply the policy to `report` as of `today` (which decides ignore-entry expiry).
    pub fn apply(&self, report: &mut ScanReport, today: Date) -> Verdict {
        let mut verdict = Verdict::default();
        let before = report.findings.len();
        report.findings.retain(|f| self.keeps(f));
        verdict.dropped = before - report.findings.len();

        let target = &report.inventory.target;
        for f in &mut report.findings {
            if f.suppressed.is_none() {
                f.suppressed = self
                    .vex_suppression(f, target)
                    .or_else(|| self.ignore_suppression(f, today));
            }
        }
        let expired = self.expired(today);
        verdict.expired_ignores = expired.len();
        for e in expired {
            if !report.expired_ignores.contains(&e) {
                report.expired_ignores.push(e);
            }
        }
        for f in &report.findings {
            if f.suppressed.is_some() {
                verdict.suppressed += 1;
            } else if self.options.skip_base && f.in_base_layer {
                verdict.base_layer += 1;
            } else {
                verdict.gating += 1;
                verdict.gating_by_severity.add(f.severity);
            }
        }
        recount_fixes(report);
        verdict
    }

    fn keeps(&self, f: &Finding) -> bool {
        let severity_ok =
            self.options.severities.is_empty() || self.options.severities.contains(&f.severity);
        let fix_ok = !self.options.ignore_unfixed
            || (f.fix_state == FixState::Fixed && f.fixed_version.is_some());
        severity_ok && fix_ok
    }

    /// The newest matching statement across all VEX documents decides (OpenVEX §Statement:
    /// later statements supersede earlier ones); at equal times the later document/statement wins.
    fn vex_suppression(&self, f: &Finding, target: &kura_types::Target) -> Option<Suppression> {
        let mut best: Option<(&VexDocument, &Statement)> = None;
        for doc in &self.vex {
            for st in doc.statements.iter().filter(|s| s.matches(f, target)) {
                let newer = best.is_none_or(|(_, b)| match (st.timestamp, b.timestamp) {
                    (Some(a), Some(b)) => a >= b,
                    (None, Some(_)) => false,
                    _ => true,
                });
                if newer {
                    best = Some((doc, st));
                }
            }
        }
        let (doc, st) = best?;
        st.status.suppresses().then(|| Suppression {
            kind: "vex".to_string(),
            reason: st.reason(),
            source: Some(format!("{} statement {}", doc.source, st.index)),
            status: Some(st.status.as_str().to_string()),
        })
    }

    fn ignore_suppression(&self, f: &Finding, today: Date) -> Option<Suppression> {
        let file = self.ignore.as_ref()?;
        let e = file
            .entries
            .iter()
            .find(|e| !e.expired(today) && e.matches(f))?;
        Some(Suppression {
            kind: "ignore-file".to_string(),
            reason: Some(match &e.reason {
                Some(r) => format!("{r} (until {})", e.expires),
                None => format!("until {}", e.expires),
            }),
            source: Some(format!("{}:{}", file.source, e.line)),
            status: None,
        })
    }

    fn expired(&self, today: Date) -> Vec<String> {
        let Some(file) = &self.ignore else {
            return Vec::new();
        };
        file.entries
            .iter()
            .filter(|e| e.expired(today))
            .map(|e| {
                let scope = [e.package.as_deref(), e.purl.as_deref(), e.path.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                let scope = if scope.is_empty() {
                    String::new()
                } else {
                    format!(" ({scope})")
                };
                format!(
                    "{}:{}: {}{scope} expired on {}",
                    file.source, e.line, e.id, e.expires
                )
            })
            .collect()
    }
}

fn read_bounded(path: &Path) -> Result<Vec<u8>, PolicyError> {
    use std::io::Read;
    let read_err = |source| PolicyError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_err)?;
    let mut buf = Vec::new();
    file.take(MAX_POLICY_FILE_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(read_err)?;
    if buf.len() as u64 > MAX_POLICY_FILE_BYTES {
        return Err(PolicyError::TooLarge {
            path: path.to_path_buf(),
            size: buf.len() as u64,
            limit: MAX_POLICY_FILE_BYTES,
        });
    }
    Ok(buf)
}

fn read_ignore(path: &Path) -> Result<IgnoreFile, PolicyError> {
    let bytes = read_bounded(path)?;
    let text = String::from_utf8(bytes).map_err(|e| PolicyError::IgnoreSyntax {
        file: path.display().to_string(),
        line: 0,
        column: 0,
        message: format!(
            "not UTF-8 (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ),
    })?;
    IgnoreFile::parse(&text, &path.display().to_string())
}

/// Fix advice counts what an upgrade clears; after filtering and suppression, only findings
/// that still count are counted, and advice that clears nothing is dropped. The advised version
/// is kept: choosing a lower one would need version ordering, which the matcher owns.
fn recount_fixes(report: &mut ScanReport) {
    let findings = &report.findings;
    for a in &mut report.fixes {
        let mine = findings.iter().filter(|f| {
            f.suppressed.is_none()
                && f.fixed_version.is_some()
                && f.package_name == a.package_name
                && f.ecosystem == a.ecosystem
                && f.installed_version == a.installed_version
        });
        let (mut n, mut c, mut h) = (0, 0, 0);
        for f in mine {
            n += 1;
            c += usize::from(f.severity == Severity::Critical);
            h += usize::from(f.severity == Severity::High);
        }
        (a.clears, a.clears_critical, a.clears_high) = (n, c, h);
    }
    report.fixes.retain(|a| a.clears > 0);
    report.fixes.sort_by(|a, b| {
        (b.clears_critical, b.clears_high, b.clears).cmp(&(
            a.clears_critical,
            a.clears_high,
            a.clears,
        ))
    });
}
