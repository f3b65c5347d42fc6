//! Real advisory data end to end: import every feed snapshot in `../shared/vulndata` (PyPA,
//! Go, RustSec, Alpine secdb), scan an image built here with pinned old packages, and check
//! the findings against hand-picked advisories. Runs when `../shared` is present; required
//! under CI=true.

use kura_testutil::image::{Compression, DockerArchiveFormat, ImageBuilder};
use kura_testutil::tar_bytes;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

const KURA: &str = env!("CARGO_BIN_EXE_kura");

fn kura(args: &[&str], cwd: &Path) -> Output {
    Command::new(KURA)
        .args(args)
        .current_dir(cwd)
        .env_remove("KURA_DB")
        .output()
        .expect("run kura")
}

const APK_INSTALLED: &str = "\
P:openssl
V:1.1.1c-r0
A:x86_64
L:OpenSSL
o:openssl

P:musl
V:1.1.22-r3
A:x86_64
L:MIT
o:musl

";

const CARGO_LOCK: &str = r#"version = 3

[[package]]
name = "app"
version = "0.1.0"
dependencies = ["smallvec 1.6.0", "smallvec 1.6.1"]

[[package]]
name = "smallvec"
version = "1.6.0"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "smallvec"
version = "1.6.1"
source = "registry+https://github.com/rust-lang/crates.io-index"
"#;

const GO_MOD: &str = "module example.com/app

go 1.20

require golang.org/x/net v0.0.0-20200202094626-16171245cfb2
";

/// Does the report hold a finding for `package@version` under `id` (primary or alias)?
fn has(report: &Value, package: &str, version: &str, id: &str) -> bool {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .any(|f| {
            f["package_name"] == package
                && f["installed_version"] == version
                && (f["id"] == id
                    || f["aliases"]
                        .as_array()
                        .is_some_and(|a| a.iter().any(|x| x == id)))
        })
}

#[test]
fn real_advisories_match_an_image_with_old_packages() {
    let Some(shared) = kura_testutil::shared_dir() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("vuln.db");
    let db_s = db.to_str().expect("utf-8");
    let vulndata = shared.join("vulndata");
    let out = kura(
        &[
            "db",
            "import",
            "--db",
            db_s,
            vulndata.to_str().expect("utf-8"),
        ],
        dir.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let base = tar_bytes(&[
        (
            "etc/os-release",
            b"NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.10.9\n",
            0o644,
        ),
        ("lib/apk/db/installed", APK_INSTALLED.as_bytes(), 0o644),
    ]);
    let app = tar_bytes(&[
        (
            "app/requirements.txt",
            b"django==2.2.0\nrequests==2.19.0\n",
            0o644,
        ),
        ("app/Cargo.lock", CARGO_LOCK.as_bytes(), 0o644),
        ("app/go.mod", GO_MOD.as_bytes(), 0o644),
    ]);
    let image = ImageBuilder::new()
        .layer(base, Compression::Gzip, "ADD alpine-minirootfs.tar.gz /")
        .empty_history("CMD [\"/bin/sh\"]")
        .layer(app, Compression::Zstd, "COPY app /app")
        .build();
    let path = dir.path().join("image.tar");
    std::fs::write(&path, image.docker_archive(DockerArchiveFormat::OciLayout)).expect("write");

    let out = kura(
        &[
            "scan",
            "image",
            path.to_str().expect("utf-8"),
            "--db",
            db_s,
            "--offline",
            "--no-cache",
            "--format",
            "json",
        ],
        dir.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");

    // Alpine secdb v3.10: openssl 1.1.1d-r0 fixes CVE-2019-1547.
    assert!(has(&report, "openssl", "1.1.1c-r0", "CVE-2019-1547"));
    // PyPA: PYSEC-2018-28 (CVE-2018-18074), fixed in requests 2.20.0.
    assert!(has(&report, "requests", "2.19.0", "PYSEC-2018-28"));
    // PyPA: CVE-2019-12308 in Django 2.2.0.
    assert!(has(&report, "django", "2.2.0", "CVE-2019-12308"));
    // RustSec: RUSTSEC-2021-0003 affects smallvec 1.6.0, not 1.6.1.
    assert!(has(&report, "smallvec", "1.6.0", "RUSTSEC-2021-0003"));
    assert!(!has(&report, "smallvec", "1.6.1", "RUSTSEC-2021-0003"));
    // Go: GO-2021-0238 (CVE-2021-33194) in golang.org/x/net before 2021-05-20.
    assert!(has(
        &report,
        "golang.org/x/net",
        "v0.0.0-20200202094626-16171245cfb2",
        "GO-2021-0238"
    ));
    // Alpine advisories are per branch: nothing from v3.11 leaks into a 3.10 image, and the
    // fixed version reported for openssl is the v3.10 one.
    let openssl_fix = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["package_name"] == "openssl" && f["id"] == "CVE-2019-1547")
        .map(|f| f["fixed_version"].clone());
    assert_eq!(openssl_fix, Some(Value::from("1.1.1d-r0")));
}
