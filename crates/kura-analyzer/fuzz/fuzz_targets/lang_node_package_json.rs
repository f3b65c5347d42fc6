#![no_main]

use kura_analyzer::{Analyzer, FileInput};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let input = FileInput {
        path: "app/node_modules/a/package.json",
        mode: 0o100755,
        data,
    };
    let _ = kura_analyzer::lang::node_package_json::NodePackageJson.analyze(&input);
});
