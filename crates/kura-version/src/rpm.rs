//! RPM versions: `[epoch:]version[-release]`, compared with `rpmvercmp` (rpm `rpmio/rpmvercmp.c`).
//!
//! Epochs compare numerically first (missing = 0), then version, then release. `rpmvercmp`
//! splits each string into runs of digits or letters, skipping every other character. Digit
//! runs compare numerically and are newer than letter runs; letter runs compare bytewise. `~`
//! sorts before everything, the end of the string included (`1.0~rc1 < 1.0`); `^` sorts after
//! the end of the string but before anything else (`1.0 < 1.0^git1 < 1.0.1`), as rpm ≥ 4.15
//! defines them. When one side runs out, the side with segments left is newer.
//! A missing release sorts before any release, which keeps the order total; matchers that want
//! "any release" should compare [`RpmVersion`]s of the same shape.

use crate::num::cmp_digits;
use std::cmp::Ordering;

/// A parsed rpm EVR.
#[derive(Debug, Clone)]
pub(crate) struct RpmVersion {
    epoch: String,
    version: String,
    release: String,
}

impl RpmVersion {
    pub(crate) fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("empty version".into());
        }
        if let Some(c) = s
            .chars()
            .find(|&c| !(c.is_ascii_graphic()) || matches!(c, '/' | '\\'))
        {
            return Err(format!("invalid character {c:?}"));
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
        if rest.contains(':') {
            return Err("more than one ':'".into());
        }
        let (version, release) = rest.rsplit_once('-').unwrap_or((rest, ""));
        if version.is_empty() {
            return Err("empty version part".into());
        }
        if rest.ends_with('-') {
            return Err("empty release after '-'".into());
        }
        Ok(RpmVersion {
            epoch: epoch.to_string(),
            version: version.to_string(),
            release: release.to_string(),
        })
    }

    pub(crate) fn is_prerelease(&self) -> bool {
        self.version.contains('~')
    }
}

/// rpm's `rpmvercmp`.
pub(crate) fn rpmvercmp(a: &[u8], b: &[u8]) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let sep = |c: &u8| !c.is_ascii_alphanumeric() && *c != b'~' && *c != b'^';
    let (mut i, mut j) = (0, 0);
    loop {
        while a.get(i).is_some_and(sep) {
            i += 1;
        }
        while b.get(j).is_some_and(sep) {
            j += 1;
        }
        let (ca, cb) = (a.get(i).copied(), b.get(j).copied());
        if ca.is_none() && cb.is_none() {
            return Ordering::Equal;
        }
        if ca == Some(b'~') || cb == Some(b'~') {
            if ca != Some(b'~') {
                return Ordering::Greater;
            }
            if cb != Some(b'~') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if ca == Some(b'^') || cb == Some(b'^') {
            if ca.is_none() {
                return Ordering::Less;
            }
            if cb.is_none() {
                return Ordering::Greater;
            }
            if ca != Some(b'^') {
                return Ordering::Greater;
            }
            if cb != Some(b'^') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        let (Some(ca), Some(_)) = (ca, cb) else {
            // One side ran out: the side with segments left is newer.
            return if ca.is_none() {
                Ordering::Less
            } else {
                Ordering::Greater
            };
        };
        let isnum = ca.is_ascii_digit();
        let class = |c: &u8| {
            if isnum {
                c.is_ascii_digit()
            } else {
                c.is_ascii_alphabetic()
            }
        };
        let (si, sj) = (i, j);
        while a.get(i).is_some_and(class) {
            i += 1;
        }
        while b.get(j).is_some_and(class) {
            j += 1;
        }
        if j == sj {
            // Segments of different types: numbers are newer than letters.
            return if isnum {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let (sa, sb) = (
            a.get(si..i).unwrap_or_default(),
            b.get(sj..j).unwrap_or_default(),
        );
        let o = if isnum {
            cmp_digits(sa, sb)
        } else {
            sa.cmp(sb)
        };
        if o.is_ne() {
            return o;
        }
    }
}

impl Ord for RpmVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_digits(self.epoch.as_bytes(), other.epoch.as_bytes())
            .then_with(|| rpmvercmp(self.version.as_bytes(), other.version.as_bytes()))
            .then_with(|| rpmvercmp(self.release.as_bytes(), other.release.as_bytes()))
    }
}

impl PartialOrd for RpmVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for RpmVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for RpmVersion {}
