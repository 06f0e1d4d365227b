//! The `cln` router: Core Lightning's `pay` plugin (v23.x: `common/route.c` +
//! `common/dijkstra.c`, `plugins/libplugin-pay.c`), modelled.
//!
//! Cost of a hop, as CLN's `route_score_cheaper` orders routes: the forwarding fee scaled by
//! a per-payment *fuzz* (each channel's fee × (1 ± `fuzz`), default 5 %, drawn from a hash
//! of the channel and the payment so it is reproducible), plus the time-lock *risk*
//! `amount × cltv_delta × riskfactor / (52 596 blocks/year × 100)` (riskfactor 10 %/year),
//! plus a 1 msat bias per hop (shorter routes win ties), plus CLN's capacity bias
//! `−ln((capacity + 1 − amount) / (capacity + 1))` (weighted by `bias`, default 1 msat as in
//! CLN). The sender's own first hop costs nothing.
//!
//! Retry behaviour: CLN's `pay` retries until `retry_for` (here the payment's deadline,
//! `routing.timeout_s`), not a number of attempts; a failed channel becomes a *channel
//! hint* (it cannot carry this amount); hints relax linearly back to the capacity over
//! `routing.penalty_half_life_s` (CLN ≥ 24.02 relaxes them over an hour). The hints are the
//! engine's mission-control entries. The default fee limit is CLN's `maxfeepercent` 0.5 %
//! with `exemptfee` 5 sat.
//!
//! Simplifications: no `presplit`/adaptive splitter of its own (splitting is the engine's
//! `[routing] mpp`), no shadow route, no route exclusion by node reputation.

use super::pathfinder::{Features, PathFinder, RetryPolicy, RouteCtx};
use super::registry::{RouterEntry, RouterSpec};
use super::search::{HopCost, Search};
use super::{Hop, NoRoute, RouteRequest};
use crate::network::InEdge;
use crate::units::Msat;

pub const ENTRY: RouterEntry = RouterEntry {
    name: "cln",
    about: "Core Lightning pay: fuzzed fee + CLTV risk, channel hints, retry until timeout",
    build,
};

/// CLN's `pay` options.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClnParams {
    /// `riskfactor`, percent per year (CLN default 10).
    pub riskfactor: f64,
    /// `fuzzpercent` / 100 (CLN default 0.05).
    pub fuzz: f64,
    /// Weight of the capacity bias in msat (CLN adds it unweighted: 1).
    pub bias: f64,
    /// `maxfeepercent` as ppm of the amount (CLN default 0.5 % = 5000).
    pub maxfee_ppm: u64,
    /// `exemptfee` (CLN default 5 sat).
    pub exemptfee: Msat,
}

impl Default for ClnParams {
    fn default() -> Self {
        ClnParams {
            riskfactor: 10.0,
            fuzz: 0.05,
            bias: 1.0,
            maxfee_ppm: 5000,
            exemptfee: Msat::from_sat(5),
        }
    }
}

const BLOCKS_PER_YEAR: f64 = 52_596.0;

fn build(spec: &RouterSpec, nodes: usize, channels: usize) -> Box<dyn PathFinder> {
    Box::new(ClnRouter {
        p: spec.cln,
        search: Search::new(nodes, channels),
        hint: vec![u64::MAX; channels * 2],
        touched: Vec::new(),
    })
}

/// CLN's route search with its channel hints.
pub struct ClnRouter {
    p: ClnParams,
    search: Search,
    /// Per directed edge (`chan * 2 + dir`): the largest amount it is believed to carry.
    hint: Vec<u64>,
    touched: Vec<usize>,
}

struct ClnCost<'a> {
    p: &'a ClnParams,
    hint: &'a [u64],
    seed: u64,
}

/// SplitMix64: a fixed, portable mixer (no `DefaultHasher`).
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl HopCost for ClnCost<'_> {
    fn cost(&self, e: &InEdge, amount: u64, fee: u64, own: bool) -> Option<u64> {
        let k = e.chan as usize * 2 + e.dir as usize;
        if amount >= self.hint.get(k).copied().unwrap_or(u64::MAX) {
            return None;
        }
        if own {
            return Some(0);
        }
        // Uniform in [-1, 1) from the channel and the payment.
        let u = (mix(self.seed ^ k as u64) >> 11) as f64 / (1u64 << 52) as f64 - 1.0;
        let fuzzed = fee as f64 * (1.0 + self.p.fuzz * u);
        let risk =
            amount as f64 * e.cltv_delta as f64 * self.p.riskfactor / (BLOCKS_PER_YEAR * 100.0);
        let cap = e.max_amount as f64;
        let bias = if cap > 0.0 {
            -((cap + 1.0 - amount as f64) / (cap + 1.0)).ln() * self.p.bias
        } else {
            0.0
        };
        Some((fuzzed + risk + bias).max(0.0) as u64 + 1)
    }
}

impl PathFinder for ClnRouter {
    fn name(&self) -> &'static str {
        "cln"
    }
    fn supports(&self) -> Features {
        Features {
            forced_hops: true,
            max_fee: true,
            exclude: true,
            flow: false,
        }
    }
    fn retry_policy(&self) -> RetryPolicy {
        // Until the deadline (each failure removes an edge, so this ends).
        RetryPolicy {
            max_attempts: Some(u32::MAX),
        }
    }
    fn find_route(
        &mut self,
        ctx: &RouteCtx<'_>,
        req: &RouteRequest<'_>,
        out: &mut Vec<Hop>,
    ) -> Result<Msat, NoRoute> {
        let net = ctx.net;
        if self.hint.len() < net.channel_count() * 2 {
            self.hint.resize(net.channel_count() * 2, u64::MAX);
        }
        let hl = ctx.params.penalty_half_life.micros().max(1) as f64;
        for e in ctx.mc {
            if e.chan as usize >= net.channel_count() {
                continue;
            }
            let cap = net.chan(crate::topology::ChannelId(e.chan)).capacity().0 as f64;
            let age = ctx.now.since(e.time).micros() as f64;
            let est = e.amount.0 as f64 + (cap - e.amount.0 as f64).max(0.0) * (age / hl).min(1.0);
            let k = e.chan as usize * 2 + e.dir as usize;
            self.hint[k] = self.hint[k].min(est as u64);
            self.touched.push(k);
        }
        let limited;
        let req = if req.max_fee.is_none() {
            let mf = req.amount.mul_ppm(self.p.maxfee_ppm).max(self.p.exemptfee);
            limited = RouteRequest {
                max_fee: Some(mf),
                ..*req
            };
            &limited
        } else {
            req
        };
        let seed = mix(((req.source.0 as u64) << 32 | req.target.0 as u64) ^ mix(req.amount.0));
        let cost = ClnCost {
            p: &self.p,
            hint: &self.hint,
            seed,
        };
        let r = self.search.run(net, req, ctx.params, &cost, out);
        for &k in &self.touched {
            self.hint[k] = u64::MAX;
        }
        self.touched.clear();
        r
    }
}
