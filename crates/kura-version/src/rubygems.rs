//! RubyGems versions, as `Gem::Version` defines them.
//!
//! A version matches `[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?`; a `-` is
//! read as `.pre.`. Segments are the runs of digits and of letters (`1.0.a10` →
//! `[1, 0, "a", 10]`); a version with any letter is a pre-release. Comparison (`<=>`) uses the
//! canonical segments — trailing zeros dropped from the numeric part and from the part that
//! starts at the first letter segment — then compares segment by segment, missing segments
//! counting as `0`: numbers numerically, strings bytewise, and a string is older than a number,
//! so `1.0.a < 1.0 < 1.0.1` and `1.0 == 1`.

use crate::num::Num;
use std::cmp::Ordering;

/// One segment of a gem version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Seg {
    /// Strings sort before numbers, so this variant is declared first.
    Str(String),
    Num(Num),
}

/// A parsed gem version.
#[derive(Debug, Clone)]
pub(crate) struct GemVersion {
    segments: Vec<Seg>,
    canonical: Vec<Seg>,
}

fn valid(s: &str) -> bool {
    let (main, pre) = match s.split_once('-') {
        Some((m, p)) => (m, Some(p)),
        None => (s, None),
    };
    let mut parts = main.split('.');
    let first_ok = parts
        .next()
        .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    let rest_ok = parts.all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric()));
    let pre_ok = pre.is_none_or(|p| {
        p.split('.').all(|seg| {
            !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
    });
    first_ok && rest_ok && pre_ok
}

fn segments(s: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let digit = b.get(i).is_some_and(u8::is_ascii_digit);
        let alpha = b.get(i).is_some_and(u8::is_ascii_alphabetic);
        if !digit && !alpha {
            i += 1;
            continue;
        }
        while b.get(i).is_some_and(|c| {
            if digit {
                c.is_ascii_digit()
            } else {
                c.is_ascii_alphabetic()
            }
        }) {
            i += 1;
        }
        let run = s.get(start..i).unwrap_or_default();
        out.push(match Num::parse(run) {
            Some(n) if digit => Seg::Num(n),
            _ => Seg::Str(run.to_string()),
        });
    }
    out
}

fn trim_zeros(mut v: Vec<Seg>) -> Vec<Seg> {
    while matches!(v.last(), Some(Seg::Num(n)) if n.is_zero()) {
        v.pop();
    }
    v
}

impl GemVersion {
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        // `Gem::Version.new("")` is version 0.
        let t = if t.is_empty() { "0" } else { t };
        if !valid(t) {
            return Err("malformed version number string".into());
        }
        let normalized = t.replace('-', ".pre.");
        let segments = segments(&normalized);
        let split = segments
            .iter()
            .position(|s| matches!(s, Seg::Str(_)))
            .unwrap_or(segments.len());
        let (numeric, strings) = segments.split_at(split);
        let mut canonical = trim_zeros(numeric.to_vec());
        canonical.extend(trim_zeros(strings.to_vec()));
        Ok(GemVersion {
            segments,
            canonical,
        })
    }

    pub(crate) fn is_prerelease(&self) -> bool {
        self.segments.iter().any(|s| matches!(s, Seg::Str(_)))
    }

    /// `Gem::Version#release`: the version without its pre-release segments.
    pub(crate) fn release(&self) -> GemVersion {
        let numeric: Vec<Seg> = self
            .segments
            .iter()
            .take_while(|s| matches!(s, Seg::Num(_)))
            .cloned()
            .collect();
        GemVersion {
            canonical: trim_zeros(numeric.clone()),
            segments: numeric,
        }
    }

    /// `Gem::Version#bump`: drop pre-release segments and the last segment, then increment
    /// the new last one (`2.1.3` → `2.2`, `2` → `3`).
    pub(crate) fn bump(&self) -> GemVersion {
        let mut segs = self.release().segments;
        if segs.len() > 1 {
            segs.pop();
        }
        if let Some(Seg::Num(n)) = segs.last_mut() {
            *n = n.succ();
        }
        GemVersion {
            canonical: trim_zeros(segs.clone()),
            segments: segs,
        }
    }
}

impl Ord for GemVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let zero = Seg::Num(Num::zero());
        let n = self.canonical.len().max(other.canonical.len());
        for i in 0..n {
            let l = self.canonical.get(i).unwrap_or(&zero);
            let r = other.canonical.get(i).unwrap_or(&zero);
            let o = l.cmp(r);
            if o.is_ne() {
                return o;
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for GemVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for GemVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for GemVersion {}
