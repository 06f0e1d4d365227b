//! Rebalancing strategies: policy objects that observe and return actions as data.
//!
//! A strategy never mutates the network. It gets a read-only [`View`] (the network as its
//! nodes know it: their own channels exactly, the rest as the public graph), an
//! [`Observation`] and its own random stream, and pushes [`Action`]s. The engine validates
//! and carries them out (as real HTLCs, or as on-chain transactions through the chain model),
//! so funds can only move in one place. A new strategy is one new file in this folder plus
//! one line in [`registry`].

use crate::network::{ChannelStatus, Network};
use crate::rng::SimRng;
pub mod circular;
pub mod common;
pub mod jit;
pub mod none;
pub mod participation;
pub mod periodic;
pub mod proactive;
pub mod registry;
#[cfg(test)]
mod tests;
pub mod topup;

use crate::topology::{ChannelId, FeePolicy, NodeId};
use crate::units::{Msat, SimDuration, SimTime};
pub use none::NoStrategy;
pub use participation::Participation;
pub use registry::StrategySpec;

/// What a strategy may look at: what its nodes know.
///
/// A node knows its own channels exactly (both sides' balances, in-flight HTLCs: the
/// channel's co-signed state) through [`View::own`] and [`View::locals`]; of every other
/// channel only what the public graph says (endpoints, capacity, fee policy, whether it is
/// open) through [`View::public`]. A strategy that needs every balance is a
/// [`CoordinatedStrategy`] and gets a [`GlobalView`].
pub struct View<'a> {
    pub now: SimTime,
    /// Current chain height.
    pub height: u64,
    /// Current on-chain fee rate, sat per vbyte.
    pub feerate_sat_vb: f64,
    /// Whether each node participates in the strategy.
    pub participates: &'a [bool],
    net: &'a Network,
    /// Multi-chain runs: each channel's chain (empty in a single-chain run).
    chan_chain: &'a [u8],
    /// Multi-chain runs: each chain's exchange rate now, ppb of the reference unit.
    rates: &'a [u64],
}

/// One open channel of a node, from that node's side: what the node knows of it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Local {
    pub chan: ChannelId,
    /// The node's side of the channel.
    pub side: usize,
    /// Balance plus own in-flight HTLCs, msat.
    pub local: u64,
    pub capacity: u64,
    /// What the node can send over it now (above its reserve), msat.
    pub spendable: u64,
    /// What the peer can send to the node over it now, msat.
    pub inbound: u64,
}

impl Local {
    /// Local share: `local / capacity` (0 for an empty channel).
    pub fn share(&self) -> f64 {
        if self.capacity == 0 {
            0.0
        } else {
            self.local as f64 / self.capacity as f64
        }
    }
}

/// The public channel graph (gossip): endpoints, capacities, policies, open or not. No
/// balances.
#[derive(Clone, Copy)]
pub struct PublicGraph<'a> {
    net: &'a Network,
}

impl<'a> PublicGraph<'a> {
    pub fn node_count(&self) -> usize {
        self.net.node_count()
    }
    pub fn channel_count(&self) -> usize {
        self.net.channel_count()
    }
    /// Channels of `v` (open or not), in channel-id order.
    pub fn channels_of(&self, v: NodeId) -> impl Iterator<Item = ChannelId> + 'a {
        self.net.channels_of(v)
    }
    pub fn nodes(&self, c: ChannelId) -> [NodeId; 2] {
        self.net.chan(c).nodes()
    }
    pub fn capacity(&self, c: ChannelId) -> Msat {
        self.net.chan(c).capacity()
    }
    /// The policy side `d` of `c` announces for forwarding out over it.
    pub fn policy(&self, c: ChannelId, d: usize) -> FeePolicy {
        *self.net.chan(c).policy(d)
    }
    pub fn is_open(&self, c: ChannelId) -> bool {
        self.net.chan(c).status() == ChannelStatus::Open
    }
}

impl<'a> View<'a> {
    /// The view of the network `net` at time `now` (built by the engine).
    pub fn new(
        net: &'a Network,
        now: SimTime,
        height: u64,
        feerate_sat_vb: f64,
        participates: &'a [bool],
    ) -> Self {
        View {
            now,
            height,
            feerate_sat_vb,
            participates,
            net,
            chan_chain: &[],
            rates: &[],
        }
    }

    /// The same view with the chain of every channel and every chain's rate now
    /// (multi-chain runs).
    pub fn with_chains(mut self, chan_chain: &'a [u8], rates: &'a [u64]) -> Self {
        self.chan_chain = chan_chain;
        self.rates = rates;
        self
    }

    /// Whether the run has several chains.
    pub fn multi_chain(&self) -> bool {
        !self.rates.is_empty()
    }

    /// The chain channel `c` belongs to (0 in a single-chain run).
    pub fn chain_of(&self, c: ChannelId) -> usize {
        self.chan_chain.get(c.idx()).map_or(0, |&k| k as usize)
    }

    /// The exchange rate of chain `k` now, ppb of the reference unit (1 in a single-chain
    /// run: only ratios matter).
    pub fn rate(&self, k: usize) -> u64 {
        self.rates.get(k).copied().unwrap_or(1)
    }

    /// Channel `chan` as `node` sees it, if it is `node`'s own and open.
    #[inline]
    pub fn own(&self, node: NodeId, chan: ChannelId) -> Option<Local> {
        let ch = self.net.channels().get(chan.idx())?;
        let d = ch.side_of(node)?;
        (ch.status() == ChannelStatus::Open).then(|| Local {
            chan,
            side: d,
            local: ch.local(d).0,
            capacity: ch.capacity().0,
            spendable: ch.spendable(d).0,
            inbound: ch.spendable(1 - d).0,
        })
    }

    /// Fills `out` with `node`'s open channels as it sees them, in channel-id order.
    /// O(deg).
    pub fn locals(&self, node: NodeId, out: &mut Vec<Local>) {
        out.clear();
        out.extend(self.net.channels_of(node).filter_map(|c| self.own(node, c)));
    }

    /// The public graph.
    pub fn public(&self) -> PublicGraph<'a> {
        PublicGraph { net: self.net }
    }
}

/// What a [`CoordinatedStrategy`] sees: everything a [`View`] has, plus every channel's
/// live state (a central coordinator, e.g. a Revive-style planner).
pub struct GlobalView<'a> {
    pub view: View<'a>,
}

impl<'a> GlobalView<'a> {
    /// The whole network, every balance included.
    pub fn network(&self) -> &'a Network {
        self.view.net
    }
}

impl<'a> std::ops::Deref for GlobalView<'a> {
    type Target = View<'a>;
    fn deref(&self) -> &View<'a> {
        &self.view
    }
}

/// Something the strategy is told.
#[derive(Debug, Clone, PartialEq)]
pub enum Observation {
    /// Once, at the start of the run.
    Start,
    /// A timer it set fired.
    Timer { node: NodeId, tag: u64 },
    /// A balance of a participating node changed on `chan` (after a settle).
    BalanceChanged { node: NodeId, chan: ChannelId },
    /// A participating node was asked to forward `amount` out over `chan` (its side `dir`)
    /// and lacks the balance. The HTLC is identified by `hold`; answering with
    /// [`Action::HoldForRebalance`] keeps it pending while the node rebalances.
    ForwardBlocked {
        node: NodeId,
        chan: ChannelId,
        amount: Msat,
        hold: u64,
    },
    /// A rebalance the strategy asked for finished (for a just-in-time rebalance, `tag` is
    /// the hold it was made for).
    RebalanceDone {
        node: NodeId,
        tag: u64,
        success: bool,
        amount: Msat,
        fee: Msat,
    },
    /// An on-chain action it asked for took effect (or failed validation at that time).
    ChainDone {
        node: NodeId,
        tag: u64,
        success: bool,
    },
    /// A new block was mined.
    Block { height: u64 },
}

/// Which intermediaries forward a strategy's rebalance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Join {
    /// Every node forwards it as it forwards payments.
    #[default]
    Anyone,
    /// Pickhardt–Nowostawski's cooperative rule: a participating intermediary forwards only
    /// if the move pushes neither of its two channels further from its node share ν
    /// ([`common::not_worse`]), judged on its own channels' balances. Non-participants
    /// forward as usual, or refuse with `participants_only`.
    NotWorse { participants_only: bool },
}

/// What a strategy may ask for.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Call back with `Observation::Timer` at `at`.
    Timer { node: NodeId, at: SimTime, tag: u64 },
    /// A circular self-payment of `amount` by `node`: out over `out_chan`, back in over
    /// `in_chan`, paying at most `max_fee` in routing fees, giving up after `deadline`.
    ///
    /// `max_hops` bounds the length of the cycle (counting `out_chan` and `in_chan`; at
    /// least 2; `None`: the router's `max_hops`), replacing the router's limit for this
    /// payment. With `fee_free`, forwarders that participate in the strategy charge no fee
    /// for it (Pickhardt–Nowostawski's fee-free rebalancing among participants);
    /// non-participants charge their normal fees. `join` says which intermediaries agree
    /// to forward it (see [`Join`]).
    Rebalance {
        node: NodeId,
        out_chan: ChannelId,
        in_chan: ChannelId,
        amount: Msat,
        max_fee: Msat,
        max_attempts: u32,
        deadline: SimDuration,
        max_hops: Option<u8>,
        fee_free: bool,
        join: Join,
        tag: u64,
    },
    /// Hold the blocked HTLC `hold` while `node` rebalances `amount` into `chan` (the
    /// outgoing channel that lacked balance), out over `out_chan`. The HTLC is forwarded if
    /// the rebalance succeeds and the balance is then enough, failed otherwise.
    HoldForRebalance {
        hold: u64,
        out_chan: ChannelId,
        amount: Msat,
        max_fee: Msat,
        deadline: SimDuration,
        /// Route attempts of the rebalance (at least 1).
        max_attempts: u32,
        /// Longest cycle (as for [`Action::Rebalance`]); `None`: the router's `max_hops`.
        max_hops: Option<u8>,
    },
    /// Splice `amount` of on-chain funds into `node`'s side of `chan`.
    SpliceIn {
        node: NodeId,
        chan: ChannelId,
        amount: Msat,
        tag: u64,
    },
    /// Splice `amount` out of `node`'s side of `chan` to the chain.
    SpliceOut {
        node: NodeId,
        chan: ChannelId,
        amount: Msat,
        tag: u64,
    },
    /// Loop-out style submarine swap: `node` pays `amount` off-chain out over `chan` to the
    /// swap provider and receives it back on chain, minus fees: regains inbound on `chan`.
    SwapOut {
        node: NodeId,
        chan: ChannelId,
        amount: Msat,
        tag: u64,
    },
    /// Loop-in style submarine swap: `node` pays on chain and the provider pays `amount`
    /// off-chain in over `chan`: regains outbound on `chan`.
    SwapIn {
        node: NodeId,
        chan: ChannelId,
        amount: Msat,
        tag: u64,
    },
    /// Cross-chain submarine swap (multi-chain runs): `node` pays `amount` off-chain out
    /// over `from_chan` to the swap provider; the swap settles on `from_chan`'s chain (a
    /// swap transaction, its confirmations), then the provider pays the amount converted
    /// at the rates then, less its spread and fee, on `to_chan`'s chain, spliced into
    /// `node`'s side of `to_chan` (a splice transaction, that chain's confirmations). The
    /// node pays both transactions' fees. `ChainDone` reports the end.
    CrossSwap {
        node: NodeId,
        from_chan: ChannelId,
        to_chan: ChannelId,
        amount: Msat,
        tag: u64,
    },
    /// Opens a channel from `node` to `peer` funded with `amount` on `node`'s side.
    OpenChannel {
        node: NodeId,
        peer: NodeId,
        amount: Msat,
        tag: u64,
    },
    /// Closes `chan` (cooperatively, or unilaterally by `node`).
    CloseChannel {
        node: NodeId,
        chan: ChannelId,
        cooperative: bool,
        tag: u64,
    },
}

/// A rebalancing strategy run by nodes that know what nodes know (see [`View`]).
/// Implementations live one per file in this folder, registered in [`registry`].
pub trait Strategy: Send {
    /// Reacts to `obs`, pushing actions into `out`. Must be cheap for observations that do
    /// not concern it: it is called on the hot path.
    fn observe(
        &mut self,
        view: &View<'_>,
        obs: &Observation,
        rng: &mut SimRng,
        out: &mut Vec<Action>,
    );
    /// Whether the engine should send `BalanceChanged` observations (cost per settle).
    fn wants_balance_changes(&self) -> bool {
        false
    }
    /// Whether the engine should send `ForwardBlocked` observations.
    fn wants_forward_blocked(&self) -> bool {
        false
    }
}

/// A strategy with global knowledge: a coordinator that sees every channel's balance. It
/// says so in its type, so results of such a strategy are never mistaken for what nodes
/// acting on their own knowledge could do.
pub trait CoordinatedStrategy: Send {
    /// As [`Strategy::observe`], with the whole network visible.
    fn observe(
        &mut self,
        view: &GlobalView<'_>,
        obs: &Observation,
        rng: &mut SimRng,
        out: &mut Vec<Action>,
    );
    fn wants_balance_changes(&self) -> bool {
        false
    }
    fn wants_forward_blocked(&self) -> bool {
        false
    }
}

/// A strategy of either kind, as the engine runs it.
pub enum StrategyBox<'t> {
    Local(Box<dyn Strategy + 't>),
    Coordinated(Box<dyn CoordinatedStrategy + 't>),
}

impl<'t> StrategyBox<'t> {
    /// Boxes a strategy that acts on its nodes' own knowledge.
    pub fn local(s: impl Strategy + 't) -> Self {
        StrategyBox::Local(Box::new(s))
    }
    /// Boxes a coordinated strategy (global knowledge).
    pub fn coordinated(s: impl CoordinatedStrategy + 't) -> Self {
        StrategyBox::Coordinated(Box::new(s))
    }
    pub fn wants_balance_changes(&self) -> bool {
        match self {
            StrategyBox::Local(s) => s.wants_balance_changes(),
            StrategyBox::Coordinated(s) => s.wants_balance_changes(),
        }
    }
    pub fn wants_forward_blocked(&self) -> bool {
        match self {
            StrategyBox::Local(s) => s.wants_forward_blocked(),
            StrategyBox::Coordinated(s) => s.wants_forward_blocked(),
        }
    }
    /// Tells the strategy about `obs`.
    pub fn observe(
        &mut self,
        view: View<'_>,
        obs: &Observation,
        rng: &mut SimRng,
        out: &mut Vec<Action>,
    ) {
        match self {
            StrategyBox::Local(s) => s.observe(&view, obs, rng, out),
            StrategyBox::Coordinated(s) => s.observe(&GlobalView { view }, obs, rng, out),
        }
    }
}
