//! The payment workload: who pays whom, how much, and when.
//!
//! A [`Workload`] is a lazy generator driven by its own random stream, so the sequence of
//! payments depends only on the run seed — never on the strategy or on what the network did.
//! Two strategies at the same seed see exactly the same payments (common random numbers).
//!
//! Arrivals are Poisson at `rate_per_s` (for `duration_s` or a number of `payments`), or
//! replayed from a trace CSV. Endpoints are uniform, weighted by node capacity, or
//! Zipf-skewed receivers (merchants). A `one_way` share of payments flows from a set of
//! payers to a set of payees: the one-way demand that drains channels.

use crate::dist::AmountDist;
use crate::error::{limits, read_input_text, require_nonempty, strip_bom, FieldError, InputError};

/// 21 million BTC in msat: no amount in a data file may exceed it.
const MAX_MSAT: u64 = crate::dist::MAX_SAT * 1000;
use crate::rng::SimRng;
use crate::topology::edit::{find_node, NodeRef};
use crate::topology::{ComponentFilter, NodeId, Topology};
use crate::units::{Msat, SimDuration, SimTime};
use rand::distr::weighted::WeightedIndex;
use rand::seq::SliceRandom;
use rand::Rng;
use rand_distr::{Distribution, Exp, Zipf};
use serde::Deserialize;
use std::path::Path;
use std::sync::Arc;

mod config;
mod files;
mod probes;
pub use config::*;
pub use files::*;
pub use probes::*;

impl WorkloadConfig {
    /// Validates the `[[workload.flow]]` tables and resolves their nodes in `topo`.
    ///
    /// # Errors
    /// A [`FieldError`] naming `workload.flow[i].<key>`: a bad or duplicate name, not
    /// exactly one of `sender`/`receiver`, an unknown node, a bad rate or amount, no end.
    pub fn resolve_flows(&self, topo: &Topology) -> Result<Vec<FlowSpec>, FieldError> {
        let mut out: Vec<FlowSpec> = Vec::new();
        let names: Vec<String> = (0..topo.node_count())
            .map(|i| topo.node(NodeId(i as u32)).name.clone())
            .collect();
        for (i, f) in self.flow.iter().enumerate() {
            let key = |k: &str| format!("workload.flow[{i}].{k}");
            if !valid_flow_name(&f.name) {
                return Err(FieldError::new(
                    key("name"),
                    format!("expected 1-40 letters, digits and `_` (it names the summary columns flow_<name>_*), got \"{}\"", f.name),
                ));
            }
            if out.iter().any(|o| o.name == f.name) {
                return Err(FieldError::new(
                    key("name"),
                    format!("a flow named \"{}\" is already defined", f.name),
                ));
            }
            if self.trace.is_some() {
                return Err(FieldError::new(
                    key("name"),
                    "flows do not combine with a `trace` workload",
                ));
            }
            let (pinned, receives, pk) = match (&f.receiver, &f.sender) {
                (Some(r), None) => (r, true, "receiver"),
                (None, Some(s)) => (s, false, "sender"),
                _ => {
                    return Err(FieldError::new(
                        key("receiver"),
                        "give exactly one of `receiver` (the pinned node is paid) or `sender` (it pays)",
                    ))
                }
            };
            let pinned = find_node(&names, pinned, &key(pk))?;
            let counterparties = match &f.counterparties {
                Counterparties::Named(FlowUniform::Uniform) => Vec::new(),
                Counterparties::List(l) if l.is_empty() => {
                    return Err(FieldError::new(
                        key("counterparties"),
                        "expected \"uniform\", a non-empty list of nodes or { top_k, by }",
                    ))
                }
                Counterparties::Top(t) => {
                    if t.top_k == 0 || t.top_k >= topo.node_count() {
                        return Err(FieldError::new(
                            key("counterparties"),
                            format!(
                                "top_k must be between 1 and the number of other nodes ({}), got {}",
                                topo.node_count().saturating_sub(1),
                                t.top_k
                            ),
                        ));
                    }
                    // In index order, so the picks depend on who is chosen, not on the
                    // ranking's order (plan evaluations that add channels keep their draws).
                    let mut v =
                        topo.top_nodes(t.top_k, t.by == RankNodesBy::Capacity, |v| v != pinned);
                    v.sort_unstable();
                    v
                }
                Counterparties::List(l) => {
                    let mut v = Vec::with_capacity(l.len());
                    for r in l {
                        let n = find_node(&names, r, &key("counterparties"))?;
                        if n == pinned {
                            return Err(FieldError::new(
                                key("counterparties"),
                                format!("lists the pinned node {r} itself"),
                            ));
                        }
                        v.push(n);
                    }
                    v
                }
            };
            if topo.node_count() < 2 {
                return Err(FieldError::new(
                    key("name"),
                    "the topology has fewer than 2 nodes",
                ));
            }
            if !(f.rate_per_s.is_finite() && f.rate_per_s > 0.0) {
                return Err(FieldError::new(
                    key("rate_per_s"),
                    "expected a positive rate (payments per second)",
                ));
            }
            f.amount.validate(&key("amount"))?;
            let duration = f.duration_s.or(if f.payments.is_none() {
                self.duration_s
            } else {
                None
            });
            if let Some(d) = duration {
                if !(d.is_finite() && d > 0.0) {
                    return Err(FieldError::new(
                        key("duration_s"),
                        "expected a positive number of seconds",
                    ));
                }
            }
            if f.payments == Some(0) {
                return Err(FieldError::new(
                    key("payments"),
                    "expected at least 1 payment",
                ));
            }
            if duration.is_none() && f.payments.is_none() {
                return Err(FieldError::new(
                    key("duration_s"),
                    "set `duration_s` or `payments` (the workload has no duration_s to inherit)",
                ));
            }
            out.push(FlowSpec {
                name: f.name.clone(),
                pinned,
                pinned_receives: receives,
                counterparties,
                rate_per_s: f.rate_per_s,
                amount: f.amount.clone(),
                end: duration.map(|d| SimTime::ZERO + SimDuration::from_secs_f64(d)),
                max: f.payments,
            });
        }
        Ok(out)
    }
}

/// One payment to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrival {
    pub time: SimTime,
    pub sender: NodeId,
    pub receiver: NodeId,
    pub amount: Msat,
}

enum Picker {
    Uniform,
    Weighted(WeightedIndex<u64>),
    Zipf { dist: Zipf<f64>, order: Vec<NodeId> },
}

impl Picker {
    fn new(cfg: &EndpointConfig, caps: &[u64], order: &[NodeId]) -> Self {
        match cfg {
            EndpointConfig::Named(EndpointKind::Capacity) => {
                match WeightedIndex::new(caps.iter().map(|&c| c.max(1))) {
                    Ok(w) => Picker::Weighted(w),
                    Err(_) => Picker::Uniform,
                }
            }
            EndpointConfig::Zipf { zipf } => match Zipf::new(order.len().max(1) as f64, *zipf) {
                Ok(dist) => Picker::Zipf {
                    dist,
                    order: order.to_vec(),
                },
                Err(_) => Picker::Uniform,
            },
            _ => Picker::Uniform,
        }
    }
    fn pick(&self, n: usize, rng: &mut SimRng) -> NodeId {
        match self {
            Picker::Uniform => NodeId(rng.random_range(0..n as u32)),
            Picker::Weighted(w) => NodeId(w.sample(rng) as u32),
            Picker::Zipf { dist, order } => {
                let k = dist.sample(rng) as usize;
                order[k.clamp(1, order.len()) - 1]
            }
        }
    }
}

#[allow(clippy::large_enum_variant)] // one per run, never moved on the hot path
enum Source {
    Generated {
        exp: Exp<f64>,
        amounts: AmountSource,
        senders: Picker,
        receivers: Picker,
        payers: Vec<NodeId>,
        payees: Vec<NodeId>,
        one_way_share: f64,
        end: Option<SimTime>,
        max: Option<u64>,
    },
    Trace {
        arrivals: Arc<[Arrival]>,
        pos: usize,
    },
}

/// The lazy payment generator of one run.
pub struct Workload {
    rng: SimRng,
    n: usize,
    src: Source,
    next: Option<Arrival>,
    emitted: u64,
    now: SimTime,
    /// Pinned flows, each with its own stream.
    flows: Vec<FlowGen>,
    /// `[cross_chain] payment_share`: redraws receivers so that this share of the
    /// background payments crosses chains.
    cross: Option<CrossShare>,
}

/// Draws whether a payment crosses chains, and redraws its receiver to match, from its own
/// stream (`cross_share`), so the times, senders and amounts stay those of the workload.
struct CrossShare {
    home: Vec<u8>,
    share: f64,
    rng: SimRng,
}

/// Redraws of a receiver before a payment keeps the one the workload drew (e.g. every
/// other node is on the sender's chain).
const CROSS_REDRAWS: u32 = 1_000;

/// One pinned flow's generator.
struct FlowGen {
    spec: FlowSpec,
    rng: SimRng,
    exp: Exp<f64>,
    next: Option<Arrival>,
    emitted: u64,
    now: SimTime,
}

impl FlowGen {
    fn generate(&mut self, n: usize) -> Option<Arrival> {
        let s = &self.spec;
        if s.max
            .is_some_and(|m| self.emitted + u64::from(self.next.is_some()) >= m)
        {
            return None;
        }
        let rng = &mut self.rng;
        let time = self.now + SimDuration::from_secs_f64(self.exp.sample(rng));
        if s.end.is_some_and(|e| time > e) {
            return None;
        }
        self.now = time;
        let other = if s.counterparties.is_empty() {
            // Uniform over the n - 1 other nodes.
            let k = rng.random_range(0..(n as u32 - 1));
            NodeId(if k >= s.pinned.0 { k + 1 } else { k })
        } else {
            s.counterparties[rng.random_range(0..s.counterparties.len())]
        };
        let amount = s.amount.sample(rng);
        let (sender, receiver) = if s.pinned_receives {
            (other, s.pinned)
        } else {
            (s.pinned, other)
        };
        Some(Arrival {
            time,
            sender,
            receiver,
            amount,
        })
    }
}

/// Default amount when none is configured: log-normal, median 10,000 sat, σ = 1.
/// The amount distribution when `[workload]` names none.
pub fn default_amount() -> AmountDist {
    AmountDist::Lognormal {
        median_sat: 10_000.0,
        sigma: 1.0,
    }
}

impl Workload {
    /// Builds the generator of one run from the scenario's resolved workload, drawing
    /// from `rng` (the run's `"workload"` stream).
    pub fn new(spec: &WorkloadSpec, topo: &Topology, mut rng: SimRng) -> Self {
        let n = topo.node_count();
        let src = match spec {
            WorkloadSpec::Trace(t) => Source::Trace {
                arrivals: t.clone(),
                pos: 0,
            },
            WorkloadSpec::Generated(g) => {
                let mut caps = vec![0u64; n];
                for (_, c) in topo.channels() {
                    caps[c.nodes[0].idx()] += c.capacity.0;
                    caps[c.nodes[1].idx()] += c.capacity.0;
                }
                let mut order: Vec<NodeId> = (0..n as u32).map(NodeId).collect();
                order.sort_by(|a, b| caps[b.idx()].cmp(&caps[a.idx()]).then(a.cmp(b)));
                let (mut payers, mut payees) = (Vec::new(), Vec::new());
                let mut share = 0.0;
                if let Some(o) = &g.one_way {
                    let mut perm: Vec<NodeId> = (0..n as u32).map(NodeId).collect();
                    perm.shuffle(&mut rng);
                    let np = ((o.payers * n as f64).round() as usize)
                        .clamp(1, n.saturating_sub(1).max(1));
                    let nq = ((o.payees * n as f64).round() as usize)
                        .clamp(1, n.saturating_sub(np).max(1));
                    payers = perm[..np.min(n)].to_vec();
                    payees = perm[np.min(n)..(np + nq).min(n)].to_vec();
                    share = o.share;
                }
                Source::Generated {
                    exp: Exp::new(g.rate_per_s)
                        .unwrap_or_else(|_| Exp::new(1.0).expect("rate 1 is valid")),
                    amounts: g.amounts.clone(),
                    senders: Picker::new(&g.senders, &caps, &order),
                    receivers: Picker::new(&g.receivers, &caps, &order),
                    payers,
                    payees,
                    one_way_share: share,
                    end: g.end,
                    max: g.max,
                }
            }
        };
        let mut w = Workload {
            rng,
            n,
            src,
            next: None,
            emitted: 0,
            now: SimTime::ZERO,
            flows: Vec::new(),
            cross: None,
        };
        w.next = w.generate();
        w
    }

    /// Adds pinned flows, flow `i` drawing from stream `flow:<name>` of the run seeded
    /// with `seed`: the background payments stay exactly as without them.
    pub fn with_flows(mut self, flows: &[FlowSpec], seed: u64) -> Self {
        for f in flows {
            let mut g = FlowGen {
                spec: f.clone(),
                rng: crate::rng::stream(seed, &format!("flow:{}", f.name)),
                exp: Exp::new(f.rate_per_s)
                    .unwrap_or_else(|_| Exp::new(1.0).expect("rate 1 is valid")),
                next: None,
                emitted: 0,
                now: SimTime::ZERO,
            };
            if self.n >= 2 {
                g.next = g.generate(self.n);
            }
            self.flows.push(g);
        }
        self
    }

    /// Makes `share` of the generated background payments cross chains: for each payment a
    /// draw from stream `cross_share` of the run seeded with `seed` decides whether its
    /// receiver is on another home chain than its sender (`home`: chain per node), and the
    /// receiver is redrawn from the workload's receiver distribution until it is (at most
    /// [`CROSS_REDRAWS`] times). Times, senders and amounts stay those of the workload.
    /// Trace workloads and flows are left as they are.
    pub fn with_cross_share(mut self, home: &[u8], share: f64, seed: u64) -> Self {
        if matches!(self.src, Source::Generated { .. }) && home.len() == self.n {
            self.cross = Some(CrossShare {
                home: home.to_vec(),
                share,
                rng: crate::rng::stream(seed, "cross_share"),
            });
        }
        self
    }

    /// The names of the flows, in flow-index order.
    pub fn flow_names(&self) -> Vec<String> {
        self.flows.iter().map(|f| f.spec.name.clone()).collect()
    }

    /// The next payment and the flow it belongs to (`None`: background). The earliest
    /// of the background and every flow; ties go to the background, then to the lower
    /// flow index.
    pub fn next_tagged(&mut self) -> Option<(Arrival, Option<u16>)> {
        let mut best: Option<(SimTime, Option<usize>)> = self.next.map(|a| (a.time, None));
        for (i, f) in self.flows.iter().enumerate() {
            if let Some(a) = f.next {
                if best.is_none_or(|(t, _)| a.time < t) {
                    best = Some((a.time, Some(i)));
                }
            }
        }
        match best? {
            (_, None) => self.next_background().map(|a| (a, None)),
            (_, Some(i)) => {
                let n = self.n;
                let f = &mut self.flows[i];
                let cur = f.next.take()?;
                f.emitted += 1;
                f.next = f.generate(n);
                Some((cur, Some(i as u16)))
            }
        }
    }

    fn next_background(&mut self) -> Option<Arrival> {
        let mut cur = self.next.take()?;
        self.emitted += 1;
        self.next = self.generate();
        if let (Some(c), Source::Generated { receivers, .. }) = (&mut self.cross, &self.src) {
            let from = c.home[cur.sender.idx()];
            let want = c.rng.random::<f64>() < c.share;
            if (c.home[cur.receiver.idx()] != from) != want {
                for _ in 0..CROSS_REDRAWS {
                    let r = receivers.pick(self.n, &mut c.rng);
                    if r != cur.sender && (c.home[r.idx()] != from) == want {
                        cur.receiver = r;
                        break;
                    }
                }
            }
        }
        Some(cur)
    }

    fn generate(&mut self) -> Option<Arrival> {
        if self.n < 2 {
            return None;
        }
        match &mut self.src {
            Source::Trace { arrivals, pos } => {
                let a = arrivals.get(*pos).copied();
                *pos += 1;
                a
            }
            Source::Generated {
                exp,
                amounts,
                senders,
                receivers,
                payers,
                payees,
                one_way_share,
                end,
                max,
            } => {
                if max.is_some_and(|m| self.emitted + u64::from(self.next.is_some()) >= m) {
                    return None;
                }
                let rng = &mut self.rng;
                let dt = SimDuration::from_secs_f64(exp.sample(rng));
                let time = self.now + dt;
                if end.is_some_and(|e| time > e) {
                    return None;
                }
                self.now = time;
                let one_way = *one_way_share > 0.0 && rng.random::<f64>() < *one_way_share;
                let (mut s, mut r);
                let mut tries = 0;
                loop {
                    if one_way {
                        s = payers[rng.random_range(0..payers.len())];
                        r = payees[rng.random_range(0..payees.len())];
                    } else {
                        s = senders.pick(self.n, rng);
                        r = receivers.pick(self.n, rng);
                    }
                    tries += 1;
                    if s != r || tries > 64 {
                        break;
                    }
                }
                if s == r {
                    r = NodeId(((s.0 as usize + 1) % self.n) as u32);
                }
                let amount = match amounts {
                    AmountSource::Dist(d) => d.sample(rng),
                    AmountSource::List(l) => l[rng.random_range(0..l.len())],
                };
                Some(Arrival {
                    time,
                    sender: s,
                    receiver: r,
                    amount,
                })
            }
        }
    }

    /// Time of the next payment, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.flows
            .iter()
            .filter_map(|f| f.next.map(|a| a.time))
            .chain(self.next.map(|a| a.time))
            .min()
    }

    /// Share of the workload emitted so far, when the total is known.
    pub fn progress(&self) -> Option<f64> {
        match &self.src {
            Source::Generated { max: Some(m), .. } => Some(self.emitted as f64 / *m as f64),
            Source::Generated { end: Some(e), .. } => {
                Some(self.now.micros() as f64 / e.micros().max(1) as f64)
            }
            Source::Trace { arrivals, .. } => {
                Some(self.emitted as f64 / arrivals.len().max(1) as f64)
            }
            _ => None,
        }
    }

    pub fn emitted(&self) -> u64 {
        self.emitted
    }
}

impl Iterator for Workload {
    type Item = Arrival;
    /// The next payment.
    fn next(&mut self) -> Option<Arrival> {
        self.next_background()
    }
}

#[cfg(test)]
mod tests;
