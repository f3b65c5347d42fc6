//! CVSS vector parsing and scoring: any accepted vector scores within 0.0–10.0.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(s) = kura_cvss::score(&text) {
        assert!((0.0..=10.0).contains(&s.base));
    }
});
