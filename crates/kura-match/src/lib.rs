//! Match an inventory against the vulnerability database; merge aliases; fix advice.
//!
//! For each package: pick the DB keys its ecosystem and the image's OS select (Alpine by branch,
//! Debian/Ubuntu by release, by source package), evaluate every affected entry with the
//! ecosystem's version ordering ([`range`]), merge advisories that share an ID or alias into one
//! finding, rate it (CVSS computed from vectors, distro severity kept), then derive per-package
//! upgrade advice.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let db = kura_vulndb::VulnDb::open(&kura_vulndb::default_db_path())?;
//! let inv = kura_types::Inventory::default();
//! let result = kura_match::match_inventory(&db, &inv, &kura_match::MatchOptions::default())?;
//! for f in &result.findings {
//!     println!("{} {} {}", f.id, f.package_name, f.installed_version);
//! }
//! # Ok(()) }
//! ```

pub mod advice;
pub mod keys;
pub mod range;
mod severity;

use kura_types::{Finding, FixAdvice, FixState, Inventory, Package, Severity};
use kura_version::{Scheme, Version};
use kura_vulndb::{AffectedStatus, StoredAdvisory, VulnDb, VulnDbError};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

/// Matching options.
#[derive(Debug, Clone, Default)]
pub struct MatchOptions {
    /// Drop findings without a fixed version (unfixed and won't-fix).
    pub ignore_unfixed: bool,
}

/// Findings and advice for one inventory.
#[derive(Debug, Clone, Default)]
pub struct MatchResult {
    /// Findings, highest severity first, then package, then ID.
    pub findings: Vec<Finding>,
    /// Upgrades, most effective first.
    pub fixes: Vec<FixAdvice>,
    /// Packages or advisories that could not be evaluated (unparseable versions).
    pub warnings: Vec<String>,
}

/// Why matching failed.
#[derive(Debug, thiserror::Error)]
pub enum MatchError {
    /// Reading the DB failed (it is corrupt or unreadable); no partial result is returned.
    #[error(transparent)]
    Db(#[from] VulnDbError),
}

/// One advisory that matched a package, before alias merging.
struct HitRec {
    adv: Rc<StoredAdvisory>,
    eco_key: String,
    status: AffectedStatus,
    fixed: Option<String>,
    row_severity: Option<String>,
}

/// Match every package of `inv`.
pub fn match_inventory(
    db: &VulnDb,
    inv: &Inventory,
    opts: &MatchOptions,
) -> Result<MatchResult, MatchError> {
    let mut cache: HashMap<i64, Rc<StoredAdvisory>> = HashMap::new();
    let mut out = MatchResult::default();
    for pkg in &inv.packages {
        let findings = match_package(db, inv, pkg, &mut cache, &mut out.warnings)?;
        out.findings.extend(
            findings
                .into_iter()
                .filter(|f| !opts.ignore_unfixed || f.fix_state == FixState::Fixed),
        );
    }
    out.findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.package_name.cmp(&b.package_name))
            .then_with(|| a.installed_version.cmp(&b.installed_version))
            .then_with(|| a.id.cmp(&b.id))
            .then_with(|| a.package_key.cmp(&b.package_key))
    });
    out.fixes = advice::fix_advice(&out.findings);
    Ok(out)
}

fn match_package(
    db: &VulnDb,
    inv: &Inventory,
    pkg: &Package,
    cache: &mut HashMap<i64, Rc<StoredAdvisory>>,
    warnings: &mut Vec<String>,
) -> Result<Vec<Finding>, MatchError> {
    let lookups = keys::lookups(inv, pkg);
    if lookups.is_empty() {
        return Ok(Vec::new());
    }
    let scheme = keys::scheme(pkg);
    let version_text = keys::match_version(pkg);
    let installed = match Version::parse(scheme, &version_text) {
        Ok(v) => v,
        Err(e) => {
            warnings.push(format!("{}: not matched: {e}", pkg.purl));
            return Ok(Vec::new());
        }
    };
    let mut hits: Vec<HitRec> = Vec::new();
    let mut not_affected: BTreeSet<String> = BTreeSet::new();
    let mut seen_rows = BTreeSet::new();
    for (eco, name) in &lookups {
        for row in db.lookup(eco, name)? {
            // Evaluate first: only advisories that apply are read from the DB.
            let fixed = if row.affected.status == AffectedStatus::NotAffected {
                None
            } else {
                match range::evaluate_row(&row, scheme, &installed) {
                    Ok(range::Hit::Affected { fixed }) => Some(fixed),
                    Ok(range::Hit::Miss) => continue,
                    Err(range::RangeError(msg)) => {
                        let adv = load(db, cache, row.advisory)?;
                        warnings.push(format!(
                            "{}: advisory {} not evaluated: {msg}",
                            pkg.purl, adv.advisory.id
                        ));
                        continue;
                    }
                }
            };
            let adv = load(db, cache, row.advisory)?;
            let Some(fixed) = fixed else {
                not_affected.insert(adv.advisory.id.clone());
                not_affected.extend(adv.advisory.aliases.iter().cloned());
                continue;
            };
            // The same advisory may list a package twice (binary and source name equal).
            if !seen_rows.insert((row.advisory, fixed.clone(), row.affected.status.as_str())) {
                continue;
            }
            hits.push(HitRec {
                adv,
                eco_key: eco.clone(),
                status: row.affected.status,
                fixed,
                row_severity: row.affected.severity.clone(),
            });
        }
    }
    Ok(merge(inv, pkg, scheme, hits, &not_affected))
}

fn load(
    db: &VulnDb,
    cache: &mut HashMap<i64, Rc<StoredAdvisory>>,
    rid: i64,
) -> Result<Rc<StoredAdvisory>, MatchError> {
    if let Some(a) = cache.get(&rid) {
        return Ok(a.clone());
    }
    let a = Rc::new(db.advisory(rid)?);
    cache.insert(rid, a.clone());
    Ok(a)
}

/// Union advisories sharing any ID or alias; one finding per group.
fn merge(
    inv: &Inventory,
    pkg: &Package,
    scheme: Scheme,
    hits: Vec<HitRec>,
    not_affected: &BTreeSet<String>,
) -> Vec<Finding> {
    let mut parent: Vec<usize> = (0..hits.len()).collect();
    fn find(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    let mut owner: HashMap<&str, usize> = HashMap::new();
    for (i, h) in hits.iter().enumerate() {
        let a = &h.adv.advisory;
        for id in std::iter::once(&a.id).chain(&a.aliases) {
            match owner.get(id.as_str()) {
                Some(&j) => {
                    let (ri, rj) = (find(&mut parent, i), find(&mut parent, j));
                    parent[ri] = rj;
                }
                None => {
                    owner.insert(id, i);
                }
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<&HitRec>> = BTreeMap::new();
    for (i, h) in hits.iter().enumerate() {
        let r = find(&mut parent, i);
        groups.entry(r).or_default().push(h);
    }
    groups
        .into_values()
        .filter_map(|g| finding(inv, pkg, scheme, &g, not_affected))
        .collect()
}

/// Sort key for the primary ID: a CVE first (oldest), then GHSA, then the rest by name.
fn id_rank(id: &str) -> (u8, u64, u64, String) {
    let mut parts = id.split('-');
    let prefix = parts.next().unwrap_or("");
    let num = |p: Option<&str>| p.and_then(|s| s.parse::<u64>().ok()).unwrap_or(u64::MAX);
    match prefix {
        "CVE" => (0, num(parts.next()), num(parts.next()), id.to_string()),
        "GHSA" => (1, 0, 0, id.to_string()),
        _ => (2, 0, 0, id.to_string()),
    }
}

fn finding(
    inv: &Inventory,
    pkg: &Package,
    scheme: Scheme,
    group: &[&HitRec],
    not_affected: &BTreeSet<String>,
) -> Option<Finding> {
    let mut ids: BTreeSet<&str> = BTreeSet::new();
    for h in group {
        ids.insert(&h.adv.advisory.id);
        ids.extend(h.adv.advisory.aliases.iter().map(String::as_str));
    }
    // A distro's "not affected" statement about any ID of the group suppresses it.
    if ids.iter().any(|id| not_affected.contains(*id)) {
        return None;
    }
    let primary = ids.iter().min_by_key(|id| id_rank(id))?.to_string();
    let aliases: Vec<String> = ids
        .iter()
        .filter(|id| **id != primary)
        .map(|s| s.to_string())
        .collect();
    // Highest fixed version across the group so the advice clears every merged advisory.
    let mut fixed: Option<(Version, String)> = None;
    for f in group.iter().filter_map(|h| h.fixed.as_ref()) {
        if let Ok(v) = Version::parse(scheme, f)
            && fixed.as_ref().is_none_or(|(cur, _)| v > *cur)
        {
            fixed = Some((v, f.clone()));
        }
    }
    let fixed_version = fixed.map(|(_, s)| s);
    let fix_state = if fixed_version.is_some() {
        FixState::Fixed
    } else if group.iter().any(|h| h.status == AffectedStatus::WontFix) {
        FixState::WontFix
    } else {
        FixState::Unfixed
    };
    let rated = severity::rate(group.iter().map(|h| {
        (
            h.adv.as_ref(),
            h.eco_key.as_str(),
            h.row_severity.as_deref(),
        )
    }));
    let first = |f: &dyn Fn(&kura_vulndb::Advisory) -> Option<String>| {
        group.iter().find_map(|h| f(&h.adv.advisory))
    };
    let mut references: Vec<String> = Vec::new();
    let mut seen_refs: std::collections::HashSet<&str> = std::collections::HashSet::new();
    let mut sources: Vec<String> = Vec::new();
    for h in group {
        for r in &h.adv.advisory.references {
            if seen_refs.insert(r) {
                references.push(r.clone());
            }
        }
        let s = source_label(&h.adv.advisory.origin, &h.eco_key);
        if !sources.contains(&s) {
            sources.push(s);
        }
    }
    sources.sort();
    let published = group
        .iter()
        .filter_map(|h| h.adv.advisory.published.clone())
        .min();
    let layer = pkg.location.layer_index.and_then(|i| inv.layers.get(i));
    Some(Finding {
        id: primary,
        aliases,
        package_key: pkg.key(),
        package_name: pkg.name.clone(),
        installed_version: pkg.version.clone(),
        ecosystem: pkg.ecosystem,
        purl: pkg.purl.clone(),
        fixed_version,
        fix_state,
        severity: rated.severity,
        severity_source: rated.source,
        ratings: rated.ratings,
        title: first(&|a| a.summary.clone()),
        description: first(&|a| a.details.clone()),
        references,
        sources,
        published,
        location: pkg.location.clone(),
        in_base_layer: layer.is_some_and(|l| l.base),
        layer_created_by: layer.and_then(|l| l.created_by.clone()),
        suppressed: None,
    })
}

fn source_label(origin: &str, eco_key: &str) -> String {
    if origin == "osv" {
        format!("osv:{eco_key}")
    } else {
        origin.to_string()
    }
}

/// Count findings by severity (for summaries).
pub fn count_by_severity(findings: &[Finding]) -> BTreeMap<Severity, usize> {
    let mut m = BTreeMap::new();
    for f in findings {
        *m.entry(f.severity).or_insert(0) += 1;
    }
    m
}
