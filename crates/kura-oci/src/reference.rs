//! Registry references: `[host[:port]/]repo[:tag][@digest]`, normalized the way docker does.
//!
//! Grammar from distribution's `reference` package (docs of the OCI distribution spec,
//! "Pulling manifests"): a first path component is a registry host when it contains `.` or `:`
//! or is `localhost`; otherwise the image lives on Docker Hub, whose single-component names
//! live under `library/`.

use std::fmt;

use crate::digest::Digest;
use crate::error::OciError;

/// The canonical name of Docker Hub in references.
pub const DOCKER_HUB: &str = "docker.io";
/// The host Docker Hub's registry API is served from.
pub const DOCKER_HUB_API: &str = "registry-1.docker.io";

/// A parsed, normalized registry reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// Registry as written (`docker.io`, `127.0.0.1:5000`).
    pub registry: String,
    /// Repository path (`library/alpine`).
    pub repository: String,
    /// Tag, defaulting to `latest` when neither tag nor digest is given.
    pub tag: Option<String>,
    /// Digest pin.
    pub digest: Option<Digest>,
}

impl Reference {
    /// Parse a reference, applying docker.io shorthand.
    pub fn parse(s: &str) -> Result<Self, OciError> {
        let bad = |reason: &str| OciError::InvalidReference {
            reference: s.to_string(),
            reason: reason.to_string(),
        };
        if s.is_empty() || s.len() > 4096 {
            return Err(bad("empty or longer than 4096 characters"));
        }
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => (r, Some(Digest::parse(d, s)?)),
            None => (s, None),
        };
        // The tag is after the last ':' that follows the last '/', so `host:5000/repo` has none.
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest.get(last_slash..).and_then(|t| t.rfind(':')) {
            Some(i) => {
                let at = last_slash + i;
                (
                    rest.get(..at).unwrap_or(""),
                    rest.get(at + 1..).map(str::to_string),
                )
            }
            None => (rest, None),
        };
        if let Some(t) = &tag
            && !valid_tag(t)
        {
            return Err(bad("tag must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"));
        }
        let (registry, repository) = match name.split_once('/') {
            Some((first, path)) if first.contains(['.', ':']) || first == "localhost" => {
                (first.to_string(), path.to_string())
            }
            _ => (DOCKER_HUB.to_string(), name.to_string()),
        };
        let registry = match registry.as_str() {
            "index.docker.io" | "registry-1.docker.io" => DOCKER_HUB.to_string(),
            _ => registry,
        };
        let repository = if registry == DOCKER_HUB && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository
        };
        if !valid_repository(&repository) {
            return Err(bad(
                "repository must be lower-case path components of [a-z0-9._-]",
            ));
        }
        let tag = match (tag, &digest) {
            (None, None) => Some("latest".to_string()),
            (t, _) => t,
        };
        Ok(Reference {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// The host the registry API is served from (`registry-1.docker.io` for Docker Hub).
    pub fn api_host(&self) -> &str {
        if self.registry == DOCKER_HUB {
            DOCKER_HUB_API
        } else {
            &self.registry
        }
    }

    /// The digest if pinned, else the tag: what goes after `/manifests/`.
    pub fn manifest_ref(&self) -> String {
        match (&self.digest, &self.tag) {
            (Some(d), _) => d.to_string(),
            (None, Some(t)) => t.clone(),
            (None, None) => "latest".into(),
        }
    }

    /// Whether the registry host is a loopback address, where `--insecure` allows plain HTTP.
    pub fn is_loopback(&self) -> bool {
        let host = host_only(&self.registry);
        host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }
}

/// Host without the `:port`, handling bracketed IPv6 literals.
fn host_only(registry: &str) -> &str {
    if let Some(rest) = registry.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    registry.rsplit_once(':').map_or(registry, |(h, _)| h)
}

fn valid_tag(t: &str) -> bool {
    let mut b = t.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_alphanumeric() || c == b'_')
        && t.len() <= 128
        && b.all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

fn valid_repository(r: &str) -> bool {
    !r.is_empty()
        && r.split('/').all(|c| {
            !c.is_empty()
                && c.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
                })
                && c.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
                && c.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric())
        })
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_normalize_like_docker() {
        let d = format!("sha256:{}", "b".repeat(64));
        let cases: Vec<(String, &str)> = vec![
            ("alpine".into(), "docker.io/library/alpine:latest"),
            ("alpine:3.19".into(), "docker.io/library/alpine:3.19"),
            ("user/app".into(), "docker.io/user/app:latest"),
            ("docker.io/alpine".into(), "docker.io/library/alpine:latest"),
            (
                "index.docker.io/library/alpine:1".into(),
                "docker.io/library/alpine:1",
            ),
            ("localhost/app".into(), "localhost/app:latest"),
            ("127.0.0.1:5000/a/b:v1".into(), "127.0.0.1:5000/a/b:v1"),
            ("ghcr.io/o/r:t".into(), "ghcr.io/o/r:t"),
            (format!("alpine@{d}"), "docker.io/library/alpine@DIGEST"),
            (format!("host:5000/app:1@{d}"), "host:5000/app:1@DIGEST"),
        ];
        for (input, want) in cases {
            let got = Reference::parse(&input)
                .unwrap()
                .to_string()
                .replace(&d, "DIGEST");
            assert_eq!(got, want, "{input}");
        }
    }

    #[test]
    fn invalid_references_are_rejected() {
        for s in [
            "",
            "Alpine",
            "app:",
            "app:-x",
            "host:5000/",
            "a//b",
            "app@sha256:123",
            "/abs",
        ] {
            assert!(Reference::parse(s).is_err(), "{s}");
        }
    }

    #[test]
    fn docker_hub_uses_its_api_host_and_loopback_is_recognized() {
        assert_eq!(
            Reference::parse("alpine").unwrap().api_host(),
            DOCKER_HUB_API
        );
        let cases = [
            ("127.0.0.1:5000/a", true),
            ("localhost:1/a", true),
            ("[::1]:5000/a", true),
            ("example.com/a", false),
        ];
        for (r, lo) in cases {
            assert_eq!(Reference::parse(r).unwrap().is_loopback(), lo, "{r}");
        }
    }
}
