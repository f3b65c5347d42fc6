//! What each format says about the fixture: references resolve, facts land in the right
//! fields, output is deterministic, tables are readable and safe for a terminal.

mod common;

use kura_report::{Format, RenderOptions, ReportError, write_inventory, write_report};
use serde_json::Value;
use std::collections::HashSet;

fn opts() -> RenderOptions {
    RenderOptions::new(common::NOW)
}

fn report_json(f: Format) -> Value {
    let mut out = Vec::new();
    write_report(&mut out, &common::report(), f, &opts()).unwrap();
    serde_json::from_slice(&out).unwrap()
}

fn inv_json(f: Format) -> Value {
    let mut out = Vec::new();
    write_inventory(&mut out, &common::inventory(), f, &opts()).unwrap();
    serde_json::from_slice(&out).unwrap()
}

fn report_text(color: bool) -> String {
    let mut out = Vec::new();
    let o = RenderOptions { color, ..opts() };
    write_report(&mut out, &common::report(), Format::Table, &o).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn format_names_parse_with_aliases() {
    for (name, want) in [
        ("table", Format::Table),
        ("JSON", Format::Json),
        ("cyclonedx", Format::CycloneDx),
        ("cyclonedx-json", Format::CycloneDx),
        ("cdx", Format::CycloneDx),
        ("spdx", Format::Spdx),
        ("spdx-json", Format::Spdx),
        ("sarif", Format::Sarif),
    ] {
        assert_eq!(name.parse::<Format>().unwrap(), want, "{name}");
    }
    for f in Format::ALL {
        assert_eq!(f.as_str().parse::<Format>().unwrap(), *f);
    }
    let err = "xml".parse::<Format>().unwrap_err();
    assert!(err.to_string().contains("`xml`"), "{err}");
}

#[test]
fn every_format_is_byte_identical_across_runs() {
    for f in Format::ALL {
        let render = || {
            let mut out = Vec::new();
            write_report(&mut out, &common::report(), *f, &opts()).unwrap();
            out
        };
        assert_eq!(render(), render(), "{f}");
    }
}

#[test]
fn sarif_is_refused_for_an_inventory_and_bad_times_are_errors() {
    let mut out = Vec::new();
    let err = write_inventory(&mut out, &common::inventory(), Format::Sarif, &opts()).unwrap_err();
    assert!(matches!(err, ReportError::Unsupported { .. }), "{err}");
    let bad = RenderOptions::new("last tuesday");
    let err = write_inventory(&mut out, &common::inventory(), Format::CycloneDx, &bad).unwrap_err();
    assert!(
        matches!(err, ReportError::InvalidTime { ref value, .. } if value == "last tuesday"),
        "{err}"
    );
}

#[test]
fn cyclonedx_components_carry_refs_purls_licenses_and_layer_properties() {
    let bom = inv_json(Format::CycloneDx);
    let inv = common::inventory();
    let comps = bom["components"].as_array().unwrap();
    assert_eq!(comps[0]["type"], "operating-system");
    assert_eq!(comps[0]["name"], "debian");
    let libs: Vec<&Value> = comps.iter().filter(|c| c["type"] == "library").collect();
    assert_eq!(libs.len(), inv.packages.len());
    for (c, p) in libs.iter().zip(&inv.packages) {
        assert_eq!(c["bom-ref"], p.key());
        assert_eq!(c["purl"], p.purl);
    }
    let prop = |c: &Value, name: &str| -> Option<String> {
        c["properties"]
            .as_array()?
            .iter()
            .find(|p| p["name"] == name)
            .map(|p| p["value"].as_str().unwrap().to_string())
    };
    let openssl = libs[0];
    assert_eq!(
        openssl["licenses"],
        serde_json::json!([{ "license": { "id": "Apache-2.0" } }])
    );
    assert_eq!(prop(openssl, "kura:layer:index").as_deref(), Some("0"));
    assert_eq!(
        prop(openssl, "kura:layer:diff_id"),
        inv.packages[0].location.layer_diff_id
    );
    assert_eq!(
        prop(openssl, "kura:source:path").as_deref(),
        Some("/var/lib/dpkg/status")
    );
    assert_eq!(
        prop(openssl, "kura:package:source_name").as_deref(),
        Some("openssl")
    );
    assert_eq!(prop(openssl, "kura:layer:base").as_deref(), Some("true"));
    // libc6: free text mixed with an SPDX id → license objects, names kept verbatim.
    assert_eq!(
        libs[1]["licenses"],
        serde_json::json!([
            { "license": { "name": "GPL-2+" } },
            { "license": { "name": "LGPL-2.1+" } },
            { "license": { "id": "MIT" } },
        ])
    );
    // Maven coordinates split into group and name; free-text license → name.
    assert_eq!(libs[2]["group"], "org.apache.logging.log4j");
    assert_eq!(libs[2]["name"], "log4j-core");
    assert_eq!(
        libs[2]["licenses"][0]["license"]["name"],
        "Apache License, Version 2.0"
    );
    // npm scope is the group; two valid expressions become one expression.
    assert_eq!(libs[3]["group"], "@babel");
    assert_eq!(libs[3]["name"], "core");
    assert_eq!(
        libs[3]["licenses"],
        serde_json::json!([{ "expression": "(MIT OR Apache-2.0) AND BSD-3-Clause" }])
    );
    assert_eq!(prop(libs[3], "kura:package:dev").as_deref(), Some("true"));
    assert!(libs[4].get("licenses").is_none());
    assert_eq!(
        libs[5]["licenses"],
        serde_json::json!([{ "expression": "GPL-2.0+" }])
    );
}

#[test]
fn cyclonedx_metadata_names_the_image_and_the_tool() {
    let bom = inv_json(Format::CycloneDx);
    let m = &bom["metadata"];
    assert_eq!(m["timestamp"], common::NOW);
    assert_eq!(m["tools"]["components"][0]["name"], "kura");
    assert_eq!(m["component"]["type"], "container");
    assert_eq!(
        m["component"]["version"],
        format!("sha256:{}", "a".repeat(64))
    );
    assert_eq!(
        m["component"]["purl"],
        format!(
            "pkg:oci/app@sha256:{}?arch=amd64&repository_url=registry.example.com%2Fteam%2Fapp&tag=1.2",
            "a".repeat(64)
        )
    );
    // The serial number changes with time, the bom-refs do not.
    let later = {
        let mut out = Vec::new();
        write_inventory(
            &mut out,
            &common::inventory(),
            Format::CycloneDx,
            &RenderOptions::new("2026-03-05T00:00:00Z"),
        )
        .unwrap();
        serde_json::from_slice::<Value>(&out).unwrap()
    };
    assert_ne!(later["serialNumber"], bom["serialNumber"]);
    assert_eq!(later["components"], bom["components"]);
}

#[test]
fn cyclonedx_vulnerabilities_point_at_components_and_carry_vex() {
    let bom = report_json(Format::CycloneDx);
    let refs: HashSet<&str> = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["bom-ref"].as_str().unwrap())
        .collect();
    let vulns = bom["vulnerabilities"].as_array().unwrap();
    for v in vulns {
        for a in v["affects"].as_array().unwrap() {
            assert!(
                refs.contains(a["ref"].as_str().unwrap()),
                "dangling ref {}",
                a["ref"]
            );
        }
    }
    let by_id = |id: &str| vulns.iter().find(|v| v["id"] == id).unwrap();
    // One vulnerability object for one ID across two packages.
    let v = by_id("CVE-2023-5678");
    assert_eq!(v["affects"].as_array().unwrap().len(), 2);
    assert_eq!(
        vulns.iter().filter(|v| v["id"] == "CVE-2023-5678").count(),
        1
    );
    let v = by_id("CVE-2024-0727");
    assert_eq!(v["ratings"][0]["score"], 5.5);
    assert_eq!(v["ratings"][0]["method"], "CVSSv31");
    assert_eq!(v["ratings"][0]["source"]["name"], "nvd");
    assert_eq!(v["ratings"][1]["method"], "other");
    assert_eq!(v["references"][0]["id"], "DSA-5678-1");
    assert_eq!(
        v["advisories"],
        serde_json::json!([{ "url": "https://www.openssl.org/news/secadv/20240125.txt" }])
    );
    assert_eq!(v["published"], "2024-01-26T09:15:00Z");
    assert!(
        v["recommendation"]
            .as_str()
            .unwrap()
            .contains("to 3.0.13-1~deb12u1")
    );
    assert_eq!(
        v["affects"][0]["versions"][1],
        serde_json::json!({ "version": "3.0.13-1~deb12u1", "status": "unaffected" })
    );
    assert_eq!(by_id("CVE-2023-5678")["published"], "2023-11-06T00:00:00Z");
    let vex = &by_id("GHSA-67hx-6x53-jw92")["analysis"];
    assert_eq!(vex["state"], "not_affected");
    assert_eq!(vex["justification"], "code_not_reachable");
    let ignored = &by_id("CVE-2023-32681")["analysis"];
    assert!(
        ignored.get("state").is_none(),
        "an ignore entry asserts nothing about exploitability"
    );
    assert!(
        ignored["detail"]
            .as_str()
            .unwrap()
            .contains(".kuraignore:3")
    );
    assert!(by_id("CVE-2021-44228").get("analysis").is_none());
}

#[test]
fn spdx_document_is_deterministic_and_complete() {
    let doc = inv_json(Format::Spdx);
    let ns = doc["documentNamespace"].as_str().unwrap();
    assert!(
        ns.starts_with("https://spdx.org/spdxdocs/kura-registry.example.com-team-app-1.2-"),
        "{ns}"
    );
    // Same image, same kura → same namespace, whatever the time.
    let mut out = Vec::new();
    write_inventory(
        &mut out,
        &common::inventory(),
        Format::Spdx,
        &RenderOptions::new("2027-01-01T00:00:00Z"),
    )
    .unwrap();
    let other: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(other["documentNamespace"], ns);
    let mut v2 = opts();
    v2.kura_version = "9.9.9".into();
    out.clear();
    write_inventory(&mut out, &common::inventory(), Format::Spdx, &v2).unwrap();
    let other: Value = serde_json::from_slice(&out).unwrap();
    assert_ne!(other["documentNamespace"], ns);

    assert_eq!(doc["creationInfo"]["created"], common::NOW);
    let pkgs = doc["packages"].as_array().unwrap();
    let ids: HashSet<&str> = pkgs.iter().map(|p| p["SPDXID"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), pkgs.len(), "SPDXIDs are unique");
    for r in doc["relationships"].as_array().unwrap() {
        let to = r["relatedSpdxElement"].as_str().unwrap();
        assert!(ids.contains(to), "relationship to unknown {to}");
    }
    let rels: Vec<&str> = doc["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["relationshipType"].as_str().unwrap())
        .collect();
    assert_eq!(rels[0], "DESCRIBES");
    assert_eq!(
        rels.iter().filter(|r| **r == "CONTAINS").count(),
        pkgs.len() - 1
    );
    let find = |name: &str| pkgs.iter().find(|p| p["name"] == name).unwrap();
    let libc = find("libc6");
    assert_eq!(
        libc["licenseDeclared"],
        "LicenseRef-GPL-2 AND LGPL-2.1+ AND MIT"
    );
    assert_eq!(libc["downloadLocation"], "NOASSERTION");
    assert_eq!(libc["externalRefs"][0]["referenceType"], "purl");
    assert_eq!(
        libc["externalRefs"][0]["referenceLocator"],
        common::inventory().packages[1].purl
    );
    assert_eq!(find("requests")["licenseDeclared"], "NOASSERTION");
    assert_eq!(
        find("@babel/core")["licenseDeclared"],
        "(MIT OR Apache-2.0) AND BSD-3-Clause"
    );
    let extracted: Vec<&str> = doc["hasExtractedLicensingInfos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["extractedText"].as_str().unwrap())
        .collect();
    assert!(extracted.contains(&"GPL-2+") && extracted.contains(&"Apache License, Version 2.0"));
    let comments: Vec<&str> = find("openssl")["annotations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["comment"].as_str().unwrap())
        .collect();
    assert!(comments.contains(&"kura:layer:index=0"), "{comments:?}");
}

#[test]
fn sarif_rules_rank_by_cvss_and_results_say_what_to_upgrade() {
    let log = report_json(Format::Sarif);
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let unique: HashSet<&&str> = ids.iter().collect();
    assert_eq!(ids.len(), unique.len(), "one rule per vulnerability id");
    let rule = |id: &str| rules.iter().find(|r| r["id"] == id).unwrap();
    assert_eq!(
        rule("CVE-2021-44228")["properties"]["security-severity"],
        "10.0"
    );
    assert_eq!(
        rule("CVE-2024-0727")["properties"]["security-severity"],
        "5.5"
    );
    // No CVSS score: a value inside the severity's band.
    assert_eq!(
        rule("CVE-2010-4756")["properties"]["security-severity"],
        "2.0"
    );
    assert_eq!(rule("CVE-2021-44228")["helpUri"], Value::Null);
    assert_eq!(
        rule("CVE-2024-0727")["helpUri"],
        "https://www.openssl.org/news/secadv/20240125.txt"
    );
    assert!(
        rule("CVE-2021-44228")["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("Log4Shell \\| remote")
    );
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), common::report().findings.len());
    for r in results {
        let i = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], r["ruleId"]);
    }
    let log4j = &results[0];
    assert_eq!(log4j["level"], "error");
    assert_eq!(
        log4j["message"]["text"],
        "CRITICAL CVE-2021-44228 in package org.apache.logging.log4j:log4j-core 2.14.1 → 2.15.0: Log4Shell | remote code execution"
    );
    assert_eq!(
        log4j["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "app/lib/log4j-core-2.14.1.jar"
    );
    let babel = results
        .iter()
        .find(|r| r["ruleId"] == "GHSA-67hx-6x53-jw92")
        .unwrap();
    assert_eq!(
        babel["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "app/my%20app/package-lock.json"
    );
    assert_eq!(babel["suppressions"][0]["kind"], "external");
    assert!(
        babel["suppressions"][0]["justification"]
            .as_str()
            .unwrap()
            .starts_with("not_affected: vulnerable_code_not_in_execute_path")
    );
    let levels: Vec<&str> = results
        .iter()
        .map(|r| r["level"].as_str().unwrap())
        .collect();
    assert_eq!(
        levels,
        [
            "error", "error", "error", "error", "warning", "warning", "note", "note"
        ]
    );
    let unfixed = results
        .iter()
        .find(|r| r["ruleId"] == "CVE-2010-4756")
        .unwrap();
    assert!(
        unfixed["message"]["text"]
            .as_str()
            .unwrap()
            .contains("(the vendor will not fix)")
    );
}

#[test]
fn kura_json_round_trips_into_the_shared_types() {
    let v = report_json(Format::Json);
    assert_eq!(v["schema_version"], kura_report::REPORT_SCHEMA_VERSION);
    let back: kura_types::ScanReport = serde_json::from_value(v).unwrap();
    assert_eq!(back, common::report());
    let v = inv_json(Format::Json);
    assert_eq!(v["schema_version"], kura_report::INVENTORY_SCHEMA_VERSION);
    assert_eq!(v["created"], common::NOW);
    let back: kura_types::Inventory = serde_json::from_value(v).unwrap();
    assert_eq!(back, common::inventory());
}

#[test]
fn report_table_groups_by_package_and_summarises() {
    let t = report_text(false);
    let lines: Vec<&str> = t.lines().collect();
    assert_eq!(
        lines[0],
        format!(
            "Target: registry.example.com/team/app:1.2 (registry) sha256:{}",
            "a".repeat(64)
        )
    );
    assert_eq!(
        lines[1],
        "OS: debian 12.5 (Debian GNU/Linux 12 (bookworm)) — end of life 2028-06-10"
    );
    assert_eq!(
        lines[2],
        "Total: 6 (CRITICAL: 1, HIGH: 2, MEDIUM: 1, LOW: 1, UNKNOWN: 1), 2 suppressed"
    );
    assert_eq!(
        lines[4],
        "org.apache.logging.log4j:log4j-core 2.14.1 → 2.15.0  [Maven, layer 1, /app/lib/log4j-core-2.14.1.jar]"
    );
    assert_eq!(
        lines[5],
        "  CRITICAL  CVE-2021-44228       Log4Shell | remote code execution"
    );
    // Worst first; the same package's findings stay together.
    let pos = |needle: &str| {
        t.find(needle)
            .unwrap_or_else(|| panic!("{needle} missing:\n{t}"))
    };
    assert!(
        pos("libc6 2.36-9+deb12u3 → 2.36-9+deb12u4")
            < pos("openssl 3.0.11-1~deb12u2 → 3.0.13-1~deb12u1")
    );
    assert!(pos("  HIGH      CVE-2023-5678") < pos("  MEDIUM    CVE-2024-0727"));
    assert!(t.contains("  LOW       CVE-2010-4756        glibc: glob implementation can cause excessive CPU and memory consumption"));
    assert!(
        t.contains("evil?[2Jname 1.0 (no fix)  [npm, /app/é/package.json]"),
        "{t}"
    );
    assert!(t.contains("Fixes:\n  upgrade org.apache.logging.log4j:log4j-core to 2.15.0: clears 1 finding (1 critical)\n  upgrade openssl to 3.0.13-1~deb12u1: clears 2 findings (1 high)\n"));
    assert!(t.contains("Suppressed:\n  GHSA-67hx-6x53-jw92 in @babel/core 7.22.0 — vex not_affected (vex.json statement 1): vulnerable_code_not_in_execute_path: build-time only\n"));
    assert!(t.contains("  CVE-2023-32681 in requests 2.25.0 — ignore-file (.kuraignore:3): no proxies in use (until 2026-12-31)"));
    assert!(t.contains("Expired ignore entries (they no longer suppress):\n  .kuraignore:9: CVE-2020-0001 expired on 2025-01-01"));
    assert!(!t.contains('\x1b'), "no escape codes without colour:\n{t}");
}

#[test]
fn report_table_colours_only_when_asked_and_never_passes_escapes_through() {
    let t = report_text(true);
    assert!(t.contains("\x1b[1;31mCRITICAL"), "{t}");
    assert!(t.contains("\x1b[32m2.15.0\x1b[0m"));
    assert!(
        !t.contains("\x1b[2J"),
        "package names cannot clear the screen"
    );
}

#[test]
fn empty_report_says_nothing_was_found() {
    let mut out = Vec::new();
    write_report(
        &mut out,
        &kura_types::ScanReport::default(),
        Format::Table,
        &opts(),
    )
    .unwrap();
    let t = String::from_utf8(out).unwrap();
    assert!(t.contains("Total: 0 (CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, UNKNOWN: 0)\n\nNo vulnerabilities found.\n"), "{t}");
}

#[test]
fn inventory_table_lists_packages_with_layer_and_path() {
    let mut out = Vec::new();
    write_inventory(&mut out, &common::inventory(), Format::Table, &opts()).unwrap();
    let t = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = t.lines().collect();
    assert_eq!(
        lines[1],
        "OS: debian 12.5 (Debian GNU/Linux 12 (bookworm)) — end of life 2028-06-10"
    );
    assert_eq!(lines[2], "Layers: 3");
    assert!(
        lines[4].starts_with("NAME  ") && lines[4].ends_with("LAYER  PATH"),
        "{}",
        lines[4]
    );
    let header_path = lines[4].find("PATH").unwrap();
    let openssl = lines[5];
    assert!(openssl.starts_with("openssl "), "{openssl}");
    assert_eq!(
        openssl.find("/var/lib/dpkg/status"),
        Some(header_path),
        "columns align"
    );
    assert!(openssl.contains(" deb "));
    assert!(t.contains("\n6 packages\n"));
    assert!(t.contains(&format!(
        "warning: sha256:{} /app/broken/package.json: truncated JSON",
        "2".repeat(64)
    )));
}

/// A writer that fails, as a closed pipe does.
struct Broken;
impl std::io::Write for Broken {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn write_failures_surface_as_io_errors_for_every_format() {
    for f in Format::ALL {
        let err = write_report(&mut Broken, &common::report(), *f, &opts()).unwrap_err();
        match err {
            ReportError::Io { source, .. } => {
                assert_eq!(source.kind(), std::io::ErrorKind::BrokenPipe, "{f}")
            }
            other => panic!("{f}: {other}"),
        }
    }
}

#[test]
fn one_long_package_name_does_not_widen_every_row_of_the_inventory_table() {
    let mut inv = common::inventory();
    let long = "example.com/".to_string() + &"deeply/nested/module/".repeat(6);
    let mut p = inv.packages[0].clone();
    p.name = long.clone();
    inv.packages.push(p);
    let mut out = Vec::new();
    write_inventory(
        &mut out,
        &inv,
        Format::Table,
        &RenderOptions::new("2026-01-01T00:00:00Z"),
    )
    .expect("render");
    let text = String::from_utf8(out).expect("utf-8");
    let header = text
        .lines()
        .find(|l| l.starts_with("NAME"))
        .expect("header");
    let version_col = header.find("VERSION").expect("VERSION column");
    assert!(version_col <= 42, "{header}");
    assert!(text.contains(&long), "long names are printed whole");
}
