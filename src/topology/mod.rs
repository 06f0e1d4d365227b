//! The channel graph: who has channels with whom, with what capacity, balances and fees.
//!
//! A [`Topology`] is immutable once built and shared (behind an `Arc`) by every run of an
//! experiment; the mutable per-run state (balances, in-flight HTLCs) lives in
//! [`crate::engine`]. It is a petgraph undirected graph: node index = [`NodeId`], edge index =
//! [`ChannelId`], edge weight = [`ChannelSpec`].
//!
//! It is built by [`build`] from a `[topology]` scenario table (`config`), resolved once
//! by [`TopologyConfig::resolve`] (`resolve`) into a [`TopologySpec`] (`spec`): generated
//! (`generate`) or imported from a real Lightning snapshot (`import`). This module does no
//! simulation.

pub mod config;
pub mod edit;
pub mod generate;
pub mod import;
mod resolve;
pub mod spec;

pub use config::{ComponentFilter, TopologyConfig};
pub use spec::{ChannelFill, ImportSource, TopologySource, TopologySpec};

use crate::error::InputError;
use crate::rng::SimRng;
use crate::units::Msat;
use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex, UnGraph};
use serde::{Deserialize, Serialize};

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
    /// Per node, its degree (`by_capacity = false`) or the sum of its channels' capacities
    /// in msat: the score behind every "top k nodes" choice (plan candidates, flow
    /// counterparties), so they rank alike.
    pub fn node_scores(&self, by_capacity: bool) -> Vec<u64> {
        let mut score = vec![0u64; self.node_count()];
        for (_, c) in self.channels() {
            for v in c.nodes {
                score[v.idx()] += if by_capacity { c.capacity.0 } else { 1 };
            }
        }
        score
    }
    /// The `k` nodes with the highest [`Self::node_scores`] among those `keep` accepts
    /// (ties: lower index first).
    pub fn top_nodes(
        &self,
        k: usize,
        by_capacity: bool,
        keep: impl Fn(NodeId) -> bool,
    ) -> Vec<NodeId> {
        let score = self.node_scores(by_capacity);
        let mut order: Vec<usize> = (0..score.len())
            .filter(|&i| keep(NodeId(i as u32)))
            .collect();
        order.sort_by(|&a, &b| score[b].cmp(&score[a]).then(a.cmp(&b)));
        order.truncate(k);
        order.into_iter().map(|i| NodeId(i as u32)).collect()
    }
    /// Sum of all channel capacities.
    pub fn total_capacity(&self) -> Msat {
        self.channels().map(|(_, c)| c.capacity).sum()
    }
}

/// Builds the topology a resolved `[topology]` table describes (see
/// [`TopologyConfig::resolve`]): generated, or imported from the snapshot (parallel
/// channels merged during the import when `merge_parallel` is set), then reduced to the
/// component `spec.component` asks for.
///
/// Every random draw comes from `rng`, in a fixed order: the same seed gives the same
/// topology.
///
/// # Errors
/// Unreadable or malformed snapshot files (naming the file, line and field).
///
/// # Example
/// ```
/// use pcnsim::topology::{build, TopologyConfig, config::TopologyKind};
/// use rand::SeedableRng;
/// let mut cfg = TopologyConfig::new(TopologyKind::Star);
/// cfg.nodes = Some(4);
/// let spec = cfg.resolve(std::path::Path::new(".")).unwrap();
/// let t = build(&spec, &mut pcnsim::rng::SimRng::seed_from_u64(1)).unwrap();
/// assert_eq!((t.node_count(), t.channel_count()), (4, 3));
/// ```
pub fn build(spec: &TopologySpec, rng: &mut SimRng) -> Result<Topology, InputError> {
    try_build(spec, rng).map_err(|e| match e {
        BuildError::Data(d) => d,
        BuildError::Edit(f) => InputError::new("[topology]", f.message).field(f.field),
    })
}

/// Why [`try_build`] failed.
#[derive(Debug)]
pub enum BuildError {
    /// A snapshot file is unreadable or malformed (the error names file, line, field).
    Data(InputError),
    /// An edit does not fit the graph (unknown node, duplicate channel, ...): the key
    /// path of the scenario field; the scenario loader adds file and line.
    Edit(crate::error::FieldError),
}

/// [`build`], telling snapshot errors from edit errors (so that the caller can name the
/// scenario file and line of a bad edit).
pub fn try_build(spec: &TopologySpec, rng: &mut SimRng) -> Result<Topology, BuildError> {
    let mut topo = match &spec.source {
        TopologySource::Import(src) => {
            import::import(src, &spec.fill, rng).map_err(BuildError::Data)?
        }
        generator => generate::generate(generator, &spec.fill, rng),
    };
    if spec.edits.is_empty() {
        return Ok(component_owned(topo, spec.component, 0..0));
    }
    topo = spec.edits.apply(&topo).map_err(BuildError::Edit)?;
    // Nodes added by `add_node` (the last ones) stay even when the filter would drop
    // them: a planned node may have no channel yet.
    let n = topo.node_count();
    let added = spec.edits.add_node.len();
    Ok(component_owned(topo, spec.component, n - added..n))
}

/// [`largest_component`] of a topology the caller gives up, also keeping the nodes in
/// `always` (and the channels between kept nodes). `topo` is returned as it is when every
/// node is kept (a generated Barabási–Albert graph is connected), instead of copied. The
/// copy would be the same graph, added node by node and channel by channel in the same
/// order, and it doubled the peak memory of building a large network (two copies alive).
fn component_owned(
    topo: Topology,
    filter: ComponentFilter,
    always: std::ops::Range<usize>,
) -> Topology {
    if filter == ComponentFilter::All {
        return topo;
    }
    let mut keep = component_mask(&topo, filter);
    for i in always {
        if let Some(k) = keep.get_mut(i) {
            *k = true;
        }
    }
    if keep.iter().all(|&k| k) {
        return topo;
    }
    induced(&topo, &keep)
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
    if filter == ComponentFilter::All {
        return topo.clone();
    }
    induced(topo, &component_mask(topo, filter))
}

/// Which nodes [`largest_component`] keeps: `mask[v]` for node `v` (all true for
/// `ComponentFilter::All`). Probes draw their pairs from it. O(|V| + |E|).
pub fn component_mask(topo: &Topology, filter: ComponentFilter) -> Vec<bool> {
    let n = topo.node_count();
    let components: Vec<Vec<NodeIndex>> = match filter {
        ComponentFilter::All => return vec![true; n],
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
    keep
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
    use config::{BalanceSplit, ImportFormat, TopologyKind};
    use rand::SeedableRng;
    use std::path::Path;

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
        let spec = cfg.resolve(base).unwrap();
        assert_eq!(
            spec.source,
            TopologySource::BarabasiAlbert { nodes: 50, m: 2 }
        );
        let a = build(&spec, &mut SimRng::seed_from_u64(3)).unwrap();
        assert_eq!(a.channel_count(), 2 * 47 + 3);
        assert_eq!(a.total_capacity(), Msat(97 * 1_000_000));

        let mut cfg = TopologyConfig::new(TopologyKind::Import);
        cfg.format = Some(ImportFormat::Cloth);
        cfg.path = Some("tests/fixtures/topology/cloth".into());
        cfg.balance = BalanceSplit::File;
        cfg.component = ComponentFilter::LargestConnected;
        let spec = cfg.resolve(base).unwrap();
        assert_eq!(
            spec.source,
            TopologySource::Import(ImportSource {
                format: ImportFormat::Cloth,
                path: base.join("tests/fixtures/topology/cloth"),
                merge_parallel: false,
            })
        );
        let t = build(&spec, &mut SimRng::seed_from_u64(3)).unwrap();
        // Node 40 has no channel and is dropped.
        assert_eq!((t.node_count(), t.channel_count()), (3, 3));

        // A config error is found by resolve, naming the field.
        cfg.merge_parallel = true;
        cfg.m = Some(3);
        let e = cfg.resolve(base).unwrap_err();
        assert_eq!(e.field, "topology.m");
        // A missing file names the file.
        cfg.m = None;
        cfg.path = Some("tests/fixtures/topology/nope".into());
        let spec = cfg.resolve(base).unwrap();
        let e = build(&spec, &mut SimRng::seed_from_u64(3)).unwrap_err();
        assert!(e.to_string().contains("nope/nodes_ln.csv"), "{e}");
    }

    /// FNV-1a (64 bit) over every node and channel in order (their `Debug` text): equal
    /// checksums mean the same nodes and channels, in the same order, with the same values.
    fn checksum(t: &Topology) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |s: String| {
            for b in s.bytes().chain([0xff]) {
                h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
            }
        };
        for i in 0..t.node_count() {
            eat(format!("{:?}", t.node(NodeId(i as u32))));
        }
        for (id, c) in t.channels() {
            eat(format!("{id:?} {c:?}"));
        }
        h
    }

    /// Builds `[topology]` `toml` (relative paths from `base`) with seed 42.
    fn build_toml(toml_text: &str, base: &Path) -> Topology {
        #[derive(Deserialize)]
        struct Doc {
            topology: TopologyConfig,
        }
        let doc: Doc = toml::from_str(&format!("[topology]\n{toml_text}")).unwrap();
        let spec = doc
            .topology
            .resolve(base)
            .unwrap_or_else(|e| panic!("{toml_text}: {e}"));
        build(&spec, &mut SimRng::seed_from_u64(42)).unwrap_or_else(|e| panic!("{toml_text}: {e}"))
    }

    /// Random fills everywhere, so that any change in the order of random draws shows.
    const RANDOM_FILL: &str = "reserve_ppm = 20000\n\
        capacity = { dist = \"lognormal\", median_sat = 300000, sigma = 1.2 }\n\
        fees = { base_msat = { dist = \"uniform\", min = 0, max = 5000 }, \
        ppm = { dist = \"uniform\", min = 1, max = 900 }, \
        cltv_delta = { dist = \"choice\", values = [18, 40, 144] }, max_htlc_share = 0.5 }\n";

    /// [`RANDOM_FILL`] without `capacity`, which a snapshot gives (an import refuses it).
    const IMPORT_FILL: &str = "reserve_ppm = 20000\n\
        fees = { base_msat = { dist = \"uniform\", min = 0, max = 5000 }, \
        ppm = { dist = \"uniform\", min = 1, max = 900 }, \
        cltv_delta = { dist = \"choice\", values = [18, 40, 144] }, max_htlc_share = 0.5 }\n";

    /// Checksums of every generator and of every fixture import, recorded from the code
    /// before the importers were split into one file per format and before `build` took a
    /// resolved spec. A refactoring must leave them unchanged; a deliberate change of the
    /// generated or imported values must update them (and say so in its commit).
    #[test]
    fn topology_pinned_checksums() {
        let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/topology");
        let cases: &[(&str, &str)] = &[
            ("barabasi_albert", "kind = \"barabasi_albert\"\nnodes = 40\nm = 3\nbalance = \"uniform\""),
            ("erdos_renyi p", "kind = \"erdos_renyi\"\nnodes = 40\np = 0.1\nbalance = \"one_side\""),
            ("erdos_renyi deg", "kind = \"erdos_renyi\"\nnodes = 40\nmean_degree = 3.0\nbalance = { ratio = 0.3 }"),
            ("watts_strogatz", "kind = \"watts_strogatz\"\nnodes = 40\nk = 4\nbeta = 0.3\nbalance = \"uniform\"\ncomponent = \"largest_strongly_connected\""),
            ("line", "kind = \"line\"\nnodes = 12\nbalance = \"uniform\""),
            ("ring", "kind = \"ring\"\nnodes = 12\nbalance = \"one_side\"\ncomponent = \"largest_strongly_connected\""),
            ("star", "kind = \"star\"\nnodes = 12\nbalance = \"half\""),
            ("grid", "kind = \"grid\"\nrows = 3\ncols = 5\nbalance = \"uniform\"\ncomponent = \"largest_connected\""),
            ("cloth file", "kind = \"import\"\nformat = \"cloth\"\npath = \"cloth\"\nbalance = \"file\""),
            ("cloth uniform", "kind = \"import\"\nformat = \"cloth\"\npath = \"cloth\"\nbalance = \"uniform\"\nmerge_parallel = true\ncomponent = \"largest_strongly_connected\""),
            ("lnd", "kind = \"import\"\nformat = \"lnd_json\"\npath = \"lnd_small.json\"\nbalance = \"uniform\""),
            ("cln", "kind = \"import\"\nformat = \"cln_json\"\npath = \"cln_small.json\"\nbalance = \"one_side\""),
            ("shaduf", "kind = \"import\"\nformat = \"edgelist\"\npath = \"shaduf_small.edgelist\"\nbalance = \"uniform\""),
            ("spider", "kind = \"import\"\nformat = \"edgelist\"\npath = \"spider_small.edgelist\"\nbalance = { ratio = 0.3 }"),
            ("parallel", "kind = \"import\"\nformat = \"edgelist\"\npath = \"parallel.edgelist\"\nbalance = \"uniform\""),
            ("parallel merged", "kind = \"import\"\nformat = \"edgelist\"\npath = \"parallel.edgelist\"\nbalance = \"uniform\"\nmerge_parallel = true"),
            ("two components", "kind = \"import\"\nformat = \"edgelist\"\npath = \"two_components.edgelist\"\nbalance = \"one_side\"\ncomponent = \"largest_connected\""),
        ];
        let pins: &[u64] = &[
            0x480fe4866396923f, // barabasi_albert
            0x87e2f906094e9f0b, // erdos_renyi p
            0x31a724388592b26f, // erdos_renyi deg
            0xd99f72c507328824, // watts_strogatz
            0x6bcab1a70e471f93, // line
            0x94daf5a38a051319, // ring
            0x80107ee11af645c9, // star
            0x7abeacb5acbc1716, // grid
            0x9be90217e266ee48, // cloth file
            0xd18f77b803bab009, // cloth uniform
            0x63b2d89b337a32f8, // lnd
            0x14e8b126cb47146e, // cln
            0x69a28dd8dece2456, // shaduf
            0x033676252bb03bd0, // spider
            0x548bc5ce563d54ad, // parallel
            0x3af88ea106922f6b, // parallel merged
            0xea2467f1acf63ad1, // two components
        ];
        let got: Vec<u64> = cases
            .iter()
            .map(|(_, t)| {
                let fill = if t.contains("kind = \"import\"") {
                    IMPORT_FILL
                } else {
                    RANDOM_FILL
                };
                checksum(&build_toml(&format!("{t}\n{fill}"), &base))
            })
            .collect();
        let table: Vec<String> = cases
            .iter()
            .zip(&got)
            .map(|((name, _), h)| format!("{h:#018x}, // {name}"))
            .collect();
        assert_eq!(got, pins, "checksums now:\n{}", table.join("\n"));
    }

    /// The same on the shared LN snapshots (`cargo test -- --ignored`).
    #[test]
    #[ignore = "needs PCNSIM_SHARED_DATA"]
    fn topology_pinned_checksums_real_snapshots() {
        let base = config::shared_data_dir().unwrap_or_else(|| {
            panic!(
                "PCNSIM_SHARED_DATA is not set: this test needs the shared LN snapshots; \
                 run `PCNSIM_SHARED_DATA=/path/to/data/ln cargo test -- --ignored`"
            )
        });
        let cases: &[(&str, &str)] = &[
            // As scenarios/cloth_snapshot.toml and snapshot_compare.toml read it.
            ("cloth half", "kind = \"import\"\nformat = \"cloth\"\npath = \"cloth_ln_snapshot\"\nbalance = \"half\""),
            ("cloth half lcc", "kind = \"import\"\nformat = \"cloth\"\npath = \"cloth_ln_snapshot\"\nbalance = \"half\"\ncomponent = \"largest_connected\""),
            ("cloth file", "kind = \"import\"\nformat = \"cloth\"\npath = \"cloth_ln_snapshot\"\nbalance = \"file\"\ncomponent = \"largest_strongly_connected\""),
            ("cloth uniform", &format!("kind = \"import\"\nformat = \"cloth\"\npath = \"cloth_ln_snapshot\"\nbalance = \"uniform\"\nmerge_parallel = true\n{IMPORT_FILL}")),
            ("shaduf", &format!("kind = \"import\"\nformat = \"edgelist\"\npath = \"shaduf_ln_20210331/lightning_simplified_component.edgelist\"\nbalance = \"one_side\"\n{IMPORT_FILL}")),
            ("spider", &format!("kind = \"import\"\nformat = \"edgelist\"\npath = \"spider_lnd_data/clightning_oct5_2020.edgelist\"\nbalance = \"uniform\"\n{IMPORT_FILL}")),
        ];
        let pins: &[u64] = &[
            0x0cbc626519b99e6f, // cloth half
            0x4ebb10f7c84eb93c, // cloth half lcc
            0xaa5d247b011384c8, // cloth file
            0x4fca069585128071, // cloth uniform
            0x7f17bf944643c61a, // shaduf
            0xa093ada5a9f8b55c, // spider
        ];
        let got: Vec<u64> = cases
            .iter()
            .map(|(_, t)| checksum(&build_toml(t, &base)))
            .collect();
        let table: Vec<String> = cases
            .iter()
            .zip(&got)
            .map(|((name, _), h)| format!("{h:#018x}, // {name}"))
            .collect();
        assert_eq!(got, pins, "checksums now:\n{}", table.join("\n"));
    }
}
