//! Random access to the members of a tar archive (`docker save` output, OCI archives), plain
//! or gzip-compressed.
//!
//! A plain tar is indexed in place by seeking over member data. A gzipped tar cannot be
//! seeked, so it is decompressed once into an anonymous temporary file while being indexed.
//! Members are then read through independent file handles, so layers can be read in parallel.

use std::collections::HashMap;
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::error::OciError;

/// Upper bound on symlink/hardlink hops when resolving a member (defeats link loops).
const MAX_LINK_HOPS: usize = 16;
/// Upper bound on members, so a hostile archive of millions of empty entries cannot exhaust
/// memory; real image archives hold a few hundred.
const MAX_MEMBERS: usize = 1 << 20;

#[derive(Debug, Clone, Copy)]
struct Member {
    offset: u64,
    size: u64,
}

#[derive(Debug, Clone)]
enum Entry {
    File(Member),
    /// Target already resolved to an archive-relative path.
    Link(String),
}

/// An index of a tar archive's regular files and links.
#[derive(Debug)]
pub(crate) struct ArchiveIndex {
    /// The archive the user named (for errors).
    archive: PathBuf,
    /// The file that holds the uncompressed tar bytes.
    data: PathBuf,
    /// Keeps the decompressed copy alive; deleted on drop.
    _temp: Option<tempfile::TempPath>,
    entries: HashMap<String, Entry>,
}

fn corrupt(archive: &Path, reason: impl Into<String>) -> OciError {
    OciError::CorruptArchive {
        archive: archive.to_path_buf(),
        reason: reason.into(),
    }
}

/// Normalize a member name: strip `./` and trailing `/`; reject absolute names and `..`.
pub(crate) fn normalize_member(archive: &Path, name: &str) -> Result<String, OciError> {
    let unsafe_name = || OciError::UnsafeMemberName {
        archive: archive.to_path_buf(),
        member: name.chars().take(300).collect(),
    };
    if name.starts_with('/') || name.contains('\0') || name.contains('\\') {
        return Err(unsafe_name());
    }
    let mut parts = Vec::new();
    for c in name.split('/') {
        match c {
            "" | "." => {}
            ".." => return Err(unsafe_name()),
            c => parts.push(c),
        }
    }
    Ok(parts.join("/"))
}

/// Resolve a link target written in member `from`'s directory (symlink) or at the root
/// (hardlink) to an archive-relative name, refusing targets that leave the archive.
fn resolve_link(
    archive: &Path,
    from: &str,
    target: &str,
    symlink: bool,
) -> Result<String, OciError> {
    let unsafe_name = || OciError::UnsafeMemberName {
        archive: archive.to_path_buf(),
        member: format!("{from} -> {target}"),
    };
    if target.starts_with('/') {
        return Err(unsafe_name());
    }
    let mut parts: Vec<&str> = if symlink {
        from.split('/').collect()
    } else {
        Vec::new()
    };
    if symlink {
        parts.pop();
    }
    for c in target.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(unsafe_name());
                }
            }
            c => parts.push(c),
        }
    }
    Ok(parts.join("/"))
}

/// Whether the first bytes are a gzip header (RFC 1952 §2.3.1: ID1 ID2 = 1f 8b).
pub(crate) fn is_gzip(magic: &[u8]) -> bool {
    magic.starts_with(&[0x1f, 0x8b])
}

/// Whether the first bytes are a zstd frame (RFC 8878 §3.1.1: magic 0xFD2FB528, little-endian).
pub(crate) fn is_zstd(magic: &[u8]) -> bool {
    magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd])
}

fn read_magic(path: &Path) -> Result<Vec<u8>, OciError> {
    let mut f = fs_err::File::open(path).map_err(|e| OciError::io(path, e))?;
    let mut buf = Vec::with_capacity(4);
    (&mut f)
        .take(4)
        .read_to_end(&mut buf)
        .map_err(|e| OciError::io(path, e))?;
    Ok(buf)
}

/// A reader that copies what it reads into a writer: indexing a gzipped tar writes the
/// decompressed bytes to the temporary file in the same pass.
struct Tee<R, W> {
    inner: R,
    out: W,
}

impl<R: Read, W: Write> Read for Tee<R, W> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out.write_all(buf.get(..n).unwrap_or_default())?;
        Ok(n)
    }
}

impl ArchiveIndex {
    /// Index the archive at `path`, decompressing it first when it is gzipped.
    pub(crate) fn open(path: &Path) -> Result<Self, OciError> {
        let magic = read_magic(path)?;
        if is_gzip(&magic) {
            Self::open_gzip(path)
        } else if is_zstd(&magic) {
            Err(corrupt(
                path,
                "zstd-compressed archives are not supported; decompress with `zstd -d` first",
            ))
        } else {
            Self::open_plain(path)
        }
    }

    fn open_plain(path: &Path) -> Result<Self, OciError> {
        let file = fs_err::File::open(path).map_err(|e| OciError::io(path, e))?;
        let len = file.metadata().map_err(|e| OciError::io(path, e))?.len();
        let mut ar = tar::Archive::new(BufReader::new(file));
        let entries = {
            let iter = ar
                .entries_with_seek()
                .map_err(|e| corrupt(path, e.to_string()))?;
            collect_entries(path, iter)?
        };
        check_bounds(path, &entries, len)?;
        Ok(ArchiveIndex {
            archive: path.to_path_buf(),
            data: path.to_path_buf(),
            _temp: None,
            entries,
        })
    }

    fn open_gzip(path: &Path) -> Result<Self, OciError> {
        let file = fs_err::File::open(path).map_err(|e| OciError::io(path, e))?;
        let temp =
            tempfile::NamedTempFile::new().map_err(|e| OciError::io(std::env::temp_dir(), e))?;
        let (temp_file, temp_path) = temp.into_parts();
        let gz = flate2::read::MultiGzDecoder::new(BufReader::new(file));
        let mut tee = Tee {
            inner: gz,
            out: io::BufWriter::new(temp_file),
        };
        let entries = {
            let mut ar = tar::Archive::new(&mut tee);
            let iter = ar.entries().map_err(|e| corrupt(path, e.to_string()))?;
            collect_entries(path, iter)?
        };
        // Read the rest (end-of-archive blocks, padding) so the copy and the gzip trailer
        // check are complete.
        io::copy(&mut tee, &mut io::sink())
            .map_err(|e| corrupt(path, format!("gzip stream: {e}")))?;
        let file = tee
            .out
            .into_inner()
            .map_err(|e| OciError::io(&*temp_path, e.into_error()))?;
        let len = file
            .metadata()
            .map_err(|e| OciError::io(&*temp_path, e))?
            .len();
        check_bounds(path, &entries, len)?;
        Ok(ArchiveIndex {
            archive: path.to_path_buf(),
            data: temp_path.to_path_buf(),
            _temp: Some(temp_path),
            entries,
        })
    }

    /// The archive's path as the user gave it.
    pub(crate) fn archive(&self) -> &Path {
        &self.archive
    }

    /// Whether a member exists (after following links).
    pub(crate) fn contains(&self, name: &str) -> bool {
        self.lookup(name).is_ok()
    }

    fn lookup(&self, name: &str) -> Result<Member, OciError> {
        let mut cur = normalize_member(&self.archive, name)?;
        for _ in 0..MAX_LINK_HOPS {
            match self.entries.get(&cur) {
                Some(Entry::File(m)) => return Ok(*m),
                Some(Entry::Link(t)) => cur = t.clone(),
                None => {
                    return Err(OciError::MissingBlob {
                        digest: name.to_string(),
                        source_name: self.archive.display().to_string(),
                    });
                }
            }
        }
        Err(corrupt(
            &self.archive,
            format!("member {name}: more than {MAX_LINK_HOPS} link hops (a loop?)"),
        ))
    }

    /// Size of a member.
    pub(crate) fn size(&self, name: &str) -> Result<u64, OciError> {
        Ok(self.lookup(name)?.size)
    }

    /// Open a member for reading through its own file handle.
    pub(crate) fn open_member(&self, name: &str) -> Result<Box<dyn Read + Send + '_>, OciError> {
        let m = self.lookup(name)?;
        let mut f = fs_err::File::open(&self.data).map_err(|e| OciError::io(&self.data, e))?;
        f.seek(SeekFrom::Start(m.offset))
            .map_err(|e| OciError::io(&self.data, e))?;
        Ok(Box::new(
            BufReader::with_capacity(64 * 1024, f).take(m.size),
        ))
    }

    /// Read a whole member, refusing ones larger than `cap`.
    pub(crate) fn read_member(
        &self,
        name: &str,
        cap: u64,
        what: &'static str,
    ) -> Result<Vec<u8>, OciError> {
        let size = self.size(name)?;
        if size > cap {
            return Err(OciError::TooLarge {
                what,
                name: name.to_string(),
                limit: cap,
            });
        }
        let mut buf = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        self.open_member(name)?
            .read_to_end(&mut buf)
            .map_err(|e| OciError::io(&self.archive, e))?;
        Ok(buf)
    }
}

fn collect_entries<R: Read>(
    path: &Path,
    iter: tar::Entries<'_, R>,
) -> Result<HashMap<String, Entry>, OciError> {
    let mut entries = HashMap::new();
    for (n, entry) in iter.enumerate() {
        if n >= MAX_MEMBERS {
            return Err(corrupt(path, format!("more than {MAX_MEMBERS} members")));
        }
        let entry = entry.map_err(|e| corrupt(path, format!("after {n} members: {e}")))?;
        let raw = entry.path_bytes();
        let name_str = String::from_utf8_lossy(&raw).into_owned();
        let name = normalize_member(path, &name_str)?;
        let kind = entry.header().entry_type();
        let value = if kind.is_file() || kind == tar::EntryType::Continuous {
            Entry::File(Member {
                offset: entry.raw_file_position(),
                size: entry.size(),
            })
        } else if kind.is_symlink() || kind.is_hard_link() {
            let target = entry
                .link_name_bytes()
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .ok_or_else(|| corrupt(path, format!("link {name_str} without a target")))?;
            Entry::Link(resolve_link(path, &name, &target, kind.is_symlink())?)
        } else {
            continue;
        };
        entries.insert(name, value);
    }
    Ok(entries)
}

/// A truncated plain tar still indexes (we seek over data), so check every member lies
/// within the file.
fn check_bounds(path: &Path, entries: &HashMap<String, Entry>, len: u64) -> Result<(), OciError> {
    for (name, e) in entries {
        if let Entry::File(m) = e
            && m.offset.checked_add(m.size).is_none_or(|end| end > len)
        {
            return Err(corrupt(
                path,
                format!(
                    "member {name} is truncated: needs {} bytes at offset {}, file has {len}",
                    m.size, m.offset
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_names_are_normalized_or_rejected() {
        let a = Path::new("a.tar");
        let cases: &[(&str, Option<&str>)] = &[
            ("manifest.json", Some("manifest.json")),
            ("./blobs/sha256/x", Some("blobs/sha256/x")),
            ("dir/", Some("dir")),
            ("../x", None),
            ("a/../../x", None),
            ("/etc/passwd", None),
            ("a\\..\\b", None),
        ];
        for (name, want) in cases {
            assert_eq!(normalize_member(a, name).ok().as_deref(), *want, "{name}");
        }
    }

    #[test]
    fn link_targets_resolve_inside_the_archive_only() {
        let a = Path::new("a.tar");
        assert_eq!(
            resolve_link(a, "x/layer.tar", "../y/layer.tar", true).unwrap(),
            "y/layer.tar"
        );
        assert_eq!(
            resolve_link(a, "x/layer.tar", "y/layer.tar", false).unwrap(),
            "y/layer.tar"
        );
        assert!(resolve_link(a, "x/layer.tar", "../../etc/passwd", true).is_err());
        assert!(resolve_link(a, "x/layer.tar", "/etc/passwd", true).is_err());
    }
}
