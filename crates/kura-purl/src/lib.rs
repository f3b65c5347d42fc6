//! Package URLs, as the package-url specification (`PURL-SPECIFICATION.rst`) defines them:
//! `pkg:type/namespace/name@version?qualifiers#subpath`.
//!
//! ```
//! let p = kura_purl::Purl::new("deb", "openssl", "3.0.11-1~deb12u2")
//!     .namespace("debian")
//!     .qualifier("arch", "amd64")
//!     .qualifier("distro", "debian-12");
//! assert_eq!(p.to_string(), "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12");
//! ```

use std::fmt;

/// A package URL under construction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purl {
    ty: String,
    namespace: Option<String>,
    name: String,
    version: Option<String>,
    qualifiers: Vec<(String, String)>,
    subpath: Option<String>,
}

impl Purl {
    /// A purl of `ty` (lower-cased, as the spec requires) for `name` at `version`.
    pub fn new(ty: &str, name: &str, version: &str) -> Self {
        Purl {
            ty: ty.to_ascii_lowercase(),
            namespace: None,
            name: name.to_string(),
            version: (!version.is_empty()).then(|| version.to_string()),
            qualifiers: Vec::new(),
            subpath: None,
        }
    }

    /// Set the namespace (Maven group, npm scope, distro vendor, Go module path prefix).
    /// Segments are separated by `/` and each is percent-encoded on its own.
    pub fn namespace(mut self, ns: &str) -> Self {
        let ns = ns.trim_matches('/');
        self.namespace = (!ns.is_empty()).then(|| ns.to_string());
        self
    }

    /// Add a qualifier; empty values are dropped, as the spec requires.
    pub fn qualifier(mut self, key: &str, value: &str) -> Self {
        if !value.is_empty() {
            self.qualifiers
                .push((key.to_ascii_lowercase(), value.to_string()));
        }
        self
    }

    /// Set the subpath.
    pub fn subpath(mut self, sub: &str) -> Self {
        let sub = sub.trim_matches('/');
        self.subpath = (!sub.is_empty()).then(|| sub.to_string());
        self
    }
}

/// Percent-encode everything outside the spec's unreserved set (plus `:` which the spec lets stay).
fn encode(s: &str, out: &mut String) {
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b'~' | b':' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
}

impl fmt::Display for Purl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::with_capacity(64);
        s.push_str("pkg:");
        s.push_str(&self.ty);
        s.push('/');
        if let Some(ns) = &self.namespace {
            for seg in ns.split('/').filter(|x| !x.is_empty()) {
                encode(seg, &mut s);
                s.push('/');
            }
        }
        encode(&self.name, &mut s);
        if let Some(v) = &self.version {
            s.push('@');
            encode(v, &mut s);
        }
        // Qualifiers are sorted by key (spec: "sorted lexicographically").
        let mut q = self.qualifiers.clone();
        q.sort();
        for (i, (k, v)) in q.iter().enumerate() {
            s.push(if i == 0 { '?' } else { '&' });
            s.push_str(k);
            s.push('=');
            encode(v, &mut s);
        }
        if let Some(sp) = &self.subpath {
            s.push('#');
            for (i, seg) in sp.split('/').enumerate() {
                if i > 0 {
                    s.push('/');
                }
                encode(seg, &mut s);
            }
        }
        f.write_str(&s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npm_scope_is_encoded_as_namespace() {
        let p = Purl::new("npm", "core", "7.0.0").namespace("@angular");
        assert_eq!(p.to_string(), "pkg:npm/%40angular/core@7.0.0");
    }

    #[test]
    fn qualifiers_are_sorted_and_empty_dropped() {
        let p = Purl::new("rpm", "bash", "0:5.1-2.el9")
            .namespace("redhat")
            .qualifier("distro", "rhel-9")
            .qualifier("epoch", "")
            .qualifier("arch", "x86_64");
        assert_eq!(
            p.to_string(),
            "pkg:rpm/redhat/bash@0:5.1-2.el9?arch=x86_64&distro=rhel-9"
        );
    }

    #[test]
    fn golang_namespace_segments() {
        let p = Purl::new("golang", "net", "v0.1.0").namespace("golang.org/x");
        assert_eq!(p.to_string(), "pkg:golang/golang.org/x/net@v0.1.0");
    }

    #[test]
    fn plus_and_space_are_encoded() {
        let p = Purl::new("deb", "libstdc++6", "12.2.0-14").namespace("debian");
        assert_eq!(p.to_string(), "pkg:deb/debian/libstdc%2B%2B6@12.2.0-14");
    }
}
