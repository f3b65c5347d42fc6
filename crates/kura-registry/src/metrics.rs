//! Prometheus metrics (text exposition format 0.0.4), kept in atomics: no registry crate needed
//! for a handful of series.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];
/// Route kinds a request is counted under.
pub const KINDS: [&str; 9] = [
    "base",
    "manifest",
    "blob",
    "upload",
    "tags",
    "referrers",
    "catalog",
    "token",
    "other",
];
const METHODS: [&str; 6] = ["GET", "HEAD", "PUT", "POST", "PATCH", "DELETE"];
const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

/// Counters.
pub struct Metrics {
    requests: Vec<AtomicU64>,
    latency_buckets: Vec<AtomicU64>,
    latency_sum_us: Vec<AtomicU64>,
    latency_count: Vec<AtomicU64>,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
    /// Upload requests (PATCH/PUT/POST with body) currently streaming.
    pub uploads_in_flight: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        let n = KINDS.len() * METHODS.len() * CLASSES.len();
        let z = |n: usize| (0..n).map(|_| AtomicU64::new(0)).collect::<Vec<_>>();
        Metrics {
            requests: z(n),
            latency_buckets: z(KINDS.len() * (BUCKETS.len() + 1)),
            latency_sum_us: z(KINDS.len()),
            latency_count: z(KINDS.len()),
            bytes_in: AtomicU64::new(0),
            bytes_out: AtomicU64::new(0),
            uploads_in_flight: AtomicU64::new(0),
        }
    }
}

fn idx<T: PartialEq>(list: &[T], x: &T) -> usize {
    list.iter()
        .position(|v| v == x)
        .unwrap_or(list.len().saturating_sub(1))
}

impl Metrics {
    /// Record one finished request.
    pub fn observe(
        &self,
        kind: &str,
        method: &str,
        status: u16,
        secs: f64,
        bytes_in: u64,
        bytes_out: u64,
    ) {
        let k = idx(&KINDS, &kind);
        let m = METHODS.iter().position(|x| *x == method);
        let c = ((status / 100) as usize).clamp(1, 5) - 1;
        if let Some(m) = m
            && let Some(a) = self
                .requests
                .get((k * METHODS.len() + m) * CLASSES.len() + c)
        {
            a.fetch_add(1, Ordering::Relaxed);
        }
        let b = BUCKETS
            .iter()
            .position(|le| secs <= *le)
            .unwrap_or(BUCKETS.len());
        if let Some(a) = self.latency_buckets.get(k * (BUCKETS.len() + 1) + b) {
            a.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(a) = self.latency_sum_us.get(k) {
            a.fetch_add((secs * 1e6) as u64, Ordering::Relaxed);
        }
        if let Some(a) = self.latency_count.get(k) {
            a.fetch_add(1, Ordering::Relaxed);
        }
        self.bytes_in.fetch_add(bytes_in, Ordering::Relaxed);
        self.bytes_out.fetch_add(bytes_out, Ordering::Relaxed);
    }

    /// Render the exposition text.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let ld = |v: &AtomicU64| v.load(Ordering::Relaxed);
        s.push_str("# HELP kura_registry_requests_total HTTP requests by route kind, method and status class.\n");
        s.push_str("# TYPE kura_registry_requests_total counter\n");
        for (ki, k) in KINDS.iter().enumerate() {
            for (mi, m) in METHODS.iter().enumerate() {
                for (ci, c) in CLASSES.iter().enumerate() {
                    let v = self
                        .requests
                        .get((ki * METHODS.len() + mi) * CLASSES.len() + ci)
                        .map(ld)
                        .unwrap_or(0);
                    if v > 0 {
                        let _ = writeln!(
                            s,
                            "kura_registry_requests_total{{route=\"{k}\",method=\"{m}\",status=\"{c}\"}} {v}"
                        );
                    }
                }
            }
        }
        s.push_str(
            "# HELP kura_registry_request_duration_seconds Request latency by route kind.\n",
        );
        s.push_str("# TYPE kura_registry_request_duration_seconds histogram\n");
        for (ki, k) in KINDS.iter().enumerate() {
            let mut cum = 0;
            for (bi, le) in BUCKETS.iter().enumerate() {
                cum += self
                    .latency_buckets
                    .get(ki * (BUCKETS.len() + 1) + bi)
                    .map(ld)
                    .unwrap_or(0);
                let _ = writeln!(
                    s,
                    "kura_registry_request_duration_seconds_bucket{{route=\"{k}\",le=\"{le}\"}} {cum}"
                );
            }
            let count = self.latency_count.get(ki).map(ld).unwrap_or(0);
            let sum = self.latency_sum_us.get(ki).map(ld).unwrap_or(0) as f64 / 1e6;
            let _ = writeln!(
                s,
                "kura_registry_request_duration_seconds_bucket{{route=\"{k}\",le=\"+Inf\"}} {count}"
            );
            let _ = writeln!(
                s,
                "kura_registry_request_duration_seconds_sum{{route=\"{k}\"}} {sum}"
            );
            let _ = writeln!(
                s,
                "kura_registry_request_duration_seconds_count{{route=\"{k}\"}} {count}"
            );
        }
        let _ = writeln!(
            s,
            "# HELP kura_registry_bytes_received_total Request body bytes declared by clients.\n# TYPE kura_registry_bytes_received_total counter\nkura_registry_bytes_received_total {}",
            ld(&self.bytes_in)
        );
        let _ = writeln!(
            s,
            "# HELP kura_registry_bytes_sent_total Response body bytes.\n# TYPE kura_registry_bytes_sent_total counter\nkura_registry_bytes_sent_total {}",
            ld(&self.bytes_out)
        );
        let _ = writeln!(
            s,
            "# HELP kura_registry_uploads_in_flight Upload requests streaming now.\n# TYPE kura_registry_uploads_in_flight gauge\nkura_registry_uploads_in_flight {}",
            ld(&self.uploads_in_flight)
        );
        s
    }
}
