//! CVSS v4.0 base score (CVSS-B), CVSS v4.0 Specification Document §8 "CVSS v4.0 Scoring".
//!
//! The vector is reduced to a *macro vector* of six equivalence classes (EQ1–EQ6, §8.2 table
//! 24); each macro vector has a score from the published lookup table, the score of its
//! highest-severity vector. The vector's own score is that score lowered by the mean, over the
//! EQs that have a lower macro vector, of (score gap to that lower macro vector) × (the
//! vector's severity distance from the highest-severity vector of its class ÷ the class
//! depth) — the interpolation FIRST's reference calculator implements (§8.3). The arithmetic
//! below follows the reference implementation's order of operations so that binary
//! floating-point results, and hence rounding, agree with it.
//!
//! For the base score, threat metrics take their worst case (`E:A`), security requirements
//! `CR/IR/AR:H`, and modified metrics are ignored.

use crate::v4_tables::{
    EQ1_DEPTH, EQ1_MAX, EQ2_DEPTH, EQ2_MAX, EQ3_EQ6_DEPTH, EQ3_EQ6_MAX, EQ4_DEPTH, EQ4_MAX,
    EQ5_MAX, MACRO_SCORES,
};
use crate::{MetricSpec, Metrics, opt, req};

const CIA: &[&str] = &["N", "L", "H"];
const REQ: &[&str] = &["X", "H", "M", "L"];
const MOD_CIA: &[&str] = &["X", "H", "L", "N"];

pub(crate) const METRICS: &[MetricSpec] = &[
    req("AV", &["N", "A", "L", "P"]),
    req("AC", &["L", "H"]),
    req("AT", &["N", "P"]),
    req("PR", &["N", "L", "H"]),
    req("UI", &["N", "P", "A"]),
    req("VC", CIA),
    req("VI", CIA),
    req("VA", CIA),
    req("SC", CIA),
    req("SI", CIA),
    req("SA", CIA),
    opt("E", &["X", "A", "P", "U"]),
    opt("CR", REQ),
    opt("IR", REQ),
    opt("AR", REQ),
    opt("MAV", &["X", "N", "A", "L", "P"]),
    opt("MAC", &["X", "L", "H"]),
    opt("MAT", &["X", "N", "P"]),
    opt("MPR", &["X", "N", "L", "H"]),
    opt("MUI", &["X", "N", "P", "A"]),
    opt("MVC", MOD_CIA),
    opt("MVI", MOD_CIA),
    opt("MVA", MOD_CIA),
    opt("MSC", MOD_CIA),
    opt("MSI", &["X", "S", "H", "L", "N"]),
    opt("MSA", &["X", "S", "H", "L", "N"]),
    opt("S", &["X", "N", "P"]),
    opt("AU", &["X", "N", "Y"]),
    opt("R", &["X", "A", "U", "I"]),
    opt("V", &["X", "D", "C"]),
    opt("RE", &["X", "L", "M", "H"]),
    opt("U", &["X", "Clear", "Green", "Amber", "Red"]),
];

/// The metrics entering severity distances, in the reference implementation's order.
const DISTANCE_METRICS: [&str; 14] = [
    "AV", "PR", "UI", "AC", "AT", "VC", "VI", "VA", "SC", "SI", "SA", "CR", "IR", "AR",
];

/// Severity level of a value, in steps of 0.1 from the most severe (§8.3).
fn level(metric: &str, value: &str) -> f64 {
    match (metric, value) {
        ("AV", "N") | ("PR", "N") | ("UI", "N") | ("AC", "L") | ("AT", "N") => 0.0,
        ("AV", "A") | ("PR", "L") | ("UI", "P") | ("AC", "H") | ("AT", "P") => 0.1,
        ("AV", "L") | ("PR", "H") | ("UI", "A") => 0.2,
        ("AV", "P") => 0.3,
        ("VC" | "VI" | "VA", "H") => 0.0,
        ("VC" | "VI" | "VA", "L") => 0.1,
        ("VC" | "VI" | "VA", "N") => 0.2,
        ("SI" | "SA", "S") => 0.0,
        ("SC" | "SI" | "SA", "H") => 0.1,
        ("SC" | "SI" | "SA", "L") => 0.2,
        ("SC" | "SI" | "SA", "N") => 0.3,
        ("CR" | "IR" | "AR", "H") => 0.0,
        ("CR" | "IR" | "AR", "M") => 0.1,
        ("CR" | "IR" | "AR", "L") => 0.2,
        _ => 0.0,
    }
}

/// Base-score value of a metric: worst case for threat and requirements, as written otherwise.
fn effective(m: &Metrics, metric: &str) -> &'static str {
    match metric {
        "E" => "A",
        "CR" | "IR" | "AR" => "H",
        "MSI" | "MSA" => "X",
        other => m.get(other),
    }
}

fn macro_score(eq: [usize; 6]) -> Option<f64> {
    let key: String = eq
        .iter()
        .map(|d| char::from(b'0' + (*d as u8 % 10)))
        .collect();
    if eq.iter().any(|&d| d > 9) {
        return None;
    }
    MACRO_SCORES
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, s)| *s)
}

/// EQ1–EQ6 of §8.2 table 24.
fn equivalence_classes(m: &Metrics) -> [usize; 6] {
    let e = |k: &str| effective(m, k);
    let (av, pr, ui) = (e("AV"), e("PR"), e("UI"));
    let eq1 = if av == "N" && pr == "N" && ui == "N" {
        0
    } else if (av == "N" || pr == "N" || ui == "N") && av != "P" {
        1
    } else {
        2
    };
    let eq2 = if e("AC") == "L" && e("AT") == "N" {
        0
    } else {
        1
    };
    let (vc, vi, va) = (e("VC"), e("VI"), e("VA"));
    let eq3 = if vc == "H" && vi == "H" {
        0
    } else if vc == "H" || vi == "H" || va == "H" {
        1
    } else {
        2
    };
    let eq4 = if e("MSI") == "S" || e("MSA") == "S" {
        0
    } else if e("SC") == "H" || e("SI") == "H" || e("SA") == "H" {
        1
    } else {
        2
    };
    let eq5 = match e("E") {
        "A" => 0,
        "P" => 1,
        _ => 2,
    };
    let eq6 = if (e("CR") == "H" && vc == "H")
        || (e("IR") == "H" && vi == "H")
        || (e("AR") == "H" && va == "H")
    {
        0
    } else {
        1
    };
    [eq1, eq2, eq3, eq4, eq5, eq6]
}

/// Value of `metric` in a max-vector fragment such as `"AV:N/PR:N/UI:N/"`.
fn value_in(fragment: &str, metric: &str) -> Option<&'static str> {
    fragment
        .split('/')
        .filter_map(|c| c.split_once(':'))
        .find(|(k, _)| *k == metric)
        .and_then(|(_, v)| {
            // Map back to the 'static value tables so the result outlives `fragment`.
            ["N", "A", "L", "P", "H", "S", "U", "M"]
                .into_iter()
                .find(|s| *s == v)
        })
}

pub(crate) fn base(m: &Metrics) -> f64 {
    if ["VC", "VI", "VA", "SC", "SI", "SA"]
        .iter()
        .all(|k| effective(m, k) == "N")
    {
        return 0.0;
    }
    let eq = equivalence_classes(m);
    let [eq1, eq2, eq3, eq4, eq5, eq6] = eq;
    let Some(value) = macro_score(eq) else {
        return 0.0;
    };

    let lower = |d: [usize; 6]| macro_score(d);
    let score_eq1 = lower([eq1 + 1, eq2, eq3, eq4, eq5, eq6]);
    let score_eq2 = lower([eq1, eq2 + 1, eq3, eq4, eq5, eq6]);
    let score_eq3eq6 = match (eq3, eq6) {
        (0, 0) => {
            // Two lower neighbours; the reference takes the higher-scoring one.
            let left = lower([eq1, eq2, eq3, eq4, eq5, eq6 + 1]);
            let right = lower([eq1, eq2, eq3 + 1, eq4, eq5, eq6]);
            match (left, right) {
                (Some(l), Some(r)) => Some(l.max(r)),
                _ => None,
            }
        }
        (1, 0) => lower([eq1, eq2, eq3, eq4, eq5, eq6 + 1]),
        (0 | 1, 1) => lower([eq1, eq2, eq3 + 1, eq4, eq5, eq6]),
        _ => lower([eq1, eq2, eq3 + 1, eq4, eq5, eq6 + 1]),
    };
    let score_eq4 = lower([eq1, eq2, eq3, eq4 + 1, eq5, eq6]);
    let score_eq5 = lower([eq1, eq2, eq3, eq4, eq5 + 1, eq6]);

    let distances = severity_distances(m, eq);
    let d = |k: &str| {
        DISTANCE_METRICS
            .iter()
            .position(|n| *n == k)
            .and_then(|i| distances.get(i).copied())
            .unwrap_or(0.0)
    };
    let current_eq1 = d("AV") + d("PR") + d("UI");
    let current_eq2 = d("AC") + d("AT");
    let current_eq3eq6 = d("VC") + d("VI") + d("VA") + d("CR") + d("IR") + d("AR");
    let current_eq4 = d("SC") + d("SI") + d("SA");

    const STEP: f64 = 0.1;
    let depth = |table: &[f64], i: usize| table.get(i).copied().unwrap_or(f64::NAN) * STEP;
    let depth_eq3eq6 = EQ3_EQ6_DEPTH
        .get(eq3)
        .and_then(|r| r.get(eq6))
        .copied()
        .unwrap_or(f64::NAN)
        * STEP;

    let parts = [
        (score_eq1, current_eq1, depth(&EQ1_DEPTH, eq1)),
        (score_eq2, current_eq2, depth(&EQ2_DEPTH, eq2)),
        (score_eq3eq6, current_eq3eq6, depth_eq3eq6),
        (score_eq4, current_eq4, depth(&EQ4_DEPTH, eq4)),
    ];
    let mut n_existing = 0u32;
    let mut sum = 0.0;
    for (lower_score, current, max_severity) in parts {
        if let Some(l) = lower_score {
            n_existing += 1;
            let available = value - l;
            sum += available * (current / max_severity);
        }
    }
    if score_eq5.is_some() {
        // EQ5's proportion is always 0 (E has a single value per class), but it counts.
        n_existing += 1;
    }
    let mean = if n_existing == 0 {
        0.0
    } else {
        sum / f64::from(n_existing)
    };
    // Round half up on the decimal value the arithmetic stands for: `8.6 - 7.15` is
    // 1.4499999999999993 in binary and must round to 1.5, so a small epsilon is added first,
    // as FIRST's calculator and the Red Hat reference library do.
    crate::round1((value - mean).clamp(0.0, 10.0) + 1e-6)
}

/// Distances of the vector from the first highest-severity vector of its macro vector that is
/// at least as severe in every metric (§8.3 step 1b).
fn severity_distances(m: &Metrics, eq: [usize; 6]) -> [f64; 14] {
    let [eq1, eq2, eq3, eq4, eq5, eq6] = eq;
    let empty: &[&str] = &[];
    let eq1s = EQ1_MAX.get(eq1).copied().unwrap_or(empty);
    let eq2s = EQ2_MAX.get(eq2).copied().unwrap_or(empty);
    let eq36s = EQ3_EQ6_MAX
        .get(eq3)
        .and_then(|r| r.get(eq6))
        .copied()
        .unwrap_or(empty);
    let eq4s = EQ4_MAX.get(eq4).copied().unwrap_or(empty);
    let eq5s = EQ5_MAX.get(eq5).copied().unwrap_or(empty);
    let mut last = [0.0; 14];
    for a in eq1s {
        for b in eq2s {
            for c in eq36s {
                for d in eq4s {
                    for e in eq5s {
                        let max_vector = format!("{a}{b}{c}{d}{e}");
                        let mut dist = [0.0; 14];
                        for (slot, metric) in dist.iter_mut().zip(DISTANCE_METRICS) {
                            let max_value = value_in(&max_vector, metric).unwrap_or("X");
                            *slot = level(metric, effective(m, metric)) - level(metric, max_value);
                        }
                        if dist.iter().all(|x| *x >= 0.0) {
                            return dist;
                        }
                        last = dist;
                    }
                }
            }
        }
    }
    last
}
