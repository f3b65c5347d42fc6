#![no_main]

use kura_analyzer::{Analyzer, FileInput};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let input = FileInput {
        path: "app/app.war",
        mode: 0o100755,
        data,
    };
    let _ = kura_analyzer::lang::jar::JavaArchive.analyze(&input);
});
