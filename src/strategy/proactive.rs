//! **proactive**: Pickhardt–Nowostawski's imbalance-reducing rebalancing ("Imbalance
//! measure and proactive channel rebalancing algorithm for the Lightning Network", 2020).
//!
//! Takes: for every participating node `v`, its channels' local shares `ζ_i = local_i /
//! capacity_i` and its node share `ν = Σ local / Σ capacity` over its open channels.
//!
//! Does: every `interval_s` (per-node timers, staggered with the strategy's random stream)
//! each participating node moves liquidity over short cycles (at most `max_cycle_len` hops)
//! from channels with `ζ_i > ν + tolerance` to channels with `ζ_j < ν − tolerance`, by the
//! amount that brings them to `ν`: greedily, largest surplus to largest deficit, at most
//! `max_moves` rebalances per node and round, each between `min_amount_sat` and
//! `max_amount_sat`, fee limit `amount × max_fee_ppm`. This lowers the Gini coefficient of
//! the node's channel shares (recorded by the engine as `node_gini`).
//!
//! With `fee_free_among_participants = true` the rebalances are flagged fee-free: forwarders
//! that participate charge them no fee (the paper's cooperative setting), others charge
//! their normal fee.
//!
//! Cost: O(d log d) per node and round for d channels, plus the route searches of the moves.
//! Nothing on the per-payment hot path.
//!
//! Example:
//! ```toml
//! [[strategy]]
//! name = "proactive"
//! interval_s = 600          # default 600
//! max_cycle_len = 4         # default 4
//! tolerance = 0.1           # default 0.1 (share points around ν left alone)
//! max_moves = 4             # default 4 per node and round
//! min_amount_sat = 1000     # default 1,000
//! max_amount_sat = 500000   # default 500,000
//! max_fee_ppm = 1000        # default 1000
//! fee_free_among_participants = false   # default false
//! ```

use super::common::{self, Local};
use super::registry::{self, Entry, Factory};
use super::{Action, Observation, Strategy, StrategyBox, View};
use crate::error::FieldError;
use crate::rng::SimRng;
use crate::topology::NodeId;
use crate::topology::Topology;
use crate::units::Msat;
use serde::Deserialize;
use std::sync::Arc;

/// Parameters of `proactive` (see the module docs for defaults).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ProactiveConfig {
    pub interval_s: f64,
    pub max_cycle_len: u8,
    pub tolerance: f64,
    pub max_moves: usize,
    pub min_amount_sat: u64,
    pub max_amount_sat: u64,
    pub max_fee_ppm: u64,
    pub fee_free_among_participants: bool,
}

impl Default for ProactiveConfig {
    fn default() -> Self {
        ProactiveConfig {
            interval_s: 600.0,
            max_cycle_len: 4,
            tolerance: 0.1,
            max_moves: 4,
            min_amount_sat: 1000,
            max_amount_sat: 500_000,
            max_fee_ppm: 1000,
            fee_free_among_participants: false,
        }
    }
}

impl ProactiveConfig {
    pub fn validate(&self, field: &str) -> Result<(), FieldError> {
        common::check_positive(field, "interval_s", self.interval_s)?;
        common::check_cycle_len(field, "max_cycle_len", self.max_cycle_len)?;
        common::check_share(field, "tolerance", self.tolerance)?;
        if self.max_moves == 0 {
            return Err(FieldError::new(
                format!("{field}.max_moves"),
                "expected at least 1",
            ));
        }
        if self.max_amount_sat == 0 || self.min_amount_sat > self.max_amount_sat {
            return Err(FieldError::new(
                format!("{field}.max_amount_sat"),
                "expected 1 <= min_amount_sat <= max_amount_sat",
            ));
        }
        Ok(())
    }
}

/// The `proactive` strategy.
pub struct Proactive {
    cfg: ProactiveConfig,
    next_tag: u64,
    buf: Vec<Local>,
    want: Vec<u64>,
}

impl Proactive {
    pub fn new(cfg: ProactiveConfig) -> Self {
        Proactive {
            cfg,
            next_tag: 1,
            buf: Vec::new(),
            want: Vec::new(),
        }
    }

    fn round(&mut self, view: &View<'_>, node: NodeId, out: &mut Vec<Action>) {
        let c = &self.cfg;
        view.locals(node, &mut self.buf);
        let (sl, sc) = self.buf.iter().fold((0u128, 0u128), |(a, b), l| {
            (a + l.local as u128, b + l.capacity as u128)
        });
        if sc == 0 || self.buf.len() < 2 {
            return;
        }
        let nu = sl as f64 / sc as f64;
        self.want.clear();
        self.want
            .extend(self.buf.iter().map(|l| (l.capacity as f64 * nu) as u64));
        let buf = &self.buf;
        let tol = c.tolerance;
        let moves = common::greedy_moves(
            buf,
            &self.want,
            |i| buf[i].share() > nu + tol,
            |i| buf[i].share() < nu - tol,
            common::sat(c.min_amount_sat),
            common::sat(c.max_amount_sat),
            c.max_moves,
        );
        for m in moves {
            let tag = self.next_tag;
            self.next_tag += 1;
            out.push(Action::Rebalance {
                node,
                out_chan: m.out_chan,
                in_chan: m.in_chan,
                amount: m.amount,
                max_fee: common::fee_limit(m.amount, c.max_fee_ppm, Msat::MAX),
                max_attempts: 3,
                deadline: common::secs(c.interval_s.min(60.0)),
                max_hops: Some(c.max_cycle_len),
                fee_free: c.fee_free_among_participants,
                tag,
            });
        }
    }
}

fn parse(table: &toml::Table, field: &str) -> Result<Factory, FieldError> {
    let c: ProactiveConfig = registry::params(table, field)?;
    c.validate(field)?;
    Ok(Arc::new(move |_: &Topology, _: &[bool]| {
        StrategyBox::local(Proactive::new(c.clone()))
    }))
}

/// Registry entry.
pub const ENTRY: Entry = Entry {
    name: "proactive",
    parse,
};

impl Strategy for Proactive {
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
