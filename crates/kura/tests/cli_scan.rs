//! End-to-end tests of `kura sbom` and `kura scan` through the real binary: an image built in
//! the test, a vulnerability DB imported from advisory files written in the feeds' formats,
//! the policy gate and the exit codes.

use kura_testutil::image::{Compression, DockerArchiveFormat, ImageBuilder};
use kura_testutil::tar_bytes;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const KURA: &str = env!("CARGO_BIN_EXE_kura");

fn kura(args: &[&str], cwd: &Path) -> Output {
    Command::new(KURA)
        .args(args)
        .current_dir(cwd)
        .env("CI", "true")
        .env_remove("KURA_DB")
        .output()
        .expect("run kura")
}

fn stdout_json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}); stderr:\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

const APK_INSTALLED: &str = "\
C:Q1abc=
P:musl
V:1.2.4-r2
A:x86_64
S:383152
I:622592
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Maintainer <m@example.org>
t:1700000000
c:abcdef

";

const REQUESTS_METADATA: &str = "\
Metadata-Version: 2.1
Name: requests
Version: 2.19.0
Summary: Python HTTP for Humans.
License: Apache 2.0
";

/// A two-layer image: an Alpine 3.19 base (apk DB with musl) and an application layer that
/// installs an old `requests` with pip.
fn build_image(dir: &Path) -> PathBuf {
    let base = tar_bytes(&[
        ("etc/", b"", 0o755),
        (
            "etc/os-release",
            b"NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME=\"Alpine Linux v3.19\"\n",
            0o644,
        ),
        ("etc/alpine-release", b"3.19.1\n", 0o644),
        ("lib/apk/db/installed", APK_INSTALLED.as_bytes(), 0o644),
    ]);
    let app = tar_bytes(&[(
        "usr/lib/python3.11/site-packages/requests-2.19.0.dist-info/METADATA",
        REQUESTS_METADATA.as_bytes(),
        0o644,
    )]);
    let img = ImageBuilder::new()
        .layer(
            base,
            Compression::Gzip,
            "/bin/sh -c #(nop) ADD file:abc in / ",
        )
        .empty_history("/bin/sh -c #(nop)  CMD [\"/bin/sh\"]")
        .layer(
            app,
            Compression::Gzip,
            "RUN /bin/sh -c pip install requests==2.19.0 # buildkit",
        )
        .repo_tag("example/app:1.0")
        .build();
    let path = dir.join("app.tar");
    std::fs::write(&path, img.docker_archive(DockerArchiveFormat::Legacy)).expect("write image");
    path
}

/// Advisories in the OSV and Alpine secdb formats, imported into a fresh DB.
fn build_db(dir: &Path) -> PathBuf {
    let feeds = dir.join("feeds");
    std::fs::create_dir_all(&feeds).expect("mkdir");
    std::fs::write(
        feeds.join("KURA-TEST-1.json"),
        r#"{
  "schema_version": "1.6.0",
  "id": "PYSEC-2018-28",
  "modified": "2024-01-01T00:00:00Z",
  "aliases": ["CVE-2018-18074", "GHSA-x84v-xcm2-53pg"],
  "summary": "requests leaks the Authorization header on an HTTPS to HTTP redirect",
  "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}],
  "affected": [{
    "package": {"ecosystem": "PyPI", "name": "requests"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.20.0"}]}]
  }]
}"#,
    )
    .expect("write osv");
    std::fs::write(
        feeds.join("alpine-v3.19-main.json"),
        r#"{"distroversion": "v3.19", "reponame": "main", "urlprefix": "", "apkurl": "",
 "packages": [{"pkg": {"name": "musl", "secfixes": {"1.2.4-r3": ["CVE-2025-26519"]}}},
              {"pkg": {"name": "openssl", "secfixes": {"3.1.4-r1": ["CVE-2023-5678"]}}}]}"#,
    )
    .expect("write secdb");
    let db = dir.join("vuln.db");
    let out = kura(
        &[
            "db",
            "import",
            "--db",
            db.to_str().expect("utf-8"),
            feeds.to_str().expect("utf-8"),
        ],
        dir,
    );
    assert!(
        out.status.success(),
        "db import failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    db
}

struct Fixture {
    dir: tempfile::TempDir,
    image: PathBuf,
    db: PathBuf,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let image = build_image(dir.path());
        let db = build_db(dir.path());
        Fixture { dir, image, db }
    }

    fn scan(&self, extra: &[&str]) -> Output {
        let mut args = vec![
            "scan",
            "image",
            self.image.to_str().expect("utf-8"),
            "--db",
            self.db.to_str().expect("utf-8"),
            "--offline",
            "--no-cache",
        ];
        args.extend_from_slice(extra);
        kura(&args, self.dir.path())
    }
}

fn finding<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no finding {id} in {report:#}"))
}

#[test]
fn sbom_lists_os_and_language_packages_with_their_layers() {
    let fx = Fixture::new();
    let out = kura(
        &[
            "sbom",
            fx.image.to_str().expect("utf-8"),
            "--format",
            "json",
            "--no-cache",
        ],
        fx.dir.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let inv = stdout_json(&out);
    assert_eq!(inv["os"]["id"], "alpine");
    assert_eq!(inv["os"]["release"], "3.19");
    let pkgs = inv["packages"].as_array().expect("packages");
    let musl = pkgs.iter().find(|p| p["name"] == "musl").expect("musl");
    assert_eq!(musl["version"], "1.2.4-r2");
    assert_eq!(musl["location"]["layer_index"], 0);
    assert!(
        musl["purl"]
            .as_str()
            .is_some_and(|p| p.starts_with("pkg:apk/alpine/musl@1.2.4-r2")
                && p.contains("distro=alpine-3.19")),
        "{musl}"
    );
    let requests = pkgs
        .iter()
        .find(|p| p["name"] == "requests")
        .expect("requests");
    assert_eq!(requests["purl"], "pkg:pypi/requests@2.19.0");
    assert_eq!(requests["location"]["layer_index"], 1);
}

#[test]
fn sbom_cyclonedx_components_carry_layer_properties() {
    let fx = Fixture::new();
    let out = kura(
        &["sbom", fx.image.to_str().expect("utf-8"), "--no-cache"],
        fx.dir.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bom = stdout_json(&out);
    assert_eq!(bom["bomFormat"], "CycloneDX");
    assert_eq!(bom["specVersion"], "1.6");
    let comps = bom["components"].as_array().expect("components");
    let req = comps
        .iter()
        .find(|c| c["name"] == "requests")
        .expect("requests component");
    let props = req["properties"].as_array().expect("properties");
    assert!(
        props
            .iter()
            .any(|p| p["name"] == "kura:layer:index" && p["value"] == "1"),
        "{req:#}"
    );
    // A second run gives the same bom-refs.
    let again = stdout_json(&kura(
        &["sbom", fx.image.to_str().expect("utf-8"), "--no-cache"],
        fx.dir.path(),
    ));
    let refs = |b: &Value| -> Vec<Value> {
        b["components"]
            .as_array()
            .expect("components")
            .iter()
            .map(|c| c["bom-ref"].clone())
            .collect()
    };
    assert_eq!(refs(&bom), refs(&again));
}

#[test]
fn scan_finds_os_and_language_vulnerabilities_with_layer_attribution() {
    let fx = Fixture::new();
    let out = fx.scan(&["--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = stdout_json(&out);

    let req = finding(&report, "CVE-2018-18074");
    assert_eq!(req["package_name"], "requests");
    assert_eq!(req["fixed_version"], "2.20.0");
    assert_eq!(req["severity"], "HIGH");
    let aliases: Vec<&str> = req["aliases"]
        .as_array()
        .expect("aliases")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        aliases.contains(&"PYSEC-2018-28") && aliases.contains(&"GHSA-x84v-xcm2-53pg"),
        "{aliases:?}"
    );
    assert_eq!(req["in_base_layer"], false);
    assert!(
        req["layer_created_by"]
            .as_str()
            .is_some_and(|c| c.contains("pip install")),
        "{req:#}"
    );

    let musl = finding(&report, "CVE-2025-26519");
    assert_eq!(musl["fixed_version"], "1.2.4-r3");
    assert_eq!(musl["in_base_layer"], true);
    // openssl is not installed: no finding for it.
    assert!(
        report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .all(|f| f["id"] != "CVE-2023-5678")
    );
}

#[test]
fn exit_code_reflects_the_policy() {
    let fx = Fixture::new();
    // Findings remain: the requested code.
    assert_eq!(fx.scan(&["--exit-code", "3", "-q"]).status.code(), Some(3));
    // Bare --exit-code means 1.
    assert_eq!(fx.scan(&["--exit-code", "-q"]).status.code(), Some(1));
    // Without --exit-code a scan with findings succeeds.
    assert_eq!(fx.scan(&["-q"]).status.code(), Some(0));
    // Only CRITICAL requested: nothing remains.
    assert_eq!(
        fx.scan(&["--exit-code", "3", "--severity", "CRITICAL", "-q"])
            .status
            .code(),
        Some(0)
    );
    // --skip-base: the musl finding no longer gates, the requests one still does.
    assert_eq!(
        fx.scan(&["--exit-code", "3", "--skip-base", "-q"])
            .status
            .code(),
        Some(3)
    );
}

#[test]
fn ignore_file_suppresses_until_it_expires() {
    let fx = Fixture::new();
    std::fs::write(
        fx.dir.path().join(".kuraignore"),
        "- id: CVE-2018-18074\n  reason: not reachable\n  expires: 2999-01-01\n\
         - id: GHSA-x84v-xcm2-53pg\n  package: requests\n  reason: old entry\n  expires: 2000-01-01\n",
    )
    .expect("write ignore");
    let out = fx.scan(&["--format", "json", "--skip-base", "--exit-code", "4"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = stdout_json(&out);
    let req = finding(&report, "CVE-2018-18074");
    assert_eq!(req["suppressed"]["kind"], "ignore-file");
    assert!(
        !report["expired_ignores"]
            .as_array()
            .expect("expired")
            .is_empty()
    );

    std::fs::write(
        fx.dir.path().join(".kuraignore"),
        "- id: CVE-2018-18074\n  reason: was not reachable\n  expires: 2000-01-01\n",
    )
    .expect("write ignore");
    assert_eq!(
        fx.scan(&["--skip-base", "--exit-code", "4", "-q"])
            .status
            .code(),
        Some(4)
    );
}

#[test]
fn bad_input_exits_2_naming_the_file() {
    let fx = Fixture::new();
    let bad = fx.dir.path().join("bad.tar");
    let mut bytes = std::fs::read(&fx.image).expect("read");
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&bad, bytes).expect("write");
    let out = kura(
        &[
            "sbom",
            bad.to_str().expect("utf-8"),
            "--no-cache",
            "--format",
            "json",
        ],
        fx.dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.tar"), "{err}");

    let corrupt_db = fx.dir.path().join("corrupt.db");
    std::fs::write(&corrupt_db, b"this is not a database").expect("write");
    let out = kura(
        &[
            "scan",
            "image",
            fx.image.to_str().expect("utf-8"),
            "--db",
            corrupt_db.to_str().expect("utf-8"),
            "--offline",
        ],
        fx.dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("corrupt.db"), "{err}");
}

#[test]
fn sbom_joins_debian_copyright_licenses_to_dpkg_packages() {
    let dir = tempfile::tempdir().expect("tempdir");
    let base = tar_bytes(&[
        ("etc/os-release", b"ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n", 0o644),
        (
            "var/lib/dpkg/status",
            b"Package: bash\nStatus: install ok installed\nArchitecture: amd64\nVersion: 5.2.15-2+b2\n\n",
            0o644,
        ),
        (
            "usr/share/doc/bash/copyright",
            b"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nCopyright: FSF\nLicense: GPL-3+\n",
            0o644,
        ),
    ]);
    // A later layer rewrites the status file (as apt does); the license still joins.
    let apt = tar_bytes(&[(
        "var/lib/dpkg/status",
        b"Package: bash\nStatus: install ok installed\nArchitecture: amd64\nVersion: 5.2.15-2+b2\n\nPackage: curl\nStatus: install ok installed\nArchitecture: amd64\nVersion: 7.88.1-10\n\n",
        0o644,
    )]);
    let img = ImageBuilder::new()
        .layer(base, Compression::Gzip, "ADD rootfs.tar /")
        .layer(apt, Compression::Gzip, "RUN apt-get install -y curl")
        .build();
    let path = dir.path().join("deb.tar");
    std::fs::write(&path, img.docker_archive(DockerArchiveFormat::Legacy)).expect("write");
    let out = kura(
        &[
            "sbom",
            path.to_str().expect("utf-8"),
            "--format",
            "json",
            "--no-cache",
        ],
        dir.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let inv = stdout_json(&out);
    let pkgs = inv["packages"].as_array().expect("packages");
    let bash = pkgs.iter().find(|p| p["name"] == "bash").expect("bash");
    assert_eq!(bash["licenses"], serde_json::json!(["GPL-3+"]));
    assert_eq!(bash["location"]["layer_index"], 0);
    assert_eq!(
        bash["purl"],
        "pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64&distro=debian-12"
    );
    let curl = pkgs.iter().find(|p| p["name"] == "curl").expect("curl");
    assert_eq!(curl["location"]["layer_index"], 1);
    assert!(
        curl.get("licenses")
            .is_none_or(|l| l.as_array().is_some_and(Vec::is_empty))
    );
}

#[test]
fn coverage_doc_matches_the_analyzers() {
    let root = kura_testutil::workspace_root();
    let out = kura(&["analyzers", "--format", "markdown"], &root);
    assert!(out.status.success());
    let committed = std::fs::read_to_string(root.join("docs/coverage.md")).unwrap_or_default();
    assert_eq!(
        committed,
        String::from_utf8_lossy(&out.stdout),
        "docs/coverage.md is stale: regenerate it with `kura analyzers --format markdown > docs/coverage.md`"
    );
}
