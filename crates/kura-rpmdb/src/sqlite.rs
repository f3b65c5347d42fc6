//! rpm's SQLite backend (`rpmdb.sqlite`, rpm ≥ 4.16: RHEL/Rocky/Alma 9+, Fedora 33+, Amazon Linux
//! 2023). Table `Packages(hnum INTEGER PRIMARY KEY, blob BLOB)` holds one header blob per package
//! (rpm `lib/backend/sqlite.c`).
//!
//! The database is opened from memory with `sqlite3_deserialize`, read-only, so a scan never
//! writes a temp file and a hostile database can never be written back.

use std::borrow::Cow;

use rusqlite::{Connection, MAIN_DB, OpenFlags};

use crate::{Blob, RpmdbError};

/// The 16-byte magic string every SQLite 3 file starts with (SQLite "Database File Format" §1.3).
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// True when `data` starts with the SQLite 3 magic.
pub fn is_sqlite(data: &[u8]) -> bool {
    data.starts_with(SQLITE_MAGIC)
}

fn err(reason: impl Into<String>) -> RpmdbError {
    RpmdbError::Sqlite {
        reason: reason.into(),
    }
}

/// Read every header blob from an in-memory `rpmdb.sqlite`.
pub fn read_blobs(data: &[u8]) -> Result<(Vec<Blob<'static>>, Vec<RpmdbError>), RpmdbError> {
    if !is_sqlite(data) || data.len() < 100 {
        return Err(err("not a SQLite 3 database"));
    }
    // Bytes 18 and 19 are the file format write/read versions; 2 means WAL. A deserialized
    // database cannot be in WAL mode, and rpm's `-wal` file is not part of the input, so read
    // the main file as a rollback-journal database (file format §1.3.3).
    let mut head = [0u8; 100];
    head.copy_from_slice(&data[..100]);
    if head[18] == 2 && head[19] == 2 {
        head[18] = 1;
        head[19] = 1;
    }
    let mut conn = Connection::open_with_flags(
        ":memory:",
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| err(format!("cannot open an in-memory connection: {e}")))?;
    // SQLite copies the bytes into its own buffer; chaining the patched header avoids a
    // second copy of a database that can run to hundreds of MiB.
    let reader = std::io::Read::chain(&head[..], &data[100..]);
    conn.deserialize_read_exact(MAIN_DB, reader, data.len(), true)
        .map_err(|e| err(format!("cannot load the database: {e}")))?;
    check_schema(&conn)?;
    let mut stmt = conn
        .prepare("SELECT hnum, blob FROM Packages")
        .map_err(|e| err(format!("cannot query Packages: {e}")))?;
    let rows = stmt
        .query_map([], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, Vec<u8>>(1)?))
        })
        .map_err(|e| err(format!("cannot query Packages: {e}")))?;
    let mut blobs = Vec::new();
    let mut errors = Vec::new();
    for row in rows {
        match row {
            Ok((hnum, blob)) => match u32::try_from(hnum) {
                Ok(id) => blobs.push(Blob {
                    id,
                    offset: 0,
                    data: Cow::Owned(blob),
                }),
                Err(_) => errors.push(err(format!("row with header number {hnum} out of range"))),
            },
            // A damaged page makes the cursor fail; later rows cannot be reached after that.
            Err(e) => {
                errors.push(err(format!(
                    "reading Packages stopped after {} rows: {e}",
                    blobs.len()
                )));
                break;
            }
        }
    }
    Ok((blobs, errors))
}

/// `Packages` must be a plain table: a view or a generated column would let a hostile database
/// run arbitrary SQL (a recursive CTE, a huge `zeroblob`) when it is read.
fn check_schema(conn: &Connection) -> Result<(), RpmdbError> {
    let kind: Option<String> = conn
        .query_row(
            "SELECT type FROM sqlite_master WHERE name = 'Packages'",
            [],
            |r| r.get(0),
        )
        .map_err(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => err("no Packages table"),
            e => err(format!("cannot read the schema: {e}")),
        })
        .map(Some)?;
    if kind.as_deref() != Some("table") {
        return Err(err(format!(
            "Packages is a {}, not a table",
            kind.unwrap_or_default()
        )));
    }
    let mut stmt = conn
        .prepare("SELECT name, hidden FROM pragma_table_xinfo('Packages')")
        .map_err(|e| err(format!("cannot read the Packages columns: {e}")))?;
    let cols = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
        .map_err(|e| err(format!("cannot read the Packages columns: {e}")))?;
    for col in cols {
        let (name, hidden) =
            col.map_err(|e| err(format!("cannot read the Packages columns: {e}")))?;
        if hidden != 0 {
            return Err(err(format!(
                "Packages column {name} is generated or hidden"
            )));
        }
    }
    Ok(())
}
