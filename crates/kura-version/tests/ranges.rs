//! Requirement tables: each row is a requirement, a version, and whether it matches.

use kura_version::{Scheme, Version, VersionReq};

fn check(scheme: Scheme, rows: &[(&str, &str, bool)]) {
    let mut failures = Vec::new();
    for &(req, v, want) in rows {
        let r = match VersionReq::parse(scheme, req) {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{req}: {e}"));
                continue;
            }
        };
        match Version::parse(scheme, v) {
            Ok(ver) if r.matches(&ver) == want => {}
            Ok(_) => failures.push(format!("{req} vs {v}: want {want}")),
            Err(e) => failures.push(format!("{v}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{scheme}:\n{}", failures.join("\n"));
}

fn rejects(scheme: Scheme, bad: &[&str]) {
    let accepted: Vec<&&str> = bad
        .iter()
        .filter(|r| VersionReq::parse(scheme, r).is_ok())
        .collect();
    assert!(accepted.is_empty(), "{scheme} accepted {accepted:?}");
}

#[test]
fn npm_ranges_follow_node_semver() {
    check(
        Scheme::Semver,
        &[
            (">=1.2.3 <2 || ^3.1", "1.9.9", true),
            (">=1.2.3 <2 || ^3.1", "2.0.0", false),
            (">=1.2.3 <2 || ^3.1", "2.0.0-rc.1", false),
            (">=1.2.3 <2 || ^3.1", "3.5.0", true),
            (">=1.2.3 <2 || ^3.1", "3.0.9", false),
            ("^1.2.3", "1.2.3", true),
            ("^1.2.3", "1.99.0", true),
            ("^1.2.3", "2.0.0-alpha", false),
            ("^0.2.3", "0.2.9", true),
            ("^0.2.3", "0.3.0", false),
            ("^0.0.3", "0.0.3", true),
            ("^0.0.3", "0.0.4", false),
            ("^0.0", "0.0.9", true),
            ("^0.0", "0.1.0", false),
            ("^0.x", "0.9.0", true),
            ("^1.x", "1.9.0", true),
            ("~1.2.3", "1.2.9", true),
            ("~1.2.3", "1.3.0", false),
            ("~1.2", "1.2.0", true),
            ("~1", "1.9.0", true),
            ("~1", "2.0.0", false),
            ("1.2.x", "1.2.7", true),
            ("1.2.x", "1.3.0", false),
            ("1.x", "1.0.0", true),
            ("*", "9.9.9", true),
            ("", "0.0.1", true),
            ("1.2.3", "1.2.3", true),
            ("1.2.3", "1.2.4", false),
            ("=1.2.3", "1.2.3+build", true),
            (">1.2", "1.2.9", false),
            (">1.2", "1.3.0", true),
            ("<1.2", "1.1.9", true),
            ("<1.2", "1.2.0-alpha", false),
            ("<=1.2", "1.2.9", true),
            ("<=1.2", "1.3.0", false),
            ("1.2.3 - 2.3.4", "2.3.4", true),
            ("1.2.3 - 2.3.4", "2.3.5", false),
            ("1.2 - 2.3", "2.3.9", true),
            ("1.2 - 2.3", "2.4.0", false),
            ("1.2 - 2.3", "1.1.9", false),
            ("< 1.4.2", "1.4.1", true),
            (">= 1.0.0, < 1.4.2", "1.4.2", false),
            (">=1.0.0-beta <1.0.0", "1.0.0-rc.1", true),
        ],
    );
    rejects(
        Scheme::Semver,
        &[">= ", "^1.2.3.4", ">=a", "1.x.2", ">=1.0 >=", "<=>1"],
    );
}

#[test]
fn cargo_requirements_follow_the_cargo_book() {
    let rows = [
        ("1.2.3", "1.9.0", true),
        ("1.2.3", "2.0.0", false),
        ("^1.2", "1.2.0", true),
        ("~1.2", "1.2.9", true),
        ("~1.2", "1.3.0", false),
        ("=1.2.3", "1.2.4", false),
        (">= 1.2, < 1.5", "1.4.9", true),
        (">= 1.2, < 1.5", "1.5.0", false),
        ("0.0.3", "0.0.4", false),
        ("0.3", "0.3.9", true),
        ("0.3", "0.4.0", false),
        ("*", "0.0.0", true),
        ("1.*", "1.5.0", true),
        ("1.2.*", "1.3.0", false),
        (">= 0.4.0-alpha.1", "0.4.0-alpha.2", true),
    ];
    for (req, v, want) in rows {
        let r = VersionReq::parse_cargo(req).unwrap();
        let ver = Version::parse(Scheme::Semver, v).unwrap();
        assert_eq!(r.matches(&ver), want, "{req} vs {v}");
    }
    let eco = VersionReq::for_ecosystem(kura_types::Ecosystem::Cargo, "1.2").unwrap();
    assert!(eco.matches(&Version::parse(Scheme::Semver, "1.9.0").unwrap()));
}

#[test]
fn pep440_specifiers_follow_the_spec() {
    check(
        Scheme::Pep440,
        &[
            (">=1.0,!=1.3.*,<2", "1.2", true),
            (">=1.0,!=1.3.*,<2", "1.3.4", false),
            (">=1.0,!=1.3.*,<2", "1.3", false),
            (">=1.0,!=1.3.*,<2", "1.4", true),
            (">=1.0,!=1.3.*,<2", "2.0", false),
            ("~=2.2", "2.9", true),
            ("~=2.2", "3.0", false),
            ("~=2.2", "2.1", false),
            ("~=1.4.5", "1.4.9", true),
            ("~=1.4.5", "1.5.0", false),
            ("~=2.2.post3", "2.2.post3", true),
            ("~=2.2.post3", "2.3", true),
            ("==1.1.*", "1.1.post1", true),
            ("==1.1.*", "1.1a1", true),
            ("==1.1.*", "1.10", false),
            ("==1.1", "1.1.0", true),
            ("==1.1", "1.1+local.3", true),
            ("==1.1+local", "1.1", false),
            ("<2.0", "2.0rc1", false),
            ("<2.0", "1.9", true),
            ("<2.0rc2", "2.0rc1", true),
            (">1.7", "1.7.post2", false),
            (">1.7", "1.7.1", true),
            (">1.7.post2", "1.7.post3", true),
            (">1.7", "1.7+local", false),
            ("<=1.0", "1.0+local", true),
            ("===1.0.0", "1.0.0", true),
            ("===1.0.0", "1.0", false),
            (" >= 2.0 , < 3 ", "2.5", true),
        ],
    );
    rejects(
        Scheme::Pep440,
        &[
            "",
            "~=1",
            ">=1.0.*",
            "==1.0a1.*",
            ">=1.0+local",
            "=>1.0",
            ">=1.0,",
            "^1.0",
        ],
    );
}

#[test]
fn rubygems_requirements_follow_gem_requirement() {
    check(
        Scheme::RubyGems,
        &[
            ("~> 2.1", "2.1", true),
            ("~> 2.1", "2.9.9", true),
            ("~> 2.1", "3.0", false),
            ("~> 2.1", "3.0.a", false),
            ("~> 2.1.3", "2.1.9", true),
            ("~> 2.1.3", "2.2", false),
            ("~> 2.1.3", "2.1.2", false),
            ("~> 2", "2.9", true),
            ("~> 2", "3", false),
            ("~> 1.0.0.rc1", "1.0.0", true),
            (">= 1.0, < 2", "1.5", true),
            ("!= 1.5", "1.5.0", false),
            ("1.5", "1.5.0", true),
            ("= 1.5", "1.5.1", false),
        ],
    );
    rejects(Scheme::RubyGems, &["", "~>", ">= a", "^1.0"]);
}

#[test]
fn composer_constraints_follow_composer_docs() {
    check(
        Scheme::Composer,
        &[
            ("^1.2 || ~2.0", "1.9.9", true),
            ("^1.2 || ~2.0", "2.5", true),
            ("^1.2 || ~2.0", "3.0", false),
            ("^1.2 || ~2.0", "1.1", false),
            ("^1.2.3", "1.2.3", true),
            ("^1.2.3", "2.0.0-beta1", false),
            ("^0.3", "0.3.9", true),
            ("^0.3", "0.4.0", false),
            ("~1.2.3", "1.2.9", true),
            ("~1.2.3", "1.3.0", false),
            ("1.0.*", "1.0.9", true),
            ("1.0.*", "1.1.0", false),
            (">=1.0 <1.1 || >=1.2", "1.0.5", true),
            (">=1.0 <1.1 || >=1.2", "1.1.0", false),
            (">=1.0,<1.1|>=1.2", "1.3", true),
            ("<2.0", "2.0.0-beta1", false),
            ("<2.0", "1.9", true),
            ("1.0 - 2.0", "2.0.9", true),
            ("1.0 - 2.0", "2.1", false),
            ("1.0.0 - 2.1.0", "2.1.0", true),
            ("1.0.0 - 2.1.0", "2.1.1", false),
            ("!=1.5", "1.5.0", false),
            ("*", "0.1", true),
            ("1.2.3", "1.2.3.0", true),
        ],
    );
    rejects(Scheme::Composer, &["", "^", ">=abc", "~"]);
}

#[test]
fn maven_ranges_follow_version_range() {
    check(
        Scheme::Maven,
        &[
            ("[1.0,2.0)", "1.0", true),
            ("[1.0,2.0)", "1.9.9", true),
            ("[1.0,2.0)", "2.0", false),
            ("(1.0,2.0]", "1.0", false),
            ("(1.0,2.0]", "2.0.0", true),
            ("[1.0]", "1.0.0", true),
            ("[1.0]", "1.0.1", false),
            ("(,1.0],[1.2,)", "0.9", true),
            ("(,1.0],[1.2,)", "1.1", false),
            ("(,1.0],[1.2,)", "1.2", true),
            ("[1.5,)", "1.5-sp1", true),
            (">= 2.0.0, < 2.9.10.1", "2.9.10", true),
            (">= 2.0.0, < 2.9.10.1", "2.9.10.1", false),
            ("1.0", "1.0.0", true),
        ],
    );
    rejects(
        Scheme::Maven,
        &[
            "[1.0",
            "[1.0,2.0,3.0]",
            "(1.0)",
            "[,]",
            "[1.0,2.0),",
            "[1.0]x",
        ],
    );
}

#[test]
fn nuget_ranges_follow_nuget_docs() {
    check(
        Scheme::NuGet,
        &[
            ("1.0", "1.0", true),
            ("1.0", "5.0", true),
            ("1.0", "0.9", false),
            ("[1.0]", "1.0.0.0", true),
            ("(1.0,)", "1.0", false),
            ("(,1.0]", "1.0", true),
            ("[1.0,2.0)", "2.0", false),
            ("(1.0,2.0)", "1.5-beta", true),
            (">= 4.0.0, < 4.3.1", "4.3.0", true),
        ],
    );
    rejects(Scheme::NuGet, &["[1.0,2.0),(3.0,)", "[1.0", "(1.0)"]);
}

#[test]
fn plain_comparators_serve_os_schemes() {
    check(
        Scheme::Dpkg,
        &[
            ("<< 1.2-3", "1.2-2", true),
            (">= 1:0, << 2", "1:1.5", false),
        ],
    );
    check(
        Scheme::Rpm,
        &[
            ("< 1.0-2.el9", "1.0-1.el9", true),
            ("= 1.0-1", "1.0-1", true),
        ],
    );
    check(
        Scheme::Apk,
        &[
            ("<1.2.3-r2", "1.2.3-r1", true),
            ("<1.2.3-r2", "1.2.3_p1-r0", false),
        ],
    );
    check(
        Scheme::Go,
        &[(">=v1.2.0, <v1.3.0 || >=v2.0.0", "v2.1.0+incompatible", true)],
    );
    rejects(Scheme::Dpkg, &["", ">=", "~> 1.0", "^1.0"]);
}

#[test]
fn versions_of_another_scheme_never_match() {
    let r = VersionReq::parse(Scheme::Semver, "*").unwrap();
    let v = Version::parse(Scheme::NuGet, "1.0.0").unwrap();
    assert!(!r.matches(&v));
}
