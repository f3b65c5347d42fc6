//! Composer (Packagist) versions, as `Composer\Semver\VersionParser::normalize` reads them and
//! PHP's `version_compare` orders the normalised form.
//!
//! Normalisation: an optional `v`, one to four numeric components padded to four
//! (`1.2` → `1.2.0.0`), then an optional stability modifier separated by `.`, `_` or `-`
//! (`alpha`/`a`, `beta`/`b`, `RC`, `patch`/`pl`/`p`, `stable`) with optional numbers, then an
//! optional `-dev`. Date versions (`2023.01.01`, `20230101`) keep their components unpadded.
//! Branch aliases `1.x-dev` become `1.9999999.9999999.9999999-dev`. Build metadata (`+…`),
//! stability flags (`@dev`) and inline aliases (`1.0 as 2.0`) are stripped, as Composer does.
//! Named branches (`dev-main`) have no place in the order and are rejected.
//!
//! Comparison (`version_compare`): parts left to right, numbers numerically; the words rank
//! `dev < alpha < beta < RC < (number) < patch`; when one side runs out, a number on the
//! longer side makes it newer and a word makes it older unless it is `patch`. Hence
//! `1.0.0-dev < 1.0.0-alpha1 < 1.0.0-RC1 < 1.0.0 < 1.0.0-patch1 < 1.0.0.1`.

use crate::num::Num;
use std::cmp::Ordering;

/// One part of the normalised version, in `version_compare` order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Part {
    /// `dev` (0), `alpha` (1), `beta` (2), `RC` (3).
    Pre(u8),
    /// Where the shorter version has run out.
    End,
    Num(Num),
    Patch,
}

/// A parsed Composer version.
#[derive(Debug, Clone)]
pub(crate) struct ComposerVersion {
    parts: Vec<Part>,
}

fn split_num(s: &str) -> (&str, &str) {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    s.split_at(n)
}

/// `[._-]?(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?\d+)*)?` then `([.-]?dev)?`, all
/// case-insensitive; returns the parts it stands for.
fn modifier(rest: &str) -> Result<Vec<Part>, String> {
    let mut s = rest;
    let mut parts = Vec::new();
    if s.is_empty() {
        return Ok(parts);
    }
    let lower = s.to_ascii_lowercase();
    let after_sep = lower.strip_prefix(['.', '_', '-']).unwrap_or(&lower);
    let words: [(&str, Option<Part>); 9] = [
        ("stable", None),
        ("beta", Some(Part::Pre(2))),
        ("b", Some(Part::Pre(2))),
        ("rc", Some(Part::Pre(3))),
        ("alpha", Some(Part::Pre(1))),
        ("a", Some(Part::Pre(1))),
        ("patch", Some(Part::Patch)),
        ("pl", Some(Part::Patch)),
        ("p", Some(Part::Patch)),
    ];
    let mut consumed = lower.len() - after_sep.len();
    for (word, part) in words {
        if after_sep.starts_with(word) {
            consumed += word.len();
            let stable = part.is_none();
            if let Some(p) = part {
                parts.push(p);
            }
            s = s.get(consumed..).unwrap_or_default();
            // Numbers after the word (`beta.1.2`, `RC-1`); `stable` takes none.
            while !stable && let Some(rest) = number_after(s, &mut parts) {
                s = rest;
            }
            break;
        }
    }
    let lower = s.to_ascii_lowercase();
    if matches!(lower.as_str(), "dev" | ".dev" | "-dev" | "_dev") {
        parts.push(Part::Pre(0));
        s = "";
    }
    if !s.is_empty() {
        return Err(format!("unexpected {s:?}"));
    }
    Ok(parts)
}

/// One `[.-]?\d+` after a stability word: pushes the number, returns the rest.
fn number_after<'a>(s: &'a str, parts: &mut Vec<Part>) -> Option<&'a str> {
    let t = s.strip_prefix(['.', '-']).unwrap_or(s);
    let (digits, tail) = split_num(t);
    parts.push(Part::Num(Num::parse(digits)?));
    Some(tail)
}

/// Components of a numeric prefix `\d+(\.\d+)*` (at most `max`), and the rest.
fn numbers(s: &str, max: usize, seps: &[char]) -> (Vec<Num>, usize) {
    let mut out = Vec::new();
    let mut pos = 0;
    let mut t = s;
    loop {
        let (digits, tail) = split_num(t);
        let Some(n) = Num::parse(digits) else { break };
        out.push(n);
        pos = s.len() - tail.len();
        if out.len() == max {
            break;
        }
        match tail.strip_prefix(seps) {
            Some(next) if next.bytes().next().is_some_and(|b| b.is_ascii_digit()) => t = next,
            _ => break,
        }
    }
    (out, pos)
}

impl ComposerVersion {
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let mut s = text.trim();
        if let Some((v, _alias)) = s.split_once(" as ") {
            s = v.trim();
        }
        if let Some((v, flag)) = s.rsplit_once('@') {
            let flag = flag.to_ascii_lowercase();
            if !matches!(flag.as_str(), "stable" | "rc" | "beta" | "alpha" | "dev") {
                return Err(format!("unknown stability flag @{flag}"));
            }
            s = v;
        }
        if let Some((v, build)) = s.split_once('+') {
            if build.is_empty() || build.contains(char::is_whitespace) {
                return Err("invalid build metadata".into());
            }
            s = v;
        }
        if s.is_empty() {
            return Err("empty version".into());
        }
        if s.len() >= 4 && s.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("dev-")) {
            return Err("named branches (dev-…) have no version order".into());
        }
        let s = s.strip_prefix(['v', 'V']).unwrap_or(s);
        if let Some(parts) = branch_alias(s) {
            return Ok(ComposerVersion { parts });
        }
        let first_len = s.bytes().take_while(u8::is_ascii_digit).count();
        if first_len == 0 {
            return Err("expected a number".into());
        }
        // Classical form: up to five digits first, at most four components, padded to four.
        if first_len <= 5 {
            let (mut nums, used) = numbers(s, 4, &['.']);
            if let Ok(modi) = modifier(s.get(used..).unwrap_or_default()) {
                nums.resize(4, Num::zero());
                let mut parts: Vec<Part> = nums.into_iter().map(Part::Num).collect();
                parts.extend(modi);
                return Ok(ComposerVersion { parts });
            }
        }
        // Date form: a four-digit year first, components separated by `.`, `:` or `-`, kept
        // unpadded.
        if first_len >= 4 {
            let (nums, used) = numbers(s, 9, &['.', ':', '-']);
            let mut parts: Vec<Part> = nums.into_iter().map(Part::Num).collect();
            parts.extend(modifier(s.get(used..).unwrap_or_default())?);
            return Ok(ComposerVersion { parts });
        }
        let (_, used) = numbers(s, 4, &['.']);
        modifier(s.get(used..).unwrap_or_default())?;
        Err("invalid version string".into())
    }

    pub(crate) fn is_prerelease(&self) -> bool {
        self.parts.iter().any(|p| matches!(p, Part::Pre(_)))
    }
}

/// `1.x-dev`, `1.2.*-dev`, `2-dev` → nines for the wildcard and missing components, then dev.
fn branch_alias(s: &str) -> Option<Vec<Part>> {
    let lower = s.to_ascii_lowercase();
    let body = lower
        .strip_suffix(".x-dev")
        .map(|b| format!("{b}.x"))
        .or_else(|| lower.strip_suffix("-dev").map(str::to_string))?;
    if !body.contains(['x', '*']) && !lower.ends_with(".x-dev") {
        return None;
    }
    let mut parts = Vec::new();
    for comp in body.split('.') {
        match comp {
            "x" | "*" => parts.push(Part::Num(Num::from_u64(9_999_999))),
            n => parts.push(Part::Num(Num::parse(n)?)),
        }
    }
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    while parts.len() < 4 {
        parts.push(Part::Num(Num::from_u64(9_999_999)));
    }
    parts.push(Part::Pre(0));
    Some(parts)
}

impl Ord for ComposerVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let n = self.parts.len().max(other.parts.len());
        for i in 0..n {
            let l = self.parts.get(i).unwrap_or(&Part::End);
            let r = other.parts.get(i).unwrap_or(&Part::End);
            let o = l.cmp(r);
            if o.is_ne() {
                return o;
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for ComposerVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for ComposerVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for ComposerVersion {}
