#![no_main]

use kura_analyzer::{Analyzer, FileInput};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let input = FileInput {
        path: "app/packages.lock.json",
        mode: 0o100755,
        data,
    };
    let _ = kura_analyzer::lang::nuget_lock::NugetLock.analyze(&input);
});
