//! Base scores of published vectors, and rejection of malformed ones.

use kura_cvss::{CvssError, CvssVersion, score};
use kura_types::Severity;
use proptest::prelude::*;

#[test]
fn published_vectors_score_as_published() {
    let table: &[(&str, f64, Severity)] = &[
        // NVD v2 (no prefix): CVE-2014-0160 Heartbleed, classic RCE, XSS, local root.
        ("AV:N/AC:L/Au:N/C:P/I:N/A:N", 5.0, Severity::Medium),
        ("AV:N/AC:L/Au:N/C:P/I:P/A:P", 7.5, Severity::High),
        ("AV:N/AC:L/Au:N/C:C/I:C/A:C", 10.0, Severity::High),
        ("AV:N/AC:M/Au:N/C:N/I:P/A:N", 4.3, Severity::Medium),
        ("AV:L/AC:L/Au:N/C:C/I:C/A:C", 7.2, Severity::High),
        ("AV:N/AC:M/Au:N/C:C/I:C/A:C", 9.3, Severity::High),
        ("AV:L/AC:L/Au:N/C:P/I:N/A:N", 2.1, Severity::Low),
        ("(AV:N/AC:L/Au:S/C:P/I:P/A:P)", 6.5, Severity::Medium),
        ("AV:L/AC:H/Au:M/C:N/I:N/A:P", 0.8, Severity::Low),
        // v3.x: CVE-2021-44228 Log4Shell, CVE-2014-0160, CVE-2021-3156, typical XSS.
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
            10.0,
            Severity::Critical,
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            9.8,
            Severity::Critical,
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
            7.5,
            Severity::High,
        ),
        (
            "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
            7.8,
            Severity::High,
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
            6.1,
            Severity::Medium,
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N",
            6.4,
            Severity::Medium,
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H",
            9.9,
            Severity::Critical,
        ),
        (
            "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N",
            5.9,
            Severity::Medium,
        ),
        (
            "CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N",
            1.6,
            Severity::Low,
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N",
            0.0,
            Severity::Unknown,
        ),
        (
            "CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H",
            8.8,
            Severity::High,
        ),
        // Temporal/environmental metrics are validated but stay out of the base score.
        (
            "CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:N/E:H/RL:O/RC:C/CR:H/IR:H/AR:H/MAV:N",
            9.3,
            Severity::Critical,
        ),
        // v4.0 (CVSS-B): examples from the FIRST calculator.
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            9.3,
            Severity::Critical,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H",
            10.0,
            Severity::Critical,
        ),
        (
            "CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            8.5,
            Severity::High,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:N/SC:N/SI:L/SA:N",
            6.9,
            Severity::Medium,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:A/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N",
            5.1,
            Severity::Medium,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:P/PR:H/UI:A/VC:N/VI:L/VA:N/SC:N/SI:L/SA:N",
            1.8,
            Severity::Low,
        ),
        (
            "CVSS:4.0/AV:N/AC:H/AT:N/PR:H/UI:A/VC:N/VI:N/VA:N/SC:N/SI:H/SA:N",
            4.0,
            Severity::Medium,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N",
            0.0,
            Severity::Unknown,
        ),
        // Ties that binary arithmetic lands just below (x.x4999…) must still round half up.
        (
            "CVSS:4.0/AV:N/AC:L/AT:P/PR:H/UI:A/VC:N/VI:H/VA:L/SC:N/SI:N/SA:L",
            5.7,
            Severity::Medium,
        ),
        (
            "CVSS:4.0/AV:L/AC:L/AT:P/PR:N/UI:A/VC:N/VI:N/VA:L/SC:H/SI:H/SA:H",
            5.0,
            Severity::Medium,
        ),
        // Threat and supplemental metrics do not change CVSS-B.
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U/CR:L/AU:Y/U:Red",
            9.3,
            Severity::Critical,
        ),
    ];
    let mut failures = Vec::new();
    for &(vector, base, severity) in table {
        match score(vector) {
            Ok(s) if s.base == base && s.severity == severity => {}
            Ok(s) => failures.push(format!(
                "{vector}: want {base} {severity}, got {} {}",
                s.base, s.severity
            )),
            Err(e) => failures.push(format!("{vector}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn version_is_reported() {
    for (vector, version) in [
        ("AV:N/AC:L/Au:N/C:P/I:N/A:N", CvssVersion::V2),
        ("CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:N/A:N", CvssVersion::V2),
        (
            "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            CvssVersion::V3_0,
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            CvssVersion::V3_1,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            CvssVersion::V4_0,
        ),
    ] {
        assert_eq!(score(vector).map(|s| s.version), Ok(version), "{vector}");
    }
}

/// Predicate on the error a malformed vector must produce.
type Expect = fn(&CvssError) -> bool;

#[test]
fn malformed_vectors_are_rejected_with_the_reason() {
    let v31 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
    let cases: &[(String, Expect)] = &[
        ("".into(), |e| matches!(e, CvssError::UnknownVersion { .. })),
        ("CVSS:3.2/AV:N".into(), |e| {
            matches!(e, CvssError::UnknownVersion { .. })
        }),
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H".into(),
            |e| matches!(e, CvssError::Missing { metric, .. } if metric == "A"),
        ),
        (
            format!("{v31}/A:H"),
            |e| matches!(e, CvssError::Duplicate { metric, .. } if metric == "A"),
        ),
        (
            v31.replace("AV:N", "AV:Q"),
            |e| matches!(e, CvssError::InvalidValue { metric, value, .. } if metric == "AV" && value == "Q"),
        ),
        (
            format!("{v31}/XX:1"),
            |e| matches!(e, CvssError::UnknownMetric { metric, .. } if metric == "XX"),
        ),
        (format!("{v31}/"), |e| {
            matches!(e, CvssError::Malformed { .. })
        }),
        (v31.replace("/S:U", "/S"), |e| {
            matches!(e, CvssError::Malformed { .. })
        }),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:h".into(), |e| {
            matches!(e, CvssError::InvalidValue { .. })
        }),
        ("AV:N/AC:L/Au:N/C:P/I:N".into(), |e| {
            matches!(e, CvssError::Missing { .. })
        }),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:S/SA:N".into(),
            |e| matches!(e, CvssError::InvalidValue { metric, .. } if metric == "SI"),
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N".into(),
            |e| matches!(e, CvssError::Missing { metric, .. } if metric == "SA"),
        ),
        // A v3 metric in a v4 vector.
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/C:H".into(),
            |e| matches!(e, CvssError::UnknownMetric { metric, .. } if metric == "C"),
        ),
    ];
    for (vector, ok) in cases {
        match score(vector) {
            Ok(s) => panic!("{vector:?} accepted with {}", s.base),
            Err(e) => {
                assert!(ok(&e), "{vector:?}: unexpected {e:?}");
                assert!(
                    e.to_string().contains(vector.trim()),
                    "{e} does not name the vector"
                );
            }
        }
    }
}

proptest! {
    #[test]
    fn garbage_never_panics(s in ".{0,80}") {
        let _ = score(&s);
    }

    #[test]
    fn vector_like_input_never_panics(
        prefix in prop::sample::select(vec!["", "CVSS:2.0/", "CVSS:3.0/", "CVSS:3.1/", "CVSS:4.0/"]),
        parts in prop::collection::vec(r"(AV|AC|AT|Au|PR|UI|S|C|I|A|VC|VI|VA|SC|SI|SA|E|MSI|CR|U):(N|L|H|A|P|R|U|C|S|M|X|Red)", 0..16),
    ) {
        let v = format!("{prefix}{}", parts.join("/"));
        if let Ok(s) = score(&v) {
            prop_assert!((0.0..=10.0).contains(&s.base), "{v}: {}", s.base);
            prop_assert_eq!((s.base * 10.0).round() / 10.0, s.base);
        }
    }
}
