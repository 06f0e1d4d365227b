//! What a run measures: per-payment records, windowed time series and the run summary.
//!
//! The engine pushes records through the [`Recorder`] trait — the only path from the core
//! to output. Aggregation that needs no I/O (success ratios, percentiles, imbalance) lives
//! here so that every front end (CLI, experiments, tests) computes it the same way.

pub mod chanstats;
mod imbalance;
pub mod results;

pub use imbalance::{gini, imbalance, ImbalanceTracker};

pub use results::{ChainTotals, CrossTotals, FlowTotals, RunResult, Totals};

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
