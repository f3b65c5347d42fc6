//! Fix advice: per package, the lowest version that fixes every fixable finding; ordered so
//! the upgrade clearing the most critical, then high, then total findings comes first.

use kura_types::{Finding, FixAdvice, Severity};
use kura_version::{Scheme, Version};
use std::collections::BTreeMap;

/// Build advice from findings (one entry per package with at least one fixed version).
pub fn fix_advice(findings: &[Finding]) -> Vec<FixAdvice> {
    let mut by_pkg: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in findings.iter().filter(|f| f.suppressed.is_none()) {
        by_pkg.entry(&f.package_key).or_default().push(f);
    }
    let mut out = Vec::new();
    for list in by_pkg.values() {
        let Some(first) = list.first() else { continue };
        let scheme = Scheme::for_ecosystem(first.ecosystem);
        let mut best: Option<(Version, &str)> = None;
        let mut clears = 0;
        let mut critical = 0;
        let mut high = 0;
        for f in list {
            let Some(fv) = f.fixed_version.as_deref() else {
                continue;
            };
            let Ok(v) = Version::parse(scheme, fv) else {
                continue;
            };
            clears += 1;
            critical += usize::from(f.severity == Severity::Critical);
            high += usize::from(f.severity == Severity::High);
            if best.as_ref().is_none_or(|(b, _)| v > *b) {
                best = Some((v, fv));
            }
        }
        if let Some((_, fixed)) = best {
            out.push(FixAdvice {
                package_name: first.package_name.clone(),
                ecosystem: first.ecosystem,
                installed_version: first.installed_version.clone(),
                fixed_version: fixed.to_string(),
                clears,
                clears_critical: critical,
                clears_high: high,
            });
        }
    }
    out.sort_by(|a, b| {
        (b.clears_critical, b.clears_high, b.clears)
            .cmp(&(a.clears_critical, a.clears_high, a.clears))
            .then_with(|| a.package_name.cmp(&b.package_name))
    });
    out
}

/// One line of advice: `upgrade X to Y: clears N findings (k critical)`.
pub fn describe(a: &FixAdvice) -> String {
    let noun = if a.clears == 1 { "finding" } else { "findings" };
    let mut s = format!(
        "upgrade {} {} to {}: clears {} {noun}",
        a.package_name, a.installed_version, a.fixed_version, a.clears
    );
    match (a.clears_critical, a.clears_high) {
        (0, 0) => {}
        (c, 0) => s.push_str(&format!(" ({c} critical)")),
        (0, h) => s.push_str(&format!(" ({h} high)")),
        (c, h) => s.push_str(&format!(" ({c} critical, {h} high)")),
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use kura_types::{Ecosystem, FixState, Location};

    fn f(pkg: &str, id: &str, fixed: Option<&str>, sev: Severity) -> Finding {
        Finding {
            id: id.into(),
            aliases: vec![],
            package_key: format!("pkg:pypi/{pkg}"),
            package_name: pkg.into(),
            installed_version: "1.0".into(),
            ecosystem: Ecosystem::PyPI,
            purl: format!("pkg:pypi/{pkg}@1.0"),
            fixed_version: fixed.map(str::to_string),
            fix_state: if fixed.is_some() {
                FixState::Fixed
            } else {
                FixState::Unfixed
            },
            severity: sev,
            severity_source: None,
            ratings: vec![],
            title: None,
            description: None,
            references: vec![],
            sources: vec![],
            published: None,
            location: Location::default(),
            in_base_layer: false,
            layer_created_by: None,
            suppressed: None,
        }
    }

    #[test]
    fn advice_takes_highest_fix_by_version_order_and_counts_severities() {
        let findings = vec![
            f("a", "CVE-1", Some("1.10"), Severity::Critical),
            f("a", "CVE-2", Some("1.9"), Severity::High),
            f("a", "CVE-3", None, Severity::Critical),
            f("b", "CVE-4", Some("2.0"), Severity::Low),
            f("b", "CVE-5", Some("2.1"), Severity::Low),
            f("b", "CVE-6", Some("2.0.1"), Severity::Low),
        ];
        let adv = fix_advice(&findings);
        assert_eq!(adv.len(), 2);
        // 1.10 > 1.9 under PEP 440 although not as strings.
        assert_eq!(adv[0].package_name, "a");
        assert_eq!(adv[0].fixed_version, "1.10");
        assert_eq!(
            (adv[0].clears, adv[0].clears_critical, adv[0].clears_high),
            (2, 1, 1)
        );
        assert_eq!(adv[1].fixed_version, "2.1");
        assert_eq!(adv[1].clears, 3);
        assert_eq!(
            describe(&adv[0]),
            "upgrade a 1.0 to 1.10: clears 2 findings (1 critical, 1 high)"
        );
    }

    #[test]
    fn package_with_only_unfixed_findings_gets_no_advice() {
        let adv = fix_advice(&[f("a", "CVE-1", None, Severity::High)]);
        assert!(adv.is_empty());
    }
}
