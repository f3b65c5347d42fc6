//! Matching semantics on fixtures in the real feed formats: distro releases kept apart, Debian
//! statuses, alias merging across feeds, severity provenance, layer attribution, fix advice.

mod common;

use common::{inventory, os, pkg, with_source};
use kura_match::{MatchOptions, match_inventory};
use kura_types::{Ecosystem, Finding, FixState, Severity};
use kura_vulndb::{ImportOptions, VulnDb, import_paths};
use std::path::Path;

const TRACKER: &str = r#"{
 "openssl": {
  "CVE-2024-1000": {"description": "TLS bug", "scope": "remote", "releases": {
    "bookworm": {"status": "resolved", "repositories": {"bookworm": "3.0.11-1~deb12u2"}, "fixed_version": "3.0.11-1~deb12u1", "urgency": "high"},
    "bullseye": {"status": "open", "repositories": {"bullseye": "1.1.1w-0+deb11u1"}, "urgency": "low"},
    "trixie": {"status": "resolved", "repositories": {"trixie": "3.1.0-1"}, "fixed_version": "0", "urgency": "not yet assigned"}}},
  "CVE-2024-1001": {"description": "minor", "releases": {
    "bookworm": {"status": "open", "repositories": {"bookworm": "3.0.11-1~deb12u2"}, "urgency": "unimportant", "nodsa": "Minor issue", "nodsa_reason": "ignored"}}}
 },
 "glibc": {
  "CVE-2024-2000": {"description": "never shipped", "releases": {
    "bookworm": {"status": "resolved", "repositories": {"bookworm": "2.36-9+deb12u4"}, "fixed_version": "0", "urgency": "not yet assigned"}}}
 }
}"#;

const DSA_GLIBC: &str = r#"{"id": "DSA-9999-1", "aliases": ["CVE-2024-2000"], "summary": "glibc",
 "affected": [{"package": {"ecosystem": "Debian:12", "name": "glibc"},
   "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.36-9+deb12u9"}]}]}]}"#;

const DSA_OPENSSL: &str = r#"{"id": "DSA-9998-1", "upstream": ["CVE-2024-1000"], "aliases": ["CVE-2024-1000"],
 "summary": "openssl security update", "published": "2024-05-01T00:00:00Z",
 "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
 "affected": [{"package": {"ecosystem": "Debian:12", "name": "openssl"},
   "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.0.11-1~deb12u1"}]}]}]}"#;

const UBUNTU: &str = r#"{"id": "UBUNTU-CVE-2024-3000", "aliases": ["CVE-2024-3000"],
 "severity": [{"type": "Ubuntu", "score": "medium"}, {"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
 "affected": [{"package": {"ecosystem": "Ubuntu:22.04:LTS", "name": "curl"},
   "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "7.81.0-1ubuntu1.16"}]}]}]}"#;

const NPM: &str = r#"{"id": "GHSA-1111-2222-3333", "aliases": ["CVE-2024-4000"],
 "database_specific": {"severity": "MODERATE"},
 "affected": [{"package": {"ecosystem": "npm", "name": "left-pad"},
   "ranges": [{"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"fixed": "1.3.1"}, {"introduced": "2.0.0"}, {"last_affected": "2.1.0"}]}]}]}"#;

fn build(dir: &Path) -> VulnDb {
    let files = dir.join("feeds");
    std::fs::create_dir_all(&files).unwrap();
    for (name, body) in [
        ("tracker.json", TRACKER),
        ("DSA-9999-1.json", DSA_GLIBC),
        ("DSA-9998-1.json", DSA_OPENSSL),
        ("UBUNTU-CVE-2024-3000.json", UBUNTU),
        ("GHSA-1111-2222-3333.json", NPM),
    ] {
        std::fs::write(files.join(name), body).unwrap();
    }
    let db = dir.join("vuln.db");
    let r = import_paths(&db, &[files], &ImportOptions::default()).unwrap();
    assert!(r.skipped.is_empty(), "{:?}", r.skipped);
    VulnDb::open(&db).unwrap()
}

fn debian_packages() -> Vec<kura_types::Package> {
    vec![
        with_source(
            pkg(Ecosystem::Deb, "libssl3", "3.0.9-1+b1"),
            "openssl",
            Some("3.0.9-1"),
        ),
        with_source(
            pkg(Ecosystem::Deb, "libc6", "2.36-9+deb12u1"),
            "glibc",
            None,
        ),
    ]
}

fn ids(f: &[Finding]) -> Vec<&str> {
    f.iter().map(|f| f.id.as_str()).collect()
}

#[test]
fn debian_release_statuses_decide_findings() {
    let tmp = tempfile::tempdir().unwrap();
    let db = build(tmp.path());
    let opts = MatchOptions::default();

    let bookworm = inventory(Some(os("debian", "12")), debian_packages());
    let r = match_inventory(&db, &bookworm, &opts).unwrap();
    assert_eq!(ids(&r.findings), ["CVE-2024-1000", "CVE-2024-1001"]);
    let f = &r.findings[0];
    assert_eq!(f.package_name, "libssl3");
    assert_eq!(f.aliases, ["DSA-9998-1"], "tracker CVE and DSA merged");
    assert_eq!(f.fixed_version.as_deref(), Some("3.0.11-1~deb12u1"));
    assert_eq!(f.fix_state, FixState::Fixed);
    assert_eq!(f.severity, Severity::High);
    assert_eq!(
        f.severity_source.as_deref(),
        Some("debian"),
        "distro urgency kept"
    );
    assert_eq!(f.sources, ["debian-tracker", "osv:Debian:12"]);
    assert_eq!(f.published.as_deref(), Some("2024-05-01T00:00:00Z"));
    let cvss = f.ratings.iter().find(|r| r.vector.is_some()).unwrap();
    assert_eq!(cvss.score, Some(9.8), "computed from the vector");
    assert_eq!(cvss.method, "CVSSv31");
    let wont = &r.findings[1];
    assert_eq!(wont.fix_state, FixState::WontFix);
    assert_eq!(wont.severity, Severity::Low, "`unimportant` is low");
    // glibc: the tracker says bookworm never shipped CVE-2024-2000, so the DSA is suppressed.
    assert!(r.findings.iter().all(|f| f.package_name != "libc6"));

    let r = match_inventory(
        &db,
        &bookworm,
        &MatchOptions {
            ignore_unfixed: true,
        },
    )
    .unwrap();
    assert_eq!(ids(&r.findings), ["CVE-2024-1000"]);
    assert_eq!(r.fixes.len(), 1);
    assert_eq!(
        kura_match::advice::describe(&r.fixes[0]),
        "upgrade libssl3 3.0.9-1+b1 to 3.0.11-1~deb12u1: clears 1 finding (1 high)"
    );
}

#[test]
fn other_debian_releases_use_their_own_status() {
    let tmp = tempfile::tempdir().unwrap();
    let db = build(tmp.path());
    let opts = MatchOptions::default();
    let bullseye = inventory(Some(os("debian", "11")), debian_packages());
    let r = match_inventory(&db, &bullseye, &opts).unwrap();
    assert_eq!(ids(&r.findings), ["CVE-2024-1000"]);
    assert_eq!(r.findings[0].fix_state, FixState::Unfixed);
    assert_eq!(r.findings[0].fixed_version, None);
    assert_eq!(r.findings[0].severity, Severity::Low);
    assert!(r.fixes.is_empty());

    let trixie = inventory(Some(os("debian", "13")), debian_packages());
    assert!(
        match_inventory(&db, &trixie, &opts)
            .unwrap()
            .findings
            .is_empty()
    );
    let no_os = inventory(None, debian_packages());
    assert!(
        match_inventory(&db, &no_os, &opts)
            .unwrap()
            .findings
            .is_empty()
    );
}

#[test]
fn ubuntu_matches_by_release_and_keeps_its_priority() {
    let tmp = tempfile::tempdir().unwrap();
    let db = build(tmp.path());
    let curl = vec![pkg(Ecosystem::Deb, "curl", "7.81.0-1ubuntu1.15")];
    let jammy = inventory(Some(os("ubuntu", "22.04")), curl.clone());
    let r = match_inventory(&db, &jammy, &MatchOptions::default()).unwrap();
    assert_eq!(ids(&r.findings), ["CVE-2024-3000"]);
    assert_eq!(r.findings[0].severity, Severity::Medium);
    assert_eq!(r.findings[0].severity_source.as_deref(), Some("ubuntu"));
    let focal = inventory(Some(os("ubuntu", "20.04")), curl);
    assert!(
        match_inventory(&db, &focal, &MatchOptions::default())
            .unwrap()
            .findings
            .is_empty()
    );
}

#[test]
fn semver_ranges_with_last_affected_and_layer_attribution() {
    let tmp = tempfile::tempdir().unwrap();
    let db = build(tmp.path());
    let mut base = pkg(Ecosystem::Npm, "left-pad", "1.2.0");
    base.location.layer_index = Some(0);
    let inv = inventory(
        None,
        vec![
            base,
            pkg(Ecosystem::Npm, "left-pad", "1.3.1"),
            pkg(Ecosystem::Npm, "left-pad", "2.1.0"),
            pkg(Ecosystem::Npm, "left-pad", "2.1.1"),
        ],
    );
    let r = match_inventory(&db, &inv, &MatchOptions::default()).unwrap();
    let got: Vec<(&str, Option<&str>, bool)> = r
        .findings
        .iter()
        .map(|f| {
            (
                f.installed_version.as_str(),
                f.fixed_version.as_deref(),
                f.in_base_layer,
            )
        })
        .collect();
    assert_eq!(
        got,
        [("1.2.0", Some("1.3.1"), true), ("2.1.0", None, false)]
    );
    let f = &r.findings[0];
    assert_eq!(f.id, "CVE-2024-4000");
    assert_eq!(f.severity, Severity::Medium, "GHSA label when no vector");
    assert_eq!(f.layer_created_by.as_deref(), Some("ADD rootfs.tar /"));
    assert_eq!(
        r.findings[1].layer_created_by.as_deref(),
        Some("RUN install things")
    );
}

#[test]
fn unparseable_installed_version_is_warned_not_matched() {
    let tmp = tempfile::tempdir().unwrap();
    let db = build(tmp.path());
    let inv = inventory(None, vec![pkg(Ecosystem::Npm, "left-pad", "not-a-version")]);
    let r = match_inventory(&db, &inv, &MatchOptions::default()).unwrap();
    assert!(r.findings.is_empty());
    assert_eq!(r.warnings.len(), 1);
    assert!(r.warnings[0].contains("left-pad"), "{:?}", r.warnings);
}
