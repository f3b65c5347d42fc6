//! SARIF 2.1.0 (OASIS, errata 01), shaped for code-scanning UIs.
//!
//! One `reportingDescriptor` (rule) per vulnerability ID and one `result` per finding.
//! `properties.security-severity` on each rule is the number code-scanning UIs rank by; results
//! carry `partialFingerprints` so an upload of the same finding updates rather than duplicates.

use crate::{RenderOptions, util};
use kura_types::{Finding, FixState, ScanReport, Severity};
use serde_json::{Value, json};
use std::collections::BTreeMap;

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The SARIF log for a report.
pub fn log(report: &ScanReport, opts: &RenderOptions) -> Value {
    let mut rule_index: BTreeMap<&str, usize> = BTreeMap::new();
    let mut rule_findings: Vec<Vec<&Finding>> = Vec::new();
    for f in &report.findings {
        let i = *rule_index.entry(f.id.as_str()).or_insert_with(|| {
            rule_findings.push(Vec::new());
            rule_findings.len() - 1
        });
        if let Some(v) = rule_findings.get_mut(i) {
            v.push(f);
        }
    }
    let rules: Vec<Value> = rule_findings.iter().map(|fs| rule(fs)).collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| result(f, rule_index.get(f.id.as_str()).copied().unwrap_or(0)))
        .collect();
    let mut driver = json!({ "name": "kura", "version": opts.kura_version, "rules": rules });
    if is_semver(&opts.kura_version) {
        driver["semanticVersion"] = opts.kura_version.clone().into();
    }
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [ {
            "tool": { "driver": driver },
            "results": results,
            "columnKind": "unicodeCodePoints",
            "properties": { "target": report.inventory.target.name },
        } ],
    })
}

/// SARIF 2.1.0 §3.19.3 wants `semanticVersion` in Semantic Versioning 2.0.0 form.
fn is_semver(v: &str) -> bool {
    let core = v.split(['-', '+']).next().unwrap_or(v);
    core.split('.').count() == 3
        && core
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// The score code-scanning ranks by: the highest CVSS score among the ratings that agree with
/// the finding's severity, so a result's `level` and its rank never contradict each other;
/// without such a score, a value inside the severity's CVSS band (CVSS v3.1 §5).
fn security_severity(f: &Finding) -> f64 {
    let agreeing = f
        .ratings
        .iter()
        .filter_map(|r| {
            r.score
                .filter(|s| s.is_finite() && Severity::from_score(*s) == f.severity)
        })
        .fold(None, |acc: Option<f64>, s| {
            Some(acc.map_or(s, |a| a.max(s)))
        });
    agreeing.unwrap_or(match f.severity {
        Severity::Critical => 9.5,
        Severity::High => 8.0,
        Severity::Medium => 5.5,
        Severity::Low => 2.0,
        Severity::Unknown => 0.0,
    })
}

fn rule(findings: &[&Finding]) -> Value {
    let Some(worst) = findings.iter().max_by(|a, b| {
        a.severity
            .cmp(&b.severity)
            .then(security_severity(a).total_cmp(&security_severity(b)))
    }) else {
        return Value::Null;
    };
    let title = worst.title.clone().unwrap_or_else(|| worst.id.clone());
    let full = worst.description.clone().unwrap_or_else(|| title.clone());
    let mut help_md = format!(
        "**Vulnerability {}**\n\n| Severity | Package | Installed | Fixed |\n| --- | --- | --- | --- |\n",
        worst.id
    );
    for f in findings {
        help_md.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            f.severity,
            md_cell(&f.package_name),
            md_cell(&f.installed_version),
            md_cell(f.fixed_version.as_deref().unwrap_or("none")),
        ));
    }
    help_md.push('\n');
    help_md.push_str(&md_cell(&full));
    let links: Vec<&String> = worst
        .references
        .iter()
        .filter(|u| util::is_web_url(u))
        .collect();
    for u in &links {
        help_md.push_str(&format!("\n- <{u}>"));
    }
    let mut tags = vec![
        "vulnerability".to_string(),
        "security".to_string(),
        worst.severity.to_string(),
    ];
    tags.extend(worst.aliases.iter().cloned());
    let mut r = json!({
        "id": worst.id,
        "shortDescription": { "text": title },
        "fullDescription": { "text": full },
        "help": {
            "text": format!("{}: {}\nPackages: {}", worst.id, full, findings.iter().map(|f| format!("{} {}", f.package_name, f.installed_version)).collect::<Vec<_>>().join(", ")),
            "markdown": help_md,
        },
        "defaultConfiguration": { "level": level(worst.severity) },
        "properties": {
            "security-severity": format!("{:.1}", security_severity(worst)),
            "precision": "very-high",
            "tags": tags,
        },
    });
    if let Some(u) = links.first() {
        r["helpUri"] = (*u).clone().into();
    }
    r
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// GitHub code scanning shows `error` as high, `warning` as medium, `note` as low.
fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Unknown => "note",
    }
}

fn result(f: &Finding, rule_index: usize) -> Value {
    let fix = match (&f.fixed_version, f.fix_state) {
        (Some(v), _) => format!("{} → {}", f.installed_version, v),
        (None, FixState::WontFix) => format!("{} (the vendor will not fix)", f.installed_version),
        (None, _) => format!("{} (no fix yet)", f.installed_version),
    };
    let title = f
        .title
        .as_deref()
        .map(|t| format!(": {t}"))
        .unwrap_or_default();
    let message = format!(
        "{} {} in package {} {}{}",
        f.severity, f.id, f.package_name, fix, title
    );
    // An image has no source tree, so the location is the package database or manifest that
    // declared the package (`var/lib/dpkg/status`, `app/package-lock.json`), relative so
    // code-scanning UIs accept it (they reject absolute and `file:` URIs outside the repository).
    // The line is unknown; line 1 is given because code-scanning UIs drop results without a
    // region.
    let path = f.location.path.trim_start_matches('/');
    let path = if path.is_empty() {
        f.package_name.as_str()
    } else {
        path
    };
    let mut r = json!({
        "ruleId": f.id,
        "ruleIndex": rule_index,
        "level": level(f.severity),
        "message": { "text": message },
        "locations": [ {
            "physicalLocation": {
                "artifactLocation": { "uri": util::encode_uri_path(path) },
                "region": { "startLine": 1 },
            },
            "logicalLocations": [ {
                "name": f.package_name,
                "fullyQualifiedName": f.purl,
                "kind": "package",
            } ],
        } ],
        "partialFingerprints": {
            "kuraFinding/v1": util::sha256_hex(&[&f.id, &f.package_key]),
        },
        "properties": {
            "packageName": f.package_name,
            "installedVersion": f.installed_version,
            "purl": f.purl,
            "fixState": match f.fix_state {
                FixState::Fixed => "fixed",
                FixState::Unfixed => "unfixed",
                FixState::WontFix => "wont-fix",
            },
        },
    });
    if let Some(v) = &f.fixed_version {
        r["properties"]["fixedVersion"] = v.clone().into();
    }
    if let Some(d) = &f.location.layer_diff_id {
        r["properties"]["layerDiffId"] = d.clone().into();
    }
    if let Some(c) = &f.layer_created_by {
        r["properties"]["layerCreatedBy"] = c.clone().into();
    }
    if let Some(s) = &f.suppressed {
        let mut sup = json!({ "kind": "external", "status": "accepted" });
        let why = match (&s.status, &s.reason) {
            (Some(st), Some(re)) => Some(format!("{st}: {re}")),
            (Some(x), None) | (None, Some(x)) => Some(x.clone()),
            (None, None) => None,
        };
        if let Some(j) = why {
            sup["justification"] = j.into();
        }
        if let Some(src) = &s.source {
            sup["properties"] = json!({ "source": src, "kind": s.kind });
        }
        r["suppressions"] = json!([sup]);
    }
    r
}
