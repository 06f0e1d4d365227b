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
//! | `csv_file.rs` | CSV files with typed getters whose errors name the line and column |
//! | `json.rs` | a parsed JSON document whose typed getters make errors naming the line |
//! | `locate.rs` | finds the line of a JSON path in the raw text, for error messages |
//! | `tests.rs`, `test_support.rs` | tests across formats (merging, property tests); fixtures and checks shared by every reader's tests |
//!
//! This module must not simulate anything, draw random numbers anywhere but in [`finish`]
//! (in channel order, so a seed gives one topology), iterate a hash map where order
//! matters, or reduce the graph to a component (that is [`super::build`]'s last step). A
//! format reader reports only what its file says: defaults are filled in by [`finish`].

mod cln_json;
mod cloth;
mod csv_file;
mod edgelist;
mod json;
mod lnd_json;
mod locate;

pub use cln_json::{parse_cln_json, read_cln_json};
pub use cloth::{parse_cloth, read_cloth};
pub use edgelist::{parse_edgelist, read_edgelist};
pub use lnd_json::{parse_lnd_json, read_lnd_json};

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
    let bytes = std::fs::read(path).map_err(|e| io_err(path, e))?;
    Ok(strip_bom(bytes))
}

/// `bytes` without a leading UTF-8 byte order mark.
fn strip_bom(mut bytes: Vec<u8>) -> Vec<u8> {
    if bytes.starts_with(UTF8_BOM) {
        bytes.drain(..UTF8_BOM.len());
    }
    bytes
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// [`read_bytes`] as UTF-8 text; invalid UTF-8 is reported at its line.
fn read_text(path: &Path) -> Result<String, InputError> {
    to_text(path, read_bytes(path)?)
}

/// `bytes` (a byte order mark dropped) as UTF-8 text; invalid UTF-8 is reported at its
/// line of `path`.
fn to_text(path: &Path, bytes: Vec<u8>) -> Result<String, InputError> {
    String::from_utf8(strip_bom(bytes)).map_err(|e| {
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
mod test_support;
#[cfg(test)]
mod tests;
