//! Importers of real Lightning snapshots: CLoTH CSV triples, lnd `describegraph` JSON,
//! Core Lightning `listchannels` JSON and plain / NetworkX edge lists.
//!
//! Each reader turns a file into a [`RawGraph`] (what the file says, with `None` where it
//! says nothing) or an [`InputError`] naming the file, the 1-based line and the column or
//! JSON path, and what was expected. Readers never panic on any input. [`import`] then
//! merges parallel channels if asked and fills what the file lacks (balances, fees) from
//! the `[topology]` config. Node ids of any kind (sparse integers, pubkeys) are mapped to
//! dense [`NodeId`]s in order of first appearance.
//!
//! **Convention for consumers of [`FeePolicy`]:** a direction that is unusable in the
//! snapshot (lnd `disabled` or `null` policy, CLN `active: false` or a direction never
//! announced) gets `max_htlc = Msat(0)`: no HTLC fits, so routers and the engine must treat
//! `max_htlc == 0` as "this direction does not forward".
//!
//! One file per format, like petgraph's one file per algorithm family:
//!
//! | file | what |
//! |---|---|
//! | `mod.rs` | the raw types, dispatch ([`import`], [`read`]), the checks and post-processing shared by every format ([`merge_parallel`], [`finish`]: balances, reserves, fees) and the shared parsing helpers |
//! | `cloth.rs` | CLoTH `nodes_ln.csv` / `channels_ln.csv` / `edges_ln.csv` |
//! | `lnd_json.rs` | lnd `lncli describegraph` JSON |
//! | `cln_json.rs` | Core Lightning `listchannels` JSON |
//! | `edgelist.rs` | `u v capacity_sat` and NetworkX `u v {'capacity': sat}` edge lists |
//! | `json.rs` | a parsed JSON document whose typed getters make errors naming the line |
//! | `locate.rs` | finds the line of a JSON path in the raw text, for error messages |
//!
//! This module must not simulate anything, draw random numbers anywhere but in [`finish`]
//! (in channel order, so a seed gives one topology), iterate a hash map where order
//! matters, or reduce the graph to a component (that is [`super::build`]'s last step). A
//! format reader reports only what its file says: defaults are filled in by [`finish`].

mod cln_json;
mod cloth;
mod edgelist;
mod json;
mod lnd_json;
mod locate;

pub use cln_json::read_cln_json;
pub use cloth::read_cloth;
pub use edgelist::read_edgelist;
pub use lnd_json::read_lnd_json;

use super::config::{BalanceSplit, ImportFormat};
use super::generate::{reserve, sample_policy, split_balance};
use super::spec::{ChannelFill, ImportSource};
use super::{ChannelSpec, FeePolicy, NodeId, Topology};
use crate::error::InputError;
use crate::units::Msat;
use rand::Rng;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;

/// What a snapshot says about one direction's policy; `None` = not in the file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawPolicy {
    pub base_fee: Option<u64>,
    pub fee_ppm: Option<u32>,
    pub cltv_delta: Option<u16>,
    pub min_htlc: Option<u64>,
    pub max_htlc: Option<u64>,
    /// The direction is unusable (see the module docs).
    pub disabled: bool,
}

impl RawPolicy {
    fn disabled() -> Self {
        RawPolicy {
            disabled: true,
            ..RawPolicy::default()
        }
    }
}

/// One channel as read from a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawChannel {
    /// Dense node indices into [`RawGraph::nodes`].
    pub nodes: [u32; 2],
    pub capacity: Msat,
    /// Per-side balances, when the file has them (they sum to `capacity`).
    pub balance: Option<[Msat; 2]>,
    pub policy: [RawPolicy; 2],
    pub label: Option<String>,
}

/// A snapshot as read: node names in dense order and channels in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawGraph {
    pub nodes: Vec<String>,
    pub channels: Vec<RawChannel>,
}

/// Maps names to dense ids in order of first appearance.
#[derive(Default)]
struct Interner {
    names: Vec<String>,
    ids: HashMap<String, u32>,
}

impl Interner {
    fn id(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.ids.get(name) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(name.to_string());
        self.ids.insert(name.to_string(), i);
        i
    }
}

/// Imports the snapshot `src` names and fills it in from `fill`: see [`finish`]. Does not
/// apply the component filter (that is [`super::build`]'s last step).
pub fn import<R: Rng + ?Sized>(
    src: &ImportSource,
    fill: &ChannelFill,
    rng: &mut R,
) -> Result<Topology, InputError> {
    let mut raw = read(src.format, &src.path)?;
    if src.merge_parallel {
        raw = merge_parallel(raw);
    }
    Ok(finish(raw, fill, rng))
}

/// Reads a snapshot in `format` (for `cloth`, `path` is the directory).
///
/// Also checks that the total capacity is at most 21 million BTC, so that no sum of
/// capacities or balances (merging, totals) can overflow.
pub fn read(format: ImportFormat, path: &Path) -> Result<RawGraph, InputError> {
    let raw = match format {
        ImportFormat::Cloth => read_cloth(path),
        ImportFormat::LndJson => read_lnd_json(path),
        ImportFormat::ClnJson => read_cln_json(path),
        ImportFormat::Edgelist => read_edgelist(path),
    }?;
    let mut total = 0u64;
    for (i, ch) in raw.channels.iter().enumerate() {
        total = total
            .checked_add(ch.capacity.0)
            .filter(|&t| t <= MAX_TOTAL_MSAT)
            .ok_or_else(|| {
                InputError::new(
                    path,
                    format!(
                        "total capacity exceeds 21 million BTC at channel #{i} ({}); \
                         capacities must be in the unit the format expects",
                        ch.label.as_deref().unwrap_or("no label")
                    ),
                )
            })?;
    }
    Ok(raw)
}

/// 21 million BTC in msat: no snapshot can hold more.
const MAX_TOTAL_MSAT: u64 = crate::dist::MAX_SAT * 1000;

/// Turns a raw graph into a [`Topology`]: per channel, in order, balances (from the file
/// for `balance = "file"`, else split by `fill.balance`), reserves from `fill.reserve_ppm`,
/// and per side a policy drawn from `fill.fees` overridden by every value the file has.
pub fn finish<R: Rng + ?Sized>(raw: RawGraph, fill: &ChannelFill, rng: &mut R) -> Topology {
    let mut t = Topology::new();
    t.graph.reserve_nodes(raw.nodes.len());
    t.graph.reserve_edges(raw.channels.len());
    for name in raw.nodes {
        t.add_node(name);
    }
    for ch in raw.channels {
        let cap = ch.capacity;
        let balance = match (fill.balance, ch.balance) {
            (BalanceSplit::File, Some(b)) => b,
            (split, _) => split_balance(cap, split, rng),
        };
        let r = reserve(cap, fill.reserve_ppm);
        let [p0, p1] = &ch.policy;
        let policy = [p0, p1].map(|raw| {
            let mut p: FeePolicy = sample_policy(&fill.fees, cap, rng);
            if let Some(v) = raw.base_fee {
                p.base_fee = Msat(v);
            }
            if let Some(v) = raw.fee_ppm {
                p.fee_ppm = v;
            }
            if let Some(v) = raw.cltv_delta {
                p.cltv_delta = v;
            }
            if let Some(v) = raw.min_htlc {
                p.min_htlc = Msat(v);
            }
            if let Some(v) = raw.max_htlc {
                p.max_htlc = Msat(v);
            }
            if raw.disabled {
                p.max_htlc = Msat::ZERO;
            }
            p
        });
        t.add_channel(ChannelSpec {
            nodes: [NodeId(ch.nodes[0]), NodeId(ch.nodes[1])],
            capacity: cap,
            balance,
            reserve: [r, r],
            policy,
            label: ch.label,
        });
    }
    t
}

/// Merges channels between the same two nodes into one, at the position of the first:
/// capacities summed, balances summed (dropped if any of them has none), policies and
/// label of the largest channel (the first among equals), oriented to the first channel's
/// node order.
pub fn merge_parallel(raw: RawGraph) -> RawGraph {
    let mut out: Vec<RawChannel> = Vec::with_capacity(raw.channels.len());
    // Largest capacity merged into each output channel so far.
    let mut largest: Vec<Msat> = Vec::with_capacity(raw.channels.len());
    let mut slot: BTreeMap<(u32, u32), usize> = BTreeMap::new();
    for mut ch in raw.channels {
        let [a, b] = ch.nodes;
        let key = (a.min(b), a.max(b));
        let Some(&i) = slot.get(&key) else {
            slot.insert(key, out.len());
            largest.push(ch.capacity);
            out.push(ch);
            continue;
        };
        let (Some(m), Some(big)) = (out.get_mut(i), largest.get_mut(i)) else {
            continue;
        };
        if ch.nodes != m.nodes {
            ch.nodes.swap(0, 1);
            ch.policy.swap(0, 1);
            if let Some(b) = ch.balance.as_mut() {
                b.swap(0, 1);
            }
        }
        m.capacity += ch.capacity;
        m.balance = match (m.balance, ch.balance) {
            (Some(x), Some(y)) => Some([x[0] + y[0], x[1] + y[1]]),
            _ => None,
        };
        if ch.capacity > *big {
            *big = ch.capacity;
            m.policy = ch.policy;
            m.label = ch.label;
        }
    }
    RawGraph {
        nodes: raw.nodes,
        channels: out,
    }
}

// ---------------------------------------------------------------------------------------
// Shared parsing helpers.

fn io_err(path: &Path, e: impl fmt::Display) -> InputError {
    InputError::new(path, format!("can not read the file: {e}"))
}

fn parse_u64(s: &str) -> Option<u64> {
    let s = s.trim();
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn sat_to_msat(sat: u64) -> Option<Msat> {
    sat.checked_mul(1000).map(Msat)
}

#[cfg(test)]
mod test_support {
    //! Fixtures and checks shared by the format readers' tests.

    use super::*;
    use crate::rng::SimRng;
    use rand::SeedableRng;
    use std::path::PathBuf;

    pub(super) fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/topology")
            .join(name)
    }

    /// The default fill with this balance split.
    pub(super) fn fill(balance: BalanceSplit) -> ChannelFill {
        ChannelFill {
            balance,
            ..ChannelFill::default()
        }
    }

    /// `path` in `format`, parallel channels merged if `merge_parallel`.
    pub(super) fn source(
        format: ImportFormat,
        path: PathBuf,
        merge_parallel: bool,
    ) -> ImportSource {
        ImportSource {
            format,
            path,
            merge_parallel,
        }
    }

    /// Imports fixture `name` with the default fill and this balance split, seed 1.
    pub(super) fn load(format: ImportFormat, balance: BalanceSplit, name: &str) -> Topology {
        let src = source(format, fixture(name), false);
        import(&src, &fill(balance), &mut SimRng::seed_from_u64(1)).unwrap()
    }

    /// The error for a broken fixture, checked to name the file, the line and the field.
    pub(super) fn broken(
        format: ImportFormat,
        name: &str,
        file: &str,
        line: usize,
        field: &str,
    ) -> InputError {
        let e = read(format, &fixture(name)).unwrap_err();
        let s = e.to_string();
        assert!(s.contains(file), "{s}");
        assert!(s.contains(&format!(":{line}:")), "{s}");
        assert!(s.contains(&format!("`{field}`")), "{s}");
        assert_eq!(e.line, Some(line), "{s}");
        assert_eq!(e.field.as_deref(), Some(field), "{s}");
        e
    }

    /// `sub` inside the shared LN snapshots. The tests using it are `#[ignore]`d (run them
    /// with `cargo test -- --ignored`) and fail loudly, rather than pass, without the data.
    pub(super) fn shared(sub: &str) -> PathBuf {
        crate::topology::config::shared_data_dir()
            .unwrap_or_else(|| {
                panic!(
                    "PCNSIM_SHARED_DATA is not set: this test needs the shared LN snapshots; \
                     run `PCNSIM_SHARED_DATA=/path/to/data/ln cargo test -- --ignored`"
                )
            })
            .join(sub)
    }
}

#[cfg(test)]
mod tests {
    use super::locate::{json_line, JPath};
    use super::test_support::*;
    use super::*;
    use crate::rng::SimRng;
    use crate::topology::config::{ComponentFilter, TopologyKind};
    use crate::topology::{ChannelId, TopologyConfig};
    use rand::SeedableRng;

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

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
        /// Mutated fixtures (and random text) give a graph or an error, never a panic.
        #[test]
        fn topology_import_never_panics(
            which in 0usize..6,
            pos in 0usize..4000,
            len in 0usize..64,
            insert in "(?s).{0,12}|[0-9,{}\\[\\]\":x-]{0,12}",
        ) {
            let dir = tempfile::tempdir().unwrap();
            let mutated = |name: &str| {
                let text = std::fs::read_to_string(fixture(name)).unwrap();
                mutate(&text, pos, len, &insert)
            };
            let (format, path) = match which {
                0..=2 => {
                    let d = dir.path().join("cloth");
                    std::fs::create_dir(&d).unwrap();
                    for (i, f) in ["nodes_ln.csv", "channels_ln.csv", "edges_ln.csv"].iter().enumerate() {
                        let name = format!("cloth/{f}");
                        let text = if i == which { mutated(&name) } else { std::fs::read_to_string(fixture(&name)).unwrap() };
                        std::fs::write(d.join(f), text).unwrap();
                    }
                    (ImportFormat::Cloth, d)
                }
                3 => (ImportFormat::LndJson, dir.path().join("lnd_small.json")),
                4 => (ImportFormat::ClnJson, dir.path().join("cln_small.json")),
                _ => (ImportFormat::Edgelist, dir.path().join("spider_small.edgelist")),
            };
            if which >= 3 {
                let name = path.file_name().unwrap().to_str().unwrap().to_string();
                std::fs::write(&path, mutated(&name)).unwrap();
            }
            let src = source(format, path, true);
            if let Ok(t) = import(&src, &fill(BalanceSplit::Uniform), &mut SimRng::seed_from_u64(1)) {
                for (_, ch) in t.channels() {
                    proptest::prop_assert_eq!(ch.balance[0] + ch.balance[1], ch.capacity);
                }
                let _ = crate::topology::largest_component(&t, ComponentFilter::LargestStronglyConnected);
            }
            let _ = json_line(&insert, &JPath::default().key("edges").idx(pos % 3).key("capacity"));
        }
    }
}
