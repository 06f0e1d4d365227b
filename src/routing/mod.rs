//! The routing layer: how a sender finds a route, and what it remembers of failures.
//!
//! A router reads the [`Network`](crate::network::Network) as its sender knows it (every
//! channel's capacity and policy from the public graph, balances of the sender's own
//! channels only) and writes a route; it never mutates the network. Every router implements
//! [`pathfinder::PathFinder`] and has one line in [`registry::ROUTERS`]: `lnd`
//! ([`lnd_finder`] over [`lnd`]), [`cln`], [`ldk`] and [`mcf`]; [`search`] is the additive-cost
//! Dijkstra the last three share, [`heap`] the searches' priority queue, [`knowledge`] the
//! liquidity bounds senders learn.
//!
//! Depends on `network`, `topology`, `units`; nothing above (no engine, no strategy).

pub mod bimodal;
pub mod cln;
pub mod crosschain;
pub mod heap;
pub mod knowledge;
pub mod ldk;
pub mod ldk_history;
pub mod lnd;
pub mod lnd_finder;
pub mod mcf;
pub mod pathfinder;
pub mod registry;
pub mod search;
#[cfg(test)]
mod tests;

pub use lnd::Router;

use crate::topology::{ChannelId, NodeId};
use crate::units::{Msat, SimDuration, SimTime};

/// Path-finding parameters (the `[routing]` scenario table, resolved).
#[derive(Debug, Clone)]
pub struct RouterParams {
    /// lnd's `RiskFactorBillionths` (15): cost of locking 1 msat for one CLTV block.
    pub risk_factor_billionths: u64,
    /// Fixed part of the cost of one failed attempt (lnd: 100 sat).
    pub attempt_cost: Msat,
    /// Proportional part of the attempt cost, ppm of the amount (lnd: 1000).
    pub attempt_cost_ppm: u64,
    /// Probability that an unknown remote hop can forward (lnd's a-priori: 0.6).
    pub apriori: f64,
    /// Half-life of a failure's effect in mission control.
    pub penalty_half_life: SimDuration,
    /// Paths whose estimated probability is lower are not taken (lnd: 0.01).
    pub min_probability: f64,
    pub max_hops: u8,
    /// Largest total CLTV of a route, in blocks (lnd: 2016).
    pub max_cltv: u32,
    /// CLTV the receiver asks for (lnd: 40 blocks as `final_cltv_delta`).
    pub final_cltv: u32,
    /// Entries of mission control kept per sender (the oldest is forgotten first).
    pub memory: usize,
    /// Order the search with the A* hop bound (see [`Router::find_route`]). Off: plain
    /// Dijkstra on lnd's cost. Both settle on the same labels' costs; A* touches far fewer
    /// nodes.
    pub astar: bool,
}

impl Default for RouterParams {
    fn default() -> Self {
        RouterParams {
            risk_factor_billionths: 15,
            attempt_cost: Msat::from_sat(100),
            attempt_cost_ppm: 1000,
            apriori: 0.6,
            penalty_half_life: SimDuration::from_secs(3600),
            min_probability: 0.01,
            max_hops: 20,
            max_cltv: 2016,
            final_cltv: 40,
            memory: 64,
            astar: true,
        }
    }
}

/// One hop of a route: the channel, its direction and the amount it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hop {
    pub chan: ChannelId,
    /// Side of the node that sends over this hop.
    pub dir: u8,
    /// Amount carried over this hop (the payment plus the fees of every later hop).
    pub amount: Msat,
}

/// What a route search is asked.
#[derive(Debug, Clone, Copy)]
pub struct RouteRequest<'a> {
    pub source: NodeId,
    pub target: NodeId,
    /// Amount the target must receive.
    pub amount: Msat,
    /// Force the first hop (circular rebalancing: out through this channel of `source`).
    pub first_hop: Option<ChannelId>,
    /// Force the last hop (circular rebalancing: back in through this channel of `target`).
    pub last_hop: Option<ChannelId>,
    /// Directed edges (channel, dir) this payment already saw fail.
    pub exclude: &'a [(ChannelId, u8)],
    /// Routes whose fees exceed this are refused.
    pub max_fee: Option<Msat>,
    /// Nodes the route must avoid (besides the exclusions).
    pub avoid: Option<NodeId>,
    /// Fee-free forwarders (indexed by node; `true` = forwards this payment without a fee):
    /// cooperative rebalancing among a strategy's participants. The search prices their
    /// hops at zero fee, so routes through them are preferred, and checks the fee limit and
    /// every HTLC limit on the amounts actually locked. `None`: everyone charges.
    pub fee_free: Option<&'a [bool]>,
    /// Cooperative rebalancing: asked for every intermediary with the channel it would
    /// receive over, the one it would send over and the amount arriving; a `false` keeps
    /// the route away from that (node, in, out). Honoured by the hop-indexed search, which
    /// every request with a rule uses. `None`: every forwarder joins.
    pub join: Option<JoinRule<'a>>,
}

/// A forwarder's consent to a cooperative rebalance: `(node, in_chan, out_chan, amount)`
/// → joins. See [`RouteRequest::join`].
#[derive(Clone, Copy)]
pub struct JoinRule<'a>(pub &'a dyn Fn(NodeId, ChannelId, ChannelId, Msat) -> bool);

impl std::fmt::Debug for JoinRule<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JoinRule(..)")
    }
}

impl<'a> RouteRequest<'a> {
    /// A plain payment of `amount` from `source` to `target`: no forced hops, no
    /// exclusions, no fee limit, nobody fee-free. Callers set what differs.
    pub fn new(source: NodeId, target: NodeId, amount: Msat) -> Self {
        RouteRequest {
            source,
            target,
            amount,
            first_hop: None,
            last_hop: None,
            exclude: &[],
            max_fee: None,
            avoid: None,
            fee_free: None,
            join: None,
        }
    }

    /// Does `v` forward this payment without a fee?
    #[inline]
    pub fn is_fee_free(&self, v: NodeId) -> bool {
        self.fee_free
            .is_some_and(|f| f.get(v.idx()).copied().unwrap_or(false))
    }
}

/// A failure remembered by a sender's mission control.
#[derive(Debug, Clone, Copy)]
pub struct McEntry {
    pub chan: u32,
    pub dir: u8,
    pub time: SimTime,
    /// The amount that failed: amounts at least this large are penalised.
    pub amount: Msat,
}

/// Per-sender memory of recent failures. Sparse: only senders that saw failures hold
/// entries, at most `memory` each.
#[derive(Debug, Clone, Default)]
pub struct MissionControl {
    per_node: Vec<Vec<McEntry>>,
}

impl MissionControl {
    pub fn new(nodes: usize) -> Self {
        MissionControl {
            per_node: vec![Vec::new(); nodes],
        }
    }
    /// Records that `(chan, dir)` failed to carry `amount` at `time`, seen by `sender`.
    pub fn record_failure(&mut self, sender: NodeId, e: McEntry, memory: usize) {
        let v = &mut self.per_node[sender.idx()];
        if let Some(old) = v.iter_mut().find(|o| o.chan == e.chan && o.dir == e.dir) {
            *old = e;
            return;
        }
        if v.len() >= memory.max(1) {
            v.remove(0);
        }
        v.push(e);
    }
    pub fn entries(&self, sender: NodeId) -> &[McEntry] {
        &self.per_node[sender.idx()]
    }
    pub fn grow(&mut self, nodes: usize) {
        self.per_node.resize(nodes, Vec::new());
    }
}

/// Why no route was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoRoute {
    /// No path with enough capacity (or local balance) exists.
    NoPath,
    /// A route within every other limit exists, but the fee limit excludes it (a second
    /// search without the fee limit found one).
    FeeLimit,
}
