//! End to end against CNCF distribution (Debian `docker-registry`): seeding, every phase and the
//! error path, with tiny sizes so it runs in a few seconds.

use kura_loadgen::phase::{PhaseSpec, Work, require_success, run_phase};
use kura_loadgen::{RunOptions, run};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

/// A running `docker-registry`, stopped on drop.
struct Distribution {
    child: Child,
    addr: String,
    _dir: tempfile::TempDir,
}

impl Drop for Distribution {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start distribution on 127.0.0.1:0 and learn its port from its own "listening on" log line.
fn start() -> Option<Distribution> {
    let bin = kura_testutil::require_tool("docker-registry")?;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.yml");
    let yaml = format!(
        "version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:0\n",
        dir.path().join("data").display()
    );
    fs_err::write(&config, yaml).expect("write config");
    let mut child = Command::new(bin)
        .arg("serve")
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn docker-registry");
    let stderr = child.stderr.take().expect("stderr piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("listening on ").nth(1) {
                let addr: String = rest
                    .chars()
                    .take_while(|c| !c.is_whitespace() && *c != '"')
                    .collect();
                if let Some(tx) = tx.take() {
                    let _ = tx.send(addr);
                }
            }
        }
    });
    let mut reg = Distribution {
        child,
        addr: String::new(),
        _dir: dir,
    };
    reg.addr = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("docker-registry did not report its address");
    Some(reg)
}

fn tiny() -> RunOptions {
    RunOptions {
        repo: "loadgen/test".into(),
        concurrency: 4,
        big_concurrency: 2,
        push_concurrency: 2,
        warmup: Duration::from_millis(100),
        duration: Duration::from_secs(1),
        tags: 3,
        small_blobs: 2,
        small_size: 4096,
        big_size: 256 * 1024,
        push_count: 4,
        push_size: 64 * 1024,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_run_seeds_and_measures_every_phase_without_errors() {
    let Some(reg) = start() else { return };
    let report = run("distribution", &reg.addr, Some(reg.child.id()), &tiny())
        .await
        .expect("run");
    let names: Vec<&str> = report.phases.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "manifest GET",
            "manifest HEAD",
            "blob GET 1 MiB",
            "blob GET 100 MiB",
            "blob push"
        ]
    );
    for p in &report.phases {
        assert_eq!(p.errors, 0, "{}: {:?}", p.name, p.first_error);
        // Blob phases may cut their only request at the deadline on a loaded machine; bytes
        // still flowed.
        assert!(
            p.requests > 0 || (p.name.starts_with("blob GET") && p.bytes > 0),
            "{} moved nothing",
            p.name
        );
        assert!(p.p99_ms >= p.p50_ms && p.max_ms >= p.p99_ms, "{p:?}");
        assert!(p.server_cpu_s.is_some(), "{}: no server CPU", p.name);
    }
    let push = report.phases.last().expect("push phase");
    assert_eq!(push.requests, 4, "each pooled blob is pushed exactly once");
    assert_eq!(push.bytes, 4 * 64 * 1024);
    let mem = report.memory_at_end.expect("memory read from /proc");
    assert!(
        mem.peak_rss_kib >= mem.rss_kib && mem.rss_kib > 0,
        "{mem:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phase_against_missing_manifest_fails_naming_status() {
    let Some(reg) = start() else { return };
    let spec = PhaseSpec {
        name: "manifest GET".into(),
        concurrency: 2,
        warmup: Duration::ZERO,
        duration: Duration::from_millis(200),
    };
    let paths = Arc::new(vec![("/v2/loadgen/none/manifests/absent".to_string(), 10)]);
    let result = run_phase(&reg.addr, &spec, Work::ManifestGet(paths), None).await;
    assert!(result.errors > 0);
    let err = require_success(&reg.addr, &spec, &result)
        .expect_err("a phase of 404s must fail")
        .to_string();
    assert!(
        err.contains("manifest GET") && err.contains("got 404"),
        "{err}"
    );
}
