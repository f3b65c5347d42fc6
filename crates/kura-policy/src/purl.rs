//! Just enough package-url parsing to compare a VEX or ignore-file product with a finding.
//!
//! Grammar from the purl specification (`PURL-SPECIFICATION.rst`):
//! `pkg:type/namespace/name@version?qualifiers#subpath`. Components are percent-decoded
//! before comparison, the type is case-insensitive, qualifier keys are lower-case.

use std::collections::BTreeMap;

/// A parsed package URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurlParts {
    /// Type, lower-cased (`deb`, `npm`).
    pub ty: String,
    /// Namespace segments joined by `/`, decoded; empty when absent.
    pub namespace: String,
    /// Name, decoded.
    pub name: String,
    /// Version, decoded.
    pub version: Option<String>,
    /// Qualifiers, keys lower-cased, values decoded.
    pub qualifiers: BTreeMap<String, String>,
}

/// Parse a purl; `None` when it is not one.
pub fn parse(s: &str) -> Option<PurlParts> {
    let rest = s.trim().strip_prefix("pkg:")?;
    let rest = rest.trim_start_matches('/');
    let rest = rest.split('#').next().unwrap_or(rest);
    let (rest, qualifiers) = match rest.split_once('?') {
        Some((r, q)) => (r, q),
        None => (rest, ""),
    };
    let (ty, path) = rest.split_once('/')?;
    if ty.is_empty()
        || !ty
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'-'))
    {
        return None;
    }
    let path = path.trim_end_matches('/');
    // The version follows the first `@` of the last segment; an npm scope's `@` belongs to
    // the namespace, in an earlier segment.
    let last = path.rfind('/').map_or(0, |i| i + 1);
    let (path, version) = match path.get(last..).and_then(|seg| seg.find('@')) {
        Some(at) => {
            let at = last + at;
            (path.get(..at)?, Some(decode(path.get(at + 1..)?)?))
        }
        None => (path, None),
    };
    let (namespace, name) = match path.rsplit_once('/') {
        Some((ns, n)) => (ns, n),
        None => ("", path),
    };
    if name.is_empty() {
        return None;
    }
    let namespace = namespace
        .split('/')
        .filter(|s| !s.is_empty())
        .map(decode)
        .collect::<Option<Vec<_>>>()?
        .join("/");
    let mut q = BTreeMap::new();
    for pair in qualifiers.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=')?;
        let v = decode(v)?;
        if !v.is_empty() {
            q.insert(k.to_ascii_lowercase(), v);
        }
    }
    Some(PurlParts {
        ty: ty.to_ascii_lowercase(),
        namespace,
        name: decode(name)?,
        version: version.filter(|v| !v.is_empty()),
        qualifiers: q,
    })
}

fn decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(c);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// True when `pattern` names `candidate`: same type, namespace and name; the version, when the
/// pattern has one, is equal; every qualifier the pattern has is present with the same value.
/// So `pkg:deb/debian/openssl` matches every openssl build, and
/// `pkg:deb/debian/openssl@3.0.11-1?arch=amd64` only that version on amd64.
pub fn matches(pattern: &PurlParts, candidate: &PurlParts) -> bool {
    pattern.ty == candidate.ty
        && pattern.namespace == candidate.namespace
        && pattern.name == candidate.name
        && pattern
            .version
            .as_ref()
            .is_none_or(|v| candidate.version.as_ref() == Some(v))
        && pattern
            .qualifiers
            .iter()
            .all(|(k, v)| candidate.qualifiers.get(k) == Some(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_parse_into_parts() {
        let p =
            parse("pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12").unwrap();
        assert_eq!(
            (
                p.ty.as_str(),
                p.namespace.as_str(),
                p.name.as_str(),
                p.version.as_deref()
            ),
            ("deb", "debian", "openssl", Some("3.0.11-1~deb12u2"))
        );
        assert_eq!(p.qualifiers.get("arch").map(String::as_str), Some("amd64"));
        let p = parse("pkg:npm/%40babel/core@7.0.0").unwrap();
        assert_eq!((p.namespace.as_str(), p.name.as_str()), ("@babel", "core"));
        let p = parse("pkg:golang/github.com/a/b@v1.2.3#sub").unwrap();
        assert_eq!(
            (p.namespace.as_str(), p.name.as_str(), p.version.as_deref()),
            ("github.com/a", "b", Some("v1.2.3"))
        );
        let p = parse("pkg:oci/debian@sha256%3Aabc?tag=12").unwrap();
        assert_eq!(p.version.as_deref(), Some("sha256:abc"));
        let p = parse("pkg:pypi/requests").unwrap();
        assert_eq!(p.version, None);
        for bad in [
            "",
            "pkg:",
            "pkg:deb",
            "openssl",
            "pkg:deb/",
            "pkg:deb/x@1?a",
            "pkg:d%b/x",
            "pkg:deb/%zz",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn patterns_match_with_or_without_version_and_qualifiers() {
        let finding = parse("pkg:deb/debian/openssl@3.0.11-1?arch=amd64&distro=debian-12").unwrap();
        for (pattern, want) in [
            ("pkg:deb/debian/openssl", true),
            ("pkg:deb/debian/openssl@3.0.11-1", true),
            ("pkg:DEB/debian/openssl@3.0.11-1", true),
            ("pkg:deb/debian/openssl@3.0.11-1?arch=amd64", true),
            ("pkg:deb/debian/openssl?distro=debian-12&arch=amd64", true),
            ("pkg:deb/debian/openssl@3.0.11-2", false),
            ("pkg:deb/debian/openssl?arch=arm64", false),
            ("pkg:deb/ubuntu/openssl", false),
            ("pkg:deb/debian/openssl-dev", false),
            ("pkg:rpm/debian/openssl", false),
        ] {
            let p = parse(pattern).unwrap();
            assert_eq!(matches(&p, &finding), want, "{pattern}");
        }
    }
}
