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

use super::config::{BalanceSplit, ImportFormat, TopologyConfig};
use super::generate::{reserve, sample_policy, split_balance};
use super::{ChannelSpec, FeePolicy, NodeId, Topology};
use crate::error::InputError;
use crate::units::Msat;
use rand::Rng;
use serde_json::Value;
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

/// Imports `path` (already resolved) in `cfg.format` and fills it in from `cfg`: see
/// [`finish`]. Does not apply `cfg.component` (that is [`super::build`]'s last step).
pub fn import<R: Rng + ?Sized>(
    cfg: &TopologyConfig,
    path: &Path,
    rng: &mut R,
) -> Result<Topology, InputError> {
    let format = cfg.format.ok_or_else(|| {
        InputError::new(path, "kind = \"import\" needs a format").field("topology.format")
    })?;
    let mut raw = read(format, path)?;
    if cfg.merge_parallel {
        raw = merge_parallel(raw);
    }
    Ok(finish(raw, cfg, rng))
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
/// for `balance = "file"`, else split by `cfg.balance`), reserves from `cfg.reserve_ppm`,
/// and per side a policy drawn from `cfg.fees` overridden by every value the file has.
pub fn finish<R: Rng + ?Sized>(raw: RawGraph, cfg: &TopologyConfig, rng: &mut R) -> Topology {
    let mut t = Topology::new();
    t.graph.reserve_nodes(raw.nodes.len());
    t.graph.reserve_edges(raw.channels.len());
    for name in raw.nodes {
        t.add_node(name);
    }
    for ch in raw.channels {
        let cap = ch.capacity;
        let balance = match (cfg.balance, ch.balance) {
            (BalanceSplit::File, Some(b)) => b,
            (split, _) => split_balance(cap, split, rng),
        };
        let r = reserve(cap, cfg.reserve_ppm);
        let [p0, p1] = &ch.policy;
        let policy = [p0, p1].map(|raw| {
            let mut p: FeePolicy = sample_policy(&cfg.fees, cap, rng);
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

// ---------------------------------------------------------------------------------------
// CLoTH CSV triple.

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

// ---------------------------------------------------------------------------------------
// JSON (lnd, CLN).

/// One step of a JSON path.
#[derive(Debug, Clone)]
enum Seg {
    Key(&'static str),
    Idx(usize),
}

#[derive(Debug, Clone, Default)]
struct JPath(Vec<Seg>);

impl JPath {
    fn at(&self, s: Seg) -> JPath {
        let mut p = self.0.clone();
        p.push(s);
        JPath(p)
    }
    fn key(&self, k: &'static str) -> JPath {
        self.at(Seg::Key(k))
    }
    fn idx(&self, i: usize) -> JPath {
        self.at(Seg::Idx(i))
    }
}

impl fmt::Display for JPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            match s {
                Seg::Key(k) if i == 0 => write!(f, "{k}")?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Idx(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// A cursor over raw JSON text, used only to find the line of a path for error messages.
struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn ws(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.i += 1;
        }
    }
    /// At a `"`: skips the string, returns its raw contents.
    fn string(&mut self) -> Option<&[u8]> {
        if self.peek() != Some(b'"') {
            return None;
        }
        let start = self.i + 1;
        self.i += 1;
        loop {
            match self.peek()? {
                b'\\' => self.i += 2,
                b'"' => {
                    let s = self.b.get(start..self.i);
                    self.i += 1;
                    return s;
                }
                _ => self.i += 1,
            }
        }
    }
    fn skip_value(&mut self) -> Option<()> {
        self.ws();
        match self.peek()? {
            b'"' => self.string().map(|_| ()),
            b'{' | b'[' => {
                let mut depth = 0usize;
                loop {
                    match self.peek()? {
                        b'"' => {
                            self.string()?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                self.i += 1;
                                return Some(());
                            }
                        }
                        _ => {}
                    }
                    self.i += 1;
                }
            }
            _ => {
                while self
                    .peek()
                    .is_some_and(|c| !matches!(c, b',' | b']' | b'}') && !c.is_ascii_whitespace())
                {
                    self.i += 1;
                }
                Some(())
            }
        }
    }
    /// Offset of the value at `path`, or of the deepest part of it that exists.
    fn find(&mut self, path: &[Seg]) -> usize {
        self.ws();
        let here = self.i;
        let Some((seg, rest)) = path.split_first() else {
            return here;
        };
        self.find_in(seg, rest).unwrap_or(here)
    }
    fn find_in(&mut self, seg: &Seg, rest: &[Seg]) -> Option<usize> {
        match (seg, self.peek()?) {
            (Seg::Key(k), b'{') => {
                self.i += 1;
                loop {
                    self.ws();
                    if self.peek()? == b'}' {
                        return None;
                    }
                    let key_at = self.i;
                    let key = self.string()?;
                    let hit = key == k.as_bytes();
                    self.ws();
                    if self.peek()? != b':' {
                        return None;
                    }
                    self.i += 1;
                    if hit {
                        self.ws();
                        if rest.is_empty() {
                            return Some(key_at);
                        }
                        return Some(self.find(rest));
                    }
                    self.skip_value()?;
                    self.ws();
                    if self.peek()? == b',' {
                        self.i += 1;
                    }
                }
            }
            (Seg::Idx(n), b'[') => {
                self.i += 1;
                let mut j = 0;
                loop {
                    self.ws();
                    if self.peek()? == b']' {
                        return None;
                    }
                    if j == *n {
                        return Some(self.find(rest));
                    }
                    self.skip_value()?;
                    self.ws();
                    if self.peek()? == b',' {
                        self.i += 1;
                    }
                    j += 1;
                }
            }
            _ => None,
        }
    }
}

/// The 1-based line where `path` (or the deepest existing part of it) stands in `text`.
fn json_line(text: &str, path: &JPath) -> usize {
    let mut c = Cursor {
        b: text.as_bytes(),
        i: 0,
    };
    let off = c.find(&path.0).min(text.len());
    1 + text
        .as_bytes()
        .get(..off)
        .map_or(0, |s| s.iter().filter(|&&b| b == b'\n').count())
}

/// A parsed JSON document with what is needed for good error messages.
struct JsonDoc<'a> {
    path: &'a Path,
    text: String,
}

impl JsonDoc<'_> {
    fn load(path: &Path) -> Result<(JsonDoc<'_>, Value), InputError> {
        let text = std::fs::read_to_string(path).map_err(|e| io_err(path, e))?;
        let v: Value = serde_json::from_str(&text).map_err(|e| {
            InputError::new(path, format!("invalid JSON: {e}"))
                .line_opt((e.line() > 0).then_some(e.line()))
        })?;
        Ok((JsonDoc { path, text }, v))
    }
    fn err(&self, at: &JPath, msg: impl Into<String>) -> InputError {
        InputError::new(self.path, msg)
            .at_line(json_line(&self.text, at))
            .field(at.to_string())
    }
    fn array<'v>(&self, v: &'v Value, at: &JPath) -> Result<&'v Vec<Value>, InputError> {
        match v {
            Value::Array(a) => Ok(a),
            Value::Null => Err(self.err(at, "missing; expected an array")),
            other => Err(self.err(at, format!("expected an array, got {}", kind(other)))),
        }
    }
    fn string<'v>(&self, v: &'v Value, at: &JPath) -> Result<&'v str, InputError> {
        match v {
            Value::String(s) => Ok(s),
            Value::Null => Err(self.err(at, "missing; expected a string")),
            other => Err(self.err(at, format!("expected a string, got {}", kind(other)))),
        }
    }
    /// An optional non-negative integer, as a JSON number or a string of digits
    /// (with a `msat` suffix when `msat_suffix`). `null` or absent → `None`.
    fn int(&self, v: &Value, at: &JPath, msat_suffix: bool) -> Result<Option<u64>, InputError> {
        let bad = |got: String| {
            let suffix = if msat_suffix {
                " (optionally ending in `msat`)"
            } else {
                ""
            };
            self.err(
                at,
                format!("expected a non-negative integer or a string of digits{suffix}, got {got}"),
            )
        };
        match v {
            Value::Null => Ok(None),
            Value::Number(n) => n.as_u64().map(Some).ok_or_else(|| bad(n.to_string())),
            Value::String(s) => {
                let digits = if msat_suffix {
                    s.strip_suffix("msat").unwrap_or(s)
                } else {
                    s
                };
                parse_u64(digits)
                    .map(Some)
                    .ok_or_else(|| bad(format!("\"{s}\"")))
            }
            other => Err(bad(kind(other).to_string())),
        }
    }
    fn required_int(&self, v: &Value, at: &JPath, msat_suffix: bool) -> Result<u64, InputError> {
        self.int(v, at, msat_suffix)?
            .ok_or_else(|| self.err(at, "missing; expected an integer"))
    }
    fn narrow<T: TryFrom<u64>>(
        &self,
        v: Option<u64>,
        at: &JPath,
        max: u64,
    ) -> Result<Option<T>, InputError> {
        v.map(|x| {
            T::try_from(x).map_err(|_| self.err(at, format!("{x} is too large (at most {max})")))
        })
        .transpose()
    }
    fn bool(&self, v: &Value, at: &JPath, default: bool) -> Result<bool, InputError> {
        match v {
            Value::Null => Ok(default),
            Value::Bool(b) => Ok(*b),
            other => Err(self.err(at, format!("expected true or false, got {}", kind(other)))),
        }
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Reads lnd `lncli describegraph` JSON.
///
/// Uses `nodes[].pub_key` (nodes in file order; pubkeys seen only in edges are appended)
/// and `edges[]`: `channel_id` (label), `node1_pub`, `node2_pub`, `capacity` (sat),
/// `node1_policy` / `node2_policy` with `fee_base_msat`, `fee_rate_milli_msat` (ppm),
/// `time_lock_delta`, `min_htlc`, `max_htlc_msat` (msat; `0` = not advertised) and
/// `disabled`. A `null` or disabled policy makes that direction unusable (module docs).
/// Numbers may be JSON numbers or strings, as lnd writes them.
pub fn read_lnd_json(path: &Path) -> Result<RawGraph, InputError> {
    let (doc, root) = JsonDoc::load(path)?;
    let root_p = JPath::default();
    let mut names = Interner::default();
    if !root["nodes"].is_null() {
        let np = root_p.key("nodes");
        for (i, n) in doc.array(&root["nodes"], &np)?.iter().enumerate() {
            let p = np.idx(i).key("pub_key");
            names.id(doc.string(&n["pub_key"], &p)?);
        }
    }
    let ep = root_p.key("edges");
    let mut channels = Vec::new();
    for (i, e) in doc.array(&root["edges"], &ep)?.iter().enumerate() {
        let at = ep.idx(i);
        let a = names.id(doc.string(&e["node1_pub"], &at.key("node1_pub"))?);
        let b = names.id(doc.string(&e["node2_pub"], &at.key("node2_pub"))?);
        if a == b {
            return Err(doc.err(
                &at.key("node2_pub"),
                "self-loop: node2_pub equals node1_pub",
            ));
        }
        let cp = at.key("capacity");
        let cap_sat = doc.required_int(&e["capacity"], &cp, false)?;
        let capacity = sat_to_msat(cap_sat).filter(|c| c.0 > 0).ok_or_else(|| {
            doc.err(
                &cp,
                format!(
                    "capacity must be positive and at most {} sat",
                    u64::MAX / 1000
                ),
            )
        })?;
        let label = match &e["channel_id"] {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        let mut policy = [RawPolicy::disabled(), RawPolicy::disabled()];
        for (d, key) in ["node1_policy", "node2_policy"].into_iter().enumerate() {
            let pv = &e[key];
            let pp = at.key(key);
            if pv.is_null() {
                continue;
            }
            if !pv.is_object() {
                return Err(doc.err(&pp, format!("expected an object or null, got {}", kind(pv))));
            }
            let f = |k: &'static str| (&pv[k], pp.key(k));
            let (v, p) = f("fee_base_msat");
            let base_fee = doc.int(v, &p, false)?;
            let (v, p) = f("fee_rate_milli_msat");
            let fee_ppm = doc.narrow(doc.int(v, &p, false)?, &p, u32::MAX.into())?;
            let (v, p) = f("time_lock_delta");
            let cltv_delta = doc.narrow(doc.int(v, &p, false)?, &p, u16::MAX.into())?;
            let (v, p) = f("min_htlc");
            let min_htlc = doc.int(v, &p, false)?;
            let (v, p) = f("max_htlc_msat");
            let max_htlc = doc.int(v, &p, false)?.filter(|&m| m > 0);
            let (v, p) = f("disabled");
            let disabled = doc.bool(v, &p, false)?;
            if let Some(slot) = policy.get_mut(d) {
                *slot = RawPolicy {
                    base_fee,
                    fee_ppm,
                    cltv_delta,
                    min_htlc,
                    max_htlc,
                    disabled,
                };
            }
        }
        channels.push(RawChannel {
            nodes: [a, b],
            capacity,
            balance: None,
            policy,
            label,
        });
    }
    Ok(RawGraph {
        nodes: names.names,
        channels,
    })
}

/// Reads Core Lightning `listchannels` JSON: `channels[]`, one entry per direction, with
/// `source`, `destination`, `short_channel_id`, capacity as `satoshis` or `amount_msat`,
/// `base_fee_millisatoshi`, `fee_per_millionth`, `delay`, `htlc_minimum_msat`,
/// `htlc_maximum_msat` (numbers or strings like `"1000msat"`) and `active`.
///
/// The two directions are paired by `short_channel_id`; the channel takes the node order
/// and position of the first one seen. A direction never listed, or `active: false`, is
/// unusable (module docs). Nodes are numbered in order of first appearance.
pub fn read_cln_json(path: &Path) -> Result<RawGraph, InputError> {
    let (doc, root) = JsonDoc::load(path)?;
    let cp = JPath::default().key("channels");
    let mut names = Interner::default();
    let mut channels: Vec<RawChannel> = Vec::new();
    // scid -> (channel index, entry index of its first direction, directions seen)
    let mut by_scid: HashMap<String, (usize, usize, u8)> = HashMap::new();
    for (i, e) in doc.array(&root["channels"], &cp)?.iter().enumerate() {
        let at = cp.idx(i);
        let src = doc.string(&e["source"], &at.key("source"))?;
        let dst = doc.string(&e["destination"], &at.key("destination"))?;
        let scid = doc.string(&e["short_channel_id"], &at.key("short_channel_id"))?;
        let (a, b) = (names.id(src), names.id(dst));
        if a == b {
            return Err(doc.err(
                &at.key("destination"),
                "self-loop: destination equals source",
            ));
        }
        let capacity = if !e["amount_msat"].is_null() {
            let p = at.key("amount_msat");
            Msat(doc.required_int(&e["amount_msat"], &p, true)?)
        } else {
            let p = at.key("satoshis");
            let sat = doc.int(&e["satoshis"], &p, false)?.ok_or_else(|| {
                doc.err(
                    &at.key("amount_msat"),
                    "missing; expected `amount_msat` or `satoshis`",
                )
            })?;
            sat_to_msat(sat).ok_or_else(|| doc.err(&p, "too large"))?
        };
        if capacity.0 == 0 {
            let f = if e["amount_msat"].is_null() {
                "satoshis"
            } else {
                "amount_msat"
            };
            return Err(doc.err(&at.key(f), "capacity must be positive"));
        }
        let f = |k: &'static str| (&e[k], at.key(k));
        let (v, p) = f("base_fee_millisatoshi");
        let base_fee = doc.int(v, &p, true)?;
        let (v, p) = f("fee_per_millionth");
        let fee_ppm = doc.narrow(doc.int(v, &p, false)?, &p, u32::MAX.into())?;
        let (v, p) = f("delay");
        let cltv_delta = doc.narrow(doc.int(v, &p, false)?, &p, u16::MAX.into())?;
        let (v, p) = f("htlc_minimum_msat");
        let min_htlc = doc.int(v, &p, true)?;
        let (v, p) = f("htlc_maximum_msat");
        let max_htlc = doc.int(v, &p, true)?;
        let (v, p) = f("active");
        let active = doc.bool(v, &p, true)?;
        let pol = RawPolicy {
            base_fee,
            fee_ppm,
            cltv_delta,
            min_htlc,
            max_htlc,
            disabled: !active,
        };
        match by_scid.get_mut(scid) {
            None => {
                by_scid.insert(scid.to_string(), (channels.len(), i, 1));
                channels.push(RawChannel {
                    nodes: [a, b],
                    capacity,
                    balance: None,
                    policy: [pol, RawPolicy::disabled()],
                    label: Some(scid.to_string()),
                });
            }
            Some((ci, first, seen)) => {
                let ch = channels
                    .get_mut(*ci)
                    .ok_or_else(|| doc.err(&at, "internal: lost channel"))?;
                if *seen >= 2 || ch.nodes == [a, b] {
                    return Err(doc.err(
                        &at.key("short_channel_id"),
                        format!("direction {src} -> {dst} of channel {scid} is listed twice (first at channels[{first}])"),
                    ));
                }
                if ch.nodes != [b, a] {
                    return Err(doc.err(
                        &at.key("source"),
                        format!("channel {scid} links other nodes than at channels[{first}]"),
                    ));
                }
                if ch.capacity != capacity {
                    return Err(doc.err(
                        &at.key(if e["amount_msat"].is_null() {
                            "satoshis"
                        } else {
                            "amount_msat"
                        }),
                        format!(
                            "capacity {} msat differs from {} msat at channels[{first}]",
                            capacity.0, ch.capacity.0
                        ),
                    ));
                }
                ch.policy[1] = pol;
                *seen += 1;
            }
        }
    }
    Ok(RawGraph {
        nodes: names.names,
        channels,
    })
}

// ---------------------------------------------------------------------------------------
// Edge lists.

/// Reads an edge list: one undirected channel per line, `u v capacity_sat` (Shaduf) or
/// NetworkX `u v {'capacity': 495629}` / `{'capacity': u'495629'}` (Spider). Blank lines and
/// lines starting with `#` are skipped. Node names are the tokens `u`, `v`, numbered in
/// order of first appearance. No balances, no fees.
pub fn read_edgelist(path: &Path) -> Result<RawGraph, InputError> {
    let text = std::fs::read_to_string(path).map_err(|e| io_err(path, e))?;
    let mut names = Interner::default();
    let mut channels = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let lineno = i + 1;
        let err =
            |field: &str, msg: String| InputError::new(path, msg).at_line(lineno).field(field);
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (u, rest) = split_token(line);
        let (v, rest) = split_token(rest);
        if v.is_empty() {
            return Err(err(
                "v",
                "missing second node; expected `u v capacity_sat`".into(),
            ));
        }
        if u == v {
            return Err(err("v", format!("self-loop: both ends are `{u}`")));
        }
        let cap_str = if rest.starts_with('{') {
            nx_capacity(rest).map_err(|m| err("capacity", m))?
        } else {
            let (c, extra) = split_token(rest);
            if c.is_empty() {
                return Err(err(
                    "capacity",
                    "missing; expected `u v capacity_sat`".into(),
                ));
            }
            if !extra.is_empty() {
                return Err(err(
                    "capacity",
                    format!("unexpected text after the capacity: `{extra}`"),
                ));
            }
            c
        };
        let cap = parse_u64(cap_str)
            .and_then(sat_to_msat)
            .filter(|c| c.0 > 0)
            .ok_or_else(|| {
                err(
                    "capacity",
                    format!("expected a positive integer number of sat, got `{cap_str}`"),
                )
            })?;
        let (a, b) = (names.id(u), names.id(v));
        channels.push(RawChannel {
            nodes: [a, b],
            capacity: cap,
            balance: None,
            policy: [RawPolicy::default(), RawPolicy::default()],
            label: None,
        });
    }
    Ok(RawGraph {
        nodes: names.names,
        channels,
    })
}

/// The first whitespace-separated token and the trimmed rest.
fn split_token(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    match s.find(char::is_whitespace) {
        Some(i) => {
            let (a, b) = s.split_at(i);
            (a, b.trim())
        }
        None => (s, ""),
    }
}

/// The capacity value in a NetworkX attribute dict such as `{'capacity': u'495629'}`.
fn nx_capacity(dict: &str) -> Result<&str, String> {
    let inner = dict
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .ok_or_else(|| format!("expected a dict like {{'capacity': 1000}}, got `{dict}`"))?;
    for item in inner.split(',') {
        let Some((k, v)) = item.split_once(':') else {
            continue;
        };
        let k = k.trim().trim_matches(|c| c == '\'' || c == '"');
        if k == "capacity" {
            let v = v.trim();
            let v = v
                .strip_prefix('u')
                .filter(|r| r.starts_with(['\'', '"']))
                .unwrap_or(v);
            return Ok(v.trim_matches(|c| c == '\'' || c == '"'));
        }
    }
    Err(format!("no 'capacity' key in `{dict}`"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SimRng;
    use crate::topology::config::{ComponentFilter, TopologyKind};
    use crate::topology::ChannelId;
    use rand::SeedableRng;
    use std::path::PathBuf;

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/topology")
            .join(name)
    }

    fn cfg(format: ImportFormat, balance: BalanceSplit) -> TopologyConfig {
        let mut c = TopologyConfig::new(TopologyKind::Import);
        c.format = Some(format);
        c.path = Some("unused".into());
        c.balance = balance;
        c
    }

    fn load(format: ImportFormat, balance: BalanceSplit, name: &str) -> Topology {
        let c = cfg(format, balance);
        c.validate().unwrap();
        import(&c, &fixture(name), &mut SimRng::seed_from_u64(1)).unwrap()
    }

    /// The error for a broken fixture, checked to name the file, the line and the field.
    fn broken(
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
    fn topology_import_lnd_fixture() {
        let t = load(ImportFormat::LndJson, BalanceSplit::Half, "lnd_small.json");
        assert_eq!((t.node_count(), t.channel_count()), (3, 2));
        let c = t.channel(ChannelId(0));
        assert_eq!(c.label.as_deref(), Some("700000000000000001"));
        assert_eq!(c.capacity, Msat(1_000_000_000));
        assert_eq!(c.balance, [Msat(500_000_000), Msat(500_000_000)]);
        assert_eq!(c.policy[0].fee_ppm, 1);
        assert_eq!(c.policy[0].cltv_delta, 40);
        assert_eq!(c.policy[0].max_htlc, Msat(990_000_000));
        // node2_policy is disabled: base/ppm/cltv kept, max_htlc 0 marks it unusable.
        assert_eq!((c.policy[1].base_fee, c.policy[1].fee_ppm), (Msat(0), 250));
        assert_eq!(c.policy[1].cltv_delta, 144);
        assert_eq!(c.policy[1].max_htlc, Msat(0));
        let c = t.channel(ChannelId(1));
        assert_eq!(c.nodes, [NodeId(1), NodeId(2)]);
        // null node1_policy: defaults from [topology.fees], max_htlc 0.
        assert_eq!(c.policy[0].max_htlc, Msat(0));
        assert_eq!(c.policy[0].cltv_delta, 40);
        // max_htlc_msat "0" = not advertised: share of the capacity.
        assert_eq!(c.policy[1].max_htlc, Msat(500_000_000));
        assert_eq!(c.policy[1].cltv_delta, 18);
    }

    #[test]
    fn topology_import_lnd_broken() {
        let e = broken(
            ImportFormat::LndJson,
            "lnd_bad_capacity.json",
            "lnd_bad_capacity.json",
            15,
            "edges[1].capacity",
        );
        assert!(e.message.contains("12x4"), "{e}");
        broken(
            ImportFormat::LndJson,
            "lnd_bad_policy.json",
            "lnd_bad_policy.json",
            11,
            "edges[0].node1_policy.time_lock_delta",
        );
        let e = read(ImportFormat::LndJson, &fixture("lnd_syntax.json")).unwrap_err();
        assert_eq!(e.line, Some(4), "{e}");
        assert!(e.to_string().contains("lnd_syntax.json:4:"), "{e}");
    }

    #[test]
    fn topology_import_cln_fixture() {
        let t = load(ImportFormat::ClnJson, BalanceSplit::Half, "cln_small.json");
        assert_eq!((t.node_count(), t.channel_count()), (3, 2));
        let c = t.channel(ChannelId(0));
        assert_eq!(c.label.as_deref(), Some("600000x1x0"));
        assert_eq!(c.capacity, Msat(1_000_000_000));
        assert_eq!(
            (
                c.policy[0].base_fee,
                c.policy[0].fee_ppm,
                c.policy[0].cltv_delta
            ),
            (Msat(1000), 1, 40)
        );
        assert_eq!(c.policy[0].min_htlc, Msat(1000));
        assert_eq!(c.policy[0].max_htlc, Msat(990_000_000));
        // Second direction: inactive.
        assert_eq!((c.policy[1].fee_ppm, c.policy[1].cltv_delta), (250, 144));
        assert_eq!(c.policy[1].max_htlc, Msat(0));
        // Channel seen in one direction only.
        let c = t.channel(ChannelId(1));
        assert_eq!(c.capacity, Msat(500_000_000));
        assert_eq!(c.policy[0].cltv_delta, 18);
        assert_eq!(c.policy[0].max_htlc, Msat(500_000_000));
        assert_eq!(c.policy[1].max_htlc, Msat(0));
    }

    #[test]
    fn topology_import_cln_broken() {
        broken(
            ImportFormat::ClnJson,
            "cln_bad_delay.json",
            "cln_bad_delay.json",
            9,
            "channels[1].delay",
        );
        broken(
            ImportFormat::ClnJson,
            "cln_twice.json",
            "cln_twice.json",
            8,
            "channels[1].short_channel_id",
        );
    }

    #[test]
    fn topology_import_edgelists() {
        let t = load(
            ImportFormat::Edgelist,
            BalanceSplit::Half,
            "shaduf_small.edgelist",
        );
        assert_eq!((t.node_count(), t.channel_count()), (4, 4));
        let c = t.channel(ChannelId(0));
        assert_eq!(c.capacity, Msat(500_000_000));
        assert_eq!(c.balance, [Msat(250_000_000), Msat(250_000_000)]);
        assert_eq!(
            c.policy[0],
            FeePolicy {
                max_htlc: Msat(500_000_000),
                ..FeePolicy::default()
            }
        );
        assert_eq!(t.node(NodeId(3)).name, "5");
        assert_eq!(t.total_capacity(), Msat(700_107_000));

        let t = load(
            ImportFormat::Edgelist,
            BalanceSplit::Half,
            "spider_small.edgelist",
        );
        assert_eq!((t.node_count(), t.channel_count()), (3, 3));
        assert_eq!(t.channel(ChannelId(0)).capacity, Msat(495_629_000));
        assert_eq!(t.channel(ChannelId(1)).capacity, Msat(218_000));
        assert_eq!(t.channel(ChannelId(2)).capacity, Msat(7_000));
    }

    #[test]
    fn topology_import_edgelist_broken() {
        broken(
            ImportFormat::Edgelist,
            "edge_bad_capacity.edgelist",
            "edge_bad_capacity.edgelist",
            3,
            "capacity",
        );
        broken(
            ImportFormat::Edgelist,
            "edge_bad_dict.edgelist",
            "edge_bad_dict.edgelist",
            2,
            "capacity",
        );
        broken(
            ImportFormat::Edgelist,
            "edge_self_loop.edgelist",
            "edge_self_loop.edgelist",
            2,
            "v",
        );
    }

    #[test]
    fn topology_import_merge_parallel() {
        // parallel.edgelist: a-b 100, b-c 10, b-a 300, a-b 50 (sat).
        let mut c = cfg(ImportFormat::Edgelist, BalanceSplit::Ratio(0.1));
        let t = import(
            &c,
            &fixture("parallel.edgelist"),
            &mut SimRng::seed_from_u64(1),
        )
        .unwrap();
        assert_eq!(t.channel_count(), 4);
        c.merge_parallel = true;
        let t = import(
            &c,
            &fixture("parallel.edgelist"),
            &mut SimRng::seed_from_u64(1),
        )
        .unwrap();
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
        let mut c = cfg(ImportFormat::Edgelist, BalanceSplit::Half);
        c.component = ComponentFilter::LargestConnected;
        c.path = Some("two_components.edgelist".into());
        let t = crate::topology::build(&c, &fixture(""), &mut SimRng::seed_from_u64(1)).unwrap();
        assert_eq!((t.node_count(), t.channel_count()), (3, 3));
        let names: Vec<String> = (0..3).map(|i| t.node(NodeId(i)).name.clone()).collect();
        assert_eq!(names, ["x", "y", "z"]);
        assert_eq!(t.channel(ChannelId(0)).nodes, [NodeId(0), NodeId(1)]);
    }

    #[test]
    fn topology_json_line_finder() {
        let text = "{\n \"a\": [1,\n  {\"b\": \"x\\\"}\",\n   \"c\": 5}\n ]\n}";
        let p = JPath::default().key("a").idx(1).key("c");
        assert_eq!(json_line(text, &p), 4);
        assert_eq!(
            json_line(text, &JPath::default().key("a").idx(1).key("zz")),
            3
        );
        assert_eq!(json_line(text, &JPath::default().key("a").idx(7)), 2);
        // Garbage never panics.
        for t in [
            "",
            "{",
            "[\"",
            "{\"a\":",
            "{\"a\" 1}",
            "]]]",
            "{\"a\": [\"\\",
        ] {
            let _ = json_line(t, &p);
        }
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
            let mut c = cfg(format, BalanceSplit::Uniform);
            c.merge_parallel = true;
            if let Ok(t) = import(&c, &path, &mut SimRng::seed_from_u64(1)) {
                for (_, ch) in t.channels() {
                    proptest::prop_assert_eq!(ch.balance[0] + ch.balance[1], ch.capacity);
                }
                let _ = crate::topology::largest_component(&t, ComponentFilter::LargestStronglyConnected);
            }
            let _ = json_line(&insert, &JPath::default().key("edges").idx(pos % 3).key("capacity"));
        }
    }

    /// `sub` inside the shared LN snapshots. The tests using it are `#[ignore]`d (run them
    /// with `cargo test -- --ignored`) and fail loudly, rather than pass, without the data.
    fn shared(sub: &str) -> PathBuf {
        crate::topology::config::shared_data_dir()
            .unwrap_or_else(|| {
                panic!(
                    "PCNSIM_SHARED_DATA is not set: this test needs the shared LN snapshots; \
                     run `PCNSIM_SHARED_DATA=/path/to/data/ln cargo test -- --ignored`"
                )
            })
            .join(sub)
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
        let c = cfg(ImportFormat::Cloth, BalanceSplit::File);
        let t = import(&c, &dir, &mut SimRng::seed_from_u64(1)).unwrap();
        assert_eq!(t.total_capacity(), Msat(CLOTH_TOTAL_MSAT));
        for (_, ch) in t.channels() {
            assert_eq!(ch.balance[0] + ch.balance[1], ch.capacity);
        }
    }

    const CLOTH_TOTAL_MSAT: u64 = 104_055_781_879_000;

    #[test]
    #[ignore = "needs PCNSIM_SHARED_DATA"]
    fn topology_import_real_edgelists() {
        let path = shared("shaduf_ln_20210331/lightning_simplified_component.edgelist");
        let raw = read_edgelist(&path).unwrap();
        assert_eq!((raw.nodes.len(), raw.channels.len()), (10_529, 38_910));
        // Spider (NetworkX form, README table): nodes, edges, total capacity in BTC.
        for (file, nodes, edges, btc) in [
            ("lnd_july15_2019_reducedsize.edgelist", 106, 265, None),
            ("clightning_oct5_2020.edgelist", 5_885, 29_067, Some(811.1)),
        ] {
            let path = shared(&format!("spider_lnd_data/{file}"));
            let raw = read_edgelist(&path).unwrap();
            assert_eq!(
                (raw.nodes.len(), raw.channels.len()),
                (nodes, edges),
                "{file}"
            );
            if let Some(btc) = btc {
                let total: u64 = raw.channels.iter().map(|c| c.capacity.0).sum();
                assert!((Msat(total).btc_f64() - btc).abs() < 0.1, "{file}: {total}");
            }
        }
    }
}
