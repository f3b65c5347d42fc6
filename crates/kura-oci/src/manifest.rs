//! Manifests, indexes and image configs: the JSON documents of the OCI image spec
//! (`manifest.md`, `image-index.md`, `config.md`) and their Docker v2 schema 2 twins.
//!
//! Parsing is lenient about unknown fields (the specs require implementations to ignore them)
//! and strict about what we rely on: descriptors must carry a valid digest and a size.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::digest::Digest;
use crate::error::OciError;

/// OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI image index.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// Docker v2 schema 2 manifest.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker v2 manifest list.
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// Docker schema 1 (signed); not supported, named in errors.
pub const DOCKER_SCHEMA1: &str = "application/vnd.docker.distribution.manifest.v1+prettyjws";

/// Default cap for manifests and indexes (the distribution spec lets registries refuse
/// manifests over 4 MiB; we refuse to read larger ones).
pub const DEFAULT_MAX_MANIFEST: u64 = 4 << 20;
/// Default cap for image configs.
pub const DEFAULT_MAX_CONFIG: u64 = 8 << 20;

/// A content descriptor (image-spec `descriptor.md`).
#[derive(Debug, Clone, PartialEq)]
pub struct Descriptor {
    /// Media type of the referenced content.
    pub media_type: String,
    /// Digest of the referenced content.
    pub digest: Digest,
    /// Size in bytes.
    pub size: u64,
    /// Platform, in index entries.
    pub platform: Option<PlatformJson>,
    /// Annotations.
    pub annotations: BTreeMap<String, String>,
}

/// The `platform` object of an index entry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PlatformJson {
    /// Operating system.
    #[serde(default)]
    pub os: String,
    /// Architecture.
    #[serde(default)]
    pub architecture: String,
    /// CPU variant.
    #[serde(default)]
    pub variant: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDescriptor {
    #[serde(default)]
    media_type: String,
    digest: String,
    size: i64,
    #[serde(default)]
    platform: Option<PlatformJson>,
    #[serde(default)]
    annotations: Option<BTreeMap<String, String>>,
}

impl RawDescriptor {
    fn validate(self, context: &str) -> Result<Descriptor, OciError> {
        let digest = Digest::parse(&self.digest, context)?;
        let size = u64::try_from(self.size).map_err(|_| OciError::Malformed {
            what: "descriptor",
            name: self.digest.clone(),
            reason: format!("negative size {} in {context}", self.size),
        })?;
        Ok(Descriptor {
            media_type: self.media_type,
            digest,
            size,
            platform: self.platform,
            annotations: self.annotations.unwrap_or_default(),
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDocument {
    #[serde(default)]
    schema_version: Option<i64>,
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    config: Option<RawDescriptor>,
    #[serde(default)]
    layers: Option<Vec<RawDescriptor>>,
    #[serde(default)]
    manifests: Option<Vec<RawDescriptor>>,
    #[serde(default)]
    annotations: Option<BTreeMap<String, String>>,
}

/// An image manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// The manifest's media type.
    pub media_type: String,
    /// The config descriptor.
    pub config: Descriptor,
    /// Layers, bottom first.
    pub layers: Vec<Descriptor>,
    /// Manifest annotations.
    pub annotations: BTreeMap<String, String>,
}

/// An image index or manifest list.
#[derive(Debug, Clone, PartialEq)]
pub struct Index {
    /// The index's media type.
    pub media_type: String,
    /// Entries.
    pub manifests: Vec<Descriptor>,
    /// Index annotations.
    pub annotations: BTreeMap<String, String>,
}

/// A manifest or an index, as fetched by digest or tag.
#[derive(Debug, Clone, PartialEq)]
pub enum Document {
    /// A single-platform image.
    Manifest(Manifest),
    /// A list of manifests (or nested indexes).
    Index(Index),
}

/// Parse a manifest or index. `hint` is the media type the transport announced (HTTP
/// `Content-Type`, descriptor `mediaType`); the document's own `mediaType` wins when present,
/// and without either the shape decides (`manifests` → index, `layers` → manifest), as the
/// image spec asks of documents that predate the `mediaType` field.
pub fn parse_document(bytes: &[u8], hint: Option<&str>, name: &str) -> Result<Document, OciError> {
    let malformed = |reason: String| OciError::Malformed {
        what: "manifest",
        name: name.to_string(),
        reason,
    };
    let raw: RawDocument = serde_json::from_slice(bytes).map_err(|e| malformed(e.to_string()))?;
    let media_type = raw
        .media_type
        .clone()
        .filter(|m| !m.is_empty())
        .or_else(|| hint.map(|h| h.split(';').next().unwrap_or(h).trim().to_string()))
        .filter(|m| !m.is_empty() && m != "application/json" && m != "application/octet-stream");
    let is_index = match media_type.as_deref() {
        Some(OCI_INDEX | DOCKER_MANIFEST_LIST) => true,
        Some(OCI_MANIFEST | DOCKER_MANIFEST) => false,
        Some(other) if other.starts_with("application/vnd.docker.distribution.manifest.v1") => {
            return Err(OciError::UnsupportedMediaType {
                media_type: other.to_string(),
                name: name.to_string(),
            });
        }
        Some(other) => {
            return Err(OciError::UnsupportedMediaType {
                media_type: other.to_string(),
                name: name.to_string(),
            });
        }
        None => raw.manifests.is_some(),
    };
    if raw.schema_version != Some(2) {
        return Err(malformed(format!(
            "schemaVersion is {:?}, expected 2",
            raw.schema_version
        )));
    }
    let annotations = raw.annotations.unwrap_or_default();
    if is_index {
        let manifests = raw
            .manifests
            .ok_or_else(|| malformed("index without `manifests`".into()))?
            .into_iter()
            .map(|d| d.validate(name))
            .collect::<Result<_, _>>()?;
        Ok(Document::Index(Index {
            media_type: media_type.unwrap_or_else(|| OCI_INDEX.into()),
            manifests,
            annotations,
        }))
    } else {
        let config = raw
            .config
            .ok_or_else(|| malformed("manifest without `config`".into()))?
            .validate(name)?;
        let layers = raw
            .layers
            .ok_or_else(|| malformed("manifest without `layers`".into()))?
            .into_iter()
            .map(|d| d.validate(name))
            .collect::<Result<_, _>>()?;
        Ok(Document::Manifest(Manifest {
            media_type: media_type.unwrap_or_else(|| OCI_MANIFEST.into()),
            config,
            layers,
            annotations,
        }))
    }
}

/// One `history` entry of an image config.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct History {
    /// The command that created the layer (`/bin/sh -c #(nop)  CMD ["sh"]`, `RUN …`).
    #[serde(default)]
    pub created_by: Option<String>,
    /// True when the step produced no layer.
    #[serde(default)]
    pub empty_layer: bool,
    /// Free-form comment (buildkit writes `buildkit.dockerfile.v0`).
    #[serde(default)]
    pub comment: Option<String>,
    /// RFC 3339 creation time.
    #[serde(default)]
    pub created: Option<String>,
}

/// The parts of an image config (image-spec `config.md`) a scan uses; `raw` keeps the rest.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImageConfig {
    /// Operating system.
    pub os: String,
    /// Architecture.
    pub architecture: String,
    /// CPU variant.
    pub variant: Option<String>,
    /// `config.User`.
    pub user: Option<String>,
    /// `config.Env` (`KEY=value`).
    pub env: Vec<String>,
    /// `config.Entrypoint`.
    pub entrypoint: Option<Vec<String>>,
    /// `config.Cmd`.
    pub cmd: Option<Vec<String>>,
    /// `config.ExposedPorts` keys (`80/tcp`), sorted.
    pub exposed_ports: Vec<String>,
    /// `config.Labels`.
    pub labels: BTreeMap<String, String>,
    /// `config.WorkingDir`.
    pub working_dir: Option<String>,
    /// `history`, oldest first.
    pub history: Vec<History>,
    /// `rootfs.diff_ids`, bottom first.
    pub diff_ids: Vec<String>,
    /// The whole config document.
    pub raw: serde_json::Value,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct RawContainerConfig {
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    env: Option<Vec<String>>,
    #[serde(default)]
    entrypoint: Option<Vec<String>>,
    #[serde(default)]
    cmd: Option<Vec<String>>,
    #[serde(default)]
    exposed_ports: Option<BTreeMap<String, serde::de::IgnoredAny>>,
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    working_dir: Option<String>,
}

#[derive(Deserialize)]
struct RawRootfs {
    #[serde(default)]
    diff_ids: Vec<String>,
}

#[derive(Deserialize)]
struct RawConfig {
    #[serde(default)]
    os: String,
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    variant: Option<String>,
    #[serde(default)]
    config: Option<RawContainerConfig>,
    rootfs: RawRootfs,
    #[serde(default)]
    history: Option<Vec<History>>,
}

/// Parse an image config; `name` (digest or file) is used in errors. diff_ids are validated.
pub fn parse_config(bytes: &[u8], name: &str) -> Result<ImageConfig, OciError> {
    let malformed = |reason: String| OciError::Malformed {
        what: "config",
        name: name.to_string(),
        reason,
    };
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| malformed(e.to_string()))?;
    let raw: RawConfig =
        serde_json::from_value(value.clone()).map_err(|e| malformed(e.to_string()))?;
    for d in &raw.rootfs.diff_ids {
        Digest::parse(d, &format!("rootfs.diff_ids of config {name}"))?;
    }
    let c = raw.config.unwrap_or_default();
    let non_empty = |s: Option<String>| s.filter(|s| !s.is_empty());
    Ok(ImageConfig {
        os: raw.os,
        architecture: raw.architecture,
        variant: non_empty(raw.variant),
        user: non_empty(c.user),
        env: c.env.unwrap_or_default(),
        entrypoint: c.entrypoint,
        cmd: c.cmd,
        exposed_ports: c
            .exposed_ports
            .map(|m| m.into_keys().collect())
            .unwrap_or_default(),
        labels: c.labels.unwrap_or_default(),
        working_dir: non_empty(c.working_dir),
        history: raw.history.unwrap_or_default(),
        diff_ids: raw.rootfs.diff_ids,
        raw: value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    #[test]
    fn documents_are_classified_by_media_type_then_shape() {
        let manifest = format!(
            r#"{{"schemaVersion":2,"config":{{"mediaType":"x","digest":"{D}","size":1}},"layers":[]}}"#
        );
        let index = format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"{OCI_MANIFEST}","digest":"{D}","size":2}}]}}"#
        );
        assert!(matches!(
            parse_document(manifest.as_bytes(), None, "m"),
            Ok(Document::Manifest(_))
        ));
        assert!(matches!(
            parse_document(index.as_bytes(), None, "i"),
            Ok(Document::Index(_))
        ));
        assert!(matches!(
            parse_document(index.as_bytes(), Some(DOCKER_MANIFEST_LIST), "i"),
            Ok(Document::Index(_))
        ));
        assert!(matches!(
            parse_document(br#"{"schemaVersion":1}"#, Some(DOCKER_SCHEMA1), "s1"),
            Err(OciError::UnsupportedMediaType { .. })
        ));
    }

    #[test]
    fn malformed_documents_name_the_problem() {
        let cases: Vec<(String, &str)> = vec![
            ("not json".into(), "expected"),
            (
                r#"{"schemaVersion":3,"manifests":[]}"#.to_string(),
                "schemaVersion",
            ),
            (
                r#"{"schemaVersion":2,"layers":[]}"#.to_string(),
                "without `config`",
            ),
            (
                format!(
                    r#"{{"schemaVersion":2,"config":{{"digest":"{D}","size":-1}},"layers":[]}}"#
                ),
                "negative size",
            ),
            (
                r#"{"schemaVersion":2,"config":{"digest":"sha256:zz","size":1},"layers":[]}"#
                    .into(),
                "invalid digest",
            ),
        ];
        for (doc, needle) in cases {
            let e = parse_document(doc.as_bytes(), None, "doc")
                .unwrap_err()
                .to_string();
            assert!(e.contains(needle), "{doc}: {e}");
        }
    }

    #[test]
    fn config_fields_are_extracted() {
        let cfg = format!(
            r#"{{"os":"linux","architecture":"arm64","variant":"v8","config":{{"User":"app","Env":["A=1"],"Cmd":["sh"],"ExposedPorts":{{"80/tcp":{{}}}},"Labels":{{"k":"v"}},"WorkingDir":"/w"}},"rootfs":{{"type":"layers","diff_ids":["{D}"]}},"history":[{{"created_by":"RUN x","empty_layer":false}}]}}"#
        );
        let c = parse_config(cfg.as_bytes(), "c").unwrap();
        assert_eq!(
            (c.os.as_str(), c.architecture.as_str(), c.variant.as_deref()),
            ("linux", "arm64", Some("v8"))
        );
        assert_eq!(c.user.as_deref(), Some("app"));
        assert_eq!(c.exposed_ports, vec!["80/tcp"]);
        assert_eq!(c.labels.get("k").map(String::as_str), Some("v"));
        assert_eq!(c.diff_ids, vec![D]);
        assert_eq!(c.history.len(), 1);
        assert!(parse_config(br#"{"rootfs":{"diff_ids":["nope"]}}"#, "c").is_err());
        assert!(
            parse_config(br#"{"os":"linux"}"#, "c").is_err(),
            "rootfs is required"
        );
    }
}
