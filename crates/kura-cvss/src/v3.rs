//! CVSS v3.0 and v3.1 base equations (CVSS v3.1 Specification §7.1, Appendix A for Roundup).

use crate::{MetricSpec, Metrics, opt, req};

pub(crate) const METRICS: &[MetricSpec] = &[
    req("AV", &["N", "A", "L", "P"]),
    req("AC", &["L", "H"]),
    req("PR", &["N", "L", "H"]),
    req("UI", &["N", "R"]),
    req("S", &["U", "C"]),
    req("C", &["H", "L", "N"]),
    req("I", &["H", "L", "N"]),
    req("A", &["H", "L", "N"]),
    opt("E", &["X", "U", "P", "F", "H"]),
    opt("RL", &["X", "O", "T", "W", "U"]),
    opt("RC", &["X", "U", "R", "C"]),
    opt("CR", &["X", "L", "M", "H"]),
    opt("IR", &["X", "L", "M", "H"]),
    opt("AR", &["X", "L", "M", "H"]),
    opt("MAV", &["X", "N", "A", "L", "P"]),
    opt("MAC", &["X", "L", "H"]),
    opt("MPR", &["X", "N", "L", "H"]),
    opt("MUI", &["X", "N", "R"]),
    opt("MS", &["X", "U", "C"]),
    opt("MC", &["X", "N", "L", "H"]),
    opt("MI", &["X", "N", "L", "H"]),
    opt("MA", &["X", "N", "L", "H"]),
];

/// v3.1 Appendix A: round up to one decimal, working in integers so that binary noise
/// (`4.000000001`) does not push a value to the next tenth.
fn roundup_31(x: f64) -> f64 {
    let int_input = (x * 100_000.0).round() as i64;
    if int_input % 10_000 == 0 {
        int_input as f64 / 100_000.0
    } else {
        ((int_input / 10_000) + 1) as f64 / 10.0
    }
}

/// v3.0 §7.1: "the smallest number, specified to one decimal place, that is equal to or higher
/// than its input", computed as v3.0's reference calculator does.
fn roundup_30(x: f64) -> f64 {
    (x * 10.0).ceil() / 10.0
}

fn cia(v: &str) -> f64 {
    match v {
        "H" => 0.56,
        "L" => 0.22,
        _ => 0.0,
    }
}

pub(crate) fn base(m: &Metrics, v31: bool) -> f64 {
    let changed = m.get("S") == "C";
    let av = match m.get("AV") {
        "N" => 0.85,
        "A" => 0.62,
        "L" => 0.55,
        _ => 0.2,
    };
    let ac = if m.get("AC") == "L" { 0.77 } else { 0.44 };
    let pr = match (m.get("PR"), changed) {
        ("N", _) => 0.85,
        ("L", false) => 0.62,
        ("L", true) => 0.68,
        (_, false) => 0.27,
        (_, true) => 0.5,
    };
    let ui = if m.get("UI") == "N" { 0.85 } else { 0.62 };
    let iss = 1.0 - (1.0 - cia(m.get("C"))) * (1.0 - cia(m.get("I"))) * (1.0 - cia(m.get("A")));
    let impact = if changed {
        7.52 * (iss - 0.029) - 3.25 * (iss - 0.02).powi(15)
    } else {
        6.42 * iss
    };
    let exploitability = 8.22 * av * ac * pr * ui;
    if impact <= 0.0 {
        return 0.0;
    }
    let sum = if changed {
        (1.08 * (impact + exploitability)).min(10.0)
    } else {
        (impact + exploitability).min(10.0)
    };
    if v31 {
        roundup_31(sum)
    } else {
        roundup_30(sum)
    }
}
