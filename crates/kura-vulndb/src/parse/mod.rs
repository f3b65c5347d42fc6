//! Advisory format parsers. Each turns one file's bytes into normalised [`Advisory`] values
//! and reports a [`ParseError`] (never a panic) on malformed input.

pub(crate) mod debian;
mod osv;
mod rustsec;
mod secdb;

pub use debian::parse_debian_tracker;
pub use osv::{parse_osv_json, parse_osv_yaml};
pub use rustsec::{RustsecOutcome, parse_rustsec};
pub use secdb::{parse_secdb_json, parse_secdb_yaml};

use crate::model::SEP;

/// Why one advisory file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    /// What is wrong.
    pub message: String,
}

impl ParseError {
    pub(crate) fn new(message: impl Into<String>) -> ParseError {
        ParseError {
            message: message.into(),
        }
    }
}

/// Reject values that would corrupt the stored list encoding.
pub(crate) fn check_value(v: &str, field: &str) -> Result<(), ParseError> {
    if v.is_empty() {
        return Err(ParseError::new(format!("empty `{field}`")));
    }
    if v.contains(SEP) || v.contains('\n') || v.contains('\0') {
        return Err(ParseError::new(format!(
            "`{field}` contains a control character: {v:?}"
        )));
    }
    Ok(())
}

/// Who issued an ID, from its prefix (used to label severity statements).
pub(crate) fn id_source(id: &str) -> &'static str {
    let prefix = id.split('-').next().unwrap_or("");
    match prefix {
        "GHSA" => "ghsa",
        "PYSEC" => "pypa",
        "GO" => "go",
        "RUSTSEC" => "rustsec",
        "CVE" => "nvd",
        "DSA" | "DLA" | "DTSA" => "debian",
        "USN" | "UBUNTU" => "ubuntu",
        "ALSA" => "almalinux",
        "RLSA" => "rocky",
        "CGA" => "chainguard",
        "MAL" => "ossf-malicious",
        _ => "osv",
    }
}
