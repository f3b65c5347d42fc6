//! The per-layer cache: one JSON file per (layer diff_id, analyzers, options).
//!
//! Safe to share between processes: entries are written to a temporary file, synced, then
//! renamed into place (rename is atomic within a directory, POSIX `rename(2)`), so a reader sees
//! a whole entry or none. A damaged entry is a miss and is removed. The total size is capped;
//! eviction removes the least recently used entries (modification time, refreshed on every hit —
//! access times are unreliable under `noatime`/`relatime`) and tolerates another process
//! evicting the same files at the same time.

use kura_analyzer::Analyzer;
use kura_walker::{LayerAnalysis, Limits};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Default size cap of the cache directory.
pub const DEFAULT_MAX_BYTES: u64 = 2 << 30;
/// Version of the entry envelope.
const ENTRY_VERSION: u32 = 1;
/// Temporary files older than this were left by a crashed writer.
const STALE_TMP: Duration = Duration::from_secs(3600);
/// Prefix of temporary files.
const TMP_PREFIX: &str = ".tmp-";

/// Where the cache lives and how big it may grow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheConfig {
    /// Directory holding the entries.
    pub dir: PathBuf,
    /// Size cap in bytes; least recently used entries are evicted beyond it.
    pub max_bytes: u64,
}

impl CacheConfig {
    /// The user's cache directory (`$XDG_CACHE_HOME/kura/layers`, `~/Library/Caches/kura/layers`).
    pub fn user_default() -> Option<CacheConfig> {
        dirs::cache_dir().map(|d| CacheConfig::at(d.join("kura").join("layers")))
    }

    /// A cache in `dir` with the default cap.
    pub fn at(dir: impl Into<PathBuf>) -> CacheConfig {
        CacheConfig {
            dir: dir.into(),
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }
}

/// A cache failure. Never fatal to a scan: the scan reports it as a warning and goes on.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// A file of the cache could not be read, written or removed.
    #[error("layer cache: {op} {path} failed")]
    Io {
        /// What was attempted.
        op: &'static str,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// An entry could not be serialized.
    #[error("layer cache: cannot encode entry {key}")]
    Encode {
        /// The entry key.
        key: String,
        /// The serializer's error.
        #[source]
        source: serde_json::Error,
    },
}

fn io_err<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> CacheError + 'a {
    move |source| CacheError::Io {
        op,
        path: path.to_path_buf(),
        source,
    }
}

/// What an entry file holds.
#[derive(Serialize, Deserialize)]
struct Entry {
    version: u32,
    key: String,
    diff_id: String,
    analysis: LayerAnalysis,
}

/// Result of an eviction pass.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Eviction {
    /// Entries removed.
    pub removed: usize,
    /// Bytes held by the cache afterwards.
    pub bytes: u64,
}

/// An opened cache directory.
#[derive(Debug, Clone)]
pub struct LayerCache {
    cfg: CacheConfig,
}

impl LayerCache {
    /// Open (creating) the cache directory.
    pub fn open(cfg: &CacheConfig) -> Result<LayerCache, CacheError> {
        std::fs::create_dir_all(&cfg.dir).map_err(io_err("create", &cfg.dir))?;
        Ok(LayerCache { cfg: cfg.clone() })
    }

    /// The key of a layer walked with these analyzers and limits: sha256 over everything that
    /// changes the walk's output.
    pub fn key(diff_id: &str, analyzers: &[&dyn Analyzer], limits: &Limits) -> String {
        let mut h = Sha256::new();
        h.update(format!(
            "kura-layer-cache/{ENTRY_VERSION}/walker-{}\0",
            kura_walker::FORMAT_VERSION
        ));
        h.update(diff_id.as_bytes());
        h.update(b"\0");
        for a in analyzers {
            h.update(format!("{}@{},", a.id(), a.version()));
        }
        h.update(b"\0");
        h.update(limits.fingerprint());
        hex::encode(h.finalize())
    }

    fn path(&self, key: &str) -> PathBuf {
        self.cfg.dir.join(format!("{key}.json"))
    }

    /// The entry for `key`, refreshing its recency. A missing entry is `None`; an unreadable
    /// or damaged one is removed and also `None`.
    pub fn get(&self, key: &str) -> Option<LayerAnalysis> {
        let path = self.path(key);
        let bytes = std::fs::read(&path).ok()?;
        match serde_json::from_slice::<Entry>(&bytes) {
            Ok(e) if e.version == ENTRY_VERSION && e.key == key => {
                touch(&path);
                Some(e.analysis)
            }
            _ => {
                tracing::warn!(path = %path.display(), "removing damaged layer cache entry");
                let _ = std::fs::remove_file(&path);
                None
            }
        }
    }

    /// Store an entry atomically.
    pub fn put(
        &self,
        key: &str,
        diff_id: &str,
        analysis: &LayerAnalysis,
    ) -> Result<(), CacheError> {
        let entry = Entry {
            version: ENTRY_VERSION,
            key: key.to_string(),
            diff_id: diff_id.to_string(),
            analysis: analysis.clone(),
        };
        let bytes = serde_json::to_vec(&entry).map_err(|source| CacheError::Encode {
            key: key.to_string(),
            source,
        })?;
        let dir = &self.cfg.dir;
        let mut tmp = tempfile::Builder::new()
            .prefix(TMP_PREFIX)
            .tempfile_in(dir)
            .map_err(io_err("create a temporary file in", dir))?;
        tmp.write_all(&bytes)
            .and_then(|()| tmp.as_file().sync_all())
            .map_err(io_err("write", tmp.path()))?;
        let dest = self.path(key);
        tmp.persist(&dest).map_err(|e| CacheError::Io {
            op: "rename into",
            path: dest,
            source: e.error,
        })?;
        Ok(())
    }

    /// Remove least recently used entries until the cache fits its cap, and temporary files
    /// left by crashed writers.
    pub fn evict(&self) -> Result<Eviction, CacheError> {
        let dir = &self.cfg.dir;
        let mut entries = Vec::new();
        let now = SystemTime::now();
        for e in std::fs::read_dir(dir).map_err(io_err("list", dir))? {
            let Ok(e) = e else { continue };
            let name = e.file_name().to_string_lossy().into_owned();
            let Ok(meta) = e.metadata() else { continue };
            let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            if name.starts_with(TMP_PREFIX) {
                if now.duration_since(modified).unwrap_or_default() > STALE_TMP {
                    let _ = std::fs::remove_file(e.path());
                }
                continue;
            }
            if meta.is_file() && name.ends_with(".json") {
                entries.push((modified, meta.len(), e.path()));
            }
        }
        let mut total: u64 = entries.iter().map(|e| e.1).sum();
        entries.sort();
        let mut removed = 0;
        for (_, size, path) in entries {
            if total <= self.cfg.max_bytes {
                break;
            }
            match std::fs::remove_file(&path) {
                Ok(()) => removed += 1,
                // Another process evicted it first: it is gone either way.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err("remove", &path)(e)),
            }
            total -= size;
        }
        Ok(Eviction {
            removed,
            bytes: total,
        })
    }
}

/// Mark an entry as just used.
fn touch(path: &Path) {
    if let Ok(f) = std::fs::OpenOptions::new().append(true).open(path) {
        let _ = f.set_modified(SystemTime::now());
    }
}
