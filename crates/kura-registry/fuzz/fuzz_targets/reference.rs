#![no_main]
//! Request paths, repository names, references and digests come straight from clients.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = kura_registry::names::parse_endpoint(s);
        let _ = kura_registry::names::RepoName::parse(s);
        let _ = kura_registry::names::Reference::parse(s);
        let _ = s.parse::<kura_registry::digest::Digest>();
    }
});
