//! `kura db update` against a mirror served from 127.0.0.1: conditional requests, interrupted
//! downloads and server errors never damage the DB.

use kura_vulndb::{Freshness, UpdateConfig, VulnDb, ensure_fresh, update};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How the mirror answers one path.
#[derive(Clone)]
enum Reply {
    Body {
        etag: String,
        body: Vec<u8>,
    },
    /// Announce the full length, send half, close the connection.
    Truncated(Vec<u8>),
    Status(u16),
}

#[derive(Default)]
struct State {
    routes: HashMap<String, Reply>,
    /// (path, If-None-Match header) of each request.
    log: Vec<(String, Option<String>)>,
}

/// A minimal HTTP/1.1 mirror on a listener it keeps for its whole life.
struct Mirror {
    base: String,
    state: Arc<Mutex<State>>,
}

impl Mirror {
    fn start() -> Mirror {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State::default()));
        let st = state.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let st = st.clone();
                std::thread::spawn(move || serve(conn, &st));
            }
        });
        Mirror { base, state }
    }

    fn route(&self, path: &str, reply: Reply) {
        self.state
            .lock()
            .unwrap()
            .routes
            .insert(path.to_string(), reply);
    }

    fn log(&self) -> Vec<(String, Option<String>)> {
        std::mem::take(&mut self.state.lock().unwrap().log)
    }
}

fn serve(conn: TcpStream, st: &Mutex<State>) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
    let mut inm = None;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':')
            && k.eq_ignore_ascii_case("if-none-match")
        {
            inm = Some(v.trim().to_string());
        }
    }
    let reply = {
        let mut s = st.lock().unwrap();
        s.log.push((path.clone(), inm.clone()));
        s.routes.get(&path).cloned().unwrap_or(Reply::Status(404))
    };
    let mut out = conn;
    let _ = match reply {
        Reply::Body { etag, .. } if inm.as_deref() == Some(etag.as_str()) => {
            write!(
                out,
                "HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\nConnection: close\r\n\r\n"
            )
        }
        Reply::Body { etag, body } => write!(
            out,
            "HTTP/1.1 200 OK\r\nETag: {etag}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .and_then(|_| out.write_all(&body)),
        Reply::Truncated(body) => write!(
            out,
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .and_then(|_| out.write_all(&body[..body.len() / 2])),
        Reply::Status(code) => write!(
            out,
            "HTTP/1.1 {code} Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        ),
    };
    let _ = out.flush();
}

fn osv_zip(ids: &[(&str, &str)]) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (id, fixed) in ids {
        z.start_file(
            format!("{id}.json"),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        let body = format!(
            r#"{{"id": "{id}", "affected": [{{"package": {{"ecosystem": "PyPI", "name": "foo"}}, "ranges": [{{"type": "ECOSYSTEM", "events": [{{"introduced": "0"}}, {{"fixed": "{fixed}"}}]}}]}}]}}"#
        );
        z.write_all(body.as_bytes()).unwrap();
    }
    z.finish().unwrap().into_inner()
}

const SECDB: &str = r#"{"distroversion": "v3.19", "reponame": "main", "packages": [{"pkg": {"name": "musl", "secfixes": {"1.2.4-r2": ["CVE-2025-0001"]}}}]}"#;
const DEBIAN: &str = r#"{"glibc": {"CVE-2025-0002": {"releases": {"bookworm": {"status": "open", "urgency": "high"}}}}}"#;

fn config(m: &Mirror) -> UpdateConfig {
    UpdateConfig {
        ecosystems: vec!["PyPI".into()],
        alpine_branches: vec!["v3.19".into()],
        timeout: Duration::from_secs(20),
        ..UpdateConfig::default()
    }
    .with_mirror(&m.base)
    .unwrap()
}

fn serve_all(m: &Mirror, zip_body: Vec<u8>) {
    m.route(
        "/osv/PyPI/all.zip",
        Reply::Body {
            etag: "\"z1\"".into(),
            body: zip_body,
        },
    );
    m.route(
        "/alpine/v3.19/main.json",
        Reply::Body {
            etag: "\"a1\"".into(),
            body: SECDB.into(),
        },
    );
    m.route("/alpine/v3.19/community.json", Reply::Status(404));
    m.route(
        "/debian/json",
        Reply::Body {
            etag: "\"d1\"".into(),
            body: DEBIAN.into(),
        },
    );
}

fn ids(db: &VulnDb, eco: &str, pkg: &str) -> Vec<String> {
    let mut v: Vec<String> = db
        .lookup(eco, pkg)
        .unwrap()
        .iter()
        .map(|r| db.advisory(r.advisory).unwrap().advisory.id)
        .collect();
    v.sort();
    v
}

fn first_update(m: &Mirror, db: &Path) -> UpdateConfig {
    serve_all(m, osv_zip(&[("PYSEC-1", "1.0")]));
    m.route(
        "/alpine/v3.19/community.json",
        Reply::Body {
            etag: "\"c1\"".into(),
            body: SECDB.replace("musl", "busybox").into_bytes(),
        },
    );
    let cfg = config(m);
    update(db, &cfg).unwrap();
    cfg
}

#[test]
fn update_builds_every_feed_from_a_mirror() {
    let m = Mirror::start();
    let tmp = tempfile::tempdir().unwrap();
    let db_path = tmp.path().join("vuln.db");
    first_update(&m, &db_path);
    let db = VulnDb::open(&db_path).unwrap();
    assert_eq!(ids(&db, "PyPI", "foo"), ["PYSEC-1"]);
    assert_eq!(ids(&db, "Alpine:v3.19", "musl"), ["CVE-2025-0001"]);
    assert_eq!(ids(&db, "Alpine:v3.19", "busybox"), ["CVE-2025-0001"]);
    assert_eq!(ids(&db, "Debian:12", "glibc"), ["CVE-2025-0002"]);
    let names: Vec<&str> = db.meta().sources.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "alpine/v3.19/community",
            "alpine/v3.19/main",
            "debian",
            "osv/PyPI"
        ]
    );
    let osv = db
        .meta()
        .sources
        .iter()
        .find(|s| s.name == "osv/PyPI")
        .unwrap();
    assert_eq!(osv.etag.as_deref(), Some("\"z1\""));
    assert_eq!(osv.advisories, 1);
}

#[test]
fn unchanged_feeds_are_revalidated_not_downloaded() {
    let m = Mirror::start();
    let tmp = tempfile::tempdir().unwrap();
    let db_path = tmp.path().join("vuln.db");
    let cfg = first_update(&m, &db_path);
    m.log();
    let r = update(&db_path, &cfg).unwrap();
    assert!(r.feeds.iter().all(|f| !f.changed), "{:?}", r.feeds);
    let log = m.log();
    let zip_req = log.iter().find(|(p, _)| p == "/osv/PyPI/all.zip").unwrap();
    assert_eq!(zip_req.1.as_deref(), Some("\"z1\""), "conditional GET sent");
    // The data is still there after a 304-only update.
    let db = VulnDb::open(&db_path).unwrap();
    assert_eq!(ids(&db, "PyPI", "foo"), ["PYSEC-1"]);

    // A changed feed is downloaded and replaces that source only.
    m.route(
        "/osv/PyPI/all.zip",
        Reply::Body {
            etag: "\"z2\"".into(),
            body: osv_zip(&[("PYSEC-1", "1.0"), ("PYSEC-2", "2.0")]),
        },
    );
    let r = update(&db_path, &cfg).unwrap();
    let changed: Vec<&str> = r
        .feeds
        .iter()
        .filter(|f| f.changed)
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(changed, ["osv/PyPI"]);
    let db = VulnDb::open(&db_path).unwrap();
    assert_eq!(ids(&db, "PyPI", "foo"), ["PYSEC-1", "PYSEC-2"]);
    assert_eq!(ids(&db, "Alpine:v3.19", "musl"), ["CVE-2025-0001"]);
}

#[test]
fn interrupted_download_leaves_the_previous_db_working() {
    let m = Mirror::start();
    let tmp = tempfile::tempdir().unwrap();
    let db_path = tmp.path().join("vuln.db");
    let cfg = first_update(&m, &db_path);
    let before = std::fs::read(&db_path).unwrap();
    m.route(
        "/osv/PyPI/all.zip",
        Reply::Truncated(osv_zip(&[("PYSEC-9", "9.0")])),
    );
    let e = update(&db_path, &cfg).unwrap_err();
    assert!(e.to_string().contains("/osv/PyPI/all.zip"), "{e}");
    assert_eq!(std::fs::read(&db_path).unwrap(), before);
    let db = VulnDb::open(&db_path).unwrap();
    assert_eq!(ids(&db, "PyPI", "foo"), ["PYSEC-1"]);
}

#[test]
fn server_error_leaves_the_previous_db_working() {
    let m = Mirror::start();
    let tmp = tempfile::tempdir().unwrap();
    let db_path = tmp.path().join("vuln.db");
    let cfg = first_update(&m, &db_path);
    m.route("/debian/json", Reply::Status(503));
    let e = update(&db_path, &cfg).unwrap_err();
    assert!(e.to_string().contains("503"), "{e}");
    VulnDb::open(&db_path).unwrap();
}

#[test]
fn offline_rebuild_uses_cached_feeds_without_requests() {
    let m = Mirror::start();
    let tmp = tempfile::tempdir().unwrap();
    let db_path = tmp.path().join("vuln.db");
    let mut cfg = first_update(&m, &db_path);
    m.log();
    std::fs::remove_file(&db_path).unwrap();
    cfg.offline = true;
    let r = update(&db_path, &cfg).unwrap();
    assert!(m.log().is_empty(), "no requests offline");
    assert_eq!(r.import.advisories, 4);
    let db = VulnDb::open(&db_path).unwrap();
    assert_eq!(ids(&db, "PyPI", "foo"), ["PYSEC-1"]);
}

#[test]
fn ensure_fresh_offline_warns_with_age_and_online_refreshes() {
    let m = Mirror::start();
    let tmp = tempfile::tempdir().unwrap();
    let db_path = tmp.path().join("vuln.db");
    let cfg = first_update(&m, &db_path);
    assert!(matches!(
        ensure_fresh(&db_path, &cfg, true, Duration::from_secs(3600)).unwrap(),
        Freshness::Fresh
    ));
    // Zero allowed age: every DB is stale.
    match ensure_fresh(&db_path, &cfg, true, Duration::ZERO).unwrap() {
        Freshness::Stale { warning } => {
            assert!(warning.contains("hours old"), "{warning}");
            assert!(warning.contains("--offline"), "{warning}");
        }
        other => panic!("{other:?}"),
    }
    m.log();
    assert!(matches!(
        ensure_fresh(&db_path, &cfg, false, Duration::ZERO).unwrap(),
        Freshness::Updated(_)
    ));
    assert!(!m.log().is_empty());
    // A failing refresh keeps the old DB and says so.
    m.route("/debian/json", Reply::Status(500));
    match ensure_fresh(&db_path, &cfg, false, Duration::ZERO).unwrap() {
        Freshness::Stale { warning } => assert!(warning.contains("refreshing it failed")),
        other => panic!("{other:?}"),
    }
    // Missing DB offline is an error, not an empty result.
    let missing = tmp.path().join("none.db");
    assert!(ensure_fresh(&missing, &cfg, true, Duration::ZERO).is_err());
}
