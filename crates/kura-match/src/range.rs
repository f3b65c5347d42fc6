//! Does one stored affected entry cover an installed version, and what fixes it?
//!
//! OSV ranges follow the OSV schema's evaluation rules (§"Evaluation"): events are sorted by
//! version, `introduced: "0"` sorts first, a version is affected from an `introduced` up to (not
//! including) the next `fixed`/`limit`, or up to and including the next `last_affected`.
//! RustSec entries are affected unless a `patched` or `unaffected` requirement matches.

use kura_version::{Scheme, Version, VersionReq};
use kura_vulndb::{Affected, AffectedRow, Event, RangeScheme};
use std::cmp::Ordering;

/// Result of checking one affected entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hit {
    /// Not affected.
    Miss,
    /// Affected; the version that ends the interval, when the feed names one.
    Affected {
        /// Lowest fixed version above the installed one, in this entry.
        fixed: Option<String>,
    },
}

/// Why an entry could not be evaluated (its versions do not parse in the scheme).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeError(pub String);

/// Parse an event version; `0` in `introduced` means "from the beginning".
fn parse(scheme: Scheme, s: &str) -> Result<Version, RangeError> {
    Version::parse(scheme, s).map_err(|e| RangeError(e.to_string()))
}

/// Evaluate `a` for `installed` (already parsed in `scheme`).
pub fn evaluate(a: &Affected, scheme: Scheme, installed: &Version) -> Result<Hit, RangeError> {
    evaluate_listed(a, a.versions.iter().map(String::as_str), scheme, installed)
}

/// Evaluate a looked-up row, reading its version list in stored form.
pub fn evaluate_row(
    row: &AffectedRow,
    scheme: Scheme,
    installed: &Version,
) -> Result<Hit, RangeError> {
    evaluate_listed(&row.affected, row.versions(), scheme, installed)
}

fn evaluate_listed<'a>(
    a: &Affected,
    versions: impl Iterator<Item = &'a str> + Clone,
    scheme: Scheme,
    installed: &Version,
) -> Result<Hit, RangeError> {
    let mut hit = match a.scheme {
        RangeScheme::CargoReq => cargo_req(&a.events, installed)?,
        RangeScheme::Ecosystem | RangeScheme::Semver => osv_events(&a.events, scheme, installed)?,
    };
    let mut versions = versions.peekable();
    if hit == Hit::Miss && versions.peek().is_some() {
        // OSV `versions`: an explicit enumeration. Where ranges exist the list is derived from
        // them (OSV tooling enumerates released versions inside the ranges), so the exact
        // spelling suffices; a list standing alone is compared under the scheme's ordering
        // (`1.0` = `1.0.0` in PEP 440).
        let text = installed.as_str();
        let listed = versions.clone().any(|v| v == text)
            || (a.events.is_empty()
                && versions
                    .filter_map(|v| Version::parse(scheme, v).ok())
                    .any(|v| v == *installed));
        if listed {
            hit = Hit::Affected { fixed: None };
        }
    }
    Ok(hit)
}

enum Bound {
    Introduced(Option<Version>),
    Fixed(Version),
    LastAffected(Version),
}

fn osv_events(events: &[Event], scheme: Scheme, installed: &Version) -> Result<Hit, RangeError> {
    let mut bounds = Vec::with_capacity(events.len());
    for e in events {
        match e {
            Event::Introduced(v) if v == "0" => bounds.push(Bound::Introduced(None)),
            Event::Introduced(v) => bounds.push(Bound::Introduced(Some(parse(scheme, v)?))),
            Event::Fixed(v) => bounds.push(Bound::Fixed(parse(scheme, v)?)),
            Event::LastAffected(v) => bounds.push(Bound::LastAffected(parse(scheme, v)?)),
            Event::Limit(v) if v == "*" => {}
            Event::Limit(v) => {
                // A limit caps the whole range: nothing at or above it is affected.
                if installed >= &parse(scheme, v)? {
                    return Ok(Hit::Miss);
                }
            }
            Event::Patched(_) | Event::Unaffected(_) => {}
        }
    }
    fn key(b: &Bound) -> Option<&Version> {
        match b {
            Bound::Introduced(v) => v.as_ref(),
            Bound::Fixed(v) | Bound::LastAffected(v) => Some(v),
        }
    }
    // Stable sort: `None` (introduced 0) first; on equal versions keep the feed's order.
    bounds.sort_by(|a, b| match (key(a), key(b)) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) => x.cmp(y),
    });
    let mut affected = false;
    let mut fixed: Option<String> = None;
    // Walk upwards until the first bound above the installed version: it decides the interval.
    for b in &bounds {
        match b {
            Bound::Introduced(None) => affected = true,
            Bound::Introduced(Some(v)) if installed >= v => affected = true,
            Bound::Introduced(Some(_)) => break,
            Bound::Fixed(v) if installed >= v => affected = false,
            Bound::Fixed(v) => {
                if affected {
                    fixed = Some(v.as_str().to_string());
                }
                break;
            }
            Bound::LastAffected(v) if installed > v => affected = false,
            Bound::LastAffected(_) => break,
        }
    }
    if !affected {
        return Ok(Hit::Miss);
    }
    // A `last_affected` end or an open interval leaves the fixed version unknown.
    Ok(Hit::Affected { fixed })
}

fn cargo_req(events: &[Event], installed: &Version) -> Result<Hit, RangeError> {
    let mut lowest_patch: Option<Version> = None;
    for e in events {
        let (Event::Patched(r) | Event::Unaffected(r)) = e else {
            continue;
        };
        let req = VersionReq::parse_cargo(r).map_err(|e| RangeError(e.to_string()))?;
        if req.matches(installed) {
            return Ok(Hit::Miss);
        }
        if let Event::Patched(_) = e
            && let Some(floor) = req_floor(r)
            && floor > *installed
            && lowest_patch.as_ref().is_none_or(|l| floor < *l)
        {
            lowest_patch = Some(floor);
        }
    }
    Ok(Hit::Affected {
        fixed: lowest_patch.map(|v| v.as_str().to_string()),
    })
}

/// The lowest version a Cargo requirement admits, from its first comparator (`>= 1.2.3`,
/// `^0.3.4`, `~1.2`, `=1.0.0`, bare `1.2`); `None` for `<`-only requirements.
fn req_floor(req: &str) -> Option<Version> {
    let first = req.split(',').next()?.trim();
    if first.starts_with('<') {
        return None;
    }
    let v = first.trim_start_matches(['>', '=', '^', '~', ' ']).trim();
    // Cargo allows partial versions (`^1.2`); complete them for a version parse.
    let parts = v.split('.').count();
    let full = match parts {
        1 => format!("{v}.0.0"),
        2 => format!("{v}.0"),
        _ => v.to_string(),
    };
    let floor = Version::parse(Scheme::Semver, &full).ok()?;
    // `> 1.2.3` admits only versions above; the fix is still reported as that bound's
    // successor-free form, which is the conservative choice for advice.
    Some(floor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kura_vulndb::AffectedStatus;

    fn entry(scheme: RangeScheme, events: Vec<Event>, versions: &[&str]) -> Affected {
        Affected {
            ecosystem_key: "test".into(),
            package: "p".into(),
            scheme,
            events,
            versions: versions.iter().map(|s| s.to_string()).collect(),
            status: AffectedStatus::Affected,
            severity: None,
        }
    }

    fn i(v: &str) -> Event {
        Event::Introduced(v.into())
    }
    fn f(v: &str) -> Event {
        Event::Fixed(v.into())
    }
    fn l(v: &str) -> Event {
        Event::LastAffected(v.into())
    }

    fn check(scheme: Scheme, a: &Affected, installed: &str) -> Hit {
        let v = Version::parse(scheme, installed).unwrap();
        evaluate(a, scheme, &v).unwrap()
    }

    fn yes(fixed: Option<&str>) -> Hit {
        Hit::Affected {
            fixed: fixed.map(str::to_string),
        }
    }

    #[test]
    fn osv_events_table() {
        let two = entry(
            RangeScheme::Ecosystem,
            vec![i("0"), f("2.2.28"), i("3.0"), f("3.0.5")],
            &[],
        );
        let last = entry(RangeScheme::Semver, vec![i("1.0.0"), l("1.4.0")], &[]);
        let cases: &[(&Affected, Scheme, &str, Hit)] = &[
            (&two, Scheme::Pep440, "1.0", yes(Some("2.2.28"))),
            (&two, Scheme::Pep440, "2.2.28", Hit::Miss),
            (&two, Scheme::Pep440, "2.2.30", Hit::Miss),
            (&two, Scheme::Pep440, "3.0", yes(Some("3.0.5"))),
            (&two, Scheme::Pep440, "3.0.4", yes(Some("3.0.5"))),
            (&two, Scheme::Pep440, "3.0.5", Hit::Miss),
            (&two, Scheme::Pep440, "4.0", Hit::Miss),
            (&last, Scheme::Semver, "0.9.0", Hit::Miss),
            (&last, Scheme::Semver, "1.0.0", yes(None)),
            (&last, Scheme::Semver, "1.4.0", yes(None)),
            (&last, Scheme::Semver, "1.4.1", Hit::Miss),
        ];
        for (a, scheme, v, want) in cases {
            assert_eq!(&check(*scheme, a, v), want, "{v} in {:?}", a.events);
        }
    }

    #[test]
    fn last_affected_interval_does_not_borrow_a_later_fix() {
        let a = entry(
            RangeScheme::Semver,
            vec![i("0"), l("1.0.0"), i("2.0.0"), f("2.5.0")],
            &[],
        );
        assert_eq!(check(Scheme::Semver, &a, "0.5.0"), yes(None));
        assert_eq!(check(Scheme::Semver, &a, "1.5.0"), Hit::Miss);
        assert_eq!(check(Scheme::Semver, &a, "2.1.0"), yes(Some("2.5.0")));
    }

    #[test]
    fn events_are_sorted_before_evaluation() {
        let shuffled = entry(RangeScheme::Semver, vec![f("1.5.0"), i("1.0.0")], &[]);
        assert_eq!(
            check(Scheme::Semver, &shuffled, "1.2.0"),
            yes(Some("1.5.0"))
        );
        assert_eq!(check(Scheme::Semver, &shuffled, "0.5.0"), Hit::Miss);
    }

    #[test]
    fn introduced_only_means_unfixed() {
        let open = entry(RangeScheme::Ecosystem, vec![i("0")], &[]);
        assert_eq!(check(Scheme::Dpkg, &open, "1:2.3-4"), yes(None));
    }

    #[test]
    fn limit_caps_the_range() {
        let a = entry(
            RangeScheme::Semver,
            vec![i("0"), Event::Limit("2.0.0".into())],
            &[],
        );
        assert_eq!(check(Scheme::Semver, &a, "1.9.9"), yes(None));
        assert_eq!(check(Scheme::Semver, &a, "2.0.0"), Hit::Miss);
    }

    #[test]
    fn explicit_versions_match_by_scheme_equality() {
        let a = entry(RangeScheme::Ecosystem, vec![], &["1.0", "1.1"]);
        assert_eq!(check(Scheme::Pep440, &a, "1.0.0"), yes(None));
        assert_eq!(check(Scheme::Pep440, &a, "1.2"), Hit::Miss);
    }

    #[test]
    fn cargo_requirements_table() {
        // smallvec-style: patched >= 0.6.3, ^0.3.4, ^0.4.5, ^0.5.1; unaffected < 0.3.2
        let a = entry(
            RangeScheme::CargoReq,
            vec![
                Event::Patched(">= 0.6.3".into()),
                Event::Patched("^0.3.4".into()),
                Event::Patched("^0.4.5".into()),
                Event::Patched("^0.5.1".into()),
                Event::Unaffected("< 0.3.2".into()),
            ],
            &[],
        );
        let cases = [
            ("0.3.1", Hit::Miss),
            ("0.3.2", yes(Some("0.3.4"))),
            ("0.3.4", Hit::Miss),
            ("0.4.0", yes(Some("0.4.5"))),
            ("0.5.0", yes(Some("0.5.1"))),
            ("0.6.2", yes(Some("0.6.3"))),
            ("0.6.3", Hit::Miss),
            ("1.0.0", Hit::Miss),
        ];
        for (v, want) in cases {
            assert_eq!(check(Scheme::Semver, &a, v), want, "{v}");
        }
    }

    #[test]
    fn unparseable_event_is_an_error_not_a_match() {
        let a = entry(RangeScheme::Semver, vec![i("0"), f("not a version")], &[]);
        let v = Version::parse(Scheme::Semver, "1.0.0").unwrap();
        assert!(evaluate(&a, Scheme::Semver, &v).is_err());
    }
}
