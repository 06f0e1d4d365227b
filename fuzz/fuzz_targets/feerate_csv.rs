//! Fee-rate series CSV (`chain.feerate_csv`): a non-decreasing series or an error naming
//! the file.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match pcnsim::chain::parse_feerates(text, Path::new("fuzz.csv")) {
        Ok(v) => assert!(!v.is_empty() && v.windows(2).all(|w| w[0].0 <= w[1].0)),
        Err(e) => assert!(e.to_string().starts_with("fuzz.csv"), "{e}"),
    }
});
