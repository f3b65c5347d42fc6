//! The purl parser used for VEX products and ignore entries; a parsed purl matches itself.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data)
        && let Some(p) = kura_policy::purl::parse(s)
    {
        assert!(kura_policy::purl::matches(&p, &p));
    }
});
