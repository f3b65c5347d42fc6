//! The DB file: import, lookup, bad files, and atomic replacement.

use kura_vulndb::store::{APPLICATION_ID, SCHEMA_VERSION};
use kura_vulndb::{ImportOptions, VulnDb, VulnDbError, import_paths};
use std::path::{Path, PathBuf};

fn osv(id: &str, pkg: &str, fixed: &str) -> String {
    format!(
        r#"{{"id": "{id}", "modified": "2024-01-0{n}T00:00:00Z", "affected": [{{"package": {{"ecosystem": "PyPI", "name": "{pkg}"}},
        "ranges": [{{"type": "ECOSYSTEM", "events": [{{"introduced": "0"}}, {{"fixed": "{fixed}"}}]}}]}}]}}"#,
        n = id.len() % 9 + 1
    )
}

fn write(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, body).unwrap();
    p
}

fn fixture_dir(root: &Path) -> PathBuf {
    let d = root.join("advisories");
    write(&d, "a/PYSEC-1.json", &osv("PYSEC-1", "Foo_Bar", "1.2"));
    write(&d, "a/PYSEC-2.json", &osv("PYSEC-2", "foo-bar", "2.0"));
    write(&d, "b/broken.json", "{\"id\": \"PYSEC-3\", \"affected\": [");
    write(
        &d,
        "b/withdrawn.json",
        r#"{"id": "PYSEC-4", "withdrawn": "2024-02-01T00:00:00Z", "affected": [{"package": {"ecosystem": "PyPI", "name": "foo-bar"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]}"#,
    );
    write(&d, "README.md", "# not an advisory");
    d
}

#[test]
fn import_stores_advisories_and_counts_malformed_files_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = fixture_dir(tmp.path());
    let db_path = tmp.path().join("db/vuln.db");
    let report = import_paths(&db_path, &[dir], &ImportOptions::default()).unwrap();
    assert_eq!(report.advisories, 3);
    assert_eq!(report.skipped.len(), 1);
    assert!(report.skipped[0].file.ends_with("broken.json"));
    let db = VulnDb::open(&db_path).unwrap();
    let rows = db.lookup("PyPI", "foo-bar").unwrap();
    let mut ids: Vec<String> = rows
        .iter()
        .map(|r| db.advisory(r.advisory).unwrap().advisory.id)
        .collect();
    ids.sort();
    assert_eq!(
        ids,
        ["PYSEC-1", "PYSEC-2"],
        "withdrawn PYSEC-4 never matches"
    );
    let stats = db.stats().unwrap();
    assert_eq!((stats.advisories, stats.withdrawn), (3, 1));
    let src = &db.meta().sources[0];
    assert!(src.name.starts_with("file:"));
    assert_eq!((src.advisories, src.skipped), (3, 1));
    assert_eq!(
        src.snapshot.as_deref(),
        Some("2024-01-08T00:00:00Z"),
        "newest `modified`"
    );
    assert!(db.age(time::OffsetDateTime::now_utc()).is_some());
}

#[test]
fn reimporting_a_path_replaces_its_advisories_and_keeps_others() {
    let tmp = tempfile::tempdir().unwrap();
    let a = write(tmp.path(), "one/x.json", &osv("PYSEC-1", "foo", "1.0"));
    let b = write(tmp.path(), "two/y.json", &osv("PYSEC-2", "bar", "1.0"));
    let db_path = tmp.path().join("vuln.db");
    import_paths(
        &db_path,
        std::slice::from_ref(&a),
        &ImportOptions::default(),
    )
    .unwrap();
    import_paths(&db_path, &[b], &ImportOptions::default()).unwrap();
    write(tmp.path(), "one/x.json", &osv("PYSEC-1", "foo", "1.5"));
    import_paths(&db_path, &[a], &ImportOptions::default()).unwrap();
    let db = VulnDb::open(&db_path).unwrap();
    let foo = db.lookup("PyPI", "foo").unwrap();
    assert_eq!(foo.len(), 1);
    assert_eq!(foo[0].affected.events[1].value(), "1.5");
    assert_eq!(db.lookup("PyPI", "bar").unwrap().len(), 1);
    assert_eq!(db.meta().sources.len(), 2);
}

#[test]
fn zip_archives_are_imported_entry_by_entry() {
    use std::io::Write;
    let tmp = tempfile::tempdir().unwrap();
    let zpath = tmp.path().join("all.zip");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&zpath).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    z.start_file("PYSEC-1.json", opts).unwrap();
    z.write_all(osv("PYSEC-1", "foo", "1.0").as_bytes())
        .unwrap();
    z.start_file("bad.json", opts).unwrap();
    z.write_all(b"not json").unwrap();
    z.finish().unwrap();
    let db_path = tmp.path().join("vuln.db");
    let r = import_paths(&db_path, &[zpath], &ImportOptions::default()).unwrap();
    assert_eq!(r.advisories, 1);
    assert_eq!(r.skipped.len(), 1);
    assert!(
        r.skipped[0].file.ends_with("all.zip!bad.json"),
        "{:?}",
        r.skipped
    );
}

fn built_db(tmp: &Path) -> PathBuf {
    let a = write(tmp, "x.json", &osv("PYSEC-1", "foo", "1.0"));
    let db_path = tmp.join("vuln.db");
    import_paths(&db_path, &[a], &ImportOptions::default()).unwrap();
    db_path
}

#[test]
fn missing_db_says_how_to_build_one() {
    let tmp = tempfile::tempdir().unwrap();
    let e = VulnDb::open(&tmp.path().join("nope.db")).unwrap_err();
    assert!(matches!(e, VulnDbError::Missing { .. }));
    assert!(e.to_string().contains("kura db update"), "{e}");
}

#[test]
fn truncated_db_is_reported_corrupt() {
    let tmp = tempfile::tempdir().unwrap();
    let p = built_db(tmp.path());
    let len = std::fs::metadata(&p).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
    f.set_len(len - 4096).unwrap();
    let e = VulnDb::open(&p).unwrap_err();
    assert!(matches!(e, VulnDbError::Corrupt { .. }), "{e}");
    assert!(e.to_string().contains("rebuild"), "{e}");
}

#[test]
fn garbage_file_is_reported_corrupt_not_empty() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("vuln.db");
    std::fs::write(&p, vec![0x5a; 8192]).unwrap();
    let e = VulnDb::open(&p).unwrap_err();
    assert!(matches!(e, VulnDbError::Corrupt { .. }), "{e}");
}

#[test]
fn overwritten_pages_are_reported_corrupt() {
    let tmp = tempfile::tempdir().unwrap();
    let p = built_db(tmp.path());
    let mut bytes = std::fs::read(&p).unwrap();
    // Keep the 100-byte header (so the cheap checks pass) and smash the schema page.
    for b in bytes.iter_mut().take(4096).skip(100) {
        *b = 0xff;
    }
    std::fs::write(&p, &bytes).unwrap();
    let e = VulnDb::open(&p).unwrap_err();
    assert!(matches!(e, VulnDbError::Corrupt { .. }), "{e}");
}

fn set_pragma(p: &Path, name: &str, value: i64) {
    let c = rusqlite::Connection::open(p).unwrap();
    c.pragma_update(None, name, value).unwrap();
}

#[test]
fn schema_from_a_newer_or_older_kura_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let p = built_db(tmp.path());
    set_pragma(&p, "user_version", SCHEMA_VERSION + 1);
    let e = VulnDb::open(&p).unwrap_err();
    assert!(matches!(e, VulnDbError::SchemaMismatch { .. }));
    assert!(e.to_string().contains("newer kura"), "{e}");
    set_pragma(&p, "user_version", SCHEMA_VERSION - 1);
    let e = VulnDb::open(&p).unwrap_err();
    assert!(e.to_string().contains("older kura"), "{e}");
}

#[test]
fn foreign_sqlite_file_is_not_taken_for_a_db() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("other.db");
    let c = rusqlite::Connection::open(&p).unwrap();
    c.execute_batch("CREATE TABLE t(x)").unwrap();
    drop(c);
    let e = VulnDb::open(&p).unwrap_err();
    assert!(matches!(e, VulnDbError::NotKuraDb { found: 0, .. }), "{e}");
    assert_ne!(APPLICATION_ID, 0);
}

#[test]
fn failed_import_leaves_the_previous_db_intact() {
    let tmp = tempfile::tempdir().unwrap();
    let p = built_db(tmp.path());
    let before = std::fs::read(&p).unwrap();
    let e = import_paths(
        &p,
        &[tmp.path().join("does-not-exist")],
        &ImportOptions::default(),
    );
    assert!(e.is_err());
    assert_eq!(std::fs::read(&p).unwrap(), before);
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".kura-db-"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files removed");
    VulnDb::open(&p).unwrap();
}
