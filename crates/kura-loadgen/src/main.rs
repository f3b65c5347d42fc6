//! `kura-loadgen`: benchmark one OCI registry, or compare two saved runs.

use clap::{Parser, Subcommand};
use kura_loadgen::RunOptions;
use kura_loadgen::report::{RunReport, compare_markdown};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(about = "Load generator for OCI Distribution API registries")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Seed a registry over the Distribution API and measure it; writes a JSON report.
    Run {
        /// Label for the report (`kura`, `distribution`).
        #[arg(long)]
        name: String,
        /// Registry `host:port` (plain HTTP, loopback).
        #[arg(long)]
        addr: String,
        /// Server PID, for CPU time and peak memory (VmHWM).
        #[arg(long)]
        pid: Option<u32>,
        /// Where to write the JSON report.
        #[arg(long)]
        out: PathBuf,
        /// Connections for manifest and 1 MiB blob phases.
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// Connections for the 100 MiB blob phase.
        #[arg(long, default_value_t = 8)]
        big_concurrency: usize,
        /// Connections for the push phase.
        #[arg(long, default_value_t = 8)]
        push_concurrency: usize,
        /// Measured seconds per phase.
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
        /// Uncounted warm-up seconds before each pull phase.
        #[arg(long, default_value_t = 1.0)]
        warmup: f64,
        /// Blobs pushed in the push phase (8 MiB each).
        #[arg(long, default_value_t = 48)]
        push_count: usize,
    },
    /// Print a Markdown comparison of two JSON reports (ratios candidate ÷ baseline).
    Compare {
        /// Candidate report (kura).
        candidate: PathBuf,
        /// Baseline report (distribution).
        baseline: PathBuf,
    },
}

fn seconds(v: f64, what: &str) -> Result<Duration, String> {
    Duration::try_from_secs_f64(v).map_err(|e| format!("--{what} {v}: {e}"))
}

fn load(path: &PathBuf) -> Result<RunReport, String> {
    let text = fs_err::read_to_string(path).map_err(|e| e.to_string())?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn main() -> ExitCode {
    match real_main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn real_main() -> Result<(), String> {
    match Cli::parse().cmd {
        Cmd::Compare {
            candidate,
            baseline,
        } => {
            print!(
                "{}",
                compare_markdown(&load(&candidate)?, &load(&baseline)?)
            );
            Ok(())
        }
        Cmd::Run {
            name,
            addr,
            pid,
            out,
            concurrency,
            big_concurrency,
            push_concurrency,
            seconds: secs,
            warmup,
            push_count,
        } => {
            let opts = RunOptions {
                concurrency,
                big_concurrency,
                push_concurrency,
                duration: seconds(secs, "seconds")?,
                warmup: seconds(warmup, "warmup")?,
                push_count,
                ..RunOptions::default()
            };
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            let report = rt
                .block_on(kura_loadgen::run(&name, &addr, pid, &opts))
                .map_err(|e| e.to_string())?;
            let json = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
            fs_err::write(&out, json + "\n").map_err(|e| e.to_string())?;
            for p in &report.phases {
                eprintln!(
                    "{name}: {:<18} {:>9.0} req/s {:>8.1} MB/s p50 {:>7.2} ms p99 {:>7.2} ms errors {}",
                    p.name, p.requests_per_sec, p.mb_per_sec, p.p50_ms, p.p99_ms, p.errors
                );
            }
            if let Some(m) = report.memory_at_end {
                eprintln!("{name}: peak RSS {:.1} MiB", m.peak_rss_kib as f64 / 1024.0);
            }
            Ok(())
        }
    }
}
