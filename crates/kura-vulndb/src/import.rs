//! `kura db import`: read advisory files (single files, directories, zip archives) into the DB.
//!
//! Formats are recognised per file: `.md` RustSec, `.toml` RustSec (older format), `.json` OSV,
//! Alpine secdb or Debian tracker (by their top-level keys), `.yaml`/`.yml` OSV or Alpine secdb.
//! A malformed advisory is skipped and counted with the file it came from; it never aborts.

use crate::error::VulnDbError;
use crate::model::Advisory;
use crate::parse::{self, ParseError, RustsecOutcome};
use crate::store::{DbWriter, SourceMeta};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Largest advisory file read (the Debian tracker JSON is the biggest feed, ~100 MB).
pub const MAX_FILE_SIZE: u64 = 1 << 30;
/// Largest zip entry read (one OSV advisory; far above any real one).
pub const MAX_ZIP_ENTRY: u64 = 64 << 20;
/// Deepest directory recursion (guards against pathological trees).
const MAX_DEPTH: usize = 32;

/// Options of an import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Start from an empty DB instead of adding to the existing one.
    pub replace: bool,
}

/// A skipped advisory or file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
    /// File (or `archive.zip!entry`) it came from.
    pub file: String,
    /// Why.
    pub message: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ImportReport {
    /// Files read.
    pub files: u64,
    /// Advisories stored.
    pub advisories: u64,
    /// Informational RustSec advisories not imported.
    pub informational: u64,
    /// Malformed advisories skipped.
    pub skipped: Vec<Skipped>,
}

/// Collects advisories of one source while reading files.
pub(crate) struct Sink<'a> {
    writer: &'a mut DbWriter,
    source: String,
    pub(crate) report: ImportReport,
    newest: Option<String>,
}

impl<'a> Sink<'a> {
    pub(crate) fn new(writer: &'a mut DbWriter, source: &str) -> Sink<'a> {
        Sink {
            writer,
            source: source.to_string(),
            report: ImportReport::default(),
            newest: None,
        }
    }

    fn add(&mut self, adv: &Advisory) -> Result<(), VulnDbError> {
        if let Some(m) = adv.modified.as_ref().or(adv.published.as_ref())
            && self.newest.as_ref().is_none_or(|n| m > n)
        {
            self.newest = Some(m.clone());
        }
        self.writer.add(&self.source, adv)?;
        self.report.advisories += 1;
        Ok(())
    }

    fn skip(&mut self, file: &str, e: ParseError) {
        tracing::warn!("skipping {file}: {}", e.message);
        self.report.skipped.push(Skipped {
            file: file.to_string(),
            message: e.message,
        });
    }

    /// Finish the source: write its metadata.
    pub(crate) fn finish(
        self,
        kind: &str,
        location: &str,
        etag: Option<String>,
        last_modified: Option<String>,
    ) -> Result<ImportReport, VulnDbError> {
        self.writer.set_source(&SourceMeta {
            name: self.source.clone(),
            kind: kind.to_string(),
            location: location.to_string(),
            snapshot: self.newest,
            etag,
            last_modified,
            advisories: self.report.advisories,
            skipped: self.report.skipped.len() as u64,
            updated: crate::now_rfc3339(),
        })?;
        Ok(self.report)
    }

    /// Parse one file's bytes, dispatching on its name.
    pub(crate) fn bytes(&mut self, name: &str, bytes: &[u8]) -> Result<(), VulnDbError> {
        self.report.files += 1;
        let lower = name.to_ascii_lowercase();
        let ext = lower.rsplit('.').next().unwrap_or("");
        match ext {
            "md" | "toml" => {
                let text = match std::str::from_utf8(bytes) {
                    Ok(t) => t,
                    Err(_) => {
                        self.skip(name, ParseError::new("not UTF-8"));
                        return Ok(());
                    }
                };
                match parse::parse_rustsec(text) {
                    Ok(RustsecOutcome::Advisory(a)) => self.add(&a)?,
                    Ok(RustsecOutcome::Informational) => self.report.informational += 1,
                    Err(e) => self.skip(name, e),
                }
            }
            "json" => match sniff_json(bytes) {
                JsonKind::Secdb => self.many(name, parse::parse_secdb_json(bytes))?,
                JsonKind::Debian => self.many(name, parse::parse_debian_tracker(bytes))?,
                JsonKind::Osv => match parse::parse_osv_json(bytes) {
                    Ok(a) => self.add(&a)?,
                    Err(e) => self.skip(name, e),
                },
            },
            "yaml" | "yml" => {
                let text = match std::str::from_utf8(bytes) {
                    Ok(t) => t,
                    Err(_) => {
                        self.skip(name, ParseError::new("not UTF-8"));
                        return Ok(());
                    }
                };
                if text.contains("\ndistroversion:") || text.starts_with("distroversion:") {
                    self.many(name, parse::parse_secdb_yaml(text))?;
                } else {
                    match parse::parse_osv_yaml(text) {
                        Ok(a) => self.add(&a)?,
                        Err(e) => self.skip(name, e),
                    }
                }
            }
            _ => self.report.files -= 1,
        }
        Ok(())
    }

    fn many(
        &mut self,
        name: &str,
        r: Result<Vec<Advisory>, ParseError>,
    ) -> Result<(), VulnDbError> {
        match r {
            Ok(list) => {
                for a in &list {
                    self.add(a)?;
                }
            }
            Err(e) => self.skip(name, e),
        }
        Ok(())
    }

    /// Read every advisory file inside a zip archive.
    pub(crate) fn zip(&mut self, path: &Path) -> Result<(), VulnDbError> {
        let file = fs_err::File::open(path).map_err(|e| VulnDbError::io("opening", path, e))?;
        let mut archive = zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(|e| {
            VulnDbError::Input {
                path: path.to_path_buf(),
                message: format!("not a readable zip archive: {e}"),
            }
        })?;
        let mut buf = Vec::new();
        for i in 0..archive.len() {
            let mut entry = archive.by_index(i).map_err(|e| VulnDbError::Input {
                path: path.to_path_buf(),
                message: format!("zip entry #{i}: {e}"),
            })?;
            if !entry.is_file() {
                continue;
            }
            let entry_name = entry
                .name()
                .map(|n| n.to_string())
                .unwrap_or_else(|_| format!("#{i}"));
            let name = format!("{}!{entry_name}", path.display());
            if entry.size() > MAX_ZIP_ENTRY {
                self.skip(&name, ParseError::new("entry larger than the 64 MiB limit"));
                continue;
            }
            buf.clear();
            // Bound the read by the limit, not the declared size: the header may lie.
            (&mut entry)
                .take(MAX_ZIP_ENTRY + 1)
                .read_to_end(&mut buf)
                .map_err(|e| VulnDbError::Input {
                    path: path.to_path_buf(),
                    message: format!("reading zip entry {entry_name}: {e}"),
                })?;
            if buf.len() as u64 > MAX_ZIP_ENTRY {
                self.skip(&name, ParseError::new("entry larger than the 64 MiB limit"));
                continue;
            }
            self.bytes(&name, &buf)?;
        }
        Ok(())
    }

    /// Read a file, directory or zip.
    pub(crate) fn path(&mut self, path: &Path, depth: usize) -> Result<(), VulnDbError> {
        let meta =
            fs_err::symlink_metadata(path).map_err(|e| VulnDbError::io("reading", path, e))?;
        if meta.is_dir() {
            if depth > MAX_DEPTH {
                self.skip(
                    &path.display().to_string(),
                    ParseError::new("directory nested too deep"),
                );
                return Ok(());
            }
            let mut entries: Vec<PathBuf> = fs_err::read_dir(path)
                .map_err(|e| VulnDbError::io("listing", path, e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect();
            entries.sort();
            for p in entries {
                // Symlinked directories are not followed: they can form loops.
                let is_link =
                    fs_err::symlink_metadata(&p).is_ok_and(|m| m.file_type().is_symlink());
                if is_link && p.is_dir() {
                    continue;
                }
                self.path(&p, depth + 1)?;
            }
            return Ok(());
        }
        let meta = fs_err::metadata(path).map_err(|e| VulnDbError::io("reading", path, e))?;
        if !meta.is_file() {
            return Ok(());
        }
        let name = path.display().to_string();
        if name.to_ascii_lowercase().ends_with(".zip") {
            return self.zip(path);
        }
        if !is_advisory_name(&name) {
            return Ok(());
        }
        if meta.len() > MAX_FILE_SIZE {
            self.skip(&name, ParseError::new("file larger than the 1 GiB limit"));
            return Ok(());
        }
        let bytes = fs_err::read(path).map_err(|e| VulnDbError::io("reading", path, e))?;
        self.bytes(&name, &bytes)
    }
}

fn is_advisory_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let base = lower.rsplit(['/', '\\']).next().unwrap_or(&lower);
    // Repository furniture that shares an extension with advisories.
    if matches!(
        base,
        "readme.md" | "contributing.md" | "changelog.md" | "license.md"
    ) {
        return false;
    }
    [".md", ".toml", ".json", ".yaml", ".yml"]
        .iter()
        .any(|e| base.ends_with(e))
}

enum JsonKind {
    Osv,
    Secdb,
    Debian,
}

/// Tell the JSON formats apart from their first top-level keys without parsing the whole file.
fn sniff_json(bytes: &[u8]) -> JsonKind {
    let head = &bytes[..bytes.len().min(64 * 1024)];
    let head = String::from_utf8_lossy(head);
    if head.contains("\"distroversion\"") {
        JsonKind::Secdb
    } else if head.contains("\"releases\"") && !head.contains("\"affected\"") {
        JsonKind::Debian
    } else {
        JsonKind::Osv
    }
}

/// Import files into the DB at `db`: each path given becomes one source (`file:<path>`),
/// replacing what an earlier import of the same path stored.
pub fn import_paths(
    db: &Path,
    paths: &[PathBuf],
    opts: &ImportOptions,
) -> Result<ImportReport, VulnDbError> {
    if paths.is_empty() {
        return Err(VulnDbError::Config("no files to import".into()));
    }
    let mut writer = if opts.replace {
        DbWriter::create(db)?
    } else {
        DbWriter::from_existing(db)?
    };
    let mut total = ImportReport::default();
    for p in paths {
        if !p.exists() {
            return Err(VulnDbError::io(
                "reading",
                p,
                std::io::Error::from(std::io::ErrorKind::NotFound),
            ));
        }
        let abs = fs_err::canonicalize(p).map_err(|e| VulnDbError::io("resolving", p, e))?;
        let source = format!("file:{}", abs.display());
        writer.clear_source(&source)?;
        let mut sink = Sink::new(&mut writer, &source);
        sink.path(&abs, 0)?;
        let r = sink.finish("file", &abs.display().to_string(), None, None)?;
        total.files += r.files;
        total.advisories += r.advisories;
        total.informational += r.informational;
        total.skipped.extend(r.skipped);
    }
    writer.commit()?;
    Ok(total)
}
