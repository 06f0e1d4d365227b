//! `[workload.probes]`: probe rounds (times, pairs, amounts) resolved once per run.

use super::*;

/// `[workload.probes]`: at chosen instants, route a payment for every (pair, amount) against
/// the network state at that instant and check each hop's balance, without changing
/// anything (no HTLC locked, no mission-control entry, no random draw of another stream).
///
/// ```toml
/// [workload.probes]
/// every_s = 600                   # a round every 600 s (from 600 s on), and/or
/// times_s = [60, 1800]            # rounds at these times
/// at_start = true                 # a round before anything happens (default false)
/// at_end = true                   # a round after the last event (default false)
/// pairs = 200                     # random (sender, receiver) pairs, drawn once per run (default 100)
/// among = "largest_strongly_connected"   # all (default) | largest_connected | largest_strongly_connected
/// # list = [[0, 5], [3, 7]]       # or exactly these pairs (node indices)
/// amounts_sat = [1, 10_000, 100_000]
/// ```
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProbesConfig {
    #[serde(default)]
    pub times_s: Vec<f64>,
    pub every_s: Option<f64>,
    #[serde(default)]
    pub at_start: bool,
    #[serde(default)]
    pub at_end: bool,
    pub pairs: Option<usize>,
    pub among: Option<ComponentFilter>,
    pub list: Option<Vec<[u32; 2]>>,
    pub amounts_sat: Vec<u64>,
}

/// Which pairs a probe round tries.
#[derive(Debug, Clone, PartialEq)]
pub enum ProbePairs {
    /// `count` pairs drawn uniformly (sender ≠ receiver) among the nodes of the component
    /// `among` of the initial network, once per run from the run's `"probes"` stream.
    Random {
        count: usize,
        among: ComponentFilter,
    },
    /// Exactly these (sender, receiver) pairs.
    List(Vec<(NodeId, NodeId)>),
}

/// `[workload.probes]`, validated and resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeSpec {
    /// Listed round times, ascending, without duplicates.
    pub times: Vec<SimTime>,
    /// A round every this long (at `every`, `2 every`, …).
    pub every: Option<SimDuration>,
    pub at_start: bool,
    pub at_end: bool,
    pub pairs: ProbePairs,
    /// Probe amounts, ascending, distinct.
    pub amounts: Vec<Msat>,
}

/// At most this many listed probe times (each round is `pairs × amounts` route searches).
pub const MAX_PROBE_TIMES: usize = 100_000;
/// Shortest probe interval, seconds.
pub const MIN_PROBE_EVERY_S: f64 = 1.0;

impl ProbesConfig {
    /// Validates the table against the topology and resolves it.
    ///
    /// # Errors
    /// A [`FieldError`] naming the `workload.probes.*` key.
    pub fn resolve(&self, topo: &Topology) -> Result<ProbeSpec, FieldError> {
        let f = |k: &str| format!("workload.probes.{k}");
        if self.times_s.is_empty() && self.every_s.is_none() && !self.at_start && !self.at_end {
            return Err(FieldError::new(
                f("times_s"),
                "say when to probe: `times_s`, `every_s`, `at_start` or `at_end`",
            ));
        }
        if self.times_s.len() > MAX_PROBE_TIMES {
            return Err(FieldError::new(
                f("times_s"),
                format!("expected at most {MAX_PROBE_TIMES} times"),
            ));
        }
        let mut times = Vec::with_capacity(self.times_s.len());
        for t in &self.times_s {
            if !(t.is_finite() && *t >= 0.0) {
                return Err(FieldError::new(
                    f("times_s"),
                    "expected non-negative numbers of seconds",
                ));
            }
            times.push(SimTime::ZERO + SimDuration::from_secs_f64(*t));
        }
        times.sort_unstable();
        times.dedup();
        let every = match self.every_s {
            Some(e) if !(e.is_finite() && e >= MIN_PROBE_EVERY_S) => {
                return Err(FieldError::new(
                    f("every_s"),
                    format!("expected a number of seconds >= {MIN_PROBE_EVERY_S}"),
                ))
            }
            Some(e) => Some(SimDuration::from_secs_f64(e)),
            None => None,
        };
        if self.amounts_sat.is_empty() {
            return Err(FieldError::new(
                f("amounts_sat"),
                "expected at least one amount (satoshi)",
            ));
        }
        let mut amounts = Vec::with_capacity(self.amounts_sat.len());
        for &a in &self.amounts_sat {
            // 21 million BTC in sat: more cannot exist.
            if a == 0 || a > 2_100_000_000_000_000 {
                return Err(FieldError::new(
                    f("amounts_sat"),
                    "expected positive whole numbers of satoshi (at most 21 million BTC)",
                ));
            }
            amounts.push(Msat::from_sat(a));
        }
        amounts.sort_unstable();
        if amounts.windows(2).any(|w| w[0] == w[1]) {
            return Err(FieldError::new(
                f("amounts_sat"),
                "amounts must be distinct",
            ));
        }
        let n = topo.node_count();
        let pairs = match &self.list {
            Some(list) => {
                for (key, given) in [
                    ("pairs", self.pairs.is_some()),
                    ("among", self.among.is_some()),
                ] {
                    if given {
                        return Err(FieldError::new(
                            f(key),
                            "does not apply with `list` (the list names every pair); remove it",
                        ));
                    }
                }
                if list.is_empty() {
                    return Err(FieldError::new(f("list"), "expected at least one pair"));
                }
                let mut out = Vec::with_capacity(list.len());
                for (i, [s, r]) in list.iter().enumerate() {
                    if *s as usize >= n || *r as usize >= n {
                        return Err(FieldError::new(
                            format!("workload.probes.list[{i}]"),
                            format!("expected node indices below {n}"),
                        ));
                    }
                    if s == r {
                        return Err(FieldError::new(
                            format!("workload.probes.list[{i}]"),
                            "sender and receiver are the same node",
                        ));
                    }
                    out.push((NodeId(*s), NodeId(*r)));
                }
                ProbePairs::List(out)
            }
            None => {
                let count = self.pairs.unwrap_or(100);
                if count == 0 || count > 1_000_000 {
                    return Err(FieldError::new(f("pairs"), "expected 1..=1000000 pairs"));
                }
                ProbePairs::Random {
                    count,
                    among: self.among.unwrap_or_default(),
                }
            }
        };
        Ok(ProbeSpec {
            times,
            every,
            at_start: self.at_start,
            at_end: self.at_end,
            pairs,
            amounts,
        })
    }
}

impl ProbeSpec {
    /// The probe pairs of one run: the listed pairs, or `count` uniform pairs (sender ≠
    /// receiver) among the nodes of the chosen component of `topo`'s initial state, drawn
    /// from `rng` (the run's `"probes"` stream). Empty when the component has fewer than 2
    /// nodes. O(|V| + |E| + count).
    pub fn draw_pairs(&self, topo: &Topology, rng: &mut SimRng) -> Vec<(NodeId, NodeId)> {
        match &self.pairs {
            ProbePairs::List(l) => l.clone(),
            ProbePairs::Random { count, among } => {
                let keep = crate::topology::component_mask(topo, *among);
                let nodes: Vec<NodeId> = (0..topo.node_count() as u32)
                    .map(NodeId)
                    .filter(|v| keep[v.idx()])
                    .collect();
                if nodes.len() < 2 {
                    return Vec::new();
                }
                (0..*count)
                    .map(|_| {
                        let s = rng.random_range(0..nodes.len());
                        // Uniform over the other nodes.
                        let mut r = rng.random_range(0..nodes.len() - 1);
                        if r >= s {
                            r += 1;
                        }
                        (nodes[s], nodes[r])
                    })
                    .collect()
            }
        }
    }
}
