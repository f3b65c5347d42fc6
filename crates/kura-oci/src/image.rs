//! An opened image: its config and layers, and verified streaming access to layer contents.

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read};

use crate::digest::{Digest, Expect, Hasher, VerifyReader, invalid};
use crate::error::OciError;
use crate::manifest::{History, ImageConfig};
use crate::store::{BlobKey, Store};

/// One layer of an image, bottom first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    /// Position, 0 = bottom.
    pub index: usize,
    /// Digest of the stored blob. For legacy `docker save` archives, which carry no blob
    /// digests, this is the diff_id.
    pub digest: String,
    /// Digest of the uncompressed tar, from the config's `rootfs.diff_ids`.
    pub diff_id: String,
    /// Media type from the manifest (empty for legacy `docker save` archives).
    pub media_type: String,
    /// Size of the stored blob.
    pub size: u64,
    /// `created_by` of the history entry that produced this layer.
    pub created_by: Option<String>,
}

/// Where a layer's bytes are and what they must hash to.
#[derive(Debug, Clone)]
pub(crate) struct LayerSource {
    pub key: BlobKey,
    /// Digest of the stored blob, when the source records one.
    pub digest: Option<Digest>,
    /// Size of the stored blob, when the source records one.
    pub size: Option<u64>,
    pub diff_id: Digest,
}

/// An opened image. `Send + Sync`: layers may be read in parallel.
pub struct Image {
    /// What was opened.
    pub target: kura_types::Target,
    /// The image config.
    pub config: ImageConfig,
    /// Layers, bottom first.
    pub layers: Vec<Layer>,
    /// Annotations of the chosen manifest.
    pub manifest_annotations: BTreeMap<String, String>,
    store: Box<dyn Store>,
    sources: Vec<LayerSource>,
    /// Base layer count learnt from the base image itself, when it could be fetched.
    base_layers: Option<usize>,
}

impl std::fmt::Debug for Image {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Image")
            .field("target", &self.target)
            .field("layers", &self.layers)
            .field("source", &self.store.describe())
            .finish_non_exhaustive()
    }
}

/// Compression of a layer blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compression {
    None,
    Gzip,
    Zstd,
}

/// Magic bytes decide; the media type only decides when the magic is not recognised, so a
/// blob announced as gzip but holding garbage fails as corrupt gzip rather than as a bad tar.
fn compression_of(magic: &[u8], media_type: &str) -> Compression {
    if crate::archive::is_gzip(magic) {
        Compression::Gzip
    } else if crate::archive::is_zstd(magic) {
        Compression::Zstd
    } else if media_type.ends_with("gzip") {
        Compression::Gzip
    } else if media_type.ends_with("zstd") {
        Compression::Zstd
    } else {
        Compression::None
    }
}

type Compressed<'a> = BufReader<VerifyReader<Box<dyn Read + Send + 'a>>>;

enum Decoder<'a> {
    Plain(Compressed<'a>),
    Gzip(Box<flate2::bufread::MultiGzDecoder<Compressed<'a>>>),
    Zstd(zstd::stream::read::Decoder<'static, Compressed<'a>>),
}

impl<'a> Decoder<'a> {
    fn compressed(&mut self) -> &mut Compressed<'a> {
        match self {
            Decoder::Plain(r) => r,
            Decoder::Gzip(r) => r.get_mut(),
            Decoder::Zstd(r) => r.get_mut(),
        }
    }
}

impl Read for Decoder<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Decoder::Plain(r) => r.read(buf),
            Decoder::Gzip(r) => r.read(buf),
            Decoder::Zstd(r) => r.read(buf),
        }
    }
}

/// The decompressed tar of a layer. At end of stream it drains the compressed blob (so its
/// digest and size are checked even when the decompressor stops early) and checks the diff_id.
struct LayerReader<'a> {
    decoder: Decoder<'a>,
    hasher: Option<Hasher>,
    diff_id: Digest,
    label: String,
    done: bool,
}

impl LayerReader<'_> {
    /// Name the layer in every error; decoder complaints (corrupt deflate, bad zstd frame,
    /// early EOF) are all invalid data, so callers can tell them from failed reads.
    fn wrap(&self, e: io::Error) -> io::Error {
        let kind = match e.kind() {
            io::ErrorKind::InvalidInput | io::ErrorKind::UnexpectedEof | io::ErrorKind::Other => {
                io::ErrorKind::InvalidData
            }
            k => k,
        };
        io::Error::new(kind, format!("{}: {e}", self.label))
    }

    fn finish(&mut self) -> io::Result<()> {
        self.done = true;
        io::copy(self.decoder.compressed(), &mut io::sink()).map_err(|e| self.wrap(e))?;
        if let Some(h) = self.hasher.take() {
            let actual = h.finish_hex();
            if actual != self.diff_id.hex() {
                return Err(invalid(format!(
                    "{}: diff_id mismatch: expected {}, uncompressed content is {}:{actual}",
                    self.label,
                    self.diff_id,
                    self.diff_id.algorithm_str()
                )));
            }
        }
        Ok(())
    }
}

impl Read for LayerReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        let n = self.decoder.read(buf).map_err(|e| self.wrap(e))?;
        if n == 0 {
            self.finish()?;
            return Ok(0);
        }
        if let (Some(h), Some(chunk)) = (self.hasher.as_mut(), buf.get(..n)) {
            h.update(chunk);
        }
        Ok(n)
    }
}

impl Image {
    pub(crate) fn new(
        target: kura_types::Target,
        config: ImageConfig,
        layers: Vec<Layer>,
        manifest_annotations: BTreeMap<String, String>,
        store: Box<dyn Store>,
        sources: Vec<LayerSource>,
    ) -> Self {
        Image {
            target,
            config,
            layers,
            manifest_annotations,
            store,
            sources,
            base_layers: None,
        }
    }

    pub(crate) fn set_base_layers(&mut self, n: usize) {
        self.base_layers = Some(n);
    }

    /// Decompressed tar stream of layer `index`. The reader returns an `InvalidData` error naming
    /// the blob and the expected and actual values at end of stream when the stored blob's digest
    /// or size, or the uncompressed diff_id, does not match: callers must read to EOF (a tar
    /// reader stops at the end-of-archive blocks; copy the rest to `io::sink()`).
    pub fn open_layer(&self, index: usize) -> Result<Box<dyn Read + Send + '_>, OciError> {
        let (layer, src) =
            self.layers
                .get(index)
                .zip(self.sources.get(index))
                .ok_or(OciError::NoSuchLayer {
                    index,
                    count: self.layers.len(),
                })?;
        let label = format!("layer {index} (blob {})", layer.digest);
        let raw = self.store.open(&src.key)?;
        let verified = VerifyReader::new(
            raw,
            Expect {
                label: format!("blob {}", layer.digest),
                digest: src.digest.clone(),
                size: src.size,
            },
        );
        let mut buffered = BufReader::with_capacity(64 * 1024, verified);
        let magic = buffered.fill_buf().map_err(|source| OciError::BlobRead {
            digest: layer.digest.clone(),
            source,
        })?;
        let compression = compression_of(magic, &layer.media_type);
        // An uncompressed blob whose digest is its diff_id is already hashed once.
        let same_bytes =
            compression == Compression::None && src.digest.as_ref() == Some(&src.diff_id);
        let decoder = match compression {
            Compression::None => Decoder::Plain(buffered),
            Compression::Gzip => {
                Decoder::Gzip(Box::new(flate2::bufread::MultiGzDecoder::new(buffered)))
            }
            Compression::Zstd => Decoder::Zstd(
                zstd::stream::read::Decoder::with_buffer(buffered).map_err(|e| {
                    OciError::BlobMismatch {
                        digest: layer.digest.clone(),
                        detail: format!("zstd: {e}"),
                    }
                })?,
            ),
        };
        Ok(Box::new(LayerReader {
            decoder,
            hasher: (!same_bytes).then(|| Hasher::new(src.diff_id.algorithm())),
            diff_id: src.diff_id.clone(),
            label,
            done: false,
        }))
    }

    /// Layers as [`kura_types::LayerInfo`] with `base` set. For registry images whose manifest
    /// carries `org.opencontainers.image.base.name` and `.base.digest` (image-spec
    /// `annotations.md`), the base manifest is fetched at open time and its layers, when they
    /// are a prefix of this image's, are the base layers; otherwise the history decides (see
    /// [`base_layer_count`]).
    pub fn layer_infos(&self) -> Vec<kura_types::LayerInfo> {
        let base = self
            .base_layers
            .unwrap_or_else(|| base_layer_count(&self.config.history, self.layers.len()));
        self.layers
            .iter()
            .map(|l| kura_types::LayerInfo {
                index: l.index,
                diff_id: l.diff_id.clone(),
                digest: Some(l.digest.clone()),
                size: l.size,
                created_by: l.created_by.clone(),
                base: l.index < base,
            })
            .collect()
    }
}

/// `created_by` for each layer: history entries with `empty_layer: false` correspond to layers
/// in order (image-spec `config.md`, `history`). When the counts disagree the mapping is
/// unknowable, and no layer gets one.
pub(crate) fn layer_commands(history: &[History], layer_count: usize) -> Vec<Option<String>> {
    let producing: Vec<&History> = history.iter().filter(|h| !h.empty_layer).collect();
    if producing.len() != layer_count {
        return vec![None; layer_count];
    }
    producing.iter().map(|h| h.created_by.clone()).collect()
}

/// The instruction of a history `created_by`, for both shapes: classic builders write
/// `/bin/sh -c #(nop)  CMD ["sh"]`, buildkit writes `CMD ["sh"]` (with comment
/// `buildkit.dockerfile.v0`).
fn instruction(created_by: &str) -> &str {
    let s = created_by.trim_start();
    let s = s.strip_prefix("/bin/sh -c").map_or(s, str::trim_start);
    let s = s.strip_prefix("#(nop)").map_or(s, str::trim_start);
    s.split_whitespace().next().unwrap_or("")
}

/// How many bottom layers belong to the base image, guessed from the history.
///
/// A base image's Dockerfile almost always ends with a metadata-only `CMD` or `ENTRYPOINT`
/// (`CMD ["/bin/sh"]` in alpine, `CMD ["bash"]` in debian), and the derived image's own steps
/// follow it. The derived image may end with its own metadata-only `CMD`/`ENTRYPOINT`/`ENV`…
/// steps, so trailing metadata-only entries are skipped first; the nearest `CMD`/`ENTRYPOINT`
/// metadata-only entry before the remaining layer-producing steps marks the base's end, and
/// every layer created before it is a base layer. No such entry means no base is recognised
/// (the image is a base itself, or was built `FROM scratch`). When history and layers disagree
/// in count, nothing is attributed.
pub fn base_layer_count(history: &[History], layer_count: usize) -> usize {
    if history.iter().filter(|h| !h.empty_layer).count() != layer_count {
        return 0;
    }
    let own_end = history.iter().rposition(|h| !h.empty_layer).unwrap_or(0);
    let Some(base_end) = history.get(..own_end).and_then(|before| {
        before.iter().rposition(|h| {
            h.empty_layer
                && matches!(
                    instruction(h.created_by.as_deref().unwrap_or(""))
                        .to_ascii_uppercase()
                        .as_str(),
                    "CMD" | "ENTRYPOINT"
                )
        })
    }) else {
        return 0;
    };
    history
        .get(..base_end)
        .map_or(0, |b| b.iter().filter(|h| !h.empty_layer).count())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(created_by: &str, empty: bool) -> History {
        History {
            created_by: Some(created_by.into()),
            empty_layer: empty,
            comment: None,
            created: None,
        }
    }

    #[test]
    fn base_layers_end_at_the_base_images_cmd() {
        let classic = vec![
            h("/bin/sh -c #(nop) ADD file:abc in / ", false),
            h("/bin/sh -c #(nop)  CMD [\"/bin/sh\"]", true),
            h("/bin/sh -c apk add curl", false),
            h("/bin/sh -c #(nop) COPY file:def in /app ", false),
            h("/bin/sh -c #(nop)  ENTRYPOINT [\"/app\"]", true),
            h("/bin/sh -c #(nop)  CMD [\"serve\"]", true),
        ];
        let buildkit = vec![
            h("/bin/sh -c #(nop) ADD file:abc in / ", false),
            h("/bin/sh -c #(nop)  CMD [\"bash\"]", true),
            h("RUN /bin/sh -c apt-get update # buildkit", false),
            h("ENV A=1", true),
            h("COPY app /app # buildkit", false),
            h("ENTRYPOINT [\"/app\"]", true),
        ];
        let buildkit_base = vec![
            h("ADD alpine-minirootfs.tar.gz / # buildkit", false),
            h("CMD [\"/bin/sh\"]", true),
            h("RUN apk add x # buildkit", false),
        ];
        let multi_base = vec![
            h("ADD rootfs /", false),
            h("CMD [\"sh\"]", true),
            h("RUN a", false),
            h("ENTRYPOINT [\"x\"]", true),
            h("RUN b", false),
            h("CMD [\"y\"]", true),
        ];
        let is_base_itself = vec![h("ADD rootfs /", false), h("CMD [\"sh\"]", true)];
        let scratch = vec![
            h("COPY app /", false),
            h("ENV X=1", true),
            h("COPY cfg /", false),
        ];
        let cases: &[(&str, &[History], usize, usize)] = &[
            ("classic", &classic, 3, 1),
            ("buildkit", &buildkit, 3, 1),
            ("buildkit base", &buildkit_base, 2, 1),
            ("base of a base", &multi_base, 3, 2),
            ("base image itself", &is_base_itself, 1, 0),
            ("from scratch", &scratch, 2, 0),
            ("history/layer mismatch", &classic, 4, 0),
            ("no history", &[], 2, 0),
        ];
        for (name, hist, layers, want) in cases {
            assert_eq!(base_layer_count(hist, *layers), *want, "{name}");
        }
    }

    #[test]
    fn layer_commands_skip_empty_entries_and_give_up_on_mismatch() {
        let hist = vec![
            h("ADD x /", false),
            h("CMD [\"sh\"]", true),
            h("RUN y", false),
        ];
        assert_eq!(
            layer_commands(&hist, 2),
            vec![Some("ADD x /".into()), Some("RUN y".into())]
        );
        assert_eq!(layer_commands(&hist, 3), vec![None, None, None]);
    }

    #[test]
    fn compression_prefers_magic_over_media_type() {
        let gz = [0x1f, 0x8b, 8, 0];
        let zs = [0x28, 0xb5, 0x2f, 0xfd];
        let cases: &[(&[u8], &str, Compression)] = &[
            (
                &gz,
                "application/vnd.oci.image.layer.v1.tar",
                Compression::Gzip,
            ),
            (
                &zs,
                "application/vnd.oci.image.layer.v1.tar+gzip",
                Compression::Zstd,
            ),
            (
                b"ustar",
                "application/vnd.oci.image.layer.v1.tar+gzip",
                Compression::Gzip,
            ),
            (
                b"ustar",
                "application/vnd.oci.image.layer.v1.tar+zstd",
                Compression::Zstd,
            ),
            (b"ustar", "", Compression::None),
            (
                b"",
                "application/vnd.docker.image.rootfs.diff.tar.gzip",
                Compression::Gzip,
            ),
        ];
        for (magic, mt, want) in cases {
            assert_eq!(compression_of(magic, mt), *want, "{mt}");
        }
    }
}
