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
use crate::error::{FieldError, InputError};
use crate::rng::SimRng;
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
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(untagged)]
pub enum EndpointConfig {
    /// `"uniform"` or `"capacity"` (probability proportional to the node's total capacity).
    Named(EndpointKind),
    /// `{ zipf = 1.2 }`: the k-th largest node (by capacity) is picked with weight 1/k^s.
    Zipf { zipf: f64 },
    #[default]
    #[serde(skip)]
    Default,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum EndpointKind {
    Uniform,
    Capacity,
}

/// `[workload.one_way]`: the demand imbalance knob.
#[derive(Debug, Clone, Deserialize, PartialEq)]
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
#[derive(Debug, Clone, Deserialize, PartialEq)]
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
#[derive(Debug, Clone, Deserialize, PartialEq)]
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
        }
        if self.payments == Some(0) {
            return Err(FieldError::new(
                "workload.payments",
                "expected at least 1 payment",
            ));
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
}

/// Default amount when none is configured: log-normal, median 10,000 sat, σ = 1.
fn default_amount() -> AmountDist {
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
        };
        w.next = w.generate();
        w
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
        self.next.map(|a| a.time)
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
        let cur = self.next.take()?;
        self.emitted += 1;
        self.next = self.generate();
        Some(cur)
    }
}

/// Loads a CSV of amounts (column `amount_msat` or `amount_sat`).
pub fn load_amounts(path: &Path) -> Result<Vec<Msat>, InputError> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| InputError::new(path, format!("cannot read amounts: {e}")))?;
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
        out.push(Msat(v.checked_mul(scale).ok_or_else(|| {
            InputError::new(path, "amount too large")
                .at_line(line)
                .field(name)
        })?));
    }
    if out.is_empty() {
        return Err(InputError::new(path, "no amounts in file"));
    }
    Ok(out)
}

/// Loads a payment trace CSV: `time_s,sender,receiver,amount_msat` (senders and receivers by
/// node index or node name). Rows must be in non-decreasing time order.
pub fn load_trace(path: &Path, topo: &Topology) -> Result<Vec<Arrival>, InputError> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| InputError::new(path, format!("cannot read trace: {e}")))?;
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
            .filter(|t: &f64| t.is_finite() && *t >= 0.0)
            .ok_or_else(|| {
                InputError::new(path, "expected a non-negative number of seconds")
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
        let a: u64 = get(3).parse().ok().filter(|a| *a > 0).ok_or_else(|| {
            InputError::new(path, "expected a positive whole number of msat")
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
}
