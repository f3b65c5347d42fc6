//! RPM header blobs, as stored in every rpmdb backend.
//!
//! Layout (rpm `docs/manual/format.md`, "Header structure", and `hregions.md`): an optional
//! 8-byte magic (`8e ad e8 01` + 4 reserved bytes, present in package files, absent in databases),
//! then `il` (index entry count) and `dl` (data store length) as big-endian u32, then `il` index
//! entries of 16 bytes (`tag`, `type`, `offset`, `count`, all big-endian), then `dl` bytes of data.
//! Every offset and count is checked against the data store before it is used, and validation
//! costs O(entries + bytes read), so a hostile header cannot make it quadratic.

use std::fmt;

/// Most index entries rpm itself accepts (`hdrchkTags` in rpm's `lib/header_internal.h`).
pub const MAX_ENTRIES: u32 = 0xffff;
/// Largest data store rpm itself accepts (`hdrchkData`: 16 MiB).
pub const MAX_DATA: u32 = 0x00ff_ffff;

const MAGIC: [u8; 4] = [0x8e, 0xad, 0xe8, 0x01];

/// Tag numbers used here (rpm `include/rpm/rpmtag.h`).
pub mod tag {
    /// Package name.
    pub const NAME: i32 = 1000;
    /// Upstream version.
    pub const VERSION: i32 = 1001;
    /// Package release.
    pub const RELEASE: i32 = 1002;
    /// Epoch (INT32), absent when the package has none.
    pub const EPOCH: i32 = 1003;
    /// One-line summary (I18NSTRING).
    pub const SUMMARY: i32 = 1004;
    /// Install time (INT32, seconds since the epoch).
    pub const INSTALLTIME: i32 = 1008;
    /// Installed size in bytes (INT32).
    pub const SIZE: i32 = 1009;
    /// Vendor (`Red Hat, Inc.`).
    pub const VENDOR: i32 = 1011;
    /// License expression as the spec file declares it.
    pub const LICENSE: i32 = 1014;
    /// Architecture (`x86_64`, `noarch`).
    pub const ARCH: i32 = 1022;
    /// Source RPM file name (`bash-5.1.8-6.el9.src.rpm`).
    pub const SOURCERPM: i32 = 1044;
    /// Modularity label (`nodejs:18:8070020230306170042:ad008a3a`).
    pub const MODULARITYLABEL: i32 = 5096;
}

/// Data types of index entries (rpm `rpmTagType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagType {
    /// No data.
    Null,
    /// Bytes, one per count.
    Char,
    /// 8-bit integers.
    Int8,
    /// Big-endian 16-bit integers.
    Int16,
    /// Big-endian 32-bit integers.
    Int32,
    /// Big-endian 64-bit integers.
    Int64,
    /// One NUL-terminated string.
    String,
    /// Opaque bytes.
    Bin,
    /// `count` NUL-terminated strings.
    StringArray,
    /// `count` NUL-terminated strings, one per locale.
    I18nString,
}

impl TagType {
    fn from_u32(v: u32) -> Option<Self> {
        Some(match v {
            0 => TagType::Null,
            1 => TagType::Char,
            2 => TagType::Int8,
            3 => TagType::Int16,
            4 => TagType::Int32,
            5 => TagType::Int64,
            6 => TagType::String,
            7 => TagType::Bin,
            8 => TagType::StringArray,
            9 => TagType::I18nString,
            _ => return None,
        })
    }

    /// Fixed element width, for types that have one.
    fn width(self) -> Option<usize> {
        match self {
            TagType::Null => Some(0),
            TagType::Char | TagType::Int8 | TagType::Bin => Some(1),
            TagType::Int16 => Some(2),
            TagType::Int32 => Some(4),
            TagType::Int64 => Some(8),
            TagType::String | TagType::StringArray | TagType::I18nString => None,
        }
    }
}

/// Why a header blob was rejected; `offset` is a byte offset into the blob.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason} (at byte {offset})")]
pub struct HeaderError {
    /// Byte offset in the blob where the problem was seen.
    pub offset: usize,
    /// What is wrong.
    pub reason: String,
}

impl HeaderError {
    fn new(offset: usize, reason: impl fmt::Display) -> Self {
        HeaderError {
            offset,
            reason: reason.to_string(),
        }
    }
}

/// One validated index entry.
#[derive(Debug, Clone, Copy)]
struct Entry {
    tag: i32,
    ty: TagType,
    /// Start of the value inside the data store.
    start: usize,
    count: u32,
    /// Byte offset of the index entry in the blob, for errors.
    at: usize,
}

/// A parsed header: validated index entries over a borrowed data store.
#[derive(Debug, Clone)]
pub struct Header<'a> {
    entries: Vec<Entry>,
    data: &'a [u8],
}

fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

impl<'a> Header<'a> {
    /// Parse and validate a header blob. Every entry's type, offset and count is checked up
    /// front in O(entries); string values are checked for their terminating NUL when read.
    pub fn parse(blob: &'a [u8]) -> Result<Self, HeaderError> {
        let base = if blob.get(..4) == Some(&MAGIC[..]) {
            8
        } else {
            0
        };
        let il = be_u32(blob, base)
            .ok_or_else(|| HeaderError::new(base, "truncated before entry count"))?;
        let dl = be_u32(blob, base + 4)
            .ok_or_else(|| HeaderError::new(base + 4, "truncated before data length"))?;
        if il == 0 || il > MAX_ENTRIES {
            return Err(HeaderError::new(
                base,
                format!("entry count {il} outside 1..={MAX_ENTRIES}"),
            ));
        }
        if dl > MAX_DATA {
            return Err(HeaderError::new(
                base + 4,
                format!("data length {dl} exceeds {MAX_DATA}"),
            ));
        }
        let index_start = base + 8;
        let data_start = index_start + il as usize * 16;
        let data_end = data_start + dl as usize;
        if blob.len() < data_end {
            return Err(HeaderError::new(
                blob.len(),
                format!(
                    "blob is {} bytes, header declares {data_end} ({il} entries, {dl} data bytes)",
                    blob.len()
                ),
            ));
        }
        let data = &blob[data_start..data_end];
        let mut entries = Vec::with_capacity(il as usize);
        for i in 0..il as usize {
            let at = index_start + i * 16;
            entries.push(parse_entry(blob, at, data)?);
        }
        Ok(Header { entries, data })
    }

    fn find(&self, tag: i32) -> Option<&Entry> {
        self.entries.iter().find(|e| e.tag == tag)
    }

    /// Tags present, in index order.
    pub fn tags(&self) -> impl Iterator<Item = i32> + '_ {
        self.entries.iter().map(|e| e.tag)
    }

    /// The first string of a STRING, STRING_ARRAY or I18NSTRING entry (I18N: the default locale).
    /// `Ok(None)` when the tag is absent or not string-typed.
    pub fn string(&self, tag: i32) -> Result<Option<String>, HeaderError> {
        Ok(self.strings(tag)?.and_then(|v| v.into_iter().next()))
    }

    /// Every string of a string-typed entry; an error when they run past the data store.
    pub fn strings(&self, tag: i32) -> Result<Option<Vec<String>>, HeaderError> {
        let Some(e) = self.find(tag) else {
            return Ok(None);
        };
        if !matches!(
            e.ty,
            TagType::String | TagType::StringArray | TagType::I18nString
        ) {
            return Ok(None);
        }
        let end = strings_end(self.data, e.start, e.count).ok_or_else(|| {
            HeaderError::new(
                e.at + 12,
                format!(
                    "tag {tag}: {} strings at {} are not all NUL-terminated",
                    e.count, e.start
                ),
            )
        })?;
        let raw = self.data.get(e.start..end).unwrap_or_default();
        // `end` is just past the last NUL, so splitting yields exactly `count` strings.
        Ok(Some(
            raw.split(|&b| b == 0)
                .take(e.count as usize)
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .collect(),
        ))
    }

    /// The first value of an INT32 entry.
    pub fn int32(&self, tag: i32) -> Option<i32> {
        let e = self.find(tag)?;
        if e.ty != TagType::Int32 || e.count == 0 {
            return None;
        }
        be_u32(self.data, e.start).map(|v| v as i32)
    }
}

fn parse_entry(blob: &[u8], at: usize, data: &[u8]) -> Result<Entry, HeaderError> {
    let field = |k: usize| {
        be_u32(blob, at + 4 * k).ok_or_else(|| HeaderError::new(at, "truncated index entry"))
    };
    let tag = field(0)? as i32;
    let raw_ty = field(1)?;
    let offset = field(2)? as i32;
    let count = field(3)?;
    let ty = TagType::from_u32(raw_ty)
        .ok_or_else(|| HeaderError::new(at + 4, format!("tag {tag}: unknown type {raw_ty}")))?;
    // Region tags (61..=63) point at a trailer inside the region; their count is the trailer size.
    // Negative offsets only occur inside region trailers, which are not looked up here.
    if offset < 0 {
        return Err(HeaderError::new(
            at + 8,
            format!("tag {tag}: negative data offset {offset}"),
        ));
    }
    let start = offset as usize;
    if start > data.len() {
        return Err(HeaderError::new(
            at + 8,
            format!(
                "tag {tag}: data offset {start} beyond data store of {} bytes",
                data.len()
            ),
        ));
    }
    if count as usize > data.len().max(1) {
        return Err(HeaderError::new(
            at + 12,
            format!(
                "tag {tag}: count {count} larger than the data store ({} bytes)",
                data.len()
            ),
        ));
    }
    // Fixed-width values are bounds-checked here; strings are measured when they are read, so
    // a hostile header cannot make validation scan its data store once per entry.
    match ty.width() {
        Some(w) => {
            start
                .checked_add(w * count as usize)
                .filter(|&e| e <= data.len())
                .ok_or_else(|| {
                    HeaderError::new(
                        at + 12,
                        format!("tag {tag}: {count} values run past the data store"),
                    )
                })?;
        }
        None if count == 0 => {
            return Err(HeaderError::new(
                at + 12,
                format!("tag {tag}: string entry with count 0"),
            ));
        }
        None => {}
    }
    Ok(Entry {
        tag,
        ty,
        start,
        count,
        at,
    })
}

/// End (just past the last NUL) of `count` NUL-terminated strings starting at `start`.
fn strings_end(data: &[u8], start: usize, count: u32) -> Option<usize> {
    if count == 0 {
        return None;
    }
    let mut pos = start;
    for _ in 0..count {
        let rest = data.get(pos..)?;
        let nul = rest.iter().position(|&b| b == 0)?;
        pos += nul + 1;
    }
    Some(pos)
}

/// An installed package, as the header describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpmPackage {
    /// `NAME`.
    pub name: String,
    /// `EPOCH`, when the package has one.
    pub epoch: Option<i32>,
    /// `VERSION`.
    pub version: String,
    /// `RELEASE`.
    pub release: String,
    /// `ARCH`; absent for `gpg-pubkey` pseudo-packages.
    pub arch: Option<String>,
    /// `SOURCERPM` file name; absent for source packages and `gpg-pubkey`.
    pub source_rpm: Option<String>,
    /// `LICENSE`.
    pub license: Option<String>,
    /// `VENDOR`.
    pub vendor: Option<String>,
    /// `SUMMARY`.
    pub summary: Option<String>,
    /// `MODULARITYLABEL` (RHEL 8+ module streams).
    pub modularity_label: Option<String>,
    /// `SIZE` (installed bytes).
    pub size: Option<u32>,
}

impl RpmPackage {
    /// Read the package fields from a header blob. NAME, VERSION and RELEASE are required.
    pub fn from_blob(blob: &[u8]) -> Result<Self, HeaderError> {
        let h = Header::parse(blob)?;
        let req = |tag: i32, what: &str| {
            h.string(tag)?
                .ok_or_else(|| HeaderError::new(0, format!("header has no {what} (tag {tag})")))
        };
        let nonempty = |tag: i32| -> Result<Option<String>, HeaderError> {
            Ok(h.string(tag)?.filter(|s| !s.is_empty()))
        };
        Ok(RpmPackage {
            name: req(tag::NAME, "NAME")?,
            version: req(tag::VERSION, "VERSION")?,
            release: req(tag::RELEASE, "RELEASE")?,
            epoch: h.int32(tag::EPOCH),
            arch: nonempty(tag::ARCH)?,
            source_rpm: nonempty(tag::SOURCERPM)?,
            license: nonempty(tag::LICENSE)?,
            vendor: nonempty(tag::VENDOR)?,
            summary: nonempty(tag::SUMMARY)?,
            modularity_label: nonempty(tag::MODULARITYLABEL)?,
            size: h.int32(tag::SIZE).map(|v| v as u32),
        })
    }

    /// `[EPOCH:]VERSION-RELEASE`, the epoch omitted when absent (as `rpm -q` prints it).
    pub fn evr(&self) -> String {
        match self.epoch {
            Some(e) => format!("{e}:{}-{}", self.version, self.release),
            None => format!("{}-{}", self.version, self.release),
        }
    }

    /// Name, version and release of the source package, split from `SOURCERPM`
    /// (`NAME-VERSION-RELEASE.src.rpm`; name may contain `-`, version and release may not).
    pub fn source(&self) -> Option<(String, String, String)> {
        split_source_rpm(self.source_rpm.as_deref()?)
    }
}

/// Split `bash-5.1.8-6.el9.src.rpm` into (`bash`, `5.1.8`, `6.el9`).
pub fn split_source_rpm(file: &str) -> Option<(String, String, String)> {
    let stem = file
        .strip_suffix(".src.rpm")
        .or_else(|| file.strip_suffix(".nosrc.rpm"))?;
    let (rest, release) = stem.rsplit_once('-')?;
    let (name, version) = rest.rsplit_once('-')?;
    if name.is_empty() || version.is_empty() || release.is_empty() {
        return None;
    }
    Some((name.to_string(), version.to_string(), release.to_string()))
}

/// Build a header blob (database form, no magic) from `(tag, value)` pairs. Used by tests and
/// fixtures; entries are written in the order given.
pub fn build_blob(entries: &[(i32, Value<'_>)]) -> Vec<u8> {
    let mut index = Vec::with_capacity(entries.len() * 16);
    let mut data: Vec<u8> = Vec::new();
    for (tag, value) in entries {
        let (ty, count, bytes, align) = match value {
            Value::String(s) => (6u32, 1u32, nul_joined(&[s]), 1),
            Value::StringArray(v) => (8, v.len() as u32, nul_joined(v), 1),
            Value::I18n(s) => (9, 1, nul_joined(&[s]), 1),
            Value::Int32(v) => (
                4,
                v.len() as u32,
                v.iter().flat_map(|x| x.to_be_bytes()).collect(),
                4,
            ),
        };
        while !data.len().is_multiple_of(align) {
            data.push(0);
        }
        index.extend_from_slice(&tag.to_be_bytes());
        index.extend_from_slice(&ty.to_be_bytes());
        index.extend_from_slice(&(data.len() as u32).to_be_bytes());
        index.extend_from_slice(&count.to_be_bytes());
        data.extend_from_slice(&bytes);
    }
    let mut out = Vec::with_capacity(8 + index.len() + data.len());
    out.extend_from_slice(&(entries.len() as u32).to_be_bytes());
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(&index);
    out.extend_from_slice(&data);
    out
}

fn nul_joined(v: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    for s in v {
        out.extend_from_slice(s.as_bytes());
        out.push(0);
    }
    out
}

/// A value for [`build_blob`].
#[derive(Debug, Clone)]
pub enum Value<'a> {
    /// STRING.
    String(&'a str),
    /// STRING_ARRAY.
    StringArray(Vec<&'a str>),
    /// I18NSTRING with one locale.
    I18n(&'a str),
    /// INT32 values.
    Int32(Vec<i32>),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        build_blob(&[
            (tag::NAME, Value::String("bash")),
            (tag::VERSION, Value::String("5.1.8")),
            (tag::RELEASE, Value::String("6.el9")),
            (tag::EPOCH, Value::Int32(vec![1])),
            (tag::SUMMARY, Value::I18n("The GNU Bourne Again shell")),
            (tag::LICENSE, Value::String("GPLv3+")),
            (tag::ARCH, Value::String("x86_64")),
            (tag::SOURCERPM, Value::String("bash-5.1.8-6.el9.src.rpm")),
            (tag::VENDOR, Value::String("Red Hat, Inc.")),
        ])
    }

    #[test]
    fn reads_package_fields_from_built_header() {
        let p = RpmPackage::from_blob(&sample()).unwrap();
        assert_eq!(p.name, "bash");
        assert_eq!(p.evr(), "1:5.1.8-6.el9");
        assert_eq!(p.arch.as_deref(), Some("x86_64"));
        assert_eq!(p.license.as_deref(), Some("GPLv3+"));
        assert_eq!(p.summary.as_deref(), Some("The GNU Bourne Again shell"));
        assert_eq!(
            p.source(),
            Some(("bash".into(), "5.1.8".into(), "6.el9".into()))
        );
    }

    #[test]
    fn package_file_magic_is_skipped() {
        let mut blob = vec![0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0];
        blob.extend(sample());
        assert_eq!(RpmPackage::from_blob(&blob).unwrap().name, "bash");
    }

    #[test]
    fn source_rpm_names_split_from_the_right() {
        let cases = [
            ("bash-5.1.8-6.el9.src.rpm", Some(("bash", "5.1.8", "6.el9"))),
            (
                "python3-pip-21.2.3-7.el9.src.rpm",
                Some(("python3-pip", "21.2.3", "7.el9")),
            ),
            (
                "glibc-2.34-60.el9.nosrc.rpm",
                Some(("glibc", "2.34", "60.el9")),
            ),
            ("bash-5.1.8.src.rpm", None),
            ("bash-5.1.8-6.el9.rpm", None),
            ("-1-2.src.rpm", None),
        ];
        for (input, want) in cases {
            let got = split_source_rpm(input);
            let want = want.map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()));
            assert_eq!(got, want, "{input}");
        }
    }

    fn corrupt(mutate: impl Fn(&mut Vec<u8>)) -> Result<RpmPackage, HeaderError> {
        let mut b = sample();
        mutate(&mut b);
        RpmPackage::from_blob(&b)
    }

    #[test]
    fn hostile_headers_are_rejected_with_offsets() {
        // (what, mutation, expected fragment of the reason)
        type Mutation = fn(&mut Vec<u8>);
        let cases: &[(&str, Mutation, &str)] = &[
            ("empty", |b| b.clear(), "truncated"),
            (
                "zero entries",
                |b| b[..4].copy_from_slice(&0u32.to_be_bytes()),
                "entry count 0",
            ),
            (
                "huge entry count",
                |b| b[..4].copy_from_slice(&0x0100_0000u32.to_be_bytes()),
                "entry count",
            ),
            (
                "huge data length",
                |b| b[4..8].copy_from_slice(&0x7fff_ffffu32.to_be_bytes()),
                "data length",
            ),
            (
                "truncated data",
                |b| b.truncate(b.len() - 3),
                "header declares",
            ),
            (
                "unknown type",
                |b| b[12..16].copy_from_slice(&77u32.to_be_bytes()),
                "unknown type 77",
            ),
            (
                "offset past end",
                |b| b[16..20].copy_from_slice(&0x00ff_0000u32.to_be_bytes()),
                "beyond data store",
            ),
            (
                "negative offset",
                |b| b[16..20].copy_from_slice(&(-5i32).to_be_bytes()),
                "negative",
            ),
            (
                "absurd count",
                |b| b[20..24].copy_from_slice(&0xffff_ffffu32.to_be_bytes()),
                "count",
            ),
            (
                "unterminated string",
                |b| {
                    let n = b.len();
                    b[n - 1] = b'x';
                },
                "NUL-terminated",
            ),
        ];
        for (what, mutation, want) in cases {
            let err = corrupt(mutation).expect_err(what);
            assert!(err.reason.contains(want), "{what}: {err}");
        }
    }

    #[test]
    fn missing_name_is_an_error() {
        let blob = build_blob(&[
            (tag::VERSION, Value::String("1")),
            (tag::RELEASE, Value::String("1")),
        ]);
        let err = RpmPackage::from_blob(&blob).unwrap_err();
        assert!(err.reason.contains("NAME"), "{err}");
    }

    #[test]
    fn int32_values_past_the_store_are_rejected() {
        let mut b = build_blob(&[(tag::EPOCH, Value::Int32(vec![3]))]);
        // Claim 2 values where the store holds 1.
        b[20..24].copy_from_slice(&2u32.to_be_bytes());
        assert!(Header::parse(&b).is_err());
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = RpmPackage::from_blob(&data);
        }

        #[test]
        fn mutated_headers_never_panic(pos in 0usize..400, byte in proptest::num::u8::ANY, cut in 0usize..400) {
            let mut b = sample();
            let n = b.len();
            b[pos % n] = byte;
            b.truncate(n - cut % n);
            let _ = RpmPackage::from_blob(&b);
        }
    }
}
