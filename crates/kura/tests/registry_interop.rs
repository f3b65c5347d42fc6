//! Interoperability with skopeo (containers/image): OCI and Docker manifests, a multi-arch index,
//! the Bearer token flow, both copy directions. Fails, not skips, under CI=true without skopeo.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PW: &str = "interop-test-pw";

fn require_tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{name} is required under CI (see .ci/packages/registry.txt)"
        );
        eprintln!("skipping: {name} not installed");
    }
    found
}

struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(data: &Path) -> Server {
    let mut add = Command::new(env!("CARGO_BIN_EXE_kura"))
        .args([
            "registry",
            "user",
            "add",
            "admin",
            "--admin",
            "--password-stdin",
            "--data",
        ])
        .arg(data)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    add.stdin
        .take()
        .unwrap()
        .write_all(format!("{PW}\n").as_bytes())
        .unwrap();
    assert!(add.wait().unwrap().success());
    let addr_file = data.with_extension("addr");
    let child = Command::new(env!("CARGO_BIN_EXE_kura"))
        .args(["registry", "serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .arg("--addr-file")
        .arg(&addr_file)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut server = Server {
        child,
        addr: String::new(),
    };
    let t = Instant::now();
    loop {
        if let Ok(a) = std::fs::read_to_string(&addr_file)
            && !a.is_empty()
        {
            server.addr = a;
            return server;
        }
        assert!(t.elapsed() < Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn sha(b: &[u8]) -> String {
    kura_registry::digest::Digest::of(kura_registry::digest::Algorithm::Sha256, b).to_string()
}

fn put_blob(layout: &Path, data: &[u8]) -> (String, usize) {
    let d = sha(data);
    let p = layout
        .join("blobs/sha256")
        .join(d.trim_start_matches("sha256:"));
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, data).unwrap();
    (d, data.len())
}

/// A one-layer image for `arch`; returns the manifest descriptor JSON.
fn image(layout: &Path, arch: &str) -> serde_json::Value {
    let layer = format!("not really a tar, but skopeo copies bytes as-is: {arch}").into_bytes();
    let (ld, ls) = put_blob(layout, &layer);
    let cfg = serde_json::to_vec(&serde_json::json!({
        "architecture": arch, "os": "linux", "rootfs": {"type": "layers", "diff_ids": [ld]}
    }))
    .unwrap();
    let (cd, cs) = put_blob(layout, &cfg);
    let m = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": ld, "size": ls}],
    }))
    .unwrap();
    let (md, ms) = put_blob(layout, &m);
    serde_json::json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": ms,
        "platform": {"architecture": arch, "os": "linux"}})
}

fn layout(dir: &Path) -> PathBuf {
    let l = dir.join("layout");
    std::fs::create_dir_all(&l).unwrap();
    std::fs::write(l.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let amd = image(&l, "amd64");
    let arm = image(&l, "arm64");
    let idx = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [amd, arm]
    }))
    .unwrap();
    let (xd, xs) = put_blob(&l, &idx);
    let mut single = amd.clone();
    single["annotations"] = serde_json::json!({"org.opencontainers.image.ref.name": "single"});
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [
        single,
        {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": xd, "size": xs,
         "annotations": {"org.opencontainers.image.ref.name": "multi"}}
    ]});
    std::fs::write(l.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    l
}

fn skopeo(args: &[&str]) -> String {
    let out = Command::new("skopeo").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "skopeo {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn registry_skopeo_copies_oci_docker_and_multiarch_both_ways() {
    if require_tool("skopeo").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let s = start(&dir.path().join("data"));
    let src = layout(dir.path());
    let creds = format!("admin:{PW}");
    let dest = |tag: &str| format!("docker://{}/proj/app:{tag}", s.addr);
    let base = [
        "--insecure-policy",
        "copy",
        "--dest-tls-verify=false",
        "--dest-creds",
        &creds,
    ];

    // OCI manifest in, unchanged.
    let mut a = base.to_vec();
    let (from, to) = (format!("oci:{}:single", src.display()), dest("oci"));
    a.extend([from.as_str(), to.as_str()]);
    skopeo(&a);
    // Docker v2 schema 2 conversion.
    let mut a = base.to_vec();
    let to2 = dest("docker");
    a.extend(["--format", "v2s2", from.as_str(), to2.as_str()]);
    skopeo(&a);
    // Multi-arch index with all platforms.
    let mut a = base.to_vec();
    let (fromm, tom) = (format!("oci:{}:multi", src.display()), dest("multi"));
    a.extend(["--all", fromm.as_str(), tom.as_str()]);
    skopeo(&a);

    let inspect = |tag: &str| -> serde_json::Value {
        let raw = skopeo(&[
            "inspect",
            "--raw",
            "--tls-verify=false",
            "--creds",
            &creds,
            &dest(tag),
        ]);
        serde_json::from_str(&raw).unwrap()
    };
    assert_eq!(
        inspect("oci")["mediaType"],
        "application/vnd.oci.image.manifest.v1+json"
    );
    assert_eq!(
        inspect("docker")["mediaType"],
        "application/vnd.docker.distribution.manifest.v2+json"
    );
    assert_eq!(inspect("multi")["manifests"].as_array().unwrap().len(), 2);

    // And back out to a fresh OCI layout, all platforms.
    let out = dir.path().join("out");
    let to_oci = format!("oci:{}:multi", out.display());
    skopeo(&[
        "--insecure-policy",
        "copy",
        "--all",
        "--src-tls-verify=false",
        "--src-creds",
        &creds,
        &dest("multi"),
        &to_oci,
    ]);
    let idx: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("index.json")).unwrap()).unwrap();
    assert_eq!(idx["manifests"].as_array().unwrap().len(), 1);

    // Wrong password is refused.
    let bad = Command::new("skopeo")
        .args([
            "inspect",
            "--raw",
            "--tls-verify=false",
            "--creds",
            "admin:wrong-password",
            &dest("oci"),
        ])
        .output()
        .unwrap();
    assert!(!bad.status.success());
}

fn run(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{tool} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn registry_podman_and_buildah_push_and_pull() {
    if require_tool("podman").is_none() || require_tool("buildah").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let s = start(&dir.path().join("data"));
    let creds = format!("admin:{PW}");
    // A one-file root filesystem, imported without any network registry.
    let file = dir.path().join("hello.txt");
    std::fs::write(&file, "hello from kura interop\n").unwrap();
    let tar = dir.path().join("root.tar");
    run(
        "tar",
        &[
            "-C",
            dir.path().to_str().unwrap(),
            "-cf",
            tar.to_str().unwrap(),
            "hello.txt",
        ],
    );
    let unique = format!("localhost/kura-interop-{}:v1", std::process::id());
    let id = run("podman", &["import", tar.to_str().unwrap(), &unique]);
    let remote = format!("{}/interop/app:v1", s.addr);
    run(
        "podman",
        &[
            "push",
            "--tls-verify=false",
            "--creds",
            &creds,
            &unique,
            &format!("docker://{remote}"),
        ],
    );
    run("podman", &["rmi", "-f", &unique]);
    run(
        "podman",
        &["pull", "--tls-verify=false", "--creds", &creds, &remote],
    );
    let pulled = run(
        "podman",
        &["image", "inspect", "--format", "{{.Id}}", &remote],
    );
    assert_eq!(
        pulled,
        id.lines().last().unwrap().trim_start_matches("sha256:")
    );
    // buildah: build on top of the pulled image, push a new tag.
    let ctr = run(
        "buildah",
        &["from", "--tls-verify=false", "--creds", &creds, &remote],
    );
    let remote2 = format!("{}/interop/app:buildah", s.addr);
    run(
        "buildah",
        &[
            "commit",
            &ctr,
            &format!("localhost/kura-interop-b-{}", std::process::id()),
        ],
    );
    run(
        "buildah",
        &[
            "push",
            "--tls-verify=false",
            "--creds",
            &creds,
            &format!("localhost/kura-interop-b-{}", std::process::id()),
            &format!("docker://{remote2}"),
        ],
    );
    run("buildah", &["rm", &ctr]);
    let _ = Command::new("buildah")
        .args([
            "rmi",
            "-f",
            &format!("localhost/kura-interop-b-{}", std::process::id()),
        ])
        .output();
    let _ = Command::new("podman").args(["rmi", "-f", &remote]).output();
    run(
        "skopeo",
        &[
            "inspect",
            "--raw",
            "--tls-verify=false",
            "--creds",
            &creds,
            &format!("docker://{remote2}"),
        ],
    );
}

#[test]
fn registry_serves_tls_from_certificate_files() {
    if require_tool("openssl").is_none() || require_tool("skopeo").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    run(
        "openssl",
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            key.to_str().unwrap(),
            "-out",
            cert.to_str().unwrap(),
        ],
    );
    let data = dir.path().join("data");
    let mut add = Command::new(env!("CARGO_BIN_EXE_kura"))
        .args([
            "registry",
            "user",
            "add",
            "admin",
            "--admin",
            "--password-stdin",
            "--data",
        ])
        .arg(&data)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    add.stdin
        .take()
        .unwrap()
        .write_all(format!("{PW}\n").as_bytes())
        .unwrap();
    assert!(add.wait().unwrap().success());
    let addr_file = dir.path().join("addr");
    let child = Command::new(env!("CARGO_BIN_EXE_kura"))
        .args(["registry", "serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(&data)
        .arg("--addr-file")
        .arg(&addr_file)
        .arg("--tls-cert")
        .arg(&cert)
        .arg("--tls-key")
        .arg(&key)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut s = Server {
        child,
        addr: String::new(),
    };
    let t = Instant::now();
    let addr = loop {
        if let Ok(a) = std::fs::read_to_string(&addr_file)
            && !a.is_empty()
        {
            break a;
        }
        assert!(t.elapsed() < Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(20));
    };
    s.addr = addr.clone();
    let src = layout(dir.path());
    let creds = format!("admin:{PW}");
    // --cert-dir with the server certificate: verified TLS, no fallback to plain HTTP.
    let certs = dir.path().join("certs");
    std::fs::create_dir_all(&certs).unwrap();
    std::fs::copy(&cert, certs.join("ca.crt")).unwrap();
    run(
        "skopeo",
        &[
            "--insecure-policy",
            "copy",
            "--dest-cert-dir",
            certs.to_str().unwrap(),
            "--dest-creds",
            &creds,
            &format!("oci:{}:single", src.display()),
            &format!("docker://{addr}/tls/app:v1"),
        ],
    );
    let raw = run(
        "skopeo",
        &[
            "inspect",
            "--raw",
            "--cert-dir",
            certs.to_str().unwrap(),
            "--creds",
            &creds,
            &format!("docker://{addr}/tls/app:v1"),
        ],
    );
    assert!(raw.contains("application/vnd.oci.image.manifest.v1+json"));
}

/// The scanner pulls from the registry it ships with: skopeo pushes a real two-layer image into
/// a private project, then `kura sbom` pulls it back over the Bearer token flow (credentials from
/// stdin) and inventories it, with each package attributed to its layer.
#[test]
fn registry_image_pushed_by_skopeo_is_scanned_by_kura_over_token_auth() {
    use kura_testutil::image::{Compression, ImageBuilder};
    use std::io::Write;
    if require_tool("skopeo").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let s = start(&dir.path().join("data"));
    let base = kura_testutil::tar_bytes(&[
        ("etc/os-release", b"ID=alpine\nVERSION_ID=3.19.1\n", 0o644),
        (
            "lib/apk/db/installed",
            b"P:musl\nV:1.2.4-r2\nA:x86_64\nL:MIT\no:musl\n\n",
            0o644,
        ),
    ]);
    let app = kura_testutil::tar_bytes(&[(
        "usr/lib/python3.11/site-packages/requests-2.19.0.dist-info/METADATA",
        b"Metadata-Version: 2.1\nName: requests\nVersion: 2.19.0\n",
        0o644,
    )]);
    let img = ImageBuilder::new()
        .layer(base, Compression::Gzip, "ADD rootfs.tar.gz /")
        .empty_history("CMD [\"/bin/sh\"]")
        .layer(app, Compression::Zstd, "RUN pip install requests==2.19.0")
        .build();
    let src = dir.path().join("src-layout");
    img.write_oci_layout(&src);
    let creds = format!("admin:{PW}");
    let reference = format!("{}/scanned/app:1", s.addr);
    skopeo(&[
        "--insecure-policy",
        "copy",
        "--dest-tls-verify=false",
        "--dest-creds",
        &creds,
        &format!("oci:{}", src.display()),
        &format!("docker://{reference}"),
    ]);

    let mut child = Command::new(env!("CARGO_BIN_EXE_kura"))
        .args([
            "sbom",
            &reference,
            "--insecure",
            "--username",
            "admin",
            "--password-stdin",
            "--no-cache",
            "--format",
            "json",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(PW.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "kura sbom: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let inv: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(inv["target"]["kind"], "registry");
    let pkgs = inv["packages"].as_array().unwrap();
    let layer_of = |name: &str| {
        pkgs.iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{name} missing from {inv:#}"))["location"]["layer_index"]
            .clone()
    };
    assert_eq!(layer_of("musl"), 0);
    assert_eq!(layer_of("requests"), 1);

    // Wrong password: the pull is refused and kura exits 2 naming the registry.
    let out = Command::new(env!("CARGO_BIN_EXE_kura"))
        .args([
            "sbom",
            &reference,
            "--insecure",
            "--username",
            "admin",
            "--no-cache",
        ])
        .env("KURA_PASSWORD", "wrong")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
