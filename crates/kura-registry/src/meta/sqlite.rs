//! SQLite metadata store: WAL journal, `synchronous=FULL` so a committed transaction survives a
//! crash, one writer connection and a few readers.

use super::*;
use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS repos (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, project TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blobs (digest TEXT PRIMARY KEY, size INTEGER NOT NULL, created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS repo_blobs (repo INTEGER NOT NULL, digest TEXT NOT NULL, PRIMARY KEY (repo, digest)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS repo_blobs_digest ON repo_blobs(digest);
CREATE TABLE IF NOT EXISTS manifests (
  repo INTEGER NOT NULL, digest TEXT NOT NULL, media_type TEXT NOT NULL, content BLOB NOT NULL,
  artifact_type TEXT, subject TEXT, annotations TEXT, created INTEGER NOT NULL,
  PRIMARY KEY (repo, digest)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS manifests_subject ON manifests(repo, subject);
CREATE TABLE IF NOT EXISTS manifest_refs (repo INTEGER NOT NULL, manifest TEXT NOT NULL, target TEXT NOT NULL,
  PRIMARY KEY (repo, manifest, target)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tags (repo INTEGER NOT NULL, name TEXT NOT NULL, digest TEXT NOT NULL, updated INTEGER NOT NULL,
  PRIMARY KEY (repo, name)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS uploads (id TEXT PRIMARY KEY, repo TEXT NOT NULL, created INTEGER NOT NULL, touched INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY, hash TEXT NOT NULL, admin INTEGER NOT NULL, disabled INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS projects (name TEXT PRIMARY KEY, public INTEGER NOT NULL, quota INTEGER, immutable TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS members (project TEXT NOT NULL, user TEXT NOT NULL, role TEXT NOT NULL, PRIMARY KEY (project, user));
CREATE TABLE IF NOT EXISTS robots (name TEXT PRIMARY KEY, project TEXT NOT NULL, hash TEXT NOT NULL, actions TEXT NOT NULL,
  expires INTEGER, disabled INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY, record TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit_meta (key TEXT PRIMARY KEY, seq INTEGER NOT NULL, hash TEXT NOT NULL);
"#;

/// SQLite implementation of [`MetaStore`].
pub struct SqliteMeta {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next: AtomicUsize,
}

fn db(op: &'static str) -> impl FnOnce(rusqlite::Error) -> MetaError {
    move |source| MetaError::Db { op, source }
}

fn open_conn(path: &Path) -> Result<Connection, MetaError> {
    let c = Connection::open(path).map_err(db("open"))?;
    c.busy_timeout(std::time::Duration::from_secs(30))
        .map_err(db("busy timeout"))?;
    c.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=OFF;")
        .map_err(db("pragmas"))?;
    Ok(c)
}

fn parse_digest(s: String) -> Result<Digest, MetaError> {
    s.parse().map_err(|e| MetaError::Corrupt {
        what: "digest",
        detail: format!("{s}: {e}"),
    })
}

impl SqliteMeta {
    /// Open or create the database at `path`.
    pub fn open(path: &Path) -> Result<SqliteMeta, MetaError> {
        let w = open_conn(path)?;
        w.execute_batch(SCHEMA).map_err(db("schema"))?;
        let readers = (0..4)
            .map(|_| open_conn(path).map(Mutex::new))
            .collect::<Result<_, _>>()?;
        Ok(SqliteMeta {
            writer: Mutex::new(w),
            readers,
            next: AtomicUsize::new(0),
        })
    }

    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T, MetaError>) -> Result<T, MetaError> {
        let n = self.readers.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        for i in 0..n {
            if let Some(m) = self.readers.get((start + i) % n)
                && let Ok(c) = m.try_lock()
            {
                return f(&c);
            }
        }
        let m = self.readers.get(start % n).ok_or(MetaError::Poisoned)?;
        let c = m.lock().map_err(|_| MetaError::Poisoned)?;
        f(&c)
    }

    fn write<T>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, MetaError>,
    ) -> Result<T, MetaError> {
        let mut c = self.writer.lock().map_err(|_| MetaError::Poisoned)?;
        let tx = c
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(db("begin"))?;
        let v = f(&tx)?;
        tx.commit().map_err(db("commit"))?;
        Ok(v)
    }
}

fn repo_id(c: &Connection, repo: &RepoName) -> Result<Option<i64>, MetaError> {
    c.query_row("SELECT id FROM repos WHERE name=?1", [repo.as_str()], |r| {
        r.get(0)
    })
    .optional()
    .map_err(db("repo lookup"))
}

fn ensure_repo(c: &Connection, repo: &RepoName) -> Result<i64, MetaError> {
    c.execute(
        "INSERT OR IGNORE INTO repos(name, project) VALUES (?1, ?2)",
        params![repo.as_str(), repo.project()],
    )
    .map_err(db("repo create"))?;
    repo_id(c, repo)?.ok_or(MetaError::Corrupt {
        what: "repos",
        detail: "row vanished".into(),
    })
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

impl MetaStore for SqliteMeta {
    fn repo_exists(&self, repo: &RepoName) -> Result<bool, MetaError> {
        self.read(|c| Ok(repo_id(c, repo)?.is_some()))
    }

    fn repo_blob(&self, repo: &RepoName, d: &Digest) -> Result<Option<u64>, MetaError> {
        self.read(|c| {
            c.query_row(
                "SELECT b.size FROM repos r JOIN repo_blobs rb ON rb.repo=r.id JOIN blobs b ON b.digest=rb.digest
                 WHERE r.name=?1 AND rb.digest=?2",
                params![repo.as_str(), d.to_string()],
                |r| r.get::<_, i64>(0),
            )
            .optional()
            .map(|o| o.map(|s| s as u64))
            .map_err(db("blob lookup"))
        })
    }

    fn blob(&self, d: &Digest) -> Result<Option<u64>, MetaError> {
        self.read(|c| {
            c.query_row(
                "SELECT size FROM blobs WHERE digest=?1",
                [d.to_string()],
                |r| r.get::<_, i64>(0),
            )
            .optional()
            .map(|o| o.map(|s| s as u64))
            .map_err(db("blob lookup"))
        })
    }

    fn link_blob(&self, repo: &RepoName, d: &Digest, size: u64) -> Result<(), MetaError> {
        self.write(|tx| {
            let id = ensure_repo(tx, repo)?;
            tx.execute(
                "INSERT OR IGNORE INTO blobs(digest, size, created) VALUES (?1, ?2, ?3)",
                params![d.to_string(), size as i64, now()],
            )
            .map_err(db("blob insert"))?;
            tx.execute(
                "INSERT OR IGNORE INTO repo_blobs(repo, digest) VALUES (?1, ?2)",
                params![id, d.to_string()],
            )
            .map_err(db("blob link"))?;
            Ok(())
        })
    }

    fn mount_blob(&self, repo: &RepoName, d: &Digest) -> Result<Option<u64>, MetaError> {
        self.write(|tx| {
            let size: Option<i64> = tx
                .query_row(
                    "SELECT size FROM blobs WHERE digest=?1",
                    [d.to_string()],
                    |r| r.get(0),
                )
                .optional()
                .map_err(db("blob lookup"))?;
            let Some(size) = size else { return Ok(None) };
            let id = ensure_repo(tx, repo)?;
            tx.execute(
                "INSERT OR IGNORE INTO repo_blobs(repo, digest) VALUES (?1, ?2)",
                params![id, d.to_string()],
            )
            .map_err(db("blob link"))?;
            Ok(Some(size as u64))
        })
    }

    fn unlink_blob(&self, repo: &RepoName, d: &Digest) -> Result<bool, MetaError> {
        self.write(|tx| {
            let Some(id) = repo_id(tx, repo)? else {
                return Ok(false);
            };
            let n = tx
                .execute(
                    "DELETE FROM repo_blobs WHERE repo=?1 AND digest=?2",
                    params![id, d.to_string()],
                )
                .map_err(db("blob unlink"))?;
            Ok(n > 0)
        })
    }

    fn missing_refs(&self, repo: &RepoName, digests: &[Digest]) -> Result<Vec<Digest>, MetaError> {
        self.read(|c| {
            let Some(id) = repo_id(c, repo)? else {
                return Ok(digests.to_vec());
            };
            let mut blob = c
                .prepare_cached("SELECT 1 FROM repo_blobs WHERE repo=?1 AND digest=?2")
                .map_err(db("prepare"))?;
            let mut man = c
                .prepare_cached("SELECT 1 FROM manifests WHERE repo=?1 AND digest=?2")
                .map_err(db("prepare"))?;
            let mut missing = Vec::new();
            for d in digests {
                let s = d.to_string();
                let found = blob.exists(params![id, s]).map_err(db("ref check"))?
                    || man.exists(params![id, s]).map_err(db("ref check"))?;
                if !found {
                    missing.push(d.clone());
                }
            }
            Ok(missing)
        })
    }

    fn manifest(&self, repo: &RepoName, d: &Digest) -> Result<Option<ManifestRow>, MetaError> {
        self.read(|c| {
            let row = c
                .prepare_cached(
                    "SELECT m.media_type, m.content, m.artifact_type, m.subject, m.annotations
                     FROM repos r JOIN manifests m ON m.repo=r.id WHERE r.name=?1 AND m.digest=?2",
                )
                .map_err(db("prepare"))?
                .query_row(params![repo.as_str(), d.to_string()], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, Vec<u8>>(1)?,
                        r.get(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get(4)?,
                    ))
                })
                .optional()
                .map_err(db("manifest lookup"))?;
            let Some((media_type, content, artifact_type, subject, annotations)) = row else {
                return Ok(None);
            };
            Ok(Some(ManifestRow {
                digest: d.clone(),
                media_type,
                content,
                artifact_type,
                subject: subject.map(parse_digest).transpose()?,
                annotations,
            }))
        })
    }

    fn tag(&self, repo: &RepoName, tag: &str) -> Result<Option<Digest>, MetaError> {
        self.read(|c| {
            c.prepare_cached("SELECT t.digest FROM repos r JOIN tags t ON t.repo=r.id WHERE r.name=?1 AND t.name=?2")
                .map_err(db("prepare"))?
                .query_row(params![repo.as_str(), tag], |r| r.get::<_, String>(0))
                .optional()
                .map_err(db("tag lookup"))?
                .map(parse_digest)
                .transpose()
        })
    }

    fn put_manifest(
        &self,
        repo: &RepoName,
        m: &ManifestRow,
        refs: &[Digest],
        tag: Option<&str>,
        immutable: &dyn Fn(&str) -> bool,
    ) -> Result<PutOutcome, MetaError> {
        self.write(|tx| {
            let id = ensure_repo(tx, repo)?;
            let ds = m.digest.to_string();
            if let Some(t) = tag {
                let cur: Option<String> = tx
                    .query_row("SELECT digest FROM tags WHERE repo=?1 AND name=?2", params![id, t], |r| r.get(0))
                    .optional()
                    .map_err(db("tag lookup"))?;
                if cur.as_deref().is_some_and(|c| c != ds) && immutable(t) {
                    return Err(MetaError::TagImmutable { repo: repo.to_string(), tag: t.to_owned() });
                }
            }
            tx.execute(
                "INSERT OR REPLACE INTO manifests(repo, digest, media_type, content, artifact_type, subject, annotations, created)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    id,
                    ds,
                    m.media_type,
                    m.content,
                    m.artifact_type,
                    m.subject.as_ref().map(|s| s.to_string()),
                    m.annotations,
                    now()
                ],
            )
            .map_err(db("manifest insert"))?;
            for r in refs {
                tx.execute(
                    "INSERT OR IGNORE INTO manifest_refs(repo, manifest, target) VALUES (?1, ?2, ?3)",
                    params![id, ds, r.to_string()],
                )
                .map_err(db("manifest refs"))?;
            }
            if let Some(t) = tag {
                tx.execute(
                    "INSERT OR REPLACE INTO tags(repo, name, digest, updated) VALUES (?1, ?2, ?3, ?4)",
                    params![id, t, ds, now()],
                )
                .map_err(db("tag upsert"))?;
            }
            Ok(PutOutcome::Stored)
        })
    }

    fn delete_manifest(&self, repo: &RepoName, d: &Digest) -> Result<bool, MetaError> {
        self.write(|tx| {
            let Some(id) = repo_id(tx, repo)? else {
                return Ok(false);
            };
            let ds = d.to_string();
            let n = tx
                .execute(
                    "DELETE FROM manifests WHERE repo=?1 AND digest=?2",
                    params![id, ds],
                )
                .map_err(db("manifest delete"))?;
            tx.execute(
                "DELETE FROM manifest_refs WHERE repo=?1 AND manifest=?2",
                params![id, ds],
            )
            .map_err(db("manifest refs delete"))?;
            tx.execute(
                "DELETE FROM tags WHERE repo=?1 AND digest=?2",
                params![id, ds],
            )
            .map_err(db("tags delete"))?;
            Ok(n > 0)
        })
    }

    fn delete_tag(&self, repo: &RepoName, tag: &str) -> Result<bool, MetaError> {
        self.write(|tx| {
            let Some(id) = repo_id(tx, repo)? else {
                return Ok(false);
            };
            let n = tx
                .execute(
                    "DELETE FROM tags WHERE repo=?1 AND name=?2",
                    params![id, tag],
                )
                .map_err(db("tag delete"))?;
            Ok(n > 0)
        })
    }

    fn tags(
        &self,
        repo: &RepoName,
        last: Option<&str>,
        n: Option<usize>,
    ) -> Result<Option<Vec<String>>, MetaError> {
        self.read(|c| {
            let Some(id) = repo_id(c, repo)? else {
                return Ok(None);
            };
            let limit = n.map(|n| n as i64).unwrap_or(-1);
            let mut st = c
                .prepare_cached(
                    "SELECT name FROM tags WHERE repo=?1 AND name > ?2 ORDER BY name LIMIT ?3",
                )
                .map_err(db("prepare"))?;
            let rows = st
                .query_map(params![id, last.unwrap_or(""), limit], |r| {
                    r.get::<_, String>(0)
                })
                .map_err(db("tags"))?;
            Ok(Some(
                rows.collect::<Result<Vec<_>, _>>().map_err(db("tags"))?,
            ))
        })
    }

    fn repositories(&self, last: Option<&str>) -> Result<Vec<String>, MetaError> {
        self.read(|c| {
            let mut st = c
                .prepare_cached("SELECT name FROM repos WHERE name > ?1 ORDER BY name")
                .map_err(db("prepare"))?;
            let rows = st
                .query_map([last.unwrap_or("")], |r| r.get::<_, String>(0))
                .map_err(db("catalog"))?;
            rows.collect::<Result<Vec<_>, _>>().map_err(db("catalog"))
        })
    }

    fn referrers(&self, repo: &RepoName, subject: &Digest) -> Result<Vec<Referrer>, MetaError> {
        self.read(|c| {
            let Some(id) = repo_id(c, repo)? else { return Ok(Vec::new()) };
            let mut st = c
                .prepare_cached(
                    "SELECT digest, media_type, length(content), artifact_type, annotations FROM manifests
                     WHERE repo=?1 AND subject=?2 ORDER BY digest",
                )
                .map_err(db("prepare"))?;
            let rows = st
                .query_map(params![id, subject.to_string()], |r| {
                    Ok((r.get::<_, String>(0)?, r.get(1)?, r.get::<_, i64>(2)?, r.get(3)?, r.get(4)?))
                })
                .map_err(db("referrers"))?;
            let mut out = Vec::new();
            for row in rows {
                let (d, media_type, size, artifact_type, annotations) = row.map_err(db("referrers"))?;
                out.push(Referrer { digest: parse_digest(d)?, media_type, size: size as u64, artifact_type, annotations });
            }
            Ok(out)
        })
    }

    fn project_usage(&self, project: &str) -> Result<u64, MetaError> {
        self.read(|c| {
            c.query_row(
                "SELECT COALESCE(SUM(size),0) FROM blobs WHERE digest IN
                   (SELECT rb.digest FROM repo_blobs rb JOIN repos r ON r.id=rb.repo WHERE r.project=?1)",
                [project],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as u64)
            .map_err(db("usage"))
        })
    }

    fn upload_create(&self, id: &str, repo: &RepoName, now: i64) -> Result<(), MetaError> {
        self.write(|tx| {
            ensure_repo(tx, repo)?;
            tx.execute(
                "INSERT INTO uploads(id, repo, created, touched) VALUES (?1, ?2, ?3, ?3)",
                params![id, repo.as_str(), now],
            )
            .map_err(db("upload create"))?;
            Ok(())
        })
    }

    fn upload_repo(&self, id: &str) -> Result<Option<String>, MetaError> {
        self.read(|c| {
            c.query_row("SELECT repo FROM uploads WHERE id=?1", [id], |r| r.get(0))
                .optional()
                .map_err(db("upload lookup"))
        })
    }

    fn upload_touch(&self, id: &str, now: i64) -> Result<(), MetaError> {
        self.write(|tx| {
            tx.execute(
                "UPDATE uploads SET touched=?2 WHERE id=?1",
                params![id, now],
            )
            .map_err(db("upload touch"))?;
            Ok(())
        })
    }

    fn upload_delete(&self, id: &str) -> Result<(), MetaError> {
        self.write(|tx| {
            tx.execute("DELETE FROM uploads WHERE id=?1", [id])
                .map_err(db("upload delete"))?;
            Ok(())
        })
    }

    fn uploads_idle(&self, before: i64) -> Result<Vec<String>, MetaError> {
        self.read(|c| {
            let mut st = c
                .prepare("SELECT id FROM uploads WHERE touched < ?1")
                .map_err(db("prepare"))?;
            let rows = st
                .query_map([before], |r| r.get::<_, String>(0))
                .map_err(db("uploads"))?;
            rows.collect::<Result<Vec<_>, _>>().map_err(db("uploads"))
        })
    }

    fn uploads_open(&self) -> Result<u64, MetaError> {
        self.read(|c| {
            c.query_row("SELECT COUNT(*) FROM uploads", [], |r| r.get::<_, i64>(0))
                .map(|n| n as u64)
                .map_err(db("uploads"))
        })
    }

    fn orphan_blobs(&self, before: i64) -> Result<Vec<Digest>, MetaError> {
        self.read(|c| {
            let mut st = c
                .prepare(
                    "SELECT digest FROM blobs b WHERE created < ?1
                     AND NOT EXISTS (SELECT 1 FROM repo_blobs rb WHERE rb.digest=b.digest)
                     AND NOT EXISTS (SELECT 1 FROM manifest_refs mr WHERE mr.target=b.digest)",
                )
                .map_err(db("prepare"))?;
            let rows = st
                .query_map([before], |r| r.get::<_, String>(0))
                .map_err(db("orphans"))?;
            rows.map(|r| r.map_err(db("orphans")).and_then(parse_digest))
                .collect()
        })
    }

    fn forget_blob_if_orphan(&self, d: &Digest) -> Result<bool, MetaError> {
        self.write(|tx| {
            let n = tx
                .execute(
                    "DELETE FROM blobs WHERE digest=?1
                     AND NOT EXISTS (SELECT 1 FROM repo_blobs rb WHERE rb.digest=?1)
                     AND NOT EXISTS (SELECT 1 FROM manifest_refs mr WHERE mr.target=?1)",
                    [d.to_string()],
                )
                .map_err(db("blob forget"))?;
            Ok(n > 0)
        })
    }

    fn user(&self, name: &str) -> Result<Option<User>, MetaError> {
        self.read(|c| {
            c.query_row(
                "SELECT name, hash, admin, disabled FROM users WHERE name=?1",
                [name],
                |r| {
                    Ok(User {
                        name: r.get(0)?,
                        password_hash: r.get(1)?,
                        admin: r.get(2)?,
                        disabled: r.get(3)?,
                    })
                },
            )
            .optional()
            .map_err(db("user lookup"))
        })
    }

    fn put_user(&self, u: &User) -> Result<(), MetaError> {
        self.write(|tx| {
            tx.execute(
                "INSERT OR REPLACE INTO users(name, hash, admin, disabled) VALUES (?1, ?2, ?3, ?4)",
                params![u.name, u.password_hash, u.admin, u.disabled],
            )
            .map_err(db("user write"))?;
            Ok(())
        })
    }

    fn users(&self) -> Result<Vec<User>, MetaError> {
        self.read(|c| {
            let mut st = c
                .prepare("SELECT name, hash, admin, disabled FROM users ORDER BY name")
                .map_err(db("prepare"))?;
            let rows = st
                .query_map([], |r| {
                    Ok(User {
                        name: r.get(0)?,
                        password_hash: r.get(1)?,
                        admin: r.get(2)?,
                        disabled: r.get(3)?,
                    })
                })
                .map_err(db("users"))?;
            rows.collect::<Result<Vec<_>, _>>().map_err(db("users"))
        })
    }

    fn project(&self, name: &str) -> Result<Option<Project>, MetaError> {
        self.read(|c| {
            let row = c
                .query_row(
                    "SELECT name, public, quota, immutable FROM projects WHERE name=?1",
                    [name],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, bool>(1)?,
                            r.get::<_, Option<i64>>(2)?,
                            r.get::<_, String>(3)?,
                        ))
                    },
                )
                .optional()
                .map_err(db("project lookup"))?;
            row.map(decode_project).transpose()
        })
    }

    fn put_project(&self, p: &Project) -> Result<(), MetaError> {
        let imm = serde_json::to_string(&p.immutable_tags).map_err(|e| MetaError::Corrupt {
            what: "project",
            detail: e.to_string(),
        })?;
        self.write(|tx| {
            tx.execute(
                "INSERT OR REPLACE INTO projects(name, public, quota, immutable) VALUES (?1, ?2, ?3, ?4)",
                params![p.name, p.public, p.quota_bytes.map(|q| q as i64), imm],
            )
            .map_err(db("project write"))?;
            Ok(())
        })
    }

    fn projects(&self) -> Result<Vec<Project>, MetaError> {
        self.read(|c| {
            let mut st = c
                .prepare("SELECT name, public, quota, immutable FROM projects ORDER BY name")
                .map_err(db("prepare"))?;
            let rows = st
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, bool>(1)?,
                        r.get::<_, Option<i64>>(2)?,
                        r.get::<_, String>(3)?,
                    ))
                })
                .map_err(db("projects"))?;
            rows.map(|r| r.map_err(db("projects")).and_then(decode_project))
                .collect()
        })
    }

    fn set_member(&self, project: &str, user: &str, role: Option<Role>) -> Result<(), MetaError> {
        self.write(|tx| {
            match role {
                Some(r) => tx.execute(
                    "INSERT OR REPLACE INTO members(project, user, role) VALUES (?1, ?2, ?3)",
                    params![project, user, r.as_str()],
                ),
                None => tx.execute(
                    "DELETE FROM members WHERE project=?1 AND user=?2",
                    params![project, user],
                ),
            }
            .map_err(db("member write"))?;
            Ok(())
        })
    }

    fn member(&self, project: &str, user: &str) -> Result<Option<Role>, MetaError> {
        self.read(|c| {
            let r: Option<String> = c
                .prepare_cached("SELECT role FROM members WHERE project=?1 AND user=?2")
                .map_err(db("prepare"))?
                .query_row(params![project, user], |r| r.get(0))
                .optional()
                .map_err(db("member lookup"))?;
            r.map(|s| {
                Role::parse(&s).ok_or(MetaError::Corrupt {
                    what: "role",
                    detail: s,
                })
            })
            .transpose()
        })
    }

    fn memberships(&self, user: &str) -> Result<Vec<(String, Role)>, MetaError> {
        self.read(|c| {
            let mut st = c
                .prepare("SELECT project, role FROM members WHERE user=?1 ORDER BY project")
                .map_err(db("prepare"))?;
            let rows = st
                .query_map([user], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                })
                .map_err(db("members"))?;
            let mut out = Vec::new();
            for row in rows {
                let (p, r) = row.map_err(db("members"))?;
                out.push((
                    p,
                    Role::parse(&r).ok_or(MetaError::Corrupt {
                        what: "role",
                        detail: r,
                    })?,
                ));
            }
            Ok(out)
        })
    }

    fn robot(&self, name: &str) -> Result<Option<Robot>, MetaError> {
        self.read(|c| {
            c.query_row(
                "SELECT name, project, hash, actions, expires, disabled FROM robots WHERE name=?1",
                [name],
                |r| {
                    Ok(Robot {
                        name: r.get(0)?,
                        project: r.get(1)?,
                        secret_hash: r.get(2)?,
                        actions: r
                            .get::<_, String>(3)?
                            .split(',')
                            .filter(|s| !s.is_empty())
                            .map(str::to_owned)
                            .collect(),
                        expires_at: r.get(4)?,
                        disabled: r.get(5)?,
                    })
                },
            )
            .optional()
            .map_err(db("robot lookup"))
        })
    }

    fn put_robot(&self, r: &Robot) -> Result<(), MetaError> {
        self.write(|tx| {
            tx.execute(
                "INSERT OR REPLACE INTO robots(name, project, hash, actions, expires, disabled) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![r.name, r.project, r.secret_hash, r.actions.join(","), r.expires_at, r.disabled],
            )
            .map_err(db("robot write"))?;
            Ok(())
        })
    }

    fn audit_append(&self, recs: &[AuditRecord]) -> Result<Vec<AuditEntry>, MetaError> {
        self.write(|tx| {
            let head: Option<(i64, String)> = tx
                .query_row(
                    "SELECT seq, hash FROM audit_meta WHERE key='head'",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(db("audit head"))?;
            let (mut seq, mut prev) = head
                .map(|(s, h)| (s as u64, h))
                .unwrap_or((0, crate::audit::GENESIS.to_owned()));
            let mut out = Vec::with_capacity(recs.len());
            let mut ins = tx
                .prepare_cached(
                    "INSERT INTO audit(seq, record, prev_hash, hash) VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(db("prepare"))?;
            for rec in recs {
                seq += 1;
                let body = crate::audit::canonical(seq, rec);
                let hash = crate::audit::chain_hash(&prev, &body);
                ins.execute(params![seq as i64, body, prev, hash])
                    .map_err(db("audit insert"))?;
                out.push(AuditEntry {
                    seq,
                    record: rec.clone(),
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                });
                prev = hash;
            }
            tx.execute(
                "INSERT OR REPLACE INTO audit_meta(key, seq, hash) VALUES ('head', ?1, ?2)",
                params![seq as i64, prev],
            )
            .map_err(db("audit head"))?;
            Ok(out)
        })
    }

    fn audit_entries(&self, after: u64, limit: usize) -> Result<Vec<AuditEntry>, MetaError> {
        self.read(|c| {
            let mut st = c
                .prepare_cached("SELECT seq, record, prev_hash, hash FROM audit WHERE seq > ?1 ORDER BY seq LIMIT ?2")
                .map_err(db("prepare"))?;
            let rows = st
                .query_map(params![after as i64, limit as i64], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
                })
                .map_err(db("audit read"))?;
            let mut out = Vec::new();
            for row in rows {
                let (seq, body, prev_hash, hash) = row.map_err(db("audit read"))?;
                let record = crate::audit::decode(&body).map_err(|e| MetaError::Corrupt { what: "audit record", detail: format!("seq {seq}: {e}") })?;
                out.push(AuditEntry { seq: seq as u64, record, prev_hash, hash });
            }
            Ok(out)
        })
    }

    fn audit_checkpoint(&self) -> Result<Option<Checkpoint>, MetaError> {
        self.audit_meta("checkpoint")
    }

    fn audit_head(&self) -> Result<Option<Checkpoint>, MetaError> {
        self.audit_meta("head")
    }

    fn audit_prune(&self, before: &str) -> Result<u64, MetaError> {
        // Records are stored as canonical JSON whose "time" is RFC 3339 UTC, so a lexical compare on
        // the extracted value orders correctly.
        self.write(|tx| {
            let last: Option<(i64, String)> = tx
                .query_row(
                    "SELECT seq, hash FROM audit WHERE json_extract(record, '$.time') < ?1 ORDER BY seq DESC LIMIT 1",
                    [before],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(db("audit prune"))?;
            let Some((seq, hash)) = last else { return Ok(0) };
            let n = tx.execute("DELETE FROM audit WHERE seq <= ?1", [seq]).map_err(db("audit prune"))?;
            tx.execute("INSERT OR REPLACE INTO audit_meta(key, seq, hash) VALUES ('checkpoint', ?1, ?2)", params![seq, hash])
                .map_err(db("audit checkpoint"))?;
            Ok(n as u64)
        })
    }
}

impl SqliteMeta {
    fn audit_meta(&self, key: &str) -> Result<Option<Checkpoint>, MetaError> {
        self.read(|c| {
            c.query_row(
                "SELECT seq, hash FROM audit_meta WHERE key=?1",
                [key],
                |r| {
                    Ok(Checkpoint {
                        seq: r.get::<_, i64>(0)? as u64,
                        hash: r.get(1)?,
                    })
                },
            )
            .optional()
            .map_err(db("audit meta"))
        })
    }
}

fn decode_project(
    (name, public, quota, imm): (String, bool, Option<i64>, String),
) -> Result<Project, MetaError> {
    let immutable_tags = serde_json::from_str(&imm).map_err(|e| MetaError::Corrupt {
        what: "project",
        detail: format!("{name}: {e}"),
    })?;
    Ok(Project {
        name,
        public,
        quota_bytes: quota.map(|q| q as u64),
        immutable_tags,
    })
}
