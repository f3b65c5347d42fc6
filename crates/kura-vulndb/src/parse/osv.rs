//! OSV schema (https://ossf.github.io/osv-schema/) in JSON or YAML.

use super::{ParseError, check_value, id_source};
use crate::model::{Advisory, Affected, AffectedStatus, Event, RangeScheme, SeverityEntry};
use crate::{normalize_ecosystem, package_lookup_name};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct RawOsv {
    #[serde(default)]
    id: String,
    #[serde(default)]
    aliases: Option<Vec<String>>,
    #[serde(default)]
    upstream: Option<Vec<String>>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    details: Option<String>,
    #[serde(default)]
    severity: Option<Vec<RawSeverity>>,
    #[serde(default)]
    affected: Option<Vec<RawAffected>>,
    #[serde(default)]
    references: Option<Vec<RawReference>>,
    #[serde(default)]
    published: Option<Value>,
    #[serde(default)]
    modified: Option<Value>,
    #[serde(default)]
    withdrawn: Option<Value>,
    #[serde(default)]
    database_specific: Option<Value>,
}

#[derive(Deserialize)]
struct RawSeverity {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    score: Value,
}

#[derive(Deserialize)]
struct RawReference {
    #[serde(default)]
    url: Option<String>,
}

#[derive(Deserialize)]
struct RawAffected {
    #[serde(default)]
    package: Option<RawPackage>,
    #[serde(default)]
    ranges: Option<Vec<RawRange>>,
    #[serde(default)]
    versions: Option<Vec<Value>>,
    #[serde(default)]
    ecosystem_specific: Option<Value>,
    #[serde(default)]
    database_specific: Option<Value>,
}

#[derive(Deserialize)]
struct RawPackage {
    #[serde(default)]
    ecosystem: String,
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
struct RawRange {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    events: Vec<serde_json::Map<String, Value>>,
}

/// Parse one OSV advisory from JSON.
pub fn parse_osv_json(bytes: &[u8]) -> Result<Advisory, ParseError> {
    let raw: RawOsv =
        serde_json::from_slice(bytes).map_err(|e| ParseError::new(format!("OSV JSON: {e}")))?;
    convert(raw)
}

/// Parse one OSV advisory from YAML (the PyPA advisory database's format).
pub fn parse_osv_yaml(text: &str) -> Result<Advisory, ParseError> {
    let raw: RawOsv =
        serde_saphyr::from_str(text).map_err(|e| ParseError::new(format!("OSV YAML: {e}")))?;
    convert(raw)
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn label_of(v: Option<&Value>) -> Option<String> {
    let s = v?.get("severity")?.as_str()?.trim();
    (!s.is_empty()).then(|| s.to_string())
}

fn convert(raw: RawOsv) -> Result<Advisory, ParseError> {
    let id = raw.id.trim().to_string();
    if id.is_empty() {
        return Err(ParseError::new("OSV advisory without an `id`"));
    }
    check_value(&id, "id")?;
    let source = id_source(&id).to_string();
    let mut severities = Vec::new();
    for s in raw.severity.unwrap_or_default() {
        let Some(value) = scalar(&s.score) else {
            continue;
        };
        let kind = match s.kind.as_str() {
            "CVSS_V2" | "CVSS_V3" | "CVSS_V4" => s.kind.clone(),
            // Ubuntu's own priority scale, carried as an OSV severity type.
            "Ubuntu" => {
                severities.push(SeverityEntry {
                    kind: "label".into(),
                    value,
                    source: "ubuntu".into(),
                });
                continue;
            }
            _ => continue,
        };
        severities.push(SeverityEntry {
            kind,
            value,
            source: source.clone(),
        });
    }
    // GHSA records its qualitative level in database_specific.severity.
    if let Some(label) = label_of(raw.database_specific.as_ref()) {
        severities.push(SeverityEntry {
            kind: "label".into(),
            value: label,
            source: source.clone(),
        });
    }
    let mut affected = Vec::new();
    for a in raw.affected.unwrap_or_default() {
        convert_affected(a, &mut affected)?;
    }
    let aliases = aliases_of(&id, raw.aliases, raw.upstream);
    Ok(Advisory {
        id,
        aliases,
        summary: raw.summary.filter(|s| !s.trim().is_empty()),
        details: raw.details.filter(|s| !s.trim().is_empty()),
        severities,
        references: raw
            .references
            .unwrap_or_default()
            .into_iter()
            .filter_map(|r| r.url)
            .collect(),
        published: raw.published.as_ref().and_then(scalar),
        modified: raw.modified.as_ref().and_then(scalar),
        withdrawn: raw.withdrawn.as_ref().and_then(scalar),
        origin: "osv".into(),
        affected,
    })
}

/// Aliases, plus the CVE a distro record is about: `DEBIAN-CVE-2024-1`/`UBUNTU-CVE-2024-1` name
/// it in their ID, and a record whose OSV `upstream` lists exactly one ID is about that one
/// (a DSA fixing several CVEs is not the same vulnerability as each of them).
fn aliases_of(
    id: &str,
    aliases: Option<Vec<String>>,
    upstream: Option<Vec<String>>,
) -> Vec<String> {
    let mut out: Vec<String> = aliases
        .unwrap_or_default()
        .into_iter()
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty() && a != id)
        .collect();
    let mut extra = Vec::new();
    if let Some(cve) = id.find("-CVE-").and_then(|pos| id.get(pos + 1..)) {
        extra.push(cve.to_string());
    }
    if let Some([one]) = upstream.as_deref() {
        extra.push(one.trim().to_string());
    }
    for e in extra {
        if !e.is_empty() && e != id && !out.contains(&e) {
            out.push(e);
        }
    }
    out
}

fn convert_event(map: &serde_json::Map<String, Value>) -> Result<Option<Event>, ParseError> {
    // OSV §events: each event object has exactly one of these keys.
    for (k, v) in map {
        let Some(s) = scalar(v) else {
            return Err(ParseError::new(format!("event `{k}` is not a string")));
        };
        let s = s.trim().to_string();
        check_value(&s, k)?;
        let ev = match k.as_str() {
            "introduced" => Event::Introduced(s),
            "fixed" => Event::Fixed(s),
            "last_affected" => Event::LastAffected(s),
            "limit" => Event::Limit(s),
            _ => continue,
        };
        return Ok(Some(ev));
    }
    Ok(None)
}

fn convert_affected(a: RawAffected, out: &mut Vec<Affected>) -> Result<(), ParseError> {
    let Some(pkg) = a.package else {
        return Ok(());
    };
    let Some(ecosystem_key) = normalize_ecosystem(&pkg.ecosystem) else {
        return Ok(());
    };
    let name = pkg.name.trim();
    if name.is_empty() {
        return Err(ParseError::new("affected package without a name"));
    }
    check_value(name, "package.name")?;
    let severity =
        label_of(a.ecosystem_specific.as_ref()).or_else(|| label_of(a.database_specific.as_ref()));
    let mut versions = Vec::new();
    for v in a.versions.unwrap_or_default() {
        if let Some(s) = scalar(&v) {
            check_value(&s, "versions")?;
            versions.push(s);
        }
    }
    let package = package_lookup_name(&ecosystem_key, name);
    let start = out.len();
    for r in a.ranges.unwrap_or_default() {
        let scheme = match r.kind.as_str() {
            "ECOSYSTEM" => RangeScheme::Ecosystem,
            "SEMVER" => RangeScheme::Semver,
            // GIT ranges name commits, which an installed package does not carry.
            _ => continue,
        };
        let mut events = Vec::new();
        for e in &r.events {
            if let Some(ev) = convert_event(e)? {
                events.push(ev);
            }
        }
        if events.is_empty() {
            continue;
        }
        out.push(Affected {
            ecosystem_key: ecosystem_key.clone(),
            package: package.clone(),
            scheme,
            events,
            versions: Vec::new(),
            status: AffectedStatus::Affected,
            severity: severity.clone(),
        });
    }
    if !versions.is_empty() {
        // OSV: a version is affected when it is listed OR inside a range; keep the list on the
        // first range so both are checked against the same package entry.
        if let Some(first) = out.get_mut(start) {
            first.versions = versions;
        } else {
            out.push(Affected {
                ecosystem_key,
                package,
                scheme: RangeScheme::Ecosystem,
                events: Vec::new(),
                versions,
                status: AffectedStatus::Affected,
                severity,
            });
        }
    }
    Ok(())
}
