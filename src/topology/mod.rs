//! The channel graph: who has channels with whom, with what capacity, balances and fees.
//!
//! A [`Topology`] is immutable once built and shared (behind an `Arc`) by every run of an
//! experiment; the mutable per-run state (balances, in-flight HTLCs) lives in
//! [`crate::engine`]. It is a petgraph undirected graph: node index = [`NodeId`], edge index =
//! [`ChannelId`], edge weight = [`ChannelSpec`].
//!
//! It is built from a `[topology]` scenario table by [`build`]: generated (`generate`) or
//! imported from a real Lightning snapshot (`import`). This module does no simulation.

pub mod config;
pub mod generate;
pub mod import;

pub use config::TopologyConfig;

use crate::error::InputError;
use crate::rng::SimRng;
use crate::units::Msat;
use config::{ComponentFilter, TopologyKind};
use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex, UnGraph};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Index of a node (dense, 0..n).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NodeId(pub u32);

/// Index of a channel (dense, 0..m).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ChannelId(pub u32);

impl NodeId {
    #[inline]
    pub fn idx(self) -> usize {
        self.0 as usize
    }
}
impl ChannelId {
    #[inline]
    pub fn idx(self) -> usize {
        self.0 as usize
    }
}

/// The forwarding policy one side applies to HTLCs it sends *out* through a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeePolicy {
    /// Fixed fee per forwarded HTLC.
    pub base_fee: Msat,
    /// Proportional fee in parts per million of the forwarded amount.
    pub fee_ppm: u32,
    /// CLTV delta in blocks this side requires.
    pub cltv_delta: u16,
    /// Smallest HTLC this side forwards.
    pub min_htlc: Msat,
    /// Largest HTLC this side forwards.
    pub max_htlc: Msat,
    /// Most HTLCs this side keeps in flight on this channel at once (LN: 483).
    pub max_accepted_htlcs: u16,
}

impl FeePolicy {
    /// The fee this side charges to forward `amount` onward.
    #[inline]
    pub fn fee(&self, amount: Msat) -> Msat {
        self.base_fee + amount.mul_ppm(self.fee_ppm as u64)
    }
}

impl Default for FeePolicy {
    /// lnd's defaults: 1 sat base, 1 ppm, CLTV delta 40, min 1 sat, 483 HTLCs.
    fn default() -> Self {
        FeePolicy {
            base_fee: Msat(1000),
            fee_ppm: 1,
            cltv_delta: 40,
            min_htlc: Msat(1000),
            max_htlc: Msat::MAX,
            max_accepted_htlcs: 483,
        }
    }
}

/// One channel between `nodes[0]` and `nodes[1]`.
///
/// Side `d` (0 or 1) is `nodes[d]`. Direction `d` means "from `nodes[d]` to `nodes[1-d]`":
/// it spends `balance[d]` and charges `policy[d]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelSpec {
    pub nodes: [NodeId; 2],
    pub capacity: Msat,
    /// Initial balance of each side; `balance[0] + balance[1] == capacity`.
    pub balance: [Msat; 2],
    /// Channel reserve each side must keep (it can not spend below it).
    pub reserve: [Msat; 2],
    pub policy: [FeePolicy; 2],
    /// Short channel id or other label from the source file, if any.
    pub label: Option<String>,
}

/// One node.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeInfo {
    /// Public key, alias or index from the source file; generated nodes use `n<i>`.
    pub name: String,
}

/// The channel graph. Invariant: node index `i` is `NodeId(i)`, edge index `j` is
/// `ChannelId(j)`, and for every edge `(a, b)` its spec has `nodes == [a, b]` and balances
/// summing to its capacity.
#[derive(Debug, Clone, Default)]
pub struct Topology {
    pub graph: UnGraph<NodeInfo, ChannelSpec, u32>,
}

impl Topology {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn add_node(&mut self, name: impl Into<String>) -> NodeId {
        NodeId(self.graph.add_node(NodeInfo { name: name.into() }).index() as u32)
    }
    /// Adds a channel; `spec.nodes` must be existing nodes.
    pub fn add_channel(&mut self, spec: ChannelSpec) -> ChannelId {
        debug_assert_eq!(spec.balance[0] + spec.balance[1], spec.capacity);
        let (a, b) = (
            NodeIndex::new(spec.nodes[0].idx()),
            NodeIndex::new(spec.nodes[1].idx()),
        );
        ChannelId(self.graph.add_edge(a, b, spec).index() as u32)
    }
    pub fn node_count(&self) -> usize {
        self.graph.node_count()
    }
    pub fn channel_count(&self) -> usize {
        self.graph.edge_count()
    }
    pub fn channel(&self, c: ChannelId) -> &ChannelSpec {
        &self.graph[EdgeIndex::new(c.idx())]
    }
    pub fn node(&self, n: NodeId) -> &NodeInfo {
        &self.graph[NodeIndex::new(n.idx())]
    }
    pub fn channels(&self) -> impl Iterator<Item = (ChannelId, &ChannelSpec)> {
        self.graph
            .edge_indices()
            .map(move |e| (ChannelId(e.index() as u32), &self.graph[e]))
    }
    /// Sum of all channel capacities.
    pub fn total_capacity(&self) -> Msat {
        self.channels().map(|(_, c)| c.capacity).sum()
    }
}

/// Builds the topology a `[topology]` table describes: generated, or imported from
/// `cfg.path` (resolved against `base_dir`, the scenario file's directory), then reduced
/// to the component `cfg.component` asks for (parallel channels are merged first, during
/// import, when `merge_parallel` is set).
///
/// Assumes `cfg.validate()` passed; if it did not, the first validation error comes back
/// as an [`InputError`] with `file = base_dir` and `field` set. Every random draw comes
/// from `rng`, in a fixed order: the same seed gives the same topology.
///
/// # Errors
/// Unreadable or malformed snapshot files (naming file, line and field), and an unset
/// `$PCNSIM_SHARED_DATA` in `path`.
pub fn build(
    cfg: &TopologyConfig,
    base_dir: &Path,
    rng: &mut SimRng,
) -> Result<Topology, InputError> {
    cfg.validate()
        .map_err(|e| InputError::new(base_dir, e.message).field(e.field))?;
    let topo = if cfg.kind == TopologyKind::Import {
        let path = cfg.resolve_path(base_dir)?.ok_or_else(|| {
            InputError::new(base_dir, "kind = \"import\" needs a path").field("topology.path")
        })?;
        import::import(cfg, &path, rng)?
    } else {
        generate::generate(cfg, rng)
    };
    Ok(largest_component(&topo, cfg.component))
}

/// The sub-topology induced by the largest component of `topo` (a copy of `topo` for
/// [`ComponentFilter::All`]).
///
/// * `LargestConnected`: components of the undirected channel graph.
/// * `LargestStronglyConnected`: strongly connected components of the directed graph in
///   which direction `d` of a channel exists iff `balance[d] > reserve[d]` (its side can
///   send). Every channel between two kept nodes is kept, even one usable one way only.
///
/// Ties between equally large components go to the one holding the smallest node id.
/// Kept nodes and channels are renumbered densely in their original order.
///
/// # Complexity
/// O(|V| + |E|) (Tarjan's algorithm, via petgraph).
pub fn largest_component(topo: &Topology, filter: ComponentFilter) -> Topology {
    let n = topo.node_count();
    let components: Vec<Vec<NodeIndex>> = match filter {
        ComponentFilter::All => return topo.clone(),
        // On an undirected graph the strongly connected components are the connected ones.
        ComponentFilter::LargestConnected => petgraph::algo::tarjan_scc(&topo.graph),
        ComponentFilter::LargestStronglyConnected => {
            let mut g: DiGraph<(), (), u32> = DiGraph::with_capacity(n, 2 * topo.channel_count());
            for _ in 0..n {
                g.add_node(());
            }
            for (_, c) in topo.channels() {
                let (a, b) = (
                    NodeIndex::new(c.nodes[0].idx()),
                    NodeIndex::new(c.nodes[1].idx()),
                );
                if c.balance[0] > c.reserve[0] {
                    g.add_edge(a, b, ());
                }
                if c.balance[1] > c.reserve[1] {
                    g.add_edge(b, a, ());
                }
            }
            petgraph::algo::tarjan_scc(&g)
        }
    };
    let best = components
        .iter()
        .map(|c| {
            (
                c.len(),
                std::cmp::Reverse(c.iter().map(|v| v.index()).min()),
            )
        })
        .enumerate()
        .max_by_key(|&(_, key)| key)
        .map(|(i, _)| i);
    let mut keep = vec![false; n];
    if let Some(comp) = best.and_then(|i| components.get(i)) {
        for v in comp {
            if let Some(k) = keep.get_mut(v.index()) {
                *k = true;
            }
        }
    }
    induced(topo, &keep)
}

/// The sub-topology on the nodes with `keep[i]`, renumbered densely in order.
fn induced(topo: &Topology, keep: &[bool]) -> Topology {
    let mut new_id: Vec<Option<NodeId>> = vec![None; topo.node_count()];
    let mut out = Topology::new();
    for (i, slot) in new_id.iter_mut().enumerate() {
        if keep.get(i).copied().unwrap_or(false) {
            *slot = Some(out.add_node(topo.node(NodeId(i as u32)).name.clone()));
        }
    }
    for (_, c) in topo.channels() {
        let map = |v: NodeId| new_id.get(v.idx()).copied().flatten();
        if let (Some(a), Some(b)) = (map(c.nodes[0]), map(c.nodes[1])) {
            let mut spec = c.clone();
            spec.nodes = [a, b];
            out.add_channel(spec);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::AmountDist;
    use config::{BalanceSplit, ImportFormat};
    use rand::SeedableRng;

    fn chan(a: u32, b: u32, balance: [u64; 2]) -> ChannelSpec {
        ChannelSpec {
            nodes: [NodeId(a), NodeId(b)],
            capacity: Msat(balance[0] + balance[1]),
            balance: balance.map(Msat),
            reserve: [Msat(10), Msat(10)],
            policy: [FeePolicy::default(); 2],
            label: Some(format!("{a}-{b}")),
        }
    }

    #[test]
    fn topology_components_connected_vs_strong() {
        // n0 <-> n1 both ways; n1 -> n2 only (n2's side holds 5 <= reserve 10);
        // n3 - n4 apart. n5 isolated.
        let mut t = Topology::new();
        for i in 0..6 {
            t.add_node(format!("n{i}"));
        }
        t.add_channel(chan(3, 4, [50, 50]));
        t.add_channel(chan(0, 1, [50, 50]));
        t.add_channel(chan(1, 2, [95, 5]));
        let all = largest_component(&t, ComponentFilter::All);
        assert_eq!((all.node_count(), all.channel_count()), (6, 3));
        let cc = largest_component(&t, ComponentFilter::LargestConnected);
        assert_eq!((cc.node_count(), cc.channel_count()), (3, 2));
        assert_eq!(cc.node(NodeId(2)).name, "n2");
        assert_eq!(cc.channel(ChannelId(1)).label.as_deref(), Some("1-2"));
        assert_eq!(cc.channel(ChannelId(1)).nodes, [NodeId(1), NodeId(2)]);
        // Strongly connected: {n0, n1} and {n3, n4} tie at 2 nodes; n0 is the lower id.
        let scc = largest_component(&t, ComponentFilter::LargestStronglyConnected);
        assert_eq!((scc.node_count(), scc.channel_count()), (2, 1));
        assert_eq!(scc.node(NodeId(0)).name, "n0");
        assert_eq!(scc.channel(ChannelId(0)).label.as_deref(), Some("0-1"));
        // Invariant: edge index j carries the spec with matching endpoints.
        for topo in [&cc, &scc] {
            for e in topo.graph.edge_indices() {
                let (a, b) = topo.graph.edge_endpoints(e).unwrap();
                let spec = &topo.graph[e];
                assert_eq!(
                    spec.nodes,
                    [NodeId(a.index() as u32), NodeId(b.index() as u32)]
                );
            }
        }
    }

    #[test]
    fn topology_build_generates_and_imports() {
        let mut cfg = TopologyConfig::new(TopologyKind::BarabasiAlbert);
        cfg.nodes = Some(50);
        cfg.capacity = AmountDist::Fixed { sat: 1000 };
        let base = Path::new(env!("CARGO_MANIFEST_DIR"));
        let a = build(&cfg, base, &mut SimRng::seed_from_u64(3)).unwrap();
        assert_eq!(a.channel_count(), 2 * 47 + 3);
        assert_eq!(a.total_capacity(), Msat(97 * 1_000_000));

        let mut cfg = TopologyConfig::new(TopologyKind::Import);
        cfg.format = Some(ImportFormat::Cloth);
        cfg.path = Some("tests/fixtures/topology/cloth".into());
        cfg.balance = BalanceSplit::File;
        cfg.component = ComponentFilter::LargestConnected;
        let t = build(&cfg, base, &mut SimRng::seed_from_u64(3)).unwrap();
        // Node 40 has no channel and is dropped.
        assert_eq!((t.node_count(), t.channel_count()), (3, 3));

        // A config error comes back as an InputError naming the field.
        cfg.merge_parallel = true;
        cfg.m = Some(3);
        let e = build(&cfg, base, &mut SimRng::seed_from_u64(3)).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("topology.m"));
        // A missing file names the file.
        cfg.m = None;
        cfg.path = Some("tests/fixtures/topology/nope".into());
        let e = build(&cfg, base, &mut SimRng::seed_from_u64(3)).unwrap_err();
        assert!(e.to_string().contains("nope/nodes_ln.csv"), "{e}");
    }
}
