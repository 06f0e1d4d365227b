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

mod accounting;
mod actions;
mod ledger;
#[cfg(test)]
mod measure_tests;
mod mpp;
#[cfg(test)]
mod mpp_tests;
mod onchain;
pub mod params;
mod payment;
mod probes;
pub mod queue;
mod security_hooks;
#[cfg(test)]
pub(crate) mod tests;

use crate::chain::Chain;
#[cfg(test)]
mod cross_tests;
mod crosschain;
use crate::metrics::{imbalance, percentile_sorted, Imbalance, Recorder, RunResult};
use crate::network::{self, Network};
use crate::rng::{self, SimRng};
use crate::routing::pathfinder::PathFinder;
use crate::routing::{registry, Hop, MissionControl};
use crate::strategy::{Action, Observation, StrategyBox};
use crate::topology::{ChannelId, ChannelSpec, NodeId, Topology};
use crate::units::{SimDuration, SimTime};
use crate::workload::Workload;
use accounting::Accounting;
use ledger::Ledger;
pub use params::EngineParams;
use payment::{Pay, PaymentBook};
use probes::ProbeState;
use queue::EventQueue;

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
    Arrive {
        att: u32,
        hop: u16,
    },
    Settle {
        att: u32,
        hop: u16,
    },
    FailBack {
        att: u32,
        hop: u16,
    },
    Sample,
    /// A block of chain `chain` (0 unless the run has several chains).
    Block {
        chain: u8,
    },
    Timer {
        node: u32,
        tag: u64,
    },
    HoldExpire {
        hold: u32,
    },
    /// The receiver's MPP timer of payment slot `pid` (still payment `id`) runs out.
    MppTimeout {
        pid: u32,
        id: u64,
    },
}

/// One random stream per subsystem, so enabling one never shifts another's draws.
struct Streams {
    latency: SimRng,
    faults: SimRng,
    strategy: SimRng,
    chain: SimRng,
}

/// One run of the simulation.
pub struct Engine<'t> {
    topo: &'t Topology,
    p: EngineParams,
    /// The network and the security model's signer: the only handle on channel state.
    ledger: Ledger,
    q: EventQueue<Ev>,
    /// The run's router (`[routing] router`), with its own knowledge per sender.
    router: Box<dyn PathFinder>,
    mc: MissionControl,
    /// The main chains: one, or one per `[[chain]]` (`p.chains`).
    chains: Vec<Chain>,
    /// Block-interval streams of chains 1.. (chain 0 draws from `rngs.chain`).
    chain_rngs: Vec<SimRng>,
    /// Multi-chain runs: chain per channel (grows with opened channels); empty otherwise.
    chan_chain: Vec<u8>,
    /// Multi-chain runs: per chain, every directed edge of the other chains (a route on
    /// one chain excludes them); empty otherwise.
    chain_excl: Vec<Vec<(ChannelId, u8)>>,
    /// Multi-chain runs: per chain, capacity at the start, added and withdrawn since
    /// (the funds identity per asset).
    asset_funds: Vec<[crate::units::Msat; 3]>,
    /// Cross-chain HTLCs gateways have in flight now, value in reference msat.
    gateway_exposure: i64,
    /// Multi-chain runs: each chain's rate now, refreshed for the strategies' `View`.
    rate_now: Vec<u64>,
    workload: Workload,
    strategy: StrategyBox<'t>,
    participates: Vec<bool>,
    rngs: Streams,
    book: PaymentBook,
    /// Workload payments created and not yet final.
    pending_workload: u64,
    arrivals_done: bool,
    /// The route buffer the router writes into (swapped into an attempt when used).
    route_buf: Vec<Hop>,
    /// Routes of a flow router's multi-part plan (reused).
    plan_buf: Vec<Vec<Hop>>,
    /// A multi-part payment's exclusions for one part (reused).
    excl_buf: Vec<(crate::topology::ChannelId, u8)>,
    /// The action buffer strategies write into (reused).
    actions: Vec<Action>,
    acct: Accounting,
    /// Channels whose funding transaction is on its way to the chain.
    pending_opens: Vec<ChannelSpec>,
    events: u64,
    wants_balance: bool,
    wants_blocked: bool,
    sec_actions: Vec<crate::security::SecAction>,
    /// Probe schedule and results (`[workload.probes]`).
    probes: Option<ProbeState>,
    /// The warm-up is over (or there is none).
    warmed_up: bool,
    /// Imbalance when measurement started (the start, or the end of the warm-up).
    initial_imbalance: Imbalance,
}

impl<'t> Engine<'t> {
    /// Prepares a run. `seed` is this run's seed (see [`crate::rng::run_seed`]); every
    /// subsystem gets its own stream from it. `participates[v]` says whether node `v` runs
    /// the strategy.
    pub fn new(
        topo: &'t Topology,
        p: EngineParams,
        workload: Workload,
        strategy: StrategyBox<'t>,
        participates: Vec<bool>,
        feerates: impl Into<std::sync::Arc<[(SimTime, u64)]>>,
        seed: u64,
    ) -> Self {
        let net = Network::new(topo);
        let n = net.node_count();
        let wants_balance = strategy.wants_balance_changes();
        let wants_blocked = strategy.wants_forward_blocked();
        let mut participates = participates;
        participates.resize(n, false);
        let sec = Self::security_state(&p, &net, seed);
        let probes = p
            .probes
            .clone()
            .map(|spec| ProbeState::new(spec, topo, seed));
        let m = net.channel_count();
        let mut acct = Accounting::new(n, net.total_capacity());
        acct.imbalance = crate::metrics::ImbalanceTracker::new(p.depleted_share);
        acct.totals.flows = workload
            .flow_names()
            .into_iter()
            .map(|name| crate::metrics::FlowTotals {
                name,
                ..Default::default()
            })
            .collect();
        acct.start_measurement(&net, SimTime::ZERO, 0);
        let (chains, chain_rngs, chan_chain, chain_excl, asset_funds) =
            Self::chain_state(&p, &net, feerates, seed);
        if let Some(cs) = &p.chains {
            acct.totals.chains = cs
                .chains
                .iter()
                .map(|c| crate::metrics::ChainTotals {
                    name: c.name.clone(),
                    ..Default::default()
                })
                .collect();
        }
        let mut ledger = Ledger::new(net, sec);
        // Every channel's depletion state at the start.
        ledger.touched.extend((0..m as u32).map(ChannelId));
        Engine {
            probes,
            warmed_up: p.warmup == SimDuration::ZERO,
            initial_imbalance: Imbalance::default(),
            sec_actions: Vec::new(),
            topo,
            router: registry::build(&p.pathfinder, n, m),
            mc: MissionControl::new(n),
            chains,
            chain_rngs,
            chan_chain,
            chain_excl,
            asset_funds,
            gateway_exposure: 0,
            rate_now: Vec::new(),
            acct,
            ledger,
            q: EventQueue::new(),
            workload,
            strategy,
            participates,
            rngs: Streams {
                latency: rng::stream(seed, "latency"),
                faults: rng::stream(seed, "faults"),
                strategy: rng::stream(seed, "strategy"),
                chain: rng::stream(seed, "chain"),
            },
            book: PaymentBook::default(),
            pending_workload: 0,
            arrivals_done: false,
            route_buf: Vec::new(),
            plan_buf: Vec::new(),
            excl_buf: Vec::new(),
            actions: Vec::new(),
            pending_opens: Vec::new(),
            events: 0,
            wants_balance,
            wants_blocked,
            p,
        }
    }

    /// The live network (read-only), for tests and inspection.
    pub fn network(&self) -> &Network {
        self.ledger.net()
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
        self.track_touched(SimTime::ZERO);
        self.initial_imbalance = imbalance(
            self.ledger.net(),
            self.p.depleted_share,
            &mut self.acct.scratch,
        );
        if self.probes.as_ref().is_some_and(|p| p.at_start()) {
            self.probe_round(SimTime::ZERO, true, false, rec);
        }
        self.schedule_next_arrival();
        self.q.schedule(SimTime::ZERO + self.p.window, Ev::Sample);
        for k in 0..self.chains.len() {
            let first_block = self.block_delay(k);
            self.q
                .schedule(SimTime::ZERO + first_block, Ev::Block { chain: k as u8 });
        }
        self.notify(Observation::Start, rec)?;
        // With the security model, also until every open dispute has paid out.
        while !(self.arrivals_done && self.pending_workload == 0 && !self.sec_pending()) {
            self.track_touched(self.q.now());
            if let Some(t) = self.q.peek_time() {
                self.checkpoints_before(t, rec)?;
            }
            let Some((now, ev)) = self.q.pop() else { break };
            if self.p.horizon.is_some_and(|h| now > h) {
                break;
            }
            self.events += 1;
            self.handle(now, ev, rec)?;
        }
        let end = self.q.now();
        self.track_touched(end);
        if !self.warmed_up {
            // The run ended within the warm-up: nothing after it to measure.
            self.end_warmup(end);
        }
        if self.probes.as_ref().is_some_and(|p| p.at_end()) {
            self.probe_round(end, false, true, rec);
        }
        self.emit_window(end, rec)?;
        self.check_all(end, true)?;
        // The end of a run is its memory peak (the per-channel results are built while the
        // network lives): the final imbalance comes from the tracker (bit-identical to a
        // full scan), whose memory then goes, and the channel results are built after the
        // network's adjacency is dropped.
        let final_imbalance = self.acct.imbalance.measure(self.ledger.net());
        self.acct.imbalance = crate::metrics::ImbalanceTracker::default();
        self.acct.close_depletion(end);
        let capital_cost = self.acct.capital_cost(end, self.p.capital_rate_per_year);
        let nodes = self.acct.node_stats(self.ledger.net());
        let confirmed = self.confirmed_count();
        let (net, sec) = self.ledger.into_parts();
        let chans = net.into_channels();
        let channels = self.acct.channel_stats(&chans);
        let (probe_amounts, probe_rounds) = match self.probes.take() {
            Some(p) => (p.amounts(), p.rounds),
            None => (Vec::new(), Vec::new()),
        };
        let mut acct = self.acct;
        acct.totals.onchain_txs = confirmed - acct.onchain_base;
        let mut lat = std::mem::take(&mut acct.latencies);
        lat.sort_unstable();
        let latency_ms = [0.5, 0.9, 0.99].map(|q| percentile_sorted(&lat, q) / 1000.0);
        let node_net_revenue = acct.node_net_revenue();
        let result = RunResult {
            final_imbalance,
            initial_imbalance: self.initial_imbalance,
            totals: acct.totals,
            end_time: end,
            events: self.events,
            latency_ms,
            node_net_revenue,
            node_revenue: acct.node_revenue,
            security: sec.map(|s| s.totals),
            measured_from: acct.measured_from,
            capital_cost,
            probe_amounts,
            probe_rounds,
            nodes,
            channels,
        };
        Ok((result, chans))
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
                self.check_all(now, false)?;
                self.q.schedule(now + self.p.window, Ev::Sample);
            }
            Ev::Block { chain } => self.on_block(now, chain as usize, rec)?,
            Ev::Timer { node, tag } => self.notify(
                Observation::Timer {
                    node: NodeId(node),
                    tag,
                },
                rec,
            )?,
            Ev::HoldExpire { hold } => {
                if self.book.holds[hold as usize].active {
                    self.release_hold(now, hold)?;
                }
            }
            Ev::MppTimeout { pid, id } => self.on_mpp_timeout(now, pid, id)?,
        }
        Ok(())
    }

    fn latency(&mut self) -> SimDuration {
        self.p.hop_latency.sample(&mut self.rngs.latency)
    }
}
