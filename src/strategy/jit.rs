//! **jit**: on-demand (just-in-time) rebalancing of a blocked forward.
//!
//! Takes: `ForwardBlocked { node, chan, amount, hold }`: a participating node was asked to
//! forward `amount` over `chan` and lacks the balance.
//!
//! Does: picks the node's open channel (other than `chan`) with the most spendable balance
//! and answers [`Action::HoldForRebalance`]: the HTLC is held while the node pays itself
//! `shortfall × margin` (at least `min_amount_sat`) out over that channel and back in over
//! `chan`, paying at most `amount × max_fee_ppm` in fees and waiting at most `max_wait_s`.
//! The engine forwards the HTLC if the balance then suffices, and fails it otherwise.
//! Does nothing when no channel can cover the shortfall.
//!
//! Cost: O(deg) per blocked forward; nothing on other observations.
//!
//! Example:
//! ```toml
//! [[strategy]]
//! name = "jit"
//! margin = 1.5          # default 1.5 (rebalance 1.5 × the shortfall)
//! min_amount_sat = 0    # default 0
//! max_fee_ppm = 1000    # default 1000 (of the rebalanced amount)
//! max_wait_s = 10       # default 10
//! backoff_s = 60        # default 60: leave a channel alone this long after a failed rebalance into it
//! ```

use super::common::{self, Local};
use super::registry::{self, Entry, Factory};
use super::{Action, Observation, Strategy, StrategyBox, View};
use crate::error::FieldError;
use crate::rng::SimRng;
use crate::topology::ChannelId;
use crate::topology::Topology;
use crate::units::{Msat, SimTime};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Parameters of `jit` (see the module docs for defaults).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct JitConfig {
    pub margin: f64,
    pub min_amount_sat: u64,
    pub max_fee_ppm: u64,
    pub max_wait_s: f64,
    /// After a failed rebalance into a channel, the node does not try that channel again
    /// for this long (seconds): a depleted channel otherwise triggers one doomed circular
    /// route search per blocked HTLC.
    pub backoff_s: f64,
}

impl Default for JitConfig {
    fn default() -> Self {
        JitConfig {
            margin: 1.5,
            min_amount_sat: 0,
            max_fee_ppm: 1000,
            max_wait_s: 10.0,
            backoff_s: 60.0,
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
        common::check_positive(field, "max_wait_s", self.max_wait_s)
    }
}

/// The `jit` strategy.
pub struct Jit {
    cfg: JitConfig,
    buf: Vec<Local>,
    /// Holds answered and not yet reported: hold → (node, blocked channel).
    pending: BTreeMap<u64, ChannelId>,
    /// Blocked channels whose last rebalance failed, and until when to leave them alone.
    backoff: BTreeMap<ChannelId, SimTime>,
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

/// Registry entry.
pub const ENTRY: Entry = Entry { name: "jit", parse };

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
            if let Some(chan) = self.pending.remove(&tag) {
                if success {
                    self.backoff.remove(&chan);
                } else {
                    self.backoff
                        .insert(chan, view.now + common::secs(self.cfg.backoff_s));
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
            .get(&chan)
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
        self.pending.insert(hold, chan);
        out.push(Action::HoldForRebalance {
            hold,
            out_chan: src.chan,
            amount: amount_rb,
            max_fee: amount_rb.mul_ppm(self.cfg.max_fee_ppm),
            deadline: common::secs(self.cfg.max_wait_s),
        });
    }
}
