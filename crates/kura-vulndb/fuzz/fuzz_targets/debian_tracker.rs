//! Debian security tracker JSON.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kura_vulndb::parse::parse_debian_tracker(data);
});
