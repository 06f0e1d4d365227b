//! Accounting: the run's counters, the time-series windows and the invariant checks.
//!
//! [`Accounting`] holds everything the engine counts (totals, per-node revenue and cost,
//! the open window, latencies); the engine calls its `record_*` methods at the moments
//! things happen, and `emit_window` / `check_all` on every `Sample` event and at the end.

use super::{Engine, InvariantViolation, Pay};
use crate::chain::TxKind;
use crate::metrics::chanstats::{ChannelEnd, ChannelResults, SparseVec};
use crate::metrics::results::{DirStats, NodeStats};
use crate::metrics::{FailureReason, ImbalanceTracker, Recorder, Totals, WindowSample};
use crate::network::{ChannelState, ChannelStatus, Network};
use crate::topology::{ChannelId, NodeId};
use crate::units::{Msat, SimTime};

/// A year of 365.25 days, µs: the unit of `[metrics] capital_rate_per_year`.
const YEAR_US: f64 = 365.25 * 86_400.0 * 1e6;

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
    /// The windows' imbalance, kept up to date from the channels each event touched
    /// (see `Engine::track_touched`) instead of a full scan per window.
    pub(super) imbalance: ImbalanceTracker,
    /// The windows' funds check, kept up to date the same way.
    pub(super) funds: FundsCheck,
    /// Σ capacity at the start: with top-ups and withdrawals, what the channels must hold.
    pub(super) initial_total: Msat,
    /// Payments created before this time are not counted (warm-up).
    pub(super) measured_from: SimTime,
    /// Confirmed transactions before the warm-up ended (`onchain_txs` counts after it).
    pub(super) onchain_base: u64,
    /// Per channel and direction, for the channels that had any (most have none on a
    /// large network: 4 bytes per channel instead of 96).
    pub(super) dirs: SparseVec<[DirStats; 2]>,
    /// Per channel and direction: depleted since (`None`: not depleted, or not open); a
    /// record only for channels that were ever depleted.
    depleted_since: SparseVec<[Option<SimTime>; 2]>,
    /// Per channel: balances when measurement started.
    pub(super) balance_start: Vec<[Msat; 2]>,
    /// Per node: capital when measurement started, capital added and removed.
    pub(super) node_capital_start: Vec<Msat>,
    pub(super) node_added: Vec<Msat>,
    pub(super) node_removed: Vec<Msat>,
    /// Net outside capital (added − removed, msat) since measurement started, the time of
    /// its last change, and the integral of its positive part (msat·µs).
    capital_net: i128,
    capital_since: SimTime,
    capital_integral: u128,
}

/// What [`Engine::check_all`] needs at a window without scanning every channel: the
/// channels changed since the last check (each listed once) and the sum of capacities over
/// channels not closed, kept up to date from them. A channel's balances and capacity change
/// only through `Ledger`, which reports every change in `touched`, so checking the changed
/// channels checks them all; the sum is kept apart from the engine's top-up and withdrawal
/// counters, so the global identity still compares two independent books.
#[derive(Debug, Default)]
pub(super) struct FundsCheck {
    /// Per channel: the capacity counted in `live` (zero when closed).
    counted: Vec<Msat>,
    flag: Vec<bool>,
    dirty: Vec<u32>,
    pub(super) live: u128,
}

impl FundsCheck {
    /// Channel `c` changed.
    #[inline]
    pub(super) fn mark(&mut self, c: ChannelId) {
        // A channel not seen yet by `update` is taken there as new.
        if let Some(f) = self.flag.get_mut(c.idx()) {
            if !std::mem::replace(f, true) {
                self.dirty.push(c.0);
            }
        }
    }

    /// Brings the sum up to date with `net`. Returns the lowest changed channel whose
    /// balances and in-flight amounts do not add up to its capacity, if any.
    pub(super) fn update(&mut self, net: &Network) -> Option<ChannelId> {
        for c in self.counted.len()..net.channel_count() {
            self.counted.push(Msat::ZERO);
            self.flag.push(true);
            self.dirty.push(c as u32);
        }
        let chans = net.channels();
        let mut bad: Option<u32> = None;
        for &c in &self.dirty {
            let ch = &chans[c as usize];
            self.flag[c as usize] = false;
            if !ch.conserved() {
                bad = Some(bad.map_or(c, |b| b.min(c)));
            }
            let cap = if ch.status() == ChannelStatus::Closed {
                Msat::ZERO
            } else {
                ch.capacity()
            };
            self.live = self.live - self.counted[c as usize].0 as u128 + cap.0 as u128;
            self.counted[c as usize] = cap;
        }
        self.dirty.clear();
        bad.map(ChannelId)
    }
}

/// A node's own funds over its open channels: balances plus what it has in flight.
pub(super) fn node_capital(net: &Network, v: NodeId) -> (Msat, Msat) {
    let (mut own, mut cap) = (Msat::ZERO, Msat::ZERO);
    for c in net.channels_of(v) {
        let ch = net.chan(c);
        if let (ChannelStatus::Open, Some(d)) = (ch.status(), ch.side_of(v)) {
            own += ch.balance(d) + ch.inflight(d);
            cap += ch.capacity();
        }
    }
    (own, cap)
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
            imbalance: ImbalanceTracker::default(),
            funds: FundsCheck::default(),
            initial_total,
            measured_from: SimTime::ZERO,
            onchain_base: 0,
            dirs: SparseVec::new(),
            depleted_since: SparseVec::new(),
            balance_start: Vec::new(),
            node_capital_start: vec![Msat::ZERO; nodes],
            node_added: vec![Msat::ZERO; nodes],
            node_removed: vec![Msat::ZERO; nodes],
            capital_net: 0,
            capital_since: SimTime::ZERO,
            capital_integral: 0,
        }
    }

    /// Starts (or restarts, at the end of the warm-up) measurement at `now`: counters to
    /// zero, capital and balances as they are now, the funds identity re-based on the
    /// capacity now (so `check_all` keeps holding).
    pub(super) fn start_measurement(&mut self, net: &Network, now: SimTime, confirmed: u64) {
        let nodes = self.node_revenue.len();
        // Flows keep their names (their columns exist from the start), counts restart.
        let flows = std::mem::take(&mut self.totals.flows)
            .into_iter()
            .map(|f| crate::metrics::FlowTotals {
                name: f.name,
                ..Default::default()
            })
            .collect();
        let chains = std::mem::take(&mut self.totals.chains)
            .into_iter()
            .map(|c| crate::metrics::ChainTotals {
                name: c.name,
                ..Default::default()
            })
            .collect();
        self.totals = Totals {
            flows,
            chains,
            ..Totals::default()
        };
        self.latencies.clear();
        self.node_revenue = vec![Msat::ZERO; nodes];
        self.node_cost = vec![Msat::ZERO; nodes];
        self.node_added = vec![Msat::ZERO; nodes];
        self.node_removed = vec![Msat::ZERO; nodes];
        self.node_capital_start = (0..nodes)
            .map(|v| node_capital(net, NodeId(v as u32)).0)
            .collect();
        self.initial_total = net.total_capacity();
        self.measured_from = now;
        self.onchain_base = confirmed;
        self.dirs = SparseVec::with_ids(net.channel_count());
        if self.depleted_since.records() == 0 {
            self.depleted_since = SparseVec::with_ids(net.channel_count());
        }
        for (_, s) in self.depleted_since.iter_mut() {
            for s in s.iter_mut().filter(|s| s.is_some()) {
                *s = Some(now);
            }
        }
        self.balance_start = net.channels().iter().map(|c| c.balances()).collect();
        self.capital_net = 0;
        self.capital_since = now;
        self.capital_integral = 0;
    }

    /// Statistics of direction `d` of channel `c` (grown for channels opened in the run).
    #[inline]
    pub(super) fn dir(&mut self, c: ChannelId, d: usize) -> &mut DirStats {
        &mut self.dirs.entry(c.idx())[d]
    }

    /// Re-evaluates whether the directions of `c` are depleted (spendable below
    /// `max(1 msat, share × capacity)`, open channels only) at `now`, adding the time a
    /// direction was depleted when it stops being so. O(1).
    pub(super) fn track_depletion(
        &mut self,
        net: &Network,
        c: ChannelId,
        now: SimTime,
        share: f64,
    ) {
        let ch = net.chan(c);
        let floor = Msat(((ch.capacity().0 as f64 * share) as u64).max(1));
        for d in 0..2 {
            let depleted = ch.status() == ChannelStatus::Open && ch.spendable(d) < floor;
            let since = self.depleted_since.get(c.idx()).and_then(|s| s[d]);
            match (since, depleted) {
                (None, true) => self.depleted_since.entry(c.idx())[d] = Some(now),
                (Some(since), false) => {
                    self.depleted_since.entry(c.idx())[d] = None;
                    self.dir(c, d).depleted += now.since(since);
                }
                _ => {}
            }
        }
    }

    /// Ends depletion intervals still open at the end of the run.
    pub(super) fn close_depletion(&mut self, end: SimTime) {
        for (c, s) in self.depleted_since.iter_mut() {
            for (d, s) in s.iter_mut().enumerate() {
                if let Some(since) = s.take() {
                    self.dirs.entry(c)[d].depleted += end.since(since);
                }
            }
        }
    }

    /// `node` brought `amount` of outside money into its channels at `now`.
    pub(super) fn capital_in(&mut self, now: SimTime, node: NodeId, amount: Msat) {
        self.capital_step(now, amount.0 as i128);
        self.totals.capital_added += amount;
        self.node_added[node.idx()] += amount;
    }

    /// `node` took `amount` out of its channels at `now`.
    pub(super) fn capital_out(&mut self, now: SimTime, node: NodeId, amount: Msat) {
        self.capital_step(now, -(amount.0 as i128));
        self.totals.capital_removed += amount;
        self.node_removed[node.idx()] += amount;
    }

    fn capital_step(&mut self, now: SimTime, delta: i128) {
        self.capital_integrate(now);
        self.capital_net += delta;
    }

    fn capital_integrate(&mut self, now: SimTime) {
        let dt = now.since(self.capital_since).micros() as u128;
        self.capital_integral += self.capital_net.max(0) as u128 * dt;
        self.capital_since = now;
    }

    /// Cost of the net outside capital up to `end` at `rate` per year.
    pub(super) fn capital_cost(&mut self, end: SimTime, rate: f64) -> Msat {
        self.capital_integrate(end);
        Msat((self.capital_integral as f64 * rate / YEAR_US).round() as u64)
    }

    /// Per node: capital at the start of measurement and now, flows, and share `ν` now.
    pub(super) fn node_stats(&self, net: &Network) -> Vec<NodeStats> {
        (0..self.node_revenue.len())
            .map(|v| {
                let (own, cap) = node_capital(net, NodeId(v as u32));
                NodeStats {
                    capital_start: self.node_capital_start.get(v).copied().unwrap_or_default(),
                    capital_end: own,
                    capital_added: self.node_added[v],
                    capital_removed: self.node_removed[v],
                    capacity_end: cap,
                }
            })
            .collect()
    }

    /// Per channel: endpoints, balances at the start of measurement and now, directions.
    /// Moves the counters out (no per-channel copy: the end of a run is its memory peak).
    pub(super) fn channel_stats(&mut self, chans: &[ChannelState]) -> ChannelResults {
        let ends = chans
            .iter()
            .map(|ch| ChannelEnd {
                nodes: ch.nodes(),
                capacity: ch.capacity(),
                balance_end: ch.balances(),
                open: ch.status() == ChannelStatus::Open,
            })
            .collect();
        ChannelResults::new(
            ends,
            std::mem::take(&mut self.balance_start),
            std::mem::take(&mut self.dirs),
        )
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
        if pay.created < self.measured_from {
            // Created during the warm-up: not measured.
            return;
        }
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
        t.attempts += u64::from(pay.attempts);
        if pay.infeasible {
            t.endpoint_infeasible += 1;
        }
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
        // Channels changed since the last `track_touched` (none when called from the event
        // loop) are marked too; they are marked again when drained, which is harmless.
        for &c in &self.ledger.touched {
            self.acct.imbalance.mark(c);
        }
        let imb = self.acct.imbalance.measure(self.ledger.net());
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
        self.chains
            .iter()
            .flat_map(|c| c.pending())
            .map(|t| match &t.kind {
                TxKind::SpliceIn { amount, .. } | TxKind::SwapIn { amount, .. } => *amount,
                TxKind::Open { pending_open } => self.pending_opens[*pending_open].capacity,
                _ => Msat::ZERO,
            })
            .sum()
    }

    /// Checks conservation on every channel and the global identity
    /// `Σ capacity = initial + topped up − withdrawn`.
    ///
    /// With `full`, every channel is scanned (the end of a run). Otherwise (every window)
    /// only the channels changed since the previous check are, and `Σ capacity` is the sum
    /// [`FundsCheck`] keeps: the same checks in O(changed channels).
    pub(super) fn check_all(&mut self, now: SimTime, full: bool) -> Result<(), InvariantViolation> {
        let (bad, live) = if full {
            let net = self.ledger.net();
            (net.check_conservation().err(), net.total_capacity())
        } else {
            for &c in &self.ledger.touched {
                self.acct.funds.mark(c);
            }
            let bad = self.acct.funds.update(self.ledger.net());
            let live = Msat(u64::try_from(self.acct.funds.live).unwrap_or(u64::MAX));
            (bad, live)
        };
        let net = self.ledger.net();
        if let Some(c) = bad {
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
        self.check_assets(now)
    }
}

impl<'t> Engine<'t> {
    /// Multi-chain runs: the funds identity per asset. Each chain's channels hold exactly
    /// their capacity at the start plus what was added on that chain minus what was
    /// withdrawn from it: a cross-chain payment moves value between assets only through
    /// two HTLCs, one on each chain, and creates no money on either.
    fn check_assets(&self, now: SimTime) -> Result<(), InvariantViolation> {
        if self.asset_funds.is_empty() {
            return Ok(());
        }
        let net = self.ledger.net();
        let mut live = vec![Msat::ZERO; self.asset_funds.len()];
        for (i, ch) in net.channels().iter().enumerate() {
            if ch.status() != crate::network::ChannelStatus::Closed {
                live[self.chain_of(crate::topology::ChannelId(i as u32))] += ch.capacity();
            }
        }
        for (k, f) in self.asset_funds.iter().enumerate() {
            if (f[0] + f[1]).checked_sub(f[2]) != Some(live[k]) {
                return Err(InvariantViolation {
                    time: now,
                    what: format!(
                        "funds of chain {k}: its channels hold {} but initial {} + added {} - withdrawn {}",
                        live[k], f[0], f[1], f[2]
                    ),
                });
            }
        }
        Ok(())
    }

    /// Re-evaluates depletion of every channel changed since the last call, at `now`.
    pub(super) fn track_touched(&mut self, now: SimTime) {
        let mut touched = std::mem::take(&mut self.ledger.touched);
        for c in touched.drain(..) {
            self.acct.imbalance.mark(c);
            self.acct.funds.mark(c);
            self.acct
                .track_depletion(self.ledger.net(), c, now, self.p.depleted_share);
        }
        self.ledger.touched = touched;
    }
}
