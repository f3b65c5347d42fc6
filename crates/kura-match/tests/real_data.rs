//! Real advisory data (`../shared/vulndata`: PyPA, Go, RustSec, Alpine secdb): import all of it,
//! match pinned old versions, and check findings against hand-picked advisories.
//! Runs when the directory exists; required under CI=true.

mod common;

use common::{inventory, os, pkg, with_source};
use kura_match::{MatchOptions, MatchResult, match_inventory};
use kura_types::{Ecosystem, Finding, FixState, Inventory, Severity};
use kura_vulndb::{ImportOptions, VulnDb, import_paths};
use std::path::PathBuf;
use std::sync::OnceLock;

/// A GHSA record in OSV form for the same vulnerability as PyPA's PYSEC-2018-28 (written for
/// this test), to check that advisories from different databases merge into one finding.
const GHSA_REQUESTS: &str = r#"{"id": "GHSA-x84v-xcm2-53pg", "aliases": ["CVE-2018-18074"],
 "summary": "Insufficiently protected credentials in requests",
 "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}],
 "database_specific": {"severity": "HIGH"},
 "affected": [{"package": {"ecosystem": "PyPI", "name": "requests"},
   "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.20.0"}]}]}]}"#;

struct Fixture {
    _dir: tempfile::TempDir,
    db: PathBuf,
}

fn fixture() -> Option<&'static Fixture> {
    static DB: OnceLock<Option<Fixture>> = OnceLock::new();
    DB.get_or_init(|| {
        let shared = kura_testutil::shared_dir()?;
        let v = shared.join("vulndata");
        let dir = tempfile::tempdir().unwrap();
        let extra = dir.path().join("ghsa.json");
        std::fs::write(&extra, GHSA_REQUESTS).unwrap();
        let db = dir.path().join("vuln.db");
        let paths = vec![
            v.join("pypa"),
            v.join("go"),
            v.join("rustsec"),
            v.join("alpine-secdb"),
            extra,
        ];
        let r = import_paths(&db, &paths, &ImportOptions::default()).unwrap();
        // Every advisory file of the snapshot parses; none is silently dropped.
        assert!(
            r.skipped.is_empty(),
            "skipped: {:?}",
            &r.skipped[..r.skipped.len().min(5)]
        );
        assert!(r.advisories > 8000, "{} advisories", r.advisories);
        Some(Fixture { _dir: dir, db })
    })
    .as_ref()
}

fn run(inv: &Inventory) -> Option<MatchResult> {
    let f = fixture()?;
    let db = VulnDb::open(&f.db).unwrap();
    Some(match_inventory(&db, inv, &MatchOptions::default()).unwrap())
}

fn find<'a>(r: &'a MatchResult, pkg: &str, id: &str) -> &'a Finding {
    r.findings
        .iter()
        .find(|f| f.package_name == pkg && (f.id == id || f.aliases.iter().any(|a| a == id)))
        .unwrap_or_else(|| {
            let have: Vec<_> = r
                .findings
                .iter()
                .filter(|f| f.package_name == pkg)
                .map(|f| &f.id)
                .collect();
            panic!("{pkg}: no {id}; have {have:?}")
        })
}

fn has(r: &MatchResult, pkg: &str, id: &str) -> bool {
    r.findings
        .iter()
        .any(|f| f.package_name == pkg && (f.id == id || f.aliases.iter().any(|a| a == id)))
}

#[test]
fn pinned_old_pypi_packages() {
    let inv = inventory(
        None,
        vec![
            pkg(Ecosystem::PyPI, "requests", "2.19.0"),
            pkg(Ecosystem::PyPI, "Django", "1.11.0"),
            pkg(Ecosystem::PyPI, "Jinja2", "2.10"),
            pkg(Ecosystem::PyPI, "requests-toolbelt", "0.9.1"),
        ],
    );
    let Some(r) = run(&inv) else { return };
    let f = find(&r, "requests", "PYSEC-2018-28");
    assert_eq!(f.id, "CVE-2018-18074", "CVE is the primary ID");
    assert!(f.aliases.contains(&"GHSA-x84v-xcm2-53pg".to_string()));
    assert_eq!(f.fixed_version.as_deref(), Some("2.20.0"));
    let merged = r
        .findings
        .iter()
        .filter(|f| f.package_name == "requests" && f.id == "CVE-2018-18074")
        .count();
    assert_eq!(merged, 1, "PYSEC and GHSA merged into one finding");
    assert_eq!(f.severity, Severity::High);
    let cvss = f
        .ratings
        .iter()
        .find(|r| r.source == "ghsa" && r.score.is_some())
        .unwrap();
    assert_eq!(cvss.score, Some(7.5));
    assert!(f.sources.contains(&"osv:PyPI".to_string()));

    // Django 1.11.0 is hit by many PyPA advisories; CVE-2018-7536 is fixed in 1.11.11.
    let d = find(&r, "Django", "CVE-2018-7536");
    assert_eq!(d.fix_state, FixState::Fixed);
    assert_eq!(d.fixed_version.as_deref(), Some("1.11.11"));
    // PYSEC-2017-9 (CVE-2017-7233) covers 1.8, 1.9 and 1.10 only.
    assert!(!has(&r, "Django", "CVE-2017-7233"));
    assert!(
        r.findings
            .iter()
            .filter(|f| f.package_name == "Django")
            .count()
            > 10
    );
    find(&r, "Jinja2", "CVE-2019-10906");
    assert!(!has(&r, "requests-toolbelt", "CVE-2018-18074"));
    let advice = r.fixes.iter().find(|a| a.package_name == "Django").unwrap();
    assert!(advice.clears > 10);
}

#[test]
fn cargo_lock_with_old_crates() {
    let inv = inventory(
        None,
        vec![
            pkg(Ecosystem::Cargo, "smallvec", "0.6.0"),
            pkg(Ecosystem::Cargo, "time", "0.1.43"),
            pkg(Ecosystem::Cargo, "time", "0.2.3"),
            pkg(Ecosystem::Cargo, "hyper", "0.14.9"),
            pkg(Ecosystem::Cargo, "hyper", "0.14.10"),
        ],
    );
    let Some(r) = run(&inv) else { return };
    let f = find(&r, "smallvec", "RUSTSEC-2018-0003");
    assert_eq!(f.id, "CVE-2018-20991");
    assert_eq!(f.fixed_version.as_deref(), Some("0.6.3"));
    assert_eq!(
        f.severity,
        Severity::Critical,
        "computed from the RustSec CVSS vector"
    );
    let t = find(&r, "time", "RUSTSEC-2020-0071");
    assert_eq!(t.installed_version, "0.1.43");
    assert_eq!(t.fixed_version.as_deref(), Some("0.2.23"));
    assert!(
        !r.findings
            .iter()
            .any(|f| f.installed_version == "0.2.3"
                && f.aliases.contains(&"RUSTSEC-2020-0071".into())),
        "time 0.2.3 is listed unaffected"
    );
    let h = find(&r, "hyper", "RUSTSEC-2021-0078");
    assert_eq!(h.installed_version, "0.14.9");
    assert!(!r.findings.iter().any(
        |f| f.installed_version == "0.14.10" && f.aliases.contains(&"RUSTSEC-2021-0078".into())
    ));
}

#[test]
fn go_modules_and_toolchain() {
    let inv = inventory(
        None,
        vec![
            pkg(
                Ecosystem::Go,
                "golang.org/x/net",
                "v0.0.0-20210428140749-89ef3d95e781",
            ),
            pkg(Ecosystem::Go, "stdlib", "go1.4.2"),
            pkg(
                Ecosystem::Go,
                "golang.org/x/net",
                "v0.0.0-20210520170846-37e1c6afe023",
            ),
        ],
    );
    let Some(r) = run(&inv) else { return };
    let f = find(&r, "golang.org/x/net", "GO-2021-0238");
    assert_eq!(f.installed_version, "v0.0.0-20210428140749-89ef3d95e781");
    assert_eq!(f.id, "CVE-2021-33194");
    assert_eq!(
        f.fixed_version.as_deref(),
        Some("0.0.0-20210520170846-37e1c6afe023")
    );
    assert!(!r.findings.iter().any(|f| {
        f.installed_version == "v0.0.0-20210520170846-37e1c6afe023"
            && f.aliases.contains(&"GO-2021-0238".into())
    }));
    let s = find(&r, "stdlib", "GO-2021-0159");
    assert_eq!(s.fixed_version.as_deref(), Some("1.4.3"));
}

#[test]
fn alpine_branches_are_kept_apart_and_origin_is_used() {
    let e2fs = || {
        vec![
            with_source(
                pkg(Ecosystem::Apk, "libcom_err", "1.45.2-r1"),
                "e2fsprogs",
                None,
            ),
            pkg(Ecosystem::Apk, "busybox", "1.30.1-r1"),
        ]
    };
    let Some(r311) = run(&inventory(Some(os("alpine", "3.11.5")), e2fs())) else {
        return;
    };
    let f = find(&r311, "libcom_err", "CVE-2019-5094");
    assert_eq!(f.fixed_version.as_deref(), Some("1.45.4-r0"));
    assert_eq!(f.sources, ["alpine-secdb"]);
    find(&r311, "busybox", "CVE-2019-5747");
    // Alpine 3.10 fixed CVE-2019-5094 in 1.45.2-r1 itself.
    let r310 = run(&inventory(Some(os("alpine", "3.10.4")), e2fs())).unwrap();
    assert!(!has(&r310, "libcom_err", "CVE-2019-5094"));
}
