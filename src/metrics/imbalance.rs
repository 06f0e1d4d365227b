//! Imbalance measures: [`imbalance`], a full scan, and [`ImbalanceTracker`], the same kept
//! incrementally from the channels each event touched (bit-identical), used for the windows.

use super::Imbalance;
use crate::network::{ChannelState, ChannelStatus, Network};
use crate::topology::NodeId;
use std::cmp::Ordering;

/// Gini coefficient of non-negative values: `Σ_i Σ_j |x_i − x_j| / (2 n² mean)`.
/// 0 when all are equal; `(n−1)/n` when one holds everything. O(n log n).
pub fn gini(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    gini_sorted(values)
}

/// [`gini`] of values already sorted by `f64::total_cmp`. O(n).
fn gini_sorted(values: &[f64]) -> f64 {
    let n = values.len();
    if n == 0 {
        return 0.0;
    }
    let sum: f64 = values.iter().sum();
    if sum <= 0.0 {
        return 0.0;
    }
    // With sorted x: Σ_i Σ_j |x_i − x_j| = 2 Σ_i (2i − n + 1) x_i (0-based i).
    let mut acc = 0.0;
    for (i, x) in values.iter().enumerate() {
        acc += (2.0 * i as f64 - n as f64 + 1.0) * x;
    }
    acc / (n as f64 * sum)
}

/// One channel's part of [`Imbalance`]: `None` unless it is open with a positive capacity,
/// else (directions depleted, |local share − 0.5|).
#[inline]
fn channel_term(c: &ChannelState, depleted_share: f64) -> Option<(u8, f64)> {
    if c.status() != ChannelStatus::Open || c.capacity().0 == 0 {
        return None;
    }
    let thr = (c.capacity().0 as f64 * depleted_share) as u64;
    let depleted = (0..2).filter(|&d| c.spendable(d).0 < thr.max(1)).count() as u8;
    Some((depleted, (c.share(0) - 0.5).abs()))
}

/// One node's part of [`Imbalance`]: its number of open channels and, with at least two,
/// the Gini coefficient of their local shares (0 otherwise). `scratch` is work space; with
/// two or more open channels it is left holding their shares sorted by `total_cmp`.
#[inline]
fn node_term(net: &Network, v: NodeId, scratch: &mut Vec<f64>) -> (u32, f64) {
    scratch.clear();
    for c in net.channels_of(v) {
        let ch = net.chan(c);
        if ch.status() != ChannelStatus::Open {
            continue;
        }
        if let Some(d) = ch.side_of(v) {
            scratch.push(ch.share(d));
        }
    }
    let n = scratch.len() as u32;
    (n, if n >= 2 { gini(scratch) } else { 0.0 })
}

/// Nearest-rank percentile `q` of `sorted` (sorted by `total_cmp`). 0 if empty.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (q * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

/// Builds the [`Imbalance`] from its sums. Every float sum is taken in channel-id or
/// node-id order by the callers, so a full scan and [`ImbalanceTracker`] agree bit for bit.
/// `ginis` are the per-node Gini coefficients (nodes with ≥ 2 open channels) sorted by
/// `total_cmp`.
fn assemble(
    open: u64,
    depleted: u64,
    skew: f64,
    gini_sum: f64,
    connected: u64,
    ginis: &[f64],
) -> Imbalance {
    let dirs = 2 * open;
    let gini_nodes = ginis.len() as u64;
    Imbalance {
        depleted_share: if dirs > 0 {
            depleted as f64 / dirs as f64
        } else {
            0.0
        },
        mean_abs_skew: if open > 0 { skew / open as f64 } else { 0.0 },
        node_gini: if gini_nodes > 0 {
            gini_sum / gini_nodes as f64
        } else {
            0.0
        },
        node_gini_p10: percentile(ginis, 0.1),
        node_gini_p50: percentile(ginis, 0.5),
        node_gini_p90: percentile(ginis, 0.9),
        network_imbalance: if connected > 0 {
            gini_sum / connected as f64
        } else {
            0.0
        },
    }
}

/// Measures the network's imbalance by a full scan. O(N log N + M log deg).
///
/// The engine's time series uses [`ImbalanceTracker`], which gives the same result bit for
/// bit while recomputing only what changed; this full scan is the reference it is tested
/// against, and measures the start and end of a run.
pub fn imbalance(net: &Network, depleted_share: f64, scratch: &mut Vec<f64>) -> Imbalance {
    let mut depleted = 0u64;
    let mut skew = 0.0;
    let mut open = 0u64;
    for c in net.channels() {
        if let Some((d, s)) = channel_term(c, depleted_share) {
            open += 1;
            depleted += d as u64;
            skew += s;
        }
    }
    let mut gini_sum = 0.0;
    let mut connected = 0u64;
    let mut ginis: Vec<f64> = Vec::new();
    for v in 0..net.node_count() {
        let (n, g) = node_term(net, NodeId(v as u32), scratch);
        if n >= 1 {
            connected += 1;
        }
        if n >= 2 {
            gini_sum += g;
            ginis.push(g);
        }
    }
    ginis.sort_by(|a, b| a.total_cmp(b));
    assemble(open, depleted, skew, gini_sum, connected, &ginis)
}

/// Nodes with at least this many open channels keep their channels' shares sorted in the
/// tracker (see [`ImbalanceTracker`]).
const HUB_DEGREE: u32 = 16;

/// "No sorted share list" in [`ImbalanceTracker::hub`].
const NO_HUB: u32 = u32::MAX;

/// One channel as the tracker last saw it.
#[derive(Debug, Clone, Copy, Default)]
struct ChanTerm {
    /// `channel_term` is `Some`: open with a positive capacity.
    counted: bool,
    /// Directions depleted (when `counted`).
    depleted: u8,
    /// Status was `Open` (its shares are in its end nodes' Gini coefficients).
    open: bool,
    /// `share(0)`, `share(1)` (when `open`).
    share: [f64; 2],
}

impl ChanTerm {
    fn of(c: &ChannelState, depleted_share: f64) -> ChanTerm {
        let open = c.status() == ChannelStatus::Open;
        let (counted, depleted) = match channel_term(c, depleted_share) {
            Some((d, _)) => (true, d),
            None => (false, 0),
        };
        ChanTerm {
            counted,
            depleted,
            open,
            share: if open {
                [c.share(0), c.share(1)]
            } else {
                [0.0; 2]
            },
        }
    }
}

/// [`imbalance`] maintained incrementally, for the windowed time series.
///
/// The engine marks every channel whose state changed ([`ImbalanceTracker::mark`]: locks,
/// settles, fails, deposits, withdrawals, status changes, opens). [`ImbalanceTracker::measure`]
/// then recomputes the cached term of each marked channel and the Gini coefficient of each of
/// its two end nodes only, and sums the cached terms in id order — the order the full scan
/// uses — so the result is bit-identical to [`imbalance`] (a property test checks it).
///
/// A node with many channels (a hub, ≥ `HUB_DEGREE` open) is touched in almost every window
/// and would cost a gather of all its channel states and a sort each time; it keeps its
/// shares sorted instead, updated by binary search per changed channel, and its Gini
/// coefficient is one O(deg) pass over them (the same float operations in the same order as
/// [`gini`]: equal values under `total_cmp` have equal bits, so the sorted order is unique).
/// The per-node Gini coefficients are kept sorted too (merged with the changed ones), so the
/// percentiles are a lookup.
///
/// Cost of `measure`: O(changed channels × log deg + Σ deg over changed non-hub and hub
/// nodes), plus O(N + M) sequential adds and an O(N) merge over compact arrays. Memory:
/// 25 bytes per channel, about 37 per node (with the sorted Gini coefficients and their merge
/// buffer), plus 8 per channel end at a hub.
#[derive(Debug, Default)]
pub struct ImbalanceTracker {
    depleted_share: f64,
    /// Per channel, as last measured.
    chans: Vec<ChanTerm>,
    /// Per node: (open channels, Gini when ≥ 2).
    nodes: Vec<(u32, f64)>,
    /// Per node: index into `hubs` of its sorted shares, or `NO_HUB`.
    hub: Vec<u32>,
    /// Sorted (by `total_cmp`) shares of the open channels of each hub, from its side.
    hubs: Vec<Vec<f64>>,
    /// Channels marked since the last `measure`, each once (`chan_flag`), so the list is
    /// bounded by the number of channels however long a window is.
    dirty: Vec<u32>,
    chan_flag: Vec<bool>,
    /// Nodes to recompute in this `measure`, and a flag per node to deduplicate them.
    dirty_nodes: Vec<u32>,
    node_flag: Vec<bool>,
    /// Running totals over `chans` (integers, so exact in any order).
    open: u64,
    depleted: u64,
    scratch: Vec<f64>,
    /// Gini coefficients of the nodes with ≥ 2 open channels, sorted by `total_cmp`.
    ginis: Vec<f64>,
    /// Work space: Gini coefficients leaving and entering `ginis`, and the merge target.
    gone: Vec<f64>,
    came: Vec<f64>,
    merged: Vec<f64>,
    /// Hub threshold (`HUB_DEGREE`; smaller in tests).
    hub_degree: u32,
}

/// Position of `x` in `sorted` (sorted by `total_cmp`): the first element not less than it.
#[inline]
fn position(sorted: &[f64], x: f64) -> usize {
    sorted.partition_point(|y| y.total_cmp(&x) == Ordering::Less)
}

impl ImbalanceTracker {
    /// A tracker that will measure with the given depletion threshold (share of capacity).
    /// Everything is computed at the first `measure`.
    pub fn new(depleted_share: f64) -> Self {
        Self::with_hub_degree(depleted_share, HUB_DEGREE)
    }

    fn with_hub_degree(depleted_share: f64, hub_degree: u32) -> Self {
        ImbalanceTracker {
            depleted_share,
            hub_degree: hub_degree.max(2),
            ..Default::default()
        }
    }

    /// Channel `c` changed (balance, in-flight amount, status) or was opened.
    #[inline]
    pub fn mark(&mut self, c: crate::topology::ChannelId) {
        // A channel not seen yet by `measure` is computed there as new.
        if let Some(f) = self.chan_flag.get_mut(c.idx()) {
            if !std::mem::replace(f, true) {
                self.dirty.push(c.0);
            }
        }
    }

    /// Drops node `v`'s sorted shares: it is recomputed by a gather from now on (until it
    /// is a hub again).
    fn drop_hub(&mut self, v: usize) {
        let h = std::mem::replace(&mut self.hub[v], NO_HUB);
        if h != NO_HUB {
            self.hubs[h as usize] = Vec::new();
        }
    }

    /// Updates hub `v`'s sorted shares for one of its channels going from `old` to `new`
    /// (each `None` when not open). False if `old` was not there (never expected; the
    /// caller then drops the list).
    fn update_hub(&mut self, v: usize, old: Option<f64>, new: Option<f64>) -> bool {
        let list = &mut self.hubs[self.hub[v] as usize];
        if let Some(x) = old {
            let i = position(list, x);
            if list
                .get(i)
                .is_none_or(|y| y.total_cmp(&x) != Ordering::Equal)
            {
                return false;
            }
            list.remove(i);
        }
        if let Some(x) = new {
            let i = position(list, x);
            list.insert(i, x);
        }
        true
    }

    /// The imbalance of `net` now. Equal, bit for bit, to `imbalance(net, depleted_share, _)`
    /// provided every channel changed since the previous call was marked.
    pub fn measure(&mut self, net: &Network) -> Imbalance {
        // Channels opened (and, at the first call, every channel) are new: compute them.
        for c in self.chans.len()..net.channel_count() {
            self.chans.push(ChanTerm::default());
            self.chan_flag.push(true);
            self.dirty.push(c as u32);
        }
        for v in self.nodes.len()..net.node_count() {
            self.nodes.push((0, 0.0));
            self.hub.push(NO_HUB);
            self.node_flag.push(true);
            self.dirty_nodes.push(v as u32);
        }
        let chans = net.channels();
        let dirty = std::mem::take(&mut self.dirty);
        for &c in &dirty {
            let ch = &chans[c as usize];
            self.chan_flag[c as usize] = false;
            let old = self.chans[c as usize];
            if old.counted {
                self.open -= 1;
                self.depleted -= old.depleted as u64;
            }
            let new = ChanTerm::of(ch, self.depleted_share);
            if new.counted {
                self.open += 1;
                self.depleted += new.depleted as u64;
            }
            self.chans[c as usize] = new;
            let ends = ch.nodes();
            for (d, v) in ends.into_iter().enumerate() {
                let v = v.idx();
                if self.hub[v] != NO_HUB {
                    // A self-loop is left to the gather, which is the reference.
                    let ok = ends[0] != ends[1]
                        && self.update_hub(
                            v,
                            old.open.then_some(old.share[d]),
                            new.open.then_some(new.share[d]),
                        );
                    if !ok {
                        self.drop_hub(v);
                    }
                }
                if !std::mem::replace(&mut self.node_flag[v], true) {
                    self.dirty_nodes.push(v as u32);
                }
            }
        }
        self.dirty = dirty;
        self.dirty.clear();
        self.gone.clear();
        self.came.clear();
        for i in 0..self.dirty_nodes.len() {
            let v = self.dirty_nodes[i] as usize;
            let (n, g) = match self.hub[v] {
                NO_HUB => {
                    let t = node_term(net, NodeId(v as u32), &mut self.scratch);
                    if t.0 >= self.hub_degree {
                        // `scratch` holds the shares sorted: keep them.
                        self.hub[v] = self.hubs.len() as u32;
                        self.hubs.push(self.scratch.clone());
                    }
                    t
                }
                h => {
                    let list = &self.hubs[h as usize];
                    let n = list.len() as u32;
                    (n, if n >= 2 { gini_sorted(list) } else { 0.0 })
                }
            };
            let (n0, g0) = std::mem::replace(&mut self.nodes[v], (n, g));
            self.node_flag[v] = false;
            if (n0 >= 2, g0.to_bits()) != (n >= 2, g.to_bits()) {
                if n0 >= 2 {
                    self.gone.push(g0);
                }
                if n >= 2 {
                    self.came.push(g);
                }
            }
        }
        self.dirty_nodes.clear();
        self.merge_ginis();
        // The float sums, in id order as in `imbalance`.
        let mut skew = 0.0;
        for t in &self.chans {
            if t.counted {
                skew += (t.share[0] - 0.5).abs();
            }
        }
        let mut gini_sum = 0.0;
        let mut connected = 0u64;
        for &(n, g) in &self.nodes {
            if n >= 1 {
                connected += 1;
            }
            if n >= 2 {
                gini_sum += g;
            }
        }
        assemble(
            self.open,
            self.depleted,
            skew,
            gini_sum,
            connected,
            &self.ginis,
        )
    }

    /// `ginis` := `ginis` − `gone` + `came` (multisets, sorted by `total_cmp`), in one
    /// linear merge.
    fn merge_ginis(&mut self) {
        if self.gone.is_empty() && self.came.is_empty() {
            return;
        }
        self.gone.sort_by(|a, b| a.total_cmp(b));
        self.came.sort_by(|a, b| a.total_cmp(b));
        self.merged.clear();
        let (mut gone, mut came) = (self.gone.iter().peekable(), self.came.iter().peekable());
        for &x in &self.ginis {
            if gone
                .peek()
                .is_some_and(|g| g.total_cmp(&x) == Ordering::Equal)
            {
                gone.next();
                continue;
            }
            while let Some(&&y) = came.peek() {
                if y.total_cmp(&x) == Ordering::Greater {
                    break;
                }
                self.merged.push(y);
                came.next();
            }
            self.merged.push(x);
        }
        self.merged.extend(came);
        debug_assert!(
            gone.next().is_none(),
            "a Gini coefficient left that was not there"
        );
        std::mem::swap(&mut self.ginis, &mut self.merged);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::ChannelId;
    use crate::units::Msat;

    #[test]
    fn gini_hand_computed() {
        // Equal → 0.
        assert_eq!(gini(&mut [0.5, 0.5, 0.5]), 0.0);
        // [0,0,0,1]: Σ|xi−xj| = 2·3·1 = 6; 2 n² mean = 2·16·0.25 = 8 → 0.75.
        assert!((gini(&mut [0.0, 1.0, 0.0, 0.0]) - 0.75).abs() < 1e-12);
        // [1,3]: Σ|xi−xj| = 4; 2·4·2 = 16 → 0.25.
        assert!((gini(&mut [3.0, 1.0]) - 0.25).abs() < 1e-12);
    }

    fn spec(a: u32, b: u32, cap_sat: u64, left_sat: u64) -> crate::topology::ChannelSpec {
        crate::topology::ChannelSpec {
            nodes: [NodeId(a), NodeId(b)],
            capacity: Msat::from_sat(cap_sat),
            balance: [Msat::from_sat(left_sat), Msat::from_sat(cap_sat - left_sat)],
            reserve: [Msat::ZERO; 2],
            policy: [crate::topology::FeePolicy::default(); 2],
            label: None,
        }
    }

    /// Exact comparison, telling 0.0 from −0.0.
    fn same(a: &Imbalance, b: &Imbalance) -> bool {
        format!("{a:?}") == format!("{b:?}")
    }

    proptest::proptest! {
        /// The tracker equals the full scan bit for bit after any sequence of locks,
        /// settles, fails, deposits, withdrawals, status changes and opens, each marked.
        #[test]
        fn tracker_equals_full_scan(
            n in 2u32..9,
            chans in proptest::collection::vec((0u32..9, 0u32..9, 0u64..2_000, 0u64..=100), 1..14),
            ops in proptest::collection::vec((0u8..8, 0usize..64, 0usize..2, 0u64..3_000_000), 0..80),
            share in 0.0f64..0.3,
            hub in 2u32..5,
        ) {
            let mut t = crate::topology::Topology::new();
            for i in 0..n {
                t.add_node(format!("n{i}"));
            }
            for &(a, b, cap, pct) in &chans {
                let (a, b) = (a % n, b % n);
                if a != b {
                    t.add_channel(spec(a, b, cap, cap * pct / 100));
                }
            }
            let mut net = Network::new(&t);
            let mut tr = ImbalanceTracker::with_hub_degree(share, hub);
            let mut scratch = Vec::new();
            proptest::prop_assert!(same(&tr.measure(&net), &imbalance(&net, share, &mut scratch)));
            // HTLCs in flight: (channel, side, amount).
            let mut htlcs: Vec<(ChannelId, usize, Msat)> = Vec::new();
            for (k, &(op, i, d, amt)) in ops.iter().enumerate() {
                let m = net.channel_count();
                if m == 0 {
                    break;
                }
                let c = ChannelId((i % m) as u32);
                let amount = Msat(amt);
                let changed = match op {
                    0 | 1 => net.lock(c, d, amount).is_ok().then(|| {
                        htlcs.push((c, d, amount));
                        c
                    }),
                    2 | 3 if !htlcs.is_empty() => {
                        let (hc, hd, ha) = htlcs.swap_remove(i % htlcs.len());
                        if op == 2 {
                            net.settle(hc, hd, ha);
                        } else {
                            net.fail(hc, hd, ha);
                        }
                        Some(hc)
                    }
                    4 => {
                        net.deposit(c, d, amount);
                        Some(c)
                    }
                    5 => net.withdraw(c, d, amount).is_ok().then_some(c),
                    6 => {
                        let s = [ChannelStatus::Open, ChannelStatus::Closing, ChannelStatus::Closed][d + i % 2];
                        net.set_status(c, s);
                        Some(c)
                    }
                    _ => {
                        let (a, b) = ((i as u32) % n, (i as u32 + 1 + d as u32) % n);
                        (a != b).then(|| net.open_channel(&spec(a, b, amt / 1_000 + 1, 0)))
                    }
                };
                if let Some(c) = changed {
                    tr.mark(c);
                }
                if k % 3 == 0 {
                    proptest::prop_assert!(same(&tr.measure(&net), &imbalance(&net, share, &mut scratch)));
                }
            }
            proptest::prop_assert!(same(&tr.measure(&net), &imbalance(&net, share, &mut scratch)));
        }
    }

    #[test]
    fn tracker_sees_only_marked_changes() {
        // The tracker recomputes marked channels only: a change left unmarked is not seen
        // (which is why the engine marks every touched channel), and marking it is enough.
        let mut t = crate::topology::Topology::new();
        for i in 0..3 {
            t.add_node(format!("n{i}"));
        }
        t.add_channel(spec(0, 1, 100, 50));
        t.add_channel(spec(0, 2, 100, 50));
        let mut net = Network::new(&t);
        let mut tr = ImbalanceTracker::new(0.05);
        let before = tr.measure(&net);
        assert_eq!(before.node_gini, 0.0);
        assert_eq!(before.mean_abs_skew, 0.0);
        net.lock(ChannelId(0), 0, Msat::from_sat(50)).unwrap();
        net.settle(ChannelId(0), 0, Msat::from_sat(50));
        assert!(same(&tr.measure(&net), &before));
        tr.mark(ChannelId(0));
        let after = tr.measure(&net);
        // Channel 0 is now 0/100 from node 0's side: skew (0.5 + 0) / 2 = 0.25; node 0's
        // shares [0, 0.5]: Gini = |0 − 0.5|·2 / (2·2·0.5) = 0.5; one depleted direction of 4.
        assert_eq!(after.mean_abs_skew, 0.25);
        assert_eq!(after.node_gini, 0.5);
        assert_eq!(after.depleted_share, 0.25);
        assert!(same(&after, &imbalance(&net, 0.05, &mut Vec::new())));
    }
}
