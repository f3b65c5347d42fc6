//! CVSS v2, v3.x and v4.0 base score computation from vector strings.
//!
//! Stored scores in advisories are often wrong or rounded differently; kura recomputes every
//! base score from its vector. Vectors are validated strictly: every base metric present once,
//! every value one the specification defines, no unknown metrics. Temporal, threat,
//! environmental and supplemental metrics are validated but do not enter the *base* score.
//!
//! ```
//! let s = kura_cvss::score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").unwrap();
//! assert_eq!(s.base, 9.8);
//! assert_eq!(s.severity, kura_types::Severity::Critical);
//! ```

use kura_types::Severity;
use std::fmt;

mod v2;
mod v3;
mod v4;
mod v4_tables;

/// Which CVSS version a vector is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CvssVersion {
    /// CVSS v2.0.
    V2,
    /// CVSS v3.0.
    V3_0,
    /// CVSS v3.1.
    V3_1,
    /// CVSS v4.0.
    V4_0,
}

impl CvssVersion {
    /// The version as `Rating::method` names it (`CVSSv2`, `CVSSv3`, `CVSSv31`, `CVSSv4`).
    pub fn method(self) -> &'static str {
        match self {
            CvssVersion::V2 => "CVSSv2",
            CvssVersion::V3_0 => "CVSSv3",
            CvssVersion::V3_1 => "CVSSv31",
            CvssVersion::V4_0 => "CVSSv4",
        }
    }
}

impl fmt::Display for CvssVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CvssVersion::V2 => "2.0",
            CvssVersion::V3_0 => "3.0",
            CvssVersion::V3_1 => "3.1",
            CvssVersion::V4_0 => "4.0",
        })
    }
}

/// A base score computed from a vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    /// CVSS version of the vector.
    pub version: CvssVersion,
    /// Base score, 0.0–10.0, one decimal.
    pub base: f64,
    /// Qualitative severity of `base` (v2: NVD's Low/Medium/High; v3/v4: the specification's
    /// scale, where a score of 0.0, "None", maps to [`Severity::Unknown`]).
    pub severity: Severity,
    /// The vector as given, trimmed.
    pub vector: String,
}

/// Why a vector was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CvssError {
    /// The vector does not start with a known version prefix.
    #[error("CVSS vector {vector:?}: unknown or missing version prefix")]
    UnknownVersion {
        /// The rejected vector.
        vector: String,
    },
    /// A component is not `METRIC:VALUE`.
    #[error("CVSS vector {vector:?}: malformed component {component:?}")]
    Malformed {
        /// The rejected vector.
        vector: String,
        /// The offending component.
        component: String,
    },
    /// A metric this CVSS version does not define.
    #[error("CVSS vector {vector:?}: unknown metric {metric:?}")]
    UnknownMetric {
        /// The rejected vector.
        vector: String,
        /// The metric name.
        metric: String,
    },
    /// A value the metric does not define.
    #[error("CVSS vector {vector:?}: {metric} has no value {value:?}")]
    InvalidValue {
        /// The rejected vector.
        vector: String,
        /// The metric name.
        metric: String,
        /// The value found.
        value: String,
    },
    /// A metric given twice.
    #[error("CVSS vector {vector:?}: metric {metric} appears twice")]
    Duplicate {
        /// The rejected vector.
        vector: String,
        /// The metric name.
        metric: String,
    },
    /// A required base metric is absent.
    #[error("CVSS vector {vector:?}: base metric {metric} is missing")]
    Missing {
        /// The rejected vector.
        vector: String,
        /// The metric name.
        metric: String,
    },
}

/// Compute the base score of a CVSS v2, v3.0, v3.1 or v4.0 vector.
pub fn score(vector: &str) -> Result<Score, CvssError> {
    let v = vector.trim();
    let (version, body) = if let Some(b) = v.strip_prefix("CVSS:4.0/") {
        (CvssVersion::V4_0, b)
    } else if let Some(b) = v.strip_prefix("CVSS:3.1/") {
        (CvssVersion::V3_1, b)
    } else if let Some(b) = v.strip_prefix("CVSS:3.0/") {
        (CvssVersion::V3_0, b)
    } else if let Some(b) = v.strip_prefix("CVSS:2.0/") {
        (CvssVersion::V2, b)
    } else if v.starts_with("AV:") || v.starts_with("(AV:") {
        // NVD writes v2 vectors without a prefix, sometimes in parentheses.
        let b = v
            .strip_prefix('(')
            .and_then(|b| b.strip_suffix(')'))
            .unwrap_or(v);
        (CvssVersion::V2, b)
    } else {
        return Err(CvssError::UnknownVersion { vector: v.into() });
    };
    let metrics = Metrics::parse(v, body, spec_for(version))?;
    let (base, severity) = match version {
        CvssVersion::V2 => {
            let s = v2::base(&metrics);
            (s, v2::severity(s))
        }
        CvssVersion::V3_0 | CvssVersion::V3_1 => {
            let s = v3::base(&metrics, version == CvssVersion::V3_1);
            (s, Severity::from_score(s))
        }
        CvssVersion::V4_0 => {
            let s = v4::base(&metrics);
            (s, Severity::from_score(s))
        }
    };
    Ok(Score {
        version,
        base,
        severity,
        vector: v.to_string(),
    })
}

/// One metric a version defines: its name, allowed values, and whether the base needs it.
pub(crate) struct MetricSpec {
    name: &'static str,
    values: &'static [&'static str],
    required: bool,
}

const fn req(name: &'static str, values: &'static [&'static str]) -> MetricSpec {
    MetricSpec {
        name,
        values,
        required: true,
    }
}

const fn opt(name: &'static str, values: &'static [&'static str]) -> MetricSpec {
    MetricSpec {
        name,
        values,
        required: false,
    }
}

fn spec_for(version: CvssVersion) -> &'static [MetricSpec] {
    match version {
        CvssVersion::V2 => v2::METRICS,
        CvssVersion::V3_0 | CvssVersion::V3_1 => v3::METRICS,
        CvssVersion::V4_0 => v4::METRICS,
    }
}

/// Validated metric values of one vector, indexed like the version's metric table.
pub(crate) struct Metrics {
    spec: &'static [MetricSpec],
    values: Vec<Option<&'static str>>,
}

impl Metrics {
    fn parse(vector: &str, body: &str, spec: &'static [MetricSpec]) -> Result<Self, CvssError> {
        let mut values: Vec<Option<&'static str>> = vec![None; spec.len()];
        for component in body.split('/') {
            let Some((name, value)) = component.split_once(':') else {
                return Err(CvssError::Malformed {
                    vector: vector.into(),
                    component: component.into(),
                });
            };
            let Some(i) = spec.iter().position(|m| m.name == name) else {
                return Err(CvssError::UnknownMetric {
                    vector: vector.into(),
                    metric: name.into(),
                });
            };
            let (Some(m), Some(slot)) = (spec.get(i), values.get_mut(i)) else {
                continue;
            };
            let Some(canon) = m.values.iter().find(|v| **v == value) else {
                return Err(CvssError::InvalidValue {
                    vector: vector.into(),
                    metric: name.into(),
                    value: value.into(),
                });
            };
            if slot.is_some() {
                return Err(CvssError::Duplicate {
                    vector: vector.into(),
                    metric: name.into(),
                });
            }
            *slot = Some(canon);
        }
        if let Some(m) = spec
            .iter()
            .zip(&values)
            .find(|(m, v)| m.required && v.is_none())
            .map(|(m, _)| m)
        {
            return Err(CvssError::Missing {
                vector: vector.into(),
                metric: m.name.into(),
            });
        }
        Ok(Metrics { spec, values })
    }

    /// Value of metric `name`, `"X"` (not defined) when absent.
    pub(crate) fn get(&self, name: &str) -> &'static str {
        self.spec
            .iter()
            .zip(&self.values)
            .find(|(m, _)| m.name == name)
            .and_then(|(_, v)| *v)
            .unwrap_or("X")
    }
}

/// Round half up to one decimal, on a value already free of binary noise.
pub(crate) fn round1(x: f64) -> f64 {
    (x * 10.0 + 0.5).floor() / 10.0
}
