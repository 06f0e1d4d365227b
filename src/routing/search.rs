//! A backward Dijkstra with an additive, per-hop cost: the search shared by the `cln`,
//! `ldk` and `mcf` routers (each supplies a [`HopCost`]).
//!
//! Like `lnd/` it runs from the receiver toward the sender, so that the amount each hop
//! must carry (the payment plus every downstream fee) is known when the hop is relaxed;
//! it honours every [`RouteRequest`] field (forced first/last hop, exclusions, avoided
//! node, fee limit, fee-free forwarders priced at zero fee, the cooperative join rule),
//! `max_hops`, `max_cltv` and htlc limits, and checks the sender's own
//! balance on its first hop. Labels are settled once (costs are non-negative), so it is
//! plain Dijkstra on an amount-dependent cost, as CLN's and LDK's routers are.
//!
//! Complexity: O((N + M) log N); it stops when the sender is settled. Buffers are reused
//! between searches (no allocation per search once grown).

use super::heap::KeyHeap;
use super::{Hop, JoinRule, NoRoute, RouteRequest, RouterParams};
use crate::network::{InEdge, Network};
use crate::topology::{ChannelId, NodeId};
use crate::units::Msat;

const UNREACHED: u64 = u64::MAX;

/// A router's cost of one hop.
pub trait HopCost {
    /// Cost (≥ 0, in the router's own unit) of `e.from` forwarding `amount` over edge `e`
    /// while charging `fee` (0 when `own`: the sender's own first hop), or `None` to leave
    /// the edge out.
    fn cost(&self, e: &InEdge, amount: u64, fee: u64, own: bool) -> Option<u64>;
}

/// Fee `e`'s forwarder charges to forward `amount` (base + proportional, rounded down).
#[inline]
pub fn edge_fee(e: &InEdge, amount: u64) -> u64 {
    match amount.checked_mul(e.fee_ppm as u64) {
        Some(x) => e.base_fee + x / 1_000_000,
        None => e.base_fee + ((amount as u128 * e.fee_ppm as u128) / 1_000_000) as u64,
    }
}

/// Reusable buffers of the search.
#[derive(Default)]
pub struct Search {
    dist: Vec<u64>,
    amt: Vec<u64>,
    cltv: Vec<u32>,
    hops: Vec<u8>,
    next: Vec<(u32, u8)>,
    stamp: Vec<u32>,
    done: Vec<u32>,
    epoch: u32,
    heap: KeyHeap,
    excluded: Vec<bool>,
    touched: Vec<usize>,
}

impl Search {
    pub fn new(nodes: usize, channels: usize) -> Self {
        let mut s = Search::default();
        s.ensure(nodes, channels);
        s
    }

    fn ensure(&mut self, nodes: usize, channels: usize) {
        if self.dist.len() < nodes {
            self.dist.resize(nodes, UNREACHED);
            self.amt.resize(nodes, 0);
            self.cltv.resize(nodes, 0);
            self.hops.resize(nodes, 0);
            self.next.resize(nodes, (0, 0));
            self.stamp.resize(nodes, 0);
            self.done.resize(nodes, 0);
        }
        if self.excluded.len() < channels * 2 {
            self.excluded.resize(channels * 2, false);
        }
    }

    fn visit(&mut self, v: usize) {
        if self.stamp[v] != self.epoch {
            self.stamp[v] = self.epoch;
            self.dist[v] = UNREACHED;
        }
    }

    /// Finds the route of least total [`HopCost`] for `req`.
    ///
    /// Arguments: the network (remote balances are not read), the request, the parameters
    /// (`max_hops`, `max_cltv`, `final_cltv`), the cost and the output buffer. Returns the
    /// hops from source to target in `out` and the total fee, or why there is none.
    ///
    /// Example: see `routing::cln::tests` (the cheaper of two paths).
    pub fn run<C: HopCost>(
        &mut self,
        net: &Network,
        req: &RouteRequest<'_>,
        p: &RouterParams,
        cost: &C,
        out: &mut Vec<Hop>,
    ) -> Result<Msat, NoRoute> {
        out.clear();
        self.ensure(net.node_count(), net.channel_count());
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.stamp.iter_mut().for_each(|s| *s = 0);
            self.done.iter_mut().for_each(|s| *s = 0);
            self.epoch = 1;
        }
        for &(c, d) in req.exclude {
            if c.idx() < net.channel_count() {
                let i = net.slot(c, d);
                self.excluded[i] = true;
                self.touched.push(i);
            }
        }
        let r = self.search(net, req, p, cost);
        for &i in &self.touched {
            self.excluded[i] = false;
        }
        self.touched.clear();
        self.heap.clear();
        let fee = r?;
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
                ch.node(1 - ch.side_of(req.target).ok_or(NoRoute::NoPath)?)
            }
            None => req.target,
        };
        while v != end {
            let (c, d) = self.next[v.idx()];
            let to = net.channels()[c as usize].node(1 - d as usize);
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

    fn search<C: HopCost>(
        &mut self,
        net: &Network,
        req: &RouteRequest<'_>,
        p: &RouterParams,
        cost: &C,
    ) -> Result<Msat, NoRoute> {
        let (stop, stop_is_sender) = match req.first_hop {
            None => (req.source, true),
            Some(c) => {
                let ch = net.chan(c);
                let d = ch.side_of(req.source).ok_or(NoRoute::NoPath)?;
                (ch.node(1 - d), false)
            }
        };
        let (start, start_amt, start_cltv, start_cost, start_hops) = match req.last_hop {
            None => (req.target, req.amount.0, p.final_cltv, 0u64, 0u8),
            Some(c) => {
                let ch = net.chan(c);
                let dt = ch.side_of(req.target).ok_or(NoRoute::NoPath)?;
                let dc = 1 - dt;
                let e = net
                    .in_edges(req.target)
                    .iter()
                    .find(|e| e.chan == c.0)
                    .copied()
                    .ok_or(NoRoute::NoPath)?;
                if req.amount.0 > e.max_amount || req.amount.0 < e.min_htlc {
                    return Err(NoRoute::NoPath);
                }
                let own = stop_is_sender && ch.node(dc) == stop;
                if own && ch.check_offer(dc, req.amount).is_err() {
                    return Err(NoRoute::NoPath);
                }
                let fee = if own || req.is_fee_free(ch.node(dc)) {
                    0
                } else {
                    edge_fee(&e, req.amount.0)
                };
                let add = if own { 0 } else { e.cltv_delta as u32 };
                let c0 = cost
                    .cost(&e, req.amount.0, fee, own)
                    .ok_or(NoRoute::NoPath)?;
                (ch.node(dc), req.amount.0 + fee, p.final_cltv + add, c0, 1u8)
            }
        };
        let blocked = if req.first_hop.is_some() {
            Some(req.source)
        } else if req.last_hop.is_some() {
            Some(req.target)
        } else {
            req.avoid
        };
        let s = start.idx();
        self.visit(s);
        self.dist[s] = start_cost;
        self.amt[s] = start_amt;
        self.cltv[s] = start_cltv;
        self.hops[s] = start_hops;
        self.heap.push(start_cost, s as u32);
        let mut fee_limited = false;
        let mut found = false;
        while let Some((d, v)) = self.heap.pop() {
            let v = v as usize;
            if d != self.dist[v] || self.done[v] == self.epoch {
                continue;
            }
            if v == stop.idx() {
                found = true;
                break;
            }
            self.done[v] = self.epoch;
            if self.hops[v] >= p.max_hops {
                continue;
            }
            let amt_v = self.amt[v];
            let (base, edges) = net.in_edges_from(NodeId(v as u32));
            for (i, e) in edges.iter().enumerate() {
                let u = e.from as usize;
                if (self.stamp[u] == self.epoch && self.done[u] == self.epoch)
                    || (e.from_is_leaf && u != stop.idx())
                    || Some(NodeId(e.from)) == blocked
                    || self.excluded[base + i]
                    || amt_v > e.max_amount
                    || amt_v < e.min_htlc
                {
                    continue;
                }
                let own = stop_is_sender && u == stop.idx();
                if own
                    && net.channels()[e.chan as usize]
                        .check_offer(e.dir as usize, Msat(amt_v))
                        .is_err()
                {
                    continue;
                }
                // A fee-free forwarder (cooperative rebalancing) charges nothing.
                let (fee, add) = if own {
                    (0, 0)
                } else if req.is_fee_free(NodeId(e.from)) {
                    (0, e.cltv_delta as u32)
                } else {
                    (edge_fee(e, amt_v), e.cltv_delta as u32)
                };
                let cltv = self.cltv[v] + add;
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
                if let Some(JoinRule(joins)) = req.join {
                    // `v` forwards in over `e`, out over the channel its label leads on
                    // (or the forced last hop); the node after a forced first hop forwards
                    // in over it, out over `e`. A node keeps one label, so a route through
                    // `v` on another label it would join is not tried (heuristic; lnd's
                    // hop-indexed search is exact here).
                    let chan = ChannelId(e.chan);
                    let v_out = if v == s {
                        req.last_hop.filter(|_| start != req.target)
                    } else {
                        Some(ChannelId(self.next[v].0))
                    };
                    if v_out.is_some_and(|o| !joins(NodeId(v as u32), chan, o, Msat(amt_v))) {
                        continue;
                    }
                    if let (true, Some(f)) = (u == stop.idx(), req.first_hop) {
                        if !joins(stop, f, chan, Msat(amt_u)) {
                            continue;
                        }
                    }
                }
                let Some(c) = cost.cost(e, amt_v, fee, own) else {
                    continue;
                };
                let nd = d.saturating_add(c);
                self.visit(u);
                if nd < self.dist[u] {
                    self.dist[u] = nd;
                    self.amt[u] = amt_u;
                    self.cltv[u] = cltv;
                    self.hops[u] = self.hops[v] + 1;
                    self.next[u] = (e.chan, e.dir);
                    self.heap.push(nd, u as u32);
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
            let ch = net.chan(c);
            let d = ch.side_of(req.source).ok_or(NoRoute::NoPath)?;
            if ch.check_offer(d, Msat(stop_amt)).is_err() || stop_amt > ch.capacity().0 {
                return Err(NoRoute::NoPath);
            }
        }
        let fee = Msat(stop_amt - req.amount.0);
        if req.max_fee.is_some_and(|mf| fee > mf) {
            return Err(NoRoute::FeeLimit);
        }
        Ok(fee)
    }
}
