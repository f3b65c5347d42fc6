//! The policy rules, one table per rule: filters, ignore file, VEX, expiry, the verdict.

use kura_policy::*;
use kura_types::*;
use time::Date;
use time::macros::date;

const TODAY: Date = date!(2026 - 06 - 15);

fn finding(id: &str, pkg: &str, purl: &str, sev: Severity, fixed: Option<&str>) -> Finding {
    Finding {
        id: id.into(),
        aliases: vec![],
        package_key: format!("{purl}?path=/var/lib/dpkg/status"),
        package_name: pkg.into(),
        installed_version: "1.0-1".into(),
        ecosystem: Ecosystem::Deb,
        purl: purl.into(),
        fixed_version: fixed.map(String::from),
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
        location: Location {
            path: "/var/lib/dpkg/status".into(),
            layer_index: Some(0),
            layer_diff_id: None,
        },
        in_base_layer: false,
        layer_created_by: None,
        suppressed: None,
    }
}

const OPENSSL: &str = "pkg:deb/debian/openssl@1.0-1?arch=amd64&distro=debian-12";
const CURL: &str = "pkg:deb/debian/curl@1.0-1?arch=amd64&distro=debian-12";

fn report(findings: Vec<Finding>) -> ScanReport {
    ScanReport {
        inventory: Inventory {
            target: Target {
                name: "registry.example.com/app:1".into(),
                kind: "registry".into(),
                manifest_digest: Some("sha256:aaaa".into()),
                config_digest: Some("sha256:cccc".into()),
                ..Target::default()
            },
            ..Inventory::default()
        },
        findings,
        ..ScanReport::default()
    }
}

fn policy(opts: PolicyOptions, ignore: &str, vex: &[&str]) -> Policy {
    let ignore = (!ignore.is_empty()).then(|| IgnoreFile::parse(ignore, ".kuraignore").unwrap());
    let vex = vex
        .iter()
        .enumerate()
        .map(|(i, v)| VexDocument::parse(v.as_bytes(), &format!("vex{i}.json")).unwrap())
        .collect();
    Policy::from_parts(opts, ignore, vex)
}

fn ids(r: &ScanReport) -> Vec<&str> {
    r.findings.iter().map(|f| f.id.as_str()).collect()
}

fn suppressed(r: &ScanReport) -> Vec<&str> {
    r.findings
        .iter()
        .filter(|f| f.suppressed.is_some())
        .map(|f| f.id.as_str())
        .collect()
}

#[test]
fn severity_lists_parse_case_insensitively() {
    use Severity::*;
    for (input, want) in [
        ("LOW,MEDIUM", Some(vec![Low, Medium])),
        ("high, critical", Some(vec![High, Critical])),
        ("CRITICAL,critical", Some(vec![Critical])),
        ("UNKNOWN", Some(vec![Unknown])),
        ("moderate", Some(vec![Medium])),
        ("", Some(vec![])),
        ("HIGH,SEVERE", None),
    ] {
        assert_eq!(parse_severities(input).ok(), want, "{input}");
    }
    let err = parse_severities("HIGH,SEVERE").unwrap_err().to_string();
    assert!(err.contains("`SEVERE`"), "{err}");
}

#[test]
fn filters_drop_findings_and_count_them() {
    let all = || {
        report(vec![
            finding("CVE-1", "openssl", OPENSSL, Severity::Critical, Some("1.1")),
            finding("CVE-2", "openssl", OPENSSL, Severity::Low, None),
            finding("CVE-3", "curl", CURL, Severity::High, None),
            finding("CVE-4", "curl", CURL, Severity::Unknown, Some("2.0")),
        ])
    };
    for (opts, kept) in [
        (
            PolicyOptions::default(),
            vec!["CVE-1", "CVE-2", "CVE-3", "CVE-4"],
        ),
        (
            PolicyOptions {
                severities: vec![Severity::Critical, Severity::High],
                ..Default::default()
            },
            vec!["CVE-1", "CVE-3"],
        ),
        (
            PolicyOptions {
                ignore_unfixed: true,
                ..Default::default()
            },
            vec!["CVE-1", "CVE-4"],
        ),
        (
            PolicyOptions {
                ignore_unfixed: true,
                severities: vec![Severity::Unknown],
                ..Default::default()
            },
            vec!["CVE-4"],
        ),
    ] {
        let mut r = all();
        let v = policy(opts.clone(), "", &[]).apply(&mut r, TODAY);
        assert_eq!(ids(&r), kept, "{opts:?}");
        assert_eq!(v.dropped, 4 - kept.len());
        assert_eq!(v.gating, kept.len());
    }
}

#[test]
fn wont_fix_findings_count_as_unfixed() {
    let mut f = finding("CVE-1", "openssl", OPENSSL, Severity::High, None);
    f.fix_state = FixState::WontFix;
    let mut r = report(vec![f]);
    let v = policy(
        PolicyOptions {
            ignore_unfixed: true,
            ..Default::default()
        },
        "",
        &[],
    )
    .apply(&mut r, TODAY);
    assert_eq!((v.dropped, v.gating), (1, 0));
}

#[test]
fn skip_base_keeps_base_findings_but_they_do_not_gate() {
    let mut base = finding("CVE-1", "openssl", OPENSSL, Severity::Critical, None);
    base.in_base_layer = true;
    let app = finding("CVE-2", "curl", CURL, Severity::Medium, None);
    for (skip, gating, base_count) in [(false, 2, 0), (true, 1, 1)] {
        let mut r = report(vec![base.clone(), app.clone()]);
        let v = policy(
            PolicyOptions {
                skip_base: skip,
                ..Default::default()
            },
            "",
            &[],
        )
        .apply(&mut r, TODAY);
        assert_eq!(r.findings.len(), 2);
        assert_eq!(
            (v.gating, v.base_layer),
            (gating, base_count),
            "skip_base={skip}"
        );
        assert!(r.findings.iter().all(|f| f.suppressed.is_none()));
    }
}

#[test]
fn verdict_maps_to_exit_codes() {
    let mut r = report(vec![finding(
        "CVE-1",
        "openssl",
        OPENSSL,
        Severity::High,
        None,
    )]);
    let v = policy(PolicyOptions::default(), "", &[]).apply(&mut r, TODAY);
    assert_eq!(
        v.gating_by_severity,
        SeverityCounts {
            high: 1,
            ..Default::default()
        }
    );
    assert!(!v.passed());
    assert_eq!((v.exit_code(1), v.exit_code(5)), (1, 5));
    let mut r = report(vec![]);
    let v = policy(PolicyOptions::default(), "", &[]).apply(&mut r, TODAY);
    assert!(v.passed());
    assert_eq!(v.exit_code(5), 0);
}

const IGNORE: &str = "\
# accepted risks
- id: CVE-1
  reason: not reachable
  expires: 2026-12-31
- id: ghsa-aaaa-bbbb-cccc
  package: curl
  expires: 2026-06-15
- id: CVE-3
  purl: pkg:deb/debian/openssl
  expires: 2026-12-31
- id: CVE-4
  path: /var/lib/dpkg/
  expires: 2026-12-31
- id: CVE-5
  purl: pkg:deb/debian/openssl@9.9
  expires: 2026-12-31
- id: CVE-6
  path: /usr/lib/os-release
  expires: 2026-12-31
- id: CVE-7
  expires: 2026-06-14
";

#[test]
fn ignore_entries_match_by_id_alias_package_purl_and_path() {
    let mut alias = finding("CVE-2", "curl", CURL, Severity::High, None);
    alias.aliases = vec!["GHSA-aaaa-bbbb-cccc".into()];
    let mut alias_other_pkg = alias.clone();
    alias_other_pkg.package_name = "openssl".into();
    alias_other_pkg.purl = OPENSSL.into();
    let cases = vec![
        (
            finding("CVE-1", "openssl", OPENSSL, Severity::High, None),
            true,
            "id only",
        ),
        (
            finding("cve-1", "curl", CURL, Severity::High, None),
            true,
            "id, any case",
        ),
        (alias, true, "alias + package"),
        (alias_other_pkg, false, "alias, other package"),
        (
            finding("CVE-3", "openssl", OPENSSL, Severity::High, None),
            true,
            "purl without version",
        ),
        (
            finding("CVE-3", "curl", CURL, Severity::High, None),
            false,
            "purl of another package",
        ),
        (
            finding("CVE-4", "curl", CURL, Severity::High, None),
            true,
            "directory path",
        ),
        (
            finding("CVE-5", "openssl", OPENSSL, Severity::High, None),
            false,
            "purl with another version",
        ),
        (
            finding("CVE-6", "openssl", OPENSSL, Severity::High, None),
            false,
            "other path",
        ),
        (
            finding("CVE-7", "openssl", OPENSSL, Severity::High, None),
            false,
            "expired yesterday",
        ),
        (
            finding("CVE-8", "openssl", OPENSSL, Severity::High, None),
            false,
            "no entry",
        ),
    ];
    for (f, want, what) in cases {
        let mut r = report(vec![f]);
        let v = policy(PolicyOptions::default(), IGNORE, &[]).apply(&mut r, TODAY);
        assert_eq!(!suppressed(&r).is_empty(), want, "{what}");
        assert_eq!(v.gating, usize::from(!want), "{what}");
        if want {
            let s = r.findings[0].suppressed.as_ref().unwrap();
            assert_eq!(s.kind, "ignore-file");
            assert!(
                s.source.as_deref().unwrap().starts_with(".kuraignore:"),
                "{s:?}"
            );
        }
    }
}

#[test]
fn expiry_is_inclusive_and_expired_entries_are_reported() {
    let mut alias = finding("CVE-2", "curl", CURL, Severity::High, None);
    alias.aliases = vec!["GHSA-aaaa-bbbb-cccc".into()];
    for (today, suppresses, expired) in [
        (date!(2026 - 06 - 15), true, 1),
        (date!(2026 - 06 - 16), false, 2),
        (date!(2027 - 01 - 01), false, 7),
    ] {
        let mut r = report(vec![alias.clone()]);
        let v = policy(PolicyOptions::default(), IGNORE, &[]).apply(&mut r, today);
        assert_eq!(r.findings[0].suppressed.is_some(), suppresses, "{today}");
        assert_eq!(v.expired_ignores, expired, "{today}");
        assert_eq!(r.expired_ignores.len(), expired);
    }
    let mut r = report(vec![]);
    policy(PolicyOptions::default(), IGNORE, &[]).apply(&mut r, TODAY);
    assert_eq!(
        r.expired_ignores,
        [".kuraignore:20: CVE-7 expired on 2026-06-14"]
    );
    let first = finding("CVE-1", "openssl", OPENSSL, Severity::High, None);
    let mut r = report(vec![first]);
    policy(PolicyOptions::default(), IGNORE, &[]).apply(&mut r, TODAY);
    assert_eq!(
        r.findings[0].suppressed.as_ref().unwrap().reason.as_deref(),
        Some("not reachable (until 2026-12-31)")
    );
}

#[test]
fn bad_ignore_files_are_errors_naming_file_line_and_problem() {
    for (text, want) in [
        (
            "- id: CVE-1\n  expires: 2026-01-01\n  packge: x\n",
            ".kuraignore:3:3: unknown field `packge`",
        ),
        (
            "- id: CVE-1\n  expires: 2026-01-01\n- id: CVE-2\n  reason: x\n",
            ".kuraignore:3: ignore entry 2 (id CVE-2) has no `expires`",
        ),
        (
            "- reason: x\n  expires: 2026-01-01\n",
            ".kuraignore:1: ignore entry 1 has no `id`",
        ),
        (
            "- id: CVE-1\n  expires: 2026-13-01\n",
            "has `expires: 2026-13-01` at line 2; expected a date as YYYY-MM-DD",
        ),
        (
            "- id: CVE-1\n  expires: 1st of May\n",
            "expected a date as YYYY-MM-DD",
        ),
        (
            "- id: CVE-1\n  purl: openssl\n  expires: 2026-01-01\n",
            "`purl: openssl` at line 2, which is not a package URL",
        ),
        ("id: CVE-1\n", "the ignore file is a YAML list of entries"),
        ("- id: 'CVE-1\n", ".kuraignore:1:"),
        ("- id: [CVE-1]\n  expires: 2026-01-01\n", ".kuraignore:1:7:"),
        (
            "- id: CVE-1\n  expires: 2026-01-01\n  expires: 2027-01-01\n",
            "duplicate mapping key",
        ),
    ] {
        let err = IgnoreFile::parse(text, ".kuraignore")
            .unwrap_err()
            .to_string();
        assert!(err.contains(want), "{text:?}\n got: {err}\nwant: {want}");
    }
    assert!(IgnoreFile::parse("", "x").unwrap().entries.is_empty());
    assert!(
        IgnoreFile::parse("# only a comment\n", "x")
            .unwrap()
            .entries
            .is_empty()
    );
}

fn vex_doc(statements: &str) -> String {
    format!(
        r#"{{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.com/vex/1",
            "author": "sec team", "timestamp": "2026-01-01T00:00:00Z", "version": 1,
            "statements": [{statements}]}}"#
    )
}

#[test]
fn vex_statements_suppress_by_status() {
    for (status, extra, suppresses) in [
        (
            "not_affected",
            r#", "justification": "vulnerable_code_not_present""#,
            true,
        ),
        (
            "not_affected",
            r#", "impact_statement": "we never parse PKCS12""#,
            true,
        ),
        ("fixed", "", true),
        ("affected", r#", "action_statement": "upgrade""#, false),
        ("under_investigation", "", false),
    ] {
        let doc = vex_doc(&format!(
            r#"{{"vulnerability": {{"name": "CVE-1"}}, "products": [{{"@id": "pkg:deb/debian/openssl"}}], "status": "{status}"{extra}}}"#
        ));
        let mut r = report(vec![finding(
            "CVE-1",
            "openssl",
            OPENSSL,
            Severity::High,
            None,
        )]);
        let v = policy(PolicyOptions::default(), "", &[&doc]).apply(&mut r, TODAY);
        assert_eq!(r.findings[0].suppressed.is_some(), suppresses, "{status}");
        assert_eq!(v.gating, usize::from(!suppresses));
        if let Some(s) = &r.findings[0].suppressed {
            assert_eq!(s.kind, "vex");
            assert_eq!(s.status.as_deref(), Some(status));
            assert_eq!(s.source.as_deref(), Some("vex0.json statement 1"));
        }
    }
}

#[test]
fn vex_records_justification_and_impact_statement() {
    let doc = vex_doc(
        r#"{"vulnerability": {"name": "CVE-1"}, "products": ["pkg:deb/debian/openssl"], "status": "not_affected",
            "justification": "vulnerable_code_not_in_execute_path", "impact_statement": "TLS client only"}"#,
    );
    let mut r = report(vec![finding(
        "CVE-1",
        "openssl",
        OPENSSL,
        Severity::High,
        None,
    )]);
    policy(PolicyOptions::default(), "", &[&doc]).apply(&mut r, TODAY);
    assert_eq!(
        r.findings[0].suppressed.as_ref().unwrap().reason.as_deref(),
        Some("vulnerable_code_not_in_execute_path: TLS client only")
    );
}

#[test]
fn vex_matches_aliases_products_and_subcomponents() {
    let mut with_alias = finding("CVE-1", "openssl", OPENSSL, Severity::High, None);
    with_alias.aliases = vec!["GHSA-1111-2222-3333".into()];
    let st = |vuln: &str, products: &str| {
        vex_doc(&format!(
            r#"{{"vulnerability": {vuln}, "products": {products}, "status": "fixed"}}"#
        ))
    };
    for (doc, f, want, what) in [
        (
            st(
                r#"{"name": "GHSA-1111-2222-3333"}"#,
                r#"["pkg:deb/debian/openssl"]"#,
            ),
            with_alias.clone(),
            true,
            "statement names the finding's alias",
        ),
        (
            st(
                r#"{"name": "DSA-1", "aliases": ["CVE-1"]}"#,
                r#"["pkg:deb/debian/openssl"]"#,
            ),
            with_alias.clone(),
            true,
            "statement alias names the finding's id",
        ),
        (
            st(r#""cve-1""#, r#"["pkg:deb/debian/openssl"]"#),
            with_alias.clone(),
            true,
            "v0.0.1 string vulnerability",
        ),
        (
            st(r#"{"name": "CVE-9"}"#, r#"["pkg:deb/debian/openssl"]"#),
            with_alias.clone(),
            false,
            "other vulnerability",
        ),
        (
            st(
                r#"{"name": "CVE-1"}"#,
                r#"[{"@id": "pkg:deb/debian/openssl@1.0-1?arch=amd64"}]"#,
            ),
            with_alias.clone(),
            true,
            "version and qualifier",
        ),
        (
            st(
                r#"{"name": "CVE-1"}"#,
                r#"[{"@id": "pkg:deb/debian/openssl@1.0-2"}]"#,
            ),
            with_alias.clone(),
            false,
            "other version",
        ),
        (
            st(
                r#"{"name": "CVE-1"}"#,
                r#"[{"@id": "https://example.com/p", "identifiers": {"purl": "pkg:deb/debian/openssl"}}]"#,
            ),
            with_alias.clone(),
            true,
            "identifiers.purl",
        ),
        (
            st(
                r#"{"name": "CVE-1"}"#,
                r#"[{"@id": "pkg:oci/app@sha256:aaaa"}]"#,
            ),
            with_alias.clone(),
            true,
            "image by manifest digest",
        ),
        (
            st(
                r#"{"name": "CVE-1"}"#,
                r#"[{"@id": "pkg:oci/app@sha256:cccc"}]"#,
            ),
            with_alias.clone(),
            true,
            "image by config digest",
        ),
        (
            st(r#"{"name": "CVE-1"}"#, r#"[{"@id": "pkg:oci/app"}]"#),
            with_alias.clone(),
            true,
            "image by name",
        ),
        (
            st(r#"{"name": "CVE-1"}"#, r#"[{"@id": "pkg:oci/other"}]"#),
            with_alias.clone(),
            false,
            "another image",
        ),
        (
            st(
                r#"{"name": "CVE-1"}"#,
                r#"[{"@id": "pkg:oci/app@sha256:bbbb"}]"#,
            ),
            with_alias.clone(),
            false,
            "another image digest",
        ),
        (
            st(
                r#"{"name": "CVE-1"}"#,
                r#"[{"@id": "pkg:oci/app@sha256:aaaa", "subcomponents": [{"@id": "pkg:deb/debian/openssl"}]}]"#,
            ),
            with_alias.clone(),
            true,
            "subcomponent of the image",
        ),
        (
            st(
                r#"{"name": "CVE-1"}"#,
                r#"[{"@id": "pkg:oci/app@sha256:aaaa", "subcomponents": [{"@id": "pkg:deb/debian/curl"}]}]"#,
            ),
            with_alias.clone(),
            false,
            "another subcomponent",
        ),
        (
            st(
                r#"{"name": "CVE-1"}"#,
                r#"[{"@id": "pkg:oci/app@sha256:aaaa", "subcomponents": [{"@id": "sha256:1234"}]}]"#,
            ),
            with_alias.clone(),
            false,
            "subcomponent without a purl limits, not widens",
        ),
        (
            st(r#"{"name": "CVE-1"}"#, r#"[{"@id": "urn:something"}]"#),
            with_alias.clone(),
            false,
            "product without a purl",
        ),
    ] {
        let mut r = report(vec![f]);
        policy(PolicyOptions::default(), "", &[&doc]).apply(&mut r, TODAY);
        assert_eq!(r.findings[0].suppressed.is_some(), want, "{what}");
    }
}

#[test]
fn the_newest_vex_statement_wins() {
    let stmt = |status: &str, ts: &str| {
        format!(
            r#"{{"vulnerability": {{"name": "CVE-1"}}, "products": ["pkg:deb/debian/openssl"], "status": "{status}", "timestamp": "{ts}"}}"#
        )
    };
    for (a, b, suppresses) in [
        (
            stmt("fixed", "2026-01-01T00:00:00Z"),
            stmt("affected", "2026-02-01T00:00:00Z"),
            false,
        ),
        (
            stmt("affected", "2026-01-01T00:00:00Z"),
            stmt("fixed", "2026-02-01T00:00:00Z"),
            true,
        ),
        (
            stmt("affected", "2026-03-01T00:00:00Z"),
            stmt("fixed", "2026-02-01T00:00:00Z"),
            false,
        ),
    ] {
        let doc = vex_doc(&format!("{a}, {b}"));
        let mut r = report(vec![finding(
            "CVE-1",
            "openssl",
            OPENSSL,
            Severity::High,
            None,
        )]);
        policy(PolicyOptions::default(), "", &[&doc]).apply(&mut r, TODAY);
        assert_eq!(r.findings[0].suppressed.is_some(), suppresses, "{a} / {b}");
    }
    // Across documents too: the second file's newer statement overrides the first.
    let older = vex_doc(&stmt("fixed", "2026-01-01T00:00:00Z"));
    let newer = vex_doc(&stmt("under_investigation", "2026-05-01T00:00:00Z"));
    let mut r = report(vec![finding(
        "CVE-1",
        "openssl",
        OPENSSL,
        Severity::High,
        None,
    )]);
    policy(PolicyOptions::default(), "", &[&older, &newer]).apply(&mut r, TODAY);
    assert!(r.findings[0].suppressed.is_none());
}

#[test]
fn bad_vex_documents_are_errors_naming_file_and_problem() {
    let ok_stmt = r#"{"vulnerability": {"name": "CVE-1"}, "products": ["pkg:deb/debian/x"], "status": "fixed"}"#;
    for (doc, want) in [
        (
            "{\n  \"@context\": \"https://openvex.dev/ns/v0.2.0\",\n  \"statements\": [\n}"
                .to_string(),
            "v.json:4:1: not valid JSON",
        ),
        (
            "[]".to_string(),
            "v.json: the document is not a JSON object",
        ),
        (
            r#"{"statements": []}"#.to_string(),
            "v.json: has no `@context`",
        ),
        (
            r#"{"@context": "https://cyclonedx.org", "statements": []}"#.to_string(),
            "not an OpenVEX context",
        ),
        (
            r#"{"@context": "https://openvex.dev/ns/v0.2.0"}"#.to_string(),
            "has no `statements` array",
        ),
        (
            vex_doc(&format!(
                r#"{ok_stmt}, {{"vulnerability": {{"name": "CVE-2"}}, "products": ["pkg:deb/debian/x"], "status": "maybe"}}"#
            )),
            "v.json: statement 2 `status` is `maybe`",
        ),
        (
            vex_doc(
                r#"{"vulnerability": {"name": "CVE-2"}, "products": ["pkg:deb/debian/x"], "status": "not_affected"}"#,
            ),
            "statement 1 is not_affected but has neither `justification` nor `impact_statement`",
        ),
        (
            vex_doc(
                r#"{"vulnerability": {"name": "CVE-2"}, "products": ["pkg:deb/debian/x"], "status": "not_affected", "justification": "trust me"}"#,
            ),
            "`justification` is `trust me`",
        ),
        (
            vex_doc(r#"{"products": ["pkg:deb/debian/x"], "status": "fixed"}"#),
            "statement 1 has no `vulnerability`",
        ),
        (
            vex_doc(r#"{"vulnerability": {"aliases": []}, "products": [], "status": "fixed"}"#),
            "`vulnerability` has no `name`",
        ),
        (
            vex_doc(r#"{"vulnerability": {"name": "CVE-1"}, "status": "fixed"}"#),
            "has no `products` array",
        ),
        (
            vex_doc(
                r#"{"vulnerability": {"name": "CVE-1"}, "products": [{"subcomponents": []}], "status": "fixed"}"#,
            ),
            "product 1: has neither `@id` nor `identifiers.purl`",
        ),
        (
            vex_doc(
                r#"{"vulnerability": {"name": "CVE-1"}, "products": ["pkg:deb/debian/x"], "status": "fixed", "timestamp": "yesterday"}"#,
            ),
            "`timestamp` \"yesterday\" is not an RFC 3339 time",
        ),
    ] {
        let err = VexDocument::parse(doc.as_bytes(), "v.json")
            .unwrap_err()
            .to_string();
        assert!(err.contains(want), "{doc}\n got: {err}\nwant: {want}");
    }
}

#[test]
fn fix_advice_is_recounted_over_what_still_counts() {
    let mut r = report(vec![
        finding("CVE-1", "openssl", OPENSSL, Severity::Critical, Some("1.1")),
        finding("CVE-2", "openssl", OPENSSL, Severity::High, Some("1.2")),
        finding("CVE-3", "curl", CURL, Severity::Low, Some("2.0")),
    ]);
    let advice = |name: &str, fixed: &str, clears, c, h| FixAdvice {
        package_name: name.into(),
        ecosystem: Ecosystem::Deb,
        installed_version: "1.0-1".into(),
        fixed_version: fixed.into(),
        clears,
        clears_critical: c,
        clears_high: h,
    };
    r.fixes = vec![
        advice("curl", "2.0", 1, 0, 0),
        advice("openssl", "1.2", 2, 1, 1),
    ];
    let ignore = "- id: CVE-3\n  expires: 2026-12-31\n- id: CVE-1\n  expires: 2026-12-31\n";
    policy(PolicyOptions::default(), ignore, &[]).apply(&mut r, TODAY);
    assert_eq!(r.fixes, vec![advice("openssl", "1.2", 1, 0, 1)]);
}

#[test]
fn load_reads_named_files_and_reports_missing_ones() {
    let dir = tempfile::tempdir().unwrap();
    let ignore = dir.path().join("ignore.yaml");
    std::fs::write(&ignore, "- id: CVE-1\n  expires: 2026-12-31\n").unwrap();
    let vex = dir.path().join("doc.vex.json");
    std::fs::write(&vex, vex_doc(r#"{"vulnerability": {"name": "CVE-2"}, "products": ["pkg:deb/debian/openssl"], "status": "fixed"}"#)).unwrap();
    let p = Policy::load(PolicyOptions {
        ignore_file: IgnoreFileChoice::Path(ignore.clone()),
        vex: vec![vex.clone()],
        ..Default::default()
    })
    .unwrap();
    let mut r = report(vec![
        finding("CVE-1", "openssl", OPENSSL, Severity::High, None),
        finding("CVE-2", "openssl", OPENSSL, Severity::High, None),
    ]);
    let v = p.apply(&mut r, TODAY);
    assert_eq!((v.suppressed, v.gating), (2, 0));
    assert!(
        r.findings[1]
            .suppressed
            .as_ref()
            .unwrap()
            .source
            .as_deref()
            .unwrap()
            .contains("doc.vex.json")
    );

    let missing = dir.path().join("nope.yaml");
    let err = Policy::load(PolicyOptions {
        ignore_file: IgnoreFileChoice::Path(missing.clone()),
        ..Default::default()
    })
    .unwrap_err();
    assert!(
        matches!(&err, PolicyError::Read { path, .. } if *path == missing),
        "{err}"
    );
    assert!(err.to_string().contains("nope.yaml"));

    std::fs::write(&ignore, [0xff, 0xfe, b'\n']).unwrap();
    let err = Policy::load(PolicyOptions {
        ignore_file: IgnoreFileChoice::Path(ignore.clone()),
        ..Default::default()
    })
    .unwrap_err();
    assert!(err.to_string().contains("not UTF-8"), "{err}");

    let big = dir.path().join("big.json");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(MAX_POLICY_FILE_BYTES + 1).unwrap();
    let err = Policy::load(PolicyOptions {
        ignore_file: IgnoreFileChoice::Disabled,
        vex: vec![big],
        ..Default::default()
    })
    .unwrap_err();
    assert!(matches!(err, PolicyError::TooLarge { .. }), "{err}");
}

#[test]
fn already_suppressed_findings_keep_their_suppression() {
    let mut f = finding("CVE-1", "openssl", OPENSSL, Severity::High, None);
    f.suppressed = Some(Suppression {
        kind: "vex".into(),
        reason: Some("earlier".into()),
        source: None,
        status: Some("fixed".into()),
    });
    let mut r = report(vec![f]);
    policy(
        PolicyOptions::default(),
        "- id: CVE-1\n  expires: 2026-12-31\n",
        &[],
    )
    .apply(&mut r, TODAY);
    assert_eq!(
        r.findings[0].suppressed.as_ref().unwrap().reason.as_deref(),
        Some("earlier")
    );
}
