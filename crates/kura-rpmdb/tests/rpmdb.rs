//! The readers against databases written by real tools (see `fixtures/regen.sh`).

use std::path::{Path, PathBuf};

use kura_rpmdb::{DbFormat, RpmPackage, RpmdbError, read_blobs, read_packages};
use proptest::prelude::*;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn load(dir: &Path, name: &str) -> Vec<u8> {
    let p = dir.join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The same line `rpm -qa --qf` prints in `regen.sh`.
fn line(p: &RpmPackage) -> String {
    let none = |o: &Option<String>| o.clone().unwrap_or_else(|| "(none)".into());
    format!(
        "{}|{}|{}|{}|{}|{}|{}|{}",
        p.name,
        p.epoch.map_or("(none)".to_string(), |e| e.to_string()),
        p.version,
        p.release,
        none(&p.arch),
        none(&p.source_rpm),
        none(&p.license),
        none(&p.vendor),
    )
}

fn lines(data: &[u8], want: DbFormat) -> Vec<String> {
    let read = read_packages(data).unwrap();
    assert_eq!(read.format, want);
    assert!(read.errors.is_empty(), "{:?}", read.errors);
    let mut v: Vec<String> = read.packages.iter().map(line).collect();
    v.sort();
    v
}

fn expected(dir: &Path) -> Vec<String> {
    String::from_utf8(load(dir, "expected.txt"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn sqlite_blobs(dir: &Path) -> Vec<Vec<u8>> {
    let data = load(dir, "rpmdb.sqlite");
    let (_, blobs, errors) = read_blobs(&data).unwrap();
    assert!(errors.is_empty());
    blobs.into_iter().map(|b| b.data.into_owned()).collect()
}

#[test]
fn sqlite_written_by_rpm_reads_like_rpm_qa() {
    let dir = fixtures();
    assert_eq!(
        lines(&load(&dir, "rpmdb.sqlite"), DbFormat::Sqlite),
        expected(&dir)
    );
}

#[test]
fn berkeley_db_little_endian_reads_like_rpm_qa() {
    let dir = fixtures();
    assert_eq!(
        lines(&load(&dir, "Packages"), DbFormat::BerkeleyDb),
        expected(&dir)
    );
}

#[test]
fn berkeley_db_big_endian_reads_like_rpm_qa() {
    let dir = fixtures();
    assert_eq!(
        lines(&load(&dir, "Packages.be"), DbFormat::BerkeleyDb),
        expected(&dir)
    );
}

#[test]
fn ndb_holding_rpm_written_headers_reads_like_rpm_qa() {
    let dir = fixtures();
    let db = kura_rpmdb::ndb::build(&sqlite_blobs(&dir));
    assert_eq!(lines(&db, DbFormat::Ndb), expected(&dir));
}

#[test]
fn fixture_headers_span_several_berkeley_db_pages() {
    // Guards the overflow-chain path: one header must be larger than two 4 KiB pages.
    let biggest = sqlite_blobs(&fixtures())
        .iter()
        .map(Vec::len)
        .max()
        .unwrap();
    assert!(biggest > 8192, "largest header is only {biggest} bytes");
}

#[test]
fn unknown_bytes_are_rejected() {
    assert_eq!(
        read_packages(b"hello world, not a database").unwrap_err(),
        RpmdbError::UnknownFormat
    );
    assert_eq!(read_packages(b"").unwrap_err(), RpmdbError::UnknownFormat);
}

#[test]
fn berkeley_db_overflow_loop_is_an_error_not_a_hang() {
    let mut db = load(&fixtures(), "Packages");
    let page_size = 4096;
    // Point the next-page field of every overflow page at itself.
    for (pgno, page) in db.chunks_mut(page_size).enumerate() {
        if page[25] == 7 {
            page[16..20].copy_from_slice(&(pgno as u32).to_le_bytes());
        }
    }
    let read = read_packages(&db).unwrap();
    assert!(
        read.errors
            .iter()
            .any(|e| e.to_string().contains("looping")),
        "{:?}",
        read.errors
    );
}

#[test]
fn berkeley_db_bad_page_size_is_rejected() {
    let mut db = load(&fixtures(), "Packages");
    db[20..24].copy_from_slice(&1000u32.to_le_bytes());
    let e = read_packages(&db).unwrap_err();
    assert!(matches!(e, RpmdbError::Bdb { page: 0, .. }), "{e}");
}

#[test]
fn ndb_damaged_blob_is_reported_and_others_still_read() {
    let dir = fixtures();
    let mut db = kura_rpmdb::ndb::build(&sqlite_blobs(&dir));
    // The first blob starts right after the single slot page: break its head magic.
    db[4096] = b'X';
    let read = read_packages(&db).unwrap();
    assert_eq!(read.packages.len(), expected(&dir).len() - 1);
    assert!(
        matches!(&read.errors[..], [RpmdbError::Ndb { offset: 4096, .. }]),
        "{:?}",
        read.errors
    );
}

#[test]
fn ndb_overlapping_slots_are_refused() {
    let mut db = kura_rpmdb::ndb::build(&sqlite_blobs(&fixtures()));
    // Make the second slot point at the first slot's blob.
    let first_blkoff: [u8; 4] = db[32 + 8..32 + 12].try_into().unwrap();
    let first_blkcnt: [u8; 4] = db[32 + 12..32 + 16].try_into().unwrap();
    db[48 + 8..48 + 12].copy_from_slice(&first_blkoff);
    db[48 + 12..48 + 16].copy_from_slice(&first_blkcnt);
    let read = read_packages(&db).unwrap();
    assert!(
        read.errors
            .iter()
            .any(|e| e.to_string().contains("overlaps")),
        "{:?}",
        read.errors
    );
    assert_eq!(read.packages.len(), expected(&fixtures()).len() - 1);
}

#[test]
fn ndb_slot_page_count_past_the_file_is_rejected() {
    let mut db = kura_rpmdb::ndb::build(&sqlite_blobs(&fixtures()));
    db[12..16].copy_from_slice(&1_000_000u32.to_le_bytes());
    assert!(matches!(
        read_packages(&db).unwrap_err(),
        RpmdbError::Ndb { offset: 12, .. }
    ));
}

fn sqlite_bytes(sql: &str) -> Vec<u8> {
    let mut conn = rusqlite::Connection::open_in_memory().unwrap();
    conn.execute_batch(sql).unwrap();
    conn.serialize(rusqlite::MAIN_DB).unwrap().to_vec()
}

#[test]
fn sqlite_view_named_packages_is_refused() {
    let db = sqlite_bytes(
        "CREATE VIEW Packages AS WITH RECURSIVE c(hnum, blob) AS \
         (SELECT 1, x'' UNION ALL SELECT hnum + 1, blob FROM c) SELECT * FROM c;",
    );
    let e = read_packages(&db).unwrap_err();
    assert!(e.to_string().contains("view"), "{e}");
}

#[test]
fn sqlite_generated_column_is_refused() {
    let db = sqlite_bytes(
        "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, \
         blob BLOB GENERATED ALWAYS AS (zeroblob(1000000000)) VIRTUAL);",
    );
    let e = read_packages(&db).unwrap_err();
    assert!(e.to_string().contains("generated"), "{e}");
}

#[test]
fn sqlite_without_packages_table_is_refused() {
    let db = sqlite_bytes("CREATE TABLE Other (x);");
    let e = read_packages(&db).unwrap_err();
    assert!(e.to_string().contains("no Packages table"), "{e}");
}

#[test]
fn sqlite_corrupt_header_blob_is_reported_with_its_number() {
    let db = sqlite_bytes(
        "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB); \
         INSERT INTO Packages VALUES (7, x'0000000100000004');",
    );
    let read = read_packages(&db).unwrap();
    assert!(read.packages.is_empty());
    assert!(
        matches!(&read.errors[..], [RpmdbError::Header { id: 7, .. }]),
        "{:?}",
        read.errors
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn damaged_berkeley_db_never_panics(flips in proptest::collection::vec((0usize..73728, any::<u8>()), 1..16), cut in 0usize..73728) {
        let mut db = load(&fixtures(), "Packages");
        for (at, b) in flips {
            let n = db.len();
            db[at % n] = b;
        }
        db.truncate(db.len() - cut % db.len());
        let _ = read_packages(&db);
    }

    #[test]
    fn damaged_ndb_never_panics(flips in proptest::collection::vec((0usize..40000, any::<u8>()), 1..16), cut in 0usize..40000) {
        let mut db = kura_rpmdb::ndb::build(&sqlite_blobs(&fixtures()));
        for (at, b) in flips {
            let n = db.len();
            db[at % n] = b;
        }
        db.truncate(db.len() - cut % db.len());
        let _ = read_packages(&db);
    }

    #[test]
    fn damaged_sqlite_never_panics(flips in proptest::collection::vec((0usize..307200, any::<u8>()), 1..8), cut in 0usize..307200) {
        let mut db = load(&fixtures(), "rpmdb.sqlite");
        for (at, b) in flips {
            let n = db.len();
            db[at % n] = b;
        }
        db.truncate(db.len() - cut % db.len());
        let _ = read_packages(&db);
    }
}

/// Regenerate every fixture with the real tools and read the fresh files: proves the committed
/// fixtures are what `regen.sh` makes and that the readers agree with the rpm installed here.
#[test]
fn fixtures_regenerated_by_real_rpm_read_like_rpm_qa() {
    for tool in ["rpm", "rpmbuild", "db5.3_load", "sqlite3"] {
        if kura_testutil::require_tool(tool).is_none() {
            return;
        }
    }
    let out = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("sh")
        .arg(fixtures().join("regen.sh"))
        .arg(out.path())
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "regen.sh failed: {status}");
    let want = expected(&fixtures());
    assert_eq!(expected(out.path()), want, "rpm -qa output changed");
    assert_eq!(
        lines(&load(out.path(), "rpmdb.sqlite"), DbFormat::Sqlite),
        want
    );
    assert_eq!(
        lines(&load(out.path(), "Packages"), DbFormat::BerkeleyDb),
        want
    );
    assert_eq!(
        lines(&load(out.path(), "Packages.be"), DbFormat::BerkeleyDb),
        want
    );
}
