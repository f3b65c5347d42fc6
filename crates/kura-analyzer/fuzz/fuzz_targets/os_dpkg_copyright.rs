#![no_main]
use kura_analyzer::{Analyzer, FileInput};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let input = FileInput {
        path: "usr/share/doc/bash/copyright",
        mode: 0o644,
        data,
    };
    let _ = kura_analyzer::os::DpkgCopyright.analyze(&input);
});
