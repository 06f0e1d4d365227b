//! The `lnd` router: the sender's path search, as lnd does it.
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

use super::{Hop, McEntry, NoRoute, RouteRequest, RouterParams};
use crate::network::{InEdge, Network};
use crate::topology::{ChannelId, NodeId};
use crate::units::{Msat, SimTime};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

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
    /// Nodes expanded this search (`done[v] == epoch`). Final in plain Dijkstra; under A*
    /// a node is reopened if a label with a lower lnd cost reaches it later.
    done: Vec<u32>,
    /// Heap key of each node's current label (its cost plus the A* bound).
    key: Vec<u64>,
    /// Hop distance from the stop node, for the A* bound: exact up to 2 when
    /// `hstamp[v] == epoch`, else "3 or more".
    hop_lb: Vec<u8>,
    hstamp: Vec<u32>,
    bfs: Vec<u32>,
    last_stop: usize,
    last_cost: u64,
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
            key: vec![0; nodes],
            hop_lb: vec![0; nodes],
            hstamp: vec![0; nodes],
            bfs: Vec::new(),
            last_stop: 0,
            last_cost: UNREACHED,
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
            self.key.resize(nodes, 0);
            self.hop_lb.resize(nodes, 0);
            self.hstamp.resize(nodes, 0);
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

    /// lnd's cost of the route found by the last successful search (`u64::MAX` after a
    /// failed one), up to the sender's own hop.
    pub fn last_cost(&self) -> u64 {
        self.last_cost
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
        self.ensure_size(net.node_count(), net.channel_count());
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.stamp.iter_mut().for_each(|s| *s = 0);
            self.done.iter_mut().for_each(|s| *s = 0);
            self.hstamp.iter_mut().for_each(|s| *s = 0);
            self.epoch = 1;
        }
        // Mission control and exclusions → per-edge probabilities (reset at the end).
        let half_life = p.penalty_half_life.micros().max(1) as f64;
        for e in mc {
            if e.chan as usize >= net.channel_count() || req.amount < e.amount {
                continue;
            }
            let idx = net.slot(ChannelId(e.chan), e.dir);
            let age = now.since(e.time).micros() as f64;
            let recovered = 1.0 - 0.5f64.powf(age / half_life);
            self.edge_prob[idx] = (p.apriori * recovered) as f32;
            self.touched.push(idx);
        }
        for &(c, d) in req.exclude {
            if c.idx() < net.channel_count() {
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
        self.last_cost = match result {
            Ok(_) => self.dist[self.last_stop],
            Err(_) => UNREACHED,
        };
        let fee = result?;
        // Rebuild the path forward from the search's end to the target.
        let src = req.source;
        let mut v = match req.first_hop {
            Some(c) => {
                let ch = net.chan(c);
                let d = ch.side_of(src).ok_or(NoRoute::NoPath)?;
                let b = ch.node(1 - d);
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
                ch.node(1 - d)
            }
            None => req.target,
        };
        while v != end {
            let (c, d) = self.next[v.idx()];
            let ch = &net.channels()[c as usize];
            let to = ch.node(1 - d as usize);
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
                (ch.node(1 - d), false)
            }
        };
        let (start, start_amt, start_cltv, start_weight, start_hops) = match req.last_hop {
            None => (req.target, req.amount.0, p.final_cltv, 0u64, 0u8),
            Some(c) => {
                // The last hop is forced: its sender C charges its fee for it.
                let ch = net.chan(c);
                let dt = ch.side_of(req.target).ok_or(NoRoute::NoPath)?;
                let dc = 1 - dt;
                let pol = &ch.policy(dc);
                let cap = pol.max_htlc.0.min(ch.capacity().0);
                if req.amount.0 > cap || req.amount < pol.min_htlc {
                    return Err(NoRoute::NoPath);
                }
                if stop_is_sender && ch.node(dc) == stop {
                    // The sender itself offers the forced last hop: it knows its balance
                    // and charges itself no fee.
                    if ch.check_offer(dc, req.amount).is_err() {
                        return Err(NoRoute::NoPath);
                    }
                    (ch.node(dc), req.amount.0, p.final_cltv, 0, 1u8)
                } else {
                    let fee = pol.fee(req.amount).0;
                    let cltv = p.final_cltv + pol.cltv_delta as u32;
                    let risk = risk(
                        req.amount.0,
                        pol.cltv_delta as u32,
                        p.risk_factor_billionths,
                    );
                    (ch.node(dc), req.amount.0 + fee, cltv, fee + risk, 1u8)
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
        // A* bound. From a node `h` hops away from the stop node, every further hop but the
        // sender's own first one has success probability at most `apriori` (mission control
        // only lowers it), so the probability penalty grows at least by
        // `(1/apriori)^(h - own)` before the route is complete. With hop distances from a
        // breadth-first search of depth 2 around the stop node (and "3 or more" beyond), the
        // heap key `weight + pen × mult[h]` never overestimates the cost of any completion.
        // Labels are still compared by lnd's cost, and an expanded node is reopened when a
        // cheaper label reaches it, so the route found has the same (minimal) cost as plain
        // Dijkstra's; among routes of equal cost the two may pick different ones.
        self.last_stop = stop.idx();
        let own = usize::from(stop_is_sender);
        let mult: [f64; 4] = if p.astar {
            self.hop_distances(net, stop);
            std::array::from_fn(|h| inv_apriori.powi(h.saturating_sub(own) as i32))
        } else {
            [1.0; 4]
        };
        let s = start.idx();
        self.visit(s);
        self.amt[s] = start_amt;
        self.weight[s] = start_weight;
        self.pen[s] = attempt_cost;
        self.cltv[s] = start_cltv;
        self.hops[s] = start_hops;
        self.dist[s] = start_weight;
        self.key[s] = start_weight;
        self.heap.push(Reverse((start_weight, s as u32)));
        let mut fee_limited = false;
        let mut found = false;
        while let Some(Reverse((d, v))) = self.heap.pop() {
            let v = v as usize;
            if d != self.key[v] {
                continue; // stale entry
            }
            if v == stop.idx() {
                found = true;
                break;
            }
            self.done[v] = self.epoch;
            let amt_v = self.amt[v];
            let dist_v = self.dist[v];
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
                // An expanded node can only improve on a label cheaper than `v`'s own (every
                // extension costs at least its prefix); in plain Dijkstra never.
                if (self.done[u] == self.epoch && (!p.astar || self.dist[u] <= dist_v))
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
                    let ch = &net.channels()[e.chan as usize];
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
                let h = if self.hstamp[u] == self.epoch {
                    self.hop_lb[u] as usize
                } else {
                    3
                };
                // Labels are compared by lnd's cost (`dist`), exactly as plain Dijkstra
                // does; the heap is ordered by `key`, a lower bound of any completion.
                let dist = weight.saturating_add(pen as u64);
                let key = weight.saturating_add((pen * mult[h]) as u64);
                if key >= stop_bound {
                    continue;
                }
                self.visit(u);
                if dist < self.dist[u] {
                    self.dist[u] = dist;
                    self.key[u] = key;
                    self.done[u] = 0;
                    self.weight[u] = weight;
                    self.amt[u] = amt_u;
                    self.pen[u] = pen;
                    self.cltv[u] = cltv;
                    self.hops[u] = hops_v + 1;
                    self.next[u] = (e.chan, e.dir);
                    self.heap.push(Reverse((key, u as u32)));
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
            if ch.check_offer(d, Msat(stop_amt)).is_err() || stop_amt > ch.capacity().0 {
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

impl Router {
    /// Breadth-first hop distances (ignoring direction and capacity, so they are lower
    /// bounds) from `stop`, to depth 2. O(sum of degrees within one hop of `stop`).
    fn hop_distances(&mut self, net: &Network, stop: NodeId) {
        self.bfs.clear();
        self.hstamp[stop.idx()] = self.epoch;
        self.hop_lb[stop.idx()] = 0;
        self.bfs.push(stop.0);
        let mut i = 0;
        while i < self.bfs.len() {
            let v = NodeId(self.bfs[i]);
            i += 1;
            let hv = self.hop_lb[v.idx()];
            if hv >= 2 {
                continue;
            }
            for c in net.channels_of(v) {
                let ch = net.chan(c);
                let w = if ch.node(0) == v {
                    ch.node(1)
                } else {
                    ch.node(0)
                };
                if self.hstamp[w.idx()] != self.epoch {
                    self.hstamp[w.idx()] = self.epoch;
                    self.hop_lb[w.idx()] = hv + 1;
                    self.bfs.push(w.0);
                }
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::{ChannelSpec, FeePolicy, Topology};
    use proptest::prelude::*;

    fn graph(n: u32, edges: &[(u32, u32, u64, u64, u32)]) -> Topology {
        let mut t = Topology::new();
        for i in 0..n {
            t.add_node(format!("n{i}"));
        }
        for &(a, b, x, y, fee) in edges {
            let pol = FeePolicy {
                base_fee: Msat(fee as u64),
                fee_ppm: fee,
                ..FeePolicy::default()
            };
            t.add_channel(ChannelSpec {
                nodes: [NodeId(a), NodeId(b)],
                capacity: Msat::from_sat(x + y),
                balance: [Msat::from_sat(x), Msat::from_sat(y)],
                reserve: [Msat::ZERO; 2],
                policy: [pol; 2],
                label: None,
            });
        }
        t
    }

    type Edge = (u32, u32, u64, u64, u32);

    proptest! {
        /// The A* bound changes how much of the graph is searched, never the cost of the
        /// route found: same success, same lnd cost, and a well-formed route.
        #[test]
        fn astar_finds_routes_of_the_same_cost_as_dijkstra(
            n in 3u32..14,
            raw in proptest::collection::vec((0u32..14, 0u32..14, 0u64..2_000, 0u64..2_000, 0u32..3000), 2..40),
            fails in proptest::collection::vec((0usize..40, 0u8..2, 0u64..3600), 0..6),
            s in 0u32..14,
            r in 0u32..14,
            amt in 1u64..1_500,
        ) {
            let edges: Vec<Edge> = raw
                .iter()
                .map(|&(a, b, x, y, f)| (a % n, b % n, x, y, f))
                .filter(|e| e.0 != e.1)
                .collect();
            prop_assume!(!edges.is_empty() && s % n != r % n);
            let t = graph(n, &edges);
            let net = Network::new(&t);
            let now = SimTime(3600 * 1_000_000);
            let mc: Vec<McEntry> = fails
                .iter()
                .map(|&(c, d, age)| McEntry {
                    chan: (c % edges.len()) as u32,
                    dir: d,
                    time: SimTime((3600 - age) * 1_000_000),
                    amount: Msat(1),
                })
                .collect();
            let req = RouteRequest {
                source: NodeId(s % n),
                target: NodeId(r % n),
                amount: Msat::from_sat(amt),
                first_hop: None,
                last_hop: None,
                exclude: &[],
                max_fee: None,
                avoid: None,
            };
            let plain = RouterParams { astar: false, ..RouterParams::default() };
            let fast = RouterParams::default();
            let mut router = Router::new(n as usize, edges.len());
            let (mut a, mut b) = (Vec::new(), Vec::new());
            let ra = router.find_route(&net, &req, &mc, now, &plain, &mut a);
            let ca = router.last_cost();
            let rb = router.find_route(&net, &req, &mc, now, &fast, &mut b);
            let cb = router.last_cost();
            prop_assert_eq!(ra.is_ok(), rb.is_ok());
            prop_assert_eq!(ca, cb);
            if rb.is_ok() {
                // Well formed: consecutive hops connect, the last delivers the amount, and
                // each earlier hop carries the next one plus its forwarder's fee.
                prop_assert_eq!(net.chan(b[0].chan).node(b[0].dir as usize), req.source);
                prop_assert_eq!(b.last().map(|h| h.amount), Some(req.amount));
                for w in b.windows(2) {
                    let (h, nx) = (w[0], w[1]);
                    let mid = net.chan(h.chan).node(1 - h.dir as usize);
                    prop_assert_eq!(net.chan(nx.chan).node(nx.dir as usize), mid);
                    let fee = net.chan(nx.chan).policy(nx.dir as usize).fee(nx.amount);
                    prop_assert_eq!(h.amount, nx.amount + fee);
                }
            }
        }
    }
}
