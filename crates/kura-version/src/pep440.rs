//! Python versions, PEP 440 "Version Identification and Dependency Specification".
//!
//! `[N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]`, with the spec's normalisations: case
//! insensitive, optional leading `v`, `-`/`_`/`.` separators, `alpha`/`beta`/`c`/`pre`/`preview`
//! spellings, `rev`/`r` for post, implicit numbers (`1.0a` = `1.0a0`) and implicit post
//! releases (`1.0-1` = `1.0.post1`). Ordering (§"Summary of permitted suffixes and relative
//! ordering"): epoch, then release with trailing zeros ignored, then
//! `.devN < aN < bN < rcN < (final) < .postN`, a dev release of a pre or post release sorting
//! just before it, and finally the local label, where a version with a local label sorts after
//! the same version without one and local segments compare numerically when both are numbers,
//! numbers after strings, strings case-insensitively.

use crate::num::Num;
use std::cmp::Ordering;

/// One segment of a local version label.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum LocalSeg {
    /// Alphanumeric segments sort before numeric ones, so this variant is declared first.
    Str(String),
    Num(Num),
}

/// A parsed PEP 440 version.
#[derive(Debug, Clone)]
pub(crate) struct Pep440Version {
    pub(crate) epoch: Num,
    pub(crate) release: Vec<Num>,
    /// Phase 0 = a, 1 = b, 2 = rc.
    pub(crate) pre: Option<(u8, Num)>,
    pub(crate) post: Option<Num>,
    pub(crate) dev: Option<Num>,
    local: Vec<LocalSeg>,
}

struct Cursor<'a> {
    s: &'a str,
}

impl Cursor<'_> {
    fn eat(&mut self, prefix: &str) -> bool {
        match self.s.strip_prefix(prefix) {
            Some(rest) => {
                self.s = rest;
                true
            }
            None => false,
        }
    }

    fn eat_sep(&mut self) -> bool {
        self.eat(".") || self.eat("-") || self.eat("_")
    }

    fn number(&mut self) -> Option<Num> {
        let n = self.s.bytes().take_while(u8::is_ascii_digit).count();
        let (digits, rest) = self.s.split_at(n);
        let num = Num::parse(digits)?;
        self.s = rest;
        Some(num)
    }

    /// Try `[sep]word[sep]N` for one of `words`, restoring the cursor on failure.
    fn suffix(&mut self, words: &[&str]) -> Option<(usize, Num)> {
        let save = self.s;
        self.eat_sep();
        for (i, w) in words.iter().enumerate() {
            if self.eat(w) {
                let before_num = self.s;
                self.eat_sep();
                if let Some(n) = self.number() {
                    return Some((i, n));
                }
                self.s = before_num;
                return Some((i, Num::zero()));
            }
        }
        self.s = save;
        None
    }
}

const PRE_WORDS: [&str; 7] = ["alpha", "beta", "preview", "pre", "rc", "a", "b"];

fn pre_phase(word: usize) -> u8 {
    match PRE_WORDS.get(word) {
        Some(&"alpha" | &"a") => 0,
        Some(&"beta" | &"b") => 1,
        _ => 2,
    }
}

impl Pep440Version {
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let lower = text.trim().to_ascii_lowercase();
        let mut c = Cursor { s: &lower };
        c.eat("v");
        let mut epoch = Num::zero();
        let mut release = vec![c.number().ok_or("expected a release number")?];
        if c.eat("!") {
            epoch = release.pop().unwrap_or_default();
            release.push(
                c.number()
                    .ok_or("expected a release number after the epoch")?,
            );
        }
        while c.s.starts_with('.') && c.s.as_bytes().get(1).is_some_and(u8::is_ascii_digit) {
            c.eat(".");
            release.push(c.number().ok_or("expected a number after '.'")?);
        }
        // "c" is an alternative spelling of "rc" (PEP 440 §Pre-release spelling).
        let pre = c
            .suffix(&PRE_WORDS)
            .or_else(|| c.suffix(&["c"]).map(|(_, n)| (4, n)))
            .map(|(w, n)| (pre_phase(w), n));
        let mut post = c.suffix(&["post", "rev", "r"]).map(|(_, n)| n);
        if post.is_none() && c.s.starts_with('-') {
            // Implicit post release: `1.0-1`.
            let save = c.s;
            c.eat("-");
            post = c.number();
            if post.is_none() {
                c.s = save;
            }
        }
        let dev = c.suffix(&["dev"]).map(|(_, n)| n);
        let mut local = Vec::new();
        if c.eat("+") {
            for seg in c.s.split(['.', '-', '_']) {
                if seg.is_empty() || !seg.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err(format!("invalid local version segment {seg:?}"));
                }
                local.push(match Num::parse(seg) {
                    Some(n) => LocalSeg::Num(n),
                    None => LocalSeg::Str(seg.to_string()),
                });
            }
            c.s = "";
        }
        if !c.s.is_empty() {
            return Err(format!("unexpected trailing text {:?}", c.s));
        }
        Ok(Pep440Version {
            epoch,
            release,
            pre,
            post,
            dev,
            local,
        })
    }

    pub(crate) fn is_prerelease(&self) -> bool {
        self.pre.is_some() || self.dev.is_some()
    }

    /// Release numbers with trailing zeros removed, the form compared.
    fn release_key(&self) -> &[Num] {
        let n = self
            .release
            .iter()
            .rposition(|n| !n.is_zero())
            .map_or(0, |i| i + 1);
        self.release.get(..n).unwrap_or_default()
    }

    /// Same version without local label.
    pub(crate) fn public(&self) -> Pep440Version {
        Pep440Version {
            local: Vec::new(),
            ..self.clone()
        }
    }

    pub(crate) fn has_local(&self) -> bool {
        !self.local.is_empty()
    }
}

/// Rank of the pre-release slot: a bare dev release sorts before every pre-release of the same
/// release; a release without pre-release sorts after all of them.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum PreKey<'a> {
    DevOnly,
    Pre(u8, &'a Num),
    None,
}

impl Ord for Pep440Version {
    fn cmp(&self, other: &Self) -> Ordering {
        fn pre(v: &Pep440Version) -> PreKey<'_> {
            match &v.pre {
                Some((phase, n)) => PreKey::Pre(*phase, n),
                None if v.post.is_none() && v.dev.is_some() => PreKey::DevOnly,
                None => PreKey::None,
            }
        }
        // No post release sorts first; no dev release sorts last.
        fn post(v: &Pep440Version) -> Option<&Num> {
            v.post.as_ref()
        }
        fn dev(v: &Pep440Version) -> (bool, Option<&Num>) {
            (v.dev.is_none(), v.dev.as_ref())
        }
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| self.release_key().cmp(other.release_key()))
            .then_with(|| pre(self).cmp(&pre(other)))
            .then_with(|| post(self).cmp(&post(other)))
            .then_with(|| dev(self).cmp(&dev(other)))
            .then_with(|| self.local.cmp(&other.local))
    }
}

impl PartialOrd for Pep440Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Pep440Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Pep440Version {}

/// PEP 440 §Version specifiers: does `candidate` satisfy `op spec` for the ordered and
/// equality operators? Local labels of candidates are ignored unless `spec` has one; `<V`
/// excludes pre-releases of `V` and `>V` excludes post-releases and local versions of `V`
/// (unless `V` itself is such a release).
pub(crate) fn spec_matches(
    op: crate::req::Op,
    spec: &Pep440Version,
    candidate: &Pep440Version,
) -> bool {
    use crate::req::Op;
    let cand = if spec.has_local() {
        candidate.clone()
    } else {
        candidate.public()
    };
    let o = cand.cmp(spec);
    match op {
        Op::Eq => o.is_eq(),
        Op::Ne => o.is_ne(),
        Op::Le => o.is_le(),
        Op::Ge => o.is_ge(),
        Op::Lt => {
            o.is_lt()
                && (spec.is_prerelease() || !(cand.is_prerelease() && same_release(&cand, spec)))
        }
        Op::Gt => {
            o.is_gt()
                && (spec.post.is_some() || !(cand.post.is_some() && same_release(&cand, spec)))
                && !(candidate.has_local() && candidate.public().cmp(spec).is_eq())
        }
    }
}

fn same_release(a: &Pep440Version, b: &Pep440Version) -> bool {
    a.epoch == b.epoch && a.release_key() == b.release_key()
}

impl Pep440Version {
    /// `[N!]release.dev0` for `release`: the smallest version whose release starts with it.
    pub(crate) fn prefix_floor(epoch: &Num, release: &[Num]) -> Pep440Version {
        Pep440Version {
            epoch: epoch.clone(),
            release: release.to_vec(),
            pre: None,
            post: None,
            dev: Some(Num::zero()),
            local: Vec::new(),
        }
    }
}
