//! Where blobs come from, and how an image is resolved from an index down to its layers.
//!
//! Call direction: `lib::open` → a source module builds a [`Store`] → [`resolve`] walks
//! index → manifest → config through the store → [`crate::Image`] keeps the store to stream
//! layers later.

use std::io::Read;
use std::path::PathBuf;

use crate::archive::ArchiveIndex;
use crate::digest::Digest;
use crate::error::OciError;
use crate::manifest::{Descriptor, Document, Index, Manifest, parse_document};
use crate::platform::Platform;

/// How a blob is addressed inside a store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BlobKey {
    /// Content-addressed.
    Digest(Digest),
    /// A member path of an archive (legacy `docker save` layers).
    Member(String),
}

impl std::fmt::Display for BlobKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BlobKey::Digest(d) => write!(f, "{d}"),
            BlobKey::Member(m) => f.write_str(m),
        }
    }
}

/// A provider of raw (unverified) blob bytes; callers verify.
pub(crate) trait Store: Send + Sync {
    /// The source, for error messages.
    fn describe(&self) -> String;
    /// Raw bytes of a blob. Absent blobs are [`OciError::MissingBlob`].
    fn open(&self, key: &BlobKey) -> Result<Box<dyn Read + Send + '_>, OciError>;
    /// Read a manifest or index by descriptor. Registries serve these under `/manifests/`,
    /// hence a separate method; the returned string is the announced media type, if any.
    fn read_manifest(
        &self,
        desc: &Descriptor,
        cap: u64,
    ) -> Result<(Vec<u8>, Option<String>), OciError> {
        let bytes = read_verified(
            self,
            &BlobKey::Digest(desc.digest.clone()),
            Some(&desc.digest),
            Some(desc.size),
            cap,
            "manifest",
        )?;
        Ok((bytes, Some(desc.media_type.clone())))
    }
}

/// Read a whole small blob (manifest, config) with a size cap, verifying digest and size.
pub(crate) fn read_verified<S: Store + ?Sized>(
    store: &S,
    key: &BlobKey,
    digest: Option<&Digest>,
    size: Option<u64>,
    cap: u64,
    what: &'static str,
) -> Result<Vec<u8>, OciError> {
    if size.is_some_and(|s| s > cap) {
        return Err(OciError::TooLarge {
            what,
            name: key.to_string(),
            limit: cap,
        });
    }
    let raw = store.open(key)?;
    let mut buf = Vec::new();
    raw.take(cap.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|source| OciError::BlobRead {
            digest: key.to_string(),
            source,
        })?;
    if buf.len() as u64 > cap {
        return Err(OciError::TooLarge {
            what,
            name: key.to_string(),
            limit: cap,
        });
    }
    check_bytes(&buf, key, digest, size)?;
    Ok(buf)
}

/// Compare bytes with an expected digest and size.
pub(crate) fn check_bytes(
    buf: &[u8],
    key: &BlobKey,
    digest: Option<&Digest>,
    size: Option<u64>,
) -> Result<(), OciError> {
    if let Some(s) = size
        && s != buf.len() as u64
    {
        return Err(OciError::BlobMismatch {
            digest: key.to_string(),
            detail: format!("size mismatch: expected {s} bytes, got {}", buf.len()),
        });
    }
    if let Some(d) = digest
        && !d.matches(buf)
    {
        return Err(OciError::BlobMismatch {
            digest: key.to_string(),
            detail: format!("content does not hash to {d}"),
        });
    }
    Ok(())
}

fn is_index_type(media_type: &str) -> bool {
    media_type == crate::manifest::OCI_INDEX || media_type == crate::manifest::DOCKER_MANIFEST_LIST
}

/// Nested indexes deeper than this are refused (defeats cycles through crafted digests).
const MAX_INDEX_DEPTH: usize = 8;

/// The manifest chosen for an image, with its digest and the index annotations on the path.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    pub manifest: Manifest,
    pub digest: Digest,
    /// `org.opencontainers.image.ref.name` of the chosen entry, when present.
    pub ref_name: Option<String>,
}

/// True for buildkit's attestation manifests, which sit in indexes beside images with the
/// `unknown/unknown` platform and must never be chosen.
fn is_attestation(d: &Descriptor) -> bool {
    d.annotations
        .get("vnd.docker.reference.type")
        .is_some_and(|t| t == "attestation-manifest")
        || d.platform
            .as_ref()
            .is_some_and(|p| p.os == "unknown" && p.architecture == "unknown")
}

fn platform_str(d: &Descriptor) -> String {
    d.platform.as_ref().map_or_else(
        || "(none)".to_string(),
        |p| match &p.variant {
            Some(v) => format!("{}/{}/{v}", p.os, p.architecture),
            None => format!("{}/{}", p.os, p.architecture),
        },
    )
}

/// Choose an entry of an index for `platform`. With one candidate entry and no explicit
/// platform, that entry is taken whatever its platform (single-image layouts often omit it).
pub(crate) fn choose<'a>(
    index: &'a Index,
    name: &str,
    platform: Option<&Platform>,
) -> Result<&'a Descriptor, OciError> {
    let candidates: Vec<&Descriptor> = index
        .manifests
        .iter()
        .filter(|d| !is_attestation(d))
        .collect();
    if candidates.is_empty() {
        return Err(OciError::NoImage {
            name: name.to_string(),
            reason: "the index lists no image manifests".into(),
        });
    }
    if platform.is_none()
        && let [only] = candidates.as_slice()
    {
        return Ok(only);
    }
    let host = Platform::host();
    let want = platform.unwrap_or(&host);
    let found = candidates.iter().find(|d| match &d.platform {
        Some(p) => want.matches(&p.os, &p.architecture, p.variant.as_deref()),
        None => false,
    });
    // An entry without a platform may be a nested index (buildx layouts) or the only image of
    // a layout that never recorded one; take it, and let the config's platform be checked later.
    let unlabelled = || {
        candidates
            .iter()
            .find(|d| d.platform.is_none() && is_index_type(&d.media_type))
    };
    let single = || match candidates.as_slice() {
        [only] if only.platform.is_none() => Some(only),
        _ => None,
    };
    match found.or_else(unlabelled).or_else(single) {
        Some(d) => Ok(d),
        None if platform.is_none() && candidates.iter().all(|d| d.platform.is_none()) => {
            Err(OciError::NoImage {
                name: name.to_string(),
                reason: format!(
                    "{} images without platforms; cannot choose one",
                    candidates.len()
                ),
            })
        }
        None => Err(OciError::PlatformNotFound {
            wanted: want.to_string(),
            name: name.to_string(),
            available: candidates
                .iter()
                .map(|d| platform_str(d))
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// Walk from a root document (index or manifest) down to one image manifest.
pub(crate) fn resolve(
    store: &dyn Store,
    root: Document,
    root_digest: Digest,
    name: &str,
    platform: Option<&Platform>,
    max_manifest: u64,
) -> Result<Resolved, OciError> {
    let mut doc = root;
    let mut digest = root_digest;
    let mut ref_name = None;
    for _ in 0..MAX_INDEX_DEPTH {
        match doc {
            Document::Manifest(manifest) => {
                return Ok(Resolved {
                    manifest,
                    digest,
                    ref_name,
                });
            }
            Document::Index(index) => {
                let entry = choose(&index, name, platform)?.clone();
                if let Some(r) = entry.annotations.get("org.opencontainers.image.ref.name") {
                    ref_name = Some(r.clone());
                }
                let (bytes, hint) = store.read_manifest(&entry, max_manifest)?;
                doc = parse_document(
                    &bytes,
                    hint.as_deref().filter(|h| !h.is_empty()),
                    entry.digest.as_str(),
                )?;
                digest = entry.digest;
            }
        }
    }
    Err(OciError::NoImage {
        name: name.to_string(),
        reason: format!("indexes nested deeper than {MAX_INDEX_DEPTH}"),
    })
}

/// An OCI image layout directory (image-spec `image-layout.md`).
pub(crate) struct LayoutDir {
    pub root: PathBuf,
}

impl Store for LayoutDir {
    fn describe(&self) -> String {
        self.root.display().to_string()
    }
    fn open(&self, key: &BlobKey) -> Result<Box<dyn Read + Send + '_>, OciError> {
        let path = match key {
            // Safe as a path: Digest only holds validated `alg:hex`.
            BlobKey::Digest(d) => self
                .root
                .join("blobs")
                .join(d.algorithm_str())
                .join(d.hex()),
            BlobKey::Member(m) => {
                return Err(OciError::MissingBlob {
                    digest: m.clone(),
                    source_name: self.describe(),
                });
            }
        };
        match fs_err::File::open(&path) {
            Ok(f) => Ok(Box::new(std::io::BufReader::with_capacity(64 * 1024, f))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(OciError::MissingBlob {
                digest: key.to_string(),
                source_name: self.describe(),
            }),
            Err(e) => Err(OciError::io(path, e)),
        }
    }
}

/// A tar archive (OCI archive or `docker save` output) as a store.
pub(crate) struct ArchiveStore {
    pub index: ArchiveIndex,
}

impl ArchiveStore {
    pub(crate) fn member_of(key: &BlobKey) -> String {
        match key {
            BlobKey::Digest(d) => format!("blobs/{}/{}", d.algorithm_str(), d.hex()),
            BlobKey::Member(m) => m.clone(),
        }
    }
}

impl Store for ArchiveStore {
    fn describe(&self) -> String {
        self.index.archive().display().to_string()
    }
    fn open(&self, key: &BlobKey) -> Result<Box<dyn Read + Send + '_>, OciError> {
        self.index
            .open_member(&Self::member_of(key))
            .map_err(|e| match e {
                OciError::MissingBlob { source_name, .. } => OciError::MissingBlob {
                    digest: key.to_string(),
                    source_name,
                },
                e => e,
            })
    }
}
