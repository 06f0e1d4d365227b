//! **proactive**: Pickhardt–Nowostawski's imbalance-reducing rebalancing ("Imbalance
//! measure and proactive channel rebalancing algorithm for the Lightning Network", ICBC
//! 2020, arXiv 1912.09555).
//!
//! Takes: for every participating node `v`, its channels' local shares `ζ_i = local_i /
//! capacity_i` and its node share `ν = Σ local / Σ capacity` over its open channels.
//!
//! Does, with `rule = "pickhardt2020"` (the default, the rule as published): every
//! `interval_s` (per-node timers, staggered with the strategy's random stream) each
//! participating node moves the surplus `local_i − ν·capacity_i` of every channel above ν
//! (by more than `tolerance` share points, default 0) over short cycles (at most
//! `max_cycle_len` hops: friend of a friend) into its channels below ν, largest surplus to
//! largest deficit, at most `max_moves` rebalances per round. The rebalances are fee-free
//! among participants, and an intermediary joins only if the move pushes neither of its
//! two channels further from *its own* ν ([`Join::NotWorse`], decided on its own
//! balances; the route search avoids those that refuse). With `participants_only`,
//! non-participants refuse to forward rebalances; otherwise they forward them for their
//! usual fee, within `amount × max_fee_ppm`. A cycle carries the least amount any of its
//! members accepts: a move that fails is tried again at half the amount, down to
//! `min_amount_sat`. Rounds repeat while moves succeed; with
//! `stop_when_converged` a node whose round finds no move, or whose previous round's moves
//! all failed, stops (the paper's "until no move improves").
//!
//! With `rule = "pairing"` (this simulator's earlier rule): the same greedy pairing, but
//! only channels beyond `ν ± tolerance` (default 0.1), each move at most `max_amount_sat`
//! (default 500,000), any forwarder joins, fees paid unless `fee_free_among_participants`.
//!
//! Which nodes participate (random share, top degree, top capacity, a list) is the
//! strategy's `participation` (see [`super::participation`]).
//!
//! Cost: O(d log d) per node and round for d channels, plus the route searches of the moves
//! (the hop-indexed search, bounded by `max_cycle_len`). Nothing on the per-payment hot path.
//!
//! Example:
//! ```toml
//! [[strategy]]
//! name = "proactive"
//! rule = "pickhardt2020"    # default; or "pairing"
//! interval_s = 600          # default 600
//! max_cycle_len = 4         # default 4 (friend of a friend)
//! tolerance = 0.0           # default 0 (pickhardt2020), 0.1 (pairing)
//! max_moves = 4             # default 4 per node and round
//! min_amount_sat = 1000     # default 1,000
//! max_amount_sat = 500000   # default: none (pickhardt2020), 500,000 (pairing)
//! max_fee_ppm = 1000        # default 1000 (fees of non-fee-free forwarders)
//! max_attempts = 3          # default 3 route attempts per rebalance
//! fee_free_among_participants = true  # default true (pickhardt2020), false (pairing)
//! participants_only = false # default false (pickhardt2020 only)
//! stop_when_converged = false  # default false
//! ```

use super::common::{self, Local};
use super::registry::{self, Entry, Factory};
use super::{Action, Join, Observation, Strategy, StrategyBox, View};
use crate::error::FieldError;
use crate::rng::SimRng;
use crate::topology::NodeId;
use crate::topology::Topology;
use crate::units::Msat;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Which rebalancing rule `proactive` follows.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// Pickhardt & Nowostawski 2020 as published (see the module docs).
    #[default]
    Pickhardt2020,
    /// Greedy pairing beyond a tolerance band, capped moves, any forwarder.
    Pairing,
}

/// Parameters of `proactive` (see the module docs for defaults; `None` = the rule's).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ProactiveConfig {
    pub rule: Rule,
    pub interval_s: f64,
    pub max_cycle_len: u8,
    pub tolerance: Option<f64>,
    pub max_moves: usize,
    pub min_amount_sat: u64,
    pub max_amount_sat: Option<u64>,
    pub max_fee_ppm: u64,
    pub max_attempts: u32,
    pub fee_free_among_participants: Option<bool>,
    pub participants_only: bool,
    pub stop_when_converged: bool,
}

impl Default for ProactiveConfig {
    fn default() -> Self {
        ProactiveConfig {
            rule: Rule::Pickhardt2020,
            interval_s: 600.0,
            max_cycle_len: 4,
            tolerance: None,
            max_moves: 4,
            min_amount_sat: 1000,
            max_amount_sat: None,
            max_fee_ppm: 1000,
            max_attempts: 3,
            fee_free_among_participants: None,
            participants_only: false,
            stop_when_converged: false,
        }
    }
}

impl ProactiveConfig {
    pub fn validate(&self, field: &str) -> Result<(), FieldError> {
        common::check_positive(field, "interval_s", self.interval_s)?;
        common::check_cycle_len(field, "max_cycle_len", self.max_cycle_len)?;
        common::check_share(field, "tolerance", self.tolerance())?;
        if self.max_moves == 0 {
            return Err(FieldError::new(
                format!("{field}.max_moves"),
                "expected at least 1",
            ));
        }
        if self.max_attempts == 0 {
            return Err(FieldError::new(
                format!("{field}.max_attempts"),
                "expected at least 1",
            ));
        }
        if self.max_amount_sat() == 0 || self.min_amount_sat > self.max_amount_sat() {
            return Err(FieldError::new(
                format!("{field}.max_amount_sat"),
                "expected 1 <= min_amount_sat <= max_amount_sat",
            ));
        }
        if self.participants_only && self.rule == Rule::Pairing {
            return Err(FieldError::new(
                format!("{field}.participants_only"),
                "only the \"pickhardt2020\" rule has a participants-only mode",
            ));
        }
        Ok(())
    }

    /// Tolerance band around ν (share points).
    pub fn tolerance(&self) -> f64 {
        self.tolerance.unwrap_or(match self.rule {
            Rule::Pickhardt2020 => 0.0,
            Rule::Pairing => 0.1,
        })
    }

    /// Largest move, sat.
    pub fn max_amount_sat(&self) -> u64 {
        self.max_amount_sat.unwrap_or(match self.rule {
            Rule::Pickhardt2020 => u64::MAX / 1000,
            Rule::Pairing => 500_000,
        })
    }

    /// Whether participants forward the rebalances fee-free.
    pub fn fee_free(&self) -> bool {
        self.fee_free_among_participants
            .unwrap_or(self.rule == Rule::Pickhardt2020)
    }
}

/// A node's last round: moves still pending and moves that succeeded.
#[derive(Debug, Clone, Copy, Default)]
struct RoundState {
    pending: u32,
    succeeded: u32,
    moves: u32,
}

/// The `proactive` strategy.
pub struct Proactive {
    cfg: ProactiveConfig,
    next_tag: u64,
    buf: Vec<Local>,
    want: Vec<u64>,
    /// Per node: its last round (for `stop_when_converged`).
    rounds: BTreeMap<NodeId, RoundState>,
    /// Tag → node of pending moves.
    tags: BTreeMap<u64, (NodeId, common::Move, Join)>,
}

impl Proactive {
    pub fn new(cfg: ProactiveConfig) -> Self {
        Proactive {
            cfg,
            next_tag: 1,
            buf: Vec::new(),
            want: Vec::new(),
            rounds: BTreeMap::new(),
            tags: BTreeMap::new(),
        }
    }

    /// One round of `node`: pushes its moves; returns how many.
    fn round(&mut self, view: &View<'_>, node: NodeId, out: &mut Vec<Action>) -> u32 {
        let c = &self.cfg;
        view.locals(node, &mut self.buf);
        let (sl, sc) = self.buf.iter().fold((0u128, 0u128), |(a, b), l| {
            (a + l.local as u128, b + l.capacity as u128)
        });
        if sc == 0 || self.buf.len() < 2 {
            return 0;
        }
        let nu = sl as f64 / sc as f64;
        self.want.clear();
        self.want
            .extend(self.buf.iter().map(|l| (l.capacity as f64 * nu) as u64));
        let buf = &self.buf;
        let tol = c.tolerance();
        let moves = common::greedy_moves(
            buf,
            &self.want,
            |i| buf[i].share() > nu + tol,
            |i| buf[i].share() < nu - tol,
            common::sat(c.min_amount_sat),
            common::sat(c.max_amount_sat()),
            c.max_moves,
        );
        let join = match c.rule {
            Rule::Pickhardt2020 => Join::NotWorse {
                participants_only: c.participants_only,
            },
            Rule::Pairing => Join::Anyone,
        };
        let n = moves.len() as u32;
        for m in moves {
            self.push_move(node, m, join, out);
        }
        n
    }

    fn push_move(&mut self, node: NodeId, m: common::Move, join: Join, out: &mut Vec<Action>) {
        let c = &self.cfg;
        let tag = self.next_tag;
        self.next_tag += 1;
        out.push(Action::Rebalance {
            node,
            out_chan: m.out_chan,
            in_chan: m.in_chan,
            amount: m.amount,
            max_fee: common::fee_limit(m.amount, c.max_fee_ppm, Msat::MAX),
            max_attempts: c.max_attempts,
            deadline: common::secs(c.interval_s.min(60.0)),
            max_hops: Some(c.max_cycle_len),
            fee_free: c.fee_free(),
            join,
            tag,
        });
        self.tags.insert(tag, (node, m, join));
    }
}

fn parse(table: &toml::Table, field: &str) -> Result<Factory, FieldError> {
    let c: ProactiveConfig = registry::params(table, field)?;
    c.validate(field)?;
    Ok(Arc::new(move |_: &Topology, _: &[bool]| {
        StrategyBox::local(Proactive::new(c.clone()))
    }))
}

impl registry::Params for ProactiveConfig {
    /// The rule's defaults made explicit; `max_amount_sat` stays `None` (no cap) under
    /// `pickhardt2020`.
    fn resolved(self) -> Self {
        ProactiveConfig {
            tolerance: Some(self.tolerance()),
            fee_free_among_participants: Some(self.fee_free()),
            max_amount_sat: match self.rule {
                Rule::Pickhardt2020 => self.max_amount_sat,
                Rule::Pairing => Some(self.max_amount_sat()),
            },
            ..self
        }
    }
}

/// Registry entry.
pub const ENTRY: Entry = Entry {
    name: "proactive",
    parse,
    resolve: registry::resolve::<ProactiveConfig>,
};

impl Strategy for Proactive {
    fn observe(
        &mut self,
        view: &View<'_>,
        obs: &Observation,
        rng: &mut SimRng,
        out: &mut Vec<Action>,
    ) {
        match *obs {
            Observation::Start => {
                common::stagger_timers(view, rng, self.cfg.interval_s, 0, out);
            }
            Observation::RebalanceDone { tag, success, .. } => {
                if let Some((node, m, join)) = self.tags.remove(&tag) {
                    // pickhardt2020: a cycle carries the least amount any of its members
                    // accepts; a failed move is tried again at half the amount.
                    let half = Msat(m.amount.0 / 2);
                    if !success
                        && self.cfg.rule == Rule::Pickhardt2020
                        && half >= common::sat(self.cfg.min_amount_sat).max(Msat(1))
                        && common::part(view.participates, node)
                    {
                        let m = common::Move { amount: half, ..m };
                        self.push_move(node, m, join, out);
                        return;
                    }
                    let r = self.rounds.entry(node).or_default();
                    r.pending = r.pending.saturating_sub(1);
                    r.succeeded += u32::from(success);
                }
            }
            Observation::Timer { node, .. } => {
                if !common::part(view.participates, node) {
                    return;
                }
                let last = self.rounds.get(&node).copied().unwrap_or_default();
                // Converged: the last round's moves all failed (none pending any more).
                let stuck = last.moves > 0 && last.pending == 0 && last.succeeded == 0;
                if self.cfg.stop_when_converged && stuck {
                    return;
                }
                let moves = self.round(view, node, out);
                self.rounds.insert(
                    node,
                    RoundState {
                        pending: moves,
                        succeeded: 0,
                        moves,
                    },
                );
                if !(self.cfg.stop_when_converged && moves == 0) {
                    common::rearm(view, node, self.cfg.interval_s, 0, out);
                }
            }
            _ => {}
        }
    }
}
