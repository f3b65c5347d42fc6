//! Every scheme's version parser, chosen by the first byte; parsed versions must order
//! consistently with themselves and with a second version.
#![no_main]

use kura_version::{Scheme, Version};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let scheme = Scheme::ALL[usize::from(selector) % Scheme::ALL.len()];
    let text = String::from_utf8_lossy(rest);
    let (a, b) = text.split_once('\n').unwrap_or((&text, "1.0"));
    if let (Ok(x), Ok(y)) = (Version::parse(scheme, a), Version::parse(scheme, b)) {
        assert_eq!(x.cmp(&x), std::cmp::Ordering::Equal);
        assert_eq!(x.cmp(&y), y.cmp(&x).reverse());
    }
});
