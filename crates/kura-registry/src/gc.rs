//! Garbage collection, safe while serving.
//!
//! A blob is collected only when (1) the metadata store says no repository links it and no
//! manifest references it, (2) it is older than the grace period, and (3) the removal of its
//! metadata row happens in one transaction that re-checks (1). The byte deletion then happens
//! under the same per-digest lock upload commits take, so a concurrent push of the same content
//! either finished linking first (and the blob is kept) or recommits the bytes after GC.

use crate::app::App;
use crate::meta::MetaError;
use crate::storage::StorageError;

/// What a GC pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct GcReport {
    /// Blobs removed.
    pub blobs_removed: u64,
    /// Uploads discarded for inactivity.
    pub uploads_expired: u64,
}

/// GC failures.
#[derive(Debug, thiserror::Error)]
pub enum GcError {
    /// Metadata.
    #[error(transparent)]
    Meta(#[from] MetaError),
    /// Storage.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// One GC pass.
pub async fn run(app: &App) -> Result<GcReport, GcError> {
    let now = crate::util::unix_now();
    let mut report = GcReport::default();
    let idle_before = now - app.cfg.gc.upload_expiry_secs as i64;
    for id in app.meta.uploads_idle(idle_before)? {
        let _g = app.locks.lock(&format!("upload:{id}")).await;
        app.store.upload_abort(&id).await?;
        app.meta.upload_delete(&id)?;
        report.uploads_expired += 1;
    }
    let before = now - app.cfg.gc.grace_secs as i64;
    for d in app.meta.orphan_blobs(before)? {
        let _g = app.locks.lock(&format!("digest:{d}")).await;
        if app.meta.forget_blob_if_orphan(&d)? {
            app.store.delete(&d).await?;
            report.blobs_removed += 1;
        }
    }
    if let Some(days) = app.cfg.audit.retention_days {
        let cutoff = time::OffsetDateTime::now_utc() - time::Duration::days(i64::from(days));
        let fmt = time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
        );
        if let Ok(c) = cutoff.format(&fmt) {
            app.meta.audit_prune(&c)?;
        }
    }
    Ok(report)
}
