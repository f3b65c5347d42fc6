//! Shared server state and the services routes call: the blob store, the metadata store, keys,
//! throttling, audit, metrics and per-key locks.

use crate::audit::AuditSink;
use crate::auth::Identity;
use crate::auth::throttle::Throttle;
use crate::auth::token::TokenKeys;
use crate::config::Config;
use crate::meta::MetaStore;
use crate::meta::sqlite::SqliteMeta;
use crate::metrics::Metrics;
use crate::storage::BlobStore;
use crate::storage::fs::FsStore;
use sha2::Digest as _;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Cheaply clonable handle to the server state.
#[derive(Clone)]
pub struct App(Arc<AppInner>);

impl std::ops::Deref for App {
    type Target = AppInner;
    fn deref(&self) -> &AppInner {
        &self.0
    }
}

/// The state.
pub struct AppInner {
    /// Configuration.
    pub cfg: Config,
    /// Blob bytes.
    pub store: Arc<dyn BlobStore>,
    /// Metadata.
    pub meta: Arc<dyn MetaStore>,
    /// Token signing keys.
    pub keys: TokenKeys,
    /// Login throttling.
    pub throttle: Throttle,
    /// Audit sink.
    pub audit: AuditSink,
    /// Metrics.
    pub metrics: Metrics,
    /// Per-key async locks (uploads, digests).
    pub locks: KeyedLocks,
    creds: Mutex<HashMap<[u8; 32], (Identity, Instant)>>,
}

/// Opening the state failed.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// Storage.
    #[error(transparent)]
    Storage(#[from] crate::storage::StorageError),
    /// Metadata.
    #[error(transparent)]
    Meta(#[from] crate::meta::MetaError),
    /// Keys.
    #[error(transparent)]
    Keys(#[from] crate::auth::token::KeyError),
    /// Data directory.
    #[error("data directory {path}: {source}")]
    Data {
        /// Path.
        path: std::path::PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
}

/// Open the metadata database of a data directory (used by CLI admin commands too).
pub fn open_meta(data: &std::path::Path) -> Result<Arc<dyn MetaStore>, OpenError> {
    fs_err::create_dir_all(data).map_err(|source| OpenError::Data {
        path: data.to_owned(),
        source,
    })?;
    Ok(Arc::new(SqliteMeta::open(&data.join("meta.db"))?))
}

impl App {
    /// Open everything under `cfg.data`.
    pub fn open(cfg: Config) -> Result<App, OpenError> {
        let meta = open_meta(&cfg.data)?;
        let store: Arc<dyn BlobStore> = Arc::new(FsStore::open(cfg.data.join("storage"))?);
        let keys = TokenKeys::load_or_create(&cfg.data.join("keys"))?;
        let throttle = Throttle::new(
            cfg.auth.max_failures.max(1),
            Duration::from_secs(cfg.auth.failure_window_secs),
            Duration::from_secs(cfg.auth.lockout_secs),
        );
        let audit = AuditSink::start(meta.clone());
        Ok(App(Arc::new(AppInner {
            cfg,
            store,
            meta,
            keys,
            throttle,
            audit,
            metrics: Metrics::default(),
            locks: KeyedLocks::default(),
            creds: Mutex::new(HashMap::new()),
        })))
    }

    fn cred_key(user: &str, pass: &str) -> [u8; 32] {
        let mut h = sha2::Sha256::new();
        h.update(user.as_bytes());
        h.update([0]);
        h.update(pass.as_bytes());
        h.finalize().into()
    }

    /// A recently verified credential pair (argon2 is deliberately slow; basic auth sends the
    /// password on every request). Entries live 60 s so a disabled user is refused soon.
    pub fn cred_cache_get(&self, user: &str, pass: &str) -> Option<Identity> {
        let k = Self::cred_key(user, pass);
        let m = self.creds.lock().ok()?;
        let (id, at) = m.get(&k)?;
        (at.elapsed() < Duration::from_secs(60)).then(|| id.clone())
    }

    /// Remember a verified credential pair.
    pub fn cred_cache_put(&self, user: &str, pass: &str, id: Identity) {
        if let Ok(mut m) = self.creds.lock() {
            if m.len() > 10_000 {
                m.clear();
            }
            m.insert(Self::cred_key(user, pass), (id, Instant::now()));
        }
    }
}

/// A map of async mutexes created on demand and dropped when unused: serialises writers of the
/// same upload or digest without blocking others.
#[derive(Default)]
pub struct KeyedLocks {
    map: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl KeyedLocks {
    /// Lock `key`; the guard releases it.
    pub async fn lock(&self, key: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let m = {
            let mut map = match self.map.lock() {
                Ok(m) => m,
                Err(p) => p.into_inner(),
            };
            if map.len() > 1024 {
                map.retain(|_, v| Arc::strong_count(v) > 1);
            }
            map.entry(key.to_owned()).or_default().clone()
        };
        m.lock_owned().await
    }
}
