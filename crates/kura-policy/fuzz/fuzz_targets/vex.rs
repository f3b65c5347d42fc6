//! The OpenVEX parser on arbitrary bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kura_policy::VexDocument::parse(data, "fuzz");
});
