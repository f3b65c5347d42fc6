//! Alpine secdb: `{distroversion, reponame, packages: [{pkg: {name, secfixes: {version: [ids]}}}]}`.
//!
//! Served as JSON per branch today; the older archive is YAML with the same structure. Package
//! names are apk origins (source packages). A secfix under version `0` means the package was
//! never affected (Alpine secdb convention, as in `secfixes.lua`).

use super::{ParseError, check_value};
use crate::model::{Advisory, Affected, AffectedStatus, Event, RangeScheme};
use serde_json::Value;
use std::collections::BTreeMap;

/// Parse a secdb JSON document.
pub fn parse_secdb_json(bytes: &[u8]) -> Result<Vec<Advisory>, ParseError> {
    let v: Value =
        serde_json::from_slice(bytes).map_err(|e| ParseError::new(format!("secdb JSON: {e}")))?;
    convert(&v)
}

/// Parse a secdb YAML document.
pub fn parse_secdb_yaml(text: &str) -> Result<Vec<Advisory>, ParseError> {
    let v: Value =
        serde_saphyr::from_str(text).map_err(|e| ParseError::new(format!("secdb YAML: {e}")))?;
    convert(&v)
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// IDs in one secfix line: `CVE-2019-1234`, `XSA-215 CVE-2017-10912`, `CVE-… (comment)`.
fn ids_of(line: &str) -> Vec<String> {
    line.split_whitespace()
        .take_while(|t| !t.starts_with('('))
        .filter(|t| {
            t.contains('-')
                && t.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                && t.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        })
        .map(str::to_string)
        .collect()
}

fn convert(v: &Value) -> Result<Vec<Advisory>, ParseError> {
    let branch = v
        .get("distroversion")
        .and_then(scalar)
        .ok_or_else(|| ParseError::new("secdb without `distroversion`"))?;
    check_value(&branch, "distroversion")?;
    let branch = if branch.starts_with('v') {
        branch
    } else {
        format!("v{branch}")
    };
    let key = format!("Alpine:{branch}");
    // An empty `packages:` (YAML null) is how secdb writes a repository with no fixes yet.
    let empty = Vec::new();
    let packages = match v.get("packages") {
        Some(Value::Array(a)) => a,
        Some(Value::Null) => &empty,
        _ => return Err(ParseError::new("secdb without a `packages` list")),
    };
    let mut by_id: BTreeMap<String, Advisory> = BTreeMap::new();
    for p in packages {
        let Some(pkg) = p.get("pkg") else { continue };
        let Some(name) = pkg.get("name").and_then(scalar) else {
            continue;
        };
        check_value(&name, "pkg.name")?;
        let Some(secfixes) = pkg.get("secfixes").and_then(Value::as_object) else {
            continue;
        };
        for (version, lines) in secfixes {
            let version = version.trim();
            check_value(version, "secfixes version")?;
            let lines: Vec<String> = match lines {
                Value::Array(a) => a.iter().filter_map(scalar).collect(),
                other => scalar(other).into_iter().collect(),
            };
            for line in lines {
                let mut ids = ids_of(&line).into_iter();
                let Some(id) = ids.next() else { continue };
                let aliases: Vec<String> = ids.collect();
                let (status, events) = if version == "0" {
                    (AffectedStatus::NotAffected, Vec::new())
                } else {
                    (
                        AffectedStatus::Affected,
                        vec![
                            Event::Introduced("0".into()),
                            Event::Fixed(version.to_string()),
                        ],
                    )
                };
                let adv = by_id.entry(id.clone()).or_insert_with(|| Advisory {
                    id: id.clone(),
                    origin: "alpine-secdb".into(),
                    ..Advisory::default()
                });
                for a in aliases {
                    if !adv.aliases.contains(&a) {
                        adv.aliases.push(a);
                    }
                }
                adv.affected.push(Affected {
                    ecosystem_key: key.clone(),
                    package: name.clone(),
                    scheme: RangeScheme::Ecosystem,
                    events,
                    versions: Vec::new(),
                    status,
                    severity: None,
                });
            }
        }
    }
    Ok(by_id.into_values().collect())
}
