//! Debian security tracker JSON (`/tracker/data/json`):
//! `{source-package: {CVE: {description, releases: {codename: {status, fixed_version, urgency,
//! nodsa, nodsa_reason, repositories}}}}}`.
//!
//! Per release: `resolved` with `fixed_version` "0" means the release never shipped the
//! vulnerable code (not affected); `resolved` with a version is fixed there; `open` and
//! `undetermined` are unfixed; `nodsa_reason: ignored` and urgency `end-of-life` mean Debian
//! will not fix it. Package names are source packages.

use super::{ParseError, check_value};
use crate::model::{Advisory, Affected, AffectedStatus, Event, RangeScheme};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
struct RawIssue {
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    releases: BTreeMap<String, RawRelease>,
}

#[derive(Deserialize)]
struct RawRelease {
    #[serde(default)]
    status: String,
    #[serde(default)]
    fixed_version: Option<String>,
    #[serde(default)]
    urgency: Option<String>,
    #[serde(default)]
    nodsa_reason: Option<String>,
}

/// Debian release number for a codename (Debian releases page); unknown codenames keep their name.
pub(crate) fn debian_release(codename: &str) -> String {
    match codename {
        "wheezy" => "7",
        "jessie" => "8",
        "stretch" => "9",
        "buster" => "10",
        "bullseye" => "11",
        "bookworm" => "12",
        "trixie" => "13",
        "forky" => "14",
        "duke" => "15",
        other => other,
    }
    .to_string()
}

/// Parse the whole tracker document.
pub fn parse_debian_tracker(bytes: &[u8]) -> Result<Vec<Advisory>, ParseError> {
    let raw: BTreeMap<String, BTreeMap<String, RawIssue>> = serde_json::from_slice(bytes)
        .map_err(|e| ParseError::new(format!("Debian tracker JSON: {e}")))?;
    let mut by_id: BTreeMap<String, Advisory> = BTreeMap::new();
    for (package, issues) in raw {
        if check_value(&package, "package").is_err() {
            continue;
        }
        for (id, issue) in issues {
            if check_value(&id, "id").is_err() {
                continue;
            }
            let mut affected = Vec::new();
            for (codename, rel) in &issue.releases {
                if check_value(codename, "release").is_err() {
                    continue;
                }
                if let Some(a) = convert_release(&package, codename, rel) {
                    affected.push(a);
                }
            }
            let adv = by_id.entry(id.clone()).or_insert_with(|| Advisory {
                id: id.clone(),
                details: issue.description.clone().filter(|d| !d.trim().is_empty()),
                origin: "debian-tracker".into(),
                ..Advisory::default()
            });
            adv.affected.extend(affected);
        }
    }
    Ok(by_id.into_values().collect())
}

fn convert_release(package: &str, codename: &str, rel: &RawRelease) -> Option<Affected> {
    // Urgencies carry `*`/`**` when not yet reviewed; "not yet assigned" says nothing.
    let urgency = rel
        .urgency
        .as_deref()
        .map(|u| u.trim_end_matches('*').trim().to_string())
        .filter(|u| !u.is_empty() && u != "not yet assigned");
    let fixed = rel
        .fixed_version
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty());
    let (status, events) = match rel.status.as_str() {
        "resolved" => match fixed {
            Some("0") => (AffectedStatus::NotAffected, Vec::new()),
            Some(v) if check_value(v, "fixed_version").is_ok() => (
                AffectedStatus::Affected,
                vec![Event::Introduced("0".into()), Event::Fixed(v.to_string())],
            ),
            _ => return None,
        },
        "open" | "undetermined" => {
            let wont_fix = rel.nodsa_reason.as_deref() == Some("ignored")
                || urgency.as_deref() == Some("end-of-life");
            let status = if wont_fix {
                AffectedStatus::WontFix
            } else {
                AffectedStatus::Affected
            };
            (status, vec![Event::Introduced("0".into())])
        }
        _ => return None,
    };
    Some(Affected {
        ecosystem_key: format!("Debian:{}", debian_release(codename)),
        package: package.to_string(),
        scheme: RangeScheme::Ecosystem,
        events,
        versions: Vec::new(),
        status,
        severity: urgency.filter(|u| u != "end-of-life"),
    })
}
