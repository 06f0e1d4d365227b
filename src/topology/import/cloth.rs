//! The CLoTH snapshot format: `nodes_ln.csv`, `channels_ln.csv` and `edges_ln.csv` in one
//! directory (CLoTH simulator, Conoscenti et al.; see the shared `data/ln/README.md`).
//!
//! Reads the three files into a [`RawGraph`] with per-side balances and policies, checking
//! every cross-reference between them (nodes of a channel, its two edges, their direction
//! and balances). Errors name the CSV file, the 1-based line and the column.
//!
//! It must not fill in anything the files do not say (`max_htlc` stays `None`; defaults
//! come from [`super::finish`]), draw random numbers, or panic on any input.

use super::{io_err, parse_u64, Interner, RawChannel, RawGraph, RawPolicy};
use crate::error::InputError;
use crate::units::Msat;
use std::collections::HashMap;
use std::path::Path;

/// Opens a CSV file and finds the columns `names` in its header (line 1).
fn open_csv(
    path: &Path,
    names: &[&str],
) -> Result<(csv::Reader<std::fs::File>, Vec<usize>), InputError> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| io_err(path, e))?;
    let header = rdr
        .headers()
        .map_err(|e| InputError::new(path, format!("invalid CSV header: {e}")).at_line(1))?
        .clone();
    let mut idx = Vec::with_capacity(names.len());
    for name in names {
        let i = header.iter().position(|h| h == *name).ok_or_else(|| {
            InputError::new(path, format!("missing column `{name}` in the header"))
                .at_line(1)
                .field(*name)
        })?;
        idx.push(i);
    }
    Ok((rdr, idx))
}

/// One CSV row with its line, for error messages.
struct Row<'a> {
    path: &'a Path,
    line: usize,
    rec: csv::StringRecord,
}

impl Row<'_> {
    fn err(&self, field: &str, msg: impl Into<String>) -> InputError {
        InputError::new(self.path, msg)
            .at_line(self.line)
            .field(field)
    }
    fn u64(&self, col: usize, field: &str) -> Result<u64, InputError> {
        let s = self
            .rec
            .get(col)
            .ok_or_else(|| self.err(field, "missing value (row too short)"))?;
        parse_u64(s)
            .ok_or_else(|| self.err(field, format!("expected a non-negative integer, got `{s}`")))
    }
    fn num<T: TryFrom<u64>>(&self, col: usize, field: &str) -> Result<T, InputError> {
        let v = self.u64(col, field)?;
        T::try_from(v).map_err(|_| {
            self.err(
                field,
                format!("{v} is too large (at most {})", std::any::type_name::<T>()),
            )
        })
    }
}

fn rows<'a, 'r>(
    path: &'a Path,
    rdr: &'r mut csv::Reader<std::fs::File>,
) -> impl Iterator<Item = Result<Row<'a>, InputError>> + use<'a, 'r> {
    rdr.records().map(move |r| match r {
        Ok(rec) => {
            let line = rec.position().map_or(0, |p| p.line() as usize);
            Ok(Row { path, line, rec })
        }
        Err(e) => {
            let line = e.position().map(|p| p.line() as usize);
            Err(InputError::new(path, format!("invalid CSV: {e}")).line_opt(line))
        }
    })
}

struct ClothEdge {
    line: usize,
    channel_id: u64,
    from: u64,
    to: u64,
    balance: u64,
    policy: RawPolicy,
}

/// Reads CLoTH's `nodes_ln.csv`, `channels_ln.csv` and `edges_ln.csv` from `dir`.
///
/// Amounts (capacity, balance, fee_base, min_htlc) are msat, `fee_proportional` is ppm
/// and `timelock` the CLTV delta. Checks that each channel's two edges exist, run between
/// its nodes in opposite directions, point back to it, and that their balances sum to its
/// capacity. `max_htlc` is not in the format.
pub fn read_cloth(dir: &Path) -> Result<RawGraph, InputError> {
    let nodes_path = dir.join("nodes_ln.csv");
    let chans_path = dir.join("channels_ln.csv");
    let edges_path = dir.join("edges_ln.csv");

    let mut names = Interner::default();
    let mut node_ids: HashMap<u64, u32> = HashMap::new();
    let (mut rdr, cols) = open_csv(&nodes_path, &["id"])?;
    for row in rows(&nodes_path, &mut rdr) {
        let row = row?;
        let id = row.u64(cols[0], "id")?;
        if node_ids.contains_key(&id) {
            return Err(row.err("id", format!("duplicate node id {id}")));
        }
        node_ids.insert(id, names.id(&id.to_string()));
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
    let (mut rdr, c) = open_csv(&edges_path, &EDGE_COLS)?;
    let mut edges: HashMap<u64, ClothEdge> = HashMap::new();
    for row in rows(&edges_path, &mut rdr) {
        let row = row?;
        let id = row.u64(c[0], "id")?;
        let e = ClothEdge {
            line: row.line,
            channel_id: row.u64(c[1], "channel_id")?,
            from: row.u64(c[3], "from_node_id")?,
            to: row.u64(c[4], "to_node_id")?,
            balance: row.u64(c[5], "balance")?,
            policy: RawPolicy {
                base_fee: Some(row.u64(c[6], "fee_base")?),
                fee_ppm: Some(row.num::<u32>(c[7], "fee_proportional")?),
                min_htlc: Some(row.u64(c[8], "min_htlc")?),
                cltv_delta: Some(row.num::<u16>(c[9], "timelock")?),
                max_htlc: None,
                disabled: false,
            },
        };
        row.u64(c[2], "counter_edge_id")?;
        if edges.insert(id, e).is_some() {
            return Err(row.err("id", format!("duplicate edge id {id}")));
        }
    }

    const CHAN_COLS: [&str; 6] = [
        "id", "edge1_id", "edge2_id", "node1_id", "node2_id", "capacity",
    ];
    let (mut rdr, c) = open_csv(&chans_path, &CHAN_COLS)?;
    let mut channels = Vec::new();
    for row in rows(&chans_path, &mut rdr) {
        let row = row?;
        let id = row.u64(c[0], "id")?;
        let e1 = row.u64(c[1], "edge1_id")?;
        let e2 = row.u64(c[2], "edge2_id")?;
        let n1 = row.u64(c[3], "node1_id")?;
        let n2 = row.u64(c[4], "node2_id")?;
        let capacity = row.u64(c[5], "capacity")?;
        let node = |n: u64, field: &str| {
            node_ids
                .get(&n)
                .copied()
                .ok_or_else(|| row.err(field, format!("node {n} is not in nodes_ln.csv")))
        };
        let (a, b) = (node(n1, "node1_id")?, node(n2, "node2_id")?);
        if a == b {
            return Err(row.err("node2_id", format!("self-loop: both ends are node {n1}")));
        }
        if capacity == 0 {
            return Err(row.err("capacity", "must be positive"));
        }
        let edge = |eid: u64, field: &str, from: u64, to: u64| -> Result<&ClothEdge, InputError> {
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
            Ok(e)
        };
        let x = edge(e1, "edge1_id", n1, n2)?;
        let y = edge(e2, "edge2_id", n2, n1)?;
        if x.balance.checked_add(y.balance) != Some(capacity) {
            return Err(row.err(
                "capacity",
                format!(
                    "balances of edge {e1} (line {}: {}) and edge {e2} (line {}: {}) of \
                     edges_ln.csv do not sum to the capacity {capacity}",
                    x.line, x.balance, y.line, y.balance
                ),
            ));
        }
        channels.push(RawChannel {
            nodes: [a, b],
            capacity: Msat(capacity),
            balance: Some([Msat(x.balance), Msat(y.balance)]),
            policy: [x.policy.clone(), y.policy.clone()],
            label: Some(id.to_string()),
        });
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
}
