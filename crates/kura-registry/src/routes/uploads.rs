//! Blob uploads (distribution-spec "Pushing blobs"): monolithic POST+PUT, single POST with
//! `digest`, chunked PATCH with `Content-Range`, status, cancel, and cross-repository mount.

use super::blobs::parse_digest;
use super::{Ctx, body_stream, respond};
use crate::auth::Action;
use crate::digest::Digest;
use crate::error::{ErrorCode, OciError};
use crate::names::RepoName;
use crate::storage::StorageError;
use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use std::sync::atomic::Ordering;
use std::time::Duration;

fn upload_location(repo: &RepoName, id: &str) -> String {
    format!("/v2/{repo}/blobs/uploads/{id}")
}

/// `Range: 0-<last byte>`; an empty upload reports `0-0` as distribution does.
fn range_header(size: u64) -> String {
    format!("0-{}", size.saturating_sub(1))
}

fn map_storage(e: StorageError, repo: &RepoName, id: &str) -> OciError {
    match e {
        StorageError::DigestMismatch { expected, actual } => OciError::new(
            ErrorCode::DigestInvalid,
            format!("content hashes to {actual}, not {expected}"),
        ),
        StorageError::UploadUnknown(_) => {
            OciError::new(ErrorCode::BlobUploadUnknown, "upload unknown to registry")
        }
        StorageError::OffsetMismatch { have, .. } => OciError::new(
            ErrorCode::RangeInvalid,
            format!("chunk must start at byte {have}"),
        )
        .with_header(header::RANGE, &range_header(have))
        .with_header(header::LOCATION, &upload_location(repo, id)),
        StorageError::TooLarge { limit, .. } => OciError::new(
            ErrorCode::SizeInvalid,
            format!("blob exceeds {limit} bytes"),
        )
        .with_status(StatusCode::PAYLOAD_TOO_LARGE),
        StorageError::Body(e) => {
            OciError::new(ErrorCode::BlobUploadInvalid, format!("reading body: {e}"))
        }
        other => other.into(),
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, OciError> + Send + 'static,
) -> Result<T, OciError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| OciError::new(ErrorCode::Unknown, "task failed"))?
}

struct InFlight<'a>(&'a std::sync::atomic::AtomicU64);
impl<'a> InFlight<'a> {
    fn new(a: &'a std::sync::atomic::AtomicU64) -> Self {
        a.fetch_add(1, Ordering::Relaxed);
        InFlight(a)
    }
}
impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

fn created(repo: &RepoName, d: &Digest) -> Response {
    respond(
        StatusCode::CREATED,
        &[
            ("location", format!("/v2/{repo}/blobs/{d}")),
            ("docker-content-digest", d.to_string()),
            ("content-length", "0".into()),
        ],
        Body::empty(),
    )
}

fn accepted(repo: &RepoName, id: &str, size: u64, status: StatusCode) -> Response {
    respond(
        status,
        &[
            ("location", upload_location(repo, id)),
            ("range", range_header(size)),
            ("docker-upload-uuid", id.to_owned()),
            ("content-length", "0".into()),
        ],
        Body::empty(),
    )
}

/// Refuse a blob that would push the project over its quota.
async fn check_quota(ctx: &Ctx, adding: u64) -> Result<(), OciError> {
    let app = ctx.app.clone();
    let project = ctx.repo.project().to_owned();
    blocking(move || {
        let Some(p) = app.meta.project(&project)? else { return Ok(()) };
        let Some(q) = p.quota_bytes else { return Ok(()) };
        let used = app.meta.project_usage(&project)?;
        if used.saturating_add(adding) > q {
            return Err(OciError::new(
                ErrorCode::Denied,
                format!("project {project} quota exceeded: {used} of {q} bytes used, blob needs {adding}"),
            ));
        }
        Ok(())
    })
    .await
}

/// Verify and commit upload `id` as `d`, then link it into the repository.
async fn commit(ctx: &Ctx, id: &str, d: &Digest) -> Result<Response, OciError> {
    let size = ctx.app.store.upload_size(id).await?.unwrap_or(0);
    if let Err(e) = check_quota(ctx, size).await {
        let _ = ctx.app.store.upload_abort(id).await;
        let app = ctx.app.clone();
        let id2 = id.to_owned();
        let _ = blocking(move || Ok(app.meta.upload_delete(&id2)?)).await;
        ctx.audit("push", "", &d.to_string(), "denied: quota");
        return Err(e);
    }
    // Serialise with GC and other commits of the same digest.
    let _g = ctx.app.locks.lock(&format!("digest:{d}")).await;
    let result = ctx.app.store.upload_commit(id, d).await;
    let app = ctx.app.clone();
    let id2 = id.to_owned();
    let size = match result {
        Ok(size) => size,
        Err(e) => {
            let _ = blocking(move || Ok(app.meta.upload_delete(&id2)?)).await;
            ctx.audit(
                "push",
                "",
                &d.to_string(),
                "error: digest mismatch or storage",
            );
            return Err(map_storage(e, &ctx.repo, id));
        }
    };
    let (repo, d2) = (ctx.repo.clone(), d.clone());
    blocking(move || {
        app.meta.link_blob(&repo, &d2, size)?;
        app.meta.upload_delete(&id2)?;
        Ok(())
    })
    .await?;
    ctx.audit("push", "", &d.to_string(), "ok");
    Ok(created(&ctx.repo, d))
}

async fn new_upload(ctx: &Ctx) -> Result<String, OciError> {
    let id = crate::util::random_hex(16);
    ctx.app.store.upload_start(&id).await?;
    let (app, id2, repo) = (ctx.app.clone(), id.clone(), ctx.repo.clone());
    blocking(move || {
        Ok(app
            .meta
            .upload_create(&id2, &repo, crate::util::unix_now())?)
    })
    .await?;
    Ok(id)
}

fn idle(ctx: &Ctx) -> Duration {
    Duration::from_secs(ctx.app.cfg.limits.body_idle_secs.max(1))
}

pub(crate) async fn start(ctx: Ctx, body: Body) -> Result<Response, OciError> {
    ctx.authorize(Action::Push)?;
    if let Some(m) = ctx.q("mount") {
        let d = parse_digest(m)?;
        if let Some(r) = try_mount(&ctx, &d).await? {
            return Ok(r);
        }
    }
    let id = new_upload(&ctx).await?;
    if let Some(dg) = ctx.q("digest") {
        let d = match parse_digest(dg) {
            Ok(d) => d,
            Err(e) => {
                let _ = ctx.app.store.upload_abort(&id).await;
                return Err(e);
            }
        };
        let _inflight = InFlight::new(&ctx.app.metrics.uploads_in_flight);
        let appended = ctx
            .app
            .store
            .upload_append(
                &id,
                0,
                body_stream(body, idle(&ctx)),
                ctx.app.cfg.limits.max_blob_bytes,
            )
            .await;
        if let Err(e) = appended {
            let _ = ctx.app.store.upload_abort(&id).await;
            return Err(map_storage(e, &ctx.repo, &id));
        }
        return commit(&ctx, &id, &d).await;
    }
    Ok(accepted(&ctx.repo, &id, 0, StatusCode::ACCEPTED))
}

/// Mount from `from` when the caller may pull there and the blob is linked there; otherwise
/// `None` and the client gets a normal upload session (distribution-spec "Mounting a blob").
async fn try_mount(ctx: &Ctx, d: &Digest) -> Result<Option<Response>, OciError> {
    let Some(from) = ctx.q("from").and_then(RepoName::parse) else {
        return Ok(None);
    };
    // Mount only when the caller may pull the source *and* a bearer token says so; otherwise
    // fall back to an upload (a second challenge here breaks clients that cache their token).
    if !ctx.app.rights(&ctx.caller.identity, &from)?.pull
        || !ctx.caller.token_allows(from.as_str(), Action::Pull)
    {
        return Ok(None);
    }
    let Some(size) = ctx.app.meta.repo_blob(&from, d)? else {
        return Ok(None);
    };
    check_quota(ctx, size).await?;
    let _g = ctx.app.locks.lock(&format!("digest:{d}")).await;
    let (app, repo, d2) = (ctx.app.clone(), ctx.repo.clone(), d.clone());
    let mounted = blocking(move || Ok(app.meta.mount_blob(&repo, &d2)?)).await?;
    if mounted.is_none() || ctx.app.store.stat(d).await?.is_none() {
        return Ok(None);
    }
    ctx.audit("mount", from.as_str(), &d.to_string(), "ok");
    Ok(Some(created(&ctx.repo, d)))
}

async fn check_upload(ctx: &Ctx, id: &str) -> Result<(), OciError> {
    let (app, id2) = (ctx.app.clone(), id.to_owned());
    let repo = blocking(move || Ok(app.meta.upload_repo(&id2)?)).await?;
    if repo.as_deref() != Some(ctx.repo.as_str()) {
        return Err(OciError::new(
            ErrorCode::BlobUploadUnknown,
            "upload unknown to registry",
        ));
    }
    Ok(())
}

/// `Content-Range: <start>-<end>` (spec form) or `bytes <start>-<end>/<total>`.
fn parse_content_range(h: &HeaderValue) -> Option<(u64, u64)> {
    let s = h.to_str().ok()?.trim();
    let s = s.strip_prefix("bytes ").unwrap_or(s);
    let s = s.split('/').next()?;
    let (a, b) = s.split_once('-')?;
    let (a, b) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
    (a <= b).then_some((a, b))
}

fn content_length(ctx: &Ctx) -> Option<u64> {
    ctx.headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// Append a chunk, honouring `Content-Range` (out-of-order → 416 with the current `Range`).
async fn append(ctx: &Ctx, id: &str, body: Body) -> Result<u64, OciError> {
    let have =
        ctx.app.store.upload_size(id).await?.ok_or_else(|| {
            OciError::new(ErrorCode::BlobUploadUnknown, "upload unknown to registry")
        })?;
    let mut offset = have;
    if let Some(cr) = ctx.headers.get(header::CONTENT_RANGE) {
        let (start, end) = parse_content_range(cr).ok_or_else(|| {
            OciError::new(ErrorCode::RangeInvalid, "malformed Content-Range")
                .with_header(header::RANGE, &range_header(have))
                .with_header(header::LOCATION, &upload_location(&ctx.repo, id))
        })?;
        let len_ok = content_length(ctx).is_none_or(|n| n == end - start + 1);
        if start != have || !len_ok {
            return Err(map_storage(
                StorageError::OffsetMismatch {
                    id: id.to_owned(),
                    have,
                    got: start,
                },
                &ctx.repo,
                id,
            ));
        }
        offset = start;
    }
    let _inflight = InFlight::new(&ctx.app.metrics.uploads_in_flight);
    let size = ctx
        .app
        .store
        .upload_append(
            id,
            offset,
            body_stream(body, idle(ctx)),
            ctx.app.cfg.limits.max_blob_bytes,
        )
        .await
        .map_err(|e| map_storage(e, &ctx.repo, id))?;
    let (app, id2) = (ctx.app.clone(), id.to_owned());
    blocking(move || Ok(app.meta.upload_touch(&id2, crate::util::unix_now())?)).await?;
    Ok(size)
}

pub(crate) async fn patch(ctx: Ctx, id: &str, body: Body) -> Result<Response, OciError> {
    ctx.authorize(Action::Push)?;
    check_upload(&ctx, id).await?;
    let _g = ctx.app.locks.lock(&format!("upload:{id}")).await;
    let size = append(&ctx, id, body).await?;
    Ok(accepted(&ctx.repo, id, size, StatusCode::ACCEPTED))
}

pub(crate) async fn put(ctx: Ctx, id: &str, body: Body) -> Result<Response, OciError> {
    ctx.authorize(Action::Push)?;
    check_upload(&ctx, id).await?;
    let _g = ctx.app.locks.lock(&format!("upload:{id}")).await;
    let d = match ctx.q("digest") {
        Some(d) => parse_digest(d)?,
        None => {
            return Err(OciError::new(
                ErrorCode::DigestInvalid,
                "digest query parameter is required",
            ));
        }
    };
    let has_body = content_length(&ctx).is_some_and(|n| n > 0)
        || ctx.headers.contains_key(header::CONTENT_RANGE)
        || ctx.headers.contains_key(header::TRANSFER_ENCODING);
    if has_body {
        append(&ctx, id, body).await?;
    }
    commit(&ctx, id, &d).await
}

pub(crate) async fn status(ctx: Ctx, id: &str) -> Result<Response, OciError> {
    ctx.authorize(Action::Push)?;
    check_upload(&ctx, id).await?;
    let size =
        ctx.app.store.upload_size(id).await?.ok_or_else(|| {
            OciError::new(ErrorCode::BlobUploadUnknown, "upload unknown to registry")
        })?;
    Ok(accepted(&ctx.repo, id, size, StatusCode::NO_CONTENT))
}

pub(crate) async fn cancel(ctx: Ctx, id: &str) -> Result<Response, OciError> {
    ctx.authorize(Action::Push)?;
    check_upload(&ctx, id).await?;
    let _g = ctx.app.locks.lock(&format!("upload:{id}")).await;
    ctx.app.store.upload_abort(id).await?;
    let (app, id2) = (ctx.app.clone(), id.to_owned());
    blocking(move || Ok(app.meta.upload_delete(&id2)?)).await?;
    Ok(respond(
        StatusCode::NO_CONTENT,
        &[("content-length", "0".into())],
        Body::empty(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range_table() {
        for (h, want) in [
            ("0-99", Some((0, 99))),
            ("bytes 100-199/*", Some((100, 199))),
            ("bytes 0-9/10", Some((0, 9))),
            ("5-4", None),
            ("x", None),
            ("-", None),
            ("1-", None),
        ] {
            assert_eq!(
                parse_content_range(&HeaderValue::from_static(h)),
                want,
                "{h}"
            );
        }
    }
}
