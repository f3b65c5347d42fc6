//! The local vulnerability database: build from feeds, import files, open fast.
//!
//! One SQLite file with a versioned schema ([`store::SCHEMA_VERSION`]) holds advisories from OSV
//! exports, Alpine secdb, the Debian security tracker and RustSec, normalised to one model
//! ([`model`]) and indexed by `(ecosystem key, package name)`. Builds write a temporary file beside
//! the DB and rename it over the old one, so a failed or interrupted build never damages it.
//!
//! ```no_run
//! use kura_vulndb::{VulnDb, default_db_path, package_lookup_name};
//! let db = VulnDb::open(&default_db_path())?;
//! for row in db.lookup("PyPI", &package_lookup_name("PyPI", "Django"))? {
//!     println!("{}", db.advisory(row.advisory)?.advisory.id);
//! }
//! # Ok::<(), kura_vulndb::VulnDbError>(())
//! ```

pub mod error;
pub mod import;
pub mod model;
pub mod parse;
pub mod store;
pub mod update;

pub use error::VulnDbError;
pub use import::{ImportOptions, ImportReport, Skipped, import_paths};
pub use model::{Advisory, Affected, AffectedStatus, Event, RangeScheme, SeverityEntry};
pub use store::{AffectedRow, DbMeta, DbStats, DbWriter, SourceMeta, StoredAdvisory, VulnDb};
pub use update::{Freshness, UpdateConfig, UpdateReport, ensure_fresh, update};

use std::path::PathBuf;

/// Environment variable that selects the DB file (as `--db` does).
pub const DB_ENV: &str = "KURA_DB";

/// The DB path when neither `--db` nor `KURA_DB` is given: `<user cache dir>/kura/vuln.db`.
pub fn default_db_path() -> PathBuf {
    if let Some(p) = std::env::var_os(DB_ENV).filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    dirs::cache_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("kura")
        .join("vuln.db")
}

/// Normalise an OSV `affected[].package.ecosystem` into the key the DB is indexed by.
///
/// Ubuntu's `:LTS` suffix is dropped (`Ubuntu:22.04:LTS` → `Ubuntu:22.04`) because an image's
/// os-release does not say whether it is LTS; everything else is kept as OSV spells it
/// (`Alpine:v3.19`, `Debian:12`, `Rocky Linux:9`). Returns `None` for an empty name.
pub fn normalize_ecosystem(eco: &str) -> Option<String> {
    let eco = eco.trim();
    if eco.is_empty() || eco.contains(model::SEP) {
        return None;
    }
    Some(eco.strip_suffix(":LTS").unwrap_or(eco).to_string())
}

/// The name a package is stored and looked up under in an ecosystem: PyPI names are normalised
/// per PEP 503 (lower case, runs of `-`, `_`, `.` become `-`); other ecosystems keep the name.
pub fn package_lookup_name(eco: &str, name: &str) -> String {
    if eco == "PyPI" {
        let mut out = String::with_capacity(name.len());
        let mut sep = false;
        for c in name.trim().chars() {
            if matches!(c, '-' | '_' | '.') {
                sep = true;
            } else {
                if sep && !out.is_empty() {
                    out.push('-');
                }
                sep = false;
                out.push(c.to_ascii_lowercase());
            }
        }
        out
    } else {
        name.trim().to_string()
    }
}

pub(crate) fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pypi_names_follow_pep503() {
        for (input, want) in [
            ("Django", "django"),
            ("zope.interface", "zope-interface"),
            ("Foo__Bar--baz", "foo-bar-baz"),
            ("a.-_b", "a-b"),
        ] {
            assert_eq!(package_lookup_name("PyPI", input), want, "{input}");
        }
        assert_eq!(package_lookup_name("npm", "Foo_Bar"), "Foo_Bar");
    }

    #[test]
    fn ubuntu_lts_suffix_is_dropped_other_keys_kept() {
        assert_eq!(
            normalize_ecosystem("Ubuntu:22.04:LTS").as_deref(),
            Some("Ubuntu:22.04")
        );
        assert_eq!(
            normalize_ecosystem("Alpine:v3.19").as_deref(),
            Some("Alpine:v3.19")
        );
        assert_eq!(normalize_ecosystem(" "), None);
    }
}
