//! Maven versions, as `org.apache.maven.artifact.versioning.ComparableVersion` orders them.
//!
//! From the class javadoc: the version is split on `.`, on `-`, and at every transition between
//! digits and letters; `-` (and a digit/letter transition) opens a nested list, so
//! `1-alpha-2` is `[1, [alpha, [2]]]`. Trailing "null" items (`0`, `""`, `final`, `ga`,
//! `release`) are dropped from each list, which is why `1.0.0 == 1 == 1-ga`. Known qualifiers
//! order `alpha < beta < milestone < rc = cr < snapshot < "" = final = ga = release < sp`;
//! unknown qualifiers come after `sp` in lexical order; `a1`, `b1`, `m1` mean `alpha-1`,
//! `beta-1`, `milestone-1`. Items compare: numbers numerically; a number is newer than a
//! qualifier or a list; a list is newer than a qualifier. A missing item compares like the
//! null item of the other side's type, hence `1.0-alpha < 1.0 < 1.0-sp` and `1.0 < 1.0.1`.
//! Input is case-insensitive.

use crate::num::Num;
use std::cmp::Ordering;

#[derive(Debug, Clone)]
enum Item {
    Int(Num),
    Str(String),
    List(Vec<Item>),
}

const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];

/// `ComparableVersion.StringItem.comparableQualifier`: a sort key for a qualifier.
fn qualifier_key(q: &str) -> (usize, &str) {
    match QUALIFIERS.iter().position(|k| *k == q) {
        Some(i) => (i, ""),
        None => (QUALIFIERS.len(), q),
    }
}

const RELEASE: (usize, &str) = (5, "");

impl Item {
    fn string(s: &str, followed_by_digit: bool) -> Item {
        let s = if followed_by_digit && s.len() == 1 {
            match s {
                "a" => "alpha",
                "b" => "beta",
                "m" => "milestone",
                other => other,
            }
        } else {
            s
        };
        let s = match s {
            "ga" | "final" | "release" => "",
            "cr" => "rc",
            other => other,
        };
        Item::Str(s.to_string())
    }

    fn parse(s: &str, is_digit: bool) -> Item {
        match (is_digit, Num::parse(s)) {
            (true, Some(n)) => Item::Int(n),
            _ => Item::string(s, false),
        }
    }

    fn is_null(&self) -> bool {
        match self {
            Item::Int(n) => n.is_zero(),
            Item::Str(s) => qualifier_key(s) == RELEASE,
            Item::List(l) => l.is_empty(),
        }
    }

    /// Compare with a missing item.
    fn cmp_null(&self) -> Ordering {
        match self {
            Item::Int(n) => {
                if n.is_zero() {
                    Ordering::Equal
                } else {
                    Ordering::Greater
                }
            }
            Item::Str(s) => qualifier_key(s).cmp(&RELEASE),
            Item::List(l) => l.first().map_or(Ordering::Equal, Item::cmp_null),
        }
    }

    fn cmp_item(&self, other: &Item) -> Ordering {
        match (self, other) {
            (Item::Int(a), Item::Int(b)) => a.cmp(b),
            (Item::Int(_), _) => Ordering::Greater,
            (Item::Str(_), Item::Int(_)) => Ordering::Less,
            (Item::Str(a), Item::Str(b)) => qualifier_key(a).cmp(&qualifier_key(b)),
            (Item::Str(_), Item::List(_)) => Ordering::Less,
            (Item::List(_), Item::Int(_)) => Ordering::Less,
            (Item::List(_), Item::Str(_)) => Ordering::Greater,
            (Item::List(a), Item::List(b)) => cmp_lists(a, b),
        }
    }
}

fn cmp_lists(a: &[Item], b: &[Item]) -> Ordering {
    let n = a.len().max(b.len());
    for i in 0..n {
        let o = match (a.get(i), b.get(i)) {
            (Some(l), Some(r)) => l.cmp_item(r),
            (Some(l), None) => l.cmp_null(),
            (None, Some(r)) => r.cmp_null().reverse(),
            (None, None) => Ordering::Equal,
        };
        if o.is_ne() {
            return o;
        }
    }
    Ordering::Equal
}

/// `ListItem.normalize`: drop trailing null items, stopping at the first non-null non-list.
fn normalize(list: &mut Vec<Item>) {
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        let Some(item) = list.get_mut(i) else { break };
        if let Item::List(inner) = item {
            normalize(inner);
        }
        if item.is_null() {
            list.remove(i);
        } else if !matches!(item, Item::List(_)) {
            break;
        }
    }
}

/// A parsed Maven version.
#[derive(Debug, Clone)]
pub(crate) struct MavenVersion {
    items: Vec<Item>,
    prerelease: bool,
}

/// Builder that mirrors `ComparableVersion.parseVersion`: a path of open nested lists.
struct Builder {
    /// Stack of lists; each is attached to its parent when closed.
    stack: Vec<Vec<Item>>,
}

impl Builder {
    fn push(&mut self, item: Item) {
        if let Some(top) = self.stack.last_mut() {
            top.push(item);
        }
    }

    fn open(&mut self) {
        self.stack.push(Vec::new());
    }

    fn finish(mut self) -> Vec<Item> {
        while self.stack.len() > 1 {
            let child = self.stack.pop().unwrap_or_default();
            self.push(Item::List(child));
        }
        let mut root = self.stack.pop().unwrap_or_default();
        normalize(&mut root);
        root
    }
}

impl MavenVersion {
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let v = text.trim().to_ascii_lowercase();
        if v.is_empty() {
            return Err("empty version".into());
        }
        if let Some(c) = v.chars().find(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!("invalid character {c:?}"));
        }
        if v.len() > 1024 {
            return Err("longer than 1024 bytes".into());
        }
        let bytes = v.as_bytes();
        let mut b = Builder {
            stack: vec![Vec::new()],
        };
        let mut is_digit = false;
        let mut start = 0;
        let slice = |s: usize, e: usize| v.get(s..e).unwrap_or_default();
        for (i, &c) in bytes.iter().enumerate() {
            if c == b'.' || c == b'-' {
                if i == start {
                    b.push(Item::Int(Num::zero()));
                } else {
                    b.push(Item::parse(slice(start, i), is_digit));
                }
                start = i + 1;
                if c == b'-' {
                    b.open();
                }
            } else if c.is_ascii_digit() {
                if !is_digit && i > start {
                    b.push(Item::string(slice(start, i), true));
                    start = i;
                    b.open();
                }
                is_digit = true;
            } else {
                if is_digit && i > start {
                    b.push(Item::parse(slice(start, i), true));
                    start = i;
                    b.open();
                }
                is_digit = false;
            }
        }
        if v.len() > start {
            b.push(Item::parse(slice(start, v.len()), is_digit));
        }
        let items = b.finish();
        let prerelease = has_pre_qualifier(&items);
        Ok(MavenVersion { items, prerelease })
    }

    pub(crate) fn is_prerelease(&self) -> bool {
        self.prerelease
    }
}

fn has_pre_qualifier(items: &[Item]) -> bool {
    items.iter().any(|i| match i {
        Item::Str(s) => qualifier_key(s) < RELEASE,
        Item::List(l) => has_pre_qualifier(l),
        Item::Int(_) => false,
    })
}

impl Ord for MavenVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_lists(&self.items, &other.items)
    }
}

impl PartialOrd for MavenVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for MavenVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for MavenVersion {}
