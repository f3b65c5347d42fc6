//! The `kura registry` binary on a real socket: CLI user bootstrap, push/pull, audit CLI, and a
//! SIGKILL in the middle of uploads and manifest pushes.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PW: &str = "server-test-pw";

struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(data: &Path) -> Server {
        let addr_file = data.with_extension("addr");
        let _ = std::fs::remove_file(&addr_file);
        let child = Command::new(env!("CARGO_BIN_EXE_kura"))
            .args(["registry", "serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .arg("--addr-file")
            .arg(&addr_file)
            .args(["--basic-challenge", "--drain", "2"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn kura");
        let mut server = Server {
            child,
            addr: String::new(),
        };
        let start = Instant::now();
        loop {
            if let Ok(a) = std::fs::read_to_string(&addr_file)
                && !a.is_empty()
            {
                server.addr = a;
                return server;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "server did not report its address"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn kill9(&mut self) {
        let _ = Command::new("kill")
            .args(["-9", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn kura(args: &[&str], stdin: &str) -> (i32, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kura"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    c.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = c.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn auth() -> String {
    use base64_lite::encode;
    format!("Basic {}", encode(format!("admin:{PW}").as_bytes()))
}

/// Tiny base64 so the test needs no extra dependency.
mod base64_lite {
    pub fn encode(b: &[u8]) -> String {
        const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut s = String::new();
        for c in b.chunks(3) {
            let n = (c[0] as u32) << 16
                | (*c.get(1).unwrap_or(&0) as u32) << 8
                | *c.get(2).unwrap_or(&0) as u32;
            for i in 0..4 {
                if i <= c.len() {
                    s.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    s.push('=');
                }
            }
        }
        s
    }
}

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn h(&self, k: &str) -> String {
        self.headers
            .iter()
            .find(|(a, _)| a.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
}

fn http(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAuthorization: {}\r\nContent-Length: {}\r\n",
        auth(),
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("response head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Resp {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

fn sha(b: &[u8]) -> String {
    kura_registry::digest::Digest::of(kura_registry::digest::Algorithm::Sha256, b).to_string()
}

fn push_blob(addr: &str, repo: &str, data: &[u8]) -> String {
    let d = sha(data);
    let r = http(
        addr,
        "POST",
        &format!("/v2/{repo}/blobs/uploads/?digest={d}"),
        &[],
        data,
    );
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    d
}

fn manifest(cfg: &str, cfg_len: usize, layer: &str, layer_len: usize) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cfg, "size": cfg_len},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer, "size": layer_len}],
    }))
    .unwrap()
}

fn push_image(addr: &str, repo: &str, tag: &str, seed: usize) -> (String, Vec<u8>) {
    let cfg = format!("{{\"seed\":{seed}}}").into_bytes();
    let layer = vec![(seed % 251) as u8; 1000 + seed];
    let c = push_blob(addr, repo, &cfg);
    let l = push_blob(addr, repo, &layer);
    let m = manifest(&c, cfg.len(), &l, layer.len());
    let r = http(
        addr,
        "PUT",
        &format!("/v2/{repo}/manifests/{tag}"),
        &[("Content-Type", "application/vnd.oci.image.manifest.v1+json")],
        &m,
    );
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    (r.h("docker-content-digest"), m)
}

fn setup() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    let (code, _) = kura(
        &[
            "registry",
            "user",
            "add",
            "admin",
            "--admin",
            "--password-stdin",
            "--data",
            d,
        ],
        &format!("{PW}\n"),
    );
    assert_eq!(code, 0);
    (dir, data)
}

#[test]
fn registry_serves_after_cli_bootstrap_and_audit_cli_verifies() {
    let (_dir, data) = setup();
    let s = Server::start(&data);
    let (d, m) = push_image(&s.addr, "proj/app", "v1", 1);
    let g = http(&s.addr, "GET", "/v2/proj/app/manifests/v1", &[], b"");
    assert_eq!((g.status, g.body.clone()), (200, m));
    assert_eq!(g.h("docker-content-digest"), d);
    let ready = http(&s.addr, "GET", "/readyz", &[], b"");
    assert_eq!(ready.status, 200);
    drop(s);
    let dstr = data.to_str().unwrap();
    let (code, out) = kura(&["registry", "audit", "verify", "--data", dstr], "");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("intact"), "{out}");
    let (code, out) = kura(&["registry", "audit", "export", "--data", dstr], "");
    assert_eq!(code, 0);
    assert!(
        out.lines()
            .any(|l| l.contains("\"action\":\"push\"") && l.contains("\"reference\":\"v1\"")),
        "{out}"
    );
}

/// SIGKILL while blob bodies and manifest pushes are in flight; after restart nothing partial is
/// served, every acknowledged manifest is intact, and the interrupted upload can be resumed.
#[test]
fn registry_survives_sigkill_mid_upload_and_manifest_push() {
    let (_dir, data) = setup();
    let mut s = Server::start(&data);
    let mut committed = Vec::new();
    for i in 0..5 {
        committed.push((
            format!("t{i}"),
            push_image(&s.addr, "proj/app", &format!("t{i}"), i),
        ));
    }
    // An upload session with some bytes, then a PATCH whose body stops halfway.
    let big: Vec<u8> = (0..4_000_000u32).map(|i| (i * 7 % 256) as u8).collect();
    let big_digest = sha(&big);
    let st = http(&s.addr, "POST", "/v2/proj/app/blobs/uploads/", &[], b"");
    let loc = st.h("location");
    let first = http(
        &s.addr,
        "PATCH",
        &loc,
        &[("Content-Range", "0-999999")],
        &big[..1_000_000],
    );
    assert_eq!(first.status, 202);
    let mut half = TcpStream::connect(&s.addr).unwrap();
    let head = format!(
        "PATCH {loc} HTTP/1.1\r\nHost: x\r\nAuthorization: {}\r\nContent-Range: 1000000-3999999\r\nContent-Length: 3000000\r\n\r\n",
        auth()
    );
    half.write_all(head.as_bytes()).unwrap();
    half.write_all(&big[1_000_000..2_500_000]).unwrap();
    // A monolithic push of the whole blob that is also cut off.
    let mut mono = TcpStream::connect(&s.addr).unwrap();
    let head = format!(
        "POST /v2/proj/app/blobs/uploads/?digest={big_digest} HTTP/1.1\r\nHost: x\r\nAuthorization: {}\r\nContent-Length: {}\r\n\r\n",
        auth(),
        big.len()
    );
    mono.write_all(head.as_bytes()).unwrap();
    mono.write_all(&big[..3_000_000]).unwrap();
    // Manifest pushes racing the kill.
    let addr = s.addr.clone();
    let pusher = std::thread::spawn(move || {
        let mut ok = Vec::new();
        for i in 10..200 {
            let r = std::panic::catch_unwind(|| push_image(&addr, "proj/app", &format!("r{i}"), i));
            match r {
                Ok(x) => ok.push((format!("r{i}"), x)),
                Err(_) => break,
            }
        }
        ok
    });
    std::thread::sleep(Duration::from_millis(300));
    s.kill9();
    drop(half);
    drop(mono);
    let acked = pusher.join().unwrap_or_default();
    committed.extend(acked);

    let s = Server::start(&data);
    // The big blob was never completed: it must not be served.
    let b = http(
        &s.addr,
        "HEAD",
        &format!("/v2/proj/app/blobs/{big_digest}"),
        &[],
        b"",
    );
    assert_eq!(b.status, 404);
    // Every acknowledged manifest is intact and its blobs are complete.
    for (tag, (digest, bytes)) in &committed {
        let g = http(
            &s.addr,
            "GET",
            &format!("/v2/proj/app/manifests/{tag}"),
            &[],
            b"",
        );
        assert_eq!(g.status, 200, "{tag}");
        assert_eq!(&g.body, bytes, "{tag}");
        assert_eq!(&sha(&g.body), digest);
        let m: serde_json::Value = serde_json::from_slice(&g.body).unwrap();
        let layer = m["layers"][0]["digest"].as_str().unwrap();
        let lb = http(
            &s.addr,
            "GET",
            &format!("/v2/proj/app/blobs/{layer}"),
            &[],
            b"",
        );
        assert_eq!(sha(&lb.body), layer, "{tag} layer");
    }
    // The interrupted upload resumes from what was durably received.
    let st = http(&s.addr, "GET", &loc, &[], b"");
    assert_eq!(st.status, 204);
    let have: usize = st
        .h("range")
        .trim_start_matches("0-")
        .parse::<usize>()
        .unwrap()
        + 1;
    assert!((1_000_000..=2_500_000).contains(&have), "resumed at {have}");
    let rest = http(
        &s.addr,
        "PATCH",
        &loc,
        &[("Content-Range", &format!("{have}-3999999"))],
        &big[have..],
    );
    assert_eq!(rest.status, 202);
    let fin = http(
        &s.addr,
        "PUT",
        &format!("{loc}?digest={big_digest}"),
        &[],
        b"",
    );
    assert_eq!(fin.status, 201, "{}", String::from_utf8_lossy(&fin.body));
    let g = http(
        &s.addr,
        "GET",
        &format!("/v2/proj/app/blobs/{big_digest}"),
        &[],
        b"",
    );
    assert_eq!(sha(&g.body), big_digest);
}
