//! Scenario files, sweeps included: any text gives a scenario or an error naming the file,
//! never a panic, a hang or a blow-up (see `pcnsim::error::limits`).
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Data files named by the scenario resolve against a directory that does not exist:
    // they are reported as unreadable, never read from the machine.
    if let Err(e) =
        pcnsim::sweep::load_str(text, "fuzz.toml", Path::new("/nonexistent-fuzz-dir"), None)
    {
        let msg = e.to_string();
        assert!(msg.contains("fuzz"), "the error names no file: {msg}");
    }
});
