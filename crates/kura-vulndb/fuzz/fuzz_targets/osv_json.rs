//! OSV JSON advisories: any bytes yield an advisory or an error, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kura_vulndb::parse::parse_osv_json(data);
});
