//! The payment workload: who pays whom, how much, and when.
//!
//! A [`Workload`] is a lazy generator driven by its own random stream, so the sequence of
//! payments depends only on the run seed — never on the strategy or on what the network did.
//! Two strategies at the same seed see exactly the same payments (common random numbers).
//!
//! Arrivals are Poisson at `rate_per_s` (for `duration_s` or a number of `payments`), or
//! replayed from a trace CSV. Endpoints are uniform, weighted by node capacity, or
//! Zipf-skewed receivers (merchants). A `one_way` share of payments flows from a set of
//! payers to a set of payees: the one-way demand that drains channels.

use crate::dist::AmountDist;
use crate::error::{limits, read_input_text, require_nonempty, strip_bom, FieldError, InputError};

/// 21 million BTC in msat: no amount in a data file may exceed it.
const MAX_MSAT: u64 = crate::dist::MAX_SAT * 1000;
use crate::rng::SimRng;
use crate::topology::edit::{find_node, NodeRef};
use crate::topology::{ComponentFilter, NodeId, Topology};
use crate::units::{Msat, SimDuration, SimTime};
use rand::distr::weighted::WeightedIndex;
use rand::seq::SliceRandom;
use rand::Rng;
use rand_distr::{Distribution, Exp, Zipf};
use serde::Deserialize;
use std::path::Path;
use std::sync::Arc;

/// How endpoints are picked.
///
/// Deserialized by hand (not `#[serde(untagged)]`): a table with a misspelt or extra key
/// (`{ zipf = 0.8, typo = 1 }`) is an error naming that key, not silently accepted or
/// reported as "did not match any variant".
#[derive(Debug, Clone, serde::Serialize, PartialEq, Default)]
#[serde(untagged)]
pub enum EndpointConfig {
    /// `"uniform"` or `"capacity"` (probability proportional to the node's total capacity).
    Named(EndpointKind),
    /// `{ zipf = 1.2 }`: the k-th largest node (by capacity) is picked with weight 1/k^s.
    Zipf { zipf: f64 },
    /// Not given: uniform.
    #[default]
    Default,
}

impl<'de> Deserialize<'de> for EndpointConfig {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = EndpointConfig;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("\"uniform\", \"capacity\" or { zipf = <exponent> }")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<EndpointConfig, E> {
                match v {
                    "uniform" => Ok(EndpointConfig::Named(EndpointKind::Uniform)),
                    "capacity" => Ok(EndpointConfig::Named(EndpointKind::Capacity)),
                    other => Err(E::unknown_variant(other, &["uniform", "capacity"])),
                }
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<EndpointConfig, A::Error> {
                use serde::de::Error;
                let mut zipf: Option<f64> = None;
                while let Some(k) = map.next_key::<String>()? {
                    match k.as_str() {
                        "zipf" if zipf.is_none() => zipf = Some(map.next_value()?),
                        "zipf" => return Err(A::Error::duplicate_field("zipf")),
                        other => return Err(A::Error::unknown_field(other, &["zipf"])),
                    }
                }
                zipf.map(|zipf| EndpointConfig::Zipf { zipf })
                    .ok_or_else(|| A::Error::missing_field("zipf"))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Clone, Copy, Deserialize, serde::Serialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum EndpointKind {
    Uniform,
    Capacity,
}

/// `[workload.one_way]`: the demand imbalance knob.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OneWayConfig {
    /// Share of payments (0..=1) that go from a payer to a payee.
    pub share: f64,
    /// Share of nodes that are payers.
    #[serde(default = "default_payers")]
    pub payers: f64,
    /// Share of nodes that are payees (disjoint from payers).
    #[serde(default = "default_payees")]
    pub payees: f64,
}
fn default_payers() -> f64 {
    0.2
}
fn default_payees() -> f64 {
    0.05
}

/// `[workload]` scenario table.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WorkloadConfig {
    /// Poisson arrival rate, payments per second (default 1).
    pub rate_per_s: Option<f64>,
    /// Stop generating after this many seconds of simulated time.
    pub duration_s: Option<f64>,
    /// Stop after this many payments.
    pub payments: Option<u64>,
    /// Amount distribution (satoshi).
    pub amount: Option<AmountDist>,
    /// CSV of amounts to draw from uniformly (`amount_msat` or `amount_sat` column).
    pub amounts_csv: Option<String>,
    #[serde(default)]
    pub senders: EndpointConfig,
    #[serde(default)]
    pub receivers: EndpointConfig,
    pub one_way: Option<OneWayConfig>,
    /// Replay this trace CSV (`time_s,sender,receiver,amount_msat`) instead of generating.
    pub trace: Option<String>,
    /// `[workload.probes]`: read-only payment probes (see [`ProbesConfig`]).
    pub probes: Option<ProbesConfig>,
    /// `[[workload.flow]]`: pinned demand in addition to the background workload.
    #[serde(default)]
    pub flow: Vec<FlowConfig>,
}

/// Who a flow's counterparties are.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq)]
#[serde(untagged)]
pub enum Counterparties {
    /// `"uniform"`: any node but the pinned one, uniformly.
    Named(FlowUniform),
    /// A list of nodes (names or indices), uniformly.
    List(Vec<NodeRef>),
    /// `{ top_k = 200, by = "capacity" }`: the k largest nodes other than the pinned one,
    /// by total channel capacity or by degree, uniformly among them.
    Top(TopCounterparties),
}

/// `counterparties = { top_k, by }`.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TopCounterparties {
    pub top_k: usize,
    pub by: RankNodesBy,
}

/// How the largest nodes are ranked.
#[derive(Debug, Clone, Copy, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RankNodesBy {
    Capacity,
    Degree,
}

#[derive(Debug, Clone, Copy, Deserialize, serde::Serialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum FlowUniform {
    Uniform,
}

/// `[[workload.flow]]`: a stream of payments pinned to one node, on its own random stream
/// (`flow:<name>`), so adding a flow leaves the background payments unchanged.
///
/// ```toml
/// [[workload.flow]]
/// name = "shop"                 # letters, digits, `_`: it names the summary columns
/// receiver = "M"                # or `sender = "M"` (exactly one)
/// counterparties = "uniform"    # or a list of nodes [3, "alice"], or the k largest
///                               # nodes: { top_k = 200, by = "capacity" } (or "degree")
/// rate_per_s = 1.0              # Poisson
/// amount = { dist = "lognormal", median_sat = 50000, sigma = 1.0 }
/// duration_s = 3600             # or `payments = 1000`; default: the workload's duration
/// ```
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FlowConfig {
    pub name: String,
    pub receiver: Option<NodeRef>,
    pub sender: Option<NodeRef>,
    #[serde(default = "uniform_counterparties")]
    pub counterparties: Counterparties,
    pub rate_per_s: f64,
    pub amount: AmountDist,
    pub duration_s: Option<f64>,
    pub payments: Option<u64>,
}
fn uniform_counterparties() -> Counterparties {
    Counterparties::Named(FlowUniform::Uniform)
}

/// A resolved flow: nodes are indices, the end is known.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowSpec {
    pub name: String,
    pub pinned: NodeId,
    /// The pinned node receives (else it pays).
    pub pinned_receives: bool,
    /// Empty: uniform over every other node.
    pub counterparties: Vec<NodeId>,
    pub rate_per_s: f64,
    pub amount: AmountDist,
    pub end: Option<SimTime>,
    pub max: Option<u64>,
}

/// Whether `name` can name summary columns (`flow_<name>_success_ratio`).
pub fn valid_flow_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 40
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl WorkloadConfig {
    /// Validates the `[[workload.flow]]` tables and resolves their nodes in `topo`.
    ///
    /// # Errors
    /// A [`FieldError`] naming `workload.flow[i].<key>`: a bad or duplicate name, not
    /// exactly one of `sender`/`receiver`, an unknown node, a bad rate or amount, no end.
    pub fn resolve_flows(&self, topo: &Topology) -> Result<Vec<FlowSpec>, FieldError> {
        let mut out: Vec<FlowSpec> = Vec::new();
        let names: Vec<String> = (0..topo.node_count())
            .map(|i| topo.node(NodeId(i as u32)).name.clone())
            .collect();
        for (i, f) in self.flow.iter().enumerate() {
            let key = |k: &str| format!("workload.flow[{i}].{k}");
            if !valid_flow_name(&f.name) {
                return Err(FieldError::new(
                    key("name"),
                    format!("expected 1-40 letters, digits and `_` (it names the summary columns flow_<name>_*), got \"{}\"", f.name),
                ));
            }
            if out.iter().any(|o| o.name == f.name) {
                return Err(FieldError::new(
                    key("name"),
                    format!("a flow named \"{}\" is already defined", f.name),
                ));
            }
            if self.trace.is_some() {
                return Err(FieldError::new(
                    key("name"),
                    "flows do not combine with a `trace` workload",
                ));
            }
            let (pinned, receives, pk) = match (&f.receiver, &f.sender) {
                (Some(r), None) => (r, true, "receiver"),
                (None, Some(s)) => (s, false, "sender"),
                _ => {
                    return Err(FieldError::new(
                        key("receiver"),
                        "give exactly one of `receiver` (the pinned node is paid) or `sender` (it pays)",
                    ))
                }
            };
            let pinned = find_node(&names, pinned, &key(pk))?;
            let counterparties = match &f.counterparties {
                Counterparties::Named(FlowUniform::Uniform) => Vec::new(),
                Counterparties::List(l) if l.is_empty() => {
                    return Err(FieldError::new(
                        key("counterparties"),
                        "expected \"uniform\", a non-empty list of nodes or { top_k, by }",
                    ))
                }
                Counterparties::Top(t) => {
                    if t.top_k == 0 || t.top_k >= topo.node_count() {
                        return Err(FieldError::new(
                            key("counterparties"),
                            format!(
                                "top_k must be between 1 and the number of other nodes ({}), got {}",
                                topo.node_count().saturating_sub(1),
                                t.top_k
                            ),
                        ));
                    }
                    // In index order, so the picks depend on who is chosen, not on the
                    // ranking's order (plan evaluations that add channels keep their draws).
                    let mut v =
                        topo.top_nodes(t.top_k, t.by == RankNodesBy::Capacity, |v| v != pinned);
                    v.sort_unstable();
                    v
                }
                Counterparties::List(l) => {
                    let mut v = Vec::with_capacity(l.len());
                    for r in l {
                        let n = find_node(&names, r, &key("counterparties"))?;
                        if n == pinned {
                            return Err(FieldError::new(
                                key("counterparties"),
                                format!("lists the pinned node {r} itself"),
                            ));
                        }
                        v.push(n);
                    }
                    v
                }
            };
            if topo.node_count() < 2 {
                return Err(FieldError::new(
                    key("name"),
                    "the topology has fewer than 2 nodes",
                ));
            }
            if !(f.rate_per_s.is_finite() && f.rate_per_s > 0.0) {
                return Err(FieldError::new(
                    key("rate_per_s"),
                    "expected a positive rate (payments per second)",
                ));
            }
            f.amount.validate(&key("amount"))?;
            let duration = f.duration_s.or(if f.payments.is_none() {
                self.duration_s
            } else {
                None
            });
            if let Some(d) = duration {
                if !(d.is_finite() && d > 0.0) {
                    return Err(FieldError::new(
                        key("duration_s"),
                        "expected a positive number of seconds",
                    ));
                }
            }
            if f.payments == Some(0) {
                return Err(FieldError::new(
                    key("payments"),
                    "expected at least 1 payment",
                ));
            }
            if duration.is_none() && f.payments.is_none() {
                return Err(FieldError::new(
                    key("duration_s"),
                    "set `duration_s` or `payments` (the workload has no duration_s to inherit)",
                ));
            }
            out.push(FlowSpec {
                name: f.name.clone(),
                pinned,
                pinned_receives: receives,
                counterparties,
                rate_per_s: f.rate_per_s,
                amount: f.amount.clone(),
                end: duration.map(|d| SimTime::ZERO + SimDuration::from_secs_f64(d)),
                max: f.payments,
            });
        }
        Ok(out)
    }
}

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

impl WorkloadConfig {
    pub fn validate(&self) -> Result<(), FieldError> {
        if let Some(r) = self.rate_per_s {
            if !(r.is_finite() && r > 0.0) {
                return Err(FieldError::new(
                    "workload.rate_per_s",
                    "expected a positive rate (payments per second)",
                ));
            }
            if r > limits::MAX_RATE_PER_S {
                return Err(FieldError::new(
                    "workload.rate_per_s",
                    format!(
                        "expected at most {:.0e} payments per second (time is counted in whole microseconds), got {r}",
                        limits::MAX_RATE_PER_S
                    ),
                ));
            }
        }
        if self.trace.is_some() {
            // A trace says who pays whom, how much and when: generator keys would be
            // silently ignored.
            for (key, given) in [
                ("rate_per_s", self.rate_per_s.is_some()),
                ("duration_s", self.duration_s.is_some()),
                ("payments", self.payments.is_some()),
                ("amount", self.amount.is_some()),
                ("amounts_csv", self.amounts_csv.is_some()),
                ("senders", self.senders != EndpointConfig::Default),
                ("receivers", self.receivers != EndpointConfig::Default),
                ("one_way", self.one_way.is_some()),
            ] {
                // (`probes` do apply: they read the network, not the workload.)
                if given {
                    return Err(FieldError::new(
                        format!("workload.{key}"),
                        "does not apply with `trace` (the trace gives every payment's time, endpoints and amount); remove it",
                    ));
                }
            }
        }
        if self.trace.is_none() && self.duration_s.is_none() && self.payments.is_none() {
            return Err(FieldError::new(
                "workload.duration_s",
                "set `duration_s` or `payments` (or a `trace`) so the run ends",
            ));
        }
        if let Some(d) = self.duration_s {
            if !(d.is_finite() && d > 0.0) {
                return Err(FieldError::new(
                    "workload.duration_s",
                    "expected a positive number of seconds",
                ));
            }
            if d > limits::MAX_TIME_S {
                return Err(FieldError::new(
                    "workload.duration_s",
                    format!(
                        "expected at most {:.0e} seconds, got {d}",
                        limits::MAX_TIME_S
                    ),
                ));
            }
        }
        if self.payments == Some(0) {
            return Err(FieldError::new(
                "workload.payments",
                "expected at least 1 payment",
            ));
        }
        if let Some(p) = self.payments {
            if p as f64 > limits::MAX_PAYMENTS {
                return Err(FieldError::new(
                    "workload.payments",
                    format!(
                        "expected at most {:.0e} payments per run, got {p}",
                        limits::MAX_PAYMENTS
                    ),
                ));
            }
        }
        if self.trace.is_none() {
            let rate = self.rate_per_s.unwrap_or(1.0);
            // Expected payments and the time of the last one, before anything is drawn.
            let expected = match (self.duration_s, self.payments) {
                (Some(d), Some(p)) => (rate * d).min(p as f64),
                (Some(d), None) => rate * d,
                (None, Some(p)) => p as f64,
                (None, None) => 0.0,
            };
            if expected > limits::MAX_PAYMENTS {
                return Err(FieldError::new(
                    "workload.duration_s",
                    format!(
                        "rate_per_s × duration_s = {expected:.3e} payments, more than the limit of {:.0e} per run; shorten the run or lower the rate",
                        limits::MAX_PAYMENTS
                    ),
                ));
            }
            if self.duration_s.is_none() {
                if let Some(p) = self.payments {
                    if p as f64 / rate > limits::MAX_TIME_S {
                        return Err(FieldError::new(
                            "workload.rate_per_s",
                            format!(
                                "{p} payments at {rate} per second last longer than {:.0e} seconds; raise the rate",
                                limits::MAX_TIME_S
                            ),
                        ));
                    }
                }
            }
        }
        if let Some(a) = &self.amount {
            a.validate("workload.amount")?;
        }
        if self.amount.is_some() && self.amounts_csv.is_some() {
            return Err(FieldError::new(
                "workload.amounts_csv",
                "give either `amount` or `amounts_csv`, not both",
            ));
        }
        for (name, e) in [("senders", &self.senders), ("receivers", &self.receivers)] {
            if let EndpointConfig::Zipf { zipf } = e {
                if !(zipf.is_finite() && *zipf > 0.0) {
                    return Err(FieldError::new(
                        format!("workload.{name}.zipf"),
                        "expected a positive exponent",
                    ));
                }
            }
        }
        if let Some(o) = &self.one_way {
            for (k, v) in [
                ("share", o.share),
                ("payers", o.payers),
                ("payees", o.payees),
            ] {
                if !(v.is_finite() && (0.0..=1.0).contains(&v)) {
                    return Err(FieldError::new(
                        format!("workload.one_way.{k}"),
                        "expected a share between 0 and 1",
                    ));
                }
            }
            if o.payers + o.payees > 1.0 {
                return Err(FieldError::new(
                    "workload.one_way.payees",
                    "payers + payees must not exceed 1 (the sets are disjoint)",
                ));
            }
        }
        Ok(())
    }
}

/// Where a generated workload's amounts come from.
#[derive(Debug, Clone)]
pub enum AmountSource {
    /// A distribution (satoshi), sampled per payment.
    Dist(AmountDist),
    /// A list loaded from `amounts_csv`, drawn from uniformly (shared by every run).
    List(Arc<[Msat]>),
}

/// A generated workload, resolved: every default filled in, every file loaded.
#[derive(Debug, Clone)]
pub struct GeneratedSpec {
    /// Poisson arrival rate, payments per second.
    pub rate_per_s: f64,
    /// No payment after this time.
    pub end: Option<SimTime>,
    /// At most this many payments.
    pub max: Option<u64>,
    pub amounts: AmountSource,
    pub senders: EndpointConfig,
    pub receivers: EndpointConfig,
    pub one_way: Option<OneWayConfig>,
}

/// The workload of a scenario, validated and resolved once (see
/// [`WorkloadConfig::resolve`]); each run builds its [`Workload`] from it.
#[derive(Debug, Clone)]
pub enum WorkloadSpec {
    Generated(GeneratedSpec),
    /// A payment trace, replayed as is (shared by every run).
    Trace(Arc<[Arrival]>),
}

impl WorkloadSpec {
    /// The simulated time, seconds, by which the last payment starts: `duration_s`, the
    /// expected time of the last of `payments` (with a 4σ margin), or the trace's last
    /// time. Used to bound the number of windows and blocks before a run starts.
    pub fn last_arrival_s(&self) -> f64 {
        match self {
            WorkloadSpec::Generated(g) => match (g.end, g.max) {
                (Some(e), _) => e.micros() as f64 / 1e6,
                (None, Some(m)) => {
                    let m = m as f64;
                    (m + 4.0 * m.sqrt()) / g.rate_per_s
                }
                (None, None) => 0.0,
            },
            WorkloadSpec::Trace(t) => t.last().map_or(0.0, |a| a.time.micros() as f64 / 1e6),
        }
    }

    /// A replay of `arrivals` (in time order).
    pub fn trace(arrivals: Vec<Arrival>) -> Self {
        WorkloadSpec::Trace(arrivals.into())
    }
}

impl WorkloadConfig {
    /// Validates the table and loads the files it names (relative to `base_dir`): the
    /// resolved workload every run of the scenario uses.
    ///
    /// # Errors
    /// A [`FieldError`]-based [`InputError`] naming the key (the caller adds the scenario
    /// file and line), or an error naming the data file, line and column.
    pub fn resolve(&self, base_dir: &Path, topo: &Topology) -> Result<WorkloadSpec, ResolveError> {
        self.validate().map_err(ResolveError::Field)?;
        if let Some(p) = &self.trace {
            return Ok(WorkloadSpec::Trace(
                load_trace(&base_dir.join(p), topo)
                    .map_err(ResolveError::Data)?
                    .into(),
            ));
        }
        let amounts = match &self.amounts_csv {
            Some(p) => AmountSource::List(
                load_amounts(&base_dir.join(p))
                    .map_err(ResolveError::Data)?
                    .into(),
            ),
            None => AmountSource::Dist(self.amount.clone().unwrap_or_else(default_amount)),
        };
        Ok(WorkloadSpec::Generated(GeneratedSpec {
            rate_per_s: self.rate_per_s.unwrap_or(1.0),
            end: self
                .duration_s
                .map(|d| SimTime::ZERO + SimDuration::from_secs_f64(d)),
            max: self.payments,
            amounts,
            senders: self.senders.clone(),
            receivers: self.receivers.clone(),
            one_way: self.one_way.clone(),
        }))
    }
}

/// Why a workload table could not be resolved.
#[derive(Debug)]
pub enum ResolveError {
    /// A key of the scenario file (the caller names file and line).
    Field(FieldError),
    /// A data file the table names (trace, amounts), with its own file and line.
    Data(InputError),
}

/// One payment to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrival {
    pub time: SimTime,
    pub sender: NodeId,
    pub receiver: NodeId,
    pub amount: Msat,
}

enum Picker {
    Uniform,
    Weighted(WeightedIndex<u64>),
    Zipf { dist: Zipf<f64>, order: Vec<NodeId> },
}

impl Picker {
    fn new(cfg: &EndpointConfig, caps: &[u64], order: &[NodeId]) -> Self {
        match cfg {
            EndpointConfig::Named(EndpointKind::Capacity) => {
                match WeightedIndex::new(caps.iter().map(|&c| c.max(1))) {
                    Ok(w) => Picker::Weighted(w),
                    Err(_) => Picker::Uniform,
                }
            }
            EndpointConfig::Zipf { zipf } => match Zipf::new(order.len().max(1) as f64, *zipf) {
                Ok(dist) => Picker::Zipf {
                    dist,
                    order: order.to_vec(),
                },
                Err(_) => Picker::Uniform,
            },
            _ => Picker::Uniform,
        }
    }
    fn pick(&self, n: usize, rng: &mut SimRng) -> NodeId {
        match self {
            Picker::Uniform => NodeId(rng.random_range(0..n as u32)),
            Picker::Weighted(w) => NodeId(w.sample(rng) as u32),
            Picker::Zipf { dist, order } => {
                let k = dist.sample(rng) as usize;
                order[k.clamp(1, order.len()) - 1]
            }
        }
    }
}

#[allow(clippy::large_enum_variant)] // one per run, never moved on the hot path
enum Source {
    Generated {
        exp: Exp<f64>,
        amounts: AmountSource,
        senders: Picker,
        receivers: Picker,
        payers: Vec<NodeId>,
        payees: Vec<NodeId>,
        one_way_share: f64,
        end: Option<SimTime>,
        max: Option<u64>,
    },
    Trace {
        arrivals: Arc<[Arrival]>,
        pos: usize,
    },
}

/// The lazy payment generator of one run.
pub struct Workload {
    rng: SimRng,
    n: usize,
    src: Source,
    next: Option<Arrival>,
    emitted: u64,
    now: SimTime,
    /// Pinned flows, each with its own stream.
    flows: Vec<FlowGen>,
    /// `[cross_chain] payment_share`: redraws receivers so that this share of the
    /// background payments crosses chains.
    cross: Option<CrossShare>,
}

/// Draws whether a payment crosses chains, and redraws its receiver to match, from its own
/// stream (`cross_share`), so the times, senders and amounts stay those of the workload.
struct CrossShare {
    home: Vec<u8>,
    share: f64,
    rng: SimRng,
}

/// Redraws of a receiver before a payment keeps the one the workload drew (e.g. every
/// other node is on the sender's chain).
const CROSS_REDRAWS: u32 = 1_000;

/// One pinned flow's generator.
struct FlowGen {
    spec: FlowSpec,
    rng: SimRng,
    exp: Exp<f64>,
    next: Option<Arrival>,
    emitted: u64,
    now: SimTime,
}

impl FlowGen {
    fn generate(&mut self, n: usize) -> Option<Arrival> {
        let s = &self.spec;
        if s.max
            .is_some_and(|m| self.emitted + u64::from(self.next.is_some()) >= m)
        {
            return None;
        }
        let rng = &mut self.rng;
        let time = self.now + SimDuration::from_secs_f64(self.exp.sample(rng));
        if s.end.is_some_and(|e| time > e) {
            return None;
        }
        self.now = time;
        let other = if s.counterparties.is_empty() {
            // Uniform over the n - 1 other nodes.
            let k = rng.random_range(0..(n as u32 - 1));
            NodeId(if k >= s.pinned.0 { k + 1 } else { k })
        } else {
            s.counterparties[rng.random_range(0..s.counterparties.len())]
        };
        let amount = s.amount.sample(rng);
        let (sender, receiver) = if s.pinned_receives {
            (other, s.pinned)
        } else {
            (s.pinned, other)
        };
        Some(Arrival {
            time,
            sender,
            receiver,
            amount,
        })
    }
}

/// Default amount when none is configured: log-normal, median 10,000 sat, σ = 1.
/// The amount distribution when `[workload]` names none.
pub fn default_amount() -> AmountDist {
    AmountDist::Lognormal {
        median_sat: 10_000.0,
        sigma: 1.0,
    }
}

impl Workload {
    /// Builds the generator of one run from the scenario's resolved workload, drawing
    /// from `rng` (the run's `"workload"` stream).
    pub fn new(spec: &WorkloadSpec, topo: &Topology, mut rng: SimRng) -> Self {
        let n = topo.node_count();
        let src = match spec {
            WorkloadSpec::Trace(t) => Source::Trace {
                arrivals: t.clone(),
                pos: 0,
            },
            WorkloadSpec::Generated(g) => {
                let mut caps = vec![0u64; n];
                for (_, c) in topo.channels() {
                    caps[c.nodes[0].idx()] += c.capacity.0;
                    caps[c.nodes[1].idx()] += c.capacity.0;
                }
                let mut order: Vec<NodeId> = (0..n as u32).map(NodeId).collect();
                order.sort_by(|a, b| caps[b.idx()].cmp(&caps[a.idx()]).then(a.cmp(b)));
                let (mut payers, mut payees) = (Vec::new(), Vec::new());
                let mut share = 0.0;
                if let Some(o) = &g.one_way {
                    let mut perm: Vec<NodeId> = (0..n as u32).map(NodeId).collect();
                    perm.shuffle(&mut rng);
                    let np = ((o.payers * n as f64).round() as usize)
                        .clamp(1, n.saturating_sub(1).max(1));
                    let nq = ((o.payees * n as f64).round() as usize)
                        .clamp(1, n.saturating_sub(np).max(1));
                    payers = perm[..np.min(n)].to_vec();
                    payees = perm[np.min(n)..(np + nq).min(n)].to_vec();
                    share = o.share;
                }
                Source::Generated {
                    exp: Exp::new(g.rate_per_s)
                        .unwrap_or_else(|_| Exp::new(1.0).expect("rate 1 is valid")),
                    amounts: g.amounts.clone(),
                    senders: Picker::new(&g.senders, &caps, &order),
                    receivers: Picker::new(&g.receivers, &caps, &order),
                    payers,
                    payees,
                    one_way_share: share,
                    end: g.end,
                    max: g.max,
                }
            }
        };
        let mut w = Workload {
            rng,
            n,
            src,
            next: None,
            emitted: 0,
            now: SimTime::ZERO,
            flows: Vec::new(),
            cross: None,
        };
        w.next = w.generate();
        w
    }

    /// Adds pinned flows, flow `i` drawing from stream `flow:<name>` of the run seeded
    /// with `seed`: the background payments stay exactly as without them.
    pub fn with_flows(mut self, flows: &[FlowSpec], seed: u64) -> Self {
        for f in flows {
            let mut g = FlowGen {
                spec: f.clone(),
                rng: crate::rng::stream(seed, &format!("flow:{}", f.name)),
                exp: Exp::new(f.rate_per_s)
                    .unwrap_or_else(|_| Exp::new(1.0).expect("rate 1 is valid")),
                next: None,
                emitted: 0,
                now: SimTime::ZERO,
            };
            if self.n >= 2 {
                g.next = g.generate(self.n);
            }
            self.flows.push(g);
        }
        self
    }

    /// Makes `share` of the generated background payments cross chains: for each payment a
    /// draw from stream `cross_share` of the run seeded with `seed` decides whether its
    /// receiver is on another home chain than its sender (`home`: chain per node), and the
    /// receiver is redrawn from the workload's receiver distribution until it is (at most
    /// [`CROSS_REDRAWS`] times). Times, senders and amounts stay those of the workload.
    /// Trace workloads and flows are left as they are.
    pub fn with_cross_share(mut self, home: &[u8], share: f64, seed: u64) -> Self {
        if matches!(self.src, Source::Generated { .. }) && home.len() == self.n {
            self.cross = Some(CrossShare {
                home: home.to_vec(),
                share,
                rng: crate::rng::stream(seed, "cross_share"),
            });
        }
        self
    }

    /// The names of the flows, in flow-index order.
    pub fn flow_names(&self) -> Vec<String> {
        self.flows.iter().map(|f| f.spec.name.clone()).collect()
    }

    /// The next payment and the flow it belongs to (`None`: background). The earliest
    /// of the background and every flow; ties go to the background, then to the lower
    /// flow index.
    pub fn next_tagged(&mut self) -> Option<(Arrival, Option<u16>)> {
        let mut best: Option<(SimTime, Option<usize>)> = self.next.map(|a| (a.time, None));
        for (i, f) in self.flows.iter().enumerate() {
            if let Some(a) = f.next {
                if best.is_none_or(|(t, _)| a.time < t) {
                    best = Some((a.time, Some(i)));
                }
            }
        }
        match best? {
            (_, None) => self.next_background().map(|a| (a, None)),
            (_, Some(i)) => {
                let n = self.n;
                let f = &mut self.flows[i];
                let cur = f.next.take()?;
                f.emitted += 1;
                f.next = f.generate(n);
                Some((cur, Some(i as u16)))
            }
        }
    }

    fn next_background(&mut self) -> Option<Arrival> {
        let mut cur = self.next.take()?;
        self.emitted += 1;
        self.next = self.generate();
        if let (Some(c), Source::Generated { receivers, .. }) = (&mut self.cross, &self.src) {
            let from = c.home[cur.sender.idx()];
            let want = c.rng.random::<f64>() < c.share;
            if (c.home[cur.receiver.idx()] != from) != want {
                for _ in 0..CROSS_REDRAWS {
                    let r = receivers.pick(self.n, &mut c.rng);
                    if r != cur.sender && (c.home[r.idx()] != from) == want {
                        cur.receiver = r;
                        break;
                    }
                }
            }
        }
        Some(cur)
    }

    fn generate(&mut self) -> Option<Arrival> {
        if self.n < 2 {
            return None;
        }
        match &mut self.src {
            Source::Trace { arrivals, pos } => {
                let a = arrivals.get(*pos).copied();
                *pos += 1;
                a
            }
            Source::Generated {
                exp,
                amounts,
                senders,
                receivers,
                payers,
                payees,
                one_way_share,
                end,
                max,
            } => {
                if max.is_some_and(|m| self.emitted + u64::from(self.next.is_some()) >= m) {
                    return None;
                }
                let rng = &mut self.rng;
                let dt = SimDuration::from_secs_f64(exp.sample(rng));
                let time = self.now + dt;
                if end.is_some_and(|e| time > e) {
                    return None;
                }
                self.now = time;
                let one_way = *one_way_share > 0.0 && rng.random::<f64>() < *one_way_share;
                let (mut s, mut r);
                let mut tries = 0;
                loop {
                    if one_way {
                        s = payers[rng.random_range(0..payers.len())];
                        r = payees[rng.random_range(0..payees.len())];
                    } else {
                        s = senders.pick(self.n, rng);
                        r = receivers.pick(self.n, rng);
                    }
                    tries += 1;
                    if s != r || tries > 64 {
                        break;
                    }
                }
                if s == r {
                    r = NodeId(((s.0 as usize + 1) % self.n) as u32);
                }
                let amount = match amounts {
                    AmountSource::Dist(d) => d.sample(rng),
                    AmountSource::List(l) => l[rng.random_range(0..l.len())],
                };
                Some(Arrival {
                    time,
                    sender: s,
                    receiver: r,
                    amount,
                })
            }
        }
    }

    /// Time of the next payment, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.flows
            .iter()
            .filter_map(|f| f.next.map(|a| a.time))
            .chain(self.next.map(|a| a.time))
            .min()
    }

    /// Share of the workload emitted so far, when the total is known.
    pub fn progress(&self) -> Option<f64> {
        match &self.src {
            Source::Generated { max: Some(m), .. } => Some(self.emitted as f64 / *m as f64),
            Source::Generated { end: Some(e), .. } => {
                Some(self.now.micros() as f64 / e.micros().max(1) as f64)
            }
            Source::Trace { arrivals, .. } => {
                Some(self.emitted as f64 / arrivals.len().max(1) as f64)
            }
            _ => None,
        }
    }

    pub fn emitted(&self) -> u64 {
        self.emitted
    }
}

impl Iterator for Workload {
    type Item = Arrival;
    /// The next payment.
    fn next(&mut self) -> Option<Arrival> {
        self.next_background()
    }
}

/// Loads a CSV of amounts (column `amount_msat` or `amount_sat`): see [`parse_amounts`].
pub fn load_amounts(path: &Path) -> Result<Vec<Msat>, InputError> {
    parse_amounts(&read_input_text(path, "amounts CSV")?, path)
}

/// Parses a CSV of amounts (column `amount_msat` or `amount_sat`), each positive and at
/// most 21 million BTC. `path` names the file in errors.
pub fn parse_amounts(text: &str, path: &Path) -> Result<Vec<Msat>, InputError> {
    let text = strip_bom(text);
    require_nonempty(text, path, "amounts CSV")?;
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| InputError::new(path, e.to_string()).at_line(1))?
        .clone();
    let (col, scale, name) = if let Some(i) = headers.iter().position(|h| h == "amount_msat") {
        (i, 1u64, "amount_msat")
    } else if let Some(i) = headers.iter().position(|h| h == "amount_sat") {
        (i, 1000u64, "amount_sat")
    } else {
        return Err(
            InputError::new(path, "expected a column `amount_msat` or `amount_sat`").at_line(1),
        );
    };
    let mut out = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| InputError::new(path, e.to_string()).at_line(line))?;
        let v: u64 = rec
            .get(col)
            .unwrap_or("")
            .parse()
            .ok()
            .filter(|v| *v > 0)
            .ok_or_else(|| {
                InputError::new(path, "expected a positive whole number")
                    .at_line(line)
                    .field(name)
            })?;
        let msat = v
            .checked_mul(scale)
            .filter(|m| *m <= MAX_MSAT)
            .ok_or_else(|| {
                InputError::new(
                    path,
                    format!("{v} is more than 21 million BTC ({MAX_MSAT} msat)"),
                )
                .at_line(line)
                .field(name)
            })?;
        out.push(Msat(msat));
    }
    if out.is_empty() {
        return Err(InputError::new(path, "no amounts in file").at_line(1));
    }
    Ok(out)
}

/// Loads a payment trace CSV: see [`parse_trace`].
pub fn load_trace(path: &Path, topo: &Topology) -> Result<Vec<Arrival>, InputError> {
    parse_trace(&read_input_text(path, "trace")?, path, topo)
}

/// Parses a payment trace CSV: `time_s,sender,receiver,amount_msat` (senders and receivers
/// by node index or node name). Rows must be in non-decreasing time order, times at most
/// 10^9 s, amounts positive and at most 21 million BTC. `path` names the file in errors.
pub fn parse_trace(text: &str, path: &Path, topo: &Topology) -> Result<Vec<Arrival>, InputError> {
    let text = strip_bom(text);
    require_nonempty(text, path, "trace")?;
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| InputError::new(path, e.to_string()).at_line(1))?
        .clone();
    let want = ["time_s", "sender", "receiver", "amount_msat"];
    let mut cols = [0usize; 4];
    for (k, w) in want.iter().enumerate() {
        cols[k] = headers.iter().position(|h| h == *w).ok_or_else(|| {
            InputError::new(
                path,
                format!("expected header `time_s,sender,receiver,amount_msat` (missing `{w}`)"),
            )
            .at_line(1)
        })?;
    }
    let mut by_name: Vec<(&str, u32)> = (0..topo.node_count())
        .map(|i| (topo.node(NodeId(i as u32)).name.as_str(), i as u32))
        .collect();
    by_name.sort();
    let node = |s: &str, line: usize, field: &str| -> Result<NodeId, InputError> {
        if let Ok(i) = by_name.binary_search_by(|(n, _)| (*n).cmp(s)) {
            return Ok(NodeId(by_name[i].1));
        }
        match s.parse::<u32>() {
            Ok(i) if (i as usize) < topo.node_count() => Ok(NodeId(i)),
            _ => Err(InputError::new(
                path,
                format!(
                    "unknown node `{s}` (expected a node name or an index below {})",
                    topo.node_count()
                ),
            )
            .at_line(line)
            .field(field)),
        }
    };
    let mut out: Vec<Arrival> = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| InputError::new(path, e.to_string()).at_line(line))?;
        let get = |k: usize| rec.get(cols[k]).unwrap_or("");
        let t: f64 = get(0)
            .parse()
            .ok()
            .filter(|t: &f64| t.is_finite() && *t >= 0.0 && *t <= limits::MAX_TIME_S)
            .ok_or_else(|| {
                InputError::new(
                    path,
                    format!(
                        "expected a number of seconds between 0 and {:.0e}",
                        limits::MAX_TIME_S
                    ),
                )
                .at_line(line)
                .field("time_s")
            })?;
        let s = node(get(1), line, "sender")?;
        let r = node(get(2), line, "receiver")?;
        if s == r {
            return Err(
                InputError::new(path, "sender and receiver are the same node")
                    .at_line(line)
                    .field("receiver"),
            );
        }
        let a: u64 = get(3)
            .parse()
            .ok()
            .filter(|a| *a > 0 && *a <= MAX_MSAT)
            .ok_or_else(|| {
            InputError::new(path, format!("expected a positive whole number of msat, at most 21 million BTC ({MAX_MSAT} msat)"))
                .at_line(line)
                .field("amount_msat")
        })?;
        let time = SimTime(SimDuration::from_secs_f64(t).micros());
        if out.last().is_some_and(|l| l.time > time) {
            return Err(
                InputError::new(path, "rows must be in non-decreasing time order")
                    .at_line(line)
                    .field("time_s"),
            );
        }
        out.push(Arrival {
            time,
            sender: s,
            receiver: r,
            amount: Msat(a),
        });
    }
    if out.is_empty() {
        return Err(InputError::new(path, "the trace has no payments").at_line(1));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topo() -> Topology {
        let mut t = Topology::new();
        for name in ["alice", "bob", "carol"] {
            t.add_node(name);
        }
        t
    }

    fn file(text: &str) -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), text).unwrap();
        f
    }

    #[test]
    fn endpoints_parse_by_hand_and_name_bad_keys() {
        #[derive(Deserialize, Debug)]
        struct D {
            r: EndpointConfig,
        }
        let p = |s: &str| toml::from_str::<D>(&format!("r = {s}")).map(|d| d.r);
        assert_eq!(
            p("\"uniform\"").unwrap(),
            EndpointConfig::Named(EndpointKind::Uniform)
        );
        assert_eq!(
            p("\"capacity\"").unwrap(),
            EndpointConfig::Named(EndpointKind::Capacity)
        );
        assert_eq!(
            p("{ zipf = 0.8 }").unwrap(),
            EndpointConfig::Zipf { zipf: 0.8 }
        );
        let e = p("{ zipf = 0.8, typo = 1 }").unwrap_err().to_string();
        assert!(
            e.contains("unknown field `typo`") && e.contains("`zipf`"),
            "{e}"
        );
        let e = p("\"random\"").unwrap_err().to_string();
        assert!(e.contains("unknown variant `random`"), "{e}");
        let e = p("{}").unwrap_err().to_string();
        assert!(e.contains("missing field `zipf`"), "{e}");
        assert!(!p("5").unwrap_err().to_string().contains("untagged"));
    }

    #[test]
    fn data_files_reject_bom_phantoms_empty_and_huge_amounts() {
        let p = Path::new("a.csv");
        // A byte order mark is dropped, not read as part of the header.
        assert_eq!(
            parse_amounts("\u{feff}amount_sat\n5\n", p).unwrap(),
            vec![Msat(5000)]
        );
        let e = parse_amounts("", p).unwrap_err();
        assert!(e.message.contains("empty"), "{e}");
        let e = parse_amounts("amount_msat\n18446744073709551615\n", p).unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("21 million BTC"), "{e}");
        // 21 million BTC exactly is allowed, one sat more is not.
        assert!(parse_amounts("amount_sat\n2100000000000000\n", p).is_ok());
        assert!(parse_amounts("amount_sat\n2100000000000001\n", p).is_err());
        let t = topo();
        let e =
            parse_trace("time_s,sender,receiver,amount_msat\n1e300,0,1,5\n", p, &t).unwrap_err();
        assert_eq!((e.line, e.field.as_deref()), (Some(2), Some("time_s")));
        let tr = parse_trace(
            "\u{feff}time_s,sender,receiver,amount_msat\n1e9,alice,bob,5\n",
            p,
            &t,
        )
        .unwrap();
        assert_eq!(tr[0].time, SimTime(1_000_000_000_000_000));
        let e = parse_trace("time_s,sender,receiver,amount_msat\n", p, &t).unwrap_err();
        assert!(e.message.contains("no payments"), "{e}");
    }

    #[test]
    fn run_cost_is_bounded_before_anything_is_drawn() {
        let w = |s: &str| -> Result<(), FieldError> {
            toml::from_str::<WorkloadConfig>(s).unwrap().validate()
        };
        assert!(w("payments = 5\nrate_per_s = 1e6").is_ok());
        assert_eq!(
            w("duration_s = 10\nrate_per_s = 1e300").unwrap_err().field,
            "workload.rate_per_s"
        );
        assert_eq!(
            w("duration_s = 1e300").unwrap_err().field,
            "workload.duration_s"
        );
        // 10^5 per second for 10^4 s: 10^9 payments, above the 10^8 limit.
        let e = w("duration_s = 10000\nrate_per_s = 100000").unwrap_err();
        assert!(e.message.contains("more than the limit"), "{e}");
        assert!(w("duration_s = 1000\nrate_per_s = 100000").is_ok());
        assert_eq!(
            w("payments = 1000000000").unwrap_err().field,
            "workload.payments"
        );
        assert_eq!(
            w("payments = 10000000\nrate_per_s = 0.001")
                .unwrap_err()
                .field,
            "workload.rate_per_s"
        );
    }

    #[test]
    fn trace_reads_names_and_indices() {
        let f = file("time_s,sender,receiver,amount_msat\n0.5,alice,2,1000\n2,1,carol,5\n");
        let t = load_trace(f.path(), &topo()).unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(
            (t[0].time, t[0].sender, t[0].receiver, t[0].amount),
            (SimTime(500_000), NodeId(0), NodeId(2), Msat(1000))
        );
        assert_eq!((t[1].sender, t[1].receiver), (NodeId(1), NodeId(2)));
    }

    #[test]
    fn bad_traces_name_line_and_column() {
        let cases = [
            ("time_s,sender,amount_msat\n", ":1:", "receiver"),
            (
                "time_s,sender,receiver,amount_msat\n1,alice,bob,10\n2,dave,bob,10\n",
                ":3:",
                "`sender`",
            ),
            (
                "time_s,sender,receiver,amount_msat\n1,alice,bob,-3\n",
                ":2:",
                "`amount_msat`",
            ),
            (
                "time_s,sender,receiver,amount_msat\n5,alice,bob,1\n4,alice,bob,1\n",
                ":3:",
                "`time_s`",
            ),
            (
                "time_s,sender,receiver,amount_msat\n1,alice,alice,1\n",
                ":2:",
                "`receiver`",
            ),
            (
                "time_s,sender,receiver,amount_msat\nx,alice,bob,1\n",
                ":2:",
                "`time_s`",
            ),
        ];
        for (text, line, field) in cases {
            let f = file(text);
            let e = load_trace(f.path(), &topo()).unwrap_err().to_string();
            assert!(e.contains(&f.path().display().to_string()), "{e}");
            assert!(e.contains(line) && e.contains(field), "{text:?}: {e}");
        }
    }

    #[test]
    fn amounts_csv_sat_or_msat_and_errors() {
        let f = file("amount_sat\n3\n7\n");
        assert_eq!(
            load_amounts(f.path()).unwrap(),
            vec![Msat(3000), Msat(7000)]
        );
        let f = file("amount_msat\n3\n0\n");
        let e = load_amounts(f.path()).unwrap_err().to_string();
        assert!(e.contains(":3:") && e.contains("`amount_msat`"), "{e}");
        let f = file("value\n3\n");
        assert!(load_amounts(f.path())
            .unwrap_err()
            .to_string()
            .contains(":1:"));
    }

    /// Flow tests run whole scenarios (test code may use higher layers).
    fn scenario(text: &str) -> Result<crate::scenario::Scenario, crate::error::InputError> {
        crate::scenario::parse(text, "flows.toml", std::path::Path::new("/"), None)
    }

    fn run(s: &crate::scenario::Scenario, rep: u32) -> crate::metrics::RunResult {
        let plan = crate::experiment::plan_point(s, 0, 0);
        let p = plan.iter().find(|p| p.replication == rep).unwrap();
        crate::experiment::execute(s, p, &mut crate::metrics::NullRecorder).unwrap()
    }

    const LINE2: &str = "name = \"f\"\n[topology]\nkind = \"line\"\nnodes = 2\n\
        capacity = { dist = \"fixed\", sat = 1000 }\n\
        [workload]\npayments = 1\namount = { dist = \"fixed\", sat = 1 }\n";

    #[test]
    fn flow_hand_computed_two_node_line() {
        // 1,000 sat channel, 500 sat a side, reserve 1% (10 sat): n0 can spend 490 sat.
        // The flow pays n1 ten times 100 sat from n0 (the only other node): 4 fit
        // (400 ≤ 490, then 90 are left). The background payment of 1 sat either way
        // leaves 489 or 491 sat: still exactly 4. A direct payment pays no fee.
        let s = scenario(&format!(
            "{LINE2}[[workload.flow]]\nname = \"shop\"\nreceiver = \"n1\"\nrate_per_s = 10\n\
             amount = {{ dist = \"fixed\", sat = 100 }}\npayments = 10\n"
        ))
        .unwrap();
        let r = run(&s, 0);
        let m: std::collections::BTreeMap<String, f64> = r.metrics().into_iter().collect();
        assert_eq!(m["flow_shop_payments"], 10.0);
        assert_eq!(m["flow_shop_succeeded"], 4.0);
        assert_eq!(m["flow_shop_success_ratio"], 0.4);
        assert_eq!(m["flow_shop_volume_success_ratio"], 0.4);
        assert_eq!(m["flow_shop_fees_paid_sat"], 0.0);
        // Flow payments count in the network totals too (1 background payment).
        assert_eq!(m["payments"], 11.0);
    }

    #[test]
    fn flow_leaves_background_payments_unchanged() {
        let base = "name = \"f\"\n[topology]\nkind = \"barabasi_albert\"\nnodes = 30\n\
                    [workload]\nduration_s = 200\nrate_per_s = 2\n";
        let flow = "[[workload.flow]]\nname = \"m\"\nsender = 3\ncounterparties = [1, \"n7\", 9]\n\
                    rate_per_s = 3\namount = { dist = \"fixed\", sat = 10 }\n";
        let a = scenario(base).unwrap();
        let b = scenario(&format!("{base}{flow}")).unwrap();
        let seed = crate::rng::run_seed(1, 0);
        let wl = |s: &crate::scenario::Scenario| {
            Workload::new(
                &s.workload,
                &s.topology,
                crate::rng::stream(seed, "workload"),
            )
            .with_flows(&s.flows, seed)
        };
        let plain: Vec<Arrival> = wl(&a).collect();
        let mut with = wl(&b);
        let (mut bg, mut fl) = (Vec::new(), Vec::new());
        let mut last = SimTime::ZERO;
        while let Some((arr, tag)) = with.next_tagged() {
            assert!(arr.time >= last, "arrivals in time order");
            last = arr.time;
            match tag {
                None => bg.push(arr),
                Some(0) => fl.push(arr),
                Some(t) => panic!("flow {t}"),
            }
        }
        assert!(plain.len() > 300, "{}", plain.len());
        assert_eq!(bg, plain, "the background is the same payments");
        // The flow: duration inherited (200 s) at 3/s, from node 3 to the listed nodes.
        assert!((450..750).contains(&fl.len()), "{}", fl.len());
        assert!(fl.iter().all(|x| x.sender == NodeId(3)
            && [1, 7, 9].contains(&x.receiver.0)
            && x.amount == Msat(10_000)));
        // Uniform counterparties never pick the pinned node and cover the others.
        let u = scenario(&format!(
            "{base}[[workload.flow]]\nname = \"u\"\nreceiver = 0\nrate_per_s = 5\namount = {{ dist = \"fixed\", sat = 1 }}\n"
        ))
        .unwrap();
        let mut w = wl(&u);
        let mut seen = [0u32; 30];
        while let Some((arr, tag)) = w.next_tagged() {
            if tag == Some(0) {
                assert_eq!(arr.receiver, NodeId(0));
                seen[arr.sender.idx()] += 1;
            }
        }
        assert_eq!(seen[0], 0);
        assert!(seen[1..].iter().all(|&c| c > 10), "{seen:?}");
    }

    #[test]
    fn flow_counterparties_top_k_by_capacity_and_by_degree() {
        // Line n0-n1-n2-n3-n4 of 1,000 sat channels plus a 5,000 sat channel n4-n2.
        // Capacity: n0 1,000, n1 2,000, n2 7,000, n3 2,000, n4 6,000; degree: 1, 2, 3, 2, 2.
        // n2 is paid: by capacity the top 2 others are n4, then n1 (ties: lower index);
        // by degree n1 and n3 (n4 ties with them and has the higher index).
        let top = |by: &str| {
            let s = scenario(&format!(
                "name = \"f\"\n[topology]\nkind = \"line\"\nnodes = 5\n\
                 capacity = {{ dist = \"fixed\", sat = 1000 }}\n\
                 [[topology.add_channel]]\nfrom = 4\nto = 2\ncapacity_sat = 5000\n\
                 [workload]\npayments = 1\namount = {{ dist = \"fixed\", sat = 1 }}\n\
                 [[workload.flow]]\nname = \"m\"\nreceiver = 2\n\
                 counterparties = {{ top_k = 2, by = \"{by}\" }}\nrate_per_s = 1\n\
                 amount = {{ dist = \"fixed\", sat = 1 }}\npayments = 3\n"
            ))
            .unwrap();
            s.flows[0].counterparties.clone()
        };
        assert_eq!(top("capacity"), vec![NodeId(1), NodeId(4)]);
        assert_eq!(top("degree"), vec![NodeId(1), NodeId(3)]);
    }

    #[test]
    fn cross_share_sets_the_share_of_payments_between_chains() {
        let s = scenario(
            "name = \"x\"\n[topology]\nkind = \"barabasi_albert\"\nnodes = 40\n\
             [workload]\npayments = 4000\n",
        )
        .unwrap();
        // Even nodes on chain 0, odd nodes on chain 1.
        let home: Vec<u8> = (0..40).map(|i| (i % 2) as u8).collect();
        let seed = crate::rng::run_seed(3, 0);
        let wl = || {
            Workload::new(
                &s.workload,
                &s.topology,
                crate::rng::stream(seed, "workload"),
            )
        };
        let plain: Vec<Arrival> = wl().collect();
        for share in [0.0, 0.3, 1.0] {
            let got: Vec<Arrival> = wl().with_cross_share(&home, share, seed).collect();
            assert_eq!(got.len(), plain.len());
            for (a, b) in got.iter().zip(&plain) {
                // Times, senders and amounts are the workload's; only receivers move.
                assert_eq!((a.time, a.sender, a.amount), (b.time, b.sender, b.amount));
                assert_ne!(a.sender, a.receiver);
            }
            let cross = got
                .iter()
                .filter(|a| home[a.sender.idx()] != home[a.receiver.idx()])
                .count() as f64
                / got.len() as f64;
            // 4,000 draws: the share is within 4 standard deviations (≤ 0.029).
            assert!((cross - share).abs() <= 0.03, "share {share}: {cross}");
        }
        // Without chains' homes that fit the network, nothing changes.
        let same: Vec<Arrival> = wl().with_cross_share(&home[..10], 0.5, seed).collect();
        assert_eq!(same, plain);
    }

    #[test]
    fn flow_config_errors_name_the_field() {
        let err = |flow: &str| {
            let e = scenario(&format!("{LINE2}[[workload.flow]]\n{flow}"))
                .err()
                .unwrap();
            (e.field.clone().unwrap_or_default(), e.line, e.message)
        };
        let ok = "rate_per_s = 1\namount = { dist = \"fixed\", sat = 1 }\npayments = 3\n";
        for (flow, field, msg) in [
            (format!("name = \"a b\"\nreceiver = 1\n{ok}"), "workload.flow[0].name", "letters"),
            (format!("name = \"a\"\n{ok}"), "workload.flow[0].receiver", "exactly one"),
            (format!("name = \"a\"\nreceiver = 1\nsender = 0\n{ok}"), "workload.flow[0].receiver", "exactly one"),
            (format!("name = \"a\"\nreceiver = \"zz\"\n{ok}"), "workload.flow[0].receiver", "unknown node"),
            (format!("name = \"a\"\nsender = 5\n{ok}"), "workload.flow[0].sender", "unknown node 5"),
            (format!("name = \"a\"\nsender = 0\ncounterparties = [0]\n{ok}"), "workload.flow[0].counterparties", "pinned"),
            (format!("name = \"a\"\nsender = 0\ncounterparties = {{ top_k = 2, by = \"capacity\" }}\n{ok}"), "workload.flow[0].counterparties", "top_k must be between 1 and"),
            ("name = \"a\"\nsender = 0\nrate_per_s = 0\namount = { dist = \"fixed\", sat = 1 }\npayments = 3\n".into(), "workload.flow[0].rate_per_s", "positive"),
            ("name = \"a\"\nsender = 0\nrate_per_s = 1\namount = { dist = \"fixed\", sat = 1 }\n".into(), "workload.flow[0].duration_s", "set `duration_s`"),
        ] {
            let (f, line, m) = err(&flow);
            assert_eq!(f, field, "{flow}: {m}");
            assert!(m.contains(msg), "{flow}: {m}");
            assert!(line.is_some_and(|l| l >= 9), "{flow}: {line:?}");
        }
        // Two flows with one name.
        let e = scenario(&format!(
            "{LINE2}[[workload.flow]]\nname = \"a\"\nsender = 0\n{ok}[[workload.flow]]\nname = \"a\"\nsender = 1\n{ok}"
        ))
        .err()
        .unwrap();
        assert_eq!(e.field.as_deref(), Some("workload.flow[1].name"));
        assert_eq!(e.line, Some(16));
        // Misspelt key.
        let e = scenario(&format!(
            "{LINE2}[[workload.flow]]\nname = \"a\"\nsender = 0\nrate = 1\n"
        ))
        .err()
        .unwrap();
        assert!(e.message.contains("unknown field `rate`"), "{e}");
        assert_eq!(e.line, Some(12));
    }
}
