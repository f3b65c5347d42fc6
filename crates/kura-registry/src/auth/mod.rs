//! Identity and access: who is calling (the [`Caller`] extractor) and what they may do to a
//! repository ([`Rights`]).
//!
//! Called by routes; calls the metadata store. Roles (per project): guest pulls, developer also
//! pushes, maintainer also deletes tags, admin also deletes manifests and blobs and manages the
//! project. System administrators may do everything and create projects by pushing.

pub mod password;
pub mod throttle;
pub mod token;

use crate::app::App;
use crate::error::{ErrorCode, OciError};
use crate::meta::{AuditRecord, Role};
use crate::names::RepoName;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use base64::Engine as _;
use std::net::SocketAddr;
use token::Access;

/// An authenticated (or anonymous) principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// No credentials.
    Anonymous,
    /// A local user.
    User {
        /// Name.
        name: String,
        /// System administrator.
        admin: bool,
    },
    /// A robot account.
    Robot {
        /// Full name.
        name: String,
        /// Its project.
        project: String,
        /// Its actions.
        actions: Vec<String>,
    },
}

impl Identity {
    /// Name for the audit log.
    pub fn actor(&self) -> &str {
        match self {
            Identity::Anonymous => "anonymous",
            Identity::User { name, .. } | Identity::Robot { name, .. } => name,
        }
    }
}

/// An action on a repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read manifests, blobs, tags, referrers.
    Pull,
    /// Upload blobs, put manifests.
    Push,
    /// Delete a tag.
    DeleteTag,
    /// Delete manifests by digest, blobs.
    Delete,
}

impl Action {
    /// The token-scope action name that grants it (Docker token spec uses `pull`, `push`, `delete`).
    pub fn scope_name(self) -> &'static str {
        match self {
            Action::Pull => "pull",
            Action::Push => "push",
            Action::DeleteTag | Action::Delete => "delete",
        }
    }
}

/// What an identity may do to one repository.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rights {
    /// Pull (and see that the repository exists).
    pub pull: bool,
    /// Push.
    pub push: bool,
    /// Delete tags.
    pub delete_tag: bool,
    /// Delete manifests and blobs.
    pub delete: bool,
}

impl Rights {
    /// All rights.
    pub const ALL: Rights = Rights {
        pull: true,
        push: true,
        delete_tag: true,
        delete: true,
    };

    /// Rights of a project role.
    pub fn of_role(r: Role) -> Rights {
        Rights {
            pull: true,
            push: r >= Role::Developer,
            delete_tag: r >= Role::Maintainer,
            delete: r >= Role::Admin,
        }
    }
    /// Does this allow `a`?
    pub fn allows(self, a: Action) -> bool {
        match a {
            Action::Pull => self.pull,
            Action::Push => self.push,
            Action::DeleteTag => self.delete_tag,
            Action::Delete => self.delete,
        }
    }
    fn union(self, o: Rights) -> Rights {
        Rights {
            pull: self.pull || o.pull,
            push: self.push || o.push,
            delete_tag: self.delete_tag || o.delete_tag,
            delete: self.delete || o.delete,
        }
    }
}

/// The caller of a request: identity, source address, and (for bearer tokens) the access list
/// the token grants.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Who.
    pub identity: Identity,
    /// From where.
    pub source: String,
    /// Token-granted access; `None` for basic auth or anonymous.
    pub granted: Option<Vec<Access>>,
}

impl Caller {
    /// Does the bearer token (if any) carry `action` for `repo`?
    pub fn token_allows(&self, repo: &str, action: Action) -> bool {
        let Some(g) = &self.granted else { return true };
        g.iter().any(|a| {
            a.kind == "repository"
                && a.name == repo
                && a.actions
                    .iter()
                    .any(|x| x == action.scope_name() || x == "*")
        })
    }
}

/// Source address of a request (socket peer; proxies are not trusted).
pub fn source_of(parts: &Parts) -> String {
    parts
        .extensions
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "local".to_owned())
}

impl FromRequestParts<App> for Caller {
    type Rejection = OciError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let source = source_of(parts);
        let identity_and_grant = authenticate(app, &parts.headers, &source).await?;
        let (identity, granted) = identity_and_grant;
        Ok(Caller {
            identity,
            source,
            granted,
        })
    }
}

/// Parse `Authorization` and resolve it; bad credentials are an error, none is anonymous.
pub async fn authenticate(
    app: &App,
    headers: &HeaderMap,
    source: &str,
) -> Result<(Identity, Option<Vec<Access>>), OciError> {
    if app.cfg.auth.disabled {
        return Ok((
            Identity::User {
                name: "admin".into(),
                admin: true,
            },
            None,
        ));
    }
    let Some(h) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return Ok((Identity::Anonymous, None));
    };
    let (scheme, rest) = h.split_once(' ').unwrap_or((h, ""));
    if scheme.eq_ignore_ascii_case("bearer") {
        let claims = app
            .keys
            .verify(rest.trim(), &app.cfg.auth.service, crate::util::unix_now())
            .map_err(|e| app.challenge(headers, None, &e.to_string()))?;
        let identity = identity_from_subject(app, &claims.sub).await?;
        return Ok((identity, Some(claims.access)));
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(rest.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| app.challenge(headers, None, "malformed basic credentials"))?;
        let (user, pass) = raw.split_once(':').unwrap_or((&raw, ""));
        let id = login(app, user, pass, source)
            .await
            .map_err(|e| match e.code {
                ErrorCode::TooManyRequests => e,
                _ => app.challenge(headers, None, &e.message),
            })?;
        return Ok((id, None));
    }
    Err(app.challenge(headers, None, "unsupported authorization scheme"))
}

async fn identity_from_subject(app: &App, sub: &str) -> Result<Identity, OciError> {
    if sub.is_empty() {
        return Ok(Identity::Anonymous);
    }
    let meta = app.meta.clone();
    let sub = sub.to_owned();
    let now = crate::util::unix_now();
    tokio::task::spawn_blocking(move || -> Result<Identity, OciError> {
        if sub.starts_with("robot$") {
            let r = meta
                .robot(&sub)?
                .filter(|r| !r.disabled && r.expires_at.is_none_or(|e| e > now));
            let r = r.ok_or_else(|| {
                OciError::new(ErrorCode::Unauthorized, "robot is disabled or expired")
            })?;
            return Ok(Identity::Robot {
                name: r.name,
                project: r.project,
                actions: r.actions,
            });
        }
        let u = meta.user(&sub)?.filter(|u| !u.disabled);
        let u = u.ok_or_else(|| OciError::new(ErrorCode::Unauthorized, "user is disabled"))?;
        Ok(Identity::User {
            name: u.name,
            admin: u.admin,
        })
    })
    .await
    .map_err(|_| OciError::new(ErrorCode::Unknown, "auth task failed"))?
}

/// Verify a user name and password (or robot secret), with throttling and auditing.
pub async fn login(app: &App, user: &str, pass: &str, source: &str) -> Result<Identity, OciError> {
    let ukey = format!("user:{user}");
    let ikey = format!("ip:{source}");
    if let Some(secs) = app
        .throttle
        .locked(&ukey)
        .or_else(|| app.throttle.locked(&ikey))
    {
        app.audit_login(user, source, "denied: throttled");
        return Err(OciError::new(
            ErrorCode::TooManyRequests,
            "too many failed logins; try later",
        )
        .with_header(header::RETRY_AFTER, &secs.to_string()));
    }
    if let Some(id) = app.cred_cache_get(user, pass) {
        return Ok(id);
    }
    let meta = app.meta.clone();
    let (u, p) = (user.to_owned(), pass.to_owned());
    let now = crate::util::unix_now();
    let found = tokio::task::spawn_blocking(move || -> Result<Option<Identity>, OciError> {
        if u.starts_with("robot$") {
            let Some(r) = meta.robot(&u)? else {
                password::verify(dummy_hash(), &p);
                return Ok(None);
            };
            let ok = password::verify(&r.secret_hash, &p)
                && !r.disabled
                && r.expires_at.is_none_or(|e| e > now);
            return Ok(ok.then_some(Identity::Robot {
                name: r.name,
                project: r.project,
                actions: r.actions,
            }));
        }
        let Some(user) = meta.user(&u)? else {
            // Spend the same time as a real check so user names cannot be probed by timing.
            password::verify(dummy_hash(), &p);
            return Ok(None);
        };
        let ok = password::verify(&user.password_hash, &p) && !user.disabled;
        Ok(ok.then_some(Identity::User {
            name: user.name,
            admin: user.admin,
        }))
    })
    .await
    .map_err(|_| OciError::new(ErrorCode::Unknown, "auth task failed"))??;
    match found {
        Some(id) => {
            app.throttle.succeed(&ukey);
            app.cred_cache_put(user, pass, id.clone());
            app.audit_login(user, source, "ok");
            Ok(id)
        }
        None => {
            app.throttle.fail(&ukey);
            app.throttle.fail(&ikey);
            app.audit_login(user, source, "denied: bad credentials");
            Err(OciError::new(
                ErrorCode::Unauthorized,
                "invalid user name or password",
            ))
        }
    }
}

/// An argon2id hash of a random string, verified against for unknown users.
fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| password::hash(&crate::util::random_hex(16)).unwrap_or_default())
}

impl App {
    /// Rights of an identity on a repository (token restrictions applied separately).
    pub fn rights(&self, id: &Identity, repo: &RepoName) -> Result<Rights, OciError> {
        let project = self.meta.project(repo.project())?;
        let public = project.as_ref().is_some_and(|p| p.public);
        let base = if public {
            Rights {
                pull: true,
                ..Rights::default()
            }
        } else {
            Rights::default()
        };
        let r = match id {
            Identity::Anonymous => base,
            Identity::User { admin: true, .. } => Rights::ALL,
            Identity::User { name, .. } => {
                if project.is_none() {
                    return Ok(base);
                }
                let role = self.meta.member(repo.project(), name)?;
                base.union(role.map(Rights::of_role).unwrap_or_default())
            }
            Identity::Robot {
                project: p,
                actions,
                ..
            } => {
                if p != repo.project() || project.is_none() {
                    return Ok(base);
                }
                let has = |a: &str| actions.iter().any(|x| x == a);
                base.union(Rights {
                    pull: has("pull"),
                    push: has("push"),
                    delete_tag: has("delete"),
                    delete: has("delete"),
                })
            }
        };
        Ok(r)
    }

    /// Check `action` on `repo`, returning the spec error a client should see otherwise:
    /// 401 with a challenge for anonymous callers or tokens lacking the scope, 404 `NAME_UNKNOWN`
    /// when the repository is invisible to the caller, 403 `DENIED` otherwise.
    pub fn authorize(
        &self,
        caller: &Caller,
        headers: &HeaderMap,
        repo: &RepoName,
        action: Action,
    ) -> Result<(), OciError> {
        let rights = self.rights(&caller.identity, repo)?;
        let scope_actions = if action == Action::Pull {
            "pull"
        } else {
            "pull,push"
        };
        let scope = match action {
            Action::Delete | Action::DeleteTag => format!("repository:{repo}:delete"),
            _ => format!("repository:{repo}:{scope_actions}"),
        };
        if rights.allows(action) {
            if caller.token_allows(repo.as_str(), action) {
                return Ok(());
            }
            return Err(self.challenge(headers, Some(&scope), "token does not grant this action"));
        }
        let result = format!("denied: {}", action.scope_name());
        self.audit.record(AuditRecord {
            time: crate::util::rfc3339_now(),
            actor: caller.identity.actor().to_owned(),
            source: caller.source.clone(),
            action: "policy".into(),
            repository: repo.to_string(),
            result,
            ..Default::default()
        });
        if caller.identity == Identity::Anonymous {
            return Err(self.challenge(headers, Some(&scope), "authentication required"));
        }
        if !rights.pull {
            return Err(OciError::new(
                ErrorCode::NameUnknown,
                "repository name not known to registry",
            ));
        }
        Err(OciError::new(
            ErrorCode::Denied,
            format!("{} is not allowed on {repo}", action.scope_name()),
        ))
    }

    /// A 401 with the configured challenge.
    pub fn challenge(&self, headers: &HeaderMap, scope: Option<&str>, msg: &str) -> OciError {
        let value = if self.cfg.auth.token {
            let realm = self.cfg.auth.realm.clone().unwrap_or_else(|| {
                let host = headers
                    .get(header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .unwrap_or("localhost");
                let scheme = if self.cfg.tls.is_some() {
                    "https"
                } else {
                    "http"
                };
                format!("{scheme}://{host}/token")
            });
            let mut v = format!(
                "Bearer realm=\"{realm}\",service=\"{}\"",
                self.cfg.auth.service
            );
            if let Some(s) = scope {
                v.push_str(&format!(",scope=\"{s}\""));
            }
            v
        } else {
            format!("Basic realm=\"{}\"", self.cfg.auth.service)
        };
        OciError::new(ErrorCode::Unauthorized, msg).with_header(header::WWW_AUTHENTICATE, &value)
    }

    fn audit_login(&self, user: &str, source: &str, result: &str) {
        self.audit.record(AuditRecord {
            time: crate::util::rfc3339_now(),
            actor: user.to_owned(),
            source: source.to_owned(),
            action: "login".into(),
            result: result.to_owned(),
            ..Default::default()
        });
    }
}
