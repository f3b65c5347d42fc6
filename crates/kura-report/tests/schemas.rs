//! Output validated against the official CycloneDX 1.6, SPDX 2.3 and SARIF 2.1.0 JSON Schemas
//! (committed under `tests/schemas/`, see its README) and against kura's own schemas in
//! `docs/schemas/`. Formats are validated too (`date-time`, `uri`…): consumers check them.

mod common;

use kura_report::{Format, RenderOptions, write_inventory, write_report};
use kura_types::{Inventory, ScanReport};
use serde_json::Value;
use std::path::PathBuf;

fn load(path: PathBuf) -> Value {
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn schema(name: &str) -> Value {
    load(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/schemas")
            .join(name),
    )
}

fn kura_schema(name: &str) -> Value {
    load(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../docs/schemas")
            .join(name),
    )
}

fn validator(root: &Value, extra: &[(&str, Value)]) -> jsonschema::Validator {
    let mut registry = jsonschema::Registry::new();
    for (uri, doc) in extra {
        registry = registry
            .add(*uri, doc.clone())
            .expect("add schema resource");
    }
    let registry = registry.prepare().expect("prepare registry");
    jsonschema::options()
        .should_validate_formats(true)
        .with_registry(&registry)
        .build(root)
        .expect("schema compiles")
}

fn assert_valid(v: &jsonschema::Validator, doc: &Value, what: &str) {
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} is invalid:\n{}",
        errors.join("\n")
    );
}

fn render_inv(inv: &Inventory, f: Format) -> Value {
    let mut out = Vec::new();
    write_inventory(&mut out, inv, f, &RenderOptions::new(common::NOW)).expect("render");
    serde_json::from_slice(&out).expect("output is JSON")
}

fn render_report(r: &ScanReport, f: Format) -> Value {
    let mut out = Vec::new();
    write_report(&mut out, r, f, &RenderOptions::new(common::NOW)).expect("render");
    serde_json::from_slice(&out).expect("output is JSON")
}

fn cyclonedx_validator() -> jsonschema::Validator {
    validator(
        &schema("bom-1.6.schema.json"),
        &[
            (
                "http://cyclonedx.org/schema/spdx.schema.json",
                schema("spdx.schema.json"),
            ),
            (
                "http://cyclonedx.org/schema/jsf-0.82.schema.json",
                schema("jsf-0.82.schema.json"),
            ),
        ],
    )
}

/// Documents covering the corner cases: the rich fixture, an empty inventory, a bare directory.
fn inventories() -> Vec<(&'static str, Inventory)> {
    let mut dir = common::inventory();
    dir.target = kura_types::Target {
        name: "./src".into(),
        kind: "fs".into(),
        ..Default::default()
    };
    dir.os = None;
    dir.layers.clear();
    vec![
        ("fixture", common::inventory()),
        ("empty", Inventory::default()),
        ("directory", dir),
    ]
}

#[test]
fn cyclonedx_sbom_and_report_follow_the_official_schema() {
    let v = cyclonedx_validator();
    for (name, inv) in inventories() {
        assert_valid(&v, &render_inv(&inv, Format::CycloneDx), name);
    }
    let doc = render_report(&common::report(), Format::CycloneDx);
    assert_valid(&v, &doc, "report");
    assert_valid(
        &v,
        &render_report(&ScanReport::default(), Format::CycloneDx),
        "empty report",
    );
}

#[test]
fn cyclonedx_validation_catches_a_broken_document() {
    // Guards the guard: a validator that accepts anything would make the test above useless.
    let v = cyclonedx_validator();
    let mut doc = render_report(&common::report(), Format::CycloneDx);
    doc["vulnerabilities"][0]["ratings"][0]["severity"] = "severe".into();
    assert!(!v.is_valid(&doc));
    let mut doc = render_inv(&common::inventory(), Format::CycloneDx);
    doc["components"][1]["licenses"][0]["license"]["id"] = "Not-A-License".into();
    assert!(!v.is_valid(&doc));
}

#[test]
fn spdx_document_follows_the_official_schema() {
    let v = validator(&schema("spdx-schema-2.3.json"), &[]);
    for (name, inv) in inventories() {
        assert_valid(&v, &render_inv(&inv, Format::Spdx), name);
    }
    assert_valid(
        &v,
        &render_report(&common::report(), Format::Spdx),
        "report",
    );
    let mut broken = render_inv(&common::inventory(), Format::Spdx);
    broken["relationships"][0]["relationshipType"] = "OWNS".into();
    assert!(!v.is_valid(&broken));
}

#[test]
fn sarif_log_follows_the_official_schema() {
    let v = validator(&schema("sarif-schema-2.1.0.json"), &[]);
    assert_valid(
        &v,
        &render_report(&common::report(), Format::Sarif),
        "report",
    );
    assert_valid(
        &v,
        &render_report(&ScanReport::default(), Format::Sarif),
        "empty report",
    );
    let mut broken = render_report(&common::report(), Format::Sarif);
    broken["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!v.is_valid(&broken));
}

#[test]
fn kura_json_follows_the_published_schemas() {
    let inv_schema = kura_schema("inventory.schema.json");
    let v = validator(&inv_schema, &[]);
    for (name, inv) in inventories() {
        assert_valid(&v, &render_inv(&inv, Format::Json), name);
    }
    let v = validator(
        &kura_schema("report.schema.json"),
        &[(
            "https://kura.invalid/schemas/inventory.schema.json",
            inv_schema,
        )],
    );
    assert_valid(
        &v,
        &render_report(&common::report(), Format::Json),
        "report",
    );
    assert_valid(
        &v,
        &render_report(&ScanReport::default(), Format::Json),
        "empty report",
    );
    let mut broken = render_report(&common::report(), Format::Json);
    broken["findings"][0]["fix_state"] = "maybe".into();
    assert!(!v.is_valid(&broken));
}
