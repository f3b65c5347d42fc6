//! `GET /v2/<name>/tags/list?n=&last=` (distribution-spec end-8a/8b) with `Link` pagination.

use super::{Ctx, respond};
use crate::auth::Action;
use crate::error::{ErrorCode, OciError};
use axum::body::Body;
use axum::http::StatusCode;
use axum::response::Response;

pub(crate) async fn list(ctx: Ctx) -> Result<Response, OciError> {
    ctx.authorize(Action::Pull)?;
    let n = match ctx.q("n") {
        Some(s) => Some(s.parse::<usize>().map_err(|_| {
            OciError::new(ErrorCode::Unsupported, "n must be a non-negative integer")
                .with_status(StatusCode::BAD_REQUEST)
        })?),
        None => None,
    };
    let last = ctx.q("last").filter(|s| !s.is_empty());
    let tags = match n {
        Some(0) => {
            if !ctx.app.meta.repo_exists(&ctx.repo)? {
                return Err(OciError::new(
                    ErrorCode::NameUnknown,
                    "repository name not known to registry",
                ));
            }
            Vec::new()
        }
        _ => ctx.app.meta.tags(&ctx.repo, last, n)?.ok_or_else(|| {
            OciError::new(
                ErrorCode::NameUnknown,
                "repository name not known to registry",
            )
        })?,
    };
    let body = serde_json::json!({ "name": ctx.repo.as_str(), "tags": tags }).to_string();
    let mut headers = vec![("content-type", "application/json".to_owned())];
    if let (Some(n), Some(l)) = (n, tags.last())
        && n > 0
        && tags.len() == n
    {
        headers.push((
            "link",
            format!("</v2/{}/tags/list?n={n}&last={l}>; rel=\"next\"", ctx.repo),
        ));
    }
    Ok(respond(StatusCode::OK, &headers, Body::from(body)))
}
