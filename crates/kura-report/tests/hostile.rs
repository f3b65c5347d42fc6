//! Hostile and random input: whatever strings an image holds, every writer finishes without
//! panicking and the standard formats stay valid against their official schemas.

mod common;

use kura_report::{Format, RenderOptions, classify_license, write_inventory, write_report};
use kura_types::{Ecosystem, Inventory, Package, ScanReport, Severity};
use proptest::prelude::*;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::OnceLock;

fn schema(name: &str) -> Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/schemas")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

struct Validators {
    cdx: jsonschema::Validator,
    spdx: jsonschema::Validator,
    sarif: jsonschema::Validator,
}

fn validators() -> &'static Validators {
    static V: OnceLock<Validators> = OnceLock::new();
    V.get_or_init(|| {
        let registry = jsonschema::Registry::new()
            .add(
                "http://cyclonedx.org/schema/spdx.schema.json",
                schema("spdx.schema.json"),
            )
            .unwrap()
            .add(
                "http://cyclonedx.org/schema/jsf-0.82.schema.json",
                schema("jsf-0.82.schema.json"),
            )
            .unwrap()
            .prepare()
            .unwrap();
        let build = |s: Value| {
            jsonschema::options()
                .should_validate_formats(true)
                .with_registry(&registry)
                .build(&s)
                .unwrap()
        };
        Validators {
            cdx: build(schema("bom-1.6.schema.json")),
            spdx: build(schema("spdx-schema-2.3.json")),
            sarif: build(schema("sarif-schema-2.1.0.json")),
        }
    })
}

/// Strings mixing ASCII, control characters, separators, unicode and SPDX operators.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,24}",
        "\\PC{0,12}",
        prop::collection::vec(
            prop_oneof![
                Just("MIT".to_string()),
                Just("AND".to_string()),
                Just("OR".to_string()),
                Just("WITH".to_string()),
                Just("(".to_string()),
                Just(")".to_string()),
                Just("+".to_string()),
                Just("GPL-2.0".to_string()),
                Just("LLVM-exception".to_string()),
                Just("LicenseRef-x".to_string()),
                Just("\u{1b}[2J\u{1b}]0;title\u{7}".to_string()),
                Just("/".to_string()),
                Just("%".to_string()),
                Just("#".to_string()),
                Just("?".to_string()),
            ],
            0..6
        )
        .prop_map(|v| v.join(" ")),
    ]
}

fn package() -> impl Strategy<Value = Package> {
    (
        text(),
        text(),
        prop::sample::select(Ecosystem::ALL.to_vec()),
        text(),
        prop::collection::vec(text(), 0..3),
        text(),
        prop::option::of(0usize..4),
    )
        .prop_map(
            |(name, version, ecosystem, purl, licenses, path, layer)| Package {
                name,
                version,
                ecosystem,
                purl,
                licenses,
                source_name: None,
                source_version: None,
                arch: None,
                dev: false,
                location: kura_types::Location {
                    path,
                    layer_index: layer,
                    layer_diff_id: None,
                },
            },
        )
}

fn report_from(inv: Inventory, ids: Vec<String>, titles: Vec<String>) -> ScanReport {
    let mut findings = Vec::new();
    for (i, (id, title)) in ids.into_iter().zip(titles).enumerate() {
        if inv.packages.is_empty() {
            break;
        }
        let mut f = common::finding(
            &inv,
            i % inv.packages.len(),
            &id,
            Severity::High,
            Some(&title),
        );
        f.title = Some(title.clone());
        f.references = vec![title];
        f.published = Some(id);
        findings.push(f);
    }
    ScanReport {
        inventory: inv,
        findings,
        ..ScanReport::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn arbitrary_strings_render_to_schema_valid_documents(
        name in text(),
        packages in prop::collection::vec(package(), 0..5),
        ids in prop::collection::vec(text(), 0..4),
        titles in prop::collection::vec(text(), 0..4),
    ) {
        let mut inv = common::inventory();
        inv.target.name = name;
        inv.packages = packages;
        let opts = RenderOptions { color: true, ..RenderOptions::new(common::NOW) };
        let v = validators();
        let render = |f: Format| {
            let mut out = Vec::new();
            write_inventory(&mut out, &inv, f, &opts).unwrap();
            out
        };
        let _ = render(Format::Table);
        let cdx: Value = serde_json::from_slice(&render(Format::CycloneDx)).unwrap();
        prop_assert!(v.cdx.is_valid(&cdx), "{:?}", v.cdx.iter_errors(&cdx).map(|e| e.to_string()).collect::<Vec<_>>());
        let spdx: Value = serde_json::from_slice(&render(Format::Spdx)).unwrap();
        prop_assert!(v.spdx.is_valid(&spdx), "{:?}", v.spdx.iter_errors(&spdx).map(|e| e.to_string()).collect::<Vec<_>>());

        let report = report_from(inv.clone(), ids, titles);
        for f in Format::ALL {
            let mut out = Vec::new();
            write_report(&mut out, &report, *f, &opts).unwrap();
            if *f == Format::Table {
                let t = String::from_utf8(out).unwrap();
                let mut stripped = t.clone();
                for code in ["\x1b[0m", "\x1b[1m", "\x1b[2m", "\x1b[31m", "\x1b[1;31m", "\x1b[32m", "\x1b[33m", "\x1b[34m"] {
                    stripped = stripped.replace(code, "");
                }
                prop_assert!(!stripped.contains('\x1b'), "an escape from the input reached the terminal:\n{t}");
                continue;
            }
            let doc: Value = serde_json::from_slice(&out).unwrap();
            let validator = match f {
                Format::CycloneDx => &v.cdx,
                Format::Sarif => &v.sarif,
                Format::Spdx => &v.spdx,
                _ => continue,
            };
            prop_assert!(validator.is_valid(&doc), "{f}: {:?}", validator.iter_errors(&doc).map(|e| e.to_string()).collect::<Vec<_>>());
        }
    }

    #[test]
    fn license_classification_never_panics(s in "\\PC{0,64}") {
        let _ = classify_license(&s);
    }
}
