//! What a run measures: per-payment records, windowed time series and the run summary.
//!
//! The engine pushes records through the [`Recorder`] trait — the only path from the core
//! to output. Aggregation that needs no I/O (success ratios, percentiles, imbalance) lives
//! here so that every front end (CLI, experiments, tests) computes it the same way.

pub mod chanstats;
pub mod results;

pub use results::{ChainTotals, CrossTotals, FlowTotals, RunResult, Totals};

use crate::network::{ChannelState, ChannelStatus, Network};
use crate::topology::NodeId;
use crate::units::{Msat, SimTime};
use serde::Serialize;

/// Why a payment (or rebalance) failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FailureReason {
    /// The sender found no route (no path with enough capacity, or all excluded).
    NoRoute,
    /// Hop `k` (0-based, from the sender) lacked outgoing balance.
    NoBalance { hop: u16 },
    /// The node at the end of hop `k` was offline.
    OfflineNode { hop: u16 },
    /// The payment's deadline passed (no more retries, or the HTLC reached the receiver late).
    Timeout,
    /// Fees exceeded the limit (rebalancing budgets).
    FeeLimit,
    /// A channel on the route was closed while the HTLC was in flight.
    ChannelClosed { hop: u16 },
    /// The node at the start of hop `k` refused the HTLC by its channel policy (the amount
    /// is below its `min_htlc` or above its `max_htlc`).
    HtlcPolicy { hop: u16 },
    /// The channel of hop `k` already carries its most HTLCs in flight
    /// (`max_accepted_htlcs`).
    HtlcLimit { hop: u16 },
    /// Cross-chain: every gateway that could carry it would hand over with an unsafe
    /// timelock (its outgoing HTLC would not expire, in wall-clock time, a safety margin
    /// before its incoming one). Runs with several chains only.
    TimelockUnsafe,
    /// Cross-chain: an adversarial gateway let the HTLC time out because the exchange rate
    /// moved against it by more than its spread (the free option). Several chains only.
    FreeOption,
}

impl FailureReason {
    /// Stable short name used in CSV files.
    pub fn name(&self) -> &'static str {
        match self {
            FailureReason::NoRoute => "no_route",
            FailureReason::NoBalance { .. } => "no_balance",
            FailureReason::OfflineNode { .. } => "offline_node",
            FailureReason::Timeout => "timeout",
            FailureReason::FeeLimit => "fee_limit",
            FailureReason::ChannelClosed { .. } => "channel_closed",
            FailureReason::HtlcPolicy { .. } => "htlc_policy",
            FailureReason::HtlcLimit { .. } => "htlc_limit",
            FailureReason::TimelockUnsafe => "timelock_unsafe",
            FailureReason::FreeOption => "free_option",
        }
    }
    /// Position in [`FailureReason::ALL`].
    pub fn index(&self) -> usize {
        match self {
            FailureReason::NoRoute => 0,
            FailureReason::NoBalance { .. } => 1,
            FailureReason::OfflineNode { .. } => 2,
            FailureReason::Timeout => 3,
            FailureReason::FeeLimit => 4,
            FailureReason::ChannelClosed { .. } => 5,
            FailureReason::HtlcPolicy { .. } => 6,
            FailureReason::HtlcLimit { .. } => 7,
            FailureReason::TimelockUnsafe => 8,
            FailureReason::FreeOption => 9,
        }
    }
    /// The hop index at which it failed, where meaningful.
    pub fn hop(&self) -> Option<u16> {
        match self {
            FailureReason::NoBalance { hop }
            | FailureReason::OfflineNode { hop }
            | FailureReason::ChannelClosed { hop }
            | FailureReason::HtlcPolicy { hop }
            | FailureReason::HtlcLimit { hop } => Some(*hop),
            _ => None,
        }
    }
    /// One of each reason (hops 0), in [`FailureReason::index`] order.
    pub const ALL: [FailureReason; 10] = [
        FailureReason::NoRoute,
        FailureReason::NoBalance { hop: 0 },
        FailureReason::OfflineNode { hop: 0 },
        FailureReason::Timeout,
        FailureReason::FeeLimit,
        FailureReason::ChannelClosed { hop: 0 },
        FailureReason::HtlcPolicy { hop: 0 },
        FailureReason::HtlcLimit { hop: 0 },
        FailureReason::TimelockUnsafe,
        FailureReason::FreeOption,
    ];
    /// Reasons that only cross-chain payments have: their `fail_` columns exist only in
    /// runs with several chains (single-chain results keep their columns).
    pub fn cross_chain_only(&self) -> bool {
        matches!(
            self,
            FailureReason::TimelockUnsafe | FailureReason::FreeOption
        )
    }
    pub const COUNT: usize = Self::ALL.len();
}

/// Why the engine refused a strategy's action (counted per reason in the results).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// The action names a channel that does not exist.
    UnknownChannel,
    /// The acting node is not an endpoint of the channel.
    NotOwnChannel,
    /// The channel is closing or closed.
    ChannelNotOpen,
    /// A zero amount.
    ZeroAmount,
    /// Out over and back in over the same channel (or a hold refilled from itself).
    SameChannel,
    /// A rebalance cycle shorter than 2 hops.
    CycleTooShort,
    /// A just-in-time hold that does not exist.
    UnknownHold,
    /// A just-in-time hold another action already took.
    HoldTaken,
    /// A splice-out larger than what the node can spend on the channel.
    InsufficientBalance,
    /// A swap with no swap provider in the scenario.
    NoSwapProvider,
    /// A swap by the swap provider itself.
    SwapWithProvider,
    /// A channel open naming a node that does not exist.
    UnknownNode,
    /// A channel open from a node to itself.
    ChannelToSelf,
}

impl Rejection {
    /// Every reason, in [`Rejection::index`] order.
    pub const ALL: [Rejection; 13] = [
        Rejection::UnknownChannel,
        Rejection::NotOwnChannel,
        Rejection::ChannelNotOpen,
        Rejection::ZeroAmount,
        Rejection::SameChannel,
        Rejection::CycleTooShort,
        Rejection::UnknownHold,
        Rejection::HoldTaken,
        Rejection::InsufficientBalance,
        Rejection::NoSwapProvider,
        Rejection::SwapWithProvider,
        Rejection::UnknownNode,
        Rejection::ChannelToSelf,
    ];
    pub const COUNT: usize = Self::ALL.len();

    /// Stable short name used in CSV columns (`rejected_<name>`).
    pub fn name(self) -> &'static str {
        match self {
            Rejection::UnknownChannel => "unknown_channel",
            Rejection::NotOwnChannel => "not_own_channel",
            Rejection::ChannelNotOpen => "channel_not_open",
            Rejection::ZeroAmount => "zero_amount",
            Rejection::SameChannel => "same_channel",
            Rejection::CycleTooShort => "cycle_too_short",
            Rejection::UnknownHold => "unknown_hold",
            Rejection::HoldTaken => "hold_taken",
            Rejection::InsufficientBalance => "insufficient_balance",
            Rejection::NoSwapProvider => "no_swap_provider",
            Rejection::SwapWithProvider => "swap_with_provider",
            Rejection::UnknownNode => "unknown_node",
            Rejection::ChannelToSelf => "channel_to_self",
        }
    }

    /// Position in [`Rejection::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// What a record is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PaymentKind {
    /// A workload payment.
    Payment,
    /// A circular self-payment made by a rebalancing strategy.
    Rebalance,
}

/// The outcome of one payment or rebalance, written once it is final.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRecord {
    pub id: u64,
    pub kind: PaymentKind,
    pub sender: NodeId,
    pub receiver: NodeId,
    pub amount: Msat,
    pub created: SimTime,
    pub finished: SimTime,
    pub success: bool,
    pub reason: Option<FailureReason>,
    pub attempts: u32,
    /// Hops of the successful route, or of the last attempted route (0 if none).
    pub hops: u16,
    /// Fees paid (successful payments only).
    pub fee: Msat,
    /// At creation, the sender's total spendable funds or the receiver's total inbound
    /// liquidity was below the amount: no rebalancing among existing channels could make it
    /// feasible.
    pub infeasible: bool,
    /// HTLC chains (parts) that settled: 1 for a successful single-path payment, the parts
    /// of a multi-part one.
    pub parts: u32,
    /// HTLC chains that failed back (failed attempts or parts).
    pub failed_parts: u32,
    /// The pinned-demand flow (`[[workload.flow]]`, index into the scenario's flows) this
    /// payment belongs to; `None` for background payments and rebalances.
    pub flow: Option<u16>,
}

/// One window of the time series.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowSample {
    /// End of the window.
    pub time: SimTime,
    pub attempted: u64,
    pub succeeded: u64,
    pub volume_attempted: Msat,
    pub volume_succeeded: Msat,
    pub imbalance: Imbalance,
    /// Rebalancing fees paid in this window.
    pub rebalance_fees: Msat,
    /// Capital committed on chain (splice-in, loop-in, funding) not yet usable.
    pub pending_topup: Msat,
}

/// One probe: a payment routed against the network state at one instant and checked hop by
/// hop, without locking anything (see [`crate::workload::ProbeSpec`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeRecord {
    pub time: SimTime,
    pub sender: NodeId,
    pub receiver: NodeId,
    pub amount: Msat,
    pub success: bool,
    /// Why it would fail: `NoRoute`, `FeeLimit`, `NoBalance { hop }`, `ChannelClosed { hop }`
    /// (the first hop of the route that could not offer the HTLC) or `OfflineNode { hop }`
    /// (the node that would offer hop `hop` was offline).
    pub reason: Option<FailureReason>,
    /// Hops of the route found (0 if none).
    pub hops: u16,
}

/// Probe results of one round (one probe time), per amount of the probe list.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProbeRound {
    pub time: SimTime,
    /// Per amount (in the order of [`crate::workload::ProbeSpec::amounts`]): probes tried.
    pub tried: Vec<u64>,
    /// Per amount: probes that would have succeeded.
    pub succeeded: Vec<u64>,
    /// Median over the round's pairs of the largest probe amount that succeeded (0 when
    /// none did): the paper's "median payable amount", at the resolution of the amount list.
    pub median_payable: Msat,
    /// The round ran at the start (`at_start`) or at the end (`at_end`) of the run.
    pub at_start: bool,
    pub at_end: bool,
}

/// Imbalance of the network at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Imbalance {
    /// Share of open channel directions whose spendable balance is below
    /// `depleted_share × capacity`.
    pub depleted_share: f64,
    /// Mean over open channels of |local share − 0.5|.
    pub mean_abs_skew: f64,
    /// Mean over nodes with ≥ 2 open channels of the Gini coefficient of their channels'
    /// local balance shares (Pickhardt–Nowostawski imbalance measure).
    pub node_gini: f64,
    /// 10th, 50th and 90th percentile (nearest rank) of the same per-node Gini
    /// coefficients (nodes with ≥ 2 open channels).
    pub node_gini_p10: f64,
    pub node_gini_p50: f64,
    pub node_gini_p90: f64,
    /// Pickhardt–Nowostawski network imbalance `G = (1/|V|) Σ_v G_v` over every node with
    /// at least one open channel (a node with one channel has `G_v = 0`), as in the paper
    /// (arXiv 1912.09555, §III). `node_gini` leaves single-channel nodes out.
    pub network_imbalance: f64,
}

/// The only path from the simulation core to output. Implementations write CSV, keep
/// records in memory for tests, or drop them.
pub trait Recorder {
    fn payment(&mut self, _r: &PaymentRecord) {}
    fn window(&mut self, _w: &WindowSample) {}
    /// One probe (runs with `[workload.probes]` only).
    fn probe(&mut self, _p: &ProbeRecord) {}
    /// Share of the workload generated so far (0..=1), for progress bars.
    fn progress(&mut self, _fraction: f64) {}
}

/// A recorder that keeps nothing.
pub struct NullRecorder;
impl Recorder for NullRecorder {}

/// A recorder that keeps everything in memory (tests, notebooks).
#[derive(Default, Debug)]
pub struct MemRecorder {
    pub payments: Vec<PaymentRecord>,
    pub windows: Vec<WindowSample>,
    pub probes: Vec<ProbeRecord>,
}
impl Recorder for MemRecorder {
    fn probe(&mut self, p: &ProbeRecord) {
        self.probes.push(p.clone());
    }
    fn payment(&mut self, r: &PaymentRecord) {
        self.payments.push(r.clone());
    }
    fn window(&mut self, w: &WindowSample) {
        self.windows.push(w.clone());
    }
}

/// Gini coefficient of non-negative values: `Σ_i Σ_j |x_i − x_j| / (2 n² mean)`.
/// 0 when all are equal; `(n−1)/n` when one holds everything. O(n log n).
pub fn gini(values: &mut [f64]) -> f64 {
    let n = values.len();
    if n == 0 {
        return 0.0;
    }
    values.sort_by(|a, b| a.total_cmp(b));
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
/// the Gini coefficient of their local shares (0 otherwise). `scratch` is work space.
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

/// Nearest-rank percentile `q` of `ginis` (any order; reordered in place). 0 if empty.
fn gini_percentile(ginis: &mut [f64], q: f64) -> f64 {
    if ginis.is_empty() {
        return 0.0;
    }
    let rank = (q * ginis.len() as f64).ceil().max(1.0) as usize;
    // Selection gives the value a full sort would put at this rank (a total order), in O(n).
    *ginis
        .select_nth_unstable_by(rank.min(ginis.len()) - 1, |a, b| a.total_cmp(b))
        .1
}

/// Builds the [`Imbalance`] from its sums. Every float sum is taken in channel-id or
/// node-id order by the callers, so a full scan and [`ImbalanceTracker`] agree bit for bit.
fn assemble(
    open: u64,
    depleted: u64,
    skew: f64,
    gini_sum: f64,
    connected: u64,
    ginis: &mut [f64],
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
        node_gini_p10: gini_percentile(ginis, 0.1),
        node_gini_p50: gini_percentile(ginis, 0.5),
        node_gini_p90: gini_percentile(ginis, 0.9),
        network_imbalance: if connected > 0 {
            gini_sum / connected as f64
        } else {
            0.0
        },
    }
}

/// Measures the network's imbalance by a full scan. O(N + M log deg).
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
    assemble(open, depleted, skew, gini_sum, connected, &mut ginis)
}

/// [`imbalance`] maintained incrementally, for the windowed time series.
///
/// The engine marks every channel whose state changed ([`ImbalanceTracker::mark`]: locks,
/// settles, fails, deposits, withdrawals, status changes, opens). [`ImbalanceTracker::measure`]
/// then recomputes the cached term of each marked channel and the Gini coefficient of each of
/// its two end nodes only, and sums the cached terms in id order — the order the full scan
/// uses — so the result is bit-identical to [`imbalance`] (a property test checks it).
///
/// Cost of `measure`: O(Σ deg log deg over the changed nodes) to recompute, plus O(N + M)
/// sequential adds over compact arrays (8–16 bytes per item instead of a 144-byte channel
/// state and a sort per node), plus O(N) selection for the percentiles. Memory: 17 bytes
/// per channel and 17 per node.
#[derive(Debug, Default)]
pub struct ImbalanceTracker {
    depleted_share: f64,
    /// Per channel: `channel_term`, or `None` when not open.
    chans: Vec<Option<(u8, f64)>>,
    /// Per node: (open channels, Gini when ≥ 2).
    nodes: Vec<(u32, f64)>,
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
    ginis: Vec<f64>,
}

impl ImbalanceTracker {
    /// A tracker that will measure with the given depletion threshold (share of capacity).
    /// Everything is computed at the first `measure`.
    pub fn new(depleted_share: f64) -> Self {
        ImbalanceTracker {
            depleted_share,
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

    /// The imbalance of `net` now. Equal, bit for bit, to `imbalance(net, depleted_share, _)`
    /// provided every channel changed since the previous call was marked.
    pub fn measure(&mut self, net: &Network) -> Imbalance {
        // Channels opened (and, at the first call, every channel) are new: compute them.
        for c in self.chans.len()..net.channel_count() {
            self.chans.push(None);
            self.chan_flag.push(true);
            self.dirty.push(c as u32);
        }
        for v in self.nodes.len()..net.node_count() {
            self.nodes.push((0, 0.0));
            self.node_flag.push(true);
            self.dirty_nodes.push(v as u32);
        }
        let chans = net.channels();
        for &c in &self.dirty {
            let ch = &chans[c as usize];
            self.chan_flag[c as usize] = false;
            let old = self.chans[c as usize];
            if let Some((d, _)) = old {
                self.open -= 1;
                self.depleted -= d as u64;
            }
            let new = channel_term(ch, self.depleted_share);
            if let Some((d, _)) = new {
                self.open += 1;
                self.depleted += d as u64;
            }
            self.chans[c as usize] = new;
            for v in ch.nodes() {
                if !std::mem::replace(&mut self.node_flag[v.idx()], true) {
                    self.dirty_nodes.push(v.0);
                }
            }
        }
        self.dirty.clear();
        for &v in &self.dirty_nodes {
            self.nodes[v as usize] = node_term(net, NodeId(v), &mut self.scratch);
            self.node_flag[v as usize] = false;
        }
        self.dirty_nodes.clear();
        // The float sums, in id order as in `imbalance`.
        let mut skew = 0.0;
        for (_, s) in self.chans.iter().flatten() {
            skew += s;
        }
        let mut gini_sum = 0.0;
        let mut connected = 0u64;
        self.ginis.clear();
        for &(n, g) in &self.nodes {
            if n >= 1 {
                connected += 1;
            }
            if n >= 2 {
                gini_sum += g;
                self.ginis.push(g);
            }
        }
        assemble(
            self.open,
            self.depleted,
            skew,
            gini_sum,
            connected,
            &mut self.ginis,
        )
    }
}

/// Percentile of sorted values, nearest-rank method (`q` in 0..=1). NaN if empty.
pub fn percentile_sorted(sorted: &[u64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (q * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1] as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::ChannelId;

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
            let mut tr = ImbalanceTracker::new(share);
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

    #[test]
    fn failure_and_rejection_tables_are_in_index_order() {
        for (i, r) in FailureReason::ALL.iter().enumerate() {
            assert_eq!(r.index(), i, "{}", r.name());
        }
        for (i, r) in Rejection::ALL.iter().enumerate() {
            assert_eq!(r.index(), i, "{}", r.name());
        }
    }

    #[test]
    fn percentile_nearest_rank() {
        let v = [10, 20, 30, 40];
        assert_eq!(percentile_sorted(&v, 0.5), 20.0);
        assert_eq!(percentile_sorted(&v, 0.99), 40.0);
        assert_eq!(percentile_sorted(&v, 0.0), 10.0);
        assert!(percentile_sorted(&[], 0.5).is_nan());
    }
}
