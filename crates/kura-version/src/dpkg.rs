//! Debian package versions, Debian Policy §5.6.12 "Version".
//!
//! `[epoch:]upstream_version[-debian_revision]`. The epoch is a number compared first. Upstream
//! version and revision are compared by alternating non-digit and digit runs: non-digit runs
//! character by character where letters sort before non-letters and `~` sorts before
//! everything, even the end of the string (so `1.0~rc1 < 1.0`); digit runs numerically.
//! A missing revision compares as `0` (policy: "absence of a debian_revision is equivalent to a
//! debian_revision of 0").

use crate::num::cmp_digits;
use std::cmp::Ordering;

/// A parsed dpkg version.
#[derive(Debug, Clone)]
pub(crate) struct DpkgVersion {
    epoch: String,
    upstream: String,
    revision: String,
}

impl DpkgVersion {
    pub(crate) fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("empty version".into());
        }
        if let Some(c) = s.chars().find(|c| c.is_whitespace()) {
            return Err(format!("embedded whitespace {c:?}"));
        }
        let (epoch, rest) = match s.split_once(':') {
            Some((e, rest)) => {
                if e.is_empty() || !e.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(format!("epoch {e:?} is not a number"));
                }
                (e, rest)
            }
            None => ("0", s),
        };
        let (upstream, revision) = match rest.rsplit_once('-') {
            Some((u, r)) => {
                if r.is_empty() {
                    return Err("empty revision after '-'".into());
                }
                (u, r)
            }
            None => (rest, ""),
        };
        if upstream.is_empty() {
            return Err("empty upstream version".into());
        }
        // Policy: upstream_version "should start with a digit"; dpkg warns but accepts, and real
        // archives hold such versions, so only the character set is enforced.
        if let Some(c) = upstream
            .chars()
            .find(|&c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-' | '~' | ':')))
        {
            return Err(format!("invalid character {c:?} in upstream version"));
        }
        if let Some(c) = revision
            .chars()
            .find(|&c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '~')))
        {
            return Err(format!("invalid character {c:?} in revision"));
        }
        Ok(DpkgVersion {
            epoch: epoch.to_string(),
            upstream: upstream.to_string(),
            revision: revision.to_string(),
        })
    }

    pub(crate) fn is_prerelease(&self) -> bool {
        self.upstream.contains('~')
    }
}

/// Weight of one character in a non-digit run (dpkg `order()`): `~` lowest, then the end of
/// the run, then letters, then everything else by code.
fn order(c: Option<u8>) -> i32 {
    match c {
        Some(b'~') => -1,
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp`.
pub(crate) fn verrevcmp(a: &[u8], b: &[u8]) -> Ordering {
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        loop {
            let ca = a.get(i).copied().filter(|c| !c.is_ascii_digit());
            let cb = b.get(j).copied().filter(|c| !c.is_ascii_digit());
            if ca.is_none() && cb.is_none() {
                break;
            }
            let (oa, ob) = (order(ca), order(cb));
            if oa != ob {
                return oa.cmp(&ob);
            }
            if ca.is_some() {
                i += 1;
            }
            if cb.is_some() {
                j += 1;
            }
        }
        let si = i;
        while a.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let sj = j;
        while b.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        let o = cmp_digits(
            a.get(si..i).unwrap_or_default(),
            b.get(sj..j).unwrap_or_default(),
        );
        if o.is_ne() {
            return o;
        }
    }
    Ordering::Equal
}

impl Ord for DpkgVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_digits(self.epoch.as_bytes(), other.epoch.as_bytes())
            .then_with(|| verrevcmp(self.upstream.as_bytes(), other.upstream.as_bytes()))
            .then_with(|| verrevcmp(self.revision.as_bytes(), other.revision.as_bytes()))
    }
}

impl PartialOrd for DpkgVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for DpkgVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for DpkgVersion {}
