//! Run reports (JSON, one per registry) and the side-by-side Markdown comparison.

use crate::RunOptions;
use crate::phase::PhaseResult;
use crate::procfs::Memory;
use std::fmt::Write as _;

/// Everything measured against one registry.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RunReport {
    /// Label (`kura`, `distribution`).
    pub name: String,
    /// Registry address.
    pub addr: String,
    /// Options the run used.
    pub options: RunOptions,
    /// Seconds spent seeding.
    pub seed_seconds: f64,
    /// Server memory right after seeding.
    pub memory_after_seed: Option<Memory>,
    /// Server memory after the last phase; `peak_rss_kib` is the run's peak.
    pub memory_at_end: Option<Memory>,
    /// Phase results in run order.
    pub phases: Vec<PhaseResult>,
}

/// Which direction is better for a metric.
#[derive(Clone, Copy)]
enum Better {
    Higher,
    Lower,
}

fn ratio_cell(cand: f64, base: f64) -> String {
    if base > 0.0 && cand.is_finite() {
        format!("{:.2}×", cand / base)
    } else {
        "n/a".into()
    }
}

fn row(
    out: &mut String,
    metric: &str,
    cand: f64,
    base: f64,
    better: Better,
    target: Option<f64>,
    unit: &str,
) {
    let verdict = match (target, better) {
        (None, _) => String::new(),
        (Some(_), _) if base <= 0.0 => "n/a".into(),
        (Some(t), Better::Higher) => {
            if cand / base >= t {
                format!("met (≥ {t}×)")
            } else {
                format!("missed (≥ {t}×)")
            }
        }
        (Some(t), Better::Lower) => {
            if cand / base < t {
                format!("met (< {t}×)")
            } else {
                format!("missed (< {t}×)")
            }
        }
    };
    let _ = writeln!(
        out,
        "| {metric} | {cand:.1} {unit} | {base:.1} {unit} | {} | {verdict} |",
        ratio_cell(cand, base)
    );
}

/// Markdown table of `candidate` against `baseline`, with ratios candidate ÷ baseline and the
/// targets: ≥ 2× manifest requests per second, ≥ 1× blob throughput, lower p99 and memory.
pub fn compare_markdown(candidate: &RunReport, baseline: &RunReport) -> String {
    let mut out = String::new();
    let (c, b) = (&candidate.name, &baseline.name);
    let _ = writeln!(out, "| metric | {c} | {b} | {c} ÷ {b} | target |");
    let _ = writeln!(out, "|---|---:|---:|---:|---|");
    for cp in &candidate.phases {
        let Some(bp) = baseline.phases.iter().find(|p| p.name == cp.name) else {
            continue;
        };
        let conc = cp.concurrency;
        if cp.name.starts_with("manifest") {
            row(
                &mut out,
                &format!("{} req/s ({conc} conns)", cp.name),
                cp.requests_per_sec,
                bp.requests_per_sec,
                Better::Higher,
                Some(2.0),
                "",
            );
            row(
                &mut out,
                &format!("{} p99 latency", cp.name),
                cp.p99_ms,
                bp.p99_ms,
                Better::Lower,
                Some(1.0),
                "ms",
            );
        } else {
            row(
                &mut out,
                &format!("{} throughput ({conc} conns)", cp.name),
                cp.mb_per_sec,
                bp.mb_per_sec,
                Better::Higher,
                Some(1.0),
                "MB/s",
            );
            row(
                &mut out,
                &format!("{} p99 latency", cp.name),
                cp.p99_ms,
                bp.p99_ms,
                Better::Lower,
                None,
                "ms",
            );
        }
        if let (Some(cc), Some(bc)) = (cp.server_cpu_s, bp.server_cpu_s) {
            row(
                &mut out,
                &format!("{} server CPU", cp.name),
                cc,
                bc,
                Better::Lower,
                None,
                "s",
            );
        }
    }
    let peak = |r: &RunReport| r.memory_at_end.map(|m| m.peak_rss_kib as f64 / 1024.0);
    if let (Some(cm), Some(bm)) = (peak(candidate), peak(baseline)) {
        row(
            &mut out,
            "peak memory (VmHWM)",
            cm,
            bm,
            Better::Lower,
            Some(1.0),
            "MiB",
        );
    }
    let errors = |r: &RunReport| r.phases.iter().map(|p| p.errors).sum::<u64>();
    let _ = writeln!(
        out,
        "\nErrors during phases: {c} {}, {b} {}.",
        errors(candidate),
        errors(baseline)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(name: &str, rps: f64, p99: f64, mbs: f64, peak: u64) -> RunReport {
        let phase = |n: &str| PhaseResult {
            name: n.into(),
            concurrency: 64,
            requests_per_sec: rps,
            p99_ms: p99,
            mb_per_sec: mbs,
            ..PhaseResult::default()
        };
        RunReport {
            name: name.into(),
            addr: "127.0.0.1:1".into(),
            options: RunOptions::default(),
            seed_seconds: 1.0,
            memory_after_seed: None,
            memory_at_end: Some(Memory {
                peak_rss_kib: peak,
                rss_kib: peak,
            }),
            phases: vec![phase("manifest GET"), phase("blob GET 1 MiB")],
        }
    }

    #[test]
    fn comparison_reports_ratios_and_target_verdicts() {
        let md = compare_markdown(
            &report("kura", 3000.0, 2.0, 900.0, 2048),
            &report("dist", 1000.0, 4.0, 1000.0, 4096),
        );
        assert!(
            md.contains(
                "| manifest GET req/s (64 conns) | 3000.0  | 1000.0  | 3.00× | met (≥ 2×) |"
            ),
            "{md}"
        );
        assert!(
            md.contains("| manifest GET p99 latency | 2.0 ms | 4.0 ms | 0.50× | met (< 1×) |"),
            "{md}"
        );
        assert!(md.contains("| blob GET 1 MiB throughput (64 conns) | 900.0 MB/s | 1000.0 MB/s | 0.90× | missed (≥ 1×) |"), "{md}");
        assert!(
            md.contains("| peak memory (VmHWM) | 2.0 MiB | 4.0 MiB | 0.50× | met (< 1×) |"),
            "{md}"
        );
    }

    #[test]
    fn comparison_with_zero_baseline_says_not_applicable() {
        let md = compare_markdown(
            &report("kura", 1.0, 1.0, 1.0, 1),
            &report("dist", 0.0, 0.0, 0.0, 0),
        );
        assert!(md.contains("| n/a | n/a |"), "{md}");
    }
}
