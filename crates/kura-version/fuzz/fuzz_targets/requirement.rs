//! Every scheme's requirement parser, chosen by the first byte, then matched against a version.
#![no_main]

use kura_version::{Scheme, Version, VersionReq};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let (req, ver) = text.split_once('\n').unwrap_or((&text, "1.0.0"));
    let parsed = if usize::from(selector) % (Scheme::ALL.len() + 1) == Scheme::ALL.len() {
        VersionReq::parse_cargo(req)
    } else {
        VersionReq::parse(Scheme::ALL[usize::from(selector) % Scheme::ALL.len()], req)
    };
    if let Ok(r) = parsed
        && let Ok(v) = Version::parse(r.scheme(), ver)
    {
        let _ = r.matches(&v);
    }
});
