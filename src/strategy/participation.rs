//! `participation`: which nodes run a strategy (all, none, a random or top share, a list).

use crate::error::FieldError;
use crate::rng::SimRng;
use crate::topology::Topology;
use rand::seq::SliceRandom;
use serde::Deserialize;

/// Which nodes run a strategy.
///
/// Deserialized by hand through [`ParticipationTable`] (not `#[serde(untagged)]`), so a
/// misspelt key (`{ share = 0.3, pik = "capacity" }`) is an error naming it and the
/// allowed keys, and keys of two forms cannot be mixed.
#[derive(Debug, Clone, PartialEq)]
pub enum Participation {
    /// `"all"` or `"none"`.
    Named(ParticipationName),
    /// `{ share = 0.3, pick = "random" | "capacity" | "degree" }`.
    Share { share: f64, pick: Pick },
    /// `{ top = 10, by = "capacity" | "degree" }`.
    Top { top: usize, by: Pick },
    /// `{ nodes = [0, 5, 7] }`.
    Nodes { nodes: Vec<u32> },
}

fn by_capacity() -> Pick {
    Pick::Capacity
}

/// The table forms of [`Participation`] as written: every key optional, none unknown.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ParticipationTable {
    share: Option<f64>,
    pick: Option<Pick>,
    top: Option<usize>,
    by: Option<Pick>,
    nodes: Option<Vec<u32>>,
}

impl ParticipationTable {
    fn into_participation<E: serde::de::Error>(self) -> Result<Participation, E> {
        let t = self;
        match (t.share, t.top, t.nodes) {
            (Some(share), None, None) if t.by.is_none() => Ok(Participation::Share {
                share,
                pick: t.pick.unwrap_or_default(),
            }),
            (None, Some(top), None) if t.pick.is_none() => Ok(Participation::Top {
                top,
                by: t.by.unwrap_or_else(by_capacity),
            }),
            (None, None, Some(nodes)) if t.pick.is_none() && t.by.is_none() => {
                Ok(Participation::Nodes { nodes })
            }
            (None, None, None) => Err(E::custom(
                "expected one of the keys `share`, `top` or `nodes`",
            )),
            _ => Err(E::custom(
                "expected exactly one form: { share, pick }, { top, by } or { nodes }",
            )),
        }
    }
}

impl<'de> Deserialize<'de> for Participation {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Participation;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "\"all\", \"none\", { share = 0.3, pick = \"random\"|\"capacity\"|\"degree\" }, \
                     { top = 10, by = \"capacity\"|\"degree\" } or { nodes = [..] }",
                )
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Participation, E> {
                match v {
                    "all" => Ok(Participation::Named(ParticipationName::All)),
                    "none" => Ok(Participation::Named(ParticipationName::None)),
                    other => Err(E::unknown_variant(other, &["all", "none"])),
                }
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<Participation, A::Error> {
                ParticipationTable::deserialize(serde::de::value::MapAccessDeserializer::new(map))?
                    .into_participation()
            }
        }
        d.deserialize_any(V)
    }
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
    /// As written in a scenario, every default filled in (`"all"`, `{ share = 0.3, pick =
    /// "random" }`, …), for the manifest.
    pub fn to_json(&self) -> serde_json::Value {
        let pick = |p: &Pick| match p {
            Pick::Random => "random",
            Pick::Capacity => "capacity",
            Pick::Degree => "degree",
        };
        match self {
            Participation::Named(ParticipationName::All) => "all".into(),
            Participation::Named(ParticipationName::None) => "none".into(),
            Participation::Share { share, pick: p } => {
                serde_json::json!({ "share": share, "pick": pick(p) })
            }
            Participation::Top { top, by } => serde_json::json!({ "top": top, "by": pick(by) }),
            Participation::Nodes { nodes } => serde_json::json!({ "nodes": nodes }),
        }
    }

    /// Checks that every node a `{ nodes = [..] }` list names exists.
    pub fn validate_nodes(&self, field: &str, node_count: usize) -> Result<(), FieldError> {
        if let Participation::Nodes { nodes } = self {
            if let Some((i, v)) = nodes
                .iter()
                .enumerate()
                .find(|(_, v)| **v as usize >= node_count)
            {
                return Err(FieldError::new(
                    format!("{field}.nodes"),
                    format!(
                        "nodes[{i}] = {v} names no node: the topology has {node_count} nodes (0..={})",
                        node_count.saturating_sub(1)
                    ),
                ));
            }
        }
        Ok(())
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Participation, String> {
        #[derive(Deserialize, Debug)]
        struct D {
            p: Participation,
        }
        toml::from_str::<D>(&format!("p = {s}"))
            .map(|d| d.p)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn participation_forms_parse_and_bad_keys_are_named() {
        assert_eq!(
            p("\"none\"").unwrap(),
            Participation::Named(ParticipationName::None)
        );
        assert_eq!(
            p("{ share = 0.3 }").unwrap(),
            Participation::Share {
                share: 0.3,
                pick: Pick::Random
            }
        );
        assert_eq!(
            p("{ top = 2 }").unwrap(),
            Participation::Top {
                top: 2,
                by: Pick::Capacity
            }
        );
        assert_eq!(
            p("{ nodes = [1, 2] }").unwrap(),
            Participation::Nodes { nodes: vec![1, 2] }
        );
        let e = p("{ share = 0.3, pik = \"capacity\" }").unwrap_err();
        assert!(
            e.contains("unknown field `pik`") && e.contains("`pick`"),
            "{e}"
        );
        assert!(p("{ share = 0.3, top = 3 }")
            .unwrap_err()
            .contains("exactly one form"));
        assert!(p("{ top = 3, pick = \"degree\" }")
            .unwrap_err()
            .contains("exactly one form"));
        assert!(p("{}").unwrap_err().contains("`share`, `top` or `nodes`"));
        assert!(p("\"some\"")
            .unwrap_err()
            .contains("unknown variant `some`"));
    }

    #[test]
    fn participation_nodes_must_exist() {
        let n = Participation::Nodes { nodes: vec![0, 3] };
        assert!(n.validate_nodes("s", 4).is_ok());
        let e = n.validate_nodes("s", 3).unwrap_err();
        assert_eq!(e.field, "s.nodes");
        assert!(e.message.contains("nodes[1] = 3"), "{e}");
    }
}
