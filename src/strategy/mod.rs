//! Rebalancing strategies: policy objects that observe and return actions as data.
//!
//! A strategy never mutates the network. It gets a read-only [`View`] (the network as its
//! nodes know it: their own channels exactly, the rest as the public graph), an
//! [`Observation`] and its own random stream, and pushes [`Action`]s. The engine validates
//! and carries them out (as real HTLCs, or as on-chain transactions through the chain model),
//! so funds can only move in one place. A new strategy is one new file in this folder plus
//! one line in [`registry`].

use crate::network::Network;
use crate::rng::SimRng;
pub mod circular;
pub mod common;
pub mod config;
pub mod jit;
pub mod periodic;
pub mod proactive;
#[cfg(test)]
mod tests;
pub mod topup;

use crate::topology::{ChannelId, NodeId};
use crate::units::{Msat, SimDuration, SimTime};

/// What a strategy may look at.
pub struct View<'a> {
    pub now: SimTime,
    pub net: &'a Network,
    /// Current chain height.
    pub height: u64,
    /// Current on-chain fee rate, sat per vbyte.
    pub feerate_sat_vb: f64,
    /// Whether each node participates in the strategy.
    pub participates: &'a [bool],
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
    /// non-participants charge their normal fees.
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

/// A rebalancing strategy. Implementations live one per file in this folder.
pub trait Strategy: Send {
    /// Short stable name (as in scenario files and result tables).
    fn name(&self) -> &str;
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

/// The baseline: does nothing.
pub struct NoStrategy;
impl Strategy for NoStrategy {
    fn name(&self) -> &str {
        "none"
    }
    fn observe(&mut self, _: &View<'_>, _: &Observation, _: &mut SimRng, _: &mut Vec<Action>) {}
}
