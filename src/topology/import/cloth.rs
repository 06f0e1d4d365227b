//! The CLoTH snapshot format: `nodes_ln.csv`, `channels_ln.csv` and `edges_ln.csv` in one
//! directory (CLoTH simulator, Conoscenti et al.; see the shared `data/ln/README.md`).
//!
//! Reads the three files into a [`RawGraph`] with per-side balances and policies, checking
//! every cross-reference between them (nodes of a channel, its two edges, their direction
//! and balances). Errors name the CSV file, the 1-based line and the column.
//!
//! It must not fill in anything the files do not say (`max_htlc` stays `None`; defaults
//! come from [`super::finish`]), draw random numbers, or panic on any input.

use super::csv_file::{open_csv, rows};
use super::{read_bytes, CapacityTotal, Interner, RawChannel, RawGraph, RawPolicy, NO_CHANNELS};
use crate::error::InputError;
use crate::units::Msat;
use std::collections::HashMap;
use std::path::Path;

struct ClothEdge {
    line: usize,
    channel_id: u64,
    counter: u64,
    from: u64,
    to: u64,
    balance: u64,
    policy: RawPolicy,
    /// Whether a channel lists it.
    listed: bool,
}

/// Reads CLoTH's `nodes_ln.csv`, `channels_ln.csv` and `edges_ln.csv` from `dir`.
///
/// Amounts (capacity, balance, fee_base, min_htlc) are msat, `fee_proportional` is ppm
/// and `timelock` the CLTV delta. Checks that node, edge and channel ids are unique, that
/// each channel's two edges exist, run between its nodes in opposite directions, point
/// back to it and name each other as `counter_edge_id`, that their balances sum to its
/// capacity, that every edge belongs to a channel, that every amount and the running total
/// of capacities stay within 21 million BTC, and that there is at least one channel.
/// `max_htlc` is not in the format.
pub fn read_cloth(dir: &Path) -> Result<RawGraph, InputError> {
    if dir.is_file() {
        return Err(InputError::new(
            dir,
            format!(
                "expected a directory (holding nodes_ln.csv, channels_ln.csv and \
                 edges_ln.csv), found a file: {}",
                dir.display()
            ),
        ));
    }
    let nodes_path = dir.join("nodes_ln.csv");
    let chans_path = dir.join("channels_ln.csv");
    let edges_path = dir.join("edges_ln.csv");
    parse_cloth(
        dir,
        &read_bytes(&nodes_path)?,
        &read_bytes(&chans_path)?,
        &read_bytes(&edges_path)?,
    )
}

/// [`read_cloth`] on the contents of the three files of directory `dir` (which, joined with
/// each file name, names them in errors).
pub fn parse_cloth(
    dir: &Path,
    nodes: &[u8],
    channels: &[u8],
    edges: &[u8],
) -> Result<RawGraph, InputError> {
    let nodes_path = dir.join("nodes_ln.csv");
    let chans_path = dir.join("channels_ln.csv");
    let edges_path = dir.join("edges_ln.csv");

    let mut names = Interner::default();
    // Node id -> (dense id, line).
    let mut node_ids: HashMap<u64, (u32, usize)> = HashMap::new();
    let (mut rdr, cols) = open_csv(&nodes_path, nodes.to_vec(), &["id"])?;
    for row in rows(&nodes_path, &mut rdr) {
        let row = row?;
        let id = row.u64(cols[0], "id")?;
        if let Some(&(_, first)) = node_ids.get(&id) {
            return Err(row.err(
                "id",
                format!("duplicate node id {id} (first at line {first})"),
            ));
        }
        node_ids.insert(id, (names.id(&id.to_string()), row.line));
    }

    const EDGE_COLS: [&str; 10] = [
        "id",
        "channel_id",
        "counter_edge_id",
        "from_node_id",
        "to_node_id",
        "balance",
        "fee_base",
        "fee_proportional",
        "min_htlc",
        "timelock",
    ];
    let (mut rdr, c) = open_csv(&edges_path, edges.to_vec(), &EDGE_COLS)?;
    let mut edges: HashMap<u64, ClothEdge> = HashMap::new();
    // Edge ids in file order, for checks that must report the first offender.
    let mut edge_order: Vec<u64> = Vec::new();
    for row in rows(&edges_path, &mut rdr) {
        let row = row?;
        let id = row.u64(c[0], "id")?;
        let e = ClothEdge {
            line: row.line,
            channel_id: row.u64(c[1], "channel_id")?,
            from: row.u64(c[3], "from_node_id")?,
            to: row.u64(c[4], "to_node_id")?,
            balance: row.msat(c[5], "balance")?,
            policy: RawPolicy {
                base_fee: Some(row.msat(c[6], "fee_base")?),
                fee_ppm: Some(row.num::<u32>(c[7], "fee_proportional")?),
                min_htlc: Some(row.msat(c[8], "min_htlc")?),
                cltv_delta: Some(row.num::<u16>(c[9], "timelock")?),
                max_htlc: None,
                disabled: false,
            },
            counter: row.u64(c[2], "counter_edge_id")?,
            listed: false,
        };
        if let Some(first) = edges.get(&id) {
            return Err(row.err(
                "id",
                format!("duplicate edge id {id} (first at line {})", first.line),
            ));
        }
        edges.insert(id, e);
        edge_order.push(id);
    }
    for id in &edge_order {
        let Some(e) = edges.get(id) else { continue };
        if !edges.contains_key(&e.counter) {
            return Err(InputError::new(
                &edges_path,
                format!(
                    "counter_edge_id {} of edge {id} is not an edge id in edges_ln.csv",
                    e.counter
                ),
            )
            .at_line(e.line)
            .field("counter_edge_id"));
        }
    }

    const CHAN_COLS: [&str; 6] = [
        "id", "edge1_id", "edge2_id", "node1_id", "node2_id", "capacity",
    ];
    let (mut rdr, c) = open_csv(&chans_path, channels.to_vec(), &CHAN_COLS)?;
    let mut channels = Vec::new();
    // Channel id -> line.
    let mut chan_lines: HashMap<u64, usize> = HashMap::new();
    let mut total = CapacityTotal::default();
    for row in rows(&chans_path, &mut rdr) {
        let row = row?;
        let id = row.u64(c[0], "id")?;
        let e1 = row.u64(c[1], "edge1_id")?;
        let e2 = row.u64(c[2], "edge2_id")?;
        let n1 = row.u64(c[3], "node1_id")?;
        let n2 = row.u64(c[4], "node2_id")?;
        let capacity = row.u64(c[5], "capacity")?;
        if let Some(first) = chan_lines.insert(id, row.line) {
            return Err(row.err(
                "id",
                format!("duplicate channel id {id} (first at line {first})"),
            ));
        }
        let node = |n: u64, field: &str| {
            node_ids
                .get(&n)
                .map(|&(dense, _)| dense)
                .ok_or_else(|| row.err(field, format!("node {n} is not in nodes_ln.csv")))
        };
        let (a, b) = (node(n1, "node1_id")?, node(n2, "node2_id")?);
        if a == b {
            return Err(row.err("node2_id", format!("self-loop: both ends are node {n1}")));
        }
        if capacity == 0 {
            return Err(row.err("capacity", "must be positive"));
        }
        total
            .add(Msat(capacity), "msat")
            .map_err(|m| row.err("capacity", m))?;
        let edge = |eid: u64, field: &str, from: u64, to: u64, counter: u64| {
            let e = edges
                .get(&eid)
                .ok_or_else(|| row.err(field, format!("edge {eid} is not in edges_ln.csv")))?;
            let at =
                |f: &str, msg: String| InputError::new(&edges_path, msg).at_line(e.line).field(f);
            if e.channel_id != id {
                return Err(at(
                    "channel_id",
                    format!(
                        "edge {eid} belongs to channel {}, but channel {id} lists it",
                        e.channel_id
                    ),
                ));
            }
            if (e.from, e.to) != (from, to) {
                return Err(at(
                    "from_node_id",
                    format!(
                        "edge {eid} runs {} -> {}, but channel {id} needs {from} -> {to}",
                        e.from, e.to
                    ),
                ));
            }
            if e.counter != counter {
                return Err(at(
                    "counter_edge_id",
                    format!(
                        "edge {eid} names edge {} as its counter edge, but channel {id} \
                         pairs it with edge {counter}",
                        e.counter
                    ),
                ));
            }
            Ok((e.line, e.balance, e.policy.clone()))
        };
        let x = edge(e1, "edge1_id", n1, n2, e2)?;
        let y = edge(e2, "edge2_id", n2, n1, e1)?;
        if x.1.checked_add(y.1) != Some(capacity) {
            return Err(row.err(
                "capacity",
                format!(
                    "balances of edge {e1} (line {}: {}) and edge {e2} (line {}: {}) of \
                     edges_ln.csv do not sum to the capacity {capacity}",
                    x.0, x.1, y.0, y.1
                ),
            ));
        }
        for eid in [e1, e2] {
            if let Some(e) = edges.get_mut(&eid) {
                e.listed = true;
            }
        }
        channels.push(RawChannel {
            nodes: [a, b],
            capacity: Msat(capacity),
            balance: Some([Msat(x.1), Msat(y.1)]),
            policy: [x.2, y.2],
            label: Some(id.to_string()),
        });
    }
    if channels.is_empty() {
        return Err(InputError::new(&chans_path, NO_CHANNELS)
            .at_line(1)
            .field("id"));
    }
    for id in &edge_order {
        if let Some(e) = edges.get(id).filter(|e| !e.listed) {
            return Err(InputError::new(
                &edges_path,
                format!(
                    "edge {id} (channel_id {}) is not listed by any channel in channels_ln.csv",
                    e.channel_id
                ),
            )
            .at_line(e.line)
            .field("channel_id"));
        }
    }
    Ok(RawGraph {
        nodes: names.names,
        channels,
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::{import, read};
    use super::*;
    use crate::rng::SimRng;
    use crate::topology::config::{BalanceSplit, ImportFormat};
    use crate::topology::{ChannelId, NodeId};
    use rand::SeedableRng;
    use std::path::Path;

    #[test]
    fn topology_import_cloth_fixture() {
        let t = load(ImportFormat::Cloth, BalanceSplit::File, "cloth");
        // Sparse node ids 10, 20, 30, 40 become 0..4 in file order.
        assert_eq!(t.node_count(), 4);
        assert_eq!(t.node(NodeId(3)).name, "40");
        assert_eq!(t.channel_count(), 3);
        // Channel 0: 10 -> 20, 5,000,000 msat; edge 0 holds 1,000,000, edge 1 4,000,000.
        let c = t.channel(ChannelId(0));
        assert_eq!(c.nodes, [NodeId(0), NodeId(1)]);
        assert_eq!(c.capacity, Msat(5_000_000));
        assert_eq!(c.balance, [Msat(1_000_000), Msat(4_000_000)]);
        assert_eq!(c.reserve, [Msat(50_000), Msat(50_000)]);
        assert_eq!((c.policy[0].base_fee, c.policy[0].fee_ppm), (Msat(1000), 1));
        assert_eq!(
            (c.policy[1].base_fee, c.policy[1].fee_ppm),
            (Msat(2000), 10)
        );
        assert_eq!((c.policy[0].cltv_delta, c.policy[1].cltv_delta), (144, 40));
        // No max_htlc in CLoTH: from [topology.fees], max_htlc_share 1.0 of the capacity.
        assert_eq!(c.policy[0].max_htlc, Msat(5_000_000));
        // Channel 5 (third row): 10 -> 30.
        let c = t.channel(ChannelId(2));
        assert_eq!(c.label.as_deref(), Some("5"));
        assert_eq!(c.nodes, [NodeId(0), NodeId(2)]);
        assert_eq!(c.balance, [Msat(1_500_000), Msat(500_000)]);
        assert_eq!(t.total_capacity(), Msat(10_000_000));
        // With another split the file's balances are ignored.
        let t = load(ImportFormat::Cloth, BalanceSplit::Ratio(0.25), "cloth");
        assert_eq!(
            t.channel(ChannelId(0)).balance,
            [Msat(1_250_000), Msat(3_750_000)]
        );
        // The file's fees still win.
        assert_eq!(t.channel(ChannelId(1)).policy[1].cltv_delta, 18);
    }

    #[test]
    fn topology_import_cloth_broken() {
        let e = broken(
            ImportFormat::Cloth,
            "cloth_bad_sum",
            "channels_ln.csv",
            3,
            "capacity",
        );
        assert!(e.message.contains("do not sum"), "{e}");
        broken(
            ImportFormat::Cloth,
            "cloth_bad_number",
            "edges_ln.csv",
            4,
            "fee_proportional",
        );
        broken(
            ImportFormat::Cloth,
            "cloth_missing_column",
            "edges_ln.csv",
            1,
            "timelock",
        );
        broken(
            ImportFormat::Cloth,
            "cloth_short_row",
            "channels_ln.csv",
            2,
            "capacity",
        );
        let e = read(ImportFormat::Cloth, &fixture("no_such_dir")).unwrap_err();
        assert!(e.to_string().contains("nodes_ln.csv"), "{e}");
    }

    #[test]
    #[ignore = "needs PCNSIM_SHARED_DATA"]
    fn topology_import_real_cloth_snapshot() {
        let dir = shared("cloth_ln_snapshot");
        let raw = read_cloth(&dir).unwrap();
        assert_eq!(raw.nodes.len(), 6006);
        assert_eq!(raw.channels.len(), 30_457);
        let total: u64 = raw.channels.iter().map(|c| c.capacity.0).sum();
        // ~1,040.6 BTC (README); exact value computed from channels_ln.csv.
        assert_eq!(total, CLOTH_TOTAL_MSAT);
        let src = source(ImportFormat::Cloth, dir, false);
        let t = import(
            &src,
            &fill(BalanceSplit::File),
            &mut SimRng::seed_from_u64(1),
        )
        .unwrap();
        assert_eq!(t.total_capacity(), Msat(CLOTH_TOTAL_MSAT));
        for (_, ch) in t.channels() {
            assert_eq!(ch.balance[0] + ch.balance[1], ch.capacity);
        }
    }

    const CLOTH_TOTAL_MSAT: u64 = 104_055_781_879_000;

    const NODES: &str = "id\n10\n20\n30\n";
    const CHANS: &str = "id,edge1_id,edge2_id,node1_id,node2_id,capacity\n\
                         0,0,1,10,20,5000000\n\
                         1,2,3,20,30,3000000\n";
    const EDGES: &str = "id,channel_id,counter_edge_id,from_node_id,to_node_id,balance,\
                         fee_base,fee_proportional,min_htlc,timelock\n\
                         0,0,1,10,20,1000000,1000,1,1000,144\n\
                         1,0,0,20,10,4000000,2000,10,1000,40\n\
                         2,1,3,20,30,3000000,0,100,0,40\n\
                         3,1,2,30,20,0,500,5,1,18\n";

    /// A CLoTH directory `sub` in `tmp` with these three files.
    fn cloth(tmp: &Path, sub: &str, nodes: &str, chans: &str, edges: &str) -> std::path::PathBuf {
        write_dir(
            tmp,
            sub,
            &[
                ("nodes_ln.csv", nodes.as_bytes()),
                ("channels_ln.csv", chans.as_bytes()),
                ("edges_ln.csv", edges.as_bytes()),
            ],
        )
    }

    #[test]
    fn topology_import_cloth_cross_references() {
        let tmp = tempfile::tempdir().unwrap();
        let t = tmp.path();
        let ok = read_cloth(&cloth(t, "ok", NODES, CHANS, EDGES)).unwrap();
        assert_eq!((ok.nodes.len(), ok.channels.len()), (3, 2));

        // counter_edge_id naming no edge.
        let edges = EDGES.replace("3,1,2,30,20", "3,1,99,30,20");
        let d = cloth(t, "counter_missing", NODES, CHANS, &edges);
        let e = bad(
            ImportFormat::Cloth,
            &d,
            "edges_ln.csv",
            5,
            "counter_edge_id",
        );
        assert!(e.message.contains("99"), "{e}");
        // counter_edge_id naming an edge of another channel.
        let edges = EDGES.replace("0,0,1,10,20", "0,0,2,10,20");
        let d = cloth(t, "counter_wrong", NODES, CHANS, &edges);
        let e = bad(
            ImportFormat::Cloth,
            &d,
            "edges_ln.csv",
            2,
            "counter_edge_id",
        );
        assert!(e.message.contains("pairs it with edge 1"), "{e}");
        // Edge rows that no channel lists.
        let edges = format!("{EDGES}20,9,21,10,30,1,0,0,0,40\n21,9,20,30,10,1,0,0,0,40\n");
        let d = cloth(t, "unlisted", NODES, CHANS, &edges);
        let e = bad(ImportFormat::Cloth, &d, "edges_ln.csv", 6, "channel_id");
        assert!(e.message.contains("edge 20"), "{e}");
        // Duplicate channel ids.
        let chans = CHANS.replace("1,2,3,20,30", "0,2,3,20,30");
        let d = cloth(t, "dup_channel", NODES, &chans, EDGES);
        let e = bad(ImportFormat::Cloth, &d, "channels_ln.csv", 3, "id");
        assert!(e.message.contains("first at line 2"), "{e}");
        // Duplicate edge ids.
        let edges = EDGES.replace("2,1,3,20,30", "1,1,3,20,30");
        let d = cloth(t, "dup_edge", NODES, CHANS, &edges);
        let e = bad(ImportFormat::Cloth, &d, "edges_ln.csv", 4, "id");
        assert!(e.message.contains("first at line 3"), "{e}");
        // Duplicate node ids.
        let d = cloth(t, "dup_node", "id\n10\n20\n10\n30\n", CHANS, EDGES);
        bad(ImportFormat::Cloth, &d, "nodes_ln.csv", 4, "id");
    }

    #[test]
    fn topology_import_cloth_bom_empty_and_paths() {
        let tmp = tempfile::tempdir().unwrap();
        let t = tmp.path();
        // A byte order mark at the start of any file is dropped, not read as part of the
        // first column name or node id.
        let d = cloth(
            t,
            "bom",
            &format!("{BOM}{NODES}"),
            &format!("{BOM}{CHANS}"),
            &format!("{BOM}{EDGES}"),
        );
        let raw = read_cloth(&d).unwrap();
        assert_eq!(raw.nodes, ["10", "20", "30"]);
        assert_eq!(
            raw,
            read_cloth(&cloth(t, "plain", NODES, CHANS, EDGES)).unwrap()
        );

        // Empty and single-node snapshots are reported against the data file.
        let header = |s: &str| format!("{}\n", s.lines().next().unwrap());
        let d = cloth(t, "empty", &header(NODES), &header(CHANS), &header(EDGES));
        let e = bad(ImportFormat::Cloth, &d, "channels_ln.csv", 1, "id");
        assert!(e.message.contains("no channels"), "{e}");
        let d = cloth(t, "one_node", "id\n10\n", &header(CHANS), &header(EDGES));
        bad(ImportFormat::Cloth, &d, "channels_ln.csv", 1, "id");

        // A file where the directory belongs, and a directory where a file belongs.
        let f = t.join("a_file");
        std::fs::write(&f, "x").unwrap();
        let e = read_cloth(&f).unwrap_err();
        assert!(e.message.contains("expected a directory"), "{e}");
        assert!(e.message.contains("found a file"), "{e}");
        let d = cloth(t, "nodes_dir", NODES, CHANS, EDGES);
        std::fs::remove_file(d.join("nodes_ln.csv")).unwrap();
        std::fs::create_dir(d.join("nodes_ln.csv")).unwrap();
        let e = read_cloth(&d).unwrap_err();
        let want = format!(
            "expected a file, found a directory: {}",
            d.join("nodes_ln.csv").display()
        );
        assert!(e.message.contains(&want), "{e}");
        assert!(!e.message.contains("Is a directory"), "{e}");
    }

    #[test]
    fn topology_import_cloth_amount_ranges() {
        let tmp = tempfile::tempdir().unwrap();
        let t = tmp.path();
        // u64::MAX msat: above 21 million BTC, not wrapped.
        let chans = CHANS.replace("5000000", &u64::MAX.to_string());
        let d = cloth(t, "max_cap", NODES, &chans, EDGES);
        let e = bad(ImportFormat::Cloth, &d, "channels_ln.csv", 2, "capacity");
        assert!(e.message.contains("21 million BTC"), "{e}");
        for (col, from, to) in [
            (
                "balance",
                "0,0,1,10,20,1000000,",
                "0,0,1,10,20,18446744073709551615,",
            ),
            (
                "fee_base",
                "1000000,1000,1,1000,144",
                "1000000,18446744073709551615,1,1000,144",
            ),
            (
                "min_htlc",
                "1000000,1000,1,1000,144",
                "1000000,1000,1,18446744073709551615,144",
            ),
        ] {
            let edges = EDGES.replace(from, to);
            let d = cloth(t, col, NODES, CHANS, &edges);
            let e = bad(ImportFormat::Cloth, &d, "edges_ln.csv", 2, col);
            assert!(e.message.contains("more than 21 million BTC"), "{e}");
        }
        // A too large number for its type, and one beyond u64.
        let edges = EDGES.replace("1000,144", "1000,65536");
        bad(
            ImportFormat::Cloth,
            &cloth(t, "cltv", NODES, CHANS, &edges),
            "edges_ln.csv",
            2,
            "timelock",
        );
        let edges = EDGES.replace("1000,1,1000,144", "1000,99999999999999999999,1000,144");
        bad(
            ImportFormat::Cloth,
            &cloth(t, "ppm", NODES, CHANS, &edges),
            "edges_ln.csv",
            2,
            "fee_proportional",
        );
        // The running total crosses 21 million BTC at the second channel: each is 2e18
        // msat (20 million BTC), within range on its own.
        let big = 2_000_000_000_000_000_000u64;
        let chans = CHANS
            .replace("5000000", &big.to_string())
            .replace("3000000", &big.to_string());
        let edges = EDGES
            .replace("1000000,1000,1,", &format!("{},1000,1,", big / 2))
            .replace("4000000,2000", &format!("{},2000", big / 2))
            .replace("3000000,0,100", &format!("{big},0,100"));
        let d = cloth(t, "total", NODES, &chans, &edges);
        let e = bad(ImportFormat::Cloth, &d, "channels_ln.csv", 3, "capacity");
        assert!(
            e.message.contains("total capacity exceeds 21 million BTC"),
            "{e}"
        );
    }
}
