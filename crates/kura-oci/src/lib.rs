//! Image sources for `kura scan image REF` and `kura sbom REF`: `docker save` archives (legacy
//! and OCI-in-docker layouts, plain or gzipped), OCI image layout directories, OCI archives,
//! and registries over the OCI Distribution API.
//!
//! Every blob is checked against its digest and size, and every layer's uncompressed stream
//! against its `diff_id`, so a scan never reports on content other than the image named.
//!
//! ```no_run
//! use std::io::Read;
//! let image = kura_oci::open("alpine:3.19", &kura_oci::OpenOptions::default())?;
//! for layer in &image.layers {
//!     let mut tar = image.open_layer(layer.index)?;
//!     std::io::copy(&mut tar, &mut std::io::sink())?;
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod archive;
mod auth;
pub mod digest;
mod error;
#[doc(hidden)]
pub mod fuzz;
mod image;
pub mod manifest;
mod platform;
pub mod reference;
mod registry;
mod sources;
mod store;

use std::path::{Path, PathBuf};
use std::str::FromStr;

pub use digest::Digest;
pub use error::OciError;
pub use image::{Image, Layer, base_layer_count};
pub use manifest::{History, ImageConfig};
pub use platform::Platform;

/// The kind of an image source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceKind {
    /// `docker save` tarball.
    DockerArchive,
    /// OCI image layout directory.
    OciLayout,
    /// OCI image layout in a tarball.
    OciArchive,
    /// OCI Distribution API registry.
    Registry,
}

impl SourceKind {
    /// The name used on the command line and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::DockerArchive => "docker-archive",
            SourceKind::OciLayout => "oci-layout",
            SourceKind::OciArchive => "oci-archive",
            SourceKind::Registry => "registry",
        }
    }
}

impl std::fmt::Display for SourceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SourceKind {
    type Err = OciError;
    fn from_str(s: &str) -> Result<Self, OciError> {
        match s {
            "docker-archive" => Ok(SourceKind::DockerArchive),
            "oci-layout" | "oci" => Ok(SourceKind::OciLayout),
            "oci-archive" => Ok(SourceKind::OciArchive),
            "registry" | "docker" => Ok(SourceKind::Registry),
            other => Err(OciError::InvalidSourceKind(other.to_string())),
        }
    }
}

/// How to open an image. `Debug` redacts the password.
#[derive(Clone)]
pub struct OpenOptions {
    /// Force a source kind instead of detecting it.
    pub kind: Option<SourceKind>,
    /// Platform to choose from an index; `None` means the host's.
    pub platform: Option<Platform>,
    /// Allow plain HTTP to loopback registries and unverified TLS certificates elsewhere.
    pub insecure: bool,
    /// Registry user name (overrides the docker config).
    pub username: Option<String>,
    /// Registry password or token (overrides the docker config).
    pub password: Option<String>,
    /// Path of a docker `config.json`; default `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`.
    pub docker_config: Option<PathBuf>,
    /// Largest manifest or index accepted, in bytes.
    pub max_manifest_size: u64,
    /// Largest image config accepted, in bytes.
    pub max_config_size: u64,
}

impl std::fmt::Debug for OpenOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenOptions")
            .field("kind", &self.kind)
            .field("platform", &self.platform)
            .field("insecure", &self.insecure)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("docker_config", &self.docker_config)
            .field("max_manifest_size", &self.max_manifest_size)
            .field("max_config_size", &self.max_config_size)
            .finish()
    }
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            kind: None,
            platform: None,
            insecure: false,
            username: None,
            password: None,
            docker_config: None,
            max_manifest_size: manifest::DEFAULT_MAX_MANIFEST,
            max_config_size: manifest::DEFAULT_MAX_CONFIG,
        }
    }
}

/// Transport prefixes accepted before a reference, as skopeo and Syft spell them.
const PREFIXES: &[(&str, SourceKind)] = &[
    ("docker-archive:", SourceKind::DockerArchive),
    ("oci-archive:", SourceKind::OciArchive),
    ("oci-layout:", SourceKind::OciLayout),
    ("oci:", SourceKind::OciLayout),
    ("registry:", SourceKind::Registry),
    ("docker://", SourceKind::Registry),
];

fn strip_prefix(reference: &str) -> (Option<SourceKind>, &str) {
    for (p, k) in PREFIXES {
        if let Some(rest) = reference.strip_prefix(p) {
            return (Some(*k), rest);
        }
    }
    (None, reference)
}

/// A local path, plus the `:tag` suffix when the reference is `path:tag` and only `path` exists
/// (the tag may itself hold colons: `./all.tar:app:1.0`). The suffix form needs a path that
/// looks like one (a `/` or a `.` in it), so `alpine:3.19` stays a registry reference even
/// beside a directory called `alpine`.
fn local_path(reference: &str) -> Option<(PathBuf, Option<String>)> {
    let p = Path::new(reference);
    if p.exists() {
        return Some((p.to_path_buf(), None));
    }
    reference.match_indices(':').find_map(|(i, _)| {
        let path = reference.get(..i)?;
        let tag = reference.get(i + 1..)?;
        let looks_like_path = path.contains('/') || path.contains('.');
        (looks_like_path && !tag.is_empty() && Path::new(path).exists())
            .then(|| (PathBuf::from(path), Some(tag.to_string())))
    })
}

/// Sniff a file: a tar holding `manifest.json` is a docker archive, one holding only
/// `index.json` an OCI archive. Plain tars are indexed cheaply by seeking; a gzipped one would
/// have to be decompressed in full, so it counts as a docker archive here (the common
/// `docker save | gzip` case) and [`open`] opens whichever layout it holds.
fn sniff_file(path: &Path) -> SourceKind {
    let mut magic = [0u8; 2];
    let is_gz = fs_err::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
        .is_ok()
        && archive::is_gzip(&magic);
    if is_gz {
        return SourceKind::DockerArchive;
    }
    match archive::ArchiveIndex::open(path) {
        Ok(idx) if !idx.contains("manifest.json") && idx.contains("index.json") => {
            SourceKind::OciArchive
        }
        _ => SourceKind::DockerArchive,
    }
}

/// What kind of source `reference` names: an existing directory is an OCI layout, an existing
/// file an archive (sniffed), anything else a registry reference. Transport prefixes
/// (`docker-archive:`, `oci-archive:`, `oci:`, `oci-layout:`, `registry:`, `docker://`) decide outright.
pub fn detect(reference: &str) -> SourceKind {
    let (forced, rest) = strip_prefix(reference);
    if let Some(k) = forced {
        return k;
    }
    match local_path(rest) {
        Some((p, _)) if p.is_dir() => SourceKind::OciLayout,
        Some((p, _)) => sniff_file(&p),
        None => SourceKind::Registry,
    }
}

/// Whether a reference can only be meant as a file path.
fn looks_like_path(r: &str) -> bool {
    r.starts_with(['.', '/', '~'])
        || [".tar", ".tar.gz", ".tgz"]
            .iter()
            .any(|ext| r.ends_with(ext))
}

/// Open an image. `reference` is a path (optionally `path:tag`), a registry reference, or
/// either with a transport prefix; `opts.kind` overrides detection.
pub fn open(reference: &str, opts: &OpenOptions) -> Result<Image, OciError> {
    let (forced, rest) = strip_prefix(reference);
    let explicit = opts.kind.or(forced);
    let kind = explicit.unwrap_or_else(|| detect(rest));
    // A missing file would otherwise be reported as a malformed registry reference.
    if kind == SourceKind::Registry && (explicit.is_some() || !looks_like_path(rest)) {
        return registry::open(rest, reference, opts);
    }
    let (path, tag) = local_path(rest).ok_or_else(|| {
        OciError::io(
            rest,
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or directory"),
        )
    })?;
    match kind {
        SourceKind::OciLayout => sources::open_layout_dir(&path, tag.as_deref(), reference, opts),
        SourceKind::OciArchive | SourceKind::DockerArchive => {
            sources::open_archive(&path, tag.as_deref(), Some(kind), reference, opts)
        }
        SourceKind::Registry => registry::open(rest, reference, opts),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_kinds_round_trip() {
        for k in [
            SourceKind::DockerArchive,
            SourceKind::OciLayout,
            SourceKind::OciArchive,
            SourceKind::Registry,
        ] {
            assert_eq!(k.as_str().parse::<SourceKind>().unwrap(), k);
        }
        assert!("tarball".parse::<SourceKind>().is_err());
    }

    #[test]
    fn open_options_debug_redacts_the_password() {
        let o = OpenOptions {
            password: Some("hunter2".into()),
            ..Default::default()
        };
        let s = format!("{o:?}");
        assert!(!s.contains("hunter2") && s.contains("<redacted>"), "{s}");
    }

    #[test]
    fn missing_files_are_reported_as_missing_not_as_bad_references() {
        for r in ["./nope.tar", "/nonexistent/dir", "image.tar.gz"] {
            assert!(
                matches!(open(r, &OpenOptions::default()), Err(OciError::Io { .. })),
                "{r}"
            );
        }
    }

    #[test]
    fn image_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Image>();
    }

    #[test]
    fn prefixes_force_the_kind() {
        let cases = [
            ("docker-archive:x.tar", SourceKind::DockerArchive),
            ("oci-archive:x.tar", SourceKind::OciArchive),
            ("oci:./dir", SourceKind::OciLayout),
            ("docker://alpine", SourceKind::Registry),
            ("alpine:3.19", SourceKind::Registry),
        ];
        for (r, k) in cases {
            assert_eq!(detect(r), k, "{r}");
        }
    }
}
