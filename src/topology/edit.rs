//! Topology edits: add nodes, add, remove and resize channels, scale capacities, on top of
//! any generated or imported graph.
//!
//! ```toml
//! [[topology.add_node]]
//! name = "M"
//! [[topology.add_channel]]
//! from = "M"                # a node name, or an index (0-based, as in results)
//! to = 17
//! capacity_sat = 2_000_000
//! from_share = 0.0          # share of the capacity on `from`'s side (default 0.5)
//! ppm = 10                  # base_msat, ppm, cltv_delta, min_htlc_msat, max_htlc_share
//! [[topology.remove_channel]]
//! from = 3                  # every channel between the two nodes (or give `label`)
//! to = 4
//! [[topology.resize_channel]]
//! from = "M"
//! to = 17
//! capacity_sat = 500_000    # balances keep their proportions
//! [[topology.scale_capacity]]
//! node = "M"                # every channel of M (without `node`: every channel)
//! factor = 1.5
//! ```
//!
//! The edits apply after the import or generator and before the component filter, in a
//! fixed order whatever their order in the file: every `add_node`, then every
//! `add_channel`, `remove_channel`, `resize_channel`, `scale_capacity` (each list in file
//! order). So a `scale_capacity` of a node also scales the channels added to it: that is
//! the capacity-planning knob (`pcnsim plan`). Edits draw no random numbers. The
//! component filter keeps the nodes `add_node` adds even when they have no channel (a
//! planned node); their channels stay if the other end is kept.
//!
//! Errors are [`FieldError`]s naming the entry (`topology.add_channel[1].to`): an unknown
//! or ambiguous node, a duplicate node or channel, a channel to itself, a capacity or
//! factor that is not positive, a share outside [0, 1], a selector matching no channel.
//! This module must not read files or draw random numbers.

use super::generate::reserve;
use super::{ChannelSpec, FeePolicy, NodeId, NodeInfo, Topology};
use crate::error::FieldError;
use crate::units::Msat;
use serde::{Deserialize, Serialize};

/// A node named in an edit: its index, or its name (public key, alias or `n<i>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum NodeRef {
    Index(u32),
    Name(String),
}

impl std::fmt::Display for NodeRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NodeRef::Index(i) => write!(f, "{i}"),
            NodeRef::Name(n) => write!(f, "\"{n}\""),
        }
    }
}

/// `[[topology.add_node]]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddNode {
    pub name: String,
}

/// `[[topology.add_channel]]`: a channel with a fixed capacity, split and policy (the same
/// policy on both sides).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddChannel {
    pub from: NodeRef,
    pub to: NodeRef,
    pub capacity_sat: i64,
    /// Share of the capacity on `from`'s side, in [0, 1]. Default 0.5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_share: Option<f64>,
    /// Default 1000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_msat: Option<u64>,
    /// Default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ppm: Option<u32>,
    /// Default 40.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cltv_delta: Option<u16>,
    /// Default 1000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_htlc_msat: Option<u64>,
    /// Largest HTLC as a share of the capacity, in (0, 1]. Default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_htlc_share: Option<f64>,
    /// Label in results (default `add_channel[<i>]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The `[[chain]]` (by name) the channel is anchored on (default: by its nodes'
    /// homes, see [`crate::chain::multi`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain: Option<String>,
}

/// Which channels `remove_channel` / `resize_channel` act on: every channel between
/// `from` and `to`, or the one with `label`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoveChannel {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<NodeRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<NodeRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// `[[topology.resize_channel]]`: a new capacity (balances, reserves and `max_htlc` keep
/// their proportions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResizeChannel {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<NodeRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<NodeRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub capacity_sat: i64,
}

/// `[[topology.scale_capacity]]`: multiply the capacity of every channel of `node`, of
/// the channels a `from`+`to` or `label` selector names, or (with none of them) of every
/// channel, by `factor`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScaleCapacity {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<NodeRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<NodeRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<NodeRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub factor: f64,
}

impl ScaleCapacity {
    /// Every channel of `node` (`None`: every channel).
    pub fn node(node: Option<NodeRef>, factor: f64) -> Self {
        ScaleCapacity {
            node,
            from: None,
            to: None,
            label: None,
            factor,
        }
    }
}

/// Every edit of a `[topology]` table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Edits {
    pub add_node: Vec<AddNode>,
    pub add_channel: Vec<AddChannel>,
    pub remove_channel: Vec<RemoveChannel>,
    pub resize_channel: Vec<ResizeChannel>,
    pub scale_capacity: Vec<ScaleCapacity>,
    /// Reserve of added channels, ppm of capacity (the table's `reserve_ppm`).
    pub reserve_ppm: u32,
}

impl Edits {
    pub fn is_empty(&self) -> bool {
        self.add_node.is_empty()
            && self.add_channel.is_empty()
            && self.remove_channel.is_empty()
            && self.resize_channel.is_empty()
            && self.scale_capacity.is_empty()
    }

    /// Checks what can be checked without the graph (ranges, selectors).
    pub fn validate(&self) -> Result<(), FieldError> {
        for (i, a) in self.add_node.iter().enumerate() {
            if a.name.trim().is_empty() {
                return Err(FieldError::new(
                    format!("topology.add_node[{i}].name"),
                    "must not be empty",
                ));
            }
        }
        for (i, c) in self.add_channel.iter().enumerate() {
            let f = |k: &str| format!("topology.add_channel[{i}].{k}");
            positive_capacity(c.capacity_sat, &f("capacity_sat"))?;
            if let Some(s) = c.from_share {
                if !(s.is_finite() && (0.0..=1.0).contains(&s)) {
                    return Err(FieldError::new(
                        f("from_share"),
                        format!("must be a share in [0, 1], got {s}"),
                    ));
                }
            }
            if let Some(s) = c.max_htlc_share {
                if !(s.is_finite() && s > 0.0 && s <= 1.0) {
                    return Err(FieldError::new(
                        f("max_htlc_share"),
                        format!("must be in (0, 1], got {s}"),
                    ));
                }
            }
        }
        for (i, r) in self.remove_channel.iter().enumerate() {
            selector_ok(
                "remove_channel",
                i,
                r.from.is_some(),
                r.to.is_some(),
                r.label.is_some(),
            )?;
        }
        for (i, r) in self.resize_channel.iter().enumerate() {
            selector_ok(
                "resize_channel",
                i,
                r.from.is_some(),
                r.to.is_some(),
                r.label.is_some(),
            )?;
            positive_capacity(
                r.capacity_sat,
                &format!("topology.resize_channel[{i}].capacity_sat"),
            )?;
        }
        for (i, s) in self.scale_capacity.iter().enumerate() {
            let sel = s.from.is_some() || s.to.is_some() || s.label.is_some();
            if sel {
                selector_ok(
                    "scale_capacity",
                    i,
                    s.from.is_some(),
                    s.to.is_some(),
                    s.label.is_some(),
                )?;
                if s.node.is_some() {
                    return Err(FieldError::new(
                        format!("topology.scale_capacity[{i}].node"),
                        "give `node`, or `from` and `to`, or `label` (one of them)",
                    ));
                }
            }
            if !(s.factor.is_finite() && s.factor > 0.0 && s.factor <= 1e6) {
                return Err(FieldError::new(
                    format!("topology.scale_capacity[{i}].factor"),
                    format!("must be a positive number (at most 1e6), got {}", s.factor),
                ));
            }
        }
        Ok(())
    }

    /// Applies the edits to `topo` (see the module documentation for the order).
    ///
    /// # Errors
    /// A [`FieldError`] naming the entry: unknown or ambiguous node, duplicate node name,
    /// duplicate channel, channel to itself, a selector that matches nothing, a capacity
    /// that rounds to zero.
    ///
    /// # Complexity
    /// O(|V| + |E|) per edit, plus the rebuild of the graph.
    pub fn apply(&self, topo: &Topology) -> Result<Topology, FieldError> {
        self.validate()?;
        let mut nodes: Vec<NodeInfo> = (0..topo.node_count())
            .map(|i| topo.node(NodeId(i as u32)).clone())
            .collect();
        let mut chans: Vec<ChannelSpec> = topo.channels().map(|(_, c)| c.clone()).collect();
        for (i, a) in self.add_node.iter().enumerate() {
            if nodes.iter().any(|n| n.name == a.name) {
                return Err(FieldError::new(
                    format!("topology.add_node[{i}].name"),
                    format!("a node named \"{}\" already exists", a.name),
                ));
            }
            nodes.push(NodeInfo {
                name: a.name.clone(),
            });
        }
        for (i, c) in self.add_channel.iter().enumerate() {
            let f = |k: &str| format!("topology.add_channel[{i}].{k}");
            let a = find_node(&nodes, &c.from, &f("from"))?;
            let b = find_node(&nodes, &c.to, &f("to"))?;
            if a == b {
                return Err(FieldError::new(
                    f("to"),
                    format!("a channel from node {} to itself", c.to),
                ));
            }
            if chans.iter().any(|x| same_pair(x, a, b)) {
                return Err(FieldError::new(
                    f("to"),
                    format!(
                        "duplicate channel: nodes {} and {} already have a channel (resize it instead)",
                        c.from, c.to
                    ),
                ));
            }
            let capacity = Msat::from_sat(c.capacity_sat as u64);
            let side0 = capacity.mul_ppm((c.from_share.unwrap_or(0.5) * 1e6).round() as u64);
            let r = reserve(capacity, self.reserve_ppm);
            let d = FeePolicy::default();
            let share = c.max_htlc_share.unwrap_or(1.0);
            let policy = FeePolicy {
                base_fee: Msat(c.base_msat.unwrap_or(d.base_fee.0)),
                fee_ppm: c.ppm.unwrap_or(d.fee_ppm),
                cltv_delta: c.cltv_delta.unwrap_or(d.cltv_delta),
                min_htlc: Msat(c.min_htlc_msat.unwrap_or(d.min_htlc.0)),
                max_htlc: capacity.mul_ppm((share * 1e6).round() as u64),
                max_accepted_htlcs: d.max_accepted_htlcs,
            };
            chans.push(ChannelSpec {
                nodes: [a, b],
                capacity,
                balance: [side0, capacity - side0],
                reserve: [r, r],
                policy: [policy; 2],
                label: Some(
                    c.label
                        .clone()
                        .unwrap_or_else(|| format!("add_channel[{i}]")),
                ),
            });
        }
        for (i, r) in self.remove_channel.iter().enumerate() {
            let hit = select(
                &nodes,
                &chans,
                "remove_channel",
                i,
                &r.from,
                &r.to,
                &r.label,
            )?;
            let mut k = 0;
            chans.retain(|_| {
                k += 1;
                !hit.contains(&(k - 1))
            });
        }
        for (i, r) in self.resize_channel.iter().enumerate() {
            let hit = select(
                &nodes,
                &chans,
                "resize_channel",
                i,
                &r.from,
                &r.to,
                &r.label,
            )?;
            let cap = Msat::from_sat(r.capacity_sat as u64);
            for k in hit {
                rescale(&mut chans[k], cap);
            }
        }
        for (i, s) in self.scale_capacity.iter().enumerate() {
            let node = match &s.node {
                Some(n) => Some(find_node(
                    &nodes,
                    n,
                    &format!("topology.scale_capacity[{i}].node"),
                )?),
                None => None,
            };
            let picked = if s.from.is_some() || s.label.is_some() {
                Some(select(
                    &nodes,
                    &chans,
                    "scale_capacity",
                    i,
                    &s.from,
                    &s.to,
                    &s.label,
                )?)
            } else {
                None
            };
            for (k, c) in chans.iter_mut().enumerate() {
                let hit = match &picked {
                    Some(p) => p.contains(&k),
                    None => node.is_none_or(|n| c.nodes.contains(&n)),
                };
                if hit {
                    let cap = (c.capacity.0 as f64 * s.factor).round() as u64;
                    if cap == 0 {
                        return Err(FieldError::new(
                            format!("topology.scale_capacity[{i}].factor"),
                            format!("scales a channel of {} msat to zero capacity", c.capacity.0),
                        ));
                    }
                    rescale(c, Msat(cap));
                }
            }
        }
        let mut out = Topology::new();
        for n in nodes {
            out.add_node(n.name);
        }
        for c in chans {
            out.add_channel(c);
        }
        Ok(out)
    }
}

/// Something with a node name (a [`NodeInfo`] or the name itself).
pub trait AsNodeName {
    fn node_name(&self) -> &str;
}
impl AsNodeName for NodeInfo {
    fn node_name(&self) -> &str {
        &self.name
    }
}
impl AsNodeName for String {
    fn node_name(&self) -> &str {
        self
    }
}

fn positive_capacity(v: i64, field: &str) -> Result<(), FieldError> {
    if v <= 0 || v as u64 > crate::dist::MAX_SAT {
        return Err(FieldError::new(
            field,
            format!(
                "must be a positive number of sat (at most {}), got {v}",
                crate::dist::MAX_SAT
            ),
        ));
    }
    Ok(())
}

fn selector_ok(table: &str, i: usize, from: bool, to: bool, label: bool) -> Result<(), FieldError> {
    let ok = (from && to && !label) || (!from && !to && label);
    if ok {
        return Ok(());
    }
    Err(FieldError::new(
        format!(
            "topology.{table}[{i}].{}",
            if label { "label" } else { "to" }
        ),
        "give `from` and `to` (every channel between them) or `label`, not both",
    ))
}

fn same_pair(c: &ChannelSpec, a: NodeId, b: NodeId) -> bool {
    c.nodes == [a, b] || c.nodes == [b, a]
}

/// The node `r` names: an index below the node count, or exactly one node with that name.
///
/// # Errors
/// `field` with "unknown node" or "ambiguous node name".
pub fn find_node<N: AsNodeName>(
    nodes: &[N],
    r: &NodeRef,
    field: &str,
) -> Result<NodeId, FieldError> {
    match r {
        NodeRef::Index(i) if (*i as usize) < nodes.len() => Ok(NodeId(*i)),
        NodeRef::Index(i) => Err(FieldError::new(
            field,
            format!(
                "unknown node {i}: the topology has {} nodes (0..{})",
                nodes.len(),
                nodes.len()
            ),
        )),
        NodeRef::Name(n) => {
            let mut hits = nodes.iter().enumerate().filter(|(_, x)| x.node_name() == n);
            match (hits.next(), hits.next()) {
                (Some((i, _)), None) => Ok(NodeId(i as u32)),
                (None, _) => Err(FieldError::new(
                    field,
                    format!("unknown node \"{n}\" (no node has that name)"),
                )),
                (Some((i, _)), Some((j, _))) => Err(FieldError::new(
                    field,
                    format!(
                        "ambiguous node name \"{n}\" (nodes {i} and {j} have it); use an index"
                    ),
                )),
            }
        }
    }
}

/// Indices of the channels a `from`/`to` or `label` selector names (at least one).
fn select(
    nodes: &[NodeInfo],
    chans: &[ChannelSpec],
    table: &str,
    i: usize,
    from: &Option<NodeRef>,
    to: &Option<NodeRef>,
    label: &Option<String>,
) -> Result<Vec<usize>, FieldError> {
    let f = |k: &str| format!("topology.{table}[{i}].{k}");
    let hit: Vec<usize> = match (from, to, label) {
        (Some(a), Some(b), None) => {
            let a = find_node(nodes, a, &f("from"))?;
            let b = find_node(nodes, b, &f("to"))?;
            (0..chans.len())
                .filter(|&k| same_pair(&chans[k], a, b))
                .collect()
        }
        (None, None, Some(l)) => (0..chans.len())
            .filter(|&k| chans[k].label.as_deref() == Some(l.as_str()))
            .collect(),
        _ => return Err(FieldError::new(f("to"), "give `from` and `to`, or `label`")),
    };
    if hit.is_empty() {
        let what = match label {
            Some(l) => format!("no channel has the label \"{l}\""),
            None => format!(
                "no channel between nodes {} and {}",
                from.as_ref().map_or(String::new(), |x| x.to_string()),
                to.as_ref().map_or(String::new(), |x| x.to_string())
            ),
        };
        return Err(FieldError::new(
            f(if label.is_some() { "label" } else { "to" }),
            what,
        ));
    }
    Ok(hit)
}

/// `x * num / den` rounded down, in 128-bit arithmetic.
fn scale(x: Msat, num: Msat, den: Msat) -> Msat {
    Msat((u128::from(x.0) * u128::from(num.0) / u128::from(den.0.max(1))) as u64)
}

/// Sets the capacity of `c` to `cap`, keeping the proportions of balances, reserves and
/// `max_htlc` (side 0 rounded down, side 1 the rest).
fn rescale(c: &mut ChannelSpec, cap: Msat) {
    let old = c.capacity;
    let side0 = scale(c.balance[0], cap, old);
    c.balance = [side0, cap - side0];
    c.reserve = c.reserve.map(|r| scale(r, cap, old));
    for p in c.policy.iter_mut() {
        if p.max_htlc < Msat::MAX {
            p.max_htlc = scale(p.max_htlc, cap, old);
        }
    }
    c.capacity = cap;
}

#[cfg(test)]
mod tests {
    use super::super::{build, TopologyConfig};
    use super::*;
    use crate::rng::SimRng;
    use rand::SeedableRng;

    #[derive(Deserialize)]
    struct Doc {
        topology: TopologyConfig,
    }

    /// A 3-node line (n0 - n1 - n2), 1,000 sat channels split half/half, 1% reserve, plus
    /// the edits in `extra`.
    fn line_with(extra: &str) -> Result<Topology, String> {
        let text = format!(
            "[topology]\nkind = \"line\"\nnodes = 3\ncapacity = {{ dist = \"fixed\", sat = 1000 }}\n{extra}"
        );
        let doc: Doc = toml::from_str(&text).map_err(|e| e.to_string())?;
        let spec = doc
            .topology
            .resolve(std::path::Path::new("/"))
            .map_err(|e| format!("{}: {}", e.field, e.message))?;
        super::super::try_build(&spec, &mut SimRng::seed_from_u64(1)).map_err(|e| match e {
            super::super::BuildError::Edit(f) => format!("{}: {}", f.field, f.message),
            super::super::BuildError::Data(d) => d.to_string(),
        })
    }

    #[test]
    fn topology_edits_hand_computed() {
        let t = line_with(
            "[[topology.add_node]]\nname = \"M\"\n\
             [[topology.add_channel]]\nfrom = \"M\"\nto = 2\ncapacity_sat = 500\nfrom_share = 0.2\nppm = 7\nbase_msat = 0\n\
             [[topology.remove_channel]]\nfrom = \"n0\"\nto = 1\n\
             [[topology.resize_channel]]\nfrom = 2\nto = \"n1\"\ncapacity_sat = 3000\n\
             [[topology.scale_capacity]]\nnode = \"M\"\nfactor = 2.0\n",
        )
        .unwrap();
        assert_eq!(t.node_count(), 4);
        assert_eq!(t.node(NodeId(3)).name, "M");
        // Channel 0-1 removed: the old 1-2 is channel 0 now, M-2 channel 1.
        assert_eq!(t.channel_count(), 2);
        let c = t.channel(crate::topology::ChannelId(0));
        assert_eq!(c.nodes, [NodeId(1), NodeId(2)]);
        // Resized 1,000 → 3,000 sat: 500,000 msat each side → 1,500,000; reserve 1%.
        assert_eq!(c.capacity, Msat(3_000_000));
        assert_eq!(c.balance, [Msat(1_500_000), Msat(1_500_000)]);
        assert_eq!(c.reserve, [Msat(30_000), Msat(30_000)]);
        let m = t.channel(crate::topology::ChannelId(1));
        assert_eq!(m.nodes, [NodeId(3), NodeId(2)]);
        // 500 sat, M holds 20% = 100,000 msat; then scaled ×2 (M's channels only).
        assert_eq!(m.capacity, Msat(1_000_000));
        assert_eq!(m.balance, [Msat(200_000), Msat(800_000)]);
        assert_eq!(m.reserve, [Msat(10_000), Msat(10_000)]);
        assert_eq!(m.policy[0].fee_ppm, 7);
        assert_eq!(m.policy[1].base_fee, Msat(0));
        assert_eq!(m.policy[0].max_htlc, Msat(1_000_000));
        assert_eq!(m.label.as_deref(), Some("add_channel[0]"));
        for (_, c) in t.channels() {
            assert_eq!(c.balance[0] + c.balance[1], c.capacity);
        }
        // Scaling everything by 0.5: 3,000 → 1,500 sat and 1,000 → 500 sat.
        let t = line_with("[[topology.scale_capacity]]\nfactor = 0.5\n").unwrap();
        assert_eq!(t.total_capacity(), Msat(1_000_000));
        // Scaling a set of channels (one by its ends, one by label): ×3 each, the third
        // channel (n1 - n2, 1,000 sat) untouched.
        let t = line_with(
            "[[topology.add_node]]\nname = \"M\"\n[[topology.add_channel]]\nfrom = \"M\"\nto = 0\ncapacity_sat = 10\nlabel = \"mine\"\n\
             [[topology.scale_capacity]]\nfrom = \"n1\"\nto = 0\nfactor = 3\n\
             [[topology.scale_capacity]]\nlabel = \"mine\"\nfactor = 3\n",
        )
        .unwrap();
        let caps: Vec<Msat> = t.channels().map(|(_, c)| c.capacity).collect();
        assert_eq!(caps, vec![Msat(3_000_000), Msat(1_000_000), Msat(30_000)]);
        assert_eq!(
            t.channel(crate::topology::ChannelId(0)).balance,
            [Msat(1_500_000); 2]
        );
        // By label.
        let t = line_with(
            "[[topology.add_node]]\nname = \"M\"\n[[topology.add_channel]]\nfrom = 3\nto = 0\ncapacity_sat = 10\nlabel = \"mine\"\n\
             [[topology.resize_channel]]\nlabel = \"mine\"\ncapacity_sat = 20\n",
        )
        .unwrap();
        assert_eq!(
            t.channel(crate::topology::ChannelId(2)).capacity,
            Msat(20_000)
        );
    }

    #[test]
    fn topology_edits_added_nodes_survive_the_component_filter() {
        // Remove n1 - n2: components {n0, n1} and {n2}; keep the largest, plus M (no
        // channel) and Q (a channel to n2, which is dropped, so the channel goes too).
        let t = line_with(
            "component = \"largest_connected\"\n\
             [[topology.add_node]]\nname = \"M\"\n[[topology.add_node]]\nname = \"Q\"\n\
             [[topology.add_channel]]\nfrom = \"Q\"\nto = 2\ncapacity_sat = 5\n\
             [[topology.remove_channel]]\nfrom = 1\nto = 2\n",
        )
        .unwrap();
        let names: Vec<&str> = (0..t.node_count())
            .map(|i| t.node(NodeId(i as u32)).name.as_str())
            .collect();
        assert_eq!(names, ["n0", "n1", "M", "Q"]);
        assert_eq!(t.channel_count(), 1);
    }

    #[test]
    fn topology_edits_errors_name_the_entry() {
        let err = |extra: &str| line_with(extra).unwrap_err();
        let cases: &[(&str, &str, &str)] = &[
            (
                "[[topology.add_channel]]\nfrom = \"X\"\nto = 1\ncapacity_sat = 5\n",
                "topology.add_channel[0].from",
                "unknown node \"X\"",
            ),
            (
                "[[topology.add_channel]]\nfrom = 0\nto = 9\ncapacity_sat = 5\n",
                "topology.add_channel[0].to",
                "unknown node 9",
            ),
            (
                "[[topology.add_channel]]\nfrom = 0\nto = 1\ncapacity_sat = 5\n",
                "topology.add_channel[0].to",
                "duplicate channel",
            ),
            (
                "[[topology.add_channel]]\nfrom = 0\nto = 0\ncapacity_sat = 5\n",
                "topology.add_channel[0].to",
                "to itself",
            ),
            (
                "[[topology.add_channel]]\nfrom = 0\nto = 2\ncapacity_sat = 0\n",
                "topology.add_channel[0].capacity_sat",
                "positive",
            ),
            (
                "[[topology.add_channel]]\nfrom = 0\nto = 2\ncapacity_sat = -5\n",
                "topology.add_channel[0].capacity_sat",
                "positive",
            ),
            (
                "[[topology.add_channel]]\nfrom = 0\nto = 2\ncapacity_sat = 5\nfrom_share = 1.5\n",
                "topology.add_channel[0].from_share",
                "[0, 1]",
            ),
            (
                "[[topology.add_node]]\nname = \"n1\"\n",
                "topology.add_node[0].name",
                "already exists",
            ),
            (
                "[[topology.add_node]]\nname = \"\"\n",
                "topology.add_node[0].name",
                "empty",
            ),
            (
                "[[topology.remove_channel]]\nfrom = 0\nto = 2\n",
                "topology.remove_channel[0].to",
                "no channel between nodes 0 and 2",
            ),
            (
                "[[topology.remove_channel]]\nfrom = 0\n",
                "topology.remove_channel[0].to",
                "give `from` and `to`",
            ),
            (
                "[[topology.resize_channel]]\nlabel = \"zz\"\ncapacity_sat = 5\n",
                "topology.resize_channel[0].label",
                "no channel has the label",
            ),
            (
                "[[topology.resize_channel]]\nfrom = 0\nto = 1\ncapacity_sat = 0\n",
                "topology.resize_channel[0].capacity_sat",
                "positive",
            ),
            (
                "[[topology.scale_capacity]]\nfactor = 0\n",
                "topology.scale_capacity[0].factor",
                "positive",
            ),
            (
                "[[topology.scale_capacity]]\nnode = \"q\"\nfactor = 2\n",
                "topology.scale_capacity[0].node",
                "unknown node",
            ),
            (
                "[[topology.scale_capacity]]\nfactor = 1e-9\n",
                "topology.scale_capacity[0].factor",
                "zero capacity",
            ),
            (
                "[[topology.scale_capacity]]\nnode = 0\nlabel = \"x\"\nfactor = 2\n",
                "topology.scale_capacity[0].node",
                "one of them",
            ),
            (
                "[[topology.scale_capacity]]\nfrom = 0\nfactor = 2\n",
                "topology.scale_capacity[0].to",
                "give `from` and `to`",
            ),
            (
                "[[topology.scale_capacity]]\nfrom = 0\nto = 2\nfactor = 2\n",
                "topology.scale_capacity[0].to",
                "no channel between nodes 0 and 2",
            ),
        ];
        for (extra, field, msg) in cases {
            let e = err(extra);
            assert!(e.starts_with(&format!("{field}: ")), "{extra}: {e}");
            assert!(e.contains(msg), "{extra}: {e}");
        }
        // Two nodes with one name: ambiguous.
        let e = line_with(
            "[[topology.add_node]]\nname = \"x\"\n[[topology.add_channel]]\nfrom = \"x\"\nto = 0\ncapacity_sat = 5\n",
        );
        assert!(e.is_ok());
        let mut t = Topology::new();
        t.add_node("a");
        t.add_node("a");
        let edits = Edits {
            scale_capacity: vec![ScaleCapacity::node(Some(NodeRef::Name("a".into())), 2.0)],
            ..Edits::default()
        };
        let e = edits.apply(&t).unwrap_err();
        assert_eq!(e.field, "topology.scale_capacity[0].node");
        assert!(e.message.contains("ambiguous"), "{}", e.message);
        // Misspelt key: a parse error.
        assert!(
            line_with("[[topology.add_channel]]\nfrom = 0\nto = 2\ncapacity = 5\n")
                .unwrap_err()
                .contains("unknown field `capacity`")
        );
        // `build` (no scenario file) still names the field.
        let doc: Doc = toml::from_str(
            "[topology]\nkind = \"ring\"\nnodes = 3\n[[topology.remove_channel]]\nfrom = 0\nto = 0\n",
        )
        .unwrap();
        let spec = doc.topology.resolve(std::path::Path::new("/")).unwrap();
        let e = build(&spec, &mut SimRng::seed_from_u64(1)).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("topology.remove_channel[0].to"));
    }
}
