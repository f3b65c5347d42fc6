//! The DB file: an SQLite database with a versioned schema, written into a temporary file beside
//! the target and renamed over it in one step, opened read-only.
//!
//! Readers never see a half-written DB: a build that fails (disk full, interrupted download,
//! a crash) leaves the temporary file behind at worst and the previous DB untouched.

use crate::error::VulnDbError;
use crate::model::{
    Advisory, Affected, AffectedStatus, RangeScheme, SeverityEntry, decode_events, decode_list,
    encode_events, encode_list,
};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Schema version; bump on any incompatible change of the tables below.
pub const SCHEMA_VERSION: i64 = 1;
/// SQLite `application_id` marking a kura DB ("KURA" in ASCII).
pub const APPLICATION_ID: i64 = 0x4B55_5241;

const SCHEMA: &str = "
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE sources(
  name TEXT PRIMARY KEY, kind TEXT NOT NULL, location TEXT NOT NULL, snapshot TEXT,
  etag TEXT, last_modified TEXT, advisories INTEGER NOT NULL, skipped INTEGER NOT NULL,
  updated TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE advisories(
  rid INTEGER PRIMARY KEY, source TEXT NOT NULL, id TEXT NOT NULL, origin TEXT NOT NULL,
  aliases TEXT NOT NULL, summary TEXT, details TEXT, severities TEXT NOT NULL, refs TEXT NOT NULL,
  published TEXT, modified TEXT, withdrawn TEXT, UNIQUE(source, id));
CREATE TABLE affected(
  eco TEXT NOT NULL, package TEXT NOT NULL, advisory INTEGER NOT NULL, seq INTEGER NOT NULL,
  scheme TEXT NOT NULL, events TEXT NOT NULL, versions TEXT NOT NULL, status TEXT NOT NULL,
  severity TEXT, PRIMARY KEY(eco, package, advisory, seq)) WITHOUT ROWID;
CREATE INDEX affected_adv ON affected(advisory);
";

/// Where one source's advisories came from and how many there were.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceMeta {
    /// Source name (`osv/PyPI`, `alpine/v3.19/main`, `debian`, `file:/path`).
    pub name: String,
    /// Format (`osv`, `alpine-secdb`, `debian-tracker`, `rustsec`, `mixed`).
    pub kind: String,
    /// URL or path it was read from.
    pub location: String,
    /// Newest advisory modification time in the source (the data's snapshot time), RFC 3339.
    pub snapshot: Option<String>,
    /// HTTP `ETag` of the last download.
    pub etag: Option<String>,
    /// HTTP `Last-Modified` of the last download.
    pub last_modified: Option<String>,
    /// Advisories stored.
    pub advisories: u64,
    /// Malformed advisories skipped.
    pub skipped: u64,
    /// When it was last read, RFC 3339.
    pub updated: String,
}

/// Metadata of a DB file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbMeta {
    /// Schema version.
    pub schema_version: i64,
    /// Build time, RFC 3339.
    pub built_at: String,
    /// kura version that built it.
    pub kura_version: String,
    /// Sources, by name.
    pub sources: Vec<SourceMeta>,
}

/// One affected entry found by a lookup, with the row id of its advisory.
///
/// `affected.versions` is left empty: explicit version lists can hold hundreds of entries and
/// most lookups never need them, so they stay in their stored form ([`AffectedRow::versions`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AffectedRow {
    /// Row id of the advisory (for [`VulnDb::advisory`]).
    pub advisory: i64,
    /// The entry.
    pub affected: Affected,
    versions: String,
}

impl AffectedRow {
    /// The explicitly listed affected versions, without copying them.
    pub fn versions(&self) -> impl Iterator<Item = &str> + Clone {
        self.versions
            .split(crate::model::SEP)
            .filter(|v| !v.is_empty())
    }
}

/// An advisory read back from the DB (its `affected` list is left empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAdvisory {
    /// Source name it was stored under.
    pub source: String,
    /// The advisory.
    pub advisory: Advisory,
}

/// Counts for `kura db stat`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbStats {
    /// Advisories stored (including withdrawn ones).
    pub advisories: u64,
    /// Withdrawn advisories (never matched).
    pub withdrawn: u64,
    /// Affected entries per ecosystem key.
    pub affected_by_ecosystem: BTreeMap<String, u64>,
    /// File size in bytes.
    pub file_size: u64,
}

/// An open, read-only DB.
pub struct VulnDb {
    conn: Connection,
    path: PathBuf,
    meta: DbMeta,
}

impl std::fmt::Debug for VulnDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VulnDb")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// SQLite integers are signed; counts never are.
fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn pragma_i64(conn: &Connection, path: &Path, name: &str) -> Result<i64, VulnDbError> {
    conn.pragma_query_value(None, name, |r| r.get(0))
        .map_err(|e| VulnDbError::sqlite(path, e))
}

/// Check the cheap signals that a file is a complete kura DB of our schema.
fn check_header(conn: &Connection, path: &Path) -> Result<(), VulnDbError> {
    let app = pragma_i64(conn, path, "application_id")?;
    if app != APPLICATION_ID {
        return Err(VulnDbError::NotKuraDb {
            path: path.to_path_buf(),
            found: app,
        });
    }
    let found = pragma_i64(conn, path, "user_version")?;
    if found != SCHEMA_VERSION {
        return Err(VulnDbError::SchemaMismatch {
            path: path.to_path_buf(),
            found,
            expected: SCHEMA_VERSION,
        });
    }
    // A truncated copy still has a valid header; the page count in that header must match
    // the file length (SQLite file format §1.3, "in-header database size").
    let pages = pragma_i64(conn, path, "page_count")?;
    let page_size = pragma_i64(conn, path, "page_size")?;
    let len = fs_err::metadata(path)
        .map_err(|e| VulnDbError::io("reading", path, e))?
        .len();
    if u64::try_from(pages.saturating_mul(page_size)).ok() != Some(len) {
        return Err(VulnDbError::Corrupt {
            path: path.to_path_buf(),
            detail: format!(
                "file is {len} bytes but its header says {pages} pages of {page_size} bytes"
            ),
        });
    }
    Ok(())
}

/// `file:` URI for a path (RFC 8089; SQLite URI filenames), percent-encoding what a URI
/// would otherwise read as syntax.
fn immutable_uri(path: &Path) -> String {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    let mut out = String::from("file:");
    for b in abs.as_os_str().as_encoded_bytes() {
        if b.is_ascii_graphic() && !matches!(b, b'%' | b'?' | b'#') {
            out.push(char::from(*b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out.push_str("?immutable=1");
    out
}

fn read_meta(conn: &Connection, path: &Path) -> Result<DbMeta, VulnDbError> {
    let err = |e| VulnDbError::sqlite(path, e);
    let get = |k: &str| -> Result<Option<String>, VulnDbError> {
        conn.query_row("SELECT value FROM meta WHERE key = ?1", [k], |r| r.get(0))
            .optional()
            .map_err(err)
    };
    if get("complete")?.as_deref() != Some("1") {
        return Err(VulnDbError::Corrupt {
            path: path.to_path_buf(),
            detail: "the build that wrote it did not finish".into(),
        });
    }
    let mut stmt = conn
        .prepare(
            "SELECT name, kind, location, snapshot, etag, last_modified, advisories, skipped, updated
             FROM sources ORDER BY name",
        )
        .map_err(err)?;
    let sources = stmt
        .query_map([], |r| {
            Ok(SourceMeta {
                name: r.get(0)?,
                kind: r.get(1)?,
                location: r.get(2)?,
                snapshot: r.get(3)?,
                etag: r.get(4)?,
                last_modified: r.get(5)?,
                advisories: count(r.get(6)?),
                skipped: count(r.get(7)?),
                updated: r.get(8)?,
            })
        })
        .map_err(err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(err)?;
    Ok(DbMeta {
        schema_version: SCHEMA_VERSION,
        built_at: get("built_at")?.unwrap_or_default(),
        kura_version: get("kura_version")?.unwrap_or_default(),
        sources,
    })
}

impl VulnDb {
    /// Open a DB read-only, checking that it is a complete kura DB of this schema version.
    pub fn open(path: &Path) -> Result<VulnDb, VulnDbError> {
        if !path.is_file() {
            return Err(VulnDbError::Missing {
                path: path.to_path_buf(),
            });
        }
        // `immutable=1`: a DB file is never changed in place (builds rename a new file over
        // it), so SQLite may skip file locks and change detection on every statement — the
        // largest cost of many small lookups otherwise.
        let conn = Connection::open_with_flags(
            immutable_uri(path),
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )
        .map_err(|e| VulnDbError::sqlite(path, e))?;
        check_header(&conn, path)?;
        conn.execute_batch("PRAGMA mmap_size = 1073741824; PRAGMA cache_size = -65536;")
            .map_err(|e| VulnDbError::sqlite(path, e))?;
        let meta = read_meta(&conn, path)?;
        Ok(VulnDb {
            conn,
            path: path.to_path_buf(),
            meta,
        })
    }

    /// The DB path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Metadata: schema, build time, sources.
    pub fn meta(&self) -> &DbMeta {
        &self.meta
    }

    /// Age of the DB at `now`, from its build time.
    pub fn age(&self, now: time::OffsetDateTime) -> Option<time::Duration> {
        let built = time::OffsetDateTime::parse(
            &self.meta.built_at,
            &time::format_description::well_known::Rfc3339,
        )
        .ok()?;
        Some(now - built)
    }

    /// Every affected entry for a package in an ecosystem key (name as [`crate::package_lookup_name`]
    /// gives it). Entries of withdrawn advisories are never stored.
    pub fn lookup(&self, eco: &str, package: &str) -> Result<Vec<AffectedRow>, VulnDbError> {
        let err = |e| VulnDbError::sqlite(&self.path, e);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT advisory, scheme, events, versions, status, severity
                 FROM affected WHERE eco = ?1 AND package = ?2",
            )
            .map_err(err)?;
        let mut rows = stmt.query(params![eco, package]).map_err(err)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(err)? {
            let advisory: i64 = r.get(0).map_err(err)?;
            let scheme: String = r.get(1).map_err(err)?;
            let events: String = r.get(2).map_err(err)?;
            let versions: String = r.get(3).map_err(err)?;
            let status: String = r.get(4).map_err(err)?;
            let severity: Option<String> = r.get(5).map_err(err)?;
            let corrupt = |what: &str| VulnDbError::Corrupt {
                path: self.path.clone(),
                detail: format!("bad {what} in an affected row of advisory #{advisory}"),
            };
            out.push(AffectedRow {
                advisory,
                affected: Affected {
                    ecosystem_key: eco.to_string(),
                    package: package.to_string(),
                    scheme: RangeScheme::parse(&scheme).ok_or_else(|| corrupt("scheme"))?,
                    events: decode_events(&events).ok_or_else(|| corrupt("events"))?,
                    versions: Vec::new(),
                    status: AffectedStatus::parse(&status).ok_or_else(|| corrupt("status"))?,
                    severity,
                },
                versions,
            });
        }
        Ok(out)
    }

    /// Read one advisory by row id.
    pub fn advisory(&self, rid: i64) -> Result<StoredAdvisory, VulnDbError> {
        let err = |e| VulnDbError::sqlite(&self.path, e);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT source, id, origin, aliases, summary, details, severities, refs,
                        published, modified, withdrawn
                 FROM advisories WHERE rid = ?1",
            )
            .map_err(err)?;
        let corrupt = |what: &str| VulnDbError::Corrupt {
            path: self.path.clone(),
            detail: format!("advisory #{rid}: {what}"),
        };
        let row = stmt
            .query_row([rid], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, Option<String>>(8)?,
                    r.get::<_, Option<String>>(9)?,
                    r.get::<_, Option<String>>(10)?,
                ))
            })
            .optional()
            .map_err(err)?
            .ok_or_else(|| corrupt("referenced by an affected row but missing"))?;
        let severities: Vec<SeverityEntry> =
            serde_json::from_str(&row.6).map_err(|_| corrupt("unreadable severities"))?;
        Ok(StoredAdvisory {
            source: row.0,
            advisory: Advisory {
                id: row.1,
                origin: row.2,
                aliases: decode_list(&row.3),
                summary: row.4,
                details: row.5,
                severities,
                references: decode_list(&row.7),
                published: row.8,
                modified: row.9,
                withdrawn: row.10,
                affected: Vec::new(),
            },
        })
    }

    /// Counts for `kura db stat`.
    pub fn stats(&self) -> Result<DbStats, VulnDbError> {
        let err = |e| VulnDbError::sqlite(&self.path, e);
        let advisories: u64 = self
            .conn
            .query_row("SELECT count(*) FROM advisories", [], |r| {
                r.get(0).map(count)
            })
            .map_err(err)?;
        let withdrawn: u64 = self
            .conn
            .query_row(
                "SELECT count(*) FROM advisories WHERE withdrawn IS NOT NULL",
                [],
                |r| r.get(0).map(count),
            )
            .map_err(err)?;
        let mut stmt = self
            .conn
            .prepare("SELECT eco, count(*) FROM affected GROUP BY eco ORDER BY eco")
            .map_err(err)?;
        let affected_by_ecosystem = stmt
            .query_map([], |r| {
                Ok((r.get::<_, String>(0)?, count(r.get::<_, i64>(1)?)))
            })
            .map_err(err)?
            .collect::<Result<BTreeMap<_, _>, _>>()
            .map_err(err)?;
        let file_size = fs_err::metadata(&self.path)
            .map_err(|e| VulnDbError::io("reading", &self.path, e))?
            .len();
        Ok(DbStats {
            advisories,
            withdrawn,
            affected_by_ecosystem,
            file_size,
        })
    }
}

/// Writes a new DB into a temporary file beside the target; [`DbWriter::commit`] renames it
/// over the target. Dropping the writer without committing leaves the target untouched.
pub struct DbWriter {
    conn: Option<Connection>,
    tmp: Option<tempfile::TempPath>,
    target: PathBuf,
    /// Distinguishes affected rows of one advisory and package (part of the primary key).
    next_seq: i64,
}

impl std::fmt::Debug for DbWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbWriter")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl DbWriter {
    /// Start an empty DB that will replace `target`.
    pub fn create(target: &Path) -> Result<DbWriter, VulnDbError> {
        let tmp = Self::temp_beside(target)?;
        let conn = Connection::open(&tmp).map_err(|e| VulnDbError::sqlite(&tmp, e))?;
        conn.execute_batch(&format!(
            "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {SCHEMA_VERSION};
             PRAGMA page_size = 4096; {SCHEMA}"
        ))
        .map_err(|e| VulnDbError::sqlite(&tmp, e))?;
        Self::begin(conn, tmp, target)
    }

    /// Start from a copy of the DB at `target` (to add or replace sources). When `target` does
    /// not exist, start empty; when it is unreadable or of another schema, fail with that error.
    pub fn from_existing(target: &Path) -> Result<DbWriter, VulnDbError> {
        if !target.exists() {
            return Self::create(target);
        }
        drop(VulnDb::open(target)?);
        let tmp = Self::temp_beside(target)?;
        fs_err::copy(target, &tmp).map_err(|e| VulnDbError::io("copying", target, e))?;
        let conn = Connection::open(&tmp).map_err(|e| VulnDbError::sqlite(&tmp, e))?;
        conn.execute("DELETE FROM meta WHERE key = 'complete'", [])
            .map_err(|e| VulnDbError::sqlite(&tmp, e))?;
        Self::begin(conn, tmp, target)
    }

    fn temp_beside(target: &Path) -> Result<tempfile::TempPath, VulnDbError> {
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs_err::create_dir_all(&dir).map_err(|e| VulnDbError::io("creating", &dir, e))?;
        let file = tempfile::Builder::new()
            .prefix(".kura-db-")
            .suffix(".tmp")
            .tempfile_in(&dir)
            .map_err(|e| VulnDbError::io("creating a temporary file in", &dir, e))?;
        Ok(file.into_temp_path())
    }

    fn begin(
        conn: Connection,
        tmp: tempfile::TempPath,
        target: &Path,
    ) -> Result<DbWriter, VulnDbError> {
        // The temporary file is private until the rename; durability comes from the fsync in
        // commit, so SQLite's journal would only cost time.
        conn.execute_batch("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; BEGIN;")
            .map_err(|e| VulnDbError::sqlite(&tmp, e))?;
        let next_seq: i64 = conn
            .query_row("SELECT coalesce(max(seq), 0) + 1 FROM affected", [], |r| {
                r.get(0)
            })
            .map_err(|e| VulnDbError::sqlite(&tmp, e))?;
        Ok(DbWriter {
            conn: Some(conn),
            tmp: Some(tmp),
            target: target.to_path_buf(),
            next_seq,
        })
    }

    fn conn(&self) -> Result<(&Connection, &Path), VulnDbError> {
        match (&self.conn, &self.tmp) {
            (Some(c), Some(t)) => Ok((c, t)),
            _ => Err(VulnDbError::Config("DB writer used after commit".into())),
        }
    }

    /// Remove every advisory of a source (before re-adding it).
    pub fn clear_source(&mut self, name: &str) -> Result<(), VulnDbError> {
        let (conn, tmp) = self.conn()?;
        conn.execute(
            "DELETE FROM affected WHERE advisory IN (SELECT rid FROM advisories WHERE source = ?1)",
            [name],
        )
        .and_then(|_| conn.execute("DELETE FROM advisories WHERE source = ?1", [name]))
        .and_then(|_| conn.execute("DELETE FROM sources WHERE name = ?1", [name]))
        .map_err(|e| VulnDbError::sqlite(tmp, e))?;
        Ok(())
    }

    /// Store an advisory under a source. When the source already holds the ID (per-branch feeds
    /// such as Alpine secdb or the Debian tracker repeat a CVE in several files), the affected
    /// entries and aliases are added to the stored one.
    pub fn add(&mut self, source: &str, adv: &Advisory) -> Result<(), VulnDbError> {
        let mut seq = self.next_seq;
        let (conn, tmp) = self.conn()?;
        let err = |e| VulnDbError::sqlite(tmp, e);
        let old: Option<(i64, String, Option<String>)> = conn
            .prepare_cached(
                "SELECT rid, aliases, withdrawn FROM advisories WHERE source = ?1 AND id = ?2",
            )
            .and_then(|mut s| {
                s.query_row(params![source, adv.id], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .optional()
            })
            .map_err(err)?;
        let (rid, withdrawn) = match old {
            Some((rid, aliases, withdrawn)) => {
                let mut all = decode_list(&aliases);
                let before = all.len();
                for a in &adv.aliases {
                    if !all.contains(a) {
                        all.push(a.clone());
                    }
                }
                if all.len() != before {
                    conn.prepare_cached("UPDATE advisories SET aliases = ?1 WHERE rid = ?2")
                        .and_then(|mut s| s.execute(params![encode_list(&all), rid]))
                        .map_err(err)?;
                }
                (rid, withdrawn.is_some() || adv.withdrawn.is_some())
            }
            None => {
                let severities = serde_json::to_string(&adv.severities)
                    .map_err(|e| VulnDbError::Config(format!("encoding severities: {e}")))?;
                conn.prepare_cached(
                    "INSERT INTO advisories(source, id, origin, aliases, summary, details,
                                            severities, refs, published, modified, withdrawn)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        source,
                        adv.id,
                        adv.origin,
                        encode_list(&adv.aliases),
                        adv.summary,
                        adv.details,
                        severities,
                        encode_list(&adv.references),
                        adv.published,
                        adv.modified,
                        adv.withdrawn,
                    ])
                })
                .map_err(err)?;
                (conn.last_insert_rowid(), adv.withdrawn.is_some())
            }
        };
        if withdrawn {
            // OSV §withdrawn: the advisory no longer applies; keep it for `stat`, never match it.
            conn.prepare_cached("DELETE FROM affected WHERE advisory = ?1")
                .and_then(|mut s| s.execute([rid]))
                .map_err(err)?;
            return Ok(());
        }
        let mut ins = conn
            .prepare_cached(
                "INSERT INTO affected(advisory, eco, package, scheme, events, versions, status,
                                      severity, seq)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .map_err(err)?;
        for a in &adv.affected {
            ins.execute(params![
                rid,
                a.ecosystem_key,
                a.package,
                a.scheme.as_str(),
                encode_events(&a.events),
                encode_list(&a.versions),
                a.status.as_str(),
                a.severity,
                seq,
            ])
            .map_err(err)?;
            seq += 1;
        }
        drop(ins);
        self.next_seq = seq;
        Ok(())
    }

    /// Record (or replace) a source's metadata.
    pub fn set_source(&mut self, s: &SourceMeta) -> Result<(), VulnDbError> {
        let (conn, tmp) = self.conn()?;
        conn.execute(
            "INSERT OR REPLACE INTO sources(name, kind, location, snapshot, etag, last_modified,
                                            advisories, skipped, updated)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                s.name,
                s.kind,
                s.location,
                s.snapshot,
                s.etag,
                s.last_modified,
                i64::try_from(s.advisories).unwrap_or(i64::MAX),
                i64::try_from(s.skipped).unwrap_or(i64::MAX),
                s.updated
            ],
        )
        .map_err(|e| VulnDbError::sqlite(tmp, e))?;
        Ok(())
    }

    /// Source metadata currently in the DB being written (to reuse ETags).
    pub fn source(&self, name: &str) -> Result<Option<SourceMeta>, VulnDbError> {
        let (conn, tmp) = self.conn()?;
        conn.query_row(
            "SELECT name, kind, location, snapshot, etag, last_modified, advisories, skipped, updated
             FROM sources WHERE name = ?1",
            [name],
            |r| {
                Ok(SourceMeta {
                    name: r.get(0)?,
                    kind: r.get(1)?,
                    location: r.get(2)?,
                    snapshot: r.get(3)?,
                    etag: r.get(4)?,
                    last_modified: r.get(5)?,
                    advisories: count(r.get(6)?),
                    skipped: count(r.get(7)?),
                    updated: r.get(8)?,
                })
            },
        )
        .optional()
        .map_err(|e| VulnDbError::sqlite(tmp, e))
    }

    /// Finish: write build metadata, compact, flush to disk and rename over the target.
    pub fn commit(mut self) -> Result<(), VulnDbError> {
        let (Some(conn), Some(tmp)) = (self.conn.take(), self.tmp.take()) else {
            return Err(VulnDbError::Config("DB writer committed twice".into()));
        };
        let err = |e| VulnDbError::sqlite(&tmp, e);
        let now = crate::now_rfc3339();
        conn.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES ('built_at', ?1), ('schema_version', ?2),
                    ('kura_version', ?3), ('complete', '1')",
            params![now, SCHEMA_VERSION.to_string(), env!("CARGO_PKG_VERSION")],
        )
        .map_err(err)?;
        conn.execute_batch("COMMIT; VACUUM;").map_err(err)?;
        conn.close().map_err(|(_, e)| err(e))?;
        let f = fs_err::File::open(&*tmp).map_err(|e| VulnDbError::io("opening", &tmp, e))?;
        f.sync_all()
            .map_err(|e| VulnDbError::io("flushing", &tmp, e))?;
        drop(f);
        tmp.persist(&self.target)
            .map_err(|e| VulnDbError::io("renaming a new DB to", &self.target, e.error))?;
        if let Some(dir) = self.target.parent()
            && let Ok(d) = fs_err::File::open(dir)
        {
            // Make the rename itself durable (POSIX rename + directory fsync).
            let _ = d.sync_all();
        }
        Ok(())
    }
}
