//! Local sources: OCI image layout directories, OCI archives and `docker save` archives.

use std::path::Path;

use serde::Deserialize;

use crate::archive::ArchiveIndex;
use crate::digest::Digest;
use crate::error::OciError;
use crate::image::{Image, Layer, LayerSource, layer_commands};
use crate::manifest::{Document, parse_config, parse_document};
use crate::store::{
    ArchiveStore, BlobKey, LayoutDir, Resolved, Store, check_bytes, read_verified, resolve,
};
use crate::{OpenOptions, SourceKind};

/// Index annotation naming a tag in an OCI layout (image-spec `annotations.md`).
const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// Assemble an [`Image`] from a resolved manifest: fetch and check the config, pair layers
/// with diff_ids.
pub(crate) fn build_image(
    store: Box<dyn Store>,
    resolved: Resolved,
    name: &str,
    kind: SourceKind,
    tags: Vec<String>,
    opts: &OpenOptions,
) -> Result<Image, OciError> {
    let Resolved {
        manifest,
        digest,
        ref_name,
    } = resolved;
    let cfg_desc = &manifest.config;
    let cfg_bytes = read_verified(
        &*store,
        &BlobKey::Digest(cfg_desc.digest.clone()),
        Some(&cfg_desc.digest),
        Some(cfg_desc.size),
        opts.max_config_size,
        "config",
    )?;
    let config = parse_config(&cfg_bytes, cfg_desc.digest.as_str())?;
    if let Some(want) = &opts.platform
        && !config.os.is_empty()
        && !want.matches(&config.os, &config.architecture, config.variant.as_deref())
    {
        return Err(OciError::PlatformNotFound {
            wanted: want.to_string(),
            name: name.to_string(),
            available: platform_of(&config).unwrap_or_default(),
        });
    }
    let layers_n = manifest.layers.len();
    if layers_n != config.diff_ids.len() {
        return Err(OciError::LayerCountMismatch {
            name: digest.to_string(),
            layers: layers_n,
            diff_ids: config.diff_ids.len(),
        });
    }
    let commands = layer_commands(&config.history, layers_n);
    let mut layers = Vec::with_capacity(layers_n);
    let mut sources = Vec::with_capacity(layers_n);
    for (index, ((d, diff), cmd)) in manifest
        .layers
        .iter()
        .zip(&config.diff_ids)
        .zip(commands)
        .enumerate()
    {
        let diff_id = Digest::parse(diff, "rootfs.diff_ids")?;
        layers.push(Layer {
            index,
            digest: d.digest.to_string(),
            diff_id: diff.clone(),
            media_type: d.media_type.clone(),
            size: d.size,
            created_by: cmd,
        });
        sources.push(LayerSource {
            key: BlobKey::Digest(d.digest.clone()),
            digest: Some(d.digest.clone()),
            size: Some(d.size),
            diff_id,
        });
    }
    // A layout's `ref.name` is the only name it has; where the source already names the
    // image (docker's RepoTags, a registry reference) the bare tag would only add noise.
    let mut tags = tags;
    if let Some(r) = ref_name
        && tags.is_empty()
    {
        tags.push(r);
    }
    let target = kura_types::Target {
        name: name.to_string(),
        kind: kind.as_str().to_string(),
        manifest_digest: Some(digest.to_string()),
        config_digest: Some(cfg_desc.digest.to_string()),
        platform: platform_of(&config),
        tags,
        base_image: manifest
            .annotations
            .get("org.opencontainers.image.base.name")
            .cloned(),
    };
    let annotations = manifest.annotations.clone();
    Ok(Image::new(
        target,
        config,
        layers,
        annotations,
        store,
        sources,
    ))
}

fn platform_of(c: &crate::manifest::ImageConfig) -> Option<String> {
    if c.os.is_empty() || c.architecture.is_empty() {
        return None;
    }
    Some(match &c.variant {
        Some(v) => format!("{}/{}/{v}", c.os, c.architecture),
        None => format!("{}/{}", c.os, c.architecture),
    })
}

/// Keep only index entries tagged `tag` (`org.opencontainers.image.ref.name`).
fn filter_tag(doc: Document, tag: Option<&str>, name: &str) -> Result<Document, OciError> {
    match (doc, tag) {
        (Document::Index(mut idx), Some(tag)) => {
            idx.manifests
                .retain(|d| d.annotations.get(REF_NAME).is_some_and(|r| r == tag));
            if idx.manifests.is_empty() {
                return Err(OciError::NoImage {
                    name: name.to_string(),
                    reason: format!("no entry of index.json is tagged `{tag}`"),
                });
            }
            Ok(Document::Index(idx))
        }
        (doc, _) => Ok(doc),
    }
}

fn parse_index_json(bytes: &[u8], name: &str) -> Result<(Document, Digest), OciError> {
    let doc = parse_document(bytes, None, name)?;
    Ok((doc, Digest::sha256_of(bytes)))
}

/// Open an OCI image layout directory, optionally selecting entries tagged `tag`.
pub(crate) fn open_layout_dir(
    dir: &Path,
    tag: Option<&str>,
    reference: &str,
    opts: &OpenOptions,
) -> Result<Image, OciError> {
    let index_path = dir.join("index.json");
    let meta = fs_err::metadata(&index_path).map_err(|e| OciError::io(&index_path, e))?;
    if meta.len() > opts.max_manifest_size {
        return Err(OciError::TooLarge {
            what: "index",
            name: index_path.display().to_string(),
            limit: opts.max_manifest_size,
        });
    }
    let bytes = fs_err::read(&index_path).map_err(|e| OciError::io(&index_path, e))?;
    let name = index_path.display().to_string();
    let (doc, digest) = parse_index_json(&bytes, &name)?;
    let store = LayoutDir {
        root: dir.to_path_buf(),
    };
    let index = IndexJson { doc, digest, name };
    open_from_index(
        Box::new(store),
        index,
        tag,
        reference,
        SourceKind::OciLayout,
        opts,
    )
}

/// A parsed `index.json`, with its digest and a name for errors.
struct IndexJson {
    doc: Document,
    digest: Digest,
    name: String,
}

/// The part shared by OCI layout directories and OCI archives: pick the tagged entries of
/// `index.json`, resolve the platform's manifest and build the image.
fn open_from_index(
    store: Box<dyn Store>,
    index: IndexJson,
    tag: Option<&str>,
    reference: &str,
    kind: SourceKind,
    opts: &OpenOptions,
) -> Result<Image, OciError> {
    let doc = filter_tag(index.doc, tag, &index.name)?;
    let resolved = resolve(
        store.as_ref(),
        doc,
        index.digest,
        &index.name,
        opts.platform.as_ref(),
        opts.max_manifest_size,
    )?;
    build_image(store, resolved, reference, kind, Vec::new(), opts)
}

/// One entry of a `docker save` `manifest.json`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DockerEntry {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    #[serde(default)]
    layers: Vec<String>,
}

/// Open a tar archive: `docker save` output when it has `manifest.json` (unless the caller
/// insists on an OCI archive), else an OCI archive.
pub(crate) fn open_archive(
    path: &Path,
    tag: Option<&str>,
    kind: Option<SourceKind>,
    reference: &str,
    opts: &OpenOptions,
) -> Result<Image, OciError> {
    let index = ArchiveIndex::open(path)?;
    let has_docker = index.contains("manifest.json");
    let has_oci = index.contains("index.json");
    let store = ArchiveStore { index };
    // The requested layout wins; an archive holding only the other one is opened as that, since
    // `detect` cannot tell gzipped archives apart without decompressing them.
    let oci_first = kind == Some(SourceKind::OciArchive) || !has_docker;
    match (oci_first, has_oci, has_docker) {
        (true, true, _) => open_oci_archive(store, tag, reference, opts),
        (_, _, true) => open_docker_archive(store, tag, reference, opts),
        _ => Err(OciError::NoImage {
            name: path.display().to_string(),
            reason: "neither manifest.json (docker save) nor index.json (OCI archive) found".into(),
        }),
    }
}

fn read_archive_index_json(
    store: &ArchiveStore,
    opts: &OpenOptions,
) -> Result<(Document, Digest, String), OciError> {
    let bytes = store
        .index
        .read_member("index.json", opts.max_manifest_size, "index")?;
    let name = format!("{}:index.json", store.index.archive().display());
    let (doc, digest) = parse_index_json(&bytes, &name)?;
    Ok((doc, digest, name))
}

fn open_oci_archive(
    store: ArchiveStore,
    tag: Option<&str>,
    reference: &str,
    opts: &OpenOptions,
) -> Result<Image, OciError> {
    let (doc, digest, name) = read_archive_index_json(&store, opts)?;
    let index = IndexJson { doc, digest, name };
    open_from_index(
        Box::new(store),
        index,
        tag,
        reference,
        SourceKind::OciArchive,
        opts,
    )
}

/// The digest a `docker save` member path encodes: `blobs/sha256/<hex>` (Docker ≥ 25) or the
/// legacy config name `<hex>.json`.
fn digest_in_path(path: &str) -> Option<Digest> {
    let p = path.trim_start_matches("./");
    if let Some(rest) = p.strip_prefix("blobs/")
        && let Some((alg, hex)) = rest.split_once('/')
    {
        return Digest::parse(&format!("{alg}:{hex}"), path).ok();
    }
    p.strip_suffix(".json")
        .and_then(|hex| Digest::parse(&format!("sha256:{hex}"), path).ok())
}

fn open_docker_archive(
    store: ArchiveStore,
    tag: Option<&str>,
    reference: &str,
    opts: &OpenOptions,
) -> Result<Image, OciError> {
    let archive = store.index.archive().display().to_string();
    let bytes =
        store
            .index
            .read_member("manifest.json", opts.max_manifest_size, "manifest.json")?;
    let entries: Vec<DockerEntry> =
        serde_json::from_slice(&bytes).map_err(|e| OciError::Malformed {
            what: "manifest.json",
            name: archive.clone(),
            reason: e.to_string(),
        })?;
    let entry = pick_docker_entry(&entries, tag, &archive)?;
    let tags = entry.repo_tags.clone().unwrap_or_default();
    let cfg_bytes = store
        .index
        .read_member(&entry.config, opts.max_config_size, "config")?;
    let cfg_digest = Digest::sha256_of(&cfg_bytes);
    if let Some(claimed) = digest_in_path(&entry.config) {
        check_bytes(
            &cfg_bytes,
            &BlobKey::Member(entry.config.clone()),
            Some(&claimed),
            None,
        )?;
    }
    // Docker ≥ 25 writes a full OCI layout beside manifest.json: prefer its manifest, which
    // records compressed digests, sizes and media types.
    if store.index.contains("index.json")
        && let Some(resolved) = find_manifest_for_config(&store, &cfg_digest, opts)?
    {
        return build_image(
            Box::new(store),
            resolved,
            reference,
            SourceKind::DockerArchive,
            tags,
            opts,
        );
    }
    let config = parse_config(&cfg_bytes, &entry.config)?;
    if entry.layers.len() != config.diff_ids.len() {
        return Err(OciError::LayerCountMismatch {
            name: format!("{archive}:manifest.json"),
            layers: entry.layers.len(),
            diff_ids: config.diff_ids.len(),
        });
    }
    let commands = layer_commands(&config.history, entry.layers.len());
    let mut layers = Vec::new();
    let mut sources = Vec::new();
    for (index, ((path, diff), cmd)) in entry
        .layers
        .iter()
        .zip(&config.diff_ids)
        .zip(commands)
        .enumerate()
    {
        let diff_id = Digest::parse(diff, "rootfs.diff_ids")?;
        let size = store.index.size(path).map_err(|e| match e {
            OciError::MissingBlob { .. } => OciError::MissingBlob {
                digest: path.clone(),
                source_name: archive.clone(),
            },
            e => e,
        })?;
        let digest = digest_in_path(path);
        layers.push(Layer {
            index,
            digest: digest
                .as_ref()
                .map_or_else(|| diff.clone(), Digest::to_string),
            diff_id: diff.clone(),
            media_type: String::new(),
            size,
            created_by: cmd,
        });
        sources.push(LayerSource {
            key: BlobKey::Member(path.clone()),
            digest,
            size: Some(size),
            diff_id,
        });
    }
    let target = kura_types::Target {
        name: reference.to_string(),
        kind: SourceKind::DockerArchive.as_str().into(),
        manifest_digest: None,
        config_digest: Some(cfg_digest.to_string()),
        platform: platform_of(&config),
        tags,
        base_image: None,
    };
    Ok(Image::new(
        target,
        config,
        layers,
        Default::default(),
        Box::new(store),
        sources,
    ))
}

fn pick_docker_entry<'a>(
    entries: &'a [DockerEntry],
    tag: Option<&str>,
    archive: &str,
) -> Result<&'a DockerEntry, OciError> {
    let found = match tag {
        Some(t) => entries.iter().find(|e| {
            e.repo_tags
                .as_deref()
                .unwrap_or_default()
                .iter()
                .any(|r| r == t || r.rsplit_once(':').is_some_and(|(_, tt)| tt == t))
        }),
        None => entries.first(),
    };
    found.ok_or_else(|| OciError::NoImage {
        name: archive.to_string(),
        reason: match tag {
            Some(t) => format!("no image tagged `{t}` in manifest.json"),
            None => "manifest.json lists no images".into(),
        },
    })
}

/// Search an archive's OCI index (all platforms, nested indexes) for the manifest whose config
/// is `cfg`.
fn find_manifest_for_config(
    store: &ArchiveStore,
    cfg: &Digest,
    opts: &OpenOptions,
) -> Result<Option<Resolved>, OciError> {
    let (doc, digest, _) = read_archive_index_json(store, opts)?;
    let mut queue: Vec<(Document, Digest, Option<String>, usize)> = vec![(doc, digest, None, 0)];
    let mut seen = 0usize;
    while let Some((doc, digest, ref_name, depth)) = queue.pop() {
        seen += 1;
        if seen > 1024 || depth > 8 {
            break;
        }
        match doc {
            Document::Manifest(m) if m.config.digest == *cfg => {
                return Ok(Some(Resolved {
                    manifest: m,
                    digest,
                    ref_name,
                }));
            }
            Document::Manifest(_) => {}
            Document::Index(idx) => {
                for d in idx.manifests {
                    let (bytes, hint) = match store.read_manifest(&d, opts.max_manifest_size) {
                        Ok(x) => x,
                        Err(OciError::MissingBlob { .. }) => continue,
                        Err(e) => return Err(e),
                    };
                    let child = parse_document(&bytes, hint.as_deref(), d.digest.as_str())?;
                    let r = d.annotations.get(REF_NAME).cloned().or(ref_name.clone());
                    queue.push((child, d.digest, r, depth + 1));
                }
            }
        }
    }
    Ok(None)
}
