//! Typed errors of image sources. Every variant names the blob, file or reference at fault.

use std::path::PathBuf;

/// Why an image could not be opened or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OciError {
    /// A file or directory of a local source could not be read.
    #[error("cannot read {path}")]
    Io {
        /// The file at fault.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The reference names neither a local source nor a valid registry reference.
    #[error("invalid image reference `{reference}`: {reason}")]
    InvalidReference {
        /// What the user passed.
        reference: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A digest string is not `algorithm:hex` with a supported algorithm.
    #[error("invalid digest `{digest}` in {context}")]
    InvalidDigest {
        /// The digest as found.
        digest: String,
        /// Where it was found.
        context: String,
    },
    /// A platform string is not `os/arch[/variant]`.
    #[error("invalid platform `{0}`: expected os/arch[/variant]")]
    InvalidPlatform(String),
    /// A source kind name is unknown.
    #[error(
        "unknown source kind `{0}`: expected docker-archive, oci-layout, oci-archive or registry"
    )]
    InvalidSourceKind(String),
    /// A manifest, index or config is larger than the configured cap.
    #[error("{what} {name} is larger than the {limit}-byte limit")]
    TooLarge {
        /// `manifest`, `index` or `config`.
        what: &'static str,
        /// Digest or file name.
        name: String,
        /// The cap in bytes.
        limit: u64,
    },
    /// A manifest, index, config or archive index file is not valid JSON of the expected shape.
    #[error("malformed {what} {name}: {reason}")]
    Malformed {
        /// `manifest`, `index`, `config`, `manifest.json`…
        what: &'static str,
        /// Digest or file name.
        name: String,
        /// The parser's message.
        reason: String,
    },
    /// A manifest media type this crate does not read (e.g. Docker schema 1).
    #[error("unsupported media type `{media_type}` for {name}")]
    UnsupportedMediaType {
        /// The media type.
        media_type: String,
        /// Digest or reference.
        name: String,
    },
    /// A blob referenced by a manifest or index is absent from the source.
    #[error("blob {digest} is missing from {source_name}")]
    MissingBlob {
        /// The referenced digest or member path.
        digest: String,
        /// The archive, directory or registry.
        source_name: String,
    },
    /// A blob's bytes do not hash to its digest, or its length differs from the descriptor.
    #[error("blob {digest}: {detail}")]
    BlobMismatch {
        /// The expected digest.
        digest: String,
        /// Expected versus actual.
        detail: String,
    },
    /// A blob could not be read to the end (transport or file error).
    #[error("cannot read blob {digest}")]
    BlobRead {
        /// The blob's digest or member path.
        digest: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// An archive member name is absolute or climbs out of the archive with `..`.
    #[error("archive {archive}: unsafe member name `{member}`")]
    UnsafeMemberName {
        /// The archive.
        archive: PathBuf,
        /// The offending name.
        member: String,
    },
    /// An archive is truncated or its tar/gzip structure is corrupt.
    #[error("archive {archive} is corrupt: {reason}")]
    CorruptArchive {
        /// The archive.
        archive: PathBuf,
        /// What broke, naming the member when known.
        reason: String,
    },
    /// No manifest in the index matches the requested platform.
    #[error("no image for platform {wanted} in {name}; available: {available}")]
    PlatformNotFound {
        /// The requested platform.
        wanted: String,
        /// The index.
        name: String,
        /// Platforms the index offers.
        available: String,
    },
    /// The source holds no image at all, or several where one was expected.
    #[error("{name}: {reason}")]
    NoImage {
        /// The source.
        name: String,
        /// Why no single image could be chosen.
        reason: String,
    },
    /// A layer index outside `0..layers.len()`.
    #[error("layer {index} does not exist (image has {count} layers)")]
    NoSuchLayer {
        /// The requested index.
        index: usize,
        /// How many layers there are.
        count: usize,
    },
    /// The manifest's layer count differs from the config's `rootfs.diff_ids`.
    #[error("manifest {name} lists {layers} layers but the config has {diff_ids} diff_ids")]
    LayerCountMismatch {
        /// Manifest digest or file.
        name: String,
        /// Layers in the manifest.
        layers: usize,
        /// diff_ids in the config.
        diff_ids: usize,
    },
    /// An HTTP request to a registry failed.
    #[error("registry request {url} failed: {reason}")]
    Http {
        /// The URL (never with credentials).
        url: String,
        /// Status or transport error.
        reason: String,
    },
    /// The registry refused the credentials, or the token flow failed.
    #[error("authentication to {registry} failed: {reason}")]
    Auth {
        /// Registry host.
        registry: String,
        /// What went wrong.
        reason: String,
    },
    /// The docker config file or a credential helper could not be used.
    #[error("credentials for {registry}: {reason}")]
    Credentials {
        /// Registry host.
        registry: String,
        /// What went wrong.
        reason: String,
    },
}

impl OciError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        OciError::Io {
            path: path.into(),
            source,
        }
    }
}
