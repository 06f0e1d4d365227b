//! **periodic**: scheduled rebalancing of every channel outside a band.
//!
//! Takes: every `interval_s` (per-node timers, first one staggered uniformly in
//! `[0, interval_s)` with the strategy's random stream), the local shares of a participating
//! node's channels.
//!
//! Does: every channel below `low` is refilled toward `target` from the channels with the
//! most surplus above `target`; then every channel above `high` is drained toward `target`
//! into the channels with the largest deficit below `target` (greedy, largest first, each
//! move at most `max_amount_sat`). Each move is an [`Action::Rebalance`] with fee limit
//! `amount × max_fee_ppm`, and the fee limits of one node's moves in one period add up to
//! at most `budget_sat_per_period` (so the node never pays more per period).
//!
//! Cost: O(d log d) per node and period for d channels, plus the route searches.
//!
//! Example:
//! ```toml
//! [[strategy]]
//! name = "periodic"
//! interval_s = 3600               # default 3600
//! low = 0.2                       # default 0.2
//! high = 0.8                      # default 0.8
//! target = 0.5                    # default 0.5
//! max_amount_sat = 500000         # default 500,000
//! max_fee_ppm = 1000              # default 1000
//! budget_sat_per_period = 5000    # default 5,000
//! max_cycle_len = 6               # default 6
//! ```

use super::common::{self, Local, Move};
use super::registry::{self, Entry, Factory};
use super::{Action, Observation, Strategy, StrategyBox, View};
use crate::error::FieldError;
use crate::rng::SimRng;
use crate::topology::NodeId;
use crate::topology::Topology;
use crate::units::Msat;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Parameters of `periodic` (see the module docs for defaults).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PeriodicConfig {
    pub interval_s: f64,
    pub low: f64,
    pub high: f64,
    pub target: f64,
    pub max_amount_sat: u64,
    pub max_fee_ppm: u64,
    pub budget_sat_per_period: u64,
    pub max_cycle_len: u8,
}

impl Default for PeriodicConfig {
    fn default() -> Self {
        PeriodicConfig {
            interval_s: 3600.0,
            low: 0.2,
            high: 0.8,
            target: 0.5,
            max_amount_sat: 500_000,
            max_fee_ppm: 1000,
            budget_sat_per_period: 5000,
            max_cycle_len: 6,
        }
    }
}

impl PeriodicConfig {
    pub fn validate(&self, field: &str) -> Result<(), FieldError> {
        common::check_positive(field, "interval_s", self.interval_s)?;
        common::check_band(field, self.low, self.target, self.high)?;
        common::check_cycle_len(field, "max_cycle_len", self.max_cycle_len)?;
        if self.max_amount_sat == 0 {
            return Err(FieldError::new(
                format!("{field}.max_amount_sat"),
                "expected at least 1 sat",
            ));
        }
        Ok(())
    }
}

/// The `periodic` strategy.
pub struct Periodic {
    cfg: PeriodicConfig,
    next_tag: u64,
    buf: Vec<Local>,
    want: Vec<u64>,
}

impl Periodic {
    pub fn new(cfg: PeriodicConfig) -> Self {
        Periodic {
            cfg,
            next_tag: 1,
            buf: Vec::new(),
            want: Vec::new(),
        }
    }

    fn round(&mut self, view: &View<'_>, node: NodeId, out: &mut Vec<Action>) {
        let c = &self.cfg;
        view.locals(node, &mut self.buf);
        self.want.clear();
        self.want.extend(
            self.buf
                .iter()
                .map(|l| (l.capacity as f64 * c.target) as u64),
        );
        let max = common::sat(c.max_amount_sat);
        let min = Msat::from_sat(1);
        let buf = &self.buf;
        // Refill the depleted channels, then drain the saturated ones.
        let mut moves: Vec<Move> = common::greedy_moves(
            buf,
            &self.want,
            |i| buf[i].share() > c.target,
            |i| buf[i].share() < c.low,
            min,
            max,
            usize::MAX,
        );
        // Account the first pass before planning the second.
        let mut after: Vec<Local> = buf.clone();
        for m in &moves {
            for l in after.iter_mut() {
                if l.chan == m.out_chan {
                    l.local = l.local.saturating_sub(m.amount.0);
                    l.spendable = l.spendable.saturating_sub(m.amount.0);
                } else if l.chan == m.in_chan {
                    l.local += m.amount.0;
                    l.inbound = l.inbound.saturating_sub(m.amount.0);
                }
            }
        }
        moves.extend(common::greedy_moves(
            &after,
            &self.want,
            |i| after[i].share() > c.high,
            |i| after[i].share() < c.target,
            min,
            max,
            usize::MAX,
        ));
        let mut budget = common::sat(c.budget_sat_per_period);
        for m in moves {
            let max_fee = common::fee_limit(m.amount, c.max_fee_ppm, Msat::MAX);
            if max_fee > budget {
                break;
            }
            budget -= max_fee;
            let tag = self.next_tag;
            self.next_tag += 1;
            out.push(Action::Rebalance {
                node,
                out_chan: m.out_chan,
                in_chan: m.in_chan,
                amount: m.amount,
                max_fee,
                max_attempts: 3,
                deadline: common::secs(c.interval_s.min(60.0)),
                max_hops: Some(c.max_cycle_len),
                fee_free: false,
                join: crate::strategy::Join::Anyone,
                tag,
            });
        }
    }
}

fn parse(table: &toml::Table, field: &str) -> Result<Factory, FieldError> {
    let c: PeriodicConfig = registry::params(table, field)?;
    c.validate(field)?;
    Ok(Arc::new(move |_: &Topology, _: &[bool]| {
        StrategyBox::local(Periodic::new(c.clone()))
    }))
}

impl registry::Params for PeriodicConfig {}

/// Registry entry.
pub const ENTRY: Entry = Entry {
    name: "periodic",
    parse,
    resolve: registry::resolve::<PeriodicConfig>,
};

impl Strategy for Periodic {
    fn observe(
        &mut self,
        view: &View<'_>,
        obs: &Observation,
        rng: &mut SimRng,
        out: &mut Vec<Action>,
    ) {
        if let Some(node) = common::periodic_round(view, obs, rng, self.cfg.interval_s, out) {
            self.round(view, node, out);
        }
    }
}
