//! Semantic Versioning 2.0.0 (semver.org), as npm and Cargo use it.
//!
//! `MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]`, numbers without leading zeros (§2). Precedence
//! (§11): numbers numerically; a pre-release sorts before its release; pre-release identifiers
//! compare numerically when both are numeric, numeric ones sort before alphanumeric ones,
//! alphanumeric ones compare in ASCII order, and a longer list wins when all shared identifiers
//! are equal. Build metadata is ignored (§10), so `1.0.0+a == 1.0.0+b`.
//! A leading `v` or `=` is tolerated, as npm's parser does.

use crate::num::Num;
use std::cmp::Ordering;

/// One pre-release identifier.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Ident {
    /// Numeric identifiers sort first (§11.4.3), so this variant is declared first.
    Num(Num),
    Alpha(String),
}

/// A parsed semantic version.
#[derive(Debug, Clone)]
pub(crate) struct SemVersion {
    pub(crate) major: Num,
    pub(crate) minor: Num,
    pub(crate) patch: Num,
    pub(crate) pre: Vec<Ident>,
    pub(crate) build: String,
}

/// Parse one dot-separated numeric component (§2: no leading zeros).
pub(crate) fn parse_component(s: &str, what: &str) -> Result<Num, String> {
    if s.len() > 1 && s.starts_with('0') {
        return Err(format!("{what} {s:?} has a leading zero"));
    }
    Num::parse(s).ok_or_else(|| format!("{what} {s:?} is not a number"))
}

/// Parse a pre-release (§9) into identifiers.
pub(crate) fn parse_pre(s: &str) -> Result<Vec<Ident>, String> {
    s.split('.')
        .map(|id| {
            if id.is_empty() {
                return Err("empty pre-release identifier".to_string());
            }
            if !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                return Err(format!("invalid pre-release identifier {id:?}"));
            }
            if id.bytes().all(|b| b.is_ascii_digit()) {
                parse_component(id, "pre-release identifier").map(Ident::Num)
            } else {
                Ok(Ident::Alpha(id.to_string()))
            }
        })
        .collect()
}

/// Check build metadata (§10).
pub(crate) fn check_build(s: &str) -> Result<(), String> {
    for id in s.split('.') {
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(format!("invalid build identifier {id:?}"));
        }
    }
    Ok(())
}

/// Split `core[-pre][+build]`.
pub(crate) fn split_parts(s: &str) -> (&str, Option<&str>, Option<&str>) {
    let (rest, build) = match s.split_once('+') {
        Some((r, b)) => (r, Some(b)),
        None => (s, None),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (rest, None),
    };
    (core, pre, build)
}

impl SemVersion {
    pub(crate) fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let s = s.strip_prefix('=').unwrap_or(s).trim_start();
        let s = s.strip_prefix('v').unwrap_or(s);
        Self::parse_strict(s)
    }

    /// Parse exactly the semver.org grammar.
    pub(crate) fn parse_strict(s: &str) -> Result<Self, String> {
        if s.is_empty() {
            return Err("empty version".into());
        }
        let (core, pre, build) = split_parts(s);
        let mut parts = core.split('.');
        let (Some(ma), Some(mi), Some(pa), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err("expected MAJOR.MINOR.PATCH".into());
        };
        let pre = match pre {
            Some(p) => parse_pre(p)?,
            None => Vec::new(),
        };
        if let Some(b) = build {
            check_build(b)?;
        }
        Ok(SemVersion {
            major: parse_component(ma, "major")?,
            minor: parse_component(mi, "minor")?,
            patch: parse_component(pa, "patch")?,
            pre,
            build: build.unwrap_or_default().to_string(),
        })
    }

    pub(crate) fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }
}

/// Pre-release precedence (§11.3–11.4): no pre-release sorts after any pre-release.
pub(crate) fn cmp_pre(a: &[Ident], b: &[Ident]) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => a.cmp(b),
    }
}

impl Ord for SemVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.major
            .cmp(&other.major)
            .then_with(|| self.minor.cmp(&other.minor))
            .then_with(|| self.patch.cmp(&other.patch))
            .then_with(|| cmp_pre(&self.pre, &other.pre))
    }
}

impl PartialOrd for SemVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for SemVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for SemVersion {}
