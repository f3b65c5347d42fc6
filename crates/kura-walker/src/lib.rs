//! Layer walker: stream layer tars, apply whiteouts, hand wanted files to analyzers.
//!
//! An image is read one layer at a time, each in a single streaming pass
//! ([`walk_layer`]): only files some analyzer [`wants`](kura_analyzer::Analyzer::wants) are read
//! into memory, analyzed at once and dropped. What a layer contributes — analyzer results per
//! path, whiteouts, opaque directories, links — is a small serializable [`LayerAnalysis`] (the
//! unit of the per-layer cache). [`flatten`] then stacks the layers the way an overlay
//! filesystem would and attributes each package to the layer that introduced it.
//! [`walk_dir`] produces the same [`LayerAnalysis`] from a directory on disk.
//!
//! Nothing is ever written to the host: entry names are cleaned and confined to the image root,
//! symlinks are resolved against the recorded links only, and every size is capped by
//! [`Limits`].
//!
//! ```
//! use kura_walker::{flatten, walk_layer, Limits};
//! # let tar: Vec<u8> = kura_testutil::tar_bytes(&[("etc/hostname", b"box\n", 0o644)]);
//! let layer = walk_layer(&tar[..], &[], &Limits::default())?;
//! let (os, packages, warnings) = flatten(&[layer], &[]);
//! assert!(os.is_none() && packages.is_empty() && warnings.is_empty());
//! # Ok::<(), kura_walker::WalkError>(())
//! ```

use kura_analyzer::FileFindings;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

mod analyze;
mod dir;
mod flatten;
mod layer;
pub mod path;
pub mod tar;

pub use dir::{DirError, walk_dir};
pub use flatten::flatten;
pub use layer::{WalkError, walk_layer, walk_layer_sized};

/// Version of the [`LayerAnalysis`] format and of the walking rules; enters cache keys.
pub const FORMAT_VERSION: u32 = 1;

/// Caps that keep hostile input from exhausting memory, disk or time. Every cap is per layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Largest uncompressed layer, in bytes (decompression bombs).
    pub max_layer_bytes: u64,
    /// Largest expansion ratio (uncompressed / stored size), checked once a layer has expanded
    /// past [`Limits::ratio_grace_bytes`]. Deflate cannot exceed about 1032:1, so the default
    /// only trips on formats (zstd) or constructions built to expand without bound.
    pub max_ratio: u64,
    /// Bytes a layer may expand to before the ratio is checked.
    pub ratio_grace_bytes: u64,
    /// Largest file read into memory for an analyzer, whatever the analyzer accepts.
    pub max_file_bytes: u64,
    /// Most tar entries in one layer.
    pub max_entries: u64,
    /// Most links (symlinks and wanted hard links) and whiteouts recorded per layer; beyond it
    /// they are dropped with a warning, so memory stays bounded.
    pub max_recorded: usize,
    /// Most symlinks followed while resolving one path (Linux `MAXSYMLINKS` is 40).
    pub max_symlink_depth: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_layer_bytes: 32 << 30,
            max_ratio: 1024,
            ratio_grace_bytes: 1 << 30,
            max_file_bytes: kura_analyzer::DEFAULT_MAX_SIZE,
            max_entries: 10_000_000,
            max_recorded: 1_000_000,
            max_symlink_depth: 40,
        }
    }
}

impl Limits {
    /// A stable string of every field, for cache keys (a cap changes what a walk records).
    pub fn fingerprint(&self) -> String {
        format!(
            "layer={},ratio={},grace={},file={},entries={},recorded={},depth={}",
            self.max_layer_bytes,
            self.max_ratio,
            self.ratio_grace_bytes,
            self.max_file_bytes,
            self.max_entries,
            self.max_recorded,
            self.max_symlink_depth
        )
    }
}

/// What one layer (or one directory) contributes to the image.
///
/// Paths are relative to the root, without a leading `/`. This is the value stored by the
/// per-layer cache, as JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerAnalysis {
    /// Files some analyzer wanted, with every analyzer's results.
    #[serde(default)]
    pub files: BTreeMap<String, FileRecord>,
    /// Symlinks (all of them, so directory symlinks can be resolved) and wanted hard links
    /// whose target was not in this layer before them.
    #[serde(default)]
    pub links: BTreeMap<String, Link>,
    /// Paths hidden in lower layers by `.wh.NAME` entries.
    #[serde(default)]
    pub whiteouts: BTreeSet<String>,
    /// Directories whose lower-layer children are hidden by `.wh..wh..opq`.
    #[serde(default)]
    pub opaque_dirs: BTreeSet<String>,
    /// Problems with entries of this layer.
    #[serde(default)]
    pub warnings: Vec<EntryWarning>,
    /// Counters of the walk.
    #[serde(default)]
    pub stats: LayerStats,
}

/// A wanted file and what the analyzers made of it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    /// Unix mode (type and permission bits).
    pub mode: u32,
    /// Size in bytes.
    pub size: u64,
    /// One entry per analyzer that read the file, in analyzer order.
    #[serde(default)]
    pub results: Vec<AnalyzerResult>,
}

/// The findings of one analyzer on one file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalyzerResult {
    /// Analyzer id.
    pub analyzer: String,
    /// What it found.
    pub findings: FileFindings,
}

/// A link entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Link {
    /// A symbolic link with its raw target; `wanted` when an analyzer wants the link's own path.
    Symlink {
        /// Target as stored (relative to the link's directory, or absolute = image root).
        target: String,
        /// Some analyzer wants the link's path.
        wanted: bool,
    },
    /// A hard link to a file of this or a lower layer (normalised path).
    Hard {
        /// Path of the file linked to.
        target: String,
    },
}

/// A problem with one entry (or with the layer as a whole when `path` is empty).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryWarning {
    /// Path of the entry, when the problem concerns one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Analyzer id, when an analyzer raised it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analyzer: Option<String>,
    /// What went wrong.
    pub message: String,
}

/// Counters of one walk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerStats {
    /// Tar entries (or directory entries) seen.
    pub entries: u64,
    /// Uncompressed bytes streamed.
    pub bytes: u64,
    /// Files read into memory for analyzers.
    pub files_read: u64,
    /// Bytes of those files.
    pub bytes_read: u64,
}
