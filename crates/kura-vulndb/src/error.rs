//! Errors of the vulnerability DB. Each names the file or URL concerned and, where the user can
//! act, says what to do.

use std::path::PathBuf;

/// Everything that can go wrong opening, building or updating the DB.
#[derive(Debug, thiserror::Error)]
pub enum VulnDbError {
    /// The DB file does not exist.
    #[error(
        "vulnerability DB {} does not exist; build it with `kura db update` (online) or `kura db import PATH...` (offline)",
        path.display()
    )]
    Missing {
        /// The expected DB path.
        path: PathBuf,
    },
    /// The file is damaged; its contents cannot be trusted.
    #[error(
        "vulnerability DB {} is corrupt ({detail}); rebuild it with `kura db update` or `kura db import`",
        path.display()
    )]
    Corrupt {
        /// The DB path.
        path: PathBuf,
        /// What was found wrong.
        detail: String,
    },
    /// The file is an SQLite database but not one kura wrote.
    #[error(
        "{} is not a kura vulnerability DB (application_id {found:#x}); choose another path with --db or KURA_DB",
        path.display()
    )]
    NotKuraDb {
        /// The path.
        path: PathBuf,
        /// The `application_id` found.
        found: i64,
    },
    /// The DB was written with another schema version.
    #[error("vulnerability DB {} has schema version {found}, this kura reads version {expected}; {}",
        path.display(),
        if found > expected {
            "it was written by a newer kura: upgrade kura, or rebuild the DB with this one (`kura db update`)"
        } else {
            "it was written by an older kura: rebuild it with `kura db update` or `kura db import`"
        })]
    SchemaMismatch {
        /// The path.
        path: PathBuf,
        /// Schema version in the file.
        found: i64,
        /// Schema version this build reads.
        expected: i64,
    },
    /// A file-system operation failed.
    #[error("{op} {}: {source}", path.display())]
    Io {
        /// What was being done (`reading`, `writing`, `renaming to`).
        op: &'static str,
        /// The path.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// SQLite reported an error.
    #[error("vulnerability DB {}: {source}", path.display())]
    Sqlite {
        /// The DB path.
        path: PathBuf,
        /// The underlying error.
        source: rusqlite::Error,
    },
    /// A download failed (connection, truncated body, timeout).
    #[error("downloading {url}: {detail}")]
    Download {
        /// The URL.
        url: String,
        /// What went wrong.
        detail: String,
    },
    /// The server answered with an error status.
    #[error("{url} answered HTTP {status}")]
    HttpStatus {
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
    },
    /// A whole input file could not be read as any supported advisory format.
    #[error("{}: {message}", path.display())]
    Input {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A configuration value is invalid (unknown ecosystem, bad mirror URL).
    #[error("{0}")]
    Config(String),
}

impl VulnDbError {
    pub(crate) fn sqlite(path: &std::path::Path, source: rusqlite::Error) -> VulnDbError {
        // SQLITE_CORRUPT / SQLITE_NOTADB surface on any read; never let them pass as "no results".
        if let rusqlite::Error::SqliteFailure(e, ref msg) = source
            && matches!(
                e.code,
                rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase
            )
        {
            return VulnDbError::Corrupt {
                path: path.to_path_buf(),
                detail: msg.clone().unwrap_or_else(|| e.to_string()),
            };
        }
        VulnDbError::Sqlite {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn io(op: &'static str, path: &std::path::Path, source: std::io::Error) -> Self {
        VulnDbError::Io {
            op,
            path: path.to_path_buf(),
            source,
        }
    }
}
