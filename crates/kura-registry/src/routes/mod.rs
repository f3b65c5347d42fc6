//! HTTP routes: `/v2/…` (distribution-spec), `/token`, `/metrics`, `/healthz`, `/readyz`.
//!
//! Routes parse and validate requests, authorize through [`crate::auth`], then call the blob
//! store and metadata store. One file per API area.

mod blobs;
mod catalog;
mod manifests;
mod ops;
mod referrers;
mod tags;
mod token;
mod uploads;

pub use manifests::{Parsed, parse_manifest};

use crate::app::App;
use crate::auth::{Action, Caller};
use crate::error::{ErrorCode, OciError};
use crate::meta::AuditRecord;
use crate::names::{Endpoint, RepoName, parse_endpoint};
use crate::storage::ByteStream;
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use std::time::{Duration, Instant};

/// `Docker-Distribution-API-Version`, sent on every `/v2/` response for Docker clients.
const API_VERSION: &str = "registry/2.0";

/// Build the router.
pub fn router(app: App) -> Router {
    Router::new()
        .route("/v2", axum::routing::any(base))
        .route("/v2/", axum::routing::any(base))
        .route("/v2/{*rest}", axum::routing::any(dispatch))
        .route(
            "/token",
            axum::routing::get(token::get_token).post(token::post_token),
        )
        .route("/metrics", axum::routing::get(ops::metrics))
        .route("/healthz", axum::routing::get(ops::healthz))
        .route("/readyz", axum::routing::get(ops::readyz))
        .layer(axum::middleware::from_fn_with_state(app.clone(), observe))
        .with_state(app)
}

async fn observe(State(app): State<App>, req: Request, next: axum::middleware::Next) -> Response {
    let start = Instant::now();
    let method = req.method().as_str().to_owned();
    let kind = route_kind(req.uri().path());
    let bytes_in = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut resp = next.run(req).await;
    let bytes_out = resp
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    app.metrics.observe(
        kind,
        &method,
        resp.status().as_u16(),
        start.elapsed().as_secs_f64(),
        bytes_in,
        bytes_out,
    );
    resp.headers_mut().insert(
        HeaderName::from_static("docker-distribution-api-version"),
        HeaderValue::from_static(API_VERSION),
    );
    resp
}

fn route_kind(path: &str) -> &'static str {
    let Some(rest) = path.strip_prefix("/v2/") else {
        return match path {
            "/v2" => "base",
            "/token" => "token",
            _ => "other",
        };
    };
    match parse_endpoint(rest) {
        None if rest.is_empty() => "base",
        None => "other",
        Some(Endpoint::Catalog) => "catalog",
        Some(Endpoint::Tags { .. }) => "tags",
        Some(Endpoint::Manifest { .. }) => "manifest",
        Some(Endpoint::Blob { .. }) => "blob",
        Some(Endpoint::UploadStart { .. } | Endpoint::Upload { .. }) => "upload",
        Some(Endpoint::Referrers { .. }) => "referrers",
    }
}

/// `GET /v2/`: the API version check. Anonymous callers get the challenge so clients log in
/// (distribution-spec end-1; Docker token spec).
async fn base(State(app): State<App>, caller: Caller, headers: HeaderMap) -> Response {
    if caller.identity == crate::auth::Identity::Anonymous && !app.cfg.auth.disabled {
        return app
            .challenge(&headers, None, "authentication required")
            .into_response();
    }
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        "{}",
    )
        .into_response()
}

/// Everything a handler needs about one request.
pub(crate) struct Ctx {
    pub app: App,
    pub caller: Caller,
    pub headers: HeaderMap,
    pub repo: RepoName,
    pub query: Vec<(String, String)>,
}

impl Ctx {
    fn authorize(&self, a: Action) -> Result<(), OciError> {
        self.app
            .authorize(&self.caller, &self.headers, &self.repo, a)
    }
    fn q(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
    fn audit(&self, action: &str, reference: &str, digest: &str, result: &str) {
        self.app.audit.record(AuditRecord {
            time: crate::util::rfc3339_now(),
            actor: self.caller.identity.actor().to_owned(),
            source: self.caller.source.clone(),
            action: action.to_owned(),
            repository: self.repo.to_string(),
            reference: reference.to_owned(),
            digest: digest.to_owned(),
            result: result.to_owned(),
        });
    }
}

fn parse_query(q: Option<&str>) -> Vec<(String, String)> {
    q.map(|q| {
        q.split('&')
            .filter(|kv| !kv.is_empty())
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                (pct_decode(k), pct_decode(v))
            })
            .collect()
    })
    .unwrap_or_default()
}

fn pct_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b.get(i) {
            Some(b'%') => {
                let hex = b
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            Some(&c) => {
                out.push(c);
                i += 1;
            }
            None => break,
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `ANY /v2/<rest>`: match the endpoint from the right, validate the name, dispatch.
async fn dispatch(State(app): State<App>, caller: Caller, req: Request) -> Response {
    match dispatch_inner(app, caller, req).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn dispatch_inner(app: App, caller: Caller, req: Request) -> Result<Response, OciError> {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path();
    let rest = path.strip_prefix("/v2/").unwrap_or_default();
    let ep = parse_endpoint(rest).ok_or_else(|| {
        OciError::new(ErrorCode::NameInvalid, "no such endpoint").with_status(StatusCode::NOT_FOUND)
    })?;
    let method = parts.method.clone();
    let name = match &ep {
        Endpoint::Catalog => {
            return catalog::get(
                app,
                caller,
                parse_query(parts.uri.query()),
                &parts.headers,
                method,
            )
            .await;
        }
        Endpoint::Tags { name }
        | Endpoint::Manifest { name, .. }
        | Endpoint::Blob { name, .. }
        | Endpoint::UploadStart { name }
        | Endpoint::Upload { name, .. }
        | Endpoint::Referrers { name, .. } => *name,
    };
    let repo = RepoName::parse(name).ok_or_else(|| {
        OciError::new(
            ErrorCode::NameInvalid,
            format!("invalid repository name {name:?}"),
        )
    })?;
    let ctx = Ctx {
        app,
        caller,
        headers: parts.headers,
        repo,
        query: parse_query(parts.uri.query()),
    };
    use Method as M;
    match (ep, method) {
        (Endpoint::Tags { .. }, M::GET) => tags::list(ctx).await,
        (Endpoint::Manifest { reference, .. }, m @ (M::GET | M::HEAD)) => {
            manifests::get(ctx, reference, m == M::HEAD).await
        }
        (Endpoint::Manifest { reference, .. }, M::PUT) => {
            manifests::put(ctx, reference, body).await
        }
        (Endpoint::Manifest { reference, .. }, M::DELETE) => {
            manifests::delete(ctx, reference).await
        }
        (Endpoint::Blob { digest, .. }, m @ (M::GET | M::HEAD)) => {
            blobs::get(ctx, digest, m == M::HEAD).await
        }
        (Endpoint::Blob { digest, .. }, M::DELETE) => blobs::delete(ctx, digest).await,
        (Endpoint::UploadStart { .. }, M::POST) => uploads::start(ctx, body).await,
        (Endpoint::Upload { id, .. }, M::GET) => uploads::status(ctx, id).await,
        (Endpoint::Upload { id, .. }, M::PATCH) => uploads::patch(ctx, id, body).await,
        (Endpoint::Upload { id, .. }, M::PUT) => uploads::put(ctx, id, body).await,
        (Endpoint::Upload { id, .. }, M::DELETE) => uploads::cancel(ctx, id).await,
        (Endpoint::Referrers { digest, .. }, M::GET) => referrers::get(ctx, digest).await,
        _ => Err(OciError::new(
            ErrorCode::Unsupported,
            "method not allowed on this endpoint",
        )),
    }
}

/// Build a response from parts; header values that are not valid are dropped (they never come
/// from clients unvalidated).
pub(crate) fn respond(status: StatusCode, headers: &[(&str, String)], body: Body) -> Response {
    let mut r = Response::new(body);
    *r.status_mut() = status;
    for (k, v) in headers {
        if let (Ok(k), Ok(v)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            r.headers_mut().insert(k, v);
        }
    }
    r
}

/// Request body as a stream that fails when the client stalls longer than `idle`.
pub(crate) fn body_stream(body: Body, idle: Duration) -> ByteStream {
    let s = body.into_data_stream();
    Box::pin(futures_util::stream::unfold(
        Some(s),
        move |st| async move {
            let mut s = st?;
            match tokio::time::timeout(idle, s.next()).await {
                Ok(Some(Ok(b))) => Some((Ok(b), Some(s))),
                Ok(Some(Err(e))) => Some((Err(std::io::Error::other(e)), None)),
                Ok(None) => None,
                Err(_) => Some((
                    Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "request body idle",
                    )),
                    None,
                )),
            }
        },
    ))
}

/// Read a whole small body, refusing more than `limit` bytes.
pub(crate) async fn read_limited(
    body: Body,
    limit: usize,
    idle: Duration,
) -> Result<bytes::Bytes, OciError> {
    let mut s = body_stream(body, idle);
    let mut buf = bytes::BytesMut::new();
    while let Some(chunk) = s.next().await {
        let chunk = chunk
            .map_err(|e| OciError::new(ErrorCode::SizeInvalid, format!("reading body: {e}")))?;
        if buf.len() + chunk.len() > limit {
            return Err(OciError::new(
                ErrorCode::SizeInvalid,
                format!("body exceeds {limit} bytes"),
            )
            .with_status(StatusCode::PAYLOAD_TOO_LARGE));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

#[cfg(test)]
mod tests {
    #[test]
    fn query_decoding_table() {
        let q = super::parse_query(Some(
            "n=2&last=a%2Fb&x&artifactType=application%2Fvnd.x%2Bjson",
        ));
        assert_eq!(q[0], ("n".into(), "2".into()));
        assert_eq!(q[1], ("last".into(), "a/b".into()));
        assert_eq!(q[2], ("x".into(), "".into()));
        assert_eq!(q[3].1, "application/vnd.x+json");
        assert_eq!(super::pct_decode("%zz%4"), "%zz%4");
    }
}
