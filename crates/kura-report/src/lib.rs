//! Reporters: CycloneDX, SPDX, SARIF, JSON and table output of inventories and findings.
//!
//! Every writer is a pure function of its input and [`RenderOptions`]: the same inventory, the
//! same `now` and the same kura version give byte-identical output, so SBOMs can be diffed and
//! snapshot-tested. The wire formats are documented in `docs/reports.md`.
//!
//! ```
//! use kura_report::{Format, RenderOptions, write_inventory};
//! use kura_types::Inventory;
//!
//! let inv = Inventory::default();
//! let opts = RenderOptions::new("2026-01-02T03:04:05Z");
//! let mut out = Vec::new();
//! write_inventory(&mut out, &inv, "cyclonedx".parse::<Format>().unwrap(), &opts).unwrap();
//! let bom: serde_json::Value = serde_json::from_slice(&out).unwrap();
//! assert_eq!(bom["specVersion"], "1.6");
//! ```

use kura_types::{Inventory, ScanReport};
use std::fmt;
use std::io::Write;
use std::str::FromStr;

mod cyclonedx;
mod json;
mod license;
mod sarif;
mod spdx;
mod table;
mod util;

pub use json::{INVENTORY_SCHEMA_VERSION, REPORT_SCHEMA_VERSION};
pub use license::{LicenseKind, classify_license};

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Human-readable table (coloured when [`RenderOptions::color`] is set).
    Table,
    /// kura's own JSON: the serde form of the inventory or report, with `schema_version`.
    Json,
    /// CycloneDX 1.6 JSON.
    CycloneDx,
    /// SPDX 2.3 JSON.
    Spdx,
    /// SARIF 2.1.0 (findings only).
    Sarif,
}

impl Format {
    /// Every format, in the order `--help` lists them.
    pub const ALL: &'static [Format] = &[
        Format::Table,
        Format::Json,
        Format::CycloneDx,
        Format::Spdx,
        Format::Sarif,
    ];

    /// The canonical name accepted by [`FromStr`].
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::CycloneDx => "cyclonedx",
            Format::Spdx => "spdx",
            Format::Sarif => "sarif",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = ReportError;

    /// Accepts the canonical names and the aliases Trivy and Syft users type
    /// (`cyclonedx-json`, `cdx`, `spdx-json`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "table" => Ok(Format::Table),
            "json" => Ok(Format::Json),
            "cyclonedx" | "cyclonedx-json" | "cdx" | "cdx-json" => Ok(Format::CycloneDx),
            "spdx" | "spdx-json" => Ok(Format::Spdx),
            "sarif" => Ok(Format::Sarif),
            _ => Err(ReportError::UnknownFormat {
                given: s.to_string(),
            }),
        }
    }
}

/// Options that shape the output but not its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderOptions {
    /// Emit ANSI colours (table only). The caller decides: a TTY and no `NO_COLOR`.
    pub color: bool,
    /// Document creation time (RFC 3339). Passed in so output is deterministic under test.
    pub now: String,
    /// The kura version written into tool metadata and SPDX namespaces.
    pub kura_version: String,
}

impl RenderOptions {
    /// Options with colour off, `now` as given and this crate's version as the tool version.
    pub fn new(now: impl Into<String>) -> Self {
        RenderOptions {
            color: false,
            now: now.into(),
            kura_version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }

    /// Options stamped with the current UTC time.
    pub fn now_utc() -> Self {
        let now = time::OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .ok()
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_string());
        RenderOptions::new(now)
    }
}

/// Why rendering failed.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The format name is not one kura knows.
    #[error(
        "unknown output format `{given}` (expected one of: table, json, cyclonedx, spdx, sarif)"
    )]
    UnknownFormat {
        /// What the user typed.
        given: String,
    },
    /// The format cannot express this kind of document.
    #[error("{format} output is not available for {what}: {hint}")]
    Unsupported {
        /// The requested format.
        format: Format,
        /// `an inventory` or `a report`.
        what: &'static str,
        /// Which formats to use instead.
        hint: &'static str,
    },
    /// `RenderOptions::now` is not an RFC 3339 timestamp.
    #[error("render time `{value}` is not an RFC 3339 timestamp: {reason}")]
    InvalidTime {
        /// The value given.
        value: String,
        /// What the parser said.
        reason: String,
    },
    /// Writing to the output failed (a closed pipe, a full disk).
    #[error("writing {format} output failed")]
    Io {
        /// The format being written.
        format: Format,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Serializing JSON failed.
    #[error("serializing {format} output failed")]
    Json {
        /// The format being written.
        format: Format,
        /// The underlying error.
        #[source]
        source: serde_json::Error,
    },
}

/// Write an inventory (an SBOM) in `fmt`. SARIF is refused: it carries results, not components.
///
/// Writers issue many small writes; pass a buffered `w` (`BufWriter`) when it is a file or pipe.
pub fn write_inventory(
    w: &mut dyn Write,
    inv: &Inventory,
    fmt: Format,
    opts: &RenderOptions,
) -> Result<(), ReportError> {
    match fmt {
        Format::Table => table::write_inventory(w, inv, opts).map_err(io(fmt)),
        Format::Json => json::write_value(w, &json::inventory_value(inv, opts)?, fmt),
        Format::CycloneDx => json::write_value(w, &cyclonedx::inventory(inv, opts)?, fmt),
        Format::Spdx => json::write_value(w, &spdx::document(inv, opts)?, fmt),
        Format::Sarif => Err(ReportError::Unsupported {
            format: fmt,
            what: "an inventory",
            hint: "SARIF carries findings; use table, json, cyclonedx or spdx for an SBOM",
        }),
    }
}

/// Write a scan report in `fmt`. SPDX 2.3 has no vulnerability fields, so `spdx` writes the
/// report's inventory as an SBOM. As for [`write_inventory`], `w` should be buffered.
pub fn write_report(
    w: &mut dyn Write,
    report: &ScanReport,
    fmt: Format,
    opts: &RenderOptions,
) -> Result<(), ReportError> {
    match fmt {
        Format::Table => table::write_report(w, report, opts).map_err(io(fmt)),
        Format::Json => json::write_value(w, &json::report_value(report, opts)?, fmt),
        Format::CycloneDx => json::write_value(w, &cyclonedx::report(report, opts)?, fmt),
        Format::Spdx => json::write_value(w, &spdx::document(&report.inventory, opts)?, fmt),
        Format::Sarif => json::write_value(w, &sarif::log(report, opts), fmt),
    }
}

fn io(format: Format) -> impl Fn(std::io::Error) -> ReportError {
    move |source| ReportError::Io { format, source }
}
