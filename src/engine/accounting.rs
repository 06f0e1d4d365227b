//! Accounting: the run's counters, the time-series windows and the invariant checks.
//!
//! [`Accounting`] holds everything the engine counts (totals, per-node revenue and cost,
//! the open window, latencies); the engine calls its `record_*` methods at the moments
//! things happen, and `emit_window` / `check_all` on every `Sample` event and at the end.

use super::{Engine, InvariantViolation, Pay};
use crate::chain::TxKind;
use crate::metrics::{imbalance, FailureReason, Recorder, Totals, WindowSample};
use crate::topology::NodeId;
use crate::units::{Msat, SimTime};

/// Counters of the window being filled.
#[derive(Debug, Default)]
struct Window {
    attempted: u64,
    succeeded: u64,
    volume: Msat,
    volume_succeeded: Msat,
    rebalance_fees: Msat,
}

/// What a run counts.
pub(super) struct Accounting {
    pub(super) totals: Totals,
    /// Latencies of successful workload payments, µs.
    pub(super) latencies: Vec<u64>,
    /// Routing fee revenue per node.
    pub(super) node_revenue: Vec<Msat>,
    /// Rebalancing cost per node: routing fees of its rebalances, swap and on-chain fees.
    pub(super) node_cost: Vec<Msat>,
    window: Window,
    /// Buffer for the imbalance measure.
    pub(super) scratch: Vec<f64>,
    /// Σ capacity at the start: with top-ups and withdrawals, what the channels must hold.
    initial_total: Msat,
}

impl Accounting {
    pub(super) fn new(nodes: usize, initial_total: Msat) -> Self {
        Accounting {
            totals: Totals::default(),
            latencies: Vec::new(),
            node_revenue: vec![Msat::ZERO; nodes],
            node_cost: vec![Msat::ZERO; nodes],
            window: Window::default(),
            scratch: Vec::new(),
            initial_total,
        }
    }

    /// A workload payment is final.
    pub(super) fn record_payment(
        &mut self,
        pay: &Pay,
        now: SimTime,
        success: bool,
        reason: Option<FailureReason>,
        fee: Msat,
    ) {
        let t = &mut self.totals;
        if let Some(f) = pay.flow.and_then(|i| t.flows.get_mut(usize::from(i))) {
            f.payments += 1;
            f.volume += pay.amount;
            if success {
                f.succeeded += 1;
                f.volume_succeeded += pay.amount;
                f.fees_paid += fee;
            }
        }
        t.payments += 1;
        t.volume += pay.amount;
        self.window.attempted += 1;
        self.window.volume += pay.amount;
        if success {
            t.succeeded += 1;
            t.volume_succeeded += pay.amount;
            t.fees_paid += fee;
            self.window.succeeded += 1;
            self.window.volume_succeeded += pay.amount;
            self.latencies.push(now.since(pay.created).micros());
        } else {
            let r = reason.unwrap_or(FailureReason::NoRoute);
            t.failures[r.index()] += 1;
            if pay.infeasible {
                t.infeasible_failures += 1;
            }
        }
    }

    /// A rebalance (circular or just-in-time) is final.
    /// Parts of a final workload payment.
    pub(super) fn record_parts(&mut self, success: bool, parts: u32, failed: u32) {
        let t = &mut self.totals;
        if success {
            t.parts_settled += parts as u64;
            t.mpp_payments += u64::from(parts >= 2);
        }
        t.parts_failed += failed as u64;
    }

    pub(super) fn record_rebalance(&mut self, pay: &Pay, success: bool, fee: Msat) {
        self.totals.rebalances += 1;
        if success {
            self.totals.rebalances_succeeded += 1;
            self.totals.rebalanced_amount += pay.amount;
            self.totals.rebalance_fees += fee;
            self.window.rebalance_fees += fee;
            self.node_cost[pay.sender.idx()] += fee;
        }
    }

    /// `node` paid `amount` for rebalancing (a swap fee, an on-chain fee).
    pub(super) fn record_cost(&mut self, node: NodeId, amount: Msat) {
        self.node_cost[node.idx()] += amount;
    }

    /// `node` earned a forwarding fee.
    pub(super) fn record_revenue(&mut self, node: NodeId, fee: Msat) {
        self.node_revenue[node.idx()] += fee;
    }

    /// Per node: revenue minus cost.
    pub(super) fn node_net_revenue(&self) -> Vec<i64> {
        self.node_revenue
            .iter()
            .zip(&self.node_cost)
            .map(|(r, c)| r.0 as i64 - c.0 as i64)
            .collect()
    }
}

impl<'t> Engine<'t> {
    /// Closes the current window: sends it to the recorder and starts a new one.
    pub(super) fn emit_window(
        &mut self,
        now: SimTime,
        rec: &mut dyn Recorder,
    ) -> Result<(), InvariantViolation> {
        let imb = imbalance(
            self.ledger.net(),
            self.p.depleted_share,
            &mut self.acct.scratch,
        );
        let w = std::mem::take(&mut self.acct.window);
        rec.window(&WindowSample {
            time: now,
            attempted: w.attempted,
            succeeded: w.succeeded,
            volume_attempted: w.volume,
            volume_succeeded: w.volume_succeeded,
            imbalance: imb,
            rebalance_fees: w.rebalance_fees,
            pending_topup: self.pending_topup(),
        });
        Ok(())
    }

    /// Capital committed on chain but not yet usable in channels.
    fn pending_topup(&self) -> Msat {
        self.chain
            .pending()
            .iter()
            .map(|t| match &t.kind {
                TxKind::SpliceIn { amount, .. } | TxKind::SwapIn { amount, .. } => *amount,
                TxKind::Open { pending_open } => self.pending_opens[*pending_open].capacity,
                _ => Msat::ZERO,
            })
            .sum()
    }

    /// Checks conservation on every channel and the global identity
    /// `Σ capacity = initial + topped up − withdrawn`.
    pub(super) fn check_all(&self, now: SimTime) -> Result<(), InvariantViolation> {
        let net = self.ledger.net();
        if let Err(c) = net.check_conservation() {
            let ch = net.chan(c);
            return Err(InvariantViolation {
                time: now,
                what: format!(
                    "channel {} ({}): balances {:?} + in-flight {:?} != capacity {}",
                    c.0,
                    self.topo
                        .channels()
                        .nth(c.idx())
                        .and_then(|(_, s)| s.label.clone())
                        .unwrap_or_default(),
                    ch.balances(),
                    ch.inflights(),
                    ch.capacity()
                ),
            });
        }
        let live: Msat = net.total_capacity();
        let t = &self.acct.totals;
        let expected = (self.acct.initial_total + t.topped_up).checked_sub(t.withdrawn);
        if expected != Some(live) {
            return Err(InvariantViolation {
                time: now,
                what: format!(
                    "funds: channels hold {} but initial {} + topped up {} - withdrawn {} = {:?}",
                    live, self.acct.initial_total, t.topped_up, t.withdrawn, expected
                ),
            });
        }
        Ok(())
    }
}
