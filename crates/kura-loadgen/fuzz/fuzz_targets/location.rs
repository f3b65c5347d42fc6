#![no_main]
//! Upload `Location` header reduction on arbitrary text.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(p) = kura_loadgen::location::path_and_query(text) {
            assert!(p.starts_with('/') && !p.starts_with("//"));
            let _ = kura_loadgen::location::with_query(&p, "digest", "sha256:00");
        }
    }
});
