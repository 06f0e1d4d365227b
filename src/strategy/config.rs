//! `[[strategy]]` tables: which strategy, with which parameters, run by which nodes.
//!
//! Parsed and validated once into [`StrategySpec`]s; each run builds a fresh strategy
//! object from its spec. The registry ([`parse_one`]) is the one place that maps names to
//! implementations.

use super::{NoStrategy, Strategy};
use crate::error::FieldError;
use crate::rng::SimRng;
use crate::topology::{NodeId, Topology};
use rand::seq::SliceRandom;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::fmt;
use std::sync::Arc;

/// Which nodes run a strategy.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum Participation {
    /// `"all"` or `"none"`.
    Named(ParticipationName),
    /// `{ share = 0.3, pick = "random" | "capacity" | "degree" }`.
    Share {
        share: f64,
        #[serde(default)]
        pick: Pick,
    },
    /// `{ top = 10, by = "capacity" | "degree" }`.
    Top {
        top: usize,
        #[serde(default = "by_capacity")]
        by: Pick,
    },
    /// `{ nodes = [0, 5, 7] }`.
    Nodes { nodes: Vec<u32> },
}

fn by_capacity() -> Pick {
    Pick::Capacity
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum ParticipationName {
    All,
    None,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Pick {
    #[default]
    Random,
    Capacity,
    Degree,
}

impl Default for Participation {
    fn default() -> Self {
        Participation::Named(ParticipationName::All)
    }
}

impl Participation {
    pub fn validate(&self, field: &str) -> Result<(), FieldError> {
        match self {
            Participation::Share { share, .. } if !(0.0..=1.0).contains(share) => Err(
                FieldError::new(format!("{field}.share"), "expected a share between 0 and 1"),
            ),
            Participation::Top { top: 0, .. } => Err(FieldError::new(
                format!("{field}.top"),
                "expected at least 1 node",
            )),
            _ => Ok(()),
        }
    }

    /// Which nodes participate. Random picks use `rng` (the run's "participation" stream,
    /// so all strategies at one replication get the same set).
    pub fn resolve(&self, topo: &Topology, rng: &mut SimRng) -> Vec<bool> {
        let n = topo.node_count();
        let ranked = |by: Pick| -> Vec<usize> {
            let mut key = vec![0u64; n];
            for (_, c) in topo.channels() {
                for v in c.nodes {
                    key[v.idx()] += if by == Pick::Degree { 1 } else { c.capacity.0 };
                }
            }
            let mut order: Vec<usize> = (0..n).collect();
            order.sort_by(|&a, &b| key[b].cmp(&key[a]).then(a.cmp(&b)));
            order
        };
        let mut out = vec![false; n];
        match self {
            Participation::Named(ParticipationName::All) => out.iter_mut().for_each(|x| *x = true),
            Participation::Named(ParticipationName::None) => {}
            Participation::Share { share, pick } => {
                let k = (share * n as f64).round() as usize;
                let order = match pick {
                    Pick::Random => {
                        let mut o: Vec<usize> = (0..n).collect();
                        o.shuffle(rng);
                        o
                    }
                    by => ranked(*by),
                };
                for &v in order.iter().take(k) {
                    out[v] = true;
                }
            }
            Participation::Top { top, by } => {
                let order = if *by == Pick::Random {
                    let mut o: Vec<usize> = (0..n).collect();
                    o.shuffle(rng);
                    o
                } else {
                    ranked(*by)
                };
                for &v in order.iter().take(*top) {
                    out[v] = true;
                }
            }
            Participation::Nodes { nodes } => {
                for &v in nodes {
                    if let Some(x) = out.get_mut(v as usize) {
                        *x = true;
                    }
                }
            }
        }
        out
    }
}

/// Builds a fresh strategy object for one run.
pub trait StrategyFactory: Send + Sync {
    fn build(&self, topo: &Topology, participates: &[bool]) -> Box<dyn Strategy>;
}

impl<F> StrategyFactory for F
where
    F: Fn(&Topology, &[bool]) -> Box<dyn Strategy> + Send + Sync,
{
    fn build(&self, topo: &Topology, participates: &[bool]) -> Box<dyn Strategy> {
        self(topo, participates)
    }
}

/// A validated `[[strategy]]` entry.
#[derive(Clone)]
pub struct StrategySpec {
    /// The label in result tables (`label`, or the strategy name).
    pub label: String,
    /// The registered strategy name.
    pub kind: String,
    pub participation: Participation,
    /// The table as written (for the manifest).
    pub table: toml::Table,
    pub factory: Arc<dyn StrategyFactory>,
}

impl fmt::Debug for StrategySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StrategySpec")
            .field("label", &self.label)
            .field("kind", &self.kind)
            .finish()
    }
}

impl StrategySpec {
    pub fn none() -> Self {
        StrategySpec {
            label: "none".into(),
            kind: "none".into(),
            participation: Participation::default(),
            table: toml::Table::new(),
            factory: Arc::new(|_: &Topology, _: &[bool]| Box::new(NoStrategy) as Box<dyn Strategy>),
        }
    }

    pub fn build(&self, topo: &Topology, participates: &[bool]) -> Box<dyn Strategy> {
        self.factory.build(topo, participates)
    }
}

/// The registered strategy names.
pub const NAMES: &[&str] = &["none", "circular", "proactive", "jit", "periodic", "topup"];

/// Deserialises a strategy's own parameters from its table (common keys removed), mapping
/// errors to `strategy[i].<key>`.
pub fn params<T: DeserializeOwned>(table: &toml::Table, field: &str) -> Result<T, FieldError> {
    let mut t = table.clone();
    for k in ["name", "label", "participation"] {
        t.remove(k);
    }
    T::deserialize(toml::Value::Table(t)).map_err(|e| {
        let msg = e.message().to_string();
        // serde names the offending key in backticks.
        let key = msg.split('`').nth(1).map(str::to_string);
        match key {
            Some(k) if msg.starts_with("unknown field") => {
                FieldError::new(format!("{field}.{k}"), msg)
            }
            _ => FieldError::new(field.to_string(), msg),
        }
    })
}

/// Parses one `[[strategy]]` table (index `i`).
pub fn parse_one(i: usize, t: &toml::Table) -> Result<StrategySpec, FieldError> {
    let field = format!("strategy[{i}]");
    let kind = match t.get("name") {
        Some(toml::Value::String(s)) => s.clone(),
        Some(_) => {
            return Err(FieldError::new(
                format!("{field}.name"),
                "expected a string",
            ))
        }
        None => {
            return Err(FieldError::new(
                format!("{field}.name"),
                format!("missing; expected one of: {}", NAMES.join(", ")),
            ))
        }
    };
    let label = match t.get("label") {
        Some(toml::Value::String(s)) => s.clone(),
        Some(_) => {
            return Err(FieldError::new(
                format!("{field}.label"),
                "expected a string",
            ))
        }
        None => kind.clone(),
    };
    let participation = match t.get("participation") {
        Some(v) => Participation::deserialize(v.clone()).map_err(|_| {
            FieldError::new(
                format!("{field}.participation"),
                "expected \"all\", \"none\", { share = 0.3, pick = \"random\"|\"capacity\"|\"degree\" }, { top = 10, by = \"capacity\"|\"degree\" } or { nodes = [..] }",
            )
        })?,
        None => Participation::default(),
    };
    participation.validate(&format!("{field}.participation"))?;
    let factory: Arc<dyn StrategyFactory> = match kind.as_str() {
        "none" => {
            let _: Empty = params(t, &field)?;
            StrategySpec::none().factory
        }
        "circular" => {
            let c: super::circular::CircularConfig = params(t, &field)?;
            c.validate(&field)?;
            Arc::new(move |topo: &Topology, _: &[bool]| {
                Box::new(super::circular::Circular::new(c.clone(), topo)) as Box<dyn Strategy>
            })
        }
        "proactive" => {
            let c: super::proactive::ProactiveConfig = params(t, &field)?;
            c.validate(&field)?;
            Arc::new(move |_: &Topology, _: &[bool]| {
                Box::new(super::proactive::Proactive::new(c.clone())) as Box<dyn Strategy>
            })
        }
        "jit" => {
            let c: super::jit::JitConfig = params(t, &field)?;
            c.validate(&field)?;
            Arc::new(move |_: &Topology, _: &[bool]| {
                Box::new(super::jit::Jit::new(c.clone())) as Box<dyn Strategy>
            })
        }
        "periodic" => {
            let c: super::periodic::PeriodicConfig = params(t, &field)?;
            c.validate(&field)?;
            Arc::new(move |_: &Topology, _: &[bool]| {
                Box::new(super::periodic::Periodic::new(c.clone())) as Box<dyn Strategy>
            })
        }
        "topup" => {
            let c: super::topup::TopUpConfig = params(t, &field)?;
            c.validate(&field)?;
            Arc::new(move |_: &Topology, _: &[bool]| {
                Box::new(super::topup::TopUp::new(c.clone())) as Box<dyn Strategy>
            })
        }
        other => {
            return Err(FieldError::new(
                format!("{field}.name"),
                format!(
                    "unknown strategy `{other}`; expected one of: {}",
                    NAMES.join(", ")
                ),
            ))
        }
    };
    Ok(StrategySpec {
        label,
        kind,
        participation,
        table: t.clone(),
        factory,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Empty {}

/// Parses all `[[strategy]]` tables; none given means the baseline only. Labels must be
/// unique.
pub fn parse_all(tables: &[toml::Table]) -> Result<Vec<StrategySpec>, FieldError> {
    if tables.is_empty() {
        return Ok(vec![StrategySpec::none()]);
    }
    let mut out: Vec<StrategySpec> = Vec::new();
    for (i, t) in tables.iter().enumerate() {
        let s = parse_one(i, t)?;
        if out.iter().any(|o| o.label == s.label) {
            return Err(FieldError::new(
                format!("strategy[{i}].label"),
                format!(
                    "duplicate strategy label `{}`; give each a distinct `label`",
                    s.label
                ),
            ));
        }
        out.push(s);
    }
    Ok(out)
}

/// Helper for strategies: is `v` a participating node.
pub fn participates(p: &[bool], v: NodeId) -> bool {
    p.get(v.idx()).copied().unwrap_or(false)
}
