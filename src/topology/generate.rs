//! Synthetic channel graphs: Barabási–Albert, Erdős–Rényi, Watts–Strogatz, line, ring,
//! star and grid, and the per-channel filling (capacity, balance split, reserves, fees)
//! shared with the importers.
//!
//! The graph generators return plain edge lists `(u, v)` with `u < v`, no self-loops and no
//! duplicates, in a deterministic order: the same generator state gives the same list,
//! byte for byte (no hash-ordered collections are iterated). [`generate`] turns a resolved
//! [`TopologySource`] and [`ChannelFill`] into a [`Topology`].
//!
//! This module does no I/O and no validation (its inputs are resolved by
//! [`super::TopologyConfig::resolve`]); it must draw random numbers only from the `rng` it
//! is given, in a documented order.

use super::config::{BalanceSplit, FeeConfig};
use super::spec::{ChannelFill, TopologySource};
use super::{ChannelSpec, FeePolicy, NodeId, Topology};
use crate::units::Msat;
use rand::Rng;
use std::collections::BTreeSet;

/// Barabási–Albert preferential attachment.
///
/// Starts from a clique on nodes `0..=m`; every further node `v` links to `m` distinct
/// earlier nodes, each picked with probability proportional to its current degree.
///
/// # Arguments
/// * `n`: number of nodes; `m`: edges per new node (taken as at least 1).
///
/// # Returns
/// `m(m+1)/2 + m(n-m-1)` edges when `n > m` (a connected graph); a clique on `n` nodes
/// when `n <= m + 1`.
///
/// # Complexity
/// O(n·m) expected time (rejection of repeated targets is rare unless `m` is close to
/// `n`), O(n·m) memory.
///
/// # Example
/// ```
/// use pcnsim::topology::generate::barabasi_albert;
/// use rand::SeedableRng;
/// let mut rng = pcnsim::rng::SimRng::seed_from_u64(1);
/// let edges = barabasi_albert(100, 2, &mut rng);
/// assert_eq!(edges.len(), 3 + 2 * 97);
/// ```
pub fn barabasi_albert<R: Rng + ?Sized>(n: u32, m: u32, rng: &mut R) -> Vec<(u32, u32)> {
    let m = m.max(1);
    if n <= m + 1 {
        return clique(n);
    }
    let mut edges = clique(m + 1);
    edges.reserve((m as usize) * (n - m - 1) as usize);
    // Every edge end, once per edge: a uniform pick from it is a degree-weighted node.
    let mut ends: Vec<u32> = edges.iter().flat_map(|&(a, b)| [a, b]).collect();
    let mut chosen: Vec<u32> = Vec::with_capacity(m as usize);
    for v in (m + 1)..n {
        chosen.clear();
        while chosen.len() < m as usize {
            let t = ends[rng.random_range(0..ends.len())];
            if !chosen.contains(&t) {
                chosen.push(t);
            }
        }
        for &t in &chosen {
            edges.push((t, v));
            ends.push(t);
            ends.push(v);
        }
    }
    edges
}

fn clique(n: u32) -> Vec<(u32, u32)> {
    (0..n)
        .flat_map(|a| ((a + 1)..n).map(move |b| (a, b)))
        .collect()
}

/// Erdős–Rényi G(n, p): every pair `{u, v}` is an edge independently with probability `p`.
///
/// Uses the geometric skipping of Batagelj & Brandes (2005), so the cost is proportional
/// to the number of edges rather than to n².
///
/// # Arguments
/// * `n`: number of nodes; `p`: edge probability (values outside [0, 1] are clamped).
///
/// # Returns
/// About `p·n(n-1)/2` edges, ordered by larger endpoint then smaller. Not necessarily
/// connected.
///
/// # Complexity
/// O(n + |E|) expected time.
///
/// # Example
/// ```
/// use pcnsim::topology::generate::erdos_renyi;
/// use rand::SeedableRng;
/// let mut rng = pcnsim::rng::SimRng::seed_from_u64(1);
/// assert_eq!(erdos_renyi(10, 1.0, &mut rng).len(), 45);
/// assert!(erdos_renyi(10, 0.0, &mut rng).is_empty());
/// ```
pub fn erdos_renyi<R: Rng + ?Sized>(n: u32, p: f64, rng: &mut R) -> Vec<(u32, u32)> {
    if p.is_nan() || p <= 0.0 || n < 2 {
        return Vec::new();
    }
    if p >= 1.0 {
        return clique(n);
    }
    let log_q = (1.0 - p).ln();
    let mut edges = Vec::new();
    let (n, mut v, mut w) = (i64::from(n), 1_i64, -1_i64);
    while v < n {
        let r: f64 = rng.random();
        // Number of non-edges skipped before the next edge: geometric(p).
        let skip = ((1.0 - r).ln() / log_q).floor();
        w += 1 + if skip.is_finite() {
            skip.min(1e15) as i64
        } else {
            0
        };
        while w >= v && v < n {
            w -= v;
            v += 1;
        }
        if v < n {
            edges.push((w as u32, v as u32));
        }
    }
    edges
}

/// Watts–Strogatz small world.
///
/// A ring lattice where each node links to its `k/2` nearest neighbours on each side;
/// then each lattice edge `(u, u+j)` is, with probability `beta`, rewired to `(u, w)` for
/// a uniform `w` that is neither `u` nor already a neighbour of `u`. Edges are visited
/// node by node, `j = 1..=k/2`.
///
/// # Arguments
/// * `n`: nodes; `k`: even lattice degree with `2 <= k < n` (otherwise a plain ring or
///   clique results); `beta`: rewiring probability.
///
/// # Returns
/// Exactly `n·k/2` edges (rewiring never adds or drops one); the lattice (`beta = 0`) is
/// connected, rewired graphs usually are but need not be.
///
/// # Complexity
/// O(n·k·log k) expected time.
///
/// # Example
/// ```
/// use pcnsim::topology::generate::watts_strogatz;
/// use rand::SeedableRng;
/// let mut rng = pcnsim::rng::SimRng::seed_from_u64(1);
/// assert_eq!(watts_strogatz(20, 4, 0.2, &mut rng).len(), 40);
/// ```
pub fn watts_strogatz<R: Rng + ?Sized>(n: u32, k: u32, beta: f64, rng: &mut R) -> Vec<(u32, u32)> {
    if n < 3 {
        return clique(n);
    }
    let half = (k / 2).clamp(1, (n - 1) / 2);
    let mut adj: Vec<BTreeSet<u32>> = vec![BTreeSet::new(); n as usize];
    let mut edges: Vec<(u32, u32)> = Vec::with_capacity((n * half) as usize);
    for u in 0..n {
        for j in 1..=half {
            let v = (u + j) % n;
            if adj[u as usize].insert(v) {
                adj[v as usize].insert(u);
                edges.push((u, v));
            }
        }
    }
    for e in edges.iter_mut() {
        if rng.random::<f64>() >= beta {
            continue;
        }
        let (u, old) = *e;
        if adj[u as usize].len() as u32 >= n - 1 {
            continue;
        }
        let w = loop {
            let w = rng.random_range(0..n);
            if w != u && !adj[u as usize].contains(&w) {
                break w;
            }
        };
        adj[u as usize].remove(&old);
        adj[old as usize].remove(&u);
        adj[u as usize].insert(w);
        adj[w as usize].insert(u);
        *e = (u.min(w), u.max(w));
    }
    for e in edges.iter_mut() {
        *e = (e.0.min(e.1), e.0.max(e.1));
    }
    edges
}

/// A path `0 - 1 - ... - (n-1)`.
///
/// # Returns
/// `n - 1` edges (none for `n < 2`), connected. **Complexity** O(n).
///
/// # Example
/// ```
/// assert_eq!(pcnsim::topology::generate::line(3), vec![(0, 1), (1, 2)]);
/// ```
pub fn line(n: u32) -> Vec<(u32, u32)> {
    (1..n).map(|v| (v - 1, v)).collect()
}

/// A cycle `0 - 1 - ... - (n-1) - 0`.
///
/// # Returns
/// `n` edges for `n >= 3` (a line below that, to avoid a duplicate edge), connected.
/// **Complexity** O(n).
///
/// # Example
/// ```
/// assert_eq!(pcnsim::topology::generate::ring(3), vec![(0, 1), (1, 2), (0, 2)]);
/// ```
pub fn ring(n: u32) -> Vec<(u32, u32)> {
    let mut e = line(n);
    if n >= 3 {
        e.push((0, n - 1));
    }
    e
}

/// A star: hub `0` linked to every other node.
///
/// # Returns
/// `n - 1` edges, connected. **Complexity** O(n).
///
/// # Example
/// ```
/// assert_eq!(pcnsim::topology::generate::star(3), vec![(0, 1), (0, 2)]);
/// ```
pub fn star(n: u32) -> Vec<(u32, u32)> {
    (1..n).map(|v| (0, v)).collect()
}

/// A `rows × cols` grid; node `r·cols + c` links to its right and lower neighbours.
///
/// # Returns
/// `2·rows·cols − rows − cols` edges, connected. **Complexity** O(rows·cols).
///
/// # Example
/// ```
/// // 0 - 1
/// // |   |
/// // 2 - 3
/// assert_eq!(pcnsim::topology::generate::grid(2, 2), vec![(0, 1), (0, 2), (1, 3), (2, 3)]);
/// ```
pub fn grid(rows: u32, cols: u32) -> Vec<(u32, u32)> {
    let mut e = Vec::new();
    for r in 0..rows {
        for c in 0..cols {
            let v = r * cols + c;
            if c + 1 < cols {
                e.push((v, v + 1));
            }
            if r + 1 < rows {
                e.push((v, v + cols));
            }
        }
    }
    e
}

/// The initial balances `[side 0, side 1]` of a channel of `capacity`; they always sum to
/// `capacity`. `BalanceSplit::File` has no meaning here and is treated as `Half`.
///
/// Draws from `rng` only for `Uniform` (one draw) and `OneSide` (one draw).
pub fn split_balance<R: Rng + ?Sized>(
    capacity: Msat,
    split: BalanceSplit,
    rng: &mut R,
) -> [Msat; 2] {
    let side0 = match split {
        BalanceSplit::Half | BalanceSplit::File => Msat(capacity.0 / 2),
        BalanceSplit::Uniform => Msat(rng.random_range(0..=capacity.0)),
        BalanceSplit::OneSide => {
            if rng.random::<bool>() {
                capacity
            } else {
                Msat::ZERO
            }
        }
        BalanceSplit::Ratio(r) => {
            let ppm = (r.clamp(0.0, 1.0) * 1e6).round() as u64;
            capacity.mul_ppm(ppm)
        }
    };
    [side0, capacity - side0]
}

/// The reserve each side keeps: `capacity * reserve_ppm / 1e6`, rounded down.
pub fn reserve(capacity: Msat, reserve_ppm: u32) -> Msat {
    capacity.mul_ppm(u64::from(reserve_ppm))
}

/// One side's policy drawn from `fees` (base, then ppm, then CLTV delta); `max_htlc` is
/// `max_htlc_share` of `capacity`.
pub fn sample_policy<R: Rng + ?Sized>(fees: &FeeConfig, capacity: Msat, rng: &mut R) -> FeePolicy {
    let base = fees.base_msat.sample(rng);
    let ppm = fees.ppm.sample(rng);
    let cltv = fees.cltv_delta.sample(rng);
    FeePolicy {
        base_fee: Msat(base),
        fee_ppm: u32::try_from(ppm).unwrap_or(u32::MAX),
        cltv_delta: u16::try_from(cltv).unwrap_or(u16::MAX),
        min_htlc: Msat(fees.min_htlc_msat),
        max_htlc: capacity.mul_ppm(fees.max_htlc_ppm()),
        max_accepted_htlcs: fees.max_accepted_htlcs,
    }
}

/// A channel between `a` and `b` filled from `fill`: capacity drawn from `fill.capacity`,
/// balances split by `fill.balance`, reserves from `fill.reserve_ppm`, and a policy per
/// side drawn from `fill.fees` (side 0 first). Draws happen in that order.
pub fn channel_from_fill<R: Rng + ?Sized>(
    a: NodeId,
    b: NodeId,
    fill: &ChannelFill,
    rng: &mut R,
) -> ChannelSpec {
    let capacity = fill.capacity.sample(rng);
    let balance = split_balance(capacity, fill.balance, rng);
    let r = reserve(capacity, fill.reserve_ppm);
    let p0 = sample_policy(&fill.fees, capacity, rng);
    let p1 = sample_policy(&fill.fees, capacity, rng);
    ChannelSpec {
        nodes: [a, b],
        capacity,
        balance,
        reserve: [r, r],
        policy: [p0, p1],
        label: None,
    }
}

/// The node count and edge list of the generator `source` (none for `Import`).
pub fn edges_for<R: Rng + ?Sized>(source: &TopologySource, rng: &mut R) -> (u32, Vec<(u32, u32)>) {
    match *source {
        TopologySource::BarabasiAlbert { nodes, m } => (nodes, barabasi_albert(nodes, m, rng)),
        TopologySource::ErdosRenyi { nodes, p } => (nodes, erdos_renyi(nodes, p, rng)),
        TopologySource::WattsStrogatz { nodes, k, beta } => {
            (nodes, watts_strogatz(nodes, k, beta, rng))
        }
        TopologySource::Line { nodes } => (nodes, line(nodes)),
        TopologySource::Ring { nodes } => (nodes, ring(nodes)),
        TopologySource::Star { nodes } => (nodes, star(nodes)),
        TopologySource::Grid { rows, cols } => (rows.saturating_mul(cols), grid(rows, cols)),
        TopologySource::Import(_) => (0, Vec::new()),
    }
}

/// Generates the topology of a generator `source` (an `Import` source gives an empty one;
/// see [`super::import`]), its channels filled from `fill`.
///
/// Nodes are named `n0, n1, ...`; channel `j` is edge `j` of the generator's list, filled
/// by [`channel_from_fill`]. The graph is drawn first, then the channels in order, all
/// from `rng`: the same seed gives an identical topology.
///
/// # Complexity
/// The generator's cost plus O(|E|).
///
/// # Example
/// ```
/// use pcnsim::topology::{generate::generate, ChannelFill, TopologySource};
/// use rand::SeedableRng;
/// let source = TopologySource::Ring { nodes: 5 };
/// let t = generate(&source, &ChannelFill::default(), &mut pcnsim::rng::SimRng::seed_from_u64(7));
/// assert_eq!((t.node_count(), t.channel_count()), (5, 5));
/// ```
pub fn generate<R: Rng + ?Sized>(
    source: &TopologySource,
    fill: &ChannelFill,
    rng: &mut R,
) -> Topology {
    let (n, edges) = edges_for(source, rng);
    let mut t = Topology::new();
    t.graph.reserve_nodes(n as usize);
    t.graph.reserve_edges(edges.len());
    for i in 0..n {
        t.add_node(format!("n{i}"));
    }
    for (a, b) in edges {
        let spec = channel_from_fill(NodeId(a), NodeId(b), fill, rng);
        t.add_channel(spec);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::AmountDist;
    use crate::rng::SimRng;
    use crate::topology::config::TopologyKind;
    use crate::topology::TopologyConfig;
    use proptest::prelude::*;
    use rand::SeedableRng;

    fn rng(seed: u64) -> SimRng {
        SimRng::seed_from_u64(seed)
    }

    /// No self-loops, no duplicates, endpoints in range, `u < v`.
    fn assert_simple(n: u32, edges: &[(u32, u32)]) {
        let mut seen = BTreeSet::new();
        for &(a, b) in edges {
            assert!(a < b, "edge ({a}, {b}) not ordered or a self-loop");
            assert!(b < n, "edge ({a}, {b}) out of range for n = {n}");
            assert!(seen.insert((a, b)), "duplicate edge ({a}, {b})");
        }
    }

    fn is_connected(n: u32, edges: &[(u32, u32)]) -> bool {
        let mut adj = vec![Vec::new(); n as usize];
        for &(a, b) in edges {
            adj[a as usize].push(b);
            adj[b as usize].push(a);
        }
        let mut seen = vec![false; n as usize];
        let mut stack = vec![0u32];
        seen[0] = true;
        let mut count = 1;
        while let Some(u) = stack.pop() {
            for &v in &adj[u as usize] {
                if !seen[v as usize] {
                    seen[v as usize] = true;
                    count += 1;
                    stack.push(v);
                }
            }
        }
        count == n
    }

    fn degrees(n: u32, edges: &[(u32, u32)]) -> Vec<u32> {
        let mut d = vec![0; n as usize];
        for &(a, b) in edges {
            d[a as usize] += 1;
            d[b as usize] += 1;
        }
        d
    }

    #[test]
    fn topology_ba_counts_connected_and_heavy_tailed() {
        for (n, m) in [(2, 1), (10, 1), (50, 2), (300, 3), (4, 3)] {
            let e = barabasi_albert(n, m, &mut rng(1));
            assert_eq!(
                e.len() as u32,
                m * (n - m - 1) + m * (m + 1) / 2,
                "n={n} m={m}"
            );
            assert_simple(n, &e);
            assert!(is_connected(n, &e));
        }
        // Heavy tail: with n = 5000, m = 2 the mean degree is ~4 while the largest hub has
        // degree ~ m sqrt(n) ≈ 140 in expectation. A G(n, p) of the same mean degree has
        // a maximum around 12.
        let n = 5000;
        let e = barabasi_albert(n, 2, &mut rng(2));
        let d = degrees(n, &e);
        let mean = 2.0 * e.len() as f64 / n as f64;
        let max = *d.iter().max().unwrap() as f64;
        assert!(max > 10.0 * mean, "max {max} mean {mean}");
        let er = erdos_renyi(n, mean / (n - 1) as f64, &mut rng(2));
        let er_max = *degrees(n, &er).iter().max().unwrap() as f64;
        assert!(er_max < 4.0 * mean, "ER max {er_max}");
    }

    #[test]
    fn topology_er_edge_count_matches_expectation() {
        let (n, p) = (400u32, 0.05);
        let e = erdos_renyi(n, p, &mut rng(3));
        assert_simple(n, &e);
        // Binomial(79800, 0.05): mean 3990, sd 61.6; allow 5 sd.
        let expected = p * (n * (n - 1) / 2) as f64;
        assert!(
            (e.len() as f64 - expected).abs() < 5.0 * 61.6,
            "{}",
            e.len()
        );
        assert_eq!(erdos_renyi(30, 1.0, &mut rng(3)).len(), 435);
        assert!(erdos_renyi(30, 0.0, &mut rng(3)).is_empty());
        assert_simple(30, &erdos_renyi(30, 0.99, &mut rng(4)));
    }

    #[test]
    fn topology_ws_keeps_edge_count_and_rewires() {
        let (n, k) = (100, 6);
        let lattice = watts_strogatz(n, k, 0.0, &mut rng(5));
        assert_eq!(lattice.len(), 300);
        assert_simple(n, &lattice);
        assert!(is_connected(n, &lattice));
        assert!(degrees(n, &lattice).iter().all(|&d| d == k));
        let rewired = watts_strogatz(n, k, 0.3, &mut rng(5));
        assert_eq!(rewired.len(), 300);
        assert_simple(n, &rewired);
        let before: BTreeSet<_> = lattice.iter().collect();
        let moved = rewired.iter().filter(|e| !before.contains(e)).count();
        // ~30 % of 300 edges rewired (a rewire may land back on a lattice edge, rarely).
        assert!((50..130).contains(&moved), "{moved}");
        let full = watts_strogatz(n, k, 1.0, &mut rng(6));
        assert_simple(n, &full);
        assert_eq!(full.len(), 300);
    }

    #[test]
    fn topology_simple_shapes() {
        assert_eq!(line(5).len(), 4);
        assert_eq!(ring(7).len(), 7);
        assert_eq!(star(9).len(), 8);
        assert!(star(9).iter().all(|&(a, _)| a == 0));
        for (r, c) in [(1, 2), (3, 3), (4, 5), (1, 7)] {
            let g = grid(r, c);
            assert_eq!(g.len() as u32, 2 * r * c - r - c);
            assert_simple(r * c, &g);
            assert!(is_connected(r * c, &g));
        }
        for n in [3, 10] {
            assert_simple(n, &ring(n));
            assert!(is_connected(n, &ring(n)));
            assert!(is_connected(n, &line(n)));
            assert!(is_connected(n, &star(n)));
        }
        // Degenerate sizes do not panic or make duplicates.
        assert!(ring(2).len() == 1 && line(0).is_empty() && grid(0, 5).is_empty());
        assert_simple(2, &watts_strogatz(2, 4, 0.5, &mut rng(1)));
    }

    /// Resolves `c` and generates it.
    fn gen(c: &TopologyConfig, rng: &mut SimRng) -> Topology {
        let s = c.resolve(std::path::Path::new("/")).unwrap();
        generate(&s.source, &s.fill, rng)
    }

    fn cfg(kind: TopologyKind) -> TopologyConfig {
        let mut c = TopologyConfig::new(kind);
        c.capacity = AmountDist::Uniform {
            min_sat: 1000,
            max_sat: 1_000_000,
        };
        c
    }

    fn fingerprint(t: &Topology) -> Vec<ChannelSpec> {
        t.channels().map(|(_, c)| c.clone()).collect()
    }

    #[test]
    fn topology_generate_is_deterministic() {
        for kind in [
            TopologyKind::BarabasiAlbert,
            TopologyKind::ErdosRenyi,
            TopologyKind::WattsStrogatz,
            TopologyKind::Ring,
        ] {
            let mut c = cfg(kind);
            c.balance = BalanceSplit::Uniform;
            let a = gen(&c, &mut rng(11));
            let b = gen(&c, &mut rng(11));
            let d = gen(&c, &mut rng(12));
            assert_eq!(fingerprint(&a), fingerprint(&b), "{kind:?}");
            assert_ne!(fingerprint(&a), fingerprint(&d), "{kind:?}");
            assert_eq!(a.node_count(), 100);
            for (id, ch) in a.channels() {
                assert_eq!(ch.balance[0] + ch.balance[1], ch.capacity);
                let (x, y) = a
                    .graph
                    .edge_endpoints(petgraph::graph::EdgeIndex::new(id.idx()))
                    .unwrap();
                assert_eq!(
                    [x.index() as u32, y.index() as u32],
                    [ch.nodes[0].0, ch.nodes[1].0]
                );
            }
        }
    }

    #[test]
    fn topology_generate_grid_and_fees() {
        let mut c = cfg(TopologyKind::Grid);
        c.rows = Some(3);
        c.cols = Some(4);
        c.reserve_ppm = 20_000;
        c.capacity = AmountDist::Fixed { sat: 1_000_000 };
        c.fees.base_msat = crate::dist::FeeValue::Fixed(2500);
        c.fees.max_htlc_share = 0.25;
        let t = gen(&c, &mut rng(1));
        assert_eq!((t.node_count(), t.channel_count()), (12, 17));
        assert_eq!(t.node(NodeId(11)).name, "n11");
        let ch = t.channel(super::super::ChannelId(0));
        assert_eq!(ch.capacity, Msat(1_000_000_000));
        assert_eq!(ch.balance, [Msat(500_000_000), Msat(500_000_000)]);
        assert_eq!(ch.reserve, [Msat(20_000_000), Msat(20_000_000)]);
        assert_eq!(ch.policy[1].base_fee, Msat(2500));
        assert_eq!(ch.policy[0].max_htlc, Msat(250_000_000));
        assert_eq!(ch.policy[0].cltv_delta, 40);
        assert_eq!(t.total_capacity(), Msat(17_000_000_000));
    }

    #[test]
    fn topology_balance_splits_exact() {
        let mut r = rng(1);
        let cap = Msat(1001);
        assert_eq!(
            split_balance(cap, BalanceSplit::Half, &mut r),
            [Msat(500), Msat(501)]
        );
        assert_eq!(
            split_balance(Msat(1000), BalanceSplit::Ratio(0.3), &mut r),
            [Msat(300), Msat(700)]
        );
        assert_eq!(
            split_balance(Msat(7), BalanceSplit::Ratio(1.0), &mut r),
            [Msat(7), Msat(0)]
        );
        let mut sides = [0; 2];
        for _ in 0..1000 {
            let b = split_balance(cap, BalanceSplit::OneSide, &mut r);
            assert!(b == [cap, Msat(0)] || b == [Msat(0), cap]);
            sides[usize::from(b[0] == Msat(0))] += 1;
        }
        // Binomial(1000, 1/2): sd 15.8.
        assert!((420..580).contains(&sides[0]), "{sides:?}");
    }

    proptest! {
        #[test]
        fn topology_balance_sums_to_capacity(
            cap in 0u64..=2_100_000_000_000_000_000u64,
            which in 0u8..4,
            ratio in 0.0f64..=1.0,
            seed in any::<u64>(),
        ) {
            let split = match which {
                0 => BalanceSplit::Half,
                1 => BalanceSplit::Uniform,
                2 => BalanceSplit::OneSide,
                _ => BalanceSplit::Ratio(ratio),
            };
            let b = split_balance(Msat(cap), split, &mut rng(seed));
            prop_assert_eq!(b[0].0 + b[1].0, cap);
        }

        #[test]
        fn topology_generated_channels_conserve(
            kind in 0u8..7, n in 3u32..40, seed in any::<u64>(), which in 0u8..4
        ) {
            let kind = [
                TopologyKind::BarabasiAlbert, TopologyKind::ErdosRenyi,
                TopologyKind::WattsStrogatz, TopologyKind::Line, TopologyKind::Ring,
                TopologyKind::Star, TopologyKind::Grid,
            ][kind as usize];
            let mut c = cfg(kind);
            if kind == TopologyKind::Grid {
                c.rows = Some(n / 3 + 1);
                c.cols = Some(3);
            } else {
                c.nodes = Some(n);
            }
            c.balance = [BalanceSplit::Half, BalanceSplit::Uniform, BalanceSplit::OneSide,
                         BalanceSplit::Ratio(0.37)][which as usize];
            if kind == TopologyKind::WattsStrogatz { c.k = Some(2); }
            prop_assert!(c.resolve(std::path::Path::new("/")).is_ok());
            let t = gen(&c, &mut rng(seed));
            let mut seen = BTreeSet::new();
            for (_, ch) in t.channels() {
                prop_assert_eq!(ch.balance[0] + ch.balance[1], ch.capacity);
                prop_assert!(ch.nodes[0] != ch.nodes[1]);
                let key = (ch.nodes[0].min(ch.nodes[1]), ch.nodes[0].max(ch.nodes[1]));
                prop_assert!(seen.insert(key));
            }
        }
    }
}
