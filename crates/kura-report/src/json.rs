//! kura's own JSON: the serde form of [`Inventory`] and [`ScanReport`].
//!
//! Both documents carry `schema_version`; the JSON Schemas are `docs/schemas/inventory.schema.json`
//! and `docs/schemas/report.schema.json`. The version changes when a field is removed or changes
//! meaning; added optional fields do not change it.

use crate::{Format, RenderOptions, ReportError, util};
use kura_types::{Inventory, ScanReport};
use serde_json::Value;
use std::io::Write;

/// `schema_version` of the inventory document (`kura sbom --format json`).
pub const INVENTORY_SCHEMA_VERSION: u32 = 1;
/// `schema_version` of the report document (`kura scan --format json`).
pub const REPORT_SCHEMA_VERSION: u32 = 1;

/// The inventory with `schema_version`, `kura_version` and `created` in front of its fields.
pub fn inventory_value(inv: &Inventory, opts: &RenderOptions) -> Result<Value, ReportError> {
    let created = util::utc_timestamp(&opts.now)?;
    let mut doc = serde_json::Map::new();
    doc.insert("schema_version".into(), INVENTORY_SCHEMA_VERSION.into());
    doc.insert("kura_version".into(), opts.kura_version.clone().into());
    doc.insert("created".into(), created.into());
    match serde_json::to_value(inv).map_err(json_err)? {
        Value::Object(fields) => doc.extend(fields),
        other => {
            doc.insert("inventory".into(), other);
        }
    }
    Ok(Value::Object(doc))
}

/// The report as serde writes it, stamped with the schema version this writer produces (the
/// writer owns the wire format). A report that has no `created` or `kura_version` yet gets the
/// render time and version, so the document always satisfies its schema.
pub fn report_value(report: &ScanReport, opts: &RenderOptions) -> Result<Value, ReportError> {
    let mut v = serde_json::to_value(report).map_err(json_err)?;
    if let Some(obj) = v.as_object_mut() {
        obj.insert("schema_version".into(), REPORT_SCHEMA_VERSION.into());
        if report.created.is_empty() {
            obj.insert("created".into(), util::utc_timestamp(&opts.now)?.into());
        }
        if report.kura_version.is_empty() {
            obj.insert("kura_version".into(), opts.kura_version.clone().into());
        }
    }
    Ok(v)
}

fn json_err(source: serde_json::Error) -> ReportError {
    ReportError::Json {
        format: Format::Json,
        source,
    }
}

/// Pretty-print `v` followed by a newline.
pub fn write_value(w: &mut dyn Write, v: &Value, format: Format) -> Result<(), ReportError> {
    serde_json::to_writer_pretty(&mut *w, v).map_err(|source| {
        if source.is_io() {
            ReportError::Io {
                format,
                source: source.into(),
            }
        } else {
            ReportError::Json { format, source }
        }
    })?;
    w.write_all(b"\n")
        .map_err(|source| ReportError::Io { format, source })
}
