//! Walking a directory on disk (`kura scan rootfs DIR`, `kura scan fs DIR`).
//!
//! Symlinks are recorded, never followed, so the walk cannot leave the directory; [`crate::flatten`]
//! later resolves them against the directory as root. Directories are tracked by device and inode
//! so bind-mount loops end. Only regular files are opened, with `O_NOFOLLOW | O_NONBLOCK`, so a
//! FIFO or a file swapped for a symlink after the listing never blocks or escapes.

use crate::analyze::{self};
use crate::{EntryWarning, LayerAnalysis, Limits, Link};
use kura_analyzer::Analyzer;
use std::collections::HashSet;
use std::fs;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Pseudo-filesystems skipped at the top of a root filesystem when they are mount points.
const PSEUDO: &[&str] = &["proc", "sys", "dev"];

/// Why a directory could not be walked at all.
#[derive(Debug, thiserror::Error)]
pub enum DirError {
    /// The root cannot be read.
    #[error("cannot read {path}")]
    Root {
        /// The root given.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The root is not a directory.
    #[error("{path} is not a directory")]
    NotADirectory {
        /// The root given.
        path: PathBuf,
    },
    /// More entries than [`Limits::max_entries`].
    #[error("{path} has more than {limit} entries")]
    TooManyEntries {
        /// The root given.
        path: PathBuf,
        /// The cap.
        limit: u64,
    },
}

/// Walk `root` as an image root. Unreadable entries become warnings; only an unreadable root
/// or too many entries stop the walk.
pub fn walk_dir(
    root: &Path,
    analyzers: &[&dyn Analyzer],
    limits: &Limits,
) -> Result<LayerAnalysis, DirError> {
    let meta = fs::metadata(root).map_err(|source| DirError::Root {
        path: root.to_path_buf(),
        source,
    })?;
    if !meta.is_dir() {
        return Err(DirError::NotADirectory {
            path: root.to_path_buf(),
        });
    }
    let mut w = DirWalk {
        analyzers,
        limits,
        root_dev: meta.dev(),
        out: LayerAnalysis::default(),
        seen: HashSet::from([(meta.dev(), meta.ino())]),
    };
    let mut stack = vec![(root.to_path_buf(), String::new())];
    while let Some((abs, rel)) = stack.pop() {
        w.dir(&abs, &rel, &mut stack);
        if w.out.stats.entries > limits.max_entries {
            return Err(DirError::TooManyEntries {
                path: root.to_path_buf(),
                limit: limits.max_entries,
            });
        }
    }
    Ok(w.out)
}

struct DirWalk<'a> {
    analyzers: &'a [&'a dyn Analyzer],
    limits: &'a Limits,
    root_dev: u64,
    out: LayerAnalysis,
    seen: HashSet<(u64, u64)>,
}

impl DirWalk<'_> {
    fn warn(&mut self, rel: &str, message: String) {
        self.out.warnings.push(EntryWarning {
            path: Some(rel.to_string()),
            analyzer: None,
            message,
        });
    }

    fn dir(&mut self, abs: &Path, rel: &str, stack: &mut Vec<(PathBuf, String)>) {
        let entries = match fs::read_dir(abs) {
            Ok(e) => e,
            Err(e) => return self.warn(rel, format!("cannot list directory: {e}")),
        };
        for entry in entries {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    self.warn(rel, format!("cannot list directory: {e}"));
                    break;
                }
            };
            self.out.stats.entries += 1;
            let name = entry.file_name().to_string_lossy().into_owned();
            let child_rel = crate::path::join(rel, &name);
            let child_abs = entry.path();
            let meta = match fs::symlink_metadata(&child_abs) {
                Ok(m) => m,
                Err(e) => {
                    self.warn(&child_rel, format!("cannot stat: {e}"));
                    continue;
                }
            };
            let ft = meta.file_type();
            if ft.is_dir() {
                let pseudo = rel.is_empty() && PSEUDO.contains(&name.as_str());
                if pseudo && meta.dev() != self.root_dev {
                    continue;
                }
                if self.seen.insert((meta.dev(), meta.ino())) {
                    stack.push((child_abs, child_rel));
                }
            } else if ft.is_symlink() {
                self.symlink(&child_abs, child_rel);
            } else if ft.is_file() {
                self.file(&child_abs, child_rel, &meta);
            }
            // Devices, FIFOs and sockets are never opened.
        }
    }

    fn symlink(&mut self, abs: &Path, rel: String) {
        let target = match fs::read_link(abs) {
            Ok(t) => t.to_string_lossy().into_owned(),
            Err(e) => return self.warn(&rel, format!("cannot read symlink: {e}")),
        };
        let wanted = !analyze::plan(self.analyzers, &rel, 0o120_777, 0, self.limits).is_empty();
        self.out.links.insert(rel, Link::Symlink { target, wanted });
    }

    fn file(&mut self, abs: &Path, rel: String, meta: &fs::Metadata) {
        let (mode, size) = (meta.mode(), meta.size());
        let plan = analyze::plan(self.analyzers, &rel, mode, size, self.limits);
        if plan.is_empty() {
            return;
        }
        self.out
            .warnings
            .extend(analyze::size_warnings(&plan, &rel, size));
        if plan.readers.is_empty() {
            return;
        }
        let data = match read_capped(abs, size) {
            Ok(d) => d,
            Err(msg) => return self.warn(&rel, msg),
        };
        self.out.stats.files_read += 1;
        self.out.stats.bytes_read += data.len() as u64;
        self.out.stats.bytes += data.len() as u64;
        let record = analyze::run(&plan, &rel, mode, &data, &mut self.out.warnings);
        self.out.files.insert(rel, record);
    }
}

/// Read a regular file of `expected` bytes without following a symlink swapped in after the
/// listing, without blocking on a FIFO, and without reading past what was planned.
fn read_capped(abs: &Path, expected: u64) -> Result<Vec<u8>, String> {
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(abs)
        .map_err(|e| format!("cannot open: {e}"))?;
    let meta = file.metadata().map_err(|e| format!("cannot stat: {e}"))?;
    if !meta.is_file() {
        return Err("changed into a non-regular file while scanning: skipped".into());
    }
    let mut data = Vec::with_capacity(usize::try_from(expected.min(1 << 20)).unwrap_or(0));
    file.take(expected.saturating_add(1))
        .read_to_end(&mut data)
        .map_err(|e| format!("read failed: {e}"))?;
    if data.len() as u64 > expected {
        return Err("grew while being read: skipped".into());
    }
    Ok(data)
}
