#![no_main]
//! Manifest validation must reject, never panic, on any body and media type.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (ct, body) = data.split_at(data.len().min(1));
    let media = match ct.first().map(|b| b % 5) {
        Some(0) => "application/vnd.oci.image.manifest.v1+json",
        Some(1) => "application/vnd.oci.image.index.v1+json",
        Some(2) => "application/vnd.docker.distribution.manifest.v2+json",
        Some(3) => "application/vnd.docker.distribution.manifest.list.v2+json",
        _ => "application/octet-stream",
    };
    let _ = kura_registry::routes::parse_manifest(media, body);
});
