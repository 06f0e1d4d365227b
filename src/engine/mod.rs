//! The discrete-event engine: payments as multi-hop HTLCs, strategies' actions, the chain.
//!
//! One [`Engine`] is one run: a topology, a workload, a strategy and a seed. It pops events
//! in (time, insertion sequence) order from the [`queue::EventQueue`] and applies them to the
//! [`network::Network`]. It does no I/O: results leave through a [`Recorder`] and the
//! returned [`RunResult`].
//!
//! **Payment life cycle.** A payment arrives from the workload; its sender computes a route
//! ([`router`]) and locks the first hop. Each hop's HTLC reaches the next node after a
//! sampled latency; that node locks the next hop or fails the HTLC back (no balance, next
//! node offline). At the receiver the HTLC settles, and the settlement travels back hop by
//! hop, moving each hop's amount to the downstream side. A failure that reaches the sender
//! updates its mission control and the payment retries, excluding what failed, until it
//! succeeds, runs out of attempts, or passes its deadline.
//!
//! **Security model** (runs with `[security]` only, see [`crate::security`] and
//! `security_hooks.rs`): every committed update of a channel (lock, settle, fail, splice) is
//! co-signed through `Engine::committed`; malicious nodes force-close with stale states as
//! `TxKind::Dispute` transactions, victims or watchtowers answer, and the payouts of a
//! resolved dispute are counted as withdrawn. Without it `Engine::sec` is `None` and every
//! hook is a branch on `None`.
//!
//! **Invariant.** Every change of a channel goes through [`network::Network`], which checks
//! `balances + in-flight == capacity` in debug builds; the whole network, and the global
//! identity `Σ capacity = initial + topped up − withdrawn`, are checked at every window and
//! at the end. A violation is a bug and stops the run with [`InvariantViolation`].

pub mod params;
pub mod queue;
mod security_hooks;
#[cfg(test)]
pub(crate) mod tests;

use crate::chain::{Chain, PendingTx, TxKind};
use crate::metrics::{
    imbalance, percentile_sorted, FailureReason, Imbalance, PaymentKind, PaymentRecord, Recorder,
    WindowSample,
};
use crate::network::{self, ChannelStatus, Network, OfferRefusal};
use crate::rng::{self, SimRng};
use crate::routing::{self as router, Hop, McEntry, MissionControl, NoRoute, RouteRequest, Router};
use crate::security::{SecurityState, SecurityTotals};
use crate::strategy::{Action, Observation, Strategy, View};
use crate::topology::{ChannelId, ChannelSpec, FeePolicy, NodeId, Topology};
use crate::units::{Msat, SimDuration, SimTime};
use crate::workload::Workload;
pub use params::EngineParams;
use queue::EventQueue;
use rand::Rng;
use rand_distr::{Distribution, Exp};

/// A simulator bug: an invariant no longer holds. Fatal for the run.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("invariant violated at t={time}: {what}")]
pub struct InvariantViolation {
    pub time: SimTime,
    pub what: String,
}

#[derive(Debug, Clone, Copy)]
enum Ev {
    Arrival,
    Arrive { att: u32, hop: u16 },
    Settle { att: u32, hop: u16 },
    FailBack { att: u32, hop: u16 },
    Sample,
    Block,
    Timer { node: u32, tag: u64 },
    HoldExpire { hold: u32 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// A workload payment.
    Workload,
    /// A strategy's circular rebalance (reported back with its tag).
    Rebalance { tag: u64 },
    /// A rebalance on behalf of a held HTLC (just-in-time).
    JustInTime { hold: u32 },
    /// The off-chain leg of a loop-out to the swap provider.
    SwapOut { tag: u64, chan: ChannelId },
    /// The provider's off-chain payment completing a loop-in.
    SwapIn { tag: u64, user: NodeId },
}

#[derive(Debug, Clone)]
struct Pay {
    id: u64,
    purpose: Purpose,
    sender: NodeId,
    receiver: NodeId,
    amount: Msat,
    created: SimTime,
    deadline: SimTime,
    attempts: u32,
    max_attempts: u32,
    max_fee: Option<Msat>,
    first_hop: Option<ChannelId>,
    last_hop: Option<ChannelId>,
    exclude: Vec<(ChannelId, u8)>,
    last_reason: Option<FailureReason>,
    last_hops: u16,
    infeasible: bool,
    /// Strategy rebalances only: the longest cycle allowed (route hops), `None` for the
    /// router's limit.
    max_hops: Option<u8>,
    /// Strategy rebalances only: participating forwarders waive their fees.
    fee_free: bool,
}

#[derive(Debug, Clone, Default)]
struct Attempt {
    pay: u32,
    route: Vec<Hop>,
    failure: Option<(FailureReason, u16)>,
}

#[derive(Debug, Clone)]
struct Hold {
    att: u32,
    /// The HTLC arrived over hop `hop`; the node wants to forward over `hop + 1`.
    hop: u16,
    node: NodeId,
    /// The HTLC is parked, waiting for its rebalance.
    active: bool,
    /// A strategy took the hold (even if it was already released again).
    taken: bool,
}

/// Counters of one run (see [`RunResult`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Totals {
    pub payments: u64,
    pub succeeded: u64,
    pub volume: Msat,
    pub volume_succeeded: Msat,
    pub fees_paid: Msat,
    pub failures: [u64; 6],
    pub infeasible_failures: u64,
    pub attempts: u64,
    pub rebalances: u64,
    pub rebalances_succeeded: u64,
    pub rebalanced_amount: Msat,
    pub rebalance_fees: Msat,
    pub jit_holds: u64,
    pub jit_forwarded: u64,
    pub swaps: u64,
    pub swap_fees: Msat,
    pub splices: u64,
    pub onchain_txs: u64,
    pub onchain_fees: Msat,
    pub topped_up: Msat,
    pub withdrawn: Msat,
    pub channels_opened: u64,
    pub channels_closed: u64,
    pub rejected_actions: u64,
}

/// What a run returns besides what it streamed to the recorder.
#[derive(Debug, Clone, PartialEq)]
pub struct RunResult {
    pub totals: Totals,
    pub end_time: SimTime,
    pub events: u64,
    /// Payment latency percentiles (successful workload payments), ms: p50, p90, p99.
    pub latency_ms: [f64; 3],
    pub final_imbalance: Imbalance,
    pub initial_imbalance: Imbalance,
    /// Routing revenue per node, net of its rebalancing fees, swap fees and on-chain fees.
    pub node_net_revenue: Vec<i64>,
    /// Routing fee revenue per node.
    pub node_revenue: Vec<Msat>,
    /// Security-model counters (runs with `[security]` only).
    pub security: Option<SecurityTotals>,
}

/// One run of the simulation.
pub struct Engine<'t> {
    topo: &'t Topology,
    p: EngineParams,
    net: Network,
    q: EventQueue<Ev>,
    router: Router,
    mc: MissionControl,
    chain: Chain,
    workload: Workload,
    strategy: Box<dyn Strategy + 't>,
    participates: Vec<bool>,
    rng_latency: SimRng,
    rng_faults: SimRng,
    rng_strategy: SimRng,
    rng_chain: SimRng,
    pays: Vec<Option<Pay>>,
    free_pays: Vec<u32>,
    attempts: Vec<Attempt>,
    free_attempts: Vec<u32>,
    holds: Vec<Hold>,
    next_pay_id: u64,
    pending_workload: u64,
    arrivals_done: bool,
    route_buf: Vec<Hop>,
    actions: Vec<Action>,
    totals: Totals,
    latencies: Vec<u64>,
    node_revenue: Vec<Msat>,
    node_cost: Vec<Msat>,
    // Window counters.
    w_attempted: u64,
    w_succeeded: u64,
    w_vol: Msat,
    w_vol_ok: Msat,
    w_rebal_fees: Msat,
    scratch: Vec<f64>,
    initial_total: Msat,
    pending_opens: Vec<ChannelSpec>,
    events: u64,
    wants_balance: bool,
    wants_blocked: bool,
    /// Security model (signed states, disputes); `None` without `[security]`.
    sec: Option<Box<SecurityState>>,
    sec_actions: Vec<crate::security::SecAction>,
}

impl<'t> Engine<'t> {
    /// Prepares a run. `seed` is this run's seed (see [`crate::rng::run_seed`]); every
    /// subsystem gets its own stream from it. `participates[v]` says whether node `v` runs
    /// the strategy.
    pub fn new(
        topo: &'t Topology,
        p: EngineParams,
        workload: Workload,
        strategy: Box<dyn Strategy + 't>,
        participates: Vec<bool>,
        feerates: Vec<(SimTime, u64)>,
        seed: u64,
    ) -> Self {
        let net = Network::new(topo);
        let n = net.node_count();
        let initial_total = net.total_capacity();
        let wants_balance = strategy.wants_balance_changes();
        let wants_blocked = strategy.wants_forward_blocked();
        let mut participates = participates;
        participates.resize(n, false);
        let sec = Self::security_state(&p, &net, seed);
        Engine {
            sec,
            sec_actions: Vec::new(),
            topo,
            router: Router::new(n, net.channel_count()),
            mc: MissionControl::new(n),
            chain: Chain::new(p.confirmations, feerates),
            net,
            q: EventQueue::new(),
            workload,
            strategy,
            participates,
            rng_latency: rng::stream(seed, "latency"),
            rng_faults: rng::stream(seed, "faults"),
            rng_strategy: rng::stream(seed, "strategy"),
            rng_chain: rng::stream(seed, "chain"),
            pays: Vec::new(),
            free_pays: Vec::new(),
            attempts: Vec::new(),
            free_attempts: Vec::new(),
            holds: Vec::new(),
            next_pay_id: 0,
            pending_workload: 0,
            arrivals_done: false,
            route_buf: Vec::new(),
            actions: Vec::new(),
            totals: Totals::default(),
            latencies: Vec::new(),
            node_revenue: vec![Msat::ZERO; n],
            node_cost: vec![Msat::ZERO; n],
            w_attempted: 0,
            w_succeeded: 0,
            w_vol: Msat::ZERO,
            w_vol_ok: Msat::ZERO,
            w_rebal_fees: Msat::ZERO,
            scratch: Vec::new(),
            initial_total,
            pending_opens: Vec::new(),
            events: 0,
            wants_balance,
            wants_blocked,
            p,
        }
    }

    /// The live network (read-only), for tests and inspection.
    pub fn network(&self) -> &Network {
        &self.net
    }

    /// Runs to completion: until the workload is exhausted and every payment resolved (or
    /// the horizon). Records stream to `rec`.
    pub fn run(self, rec: &mut dyn Recorder) -> Result<RunResult, InvariantViolation> {
        self.run_with_network(rec).map(|(r, _)| r)
    }

    /// Like [`Engine::run`], also returning the final channel states.
    pub fn run_with_network(
        mut self,
        rec: &mut dyn Recorder,
    ) -> Result<(RunResult, Vec<network::ChannelState>), InvariantViolation> {
        let initial_imbalance = imbalance(&self.net, self.p.depleted_share, &mut self.scratch);
        self.schedule_next_arrival();
        self.q.schedule(SimTime::ZERO + self.p.window, Ev::Sample);
        let first_block = self.block_delay();
        self.q.schedule(SimTime::ZERO + first_block, Ev::Block);
        self.notify(Observation::Start, rec)?;
        // With the security model, also until every open dispute has paid out.
        while !(self.arrivals_done && self.pending_workload == 0 && !self.sec_pending()) {
            let Some((now, ev)) = self.q.pop() else { break };
            if self.p.horizon.is_some_and(|h| now > h) {
                break;
            }
            self.events += 1;
            self.handle(now, ev, rec)?;
        }
        let end = self.q.now();
        self.emit_window(end, rec)?;
        self.check_all(end)?;
        let mut lat = std::mem::take(&mut self.latencies);
        lat.sort_unstable();
        let latency_ms = [0.5, 0.9, 0.99].map(|q| percentile_sorted(&lat, q) / 1000.0);
        let node_net_revenue = self
            .node_revenue
            .iter()
            .zip(&self.node_cost)
            .map(|(r, c)| r.0 as i64 - c.0 as i64)
            .collect();
        let result = RunResult {
            final_imbalance: imbalance(&self.net, self.p.depleted_share, &mut self.scratch),
            initial_imbalance,
            totals: self.totals,
            end_time: end,
            events: self.events,
            latency_ms,
            node_net_revenue,
            node_revenue: self.node_revenue,
            security: self.sec.map(|s| s.totals),
        };
        Ok((result, self.net.into_channels()))
    }

    fn handle(
        &mut self,
        now: SimTime,
        ev: Ev,
        rec: &mut dyn Recorder,
    ) -> Result<(), InvariantViolation> {
        match ev {
            Ev::Arrival => self.on_arrival(now, rec)?,
            Ev::Arrive { att, hop } => self.on_arrive(now, att, hop, rec)?,
            Ev::Settle { att, hop } => self.on_settle(now, att, hop, rec)?,
            Ev::FailBack { att, hop } => self.on_fail_back(now, att, hop, rec)?,
            Ev::Sample => {
                self.emit_window(now, rec)?;
                self.check_all(now)?;
                self.q.schedule(now + self.p.window, Ev::Sample);
            }
            Ev::Block => self.on_block(now, rec)?,
            Ev::Timer { node, tag } => self.notify(
                Observation::Timer {
                    node: NodeId(node),
                    tag,
                },
                rec,
            )?,
            Ev::HoldExpire { hold } => {
                if self.holds[hold as usize].active {
                    self.release_hold(now, hold)?;
                }
            }
        }
        Ok(())
    }

    fn block_delay(&mut self) -> SimDuration {
        let mean = self.p.block_interval.secs_f64().max(1e-6);
        let s = Exp::new(1.0 / mean)
            .map(|d| d.sample(&mut self.rng_chain))
            .unwrap_or(mean);
        SimDuration::from_secs_f64(s).max(SimDuration(1))
    }

    fn latency(&mut self) -> SimDuration {
        self.p.hop_latency.sample(&mut self.rng_latency)
    }

    // ----- workload -----

    fn schedule_next_arrival(&mut self) {
        match self.workload.peek_time() {
            Some(t) => {
                let t = t.max(self.q.now());
                self.q.schedule(t, Ev::Arrival)
            }
            None => self.arrivals_done = true,
        }
    }

    fn on_arrival(
        &mut self,
        now: SimTime,
        rec: &mut dyn Recorder,
    ) -> Result<(), InvariantViolation> {
        let Some(a) = self.workload.next() else {
            self.arrivals_done = true;
            return Ok(());
        };
        self.schedule_next_arrival();
        if let Some(f) = self.workload.progress() {
            if self.workload.emitted().is_multiple_of(512) {
                rec.progress(f);
            }
        }
        let infeasible = self.is_infeasible(a.sender, a.receiver, a.amount);
        self.pending_workload += 1;
        let pay = Pay {
            infeasible,
            ..self.new_payment(Purpose::Workload, a.sender, a.receiver, a.amount)
        };
        let pid = self.new_pay(pay);
        self.start_attempt(now, pid, rec)
    }

    /// Sender's total spendable or receiver's total inbound is below the amount.
    fn is_infeasible(&self, s: NodeId, r: NodeId, amount: Msat) -> bool {
        let mut out = Msat::ZERO;
        for c in self.net.channels_of(s) {
            let ch = self.net.chan(c);
            if let (ChannelStatus::Open, Some(d)) = (ch.status(), ch.side_of(s)) {
                out += ch.spendable(d);
            }
        }
        let mut inb = Msat::ZERO;
        for c in self.net.channels_of(r) {
            let ch = self.net.chan(c);
            if let (ChannelStatus::Open, Some(d)) = (ch.status(), ch.side_of(r)) {
                inb += ch.spendable(1 - d);
            }
        }
        out < amount || inb < amount
    }

    fn new_pay(&mut self, mut pay: Pay) -> u32 {
        pay.id = self.next_pay_id;
        self.next_pay_id += 1;
        match self.free_pays.pop() {
            Some(i) => {
                self.pays[i as usize] = Some(pay);
                i
            }
            None => {
                self.pays.push(Some(pay));
                self.pays.len() as u32 - 1
            }
        }
    }

    fn pay(&self, pid: u32) -> &Pay {
        self.pays[pid as usize].as_ref().expect("live payment")
    }
    fn pay_mut(&mut self, pid: u32) -> &mut Pay {
        self.pays[pid as usize].as_mut().expect("live payment")
    }

    fn new_attempt(&mut self, pid: u32) -> u32 {
        let mut route = std::mem::take(&mut self.route_buf);
        match self.free_attempts.pop() {
            Some(i) => {
                let a = &mut self.attempts[i as usize];
                std::mem::swap(&mut a.route, &mut route);
                self.route_buf = route;
                a.pay = pid;
                a.failure = None;
                i
            }
            None => {
                self.attempts.push(Attempt {
                    pay: pid,
                    route,
                    failure: None,
                });
                self.attempts.len() as u32 - 1
            }
        }
    }

    fn free_attempt(&mut self, att: u32) {
        self.free_attempts.push(att);
    }

    /// Starts (or retries) payment `pid` now.
    fn start_attempt(
        &mut self,
        now: SimTime,
        pid: u32,
        rec: &mut dyn Recorder,
    ) -> Result<(), InvariantViolation> {
        let pay = self.pays[pid as usize].as_ref().expect("live payment");
        if now > pay.deadline {
            let reason = pay.last_reason.unwrap_or(FailureReason::Timeout);
            let reason = if pay.attempts > 0 {
                FailureReason::Timeout
            } else {
                reason
            };
            return self.finish(now, pid, false, Some(reason), Msat::ZERO, rec);
        }
        if pay.attempts >= pay.max_attempts {
            let r = pay.last_reason;
            return self.finish(now, pid, false, r, Msat::ZERO, rec);
        }
        let req = RouteRequest {
            source: pay.sender,
            target: pay.receiver,
            amount: pay.amount,
            first_hop: pay.first_hop,
            last_hop: pay.last_hop,
            exclude: &pay.exclude,
            max_fee: pay.max_fee,
            avoid: None,
        };
        let mc = self.mc.entries(pay.sender);
        // A strategy rebalance may set its own cycle length, replacing the router's
        // `max_hops` for this payment only. The router counts the hops searched after the
        // forced first hop, so a cycle of `h` hops is a search limit of `h - 1`.
        // `RouterParams` is plain data (no heap): the copy is cheap and only made here.
        let limited;
        let rp = match pay.max_hops {
            Some(h) => {
                limited = router::RouterParams {
                    max_hops: h.saturating_sub(1),
                    ..self.p.router.clone()
                };
                &limited
            }
            None => &self.p.router,
        };
        let found = self
            .router
            .find_route(&self.net, &req, mc, now, rp, &mut self.route_buf);
        if found.is_ok() && pay.fee_free {
            waive_participant_fees(&self.net, &self.participates, &mut self.route_buf);
        }
        match found {
            Err(e) => {
                let pay = self.pay(pid);
                let reason = pay.last_reason.unwrap_or(match e {
                    NoRoute::NoPath => FailureReason::NoRoute,
                    NoRoute::FeeLimit => FailureReason::FeeLimit,
                });
                self.finish(now, pid, false, Some(reason), Msat::ZERO, rec)
            }
            Ok(_fee) => {
                let first = self.route_buf[0];
                let hops = self.route_buf.len() as u16;
                {
                    let pay = self.pay_mut(pid);
                    pay.attempts += 1;
                    pay.last_hops = hops;
                }
                self.totals.attempts += 1;
                if self
                    .net
                    .lock(first.chan, first.dir as usize, first.amount)
                    .is_err()
                {
                    // The router checked the sender's own balance; this cannot happen.
                    return Err(InvariantViolation {
                        time: now,
                        what: format!("sender could not lock its own first hop {:?}", first),
                    });
                }
                self.committed(first.chan);
                let att = self.new_attempt(pid);
                let d = self.latency();
                self.q.schedule(now + d, Ev::Arrive { att, hop: 0 });
                Ok(())
            }
        }
    }

    /// The node at the end of a hop: route[hop] goes from `from_node(hop)` to `to_node(hop)`.
    fn to_node(&self, h: &Hop) -> NodeId {
        self.net.chan(h.chan).node(1 - h.dir as usize)
    }

    fn on_arrive(
        &mut self,
        now: SimTime,
        att: u32,
        hop: u16,
        rec: &mut dyn Recorder,
    ) -> Result<(), InvariantViolation> {
        let a = &self.attempts[att as usize];
        let k = hop as usize;
        if k + 1 == a.route.len() {
            // At the receiver.
            let pid = a.pay;
            let pay = self.pay(pid);
            if pay.purpose == Purpose::Workload && now > pay.deadline {
                return self.start_fail_back(now, att, hop, FailureReason::Timeout, hop);
            }
            let d = self.latency();
            self.q.schedule(now + d, Ev::Settle { att, hop });
            return Ok(());
        }
        self.try_forward(now, att, hop, rec)
    }

    /// The node at the end of hop `hop` forwards over hop `hop + 1`.
    fn try_forward(
        &mut self,
        now: SimTime,
        att: u32,
        hop: u16,
        rec: &mut dyn Recorder,
    ) -> Result<(), InvariantViolation> {
        let a = &self.attempts[att as usize];
        let next = a.route[hop as usize + 1];
        let node = self.to_node(&a.route[hop as usize]);
        if self.p.offline_probability > 0.0
            && self.rng_faults.random::<f64>() < self.p.offline_probability
        {
            return self.start_fail_back(
                now,
                att,
                hop,
                FailureReason::OfflineNode { hop: hop + 1 },
                hop + 1,
            );
        }
        match self.net.lock(next.chan, next.dir as usize, next.amount) {
            Ok(()) => {
                self.committed(next.chan);
                let d = self.latency();
                self.q.schedule(now + d, Ev::Arrive { att, hop: hop + 1 });
                Ok(())
            }
            Err(refusal) => {
                if refusal == OfferRefusal::Balance
                    && self.wants_blocked
                    && self.participates[node.idx()]
                {
                    let hold = self.holds.len() as u32;
                    self.holds.push(Hold {
                        att,
                        hop,
                        node,
                        active: false,
                        taken: false,
                    });
                    self.notify(
                        Observation::ForwardBlocked {
                            node,
                            chan: next.chan,
                            amount: next.amount,
                            hold: hold as u64,
                        },
                        rec,
                    )?;
                    // Taken: the HTLC is parked, or was already released (forwarded or
                    // failed back) by a rebalance that ended at once. Either way it is
                    // no longer ours to fail here.
                    if self.holds[hold as usize].taken {
                        return Ok(());
                    }
                    self.holds.pop();
                }
                if refusal == OfferRefusal::Closed {
                    self.sec_refused_closed(next.chan);
                }
                let reason = match refusal {
                    OfferRefusal::Closed => FailureReason::ChannelClosed { hop: hop + 1 },
                    _ => FailureReason::NoBalance { hop: hop + 1 },
                };
                self.start_fail_back(now, att, hop, reason, hop + 1)
            }
        }
    }

    /// The node at the end of hop `hop` fails the HTLC back; `failed_hop` is the edge blamed.
    fn start_fail_back(
        &mut self,
        now: SimTime,
        att: u32,
        hop: u16,
        reason: FailureReason,
        failed_hop: u16,
    ) -> Result<(), InvariantViolation> {
        self.attempts[att as usize].failure = Some((reason, failed_hop));
        let d = self.latency();
        self.q.schedule(now + d, Ev::FailBack { att, hop });
        Ok(())
    }

    fn on_fail_back(
        &mut self,
        now: SimTime,
        att: u32,
        hop: u16,
        rec: &mut dyn Recorder,
    ) -> Result<(), InvariantViolation> {
        let h = self.attempts[att as usize].route[hop as usize];
        self.net.fail(h.chan, h.dir as usize, h.amount);
        self.committed(h.chan);
        if hop > 0 {
            let d = self.latency();
            self.q.schedule(now + d, Ev::FailBack { att, hop: hop - 1 });
            return Ok(());
        }
        // The sender learns of the failure.
        let a = &self.attempts[att as usize];
        let pid = a.pay;
        let (reason, failed_hop) = a.failure.unwrap_or((FailureReason::NoRoute, 0));
        let fh = a.route[failed_hop as usize];
        let sender = self.pay(pid).sender;
        if !matches!(reason, FailureReason::Timeout) {
            self.mc.record_failure(
                sender,
                McEntry {
                    chan: fh.chan.0,
                    dir: fh.dir,
                    time: now,
                    amount: fh.amount,
                },
                self.p.router.memory,
            );
        }
        self.free_attempt(att);
        let pay = self.pay_mut(pid);
        pay.last_reason = Some(reason);
        if matches!(reason, FailureReason::Timeout) {
            return self.finish(now, pid, false, Some(reason), Msat::ZERO, rec);
        }
        pay.exclude.push((fh.chan, fh.dir));
        self.start_attempt(now, pid, rec)
    }

    fn on_settle(
        &mut self,
        now: SimTime,
        att: u32,
        hop: u16,
        rec: &mut dyn Recorder,
    ) -> Result<(), InvariantViolation> {
        let a = &self.attempts[att as usize];
        let h = a.route[hop as usize];
        let pid = a.pay;
        let from = self.net.chan(h.chan).node(h.dir as usize);
        if hop > 0 {
            // `from` forwarded: it earns the difference between what it received and sent.
            let prev = a.route[hop as usize - 1];
            let fee = prev.amount - h.amount;
            self.node_revenue[from.idx()] += fee;
        }
        self.net.settle(h.chan, h.dir as usize, h.amount);
        self.committed(h.chan);
        if self.wants_balance {
            let to = self.net.chan(h.chan).node(1 - h.dir as usize);
            for v in [from, to] {
                if self.participates[v.idx()] {
                    self.notify(
                        Observation::BalanceChanged {
                            node: v,
                            chan: h.chan,
                        },
                        rec,
                    )?;
                }
            }
        }
        if hop > 0 {
            let d = self.latency();
            self.q.schedule(now + d, Ev::Settle { att, hop: hop - 1 });
            return Ok(());
        }
        // The sender has the preimage.
        let a = &self.attempts[att as usize];
        let total = a.route[0].amount;
        let fee = total - self.pay(pid).amount;
        self.free_attempt(att);
        self.finish(now, pid, true, None, fee, rec)
    }

    /// A payment is final: record it and, for strategy payments, report back.
    fn finish(
        &mut self,
        now: SimTime,
        pid: u32,
        success: bool,
        reason: Option<FailureReason>,
        fee: Msat,
        rec: &mut dyn Recorder,
    ) -> Result<(), InvariantViolation> {
        let pay = self.pays[pid as usize].take().expect("live payment");
        self.free_pays.push(pid);
        let kind = if pay.purpose == Purpose::Workload {
            PaymentKind::Payment
        } else {
            PaymentKind::Rebalance
        };
        rec.payment(&PaymentRecord {
            id: pay.id,
            kind,
            sender: pay.sender,
            receiver: pay.receiver,
            amount: pay.amount,
            created: pay.created,
            finished: now,
            success,
            reason: if success { None } else { reason },
            attempts: pay.attempts,
            hops: pay.last_hops,
            fee,
            infeasible: pay.infeasible,
        });
        match pay.purpose {
            Purpose::Workload => {
                self.pending_workload -= 1;
                let t = &mut self.totals;
                t.payments += 1;
                t.volume += pay.amount;
                self.w_attempted += 1;
                self.w_vol += pay.amount;
                if success {
                    t.succeeded += 1;
                    t.volume_succeeded += pay.amount;
                    t.fees_paid += fee;
                    self.w_succeeded += 1;
                    self.w_vol_ok += pay.amount;
                    self.latencies.push(now.since(pay.created).micros());
                } else {
                    let r = reason.unwrap_or(FailureReason::NoRoute);
                    let i = r.index();
                    t.failures[i] += 1;
                    if pay.infeasible {
                        t.infeasible_failures += 1;
                    }
                }
            }
            Purpose::Rebalance { tag } => {
                self.account_rebalance(&pay, success, fee);
                if success {
                    self.sec_after_rebalance(now, pay.sender, pay.first_hop);
                }
                self.notify(
                    Observation::RebalanceDone {
                        node: pay.sender,
                        tag,
                        success,
                        amount: pay.amount,
                        fee,
                    },
                    rec,
                )?;
            }
            Purpose::JustInTime { hold } => {
                self.account_rebalance(&pay, success, fee);
                if success {
                    self.sec_after_rebalance(now, pay.sender, pay.first_hop);
                }
                if self.holds[hold as usize].active {
                    self.release_hold(now, hold)?;
                }
                // Tell the strategy how its just-in-time rebalance went (tag = the hold).
                self.notify(
                    Observation::RebalanceDone {
                        node: pay.sender,
                        tag: hold as u64,
                        success,
                        amount: pay.amount,
                        fee,
                    },
                    rec,
                )?;
            }
            Purpose::SwapOut { tag, chan } => {
                if success {
                    // The provider pays the amount back on chain, minus its fee.
                    let swap_fee = pay.amount.mul_ppm(self.p.swap.fee_ppm);
                    let chain_fee = self.chain.fee_for(self.p.tx_sizes.swap, now);
                    self.totals.swap_fees += swap_fee;
                    self.node_cost[pay.sender.idx()] += swap_fee + fee;
                    self.totals.swaps += 1;
                    self.submit_tx(
                        now,
                        pay.sender,
                        TxKind::SwapOut {
                            chan,
                            amount: pay.amount,
                        },
                        chain_fee,
                        tag,
                    );
                } else {
                    self.notify(
                        Observation::ChainDone {
                            node: pay.sender,
                            tag,
                            success: false,
                        },
                        rec,
                    )?;
                }
            }
            Purpose::SwapIn { tag, user } => {
                if success {
                    self.totals.swaps += 1;
                }
                self.notify(
                    Observation::ChainDone {
                        node: user,
                        tag,
                        success,
                    },
                    rec,
                )?;
            }
        }
        Ok(())
    }

    fn account_rebalance(&mut self, pay: &Pay, success: bool, fee: Msat) {
        self.totals.rebalances += 1;
        if success {
            self.totals.rebalances_succeeded += 1;
            self.totals.rebalanced_amount += pay.amount;
            self.totals.rebalance_fees += fee;
            self.w_rebal_fees += fee;
            self.node_cost[pay.sender.idx()] += fee;
        }
    }

    /// A held HTLC is released: forward it if the balance now allows, else fail it back.
    fn release_hold(&mut self, now: SimTime, hold: u32) -> Result<(), InvariantViolation> {
        let h = self.holds[hold as usize].clone();
        self.holds[hold as usize].active = false;
        let next = self.attempts[h.att as usize].route[h.hop as usize + 1];
        match self.net.lock(next.chan, next.dir as usize, next.amount) {
            Ok(()) => {
                self.committed(next.chan);
                self.totals.jit_forwarded += 1;
                let d = self.latency();
                self.q.schedule(
                    now + d,
                    Ev::Arrive {
                        att: h.att,
                        hop: h.hop + 1,
                    },
                );
                Ok(())
            }
            Err(_) => self.start_fail_back(
                now,
                h.att,
                h.hop,
                FailureReason::NoBalance { hop: h.hop + 1 },
                h.hop + 1,
            ),
        }
    }

    // ----- chain -----

    fn submit_tx(&mut self, now: SimTime, node: NodeId, kind: TxKind, fee: Msat, tag: u64) {
        self.totals.onchain_fees += fee;
        self.node_cost[node.idx()] += fee;
        self.chain.submit(node, kind, fee, now, tag);
    }

    fn on_block(&mut self, now: SimTime, rec: &mut dyn Recorder) -> Result<(), InvariantViolation> {
        let done = self.chain.mine();
        self.totals.onchain_txs = self.chain.confirmed_count;
        for tx in done {
            self.apply_tx(now, tx, rec)?;
        }
        self.sec_block(now);
        let height = self.chain.height;
        self.notify(Observation::Block { height }, rec)?;
        let d = self.block_delay();
        self.q.schedule(now + d, Ev::Block);
        Ok(())
    }

    fn apply_tx(
        &mut self,
        now: SimTime,
        tx: PendingTx,
        rec: &mut dyn Recorder,
    ) -> Result<(), InvariantViolation> {
        let mut ok = true;
        match tx.kind {
            TxKind::SpliceIn { chan, amount } => {
                let ch = self.net.chan(chan);
                match (ch.status(), ch.side_of(tx.node)) {
                    (ChannelStatus::Open, Some(d)) => {
                        self.net.deposit(chan, d, amount);
                        self.committed(chan);
                        self.totals.topped_up += amount;
                        self.totals.splices += 1;
                    }
                    _ => ok = false,
                }
            }
            TxKind::SpliceOut { .. } => {
                self.totals.splices += 1;
            }
            TxKind::SwapOut { .. } => {}
            TxKind::SwapIn { chan, amount } => {
                // The provider now pays `amount` off-chain into `chan`.
                let provider = self.p.swap.provider.unwrap_or(NodeId(0));
                let purpose = Purpose::SwapIn {
                    tag: tx.tag,
                    user: tx.node,
                };
                let pay = Pay {
                    last_hop: Some(chan),
                    ..self.new_payment(purpose, provider, tx.node, amount)
                };
                let pid = self.new_pay(pay);
                return self.start_attempt(now, pid, rec);
            }
            TxKind::Open { pending_open } => {
                let spec = self.pending_opens[pending_open].clone();
                self.net.open_channel(&spec);
                self.mc.grow(self.net.node_count());
                self.totals.topped_up += spec.capacity;
                self.totals.channels_opened += 1;
            }
            TxKind::Close { chan, .. } => {
                let ch = self.net.chan(chan);
                if ch.inflight(0).0 + ch.inflight(1).0 > 0 {
                    // HTLCs still in flight: take effect at a later block.
                    self.chain.defer(tx);
                    return Ok(());
                }
                let cap = ch.capacity();
                self.net.set_status(chan, ChannelStatus::Closed);
                self.totals.withdrawn += cap;
                self.totals.channels_closed += 1;
            }
            TxKind::Dispute { dispute } => {
                // Security model: opaque to strategies (no `ChainDone`).
                self.sec_tx(now, dispute, tx.included);
                return Ok(());
            }
        }
        self.notify(
            Observation::ChainDone {
                node: tx.node,
                tag: tx.tag,
                success: ok,
            },
            rec,
        )
    }

    // ----- strategies -----

    /// Tells the strategy about `obs` and carries out what it asks.
    fn notify(
        &mut self,
        obs: Observation,
        rec: &mut dyn Recorder,
    ) -> Result<(), InvariantViolation> {
        let mut actions = std::mem::take(&mut self.actions);
        actions.clear();
        {
            let now = self.q.now();
            let view = View {
                now,
                net: &self.net,
                height: self.chain.height,
                feerate_sat_vb: self.chain.feerate_msat_vb(now) as f64 / 1000.0,
                participates: &self.participates,
            };
            self.strategy
                .observe(&view, &obs, &mut self.rng_strategy, &mut actions);
        }
        let now = self.q.now();
        for a in actions.drain(..) {
            self.apply_action(now, a, rec)?;
        }
        self.actions = actions;
        Ok(())
    }

    fn node_side(&self, node: NodeId, chan: ChannelId) -> Option<usize> {
        let ch = self.net.channels().get(chan.idx())?;
        if ch.status() != ChannelStatus::Open {
            return None;
        }
        ch.side_of(node)
    }

    /// Validates and carries out one action. An invalid action is counted and dropped.
    fn apply_action(
        &mut self,
        now: SimTime,
        a: Action,
        rec: &mut dyn Recorder,
    ) -> Result<(), InvariantViolation> {
        match a {
            Action::Timer { node, at, tag } => {
                self.q
                    .schedule(at.max(now), Ev::Timer { node: node.0, tag });
            }
            Action::Rebalance {
                node,
                out_chan,
                in_chan,
                amount,
                max_fee,
                max_attempts,
                deadline,
                max_hops,
                fee_free,
                tag,
            } => {
                if out_chan == in_chan
                    || self.node_side(node, out_chan).is_none()
                    || self.node_side(node, in_chan).is_none()
                    || amount == Msat::ZERO
                    || max_hops.is_some_and(|h| h < 2)
                {
                    self.totals.rejected_actions += 1;
                    return Ok(());
                }
                let mut pay = self.rebalance_pay(
                    node,
                    out_chan,
                    in_chan,
                    amount,
                    max_fee,
                    max_attempts,
                    now + deadline,
                    Purpose::Rebalance { tag },
                );
                pay.max_hops = max_hops;
                pay.fee_free = fee_free;
                let pid = self.new_pay(pay);
                return self.start_attempt(now, pid, rec);
            }
            Action::HoldForRebalance {
                hold,
                out_chan,
                amount,
                max_fee,
                deadline,
            } => {
                let Some(h) = self.holds.get(hold as usize).cloned() else {
                    self.totals.rejected_actions += 1;
                    return Ok(());
                };
                let blocked = self.attempts[h.att as usize].route[h.hop as usize + 1].chan;
                if h.taken || out_chan == blocked || self.node_side(h.node, out_chan).is_none() {
                    self.totals.rejected_actions += 1;
                    return Ok(());
                }
                self.holds[hold as usize].active = true;
                self.holds[hold as usize].taken = true;
                self.totals.jit_holds += 1;
                self.q
                    .schedule(now + deadline, Ev::HoldExpire { hold: hold as u32 });
                let pay = self.rebalance_pay(
                    h.node,
                    out_chan,
                    blocked,
                    amount,
                    max_fee,
                    3,
                    now + deadline,
                    Purpose::JustInTime { hold: hold as u32 },
                );
                let pid = self.new_pay(pay);
                return self.start_attempt(now, pid, rec);
            }
            Action::SpliceIn {
                node,
                chan,
                amount,
                tag,
            } => {
                if self.node_side(node, chan).is_none() || amount == Msat::ZERO {
                    self.totals.rejected_actions += 1;
                    return Ok(());
                }
                let fee = self.chain.fee_for(self.p.tx_sizes.splice, now);
                self.submit_tx(now, node, TxKind::SpliceIn { chan, amount }, fee, tag);
            }
            Action::SpliceOut {
                node,
                chan,
                amount,
                tag,
            } => {
                let Some(d) = self.node_side(node, chan) else {
                    self.totals.rejected_actions += 1;
                    return Ok(());
                };
                if self.net.withdraw(chan, d, amount).is_err() {
                    self.totals.rejected_actions += 1;
                    return Ok(());
                }
                self.committed(chan);
                self.totals.withdrawn += amount;
                let fee = self.chain.fee_for(self.p.tx_sizes.splice, now);
                self.submit_tx(now, node, TxKind::SpliceOut { chan, amount }, fee, tag);
            }
            Action::SwapOut {
                node,
                chan,
                amount,
                tag,
            } => {
                let provider = self.p.swap.provider;
                if self.node_side(node, chan).is_none()
                    || provider.is_none()
                    || provider == Some(node)
                {
                    self.totals.rejected_actions += 1;
                    return Ok(());
                }
                let purpose = Purpose::SwapOut { tag, chan };
                let pay = Pay {
                    max_fee: Some(amount.mul_ppm(5000) + Msat::from_sat(10)),
                    first_hop: Some(chan),
                    ..self.new_payment(purpose, node, provider.unwrap_or(node), amount)
                };
                let pid = self.new_pay(pay);
                return self.start_attempt(now, pid, rec);
            }
            Action::SwapIn {
                node,
                chan,
                amount,
                tag,
            } => {
                if self.node_side(node, chan).is_none()
                    || self.p.swap.provider.is_none()
                    || self.p.swap.provider == Some(node)
                {
                    self.totals.rejected_actions += 1;
                    return Ok(());
                }
                let fee = self.chain.fee_for(self.p.tx_sizes.swap, now);
                let swap_fee = amount.mul_ppm(self.p.swap.fee_ppm);
                self.totals.swap_fees += swap_fee;
                self.node_cost[node.idx()] += swap_fee;
                self.submit_tx(now, node, TxKind::SwapIn { chan, amount }, fee, tag);
            }
            Action::OpenChannel {
                node,
                peer,
                amount,
                tag,
            } => {
                if node == peer
                    || peer.idx() >= self.net.node_count()
                    || node.idx() >= self.net.node_count()
                    || amount == Msat::ZERO
                {
                    self.totals.rejected_actions += 1;
                    return Ok(());
                }
                let reserve = amount.mul_ppm(10_000);
                let spec = ChannelSpec {
                    nodes: [node, peer],
                    capacity: amount,
                    balance: [amount, Msat::ZERO],
                    reserve: [reserve, reserve],
                    policy: [FeePolicy::default(); 2],
                    label: None,
                };
                self.pending_opens.push(spec);
                let fee = self.chain.fee_for(self.p.tx_sizes.funding, now);
                let idx = self.pending_opens.len() - 1;
                self.submit_tx(now, node, TxKind::Open { pending_open: idx }, fee, tag);
            }
            Action::CloseChannel {
                node,
                chan,
                cooperative,
                tag,
            } => {
                if self.node_side(node, chan).is_none() {
                    self.totals.rejected_actions += 1;
                    return Ok(());
                }
                self.net.set_status(chan, ChannelStatus::Closing);
                if cooperative {
                    // Both parties sign the closing state (a new version); the close tx
                    // pays out exactly that state.
                    self.net.bump_version(chan);
                    self.committed(chan);
                }
                let size = if cooperative {
                    self.p.tx_sizes.cooperative_close
                } else {
                    self.p.tx_sizes.unilateral_close
                };
                let fee = self.chain.fee_for(size, now);
                self.submit_tx(now, node, TxKind::Close { chan, cooperative }, fee, tag);
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn rebalance_pay(
        &self,
        node: NodeId,
        out_chan: ChannelId,
        in_chan: ChannelId,
        amount: Msat,
        max_fee: Msat,
        max_attempts: u32,
        deadline: SimTime,
        purpose: Purpose,
    ) -> Pay {
        Pay {
            deadline,
            max_attempts: max_attempts.max(1),
            max_fee: Some(max_fee),
            first_hop: Some(out_chan),
            last_hop: Some(in_chan),
            ..self.new_payment(purpose, node, node, amount)
        }
    }

    /// A payment created now with the scenario's deadline and attempts, no route
    /// constraints; callers override what differs.
    fn new_payment(&self, purpose: Purpose, sender: NodeId, receiver: NodeId, amount: Msat) -> Pay {
        let now = self.q.now();
        Pay {
            id: 0,
            purpose,
            sender,
            receiver,
            amount,
            created: now,
            deadline: now + self.p.payment_timeout,
            attempts: 0,
            max_attempts: self.p.max_attempts,
            max_fee: None,
            first_hop: None,
            last_hop: None,
            exclude: Vec::new(),
            last_reason: None,
            last_hops: 0,
            infeasible: false,
            max_hops: None,
            fee_free: false,
        }
    }

    // ----- metrics and invariants -----

    fn emit_window(
        &mut self,
        now: SimTime,
        rec: &mut dyn Recorder,
    ) -> Result<(), InvariantViolation> {
        let imb = imbalance(&self.net, self.p.depleted_share, &mut self.scratch);
        rec.window(&WindowSample {
            time: now,
            attempted: self.w_attempted,
            succeeded: self.w_succeeded,
            volume_attempted: self.w_vol,
            volume_succeeded: self.w_vol_ok,
            imbalance: imb,
            rebalance_fees: self.w_rebal_fees,
            pending_topup: self.pending_topup(),
        });
        self.w_attempted = 0;
        self.w_succeeded = 0;
        self.w_vol = Msat::ZERO;
        self.w_vol_ok = Msat::ZERO;
        self.w_rebal_fees = Msat::ZERO;
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

    fn check_all(&self, now: SimTime) -> Result<(), InvariantViolation> {
        if let Err(c) = self.net.check_conservation() {
            let ch = self.net.chan(c);
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
                    [ch.balance(0), ch.balance(1)],
                    [ch.inflight(0), ch.inflight(1)],
                    ch.capacity()
                ),
            });
        }
        let live: Msat = self.net.total_capacity();
        let expected =
            (self.initial_total + self.totals.topped_up).checked_sub(self.totals.withdrawn);
        if expected != Some(live) {
            return Err(InvariantViolation {
                time: now,
                what: format!(
                    "funds: channels hold {} but initial {} + topped up {} - withdrawn {} = {:?}",
                    live,
                    self.initial_total,
                    self.totals.topped_up,
                    self.totals.withdrawn,
                    expected
                ),
            });
        }
        Ok(())
    }
}

/// Fee-free rebalancing among participants: recomputes the amounts of a found `route`
/// backward from its last hop so that every forwarder that participates charges nothing,
/// and the others their normal fee. The amounts only shrink, so every check the router
/// made (balance of the first hop, fee limit) still holds. O(route length).
fn waive_participant_fees(net: &Network, participates: &[bool], route: &mut [Hop]) {
    for i in (0..route.len().saturating_sub(1)).rev() {
        let next = route[i + 1];
        let ch = net.chan(next.chan);
        let forwarder = ch.node(next.dir as usize);
        let fee = if participates.get(forwarder.idx()).copied().unwrap_or(false) {
            Msat::ZERO
        } else {
            ch.policy(next.dir as usize).fee(next.amount)
        };
        route[i].amount = next.amount + fee;
    }
}

impl RunResult {
    /// The headline metrics of a run as (name, value) in a fixed order: the columns of
    /// `summary.csv` and the rows of `stats.csv`. Money in satoshi (fractional), times in
    /// seconds or milliseconds as named.
    pub fn metrics(&self) -> Vec<(&'static str, f64)> {
        let t = &self.totals;
        let sat = |m: Msat| m.0 as f64 / 1000.0;
        let ratio = |a: u64, b: u64| if b > 0 { a as f64 / b as f64 } else { f64::NAN };
        let end_s = self.end_time.secs_f64();
        let cost = t.rebalance_fees + t.swap_fees + t.onchain_fees;
        let mut m = vec![
            ("payments", t.payments as f64),
            ("succeeded", t.succeeded as f64),
            ("success_ratio", ratio(t.succeeded, t.payments)),
            (
                "volume_success_ratio",
                ratio(t.volume_succeeded.0, t.volume.0),
            ),
            ("volume_sat", sat(t.volume)),
            ("fees_paid_sat", sat(t.fees_paid)),
            (
                "fee_ppm",
                ratio(t.fees_paid.0 * 1_000_000, t.volume_succeeded.0),
            ),
            ("fail_no_route", t.failures[0] as f64),
            ("fail_no_balance", t.failures[1] as f64),
            ("fail_offline_node", t.failures[2] as f64),
            ("fail_timeout", t.failures[3] as f64),
            ("fail_infeasible", t.infeasible_failures as f64),
            ("attempts_per_payment", ratio(t.attempts, t.payments)),
            ("latency_p50_ms", self.latency_ms[0]),
            ("latency_p90_ms", self.latency_ms[1]),
            ("latency_p99_ms", self.latency_ms[2]),
            (
                "throughput_per_s",
                if end_s > 0.0 {
                    t.succeeded as f64 / end_s
                } else {
                    f64::NAN
                },
            ),
            (
                "depleted_share_start",
                self.initial_imbalance.depleted_share,
            ),
            ("depleted_share_end", self.final_imbalance.depleted_share),
            ("mean_abs_skew_end", self.final_imbalance.mean_abs_skew),
            ("node_gini_start", self.initial_imbalance.node_gini),
            ("node_gini_end", self.final_imbalance.node_gini),
            ("rebalances", t.rebalances as f64),
            ("rebalances_succeeded", t.rebalances_succeeded as f64),
            ("rebalanced_sat", sat(t.rebalanced_amount)),
            ("rebalance_fees_sat", sat(t.rebalance_fees)),
            ("jit_holds", t.jit_holds as f64),
            ("jit_forwarded", t.jit_forwarded as f64),
            ("swaps", t.swaps as f64),
            ("swap_fees_sat", sat(t.swap_fees)),
            ("splices", t.splices as f64),
            ("onchain_txs", t.onchain_txs as f64),
            ("onchain_fees_sat", sat(t.onchain_fees)),
            ("total_cost_sat", sat(cost)),
            ("topped_up_sat", sat(t.topped_up)),
            ("withdrawn_sat", sat(t.withdrawn)),
            ("channels_opened", t.channels_opened as f64),
            ("channels_closed", t.channels_closed as f64),
            ("rejected_actions", t.rejected_actions as f64),
            ("events", self.events as f64),
            ("end_time_s", end_s),
        ];
        if let Some(sec) = &self.security {
            m.extend(sec.metrics());
        }
        m
    }
}
