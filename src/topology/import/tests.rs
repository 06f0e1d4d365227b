//! Tests across formats: merging parallel channels, the component filter after an
//! import, and property tests feeding mutated fixtures, random bytes and random values to
//! every reader (each must give a graph or an error, never a panic).

use super::locate::{json_line, JPath};
use super::test_support::*;
use super::*;
use crate::rng::SimRng;
use crate::topology::config::{ComponentFilter, TopologyKind};
use crate::topology::{ChannelId, TopologyConfig};
use proptest::prelude::*;
use rand::SeedableRng;
use std::path::PathBuf;

#[test]
fn topology_import_merge_parallel() {
    // parallel.edgelist: a-b 100, b-c 10, b-a 300, a-b 50 (sat).
    let f = fill(BalanceSplit::Ratio(0.1));
    let mut src = source(ImportFormat::Edgelist, fixture("parallel.edgelist"), false);
    let t = import(&src, &f, &mut SimRng::seed_from_u64(1)).unwrap();
    assert_eq!(t.channel_count(), 4);
    src.merge_parallel = true;
    let t = import(&src, &f, &mut SimRng::seed_from_u64(1)).unwrap();
    assert_eq!(t.channel_count(), 2);
    let m = t.channel(ChannelId(0));
    assert_eq!(m.nodes, [NodeId(0), NodeId(1)]);
    assert_eq!(m.capacity, Msat(450_000));
    // The split is applied to the merged channel.
    assert_eq!(m.balance, [Msat(45_000), Msat(405_000)]);
    assert_eq!(t.channel(ChannelId(1)).capacity, Msat(10_000));

    // Balances and oriented policies at the raw level.
    let pol = |b| RawPolicy {
        base_fee: Some(b),
        ..RawPolicy::default()
    };
    let raw = RawGraph {
        nodes: vec!["a".into(), "b".into()],
        channels: vec![
            RawChannel {
                nodes: [0, 1],
                capacity: Msat(100),
                balance: Some([Msat(30), Msat(70)]),
                policy: [pol(1), pol(2)],
                label: Some("x".into()),
            },
            RawChannel {
                nodes: [1, 0],
                capacity: Msat(300),
                balance: Some([Msat(300), Msat(0)]),
                policy: [pol(3), pol(4)],
                label: Some("y".into()),
            },
        ],
    };
    let m = merge_parallel(raw);
    assert_eq!(m.channels.len(), 1);
    let ch = &m.channels[0];
    assert_eq!(ch.capacity, Msat(400));
    assert_eq!(ch.balance, Some([Msat(30), Msat(370)]));
    // Larger channel y's policy, flipped: its side 0 was node b.
    assert_eq!(
        (ch.policy[0].base_fee, ch.policy[1].base_fee),
        (Some(4), Some(3))
    );
    assert_eq!(ch.label.as_deref(), Some("y"));
}

#[test]
fn topology_import_components() {
    // two_components.edgelist: p-q first, then the x-y-z triangle.
    let mut c = TopologyConfig::new(TopologyKind::Import);
    c.format = Some(ImportFormat::Edgelist);
    c.component = ComponentFilter::LargestConnected;
    c.path = Some("two_components.edgelist".into());
    let spec = c.resolve(&fixture("")).unwrap();
    let t = crate::topology::build(&spec, &mut SimRng::seed_from_u64(1)).unwrap();
    assert_eq!((t.node_count(), t.channel_count()), (3, 3));
    let names: Vec<String> = (0..3).map(|i| t.node(NodeId(i)).name.clone()).collect();
    assert_eq!(names, ["x", "y", "z"]);
    assert_eq!(t.channel(ChannelId(0)).nodes, [NodeId(0), NodeId(1)]);
}

/// `text` with `len` bytes at `pos` (both taken modulo its length) replaced by `insert`,
/// cut at char boundaries.
fn mutate(text: &str, pos: usize, len: usize, insert: &str) -> String {
    let mut a = pos % (text.len() + 1);
    while !text.is_char_boundary(a) {
        a -= 1;
    }
    let mut b = (a + len % 16).min(text.len());
    while !text.is_char_boundary(b) {
        b -= 1;
    }
    format!("{}{insert}{}", &text[..a], &text[b.max(a)..])
}

/// The fixture files an import of format `which` (0..=2: CLoTH, with file `which`
/// replaced; 3: lnd; 4: CLN; 5: edge list) reads, written into `dir` with the replaced
/// file's contents made by `replace` from the fixture's; returns the path to import.
fn write_case(
    dir: &Path,
    which: usize,
    replace: impl Fn(&[u8]) -> Vec<u8>,
) -> (ImportFormat, PathBuf) {
    let fixture_bytes = |name: &str| std::fs::read(fixture(name)).unwrap();
    match which {
        0..=2 => {
            let d = dir.join("cloth");
            std::fs::create_dir(&d).unwrap();
            for (i, f) in ["nodes_ln.csv", "channels_ln.csv", "edges_ln.csv"]
                .iter()
                .enumerate()
            {
                let orig = fixture_bytes(&format!("cloth/{f}"));
                let bytes = if i == which { replace(&orig) } else { orig };
                std::fs::write(d.join(f), bytes).unwrap();
            }
            (ImportFormat::Cloth, d)
        }
        _ => {
            let (format, name) = match which {
                3 => (ImportFormat::LndJson, "lnd_small.json"),
                4 => (ImportFormat::ClnJson, "cln_small.json"),
                _ => (ImportFormat::Edgelist, "spider_small.edgelist"),
            };
            let path = dir.join(name);
            std::fs::write(&path, replace(&fixture_bytes(name))).unwrap();
            (format, path)
        }
    }
}

/// Imports `path` (merging parallel channels, uniform balances) and, if it imports,
/// checks what every topology must satisfy. Never panics in the importer itself.
fn check_import(format: ImportFormat, path: PathBuf) -> Result<(), TestCaseError> {
    let src = source(format, path, true);
    if let Ok(t) = import(
        &src,
        &fill(BalanceSplit::Uniform),
        &mut SimRng::seed_from_u64(1),
    ) {
        prop_assert!(t.channel_count() >= 1 && t.node_count() >= 2);
        let mut total = 0u64;
        for (_, ch) in t.channels() {
            prop_assert_eq!(ch.balance[0] + ch.balance[1], ch.capacity);
            prop_assert!(ch.nodes[0] != ch.nodes[1]);
            for p in &ch.policy {
                prop_assert!(p.base_fee.0 <= MAX_TOTAL_MSAT);
                prop_assert!(p.min_htlc.0 <= MAX_TOTAL_MSAT);
                prop_assert!(p.max_htlc.0 <= MAX_TOTAL_MSAT);
            }
            total += ch.capacity.0;
        }
        prop_assert!(total <= MAX_TOTAL_MSAT);
        let _ = crate::topology::largest_component(&t, ComponentFilter::LargestStronglyConnected);
    }
    Ok(())
}

/// An amount: small, typical, at and beyond the 21-million-BTC bound, or any u64.
fn amount() -> impl Strategy<Value = u64> {
    prop_oneof![
        0u64..10,
        0u64..=5_000_000,
        Just(MAX_TOTAL_MSAT),
        Just(MAX_TOTAL_MSAT + 1),
        Just(MAX_TOTAL_MSAT / 1000 + 1),
        Just(u64::MAX),
        any::<u64>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    /// Mutated fixtures (and random text) give a graph or an error, never a panic.
    #[test]
    fn topology_import_never_panics(
        which in 0usize..6,
        pos in 0usize..4000,
        len in 0usize..64,
        insert in "(?s).{0,12}|[0-9,{}\\[\\]\":x-]{0,12}",
    ) {
        let dir = tempfile::tempdir().unwrap();
        let (format, path) = write_case(dir.path(), which, |orig| {
            let text = String::from_utf8(orig.to_vec()).unwrap();
            mutate(&text, pos, len, &insert).into_bytes()
        });
        check_import(format, path)?;
        let _ = json_line(&insert, &JPath::default().key("edges").idx(pos % 3).key("capacity"));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    /// Random bytes (maybe after a byte order mark, maybe after the fixture's first
    /// line) in place of any one file give a graph or an error, never a panic.
    #[test]
    fn topology_import_random_bytes_never_panic(
        which in 0usize..6,
        bom in any::<bool>(),
        keep_header in any::<bool>(),
        bytes in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let (format, path) = write_case(dir.path(), which, |orig| {
            let mut out = if bom { UTF8_BOM.to_vec() } else { Vec::new() };
            if keep_header {
                let end = orig.iter().position(|&b| b == b'\n').map_or(orig.len(), |i| i + 1);
                out.extend_from_slice(&orig[..end]);
            }
            out.extend_from_slice(&bytes);
            out
        });
        check_import(format, path)?;
    }

    /// Well-formed files with random ids, references and amounts (up to u64::MAX):
    /// every range and cross-reference check runs, and none panics.
    #[test]
    fn topology_import_random_values_never_panic(
        nodes in proptest::collection::vec(0u64..6, 0..6),
        edges in proptest::collection::vec(
            (0u64..8, 0u64..4, 0u64..8, 0u64..6, 0u64..6, amount(), amount(), amount(), amount(), 0u64..70_000),
            0..8,
        ),
        chans in proptest::collection::vec((0u64..4, 0u64..8, 0u64..8, 0u64..6, 0u64..6, amount()), 0..4),
        policy in (amount(), amount(), amount(), amount()),
        as_string in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut csv = [String::from("id\n"), String::from("id,edge1_id,edge2_id,node1_id,node2_id,capacity\n"),
            String::from("id,channel_id,counter_edge_id,from_node_id,to_node_id,balance,fee_base,fee_proportional,min_htlc,timelock\n")];
        for n in &nodes {
            csv[0] += &format!("{n}\n");
        }
        for c in &chans {
            csv[1] += &format!("{},{},{},{},{},{}\n", c.0, c.1, c.2, c.3, c.4, c.5);
        }
        for e in &edges {
            csv[2] += &format!("{},{},{},{},{},{},{},{},{},{}\n", e.0, e.1, e.2, e.3, e.4, e.5, e.6, e.7, e.8, e.9);
        }
        let d = write_dir(dir.path(), "cloth", &[
            ("nodes_ln.csv", csv[0].as_bytes()),
            ("channels_ln.csv", csv[1].as_bytes()),
            ("edges_ln.csv", csv[2].as_bytes()),
        ]);
        check_import(ImportFormat::Cloth, d)?;

        // The same channels as an edge list (capacity in sat) and as lnd and CLN JSON.
        let num = |v: u64| if as_string { format!("\"{v}\"") } else { v.to_string() };
        let mut el = String::new();
        let mut lnd = Vec::new();
        let mut cln = Vec::new();
        for (i, c) in chans.iter().enumerate() {
            el += &format!("n{} n{} {}\n", c.3, c.4, c.5);
            let pol = format!(
                "{{\"fee_base_msat\": {}, \"fee_rate_milli_msat\": {}, \"time_lock_delta\": {}, \"min_htlc\": {}, \"max_htlc_msat\": {}}}",
                num(policy.0), num(policy.1), num(policy.2 % 70_000), num(policy.3), num(c.5)
            );
            lnd.push(format!(
                "{{\"channel_id\": \"{}\", \"node1_pub\": \"n{}\", \"node2_pub\": \"n{}\", \"capacity\": {}, \"node1_policy\": {pol}, \"node2_policy\": null}}",
                c.0, c.3, c.4, num(c.5)
            ));
            for (src, dst) in [(c.3, c.4), (c.4, c.3)].into_iter().take(1 + i % 2) {
                cln.push(format!(
                    "{{\"source\": \"n{src}\", \"destination\": \"n{dst}\", \"short_channel_id\": \"{}x{}\", \"amount_msat\": {}, \"satoshis\": {}, \"base_fee_millisatoshi\": {}, \"fee_per_millionth\": {}, \"delay\": {}, \"htlc_minimum_msat\": {}, \"htlc_maximum_msat\": {}}}",
                    c.0, c.1, num(c.5), c.5 / 1000, num(policy.0), num(policy.1), num(policy.2), num(policy.3), num(c.5)
                ));
            }
        }
        let el_path = dir.path().join("x.edgelist");
        std::fs::write(&el_path, el).unwrap();
        check_import(ImportFormat::Edgelist, el_path)?;
        let lnd_path = dir.path().join("lnd.json");
        std::fs::write(&lnd_path, format!("{{\"nodes\": [], \"edges\": [{}]}}", lnd.join(",\n"))).unwrap();
        check_import(ImportFormat::LndJson, lnd_path)?;
        let cln_path = dir.path().join("cln.json");
        std::fs::write(&cln_path, format!("{{\"channels\": [{}]}}", cln.join(",\n"))).unwrap();
        check_import(ImportFormat::ClnJson, cln_path)?;
    }
}
