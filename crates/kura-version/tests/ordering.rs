//! Ordering tables: each row is `a < b` (or `a == b`) under one scheme, taken from the rules
//! and examples each scheme's specification documents.

use kura_version::{Scheme, Version, compare};
use std::cmp::Ordering::{self, Equal, Greater, Less};

fn check(scheme: Scheme, rows: &[(&str, Ordering, &str)]) {
    let mut failures = Vec::new();
    for &(a, want, b) in rows {
        match compare(scheme, a, b) {
            Ok(got) if got == want => {
                let back = compare(scheme, b, a).ok();
                if back != Some(want.reverse()) {
                    failures.push(format!("{a} vs {b}: not antisymmetric ({back:?})"));
                }
            }
            Ok(got) => failures.push(format!("{a} vs {b}: want {want:?}, got {got:?}")),
            Err(e) => failures.push(format!("{a} vs {b}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{scheme}:\n{}", failures.join("\n"));
}

fn rejects(scheme: Scheme, bad: &[&str]) {
    let accepted: Vec<&&str> = bad
        .iter()
        .filter(|v| Version::parse(scheme, v).is_ok())
        .collect();
    assert!(accepted.is_empty(), "{scheme} accepted {accepted:?}");
}

#[test]
fn dpkg_order_follows_debian_policy() {
    check(
        Scheme::Dpkg,
        &[
            ("1.0~rc1", Less, "1.0"),
            ("1.0~~", Less, "1.0~"),
            ("1.0~", Less, "1.0"),
            ("1.0", Less, "1.0a"),
            ("1.0a", Less, "1.0+"),
            ("1.0+", Less, "1.0.1"),
            ("1.0", Equal, "1.0-0"),
            ("1.0", Equal, "0:1.0"),
            ("1:0.1", Greater, "9.9"),
            ("1.2.3-1", Less, "1.2.3-2"),
            ("1.2.3-1", Less, "1.2.3-1ubuntu1"),
            ("1.2.3-1ubuntu1", Less, "1.2.3-1.1"),
            ("1.2.10", Greater, "1.2.9"),
            ("1.002", Equal, "1.2"),
            ("2.30-1", Less, "2.30-1+deb12u1"),
            ("1.0-1~bpo1", Less, "1.0-1"),
            ("7.88.1-10+deb12u5", Less, "7.88.1-10+deb12u6"),
            ("1.1.1n-0+deb11u5", Greater, "1.1.1k-1+deb11u1"),
            ("2:1.0", Greater, "1:99"),
            ("1.0-a-b", Greater, "1.0-a"),
            ("99999999999999999999999", Less, "100000000000000000000000"),
        ],
    );
    rejects(
        Scheme::Dpkg,
        &[
            "", "a:1.0", ":1.0", "1.0-", "1 .0", "1.0_1", "1:", "1.0-r@v",
        ],
    );
}

#[test]
fn apk_order_follows_apk_tools() {
    check(
        Scheme::Apk,
        &[
            ("1.2.3_rc1", Less, "1.2.3"),
            ("1.2.3", Less, "1.2.3_p1"),
            ("1.2.3_alpha", Less, "1.2.3_beta"),
            ("1.2.3_beta", Less, "1.2.3_pre"),
            ("1.2.3_pre", Less, "1.2.3_rc"),
            ("1.2.3_cvs", Less, "1.2.3_svn"),
            ("1.2.3_svn", Less, "1.2.3_git"),
            ("1.2.3_git", Less, "1.2.3_hg"),
            ("1.2.3_hg", Less, "1.2.3_p"),
            ("1.0a", Greater, "1.0"),
            ("1.0a", Less, "1.0b"),
            ("1.0a", Less, "1.0.1"),
            ("1.2.3-r0", Less, "1.2.3-r1"),
            ("1.2.3-r9", Less, "1.2.3-r10"),
            ("1.2.3", Less, "1.2.3-r0"),
            ("1.2.3_p1", Greater, "1.2.3-r5"),
            ("1.2.3_rc1", Less, "1.2.3-r1"),
            ("1.2.3_rc1", Less, "1.2.3_rc2"),
            ("1.2.3_rc", Less, "1.2.3_rc1"),
            ("1.01", Less, "1.1"),
            ("1.001", Less, "1.01"),
            ("1.0", Greater, "1"),
            ("1.10", Greater, "1.9"),
            ("01", Equal, "1"),
            ("3.0.13-r0", Less, "3.1.4-r0"),
            ("1.36.1-r2", Less, "1.36.1-r15"),
            ("2.4.10_git20230101-r0", Greater, "2.4.10-r3"),
        ],
    );
    rejects(
        Scheme::Apk,
        &[
            "",
            "a1",
            "1.2.3_foo",
            "1.2.3-1",
            "1.2.3-r",
            "1..2",
            "1.2.3_rc.1",
            "1.2.3 ",
            "1.2.3~x",
        ],
    );
}

#[test]
fn rpm_order_follows_rpmvercmp() {
    check(
        Scheme::Rpm,
        &[
            ("1.0", Equal, "1.0"),
            ("1.0", Less, "2.0"),
            ("2.0.1", Greater, "2.0"),
            ("2.0.1a", Greater, "2.0.1"),
            ("5.5p1", Less, "5.5p2"),
            ("5.5p10", Greater, "5.5p1"),
            ("10xyz", Less, "10.1xyz"),
            ("xyz10", Less, "xyz10.1"),
            ("xyz.4", Less, "8"),
            ("1.0", Equal, "1_0"),
            ("1.0", Equal, "1..0"),
            ("2_0", Equal, "2.0"),
            ("1.0aa", Greater, "1.0a"),
            ("1b.fc17", Equal, "1b.fc17"),
            ("1b.fc17", Less, "1.fc17"),
            ("1.0~rc1", Less, "1.0"),
            ("1.0~rc1", Less, "1.0~rc2"),
            ("1.0~rc1~git123", Less, "1.0~rc1"),
            ("1.0^", Greater, "1.0"),
            ("1.0^git1", Greater, "1.0"),
            ("1.0^git1", Less, "1.01"),
            ("1.0^git1", Less, "1.0.1"),
            ("1.0^git1", Less, "1.0^git2"),
            ("1.0~rc1^git1", Less, "1.0~rc1^git2"),
            ("1.0~rc1^git1", Greater, "1.0~rc1"),
            ("1:1.0", Greater, "2.0"),
            ("0:1.0", Equal, "1.0"),
            ("1.0-1.el9", Less, "1.0-2.el9"),
            ("1.0-1.el9", Less, "1.0.1-0.el9"),
            ("3.0.7-24.el9", Less, "3.0.7-25.el9_3"),
            ("1.0", Less, "1.0-1"),
        ],
    );
    rejects(Scheme::Rpm, &["", "a:1", "1.0-", ":1", "1:2:3", "1.0 -1"]);
}

#[test]
fn semver_order_follows_semver_org() {
    check(
        Scheme::Semver,
        &[
            ("1.0.0-alpha", Less, "1.0.0-alpha.1"),
            ("1.0.0-alpha.1", Less, "1.0.0-alpha.beta"),
            ("1.0.0-alpha.beta", Less, "1.0.0-beta"),
            ("1.0.0-beta", Less, "1.0.0-beta.2"),
            ("1.0.0-beta.2", Less, "1.0.0-beta.11"),
            ("1.0.0-beta.11", Less, "1.0.0-rc.1"),
            ("1.0.0-rc.1", Less, "1.0.0"),
            ("1.0.0", Less, "2.0.0"),
            ("2.0.0", Less, "2.1.0"),
            ("2.1.0", Less, "2.1.1"),
            ("1.0.0+build.1", Equal, "1.0.0+build.2"),
            ("1.0.0-1", Less, "1.0.0-a"),
            ("1.0.0-0", Less, "1.0.0-0.0"),
            ("v1.2.3", Equal, "1.2.3"),
            ("1.2.3-x-y-z.--", Greater, "1.2.3-x-y-z.-"),
            ("1.10.0", Greater, "1.9.0"),
        ],
    );
    rejects(
        Scheme::Semver,
        &[
            "",
            "1",
            "1.2",
            "1.2.3.4",
            "01.2.3",
            "1.2.3-01",
            "1.2.3-",
            "1.2.3+",
            "1.2.3-a..b",
            "a.b.c",
        ],
    );
}

#[test]
fn pep440_order_follows_the_spec_summary() {
    check(
        Scheme::Pep440,
        &[
            ("1.0.dev0", Less, "1.0a1"),
            ("1.0a1", Less, "1.0"),
            ("1.0", Less, "1.0.post1"),
            ("1.0.dev456", Less, "1.0a1"),
            ("1.0a1", Less, "1.0a2.dev456"),
            ("1.0a2.dev456", Less, "1.0a12.dev456"),
            ("1.0a12.dev456", Less, "1.0a12"),
            ("1.0a12", Less, "1.0b1.dev456"),
            ("1.0b1.dev456", Less, "1.0b2"),
            ("1.0b2", Less, "1.0b2.post345.dev456"),
            ("1.0b2.post345.dev456", Less, "1.0b2.post345"),
            ("1.0b2.post345", Less, "1.0rc1.dev456"),
            ("1.0rc1.dev456", Less, "1.0rc1"),
            ("1.0rc1", Less, "1.0"),
            ("1.0", Less, "1.0+abc.5"),
            ("1.0+abc.5", Less, "1.0+abc.7"),
            ("1.0+abc.7", Less, "1.0+5"),
            ("1.0+5", Less, "1.0.post456.dev34"),
            ("1.0.post456.dev34", Less, "1.0.post456"),
            ("1.0.post456", Less, "1.0.15"),
            ("1.0.15", Less, "1.1.dev1"),
            ("1.0", Equal, "1.0.0"),
            ("1.0", Equal, "v1.0"),
            ("1.0alpha1", Equal, "1.0a1"),
            ("1.0-beta.2", Equal, "1.0b2"),
            ("1.0c1", Equal, "1.0rc1"),
            ("1.0pre1", Equal, "1.0rc1"),
            ("1.0-1", Equal, "1.0.post1"),
            ("1.0.rev1", Equal, "1.0.post1"),
            ("1.0a", Equal, "1.0a0"),
            ("1.0.POST", Equal, "1.0.post0"),
            ("1.0+ABC", Equal, "1.0+abc"),
            ("1.0+abc", Less, "1.0+abc.0"),
            ("1!0.1", Greater, "2.0"),
            ("0!2.0", Equal, "2.0"),
            ("2.0.dev1", Less, "2.0a0.dev0"),
        ],
    );
    rejects(
        Scheme::Pep440,
        &[
            "", "a", "1.0+", "1.0+a..b", "1.0-", "1.0.x", "1!", "!1", "1.0 a1 b", "1.0+a/b",
        ],
    );
}

#[test]
fn maven_order_follows_comparable_version() {
    check(
        Scheme::Maven,
        &[
            ("1.0-alpha", Less, "1.0"),
            ("1.0", Less, "1.0-sp"),
            ("1.0.0", Equal, "1"),
            ("1-ga", Equal, "1"),
            ("1-final", Equal, "1.0"),
            ("1-release", Equal, "1"),
            ("1.0-alpha1", Less, "1.0-alpha2"),
            ("1.0-alpha-1", Equal, "1.0-alpha1"),
            ("1.0-a1", Equal, "1.0-alpha-1"),
            ("1.0-b1", Equal, "1.0-beta-1"),
            ("1.0-m1", Equal, "1.0-milestone-1"),
            ("1.0-alpha", Less, "1.0-beta"),
            ("1.0-beta", Less, "1.0-milestone"),
            ("1.0-milestone", Less, "1.0-rc"),
            ("1.0-rc", Equal, "1.0-cr"),
            ("1.0-rc", Less, "1.0-snapshot"),
            ("1.0-snapshot", Less, "1.0"),
            ("1.0-sp", Less, "1.0-abc"),
            ("1.0-abc", Less, "1.0-xyz"),
            ("1.0", Less, "1.0.1"),
            ("1.0-sp", Less, "1.0.1"),
            ("1.0.1", Greater, "1.0-1"),
            ("1-1", Less, "1.1"),
            ("1.0-SNAPSHOT", Equal, "1.0-snapshot"),
            ("2.0", Greater, "1.999999999999999999999"),
            ("1.10", Greater, "1.9"),
            ("1.0.RELEASE", Equal, "1.0"),
            ("2.13.4.2", Greater, "2.13.4"),
            ("5.3.18", Less, "5.3.20"),
            ("1.0-alpha.1", Less, "1.0-alpha.2"),
        ],
    );
    rejects(Scheme::Maven, &["", "1.0 beta", "1.0\u{0}"]);
}

#[test]
fn go_order_follows_module_reference() {
    check(
        Scheme::Go,
        &[
            ("v1.2.3", Less, "v1.2.4"),
            ("v1.2.3", Equal, "1.2.3"),
            ("v0.0.0-20191109021931-daa7c04131f5", Less, "v0.0.1"),
            ("v1.2.4-0.20191109021931-daa7c04131f5", Greater, "v1.2.3"),
            ("v1.2.4-0.20191109021931-daa7c04131f5", Less, "v1.2.4"),
            (
                "v1.2.4-0.20191109021931-daa7c04131f5",
                Less,
                "v1.2.4-0.20201109021931-aaa7c04131f5",
            ),
            (
                "v1.2.3-pre.0.20191109021931-daa7c04131f5",
                Greater,
                "v1.2.3-pre",
            ),
            ("v2.0.0+incompatible", Equal, "v2.0.0"),
            ("v2.0.0+incompatible", Greater, "v1.9.9"),
            ("v1.0.0-rc.1", Less, "v1.0.0"),
        ],
    );
    rejects(
        Scheme::Go,
        &["", "v1", "v1.2", "v1.2.3+build", "v01.2.3", "go1.21"],
    );
}

#[test]
fn rubygems_order_follows_gem_version() {
    check(
        Scheme::RubyGems,
        &[
            ("1.0", Equal, "1"),
            ("1.0.0", Equal, "1"),
            ("1.0.a", Less, "1.0"),
            ("1.0.a", Less, "1.0.b"),
            ("1.0.a1", Less, "1.0.a2"),
            ("1.0.a10", Greater, "1.0.a9"),
            ("1.0.a", Less, "1.0.0.1"),
            ("1.0", Less, "1.0.1"),
            ("1.0-beta", Equal, "1.0.pre.beta"),
            ("1.0.rc1", Greater, "1.0.beta2"),
            ("1.0.A", Less, "1.0.a"),
            ("2.6.14.1", Greater, "2.6.14"),
            ("1.9.3", Less, "1.10.0"),
            ("0.a", Less, "0"),
            ("", Equal, "0"),
            ("1.a.0", Equal, "1.a"),
        ],
    );
    rejects(
        Scheme::RubyGems,
        &["a", "1..2", "1.0 beta", ".1", "1.", "1.0_1"],
    );
}

#[test]
fn composer_order_follows_version_compare() {
    check(
        Scheme::Composer,
        &[
            ("1.0.0-dev", Less, "1.0.0-alpha1"),
            ("1.0.0-alpha1", Less, "1.0.0-beta1"),
            ("1.0.0-beta1", Less, "1.0.0-RC1"),
            ("1.0.0-RC1", Less, "1.0.0"),
            ("1.0.0", Less, "1.0.0-patch1"),
            ("1.0.0-patch1", Less, "1.0.0.1"),
            ("1.0", Equal, "1.0.0.0"),
            ("v1.0", Equal, "1.0"),
            ("1.0-stable", Equal, "1.0"),
            ("1.0.0-b1", Equal, "1.0.0-beta1"),
            ("1.0.0-pl1", Equal, "1.0.0-patch1"),
            ("1.0.0-rc.2", Equal, "1.0.0-RC2"),
            ("1.0.0-beta1", Less, "1.0.0-beta2"),
            ("1.0.0-beta2-dev", Less, "1.0.0-beta2"),
            ("1.0+build5", Equal, "1.0"),
            ("1.0@dev", Equal, "1.0"),
            ("1.x-dev", Greater, "1.99.0"),
            ("1.x-dev", Less, "2.0.0-dev"),
            ("2023.01.01", Greater, "2022.12.31"),
            ("5.4.3", Less, "5.4.10"),
        ],
    );
    rejects(
        Scheme::Composer,
        &["", "dev-main", "abc", "1.0-foo", "1.0@nope", "1.0.0.0.0"],
    );
}

#[test]
fn nuget_order_follows_nuget_semver2() {
    check(
        Scheme::NuGet,
        &[
            ("1.0", Equal, "1.0.0"),
            ("1.0", Equal, "1.0.0.0"),
            ("1.0.0.1", Greater, "1.0.0"),
            ("1.0.0-beta", Less, "1.0.0"),
            ("1.0.0-Beta", Equal, "1.0.0-beta"),
            ("1.0.0-alpha", Less, "1.0.0-beta"),
            ("1.0.0-beta.2", Less, "1.0.0-beta.10"),
            ("1.0.0+meta", Equal, "1.0.0"),
            ("01.2", Equal, "1.2"),
            ("6.0.0-preview.1", Less, "6.0.0-rc.1"),
            ("13.0.1", Greater, "13.0.0.9"),
            ("1", Equal, "1.0"),
        ],
    );
    rejects(
        Scheme::NuGet,
        &["", "a.b", "1.2.3.4.5", "1.0-", "1.0.0-beta..1", "1.x"],
    );
}

#[test]
fn errors_name_scheme_and_version() {
    let err = compare(Scheme::Dpkg, "1.0", "a:b").unwrap_err().to_string();
    assert!(err.contains("dpkg") && err.contains("a:b"), "{err}");
}

#[test]
fn scheme_follows_ecosystem() {
    use kura_types::Ecosystem;
    let table = [
        (Ecosystem::Deb, Scheme::Dpkg),
        (Ecosystem::Apk, Scheme::Apk),
        (Ecosystem::Rpm, Scheme::Rpm),
        (Ecosystem::PyPI, Scheme::Pep440),
        (Ecosystem::Npm, Scheme::Semver),
        (Ecosystem::Cargo, Scheme::Semver),
        (Ecosystem::Go, Scheme::Go),
        (Ecosystem::Maven, Scheme::Maven),
        (Ecosystem::RubyGems, Scheme::RubyGems),
        (Ecosystem::Packagist, Scheme::Composer),
        (Ecosystem::NuGet, Scheme::NuGet),
    ];
    assert_eq!(table.len(), Ecosystem::ALL.len());
    for (e, s) in table {
        assert_eq!(Scheme::for_ecosystem(e), s, "{e}");
    }
}

#[test]
fn pypi_names_normalise_per_pep503() {
    for (raw, want) in [
        ("Django", "django"),
        ("zope.interface", "zope-interface"),
        ("Foo__Bar--baz..Qux", "foo-bar-baz-qux"),
        ("ruamel.yaml.clib", "ruamel-yaml-clib"),
        ("a-_.b", "a-b"),
    ] {
        assert_eq!(kura_version::normalize_pypi_name(raw), want, "{raw}");
    }
}

#[test]
fn prerelease_flag_follows_scheme() {
    for (scheme, v, want) in [
        (Scheme::Dpkg, "1.0~rc1-1", true),
        (Scheme::Dpkg, "1.0-1", false),
        (Scheme::Apk, "1.0_rc1-r0", true),
        (Scheme::Apk, "1.0_p1-r0", false),
        (Scheme::Rpm, "1.0~beta-1", true),
        (Scheme::Semver, "1.0.0-rc.1", true),
        (Scheme::Pep440, "1.0.dev1", true),
        (Scheme::Pep440, "1.0.post1", false),
        (Scheme::Maven, "1.0-SNAPSHOT", true),
        (Scheme::Maven, "1.0-sp1", false),
        (Scheme::Go, "v0.0.0-20191109021931-daa7c04131f5", true),
        (Scheme::RubyGems, "1.0.rc1", true),
        (Scheme::Composer, "1.0-RC1", true),
        (Scheme::NuGet, "1.0.0-beta", true),
    ] {
        let parsed = Version::parse(scheme, v).unwrap();
        assert_eq!(parsed.is_prerelease(), want, "{scheme} {v}");
    }
}

#[test]
fn go_pseudo_versions_are_recognised() {
    for (v, want) in [
        ("v0.0.0-20191109021931-daa7c04131f5", true),
        ("v1.2.4-0.20191109021931-daa7c04131f5", true),
        ("v1.2.3-pre.0.20191109021931-daa7c04131f5", true),
        ("v1.2.3-pre", false),
        ("v1.2.3", false),
        ("v0.0.0-2019110902193-daa7c04131f5", false),
    ] {
        assert_eq!(
            Version::parse(Scheme::Go, v).unwrap().is_pseudo(),
            want,
            "{v}"
        );
    }
}
