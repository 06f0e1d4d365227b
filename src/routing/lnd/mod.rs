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

use super::heap::KeyHeap;
use super::{Hop, JoinRule, McEntry, NoRoute, RouteRequest, RouterParams};
use crate::network::{InEdge, Network};
use crate::topology::{ChannelId, NodeId};
use crate::units::{Msat, SimTime};

mod check;
mod layered;
pub use check::{check_route, RouteDefect};
use layered::Layered;

const UNREACHED: u64 = u64::MAX;
const NO_INFO: f32 = -1.0;

/// Reusable route-search buffers. One per run (not shared between threads).
pub struct Router {
    /// The fast search's labels, one per node (see [`Label`]).
    lab: Vec<Label>,
    bfs: Vec<u32>,
    last_cost: u64,
    /// Smallest key of a label the hop or CLTV limit dropped in the fast search.
    pruned_min: u64,
    /// The fee limit dropped a label in the last search.
    fee_pruned: bool,
    /// The route found, from the stop node to the start: (channel, dir, amount carried).
    path: Vec<(u32, u8, u64)>,
    /// What arrives at the stop node (the forced first hop carries it).
    stop_amt: u64,
    /// The hop-indexed search's labels.
    l: Layered,
    epoch: u32,
    heap: KeyHeap,
    /// Per directed edge, indexed by its position in the network's flat in-edge array (so the
    /// search reads it sequentially): success probability override, or NO_INFO.
    edge_prob: Vec<f32>,
    touched: Vec<usize>,
    /// Tests only: search even when the sender's own channels rule every route out, to
    /// check that the O(degree) answer is the one the searches give.
    #[cfg(test)]
    no_shortcut: bool,
    /// The bimodal estimator's view of the sender's results (inactive: a-priori).
    pub bi: super::bimodal::Overlay,
}

/// A node's label in the fast search: every field a relaxation reads or writes, in one
/// cache line. Hand-laid-out because on large graphs each relaxation reaches a node at
/// random in memory, and one array per field cost a cache miss per field.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Label {
    /// lnd's cost of the label (`weight + pen`); meaningful when `stamp == epoch`.
    dist: u64,
    /// Heap key of the label (its cost plus the A* bound).
    key: u64,
    /// Fees + time-lock risk from the node to the target.
    weight: u64,
    /// What must arrive at the node.
    amt: u64,
    /// `attempt_cost / prob`: the probability penalty of the suffix from the node, kept
    /// instead of the probability so a relaxation multiplies rather than divides.
    pen: f64,
    cltv: u32,
    /// The label is valid this search (`stamp == epoch`).
    stamp: u32,
    /// Expanded this search (`done == epoch`). Final in plain Dijkstra; under A* a node is
    /// reopened if a label with a lower lnd cost reaches it later.
    done: u32,
    /// `hop_lb` is valid this search (`hstamp == epoch`).
    hstamp: u32,
    /// The edge toward the target: channel and direction.
    next_chan: u32,
    next_dir: u8,
    hops: u8,
    /// Hop distance from the stop node, for the A* bound: exact up to 2 when
    /// `hstamp == epoch`, else "3 or more".
    hop_lb: u8,
}

// One cache line (the field order leaves no padding).
const _: () = assert!(std::mem::size_of::<Label>() == 64);

impl Default for Label {
    fn default() -> Self {
        Label {
            dist: UNREACHED,
            key: 0,
            weight: 0,
            amt: 0,
            pen: 0.0,
            cltv: 0,
            stamp: 0,
            done: 0,
            hstamp: 0,
            next_chan: 0,
            next_dir: 0,
            hops: 0,
            hop_lb: 0,
        }
    }
}

impl Router {
    pub fn new(nodes: usize, channels: usize) -> Self {
        Router {
            lab: vec![Label::default(); nodes],
            bfs: Vec::new(),
            last_cost: UNREACHED,
            pruned_min: UNREACHED,
            fee_pruned: false,
            path: Vec::new(),
            stop_amt: 0,
            l: Layered::default(),
            epoch: 0,
            heap: KeyHeap::new(),
            edge_prob: vec![NO_INFO; channels * 2],
            touched: Vec::new(),
            #[cfg(test)]
            no_shortcut: false,
            bi: Default::default(),
        }
    }

    fn ensure_size(&mut self, nodes: usize, channels: usize) {
        if self.lab.len() < nodes {
            self.lab.resize(nodes, Label::default());
        }
        if self.edge_prob.len() < channels * 2 {
            self.edge_prob.resize(channels * 2, NO_INFO);
        }
    }

    #[inline]
    fn visit(&mut self, v: usize) -> bool {
        if self.lab[v].stamp != self.epoch {
            self.lab[v].stamp = self.epoch;
            self.lab[v].dist = UNREACHED;
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
    /// Every returned route respects `max_hops`, `max_cltv`, each hop's min/max HTLC for
    /// the amount it actually carries (fee-free forwarders included), the sender's own
    /// balances and the fee limit. The fast search (one label per node, A*-ordered) is
    /// exact unless one of those limits pruned a label that could have been cheaper than
    /// the route found; then (and whenever its route fails a check) a hop-indexed search
    /// (one label per node *and* hop count, plain Dijkstra) decides, which is exact in the
    /// hop limit. Requests with `max_hops <= LAYERED_MAX_HOPS` (circular rebalances) go
    /// straight to the hop-indexed search. `FeeLimit` is returned only when a second search
    /// without the fee limit finds a route.
    ///
    /// Complexity: O((N + M) log N) for the fast search; the hop-indexed one is
    /// O(H (N + M) log(H N)) for H = `max_hops` but touches only what lies within H hops
    /// of the receiver. No allocation once the buffers have grown.
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
        // Mission control and exclusions → per-edge probabilities (reset at the end).
        let half_life = p.penalty_half_life.micros().max(1) as f64;
        // The bimodal estimator reads its own results (`self.bi`), not the failures.
        let mc = if self.bi.active { &[][..] } else { mc };
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
        let mut result = self.run(net, req, p, out);
        if result.is_err() && req.max_fee.is_some() && self.fee_pruned {
            // Did the fee limit bind? Only if a search without it finds a route.
            let unlimited = RouteRequest {
                max_fee: None,
                ..*req
            };
            if self.run(net, &unlimited, p, out).is_ok() {
                result = Err(NoRoute::FeeLimit);
            }
            out.clear();
            self.last_cost = UNREACHED;
        }
        for &i in &self.touched {
            self.edge_prob[i] = NO_INFO;
        }
        self.touched.clear();
        self.heap.clear();
        result
    }

    /// One search for `req` (fast, then hop-indexed if needed); writes the route into
    /// `out` and sets `last_cost`.
    fn run(
        &mut self,
        net: &Network,
        req: &RouteRequest<'_>,
        p: &RouterParams,
        out: &mut Vec<Hop>,
    ) -> Result<Msat, NoRoute> {
        out.clear();
        self.fee_pruned = false;
        self.last_cost = UNREACHED;
        let ends = ends(net, req, p)?;
        // Every route enters the sender's own channel last (searching backward), carrying
        // at least the payment: if none of them can, both searches below fail (with
        // `NoPath`), after exploring everything they reach. Answer that in O(degree).
        #[cfg(test)]
        let shortcut = !self.no_shortcut;
        #[cfg(not(test))]
        let shortcut = true;
        if shortcut
            && ends.stop_is_sender
            && ends.start != ends.stop
            && !sender_can_send(net, ends.stop, req.amount)
        {
            return Err(NoRoute::NoPath);
        }
        if p.max_hops > LAYERED_MAX_HOPS && req.join.is_none() {
            self.next_epoch();
            self.heap.clear();
            let fast = self.search(net, req, p, &ends);
            let cost = self.lab[ends.stop.idx()].dist;
            // Exact unless a limit pruned a label that could have beaten the route found.
            let pruned_cheaper = self.pruned_min < if fast { cost } else { UNREACHED };
            if fast && !pruned_cheaper && self.fast_path(net, &ends, p) {
                if let Ok(fee) = self.build(net, req, p, out) {
                    self.last_cost = cost;
                    return Ok(fee);
                }
            }
            if !fast && self.pruned_min == UNREACHED {
                return Err(NoRoute::NoPath);
            }
        }
        self.heap.clear();
        match self.search_layered(net, req, p, &ends) {
            Some(cost) => {
                let fee = self.build(net, req, p, out)?;
                self.last_cost = cost;
                Ok(fee)
            }
            None => Err(NoRoute::NoPath),
        }
    }

    fn next_epoch(&mut self) {
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            for l in &mut self.lab {
                (l.stamp, l.done, l.hstamp) = (0, 0, 0);
            }
            self.epoch = 1;
        }
    }

    /// The fast search's route from the stop node to the start, into `path` (chan, dir,
    /// amount carried). False if the next-pointers do not lead there within the hop limit
    /// (a reopened node left a stale pointer behind).
    fn fast_path(&mut self, net: &Network, ends: &Ends, p: &RouterParams) -> bool {
        self.path.clear();
        self.stop_amt = self.lab[ends.stop.idx()].amt;
        let mut v = ends.stop;
        let budget = usize::from(p.max_hops.saturating_sub(ends.start_hops));
        while v != ends.start {
            if self.path.len() >= budget || self.lab[v.idx()].stamp != self.epoch {
                return false;
            }
            let (c, d) = (self.lab[v.idx()].next_chan, self.lab[v.idx()].next_dir);
            let to = net.channels()[c as usize].node(1 - d as usize);
            self.path.push((c, d, self.lab[to.idx()].amt));
            v = to;
        }
        true
    }

    /// Builds the route (forced first hop, `path`, forced last hop) into `out` and checks
    /// it against every limit for the amounts it actually carries. Returns the fee.
    fn build(
        &mut self,
        net: &Network,
        req: &RouteRequest<'_>,
        p: &RouterParams,
        out: &mut Vec<Hop>,
    ) -> Result<Msat, NoRoute> {
        out.clear();
        if let Some(c) = req.first_hop {
            let ch = net.chan(c);
            let d = ch.side_of(req.source).ok_or(NoRoute::NoPath)?;
            out.push(Hop {
                chan: c,
                dir: d as u8,
                amount: Msat(self.stop_amt),
            });
        }
        out.extend(self.path.iter().map(|&(c, d, a)| Hop {
            chan: ChannelId(c),
            dir: d,
            amount: Msat(a),
        }));
        if let Some(c) = req.last_hop {
            let ch = net.chan(c);
            let d = 1 - ch.side_of(req.target).ok_or(NoRoute::NoPath)?;
            out.push(Hop {
                chan: c,
                dir: d as u8,
                amount: req.amount,
            });
        }
        if check_route(net, req, p, out).is_err() {
            out.clear();
            return Err(NoRoute::NoPath);
        }
        Ok(Msat(out[0].amount.0 - req.amount.0))
    }

    /// The fast search: Dijkstra on lnd's cost, one label per node, ordered by the A* key.
    /// Returns whether the stop node was reached. Labels: `amt[v]` = what must arrive at
    /// `v` (for the target: the payment), `weight[v]` = fees + time-lock risk from `v` to
    /// the target, `pen[v] = attempt_cost / prob(suffix)` with prob the estimated success
    /// probability of that suffix, `dist[v] = weight[v] + pen[v]`. Labels dropped by the
    /// hop or CLTV limit leave their key's minimum in `pruned_min`.
    fn search(
        &mut self,
        net: &Network,
        req: &RouteRequest<'_>,
        p: &RouterParams,
        ends: &Ends,
    ) -> bool {
        let inv_apriori = 1.0 / p.apriori;
        let max_pen = ends.attempt_cost / p.min_probability;
        let stop = ends.stop;
        let stop_is_sender = ends.stop_is_sender;
        let blocked = ends.blocked;
        self.pruned_min = UNREACHED;
        // A* bound. From a node `h` hops away from the stop node, every further hop but the
        // sender's own first one has success probability at most `apriori` (mission control
        // only lowers it), so the probability penalty grows at least by
        // `(1/apriori)^(h - own)` before the route is complete. With hop distances from a
        // breadth-first search of depth 2 around the stop node (and "3 or more" beyond), the
        // heap key `weight + pen × mult[h]` never overestimates the cost of any completion.
        // Labels are still compared by lnd's cost, and an expanded node is reopened when a
        // cheaper label reaches it, so the route found has the same (minimal) cost as plain
        // Dijkstra's; among routes of equal cost the two may pick different ones.
        let own = usize::from(stop_is_sender);
        // The bimodal estimator can give a hop probability up to 1: no hop-count bound.
        let mult: [f64; 4] = if p.astar && !self.bi.active {
            self.hop_distances(net, stop);
            std::array::from_fn(|h| inv_apriori.powi(h.saturating_sub(own) as i32))
        } else {
            [1.0; 4]
        };
        let s = ends.start.idx();
        self.visit(s);
        self.lab[s].amt = ends.start_amt;
        self.lab[s].weight = ends.start_weight;
        self.lab[s].pen = ends.attempt_cost;
        self.lab[s].cltv = ends.start_cltv;
        self.lab[s].hops = ends.start_hops;
        self.lab[s].dist = ends.start_weight;
        self.lab[s].key = ends.start_weight;
        self.heap.push(ends.start_weight, s as u32);
        while let Some((d, v)) = self.heap.pop() {
            let v = v as usize;
            if d != self.lab[v].key {
                continue; // stale entry
            }
            if v == stop.idx() {
                return true;
            }
            self.lab[v].done = self.epoch;
            let lv = self.lab[v];
            let (amt_v, dist_v, hops_v) = (lv.amt, lv.dist, lv.hops);
            if hops_v >= p.max_hops {
                self.pruned_min = self.pruned_min.min(d);
                continue;
            }
            // Any extension costs at least its prefix: a node is only worth a push while it
            // beats the stop node's tentative label.
            let stop_bound = if self.lab[stop.idx()].stamp == self.epoch {
                self.lab[stop.idx()].dist
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
                if (self.lab[u].done == self.epoch && (!p.astar || self.lab[u].dist <= dist_v))
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
                let pen = lv.pen * inv_prob;
                if pen > max_pen {
                    continue; // probability below the minimum
                }
                // u forwards over e: it charges its fee unless it is the paying sender or
                // forwards this payment for free.
                let (fee, cltv_add) = if u_is_sender {
                    (0, 0)
                } else if req.fee_free.is_some() && req.is_fee_free(NodeId(e.from)) {
                    (0, e.cltv_delta as u32)
                } else {
                    (edge_fee(e, amt_v), e.cltv_delta as u32)
                };
                let amt_u = amt_v + fee;
                if let Some(mf) = req.max_fee {
                    if amt_u - req.amount.0 > mf.0 {
                        self.fee_pruned = true;
                        continue;
                    }
                }
                let weight = lv.weight + fee + risk(amt_v, cltv_add, p.risk_factor_billionths);
                let h = if self.lab[u].hstamp == self.epoch {
                    self.lab[u].hop_lb as usize
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
                let cltv = lv.cltv + cltv_add;
                if cltv > p.max_cltv {
                    self.pruned_min = self.pruned_min.min(key);
                    continue;
                }
                self.visit(u);
                let lu = &mut self.lab[u];
                if dist < lu.dist {
                    lu.dist = dist;
                    lu.key = key;
                    lu.done = 0;
                    lu.weight = weight;
                    lu.amt = amt_u;
                    lu.pen = pen;
                    lu.cltv = cltv;
                    lu.hops = hops_v + 1;
                    lu.next_chan = e.chan;
                    lu.next_dir = e.dir;
                    self.heap.push(key, u as u32);
                }
            }
        }
        false
    }
}

impl Router {
    /// `1 / P` of a remote hop under the bimodal estimator, or `None` when excluded or
    /// impossible.
    #[inline]
    fn bimodal_inv_prob(
        &self,
        net: &Network,
        ep: f32,
        slot: usize,
        e: &InEdge,
        amt: u64,
    ) -> Option<f64> {
        if ep == 0.0 {
            return None;
        }
        let cap = net.channels()[e.chan as usize].capacity().0;
        let pr = self.bi.prob(slot, e.from, cap, amt);
        (pr > 0.0).then(|| 1.0 / pr)
    }
}

/// Requests with at most this many hops (circular rebalances: `max_cycle_len - 1`) use the
/// hop-indexed search directly; it is exact in the hop limit and, at such depths, cheap.
pub const LAYERED_MAX_HOPS: u8 = 10;

/// Where a search starts (backward, at the receiver or before a forced last hop) and stops
/// (at the sender, or after a forced first hop).
struct Ends {
    stop: NodeId,
    stop_is_sender: bool,
    start: NodeId,
    start_amt: u64,
    start_cltv: u32,
    start_weight: u64,
    start_hops: u8,
    /// A node the route must not pass through.
    blocked: Option<NodeId>,
    attempt_cost: f64,
}

fn ends(net: &Network, req: &RouteRequest<'_>, p: &RouterParams) -> Result<Ends, NoRoute> {
    let attempt_cost = (p.attempt_cost + req.amount.mul_ppm(p.attempt_cost_ppm)).0 as f64;
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
            // The last hop is forced: its sender C charges its fee for it (unless fee-free).
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
                let fee = if req.is_fee_free(ch.node(dc)) {
                    0
                } else {
                    pol.fee(req.amount).0
                };
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
    if start_hops > p.max_hops || start_cltv > p.max_cltv {
        return Err(NoRoute::NoPath);
    }
    // A forced first hop leaves the source: it must not be re-entered. A forced last
    // hop enters the target: it must not be passed through before.
    let blocked = if req.first_hop.is_some() {
        Some(req.source)
    } else if req.last_hop.is_some() {
        Some(req.target)
    } else {
        req.avoid
    };
    Ok(Ends {
        stop,
        stop_is_sender,
        start,
        start_amt,
        start_cltv,
        start_weight,
        start_hops,
        blocked,
        attempt_cost,
    })
}

impl Router {
    /// Breadth-first hop distances (ignoring direction and capacity, so they are lower
    /// bounds) from `stop`, to depth 2. O(sum of degrees within one hop of `stop`); reads
    /// only the network's compact neighbour lists (4 bytes a visit, sequential), never a
    /// `ChannelState`.
    fn hop_distances(&mut self, net: &Network, stop: NodeId) {
        self.bfs.clear();
        let epoch = self.epoch;
        self.lab[stop.idx()].hstamp = epoch;
        self.lab[stop.idx()].hop_lb = 0;
        for &w in net.neighbours(stop) {
            let w = w as usize;
            if self.lab[w].hstamp != epoch {
                self.lab[w].hstamp = epoch;
                self.lab[w].hop_lb = 1;
                self.bfs.push(w as u32);
            }
        }
        // Depth 2: marked, never expanded (so not queued).
        for i in 0..self.bfs.len() {
            for &w in net.neighbours(NodeId(self.bfs[i])) {
                let w = w as usize;
                if self.lab[w].hstamp != epoch {
                    self.lab[w].hstamp = epoch;
                    self.lab[w].hop_lb = 2;
                }
            }
        }
    }
}

/// Whether the sender `s` has an own channel that could carry some amount `>= amount` (the
/// first hop of any route carries the payment plus fees). When none can, no route exists
/// and every search would say `NoPath` after exploring all it can reach from the receiver;
/// this answers the same in O(degree of `s`).
fn sender_can_send(net: &Network, s: NodeId, amount: Msat) -> bool {
    net.channels_of(s).any(|c| {
        let ch = net.chan(c);
        ch.side_of(s)
            .is_some_and(|d| ch.could_offer_at_least(d, amount))
    })
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
mod tests;
