//! The normalised advisory model every feed parser produces and the store persists.
//!
//! Each parser (OSV, Alpine secdb, Debian tracker, RustSec) maps its own format onto these
//! types, so matching needs one algorithm and never parses a feed format.

use serde::{Deserialize, Serialize};

/// One advisory, normalised.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Advisory {
    /// The advisory's own ID (`GHSA-…`, `PYSEC-…`, `GO-…`, `RUSTSEC-…`, `CVE-…`, `DSA-…`).
    pub id: String,
    /// Other IDs for the same vulnerability.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// One-line summary.
    #[serde(default)]
    pub summary: Option<String>,
    /// Longer description.
    #[serde(default)]
    pub details: Option<String>,
    /// Severity statements: CVSS vectors and labels.
    #[serde(default)]
    pub severities: Vec<SeverityEntry>,
    /// Reference URLs.
    #[serde(default)]
    pub references: Vec<String>,
    /// Publication time (RFC 3339) when known.
    #[serde(default)]
    pub published: Option<String>,
    /// Last modification time (RFC 3339) when known.
    #[serde(default)]
    pub modified: Option<String>,
    /// Withdrawal time; a withdrawn advisory never matches.
    #[serde(default)]
    pub withdrawn: Option<String>,
    /// Which format family it came from (`osv`, `alpine-secdb`, `debian-tracker`, `rustsec`).
    #[serde(default)]
    pub origin: String,
    /// Affected packages.
    #[serde(default)]
    pub affected: Vec<Affected>,
}

/// One severity statement of an advisory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityEntry {
    /// `CVSS_V2`, `CVSS_V3`, `CVSS_V4` (OSV severity types) or `label` for a named level.
    pub kind: String,
    /// The vector, or the label (`HIGH`, `moderate`).
    pub value: String,
    /// Who stated it (`ghsa`, `nvd`, `osv`, `rustsec`, `ubuntu`…).
    pub source: String,
}

/// How the versions of a range are to be compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RangeScheme {
    /// OSV `ECOSYSTEM`: the ecosystem's own ordering (PEP 440, dpkg, apk…).
    Ecosystem,
    /// OSV `SEMVER`: Semantic Versioning 2.0.0 precedence.
    Semver,
    /// RustSec `patched`/`unaffected` requirement lists (Cargo requirement syntax).
    CargoReq,
}

impl RangeScheme {
    /// Short stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            RangeScheme::Ecosystem => "ECOSYSTEM",
            RangeScheme::Semver => "SEMVER",
            RangeScheme::CargoReq => "CARGO_REQ",
        }
    }

    /// Parse a stored name.
    pub fn parse(s: &str) -> Option<RangeScheme> {
        match s {
            "ECOSYSTEM" => Some(RangeScheme::Ecosystem),
            "SEMVER" => Some(RangeScheme::Semver),
            "CARGO_REQ" => Some(RangeScheme::CargoReq),
            _ => None,
        }
    }
}

/// One range event (OSV schema §affected[].ranges[].events), plus RustSec requirements.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Event {
    /// Versions from here on are affected (`0` = from the beginning).
    Introduced(String),
    /// This version and later are not affected.
    Fixed(String),
    /// Versions after this one are not affected.
    LastAffected(String),
    /// Upper limit of the range; versions at or after it are not affected.
    Limit(String),
    /// RustSec `patched` requirement (`>= 1.2.3`, `^0.3.4`).
    Patched(String),
    /// RustSec `unaffected` requirement.
    Unaffected(String),
}

impl Event {
    /// The version or requirement string.
    pub fn value(&self) -> &str {
        match self {
            Event::Introduced(v)
            | Event::Fixed(v)
            | Event::LastAffected(v)
            | Event::Limit(v)
            | Event::Patched(v)
            | Event::Unaffected(v) => v,
        }
    }

    fn tag(&self) -> char {
        match self {
            Event::Introduced(_) => 'i',
            Event::Fixed(_) => 'f',
            Event::LastAffected(_) => 'l',
            Event::Limit(_) => 'x',
            Event::Patched(_) => 'p',
            Event::Unaffected(_) => 'u',
        }
    }

    fn from_tag(tag: char, v: &str) -> Option<Event> {
        let v = v.to_string();
        Some(match tag {
            'i' => Event::Introduced(v),
            'f' => Event::Fixed(v),
            'l' => Event::LastAffected(v),
            'x' => Event::Limit(v),
            'p' => Event::Patched(v),
            'u' => Event::Unaffected(v),
            _ => return None,
        })
    }
}

/// The separator of stored lists; ASCII "unit separator" never occurs in a version string.
pub(crate) const SEP: char = '\u{1f}';

/// Encode events as `tag=value` items joined by [`SEP`] (the stored, JSON-free form).
pub fn encode_events(events: &[Event]) -> String {
    let mut out = String::new();
    for (i, e) in events.iter().enumerate() {
        if i > 0 {
            out.push(SEP);
        }
        out.push(e.tag());
        out.push('=');
        out.push_str(e.value());
    }
    out
}

/// Decode [`encode_events`] output; `None` when the text is not in that form.
pub fn decode_events(s: &str) -> Option<Vec<Event>> {
    if s.is_empty() {
        return Some(Vec::new());
    }
    s.split(SEP)
        .map(|item| {
            let mut chars = item.chars();
            let tag = chars.next()?;
            let rest = chars.as_str().strip_prefix('=')?;
            Event::from_tag(tag, rest)
        })
        .collect()
}

/// Encode a list of versions joined by [`SEP`].
pub fn encode_list(items: &[String]) -> String {
    items.join(&SEP.to_string())
}

/// Decode [`encode_list`] output.
pub fn decode_list(s: &str) -> Vec<String> {
    if s.is_empty() {
        Vec::new()
    } else {
        s.split(SEP).map(str::to_string).collect()
    }
}

/// What the feed says about one package in one ecosystem/release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AffectedStatus {
    /// Affected within the ranges/versions given (unfixed when no `fixed` event applies).
    Affected,
    /// Affected, and the vendor decided not to fix it (Debian no-dsa "ignored", end-of-life).
    WontFix,
    /// The vendor states this package is not affected (Debian `fixed_version` "0",
    /// Alpine secfix version "0"); suppresses the same vulnerability from other feeds.
    NotAffected,
}

impl AffectedStatus {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AffectedStatus::Affected => "affected",
            AffectedStatus::WontFix => "wont-fix",
            AffectedStatus::NotAffected => "not-affected",
        }
    }

    /// Parse a stored name.
    pub fn parse(s: &str) -> Option<AffectedStatus> {
        match s {
            "affected" => Some(AffectedStatus::Affected),
            "wont-fix" => Some(AffectedStatus::WontFix),
            "not-affected" => Some(AffectedStatus::NotAffected),
            _ => None,
        }
    }
}

/// One affected package in one ecosystem, with one range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Affected {
    /// Normalised ecosystem key (`PyPI`, `crates.io`, `Alpine:v3.19`, `Debian:12`, `Ubuntu:22.04`).
    pub ecosystem_key: String,
    /// Package name as looked up (see [`crate::package_lookup_name`]).
    pub package: String,
    /// How versions in `events` compare.
    pub scheme: RangeScheme,
    /// Range events; empty when only `versions` apply.
    pub events: Vec<Event>,
    /// Explicitly listed affected versions.
    pub versions: Vec<String>,
    /// Status in this ecosystem/release.
    pub status: AffectedStatus,
    /// The feed's own severity for this package (Debian urgency, OSV `ecosystem_specific.severity`).
    pub severity: Option<String>,
}
