//! Advisory parsers: field mapping on small fixtures in each real format, and no panic on garbage.

use kura_vulndb::parse::{
    RustsecOutcome, parse_debian_tracker, parse_osv_json, parse_osv_yaml, parse_rustsec,
    parse_secdb_json, parse_secdb_yaml,
};
use kura_vulndb::{AffectedStatus, Event, RangeScheme};
use proptest::prelude::*;

const OSV: &str = r#"{
  "schema_version": "1.6.0",
  "id": "GHSA-aaaa-bbbb-cccc",
  "aliases": ["CVE-2023-0001", "PYSEC-2023-1"],
  "summary": "Example",
  "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},
               {"type": "Ubuntu", "score": "medium"}],
  "affected": [
    {"package": {"ecosystem": "PyPI", "name": "Zope.Interface"},
     "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.2"}]},
                {"type": "GIT", "repo": "https://example.invalid/x", "events": [{"introduced": "abc"}]}],
     "versions": ["1.0", "1.1"],
     "ecosystem_specific": {"severity": "HIGH"}},
    {"package": {"ecosystem": "Ubuntu:22.04:LTS", "name": "zope"},
     "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"last_affected": "2.0"}]}]},
    {"package": {"ecosystem": "Go", "name": "example.invalid/m"},
     "versions": ["1.0.0"]}
  ],
  "database_specific": {"severity": "CRITICAL"},
  "references": [{"type": "WEB", "url": "https://example.invalid/a"}],
  "published": "2023-01-01T00:00:00Z",
  "modified": "2023-02-01T00:00:00Z"
}"#;

#[test]
fn osv_json_maps_ranges_versions_and_severities() {
    let a = parse_osv_json(OSV.as_bytes()).unwrap();
    assert_eq!(a.id, "GHSA-aaaa-bbbb-cccc");
    assert_eq!(a.aliases, ["CVE-2023-0001", "PYSEC-2023-1"]);
    assert_eq!(a.affected.len(), 3, "GIT range dropped: {:?}", a.affected);
    let py = &a.affected[0];
    assert_eq!(py.ecosystem_key, "PyPI");
    assert_eq!(py.package, "zope-interface", "PEP 503 name");
    assert_eq!(py.scheme, RangeScheme::Ecosystem);
    assert_eq!(
        py.events,
        [Event::Introduced("0".into()), Event::Fixed("1.2".into())]
    );
    assert_eq!(py.versions, ["1.0", "1.1"]);
    assert_eq!(py.severity.as_deref(), Some("HIGH"));
    assert_eq!(a.affected[1].ecosystem_key, "Ubuntu:22.04");
    assert_eq!(a.affected[1].events[1], Event::LastAffected("2.0".into()));
    assert!(a.affected[2].events.is_empty());
    assert_eq!(a.affected[2].versions, ["1.0.0"]);
    let kinds: Vec<(&str, &str, &str)> = a
        .severities
        .iter()
        .map(|s| (s.kind.as_str(), s.value.as_str(), s.source.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            (
                "CVSS_V3",
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                "ghsa"
            ),
            ("label", "medium", "ubuntu"),
            ("label", "CRITICAL", "ghsa"),
        ]
    );
    assert_eq!(a.references, ["https://example.invalid/a"]);
}

#[test]
fn osv_yaml_reads_the_same_model() {
    let yaml = "id: PYSEC-2020-1\naliases:\n- CVE-2020-1\naffected:\n- package:\n    name: Django\n    ecosystem: PyPI\n  ranges:\n  - type: ECOSYSTEM\n    events:\n    - introduced: \"0\"\n    - fixed: \"1.11.29\"\n  versions:\n  - 1.11.0\nwithdrawn: \"2021-01-01T00:00:00Z\"\n";
    let a = parse_osv_yaml(yaml).unwrap();
    assert_eq!(a.id, "PYSEC-2020-1");
    assert_eq!(a.affected[0].package, "django");
    assert_eq!(a.affected[0].versions, ["1.11.0"]);
    assert_eq!(a.withdrawn.as_deref(), Some("2021-01-01T00:00:00Z"));
}

#[test]
fn distro_records_alias_the_cve_they_are_about() {
    let deb = r#"{"id": "DEBIAN-CVE-2024-0001", "upstream": ["CVE-2024-0001"]}"#;
    assert_eq!(
        parse_osv_json(deb.as_bytes()).unwrap().aliases,
        ["CVE-2024-0001"]
    );
    let dsa = r#"{"id": "DSA-1-1", "upstream": ["CVE-2024-0001", "CVE-2024-0002"]}"#;
    assert!(parse_osv_json(dsa.as_bytes()).unwrap().aliases.is_empty());
    let one = r#"{"id": "DLA-2-1", "upstream": ["CVE-2024-0003"]}"#;
    assert_eq!(
        parse_osv_json(one.as_bytes()).unwrap().aliases,
        ["CVE-2024-0003"]
    );
}

#[test]
fn osv_rejections_table() {
    let cases = [
        ("{}", "without an `id`"),
        ("null", "OSV JSON"),
        (
            "{\"id\": \"X-1\", \"affected\": [{\"package\": {\"ecosystem\": \"PyPI\", \"name\": \"\"}}]}",
            "without a name",
        ),
        (
            "{\"id\": \"X-1\", \"affected\": [{\"package\": {\"ecosystem\": \"PyPI\", \"name\": \"a\"}, \"ranges\": [{\"type\": \"ECOSYSTEM\", \"events\": [{\"fixed\": \"1\\u001f2\"}]}]}]}",
            "control character",
        ),
        (
            "{\"id\": \"X-1\", \"affected\": [{\"package\": {\"ecosystem\": \"PyPI\", \"name\": \"a\"}, \"ranges\": [{\"type\": \"ECOSYSTEM\", \"events\": [{\"fixed\": {}}]}]}]}",
            "not a string",
        ),
    ];
    for (input, want) in cases {
        let e = parse_osv_json(input.as_bytes()).unwrap_err();
        assert!(e.message.contains(want), "{input}: {}", e.message);
    }
}

#[test]
fn rustsec_front_matter_becomes_cargo_requirements() {
    let md = "```toml\n[advisory]\nid = \"RUSTSEC-2018-0003\"\npackage = \"smallvec\"\naliases = [\"CVE-2018-20991\"]\ncvss = \"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\"\ndate = \"2018-07-19\"\n\n[versions]\npatched = [\">= 0.6.3\", \"^0.3.4\"]\nunaffected = [\"< 0.3.2\"]\n```\n\n# Possible double free\n\nDetails here.\n";
    let RustsecOutcome::Advisory(a) = parse_rustsec(md).unwrap() else {
        panic!("not an advisory");
    };
    assert_eq!(a.id, "RUSTSEC-2018-0003");
    assert_eq!(a.summary.as_deref(), Some("Possible double free"));
    assert_eq!(a.details.as_deref(), Some("Details here."));
    assert_eq!(a.published.as_deref(), Some("2018-07-19"));
    assert_eq!(a.severities[0].kind, "CVSS_V3");
    let af = &a.affected[0];
    assert_eq!(
        (af.ecosystem_key.as_str(), af.package.as_str()),
        ("crates.io", "smallvec")
    );
    assert_eq!(af.scheme, RangeScheme::CargoReq);
    assert_eq!(
        af.events,
        [
            Event::Patched(">= 0.6.3".into()),
            Event::Patched("^0.3.4".into()),
            Event::Unaffected("< 0.3.2".into())
        ]
    );
}

#[test]
fn rustsec_informational_and_broken_inputs() {
    let info = "```toml\n[advisory]\nid = \"RUSTSEC-2020-0001\"\npackage = \"x\"\ninformational = \"unmaintained\"\n```\n";
    assert!(matches!(
        parse_rustsec(info).unwrap(),
        RustsecOutcome::Informational
    ));
    for bad in [
        "```toml\n[advisory]\nid = \"R\"\n",
        "```toml\n[advisory]\nid = \"R-1\"\n```\n",
        "no front matter at all",
        "",
    ] {
        assert!(parse_rustsec(bad).is_err(), "{bad:?}");
    }
}

const SECDB_YAML: &str = "---\ndistroversion: v3.11\nreponame: main\npackages:\n  - pkg:\n      name: ansible\n      secfixes:\n        2.9.3-r0:\n          - CVE-2019-14904\n          - XSA-1 CVE-2019-14905\n        0:\n          - CVE-2019-0001\n";

#[test]
fn secdb_yaml_and_json_map_fixed_and_not_affected() {
    let json = r#"{"distroversion": "v3.11", "reponame": "main", "packages": [{"pkg": {"name": "ansible", "secfixes": {"2.9.3-r0": ["CVE-2019-14904", "XSA-1 CVE-2019-14905"], "0": ["CVE-2019-0001"]}}}]}"#;
    for advs in [
        parse_secdb_yaml(SECDB_YAML).unwrap(),
        parse_secdb_json(json.as_bytes()).unwrap(),
    ] {
        let ids: Vec<&str> = advs.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["CVE-2019-0001", "CVE-2019-14904", "XSA-1"]);
        let na = &advs[0].affected[0];
        assert_eq!(na.status, AffectedStatus::NotAffected);
        assert_eq!(na.ecosystem_key, "Alpine:v3.11");
        let fixed = &advs[1].affected[0];
        assert_eq!(fixed.package, "ansible");
        assert_eq!(fixed.events[1], Event::Fixed("2.9.3-r0".into()));
        assert_eq!(advs[2].aliases, ["CVE-2019-14905"]);
    }
    assert!(parse_secdb_json(b"{\"packages\": []}").is_err());
    assert!(parse_secdb_json(b"{\"distroversion\": \"v3.1\"}").is_err());
}

const DEBIAN: &str = r#"{
 "openssl": {
  "CVE-2024-0001": {"description": "d", "scope": "remote", "releases": {
     "bookworm": {"status": "resolved", "repositories": {"bookworm": "3.0.11-1~deb12u2"}, "fixed_version": "3.0.11-1~deb12u1", "urgency": "medium"},
     "bullseye": {"status": "open", "repositories": {"bullseye": "1.1.1w-0+deb11u1"}, "urgency": "low*", "nodsa": "Minor issue", "nodsa_reason": "postponed"},
     "buster": {"status": "open", "repositories": {"buster": "1.1.1n-0+deb10u3"}, "urgency": "end-of-life"},
     "trixie": {"status": "resolved", "repositories": {"trixie": "3.1.0-1"}, "fixed_version": "0", "urgency": "not yet assigned"},
     "sid": {"status": "open", "repositories": {"sid": "3.1.0-1"}, "urgency": "unimportant", "nodsa_reason": "ignored"}
  }}
 }
}"#;

#[test]
fn debian_tracker_release_statuses() {
    let advs = parse_debian_tracker(DEBIAN.as_bytes()).unwrap();
    assert_eq!(advs.len(), 1);
    let a = &advs[0];
    assert_eq!(a.id, "CVE-2024-0001");
    let by: std::collections::BTreeMap<&str, _> = a
        .affected
        .iter()
        .map(|x| (x.ecosystem_key.as_str(), x))
        .collect();
    let b = by["Debian:12"];
    assert_eq!(b.status, AffectedStatus::Affected);
    assert_eq!(b.events[1], Event::Fixed("3.0.11-1~deb12u1".into()));
    assert_eq!(b.severity.as_deref(), Some("medium"));
    let bu = by["Debian:11"];
    assert_eq!((bu.status, bu.events.len()), (AffectedStatus::Affected, 1));
    assert_eq!(bu.severity.as_deref(), Some("low"), "`*` stripped");
    assert_eq!(by["Debian:10"].status, AffectedStatus::WontFix);
    assert_eq!(by["Debian:13"].status, AffectedStatus::NotAffected);
    assert_eq!(by["Debian:sid"].status, AffectedStatus::WontFix);
    assert!(parse_debian_tracker(b"[1, 2]").is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn parsers_never_panic_on_garbage(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_osv_json(&bytes);
        let _ = parse_secdb_json(&bytes);
        let _ = parse_debian_tracker(&bytes);
        let text = String::from_utf8_lossy(&bytes);
        let _ = parse_osv_yaml(&text);
        let _ = parse_secdb_yaml(&text);
        let _ = parse_rustsec(&text);
    }

    #[test]
    fn parsers_never_panic_on_truncated_valid_input(cut in 0usize..1200) {
        for doc in [OSV, DEBIAN, SECDB_YAML] {
            let end = cut.min(doc.len());
            let bytes = &doc.as_bytes()[..end];
            let _ = parse_osv_json(bytes);
            let _ = parse_debian_tracker(bytes);
            let text = String::from_utf8_lossy(bytes);
            let _ = parse_osv_yaml(&text);
            let _ = parse_secdb_yaml(&text);
            let _ = parse_rustsec(&format!("```toml\n{text}"));
        }
    }
}
