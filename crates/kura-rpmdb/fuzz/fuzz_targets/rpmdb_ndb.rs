#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok((blobs, _)) = kura_rpmdb::ndb::read_blobs(data) {
        for b in blobs {
            let _ = kura_rpmdb::RpmPackage::from_blob(&b.data);
        }
    }
});
