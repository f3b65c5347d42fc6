//! Fixtures: an inventory and a report that exercise every field the writers render.

#![allow(dead_code)]

use kura_types::*;

pub const NOW: &str = "2026-03-04T05:06:07Z";

fn pkg(
    name: &str,
    version: &str,
    eco: Ecosystem,
    purl: &str,
    licenses: &[&str],
    path: &str,
    layer: Option<usize>,
) -> Package {
    Package {
        name: name.into(),
        version: version.into(),
        ecosystem: eco,
        purl: purl.into(),
        licenses: licenses.iter().map(|s| s.to_string()).collect(),
        source_name: None,
        source_version: None,
        arch: None,
        dev: false,
        location: Location {
            path: path.into(),
            layer_index: layer,
            layer_diff_id: layer.map(|i| format!("sha256:{}", format!("{i}").repeat(64))),
        },
    }
}

pub fn inventory() -> Inventory {
    let mut openssl = pkg(
        "openssl",
        "3.0.11-1~deb12u2",
        Ecosystem::Deb,
        "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12",
        &["Apache-2.0"],
        "/var/lib/dpkg/status",
        Some(0),
    );
    openssl.source_name = Some("openssl".into());
    openssl.arch = Some("amd64".into());
    let mut libc = pkg(
        "libc6",
        "2.36-9+deb12u3",
        Ecosystem::Deb,
        "pkg:deb/debian/libc6@2.36-9%2Bdeb12u3?arch=amd64&distro=debian-12",
        &["GPL-2+", "LGPL-2.1+", "MIT"],
        "/var/lib/dpkg/status",
        Some(0),
    );
    libc.source_name = Some("glibc".into());
    libc.source_version = Some("2.36-9+deb12u3".into());
    let mut dev = pkg(
        "@babel/core",
        "7.22.0",
        Ecosystem::Npm,
        "pkg:npm/%40babel/core@7.22.0",
        &["MIT OR Apache-2.0", "BSD-3-Clause"],
        "/app/my app/package-lock.json",
        Some(2),
    );
    dev.dev = true;
    Inventory {
        target: Target {
            name: "registry.example.com/team/app:1.2".into(),
            kind: "registry".into(),
            manifest_digest: Some(format!("sha256:{}", "a".repeat(64))),
            config_digest: Some(format!("sha256:{}", "c".repeat(64))),
            platform: Some("linux/amd64".into()),
            tags: vec!["registry.example.com/team/app:1.2".into()],
            base_image: Some("debian:12".into()),
        },
        os: Some(OsInfo {
            id: "debian".into(),
            version: "12.5".into(),
            release: "12".into(),
            codename: Some("bookworm".into()),
            pretty_name: Some("Debian GNU/Linux 12 (bookworm)".into()),
            id_like: vec![],
            eol: Some("2028-06-10".into()),
            eol_reached: false,
            source_path: "/etc/os-release".into(),
        }),
        layers: (0..3)
            .map(|i| LayerInfo {
                index: i,
                diff_id: format!("sha256:{}", format!("{i}").repeat(64)),
                digest: None,
                size: 1000 * i as u64,
                created_by: Some(format!("RUN step {i}")),
                base: i == 0,
            })
            .collect(),
        packages: vec![
            openssl,
            libc,
            pkg(
                "org.apache.logging.log4j:log4j-core",
                "2.14.1",
                Ecosystem::Maven,
                "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
                &["Apache License, Version 2.0"],
                "/app/lib/log4j-core-2.14.1.jar",
                Some(1),
            ),
            dev,
            pkg(
                "requests",
                "2.25.0",
                Ecosystem::PyPI,
                "pkg:pypi/requests@2.25.0",
                &[],
                "/usr/lib/python3/dist-packages/requests-2.25.0.dist-info/METADATA",
                Some(1),
            ),
            // A hostile name: terminal escapes must not reach a TTY.
            pkg(
                "evil\u{1b}[2Jname",
                "1.0",
                Ecosystem::Npm,
                "pkg:npm/evil%1B%5B2Jname@1.0",
                &["GPL-2.0+"],
                "/app/é/package.json",
                None,
            ),
        ],
        warnings: vec![ScanWarning {
            path: Some("/app/broken/package.json".into()),
            layer: Some(format!("sha256:{}", "2".repeat(64))),
            analyzer: Some("npm".into()),
            message: "truncated JSON".into(),
        }],
    }
}

pub fn finding(
    inv: &Inventory,
    pkg_index: usize,
    id: &str,
    sev: Severity,
    fixed: Option<&str>,
) -> Finding {
    let p = &inv.packages[pkg_index];
    Finding {
        id: id.into(),
        aliases: vec![],
        package_key: p.key(),
        package_name: p.name.clone(),
        installed_version: p.version.clone(),
        ecosystem: p.ecosystem,
        purl: p.purl.clone(),
        fixed_version: fixed.map(String::from),
        fix_state: if fixed.is_some() {
            FixState::Fixed
        } else {
            FixState::Unfixed
        },
        severity: sev,
        severity_source: None,
        ratings: vec![],
        title: None,
        description: None,
        references: vec![],
        sources: vec![],
        published: None,
        location: p.location.clone(),
        in_base_layer: p.location.layer_index == Some(0),
        layer_created_by: None,
        suppressed: None,
    }
}

pub fn report() -> ScanReport {
    let inv = inventory();
    let mut f1 = finding(
        &inv,
        0,
        "CVE-2024-0727",
        Severity::Medium,
        Some("3.0.13-1~deb12u1"),
    );
    f1.aliases = vec!["DSA-5678-1".into()];
    f1.severity_source = Some("debian".into());
    f1.ratings = vec![
        Rating {
            source: "nvd".into(),
            method: "CVSSv31".into(),
            score: Some(5.5),
            severity: Severity::Medium,
            vector: Some("CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H".into()),
        },
        Rating {
            source: "debian".into(),
            method: "other".into(),
            score: None,
            severity: Severity::Medium,
            vector: None,
        },
    ];
    f1.title = Some("openssl: denial of service via null dereference".into());
    f1.description =
        Some("Processing a maliciously formatted PKCS12 file may lead OpenSSL to crash.".into());
    f1.references = vec![
        "https://www.openssl.org/news/secadv/20240125.txt".into(),
        "not a url".into(),
    ];
    f1.sources = vec!["debian-tracker".into()];
    f1.published = Some("2024-01-26T09:15:00Z".into());
    let mut f2 = finding(
        &inv,
        0,
        "CVE-2023-5678",
        Severity::High,
        Some("3.0.13-1~deb12u1"),
    );
    f2.ratings = vec![Rating {
        source: "nvd".into(),
        method: "CVSSv31".into(),
        score: Some(7.5),
        severity: Severity::High,
        vector: Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H".into()),
    }];
    f2.published = Some("2023-11-06".into());
    let mut f3 = finding(
        &inv,
        2,
        "CVE-2021-44228",
        Severity::Critical,
        Some("2.15.0"),
    );
    f3.aliases = vec!["GHSA-jfh8-c2jp-5v3q".into()];
    f3.title = Some("Log4Shell | remote code execution".into());
    f3.ratings = vec![Rating {
        source: "ghsa".into(),
        method: "CVSSv31".into(),
        score: Some(10.0),
        severity: Severity::Critical,
        vector: Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H".into()),
    }];
    f3.layer_created_by = Some("COPY lib /app/lib".into());
    let mut f4 = finding(&inv, 1, "CVE-2010-4756", Severity::Low, None);
    f4.fix_state = FixState::WontFix;
    f4.title =
        Some("glibc: glob implementation can cause excessive CPU\nand memory consumption".into());
    let mut f5 = finding(
        &inv,
        3,
        "GHSA-67hx-6x53-jw92",
        Severity::High,
        Some("7.23.2"),
    );
    f5.suppressed = Some(Suppression {
        kind: "vex".into(),
        reason: Some("vulnerable_code_not_in_execute_path: build-time only".into()),
        source: Some("vex.json statement 1".into()),
        status: Some("not_affected".into()),
    });
    let mut f6 = finding(&inv, 4, "CVE-2023-32681", Severity::Medium, Some("2.31.0"));
    f6.suppressed = Some(Suppression {
        kind: "ignore-file".into(),
        reason: Some("no proxies in use (until 2026-12-31)".into()),
        source: Some(".kuraignore:3".into()),
        status: None,
    });
    let f7 = finding(&inv, 5, "GHSA-xxxx-yyyy-zzzz", Severity::Unknown, None);
    // The same vulnerability in a second package, with a different fix.
    let mut f8 = finding(
        &inv,
        1,
        "CVE-2023-5678",
        Severity::High,
        Some("2.36-9+deb12u4"),
    );
    f8.ratings = f2.ratings.clone();
    ScanReport {
        schema_version: 1,
        kura_version: "0.1.0".into(),
        created: NOW.into(),
        findings: vec![f3, f2, f8, f5, f1, f6, f4, f7],
        fixes: vec![
            FixAdvice {
                package_name: "org.apache.logging.log4j:log4j-core".into(),
                ecosystem: Ecosystem::Maven,
                installed_version: "2.14.1".into(),
                fixed_version: "2.15.0".into(),
                clears: 1,
                clears_critical: 1,
                clears_high: 0,
            },
            FixAdvice {
                package_name: "openssl".into(),
                ecosystem: Ecosystem::Deb,
                installed_version: "3.0.11-1~deb12u2".into(),
                fixed_version: "3.0.13-1~deb12u1".into(),
                clears: 2,
                clears_critical: 0,
                clears_high: 1,
            },
        ],
        db: Some(serde_json::json!({"built": "2026-03-01T00:00:00Z", "schema": 1})),
        expired_ignores: vec![".kuraignore:9: CVE-2020-0001 expired on 2025-01-01".into()],
        inventory: inv,
    }
}
