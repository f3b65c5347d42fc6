//! Pulling from a registry over the OCI Distribution API (distribution-spec `spec.md`), with
//! anonymous, basic and bearer-token auth (the docker token flow, distribution's
//! `docs/spec/auth/token.md` and `oauth.md`).
//!
//! Only the manifest(s), the config and — lazily, when a layer is opened — the layer blobs are
//! fetched. Manifests and configs are read whole under a size cap and verified; layer blobs are
//! streamed through the digest verifier.

use std::io::Read;
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine as _;
use reqwest::StatusCode;
use reqwest::blocking::{Client, RequestBuilder, Response};
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};

use crate::auth::{Credential, lookup};
use crate::digest::Digest;
use crate::error::OciError;
use crate::manifest::{
    DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, Descriptor, OCI_INDEX, OCI_MANIFEST, parse_document,
};
use crate::reference::Reference;
use crate::sources::build_image;
use crate::store::{BlobKey, Store, check_bytes, resolve};
use crate::{Image, OpenOptions, SourceKind};

/// Every manifest type we read, so registries do not down-convert to schema 1.
const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json";

/// A fetched manifest: bytes, `Content-Type` and `Docker-Content-Digest`.
struct FetchedManifest {
    bytes: Vec<u8>,
    content_type: Option<String>,
    docker_digest: Option<String>,
}

/// A registry client bound to one repository.
pub(crate) struct Registry {
    http: Client,
    /// `scheme://host[:port]`.
    base: String,
    reference: Reference,
    credential: Option<Credential>,
    /// The `Authorization` value that last worked (a bearer token or basic).
    authorization: Mutex<Option<String>>,
    insecure: bool,
}

/// One `WWW-Authenticate` challenge (RFC 7235 §4.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Challenge {
    pub scheme: String,
    pub params: Vec<(String, String)>,
}

impl Challenge {
    fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Parse `Bearer realm="…",service="…",scope="…"` (auth-params with quoted-string values and
/// backslash escapes, RFC 7230 §3.2.6). Only the first challenge is read.
pub(crate) fn parse_challenge(header: &str) -> Option<Challenge> {
    let header = header.trim();
    let (scheme, rest) = header
        .split_once(char::is_whitespace)
        .unwrap_or((header, ""));
    if scheme.is_empty() {
        return None;
    }
    let mut params = Vec::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        let key: String =
            std::iter::from_fn(|| chars.next_if(|c| *c != '=' && *c != ',' && !c.is_whitespace()))
                .collect();
        if key.is_empty() {
            break;
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.next_if_eq(&'=').is_none() {
            break;
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.next_if_eq(&'"').is_some() {
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            value.extend(std::iter::from_fn(|| {
                chars.next_if(|c| *c != ',' && !c.is_whitespace())
            }));
        }
        params.push((key, value));
    }
    Some(Challenge {
        scheme: scheme.to_string(),
        params,
    })
}

#[derive(serde::Deserialize)]
struct TokenReply {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
}

/// Body of an OCI error response (distribution-spec "Error Codes"), for messages.
fn error_detail(resp: Response) -> String {
    let status = resp.status();
    let mut body = String::new();
    let _ = resp.take(16 * 1024).read_to_string(&mut body);
    let detail = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| {
            let errs = v.get("errors")?.as_array()?.clone();
            Some(
                errs.iter()
                    .map(|e| {
                        format!(
                            "{} {}",
                            e.get("code").and_then(|c| c.as_str()).unwrap_or(""),
                            e.get("message").and_then(|c| c.as_str()).unwrap_or("")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })
        .unwrap_or_else(|| body.chars().take(200).collect());
    format!("{status}: {}", detail.trim())
}

impl Registry {
    pub(crate) fn new(reference: Reference, opts: &OpenOptions) -> Result<Self, OciError> {
        let plain_http = opts.insecure && reference.is_loopback();
        let scheme = if plain_http { "http" } else { "https" };
        let base = format!("{scheme}://{}", reference.api_host());
        let http = Client::builder()
            .user_agent(concat!("kura/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(30))
            // Layer downloads may take long; a total deadline would cut large ones off.
            .timeout(None::<Duration>)
            .danger_accept_invalid_certs(opts.insecure)
            .build()
            .map_err(|e| OciError::Http {
                url: base.clone(),
                reason: e.to_string(),
            })?;
        let credential = lookup(
            &reference.registry,
            opts.username.as_deref(),
            opts.password.as_deref(),
            opts.docker_config.as_deref(),
        )?;
        Ok(Registry {
            http,
            base,
            reference,
            credential,
            authorization: Mutex::new(None),
            insecure: opts.insecure,
        })
    }

    fn auth_err(&self, reason: impl Into<String>) -> OciError {
        OciError::Auth {
            registry: self.reference.registry.clone(),
            reason: reason.into(),
        }
    }

    fn current_auth(&self) -> Option<String> {
        self.authorization.lock().map_or(None, |g| g.clone())
    }

    fn set_auth(&self, value: String) {
        if let Ok(mut g) = self.authorization.lock() {
            *g = Some(value);
        }
    }

    fn send(&self, req: RequestBuilder, url: &str) -> Result<Response, OciError> {
        req.send().map_err(|e| OciError::Http {
            url: url.to_string(),
            reason: error_chain(&e),
        })
    }

    /// GET `path` under `/v2/<repo>/`, answering one auth challenge. 404 is returned as
    /// `Ok(None)` for the caller to name what is missing.
    fn get(&self, path: &str, accept: Option<&str>) -> Result<Option<Response>, OciError> {
        let url = format!("{}/v2/{}/{path}", self.base, self.reference.repository);
        let build = |auth: Option<String>| {
            let mut r = self.http.get(&url);
            if let Some(a) = accept {
                r = r.header(ACCEPT, a);
            }
            if let Some(a) = auth {
                r = r.header(AUTHORIZATION, a);
            }
            r
        };
        let mut resp = self.send(build(self.current_auth()), &url)?;
        if resp.status() == StatusCode::UNAUTHORIZED {
            let challenge = resp
                .headers()
                .get(WWW_AUTHENTICATE)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_challenge)
                .ok_or_else(|| {
                    self.auth_err(format!(
                        "{url} answered 401 without a usable WWW-Authenticate challenge"
                    ))
                })?;
            let value = self.authorize(&challenge)?;
            self.set_auth(value.clone());
            resp = self.send(build(Some(value)), &url)?;
            if resp.status() == StatusCode::UNAUTHORIZED || resp.status() == StatusCode::FORBIDDEN {
                return Err(self.auth_err(format!(
                    "credentials refused for {url}: {}",
                    error_detail(resp)
                )));
            }
        }
        match resp.status() {
            s if s.is_success() => Ok(Some(resp)),
            StatusCode::NOT_FOUND => Ok(None),
            StatusCode::FORBIDDEN => {
                Err(self.auth_err(format!("access to {url} denied: {}", error_detail(resp))))
            }
            _ => Err(OciError::Http {
                url,
                reason: error_detail(resp),
            }),
        }
    }

    /// Turn a challenge into an `Authorization` header value.
    fn authorize(&self, ch: &Challenge) -> Result<String, OciError> {
        if ch.scheme.eq_ignore_ascii_case("basic") {
            return match &self.credential {
                Some(Credential::Basic { username, password }) => {
                    Ok(basic_value(username, password))
                }
                Some(Credential::IdentityToken(_)) => Err(self.auth_err(
                    "registry wants basic auth but only an identity token is configured",
                )),
                None => Err(self.auth_err(
                    "registry requires credentials (use --username/--password or docker login)",
                )),
            };
        }
        if !ch.scheme.eq_ignore_ascii_case("bearer") {
            return Err(self.auth_err(format!("unsupported auth scheme `{}`", ch.scheme)));
        }
        let token = self.fetch_token(ch)?;
        Ok(format!("Bearer {token}"))
    }

    /// The docker token flow: GET the realm with service and scope (basic credentials when
    /// configured), or POST an OAuth2 refresh-token grant for identity tokens.
    fn fetch_token(&self, ch: &Challenge) -> Result<String, OciError> {
        let realm = ch
            .param("realm")
            .ok_or_else(|| self.auth_err("bearer challenge without realm"))?;
        let realm_url = reqwest::Url::parse(realm)
            .map_err(|e| self.auth_err(format!("bad realm `{realm}`: {e}")))?;
        let loopback = realm_url.host_str().is_some_and(|h| {
            h == "localhost"
                || h.parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        });
        let plain = realm_url.scheme() == "http";
        if realm_url.scheme() != "https" && !(plain && (self.insecure || loopback)) {
            return Err(self.auth_err(format!(
                "token realm `{realm}` is not https (use --insecure for a loopback test registry)"
            )));
        }
        let default_scope = format!("repository:{}:pull", self.reference.repository);
        let scope = ch.param("scope").unwrap_or(&default_scope);
        let service = ch.param("service");
        let resp = match &self.credential {
            Some(Credential::IdentityToken(rt)) => {
                let mut form = vec![
                    ("grant_type", "refresh_token"),
                    ("refresh_token", rt.as_str()),
                    ("client_id", "kura"),
                    ("scope", scope),
                ];
                if let Some(s) = service {
                    form.push(("service", s));
                }
                self.send(self.http.post(realm_url.clone()).form(&form), realm)?
            }
            cred => {
                let mut u = realm_url.clone();
                {
                    let mut q = u.query_pairs_mut();
                    if let Some(s) = service {
                        q.append_pair("service", s);
                    }
                    q.append_pair("scope", scope);
                }
                let mut req = self.http.get(u);
                if let Some(Credential::Basic { username, password }) = cred {
                    req = req.header(AUTHORIZATION, basic_value(username, password));
                }
                self.send(req, realm)?
            }
        };
        if !resp.status().is_success() {
            return Err(self.auth_err(format!("token endpoint {realm}: {}", error_detail(resp))));
        }
        let mut body = Vec::new();
        resp.take(1 << 20)
            .read_to_end(&mut body)
            .map_err(|e| self.auth_err(format!("token endpoint {realm}: {e}")))?;
        let reply: TokenReply = serde_json::from_slice(&body)
            .map_err(|e| self.auth_err(format!("token endpoint {realm}: invalid JSON: {e}")))?;
        reply
            .token
            .or(reply.access_token)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| self.auth_err(format!("token endpoint {realm} returned no token")))
    }

    /// GET a manifest by tag or digest, capped; returns bytes, content type and the
    /// `Docker-Content-Digest` header.
    fn get_manifest(&self, reference: &str, cap: u64) -> Result<FetchedManifest, OciError> {
        let resp = self
            .get(&format!("manifests/{reference}"), Some(MANIFEST_ACCEPT))?
            .ok_or_else(|| OciError::MissingBlob {
                digest: format!("manifest {reference}"),
                source_name: format!("{}/{}", self.reference.registry, self.reference.repository),
            })?;
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let content_type = header(CONTENT_TYPE.as_str());
        let docker_digest = header("docker-content-digest");
        if resp.content_length().is_some_and(|l| l > cap) {
            return Err(OciError::TooLarge {
                what: "manifest",
                name: reference.to_string(),
                limit: cap,
            });
        }
        let mut buf = Vec::new();
        resp.take(cap.saturating_add(1))
            .read_to_end(&mut buf)
            .map_err(|e| OciError::Http {
                url: format!("manifests/{reference}"),
                reason: e.to_string(),
            })?;
        if buf.len() as u64 > cap {
            return Err(OciError::TooLarge {
                what: "manifest",
                name: reference.to_string(),
                limit: cap,
            });
        }
        Ok(FetchedManifest {
            bytes: buf,
            content_type,
            docker_digest,
        })
    }
}

fn basic_value(user: &str, pass: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
    )
}

/// reqwest's top-level message hides the cause (e.g. "error sending request"); include it.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        s.push_str(": ");
        s.push_str(&c.to_string());
        src = c.source();
    }
    s
}

impl Store for Registry {
    fn describe(&self) -> String {
        format!("{}/{}", self.reference.registry, self.reference.repository)
    }

    fn open(&self, key: &BlobKey) -> Result<Box<dyn Read + Send + '_>, OciError> {
        let BlobKey::Digest(d) = key else {
            return Err(OciError::MissingBlob {
                digest: key.to_string(),
                source_name: self.describe(),
            });
        };
        match self.get(&format!("blobs/{d}"), None)? {
            Some(resp) => Ok(Box::new(resp)),
            None => Err(OciError::MissingBlob {
                digest: d.to_string(),
                source_name: self.describe(),
            }),
        }
    }

    fn read_manifest(
        &self,
        desc: &Descriptor,
        cap: u64,
    ) -> Result<(Vec<u8>, Option<String>), OciError> {
        if desc.size > cap {
            return Err(OciError::TooLarge {
                what: "manifest",
                name: desc.digest.to_string(),
                limit: cap,
            });
        }
        let FetchedManifest {
            bytes,
            content_type: ct,
            ..
        } = self.get_manifest(desc.digest.as_str(), cap)?;
        check_bytes(
            &bytes,
            &BlobKey::Digest(desc.digest.clone()),
            Some(&desc.digest),
            Some(desc.size),
        )?;
        let hint = Some(desc.media_type.clone())
            .filter(|m| !m.is_empty())
            .or(ct);
        Ok((bytes, hint))
    }
}

/// Pull the image `reference` (after any transport prefix); `shown` is what the user typed.
pub(crate) fn open(reference: &str, shown: &str, opts: &OpenOptions) -> Result<Image, OciError> {
    let r = Reference::parse(reference)?;
    let registry = Registry::new(r.clone(), opts)?;
    let manifest_ref = r.manifest_ref();
    let FetchedManifest {
        bytes,
        content_type,
        docker_digest: header_digest,
    } = registry.get_manifest(&manifest_ref, opts.max_manifest_size)?;
    // A pinned digest must match the bytes; for a tag, the registry's Docker-Content-Digest
    // (when sent) must, or the registry served something other than it claims.
    let digest = match &r.digest {
        Some(d) => {
            check_bytes(&bytes, &BlobKey::Digest(d.clone()), Some(d), None)?;
            d.clone()
        }
        None => {
            let computed = Digest::sha256_of(&bytes);
            if let Some(h) = header_digest
                .as_deref()
                .and_then(|h| Digest::parse(h, "Docker-Content-Digest").ok())
                && !h.matches(&bytes)
            {
                return Err(OciError::BlobMismatch {
                    digest: h.to_string(),
                    detail: format!("manifest {manifest_ref} hashes to {computed}"),
                });
            }
            computed
        }
    };
    let hint = content_type.as_deref().filter(|c| {
        [
            OCI_MANIFEST,
            OCI_INDEX,
            DOCKER_MANIFEST,
            DOCKER_MANIFEST_LIST,
        ]
        .iter()
        .any(|t| c.starts_with(t))
    });
    let doc = parse_document(&bytes, hint, &format!("{r}"))?;
    let name = r.to_string();
    let resolved = resolve(
        &registry,
        doc,
        digest,
        &name,
        opts.platform.as_ref(),
        opts.max_manifest_size,
    )?;
    let tags = vec![name.clone()];
    let store = Box::new(registry);
    let mut image = build_image(store, resolved, shown, SourceKind::Registry, tags, opts)?;
    if let Some(n) = base_layers_from_annotations(&image, opts) {
        image.set_base_layers(n);
    }
    Ok(image)
}

/// Fetch the base image named by the `org.opencontainers.image.base.name`/`.base.digest`
/// annotations and count its layers, accepting the count only when the base's layers are
/// the bottom layers of `image`. Any failure leaves the history heuristic in charge.
fn base_layers_from_annotations(image: &Image, opts: &OpenOptions) -> Option<usize> {
    let name = image
        .manifest_annotations
        .get("org.opencontainers.image.base.name")?;
    let digest = image
        .manifest_annotations
        .get("org.opencontainers.image.base.digest")?;
    match fetch_base_layer_count(image, name, digest, opts) {
        Ok(n) => n,
        Err(e) => {
            tracing::debug!("base image {name}@{digest} not resolved: {e}");
            None
        }
    }
}

fn fetch_base_layer_count(
    image: &Image,
    name: &str,
    digest: &str,
    opts: &OpenOptions,
) -> Result<Option<usize>, OciError> {
    let digest = Digest::parse(digest, "org.opencontainers.image.base.digest")?;
    let mut r = Reference::parse(name)?;
    r.digest = Some(digest.clone());
    let registry = Registry::new(r, opts)?;
    let fetched = registry.get_manifest(digest.as_str(), opts.max_manifest_size)?;
    check_bytes(
        &fetched.bytes,
        &BlobKey::Digest(digest.clone()),
        Some(&digest),
        None,
    )?;
    let doc = parse_document(&fetched.bytes, fetched.content_type.as_deref(), name)?;
    let platform = crate::Platform {
        os: image.config.os.clone(),
        arch: image.config.architecture.clone(),
        variant: image.config.variant.clone(),
    };
    let max = opts.max_manifest_size;
    let base = resolve(&registry, doc, digest, name, Some(&platform), max)?;
    let layers = &base.manifest.layers;
    let prefix = layers.len() <= image.layers.len()
        && layers
            .iter()
            .zip(&image.layers)
            .all(|(b, l)| b.digest.as_str() == l.digest);
    Ok(prefix.then_some(layers.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(scheme, params)`.
    type Parsed<'a> = (&'a str, &'a [(&'a str, &'a str)]);

    #[test]
    fn challenges_parse_quoted_and_bare_params() {
        let cases: &[(&str, Option<Parsed>)] = &[
            (
                r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull""#,
                Some((
                    "Bearer",
                    &[
                        ("realm", "https://auth.example/token"),
                        ("service", "registry.example"),
                        ("scope", "repository:a/b:pull"),
                    ],
                )),
            ),
            (
                r#"Basic realm="Registry Realm""#,
                Some(("Basic", &[("realm", "Registry Realm")])),
            ),
            (
                r#"Bearer realm=x, error="in\"valid""#,
                Some(("Bearer", &[("realm", "x"), ("error", "in\"valid")])),
            ),
            ("Basic", Some(("Basic", &[]))),
            (
                r#"Bearer realm="unterminated"#,
                Some(("Bearer", &[("realm", "unterminated")])),
            ),
            ("", None),
        ];
        for (h, want) in cases {
            let got = parse_challenge(h);
            let want = want.map(|(s, p)| Challenge {
                scheme: s.into(),
                params: p
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            });
            assert_eq!(got, want, "{h}");
        }
    }
}
