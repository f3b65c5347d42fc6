//! Seeding and the fixed phase sequence of one benchmark run.

use crate::LoadError;
use crate::client::Conn;
use crate::data::{self, Blob};
use crate::phase::{self, PhaseSpec, Work};
use crate::report::RunReport;
use bytes::Bytes;
use hyper::Method;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Benchmark shape; identical options give identical data and load on every registry.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RunOptions {
    /// Repository the data goes into.
    pub repo: String,
    /// Connections for manifest and 1 MiB blob phases.
    pub concurrency: usize,
    /// Connections for the 100 MiB blob phase.
    pub big_concurrency: usize,
    /// Connections for the push phase.
    pub push_concurrency: usize,
    /// Uncounted lead-in per pull phase.
    pub warmup: Duration,
    /// Measured window per phase.
    pub duration: Duration,
    /// Tagged manifests to spread manifest requests over.
    pub tags: usize,
    /// Distinct small blobs (each also a layer of every manifest).
    pub small_blobs: usize,
    /// Size of a small blob.
    pub small_size: usize,
    /// Size of the big blob.
    pub big_size: usize,
    /// Blobs pushed in the push phase.
    pub push_count: usize,
    /// Size of each pushed blob.
    pub push_size: usize,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            repo: "bench/app".into(),
            concurrency: 64,
            big_concurrency: 8,
            push_concurrency: 8,
            warmup: Duration::from_secs(1),
            duration: Duration::from_secs(5),
            tags: 32,
            small_blobs: 8,
            small_size: 1 << 20,
            big_size: 100 << 20,
            push_count: 48,
            push_size: 8 << 20,
        }
    }
}

struct Seeded {
    manifests: Vec<(String, usize)>,
    small: Vec<(String, usize)>,
    big: Vec<(String, usize)>,
}

/// Seed the registry at `addr`, run every phase, and collect the report. `pid` is the server
/// process, for CPU time and peak memory.
pub async fn run(
    name: &str,
    addr: &str,
    pid: Option<u32>,
    opts: &RunOptions,
) -> Result<RunReport, LoadError> {
    let seed_start = Instant::now();
    let seeded = seed(addr, opts).await?;
    let seed_seconds = seed_start.elapsed().as_secs_f64();
    let memory_after_seed = read_memory(pid)?;

    let spec = |name: &str, concurrency: usize, warmup: Duration| PhaseSpec {
        name: name.into(),
        concurrency,
        warmup,
        duration: opts.duration,
    };
    let push_pool: Arc<Vec<Blob>> = Arc::new(
        (0..opts.push_count)
            .map(|i| Blob::random(0x5055_5348_0000 + i as u64, opts.push_size))
            .collect(),
    );
    let plan = [
        (
            spec("manifest GET", opts.concurrency, opts.warmup),
            Work::ManifestGet(Arc::new(seeded.manifests.clone())),
        ),
        (
            spec("manifest HEAD", opts.concurrency, opts.warmup),
            Work::ManifestHead(Arc::new(seeded.manifests)),
        ),
        (
            spec("blob GET 1 MiB", opts.concurrency, opts.warmup),
            Work::BlobGet(Arc::new(seeded.small)),
        ),
        (
            spec("blob GET 100 MiB", opts.big_concurrency, opts.warmup),
            Work::BlobGet(Arc::new(seeded.big)),
        ),
        (
            spec("blob push", opts.push_concurrency, Duration::ZERO),
            Work::Push {
                repo: Arc::from(opts.repo.as_str()),
                pool: push_pool,
            },
        ),
    ];
    let mut phases = Vec::new();
    for (spec, work) in plan {
        let result = phase::run_phase(addr, &spec, work, pid).await;
        phase::require_success(addr, &spec, &result)?;
        phases.push(result);
    }
    Ok(RunReport {
        name: name.to_string(),
        addr: addr.to_string(),
        options: opts.clone(),
        seed_seconds,
        memory_after_seed,
        memory_at_end: read_memory(pid)?,
        phases,
    })
}

fn read_memory(pid: Option<u32>) -> Result<Option<crate::procfs::Memory>, LoadError> {
    pid.map(|pid| crate::procfs::memory(pid).map_err(|source| LoadError::Proc { pid, source }))
        .transpose()
}

/// Push the config, small and big blobs, then one manifest per tag; verify one of each by digest.
async fn seed(addr: &str, opts: &RunOptions) -> Result<Seeded, LoadError> {
    let mut conn = Conn::new(addr);
    let repo = opts.repo.as_str();
    let config = data::config_blob();
    let small: Vec<Blob> = (0..opts.small_blobs)
        .map(|i| Blob::random(0x534D_0000 + i as u64, opts.small_size))
        .collect();
    let big = Blob::random(0x4249_4700, opts.big_size);
    for b in std::iter::once(&config)
        .chain(&small)
        .chain(std::iter::once(&big))
    {
        phase::push_blob(&mut conn, repo, b).await?;
    }
    let mut manifests = Vec::with_capacity(opts.tags);
    let mut first_manifest = None;
    for i in 0..opts.tags {
        let m = data::manifest(i, &config, &small);
        phase::push_manifest(&mut conn, repo, &format!("t{i}"), &m).await?;
        manifests.push((format!("/v2/{repo}/manifests/t{i}"), m.bytes.len()));
        first_manifest.get_or_insert(m.digest);
    }
    let blob_path = |b: &Blob| format!("/v2/{repo}/blobs/{}", b.digest);
    if let Some(first) = small.first() {
        verify(&mut conn, &blob_path(first), &first.digest).await?;
    }
    verify(&mut conn, &blob_path(&big), &big.digest).await?;
    if let Some(digest) = first_manifest {
        verify(
            &mut conn,
            &format!("/v2/{repo}/manifests/{digest}"),
            &digest,
        )
        .await?;
    }
    Ok(Seeded {
        manifests,
        small: small
            .iter()
            .map(|b| (blob_path(b), b.bytes.len()))
            .collect(),
        big: vec![(blob_path(&big), big.bytes.len())],
    })
}

async fn verify(conn: &mut Conn, path: &str, digest: &str) -> Result<(), LoadError> {
    let r = conn
        .exchange(
            Method::GET,
            path,
            &[("accept", data::MANIFEST_MEDIA_TYPE)],
            Bytes::new(),
        )
        .await?;
    let got = format!("sha256:{}", hex::encode(Sha256::digest(&r.body)));
    if r.status != 200 || got != digest {
        return Err(LoadError::Mismatch {
            addr: conn.addr().to_string(),
            path: path.to_string(),
            expected: digest.to_string(),
            got: format!("HTTP {} {got}", r.status),
        });
    }
    Ok(())
}
