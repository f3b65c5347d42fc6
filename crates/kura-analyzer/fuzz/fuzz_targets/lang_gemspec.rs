#![no_main]

use kura_analyzer::{Analyzer, FileInput};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let input = FileInput {
        path: "usr/local/bundle/specifications/a-1.0.gemspec",
        mode: 0o100755,
        data,
    };
    let _ = kura_analyzer::lang::gemspec::Gemspec.analyze(&input);
});
