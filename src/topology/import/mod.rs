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
//! Every reader drops a leading UTF-8 byte order mark, reports a directory where a file
//! belongs (and, for CLoTH, a file where the directory belongs) as such, rejects duplicate
//! ids, dangling references, amounts above 21 million BTC (no value wraps around) and a
//! running total of capacities above it (at the line where it crosses), and reports a file
//! without a single channel against that file.
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
    /// The id of `name`, if it was seen.
    fn get(&self, name: &str) -> Option<u32> {
        self.ids.get(name).copied()
    }
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
/// Every reader checks, as it goes, that each amount and the running total of the
/// capacities stay within 21 million BTC (so that no sum of capacities, balances or fees
/// can overflow), and that the file lists at least one channel; its errors name the line
/// where a check failed.
pub fn read(format: ImportFormat, path: &Path) -> Result<RawGraph, InputError> {
    match format {
        ImportFormat::Cloth => read_cloth(path),
        ImportFormat::LndJson => read_lnd_json(path),
        ImportFormat::ClnJson => read_cln_json(path),
        ImportFormat::Edgelist => read_edgelist(path),
    }
}

/// 21 million BTC in msat: no snapshot can hold more, in total or in any one amount.
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

/// The bytes of the file at `path`, without a leading UTF-8 byte order mark (which would
/// otherwise stick to the first header or node name). A directory is reported as such,
/// not as the OS's "Is a directory".
fn read_bytes(path: &Path) -> Result<Vec<u8>, InputError> {
    if path.is_dir() {
        return Err(InputError::new(
            path,
            format!("expected a file, found a directory: {}", path.display()),
        ));
    }
    let mut bytes = std::fs::read(path).map_err(|e| io_err(path, e))?;
    if bytes.starts_with(UTF8_BOM) {
        bytes.drain(..UTF8_BOM.len());
    }
    Ok(bytes)
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// [`read_bytes`] as UTF-8 text; invalid UTF-8 is reported at its line.
fn read_text(path: &Path) -> Result<String, InputError> {
    String::from_utf8(read_bytes(path)?).map_err(|e| {
        let bad = e.utf8_error().valid_up_to();
        let line = 1 + e.as_bytes()[..bad].iter().filter(|&&b| b == b'\n').count();
        InputError::new(path, format!("not UTF-8 text (at byte {bad})")).at_line(line)
    })
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

/// `v` msat if it is at most 21 million BTC, else the message saying it is not.
fn check_msat(v: u64) -> Result<u64, String> {
    if v <= MAX_TOTAL_MSAT {
        Ok(v)
    } else {
        Err(format!(
            "{v} msat is more than 21 million BTC ({MAX_TOTAL_MSAT} msat)"
        ))
    }
}

/// `sat` in msat if it is at most 21 million BTC, else the message saying it is not.
fn check_sat(sat: u64) -> Result<Msat, String> {
    sat_to_msat(sat)
        .filter(|m| m.0 <= MAX_TOTAL_MSAT)
        .ok_or_else(|| format!("{sat} sat is more than 21 million BTC"))
}

/// The running total of the capacities read so far.
#[derive(Default)]
struct CapacityTotal(u64);

impl CapacityTotal {
    /// Adds `capacity`; the message says the total crossed 21 million BTC with it.
    /// `unit` names the unit the format expects, for the hint.
    fn add(&mut self, capacity: Msat, unit: &str) -> Result<(), String> {
        match self.0.checked_add(capacity.0) {
            Some(t) if t <= MAX_TOTAL_MSAT => {
                self.0 = t;
                Ok(())
            }
            _ => Err(format!(
                "total capacity exceeds 21 million BTC at this channel ({} msat before it, \
                 {} msat in it); capacities must be in {unit}",
                self.0, capacity.0
            )),
        }
    }
}

/// The message for a file without a single channel.
const NO_CHANNELS: &str =
    "lists no channels; a topology needs at least one channel between two nodes";

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
        bad(format, &fixture(name), file, line, field)
    }

    /// The error reading `path`, checked to name `file` (a suffix of the path it names),
    /// the line and the field.
    pub(super) fn bad(
        format: ImportFormat,
        path: &Path,
        file: &str,
        line: usize,
        field: &str,
    ) -> InputError {
        let e = match read(format, path) {
            Ok(_) => panic!("{} should not import", path.display()),
            Err(e) => e,
        };
        let s = e.to_string();
        assert!(e.file.ends_with(file), "{s}");
        assert!(s.contains(file), "{s}");
        assert!(s.contains(&format!(":{line}:")), "{s}");
        assert!(s.contains(&format!("`{field}`")), "{s}");
        assert_eq!(e.line, Some(line), "{s}");
        assert_eq!(e.field.as_deref(), Some(field), "{s}");
        e
    }

    /// Writes `files` (name, contents) into `dir/sub` and returns that directory.
    pub(super) fn write_dir(dir: &Path, sub: &str, files: &[(&str, &[u8])]) -> PathBuf {
        let d = dir.join(sub);
        std::fs::create_dir_all(&d).unwrap();
        for (name, bytes) in files {
            std::fs::write(d.join(name), bytes).unwrap();
        }
        d
    }

    /// The UTF-8 byte order mark.
    pub(super) const BOM: &str = "\u{feff}";

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
            let _ =
                crate::topology::largest_component(&t, ComponentFilter::LargestStronglyConnected);
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
}
