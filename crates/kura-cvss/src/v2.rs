//! CVSS v2.0 base equations (CVSS v2 Complete Guide §3.2.1).

use crate::{MetricSpec, Metrics, opt, req};
use kura_types::Severity;

pub(crate) const METRICS: &[MetricSpec] = &[
    req("AV", &["L", "A", "N"]),
    req("AC", &["H", "M", "L"]),
    req("Au", &["M", "S", "N"]),
    req("C", &["N", "P", "C"]),
    req("I", &["N", "P", "C"]),
    req("A", &["N", "P", "C"]),
    opt("E", &["U", "POC", "F", "H", "ND"]),
    opt("RL", &["OF", "TF", "W", "U", "ND"]),
    opt("RC", &["UC", "UR", "C", "ND"]),
    opt("CDP", &["N", "L", "LM", "MH", "H", "ND"]),
    opt("TD", &["N", "L", "M", "H", "ND"]),
    opt("CR", &["L", "M", "H", "ND"]),
    opt("IR", &["L", "M", "H", "ND"]),
    opt("AR", &["L", "M", "H", "ND"]),
];

fn impact(v: &str) -> f64 {
    match v {
        "P" => 0.275,
        "C" => 0.660,
        _ => 0.0,
    }
}

/// `BaseScore = round_to_1_decimal(((0.6*Impact)+(0.4*Exploitability)-1.5)*f(Impact))`.
pub(crate) fn base(m: &Metrics) -> f64 {
    let av = match m.get("AV") {
        "L" => 0.395,
        "A" => 0.646,
        _ => 1.0,
    };
    let ac = match m.get("AC") {
        "H" => 0.35,
        "M" => 0.61,
        _ => 0.71,
    };
    let au = match m.get("Au") {
        "M" => 0.45,
        "S" => 0.56,
        _ => 0.704,
    };
    let (c, i, a) = (impact(m.get("C")), impact(m.get("I")), impact(m.get("A")));
    let impact = 10.41 * (1.0 - (1.0 - c) * (1.0 - i) * (1.0 - a));
    let exploitability = 20.0 * av * ac * au;
    let f = if impact == 0.0 { 0.0 } else { 1.176 };
    let raw = ((0.6 * impact) + (0.4 * exploitability) - 1.5) * f;
    // Remove binary noise before rounding half up (e.g. 4.2499999 that is exactly 4.25).
    crate::round1((raw * 100_000.0).round() / 100_000.0).max(0.0)
}

/// NVD's v2 ranges: Low 0.0–3.9, Medium 4.0–6.9, High 7.0–10.0.
pub(crate) fn severity(score: f64) -> Severity {
    if score >= 7.0 {
        Severity::High
    } else if score >= 4.0 {
        Severity::Medium
    } else {
        Severity::Low
    }
}
