//! Helpers shared by the writers: timestamps, deterministic identifiers, URI escaping.

use crate::ReportError;
use kura_types::{Inventory, Package, Target};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;

/// `now` converted to UTC and written as `YYYY-MM-DDThh:mm:ssZ`: the form SPDX 2.3 §6.9
/// requires for `created`, and a valid JSON Schema `date-time` for CycloneDX.
pub fn utc_timestamp(now: &str) -> Result<String, ReportError> {
    normalize_time(now).map_err(|reason| ReportError::InvalidTime {
        value: now.to_string(),
        reason,
    })
}

/// Like [`utc_timestamp`] for optional data fields (advisory dates): `None` when unparsable,
/// since a malformed date from an advisory must not make the whole document invalid.
pub fn optional_timestamp(value: Option<&str>) -> Option<String> {
    let v = value?;
    normalize_time(v).ok().or_else(|| {
        // Advisories often carry a bare date; midnight UTC is what they mean.
        time::Date::parse(v, format_description!("[year]-[month]-[day]"))
            .ok()
            .map(|d| format!("{d}T00:00:00Z"))
    })
}

fn normalize_time(value: &str) -> Result<String, String> {
    let t = OffsetDateTime::parse(value.trim(), &Rfc3339).map_err(|e| e.to_string())?;
    let t = t.to_offset(time::UtcOffset::UTC);
    t.format(format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
    ))
    .map_err(|e| e.to_string())
}

/// Lower-case hex SHA-256 of the parts, each followed by a NUL so `["ab","c"]` ≠ `["a","bc"]`.
pub fn sha256_hex(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    hex::encode(h.finalize())
}

/// A UUID string derived from the parts.
///
/// The bits come from SHA-256 of the inputs, not a random source, so the same inputs give the
/// same UUID. It is shaped as version 4 (RFC 9562 §5.4) because the CycloneDX 1.6 schema's
/// `serialNumber` pattern admits only versions 1–5.
pub fn uuid_from(parts: &[&str]) -> String {
    let hex = sha256_hex(parts);
    let b = hex.as_bytes();
    let s = |r: std::ops::Range<usize>| {
        String::from_utf8_lossy(b.get(r).unwrap_or_default()).into_owned()
    };
    // Variant bits 10xx (RFC 9562 §4.1): the first hex digit of the 4th group is 8, 9, a or b.
    let variant = match b.get(16).copied().unwrap_or(b'0') {
        c @ b'0'..=b'9' => c - b'0',
        c => c.wrapping_sub(b'a') + 10,
    } & 0x3
        | 0x8;
    format!(
        "{}-{}-4{}-{:x}{}-{}",
        s(0..8),
        s(8..12),
        s(13..16),
        variant,
        s(17..20),
        s(20..32)
    )
}

/// The digest that identifies the target: the manifest digest when the source has one, else
/// the config digest (the image ID).
pub fn target_digest(t: &Target) -> Option<&str> {
    t.manifest_digest.as_deref().or(t.config_digest.as_deref())
}

/// True for target kinds that are container images (as opposed to a root filesystem or tree).
pub fn is_image(t: &Target) -> bool {
    matches!(
        t.kind.as_str(),
        "docker-archive" | "oci-layout" | "oci-archive" | "registry" | "docker-daemon" | "image"
    )
}

/// A reference split into repository and tag: `ghcr.io/a/b:1.0@sha256:…` → (`ghcr.io/a/b`, `1.0`).
pub fn split_reference(reference: &str) -> (String, Option<String>) {
    let no_digest = reference.split('@').next().unwrap_or(reference);
    let last_slash = no_digest.rfind('/').map_or(0, |i| i + 1);
    match no_digest.get(last_slash..).and_then(|tail| tail.rfind(':')) {
        Some(colon) => {
            let at = last_slash + colon;
            (
                no_digest.get(..at).unwrap_or(no_digest).to_string(),
                no_digest.get(at + 1..).map(str::to_string),
            )
        }
        None => (no_digest.to_string(), None),
    }
}

/// The `pkg:oci` purl of an image target (purl spec `PURL-TYPES.rst`, type `oci`): name is the
/// last path segment of the repository, version the manifest digest. Without a manifest digest
/// there is no artifact identity to name, so there is no purl (a config digest is not one).
pub fn oci_purl(t: &Target) -> Option<String> {
    if !is_image(t) {
        return None;
    }
    let digest = t.manifest_digest.as_deref()?;
    // An archive's path is not a repository name; its tags are.
    let reference = if t.kind == "registry" {
        t.name.as_str()
    } else {
        t.tags.first()?.as_str()
    };
    let (repo, tag) = split_reference(reference);
    let name = repo
        .rsplit('/')
        .next()
        .unwrap_or(&repo)
        .to_ascii_lowercase();
    // OCI distribution spec: a path component is `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`.
    let valid = !name.is_empty()
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        });
    if !valid {
        return None;
    }
    let mut p = kura_purl::Purl::new("oci", &name, digest);
    // repository_url only when the reference names its registry: an unqualified name has
    // no URL, and guessing a default registry would be wrong for most private setups.
    if repo.contains('/')
        && repo
            .split('/')
            .next()
            .is_some_and(|d| d.contains(['.', ':']) || d == "localhost")
    {
        p = p.qualifier("repository_url", &repo.to_ascii_lowercase());
    }
    if let Some(arch) = t.platform.as_deref().and_then(|pl| pl.split('/').nth(1)) {
        p = p.qualifier("arch", arch);
    }
    if let Some(tag) = tag {
        p = p.qualifier("tag", &tag);
    }
    Some(p.to_string())
}

/// Unique, stable references for packages: [`Package::key`], with `#2`, `#3`… appended to
/// repeats so two identical entries never share a reference.
pub fn package_refs(inv: &Inventory) -> Vec<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    inv.packages
        .iter()
        .map(|p| {
            let key = p.key();
            let n = seen.entry(key.clone()).or_insert(0);
            *n += 1;
            if *n == 1 { key } else { format!("{key}#{n}") }
        })
        .collect()
}

/// Map from [`Package::key`] to the first reference made for it, for findings to point at.
pub fn ref_by_key<'a>(inv: &'a Inventory, refs: &'a [String]) -> HashMap<String, &'a str> {
    let mut m = HashMap::new();
    for (p, r) in inv.packages.iter().zip(refs) {
        m.entry(p.key()).or_insert(r.as_str());
    }
    m
}

/// The `kura:*` properties describing where a package came from; shared by CycloneDX
/// `properties` and SPDX annotations so both carry the same facts.
pub fn package_properties(p: &Package, inv: &Inventory) -> Vec<(&'static str, String)> {
    let mut props = vec![("kura:package:ecosystem", p.ecosystem.to_string())];
    if !p.location.path.is_empty() {
        props.push(("kura:source:path", p.location.path.clone()));
    }
    if let Some(i) = p.location.layer_index {
        props.push(("kura:layer:index", i.to_string()));
    }
    let layer = p
        .location
        .layer_index
        .and_then(|i| inv.layers.iter().find(|l| l.index == i));
    let diff_id = p
        .location
        .layer_diff_id
        .clone()
        .or_else(|| layer.map(|l| l.diff_id.clone()));
    if let Some(d) = diff_id.filter(|d| !d.is_empty()) {
        props.push(("kura:layer:diff_id", d));
    }
    if let Some(l) = layer {
        if l.base {
            props.push(("kura:layer:base", "true".to_string()));
        }
        if let Some(c) = &l.created_by {
            props.push(("kura:layer:created_by", c.clone()));
        }
    }
    if let Some(s) = &p.source_name {
        props.push(("kura:package:source_name", s.clone()));
    }
    if let Some(s) = &p.source_version {
        props.push(("kura:package:source_version", s.clone()));
    }
    if let Some(a) = &p.arch {
        props.push(("kura:package:arch", a.clone()));
    }
    if p.dev {
        props.push(("kura:package:dev", "true".to_string()));
    }
    props
}

/// Percent-encode a path for use as a URI reference (RFC 3986 §3.3): keep unreserved
/// characters, `/` and the sub-delims a path may hold; encode everything else byte by byte.
pub fn encode_uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'.'
            | b'_'
            | b'~'
            | b'/'
            | b'!'
            | b'$'
            | b'&'
            | b'\''
            | b'('
            | b')'
            | b'*'
            | b'+'
            | b','
            | b';'
            | b'='
            | b'@' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// True when `s` is an absolute http(s) URL without characters a URI may not contain, so it
/// can go into fields the schemas type as `uri` / `iri-reference`.
pub fn is_web_url(s: &str) -> bool {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    rest.is_some_and(|r| {
        !r.is_empty()
            && !r.starts_with('/')
            && r.bytes().all(|b| {
                b.is_ascii_graphic()
                    && !matches!(
                        b,
                        b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}'
                    )
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_normalize_to_utc_seconds() {
        for (input, want) in [
            ("2026-01-02T03:04:05Z", Some("2026-01-02T03:04:05Z")),
            ("2026-01-02T12:04:05+09:00", Some("2026-01-02T03:04:05Z")),
            ("2026-01-02T03:04:05.123456Z", Some("2026-01-02T03:04:05Z")),
            ("2026-01-02", None),
            ("yesterday", None),
        ] {
            assert_eq!(utc_timestamp(input).ok().as_deref(), want, "{input}");
        }
        assert_eq!(
            optional_timestamp(Some("2024-03-01")).as_deref(),
            Some("2024-03-01T00:00:00Z")
        );
        assert_eq!(optional_timestamp(Some("March")), None);
    }

    #[test]
    fn uuid_is_stable_and_well_formed() {
        let a = uuid_from(&["sha256:abc", "0.1.0"]);
        assert_eq!(a, uuid_from(&["sha256:abc", "0.1.0"]));
        assert_ne!(a, uuid_from(&["sha256:abc", "0.1.1"]));
        let groups: Vec<&str> = a.split('-').collect();
        assert_eq!(
            groups.iter().map(|g| g.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(groups[2].starts_with('4'));
        assert!(
            matches!(groups[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'),
            "{a}"
        );
    }

    #[test]
    fn references_split_into_repository_and_tag() {
        for (input, repo, tag) in [
            ("alpine:3.19", "alpine", Some("3.19")),
            ("alpine", "alpine", None),
            ("localhost:5000/app", "localhost:5000/app", None),
            ("localhost:5000/app:v1", "localhost:5000/app", Some("v1")),
            ("ghcr.io/a/b:1.0@sha256:00", "ghcr.io/a/b", Some("1.0")),
            ("ghcr.io/a/b@sha256:00", "ghcr.io/a/b", None),
        ] {
            let (r, t) = split_reference(input);
            assert_eq!((r.as_str(), t.as_deref()), (repo, tag), "{input}");
        }
    }

    #[test]
    fn oci_purls_need_a_manifest_digest_and_a_repository_name() {
        let digest = format!("sha256:{}", "a".repeat(64));
        let t = |kind: &str, name: &str, tags: &[&str], manifest: bool| Target {
            name: name.into(),
            kind: kind.into(),
            manifest_digest: manifest.then(|| digest.clone()),
            config_digest: Some("sha256:cc".into()),
            tags: tags.iter().map(|s| s.to_string()).collect(),
            ..Target::default()
        };
        for (target, want) in [
            (
                t("registry", "alpine:3.19", &[], true),
                Some(format!("pkg:oci/alpine@{digest}?tag=3.19")),
            ),
            (
                t("registry", "localhost:5000/team/App", &[], true),
                Some(format!(
                    "pkg:oci/app@{digest}?repository_url=localhost:5000%2Fteam%2Fapp"
                )),
            ),
            (
                t("docker-archive", "./app.tar", &["app:1"], true),
                Some(format!("pkg:oci/app@{digest}?tag=1")),
            ),
            (t("docker-archive", "./app.tar", &[], true), None),
            (t("registry", "alpine:3.19", &[], false), None),
            (t("registry", "bad name!", &[], true), None),
            (t("fs", "alpine", &[], true), None),
        ] {
            assert_eq!(oci_purl(&target), want, "{target:?}");
        }
    }

    #[test]
    fn repeated_package_keys_get_distinct_refs() {
        let p = Package {
            name: "a".into(),
            version: "1".into(),
            ecosystem: kura_types::Ecosystem::Npm,
            purl: "pkg:npm/a@1".into(),
            licenses: vec![],
            source_name: None,
            source_version: None,
            arch: None,
            dev: false,
            location: kura_types::Location {
                path: "/app/package-lock.json".into(),
                ..Default::default()
            },
        };
        let inv = Inventory {
            packages: vec![p.clone(), p.clone(), p],
            ..Inventory::default()
        };
        let refs = package_refs(&inv);
        let key = "pkg:npm/a@1?path=/app/package-lock.json";
        assert_eq!(
            refs,
            [key.to_string(), format!("{key}#2"), format!("{key}#3")]
        );
        assert_eq!(ref_by_key(&inv, &refs).get(key).copied(), Some(key));
    }

    #[test]
    fn uri_paths_are_escaped() {
        assert_eq!(
            encode_uri_path("var/lib/dpkg/status"),
            "var/lib/dpkg/status"
        );
        assert_eq!(
            encode_uri_path("app/my file#1.jar"),
            "app/my%20file%231.jar"
        );
        assert_eq!(encode_uri_path("é"), "%C3%A9");
    }

    #[test]
    fn web_urls_are_recognised() {
        assert!(is_web_url("https://example.org/a?b=c"));
        assert!(!is_web_url("https://"));
        assert!(!is_web_url("ftp://example.org"));
        assert!(!is_web_url("https://example.org/a b"));
        assert!(!is_web_url("CVE-2024-1234"));
    }
}
