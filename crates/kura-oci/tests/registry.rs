//! Pulls over the OCI Distribution API: against CNCF distribution (`docker-registry`) started on
//! 127.0.0.1, and against a small in-test token-protected server for the bearer flow.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use kura_oci::{OciError, OpenOptions, open};
use kura_testutil::image::{BuiltImage, Compression, ImageBuilder, MediaTypes, OCI_INDEX};
use kura_testutil::{require_tool, tar_bytes};

/// A `docker-registry serve` child on 127.0.0.1, killed on drop.
struct Distribution {
    child: Child,
    addr: String,
    _dir: tempfile::TempDir,
}

impl Drop for Distribution {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Distribution {
    /// Start the registry with port 0 and read the bound address from its log line
    /// `listening on 127.0.0.1:PORT`.
    fn start(htpasswd: Option<&str>) -> Option<Self> {
        let bin = require_tool("docker-registry")?;
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = format!(
            "version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:0\n  secret: test-secret\n",
            dir.path().join("data").display()
        );
        if let Some(h) = htpasswd {
            let p = dir.path().join("htpasswd");
            std::fs::write(&p, h).unwrap();
            cfg.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: test-realm\n    path: {}\n",
                p.display()
            ));
        }
        let cfg_path = dir.path().join("config.yml");
        std::fs::write(&cfg_path, cfg).unwrap();
        let mut child = Command::new(bin)
            .arg("serve")
            .arg(&cfg_path)
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(i) = line.find("listening on ") {
                    let addr: String = line[i + 13..]
                        .chars()
                        .take_while(|c| !c.is_whitespace() && *c != '"')
                        .collect();
                    let _ = tx.send(addr);
                }
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("docker-registry did not report its address");
        Some(Distribution {
            child,
            addr,
            _dir: dir,
        })
    }
}

fn basic(user: &str, pass: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
    )
}

/// Upload blobs (POST, then a monolithic PUT with `?digest=`) and the manifest, as a client
/// pushing an image does (distribution-spec "Pushing blobs", "Pushing Manifests").
fn push(addr: &str, repo: &str, img: &BuiltImage, tag: &str, auth: Option<&str>) {
    let http = reqwest::blocking::Client::new();
    let with = |r: reqwest::blocking::RequestBuilder| match auth {
        Some(a) => r.header("Authorization", a),
        None => r,
    };
    for (digest, bytes) in img
        .blobs()
        .into_iter()
        .filter(|(d, _)| *d != img.manifest_digest)
    {
        push_blob(&http, &with, addr, repo, &digest, bytes);
    }
    put_manifest(
        &http,
        &with,
        addr,
        repo,
        tag,
        &img.manifest_media_type,
        img.manifest.clone(),
    );
}

fn push_blob(
    http: &reqwest::blocking::Client,
    with: &dyn Fn(reqwest::blocking::RequestBuilder) -> reqwest::blocking::RequestBuilder,
    addr: &str,
    repo: &str,
    digest: &str,
    bytes: Vec<u8>,
) {
    let r = with(http.post(format!("http://{addr}/v2/{repo}/blobs/uploads/")))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 202, "start upload");
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    let loc = if loc.starts_with("http") {
        loc
    } else {
        format!("http://{addr}{loc}")
    };
    let sep = if loc.contains('?') { '&' } else { '?' };
    let r = with(http.put(format!("{loc}{sep}digest={digest}")))
        .header("Content-Type", "application/octet-stream")
        .body(bytes)
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 201, "finish upload of {digest}");
}

fn put_manifest(
    http: &reqwest::blocking::Client,
    with: &dyn Fn(reqwest::blocking::RequestBuilder) -> reqwest::blocking::RequestBuilder,
    addr: &str,
    repo: &str,
    tag: &str,
    media_type: &str,
    body: Vec<u8>,
) {
    let r = with(http.put(format!("http://{addr}/v2/{repo}/manifests/{tag}")))
        .header("Content-Type", media_type)
        .body(body)
        .send()
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        201,
        "put manifest {tag}: {:?}",
        r.text()
    );
}

fn image(arch: &str, variant: Option<&str>, m: MediaTypes, c: Compression) -> BuiltImage {
    ImageBuilder::new()
        .platform("linux", arch, variant)
        .media_types(m)
        .layer(
            tar_bytes(&[("etc/arch", arch.as_bytes(), 0o644)]),
            c,
            "ADD rootfs /",
        )
        .empty_history("CMD [\"sh\"]")
        .layer(
            tar_bytes(&[("app/bin", b"binary", 0o755)]),
            c,
            "COPY bin /app/bin # buildkit",
        )
        .build()
}

fn read_all_layers(img: &kura_oci::Image) -> Vec<Vec<u8>> {
    (0..img.layers.len())
        .map(|i| {
            let mut v = Vec::new();
            img.open_layer(i).unwrap().read_to_end(&mut v).unwrap();
            v
        })
        .collect()
}

fn insecure() -> OpenOptions {
    OpenOptions {
        insecure: true,
        ..Default::default()
    }
}

#[test]
fn pulls_from_distribution_by_tag_digest_and_platform() {
    let Some(reg) = Distribution::start(None) else {
        return;
    };
    let single = image("amd64", None, MediaTypes::Docker, Compression::Gzip);
    push(&reg.addr, "team/single", &single, "v1", None);
    let img = open(&format!("{}/team/single:v1", reg.addr), &insecure()).unwrap();
    assert_eq!(img.target.kind, "registry");
    assert_eq!(
        img.target.manifest_digest.as_deref(),
        Some(single.manifest_digest.as_str())
    );
    assert_eq!(
        read_all_layers(&img),
        single
            .layers
            .iter()
            .map(|l| l.tar.clone())
            .collect::<Vec<_>>()
    );
    assert_eq!(
        img.layer_infos().iter().map(|l| l.base).collect::<Vec<_>>(),
        vec![true, false]
    );

    let by_digest = open(
        &format!("{}/team/single@{}", reg.addr, single.manifest_digest),
        &insecure(),
    )
    .unwrap();
    assert_eq!(by_digest.target.config_digest, img.target.config_digest);

    // A multi-platform OCI index of zstd and gzip images.
    let amd = image("amd64", None, MediaTypes::Oci, Compression::Zstd);
    let arm = image("arm64", Some("v8"), MediaTypes::Oci, Compression::Gzip);
    for (i, im) in [&amd, &arm].into_iter().enumerate() {
        push(&reg.addr, "team/multi", im, &format!("p{i}"), None);
    }
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": OCI_INDEX,
        "manifests": [amd.manifest_descriptor(), arm.manifest_descriptor()],
    }))
    .unwrap();
    let http = reqwest::blocking::Client::new();
    put_manifest(
        &http,
        &|r| r,
        &reg.addr,
        "team/multi",
        "latest",
        OCI_INDEX,
        index,
    );
    for (platform, built) in [("linux/arm64", &arm), ("linux/amd64", &amd)] {
        let opts = OpenOptions {
            platform: Some(platform.parse().unwrap()),
            ..insecure()
        };
        let img = open(&format!("{}/team/multi", reg.addr), &opts).unwrap();
        assert_eq!(
            img.target.manifest_digest.as_deref(),
            Some(built.manifest_digest.as_str()),
            "{platform}"
        );
        assert_eq!(read_all_layers(&img)[0], built.layers[0].tar);
    }
    let opts = OpenOptions {
        platform: Some("linux/s390x".parse().unwrap()),
        ..insecure()
    };
    assert!(matches!(
        open(&format!("{}/team/multi", reg.addr), &opts),
        Err(OciError::PlatformNotFound { .. })
    ));

    let missing = open(&format!("{}/team/single:nope", reg.addr), &insecure());
    assert!(
        matches!(missing, Err(OciError::MissingBlob { .. })),
        "{missing:?}"
    );
    // Without --insecure the client insists on TLS, which this registry does not speak.
    assert!(matches!(
        open(
            &format!("{}/team/single:v1", reg.addr),
            &OpenOptions::default()
        ),
        Err(OciError::Http { .. })
    ));
}

#[test]
fn base_image_annotations_are_resolved_against_the_registry() {
    let Some(reg) = Distribution::start(None) else {
        return;
    };
    let rootfs = tar_bytes(&[("etc/os-release", b"ID=alpine\n", 0o644)]);
    let base = ImageBuilder::new()
        .layer(rootfs.clone(), Compression::Gzip, "ADD rootfs /")
        .build();
    push(&reg.addr, "lib/base", &base, "1", None);
    // No CMD in the history: only the annotations can tell where the base ends.
    let derived = |digest: &str| {
        ImageBuilder::new()
            .layer(rootfs.clone(), Compression::Gzip, "ADD rootfs /")
            .layer(
                tar_bytes(&[("app", b"app", 0o755)]),
                Compression::Gzip,
                "COPY app /",
            )
            .annotation(
                "org.opencontainers.image.base.name",
                &format!("{}/lib/base:1", reg.addr),
            )
            .annotation("org.opencontainers.image.base.digest", digest)
            .build()
    };
    push(
        &reg.addr,
        "team/derived",
        &derived(&base.manifest_digest),
        "1",
        None,
    );
    let img = open(&format!("{}/team/derived:1", reg.addr), &insecure()).unwrap();
    assert_eq!(
        img.target.base_image,
        Some(format!("{}/lib/base:1", reg.addr))
    );
    assert_eq!(
        img.layer_infos().iter().map(|l| l.base).collect::<Vec<_>>(),
        vec![true, false]
    );

    // A base digest that does not resolve leaves the history heuristic (no CMD: no base).
    let unknown = kura_testutil::sha256_digest(b"no such manifest");
    push(&reg.addr, "team/derived", &derived(&unknown), "2", None);
    let img = open(&format!("{}/team/derived:2", reg.addr), &insecure()).unwrap();
    assert_eq!(
        img.layer_infos().iter().map(|l| l.base).collect::<Vec<_>>(),
        vec![false, false]
    );
}

#[test]
fn basic_auth_against_distribution_htpasswd() {
    let Some(htpasswd) = require_tool("htpasswd") else {
        return;
    };
    let out = Command::new(htpasswd)
        .args(["-Bbn", "alice", "s3cret"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let Some(reg) = Distribution::start(Some(&String::from_utf8(out.stdout).unwrap())) else {
        return;
    };
    let built = image("amd64", None, MediaTypes::Oci, Compression::Gzip);
    push(
        &reg.addr,
        "private/app",
        &built,
        "1",
        Some(&basic("alice", "s3cret")),
    );
    let r = format!("{}/private/app:1", reg.addr);
    let e = open(&r, &insecure()).unwrap_err();
    assert!(matches!(e, OciError::Auth { .. }), "{e}");
    let wrong = OpenOptions {
        username: Some("alice".into()),
        password: Some("nope".into()),
        ..insecure()
    };
    assert!(matches!(open(&r, &wrong), Err(OciError::Auth { .. })));
    let flags = OpenOptions {
        username: Some("alice".into()),
        password: Some("s3cret".into()),
        ..insecure()
    };
    let img = open(&r, &flags).unwrap();
    assert_eq!(
        read_all_layers(&img).len(),
        2,
        "layer blobs are fetched with the same credentials"
    );

    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.json");
    let auth = base64::engine::general_purpose::STANDARD.encode("alice:s3cret");
    std::fs::write(
        &cfg,
        format!(
            r#"{{"auths":{{"http://{}":{{"auth":"{auth}"}}}}}}"#,
            reg.addr
        ),
    )
    .unwrap();
    let from_config = OpenOptions {
        docker_config: Some(cfg),
        ..insecure()
    };
    assert!(open(&r, &from_config).is_ok());
}

/// A request the token server saw: method, path (with query) and Authorization header.
type Seen = Arc<Mutex<Vec<(String, String, Option<String>)>>>;

/// A token-protected registry implementing the docker token flow, serving one repository
/// from a built image (plus an index), and recording every request.
struct TokenServer {
    addr: String,
    seen: Seen,
}

fn respond(stream: &mut TcpStream, status: &str, headers: &[(&str, String)], body: &[u8]) {
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
}

impl TokenServer {
    fn start(blobs: Served, tamper: Option<String>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let seen: Seen = Arc::default();
        let (seen2, addr2) = (seen.clone(), addr.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut first = String::new();
                if reader.read_line(&mut first).is_err() {
                    continue;
                }
                let mut auth = None;
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((k, v)) = line.split_once(':') {
                        if k.eq_ignore_ascii_case("authorization") {
                            auth = Some(v.trim().to_string());
                        } else if k.eq_ignore_ascii_case("content-length") {
                            length = v.trim().parse().unwrap_or(0);
                        }
                    }
                }
                let mut body = vec![0u8; length.min(1 << 16)];
                let _ = reader.read_exact(&mut body);
                let body = String::from_utf8_lossy(&body).into_owned();
                let mut parts = first.split_whitespace();
                let (method, path) = (
                    parts.next().unwrap_or("").to_string(),
                    parts.next().unwrap_or("").to_string(),
                );
                seen2
                    .lock()
                    .unwrap()
                    .push((method, path.clone(), auth.clone()));
                // The OAuth2 refresh-token grant (distribution `docs/spec/auth/oauth.md`).
                if path == "/token" {
                    let ok = body.contains("grant_type=refresh_token")
                        && body.contains("refresh_token=rt-secret")
                        && body.contains("service=kura-test")
                        && body.contains("scope=repository%3Aorg%2Fapp%3Apull");
                    if ok {
                        respond(&mut stream, "200 OK", &[], br#"{"access_token":"t0k3n"}"#);
                    } else {
                        respond(
                            &mut stream,
                            "400 Bad Request",
                            &[],
                            br#"{"error":"invalid_grant"}"#,
                        );
                    }
                    continue;
                }
                if let Some(q) = path.strip_prefix("/token?") {
                    let ok = auth.as_deref() == Some(basic("bob", "pw").as_str())
                        && q.contains("service=kura-test")
                        && q.contains("scope=repository%3Aorg%2Fapp%3Apull");
                    if ok {
                        respond(
                            &mut stream,
                            "200 OK",
                            &[("Content-Type", "application/json".into())],
                            br#"{"token":"t0k3n","expires_in":300}"#,
                        );
                    } else {
                        respond(&mut stream, "401 Unauthorized", &[], b"{}");
                    }
                    continue;
                }
                if auth.as_deref() != Some("Bearer t0k3n") {
                    let ch = format!(
                        r#"Bearer realm="http://{addr2}/token",service="kura-test",scope="repository:org/app:pull""#
                    );
                    respond(
                        &mut stream,
                        "401 Unauthorized",
                        &[("WWW-Authenticate", ch)],
                        br#"{"errors":[{"code":"UNAUTHORIZED"}]}"#,
                    );
                    continue;
                }
                let key = path.rsplit('/').next().unwrap_or("");
                match blobs
                    .iter()
                    .find(|(d, _, _)| d == key || (key == "latest" && d == "latest"))
                {
                    Some((d, body, ct)) => {
                        let mut body = body.clone();
                        if tamper.as_deref() == Some(d.as_str())
                            && let Some(b) = body.last_mut()
                        {
                            *b ^= 1;
                        }
                        respond(
                            &mut stream,
                            "200 OK",
                            &[("Content-Type", ct.clone())],
                            &body,
                        );
                    }
                    None => respond(
                        &mut stream,
                        "404 Not Found",
                        &[],
                        br#"{"errors":[{"code":"BLOB_UNKNOWN"}]}"#,
                    ),
                }
            }
        });
        TokenServer { addr, seen }
    }
}

/// What the token server serves: `(digest or tag, body, content type)`.
type Served = Vec<(String, Vec<u8>, String)>;

fn token_fixture() -> (Served, BuiltImage, BuiltImage) {
    let amd = image("amd64", None, MediaTypes::Oci, Compression::Gzip);
    let arm = image("arm64", Some("v8"), MediaTypes::Oci, Compression::Zstd);
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": OCI_INDEX,
        "manifests": [amd.manifest_descriptor(), arm.manifest_descriptor()],
    }))
    .unwrap();
    let mut blobs = vec![("latest".to_string(), index, OCI_INDEX.to_string())];
    for im in [&amd, &arm] {
        for (d, b) in im.blobs() {
            let ct = if d == im.manifest_digest {
                im.manifest_media_type.clone()
            } else {
                "application/octet-stream".into()
            };
            blobs.push((d, b, ct));
        }
    }
    (blobs, amd, arm)
}

#[test]
fn bearer_token_flow_fetches_only_the_needed_blobs() {
    let (blobs, amd, arm) = token_fixture();
    let server = TokenServer::start(blobs, None);
    let opts = OpenOptions {
        username: Some("bob".into()),
        password: Some("pw".into()),
        platform: Some("linux/arm64".parse().unwrap()),
        ..insecure()
    };
    let img = open(&format!("{}/org/app", server.addr), &opts).unwrap();
    assert_eq!(
        img.target.manifest_digest.as_deref(),
        Some(arm.manifest_digest.as_str())
    );
    let paths: Vec<String> = server
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|(_, p, _)| p.clone())
        .collect();
    assert!(paths.iter().any(|p| p.starts_with("/token?")), "{paths:?}");
    assert!(
        !paths
            .iter()
            .any(|p| p.contains(&amd.manifest_digest) || p.contains(&amd.config_digest)),
        "{paths:?}"
    );
    assert!(
        !paths.iter().any(|p| p.contains(&arm.layers[0].digest)),
        "layers are fetched lazily: {paths:?}"
    );
    assert_eq!(read_all_layers(&img)[1], arm.layers[1].tar);
    let token_requests = server
        .seen
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, p, _)| p.starts_with("/token"))
        .count();
    assert_eq!(token_requests, 1, "the token is reused");

    let anonymous = OpenOptions {
        platform: opts.platform.clone(),
        ..insecure()
    };
    assert!(matches!(
        open(&format!("{}/org/app", server.addr), &anonymous),
        Err(OciError::Auth { .. })
    ));
}

#[test]
fn a_registry_serving_tampered_blobs_is_caught() {
    let (blobs, amd, _) = token_fixture();
    let opts = OpenOptions {
        username: Some("bob".into()),
        password: Some("pw".into()),
        platform: Some("linux/amd64".parse().unwrap()),
        ..insecure()
    };
    let server = TokenServer::start(blobs.clone(), Some(amd.config_digest.clone()));
    let e = open(&format!("{}/org/app", server.addr), &opts).unwrap_err();
    assert!(
        matches!(&e, OciError::BlobMismatch { digest, .. } if *digest == amd.config_digest),
        "{e}"
    );

    let server = TokenServer::start(blobs.clone(), Some(amd.manifest_digest.clone()));
    let e = open(&format!("{}/org/app", server.addr), &opts).unwrap_err();
    assert!(
        matches!(&e, OciError::BlobMismatch { digest, .. } if *digest == amd.manifest_digest),
        "{e}"
    );

    let server = TokenServer::start(blobs, Some(amd.layers[1].digest.clone()));
    let img = open(&format!("{}/org/app", server.addr), &opts).unwrap();
    let mut sink = Vec::new();
    let e = img
        .open_layer(1)
        .unwrap()
        .read_to_end(&mut sink)
        .unwrap_err();
    assert!(e.to_string().contains(&amd.layers[1].digest), "{e}");
}

#[test]
fn identity_tokens_from_the_docker_config_use_the_refresh_token_grant() {
    let (blobs, amd, _) = token_fixture();
    let server = TokenServer::start(blobs, None);
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.json");
    let config = format!(
        r#"{{"auths":{{"http://{}":{{"identitytoken":"rt-secret"}}}}}}"#,
        server.addr
    );
    std::fs::write(&cfg, config).unwrap();
    let opts = OpenOptions {
        docker_config: Some(cfg.clone()),
        platform: Some("linux/amd64".parse().unwrap()),
        ..insecure()
    };
    let img = open(&format!("{}/org/app", server.addr), &opts).unwrap();
    assert_eq!(
        img.target.manifest_digest.as_deref(),
        Some(amd.manifest_digest.as_str())
    );
    let seen = server.seen.lock().unwrap().clone();
    assert!(
        seen.iter().any(|(m, p, _)| m == "POST" && p == "/token"),
        "{seen:?}"
    );

    std::fs::write(
        &cfg,
        format!(
            r#"{{"auths":{{"{}":{{"identitytoken":"revoked"}}}}}}"#,
            server.addr
        ),
    )
    .unwrap();
    assert!(matches!(
        open(&format!("{}/org/app", server.addr), &opts),
        Err(OciError::Auth { .. })
    ));
}
