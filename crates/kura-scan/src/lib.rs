//! Scan pipeline: source to walker to analyzers to inventory, with a per-layer cache.
//!
//! Used by `kura scan`/`kura sbom`, the registry's scan-on-push and the admission webhook.
//! Layers are walked in parallel (one streaming pass each, see [`kura_walker::walk_layer`]);
//! each result is cached by the layer's `diff_id`, the analyzers' versions and the limits, so a
//! warm re-scan never opens a layer at all. Memory is bounded by the number of worker threads
//! times the per-file cap, whatever the size of the image.
//!
//! ```no_run
//! let opts = kura_scan::ScanOptions::default();
//! let inventory = kura_scan::inventory("alpine:3.19", &opts)?;
//! println!("{} packages", inventory.packages.len());
//! # Ok::<(), kura_scan::ScanError>(())
//! ```

pub mod cache;

use cache::{CacheError, LayerCache};
use kura_analyzer::Analyzer;
use kura_oci::OciError;
use kura_types::{Inventory, LayerInfo, ScanWarning, Target};
use kura_walker::{DirError, LayerAnalysis, Limits, WalkError};
use rayon::prelude::*;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

pub use cache::CacheConfig;

/// A progress callback.
pub type Progress = Arc<dyn Fn(ProgressEvent) + Send + Sync>;

/// What a scan reports while it runs, so a CLI can draw a bar. Events of different layers
/// interleave (layers are walked in parallel).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProgressEvent {
    /// The scan knows its layers.
    Started {
        /// Number of layers.
        layers: usize,
        /// Sum of their stored sizes.
        total_bytes: u64,
    },
    /// A layer is being read.
    LayerStart {
        /// Layer index.
        index: usize,
        /// Stored size.
        size: u64,
    },
    /// Uncompressed bytes of a layer read so far (reported about every MiB).
    LayerBytes {
        /// Layer index.
        index: usize,
        /// Uncompressed bytes so far.
        bytes: u64,
    },
    /// A layer is done.
    LayerDone {
        /// Layer index.
        index: usize,
        /// It came from the cache.
        cached: bool,
    },
}

/// How to scan.
#[derive(Clone)]
pub struct ScanOptions {
    /// The per-layer cache; `None` bypasses it (`--no-cache`).
    pub cache: Option<CacheConfig>,
    /// Caps on hostile input.
    pub limits: Limits,
    /// Analyzers to run.
    pub analyzers: &'static [&'static dyn Analyzer],
    /// Progress callback.
    pub progress: Option<Progress>,
    /// How to open images.
    pub oci: kura_oci::OpenOptions,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            cache: CacheConfig::user_default(),
            limits: Limits::default(),
            analyzers: kura_analyzer::ANALYZERS,
            progress: None,
            oci: kura_oci::OpenOptions::default(),
        }
    }
}

impl std::fmt::Debug for ScanOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanOptions")
            .field("cache", &self.cache)
            .field("limits", &self.limits)
            .field(
                "analyzers",
                &self.analyzers.iter().map(|a| a.id()).collect::<Vec<_>>(),
            )
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// What kind of directory is scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirKind {
    /// An unpacked root filesystem (`kura scan rootfs`).
    Rootfs,
    /// A source tree (`kura scan fs`).
    Fs,
}

impl DirKind {
    /// The [`Target::kind`] name.
    pub fn as_str(self) -> &'static str {
        match self {
            DirKind::Rootfs => "rootfs",
            DirKind::Fs => "fs",
        }
    }
}

/// Why a layer could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LayerError {
    /// The source could not open it.
    #[error(transparent)]
    Open(#[from] OciError),
    /// Reading it failed.
    #[error(transparent)]
    Walk(#[from] WalkError),
}

/// Why a scan failed.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// The image could not be opened.
    #[error("cannot open image {reference}")]
    Open {
        /// What the user passed.
        reference: String,
        /// The source's error.
        #[source]
        source: OciError,
    },
    /// A layer's source failed (I/O, decompression, digest mismatch): its content is not
    /// trustworthy, so the scan stops.
    #[error("layer {index} ({diff_id}) cannot be read")]
    Layer {
        /// Layer index.
        index: usize,
        /// Its diff_id.
        diff_id: String,
        /// What failed.
        #[source]
        source: LayerError,
    },
    /// A directory could not be walked.
    #[error(transparent)]
    Dir(#[from] DirError),
}

/// Anything that yields uncompressed layer tars by index.
pub trait LayerSource: Sync {
    /// Open layer `index` as an uncompressed tar stream.
    fn open_layer(&self, index: usize) -> Result<Box<dyn Read + Send + '_>, LayerError>;
}

impl LayerSource for kura_oci::Image {
    fn open_layer(&self, index: usize) -> Result<Box<dyn Read + Send + '_>, LayerError> {
        Ok(kura_oci::Image::open_layer(self, index)?)
    }
}

/// Scan an opened image.
pub fn scan_image(image: &kura_oci::Image, opts: &ScanOptions) -> Result<Inventory, ScanError> {
    scan_layers(image, image.target.clone(), image.layer_infos(), opts)
}

/// Scan layers from any source. `infos[i]` describes layer `i`.
pub fn scan_layers(
    source: &dyn LayerSource,
    target: Target,
    infos: Vec<LayerInfo>,
    opts: &ScanOptions,
) -> Result<Inventory, ScanError> {
    let mut warnings = Vec::new();
    let cache = opts
        .cache
        .as_ref()
        .and_then(|cfg| match LayerCache::open(cfg) {
            Ok(c) => Some(c),
            Err(e) => {
                warnings.push(cache_warning(&e));
                None
            }
        });
    emit(
        opts,
        ProgressEvent::Started {
            layers: infos.len(),
            total_bytes: infos.iter().map(|l| l.size).sum(),
        },
    );
    let outcomes: Vec<Result<Outcome, ScanError>> = infos
        .par_iter()
        .map(|info| scan_one(source, info, cache.as_ref(), opts))
        .collect();
    let mut layers = Vec::with_capacity(infos.len());
    let mut stored = false;
    for outcome in outcomes {
        let outcome = outcome?;
        stored |= outcome.stored;
        warnings.extend(outcome.warning);
        layers.push(outcome.analysis);
    }
    if let (Some(c), true) = (&cache, stored)
        && let Err(e) = c.evict()
    {
        warnings.push(cache_warning(&e));
    }
    let (mut os, packages, mut flat_warnings) = kura_walker::flatten(&layers, &infos);
    warnings.append(&mut flat_warnings);
    mark_eol(&mut os);
    Ok(Inventory {
        target,
        os,
        layers: infos,
        packages,
        warnings,
    })
}

/// One layer's contribution.
struct Outcome {
    analysis: LayerAnalysis,
    warning: Option<ScanWarning>,
    stored: bool,
}

fn scan_one(
    source: &dyn LayerSource,
    info: &LayerInfo,
    cache: Option<&LayerCache>,
    opts: &ScanOptions,
) -> Result<Outcome, ScanError> {
    let index = info.index;
    let key = (!info.diff_id.is_empty())
        .then(|| LayerCache::key(&info.diff_id, opts.analyzers, &opts.limits));
    if let (Some(c), Some(k)) = (cache, &key)
        && let Some(analysis) = c.get(k)
    {
        emit(
            opts,
            ProgressEvent::LayerDone {
                index,
                cached: true,
            },
        );
        return Ok(Outcome {
            analysis,
            warning: None,
            stored: false,
        });
    }
    emit(
        opts,
        ProgressEvent::LayerStart {
            index,
            size: info.size,
        },
    );
    let fail = |source: LayerError| ScanError::Layer {
        index,
        diff_id: info.diff_id.clone(),
        source,
    };
    let reader = source.open_layer(index).map_err(fail)?;
    let reader = Counting {
        inner: reader,
        index,
        bytes: 0,
        reported: 0,
        progress: opts.progress.clone(),
    };
    let stored_size = (info.size > 0).then_some(info.size);
    let walked = kura_walker::walk_layer_sized(reader, stored_size, opts.analyzers, &opts.limits);
    emit(
        opts,
        ProgressEvent::LayerDone {
            index,
            cached: false,
        },
    );
    match walked {
        Ok(analysis) => {
            let mut warning = None;
            let mut stored = false;
            if let (Some(c), Some(k)) = (cache, &key) {
                match c.put(k, &info.diff_id, &analysis) {
                    Ok(()) => stored = true,
                    Err(e) => warning = Some(cache_warning(&e)),
                }
            }
            Ok(Outcome {
                analysis,
                warning,
                stored,
            })
        }
        // The source itself failed: nothing read from it can be trusted.
        Err(e @ WalkError::Read { .. }) => Err(fail(LayerError::Walk(e))),
        // The layer is malformed or over a cap: report it and scan the others.
        Err(e) => Ok(Outcome {
            analysis: LayerAnalysis::default(),
            warning: Some(ScanWarning {
                path: None,
                layer: Some(info.diff_id.clone()),
                analyzer: None,
                message: format!(
                    "layer {index} skipped: {}; packages it adds and files it removes are not reflected",
                    error_chain(&e)
                ),
            }),
            stored: false,
        }),
    }
}

/// `error: cause: cause` in one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

fn cache_warning(e: &CacheError) -> ScanWarning {
    ScanWarning {
        path: None,
        layer: None,
        analyzer: None,
        message: error_chain(e),
    }
}

fn emit(opts: &ScanOptions, event: ProgressEvent) {
    if let Some(p) = &opts.progress {
        p(event);
    }
}

/// Reports uncompressed bytes read, about every MiB.
struct Counting<R> {
    inner: R,
    index: usize,
    bytes: u64,
    reported: u64,
    progress: Option<Progress>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        if let Some(p) = &self.progress
            && (self.bytes - self.reported >= 1 << 20 || (n == 0 && self.bytes > self.reported))
        {
            self.reported = self.bytes;
            p(ProgressEvent::LayerBytes {
                index: self.index,
                bytes: self.bytes,
            });
        }
        Ok(n)
    }
}

/// Set the OS's end-of-life date and whether the scan date is past it. The EOL verdict is not
/// cached with the layers: it changes with the date, not with the content.
fn mark_eol(os: &mut Option<kura_types::OsInfo>) {
    if let Some(os) = os {
        let today = time::OffsetDateTime::now_utc().date();
        let today = format!(
            "{:04}-{:02}-{:02}",
            today.year(),
            u8::from(today.month()),
            today.day()
        );
        if let Err(e) = kura_analyzer::os::apply_eol(os, &today) {
            tracing::warn!("end-of-life check skipped: {e}");
        }
    }
}

/// Scan a directory (a root filesystem or a source tree). No cache: a directory has no
/// content digest to key it by.
pub fn scan_dir(path: &Path, kind: DirKind, opts: &ScanOptions) -> Result<Inventory, ScanError> {
    let analysis = kura_walker::walk_dir(path, opts.analyzers, &opts.limits)?;
    let (mut os, packages, warnings) = kura_walker::flatten(&[analysis], &[]);
    mark_eol(&mut os);
    Ok(Inventory {
        target: Target {
            name: path.display().to_string(),
            kind: kind.as_str().to_string(),
            ..Target::default()
        },
        os,
        layers: Vec::new(),
        packages,
        warnings,
    })
}

/// Scan whatever `reference` names: a directory that is not an OCI image layout is scanned as
/// a root filesystem; anything else is opened as an image (archive, layout or registry).
pub fn inventory(reference: &str, opts: &ScanOptions) -> Result<Inventory, ScanError> {
    let p = Path::new(reference);
    if opts.oci.kind.is_none() && p.is_dir() && !p.join("oci-layout").is_file() {
        return scan_dir(p, DirKind::Rootfs, opts);
    }
    let image = kura_oci::open(reference, &opts.oci).map_err(|source| ScanError::Open {
        reference: reference.to_string(),
        source,
    })?;
    scan_image(&image, opts)
}
