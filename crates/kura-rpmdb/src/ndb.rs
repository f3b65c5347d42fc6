//! rpm's native "ndb" package database (`Packages.db`, SUSE and openSUSE since 2020).
//!
//! Layout, from rpm `lib/backend/ndb/rpmpkg.c` (all integers little-endian):
//! - a 32-byte header: magic `RpmP`, version 0, generation, number of slot pages, next index;
//! - `slot pages` of 4096 bytes holding 16-byte slots (`Slot`, package index, block offset,
//!   block count), the first two slots overlapping the header;
//! - blobs at `block offset * 16`: a 16-byte head (`BlbS`, package index, timestamp, length),
//!   the header blob, padding, and a 12-byte tail (adler32, length, `BlbE`).

use crate::{Blob, RpmdbError};

const PAGE_SIZE: usize = 4096;
const SLOT_SIZE: usize = 16;
const BLK_SIZE: usize = 16;
const HEADER_SIZE: usize = 32;
const BLOBHEAD_SIZE: usize = 16;
const BLOBTAIL_SIZE: usize = 12;

const PKGDB_MAGIC: u32 = u32::from_le_bytes(*b"RpmP");
const SLOT_MAGIC: u32 = u32::from_le_bytes(*b"Slot");
const BLOBHEAD_MAGIC: u32 = u32::from_le_bytes(*b"BlbS");
const BLOBTAIL_MAGIC: u32 = u32::from_le_bytes(*b"BlbE");

/// True when `data` starts with the ndb magic.
pub fn is_ndb(data: &[u8]) -> bool {
    le_u32(data, 0) == Some(PKGDB_MAGIC)
}

fn le_u32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn err(offset: usize, reason: impl Into<String>) -> RpmdbError {
    RpmdbError::Ndb {
        offset: offset as u64,
        reason: reason.into(),
    }
}

/// Read every header blob. A structural error in the file header or slot table stops the read;
/// a bad blob is reported in the second vector and the rest are still returned.
pub fn read_blobs(data: &[u8]) -> Result<(Vec<Blob<'_>>, Vec<RpmdbError>), RpmdbError> {
    if data.len() < HEADER_SIZE {
        return Err(err(
            0,
            format!(
                "file is {} bytes, shorter than the 32-byte header",
                data.len()
            ),
        ));
    }
    if !is_ndb(data) {
        return Err(err(0, "missing RpmP magic"));
    }
    let version = le_u32(data, 4).unwrap_or(u32::MAX);
    if version != 0 {
        return Err(err(4, format!("unsupported version {version}")));
    }
    let slot_pages = le_u32(data, 12).unwrap_or(0) as usize;
    if slot_pages == 0 || slot_pages.saturating_mul(PAGE_SIZE) > data.len() {
        return Err(err(
            12,
            format!(
                "{slot_pages} slot pages do not fit in a file of {} bytes",
                data.len()
            ),
        ));
    }
    let file_blocks = data.len() / BLK_SIZE;
    let min_blkoff = slot_pages * (PAGE_SIZE / BLK_SIZE);
    let mut extents = Vec::new();
    let mut errors = Vec::new();
    for slot_at in (HEADER_SIZE..slot_pages * PAGE_SIZE).step_by(SLOT_SIZE) {
        let word = |k: usize| le_u32(data, slot_at + 4 * k).unwrap_or(0);
        if word(0) != SLOT_MAGIC {
            return Err(err(slot_at, "slot without Slot magic"));
        }
        let (pkgidx, blkoff, blkcnt) = (word(1), word(2) as usize, word(3) as usize);
        if blkoff == 0 {
            continue; // free slot
        }
        if pkgidx == 0
            || blkcnt == 0
            || blkoff < min_blkoff
            || blkoff.saturating_add(blkcnt) > file_blocks
        {
            errors.push(err(
                slot_at,
                format!(
                    "slot for package {pkgidx} has bad extent: blocks {blkoff}+{blkcnt} of {file_blocks}"
                ),
            ));
            continue;
        }
        extents.push((blkoff, blkcnt, pkgidx, slot_at));
    }
    // Blobs never overlap in a database rpm wrote (rpmpkgFindEmptyOffset: "slots overlap");
    // refusing overlaps also keeps the bytes parsed no larger than the file.
    extents.sort_unstable();
    let mut blobs = Vec::new();
    let mut next_free = 0;
    for (blkoff, blkcnt, pkgidx, slot_at) in extents {
        if blkoff < next_free {
            errors.push(err(
                slot_at,
                format!("slot for package {pkgidx} overlaps another blob"),
            ));
            continue;
        }
        next_free = blkoff + blkcnt;
        match read_blob(data, pkgidx, blkoff * BLK_SIZE, blkcnt * BLK_SIZE) {
            Ok(b) => blobs.push(b),
            Err(e) => errors.push(e),
        }
    }
    Ok((blobs, errors))
}

fn read_blob(data: &[u8], pkgidx: u32, start: usize, len: usize) -> Result<Blob<'_>, RpmdbError> {
    // The slot's extent was checked against the file size by the caller.
    let area = data
        .get(start..start + len)
        .ok_or_else(|| err(start, "blob extent outside the file"))?;
    if le_u32(area, 0) != Some(BLOBHEAD_MAGIC) {
        return Err(err(
            start,
            format!("package {pkgidx}: blob without BlbS magic"),
        ));
    }
    if le_u32(area, 4) != Some(pkgidx) {
        return Err(err(
            start + 4,
            format!("package {pkgidx}: blob belongs to another package"),
        ));
    }
    let bloblen = le_u32(area, 12).unwrap_or(0) as usize;
    let needed = (BLOBHEAD_SIZE + bloblen + BLOBTAIL_SIZE).div_ceil(BLK_SIZE) * BLK_SIZE;
    if needed != len {
        return Err(err(
            start + 12,
            format!("package {pkgidx}: blob length {bloblen} does not match its {len}-byte slot"),
        ));
    }
    let tail = len - BLOBTAIL_SIZE;
    if le_u32(area, tail + 4) != Some(bloblen as u32)
        || le_u32(area, tail + 8) != Some(BLOBTAIL_MAGIC)
    {
        return Err(err(
            start + tail,
            format!("package {pkgidx}: blob tail is damaged"),
        ));
    }
    let body = area
        .get(BLOBHEAD_SIZE..BLOBHEAD_SIZE + bloblen)
        .ok_or_else(|| err(start, "blob body outside its slot"))?;
    Ok(Blob {
        id: pkgidx,
        offset: (start + BLOBHEAD_SIZE) as u64,
        data: std::borrow::Cow::Borrowed(body),
    })
}

/// Write an ndb file holding `blobs` (package index = position + 1). Used by tests.
pub fn build(blobs: &[Vec<u8>]) -> Vec<u8> {
    let slots_needed = blobs.len() + HEADER_SIZE / SLOT_SIZE;
    let slot_pages = slots_needed.div_ceil(PAGE_SIZE / SLOT_SIZE).max(1);
    let mut out = vec![0u8; slot_pages * PAGE_SIZE];
    out[0..4].copy_from_slice(&PKGDB_MAGIC.to_le_bytes());
    out[8..12].copy_from_slice(&1u32.to_le_bytes());
    out[12..16].copy_from_slice(&(slot_pages as u32).to_le_bytes());
    out[16..20].copy_from_slice(&(blobs.len() as u32 + 1).to_le_bytes());
    for at in (HEADER_SIZE..out.len()).step_by(SLOT_SIZE) {
        out[at..at + 4].copy_from_slice(&SLOT_MAGIC.to_le_bytes());
    }
    for (i, blob) in blobs.iter().enumerate() {
        let pkgidx = i as u32 + 1;
        let start = out.len();
        let blkcnt = (BLOBHEAD_SIZE + blob.len() + BLOBTAIL_SIZE).div_ceil(BLK_SIZE);
        out.extend_from_slice(&BLOBHEAD_MAGIC.to_le_bytes());
        out.extend_from_slice(&pkgidx.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&(blob.len() as u32).to_le_bytes());
        out.extend_from_slice(blob);
        out.resize(start + blkcnt * BLK_SIZE - BLOBTAIL_SIZE, 0);
        out.extend_from_slice(&0u32.to_le_bytes()); // adler32, not verified on read
        out.extend_from_slice(&(blob.len() as u32).to_le_bytes());
        out.extend_from_slice(&BLOBTAIL_MAGIC.to_le_bytes());
        let slot = HEADER_SIZE + i * SLOT_SIZE;
        out[slot + 4..slot + 8].copy_from_slice(&pkgidx.to_le_bytes());
        out[slot + 8..slot + 12].copy_from_slice(&((start / BLK_SIZE) as u32).to_le_bytes());
        out[slot + 12..slot + 16].copy_from_slice(&(blkcnt as u32).to_le_bytes());
    }
    out
}
