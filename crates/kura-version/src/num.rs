//! Arbitrary-length decimal numbers, compared without overflow.
//!
//! Version components are unbounded in every scheme (dpkg, rpm and Maven compare digit runs of
//! any length), so numbers are kept as digit strings with leading zeros stripped.

use std::cmp::Ordering;

/// A non-negative integer of any length.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub(crate) struct Num(String);

impl Num {
    /// Build from ASCII digits; `None` if `s` is empty or holds a non-digit.
    pub(crate) fn parse(s: &str) -> Option<Num> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(Num(s.trim_start_matches('0').to_string()))
    }

    pub(crate) fn zero() -> Num {
        Num(String::new())
    }

    pub(crate) fn from_u64(n: u64) -> Num {
        if n == 0 {
            Num::zero()
        } else {
            Num(n.to_string())
        }
    }

    pub(crate) fn is_zero(&self) -> bool {
        self.0.is_empty()
    }

    /// The number plus one.
    pub(crate) fn succ(&self) -> Num {
        let mut digits: Vec<u8> = self.0.bytes().collect();
        let mut i = digits.len();
        loop {
            if i == 0 {
                digits.insert(0, b'1');
                break;
            }
            i -= 1;
            if let Some(d) = digits.get_mut(i) {
                if *d == b'9' {
                    *d = b'0';
                } else {
                    *d += 1;
                    break;
                }
            }
        }
        Num(String::from_utf8_lossy(&digits).into_owned())
    }
}

impl std::fmt::Display for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            f.write_str("0")
        } else {
            f.write_str(&self.0)
        }
    }
}

impl Ord for Num {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.cmp(&other.0))
    }
}

impl PartialOrd for Num {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Compare two ASCII digit runs numerically, ignoring leading zeros.
pub(crate) fn cmp_digits(a: &[u8], b: &[u8]) -> Ordering {
    let a = strip_zeros(a);
    let b = strip_zeros(b);
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn strip_zeros(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|&&b| b == b'0').count();
    s.get(n..).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_by_value_not_text() {
        assert_eq!(cmp_digits(b"010", b"9"), Ordering::Greater);
        assert_eq!(cmp_digits(b"000", b""), Ordering::Equal);
        assert_eq!(
            cmp_digits(b"123456789012345678901234567890", b"99"),
            Ordering::Greater
        );
    }

    #[test]
    fn succ_carries() {
        assert_eq!(
            Num::parse("199").map(|n| n.succ().to_string()),
            Some("200".into())
        );
        assert_eq!(Num::zero().succ().to_string(), "1");
        assert_eq!(
            Num::parse("99").map(|n| n.succ().to_string()),
            Some("100".into())
        );
    }
}
