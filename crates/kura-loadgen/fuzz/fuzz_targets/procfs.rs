#![no_main]
//! `/proc/PID/status` and `/proc/PID/stat` parsers on arbitrary text.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = kura_loadgen::procfs::parse_status(text);
        let _ = kura_loadgen::procfs::parse_stat_cpu_ticks(text);
    }
});
