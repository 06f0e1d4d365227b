//! The `[workload]` table: endpoints, one-way demand, pinned flows, and its resolution
//! into a [`WorkloadSpec`] (validated once).

use super::*;

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
