//! The `lnd` router as a [`PathFinder`]: today's [`super::lnd::Router`] (lnd 0.17's
//! `findPath` with the a-priori probability estimator) behind the trait, unchanged.
//!
//! Its knowledge is the engine's mission control (`ctx.mc`), so `learn_*` do nothing here.
//! Simplifications are those of `lnd.rs`. The bimodal estimator is not modelled yet.

use super::pathfinder::{Features, PathFinder, RouteCtx};
use super::registry::{RouterEntry, RouterSpec};
use super::{lnd, Hop, NoRoute, RouteRequest};
use crate::units::Msat;

pub const ENTRY: RouterEntry = RouterEntry {
    name: "lnd",
    about: "lnd: fee + CLTV risk + attempt cost / a-priori probability, mission control",
    build,
};

fn build(_: &RouterSpec, nodes: usize, channels: usize) -> Box<dyn PathFinder> {
    Box::new(LndFinder(lnd::Router::new(nodes, channels)))
}

/// lnd's search with its reusable buffers.
pub struct LndFinder(pub lnd::Router);

impl PathFinder for LndFinder {
    fn name(&self) -> &'static str {
        "lnd"
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
        self.0
            .find_route(ctx.net, req, ctx.mc, ctx.now, ctx.params, out)
    }
}
