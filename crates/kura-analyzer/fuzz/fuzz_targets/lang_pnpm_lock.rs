#![no_main]

use kura_analyzer::{Analyzer, FileInput};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let input = FileInput {
        path: "app/pnpm-lock.yaml",
        mode: 0o100755,
        data,
    };
    let _ = kura_analyzer::lang::pnpm_lock::PnpmLock.analyze(&input);
});
