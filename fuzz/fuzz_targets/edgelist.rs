//! Edge list (`format = "edgelist"`): a graph whose channels join existing nodes, or an error naming the file.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match pcnsim::topology::import::parse_edgelist(Path::new("fuzz.edgelist"), text) {
        Ok(g) => {
            assert!(!g.channels.is_empty());
            let n = g.nodes.len() as u32;
            assert!(g.channels.iter().all(|c| c.nodes[0] < n && c.nodes[1] < n));
        }
        Err(e) => assert!(e.to_string().starts_with("fuzz.edgelist"), "{e}"),
    }
});
