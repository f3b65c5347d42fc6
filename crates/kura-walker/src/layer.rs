//! One streaming pass over one layer tar.

use crate::analyze::{self, S_IFREG};
use crate::path::{Whiteout, normalize, whiteout};
use crate::tar::{Header, Kind, TarError, TarReader};
use crate::{EntryWarning, LayerAnalysis, Limits, Link};
use kura_analyzer::Analyzer;
use std::collections::BTreeSet;
use std::io::{self, Read};

/// Why a layer could not be walked to its end. The caller adds the layer's identity.
#[derive(Debug, thiserror::Error)]
pub enum WalkError {
    /// The layer stream itself failed (source I/O, decompression, digest verification).
    #[error("reading the layer failed at offset {offset} (after entry {after:?})")]
    Read {
        /// Uncompressed offset reached.
        offset: u64,
        /// Last entry read completely, if any.
        after: Option<String>,
        /// The source's error.
        #[source]
        source: io::Error,
    },
    /// The tar structure is malformed or truncated.
    #[error("malformed layer tar (after entry {after:?})")]
    Tar {
        /// Last entry read completely, if any.
        after: Option<String>,
        /// What is wrong, with the offset.
        #[source]
        source: TarError,
    },
    /// The layer expands past [`Limits::max_layer_bytes`].
    #[error("layer expands past {limit} bytes (decompression bomb cap; after entry {after:?})")]
    TooLarge {
        /// The cap.
        limit: u64,
        /// Last entry read completely, if any.
        after: Option<String>,
    },
    /// The layer expands more than [`Limits::max_ratio`] times its stored size.
    #[error(
        "layer of {stored} stored bytes expands past {expanded} bytes, over the {ratio}:1 ratio cap (after entry {after:?})"
    )]
    Ratio {
        /// Stored (compressed) size.
        stored: u64,
        /// Bytes expanded when the cap tripped.
        expanded: u64,
        /// The ratio cap.
        ratio: u64,
        /// Last entry read completely, if any.
        after: Option<String>,
    },
    /// The layer has more entries than [`Limits::max_entries`].
    #[error("layer has more than {limit} entries")]
    TooManyEntries {
        /// The cap.
        limit: u64,
    },
}

/// Which cap a [`Capped`] reader hit.
#[derive(Debug, Clone, Copy)]
enum Tripped {
    Size,
    Ratio,
}

/// Counts expanded bytes and refuses to read past the caps; remembers whether an error came
/// from the source (as opposed to the tar structure).
struct Capped<R> {
    inner: R,
    read: u64,
    max: u64,
    ratio_at: u64,
    tripped: Option<Tripped>,
    source_failed: bool,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let limit = self.max.min(self.ratio_at);
        if self.read >= limit {
            // Let one byte through the cap check: a layer exactly at the cap is fine, one past
            // it is not — so probe whether more data exists before failing.
            let mut probe = [0u8; 1];
            let n = self.read_inner(&mut probe)?;
            if n == 0 {
                return Ok(0);
            }
            self.tripped = Some(if self.read > self.max {
                Tripped::Size
            } else {
                Tripped::Ratio
            });
            return Err(io::Error::other("expansion cap reached"));
        }
        let room = usize::try_from(limit - self.read).unwrap_or(usize::MAX);
        let len = buf.len().min(room);
        self.read_inner(&mut buf[..len])
    }
}

impl<R: Read> Capped<R> {
    fn read_inner(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => {
                self.read += n as u64;
                Ok(n)
            }
            Err(e) => {
                if e.kind() != io::ErrorKind::Interrupted {
                    self.source_failed = true;
                }
                Err(e)
            }
        }
    }
}

/// Walk one uncompressed layer tar with no stored-size information (no ratio check).
pub fn walk_layer(
    reader: impl Read,
    analyzers: &[&dyn Analyzer],
    limits: &Limits,
) -> Result<LayerAnalysis, WalkError> {
    walk_layer_sized(reader, None, analyzers, limits)
}

/// Walk one uncompressed layer tar whose stored (compressed) blob is `stored` bytes, so the
/// expansion ratio can be capped too.
pub fn walk_layer_sized(
    reader: impl Read,
    stored: Option<u64>,
    analyzers: &[&dyn Analyzer],
    limits: &Limits,
) -> Result<LayerAnalysis, WalkError> {
    let ratio_at = match stored {
        Some(s) if s > 0 => s
            .saturating_mul(limits.max_ratio)
            .max(limits.ratio_grace_bytes),
        _ => u64::MAX,
    };
    // Decompressors pay a fixed cost per call (zlib-rs' CRC-32 most of all), and tar headers
    // come 512 bytes at a time: ask the source for large chunks instead.
    let capped = Capped {
        inner: io::BufReader::with_capacity(256 * 1024, reader),
        read: 0,
        max: limits.max_layer_bytes,
        ratio_at,
        tripped: None,
        source_failed: false,
    };
    let mut w = Walk {
        tar: TarReader::new(capped),
        analyzers,
        limits,
        out: LayerAnalysis::default(),
        recorded: 0,
        last: None,
    };
    let result = w.run().and_then(|()| w.drain());
    match result {
        Ok(bytes) => {
            w.out.stats.bytes = bytes;
            Ok(w.out)
        }
        Err(e) => Err(w.classify(e, stored)),
    }
}

struct Walk<'a, R> {
    tar: TarReader<Capped<R>>,
    analyzers: &'a [&'a dyn Analyzer],
    limits: &'a Limits,
    out: LayerAnalysis,
    /// Links and whiteouts recorded, against `max_recorded`.
    recorded: usize,
    last: Option<String>,
}

/// An error inside the walk, before it is classified.
enum Stop {
    Tar(TarError),
    Entries,
}

impl From<TarError> for Stop {
    fn from(e: TarError) -> Self {
        Stop::Tar(e)
    }
}

impl<R: Read> Walk<'_, R> {
    fn run(&mut self) -> Result<(), Stop> {
        while let Some(h) = self.tar.next_header()? {
            self.out.stats.entries += 1;
            if self.out.stats.entries > self.limits.max_entries {
                return Err(Stop::Entries);
            }
            self.entry(&h)?;
        }
        Ok(())
    }

    /// Read what follows the end-of-archive marker: sources verify digests at end of stream,
    /// and padding after the marker still counts against the expansion caps.
    fn drain(&mut self) -> Result<u64, Stop> {
        let offset = self.tar.offset();
        let capped = self.tar.get_mut();
        io::copy(capped, &mut io::sink())
            .map_err(|source| Stop::Tar(TarError::Io { offset, source }))?;
        Ok(capped.read)
    }

    fn classify(self, e: Stop, stored: Option<u64>) -> WalkError {
        let after = self.last;
        let capped = self.tar.get_ref();
        let source = match e {
            Stop::Entries => {
                return WalkError::TooManyEntries {
                    limit: self.limits.max_entries,
                };
            }
            Stop::Tar(t) => t,
        };
        match capped.tripped {
            Some(Tripped::Size) => {
                return WalkError::TooLarge {
                    limit: self.limits.max_layer_bytes,
                    after,
                };
            }
            Some(Tripped::Ratio) => {
                return WalkError::Ratio {
                    stored: stored.unwrap_or(0),
                    expanded: capped.read,
                    ratio: self.limits.max_ratio,
                    after,
                };
            }
            None => {}
        }
        match source {
            TarError::Io { offset, source } if capped.source_failed => WalkError::Read {
                offset,
                after,
                source,
            },
            source => WalkError::Tar { after, source },
        }
    }

    fn warn(&mut self, path: &str, message: String) {
        self.out.warnings.push(EntryWarning {
            path: Some(path.to_string()),
            analyzer: None,
            message,
        });
    }

    /// Count one more recorded link or whiteout; false (with one warning) past the cap.
    fn may_record(&mut self, path: &str) -> bool {
        self.recorded += 1;
        if self.recorded == self.limits.max_recorded + 1 {
            self.warn(
                path,
                format!(
                    "more than {} links and whiteouts in this layer: the rest are ignored",
                    self.limits.max_recorded
                ),
            );
        }
        self.recorded <= self.limits.max_recorded
    }

    fn entry(&mut self, h: &Header) -> Result<(), Stop> {
        let n = normalize(&h.name);
        if n.escaped {
            self.warn(
                &h.name,
                format!(
                    "entry name leaves the layer root; applied as /{} as a runtime would",
                    n.path
                ),
            );
        }
        let path = n.path;
        if path.is_empty() {
            return Ok(());
        }
        match whiteout(&path) {
            Whiteout::None => {}
            Whiteout::Reserved => return Ok(()),
            Whiteout::Entry(hidden) => {
                if self.may_record(&path) {
                    self.out.whiteouts.insert(hidden);
                }
                return Ok(());
            }
            Whiteout::Opaque(dir) => {
                if self.may_record(&path) {
                    self.out.opaque_dirs.insert(dir);
                }
                return Ok(());
            }
        }
        // A later entry at the same path replaces an earlier one of the same layer.
        self.out.files.remove(&path);
        self.out.links.remove(&path);
        match h.kind {
            Kind::Regular => self.regular(h, path.clone())?,
            Kind::HardLink => self.hard_link(h, path.clone()),
            Kind::Symlink => self.symlink(h, path.clone()),
            Kind::Sparse => {
                let mode = h.mode | S_IFREG;
                let plan = analyze::plan(self.analyzers, &path, mode, h.size, self.limits);
                if !plan.is_empty() {
                    self.warn(&path, "GNU sparse file: not analyzed".into());
                    self.record_unread(path.clone(), mode, h.size);
                }
            }
            Kind::Directory | Kind::Special | Kind::Other(_) => {}
        }
        self.last = Some(path);
        Ok(())
    }

    /// A wanted file that was not read still hides lower-layer versions of the same path.
    fn record_unread(&mut self, path: String, mode: u32, size: u64) {
        self.out.files.insert(
            path,
            crate::FileRecord {
                mode,
                size,
                results: Vec::new(),
            },
        );
    }

    fn regular(&mut self, h: &Header, path: String) -> Result<(), Stop> {
        let mode = h.mode | S_IFREG;
        let plan = analyze::plan(self.analyzers, &path, mode, h.size, self.limits);
        if plan.is_empty() {
            return Ok(());
        }
        let size_warnings = analyze::size_warnings(&plan, &path, h.size);
        self.out.warnings.extend(size_warnings);
        if plan.readers.is_empty() {
            self.record_unread(path, mode, h.size);
            return Ok(());
        }
        let data = self.tar.read_data()?;
        self.out.stats.files_read += 1;
        self.out.stats.bytes_read += data.len() as u64;
        let record = analyze::run(&plan, &path, mode, &data, &mut self.out.warnings);
        self.out.files.insert(path, record);
        Ok(())
    }

    /// Hard link names are relative to the archive root (POSIX `ustar` `linkname`). A link to a
    /// file read earlier in this layer reuses its results; otherwise the link is kept for
    /// [`crate::flatten`] to resolve against lower layers.
    fn hard_link(&mut self, h: &Header, path: String) {
        let target = normalize(&h.link);
        if target.escaped {
            self.warn(
                &path,
                format!("hard link target {:?} leaves the layer root", h.link),
            );
        }
        let target = target.path;
        let mode = h.mode | S_IFREG;
        let Some(rec) = self.out.files.get(&target) else {
            let plan = analyze::plan(self.analyzers, &path, mode, 0, self.limits);
            if !plan.is_empty() && target != path && self.may_record(&path) {
                self.out.links.insert(path, Link::Hard { target });
            }
            return;
        };
        let plan = analyze::plan(self.analyzers, &path, rec.mode, rec.size, self.limits);
        if plan.is_empty() {
            return;
        }
        let ran: BTreeSet<&str> = rec.results.iter().map(|r| r.analyzer.as_str()).collect();
        let wanted: BTreeSet<&str> = plan.readers.iter().map(|a| a.id()).collect();
        let mut reused = analyze::rehome(rec, &target, &path);
        reused
            .results
            .retain(|r| wanted.contains(r.analyzer.as_str()));
        let missing: Vec<String> = wanted.difference(&ran).map(|id| id.to_string()).collect();
        for id in missing {
            self.out.warnings.push(EntryWarning {
                path: Some(path.clone()),
                analyzer: Some(id),
                message: format!("hard link to {target}, which was read under a path this analyzer does not want: not analyzed"),
            });
        }
        self.out.files.insert(path, reused);
    }

    fn symlink(&mut self, h: &Header, path: String) {
        let wanted = !analyze::plan(self.analyzers, &path, 0o120_777, 0, self.limits).is_empty();
        if self.may_record(&path) {
            self.out.links.insert(
                path,
                Link::Symlink {
                    target: h.link.clone(),
                    wanted,
                },
            );
        }
    }
}
