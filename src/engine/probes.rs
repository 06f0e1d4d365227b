//! Probes and checkpoints: instants at which the engine looks at the network without
//! changing it (probe rounds), or restarts its counters (the end of the warm-up).
//!
//! A probe routes a payment for a (sender, receiver, amount) with the normal router and the
//! sender's mission control as they are at that instant, then checks every hop of the route
//! with [`crate::network::ChannelState::check_offer`] (status, HTLC limits, balance above
//! the reserve) — one attempt, nothing locked. Offline nodes are modelled as for payments:
//! with `[routing] offline_probability` p > 0, each intermediary of the route is offline
//! with probability p when the probe reaches it (hops checked in route order, the first
//! refusal or offline node is the reason: `offline_node` at that hop). Those draws come
//! from the probes' own stream (`"probes"`, after the pairs), never from the faults
//! stream the payments use. A probe records no mission-control entry and schedules no
//! event, so a run with probes makes exactly the same payments, rebalances and decisions
//! as one without (tested).
//!
//! Checkpoints run *between* events: a checkpoint at `t` runs once every event at or before
//! `t` is handled and before the first event after `t`. At one instant the warm-up comes
//! first, then the probe round.
//!
//! Cost of a round: pairs × amounts route searches (O(E log V) each) plus O(route) checks.

use super::{Engine, InvariantViolation};
use crate::metrics::{
    imbalance, percentile_sorted, FailureReason, ProbeRecord, ProbeRound, Recorder,
};
use crate::network::OfferRefusal;
use crate::rng::{self, SimRng};
use crate::routing::{Hop, NoRoute, RouteRequest};
use crate::topology::{NodeId, Topology};
use crate::units::{Msat, SimTime};
use crate::workload::ProbeSpec;
use rand::Rng;
use std::sync::Arc;

/// The probe schedule and results of one run.
pub(super) struct ProbeState {
    spec: Arc<ProbeSpec>,
    pairs: Vec<(NodeId, NodeId)>,
    /// Next listed time (index into `spec.times`).
    next_listed: usize,
    /// Next periodic round: `k × every`.
    next_k: u64,
    pub(super) rounds: Vec<ProbeRound>,
    buf: Vec<Hop>,
    /// Per pair: largest amount that succeeded in the current round.
    best: Vec<u64>,
    /// The `"probes"` stream after the pairs were drawn: offline draws.
    rng: SimRng,
}

impl ProbeState {
    /// Draws the run's pairs from its `"probes"` stream (the topology is the run's initial
    /// state).
    pub(super) fn new(spec: Arc<ProbeSpec>, topo: &Topology, seed: u64) -> Self {
        let mut r = rng::stream(seed, "probes");
        let pairs = spec.draw_pairs(topo, &mut r);
        ProbeState {
            spec,
            best: vec![0; pairs.len()],
            pairs,
            next_listed: 0,
            next_k: 1,
            rounds: Vec::new(),
            buf: Vec::new(),
            rng: r,
        }
    }

    /// The time of the next scheduled round, if any.
    fn next_time(&self) -> Option<SimTime> {
        let listed = self.spec.times.get(self.next_listed).copied();
        let every = self
            .spec
            .every
            .map(|e| SimTime(e.micros().saturating_mul(self.next_k)));
        match (listed, every) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Marks every round at `t` as done (a listed time equal to a periodic one runs once).
    fn advance(&mut self, t: SimTime) {
        while self
            .spec
            .times
            .get(self.next_listed)
            .is_some_and(|&x| x <= t)
        {
            self.next_listed += 1;
        }
        if let Some(e) = self.spec.every {
            while SimTime(e.micros().saturating_mul(self.next_k)) <= t && e.micros() > 0 {
                self.next_k += 1;
            }
        }
    }

    pub(super) fn at_start(&self) -> bool {
        self.spec.at_start
    }

    pub(super) fn at_end(&self) -> bool {
        self.spec.at_end
    }

    pub(super) fn amounts(&self) -> Vec<Msat> {
        self.spec.amounts.clone()
    }
}

impl<'t> Engine<'t> {
    /// Runs the checkpoints (end of warm-up, probe rounds) scheduled strictly before
    /// `next_event` (the time of the next event; `None`: none left, run nothing).
    pub(super) fn checkpoints_before(
        &mut self,
        next_event: SimTime,
        rec: &mut dyn Recorder,
    ) -> Result<(), InvariantViolation> {
        loop {
            let warm = (!self.warmed_up).then_some(SimTime::ZERO + self.p.warmup);
            let probe = self.probes.as_ref().and_then(|p| p.next_time());
            let t = match (warm, probe) {
                (Some(a), Some(b)) => a.min(b),
                (a, b) => match a.or(b) {
                    Some(t) => t,
                    None => return Ok(()),
                },
            };
            if t >= next_event {
                return Ok(());
            }
            if warm == Some(t) {
                self.end_warmup(t);
                continue;
            }
            self.probe_round(t, false, false, rec);
            if let Some(p) = self.probes.as_mut() {
                p.advance(t);
            }
        }
    }

    /// The warm-up ends at `t`: counters restart, "start" measurements are taken now.
    pub(super) fn end_warmup(&mut self, t: SimTime) {
        self.warmed_up = true;
        self.track_touched(t);
        self.acct
            .start_measurement(self.ledger.net(), t, self.confirmed_count());
        self.initial_imbalance = imbalance(
            self.ledger.net(),
            self.p.depleted_share,
            &mut self.acct.scratch,
        );
    }

    /// One probe round at `now` over every pair and amount. Changes nothing but the probe
    /// tallies and the router's scratch space.
    pub(super) fn probe_round(
        &mut self,
        now: SimTime,
        at_start: bool,
        at_end: bool,
        rec: &mut dyn Recorder,
    ) {
        let Some(mut ps) = self.probes.take() else {
            return;
        };
        let k = ps.spec.amounts.len();
        let mut round = ProbeRound {
            time: now,
            tried: vec![0; k],
            succeeded: vec![0; k],
            median_payable: Msat::ZERO,
            at_start,
            at_end,
        };
        for (pi, &(s, r)) in ps.pairs.iter().enumerate() {
            ps.best[pi] = 0;
            for (ai, &amount) in ps.spec.amounts.iter().enumerate() {
                let req = RouteRequest::new(s, r, amount);
                let net = self.ledger.net();
                let ctx = crate::routing::pathfinder::RouteCtx {
                    net,
                    mc: self.mc.entries(s),
                    now,
                    params: &self.p.router,
                };
                let found = self.router.find_route(&ctx, &req, &mut ps.buf);
                let offline = self.p.offline_probability;
                let reason = match found {
                    Err(NoRoute::NoPath) => Some(FailureReason::NoRoute),
                    Err(NoRoute::FeeLimit) => Some(FailureReason::FeeLimit),
                    // As a payment: the sender offers hop 0; the node at the end of hop
                    // `i` (not the receiver) is online with probability 1 − p, then offers
                    // hop `i + 1` (`engine::payment`'s `try_forward`).
                    Ok(_) => ps.buf.iter().enumerate().find_map(|(hop, h)| {
                        let hop = hop as u16;
                        if hop > 0 && offline > 0.0 && ps.rng.random::<f64>() < offline {
                            return Some(FailureReason::OfflineNode { hop });
                        }
                        match net.chan(h.chan).check_offer(h.dir as usize, h.amount) {
                            Ok(()) => None,
                            Err(OfferRefusal::Closed) => Some(FailureReason::ChannelClosed { hop }),
                            Err(_) => Some(FailureReason::NoBalance { hop }),
                        }
                    }),
                };
                let success = reason.is_none();
                round.tried[ai] += 1;
                if success {
                    round.succeeded[ai] += 1;
                    ps.best[pi] = amount.0;
                }
                rec.probe(&ProbeRecord {
                    time: now,
                    sender: s,
                    receiver: r,
                    amount,
                    success,
                    reason,
                    hops: if found.is_ok() {
                        ps.buf.len() as u16
                    } else {
                        0
                    },
                });
            }
        }
        let mut best = ps.best.clone();
        best.sort_unstable();
        let med = percentile_sorted(&best, 0.5);
        round.median_payable = Msat(if med.is_nan() { 0 } else { med as u64 });
        ps.rounds.push(round);
        self.probes = Some(ps);
    }
}
