//! Amounts CSV (`workload.amounts_csv`): amounts or an error naming the file.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match pcnsim::workload::parse_amounts(text, Path::new("fuzz.csv")) {
        Ok(v) => assert!(!v.is_empty() && v.iter().all(|a| a.0 > 0)),
        Err(e) => assert!(e.to_string().starts_with("fuzz.csv"), "{e}"),
    }
});
