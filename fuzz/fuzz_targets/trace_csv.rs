//! Payment trace CSV (`workload.trace`) against a three-node topology: arrivals in time
//! order between distinct existing nodes, or an error naming the file.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pcnsim::topology::Topology;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut topo = Topology::new();
    for name in ["alice", "bob", "carol"] {
        topo.add_node(name);
    }
    match pcnsim::workload::parse_trace(text, Path::new("fuzz.csv"), &topo) {
        Ok(v) => {
            assert!(v.windows(2).all(|w| w[0].time <= w[1].time));
            assert!(v.iter().all(|a| a.sender != a.receiver && a.receiver.0 < 3));
        }
        Err(e) => assert!(e.to_string().starts_with("fuzz.csv"), "{e}"),
    }
});
