//! Read RPM package databases (SQLite, Berkeley DB hash, NDB) and RPM headers, in Rust.
//!
//! Every rpmdb backend stores the same thing: one RPM header blob per installed package. This crate
//! detects the backend from the file's magic, pulls the blobs out, and parses each header with
//! strict bounds checks. Nothing is written to disk and no rpm library is linked.
//!
//! ```
//! use kura_rpmdb::header::{build_blob, tag, Value};
//! let blob = build_blob(&[
//!     (tag::NAME, Value::String("bash")),
//!     (tag::VERSION, Value::String("5.2.15")),
//!     (tag::RELEASE, Value::String("2.fc38")),
//! ]);
//! let db = kura_rpmdb::ndb::build(&[blob]);
//! let read = kura_rpmdb::read_packages(&db).unwrap();
//! assert_eq!(read.format, kura_rpmdb::DbFormat::Ndb);
//! assert_eq!(read.packages[0].evr(), "5.2.15-2.fc38");
//! ```

#![forbid(unsafe_code)]

use std::borrow::Cow;
use std::fmt;

pub mod bdb;
pub mod header;
pub mod ndb;
pub mod sqlite;

pub use header::{HeaderError, RpmPackage};

/// The storage backend of an rpmdb file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbFormat {
    /// `rpmdb.sqlite` (rpm ≥ 4.16).
    Sqlite,
    /// Berkeley DB hash `Packages` (rpm ≤ 4.15).
    BerkeleyDb,
    /// rpm's own `Packages.db` (SUSE).
    Ndb,
}

impl fmt::Display for DbFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DbFormat::Sqlite => "sqlite",
            DbFormat::BerkeleyDb => "bdb",
            DbFormat::Ndb => "ndb",
        })
    }
}

/// Detect the backend from the leading bytes.
pub fn detect(data: &[u8]) -> Option<DbFormat> {
    if sqlite::is_sqlite(data) {
        Some(DbFormat::Sqlite)
    } else if ndb::is_ndb(data) {
        Some(DbFormat::Ndb)
    } else if bdb::is_bdb_hash(data) {
        Some(DbFormat::BerkeleyDb)
    } else {
        None
    }
}

/// One header blob pulled out of a database.
#[derive(Debug, Clone)]
pub struct Blob<'a> {
    /// rpm's header number (the database key).
    pub id: u32,
    /// Byte offset of the record in the file (page start for Berkeley DB, 0 for SQLite).
    pub offset: u64,
    /// The header blob.
    pub data: Cow<'a, [u8]>,
}

/// An error reading an rpm database; each variant names where in the file it happened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RpmdbError {
    /// The leading bytes match no known backend.
    #[error("not an rpm database (no SQLite, Berkeley DB hash or ndb magic)")]
    UnknownFormat,
    /// A Berkeley DB page is damaged.
    #[error("Berkeley DB page {page}: {reason}")]
    Bdb {
        /// Page number.
        page: u32,
        /// What is wrong.
        reason: String,
    },
    /// The ndb file is damaged.
    #[error("ndb at byte {offset}: {reason}")]
    Ndb {
        /// Byte offset in the file.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// SQLite refused the file or its schema.
    #[error("sqlite: {reason}")]
    Sqlite {
        /// What is wrong.
        reason: String,
    },
    /// A header blob is malformed.
    #[error("header {id} (record at byte {record_offset}): {source}")]
    Header {
        /// rpm header number.
        id: u32,
        /// Offset of the record in the database file.
        record_offset: u64,
        /// What is wrong inside the blob.
        source: HeaderError,
    },
}

/// Everything read from one database file.
#[derive(Debug, Clone)]
pub struct Packages {
    /// Backend detected.
    pub format: DbFormat,
    /// Packages, in database order (including `gpg-pubkey` pseudo-packages).
    pub packages: Vec<RpmPackage>,
    /// Records that could not be read; the rest of the database still was.
    pub errors: Vec<RpmdbError>,
}

/// Read the header blobs of any supported backend.
pub fn read_blobs(data: &[u8]) -> Result<(DbFormat, Vec<Blob<'_>>, Vec<RpmdbError>), RpmdbError> {
    let format = detect(data).ok_or(RpmdbError::UnknownFormat)?;
    let (blobs, errors) = match format {
        DbFormat::Sqlite => sqlite::read_blobs(data)?,
        DbFormat::Ndb => ndb::read_blobs(data)?,
        DbFormat::BerkeleyDb => bdb::read_blobs(data)?,
    };
    Ok((format, blobs, errors))
}

/// Read every package of a database file held in memory.
pub fn read_packages(data: &[u8]) -> Result<Packages, RpmdbError> {
    let (format, blobs, mut errors) = read_blobs(data)?;
    let mut packages = Vec::with_capacity(blobs.len());
    for b in blobs {
        match RpmPackage::from_blob(&b.data) {
            Ok(p) => packages.push(p),
            Err(source) => errors.push(RpmdbError::Header {
                id: b.id,
                record_offset: b.offset,
                source,
            }),
        }
    }
    Ok(Packages {
        format,
        packages,
        errors,
    })
}
