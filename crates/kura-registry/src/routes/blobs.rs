//! `GET|HEAD|DELETE /v2/<name>/blobs/<digest>` (distribution-spec end-2, end-10), with single
//! byte ranges (RFC 9110 §14).

use super::{Ctx, respond};
use crate::auth::Action;
use crate::digest::Digest;
use crate::error::{ErrorCode, OciError};
use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::Response;

pub(crate) fn parse_digest(s: &str) -> Result<Digest, OciError> {
    s.parse().map_err(|e: crate::digest::DigestError| {
        OciError::new(ErrorCode::DigestInvalid, e.to_string())
    })
}

/// Parse `bytes=a-b`, `bytes=a-`, `bytes=-n` against `size`: `Ok(None)` means no usable Range
/// header (serve everything), `Err` means 416.
fn parse_range(h: &str, size: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(spec) = h.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        // Multiple ranges would need multipart/byteranges; serving the whole blob is allowed.
        return Ok(None);
    }
    let (a, b) = spec.split_once('-').ok_or(())?;
    let (start, end) = match (a.trim(), b.trim()) {
        ("", n) => {
            let n: u64 = n.parse().map_err(|_| ())?;
            if n == 0 || size == 0 {
                return Err(());
            }
            (size.saturating_sub(n), size - 1)
        }
        (a, "") => (a.parse().map_err(|_| ())?, size.saturating_sub(1)),
        (a, b) => {
            let (s, e): (u64, u64) = (a.parse().map_err(|_| ())?, b.parse().map_err(|_| ())?);
            (s, e.min(size.saturating_sub(1)))
        }
    };
    if start >= size || end < start {
        return Err(());
    }
    Ok(Some((start, end)))
}

pub(crate) async fn get(ctx: Ctx, digest: &str, head: bool) -> Result<Response, OciError> {
    ctx.authorize(Action::Pull)?;
    let d = parse_digest(digest)?;
    let size = ctx
        .app
        .meta
        .repo_blob(&ctx.repo, &d)?
        .ok_or_else(|| OciError::new(ErrorCode::BlobUnknown, "blob unknown to registry"))?;
    let range = match ctx.headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        Some(h) => parse_range(h, size).map_err(|()| {
            OciError::new(ErrorCode::RangeInvalid, "requested range not satisfiable")
                .with_header(header::CONTENT_RANGE, &format!("bytes */{size}"))
        })?,
        None => None,
    };
    let mut headers = vec![
        ("content-type", "application/octet-stream".to_owned()),
        ("docker-content-digest", d.to_string()),
        ("accept-ranges", "bytes".to_owned()),
        ("etag", format!("\"{d}\"")),
    ];
    let (status, len) = match range {
        Some((s, e)) => {
            headers.push(("content-range", format!("bytes {s}-{e}/{size}")));
            (StatusCode::PARTIAL_CONTENT, e - s + 1)
        }
        None => (StatusCode::OK, size),
    };
    headers.push(("content-length", len.to_string()));
    if head {
        return Ok(respond(status, &headers, Body::empty()));
    }
    let stream = ctx.app.store.read(&d, range).await?.ok_or_else(|| {
        OciError::new(ErrorCode::BlobUnknown, "blob content missing from storage")
    })?;
    ctx.audit("pull", "", &d.to_string(), "ok");
    Ok(respond(status, &headers, Body::from_stream(stream)))
}

pub(crate) async fn delete(ctx: Ctx, digest: &str) -> Result<Response, OciError> {
    ctx.authorize(Action::Delete)?;
    let d = parse_digest(digest)?;
    let app = ctx.app.clone();
    let repo = ctx.repo.clone();
    let d2 = d.clone();
    let removed = tokio::task::spawn_blocking(move || app.meta.unlink_blob(&repo, &d2))
        .await
        .map_err(|_| OciError::new(ErrorCode::Unknown, "task failed"))??;
    if !removed {
        return Err(OciError::new(
            ErrorCode::BlobUnknown,
            "blob unknown to registry",
        ));
    }
    ctx.audit("delete", "", &d.to_string(), "ok");
    // Bytes stay until GC proves nothing references them (another repository may share them).
    Ok(respond(
        StatusCode::ACCEPTED,
        &[("content-length", "0".into())],
        Body::empty(),
    ))
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn range_header_table() {
        type Case = (&'static str, u64, Result<Option<(u64, u64)>, ()>);
        let cases: &[Case] = &[
            ("bytes=0-9", 100, Ok(Some((0, 9)))),
            ("bytes=10-", 100, Ok(Some((10, 99)))),
            ("bytes=-10", 100, Ok(Some((90, 99)))),
            ("bytes=0-1000", 100, Ok(Some((0, 99)))),
            ("bytes=100-", 100, Err(())),
            ("bytes=5-4", 100, Err(())),
            ("bytes=-0", 100, Err(())),
            ("bytes=x-y", 100, Err(())),
            ("bytes=0-1,5-6", 100, Ok(None)),
            ("items=0-1", 100, Ok(None)),
            ("bytes=0-0", 0, Err(())),
        ];
        for (h, size, want) in cases {
            assert_eq!(&parse_range(h, *size), want, "{h} / {size}");
        }
    }
}
