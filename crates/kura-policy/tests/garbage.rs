//! Garbage and truncated input to the ignore-file and VEX parsers yields errors, never panics.

use kura_policy::{IgnoreFile, VexDocument, purl};
use proptest::prelude::*;

const VALID_IGNORE: &str = "- id: CVE-2024-1\n  package: openssl\n  purl: pkg:deb/debian/openssl@1?arch=amd64\n  path: /var/lib/dpkg/\n  reason: r\n  expires: 2026-12-31\n";
const VALID_VEX: &str = r#"{"@context":"https://openvex.dev/ns/v0.2.0","timestamp":"2026-01-01T00:00:00Z","statements":[{"vulnerability":{"name":"CVE-1","aliases":["GHSA-1"]},"products":[{"@id":"pkg:oci/app@sha256:aa","subcomponents":[{"@id":"pkg:deb/debian/x"}]}],"status":"not_affected","justification":"component_not_present"}]}"#;

#[test]
fn every_truncation_of_valid_input_is_handled() {
    assert!(IgnoreFile::parse(VALID_IGNORE, "i").is_ok());
    assert!(VexDocument::parse(VALID_VEX.as_bytes(), "v").is_ok());
    for n in 0..VALID_IGNORE.len() {
        if let Some(prefix) = VALID_IGNORE.get(..n) {
            let _ = IgnoreFile::parse(prefix, "i");
        }
    }
    for n in 0..VALID_VEX.len() {
        assert!(
            VexDocument::parse(&VALID_VEX.as_bytes()[..n], "v").is_err(),
            "prefix {n} accepted"
        );
    }
}

#[test]
fn yaml_alias_bombs_and_deep_nesting_are_errors() {
    let bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n";
    assert!(IgnoreFile::parse(bomb, "i").is_err());
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(IgnoreFile::parse(&deep, "i").is_err());
    assert!(VexDocument::parse(deep.as_bytes(), "v").is_err());
}

proptest! {
    #[test]
    fn ignore_parser_never_panics(s in "\\PC{0,200}") {
        let _ = IgnoreFile::parse(&s, "i");
    }

    #[test]
    fn ignore_parser_survives_mutated_valid_input(pos in 0usize..200, byte in any::<u8>()) {
        let mut b = VALID_IGNORE.as_bytes().to_vec();
        let i = pos % b.len();
        b[i] = byte;
        if let Ok(s) = std::str::from_utf8(&b) {
            let _ = IgnoreFile::parse(s, "i");
        }
    }

    #[test]
    fn vex_parser_never_panics(b in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = VexDocument::parse(&b, "v");
    }

    #[test]
    fn vex_parser_survives_mutated_valid_input(pos in 0usize..400, byte in any::<u8>()) {
        let mut b = VALID_VEX.as_bytes().to_vec();
        let i = pos % b.len();
        b[i] = byte;
        let _ = VexDocument::parse(&b, "v");
    }

    #[test]
    fn purl_parser_never_panics(s in "(pkg:)?\\PC{0,80}") {
        if let Some(p) = purl::parse(&s) {
            prop_assert!(purl::matches(&p, &p), "a purl matches itself: {s}");
        }
    }
}
