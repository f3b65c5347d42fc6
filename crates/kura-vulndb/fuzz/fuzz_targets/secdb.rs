//! Alpine secdb, JSON and YAML.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kura_vulndb::parse::parse_secdb_json(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = kura_vulndb::parse::parse_secdb_yaml(text);
    }
});
