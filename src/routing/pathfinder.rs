//! The [`PathFinder`] trait: what every router offers the engine.
//!
//! A router answers route requests for one run, for every sender, from what that sender
//! knows: the public graph (capacities and policies), its own channels' balances, and
//! what it learned from its own payments' outcomes. The engine owns the shared
//! lnd-style mission control (`ctx.mc`, the sender's failures); routers that keep richer
//! knowledge (LDK's liquidity bounds, the min-cost-flow router's bounds) keep it inside,
//! keyed by sender, and update it through [`PathFinder::learn_failure`] and
//! [`PathFinder::learn_success`].
//!
//! Depends on `network`, `topology`, `units`; it never mutates the network.

use super::{Hop, McEntry, NoRoute, RouteRequest, RouterParams};
use crate::network::Network;
use crate::topology::NodeId;
use crate::units::{Msat, SimTime};

/// What a search may read: the network as the sender sees it, the sender's mission-control
/// entries, the time and the (possibly per-payment) parameters.
#[derive(Clone, Copy)]
pub struct RouteCtx<'a> {
    pub net: &'a Network,
    pub mc: &'a [McEntry],
    pub now: SimTime,
    pub params: &'a RouterParams,
}

/// Which [`RouteRequest`] features a router honours (the others it must refuse with
/// [`NoRoute::NoPath`] rather than ignore; the engine checks at configuration time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Features {
    /// `first_hop` / `last_hop` (circular rebalancing).
    pub forced_hops: bool,
    /// `max_fee`.
    pub max_fee: bool,
    /// `exclude` and `avoid`.
    pub exclude: bool,
    /// [`PathFinder::plan_parts`] plans a whole multi-part flow at once.
    pub flow: bool,
}

/// How the engine retries a payment routed by this router.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per payment; `None`: the scenario's `routing.max_attempts`.
    pub max_attempts: Option<u32>,
}

/// A route-finding algorithm with its knowledge of the network.
///
/// Contract of every route returned (checked for every router by
/// `routing::tests::route_contract`): consecutive hops connect from `req.source` to
/// `req.target`; the last hop carries `req.amount` and each earlier hop the next one plus
/// its forwarder's fee; every hop respects its channel's htlc minimum and maximum and
/// capacity; the sender's own first hop can be offered now; at most `max_hops` hops and
/// `max_cltv` blocks in total; no excluded edge.
pub trait PathFinder: Send {
    /// The registry name (`lnd`, `cln`, `ldk`, `mcf`).
    fn name(&self) -> &'static str;
    fn supports(&self) -> Features;
    fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy { max_attempts: None }
    }
    /// One route for the whole `req.amount`, written into `out` (cleared first); returns
    /// the total fee.
    fn find_route(
        &mut self,
        ctx: &RouteCtx<'_>,
        req: &RouteRequest<'_>,
        out: &mut Vec<Hop>,
    ) -> Result<Msat, NoRoute>;
    /// A multi-part plan for `req.amount`: at most `max_parts` routes whose delivered
    /// amounts (the last hops) add up to at most `req.amount` (the engine routes any
    /// remainder part by part). Routers without `supports().flow` return `NoPath`.
    fn plan_parts(
        &mut self,
        _ctx: &RouteCtx<'_>,
        _req: &RouteRequest<'_>,
        _max_parts: u32,
        _out: &mut Vec<Vec<Hop>>,
    ) -> Result<(), NoRoute> {
        Err(NoRoute::NoPath)
    }
    /// `sender`'s attempt over `route` failed at hop `failed_hop` (the hops before it
    /// forwarded).
    fn learn_failure(
        &mut self,
        _net: &Network,
        _sender: NodeId,
        _route: &[Hop],
        _failed_hop: usize,
        _now: SimTime,
    ) {
    }
    /// `sender`'s attempt over `route` settled.
    fn learn_success(&mut self, _net: &Network, _sender: NodeId, _route: &[Hop], _now: SimTime) {}
}
