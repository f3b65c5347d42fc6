//! RustSec advisories: a ```` ```toml ```` block (front matter) followed by Markdown, as the
//! RustSec advisory-db and cargo-audit read them (`rustsec` crate, advisory format v3). A bare
//! TOML file (the older format) is accepted as well.
//!
//! Informational advisories (`unmaintained`, `unsound`, `notice`) are not vulnerabilities and
//! are skipped, as cargo-audit does by default.

use super::{ParseError, check_value};
use crate::model::{Advisory, Affected, AffectedStatus, Event, RangeScheme, SeverityEntry};
use serde::Deserialize;

#[derive(Deserialize)]
struct RawFile {
    advisory: RawAdvisory,
    #[serde(default)]
    versions: RawVersions,
}

#[derive(Deserialize)]
struct RawAdvisory {
    id: String,
    package: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    cvss: Option<String>,
    #[serde(default)]
    date: Option<toml::Value>,
    #[serde(default)]
    withdrawn: Option<toml::Value>,
    #[serde(default)]
    informational: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    references: Vec<String>,
    // Format v2 kept versions inside [advisory].
    #[serde(default)]
    patched_versions: Vec<String>,
    #[serde(default)]
    unaffected_versions: Vec<String>,
}

#[derive(Deserialize, Default)]
struct RawVersions {
    #[serde(default)]
    patched: Vec<String>,
    #[serde(default)]
    unaffected: Vec<String>,
}

/// Outcome of reading one RustSec file.
#[derive(Debug)]
pub enum RustsecOutcome {
    /// A vulnerability advisory.
    Advisory(Box<Advisory>),
    /// An informational advisory, not imported.
    Informational,
}

/// Split the front matter from the Markdown body.
fn split(text: &str) -> Result<(&str, &str), ParseError> {
    let t = text.trim_start_matches('\u{feff}').trim_start();
    let Some(rest) = t.strip_prefix("```toml") else {
        return Ok((t, ""));
    };
    let end = rest
        .find("\n```")
        .ok_or_else(|| ParseError::new("unterminated ```toml front matter"))?;
    let (front, body) = rest.split_at(end);
    Ok((front, body.get(4..).unwrap_or("")))
}

fn toml_text(v: &toml::Value) -> Option<String> {
    match v {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Datetime(d) => Some(d.to_string()),
        _ => None,
    }
}

/// Parse one RustSec advisory file.
pub fn parse_rustsec(text: &str) -> Result<RustsecOutcome, ParseError> {
    let (front, body) = split(text)?;
    let raw: RawFile =
        toml::from_str(front).map_err(|e| ParseError::new(format!("RustSec TOML: {e}")))?;
    let a = raw.advisory;
    if a.informational.is_some() {
        return Ok(RustsecOutcome::Informational);
    }
    check_value(a.id.trim(), "advisory.id")?;
    check_value(a.package.trim(), "advisory.package")?;
    let mut events = Vec::new();
    for p in raw.versions.patched.iter().chain(&a.patched_versions) {
        check_value(p, "versions.patched")?;
        events.push(Event::Patched(p.clone()));
    }
    for u in raw.versions.unaffected.iter().chain(&a.unaffected_versions) {
        check_value(u, "versions.unaffected")?;
        events.push(Event::Unaffected(u.clone()));
    }
    let (title, details) = markdown_parts(body);
    let mut severities = Vec::new();
    if let Some(v) = a.cvss.filter(|v| !v.trim().is_empty()) {
        let kind = if v.starts_with("CVSS:4") {
            "CVSS_V4"
        } else if v.starts_with("CVSS:3") {
            "CVSS_V3"
        } else {
            "CVSS_V2"
        };
        severities.push(SeverityEntry {
            kind: kind.into(),
            value: v,
            source: "rustsec".into(),
        });
    }
    let mut references: Vec<String> = a.url.into_iter().collect();
    references.extend(a.references);
    Ok(RustsecOutcome::Advisory(Box::new(Advisory {
        id: a.id.trim().to_string(),
        aliases: a.aliases,
        summary: a.title.or(title),
        details: a.description.or(details),
        severities,
        references,
        published: a.date.as_ref().and_then(toml_text),
        modified: None,
        withdrawn: a.withdrawn.as_ref().and_then(toml_text),
        origin: "rustsec".into(),
        affected: vec![Affected {
            ecosystem_key: "crates.io".into(),
            package: a.package.trim().to_string(),
            scheme: RangeScheme::CargoReq,
            events,
            versions: Vec::new(),
            status: AffectedStatus::Affected,
            severity: None,
        }],
    })))
}

/// Title from the first `# ` heading; the rest is the description.
fn markdown_parts(body: &str) -> (Option<String>, Option<String>) {
    let body = body.trim();
    if body.is_empty() {
        return (None, None);
    }
    match body.strip_prefix("# ") {
        Some(rest) => {
            let (title, rest) = rest.split_once('\n').unwrap_or((rest, ""));
            let rest = rest.trim();
            (
                Some(title.trim().to_string()),
                (!rest.is_empty()).then(|| rest.to_string()),
            )
        }
        None => (None, Some(body.to_string())),
    }
}
