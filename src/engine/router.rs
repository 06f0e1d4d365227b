//! Source routing: the sender's path search, LND-style.
//!
//! [`Router::find_route`] runs Dijkstra **backward** from the receiver, so that the amount
//! each hop must carry (the payment plus every downstream fee) is known when the hop is
//! relaxed. The cost of a path is lnd's: the fees, plus `amount × CLTV delta × risk factor`,
//! plus an attempt cost divided by the path's estimated success probability. The probability
//! of each hop comes from the sender's *mission control*: an a-priori probability, lowered
//! after a recent failure of that hop and recovering with a half-life.
//!
//! The sender knows every channel's capacity and policy but not remote balances; it knows its
//! own channels' balances exactly. All buffers are reused between searches: no allocation
//! per payment, no hashing.

use super::network::{InEdge, Network};
use crate::topology::{ChannelId, NodeId};
use crate::units::{Msat, SimDuration, SimTime};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Path-finding parameters (the `[routing]` scenario table, resolved).
#[derive(Debug, Clone)]
pub struct RouterParams {
    /// lnd's `RiskFactorBillionths` (15): cost of locking 1 msat for one CLTV block.
    pub risk_factor_billionths: u64,
    /// Fixed part of the cost of one failed attempt (lnd: 100 sat).
    pub attempt_cost: Msat,
    /// Proportional part of the attempt cost, ppm of the amount (lnd: 1000).
    pub attempt_cost_ppm: u64,
    /// Probability that an unknown remote hop can forward (lnd's a-priori: 0.6).
    pub apriori: f64,
    /// Half-life of a failure's effect in mission control.
    pub penalty_half_life: SimDuration,
    /// Paths whose estimated probability is lower are not taken (lnd: 0.01).
    pub min_probability: f64,
    pub max_hops: u8,
    /// Largest total CLTV of a route, in blocks (lnd: 2016).
    pub max_cltv: u32,
    /// CLTV the receiver asks for (lnd: 40 blocks as `final_cltv_delta`).
    pub final_cltv: u32,
    /// Entries of mission control kept per sender (the oldest is forgotten first).
    pub memory: usize,
}

impl Default for RouterParams {
    fn default() -> Self {
        RouterParams {
            risk_factor_billionths: 15,
            attempt_cost: Msat::from_sat(100),
            attempt_cost_ppm: 1000,
            apriori: 0.6,
            penalty_half_life: SimDuration::from_secs(3600),
            min_probability: 0.01,
            max_hops: 20,
            max_cltv: 2016,
            final_cltv: 40,
            memory: 64,
        }
    }
}

/// One hop of a route: the channel, its direction and the amount it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hop {
    pub chan: ChannelId,
    /// Side of the node that sends over this hop.
    pub dir: u8,
    /// Amount carried over this hop (the payment plus the fees of every later hop).
    pub amount: Msat,
}

/// What a route search is asked.
#[derive(Debug, Clone, Copy)]
pub struct RouteRequest<'a> {
    pub source: NodeId,
    pub target: NodeId,
    /// Amount the target must receive.
    pub amount: Msat,
    /// Force the first hop (circular rebalancing: out through this channel of `source`).
    pub first_hop: Option<ChannelId>,
    /// Force the last hop (circular rebalancing: back in through this channel of `target`).
    pub last_hop: Option<ChannelId>,
    /// Directed edges (channel, dir) this payment already saw fail.
    pub exclude: &'a [(ChannelId, u8)],
    /// Routes whose fees exceed this are refused.
    pub max_fee: Option<Msat>,
    /// Nodes the route must avoid (besides the exclusions).
    pub avoid: Option<NodeId>,
}

/// A failure remembered by a sender's mission control.
#[derive(Debug, Clone, Copy)]
pub struct McEntry {
    pub chan: u32,
    pub dir: u8,
    pub time: SimTime,
    /// The amount that failed: amounts at least this large are penalised.
    pub amount: Msat,
}

/// Per-sender memory of recent failures. Sparse: only senders that saw failures hold
/// entries, at most `memory` each.
#[derive(Debug, Clone, Default)]
pub struct MissionControl {
    per_node: Vec<Vec<McEntry>>,
}

impl MissionControl {
    pub fn new(nodes: usize) -> Self {
        MissionControl {
            per_node: vec![Vec::new(); nodes],
        }
    }
    /// Records that `(chan, dir)` failed to carry `amount` at `time`, seen by `sender`.
    pub fn record_failure(&mut self, sender: NodeId, e: McEntry, memory: usize) {
        let v = &mut self.per_node[sender.idx()];
        if let Some(old) = v.iter_mut().find(|o| o.chan == e.chan && o.dir == e.dir) {
            *old = e;
            return;
        }
        if v.len() >= memory.max(1) {
            v.remove(0);
        }
        v.push(e);
    }
    pub fn entries(&self, sender: NodeId) -> &[McEntry] {
        &self.per_node[sender.idx()]
    }
    pub fn grow(&mut self, nodes: usize) {
        self.per_node.resize(nodes, Vec::new());
    }
}

/// Why no route was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoRoute {
    /// No path with enough capacity (or local balance) exists.
    NoPath,
    /// Paths exist but all cost more than the fee limit.
    FeeLimit,
}

const UNREACHED: u64 = u64::MAX;
const NO_INFO: f32 = -1.0;

/// Reusable route-search buffers. One per run (not shared between threads).
pub struct Router {
    dist: Vec<u64>,
    weight: Vec<u64>,
    amt: Vec<u64>,
    /// `attempt_cost / prob[v]`: the probability penalty of the suffix from `v`, kept
    /// instead of the probability so a relaxation multiplies rather than divides.
    pen: Vec<f64>,
    /// Nodes whose label is final this search (`done[v] == epoch`).
    done: Vec<u32>,
    cltv: Vec<u32>,
    hops: Vec<u8>,
    /// The edge (index into the target's in-edges flattened as chan*2+dir) toward the target.
    next: Vec<(u32, u8)>,
    stamp: Vec<u32>,
    epoch: u32,
    heap: BinaryHeap<Reverse<(u64, u32)>>,
    /// Per directed edge, indexed by its position in the network's flat in-edge array (so the
    /// search reads it sequentially): success probability override, or NO_INFO.
    edge_prob: Vec<f32>,
    touched: Vec<usize>,
}

impl Router {
    pub fn new(nodes: usize, channels: usize) -> Self {
        Router {
            dist: vec![UNREACHED; nodes],
            weight: vec![0; nodes],
            amt: vec![0; nodes],
            pen: vec![0.0; nodes],
            done: vec![0; nodes],
            cltv: vec![0; nodes],
            hops: vec![0; nodes],
            next: vec![(0, 0); nodes],
            stamp: vec![0; nodes],
            epoch: 0,
            heap: BinaryHeap::new(),
            edge_prob: vec![NO_INFO; channels * 2],
            touched: Vec::new(),
        }
    }

    fn ensure_size(&mut self, nodes: usize, channels: usize) {
        if self.dist.len() < nodes {
            self.dist.resize(nodes, UNREACHED);
            self.weight.resize(nodes, 0);
            self.amt.resize(nodes, 0);
            self.pen.resize(nodes, 0.0);
            self.done.resize(nodes, 0);
            self.cltv.resize(nodes, 0);
            self.hops.resize(nodes, 0);
            self.next.resize(nodes, (0, 0));
            self.stamp.resize(nodes, 0);
        }
        if self.edge_prob.len() < channels * 2 {
            self.edge_prob.resize(channels * 2, NO_INFO);
        }
    }

    #[inline]
    fn visit(&mut self, v: usize) -> bool {
        if self.stamp[v] != self.epoch {
            self.stamp[v] = self.epoch;
            self.dist[v] = UNREACHED;
            true
        } else {
            false
        }
    }

    /// Finds the cheapest route for `req` on `net` as the sender sees it.
    ///
    /// Arguments: the live network (remote balances are *not* looked at, only the source's
    /// own channels), the request, the sender's mission-control entries, the current time
    /// and the parameters. Returns the route's hops from source to target (written into
    /// `out`, which is cleared first) and the total fee, or why there is none.
    ///
    /// Complexity: O((N + M) log N) in the worst case; the search stops as soon as the source
    /// is settled, so typical searches touch a fraction of the graph. No allocation once the
    /// buffers have grown.
    ///
    /// Example: on a line a–b–c with 1 sat base fee at b, a route for 1000 sat from a to c
    /// has two hops, carrying 1001 sat and 1000 sat, and a fee of 1 sat (see the tests).
    #[allow(clippy::too_many_arguments)]
    pub fn find_route(
        &mut self,
        net: &Network,
        req: &RouteRequest<'_>,
        mc: &[McEntry],
        now: SimTime,
        p: &RouterParams,
        out: &mut Vec<Hop>,
    ) -> Result<Msat, NoRoute> {
        out.clear();
        self.ensure_size(net.node_count(), net.channels.len());
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.stamp.iter_mut().for_each(|s| *s = 0);
            self.done.iter_mut().for_each(|s| *s = 0);
            self.epoch = 1;
        }
        // Mission control and exclusions → per-edge probabilities (reset at the end).
        let half_life = p.penalty_half_life.micros().max(1) as f64;
        for e in mc {
            if e.chan as usize >= net.channels.len() || req.amount < e.amount {
                continue;
            }
            let idx = net.slot(ChannelId(e.chan), e.dir);
            let age = now.since(e.time).micros() as f64;
            let recovered = 1.0 - 0.5f64.powf(age / half_life);
            self.edge_prob[idx] = (p.apriori * recovered) as f32;
            self.touched.push(idx);
        }
        for &(c, d) in req.exclude {
            if c.idx() < net.channels.len() {
                let idx = net.slot(c, d);
                self.edge_prob[idx] = 0.0;
                self.touched.push(idx);
            }
        }
        let result = self.search(net, req, p);
        for &i in &self.touched {
            self.edge_prob[i] = NO_INFO;
        }
        self.touched.clear();
        self.heap.clear();
        let fee = result?;
        // Rebuild the path forward from the search's end to the target.
        let src = req.source;
        let mut v = match req.first_hop {
            Some(c) => {
                let ch = net.chan(c);
                let d = ch.side_of(src).ok_or(NoRoute::NoPath)?;
                let b = ch.nodes[1 - d];
                out.push(Hop {
                    chan: c,
                    dir: d as u8,
                    amount: Msat(self.amt[b.idx()]),
                });
                b
            }
            None => src,
        };
        let end = match req.last_hop {
            Some(c) => {
                let ch = net.chan(c);
                let d = ch.side_of(req.target).ok_or(NoRoute::NoPath)?;
                ch.nodes[1 - d]
            }
            None => req.target,
        };
        while v != end {
            let (c, d) = self.next[v.idx()];
            let ch = &net.channels[c as usize];
            let to = ch.nodes[1 - d as usize];
            out.push(Hop {
                chan: ChannelId(c),
                dir: d,
                amount: Msat(self.amt[to.idx()]),
            });
            v = to;
        }
        if let Some(c) = req.last_hop {
            let ch = net.chan(c);
            let d = 1 - ch.side_of(req.target).ok_or(NoRoute::NoPath)?;
            out.push(Hop {
                chan: c,
                dir: d as u8,
                amount: req.amount,
            });
        }
        Ok(fee)
    }

    /// Dijkstra proper. Returns the total fee. Labels: `amt[v]` = what must arrive at `v`
    /// (for the target: the payment), `weight[v]` = fees + time-lock risk from `v` to the
    /// target, `pen[v] = attempt_cost / prob(suffix)` with prob the estimated success
    /// probability of that suffix, `dist[v] = weight[v] + pen[v]`.
    fn search(
        &mut self,
        net: &Network,
        req: &RouteRequest<'_>,
        p: &RouterParams,
    ) -> Result<Msat, NoRoute> {
        let attempt_cost = (p.attempt_cost + req.amount.mul_ppm(p.attempt_cost_ppm)).0 as f64;
        let inv_apriori = 1.0 / p.apriori;
        let max_pen = attempt_cost / p.min_probability;
        // Where the search starts (backward) and where it stops.
        let (stop, stop_is_sender) = match req.first_hop {
            None => (req.source, true),
            Some(c) => {
                let ch = net.chan(c);
                let d = ch.side_of(req.source).ok_or(NoRoute::NoPath)?;
                (ch.nodes[1 - d], false)
            }
        };
        let (start, start_amt, start_cltv, start_weight, start_hops) = match req.last_hop {
            None => (req.target, req.amount.0, p.final_cltv, 0u64, 0u8),
            Some(c) => {
                // The last hop is forced: its sender C charges its fee for it.
                let ch = net.chan(c);
                let dt = ch.side_of(req.target).ok_or(NoRoute::NoPath)?;
                let dc = 1 - dt;
                let pol = &ch.policy[dc];
                let cap = pol.max_htlc.0.min(ch.capacity.0);
                if req.amount.0 > cap || req.amount < pol.min_htlc {
                    return Err(NoRoute::NoPath);
                }
                if stop_is_sender && ch.nodes[dc] == stop {
                    // The sender itself offers the forced last hop: it knows its balance
                    // and charges itself no fee.
                    if ch.check_offer(dc, req.amount).is_err() {
                        return Err(NoRoute::NoPath);
                    }
                    (ch.nodes[dc], req.amount.0, p.final_cltv, 0, 1u8)
                } else {
                    let fee = pol.fee(req.amount).0;
                    let cltv = p.final_cltv + pol.cltv_delta as u32;
                    let risk = risk(
                        req.amount.0,
                        pol.cltv_delta as u32,
                        p.risk_factor_billionths,
                    );
                    (ch.nodes[dc], req.amount.0 + fee, cltv, fee + risk, 1u8)
                }
            }
        };
        // A forced first hop leaves the source: it must not be re-entered. A forced last
        // hop enters the target: it must not be passed through before.
        let blocked = if req.first_hop.is_some() {
            Some(req.source)
        } else if req.last_hop.is_some() {
            Some(req.target)
        } else {
            req.avoid
        };
        let s = start.idx();
        self.visit(s);
        self.amt[s] = start_amt;
        self.weight[s] = start_weight;
        self.pen[s] = attempt_cost;
        self.cltv[s] = start_cltv;
        self.hops[s] = start_hops;
        self.dist[s] = start_weight;
        self.heap.push(Reverse((start_weight, s as u32)));
        let mut fee_limited = false;
        let mut found = false;
        while let Some(Reverse((d, v))) = self.heap.pop() {
            let v = v as usize;
            if d != self.dist[v] {
                continue; // stale entry
            }
            if v == stop.idx() {
                found = true;
                break;
            }
            self.done[v] = self.epoch;
            let amt_v = self.amt[v];
            let hops_v = self.hops[v];
            if hops_v >= p.max_hops {
                continue;
            }
            // Any extension costs at least its prefix: a node is only worth a push while it
            // beats the stop node's tentative label.
            let stop_bound = if self.stamp[stop.idx()] == self.epoch {
                self.dist[stop.idx()]
            } else {
                UNREACHED
            };
            let (base, edges) = net.in_edges_from(NodeId(v as u32));
            for (i, e) in edges.iter().enumerate() {
                let u = e.from as usize;
                // Final labels, leaves (which cannot forward) and the blocked node first:
                // the cheapest tests, and most edges fail one of them.
                if self.done[u] == self.epoch
                    || (e.from_is_leaf && u != stop.idx())
                    || Some(NodeId(e.from)) == blocked
                {
                    continue;
                }
                // A closed channel has max_amount 0.
                if amt_v > e.max_amount || amt_v < e.min_htlc {
                    continue;
                }
                let u_is_sender = stop_is_sender && u == stop.idx();
                // The edge's success probability.
                let ep = self.edge_prob[base + i];
                let inv_prob = if u_is_sender {
                    let ch = &net.channels[e.chan as usize];
                    if ep == 0.0 || ch.check_offer(e.dir as usize, Msat(amt_v)).is_err() {
                        continue;
                    }
                    1.0
                } else if ep == NO_INFO {
                    inv_apriori
                } else if ep > 0.0 {
                    1.0 / ep as f64
                } else {
                    continue;
                };
                let pen = self.pen[v] * inv_prob;
                if pen > max_pen {
                    continue; // probability below the minimum
                }
                // u forwards over e: it charges its fee unless it is the paying sender.
                let (fee, cltv_add) = if u_is_sender {
                    (0, 0)
                } else {
                    (edge_fee(e, amt_v), e.cltv_delta as u32)
                };
                let cltv = self.cltv[v] + cltv_add;
                if cltv > p.max_cltv {
                    continue;
                }
                let amt_u = amt_v + fee;
                if let Some(mf) = req.max_fee {
                    if amt_u - req.amount.0 > mf.0 {
                        fee_limited = true;
                        continue;
                    }
                }
                let weight = self.weight[v] + fee + risk(amt_v, cltv_add, p.risk_factor_billionths);
                let dist = weight.saturating_add(pen as u64);
                if dist >= stop_bound {
                    continue;
                }
                self.visit(u);
                if dist < self.dist[u] {
                    self.dist[u] = dist;
                    self.weight[u] = weight;
                    self.amt[u] = amt_u;
                    self.pen[u] = pen;
                    self.cltv[u] = cltv;
                    self.hops[u] = hops_v + 1;
                    self.next[u] = (e.chan, e.dir);
                    self.heap.push(Reverse((dist, u as u32)));
                }
            }
        }
        if !found {
            return Err(if fee_limited {
                NoRoute::FeeLimit
            } else {
                NoRoute::NoPath
            });
        }
        let stop_amt = self.amt[stop.idx()];
        if let Some(c) = req.first_hop {
            // The source pays stop_amt over its own first hop, with no fee of its own.
            let ch = net.chan(c);
            let d = ch.side_of(req.source).ok_or(NoRoute::NoPath)?;
            if ch.check_offer(d, Msat(stop_amt)).is_err() || stop_amt > ch.capacity.0 {
                return Err(NoRoute::NoPath);
            }
        }
        let fee = Msat(stop_amt - req.amount.0);
        if let Some(mf) = req.max_fee {
            if fee > mf {
                return Err(NoRoute::FeeLimit);
            }
        }
        Ok(fee)
    }
}

#[inline]
fn edge_fee(e: &InEdge, amount: u64) -> u64 {
    // 64-bit arithmetic when it cannot overflow (every realistic amount): u128 division is
    // a library call on the hot path.
    match amount.checked_mul(e.fee_ppm as u64) {
        Some(x) => e.base_fee + x / 1_000_000,
        None => e.base_fee + ((amount as u128 * e.fee_ppm as u128) / 1_000_000) as u64,
    }
}

#[inline]
fn risk(amount: u64, cltv: u32, billionths: u64) -> u64 {
    match amount.checked_mul(cltv as u64 * billionths) {
        Some(x) => x / 1_000_000_000,
        None => ((amount as u128 * cltv as u128 * billionths as u128) / 1_000_000_000) as u64,
    }
}
