//! Registry credentials: flags, `~/.docker/config.json` (`auths`, `credHelpers`,
//! `credsStore`) and docker credential helpers, in the precedence docker itself applies.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine as _;
use serde::Deserialize;

use crate::error::OciError;
use crate::reference::DOCKER_HUB;

/// The key docker uses for Docker Hub in `auths` and with credential helpers.
const DOCKER_HUB_AUTH_KEY: &str = "https://index.docker.io/v1/";

/// Credentials for one registry. `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Credential {
    /// User name and password (or personal access token).
    Basic { username: String, password: String },
    /// An OAuth2 refresh token (docker's `identitytoken`), exchanged at the token endpoint.
    IdentityToken(String),
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::Basic { username, .. } => write!(f, "Basic({username}, <redacted>)"),
            Credential::IdentityToken(_) => f.write_str("IdentityToken(<redacted>)"),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct DockerConfig {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(default)]
    cred_helpers: BTreeMap<String, String>,
    #[serde(default)]
    creds_store: Option<String>,
}

#[derive(Deserialize, Default)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
}

/// Where the docker config lives: the option, else `$DOCKER_CONFIG/config.json`, else
/// `~/.docker/config.json`.
fn config_path(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG") {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    dirs::home_dir().map(|h| h.join(".docker").join("config.json"))
}

/// The host an `auths` key names: keys may be `host`, `https://host`, `https://host/v1/`.
fn key_host(key: &str) -> &str {
    let k = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    k.split('/').next().unwrap_or(k)
}

fn is_docker_hub(host: &str) -> bool {
    matches!(
        host,
        DOCKER_HUB | "index.docker.io" | "registry-1.docker.io"
    )
}

/// The server URL docker passes to credential helpers for `registry`.
fn helper_server(registry: &str) -> &str {
    if is_docker_hub(registry) {
        DOCKER_HUB_AUTH_KEY
    } else {
        registry
    }
}

/// Find credentials for `registry` (as written in the reference, `docker.io` for Docker Hub).
/// Flags win; then `credHelpers[registry]`, then `credsStore`, then `auths`.
pub(crate) fn lookup(
    registry: &str,
    username: Option<&str>,
    password: Option<&str>,
    docker_config: Option<&Path>,
) -> Result<Option<Credential>, OciError> {
    if let Some(u) = username {
        return Ok(Some(Credential::Basic {
            username: u.to_string(),
            password: password.unwrap_or_default().to_string(),
        }));
    }
    let Some(path) = config_path(docker_config) else {
        return Ok(None);
    };
    let bytes = match fs_err::read(&path) {
        Ok(b) => b,
        // A missing default config is normal; a missing explicit one is the user's mistake.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && docker_config.is_none() => {
            return Ok(None);
        }
        Err(e) => return Err(OciError::io(path, e)),
    };
    let cfg: DockerConfig = serde_json::from_slice(&bytes).map_err(|e| OciError::Credentials {
        registry: registry.to_string(),
        reason: format!("{}: {e}", path.display()),
    })?;
    let helper = cfg
        .cred_helpers
        .iter()
        .find(|(k, _)| {
            key_host(k) == registry || (is_docker_hub(registry) && is_docker_hub(key_host(k)))
        })
        .map(|(_, v)| v.clone())
        .or(cfg.creds_store.clone())
        .filter(|h| !h.is_empty());
    if let Some(h) = helper
        && let Some(c) = run_helper(&h, registry)?
    {
        return Ok(Some(c));
    }
    let entry = cfg.auths.iter().find(|(k, _)| {
        let h = key_host(k);
        h == registry || (is_docker_hub(registry) && is_docker_hub(h))
    });
    match entry {
        Some((_, e)) => from_entry(e, registry),
        None => Ok(None),
    }
}

fn from_entry(e: &AuthEntry, registry: &str) -> Result<Option<Credential>, OciError> {
    if let Some(t) = e.identitytoken.as_deref().filter(|t| !t.is_empty()) {
        return Ok(Some(Credential::IdentityToken(t.to_string())));
    }
    if let Some(a) = e.auth.as_deref().filter(|a| !a.is_empty()) {
        let bad = |why: &str| OciError::Credentials {
            registry: registry.to_string(),
            reason: format!("`auth` in the docker config {why}"),
        };
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(a.trim())
            .map_err(|_| bad("is not base64"))?;
        let text = String::from_utf8(decoded).map_err(|_| bad("is not UTF-8"))?;
        let (u, p) = text
            .split_once(':')
            .ok_or_else(|| bad("is not user:password"))?;
        return Ok(Some(Credential::Basic {
            username: u.to_string(),
            password: p.to_string(),
        }));
    }
    match (&e.username, &e.password) {
        (Some(u), Some(p)) => Ok(Some(Credential::Basic {
            username: u.clone(),
            password: p.clone(),
        })),
        _ => Ok(None),
    }
}

#[derive(Deserialize)]
struct HelperReply {
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

/// Run `docker-credential-<helper> get` with the server URL on stdin (the docker credential
/// helper protocol). "credentials not found" is not an error: docker falls back too.
fn run_helper(helper: &str, registry: &str) -> Result<Option<Credential>, OciError> {
    let err = |reason: String| OciError::Credentials {
        registry: registry.to_string(),
        reason,
    };
    if !helper
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err(err(format!(
            "credential helper name `{helper}` is not a plain name"
        )));
    }
    run_helper_program(&format!("docker-credential-{helper}"), registry)
}

fn run_helper_program(prog: &str, registry: &str) -> Result<Option<Credential>, OciError> {
    let err = |reason: String| OciError::Credentials {
        registry: registry.to_string(),
        reason,
    };
    let mut child = Command::new(prog)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| err(format!("cannot run {prog}: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(helper_server(registry).as_bytes())
            .map_err(|e| err(format!("{prog}: {e}")))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| err(format!("{prog}: {e}")))?;
    if !out.status.success() {
        let msg = String::from_utf8_lossy(&out.stdout).trim().to_string()
            + String::from_utf8_lossy(&out.stderr).trim();
        if msg.to_ascii_lowercase().contains("credentials not found") {
            return Ok(None);
        }
        return Err(err(format!(
            "{prog} get failed ({}): {}",
            out.status,
            msg.chars().take(300).collect::<String>()
        )));
    }
    let reply: HelperReply = serde_json::from_slice(&out.stdout)
        .map_err(|e| err(format!("{prog} printed invalid JSON: {e}")))?;
    // Helpers return an identity token with the user name `<token>`.
    Ok(Some(if reply.username == "<token>" {
        Credential::IdentityToken(reply.secret)
    } else {
        Credential::Basic {
            username: reply.username,
            password: reply.secret,
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_config(json: &str, registry: &str) -> Result<Option<Credential>, OciError> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config.json");
        std::fs::write(&p, json).unwrap();
        lookup(registry, None, None, Some(&p))
    }

    fn basic(u: &str, p: &str) -> Option<Credential> {
        Some(Credential::Basic {
            username: u.into(),
            password: p.into(),
        })
    }

    #[test]
    fn docker_config_auths_are_matched_by_host() {
        // "user:pa:ss" in base64.
        let auth = base64::engine::general_purpose::STANDARD.encode("user:pa:ss");
        let cfg = format!(
            r#"{{"auths":{{"https://index.docker.io/v1/":{{"auth":"{auth}"}},"reg.example:5000":{{"username":"u","password":"p"}},"https://tok.example":{{"identitytoken":"rt"}}}}}}"#
        );
        let cases: &[(&str, Option<Credential>)] = &[
            ("docker.io", basic("user", "pa:ss")),
            ("reg.example:5000", basic("u", "p")),
            ("tok.example", Some(Credential::IdentityToken("rt".into()))),
            ("other.example", None),
        ];
        for (reg, want) in cases {
            assert_eq!(&with_config(&cfg, reg).unwrap(), want, "{reg}");
        }
    }

    #[test]
    fn broken_configs_are_errors_naming_the_registry() {
        assert!(matches!(
            with_config("{", "r"),
            Err(OciError::Credentials { .. })
        ));
        let e = with_config(r#"{"auths":{"r":{"auth":"!!!"}}}"#, "r").unwrap_err();
        assert!(e.to_string().contains("not base64"), "{e}");
        let e = with_config(r#"{"credHelpers":{"r":"../../bin/sh"}}"#, "r").unwrap_err();
        assert!(e.to_string().contains("plain name"), "{e}");
        let missing = lookup("r", None, None, Some(Path::new("/nonexistent/config.json")));
        assert!(matches!(missing, Err(OciError::Io { .. })));
    }

    #[test]
    fn credential_helpers_speak_the_docker_protocol() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("docker-credential-test");
        // Echo the server URL read from stdin back as the user name, to prove it was sent.
        std::fs::write(
            &script,
            "#!/bin/sh\nread server\ncase \"$server\" in\n  missing*) echo 'credentials not found in native keychain'; exit 1;;\n  token*) echo '{\"Username\":\"<token>\",\"Secret\":\"rt\"}';;\n  *) printf '{\"ServerURL\":\"%s\",\"Username\":\"%s\",\"Secret\":\"s3\"}' \"$server\" \"$server\";;\nesac\n",
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let prog = script.to_str().unwrap();
        assert_eq!(
            run_helper_program(prog, "docker.io").unwrap(),
            basic(DOCKER_HUB_AUTH_KEY, "s3")
        );
        assert_eq!(
            run_helper_program(prog, "reg.example").unwrap(),
            basic("reg.example", "s3")
        );
        assert_eq!(
            run_helper_program(prog, "token.example").unwrap(),
            Some(Credential::IdentityToken("rt".into()))
        );
        assert_eq!(run_helper_program(prog, "missing.example").unwrap(), None);
        assert!(run_helper_program("/nonexistent/docker-credential-x", "r").is_err());
    }

    #[test]
    fn flags_override_the_config() {
        assert_eq!(
            lookup("r", Some("a"), Some("b"), Some(Path::new("/nonexistent"))).unwrap(),
            basic("a", "b")
        );
    }

    #[test]
    fn credential_debug_redacts_secrets() {
        let s = format!(
            "{:?} {:?}",
            basic("me", "hunter2"),
            Credential::IdentityToken("tok123".into())
        );
        assert!(!s.contains("hunter2") && !s.contains("tok123"), "{s}");
    }
}
