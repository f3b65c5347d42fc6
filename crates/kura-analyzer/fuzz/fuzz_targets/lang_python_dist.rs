#![no_main]

use kura_analyzer::{Analyzer, FileInput};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let input = FileInput {
        path: "usr/lib/python3/site-packages/a-1.0.dist-info/METADATA",
        mode: 0o100755,
        data,
    };
    let _ = kura_analyzer::lang::python_dist::PythonDist.analyze(&input);
});
