//! The `mcf` router: Pickhardt & Richter, "Optimally reliable & cheap payment flows on the
//! Lightning Network" (2021), as the `pickhardtpayments` package (v0.4) implements it,
//! modelled.
//!
//! **Uncertainty network.** For each remote directed edge the sender believes the liquidity
//! lies in `[a, b]` (`[0, min(capacity, max_htlc)]` until it learns more, [`super::knowledge`]);
//! sending `x` succeeds with probability `P(x) = (b + 1 − x) / (b + 1 − a)` (1 for `x ≤ a`).
//! Its own channels are certain up to their spendable balance.
//!
//! **Linearised convex cost.** The amount is cut into `units` equal units (default 32). Each
//! edge becomes arcs: the certain part `[0, a]` at uncertainty cost 0, then `pieces`
//! (default 4) equal pieces of `[a, b]`, piece `i` costing per unit the increase of `−ln P`
//! across it (in micro-nats) — increasing, so the piecewise-linear cost is convex and a
//! min-cost flow fills cheaper pieces first. Each unit also pays `μ × fee_ppm` (fee weight
//! `mu`, default 1; base fees are ignored in the flow, as in the paper, and charged exactly
//! on the routes). Min-cost flow of all units: `ac-library-rs`'s `MinCostFlowGraph`
//! (successive shortest paths with potentials; a kept crate, off the per-hop hot path).
//!
//! **Parts.** The flow is decomposed into paths (breadth-first, each path its bottleneck);
//! each path is one part of an atomic MPP carrying its units × unit size (the largest part
//! absorbs the rounding), with each hop's exact fee. Parts that break a route limit
//! (`max_hops`, `max_cltv`, htlc limits) are dropped and their amount is routed by the
//! engine's splitting. Each part's outcome updates the bounds (as LDK's).
//!
//! [`PathFinder::find_route`] (one path: rebalances, retries of a remainder) is the search of
//! [`super::search`] with the same cost for the whole amount on one path.
//!
//! Simplifications: no re-planning of the whole remaining amount after a failure (the
//! engine routes the failed part's amount part by part), no zero-base-fee preference.
//!
//! **Pruning** (for speed): the flow is solved only over edges that lie on a path of at most
//! `h + slack` hops (`mcf_slack`, default 1), `h` the fewest hops from the sender to the
//! receiver over edges that can carry one unit: an edge `u → v` is kept when
//! `hops(s, u) + 1 + hops(v, t) ≤ h + slack` (two breadth-first level sweeps over the edge
//! list). On the CLoTH snapshot this keeps a small fraction of the graph; routes longer than
//! `h + slack` hops are not considered (they are rarely cheap in uncertainty: every hop
//! multiplies success probabilities).
//!
//! Complexity of a plan: O(M) to collect the candidate edges, O(h × M) for the hop levels,
//! O(units × (M'·pieces) log N') for the flow over the M' kept edges and N' nodes,
//! O(units × (N' + M')) for the decomposition; it allocates its flow graph per plan.

use super::knowledge::{decayed, Knowledge};
use super::pathfinder::{Features, PathFinder, RouteCtx};
use super::registry::{RouterEntry, RouterSpec};
use super::search::{HopCost, Search};
use super::{Hop, NoRoute, RouteRequest};
use crate::network::{InEdge, Network};
use crate::topology::{ChannelId, NodeId};
use crate::units::{Msat, SimDuration, SimTime};
use ac_library::MinCostFlowGraph;

pub const ENTRY: RouterEntry = RouterEntry {
    name: "mcf",
    about: "Pickhardt-Richter min-cost flow over the uncertainty network, sent as atomic MPP",
    build,
};

/// The min-cost-flow router's options.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct McfParams {
    /// Fee weight μ: cost of one ppm of fee rate per unit against one micro-nat.
    pub mu: f64,
    /// Linear pieces per edge's uncertain range.
    pub pieces: u32,
    /// Units the amount is cut into.
    pub units: u32,
    /// Decay half-life of learned bounds.
    pub half_life: SimDuration,
    /// Edges remembered per sender.
    pub memory: usize,
    /// Pruning: only edges on paths of at most (fewest hops + `slack`) hops from the
    /// sender to the receiver enter the flow (see the module doc).
    pub slack: u32,
}

impl Default for McfParams {
    fn default() -> Self {
        McfParams {
            mu: 1.0,
            pieces: 4,
            units: 32,
            half_life: SimDuration::from_secs(6 * 3600),
            memory: 256,
            slack: 1,
        }
    }
}

fn build(spec: &RouterSpec, nodes: usize, channels: usize) -> Box<dyn PathFinder> {
    Box::new(McfRouter::new(spec.mcf, nodes, channels))
}

/// The min-cost-flow planner with every sender's bounds.
pub struct McfRouter {
    p: McfParams,
    search: Search,
    pub knowledge: Knowledge,
    overlay: Vec<Option<(u64, u64)>>,
    touched: Vec<usize>,
}

/// Breadth-first hop levels over the candidate edges from `root` (forward, or backward
/// when `rev`), up to `limit` hops; `u32::MAX` beyond. O(limit × candidates): one pass
/// over the edge list per level, no adjacency to build.
fn hop_levels(
    cand: &[(u32, u32, &InEdge)],
    n: usize,
    root: usize,
    limit: u32,
    rev: bool,
    d: &mut Vec<u32>,
) {
    d.clear();
    d.resize(n, u32::MAX);
    d[root] = 0;
    for level in 0..limit {
        let mut grew = false;
        for &(u, v, _) in cand {
            let (a, b) = if rev { (v, u) } else { (u, v) };
            if d[a as usize] == level && d[b as usize] == u32::MAX {
                d[b as usize] = level + 1;
                grew = true;
            }
        }
        if !grew {
            break;
        }
    }
}

/// `−ln P(x)` for bounds `[a, b]`; infinite above `b`.
fn neg_ln_p(x: f64, a: f64, b: f64) -> f64 {
    if x <= a {
        0.0
    } else if x > b {
        f64::INFINITY
    } else {
        -((b + 1.0 - x) / (b + 1.0 - a)).ln()
    }
}

impl McfRouter {
    pub fn new(p: McfParams, nodes: usize, channels: usize) -> Self {
        McfRouter {
            p,
            search: Search::new(nodes, channels),
            knowledge: Knowledge::new(nodes, p.memory, p.half_life),
            overlay: vec![None; channels * 2],
            touched: Vec::new(),
        }
    }

    fn load_overlay(&mut self, net: &Network, sender: NodeId, now: SimTime) {
        if self.overlay.len() < net.channel_count() * 2 {
            self.overlay.resize(net.channel_count() * 2, None);
        }
        for b in self.knowledge.entries(sender) {
            let cap = net.chan(ChannelId(b.chan)).capacity().0;
            let k = b.chan as usize * 2 + b.dir as usize;
            self.overlay[k] = Some(decayed(b, cap, now, self.p.half_life));
            self.touched.push(k);
        }
    }

    fn clear_overlay(&mut self) {
        for &k in &self.touched {
            self.overlay[k] = None;
        }
        self.touched.clear();
    }

    fn bounds(&self, e: &InEdge) -> (u64, u64) {
        let k = e.chan as usize * 2 + e.dir as usize;
        let (a, b) = self
            .overlay
            .get(k)
            .copied()
            .flatten()
            .unwrap_or((0, e.max_amount));
        (a.min(e.max_amount), b.min(e.max_amount))
    }

    /// The flow plan, with the overlay loaded. See the module doc.
    fn plan(
        &self,
        ctx: &RouteCtx<'_>,
        req: &RouteRequest<'_>,
        max_parts: u32,
        out: &mut Vec<Vec<Hop>>,
    ) -> Result<(), NoRoute> {
        let net = ctx.net;
        let n = net.node_count();
        let (s, t) = (req.source.idx(), req.target.idx());
        // The cooperative join rule depends on each forwarder's in and out channel, which a
        // flow does not have: refused (the engine then routes the amount part by part).
        if s == t || req.amount.0 == 0 || req.join.is_some() {
            return Err(NoRoute::NoPath);
        }
        let units = self.p.units.max(1) as u64;
        let q = req.amount.0.div_ceil(units).max(1);
        let need = req.amount.0.div_ceil(q) as i64;
        // Candidate edges: every directed edge that can carry at least one unit.
        let mut cand: Vec<(u32, u32, &InEdge)> = Vec::new();
        for v in 0..n {
            for e in net.in_edges(NodeId(v as u32)) {
                let u = e.from as usize;
                if e.max_amount < q
                    || (e.from_is_leaf && u != s)
                    || v == s
                    || u == t
                    || req.exclude.contains(&(ChannelId(e.chan), e.dir))
                    || req.avoid.is_some_and(|a| a.idx() == u || a.idx() == v)
                {
                    continue;
                }
                if u == s {
                    let ch = &net.channels()[e.chan as usize];
                    if ch.spendable(e.dir as usize).0.min(e.max_amount) < q {
                        continue;
                    }
                }
                cand.push((u as u32, v as u32, e));
            }
        }
        // Pruning (the flow is solved on near-shortest paths only): hop distances from the
        // source (`ds`) and to the target (`dt`) over the candidates, then only edges
        // u → v on a path of at most `shortest + slack` hops (`ds[u] + 1 + dt[v]`) are kept.
        let limit = u32::from(ctx.params.max_hops);
        let (mut ds, mut dt) = (Vec::new(), Vec::new());
        hop_levels(&cand, n, s, limit, false, &mut ds);
        if ds[t] == u32::MAX {
            return Err(NoRoute::NoPath);
        }
        let reach = (ds[t] + self.p.slack).min(limit);
        hop_levels(&cand, n, t, reach, true, &mut dt);
        // Kept nodes, renumbered densely (in node order, so the result is deterministic).
        let mut id = vec![u32::MAX; n];
        let keep = |u: usize, v: usize| {
            ds[u] != u32::MAX && dt[v] != u32::MAX && ds[u] + 1 + dt[v] <= reach
        };
        for &(u, v, _) in cand.iter() {
            if keep(u as usize, v as usize) {
                id[u as usize] = 0;
                id[v as usize] = 0;
            }
        }
        let mut kept = 0usize;
        for x in id.iter_mut() {
            if *x == 0 {
                *x = kept as u32;
                kept += 1;
            }
        }
        let mut g: MinCostFlowGraph<i64> = MinCostFlowGraph::new(kept);
        // Arc index → directed edge (chan * 2 + dir).
        let mut arc_edge: Vec<usize> = Vec::new();
        for &(u, v, e) in cand.iter() {
            let (u, v) = (u as usize, v as usize);
            if !keep(u, v) {
                continue;
            }
            let (gu, gv) = (id[u] as usize, id[v] as usize);
            let k = e.chan as usize * 2 + e.dir as usize;
            if u == s {
                let ch = &net.channels()[e.chan as usize];
                let sp = ch.spendable(e.dir as usize).0.min(e.max_amount);
                g.add_edge(gu, gv, (sp / q) as i64, 0);
                arc_edge.push(k);
                continue;
            }
            let fee_cost = if req.is_fee_free(NodeId(e.from)) {
                0
            } else {
                (self.p.mu * e.fee_ppm as f64).round().max(0.0) as i64
            };
            let (a, b) = self.bounds(e);
            let sure = (a / q) as i64;
            if sure > 0 {
                g.add_edge(gu, gv, sure, fee_cost);
                arc_edge.push(k);
            }
            let pieces = self.p.pieces.max(1) as u64;
            let lo_units = a / q;
            let hi_units = b / q;
            let span = hi_units.saturating_sub(lo_units);
            if span == 0 {
                continue;
            }
            for i in 0..pieces {
                let from_u = lo_units + span * i / pieces;
                let to_u = lo_units + span * (i + 1) / pieces;
                if to_u <= from_u {
                    continue;
                }
                let (x0, x1) = ((from_u * q) as f64, (to_u * q) as f64);
                let d = neg_ln_p(x1.min(b as f64), a as f64, b as f64)
                    - neg_ln_p(x0.max(a as f64), a as f64, b as f64);
                let per_unit = (d / (to_u - from_u) as f64 * 1e6).max(0.0);
                let cost = (per_unit.min(1e12) as i64).saturating_add(fee_cost);
                g.add_edge(gu, gv, (to_u - from_u) as i64, cost);
                arc_edge.push(k);
            }
        }
        let (gs, gt) = (id[s] as usize, id[t] as usize);
        if gs >= kept || gt >= kept {
            return Err(NoRoute::NoPath);
        }
        let (flow, _cost) = g.flow(gs, gt, need);
        if flow == 0 {
            return Err(NoRoute::NoPath);
        }
        // Net flow per directed edge, then per node the outgoing flow edges.
        let mut fl: Vec<(usize, i64)> = Vec::new();
        for (i, &k) in arc_edge.iter().enumerate() {
            let f = g.get_edge(i).flow;
            if f > 0 {
                match fl.iter_mut().find(|x| x.0 == k) {
                    Some(x) => x.1 += f,
                    None => fl.push((k, f)),
                }
            }
        }
        fl.sort_unstable();
        let ends = |k: usize| {
            let ch = &net.channels()[k / 2];
            (ch.node(k % 2).idx(), ch.node(1 - k % 2).idx())
        };
        // Breadth-first decomposition.
        let mut paths: Vec<(Vec<usize>, i64)> = Vec::new();
        let mut prev: Vec<Option<usize>> = vec![None; n];
        let mut seen = vec![false; n];
        let mut queue: Vec<usize> = Vec::new();
        loop {
            seen.iter_mut().for_each(|x| *x = false);
            queue.clear();
            queue.push(s);
            seen[s] = true;
            let mut head = 0;
            while head < queue.len() && !seen[t] {
                let v = queue[head];
                head += 1;
                for (j, &(k, f)) in fl.iter().enumerate() {
                    let (a, b) = ends(k);
                    if a == v && f > 0 && !seen[b] {
                        seen[b] = true;
                        prev[b] = Some(j);
                        queue.push(b);
                    }
                }
            }
            if !seen[t] {
                break;
            }
            let mut p = Vec::new();
            let mut v = t;
            let mut bott = i64::MAX;
            while v != s {
                let j = prev[v].ok_or(NoRoute::NoPath)?;
                bott = bott.min(fl[j].1);
                p.push(j);
                v = ends(fl[j].0).0;
            }
            for &j in &p {
                fl[j].1 -= bott;
            }
            p.reverse();
            paths.push((p.iter().map(|&j| fl[j].0).collect(), bott));
        }
        paths.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
        paths.truncate(max_parts.max(1) as usize);
        let total: u64 = paths.iter().map(|p| p.1 as u64 * q).sum();
        let mut excess = total.saturating_sub(req.amount.0);
        out.clear();
        for (edges, units) in paths {
            let mut amount = units as u64 * q;
            let cut = excess.min(amount.saturating_sub(1));
            amount -= cut;
            excess -= cut;
            if let Some(r) = route_of(net, ctx, req, &edges, amount) {
                out.push(r);
            }
        }
        if out.is_empty() {
            Err(NoRoute::NoPath)
        } else {
            Ok(())
        }
    }
}

/// The hops of a path of directed edges delivering `amount`, fees computed backward, or
/// `None` when it breaks a route limit.
fn route_of(
    net: &Network,
    ctx: &RouteCtx<'_>,
    req: &RouteRequest<'_>,
    edges: &[usize],
    amount: u64,
) -> Option<Vec<Hop>> {
    let p = ctx.params;
    if edges.is_empty() || edges.len() > p.max_hops as usize {
        return None;
    }
    let mut hops = vec![
        Hop {
            chan: ChannelId(0),
            dir: 0,
            amount: Msat::ZERO
        };
        edges.len()
    ];
    let mut amt = amount;
    let mut cltv = p.final_cltv;
    for i in (0..edges.len()).rev() {
        let k = edges[i];
        let ch = &net.channels()[k / 2];
        let d = k % 2;
        let pol = ch.policy(d);
        let limit = pol.max_htlc.0.min(ch.capacity().0);
        if amt > limit || amt < pol.min_htlc.0 {
            return None;
        }
        hops[i] = Hop {
            chan: ChannelId((k / 2) as u32),
            dir: d as u8,
            amount: Msat(amt),
        };
        if i > 0 && !req.is_fee_free(ch.node(d)) {
            amt += pol.fee(Msat(amt)).0;
        }
        if i > 0 {
            cltv += pol.cltv_delta as u32;
        }
    }
    let first = &net.channels()[edges[0] / 2];
    if cltv > p.max_cltv
        || first.node(edges[0] % 2) != req.source
        || first.check_offer(edges[0] % 2, hops[0].amount).is_err()
    {
        return None;
    }
    Some(hops)
}

struct McfCost<'a> {
    r: &'a McfRouter,
    /// Fee-free forwarders (cooperative rebalancing) add no fee cost.
    req: &'a RouteRequest<'a>,
}

impl HopCost for McfCost<'_> {
    fn cost(&self, e: &InEdge, amount: u64, _fee: u64, own: bool) -> Option<u64> {
        if own {
            return Some(0);
        }
        let (a, b) = self.r.bounds(e);
        let unc = neg_ln_p(amount as f64, a as f64, b as f64);
        if !unc.is_finite() {
            return None;
        }
        let fee_cost = if self.req.is_fee_free(NodeId(e.from)) {
            0.0
        } else {
            self.r.p.mu * e.fee_ppm as f64 * self.r.p.units as f64
        };
        Some((unc * 1e6 + fee_cost).min(1e15) as u64)
    }
}

impl PathFinder for McfRouter {
    fn name(&self) -> &'static str {
        "mcf"
    }
    fn supports(&self) -> Features {
        Features {
            forced_hops: true,
            max_fee: true,
            exclude: true,
            flow: true,
        }
    }
    fn find_route(
        &mut self,
        ctx: &RouteCtx<'_>,
        req: &RouteRequest<'_>,
        out: &mut Vec<Hop>,
    ) -> Result<Msat, NoRoute> {
        self.load_overlay(ctx.net, req.source, ctx.now);
        let mut search = std::mem::take(&mut self.search);
        let r = search.run(ctx.net, req, ctx.params, &McfCost { r: self, req }, out);
        self.search = search;
        self.clear_overlay();
        r
    }
    fn plan_parts(
        &mut self,
        ctx: &RouteCtx<'_>,
        req: &RouteRequest<'_>,
        max_parts: u32,
        out: &mut Vec<Vec<Hop>>,
    ) -> Result<(), NoRoute> {
        self.load_overlay(ctx.net, req.source, ctx.now);
        let r = self.plan(ctx, req, max_parts, out);
        self.clear_overlay();
        r
    }
    fn learn_failure(
        &mut self,
        net: &Network,
        sender: NodeId,
        route: &[Hop],
        failed_hop: usize,
        now: SimTime,
    ) {
        self.knowledge
            .learn_failure(net, sender, route, failed_hop, now);
    }
    fn learn_success(&mut self, net: &Network, sender: NodeId, route: &[Hop], now: SimTime) {
        self.knowledge.learn_success(net, sender, route, now);
    }
}
