//! Requirement ranges as advisories write them.
//!
//! A requirement is a union (`||`) of intersections of predicates. Each ecosystem's operators
//! are reduced to half-open intervals following its own documentation, cited per dialect
//! below. Ranges are matched as intervals of the version order: the rule of npm, Cargo and
//! PEP 440 installers that hides pre-releases unless asked for is a *resolution* preference,
//! not a statement about which versions a range contains, and an advisory's affected range
//! covers pre-releases inside it.

use crate::pep440::Pep440Version;
use crate::{Key, Scheme, Version, VersionError};
use kura_types::Ecosystem;

/// A set of version ranges: a union of intersections of predicates.
#[derive(Debug, Clone)]
pub struct VersionReq {
    scheme: Scheme,
    raw: String,
    any_of: Vec<Vec<Pred>>,
}

#[derive(Debug, Clone)]
enum Pred {
    Cmp(Op, Version),
    /// `lo <= v < hi`, or its complement.
    Range {
        lo: Version,
        hi: Version,
        negate: bool,
    },
    /// RubyGems `~>`: `v >= lo` and `v.release < hi`.
    Pessimistic {
        lo: Version,
        hi: Version,
    },
    /// PEP 440 ordered/equality comparison with its local and pre/post exclusions.
    Pep(Op, Version),
    /// PEP 440 `===`: case-insensitive string equality.
    Arbitrary(String),
    Never,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

/// Which grammar a requirement is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    /// node-semver ranges.
    Npm,
    /// Cargo `VersionReq`.
    Cargo,
    Pep440,
    RubyGems,
    Composer,
    /// Maven version ranges, or plain comparators.
    Maven,
    /// NuGet version ranges, or plain comparators.
    NuGet,
    /// Plain comparators (`>= 1.2-1, << 2`) for dpkg, rpm, apk and Go.
    Plain,
}

type PResult<T> = Result<T, String>;

impl VersionReq {
    /// Parse a requirement written in `scheme`'s range syntax. `Scheme::Semver` reads npm
    /// ranges; use [`VersionReq::parse_cargo`] or [`VersionReq::for_ecosystem`] for Cargo's.
    pub fn parse(scheme: Scheme, s: &str) -> Result<Self, VersionError> {
        let dialect = match scheme {
            Scheme::Semver => Dialect::Npm,
            Scheme::Pep440 => Dialect::Pep440,
            Scheme::RubyGems => Dialect::RubyGems,
            Scheme::Composer => Dialect::Composer,
            Scheme::Maven => Dialect::Maven,
            Scheme::NuGet => Dialect::NuGet,
            Scheme::Dpkg | Scheme::Apk | Scheme::Rpm | Scheme::Go => Dialect::Plain,
        };
        Self::parse_dialect(scheme, dialect, s)
    }

    /// Parse a Cargo requirement (`>= 1.2, < 1.5`, `^1.2`, `~1.2`, `=1.2.3`; a bare version
    /// means `^`), as the Cargo book's "Specifying dependencies" defines.
    pub fn parse_cargo(s: &str) -> Result<Self, VersionError> {
        Self::parse_dialect(Scheme::Semver, Dialect::Cargo, s)
    }

    /// Parse a requirement in the syntax of `e`'s ecosystem (Cargo's for crates.io).
    pub fn for_ecosystem(e: Ecosystem, s: &str) -> Result<Self, VersionError> {
        if e == Ecosystem::Cargo {
            Self::parse_cargo(s)
        } else {
            Self::parse(Scheme::for_ecosystem(e), s)
        }
    }

    fn parse_dialect(scheme: Scheme, dialect: Dialect, s: &str) -> Result<Self, VersionError> {
        let err = |reason: String| VersionError::InvalidRequirement {
            scheme,
            requirement: s.to_string(),
            reason,
        };
        if s.len() > 4096 {
            return Err(err("longer than 4096 bytes".into()));
        }
        let p = Parser { scheme, dialect };
        let any_of = p.parse(s.trim()).map_err(err)?;
        Ok(VersionReq {
            scheme,
            raw: s.to_string(),
            any_of,
        })
    }

    /// The scheme of the versions this requirement accepts.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The requirement as written.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// True when `v` lies in the range. A version of another scheme never matches.
    pub fn matches(&self, v: &Version) -> bool {
        v.scheme() == self.scheme
            && self
                .any_of
                .iter()
                .any(|set| set.iter().all(|p| p.matches(v)))
    }
}

impl std::fmt::Display for VersionReq {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.raw)
    }
}

fn op_holds(op: Op, o: std::cmp::Ordering) -> bool {
    match op {
        Op::Lt => o.is_lt(),
        Op::Le => o.is_le(),
        Op::Gt => o.is_gt(),
        Op::Ge => o.is_ge(),
        Op::Eq => o.is_eq(),
        Op::Ne => o.is_ne(),
    }
}

impl Pred {
    fn matches(&self, v: &Version) -> bool {
        match self {
            Pred::Cmp(op, bound) => op_holds(*op, v.cmp(bound)),
            Pred::Range { lo, hi, negate } => (v >= lo && v < hi) != *negate,
            Pred::Pessimistic { lo, hi } => match (v.key(), hi.key()) {
                (Key::RubyGems(g), Key::RubyGems(h)) => v >= lo && g.release() < *h,
                _ => false,
            },
            Pred::Pep(op, spec) => match (spec.key(), v.key()) {
                (Key::Pep440(s), Key::Pep440(c)) => crate::pep440::spec_matches(*op, s, c),
                _ => false,
            },
            Pred::Arbitrary(s) => v.as_str().trim().eq_ignore_ascii_case(s),
            Pred::Never => false,
        }
    }
}

/// A version with some components left out or wildcarded (`1`, `1.2`, `1.x`, `*`).
struct Partial {
    nums: Vec<u64>,
    /// Pre-release and build text after the third component, when present.
    tail: String,
}

fn parse_partial(s: &str, max: usize) -> PResult<Partial> {
    let s = s.strip_prefix(['v', 'V']).unwrap_or(s);
    let s = s.strip_prefix('=').unwrap_or(s);
    let (core, tail) = match s.find(['-', '+']) {
        Some(i) => (
            s.get(..i).unwrap_or_default(),
            s.get(i..).unwrap_or_default(),
        ),
        None => (s, ""),
    };
    let mut nums = Vec::new();
    if !(core.is_empty() || core == "*" || core.eq_ignore_ascii_case("x")) {
        for c in core.split('.') {
            if matches!(c, "*" | "x" | "X") {
                break;
            }
            nums.push(
                c.parse::<u64>()
                    .map_err(|_| format!("{c:?} is not a number"))?,
            );
        }
    }
    if core
        .split('.')
        .skip(nums.len())
        .any(|c| !matches!(c, "*" | "x" | "X" | ""))
    {
        return Err(format!("number after a wildcard in {s:?}"));
    }
    if nums.len() > max {
        return Err(format!("more than {max} components in {s:?}"));
    }
    if !tail.is_empty() && nums.len() < max.min(3) {
        return Err(format!("pre-release on a partial version {s:?}"));
    }
    Ok(Partial {
        nums,
        tail: tail.to_string(),
    })
}

struct Parser {
    scheme: Scheme,
    dialect: Dialect,
}

/// Operators, longest first so that `<=` is not read as `<`.
const OPS: [&str; 15] = [
    "===", "~=", "~>", "==", "!=", "<>", "<=", ">=", "<<", ">>", "<", ">", "=", "^", "~",
];

impl Parser {
    fn version(&self, s: &str) -> PResult<Version> {
        Version::parse(self.scheme, s).map_err(|e| e.to_string())
    }

    fn parse(&self, s: &str) -> PResult<Vec<Vec<Pred>>> {
        if matches!(self.dialect, Dialect::Maven | Dialect::NuGet) && s.starts_with(['[', '(']) {
            return self.interval_union(s);
        }
        let alternatives: Vec<&str> = if self.dialect == Dialect::Composer {
            s.split("||").flat_map(|a| a.split('|')).collect()
        } else {
            s.split("||").collect()
        };
        alternatives
            .into_iter()
            .map(|alt| self.conjunction(alt.trim()))
            .collect()
    }

    /// Space- or comma-separated comparators, with `a - b` hyphen ranges.
    fn conjunction(&self, s: &str) -> PResult<Vec<Pred>> {
        if s.is_empty() {
            return match self.dialect {
                Dialect::Npm | Dialect::Cargo => Ok(Vec::new()),
                _ => Err("empty requirement".into()),
            };
        }
        if matches!(self.dialect, Dialect::Npm | Dialect::Composer)
            && let Some((a, b)) = s.split_once(" - ")
        {
            return self.hyphen(a.trim(), b.trim());
        }
        let mut preds = Vec::new();
        for piece in s.split(',') {
            let piece = piece.trim();
            if piece.is_empty() {
                return Err("empty comparator".into());
            }
            let mut pending_op: Option<&str> = None;
            for word in piece.split_whitespace() {
                let op_len = OPS
                    .iter()
                    .find(|o| word.starts_with(**o))
                    .map_or(0, |o| o.len());
                let (op, rest) = word.split_at(op_len);
                match (pending_op, op.is_empty(), rest.is_empty()) {
                    (Some(_), false, _) => {
                        return Err(format!("operator {op:?} after an operator"));
                    }
                    (Some(p), true, _) => {
                        preds.extend(self.comparator(p, rest)?);
                        pending_op = None;
                    }
                    (None, false, true) => pending_op = Some(op),
                    (None, _, _) => preds.extend(self.comparator(op, rest)?),
                }
            }
            if let Some(op) = pending_op {
                return Err(format!("operator {op:?} without a version"));
            }
        }
        Ok(preds)
    }

    fn comparator(&self, op: &str, v: &str) -> PResult<Vec<Pred>> {
        match self.dialect {
            Dialect::Npm | Dialect::Cargo => self.semver_comparator(op, v),
            Dialect::Composer => self.composer_comparator(op, v),
            Dialect::Pep440 => self.pep440_comparator(op, v),
            Dialect::RubyGems => self.gem_comparator(op, v),
            Dialect::Maven | Dialect::NuGet | Dialect::Plain => {
                let op = plain_op(op, self.dialect)?;
                Ok(vec![Pred::Cmp(op, self.version(v)?)])
            }
        }
    }

    // ---- npm and Cargo ------------------------------------------------------------------

    fn sem(&self, nums: &[u64], tail: &str) -> PResult<Version> {
        let n = |i: usize| nums.get(i).copied().unwrap_or(0);
        self.version(&format!("{}.{}.{}{}", n(0), n(1), n(2), tail))
    }

    /// Smallest version above everything that starts with `nums` (`1.2` → `1.3.0-0`).
    fn sem_after(&self, nums: &[u64]) -> PResult<Version> {
        let mut up: Vec<u64> = nums.to_vec();
        if let Some(last) = up.last_mut() {
            *last = last.checked_add(1).ok_or("component too large")?;
        }
        self.sem(&up, "-0")
    }

    fn semver_comparator(&self, op: &str, v: &str) -> PResult<Vec<Pred>> {
        let p = parse_partial(v, 3)?;
        let n = p.nums.len();
        let lower = |s: &Self| s.sem(&p.nums, &p.tail);
        let wildcard = v.contains(['*', 'x', 'X']);
        let op = if op.is_empty() && self.dialect == Dialect::Cargo && !wildcard {
            "^"
        } else {
            op
        };
        // node-semver `replaceXRange`/`replaceTilde`/`replaceCaret`; Cargo reference
        // "Specifying dependencies" gives the same bounds for `^`, `~`, `*` and comparisons.
        Ok(match (op, n) {
            ("" | "=" | "==", 3) => vec![Pred::Cmp(Op::Eq, lower(self)?)],
            ("" | "=" | "==" | "~" | ">=" | "^" | "<=", 0) => Vec::new(),
            ("" | "=" | "==", _) => self.sem_between(lower(self)?, &p.nums)?,
            (">", 3) => vec![Pred::Cmp(Op::Gt, lower(self)?)],
            (">", 0) | ("<", 0) => vec![Pred::Never],
            (">", _) => vec![Pred::Cmp(
                Op::Ge,
                strip_pre(self.sem_after(&p.nums)?, self)?,
            )],
            (">=", _) => vec![Pred::Cmp(Op::Ge, lower(self)?)],
            ("<", 3) => vec![Pred::Cmp(Op::Lt, lower(self)?)],
            ("<", _) => vec![Pred::Cmp(Op::Lt, self.sem(&p.nums, "-0")?)],
            ("<=", 3) => vec![Pred::Cmp(Op::Le, lower(self)?)],
            ("<=", _) => vec![Pred::Cmp(Op::Lt, self.sem_after(&p.nums)?)],
            ("~", 1) => self.sem_between(lower(self)?, &p.nums)?,
            ("~", _) => self.sem_between(lower(self)?, p.nums.get(..2).unwrap_or_default())?,
            ("^", _) => {
                // Everything up to the first non-zero component is fixed.
                let keep = p
                    .nums
                    .iter()
                    .position(|&c| c != 0)
                    .map_or(n, |i| i + 1)
                    .min(n)
                    .max(1);
                let keep = if n == 3 || keep < n { keep } else { n };
                self.sem_between(lower(self)?, p.nums.get(..keep).unwrap_or_default())?
            }
            _ => return Err(format!("operator {op:?} is not valid here")),
        })
    }

    fn sem_between(&self, lo: Version, prefix: &[u64]) -> PResult<Vec<Pred>> {
        Ok(vec![
            Pred::Cmp(Op::Ge, lo),
            Pred::Cmp(Op::Lt, self.sem_after(prefix)?),
        ])
    }

    fn hyphen(&self, a: &str, b: &str) -> PResult<Vec<Pred>> {
        if self.dialect == Dialect::Composer {
            return self.composer_hyphen(a, b);
        }
        let lo = parse_partial(a, 3)?;
        let hi = parse_partial(b, 3)?;
        let mut preds = vec![Pred::Cmp(Op::Ge, self.sem(&lo.nums, &lo.tail)?)];
        match hi.nums.len() {
            0 => {}
            3 => preds.push(Pred::Cmp(Op::Le, self.sem(&hi.nums, &hi.tail)?)),
            _ => preds.push(Pred::Cmp(Op::Lt, self.sem_after(&hi.nums)?)),
        }
        Ok(preds)
    }

    // ---- Composer -----------------------------------------------------------------------

    fn comp(&self, nums: &[u64], suffix: &str) -> PResult<Version> {
        let mut parts: Vec<String> = nums.iter().map(u64::to_string).collect();
        parts.resize(4, "0".into());
        self.version(&format!("{}{suffix}", parts.join(".")))
    }

    fn comp_after(&self, nums: &[u64]) -> PResult<Version> {
        let mut up = nums.to_vec();
        if let Some(last) = up.last_mut() {
            *last = last.checked_add(1).ok_or("component too large")?;
        }
        self.comp(&up, "-dev")
    }

    /// Composer `VersionParser::parseConstraint`, as its documentation ("Writing Version
    /// Constraints") describes each operator.
    fn composer_comparator(&self, op: &str, v: &str) -> PResult<Vec<Pred>> {
        let v = v.split('@').next().unwrap_or(v);
        let wild = v.ends_with(['*', 'x', 'X']) || v.is_empty();
        let p = if wild || op == "^" || op == "~" {
            Some(parse_partial(v, 4)?)
        } else {
            None
        };
        let between = |lo: Version, prefix: &[u64]| -> PResult<Vec<Pred>> {
            Ok(vec![
                Pred::Cmp(Op::Ge, lo),
                Pred::Cmp(Op::Lt, self.comp_after(prefix)?),
            ])
        };
        match (op, p) {
            ("" | "=" | "==", Some(p)) if wild => {
                if p.nums.is_empty() {
                    Ok(Vec::new())
                } else {
                    between(self.comp(&p.nums, "-dev")?, &p.nums)
                }
            }
            ("^", Some(p)) if !p.nums.is_empty() => {
                let n = p.nums.len();
                let keep = p
                    .nums
                    .iter()
                    .position(|&c| c != 0)
                    .map_or(n, |i| i + 1)
                    .min(n);
                let keep = if keep == 0 { 1 } else { keep };
                let lo = self.version_or_dev(v, &p)?;
                between(lo, p.nums.get(..keep).unwrap_or_default())
            }
            ("~", Some(p)) if !p.nums.is_empty() => {
                let n = p.nums.len();
                let keep = if n == 1 { 1 } else { n - 1 };
                let lo = self.version_or_dev(v, &p)?;
                between(lo, p.nums.get(..keep).unwrap_or_default())
            }
            (_, Some(_)) => Err(format!("operator {op:?} cannot take {v:?}")),
            (op, None) => {
                let op = plain_op(op, self.dialect)?;
                let has_stability = v.contains(|c: char| c.is_ascii_alphabetic());
                // `>=1.0` and `<2.0` include and exclude the dev releases of their bound.
                let text = if matches!(op, Op::Ge | Op::Lt) && !has_stability {
                    format!("{v}-dev")
                } else {
                    v.to_string()
                };
                Ok(vec![Pred::Cmp(op, self.version(&text)?)])
            }
        }
    }

    fn version_or_dev(&self, v: &str, p: &Partial) -> PResult<Version> {
        if p.tail.is_empty() {
            self.comp(&p.nums, "-dev")
        } else {
            self.version(v)
        }
    }

    fn composer_hyphen(&self, a: &str, b: &str) -> PResult<Vec<Pred>> {
        let lo = parse_partial(a, 4)?;
        let hi = parse_partial(b, 4)?;
        let mut preds = vec![Pred::Cmp(Op::Ge, self.version_or_dev(a, &lo)?)];
        if hi.nums.len() >= 3 || !hi.tail.is_empty() {
            preds.push(Pred::Cmp(Op::Le, self.version(b)?));
        } else if !hi.nums.is_empty() {
            preds.push(Pred::Cmp(Op::Lt, self.comp_after(&hi.nums)?));
        }
        Ok(preds)
    }

    // ---- PEP 440 ------------------------------------------------------------------------

    /// PEP 440 §Version specifiers.
    fn pep440_comparator(&self, op: &str, v: &str) -> PResult<Vec<Pred>> {
        if op == "===" {
            return Ok(vec![Pred::Arbitrary(v.trim().to_string())]);
        }
        if let Some(prefix) = v.strip_suffix(".*") {
            let negate = match op {
                "==" => false,
                "!=" => true,
                _ => return Err(format!("'.*' is only valid with == and != (got {op:?})")),
            };
            let pv = self.pep_version(prefix)?;
            if pv.pre.is_some() || pv.post.is_some() || pv.dev.is_some() || pv.has_local() {
                return Err("prefix match on a pre, post, dev or local version".into());
            }
            return Ok(vec![self.pep_prefix(&pv.epoch, &pv.release, negate)?]);
        }
        let spec = self.version(v)?;
        let Key::Pep440(pv) = spec.key() else {
            return Err("not a PEP 440 version".into());
        };
        if pv.has_local() && !matches!(op, "==" | "!=") {
            return Err("local versions are only valid with == and !=".into());
        }
        Ok(match op {
            "~=" => {
                if pv.release.len() < 2 {
                    return Err("~= needs at least two release components".into());
                }
                let prefix = pv.release.get(..pv.release.len() - 1).unwrap_or_default();
                vec![
                    Pred::Pep(Op::Ge, spec.clone()),
                    self.pep_prefix(&pv.epoch, prefix, false)?,
                ]
            }
            "==" => vec![Pred::Pep(Op::Eq, spec)],
            "!=" => vec![Pred::Pep(Op::Ne, spec)],
            "<=" => vec![Pred::Pep(Op::Le, spec)],
            ">=" => vec![Pred::Pep(Op::Ge, spec)],
            "<" => vec![Pred::Pep(Op::Lt, spec)],
            ">" => vec![Pred::Pep(Op::Gt, spec)],
            _ => return Err(format!("operator {op:?} is not a PEP 440 operator")),
        })
    }

    fn pep_version(&self, s: &str) -> PResult<Pep440Version> {
        Pep440Version::parse(s).map_err(|r| format!("invalid pep440 version {s:?}: {r}"))
    }

    /// Versions whose release starts with `release`: `[release.dev0, next.dev0)`.
    fn pep_prefix(
        &self,
        epoch: &crate::num::Num,
        release: &[crate::num::Num],
        negate: bool,
    ) -> PResult<Pred> {
        let mut next = release.to_vec();
        if let Some(last) = next.last_mut() {
            *last = last.succ();
        }
        let wrap = |v: Pep440Version| Version {
            raw: String::new(),
            key: Key::Pep440(v),
        };
        Ok(Pred::Range {
            lo: wrap(Pep440Version::prefix_floor(epoch, release)),
            hi: wrap(Pep440Version::prefix_floor(epoch, &next)),
            negate,
        })
    }

    // ---- RubyGems -----------------------------------------------------------------------

    /// `Gem::Requirement`: `=` (default), `!=`, `>`, `<`, `>=`, `<=`, `~>`.
    fn gem_comparator(&self, op: &str, v: &str) -> PResult<Vec<Pred>> {
        let ver = self.version(v)?;
        if op == "~>" {
            let Key::RubyGems(g) = ver.key() else {
                return Err("not a gem version".into());
            };
            let hi = Version {
                raw: String::new(),
                key: Key::RubyGems(g.bump()),
            };
            return Ok(vec![Pred::Pessimistic { lo: ver, hi }]);
        }
        let op = match op {
            "" | "=" => Op::Eq,
            _ => plain_op(op, self.dialect)?,
        };
        Ok(vec![Pred::Cmp(op, ver)])
    }

    // ---- Maven and NuGet intervals ------------------------------------------------------

    /// Maven `VersionRange.createFromVersionSpec`: `[1.0]`, `[1.0,2.0)`, `(,1.0],[1.2,)`;
    /// NuGet "Version ranges": the same brackets, one interval.
    fn interval_union(&self, s: &str) -> PResult<Vec<Vec<Pred>>> {
        let mut out = Vec::new();
        let mut rest = s.trim();
        while !rest.is_empty() {
            let close = rest
                .find([']', ')'])
                .ok_or_else(|| format!("unclosed range in {rest:?}"))?;
            let (interval, tail) = rest.split_at(close + 1);
            out.push(self.interval(interval)?);
            rest = tail.trim_start();
            if let Some(t) = rest.strip_prefix(',') {
                rest = t.trim_start();
                if rest.is_empty() {
                    return Err("trailing ','".into());
                }
            } else if !rest.is_empty() {
                return Err(format!("unexpected {rest:?} after a range"));
            }
            if self.dialect == Dialect::NuGet && !rest.is_empty() {
                return Err("NuGet ranges hold one interval".into());
            }
        }
        Ok(out)
    }

    fn interval(&self, s: &str) -> PResult<Vec<Pred>> {
        let lower_inclusive = s.starts_with('[');
        let upper_inclusive = s.ends_with(']');
        let inner = s
            .get(1..s.len().saturating_sub(1))
            .ok_or("range too short")?
            .trim();
        let Some((lo, hi)) = inner.split_once(',') else {
            if !(lower_inclusive && upper_inclusive) || inner.is_empty() {
                return Err(format!("single-version range {s:?} must be written [v]"));
            }
            return Ok(vec![Pred::Cmp(Op::Eq, self.version(inner)?)]);
        };
        if hi.contains(',') {
            return Err(format!("more than two bounds in {s:?}"));
        }
        let (lo, hi) = (lo.trim(), hi.trim());
        let mut preds = Vec::new();
        if !lo.is_empty() {
            let op = if lower_inclusive { Op::Ge } else { Op::Gt };
            preds.push(Pred::Cmp(op, self.version(lo)?));
        }
        if !hi.is_empty() {
            let op = if upper_inclusive { Op::Le } else { Op::Lt };
            preds.push(Pred::Cmp(op, self.version(hi)?));
        }
        if lo.is_empty() && hi.is_empty() {
            return Err(format!("range {s:?} has no bounds"));
        }
        Ok(preds)
    }
}

fn strip_pre(v: Version, p: &Parser) -> PResult<Version> {
    let text = v.as_str().trim_end_matches("-0").to_string();
    p.version(&text)
}

fn plain_op(op: &str, dialect: Dialect) -> PResult<Op> {
    Ok(match op {
        "<" | "<<" => Op::Lt,
        "<=" => Op::Le,
        ">" | ">>" => Op::Gt,
        ">=" => Op::Ge,
        "=" | "==" => Op::Eq,
        "!=" | "<>" => Op::Ne,
        // NuGet: a bare version is a minimum (inclusive); elsewhere it means equality.
        "" if dialect == Dialect::NuGet => Op::Ge,
        "" => Op::Eq,
        other => return Err(format!("operator {other:?} is not valid here")),
    })
}
