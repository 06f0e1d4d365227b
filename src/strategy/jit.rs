//! **jit**: on-demand (just-in-time) rebalancing of a blocked forward.
//!
//! Takes: `ForwardBlocked { node, chan, amount, hold }`: a participating node was asked to
//! forward `amount` over `chan` and lacks the balance.
//!
//! Does: picks the node's open channel (other than `chan`) with the most spendable balance
//! and answers [`Action::HoldForRebalance`]: the HTLC is held while the node pays itself
//! `shortfall × margin` (at least `min_amount_sat`) out over that channel and back in over
//! `chan` (a cycle of at most `max_cycle_len` hops, `max_attempts` route attempts), waiting
//! at most `max_wait_s`. Its fee limit is, by default, the forwarding fee the blocked
//! forward would earn (the node's policy on `chan` for `amount`): a refill that costs
//! more than it earns is refused. `max_fee_ppm` replaces that cap by `refill × ppm`. The
//! engine forwards the HTLC if the balance then suffices, and fails it otherwise. Does
//! nothing when no channel can cover the shortfall. After a failed refill of `chan` the
//! node leaves that channel alone for `backoff_s` (per node and channel: the two ends of
//! a channel back off independently).
//!
//! Cost: O(deg) per blocked forward; nothing on other observations.
//!
//! Example:
//! ```toml
//! [[strategy]]
//! name = "jit"
//! margin = 1.5          # default 1.5 (rebalance 1.5 × the shortfall)
//! min_amount_sat = 0    # default 0
//! max_fee_ppm = 1000    # default: none (cap = the fee the blocked forward earns)
//! max_wait_s = 10       # default 10
//! backoff_s = 60        # default 60: leave a channel alone this long after a failed rebalance into it
//! max_cycle_len = 4     # default: the router's max_hops
//! max_attempts = 3      # default 3
//! ```

use super::common::{self, Local};
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

/// Parameters of `jit` (see the module docs for defaults).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct JitConfig {
    pub margin: f64,
    pub min_amount_sat: u64,
    /// Fee limit in ppm of the refill; `None`: the forwarding fee the blocked forward earns.
    pub max_fee_ppm: Option<u64>,
    pub max_wait_s: f64,
    /// After a failed rebalance into a channel, the node does not try that channel again
    /// for this long (seconds): a depleted channel otherwise triggers one doomed circular
    /// route search per blocked HTLC.
    pub backoff_s: f64,
    /// Longest refill cycle (hops); `None`: the router's `max_hops`.
    pub max_cycle_len: Option<u8>,
    /// Route attempts per refill.
    pub max_attempts: u32,
}

impl Default for JitConfig {
    fn default() -> Self {
        JitConfig {
            margin: 1.5,
            min_amount_sat: 0,
            max_fee_ppm: None,
            max_wait_s: 10.0,
            backoff_s: 60.0,
            max_cycle_len: None,
            max_attempts: 3,
        }
    }
}

impl JitConfig {
    pub fn validate(&self, field: &str) -> Result<(), FieldError> {
        if !(self.margin.is_finite() && self.margin >= 1.0 && self.margin <= 1000.0) {
            return Err(FieldError::new(
                format!("{field}.margin"),
                "expected a factor between 1 and 1000",
            ));
        }
        if !(self.backoff_s.is_finite() && self.backoff_s >= 0.0) {
            return Err(FieldError::new(
                format!("{field}.backoff_s"),
                "expected a non-negative number of seconds",
            ));
        }
        if let Some(n) = self.max_cycle_len {
            common::check_cycle_len(field, "max_cycle_len", n)?;
        }
        if self.max_attempts == 0 {
            return Err(FieldError::new(
                format!("{field}.max_attempts"),
                "expected at least 1",
            ));
        }
        common::check_positive(field, "max_wait_s", self.max_wait_s)
    }
}

/// The `jit` strategy.
pub struct Jit {
    cfg: JitConfig,
    buf: Vec<Local>,
    /// Holds answered and not yet reported: hold → (node, blocked channel).
    pending: BTreeMap<u64, (NodeId, ChannelId)>,
    /// (node, blocked channel) whose last rebalance failed, and until when to leave it.
    backoff: BTreeMap<(NodeId, ChannelId), SimTime>,
}

impl Jit {
    pub fn new(cfg: JitConfig) -> Self {
        Jit {
            cfg,
            buf: Vec::new(),
            pending: BTreeMap::new(),
            backoff: BTreeMap::new(),
        }
    }
}

fn parse(table: &toml::Table, field: &str) -> Result<Factory, FieldError> {
    let c: JitConfig = registry::params(table, field)?;
    c.validate(field)?;
    Ok(Arc::new(move |_: &Topology, _: &[bool]| {
        StrategyBox::local(Jit::new(c.clone()))
    }))
}

impl registry::Params for JitConfig {}

/// Registry entry.
pub const ENTRY: Entry = Entry {
    name: "jit",
    parse,
    resolve: registry::resolve::<JitConfig>,
};

impl Strategy for Jit {
    fn wants_forward_blocked(&self) -> bool {
        true
    }

    fn observe(
        &mut self,
        view: &View<'_>,
        obs: &Observation,
        _: &mut SimRng,
        out: &mut Vec<Action>,
    ) {
        if let Observation::RebalanceDone { tag, success, .. } = *obs {
            if let Some(key) = self.pending.remove(&tag) {
                if success {
                    self.backoff.remove(&key);
                } else {
                    self.backoff
                        .insert(key, view.now + common::secs(self.cfg.backoff_s));
                }
            }
            return;
        }
        let Observation::ForwardBlocked {
            node,
            chan,
            amount,
            hold,
        } = *obs
        else {
            return;
        };
        if self
            .backoff
            .get(&(node, chan))
            .is_some_and(|&until| view.now < until)
        {
            return;
        }
        if !common::part(view.participates, node) {
            return;
        }
        let Some(own) = view.own(node, chan) else {
            return;
        };
        let shortfall = amount.saturating_sub(Msat(own.spendable));
        let want = Msat((shortfall.0 as f64 * self.cfg.margin).ceil() as u64)
            .max(common::sat(self.cfg.min_amount_sat))
            .max(shortfall)
            // Can not pull more than the peer holds on the blocked channel.
            .min(Msat(own.inbound));
        if want < shortfall || shortfall == Msat::ZERO {
            return;
        }
        view.locals(node, &mut self.buf);
        let best = self
            .buf
            .iter()
            .filter(|l| l.chan != chan)
            .max_by(|a, b| a.spendable.cmp(&b.spendable).then(b.chan.cmp(&a.chan)))
            .copied();
        let Some(src) = best else { return };
        let amount_rb = want.min(Msat(src.spendable));
        if amount_rb < shortfall {
            return;
        }
        // What the refill may cost: by default what the forward earns.
        let max_fee = match self.cfg.max_fee_ppm {
            Some(ppm) => amount_rb.mul_ppm(ppm),
            None => view.public().policy(chan, own.side).fee(amount),
        };
        self.pending.insert(hold, (node, chan));
        out.push(Action::HoldForRebalance {
            hold,
            out_chan: src.chan,
            amount: amount_rb,
            max_fee,
            deadline: common::secs(self.cfg.max_wait_s),
            max_attempts: self.cfg.max_attempts,
            max_hops: self.cfg.max_cycle_len,
        });
    }
}
