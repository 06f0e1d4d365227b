//! CLoTH snapshot (`format = "cloth"`): the input is split at 0xFF bytes (never in UTF-8) into
//! nodes_ln.csv, channels_ln.csv and edges_ln.csv; a graph or an error naming one of them.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|&b| b == 0xFF);
    let (nodes, channels, edges) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    match pcnsim::topology::import::parse_cloth(Path::new("fuzzdir"), nodes, channels, edges) {
        Ok(g) => {
            assert!(!g.channels.is_empty());
            let n = g.nodes.len() as u32;
            assert!(g.channels.iter().all(|c| c.nodes[0] < n && c.nodes[1] < n));
            assert!(g
                .channels
                .iter()
                .all(|c| c.balance.is_none_or(|b| b[0].0 + b[1].0 == c.capacity.0)));
        }
        Err(e) => assert!(e.to_string().starts_with("fuzzdir/"), "{e}"),
    }
});
