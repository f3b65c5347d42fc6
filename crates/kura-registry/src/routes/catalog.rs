//! `GET /v2/_catalog?n=&last=`: the repositories the caller may pull, paginated like tags.

use super::respond;
use crate::app::App;
use crate::auth::{Caller, Identity};
use crate::error::{ErrorCode, OciError};
use crate::names::RepoName;
use axum::body::Body;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;

pub(crate) async fn get(
    app: App,
    caller: Caller,
    query: Vec<(String, String)>,
    headers: &HeaderMap,
    method: Method,
) -> Result<Response, OciError> {
    if method != Method::GET {
        return Err(OciError::new(
            ErrorCode::Unsupported,
            "method not allowed on this endpoint",
        ));
    }
    if caller.identity == Identity::Anonymous && !app.cfg.auth.disabled {
        return Err(app.challenge(
            headers,
            Some("registry:catalog:*"),
            "authentication required",
        ));
    }
    let q = |k: &str| query.iter().find(|(a, _)| a == k).map(|(_, v)| v.as_str());
    let n = match q("n") {
        Some(s) => Some(s.parse::<usize>().map_err(|_| {
            OciError::new(ErrorCode::Unsupported, "n must be a non-negative integer")
                .with_status(StatusCode::BAD_REQUEST)
        })?),
        None => None,
    };
    let last = q("last").filter(|s| !s.is_empty());
    let all = app.meta.repositories(last)?;
    let mut out = Vec::new();
    for name in all {
        if n.is_some_and(|n| out.len() >= n) {
            break;
        }
        let Some(repo) = RepoName::parse(&name) else {
            continue;
        };
        if app.rights(&caller.identity, &repo)?.pull {
            out.push(name);
        }
    }
    let body = serde_json::json!({ "repositories": out }).to_string();
    let mut h = vec![("content-type", "application/json".to_owned())];
    if let (Some(n), Some(l)) = (n, out.last())
        && n > 0
        && out.len() == n
    {
        h.push((
            "link",
            format!("</v2/_catalog?n={n}&last={l}>; rel=\"next\""),
        ));
    }
    Ok(respond(StatusCode::OK, &h, Body::from(body)))
}
