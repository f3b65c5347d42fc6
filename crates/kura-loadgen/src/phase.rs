//! Bounded load phases: `concurrency` workers, each on its own keep-alive connection, issue
//! requests back to back until the deadline. Requests that start during the warm-up are not
//! counted; bytes are counted as they arrive inside the measured window.

use crate::LoadError;
use crate::client::Conn;
use crate::data::{Blob, MANIFEST_MEDIA_TYPE};
use crate::location;
use bytes::Bytes;
use hyper::Method;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::time::Instant;

/// What each request of a phase does.
#[derive(Clone)]
pub enum Work {
    /// `GET` each path in turn (manifests by tag), expecting the given body lengths.
    ManifestGet(Arc<Vec<(String, usize)>>),
    /// `HEAD` each path in turn.
    ManifestHead(Arc<Vec<(String, usize)>>),
    /// `GET` each blob path in turn, expecting the given lengths.
    BlobGet(Arc<Vec<(String, usize)>>),
    /// Push each blob of the pool once (monolithic `POST` + `PUT`) into the repository; the
    /// phase lasts until the pool is exhausted.
    Push {
        /// Repository name.
        repo: Arc<str>,
        /// Blobs, each pushed once across all workers.
        pool: Arc<Vec<Blob>>,
    },
}

/// Shape of a phase.
#[derive(Debug, Clone)]
pub struct PhaseSpec {
    /// Phase name, as reported.
    pub name: String,
    /// Simultaneous connections.
    pub concurrency: usize,
    /// Uncounted lead-in.
    pub warmup: Duration,
    /// Measured window.
    pub duration: Duration,
}

/// Client-side measurements of one phase.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct PhaseResult {
    /// Phase name.
    pub name: String,
    /// Simultaneous connections.
    pub concurrency: usize,
    /// Measured seconds.
    pub seconds: f64,
    /// Completed, valid requests in the window.
    pub requests: u64,
    /// Failed or invalid requests (any time).
    pub errors: u64,
    /// Body bytes moved in the window (received for pulls, sent for pushes).
    pub bytes: u64,
    /// Requests per second.
    pub requests_per_sec: f64,
    /// Megabytes (10^6 bytes) per second.
    pub mb_per_sec: f64,
    /// Median latency, milliseconds.
    pub p50_ms: f64,
    /// 99th percentile latency, milliseconds.
    pub p99_ms: f64,
    /// Slowest request, milliseconds.
    pub max_ms: f64,
    /// Server CPU seconds (user + system) spent during the window, when its PID is known.
    pub server_cpu_s: Option<f64>,
    /// First error, for diagnosis.
    pub first_error: Option<String>,
}

struct Shared {
    errors: AtomicU64,
    bytes: AtomicU64,
    next: AtomicUsize,
    first_error: Mutex<Option<String>>,
    measure_start: Instant,
    end: Instant,
}

impl Shared {
    fn fail(&self, e: String) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut slot) = self.first_error.lock() {
            slot.get_or_insert(e);
        }
    }
    fn count_bytes(&self, n: u64) {
        let now = Instant::now();
        if now >= self.measure_start && now < self.end {
            self.bytes.fetch_add(n, Ordering::Relaxed);
        }
    }
}

/// Run one phase against `addr`; `pid` lets it attribute server CPU time to the window.
pub async fn run_phase(addr: &str, spec: &PhaseSpec, work: Work, pid: Option<u32>) -> PhaseResult {
    let begin = Instant::now();
    let shared = Arc::new(Shared {
        errors: AtomicU64::new(0),
        bytes: AtomicU64::new(0),
        next: AtomicUsize::new(0),
        first_error: Mutex::new(None),
        measure_start: begin + spec.warmup,
        end: begin + spec.warmup + window(spec, &work),
    });
    let cpu_probe = pid.map(|pid| {
        let at = shared.measure_start;
        tokio::spawn(async move {
            tokio::time::sleep_until(at).await;
            crate::procfs::cpu_seconds(pid).ok()
        })
    });
    let mut tasks = Vec::with_capacity(spec.concurrency);
    for w in 0..spec.concurrency {
        let (shared, work, addr) = (shared.clone(), work.clone(), addr.to_string());
        tasks.push(tokio::spawn(async move {
            worker(w, &addr, &work, &shared).await
        }));
    }
    let mut latencies: Vec<u32> = Vec::new();
    let mut last_done = shared.measure_start;
    for t in tasks {
        match t.await {
            Ok((lat, done)) => {
                latencies.extend(lat);
                last_done = last_done.max(done);
            }
            Err(e) => shared.fail(format!("worker panicked or was cancelled: {e}")),
        }
    }
    let cpu_start = match cpu_probe {
        Some(h) => h.await.ok().flatten(),
        None => None,
    };
    let cpu_end = pid.and_then(|p| crate::procfs::cpu_seconds(p).ok());
    // A push phase ends early when its pool is exhausted; pulls always run to the deadline.
    let window_end = if matches!(work, Work::Push { .. }) {
        last_done.min(shared.end)
    } else {
        shared.end
    };
    let seconds = window_end
        .saturating_duration_since(shared.measure_start)
        .as_secs_f64()
        .max(1e-9);
    latencies.sort_unstable();
    let pct = |p: f64| -> f64 {
        if latencies.is_empty() {
            return 0.0;
        }
        let rank = ((p * latencies.len() as f64).ceil() as usize).clamp(1, latencies.len());
        latencies.get(rank - 1).copied().unwrap_or(0) as f64 / 1000.0
    };
    let requests = latencies.len() as u64;
    let bytes = shared.bytes.load(Ordering::Relaxed);
    PhaseResult {
        name: spec.name.clone(),
        concurrency: spec.concurrency,
        seconds,
        requests,
        errors: shared.errors.load(Ordering::Relaxed),
        bytes,
        requests_per_sec: requests as f64 / seconds,
        mb_per_sec: bytes as f64 / 1e6 / seconds,
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        max_ms: latencies.last().copied().unwrap_or(0) as f64 / 1000.0,
        server_cpu_s: cpu_start.zip(cpu_end).map(|(a, b)| b - a),
        first_error: shared.first_error.lock().ok().and_then(|g| g.clone()),
    }
}

/// A push phase is bounded by its pool, so every run moves the same bytes; its duration only
/// caps it (at 12× the window, at least a minute) so it still stops on a stalled server.
fn window(spec: &PhaseSpec, work: &Work) -> Duration {
    match work {
        Work::Push { .. } => (spec.duration * 12).max(Duration::from_secs(60)),
        _ => spec.duration,
    }
}

/// Turn a phase that did nothing useful into an error naming it.
pub fn require_success(addr: &str, spec: &PhaseSpec, r: &PhaseResult) -> Result<(), LoadError> {
    if r.requests == 0 && r.bytes == 0 {
        return Err(LoadError::PhaseFailed {
            addr: addr.to_string(),
            phase: spec.name.clone(),
            duration: spec.duration,
            errors: r.errors,
            first_error: r
                .first_error
                .clone()
                .unwrap_or_else(|| "none recorded".into()),
        });
    }
    Ok(())
}

async fn worker(w: usize, addr: &str, work: &Work, shared: &Shared) -> (Vec<u32>, Instant) {
    let mut conn = Conn::new(addr);
    let mut lat = Vec::new();
    let mut i = w;
    let mut last_done = Instant::now();
    loop {
        let start = Instant::now();
        if start >= shared.end {
            break;
        }
        let outcome = match work {
            Work::ManifestGet(paths) => manifest(&mut conn, paths, i, Method::GET).await,
            Work::ManifestHead(paths) => manifest(&mut conn, paths, i, Method::HEAD).await,
            Work::BlobGet(paths) => blob_get(&mut conn, paths, i, shared).await,
            Work::Push { repo, pool } => {
                let Some(blob) = pool.get(shared.next.fetch_add(1, Ordering::Relaxed)) else {
                    break;
                };
                let r = push_blob(&mut conn, repo, blob).await;
                if r.is_ok() {
                    shared.count_bytes(blob.bytes.len() as u64);
                }
                r.map(|()| true)
            }
        };
        let done = Instant::now();
        match outcome {
            Ok(true) if start >= shared.measure_start && done <= shared.end => {
                last_done = done;
                lat.push(u32::try_from(done.duration_since(start).as_micros()).unwrap_or(u32::MAX));
            }
            Ok(_) => {}
            Err(e) => shared.fail(e.to_string()),
        }
        i = i.wrapping_add(1);
    }
    (lat, last_done)
}

fn pick(paths: &[(String, usize)], i: usize) -> Option<&(String, usize)> {
    match paths.len() {
        0 => None,
        n => paths.get(i % n),
    }
}

async fn manifest(
    conn: &mut Conn,
    paths: &[(String, usize)],
    i: usize,
    method: Method,
) -> Result<bool, LoadError> {
    let Some((path, len)) = pick(paths, i) else {
        return Ok(false);
    };
    let r = conn
        .exchange(
            method.clone(),
            path,
            &[("accept", MANIFEST_MEDIA_TYPE)],
            Bytes::new(),
        )
        .await?;
    if r.status != 200 {
        return Err(status_error(conn, &method, path, 200, &r.status, &r.body));
    }
    if method == Method::GET && r.body.len() != *len {
        return Err(LoadError::Mismatch {
            addr: conn.addr().to_string(),
            path: path.clone(),
            expected: format!("{len} bytes"),
            got: format!("{} bytes", r.body.len()),
        });
    }
    Ok(true)
}

async fn blob_get(
    conn: &mut Conn,
    paths: &[(String, usize)],
    i: usize,
    shared: &Shared,
) -> Result<bool, LoadError> {
    let Some((path, len)) = pick(paths, i) else {
        return Ok(false);
    };
    let resp = conn.send(Method::GET, path, &[], Bytes::new()).await?;
    let status = resp.status().as_u16();
    if status != 200 {
        return Err(status_error(conn, &Method::GET, path, 200, &status, b""));
    }
    let (got, complete) = conn
        .drain(resp, shared.end, &|n| shared.count_bytes(n))
        .await
        .map_err(|source| LoadError::Http {
            addr: conn.addr().to_string(),
            method: "GET".into(),
            path: path.clone(),
            source,
        })?;
    if complete && got != *len as u64 {
        return Err(LoadError::Mismatch {
            addr: conn.addr().to_string(),
            path: path.clone(),
            expected: format!("{len} bytes"),
            got: format!("{got} bytes"),
        });
    }
    Ok(complete)
}

fn status_error(
    conn: &Conn,
    method: &Method,
    path: &str,
    expected: u16,
    got: &u16,
    body: &[u8],
) -> LoadError {
    LoadError::Status {
        addr: conn.addr().to_string(),
        method: method.to_string(),
        path: path.to_string(),
        expected,
        got: *got,
        body: String::from_utf8_lossy(body.get(..body.len().min(300)).unwrap_or_default())
            .into_owned(),
    }
}

/// Monolithic blob upload: `POST /v2/<repo>/blobs/uploads/` then `PUT <location>?digest=`
/// with the whole content (distribution-spec "Pushing a blob monolithically", POST then PUT).
pub async fn push_blob(conn: &mut Conn, repo: &str, blob: &Blob) -> Result<(), LoadError> {
    let post_path = format!("/v2/{repo}/blobs/uploads/");
    let r = conn
        .exchange(
            Method::POST,
            &post_path,
            &[("content-length", "0")],
            Bytes::new(),
        )
        .await?;
    if r.status != 202 {
        return Err(status_error(
            conn,
            &Method::POST,
            &post_path,
            202,
            &r.status,
            &r.body,
        ));
    }
    let loc_err = |problem| LoadError::Location {
        addr: conn.addr().to_string(),
        path: post_path.clone(),
        problem,
    };
    let raw = r
        .headers
        .get("location")
        .ok_or_else(|| loc_err(location::LocationError::Missing))?;
    let raw = raw
        .to_str()
        .map_err(|_| loc_err(location::LocationError::NotText))?;
    let put_path = location::with_query(
        &location::path_and_query(raw).map_err(loc_err)?,
        "digest",
        &blob.digest,
    );
    let len = blob.bytes.len().to_string();
    let headers = [
        ("content-type", "application/octet-stream"),
        ("content-length", len.as_str()),
    ];
    let r = conn
        .exchange(Method::PUT, &put_path, &headers, blob.bytes.clone())
        .await?;
    if r.status != 201 {
        return Err(status_error(
            conn,
            &Method::PUT,
            &put_path,
            201,
            &r.status,
            &r.body,
        ));
    }
    Ok(())
}

/// `PUT /v2/<repo>/manifests/<reference>` (distribution-spec "Pushing manifests").
pub async fn push_manifest(
    conn: &mut Conn,
    repo: &str,
    reference: &str,
    manifest: &Blob,
) -> Result<(), LoadError> {
    let path = format!("/v2/{repo}/manifests/{reference}");
    let headers = [("content-type", MANIFEST_MEDIA_TYPE)];
    let r = conn
        .exchange(Method::PUT, &path, &headers, manifest.bytes.clone())
        .await?;
    if r.status != 201 {
        return Err(status_error(
            conn,
            &Method::PUT,
            &path,
            201,
            &r.status,
            &r.body,
        ));
    }
    Ok(())
}
