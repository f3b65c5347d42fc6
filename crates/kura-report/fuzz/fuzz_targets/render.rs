//! Any inventory or report that deserializes must render in every format without panicking.
#![no_main]

use kura_report::{Format, RenderOptions, write_inventory, write_report};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = RenderOptions::new("2026-01-01T00:00:00Z");
    if let Ok(inv) = serde_json::from_slice::<kura_types::Inventory>(data) {
        for f in Format::ALL {
            let _ = write_inventory(&mut std::io::sink(), &inv, *f, &opts);
        }
    }
    if let Ok(report) = serde_json::from_slice::<kura_types::ScanReport>(data) {
        for f in Format::ALL {
            let _ = write_report(&mut std::io::sink(), &report, *f, &opts);
        }
    }
});
