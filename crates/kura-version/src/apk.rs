//! Alpine apk versions, as apk-tools `version.c` orders them.
//!
//! The grammar is `number{.number}{letter}{_suffix[number]}{-r number}`. The string is read as a
//! sequence of tokens, each with a kind (digit, letter, suffix, suffix number, revision) and a
//! value. Two versions are compared token by token while both have a token of the same kind:
//!
//! * numbers compare numerically; a dot-separated component starting with `0` first yields a
//!   token worth minus the number of leading zeros, so `1.01 < 1.1` and `1.001 < 1.01`
//!   (apk-tools treats such components like decimal fractions);
//! * suffixes compare by their place in `_alpha < _beta < _pre < _rc < (none) < _cvs < _svn <
//!   _git < _hg < _p`;
//! * when one version has a token where the other has something else (or ends), a pre-release
//!   suffix makes its side smaller; otherwise the side whose token kind comes earlier in the
//!   grammar is greater — so `1.2.3 > 1.2a`, `1.0a > 1.0`, `1.2.3_p1 > 1.2.3 > 1.2.3_rc1`, and
//!   `1.2_p1 > 1.2-r5`.

use crate::num::Num;
use std::cmp::Ordering;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    DigitOrZero,
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    RevisionNo,
    End,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Val {
    /// A component's leading zeros, worth minus their count.
    Zeros(usize),
    Num(Num),
    Letter(u8),
    /// Place of a suffix: negative for pre-release suffixes.
    Suffix(i8),
}

impl Ord for Val {
    fn cmp(&self, other: &Self) -> Ordering {
        fn rank(v: &Val) -> u8 {
            match v {
                Val::Zeros(_) => 0,
                Val::Num(_) => 1,
                Val::Letter(_) => 2,
                Val::Suffix(_) => 3,
            }
        }
        match (self, other) {
            (Val::Zeros(a), Val::Zeros(b)) => b.cmp(a),
            (Val::Num(a), Val::Num(b)) => a.cmp(b),
            (Val::Letter(a), Val::Letter(b)) => a.cmp(b),
            (Val::Suffix(a), Val::Suffix(b)) => a.cmp(b),
            _ => rank(self).cmp(&rank(other)),
        }
    }
}

impl PartialOrd for Val {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

const PRE_SUFFIXES: [&str; 4] = ["alpha", "beta", "pre", "rc"];
const POST_SUFFIXES: [&str; 5] = ["cvs", "svn", "git", "hg", "p"];

/// A parsed apk version: its tokens, each the kind it was read as and its value.
#[derive(Debug, Clone)]
pub(crate) struct ApkVersion {
    tokens: Vec<(Kind, Val)>,
}

/// Kind of the token that starts at `s`, given the kind of the previous one; consumes the
/// separator. `None` when the text cannot continue a version.
fn next_kind(prev: Kind, s: &mut &[u8]) -> Option<Kind> {
    let Some(&c) = s.first() else {
        return Some(Kind::End);
    };
    let kind = if matches!(prev, Kind::Digit | Kind::DigitOrZero) && c.is_ascii_lowercase() {
        Kind::Letter
    } else if prev == Kind::Letter && c.is_ascii_digit() {
        Kind::Digit
    } else if prev == Kind::Suffix && c.is_ascii_digit() {
        Kind::SuffixNo
    } else {
        let k = match c {
            b'.' => Kind::DigitOrZero,
            b'_' => Kind::Suffix,
            b'-' if s.get(1) == Some(&b'r') => {
                *s = s.get(1..).unwrap_or_default();
                Kind::RevisionNo
            }
            _ => return None,
        };
        *s = s.get(1..).unwrap_or_default();
        k
    };
    // Tokens only move forward through the grammar, except a new component after digits, a new
    // suffix after a suffix number, and digits after a letter.
    let allowed_back = matches!(
        (kind, prev),
        (Kind::DigitOrZero, Kind::Digit)
            | (Kind::Suffix, Kind::SuffixNo)
            | (Kind::Digit, Kind::Letter)
    );
    if kind < prev && !allowed_back {
        return None;
    }
    Some(kind)
}

fn take_digits(s: &mut &[u8]) -> Num {
    let n = s.iter().take_while(|b| b.is_ascii_digit()).count();
    let digits = std::str::from_utf8(s.get(..n).unwrap_or_default()).unwrap_or_default();
    *s = s.get(n..).unwrap_or_default();
    Num::parse(digits).unwrap_or_else(Num::zero)
}

fn take_suffix(s: &mut &[u8]) -> Option<i8> {
    let known = PRE_SUFFIXES
        .iter()
        .enumerate()
        .map(|(i, name)| (i as i8 - PRE_SUFFIXES.len() as i8, name))
        .chain(POST_SUFFIXES.iter().enumerate().map(|(i, n)| (i as i8, n)));
    for (place, name) in known {
        if s.starts_with(name.as_bytes()) {
            *s = s.get(name.len()..).unwrap_or_default();
            return Some(place);
        }
    }
    None
}

impl ApkVersion {
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        if !text.as_bytes().first().is_some_and(u8::is_ascii_digit) {
            return Err("must start with a digit".into());
        }
        let mut s = text.as_bytes();
        let mut kind = Kind::Digit;
        let mut tokens = Vec::new();
        while kind != Kind::End {
            let pos = text.len() - s.len();
            let mut forced_next = None;
            let val = match kind {
                Kind::DigitOrZero if s.first() == Some(&b'0') => {
                    let n = s.iter().take_while(|&&b| b == b'0').count();
                    s = s.get(n..).unwrap_or_default();
                    forced_next = Some(Kind::Digit);
                    Val::Zeros(n)
                }
                Kind::DigitOrZero | Kind::RevisionNo
                    if !s.first().is_some_and(u8::is_ascii_digit) =>
                {
                    return Err(format!("expected a number at byte {pos}"));
                }
                Kind::DigitOrZero | Kind::Digit | Kind::SuffixNo | Kind::RevisionNo => {
                    Val::Num(take_digits(&mut s))
                }
                Kind::Letter => {
                    let c = s.first().copied().unwrap_or_default();
                    s = s.get(1..).unwrap_or_default();
                    Val::Letter(c)
                }
                Kind::Suffix => Val::Suffix(
                    take_suffix(&mut s).ok_or_else(|| format!("unknown suffix at byte {pos}"))?,
                ),
                Kind::End => break,
            };
            tokens.push((kind, val));
            kind = if s.is_empty() {
                Kind::End
            } else if let Some(k) = forced_next {
                k
            } else {
                let pos = text.len() - s.len();
                next_kind(kind, &mut s)
                    .ok_or_else(|| format!("unexpected character at byte {pos}"))?
            };
        }
        Ok(ApkVersion { tokens })
    }

    pub(crate) fn is_prerelease(&self) -> bool {
        self.tokens
            .iter()
            .any(|(_, v)| matches!(v, Val::Suffix(p) if *p < 0))
    }

    /// Kind of token `i`, `End` past the last one.
    fn kind_at(&self, i: usize) -> Kind {
        self.tokens.get(i).map_or(Kind::End, |t| t.0)
    }

    fn pre_suffix_at(&self, i: usize) -> bool {
        matches!(self.tokens.get(i), Some((Kind::Suffix, Val::Suffix(p))) if *p < 0)
    }
}

impl Ord for ApkVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let mut i = 0;
        loop {
            let (ka, kb) = (self.kind_at(i), other.kind_at(i));
            if ka != kb || ka == Kind::End {
                break;
            }
            if let (Some((_, va)), Some((_, vb))) = (self.tokens.get(i), other.tokens.get(i)) {
                let o = va.cmp(vb);
                if o.is_ne() {
                    return o;
                }
            }
            i += 1;
        }
        let (ka, kb) = (self.kind_at(i), other.kind_at(i));
        if ka == kb {
            return Ordering::Equal;
        }
        if self.pre_suffix_at(i) {
            return Ordering::Less;
        }
        if other.pre_suffix_at(i) {
            return Ordering::Greater;
        }
        // The side whose next token comes earlier in the grammar carries more version.
        kb.cmp(&ka)
    }
}

impl PartialOrd for ApkVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for ApkVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for ApkVersion {}
