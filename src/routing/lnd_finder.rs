//! The `lnd` router as a [`PathFinder`]: today's [`super::lnd::Router`] (lnd 0.17's
//! `findPath` with the a-priori probability estimator) behind the trait, unchanged.
//!
//! Its knowledge is the engine's mission control (`ctx.mc`), so `learn_*` do nothing here.
//! Simplifications are those of `lnd.rs`. The bimodal estimator is not modelled yet.
//!
//! **Route limits: pcnsim vs lnd.** lnd's `findPath` (`routing/pathfind.go`, read at
//! commit 90ea05d, 2026) is a backward Dijkstra with **one label per node** (its `distance`
//! map is keyed by vertex). The CLTV limit is checked when an edge is relaxed (a label
//! whose `incomingCltv` exceeds the limit is dropped) and the only hop limit is the onion's
//! routing-info size (`sphinx.MaxRoutingPayloadSize`, checked the same way); there is no
//! second search. So when a limit binds, lnd itself may return a dearer route than the
//! cheapest feasible one, or none although one exists: a cheaper label with a larger CLTV
//! (or more hops) replaces a dearer one that would have stayed within the limit.
//! pcnsim's fast search does the same, but when a label dropped by the hop or CLTV limit
//! could have beaten the route found, a hop-indexed search (one label per node *and* hop
//! count) decides. That search is exact for the hop limit (`max_hops`, pcnsim's stand-in
//! for the payload size); for the CLTV limit it keeps more candidates than lnd (it finds
//! routes lnd can miss) but is not guaranteed cheapest, since two partial routes with the
//! same hop count keep only the cheaper label whatever their CLTV. In practice the CLTV
//! limit rarely binds: on the CLoTH snapshot (deltas up to 1,008, 727 of 60,914 above 144)
//! 5,000 payments of median 50,000 sat on one-sided balances gave a byte-identical
//! payments.csv with `max_cltv` 2016 and 1,000,000 (routes of at most 7 hops).

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
