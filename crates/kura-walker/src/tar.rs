//! A streaming tar reader with bounded memory.
//!
//! The formats are those of POSIX.1-2001 `pax` (ustar headers plus `x`/`g` extended headers) and
//! GNU tar (`L`/`K` long names, `S` sparse files, base-256 sizes). Entry data is never buffered
//! here: the caller either reads it ([`TarReader::read_data`]) or it is skipped. Extension headers
//! are the only data read on the reader's own initiative, and they are capped at
//! [`MAX_EXTENSION`] bytes — general-purpose tar readers load them whole, so one header claiming
//! gigabytes would exhaust memory.
//!
//! Where formats leave room for interpretation this follows Go's `archive/tar`, which container
//! runtimes use to apply layers, so kura reads a hostile layer the way it will be unpacked:
//! header-only types (links, directories, devices, FIFOs) carry no data whatever their size
//! field says, and the archive ends at the first all-zero block.

use std::io::{self, Read};

/// Size of a tar block (POSIX.1-2001 `ustar` "Header Block").
pub const BLOCK: usize = 512;
/// Largest extension header (pax `x`/`g`, GNU `L`/`K`) accepted.
pub const MAX_EXTENSION: u64 = 1024 * 1024;

/// What kind of entry a header describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Regular file (`0`, NUL, `7`).
    Regular,
    /// Hard link (`1`).
    HardLink,
    /// Symbolic link (`2`).
    Symlink,
    /// Directory (`5`).
    Directory,
    /// Character or block device, FIFO (`3`, `4`, `6`).
    Special,
    /// GNU sparse file (`S`): data present but stored as a sparse map.
    Sparse,
    /// Any other type flag; its data is skipped.
    Other(u8),
}

/// One entry header, with extension headers already applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Raw name (after pax `path` / GNU long name).
    pub name: String,
    /// Raw link target for links.
    pub link: String,
    /// Entry kind.
    pub kind: Kind,
    /// Mode bits from the header (permissions; file-type bits are added from `kind` by callers).
    pub mode: u32,
    /// Data size in bytes (0 for header-only types).
    pub size: u64,
    /// Offset of the header block in the uncompressed stream.
    pub offset: u64,
}

/// A malformed archive.
#[derive(Debug, thiserror::Error)]
pub enum TarError {
    /// The stream could not be read (including a cap enforced by the reader beneath).
    #[error("read failed at offset {offset}: {source}")]
    Io {
        /// Offset in the uncompressed stream.
        offset: u64,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The stream ended inside a header or inside an entry's data.
    #[error("archive truncated at offset {offset} ({context})")]
    Truncated {
        /// Offset where data was missing.
        offset: u64,
        /// What was being read.
        context: String,
    },
    /// A header failed its checksum or has an unparsable numeric field.
    #[error("corrupt header at offset {offset}: {reason}")]
    BadHeader {
        /// Offset of the header.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// An extension header is larger than [`MAX_EXTENSION`].
    #[error("extension header at offset {offset} declares {size} bytes (limit {MAX_EXTENSION})")]
    ExtensionTooLarge {
        /// Offset of the header.
        offset: u64,
        /// Declared size.
        size: u64,
    },
}

/// Streams the entries of a tar archive.
pub struct TarReader<R> {
    inner: R,
    offset: u64,
    /// Data bytes of the current entry not yet consumed.
    remaining: u64,
    /// Padding after the current entry's data.
    padding: u64,
    done: bool,
    scratch: Vec<u8>,
}

/// Extension values collected for the next ordinary header.
#[derive(Default)]
struct Pending {
    name: Option<String>,
    link: Option<String>,
    size: Option<u64>,
}

impl<R: Read> TarReader<R> {
    /// Wrap a reader positioned at the start of an uncompressed tar stream.
    pub fn new(inner: R) -> Self {
        TarReader {
            inner,
            offset: 0,
            remaining: 0,
            padding: 0,
            done: false,
            scratch: Vec::new(),
        }
    }

    /// The reader beneath.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The reader beneath, mutably (to drain what follows the end-of-archive blocks).
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Next entry header, skipping whatever of the previous entry's data was not read.
    pub fn next_header(&mut self) -> Result<Option<Header>, TarError> {
        if self.done {
            return Ok(None);
        }
        self.skip_rest()?;
        let mut pending = Pending::default();
        loop {
            let start = self.offset;
            let mut block = [0u8; BLOCK];
            match self.read_block(&mut block)? {
                false => {
                    // End of stream at a block boundary: accept it as the end of the archive
                    // (some writers omit the two zero blocks) unless an extension was pending.
                    if pending.name.is_some() || pending.link.is_some() || pending.size.is_some() {
                        return Err(TarError::Truncated {
                            offset: start,
                            context: "header after an extension header".into(),
                        });
                    }
                    self.done = true;
                    return Ok(None);
                }
                true if block.iter().all(|&b| b == 0) => {
                    self.done = true;
                    return Ok(None);
                }
                true => {}
            }
            verify_checksum(&block, start)?;
            let flag = block[156];
            let declared = parse_size(&block[124..136], start)?;
            match flag {
                b'L' | b'K' | b'x' | b'g' => {
                    let data = self.read_extension(declared, start)?;
                    match flag {
                        b'L' => pending.name = Some(c_string(&data)),
                        b'K' => pending.link = Some(c_string(&data)),
                        b'x' => apply_pax(&data, &mut pending, start)?,
                        // Global pax headers (`g`) set defaults for every later entry; the
                        // keys kura uses (path, linkpath, size) are per-file by nature.
                        _ => {}
                    }
                    continue;
                }
                _ => {}
            }
            let kind = kind_of(flag);
            let size = match kind {
                Kind::HardLink | Kind::Symlink | Kind::Directory | Kind::Special => 0,
                _ => pending.size.unwrap_or(declared),
            };
            if kind == Kind::Sparse && block[482] != 0 {
                self.skip_sparse_extensions()?;
            }
            let header = Header {
                name: pending.name.take().unwrap_or_else(|| ustar_name(&block)),
                link: pending
                    .link
                    .take()
                    .unwrap_or_else(|| c_string(&block[157..257])),
                kind,
                mode: parse_octal(&block[100..108]).unwrap_or(0) as u32 & 0o7777,
                size,
                offset: start,
            };
            self.remaining = size;
            self.padding = pad(size);
            return Ok(Some(header));
        }
    }

    /// Read the current entry's data, which the caller has checked is small enough to hold.
    pub fn read_data(&mut self) -> Result<Vec<u8>, TarError> {
        let want = self.remaining;
        let mut buf = Vec::with_capacity(usize::try_from(want.min(1 << 20)).unwrap_or(0));
        let got = (&mut self.inner)
            .take(want)
            .read_to_end(&mut buf)
            .map_err(|source| TarError::Io {
                offset: self.offset,
                source,
            })?;
        self.offset += got as u64;
        self.remaining -= got as u64;
        if self.remaining > 0 {
            return Err(TarError::Truncated {
                offset: self.offset,
                context: format!("entry data, {} bytes missing", self.remaining),
            });
        }
        Ok(buf)
    }

    fn skip_rest(&mut self) -> Result<(), TarError> {
        let n = self.remaining + self.padding;
        self.remaining = 0;
        self.padding = 0;
        self.skip(n, "entry data")
    }

    fn skip(&mut self, mut n: u64, context: &str) -> Result<(), TarError> {
        if self.scratch.is_empty() && n > 0 {
            self.scratch = vec![0u8; 128 * 1024];
        }
        while n > 0 {
            let chunk = usize::try_from(n.min(self.scratch.len() as u64)).unwrap_or(BLOCK);
            let read = match self.inner.read(&mut self.scratch[..chunk]) {
                Ok(0) => {
                    return Err(TarError::Truncated {
                        offset: self.offset,
                        context: format!("{context}, {n} bytes missing"),
                    });
                }
                Ok(r) => r,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(source) => {
                    return Err(TarError::Io {
                        offset: self.offset,
                        source,
                    });
                }
            };
            self.offset += read as u64;
            n -= read as u64;
        }
        Ok(())
    }

    /// Read one block; `false` on a clean end of stream before its first byte.
    fn read_block(&mut self, block: &mut [u8; BLOCK]) -> Result<bool, TarError> {
        let mut filled = 0;
        while filled < BLOCK {
            match self.inner.read(&mut block[filled..]) {
                Ok(0) if filled == 0 => return Ok(false),
                Ok(0) => {
                    return Err(TarError::Truncated {
                        offset: self.offset,
                        context: "header block".into(),
                    });
                }
                Ok(n) => {
                    filled += n;
                    self.offset += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(source) => {
                    return Err(TarError::Io {
                        offset: self.offset,
                        source,
                    });
                }
            }
        }
        Ok(true)
    }

    fn read_extension(&mut self, size: u64, start: u64) -> Result<Vec<u8>, TarError> {
        if size > MAX_EXTENSION {
            return Err(TarError::ExtensionTooLarge {
                offset: start,
                size,
            });
        }
        self.remaining = size;
        self.padding = pad(size);
        let data = self.read_data()?;
        let p = self.padding;
        self.padding = 0;
        self.skip(p, "extension padding")?;
        Ok(data)
    }

    /// Old GNU sparse headers may be followed by extension blocks of 21 more map entries each,
    /// chained by the "isextended" byte at offset 504.
    fn skip_sparse_extensions(&mut self) -> Result<(), TarError> {
        loop {
            let mut block = [0u8; BLOCK];
            if !self.read_block(&mut block)? {
                return Err(TarError::Truncated {
                    offset: self.offset,
                    context: "GNU sparse extension header".into(),
                });
            }
            if block[504] == 0 {
                return Ok(());
            }
        }
    }
}

fn kind_of(flag: u8) -> Kind {
    match flag {
        b'0' | 0 | b'7' => Kind::Regular,
        b'1' => Kind::HardLink,
        b'2' => Kind::Symlink,
        b'5' => Kind::Directory,
        b'3' | b'4' | b'6' => Kind::Special,
        b'S' => Kind::Sparse,
        other => Kind::Other(other),
    }
}

fn pad(size: u64) -> u64 {
    (BLOCK as u64 - size % BLOCK as u64) % BLOCK as u64
}

/// A NUL-terminated (or full-width) header string; invalid UTF-8 is replaced, since paths in
/// kura are text and a lossy name still identifies the entry in a warning.
fn c_string(field: &[u8]) -> String {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end]).into_owned()
}

/// Name from a header: the ustar `prefix` field applies only to POSIX ustar headers (magic
/// `ustar\0`, version `00`); old GNU headers use those bytes for times.
fn ustar_name(block: &[u8; BLOCK]) -> String {
    let name = c_string(&block[0..100]);
    if &block[257..263] == b"ustar\0" {
        let prefix = c_string(&block[345..500]);
        if !prefix.is_empty() {
            return format!("{prefix}/{name}");
        }
    }
    name
}

/// POSIX: the checksum is the sum of the header bytes with the checksum field taken as spaces.
/// Historic writers summed signed bytes, so both sums are accepted.
fn verify_checksum(block: &[u8; BLOCK], offset: u64) -> Result<(), TarError> {
    let stored = parse_octal(&block[148..156]).ok_or_else(|| TarError::BadHeader {
        offset,
        reason: "unparsable checksum field".into(),
    })?;
    let field = &block[148..156];
    let unsigned = block.iter().map(|&b| u64::from(b)).sum::<u64>()
        - field.iter().map(|&b| u64::from(b)).sum::<u64>()
        + 8 * u64::from(b' ');
    if stored == unsigned {
        return Ok(());
    }
    let signed = block.iter().map(|&b| i64::from(b as i8)).sum::<i64>()
        - field.iter().map(|&b| i64::from(b as i8)).sum::<i64>()
        + 8 * i64::from(b' ');
    if i64::try_from(stored).is_ok_and(|s| s == signed) {
        Ok(())
    } else {
        Err(TarError::BadHeader {
            offset,
            reason: format!("checksum {stored} does not match computed {unsigned}"),
        })
    }
}

/// Octal number, NUL/space padded. `None` when a non-octal digit appears.
fn parse_octal(field: &[u8]) -> Option<u64> {
    let s: &[u8] = {
        let start = field.iter().position(|&b| b != b' ' && b != 0)?;
        let rest = &field[start..];
        let end = rest
            .iter()
            .position(|&b| b == b' ' || b == 0)
            .unwrap_or(rest.len());
        &rest[..end]
    };
    let mut n: u64 = 0;
    for &d in s {
        if !(b'0'..=b'7').contains(&d) {
            return None;
        }
        n = n.checked_mul(8)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(n)
}

/// Size field: octal, or GNU base-256 when the high bit of the first byte is set.
fn parse_size(field: &[u8], offset: u64) -> Result<u64, TarError> {
    let bad = |reason: String| TarError::BadHeader { offset, reason };
    match field.first() {
        Some(&b) if b & 0x80 != 0 => {
            if b & 0x40 != 0 {
                return Err(bad("negative base-256 size".into()));
            }
            let mut n: u64 = u64::from(b & 0x3f);
            for &d in &field[1..] {
                n = n
                    .checked_mul(256)
                    .and_then(|n| n.checked_add(u64::from(d)))
                    .ok_or_else(|| bad("base-256 size overflows 64 bits".into()))?;
            }
            Ok(n)
        }
        _ => match parse_octal(field) {
            Some(n) => Ok(n),
            None if field.iter().all(|&b| b == 0 || b == b' ') => Ok(0),
            None => Err(bad(format!(
                "size field {:?} is not octal",
                String::from_utf8_lossy(field)
            ))),
        },
    }
}

/// pax extended header records: `"%d %s=%s\n", <length>, <keyword>, <value>` (POSIX.1-2001
/// `pax` "pax Extended Header").
fn apply_pax(data: &[u8], pending: &mut Pending, offset: u64) -> Result<(), TarError> {
    let bad = |reason: &str| TarError::BadHeader {
        offset,
        reason: format!("pax header: {reason}"),
    };
    let mut rest = data;
    while !rest.is_empty() {
        if rest.iter().all(|&b| b == 0) {
            break;
        }
        let sp = rest
            .iter()
            .position(|&b| b == b' ')
            .ok_or_else(|| bad("record without length"))?;
        let len: usize = std::str::from_utf8(&rest[..sp])
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("record length is not a number"))?;
        if len <= sp + 1 || len > rest.len() {
            return Err(bad("record length out of range"));
        }
        let record = &rest[sp + 1..len];
        rest = &rest[len..];
        let record = record.strip_suffix(b"\n").unwrap_or(record);
        let eq = record
            .iter()
            .position(|&b| b == b'=')
            .ok_or_else(|| bad("record without '='"))?;
        let (key, value) = (&record[..eq], &record[eq + 1..]);
        let text = || String::from_utf8_lossy(value).into_owned();
        match key {
            b"path" => pending.name = Some(text()),
            b"linkpath" => pending.link = Some(text()),
            b"size" => {
                let n = std::str::from_utf8(value)
                    .ok()
                    .and_then(|s| s.parse::<u64>().ok())
                    .ok_or_else(|| bad("size is not a number"))?;
                pending.size = Some(n);
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(data: &[u8]) -> Result<Vec<Header>, TarError> {
        let mut r = TarReader::new(data);
        let mut out = Vec::new();
        while let Some(h) = r.next_header()? {
            out.push(h);
        }
        Ok(out)
    }

    #[test]
    fn octal_and_base256_sizes_parse() {
        let cases: &[(&[u8], Option<u64>)] = &[
            (b"00000000012\0", Some(10)),
            (b"         12 ", Some(10)),
            (b"\0\0\0\0\0\0\0\0\0\0\0\0", Some(0)),
            (b"0000000001x\0", None),
            (&[0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0], Some(256)),
            (
                &[
                    0x80, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                ],
                None,
            ),
            (&[0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], None),
        ];
        for (field, want) in cases {
            assert_eq!(parse_size(field, 0).ok(), *want, "{field:?}");
        }
    }

    #[test]
    fn pax_and_gnu_long_names_apply_to_the_next_entry() {
        let long = format!("{}/METADATA", "d".repeat(150));
        let mut b = ::tar::Builder::new(Vec::new());
        let mut h = ::tar::Header::new_gnu();
        h.set_size(3);
        h.set_mode(0o644);
        b.append_data(&mut h, &long, &b"abc"[..]).unwrap();
        let mut pax = ::tar::Builder::new(Vec::new());
        pax.append_pax_extensions([("path", long.as_bytes())])
            .unwrap();
        let mut h = ::tar::Header::new_ustar();
        h.set_size(1);
        h.set_path("short").unwrap();
        h.set_cksum();
        pax.append(&h, &b"z"[..]).unwrap();
        for data in [b.into_inner().unwrap(), pax.into_inner().unwrap()] {
            let got = entries(&data).unwrap();
            assert_eq!(got.len(), 1);
            assert_eq!(got[0].name, long);
        }
    }

    #[test]
    fn oversized_extension_headers_are_refused_without_reading_them() {
        let mut h = ::tar::Header::new_gnu();
        h.set_entry_type(::tar::EntryType::GNULongName);
        h.set_size(1 << 40);
        h.set_cksum();
        let data = h.as_bytes().to_vec();
        assert!(matches!(
            entries(&data),
            Err(TarError::ExtensionTooLarge { size, .. }) if size == 1 << 40
        ));
    }

    #[test]
    fn header_only_types_carry_no_data_whatever_their_size_says() {
        let mut h = ::tar::Header::new_ustar();
        h.set_entry_type(::tar::EntryType::Symlink);
        h.set_path("l").unwrap();
        h.set_link_name("t").unwrap();
        h.set_size(1 << 50);
        h.set_cksum();
        let mut data = h.as_bytes().to_vec();
        data.extend_from_slice(&[0u8; 1024]);
        let got = entries(&data).unwrap();
        assert_eq!(got[0].size, 0);
        assert_eq!(got[0].link, "t");
    }

    #[test]
    fn historic_signed_checksums_are_accepted() {
        let mut h = ::tar::Header::new_ustar();
        h.as_old_mut().name[..3].copy_from_slice("é!".as_bytes());
        h.set_size(0);
        let block: &mut [u8; BLOCK] = h.as_mut_bytes();
        block[148..156].fill(b' ');
        let signed: i64 = block.iter().map(|&b| i64::from(b as i8)).sum();
        let field = format!("{signed:06o}\0 ");
        block[148..156].copy_from_slice(field.as_bytes());
        assert!(verify_checksum(block, 0).is_ok());
        block[0] ^= 1;
        assert!(verify_checksum(block, 0).is_err());
    }

    #[test]
    fn truncation_and_bad_checksums_are_errors() {
        let full = kura_testutil::tar_bytes(&[("a", b"hello world", 0o644)]);
        for cut in [100, 512, 515, 1023] {
            assert!(entries(&full[..cut]).is_err(), "cut at {cut} accepted");
        }
        // Header intact, data missing.
        let mut r = TarReader::new(&full[..515]);
        r.next_header().unwrap();
        assert!(matches!(r.read_data(), Err(TarError::Truncated { .. })));
        let mut bad = full.clone();
        bad[0] ^= 1;
        assert!(matches!(entries(&bad), Err(TarError::BadHeader { .. })));
    }
}
