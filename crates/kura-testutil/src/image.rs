//! Builders for test container images: an OCI image layout directory, an OCI archive tarball and
//! a `docker save` archive (legacy layout and the OCI-in-docker-archive layout of Docker ≥ 25).
//!
//! ```no_run
//! use kura_testutil::image::{Compression, ImageBuilder};
//! use kura_testutil::tar_bytes;
//!
//! let img = ImageBuilder::new()
//!     .layer(tar_bytes(&[("etc/os-release", b"ID=alpine\n", 0o644)]), Compression::Gzip, "ADD rootfs.tar /")
//!     .empty_history("CMD [\"/bin/sh\"]")
//!     .build();
//! let dir = tempfile::tempdir().unwrap();
//! img.write_oci_layout(dir.path());
//! ```
//!
//! Everything is deterministic (tar and gzip timestamps are zero), so digests are stable across runs.
//! Fields of [`BuiltImage`] are public: tests that need a broken image build a good one, then
//! corrupt the bytes they care about.

use std::io::Write;
use std::path::Path;

use serde_json::{Map, Value, json};

use crate::sha256_digest;

/// OCI image manifest media type (image-spec `manifest.md`).
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI image index media type (image-spec `image-index.md`).
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// OCI image config media type.
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// Docker image manifest v2 schema 2.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker manifest list (multi-platform).
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// Docker image config.
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";

/// How a layer blob is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Plain tar.
    None,
    /// gzip (RFC 1952).
    Gzip,
    /// zstd (RFC 8878).
    Zstd,
}

/// Which family of media types the manifest and its descriptors use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaTypes {
    /// `application/vnd.oci.image.*`.
    Oci,
    /// Docker v2 schema 2 (`application/vnd.docker.*`). Zstd layers keep the OCI zstd type, as
    /// Docker has none of its own.
    Docker,
}

/// Which `docker save` layout to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DockerArchiveFormat {
    /// Docker < 25: `manifest.json`, `<hex>.json` config, `<id>/layer.tar`, `repositories`.
    Legacy,
    /// Docker ≥ 25: an OCI image layout plus `manifest.json` pointing into `blobs/sha256/`.
    OciLayout,
}

/// Compress bytes with gzip (mtime 0, so the output is deterministic).
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).expect("gzip write");
    e.finish().expect("gzip finish")
}

/// Compress bytes with zstd.
pub fn zstd(data: &[u8]) -> Vec<u8> {
    zstd::encode_all(data, 3).expect("zstd encode")
}

/// Hex part of a `sha256:…` digest.
pub fn digest_hex(digest: &str) -> &str {
    digest.strip_prefix("sha256:").unwrap_or(digest)
}

#[derive(Debug, Clone)]
struct PendingLayer {
    tar: Vec<u8>,
    compression: Compression,
}

#[derive(Debug, Clone)]
struct PendingHistory {
    created_by: String,
    empty_layer: bool,
}

/// Builds one single-platform image. Call [`ImageBuilder::build`] to get its blobs.
#[derive(Debug, Clone)]
pub struct ImageBuilder {
    layers: Vec<PendingLayer>,
    history: Vec<PendingHistory>,
    os: String,
    arch: String,
    variant: Option<String>,
    media_types: MediaTypes,
    container_config: Map<String, Value>,
    annotations: Vec<(String, String)>,
    repo_tags: Vec<String>,
}

impl Default for ImageBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ImageBuilder {
    /// A linux/amd64 image with OCI media types and no layers.
    pub fn new() -> Self {
        Self {
            layers: Vec::new(),
            history: Vec::new(),
            os: "linux".into(),
            arch: "amd64".into(),
            variant: None,
            media_types: MediaTypes::Oci,
            container_config: Map::new(),
            annotations: Vec::new(),
            repo_tags: Vec::new(),
        }
    }

    /// Append a layer (an uncompressed tar, e.g. from [`crate::tar_bytes`]) with its history entry.
    pub fn layer(mut self, tar: Vec<u8>, compression: Compression, created_by: &str) -> Self {
        self.layers.push(PendingLayer { tar, compression });
        self.history.push(PendingHistory {
            created_by: created_by.into(),
            empty_layer: false,
        });
        self
    }

    /// Append a metadata-only history entry (`empty_layer: true`), such as `CMD` or `ENV`.
    pub fn empty_history(mut self, created_by: &str) -> Self {
        self.history.push(PendingHistory {
            created_by: created_by.into(),
            empty_layer: true,
        });
        self
    }

    /// Set the platform (`os`, `architecture`, `variant`) recorded in the config.
    pub fn platform(mut self, os: &str, arch: &str, variant: Option<&str>) -> Self {
        self.os = os.into();
        self.arch = arch.into();
        self.variant = variant.map(Into::into);
        self
    }

    /// Choose OCI or Docker v2 schema 2 media types.
    pub fn media_types(mut self, m: MediaTypes) -> Self {
        self.media_types = m;
        self
    }

    /// Set a key of the config's `config` object (`Env`, `Cmd`, `User`, `Labels`…).
    pub fn config_field(mut self, key: &str, value: Value) -> Self {
        self.container_config.insert(key.into(), value);
        self
    }

    /// Add a manifest annotation (e.g. `org.opencontainers.image.base.name`).
    pub fn annotation(mut self, key: &str, value: &str) -> Self {
        self.annotations.push((key.into(), value.into()));
        self
    }

    /// Add a repo tag (`name:tag`), written into docker archives and OCI layout annotations.
    pub fn repo_tag(mut self, tag: &str) -> Self {
        self.repo_tags.push(tag.into());
        self
    }

    fn layer_media_type(&self, c: Compression) -> &'static str {
        match (self.media_types, c) {
            (MediaTypes::Oci, Compression::None) => "application/vnd.oci.image.layer.v1.tar",
            (MediaTypes::Oci, Compression::Gzip) => "application/vnd.oci.image.layer.v1.tar+gzip",
            (_, Compression::Zstd) => "application/vnd.oci.image.layer.v1.tar+zstd",
            (MediaTypes::Docker, Compression::Gzip) => {
                "application/vnd.docker.image.rootfs.diff.tar.gzip"
            }
            // Docker's own type for an uncompressed layer.
            (MediaTypes::Docker, Compression::None) => {
                "application/vnd.docker.image.rootfs.diff.tar"
            }
        }
    }

    /// Compress the layers and produce config and manifest bytes.
    pub fn build(self) -> BuiltImage {
        let layers: Vec<BuiltLayer> = self
            .layers
            .iter()
            .map(|l| {
                let blob = match l.compression {
                    Compression::None => l.tar.clone(),
                    Compression::Gzip => gzip(&l.tar),
                    Compression::Zstd => zstd(&l.tar),
                };
                BuiltLayer {
                    digest: sha256_digest(&blob),
                    diff_id: sha256_digest(&l.tar),
                    media_type: self.layer_media_type(l.compression).into(),
                    tar: l.tar.clone(),
                    blob,
                }
            })
            .collect();
        let history: Vec<Value> = self
            .history
            .iter()
            .map(|h| {
                let mut e = json!({"created": "1970-01-01T00:00:00Z", "created_by": h.created_by});
                if h.empty_layer {
                    e["empty_layer"] = json!(true);
                }
                e
            })
            .collect();
        let mut config = json!({
            "architecture": self.arch,
            "os": self.os,
            "created": "1970-01-01T00:00:00Z",
            "config": Value::Object(self.container_config.clone()),
            "rootfs": {"type": "layers", "diff_ids": layers.iter().map(|l| l.diff_id.clone()).collect::<Vec<_>>()},
            "history": history,
        });
        if let Some(v) = &self.variant {
            config["variant"] = json!(v);
        }
        let config = serde_json::to_vec(&config).expect("config json");
        let (manifest_type, config_type) = match self.media_types {
            MediaTypes::Oci => (OCI_MANIFEST, OCI_CONFIG),
            MediaTypes::Docker => (DOCKER_MANIFEST, DOCKER_CONFIG),
        };
        let mut manifest = json!({
            "schemaVersion": 2,
            "mediaType": manifest_type,
            "config": {"mediaType": config_type, "digest": sha256_digest(&config), "size": config.len()},
            "layers": layers.iter().map(|l| json!({"mediaType": l.media_type, "digest": l.digest, "size": l.blob.len()})).collect::<Vec<_>>(),
        });
        if !self.annotations.is_empty() {
            let a: Map<String, Value> = self
                .annotations
                .iter()
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect();
            manifest["annotations"] = Value::Object(a);
        }
        let manifest = serde_json::to_vec(&manifest).expect("manifest json");
        BuiltImage {
            config_digest: sha256_digest(&config),
            manifest_digest: sha256_digest(&manifest),
            manifest_media_type: manifest_type.into(),
            config,
            manifest,
            layers,
            os: self.os,
            arch: self.arch,
            variant: self.variant,
            repo_tags: self.repo_tags,
        }
    }
}

/// One layer of a built image.
#[derive(Debug, Clone)]
pub struct BuiltLayer {
    /// The stored (possibly compressed) blob.
    pub blob: Vec<u8>,
    /// The uncompressed tar.
    pub tar: Vec<u8>,
    /// Digest of `blob`.
    pub digest: String,
    /// Digest of `tar` (the config's `rootfs.diff_ids` entry).
    pub diff_id: String,
    /// Media type written in the manifest.
    pub media_type: String,
}

/// A built image: config, manifest and layer blobs, ready to be written in any layout.
#[derive(Debug, Clone)]
pub struct BuiltImage {
    /// Config JSON bytes.
    pub config: Vec<u8>,
    /// Digest of `config` (the image ID).
    pub config_digest: String,
    /// Manifest JSON bytes.
    pub manifest: Vec<u8>,
    /// Digest of `manifest`.
    pub manifest_digest: String,
    /// Media type of `manifest`.
    pub manifest_media_type: String,
    /// Layers, bottom first.
    pub layers: Vec<BuiltLayer>,
    /// Platform OS.
    pub os: String,
    /// Platform architecture.
    pub arch: String,
    /// Platform variant.
    pub variant: Option<String>,
    /// Repo tags (`name:tag`).
    pub repo_tags: Vec<String>,
}

impl BuiltImage {
    /// Every blob of the image (config, layers, manifest) as `(digest, bytes)`.
    pub fn blobs(&self) -> Vec<(String, Vec<u8>)> {
        let mut v = vec![(self.config_digest.clone(), self.config.clone())];
        v.extend(
            self.layers
                .iter()
                .map(|l| (l.digest.clone(), l.blob.clone())),
        );
        v.push((self.manifest_digest.clone(), self.manifest.clone()));
        v
    }

    /// A descriptor of the manifest with its platform, as an index lists it.
    pub fn manifest_descriptor(&self) -> Value {
        let mut platform = json!({"os": self.os, "architecture": self.arch});
        if let Some(v) = &self.variant {
            platform["variant"] = json!(v);
        }
        let mut d = json!({
            "mediaType": self.manifest_media_type,
            "digest": self.manifest_digest,
            "size": self.manifest.len(),
            "platform": platform,
        });
        if let Some(tag) = self.repo_tags.first() {
            d["annotations"] = json!({"org.opencontainers.image.ref.name": tag});
        }
        d
    }

    /// Write an OCI image layout with this single image in `index.json`.
    pub fn write_oci_layout(&self, dir: &Path) {
        write_oci_layout(dir, std::slice::from_ref(self), None);
    }

    /// The OCI image layout as `(path, bytes)` files, sorted by path.
    pub fn oci_layout_files(&self) -> Vec<(String, Vec<u8>)> {
        oci_layout_files(std::slice::from_ref(self), None)
    }

    /// An OCI archive: the OCI image layout as a tar.
    pub fn oci_archive(&self) -> Vec<u8> {
        files_tar(&self.oci_layout_files())
    }

    /// A `docker save` tarball in the given format.
    pub fn docker_archive(&self, format: DockerArchiveFormat) -> Vec<u8> {
        files_tar(&self.docker_archive_files(format))
    }

    /// The members of a `docker save` tarball as `(path, bytes)`.
    pub fn docker_archive_files(&self, format: DockerArchiveFormat) -> Vec<(String, Vec<u8>)> {
        match format {
            DockerArchiveFormat::Legacy => self.docker_legacy_files(),
            DockerArchiveFormat::OciLayout => {
                let mut files = self.oci_layout_files();
                let entry = json!([{
                    "Config": format!("blobs/sha256/{}", digest_hex(&self.config_digest)),
                    "RepoTags": self.repo_tags,
                    "Layers": self.layers.iter().map(|l| format!("blobs/sha256/{}", digest_hex(&l.digest))).collect::<Vec<_>>(),
                }]);
                files.push((
                    "manifest.json".into(),
                    serde_json::to_vec(&entry).expect("json"),
                ));
                files.sort();
                files
            }
        }
    }

    fn docker_legacy_files(&self) -> Vec<(String, Vec<u8>)> {
        let mut files = Vec::new();
        let config_name = format!("{}.json", digest_hex(&self.config_digest));
        files.push((config_name.clone(), self.config.clone()));
        let mut layer_paths = Vec::new();
        let mut parent: Option<String> = None;
        for l in &self.layers {
            // Legacy layer directories are named by a v1 ID; any unique hex string works.
            let id = hex::encode(sha2_of(
                format!("{}{}", parent.as_deref().unwrap_or(""), l.diff_id).as_bytes(),
            ));
            let path = format!("{id}/layer.tar");
            files.push((path.clone(), l.blob.clone()));
            files.push((format!("{id}/VERSION"), b"1.0".to_vec()));
            let mut v1 = json!({"id": id});
            if let Some(p) = &parent {
                v1["parent"] = json!(p);
            }
            files.push((format!("{id}/json"), serde_json::to_vec(&v1).expect("json")));
            layer_paths.push(path);
            parent = Some(id);
        }
        let manifest =
            json!([{"Config": config_name, "RepoTags": self.repo_tags, "Layers": layer_paths}]);
        files.push((
            "manifest.json".into(),
            serde_json::to_vec(&manifest).expect("json"),
        ));
        if let (Some(top), Some(tag)) = (&parent, self.repo_tags.first())
            && let Some((repo, t)) = tag.rsplit_once(':')
        {
            let repos = json!({repo: {t: top}});
            files.push((
                "repositories".into(),
                serde_json::to_vec(&repos).expect("json"),
            ));
        }
        files
    }
}

fn sha2_of(data: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(data).to_vec()
}

/// The files of an OCI image layout holding `images`, listed in `index.json`, or with
/// `nested_index: Some(media_type)` in a nested index blob of that media type that `index.json`
/// points to (the shape of multi-platform layouts written by buildx).
pub fn oci_layout_files(
    images: &[BuiltImage],
    nested_index: Option<&str>,
) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = vec![(
        "oci-layout".into(),
        br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
    )];
    for img in images {
        for (d, b) in img.blobs() {
            files.push((format!("blobs/sha256/{}", digest_hex(&d)), b));
        }
    }
    let manifests: Vec<Value> = images.iter().map(BuiltImage::manifest_descriptor).collect();
    let index = match nested_index {
        None => json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}),
        Some(media_type) => {
            let inner = serde_json::to_vec(
                &json!({"schemaVersion": 2, "mediaType": media_type, "manifests": manifests}),
            )
            .expect("json");
            let d = sha256_digest(&inner);
            files.push((format!("blobs/sha256/{}", digest_hex(&d)), inner.clone()));
            json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
                {"mediaType": media_type, "digest": d, "size": inner.len()}
            ]})
        }
    };
    files.push((
        "index.json".into(),
        serde_json::to_vec(&index).expect("json"),
    ));
    files.sort();
    files.dedup_by(|a, b| a.0 == b.0);
    files
}

/// Write an OCI image layout holding `images` into `dir` (see [`oci_layout_files`]).
pub fn write_oci_layout(dir: &Path, images: &[BuiltImage], nested_index: Option<&str>) {
    write_files(dir, &oci_layout_files(images, nested_index));
}

/// Write `(relative path, bytes)` files under `dir`, creating parents.
pub fn write_files(dir: &Path, files: &[(String, Vec<u8>)]) {
    for (p, b) in files {
        let path = dir.join(p);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create dir");
        }
        std::fs::write(&path, b).expect("write file");
    }
}

/// A tar holding `(path, bytes)` files (mode 0644, mtime 0). Paths are written verbatim, so tests
/// can include hostile names such as `../x`.
pub fn files_tar(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(0);
        // Write the name raw: `append_data` refuses `..`, and tests need to produce it.
        let name = path.as_bytes();
        if name.len() <= 100 {
            let gnu = h.as_gnu_mut().expect("gnu header");
            gnu.name = [0; 100];
            gnu.name[..name.len()].copy_from_slice(name);
            h.set_cksum();
            b.append(&h, data.as_slice()).expect("tar append");
        } else {
            b.append_data(&mut h, path, data.as_slice())
                .expect("tar append");
        }
    }
    b.into_inner().expect("tar finish")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tar_bytes;

    fn sample() -> BuiltImage {
        ImageBuilder::new()
            .layer(
                tar_bytes(&[("a", b"1", 0o644)]),
                Compression::Gzip,
                "ADD a /",
            )
            .empty_history("CMD [\"sh\"]")
            .layer(tar_bytes(&[("b", b"2", 0o644)]), Compression::Zstd, "RUN b")
            .repo_tag("example/app:1")
            .build()
    }

    #[test]
    fn manifest_descriptors_match_blob_bytes() {
        let img = sample();
        let m: Value = serde_json::from_slice(&img.manifest).unwrap();
        assert_eq!(m["config"]["digest"], json!(sha256_digest(&img.config)));
        for (d, l) in m["layers"].as_array().unwrap().iter().zip(&img.layers) {
            assert_eq!(d["digest"], json!(sha256_digest(&l.blob)));
            assert_eq!(d["size"], json!(l.blob.len()));
            assert_ne!(
                l.digest, l.diff_id,
                "compressed layers differ from their tar"
            );
        }
        let c: Value = serde_json::from_slice(&img.config).unwrap();
        assert_eq!(
            c["rootfs"]["diff_ids"][1],
            json!(sha256_digest(&img.layers[1].tar))
        );
        assert_eq!(c["history"].as_array().unwrap().len(), 3);
    }

    #[test]
    fn builds_are_deterministic() {
        assert_eq!(sample().manifest_digest, sample().manifest_digest);
    }

    #[test]
    fn archives_hold_expected_members() {
        let img = sample();
        let names = |b: Vec<u8>| -> Vec<String> {
            tar::Archive::new(b.as_slice())
                .entries()
                .unwrap()
                .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
                .collect()
        };
        let legacy = names(img.docker_archive(DockerArchiveFormat::Legacy));
        assert!(legacy.contains(&"manifest.json".to_string()));
        assert!(legacy.iter().filter(|n| n.ends_with("/layer.tar")).count() == 2);
        let oci = names(img.oci_archive());
        assert!(oci.contains(&"index.json".to_string()));
        assert!(oci.contains(&format!(
            "blobs/sha256/{}",
            digest_hex(&img.manifest_digest)
        )));
        let hostile = names(files_tar(&[("../evil".into(), b"x".to_vec())]));
        assert_eq!(hostile, vec!["../evil".to_string()]);
    }
}
