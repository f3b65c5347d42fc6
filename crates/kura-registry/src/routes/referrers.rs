//! `GET /v2/<name>/referrers/<digest>?artifactType=` (distribution-spec v1.1 end-12a/12b): an
//! image index of the manifests whose `subject` is the digest.

use super::blobs::parse_digest;
use super::{Ctx, respond};
use crate::auth::Action;
use crate::error::OciError;
use axum::body::Body;
use axum::http::StatusCode;
use axum::response::Response;

pub(crate) async fn get(ctx: Ctx, digest: &str) -> Result<Response, OciError> {
    ctx.authorize(Action::Pull)?;
    let d = parse_digest(digest)?;
    let filter = ctx
        .q("artifactType")
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let refs = ctx.app.meta.referrers(&ctx.repo, &d)?;
    let manifests: Vec<serde_json::Value> = refs
        .into_iter()
        .filter(|r| {
            filter
                .as_deref()
                .is_none_or(|f| r.artifact_type.as_deref() == Some(f))
        })
        .map(|r| {
            let mut o = serde_json::json!({
                "mediaType": r.media_type,
                "digest": r.digest.to_string(),
                "size": r.size,
            });
            if let Some(a) = r.artifact_type {
                o["artifactType"] = a.into();
            }
            if let Some(a) = r
                .annotations
                .and_then(|a| serde_json::from_str::<serde_json::Value>(&a).ok())
            {
                o["annotations"] = a;
            }
            o
        })
        .collect();
    let body = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": super::manifests::OCI_INDEX,
        "manifests": manifests,
    })
    .to_string();
    let mut headers = vec![("content-type", super::manifests::OCI_INDEX.to_owned())];
    if filter.is_some() {
        headers.push(("oci-filters-applied", "artifactType".to_owned()));
    }
    Ok(respond(StatusCode::OK, &headers, Body::from(body)))
}
