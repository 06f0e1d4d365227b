//! **topup**: external top-up and withdrawal through the chain (splices, submarine swaps).
//!
//! Takes: the local share of each channel of a participating node (checked on
//! `BalanceChanged`, in O(1), and when a previous action on the channel completed).
//!
//! Does: when the share falls below `low`, adds funds so the share reaches `target`:
//! `SpliceIn` (mode `splice`) of `(target·C − L) / (1 − target)` (capacity grows with
//! it), or `SwapIn` (modes `loop`, `loop_in`) of `target·C − L`. When the share rises above
//! `high`, removes funds: `SpliceOut` (mode `splice`) of
//! `min(L − target·C, ΣL − target·ΣC₀)` — the channel keeps `target·C` on the node's side,
//! so a one-sided channel gives up only its excess over a balanced channel's share (not
//! the `(L − target·C)/(1 − target)` that empties it), and the node's total local balance
//! ΣL over all its channels never drops below `target` of its total capacity ΣC₀ (the
//! larger of its capacity at the start and now: repeated splice-outs cannot halve a
//! one-sided channel away, and a node whose other channels are drained does not splice
//! out: it needs that money there) — or
//! `SwapOut` (modes `loop`, `loop_out`, regains inbound) of `L − target·C`.
//! `loop_in` only tops up and `loop_out` only drains. `cross_swap` (multi-chain runs)
//! moves liquidity between the node's channels on different chains with a cross-chain
//! swap ([`Action::CrossSwap`]): a channel below `low` is refilled from the node's channel
//! on another chain with the most value above `target` (asking for the value that
//! brings it to `target` after the splice grows it, `(target·C − L)/(1 − target)`); a
//! channel above `high` pays its excess `L − target·C` into the node's channel on another
//! chain furthest below `target` (no more than that channel's gap). Amounts are compared
//! at the rates now; a pair needs both channels free of pending actions. Amounts below `min_amount_sat` are
//! skipped. One pending action per channel: the next waits for its `ChainDone` (or
//! `max_pending_s`, in case the engine rejected the action and no `ChainDone` comes).
//! On-chain fees come from the chain model, swap fees from `[swap] fee_ppm`; both are paid
//! by the engine.
//!
//! Cost: O(1) per `BalanceChanged`, O(log P) bookkeeping per action (P pending actions).
//!
//! Example:
//! ```toml
//! [[strategy]]
//! name = "topup"
//! mode = "splice"        # "splice" (default) | "loop" | "loop_in" | "loop_out" | "cross_swap"
//! low = 0.1              # default 0.1
//! high = 0.9             # default 0.9
//! target = 0.5           # default 0.5
//! min_amount_sat = 10000 # default 10,000
//! max_pending_s = 86400  # default 86,400
//! ```

use super::common;
use super::registry::{self, Entry, Factory};
use super::{Action, Observation, Strategy, StrategyBox, View};
use crate::error::FieldError;
use crate::rng::SimRng;
use crate::topology::Topology;
use crate::topology::{ChannelId, NodeId};
use crate::units::{Msat, SimTime};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// How funds come in and go out.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum TopUpMode {
    /// Splice in below `low`, splice out above `high`.
    #[default]
    Splice,
    /// Loop in below `low`, loop out above `high`.
    Loop,
    /// Loop in below `low` only.
    LoopIn,
    /// Loop out above `high` only.
    LoopOut,
    /// Multi-chain runs: cross-chain swaps between the node's channels on different
    /// chains ([`Action::CrossSwap`]).
    CrossSwap,
}

/// Parameters of `topup` (see the module docs for defaults).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct TopUpConfig {
    pub mode: TopUpMode,
    pub low: f64,
    pub high: f64,
    pub target: f64,
    pub min_amount_sat: u64,
    pub max_pending_s: f64,
}

impl Default for TopUpConfig {
    fn default() -> Self {
        TopUpConfig {
            mode: TopUpMode::Splice,
            low: 0.1,
            high: 0.9,
            target: 0.5,
            min_amount_sat: 10_000,
            max_pending_s: 86_400.0,
        }
    }
}

impl TopUpConfig {
    pub fn validate(&self, field: &str) -> Result<(), FieldError> {
        common::check_band(field, self.low, self.target, self.high)?;
        if self.target >= 1.0 {
            return Err(FieldError::new(
                format!("{field}.target"),
                "expected a target share below 1",
            ));
        }
        common::check_positive(field, "max_pending_s", self.max_pending_s)
    }
}

/// The `topup` strategy.
pub struct TopUp {
    cfg: TopUpConfig,
    /// Channels with an action pending → (tag, since).
    pending: BTreeMap<ChannelId, (u64, SimTime)>,
    /// Tag → (node, channel, other channel of a cross-chain swap or the same), to clear
    /// `pending` on `ChainDone`.
    tags: BTreeMap<u64, (NodeId, ChannelId, ChannelId)>,
    next_tag: u64,
    /// Each node's total channel capacity at the start, msat.
    initial: Vec<u64>,
}

impl TopUp {
    pub fn new(cfg: TopUpConfig, topo: &Topology) -> Self {
        TopUp {
            cfg,
            pending: BTreeMap::new(),
            tags: BTreeMap::new(),
            next_tag: 1,
            initial: initial_totals(topo),
        }
    }

    fn check(&mut self, view: &View<'_>, node: NodeId, chan: ChannelId, out: &mut Vec<Action>) {
        let c = &self.cfg;
        let Some(l) = view.own(node, chan) else {
            return;
        };
        let s = l.share();
        if (c.low..=c.high).contains(&s) {
            return;
        }
        if let Some(&(tag, since)) = self.pending.get(&chan) {
            if view.now.since(since) < common::secs(c.max_pending_s) {
                return;
            }
            self.tags.remove(&tag);
        }
        if c.mode == TopUpMode::CrossSwap {
            self.cross(view, node, l, out);
            return;
        }
        let cap = l.capacity as f64;
        let local = l.local as f64;
        let splice = |x: f64| Msat((x / (1.0 - c.target)).max(0.0) as u64);
        let tag = self.next_tag;
        let action = if s < c.low {
            let gap = c.target * cap - local;
            match c.mode {
                TopUpMode::Splice => Some((
                    splice(gap),
                    Action::SpliceIn {
                        node,
                        chan,
                        amount: splice(gap),
                        tag,
                    },
                )),
                TopUpMode::Loop | TopUpMode::LoopIn => {
                    // The provider pushes the amount to us: at most what the peer holds.
                    let a = Msat(gap.max(0.0) as u64).min(Msat(l.inbound));
                    Some((
                        a,
                        Action::SwapIn {
                            node,
                            chan,
                            amount: a,
                            tag,
                        },
                    ))
                }
                TopUpMode::LoopOut | TopUpMode::CrossSwap => None,
            }
        } else {
            let gap = local - c.target * cap;
            match c.mode {
                TopUpMode::Splice => {
                    let init = self.initial.get(node.idx()).copied().unwrap_or(0);
                    let a = splice_out_amount(view, node, l, c.target, init);
                    Some((
                        a,
                        Action::SpliceOut {
                            node,
                            chan,
                            amount: a,
                            tag,
                        },
                    ))
                }
                TopUpMode::Loop | TopUpMode::LoopOut => {
                    let a = Msat(gap.max(0.0) as u64).min(Msat(l.spendable));
                    Some((
                        a,
                        Action::SwapOut {
                            node,
                            chan,
                            amount: a,
                            tag,
                        },
                    ))
                }
                TopUpMode::LoopIn | TopUpMode::CrossSwap => None,
            }
        };
        let Some((amount, action)) = action else {
            return;
        };
        if amount < common::sat(c.min_amount_sat).max(Msat::from_sat(1)) {
            return;
        }
        self.next_tag += 1;
        self.pending.insert(chan, (tag, view.now));
        self.tags.insert(tag, (node, chan, chan));
        out.push(action);
    }

    /// Whether `chan` is free of a pending action (or its action is overdue).
    fn free(&self, view: &View<'_>, chan: ChannelId) -> bool {
        self.pending
            .get(&chan)
            .is_none_or(|&(_, since)| view.now.since(since) >= common::secs(self.cfg.max_pending_s))
    }

    /// Mode `cross_swap`: channel `l` is out of band; pairs it with the node's best
    /// channel on another chain (see the module docs).
    fn cross(&mut self, view: &View<'_>, node: NodeId, l: super::Local, out: &mut Vec<Action>) {
        if !view.multi_chain() {
            return;
        }
        let c = &self.cfg;
        let k = view.chain_of(l.chan);
        let value = |x: f64, k: usize| x * view.rate(k) as f64;
        let mut chans = Vec::new();
        view.locals(node, &mut chans);
        let low = l.share() < c.low;
        // The partner: on another chain, free, the most value above (topping up) or below
        // (draining) target.
        let mut best: Option<(f64, super::Local)> = None;
        for o in chans.iter().filter(|o| view.chain_of(o.chan) != k) {
            if !self.free(view, o.chan) {
                continue;
            }
            let kb = view.chain_of(o.chan);
            let off = o.local as f64 - c.target * o.capacity as f64;
            let room = if low {
                value(off.min(o.spendable as f64), kb)
            } else {
                value(-off, kb)
            };
            if room > 0.0 && best.as_ref().is_none_or(|(b, _)| room > *b) {
                best = Some((room, *o));
            }
        }
        let Some((room, o)) = best else {
            return;
        };
        // Value (reference units × 1e9) this channel needs or can give.
        let need = if low {
            value(
                (c.target * l.capacity as f64 - l.local as f64) / (1.0 - c.target),
                k,
            )
        } else {
            value(
                (l.local as f64 - c.target * l.capacity as f64).min(l.spendable as f64),
                k,
            )
        };
        let v = need.min(room);
        let (from, to) = if low { (o, l) } else { (l, o) };
        let amount = Msat((v / view.rate(view.chain_of(from.chan)) as f64).max(0.0) as u64)
            .min(Msat(from.spendable));
        if amount < common::sat(c.min_amount_sat).max(Msat::from_sat(1)) {
            return;
        }
        let tag = self.next_tag;
        self.next_tag += 1;
        for ch in [from.chan, to.chan] {
            if let Some(&(t, _)) = self.pending.get(&ch) {
                self.tags.remove(&t);
            }
            self.pending.insert(ch, (tag, view.now));
        }
        self.tags.insert(tag, (node, from.chan, to.chan));
        out.push(Action::CrossSwap {
            node,
            from_chan: from.chan,
            to_chan: to.chan,
            amount,
            tag,
        });
    }
}

/// How much `node` splices out of channel `l` (above its band) for a `target` share: the
/// channel's excess over `target·C`, but no more than keeps the node's total local balance
/// at `target` of its total capacity (`ΣL − a ≥ target·max(initial_total, ΣC)`, with
/// `initial_total` its capacity at the start, msat), and no more than it can spend. O(deg).
///
/// Example: a one-sided 1,000,000 sat channel (L = C) of a node with no other channel,
/// target 0.5: 500,000 sat (the channel keeps 500,000 sat to send, the node half its
/// capital in the network); asked again afterwards, nothing. With a second, drained
/// 1,000,000 sat channel: ΣL = 1 M = 0.5 × ΣC, so nothing.
pub fn splice_out_amount(
    view: &View<'_>,
    node: NodeId,
    l: super::Local,
    target: f64,
    initial_total: u64,
) -> Msat {
    let excess = l.local as f64 - target * l.capacity as f64;
    let mut chans = Vec::new();
    view.locals(node, &mut chans);
    let (sl, sc) = chans.iter().fold((0.0, 0.0), |(a, b), x| {
        (a + x.local as f64, b + x.capacity as f64)
    });
    let node_room = sl - target * sc.max(initial_total as f64);
    let a = excess.min(node_room).max(0.0) as u64;
    Msat(a.min(l.spendable))
}

/// Total channel capacity of every node in `topo`, msat. O(N + M).
pub fn initial_totals(topo: &Topology) -> Vec<u64> {
    let mut t = vec![0u64; topo.node_count()];
    for (_, c) in topo.channels() {
        for v in c.nodes {
            t[v.idx()] += c.capacity.0;
        }
    }
    t
}

fn parse(table: &toml::Table, field: &str) -> Result<Factory, FieldError> {
    let c: TopUpConfig = registry::params(table, field)?;
    c.validate(field)?;
    Ok(Arc::new(move |t: &Topology, _: &[bool]| {
        StrategyBox::local(TopUp::new(c.clone(), t))
    }))
}

impl registry::Params for TopUpConfig {}

/// Registry entry.
pub const ENTRY: Entry = Entry {
    name: "topup",
    parse,
    resolve: registry::resolve::<TopUpConfig>,
};

impl Strategy for TopUp {
    fn wants_balance_changes(&self) -> bool {
        true
    }

    fn observe(
        &mut self,
        view: &View<'_>,
        obs: &Observation,
        _: &mut SimRng,
        out: &mut Vec<Action>,
    ) {
        match *obs {
            Observation::BalanceChanged { node, chan } => self.check(view, node, chan, out),
            Observation::ChainDone { tag, success, .. } => {
                if let Some((node, chan, other)) = self.tags.remove(&tag) {
                    for ch in [chan, other] {
                        if self.pending.get(&ch).is_some_and(|&(t, _)| t == tag) {
                            self.pending.remove(&ch);
                        }
                    }
                    // After a success the share may still be out of band (more payments
                    // came meanwhile): check again. After a failure wait for the next
                    // balance change instead: retrying at once could fail the same way,
                    // synchronously, without end.
                    if success && common::part(view.participates, node) {
                        self.check(view, node, chan, out);
                    }
                }
            }
            _ => {}
        }
    }
}
