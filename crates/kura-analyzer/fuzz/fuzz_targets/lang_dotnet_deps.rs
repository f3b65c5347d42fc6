#![no_main]

use kura_analyzer::{Analyzer, FileInput};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let input = FileInput {
        path: "app/App.deps.json",
        mode: 0o100755,
        data,
    };
    let _ = kura_analyzer::lang::dotnet_deps::DotnetDeps.analyze(&input);
});
