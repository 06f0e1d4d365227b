//! The `lnd` router's hop-indexed search: one label per (node, hops to the start), exact in
//! the hop limit. Used for short cycles, cooperative rebalances and whenever a hop or CLTV
//! limit pruned a label of the fast search that could have won (see [`Router::find_route`]).

use super::*;

/// Labels of the hop-indexed search, per state `hops × N + node`; grown on first use (only
/// searches with a binding limit or few hops need them).
#[derive(Default)]
pub(super) struct Layered {
    dist: Vec<u64>,
    amt: Vec<u64>,
    weight: Vec<u64>,
    pen: Vec<f64>,
    cltv: Vec<u32>,
    next: Vec<(u32, u8)>,
    stamp: Vec<u32>,
    done: Vec<u32>,
    epoch: u32,
}

impl Router {
    /// The hop-indexed search: plain Dijkstra on lnd's cost over states (node, hops to the
    /// start), one label each, so a cheaper label with more hops never hides a dearer one
    /// that fits the hop limit, and every label is final when expanded (next-pointers are
    /// never stale). Fills `path` and `stop_amt`; returns the route's cost.
    pub(super) fn search_layered(
        &mut self,
        net: &Network,
        req: &RouteRequest<'_>,
        p: &RouterParams,
        ends: &Ends,
    ) -> Option<u64> {
        let n = net.node_count();
        let layers = usize::from(p.max_hops.max(ends.start_hops)) + 1;
        let states = n * layers;
        if self.l.dist.len() < states {
            self.l.dist.resize(states, UNREACHED);
            self.l.amt.resize(states, 0);
            self.l.weight.resize(states, 0);
            self.l.pen.resize(states, 0.0);
            self.l.cltv.resize(states, 0);
            self.l.next.resize(states, (0, 0));
            self.l.stamp.resize(states, 0);
            self.l.done.resize(states, 0);
        }
        self.l.epoch = self.l.epoch.wrapping_add(1);
        if self.l.epoch == 0 {
            self.l.stamp.iter_mut().for_each(|s| *s = 0);
            self.l.done.iter_mut().for_each(|s| *s = 0);
            self.l.epoch = 1;
        }
        let epoch = self.l.epoch;
        let inv_apriori = 1.0 / p.apriori;
        let max_pen = ends.attempt_cost / p.min_probability;
        let stop = ends.stop;
        let first_side = match req.first_hop {
            Some(c) => Some((c, net.chan(c).side_of(req.source)?)),
            None => None,
        };
        let s0 = usize::from(ends.start_hops) * n + ends.start.idx();
        self.l.stamp[s0] = epoch;
        self.l.dist[s0] = ends.start_weight;
        self.l.amt[s0] = ends.start_amt;
        self.l.weight[s0] = ends.start_weight;
        self.l.pen[s0] = ends.attempt_cost;
        self.l.cltv[s0] = ends.start_cltv;
        self.heap.push(ends.start_weight, s0 as u32);
        let mut found = None;
        while let Some((d, st)) = self.heap.pop() {
            let st = st as usize;
            if d != self.l.dist[st] || self.l.done[st] == epoch {
                continue;
            }
            self.l.done[st] = epoch;
            let (h, v) = (st / n, st % n);
            let amt_v = self.l.amt[st];
            // The channel `v` sends over, if it forwards (for the cooperative join rule).
            let v_out = if st == s0 {
                req.last_hop.filter(|_| ends.start != req.target)
            } else {
                Some(ChannelId(self.l.next[st].0))
            };
            if v == stop.idx() {
                // The sender's own forced first hop must carry what arrives here.
                if let Some((c, side)) = first_side {
                    let ch = net.chan(c);
                    if ch.check_offer(side, Msat(amt_v)).is_err() || amt_v > ch.capacity().0 {
                        continue;
                    }
                }
                found = Some(st);
                break;
            }
            if h >= usize::from(p.max_hops) {
                continue;
            }
            let (base, edges) = net.in_edges_from(NodeId(v as u32));
            for (i, e) in edges.iter().enumerate() {
                let u = e.from as usize;
                let su = st + n - v + u;
                if self.l.done[su] == epoch
                    || (e.from_is_leaf && u != stop.idx())
                    || Some(NodeId(e.from)) == ends.blocked
                {
                    continue;
                }
                if amt_v > e.max_amount || amt_v < e.min_htlc {
                    continue;
                }
                if let Some(JoinRule(joins)) = req.join {
                    // `v` forwards in over `e`, out over `v_out`; the node after a forced
                    // first hop forwards in over it, out over `e`.
                    let chan = ChannelId(e.chan);
                    if v_out.is_some_and(|o| !joins(NodeId(v as u32), chan, o, Msat(amt_v))) {
                        continue;
                    }
                    if let (true, Some(f)) = (u == stop.idx(), req.first_hop) {
                        let amt_u = amt_v + edge_fee(e, amt_v) * u64::from(!req.is_fee_free(stop));
                        if !joins(stop, f, chan, Msat(amt_u)) {
                            continue;
                        }
                    }
                }
                let u_is_sender = ends.stop_is_sender && u == stop.idx();
                let ep = self.edge_prob[base + i];
                let inv_prob = if u_is_sender {
                    let ch = &net.channels()[e.chan as usize];
                    if ep == 0.0 || ch.check_offer(e.dir as usize, Msat(amt_v)).is_err() {
                        continue;
                    }
                    1.0
                } else if self.bi.active {
                    // Bimodal: amount-dependent; `ep` only marks exclusions (0).
                    match self.bimodal_inv_prob(net, ep, base + i, e, amt_v) {
                        Some(x) => x,
                        None => continue,
                    }
                } else if ep == NO_INFO {
                    inv_apriori
                } else if ep > 0.0 {
                    1.0 / ep as f64
                } else {
                    continue;
                };
                let pen = self.l.pen[st] * inv_prob;
                if pen > max_pen {
                    continue;
                }
                let (fee, cltv_add) = if u_is_sender {
                    (0, 0)
                } else if req.is_fee_free(NodeId(e.from)) {
                    (0, e.cltv_delta as u32)
                } else {
                    (edge_fee(e, amt_v), e.cltv_delta as u32)
                };
                let cltv = self.l.cltv[st] + cltv_add;
                if cltv > p.max_cltv {
                    continue;
                }
                let amt_u = amt_v + fee;
                if let Some(mf) = req.max_fee {
                    if amt_u - req.amount.0 > mf.0 {
                        self.fee_pruned = true;
                        continue;
                    }
                }
                let weight =
                    self.l.weight[st] + fee + risk(amt_v, cltv_add, p.risk_factor_billionths);
                let dist = weight.saturating_add(pen as u64);
                if self.l.stamp[su] != epoch {
                    self.l.stamp[su] = epoch;
                    self.l.dist[su] = UNREACHED;
                }
                if dist < self.l.dist[su] {
                    self.l.dist[su] = dist;
                    self.l.amt[su] = amt_u;
                    self.l.weight[su] = weight;
                    self.l.pen[su] = pen;
                    self.l.cltv[su] = cltv;
                    self.l.next[su] = (e.chan, e.dir);
                    self.heap.push(dist, su as u32);
                }
            }
        }
        let found = found?;
        self.path.clear();
        self.stop_amt = self.l.amt[found];
        let mut st = found;
        while st != s0 {
            let (c, d) = self.l.next[st];
            let to = net.channels()[c as usize].node(1 - d as usize);
            st = st - n - st % n + to.idx();
            self.path.push((c, d, self.l.amt[st]));
        }
        Some(self.l.dist[found])
    }
}
