//! Server configuration: a TOML file whose every key is also a `kura registry serve` flag or a
//! `KURA_REGISTRY_*` environment variable (the binary overlays those). Unknown keys are rejected.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Environment variable naming the first admin (with [`ENV_ADMIN_PASSWORD`]).
pub const ENV_ADMIN_USER: &str = "KURA_REGISTRY_ADMIN_USER";
/// Environment variable holding the first admin's password; read once at start.
pub const ENV_ADMIN_PASSWORD: &str = "KURA_REGISTRY_ADMIN_PASSWORD";

/// The whole configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Listen address (`127.0.0.1:5000`; port 0 picks a free port).
    pub listen: String,
    /// Data directory: `meta.db`, `blobs/`, `uploads/`, `keys/`.
    pub data: PathBuf,
    /// Serve plain HTTP on a non-loopback address (loopback never needs it).
    pub insecure_http: bool,
    /// TLS certificate chain and key (PEM).
    pub tls: Option<TlsConfig>,
    /// Authentication.
    pub auth: AuthConfig,
    /// Size and time limits.
    pub limits: Limits,
    /// Garbage collection.
    pub gc: GcConfig,
    /// Audit log retention.
    pub audit: AuditConfig,
}

/// TLS files.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM certificate chain.
    pub cert: PathBuf,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// Authentication settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// Challenge with `Bearer` (token flow) rather than `Basic`. Basic credentials are accepted
    /// either way.
    pub token: bool,
    /// `service` in challenges and the token audience.
    pub service: String,
    /// Token endpoint URL for the challenge; default `<scheme>://<Host>/token`.
    pub realm: Option<String>,
    /// Token lifetime in seconds.
    pub token_ttl_secs: u64,
    /// Failed logins before a user name or source address is locked out.
    pub max_failures: u32,
    /// Window for counting failures, seconds.
    pub failure_window_secs: u64,
    /// Lockout duration, seconds.
    pub lockout_secs: u64,
    /// Turn access control off entirely (every request acts as an administrator). For local
    /// experiments only; refused on non-loopback addresses.
    pub disabled: bool,
}

/// Limits.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Largest manifest accepted (distribution-spec: registries SHOULD accept at least 4 MiB).
    pub max_manifest_bytes: usize,
    /// Largest blob accepted.
    pub max_blob_bytes: u64,
    /// A request body that sends nothing for this long is cut off (slow-loris).
    pub body_idle_secs: u64,
    /// Time allowed for a client to send request headers.
    pub header_timeout_secs: u64,
    /// Accept manifests whose referenced blobs or child manifests are missing.
    pub allow_missing_refs: bool,
}

/// GC settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GcConfig {
    /// Run GC in the server every this many seconds (0 = only `kura registry gc`).
    pub interval_secs: u64,
    /// Never collect a blob younger than this (covers pushes between blob commit and manifest).
    pub grace_secs: u64,
    /// Uploads idle longer than this are discarded.
    pub upload_expiry_secs: u64,
}

/// Audit settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// Delete entries older than this many days (a checkpoint keeps the chain verifiable).
    pub retention_days: Option<u32>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:5000".into(),
            data: PathBuf::from("./kura-data"),
            insecure_http: false,
            tls: None,
            auth: AuthConfig::default(),
            limits: Limits::default(),
            gc: GcConfig::default(),
            audit: AuditConfig::default(),
        }
    }
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            token: true,
            service: "kura".into(),
            realm: None,
            token_ttl_secs: 300,
            max_failures: 10,
            failure_window_secs: 300,
            lockout_secs: 300,
            disabled: false,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_manifest_bytes: 4 * 1024 * 1024,
            max_blob_bytes: 64 * 1024 * 1024 * 1024,
            body_idle_secs: 60,
            header_timeout_secs: 30,
            allow_missing_refs: false,
        }
    }
}

impl Default for GcConfig {
    fn default() -> Self {
        GcConfig {
            interval_secs: 0,
            grace_secs: 3600,
            upload_expiry_secs: 24 * 3600,
        }
    }
}

/// Config file problems.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Reading the file.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// Parsing (the message names line, column and key).
    #[error("{path}: {source}")]
    Parse {
        /// File.
        path: PathBuf,
        /// Cause.
        #[source]
        source: toml::de::Error,
    },
}

impl Config {
    /// Load a TOML file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = fs_err::read_to_string(path)?;
        Config::parse(&text).map_err(|source| ConfigError::Parse {
            path: path.to_owned(),
            source,
        })
    }

    /// Parse TOML text.
    pub fn parse(text: &str) -> Result<Config, toml::de::Error> {
        toml::from_str(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_rejected_with_their_name() {
        let err = Config::parse("listen = \"x\"\n[auth]\ntoken_tll_secs = 3\n").unwrap_err();
        assert!(err.to_string().contains("token_tll_secs"), "{err}");
        let ok = Config::parse("listen = \"0.0.0.0:5000\"\n[limits]\nmax_manifest_bytes = 10\n")
            .unwrap();
        assert_eq!(ok.limits.max_manifest_bytes, 10);
        assert!(ok.auth.token);
    }
}
