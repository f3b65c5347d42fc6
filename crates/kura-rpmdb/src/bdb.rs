//! Berkeley DB hash databases, as rpm ≤ 4.15 stored `/var/lib/rpm/Packages` (RHEL/CentOS ≤ 8,
//! Amazon Linux 2, older SUSE).
//!
//! Layout, from Berkeley DB's `dbinc/db_page.h` and `dbinc/hash.h` (integers in the byte order of
//! the machine that wrote the file, detected from the metadata magic):
//! - page 0 is the hash metadata page: magic `0x061561` at byte 12, page size at 20, encryption
//!   algorithm at 24, page type 8 at 25, last page number at 32;
//! - every page starts with a 26-byte header: page number at 8, next page at 16, entry count at
//!   20, `hf_offset` at 22, page type at 25;
//! - hash pages (type 13, or 2 before DB 4.6) hold an index of `u16` item offsets after the header;
//!   items alternate key, data. An item's first byte is its kind: 1 inline bytes (length = gap to
//!   the previous item), 3 off-page (page number at 4, total length at 8);
//! - overflow pages (type 7) carry `hf_offset` bytes of data after the header and chain through
//!   the next-page field.
//!
//! rpm keys `Packages` by a 4-byte header number; key 0 holds a counter, not a header.

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::HashSet;

use crate::{Blob, RpmdbError};

const HASH_MAGIC: u32 = 0x0006_1561;
const PAGE_HEADER: usize = 26;
const P_HASH_UNSORTED: u8 = 2;
const P_OVERFLOW: u8 = 7;
const P_HASHMETA: u8 = 8;
const P_HASH: u8 = 13;
const H_KEYDATA: u8 = 1;
const H_DUPLICATE: u8 = 2;
const H_OFFPAGE: u8 = 3;
const H_OFFDUP: u8 = 4;

#[derive(Clone, Copy)]
enum Order {
    Little,
    Big,
}

struct Db<'a> {
    data: &'a [u8],
    order: Order,
    page_size: usize,
    last_page: u32,
    /// Overflow pages left to visit. Items of a hostile file could all point at the same long
    /// chain; the budget keeps the work linear in the file size.
    budget: Cell<u64>,
}

/// True when `data` starts with a Berkeley DB hash metadata page (either byte order).
pub fn is_bdb_hash(data: &[u8]) -> bool {
    let Some(m) = data.get(12..16) else {
        return false;
    };
    let m = [m[0], m[1], m[2], m[3]];
    u32::from_le_bytes(m) == HASH_MAGIC || u32::from_be_bytes(m) == HASH_MAGIC
}

fn err(page: u32, reason: impl Into<String>) -> RpmdbError {
    RpmdbError::Bdb {
        page,
        reason: reason.into(),
    }
}

impl<'a> Db<'a> {
    fn u32_at(&self, at: usize) -> Option<u32> {
        let s = self.data.get(at..at.checked_add(4)?)?;
        let b = [s[0], s[1], s[2], s[3]];
        Some(match self.order {
            Order::Little => u32::from_le_bytes(b),
            Order::Big => u32::from_be_bytes(b),
        })
    }

    fn u16_in(&self, page: &[u8], at: usize) -> Option<u16> {
        let s = page.get(at..at.checked_add(2)?)?;
        Some(match self.order {
            Order::Little => u16::from_le_bytes([s[0], s[1]]),
            Order::Big => u16::from_be_bytes([s[0], s[1]]),
        })
    }

    fn u32_in(&self, page: &[u8], at: usize) -> Option<u32> {
        let s = page.get(at..at.checked_add(4)?)?;
        let b = [s[0], s[1], s[2], s[3]];
        Some(match self.order {
            Order::Little => u32::from_le_bytes(b),
            Order::Big => u32::from_be_bytes(b),
        })
    }

    fn page(&self, pgno: u32) -> Option<&'a [u8]> {
        let start = (pgno as usize).checked_mul(self.page_size)?;
        self.data.get(start..start.checked_add(self.page_size)?)
    }

    fn open(data: &'a [u8]) -> Result<Self, RpmdbError> {
        let m = data.get(12..16).ok_or_else(|| {
            err(
                0,
                format!(
                    "file is {} bytes, too short for a metadata page",
                    data.len()
                ),
            )
        })?;
        let m = [m[0], m[1], m[2], m[3]];
        let order = if u32::from_le_bytes(m) == HASH_MAGIC {
            Order::Little
        } else if u32::from_be_bytes(m) == HASH_MAGIC {
            Order::Big
        } else {
            return Err(err(
                0,
                "not a Berkeley DB hash file (magic 0x061561 missing)",
            ));
        };
        let mut db = Db {
            data,
            order,
            page_size: 0,
            last_page: 0,
            budget: Cell::new(0),
        };
        let page_size = db.u32_at(20).unwrap_or(0) as usize;
        // Berkeley DB page sizes are powers of two from 512 to 64 KiB (`DB->set_pagesize`).
        if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
            return Err(err(0, format!("invalid page size {page_size}")));
        }
        if data.len() < page_size {
            return Err(err(
                0,
                format!(
                    "file is {} bytes, shorter than one {page_size}-byte page",
                    data.len()
                ),
            ));
        }
        if data.get(24).copied().unwrap_or(0) != 0 {
            return Err(err(0, "encrypted databases are not supported"));
        }
        let ty = data.get(25).copied().unwrap_or(0);
        if ty != P_HASHMETA {
            return Err(err(
                0,
                format!("metadata page has type {ty}, expected {P_HASHMETA} (hash)"),
            ));
        }
        let pages_in_file = (data.len() / page_size) as u32;
        let last = db.u32_at(32).unwrap_or(0);
        db.page_size = page_size;
        // A last-page number beyond the file means truncation; read what is there.
        db.last_page = last.min(pages_in_file.saturating_sub(1));
        // Each page once per chain that a sane database has, twice over.
        db.budget.set(2 * u64::from(pages_in_file));
        Ok(db)
    }

    /// Follow an overflow chain from `pgno` collecting exactly `total` bytes.
    fn overflow(&self, from_page: u32, pgno: u32, total: usize) -> Result<Vec<u8>, RpmdbError> {
        if total > self.data.len() {
            return Err(err(
                from_page,
                format!("off-page item claims {total} bytes, more than the file holds"),
            ));
        }
        let mut out = Vec::with_capacity(total);
        let mut seen = HashSet::new();
        let mut next = pgno;
        while out.len() < total {
            if next == 0 || !seen.insert(next) {
                return Err(err(
                    from_page,
                    format!(
                        "overflow chain broken or looping at page {next} after {} of {total} bytes",
                        out.len()
                    ),
                ));
            }
            let left = self.budget.get();
            if left == 0 {
                return Err(err(
                    from_page,
                    "overflow chains visit more pages than the file could justify",
                ));
            }
            self.budget.set(left - 1);
            let page = self
                .page(next)
                .ok_or_else(|| err(next, "overflow page beyond the end of the file"))?;
            if page.get(25) != Some(&P_OVERFLOW) {
                return Err(err(next, "expected an overflow page"));
            }
            let len = self.u16_in(page, 22).unwrap_or(0) as usize;
            let chunk = page
                .get(PAGE_HEADER..PAGE_HEADER + len)
                .ok_or_else(|| err(next, format!("overflow length {len} exceeds the page")))?;
            let want = (total - out.len()).min(chunk.len());
            out.extend_from_slice(&chunk[..want]);
            next = self.u32_in(page, 16).unwrap_or(0);
        }
        Ok(out)
    }

    /// The bytes of item `i` on a hash page.
    fn item(
        &self,
        pgno: u32,
        page: &'a [u8],
        offsets: &[usize],
        i: usize,
    ) -> Result<Cow<'a, [u8]>, RpmdbError> {
        let start = offsets[i];
        // Items are packed from the end of the page downwards: item i ends where item i-1 starts.
        let end = if i == 0 {
            self.page_size
        } else {
            offsets[i - 1]
        };
        if start >= end || end > page.len() {
            return Err(err(pgno, format!("item {i} has bad bounds {start}..{end}")));
        }
        let item = &page[start..end];
        match item[0] {
            H_KEYDATA => Ok(Cow::Borrowed(&item[1..])),
            H_OFFPAGE => {
                let target = self
                    .u32_in(item, 4)
                    .ok_or_else(|| err(pgno, format!("item {i}: truncated off-page reference")))?;
                let total = self
                    .u32_in(item, 8)
                    .ok_or_else(|| err(pgno, format!("item {i}: truncated off-page reference")))?;
                Ok(Cow::Owned(self.overflow(pgno, target, total as usize)?))
            }
            H_DUPLICATE | H_OFFDUP => Err(err(
                pgno,
                format!("item {i}: duplicate records are not used by rpm"),
            )),
            other => Err(err(pgno, format!("item {i}: unknown item type {other}"))),
        }
    }

    fn hash_page(
        &self,
        pgno: u32,
        page: &'a [u8],
        out: &mut Vec<Blob<'a>>,
        errors: &mut Vec<RpmdbError>,
    ) {
        let entries = self.u16_in(page, 20).unwrap_or(0) as usize;
        let index_end = PAGE_HEADER + entries * 2;
        if index_end > self.page_size {
            errors.push(err(pgno, format!("{entries} entries do not fit the page")));
            return;
        }
        let offsets: Vec<usize> = (0..entries)
            .map(|i| self.u16_in(page, PAGE_HEADER + 2 * i).unwrap_or(0) as usize)
            .collect();
        if offsets.iter().any(|&o| o < index_end) {
            errors.push(err(
                pgno,
                "item offset points into the page header or index",
            ));
            return;
        }
        for pair in (0..entries / 2).map(|k| 2 * k) {
            let key = match self.item(pgno, page, &offsets, pair) {
                Ok(k) => k,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            let Some(id) = self.u32_in(&key, 0).filter(|_| key.len() == 4) else {
                errors.push(err(
                    pgno,
                    format!(
                        "item {pair}: key of {} bytes is not a header number",
                        key.len()
                    ),
                ));
                continue;
            };
            if id == 0 {
                continue; // rpm's instance counter, not a package
            }
            match self.item(pgno, page, &offsets, pair + 1) {
                Ok(value) => out.push(Blob {
                    id,
                    offset: pgno as u64 * self.page_size as u64,
                    data: value,
                }),
                Err(e) => errors.push(e),
            }
        }
    }
}

/// Read every header blob. A bad metadata page stops the read; a bad page or item is reported in
/// the second vector and the rest are still returned.
pub fn read_blobs(data: &[u8]) -> Result<(Vec<Blob<'_>>, Vec<RpmdbError>), RpmdbError> {
    let db = Db::open(data)?;
    let mut blobs = Vec::new();
    let mut errors = Vec::new();
    // Walking every page (rather than bucket chains) also finds pages reached only through
    // the spares table; free pages are typed P_INVALID and are skipped.
    for pgno in 1..=db.last_page {
        let Some(page) = db.page(pgno) else { break };
        match page.get(25).copied() {
            Some(P_HASH) | Some(P_HASH_UNSORTED) => {
                db.hash_page(pgno, page, &mut blobs, &mut errors)
            }
            _ => {}
        }
    }
    // A header number appears once in a consistent database; keep the first if a stale page
    // repeats one.
    let mut seen = HashSet::new();
    blobs.retain(|b| seen.insert(b.id));
    Ok((blobs, errors))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PS: usize = 512;

    /// A little-endian hash database: page 1 holds `items` (key, off-page data) pairs whose data
    /// all start the same overflow chain of pages 2..2+chain.
    fn shared_chain_db(items: u16, chain: u32) -> Vec<u8> {
        let pages = 2 + chain as usize;
        let mut db = vec![0u8; pages * PS];
        db[12..16].copy_from_slice(&HASH_MAGIC.to_le_bytes());
        db[20..24].copy_from_slice(&(PS as u32).to_le_bytes());
        db[25] = P_HASHMETA;
        db[32..36].copy_from_slice(&(pages as u32 - 1).to_le_bytes());
        let page = &mut db[PS..2 * PS];
        page[25] = P_HASH;
        page[20..22].copy_from_slice(&(items * 2).to_le_bytes());
        let mut top = PS;
        for i in 0..items as usize {
            // key: H_KEYDATA + 4-byte header number
            top -= 5;
            page[top] = H_KEYDATA;
            page[top + 1..top + 5].copy_from_slice(&(i as u32 + 1).to_le_bytes());
            page[PAGE_HEADER + 4 * i..PAGE_HEADER + 4 * i + 2]
                .copy_from_slice(&(top as u16).to_le_bytes());
            // data: H_OFFPAGE to page 2, total = whole chain
            top -= 12;
            page[top] = H_OFFPAGE;
            page[top + 4..top + 8].copy_from_slice(&2u32.to_le_bytes());
            page[top + 8..top + 12].copy_from_slice(&(chain * 10).to_le_bytes());
            page[PAGE_HEADER + 4 * i + 2..PAGE_HEADER + 4 * i + 4]
                .copy_from_slice(&(top as u16).to_le_bytes());
        }
        for k in 0..chain as usize {
            let pgno = 2 + k;
            let p = &mut db[pgno * PS..(pgno + 1) * PS];
            p[25] = P_OVERFLOW;
            p[22..24].copy_from_slice(&10u16.to_le_bytes());
            let next = if k + 1 < chain as usize {
                pgno as u32 + 1
            } else {
                0
            };
            p[16..20].copy_from_slice(&next.to_le_bytes());
        }
        db
    }

    #[test]
    fn inline_keys_and_overflow_values_are_paired() {
        let db = shared_chain_db(2, 3);
        let (blobs, errors) = read_blobs(&db).unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        let ids: Vec<_> = blobs.iter().map(|b| (b.id, b.data.len())).collect();
        assert_eq!(ids, vec![(1, 30), (2, 30)]);
    }

    #[test]
    fn items_sharing_one_long_chain_exhaust_the_budget() {
        // 20 items × 10 pages = 200 page visits for a 12-page file.
        let db = shared_chain_db(20, 10);
        let (blobs, errors) = read_blobs(&db).unwrap();
        assert!(blobs.len() < 20);
        assert!(
            errors
                .iter()
                .any(|e| e.to_string().contains("could justify")),
            "{errors:?}"
        );
    }

    #[test]
    fn chain_shorter_than_declared_length_is_an_error() {
        let mut db = shared_chain_db(1, 3);
        // Declare 100 bytes where the chain holds 30.
        let top = PS - 5 - 12;
        db[PS + top + 8..PS + top + 12].copy_from_slice(&100u32.to_le_bytes());
        let (blobs, errors) = read_blobs(&db).unwrap();
        assert!(blobs.is_empty());
        assert!(errors[0].to_string().contains("broken"), "{errors:?}");
    }
}
