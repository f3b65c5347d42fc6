//! Feed arbitrary bytes to the layer walker as a layer tar, then flatten the result twice over
//! (so whiteouts and links of one layer act on the other) with every registered analyzer.
#![no_main]

use kura_walker::{Limits, flatten, walk_layer};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_layer_bytes: 1 << 20,
        ..Limits::default()
    };
    if let Ok(layer) = walk_layer(data, kura_analyzer::ANALYZERS, &limits) {
        let _ = flatten(&[layer.clone(), layer], &[]);
    }
});
