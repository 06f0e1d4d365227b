//! `participation`: which nodes run a strategy (all, none, a random or top share, a list).

use crate::error::FieldError;
use crate::rng::SimRng;
use crate::topology::Topology;
use rand::seq::SliceRandom;
use serde::Deserialize;

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
