//! The `ldk` router: LDK's `ProbabilisticScorer` (rust-lightning 0.0.118–0.0.123, the
//! defaults SimLN runs with), modelled.
//!
//! For each remote directed edge the sender keeps liquidity bounds `[min, max]`
//! ([`super::knowledge`]): a failure at a hop sets that hop's `max` below the amount and the
//! earlier hops' `min` to theirs; a success moves every hop's bounds down by its amount; the
//! offsets decay with `liquidity_offset_half_life` (LDK: 6 h). The success probability of
//! `amount` is linear in the bounds, `p = (max − amount) / (max − min)` (1 below `min`); the
//! penalty of a hop, added to its fee, is
//!
//! ```text
//! base_penalty (500 msat) + amount × 8192 / 2^30                         (base)
//! + (30 000 msat + 192 msat × amount / 2^20) × min(−log10 p, 2)          (liquidity)
//! + 100 000 sat when amount > max                                         (impossible)
//! ```
//!
//! as LDK's `ProbabilisticScoringFeeParameters::default()`. The sender's own channels cost
//! their (zero) fee only. The "SimLN preset" is these defaults.
//!
//! With `[routing] ldk_historical = true` the historical liquidity penalty is added
//! ([`super::ldk_history`]; LDK's defaults have it on, the SimLN preset here leaves it off
//! so that earlier results stay comparable).
//!
//! Simplifications: the linear success model (LDK's default since 0.0.118 is a nonlinear
//! one), no anti-probing penalty, one path per search (splitting is the engine's
//! `[routing] mpp`).

use super::knowledge::{decayed, Knowledge};
use super::ldk_history::{self, History};
use super::pathfinder::{Features, PathFinder, RouteCtx};
use super::registry::{RouterEntry, RouterSpec};
use super::search::{HopCost, Search};
use super::{Hop, NoRoute, RouteRequest};
use crate::network::{InEdge, Network};
use crate::topology::{ChannelId, NodeId};
use crate::units::{Msat, SimDuration, SimTime};

pub const ENTRY: RouterEntry = RouterEntry {
    name: "ldk",
    about: "LDK ProbabilisticScorer: fee + liquidity-bound penalties (the SimLN preset)",
    build,
};

/// `ProbabilisticScoringFeeParameters` and the decay half-life.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LdkParams {
    pub base_penalty_msat: u64,
    pub base_penalty_amount_multiplier_msat: u64,
    pub liquidity_penalty_multiplier_msat: u64,
    pub liquidity_penalty_amount_multiplier_msat: u64,
    pub considered_impossible_penalty_msat: u64,
    pub liquidity_offset_half_life: SimDuration,
    /// Edges remembered per sender.
    pub memory: usize,
    /// Add the historical-bucket penalty ([`super::ldk_history`]).
    pub historical: bool,
    /// `historical_no_updates_half_life`.
    pub historical_half_life: SimDuration,
}

impl Default for LdkParams {
    fn default() -> Self {
        LdkParams {
            base_penalty_msat: 500,
            base_penalty_amount_multiplier_msat: 8192,
            liquidity_penalty_multiplier_msat: 30_000,
            liquidity_penalty_amount_multiplier_msat: 192,
            considered_impossible_penalty_msat: 100_000_000,
            liquidity_offset_half_life: SimDuration::from_secs(6 * 3600),
            memory: 256,
            historical: false,
            historical_half_life: SimDuration::from_secs(ldk_history::DEFAULT_HALF_LIFE_S),
        }
    }
}

fn build(spec: &RouterSpec, nodes: usize, channels: usize) -> Box<dyn PathFinder> {
    Box::new(LdkRouter::new(spec.ldk, nodes, channels))
}

/// LDK's route search with every sender's liquidity knowledge.
pub struct LdkRouter {
    p: LdkParams,
    search: Search,
    pub knowledge: Knowledge,
    /// Per directed edge (`chan * 2 + dir`): the sender's decayed bounds during a search.
    overlay: Vec<Option<(u64, u64)>>,
    touched: Vec<usize>,
    /// Per sender, the bound histories (with `historical`), at most `memory` each.
    history: Vec<Vec<History>>,
    /// Per directed edge during a search: index into `loaded`, or `u32::MAX`.
    hist_at: Vec<u32>,
    loaded: Vec<History>,
}

impl LdkRouter {
    pub fn new(p: LdkParams, nodes: usize, channels: usize) -> Self {
        LdkRouter {
            p,
            search: Search::new(nodes, channels),
            knowledge: Knowledge::new(nodes, p.memory, p.liquidity_offset_half_life),
            overlay: vec![None; channels * 2],
            touched: Vec::new(),
            history: Vec::new(),
            hist_at: Vec::new(),
            loaded: Vec::new(),
        }
    }

    /// Records `sender`'s current bounds of every remote hop of `route` in its histories.
    fn track(&mut self, net: &Network, sender: NodeId, route: &[Hop], upto: usize, now: SimTime) {
        if !self.p.historical {
            return;
        }
        if self.history.len() <= sender.idx() {
            self.history.resize(sender.idx() + 1, Vec::new());
        }
        let hl = self.p.historical_half_life;
        for h in route.iter().take(upto + 1).skip(1) {
            let Some(b) = self
                .knowledge
                .entries(sender)
                .iter()
                .find(|b| b.chan == h.chan.0 && b.dir == h.dir)
            else {
                continue;
            };
            let cap = net.chan(h.chan).capacity().0;
            let v = &mut self.history[sender.idx()];
            let mut e = match v.iter().position(|x| x.chan == h.chan.0 && x.dir == h.dir) {
                Some(i) => v.remove(i),
                None => {
                    if v.len() >= self.p.memory.max(1) {
                        v.remove(0);
                    }
                    History::new(h.chan.0, h.dir, now)
                }
            };
            e.track(b.min, b.max, cap, now, hl);
            v.push(e);
        }
    }

    /// Writes `sender`'s bounds into the overlay (undone by [`Self::clear_overlay`]).
    pub(crate) fn load_overlay(&mut self, net: &Network, sender: NodeId, now: SimTime) {
        if self.overlay.len() < net.channel_count() * 2 {
            self.overlay.resize(net.channel_count() * 2, None);
        }
        for b in self.knowledge.entries(sender) {
            let cap = net.chan(ChannelId(b.chan)).capacity().0;
            let k = b.chan as usize * 2 + b.dir as usize;
            self.overlay[k] = Some(decayed(b, cap, now, self.p.liquidity_offset_half_life));
            self.touched.push(k);
        }
        if self.p.historical {
            if self.hist_at.len() < net.channel_count() * 2 {
                self.hist_at.resize(net.channel_count() * 2, u32::MAX);
            }
            self.loaded.clear();
            if let Some(v) = self.history.get(sender.idx()) {
                for h in v {
                    let k = h.chan as usize * 2 + h.dir as usize;
                    self.hist_at[k] = self.loaded.len() as u32;
                    self.loaded
                        .push(h.decayed(now, self.p.historical_half_life));
                }
            }
        }
    }

    pub(crate) fn clear_overlay(&mut self) {
        for &k in &self.touched {
            self.overlay[k] = None;
        }
        self.touched.clear();
        for h in &self.loaded {
            self.hist_at[h.chan as usize * 2 + h.dir as usize] = u32::MAX;
        }
        self.loaded.clear();
    }
}

struct LdkCost<'a> {
    p: &'a LdkParams,
    overlay: &'a [Option<(u64, u64)>],
    hist_at: &'a [u32],
    loaded: &'a [History],
}

impl HopCost for LdkCost<'_> {
    fn cost(&self, e: &InEdge, amount: u64, fee: u64, own: bool) -> Option<u64> {
        if own {
            return Some(fee);
        }
        let k = e.chan as usize * 2 + e.dir as usize;
        let (min, max) = self
            .overlay
            .get(k)
            .copied()
            .flatten()
            .unwrap_or((0, e.max_amount));
        let p = self.p;
        let base = p.base_penalty_msat
            + ((amount as u128 * p.base_penalty_amount_multiplier_msat as u128) >> 30) as u64;
        let liq = if amount <= min {
            0
        } else if amount > max {
            p.considered_impossible_penalty_msat
        } else {
            let prob = (max - amount) as f64 / (max - min).max(1) as f64;
            let nlog = if prob > 0.0 {
                (-prob.log10()).min(2.0)
            } else {
                2.0
            };
            let mult = p.liquidity_penalty_multiplier_msat as f64
                + p.liquidity_penalty_amount_multiplier_msat as f64 * amount as f64
                    / (1u64 << 20) as f64;
            (mult * nlog) as u64
        };
        let hist = if p.historical {
            let h = self
                .hist_at
                .get(k)
                .and_then(|&i| self.loaded.get(i as usize));
            ldk_history::penalty(h, amount, e.max_amount)
        } else {
            0
        };
        Some(fee + base + liq + hist)
    }
}

impl PathFinder for LdkRouter {
    fn name(&self) -> &'static str {
        "ldk"
    }
    fn supports(&self) -> Features {
        Features {
            forced_hops: true,
            max_fee: true,
            exclude: true,
            flow: false,
        }
    }
    fn find_route(
        &mut self,
        ctx: &RouteCtx<'_>,
        req: &RouteRequest<'_>,
        out: &mut Vec<Hop>,
    ) -> Result<Msat, NoRoute> {
        self.load_overlay(ctx.net, req.source, ctx.now);
        let cost = LdkCost {
            p: &self.p,
            overlay: &self.overlay,
            hist_at: &self.hist_at,
            loaded: &self.loaded,
        };
        let r = self.search.run(ctx.net, req, ctx.params, &cost, out);
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
        self.track(net, sender, route, failed_hop, now);
    }
    fn learn_success(&mut self, net: &Network, sender: NodeId, route: &[Hop], now: SimTime) {
        self.knowledge.learn_success(net, sender, route, now);
        self.track(net, sender, route, route.len(), now);
    }
}
