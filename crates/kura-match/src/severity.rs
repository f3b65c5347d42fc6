//! Ratings of a merged finding and the one severity it is reported with.
//!
//! CVSS base scores are computed from the vectors (CVSS v3.1 §7, v4.0 §8) — a stored number may
//! disagree with its vector. The overall severity is the distro's own rating when the package is
//! an OS package and the distro rated it (it knows how the package is built and used there),
//! else the highest CVSS v3/v4 score, else a v2 score, else a feed's qualitative label.

use kura_types::{Rating, Severity};
use kura_vulndb::StoredAdvisory;

pub(crate) struct Rated {
    pub severity: Severity,
    pub source: Option<String>,
    pub ratings: Vec<Rating>,
}

/// The distro a key names (`Debian:12` → `debian`), `None` for language ecosystems.
fn distro(eco_key: &str) -> Option<String> {
    let (name, _) = eco_key.split_once(':')?;
    Some(name.to_ascii_lowercase().replace(' ', "-"))
}

pub(crate) fn rate<'a>(
    hits: impl Iterator<Item = (&'a StoredAdvisory, &'a str, Option<&'a str>)>,
) -> Rated {
    let mut ratings: Vec<Rating> = Vec::new();
    let mut distro_ratings: Vec<usize> = Vec::new();
    let push = |r: Rating, ratings: &mut Vec<Rating>| -> usize {
        if let Some(i) = ratings.iter().position(|x| {
            x.source == r.source
                && x.method == r.method
                && x.vector == r.vector
                && x.severity == r.severity
        }) {
            return i;
        }
        ratings.push(r);
        ratings.len() - 1
    };
    for (adv, eco_key, row_severity) in hits {
        for s in &adv.advisory.severities {
            let rating = if s.kind.starts_with("CVSS") {
                match kura_cvss::score(&s.value) {
                    Ok(score) => Rating {
                        source: s.source.clone(),
                        method: score.version.method().to_string(),
                        score: Some(score.base),
                        severity: score.severity,
                        vector: Some(s.value.clone()),
                    },
                    Err(e) => {
                        tracing::debug!("{}: {e}", adv.advisory.id);
                        continue;
                    }
                }
            } else {
                let Some(sev) = Severity::parse(&s.value) else {
                    continue;
                };
                Rating {
                    source: s.source.clone(),
                    method: "other".into(),
                    score: None,
                    severity: sev,
                    vector: None,
                }
            };
            let i = push(rating, &mut ratings);
            if s.kind == "label" && s.source == "ubuntu" && eco_key.starts_with("Ubuntu:") {
                distro_ratings.push(i);
            }
        }
        if let Some(label) = row_severity
            && let Some(sev) = Severity::parse(label)
        {
            let d = distro(eco_key);
            let i = push(
                Rating {
                    source: d.clone().unwrap_or_else(|| adv.advisory.origin.clone()),
                    method: "other".into(),
                    score: None,
                    severity: sev,
                    vector: None,
                },
                &mut ratings,
            );
            if d.is_some() {
                distro_ratings.push(i);
            }
        }
    }
    let pick = |idx: &mut dyn Iterator<Item = usize>| -> Option<usize> {
        idx.filter(|&i| ratings[i].severity != Severity::Unknown)
            .max_by(|&a, &b| {
                ratings[a].severity.cmp(&ratings[b].severity).then_with(|| {
                    let (x, y) = (ratings[a].score, ratings[b].score);
                    x.unwrap_or(0.0).total_cmp(&y.unwrap_or(0.0))
                })
            })
    };
    let modern = |r: &Rating| r.score.is_some() && r.method != "CVSSv2";
    let chosen = pick(&mut distro_ratings.iter().copied())
        .or_else(|| pick(&mut (0..ratings.len()).filter(|&i| modern(&ratings[i]))))
        .or_else(|| pick(&mut (0..ratings.len()).filter(|&i| ratings[i].score.is_some())))
        .or_else(|| pick(&mut (0..ratings.len())));
    match chosen {
        Some(i) => Rated {
            severity: ratings[i].severity,
            source: Some(ratings[i].source.clone()),
            ratings,
        },
        None => Rated {
            severity: Severity::Unknown,
            source: None,
            ratings,
        },
    }
}
