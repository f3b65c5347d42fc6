//! Docker token endpoint (`GET /token?service=&scope=…`, docker/distribution "Token
//! Authentication Specification"): authenticates with basic credentials (or anonymously) and
//! issues a JWT granting the intersection of the requested scopes and the caller's rights.

use crate::app::App;
use crate::auth::token::{Access, Claims};
use crate::auth::{Caller, Identity};
use crate::error::{ErrorCode, OciError};
use crate::meta::AuditRecord;
use crate::names::RepoName;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

fn granted(app: &App, id: &Identity, scope: &str) -> Result<Option<Access>, OciError> {
    let mut parts = scope.splitn(3, ':');
    let (Some(kind), Some(name), Some(actions)) = (parts.next(), parts.next(), parts.next()) else {
        return Ok(None);
    };
    // Repository names may carry a `:tag`-free host-less form only; the actions are the last field.
    let (name, actions) = match actions.rsplit_once(':') {
        Some((more, acts)) => (format!("{name}:{more}"), acts),
        None => (name.to_owned(), actions),
    };
    let wanted: Vec<&str> = actions
        .split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .collect();
    match kind {
        "repository" => {
            let Some(repo) = RepoName::parse(&name) else {
                return Ok(None);
            };
            let r = app.rights(id, &repo)?;
            let ok: Vec<String> = wanted
                .into_iter()
                .filter(|a| match *a {
                    "pull" => r.pull,
                    "push" => r.push,
                    "delete" => r.delete || r.delete_tag,
                    "*" => r == crate::auth::Rights::ALL,
                    _ => false,
                })
                .map(str::to_owned)
                .collect();
            Ok(Some(Access {
                kind: "repository".into(),
                name,
                actions: ok,
            }))
        }
        "registry" if name == "catalog" => {
            let ok = !matches!(id, Identity::Anonymous);
            Ok(Some(Access {
                kind: "registry".into(),
                name,
                actions: if ok { vec!["*".into()] } else { vec![] },
            }))
        }
        _ => Ok(None),
    }
}

pub(crate) async fn get_token(
    State(app): State<App>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, OciError> {
    issue(app, caller, &headers, uri.query().unwrap_or("")).await
}

/// OAuth2 password grant (`grant_type=password&username=&password=&scope=`), used by some
/// clients instead of basic auth on GET.
pub(crate) async fn post_token(
    State(app): State<App>,
    headers: HeaderMap,
    body: String,
) -> Result<Response, OciError> {
    let form = super::parse_query(Some(&body));
    let f = |k: &str| form.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone());
    let source = "token-post".to_owned();
    let identity = match (f("grant_type").as_deref(), f("username"), f("password")) {
        (Some("password"), Some(u), Some(p)) => crate::auth::login(&app, &u, &p, &source).await?,
        _ => {
            return Err(OciError::new(
                ErrorCode::Unsupported,
                "only grant_type=password is supported",
            )
            .with_status(StatusCode::BAD_REQUEST));
        }
    };
    let scopes = f("scope").unwrap_or_default();
    let q: String = scopes
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(|s| format!("scope={s}&"))
        .collect();
    issue(
        app,
        Caller {
            identity,
            source,
            granted: None,
        },
        &headers,
        &q,
    )
    .await
}

async fn issue(
    app: App,
    caller: Caller,
    _headers: &HeaderMap,
    query: &str,
) -> Result<Response, OciError> {
    if caller.granted.is_some() {
        return Err(OciError::new(
            ErrorCode::Unauthorized,
            "use credentials, not a token, to obtain a token",
        ));
    }
    let q = super::parse_query(Some(query));
    let mut access = Vec::new();
    for (k, v) in &q {
        if k == "scope" {
            // A scope parameter may hold several space-separated scopes.
            for s in v.split(' ').filter(|s| !s.is_empty()) {
                if let Some(a) = granted(&app, &caller.identity, s)? {
                    access.push(a);
                }
            }
        }
    }
    let now = crate::util::unix_now();
    let ttl = app.cfg.auth.token_ttl_secs.max(1) as i64;
    let sub = match &caller.identity {
        Identity::Anonymous => String::new(),
        other => other.actor().to_owned(),
    };
    let claims = Claims {
        iss: app.cfg.auth.service.clone(),
        sub,
        aud: app.cfg.auth.service.clone(),
        exp: now + ttl,
        nbf: now,
        iat: now,
        jti: crate::util::random_hex(12),
        access: access.clone(),
    };
    let token = app.keys.issue(&claims).map_err(|e| {
        tracing::error!(error = %e, "token signing failed");
        OciError::new(ErrorCode::Unknown, "token signing failed")
    })?;
    let summary: Vec<String> = access
        .iter()
        .map(|a| format!("{}:{}:{}", a.kind, a.name, a.actions.join(",")))
        .collect();
    app.audit.record(AuditRecord {
        time: crate::util::rfc3339_now(),
        actor: caller.identity.actor().to_owned(),
        source: caller.source.clone(),
        action: "token".into(),
        reference: summary.join(" "),
        result: "ok".into(),
        ..Default::default()
    });
    let issued_at = crate::util::rfc3339_now();
    let body = serde_json::json!({
        "token": token, "access_token": token, "expires_in": ttl, "issued_at": issued_at,
    });
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response())
}
