//! Properties every scheme's order must have, over random version-like strings, and the
//! guarantee that no input makes parsing panic.

use kura_version::{Scheme, Version, VersionReq};
use proptest::prelude::*;
use std::cmp::Ordering;

/// Version-shaped strings for each scheme: its separators, digits and the words it knows.
fn version_like(scheme: Scheme) -> BoxedStrategy<String> {
    let atom = match scheme {
        Scheme::Dpkg => r"([0-9]{1,3}|[a-z~+.]|[~.+-][0-9])",
        Scheme::Apk => {
            r"([0-9]{1,3}|\.0?[0-9]|[a-c]|_(alpha|beta|pre|rc|cvs|svn|git|hg|p)[0-9]?|-r[0-9])"
        }
        Scheme::Rpm => r"([0-9]{1,3}|[a-z]|[~^._+-])",
        Scheme::Semver | Scheme::Go | Scheme::NuGet => r"([0-9]{1,2}|\.|-|\+|[a-zA-Z]|rc|alpha)",
        Scheme::Pep440 => r"([0-9]{1,3}|\.|-|_|\+|!|a|b|rc|post|dev|c|pre|r|[a-z])",
        Scheme::Maven => r"([0-9]{1,3}|\.|-|alpha|beta|milestone|rc|cr|snapshot|ga|final|sp|[a-z])",
        Scheme::RubyGems => r"([0-9]{1,3}|\.|-|[a-zA-Z]|pre|rc)",
        Scheme::Composer => r"([0-9]{1,3}|\.|-|alpha|beta|RC|dev|patch|pl|p|a|b|x)",
    };
    let prefix = match scheme {
        Scheme::Dpkg
        | Scheme::Rpm
        | Scheme::Apk
        | Scheme::RubyGems
        | Scheme::Composer
        | Scheme::Maven
        | Scheme::Pep440 => r"[0-9]{1,2}",
        Scheme::Semver | Scheme::Go => r"[0-9]\.[0-9]{1,2}\.[0-9]",
        Scheme::NuGet => r"[0-9]\.[0-9]{1,2}(\.[0-9]){0,2}",
    };
    (prefix, prop::collection::vec(atom, 0..6))
        .prop_map(|(p, rest)| format!("{p}{}", rest.concat()))
        .boxed()
}

fn parsed(scheme: Scheme) -> impl Strategy<Value = Version> {
    version_like(scheme).prop_filter_map("valid version", move |s| Version::parse(scheme, &s).ok())
}

fn schemes() -> impl Strategy<Value = Scheme> {
    prop::sample::select(Scheme::ALL.to_vec())
}

fn triple() -> impl Strategy<Value = (Version, Version, Version)> {
    schemes().prop_flat_map(|s| (parsed(s), parsed(s), parsed(s)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn order_is_antisymmetric_and_reflexive((a, b, _c) in triple()) {
        prop_assert_eq!(a.cmp(&a), Ordering::Equal, "{} != itself", a);
        prop_assert_eq!(a.cmp(&b), b.cmp(&a).reverse(), "{} vs {}", a, b);
    }

    #[test]
    fn order_is_transitive((a, b, c) in triple()) {
        let mut v = [a, b, c];
        v.sort();
        let [x, y, z] = &v;
        prop_assert!(x <= y && y <= z && x <= z, "{} <= {} <= {} broke", x, y, z);
        prop_assert_eq!(x.cmp(z) == Ordering::Equal, x == y && y == z, "{} {} {}", x, y, z);
    }

    #[test]
    fn equal_versions_compare_alike((a, b, c) in triple()) {
        if a == b {
            prop_assert_eq!(a.cmp(&c), b.cmp(&c), "{} == {} but differ against {}", a, b, c);
        }
    }

    #[test]
    fn garbage_versions_never_panic(scheme in schemes(), s in ".{0,40}") {
        let _ = Version::parse(scheme, &s);
    }

    #[test]
    fn version_like_input_never_panics(scheme in schemes(), s in schemes().prop_flat_map(version_like)) {
        let _ = Version::parse(scheme, &s);
    }

    #[test]
    fn garbage_requirements_never_panic(
        scheme in schemes(),
        s in r"([<>=!~^*|, \[\](),.xX-]|[0-9]{1,20}|[a-z]{1,3}| - ){0,12}",
    ) {
        if let Ok(r) = VersionReq::parse(scheme, &s)
            && let Ok(v) = Version::parse(scheme, "1.0.0")
        {
            let _ = r.matches(&v);
        }
        let _ = VersionReq::parse_cargo(&s);
    }
}
