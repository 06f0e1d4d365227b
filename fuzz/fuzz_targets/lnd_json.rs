//! lnd `describegraph` JSON: a graph whose channels join existing nodes, or an error naming the file.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    match pcnsim::topology::import::parse_lnd_json(Path::new("fuzz.json"), data) {
        Ok(g) => {
            assert!(!g.channels.is_empty());
            let n = g.nodes.len() as u32;
            assert!(g.channels.iter().all(|c| c.nodes[0] < n && c.nodes[1] < n));
        }
        Err(e) => assert!(e.to_string().starts_with("fuzz.json"), "{e}"),
    }
});
