//! **circular**: band-triggered circular self-payments under a per-node fee budget.
//!
//! Takes: for every participating node, the local share of each of its channels (as
//! [`ChannelState::share`](crate::network::ChannelState::share)).
//!
//! Does: when a channel's share leaves the band `[low, high]` (seen on `BalanceChanged`, or
//! on a periodic check every `interval_s`), the node pays itself around a cycle of at most
//! `max_cycle_len` hops ([`Action::Rebalance`]):
//! * share < `low` (depleted): out through the node's channel with the most local balance
//!   above `target`, back in through the depleted channel;
//! * share > `high` (saturated): out through the saturated channel, back in through the
//!   channel with the largest deficit below `target`.
//!
//! The amount brings the channel toward `target`, limited by the partner channel and by
//! `max_amount_sat`. The fee limit is `min(amount × max_fee_ppm, max_fee_sat, what is left
//! of budget_sat)`; the budget counts fees of completed rebalances plus the fee limits of
//! those in flight, so the node's total rebalancing fees never exceed `budget_sat`. One
//! rebalance per node at a time, at most one start per `cooldown_s`.
//!
//! Cost: the `BalanceChanged` check is O(1) while the channel is inside the band (the common
//! case); choosing a partner is O(deg). Memory O(N).
//!
//! Example:
//! ```toml
//! [[strategy]]
//! name = "circular"
//! low = 0.2            # default 0.2
//! high = 0.8           # default 0.8
//! target = 0.5         # default 0.5
//! max_amount_sat = 500000   # default 500,000
//! max_fee_ppm = 1000   # default 1000
//! max_fee_sat = 1000   # default 1000
//! max_cycle_len = 6    # default 6 (hops, counting both own channels)
//! cooldown_s = 60      # default 60
//! budget_sat = 10000   # default 10,000 (per node, whole run)
//! interval_s = 600     # default 600; 0 disables the periodic check
//! max_attempts = 3     # default 3
//! deadline_s = 60      # default 60
//! ```

use super::common::{self, Local};
use super::registry::{self, Entry, Factory};
use super::{Action, Observation, Strategy, StrategyBox, View};
use crate::error::FieldError;
use crate::rng::SimRng;
use crate::topology::{ChannelId, NodeId, Topology};
use crate::units::{Msat, SimTime};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Parameters of `circular` (see the module docs for defaults).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CircularConfig {
    pub low: f64,
    pub high: f64,
    pub target: f64,
    pub max_amount_sat: u64,
    pub max_fee_ppm: u64,
    pub max_fee_sat: u64,
    pub max_cycle_len: u8,
    pub cooldown_s: f64,
    pub budget_sat: u64,
    pub interval_s: f64,
    pub max_attempts: u32,
    pub deadline_s: f64,
}

impl Default for CircularConfig {
    fn default() -> Self {
        CircularConfig {
            low: 0.2,
            high: 0.8,
            target: 0.5,
            max_amount_sat: 500_000,
            max_fee_ppm: 1000,
            max_fee_sat: 1000,
            max_cycle_len: 6,
            cooldown_s: 60.0,
            budget_sat: 10_000,
            interval_s: 600.0,
            max_attempts: 3,
            deadline_s: 60.0,
        }
    }
}

impl CircularConfig {
    /// Checks ranges; errors name `field.key` (e.g. `strategy[0].low`).
    pub fn validate(&self, field: &str) -> Result<(), FieldError> {
        common::check_band(field, self.low, self.target, self.high)?;
        common::check_cycle_len(field, "max_cycle_len", self.max_cycle_len)?;
        common::check_non_negative(field, "cooldown_s", self.cooldown_s)?;
        common::check_non_negative(field, "interval_s", self.interval_s)?;
        common::check_positive(field, "deadline_s", self.deadline_s)?;
        if self.max_amount_sat == 0 {
            return Err(FieldError::new(
                format!("{field}.max_amount_sat"),
                "expected at least 1 sat",
            ));
        }
        if self.max_attempts == 0 {
            return Err(FieldError::new(
                format!("{field}.max_attempts"),
                "expected at least 1",
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct NodeState {
    /// Fees of completed rebalances.
    spent: Msat,
    /// Fee limits of rebalances in flight.
    reserved: Msat,
    in_flight: bool,
    /// No new rebalance before this time.
    ready_at: SimTime,
}

/// The `circular` strategy (one per run).
pub struct Circular {
    cfg: CircularConfig,
    nodes: Vec<NodeState>,
    /// In-flight rebalances: tag → (node, fee limit).
    pending: BTreeMap<u64, (NodeId, Msat)>,
    next_tag: u64,
    buf: Vec<Local>,
}

/// Timer tag of the periodic check.
const TICK: u64 = 0;

impl Circular {
    pub fn new(cfg: CircularConfig, topo: &Topology) -> Self {
        Circular {
            cfg,
            nodes: vec![NodeState::default(); topo.node_count()],
            pending: BTreeMap::new(),
            next_tag: 1,
            buf: Vec::new(),
        }
    }

    fn state(&mut self, v: NodeId) -> &mut NodeState {
        if v.idx() >= self.nodes.len() {
            self.nodes.resize(v.idx() + 1, NodeState::default());
        }
        &mut self.nodes[v.idx()]
    }

    fn budget_left(&self, v: NodeId) -> Msat {
        let s = self.nodes.get(v.idx()).copied().unwrap_or_default();
        common::sat(self.cfg.budget_sat).saturating_sub(s.spent + s.reserved)
    }

    /// Whether `v` may start a rebalance now.
    fn ready(&self, v: NodeId, now: SimTime) -> bool {
        match self.nodes.get(v.idx()) {
            Some(s) => !s.in_flight && now >= s.ready_at,
            None => true,
        }
    }

    /// Plans and emits one rebalance for `node` around channel `focus` (or its worst
    /// out-of-band channel when `focus` is `None`). O(deg).
    fn act(
        &mut self,
        view: &View<'_>,
        node: NodeId,
        focus: Option<ChannelId>,
        out: &mut Vec<Action>,
    ) {
        let c = &self.cfg;
        let mut buf = std::mem::take(&mut self.buf);
        view.locals(node, &mut buf);
        let want = |l: &Local| (l.capacity as f64 * c.target) as u64;
        let off = |l: &Local| {
            let s = l.share();
            if s < c.low {
                c.low - s
            } else if s > c.high {
                s - c.high
            } else {
                0.0
            }
        };
        let focus_idx = match focus {
            Some(f) => buf.iter().position(|l| l.chan == f),
            None => {
                // The channel furthest outside the band (first on ties).
                let mut best: Option<(f64, usize)> = None;
                for (i, l) in buf.iter().enumerate() {
                    let o = off(l);
                    if o > 0.0 && best.is_none_or(|(b, _)| o > b) {
                        best = Some((o, i));
                    }
                }
                best.map(|(_, i)| i)
            }
        };
        let plan = focus_idx.and_then(|fi| {
            let f = buf[fi];
            if f.share() < c.low {
                // Depleted: bring in from the channel with the most surplus.
                let need = want(&f).saturating_sub(f.local).min(f.inbound);
                let src = buf
                    .iter()
                    .enumerate()
                    .filter(|&(i, _)| i != fi)
                    .map(|(_, l)| (l.local.saturating_sub(want(l)).min(l.spendable), l.chan))
                    .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)))?;
                Some((src.1, f.chan, need.min(src.0)))
            } else if f.share() > c.high {
                // Saturated: push out to the channel with the largest deficit.
                let excess = f.local.saturating_sub(want(&f)).min(f.spendable);
                let dst = buf
                    .iter()
                    .enumerate()
                    .filter(|&(i, _)| i != fi)
                    .map(|(_, l)| (want(l).saturating_sub(l.local).min(l.inbound), l.chan))
                    .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)))?;
                Some((f.chan, dst.1, excess.min(dst.0)))
            } else {
                None
            }
        });
        self.buf = buf;
        let Some((out_chan, in_chan, amount)) = plan else {
            return;
        };
        let amount = Msat(amount).min(common::sat(c.max_amount_sat));
        if amount < Msat::from_sat(1) {
            return;
        }
        let left = self.budget_left(node);
        let max_fee =
            common::fee_limit(amount, c.max_fee_ppm, common::sat(c.max_fee_sat)).min(left);
        if left == Msat::ZERO {
            return;
        }
        let tag = self.next_tag;
        self.next_tag += 1;
        let deadline = common::secs(c.deadline_s);
        let cooldown = common::secs(c.cooldown_s);
        let max_attempts = c.max_attempts;
        let max_hops = Some(c.max_cycle_len);
        let st = self.state(node);
        st.reserved += max_fee;
        st.in_flight = true;
        st.ready_at = view.now + cooldown;
        self.pending.insert(tag, (node, max_fee));
        out.push(Action::Rebalance {
            node,
            out_chan,
            in_chan,
            amount,
            max_fee,
            max_attempts,
            deadline,
            max_hops,
            fee_free: false,
            join: crate::strategy::Join::Anyone,
            tag,
        });
    }
}

fn parse(table: &toml::Table, field: &str) -> Result<Factory, FieldError> {
    let c: CircularConfig = registry::params(table, field)?;
    c.validate(field)?;
    Ok(Arc::new(move |topo: &Topology, _: &[bool]| {
        StrategyBox::local(Circular::new(c.clone(), topo))
    }))
}

impl registry::Params for CircularConfig {}

/// Registry entry.
pub const ENTRY: Entry = Entry {
    name: "circular",
    parse,
    resolve: registry::resolve::<CircularConfig>,
};

impl Strategy for Circular {
    fn wants_balance_changes(&self) -> bool {
        true
    }

    fn observe(
        &mut self,
        view: &View<'_>,
        obs: &Observation,
        rng: &mut SimRng,
        out: &mut Vec<Action>,
    ) {
        match *obs {
            Observation::Start if self.cfg.interval_s > 0.0 => {
                // Staggered first checks.
                common::stagger_timers(view, rng, self.cfg.interval_s, TICK, out);
            }
            Observation::Timer { node, tag: TICK } => {
                common::rearm(view, node, self.cfg.interval_s, TICK, out);
                if common::part(view.participates, node) && self.ready(node, view.now) {
                    self.act(view, node, None, out);
                }
            }
            Observation::BalanceChanged { node, chan } => {
                // O(1) unless the channel left the band.
                let Some(l) = view.own(node, chan) else {
                    return;
                };
                let s = l.share();
                if (self.cfg.low..=self.cfg.high).contains(&s) || !self.ready(node, view.now) {
                    return;
                }
                self.act(view, node, Some(chan), out);
            }
            Observation::RebalanceDone {
                node,
                tag,
                success,
                fee,
                ..
            } => {
                if let Some((n, max_fee)) = self.pending.remove(&tag) {
                    debug_assert_eq!(n, node);
                    let st = self.state(n);
                    st.reserved = st.reserved.saturating_sub(max_fee);
                    st.in_flight = false;
                    if success {
                        st.spent += fee;
                    }
                }
            }
            _ => {}
        }
    }
}
