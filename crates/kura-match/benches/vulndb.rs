//! Vulnerability DB figures: build time and size from `../shared/vulndata`, open time, and the
//! time to match 2,000 packages. Run with `bench/vulndb.sh` (or `cargo bench -p kura-match
//! --bench vulndb`); prints a Markdown table for docs/perf.md.

use kura_match::{MatchOptions, match_inventory};
use kura_types::{Ecosystem, Inventory, Location, OsInfo, Package};
use kura_vulndb::{ImportOptions, VulnDb, import_paths};
use std::time::{Duration, Instant};

const PACKAGES: usize = 2000;

/// CPU time of this thread: on a shared machine wall time includes waiting for a core.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_THREAD_CPUTIME_ID is always supported
    // on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn package(eco: Ecosystem, name: &str, version: &str, source: Option<&str>) -> Package {
    Package {
        name: name.into(),
        version: version.into(),
        ecosystem: eco,
        purl: format!("pkg:{}/{name}@{version}", eco.purl_type()),
        licenses: vec![],
        source_name: source.map(str::to_string),
        source_version: None,
        arch: None,
        dev: false,
        location: Location {
            path: format!("/bench/{name}"),
            layer_index: None,
            layer_diff_id: None,
        },
    }
}

/// 2,000 packages: names that have advisories (with a version taken from one of their range
/// events, so some match and some do not) plus names that have none, as a real image has.
fn inventory(db_path: &std::path::Path) -> Inventory {
    let conn =
        rusqlite::Connection::open_with_flags(db_path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT eco, package, min(events) FROM affected
             WHERE eco IN ('PyPI', 'Go', 'crates.io', 'Alpine:v3.11')
             GROUP BY eco, package ORDER BY eco, package",
        )
        .unwrap();
    let known = PACKAGES * 3 / 4;
    let all: Vec<(String, String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    // A deterministic spread over every ecosystem, so runs are comparable.
    let stride = (all.len() / known).max(1);
    let rows = all.into_iter().step_by(stride).take(known);
    let mut packages = Vec::new();
    for (eco, name, events) in rows {
        // Events are stored as `tag=value` items; pick the last value as the installed version.
        let version = events
            .rsplit('\u{1f}')
            .next()
            .and_then(|e| e.get(2..))
            .filter(|v| *v != "0")
            .unwrap_or("1.0.0")
            .to_string();
        let (e, v) = match eco.as_str() {
            "PyPI" => (Ecosystem::PyPI, version),
            "Go" => (Ecosystem::Go, format!("v{version}")),
            "crates.io" => (
                Ecosystem::Cargo,
                version
                    .trim_start_matches(['>', '=', '^', '~', ' ', '<'])
                    .to_string(),
            ),
            _ => (Ecosystem::Apk, version),
        };
        let src = (e == Ecosystem::Apk).then_some(name.as_str());
        packages.push(package(e, &name, &v, src));
    }
    while packages.len() < PACKAGES {
        let i = packages.len();
        packages.push(package(
            Ecosystem::PyPI,
            &format!("no-advisories-{i}"),
            "1.0",
            None,
        ));
    }
    Inventory {
        os: Some(OsInfo {
            id: "alpine".into(),
            version: "3.11.6".into(),
            release: "3.11".into(),
            ..OsInfo::default()
        }),
        packages,
        ..Inventory::default()
    }
}

fn main() {
    let Some(shared) = kura_testutil::shared_dir() else {
        return;
    };
    let v = shared.join("vulndata");
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("vuln.db");
    let paths = ["pypa", "go", "rustsec", "alpine-secdb"].map(|d| v.join(d));

    let t = Instant::now();
    let report = import_paths(&db_path, &paths, &ImportOptions::default()).unwrap();
    let build = t.elapsed();
    let size = std::fs::metadata(&db_path).unwrap().len();

    let opens: Vec<Duration> = (0..50)
        .map(|_| {
            let t = Instant::now();
            let db = VulnDb::open(&db_path).unwrap();
            let e = t.elapsed();
            drop(db);
            e
        })
        .collect();

    let inv = inventory(&db_path);
    let opts = MatchOptions::default();
    let mut findings = 0;
    let mut cpu = Vec::new();
    let matches: Vec<Duration> = (0..std::env::var("KURA_BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20))
        .map(|_| {
            let db = VulnDb::open(&db_path).unwrap();
            let t = Instant::now();
            let c = thread_cpu();
            let r = match_inventory(&db, &inv, &opts).unwrap();
            cpu.push(thread_cpu() - c);
            let e = t.elapsed();
            findings = r.findings.len();
            e
        })
        .collect();

    println!("| measure | value |");
    println!("|---|---|");
    println!(
        "| build from ../shared/vulndata ({} advisories, {} files) | {:.2} s |",
        report.advisories,
        report.files,
        build.as_secs_f64()
    );
    println!("| DB size | {:.1} MiB |", size as f64 / (1024.0 * 1024.0));
    println!(
        "| open (median of 50) | {:.2} ms |",
        median(opens).as_secs_f64() * 1e3
    );
    println!(
        "| match {} packages, cold advisory cache ({} runs; {findings} findings): median wall | {:.2} ms |",
        inv.packages.len(),
        matches.len(),
        median(matches).as_secs_f64() * 1e3
    );
    println!(
        "| same, median CPU time of the matching thread | {:.2} ms |",
        median(cpu).as_secs_f64() * 1e3
    );
    println!(
        "| load average while measuring | {} |",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split_whitespace()
            .next()
            .unwrap_or("?")
    );
}
