//! Repository names, tags and request paths (OCI distribution-spec v1.1, "Pulling manifests":
//! `<name>` grammar and `<reference>` grammar).

use crate::digest::{Digest, DigestError};

/// Longest repository name accepted; distribution-spec recommends supporting at least 255 chars
/// including the host name, and clients break past that.
pub const MAX_NAME_LEN: usize = 255;

/// A repository name that matches
/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RepoName(String);

impl RepoName {
    /// Validate a repository name.
    pub fn parse(s: &str) -> Option<RepoName> {
        if s.is_empty() || s.len() > MAX_NAME_LEN {
            return None;
        }
        s.split('/')
            .all(valid_component)
            .then(|| RepoName(s.to_owned()))
    }
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The project: the first path component.
    pub fn project(&self) -> &str {
        self.0.split('/').next().unwrap_or(&self.0)
    }
}

impl std::fmt::Display for RepoName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn valid_component(c: &str) -> bool {
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    // Separators: `.`, `_`, `__`, or one or more `-`; never mixed or adjacent otherwise.
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-');
        if !ok {
            return false;
        }
    }
    true
}

/// A tag: `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.
pub fn valid_tag(t: &str) -> bool {
    let b = t.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter()
            .all(|x| x.is_ascii_alphanumeric() || matches!(x, b'_' | b'.' | b'-'))
}

/// A manifest reference: a tag or a digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    /// By tag.
    Tag(String),
    /// By digest.
    Digest(Digest),
}

impl Reference {
    /// Parse a reference; a string with a colon must be a valid digest.
    pub fn parse(s: &str) -> Result<Reference, RefError> {
        if s.contains(':') {
            return s.parse().map(Reference::Digest).map_err(RefError::Digest);
        }
        if valid_tag(s) {
            Ok(Reference::Tag(s.to_owned()))
        } else {
            Err(RefError::Tag)
        }
    }
}

impl std::fmt::Display for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reference::Tag(t) => f.write_str(t),
            Reference::Digest(d) => write!(f, "{d}"),
        }
    }
}

/// Why a reference was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefError {
    /// Not a tag by the grammar.
    Tag,
    /// Looked like a digest but was not a valid one.
    Digest(DigestError),
}

/// The endpoint a `/v2/…` path addresses, with raw (unvalidated) components.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint<'a> {
    /// `/v2/_catalog`
    Catalog,
    /// `/v2/<name>/tags/list`
    Tags { name: &'a str },
    /// `/v2/<name>/manifests/<reference>`
    Manifest { name: &'a str, reference: &'a str },
    /// `/v2/<name>/blobs/<digest>`
    Blob { name: &'a str, digest: &'a str },
    /// `/v2/<name>/blobs/uploads/`
    UploadStart { name: &'a str },
    /// `/v2/<name>/blobs/uploads/<id>`
    Upload { name: &'a str, id: &'a str },
    /// `/v2/<name>/referrers/<digest>`
    Referrers { name: &'a str, digest: &'a str },
}

/// Parse the part of the path after `/v2/`. Names contain slashes, so the endpoint is matched
/// from the right (distribution-spec endpoint table end-1 … end-13).
pub fn parse_endpoint(rest: &str) -> Option<Endpoint<'_>> {
    if rest == "_catalog" {
        return Some(Endpoint::Catalog);
    }
    if let Some(name) = rest
        .strip_suffix("/blobs/uploads/")
        .or_else(|| rest.strip_suffix("/blobs/uploads"))
    {
        return Some(Endpoint::UploadStart { name });
    }
    if let Some(name) = rest.strip_suffix("/tags/list") {
        return Some(Endpoint::Tags { name });
    }
    let (head, last) = rest.rsplit_once('/')?;
    let (name, kind) = head.rsplit_once('/')?;
    match kind {
        "manifests" => Some(Endpoint::Manifest {
            name,
            reference: last,
        }),
        "referrers" => Some(Endpoint::Referrers { name, digest: last }),
        "blobs" => Some(Endpoint::Blob { name, digest: last }),
        "uploads" => {
            let name = name.strip_suffix("/blobs")?;
            Some(Endpoint::Upload { name, id: last })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_name_grammar_table() {
        let cases = [
            ("library/alpine", true),
            ("a", true),
            ("a/b/c/d", true),
            ("a.b_c__d---e", true),
            ("my-project/app", true),
            ("A", false),
            ("a//b", false),
            ("/a", false),
            ("a/", false),
            ("a..b", false),
            ("a___b", false),
            ("a._b", false),
            ("-a", false),
            ("a-", false),
            ("../etc", false),
            ("", false),
        ];
        for (name, ok) in cases {
            assert_eq!(RepoName::parse(name).is_some(), ok, "{name}");
        }
        assert!(RepoName::parse(&"a".repeat(256)).is_none());
    }

    #[test]
    fn tag_grammar_table() {
        for (t, ok) in [
            ("latest", true),
            ("_x", true),
            ("v1.2.3-rc_1", true),
            (".x", false),
            ("-x", false),
            ("", false),
            ("a/b", false),
        ] {
            assert_eq!(valid_tag(t), ok, "{t}");
        }
        assert!(valid_tag(&"a".repeat(128)));
        assert!(!valid_tag(&"a".repeat(129)));
    }

    #[test]
    fn endpoints_parse_from_the_right() {
        use Endpoint::*;
        let d = "sha256:abc";
        let cases = [
            ("_catalog", Some(Catalog)),
            ("a/b/tags/list", Some(Tags { name: "a/b" })),
            (
                "a/manifests/manifests/x",
                Some(Manifest {
                    name: "a/manifests",
                    reference: "x",
                }),
            ),
            (
                "a/blobs/sha256:abc",
                Some(Blob {
                    name: "a",
                    digest: d,
                }),
            ),
            (
                "a/blobs/blobs/sha256:abc",
                Some(Blob {
                    name: "a/blobs",
                    digest: d,
                }),
            ),
            ("a/b/blobs/uploads/", Some(UploadStart { name: "a/b" })),
            (
                "a/b/blobs/uploads/xyz",
                Some(Upload {
                    name: "a/b",
                    id: "xyz",
                }),
            ),
            (
                "a/referrers/sha256:abc",
                Some(Referrers {
                    name: "a",
                    digest: d,
                }),
            ),
            ("a/other/x", None),
            ("x", None),
        ];
        for (p, want) in cases {
            assert_eq!(parse_endpoint(p), want, "{p}");
        }
    }

    proptest::proptest! {
        #[test]
        fn path_and_name_parsers_never_panic(s in "\\PC*") {
            let _ = parse_endpoint(&s);
            let _ = RepoName::parse(&s);
            let _ = Reference::parse(&s);
        }
    }
}
