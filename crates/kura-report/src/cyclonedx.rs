//! CycloneDX 1.6 JSON (`bom-1.6.schema.json`).
//!
//! Layout: `metadata.component` is the scanned target (an image is `type: container` with its
//! `pkg:oci` purl), the distro is an `operating-system` component, every package is a `library`
//! component whose `bom-ref` is [`kura_types::Package::key`] (made unique), and for reports
//! `vulnerabilities[]` group findings by ID with `affects[].ref` pointing at those bom-refs.
//! `dependencies` is omitted: kura does not resolve the dependency graph.

use crate::license::{LicenseKind, classify_license};
use crate::{RenderOptions, ReportError, util};
use kura_types::{Ecosystem, Finding, Inventory, Package, Rating, ScanReport, Severity};
use serde_json::{Value, json};
use std::collections::BTreeMap;

const SCHEMA: &str = "http://cyclonedx.org/schema/bom-1.6.schema.json";

/// An SBOM of the inventory.
pub fn inventory(inv: &Inventory, opts: &RenderOptions) -> Result<Value, ReportError> {
    bom(inv, opts, None)
}

/// An SBOM of the report's inventory plus its `vulnerabilities`.
pub fn report(report: &ScanReport, opts: &RenderOptions) -> Result<Value, ReportError> {
    bom(&report.inventory, opts, Some(&report.findings))
}

fn bom(
    inv: &Inventory,
    opts: &RenderOptions,
    findings: Option<&[Finding]>,
) -> Result<Value, ReportError> {
    let timestamp = util::utc_timestamp(&opts.now)?;
    let refs = util::package_refs(inv);
    let mut components: Vec<Value> = Vec::with_capacity(inv.packages.len() + 1);
    if let Some(os) = &inv.os {
        let mut c = json!({
            "type": "operating-system",
            "bom-ref": os_ref(inv),
            "name": os.id,
            "version": os.version,
        });
        if let Some(p) = &os.pretty_name {
            c["description"] = p.clone().into();
        }
        let mut props = vec![("kura:os:release", os.release.clone())];
        if let Some(cn) = &os.codename {
            props.push(("kura:os:codename", cn.clone()));
        }
        if let Some(eol) = &os.eol {
            props.push(("kura:os:eol", eol.clone()));
            props.push(("kura:os:eol_reached", os.eol_reached.to_string()));
        }
        if !os.source_path.is_empty() {
            props.push(("kura:source:path", os.source_path.clone()));
        }
        c["properties"] = properties(&props);
        components.push(c);
    }
    for (p, r) in inv.packages.iter().zip(&refs) {
        components.push(component(p, r, inv));
    }
    let mut doc = json!({
        "$schema": SCHEMA,
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        // A serial number identifies one BOM instance (CycloneDX 1.6 `serialNumber`): derived
        // from the target, the tool version and the time, so reruns at another time differ.
        "serialNumber": format!(
            "urn:uuid:{}",
            util::uuid_from(&[
                util::target_digest(&inv.target).unwrap_or(&inv.target.name),
                &opts.kura_version,
                &timestamp,
                if findings.is_some() { "report" } else { "sbom" },
            ])
        ),
        "version": 1,
        "metadata": {
            "timestamp": timestamp,
            "tools": { "components": [ {
                "type": "application",
                "name": "kura",
                "version": opts.kura_version,
            } ] },
            "component": target_component(inv),
        },
        "components": components,
    });
    if let Some(findings) = findings {
        let by_key = util::ref_by_key(inv, &refs);
        doc["vulnerabilities"] = Value::Array(vulnerabilities(findings, &by_key));
    }
    Ok(doc)
}

fn os_ref(inv: &Inventory) -> String {
    inv.os
        .as_ref()
        .map(|os| format!("os:{}@{}", os.id, os.version))
        .unwrap_or_default()
}

fn target_component(inv: &Inventory) -> Value {
    let t = &inv.target;
    let ty = if util::is_image(t) {
        "container"
    } else if t.kind == "rootfs" {
        "operating-system"
    } else {
        "application"
    };
    let mut c = json!({
        "type": ty,
        "bom-ref": format!("target:{}", util::target_digest(t).unwrap_or(&t.name)),
        "name": if t.name.is_empty() { "unknown" } else { t.name.as_str() },
    });
    if let Some(d) = util::target_digest(t) {
        c["version"] = d.into();
    }
    if let Some(purl) = util::oci_purl(t) {
        c["purl"] = purl.into();
    }
    let mut props = vec![("kura:target:kind", t.kind.clone())];
    for (k, v) in [
        ("kura:image:manifest_digest", &t.manifest_digest),
        ("kura:image:config_digest", &t.config_digest),
        ("kura:image:platform", &t.platform),
        ("kura:image:base_image", &t.base_image),
    ] {
        if let Some(v) = v {
            props.push((k, v.clone()));
        }
    }
    for tag in &t.tags {
        props.push(("kura:image:tag", tag.clone()));
    }
    for l in &inv.layers {
        props.push(("kura:image:layer", format!("{}:{}", l.index, l.diff_id)));
    }
    c["properties"] = properties(&props);
    c
}

fn component(p: &Package, bom_ref: &str, inv: &Inventory) -> Value {
    let (group, name) = group_and_name(p);
    let mut c = json!({
        "type": "library",
        "bom-ref": bom_ref,
        "name": name,
        "version": p.version,
    });
    if let Some(g) = group {
        c["group"] = g.into();
    }
    if !p.purl.is_empty() {
        c["purl"] = p.purl.clone().into();
    }
    if let Some(l) = licenses(&p.licenses) {
        c["licenses"] = l;
    }
    c["properties"] = properties(&util::package_properties(p, inv));
    c
}

/// CycloneDX puts a Maven groupId and an npm scope in `group` (CycloneDX 1.6 `component.group`).
fn group_and_name(p: &Package) -> (Option<&str>, &str) {
    match p.ecosystem {
        Ecosystem::Maven => match p.name.split_once(':') {
            Some((g, a)) if !g.is_empty() && !a.is_empty() => (Some(g), a),
            _ => (None, &p.name),
        },
        Ecosystem::Npm if p.name.starts_with('@') => match p.name.split_once('/') {
            Some((g, n)) if !n.is_empty() => (Some(g), n),
            _ => (None, &p.name),
        },
        _ => (None, &p.name),
    }
}

/// `licenses` is either a list of `{license}` objects or exactly one `{expression}`
/// (CycloneDX 1.6 `licenseChoice`, a `oneOf`). Several declared strings that are all valid SPDX
/// become one `AND` expression; if any is free text, each becomes a `license` with id or name.
fn licenses(declared: &[String]) -> Option<Value> {
    let kinds: Vec<LicenseKind> = declared
        .iter()
        .map(|l| classify_license(l))
        .filter(|k| !matches!(k, LicenseKind::Name(n) if n.is_empty()))
        .collect();
    if kinds.is_empty() {
        return None;
    }
    let has_expression = kinds
        .iter()
        .any(|k| matches!(k, LicenseKind::Expression(_)));
    let has_name = kinds.iter().any(|k| matches!(k, LicenseKind::Name(_)));
    if has_expression && !has_name {
        let parts: Vec<String> = kinds
            .iter()
            .map(|k| match k {
                LicenseKind::Id(s) => s.clone(),
                LicenseKind::Expression(s) | LicenseKind::Name(s)
                    if kinds.len() > 1 && s.contains(char::is_whitespace) =>
                {
                    format!("({s})")
                }
                LicenseKind::Expression(s) | LicenseKind::Name(s) => s.clone(),
            })
            .collect();
        return Some(json!([{ "expression": parts.join(" AND ") }]));
    }
    let items = kinds
        .into_iter()
        .map(|k| match k {
            LicenseKind::Id(id) => json!({ "license": { "id": id } }),
            LicenseKind::Expression(s) | LicenseKind::Name(s) => {
                json!({ "license": { "name": s } })
            }
        })
        .collect();
    Some(Value::Array(items))
}

fn properties(props: &[(&str, String)]) -> Value {
    props
        .iter()
        .map(|(k, v)| json!({ "name": k, "value": v }))
        .collect()
}

/// Findings grouped by vulnerability ID and suppression: every package a vulnerability affects
/// is one `affects` entry; findings of the same ID with different VEX outcomes become separate
/// entries because `analysis` applies to the whole vulnerability object.
fn vulnerabilities(
    findings: &[Finding],
    by_key: &std::collections::HashMap<String, &str>,
) -> Vec<Value> {
    let mut groups: BTreeMap<(String, String), Vec<&Finding>> = BTreeMap::new();
    let mut order: Vec<(String, String)> = Vec::new();
    for f in findings {
        let supp = f
            .suppressed
            .as_ref()
            .map(|s| {
                format!(
                    "{}|{}|{}",
                    s.kind,
                    s.status.as_deref().unwrap_or(""),
                    s.reason.as_deref().unwrap_or("")
                )
            })
            .unwrap_or_default();
        let k = (f.id.clone(), supp);
        if !groups.contains_key(&k) {
            order.push(k.clone());
        }
        groups.entry(k).or_default().push(f);
    }
    let mut seen_ids: BTreeMap<&str, usize> = BTreeMap::new();
    let mut out = Vec::with_capacity(order.len());
    for k in &order {
        let Some(group) = groups.get(k) else { continue };
        let n = seen_ids.entry(k.0.as_str()).or_insert(0);
        *n += 1;
        let bom_ref = if *n == 1 {
            format!("vuln:{}", k.0)
        } else {
            format!("vuln:{}#{}", k.0, n)
        };
        out.push(vulnerability(group, bom_ref, by_key));
    }
    out
}

fn vulnerability(
    group: &[&Finding],
    bom_ref: String,
    by_key: &std::collections::HashMap<String, &str>,
) -> Value {
    let Some(first) = group.first() else {
        return Value::Null;
    };
    let mut v = json!({ "bom-ref": bom_ref, "id": first.id });
    if let Some(src) = source_for(&first.id) {
        v["source"] = src;
    }
    let aliases: Vec<Value> = first
        .aliases
        .iter()
        .filter(|a| **a != first.id)
        .map(|a| {
            let mut r = json!({ "id": a });
            r["source"] = source_for(a).unwrap_or_else(|| json!({ "name": id_prefix(a) }));
            r
        })
        .collect();
    if !aliases.is_empty() {
        // CycloneDX `references` are other identifiers of the same vulnerability.
        v["references"] = Value::Array(aliases);
    }
    let ratings = ratings(first);
    if !ratings.is_empty() {
        v["ratings"] = Value::Array(ratings);
    }
    // CycloneDX `description` is the summary, `detail` the in-depth text.
    match (&first.title, &first.description) {
        (Some(t), Some(d)) => {
            v["description"] = t.clone().into();
            v["detail"] = d.clone().into();
        }
        (Some(x), None) | (None, Some(x)) => v["description"] = x.clone().into(),
        (None, None) => {}
    }
    let advisories: Vec<Value> = first
        .references
        .iter()
        .filter(|u| util::is_web_url(u))
        .map(|u| json!({ "url": u }))
        .collect();
    if !advisories.is_empty() {
        v["advisories"] = Value::Array(advisories);
    }
    if let Some(p) = util::optional_timestamp(first.published.as_deref()) {
        v["published"] = p.into();
    }
    let recs: Vec<String> = group
        .iter()
        .map(|f| match (&f.fixed_version, f.fix_state) {
            (Some(fixed), _) => format!(
                "Upgrade {} from {} to {}.",
                f.package_name, f.installed_version, fixed
            ),
            (None, kura_types::FixState::WontFix) => format!(
                "{} {}: the vendor will not fix this.",
                f.package_name, f.installed_version
            ),
            (None, _) => format!(
                "{} {}: no fixed version yet.",
                f.package_name, f.installed_version
            ),
        })
        .collect();
    v["recommendation"] = recs.join(" ").into();
    v["affects"] = group
        .iter()
        .map(|f| {
            let r = by_key
                .get(&f.package_key)
                .copied()
                .unwrap_or(f.package_key.as_str());
            let mut versions =
                vec![json!({ "version": f.installed_version, "status": "affected" })];
            if let Some(fixed) = &f.fixed_version {
                versions.push(json!({ "version": fixed, "status": "unaffected" }));
            }
            json!({ "ref": r, "versions": versions })
        })
        .collect();
    if let Some(s) = &first.suppressed {
        v["analysis"] = analysis(s);
    }
    let mut props =
        vec![json!({ "name": "kura:finding:fix_state", "value": fix_state(first.fix_state) })];
    for s in &first.sources {
        props.push(json!({ "name": "kura:finding:source", "value": s }));
    }
    v["properties"] = Value::Array(props);
    v
}

fn fix_state(s: kura_types::FixState) -> &'static str {
    match s {
        kura_types::FixState::Fixed => "fixed",
        kura_types::FixState::Unfixed => "unfixed",
        kura_types::FixState::WontFix => "wont-fix",
    }
}

fn id_prefix(id: &str) -> String {
    id.split(['-', ':']).next().unwrap_or(id).to_string()
}

/// The database an ID belongs to, named as CycloneDX `vulnerabilitySource` expects.
fn source_for(id: &str) -> Option<Value> {
    let prefix = id_prefix(id);
    let (name, url) = match prefix.as_str() {
        "CVE" => ("NVD", format!("https://nvd.nist.gov/vuln/detail/{id}")),
        "GHSA" => ("GitHub", format!("https://github.com/advisories/{id}")),
        "GO" => ("Go", format!("https://pkg.go.dev/vuln/{id}")),
        "RUSTSEC" => ("RustSec", format!("https://rustsec.org/advisories/{id}")),
        "PYSEC" | "OSV" => ("OSV", format!("https://osv.dev/vulnerability/{id}")),
        _ => return None,
    };
    Some(json!({ "name": name, "url": url }))
}

fn ratings(f: &Finding) -> Vec<Value> {
    let mut out: Vec<Value> = f.ratings.iter().map(rating).collect();
    if out.is_empty() && f.severity != Severity::Unknown {
        let mut r = json!({ "severity": severity(f.severity), "method": "other" });
        if let Some(src) = &f.severity_source {
            r["source"] = json!({ "name": src });
        }
        out.push(r);
    }
    out
}

fn rating(r: &Rating) -> Value {
    let mut v = json!({
        "source": { "name": r.source },
        "severity": severity(r.severity),
        "method": method(&r.method),
    });
    if let Some(s) = r.score.filter(|s| s.is_finite()) {
        v["score"] = json!(s);
    }
    if let Some(vec) = &r.vector {
        v["vector"] = vec.clone().into();
    }
    v
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Unknown => "unknown",
        Severity::Low => "low",
        Severity::Medium => "medium",
        Severity::High => "high",
        Severity::Critical => "critical",
    }
}

/// CycloneDX 1.6 `scoreMethod` is a closed enum; anything else is `other`.
fn method(m: &str) -> &'static str {
    match m {
        "CVSSv2" => "CVSSv2",
        "CVSSv3" => "CVSSv3",
        "CVSSv31" => "CVSSv31",
        "CVSSv4" => "CVSSv4",
        "OWASP" => "OWASP",
        "SSVC" => "SSVC",
        _ => "other",
    }
}

/// VEX analysis (CycloneDX 1.6 `vulnerability.analysis`). An ignore-file entry records a team
/// decision without saying whether the code is affected, so it gets only `detail`, no `state`.
fn analysis(s: &kura_types::Suppression) -> Value {
    let mut a = serde_json::Map::new();
    let from = s.source.as_deref().unwrap_or(&s.kind);
    if s.kind == "vex" {
        match s.status.as_deref() {
            Some("not_affected") => {
                a.insert("state".into(), "not_affected".into());
                if let Some(j) = s.reason.as_deref().and_then(justification) {
                    a.insert("justification".into(), j.into());
                }
            }
            Some("fixed") => {
                a.insert("state".into(), "resolved".into());
            }
            _ => {}
        }
    }
    let detail = match &s.reason {
        Some(r) => format!("suppressed by {from}: {r}"),
        None => format!("suppressed by {from}"),
    };
    a.insert("detail".into(), detail.into());
    Value::Object(a)
}

/// OpenVEX justifications mapped to CycloneDX `impactAnalysisJustification`, following the
/// correspondence in CISA's "Minimum Requirements for VEX" (2023), table of justifications.
fn justification(reason: &str) -> Option<&'static str> {
    let j = reason.split([':', ' ']).next().unwrap_or(reason);
    Some(match j {
        "component_not_present" | "vulnerable_code_not_present" => "code_not_present",
        "vulnerable_code_not_in_execute_path" => "code_not_reachable",
        "vulnerable_code_cannot_be_controlled_by_adversary" => "requires_environment",
        "inline_mitigations_already_exist" => "protected_by_mitigating_control",
        _ => return None,
    })
}
