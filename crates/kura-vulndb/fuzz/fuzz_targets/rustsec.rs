//! RustSec advisories (TOML front matter in Markdown).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = kura_vulndb::parse::parse_rustsec(text);
    }
});
