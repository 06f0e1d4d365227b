//! Scenario files: parse once, validate once, resolve into everything a run needs.
//!
//! `RawScenario` mirrors the TOML (`deny_unknown_fields` everywhere). [`load`] parses it,
//! validates every field, loads referenced data (snapshots, traces, amount lists, fee-rate
//! series) and builds the topology, returning a [`Scenario`] that can be run any number of
//! times. Every error names the file, the line and the field.

use crate::chain::{ChainSet, ChainsConfig, CrossChainConfig};
use crate::engine::params::MppParams;
use crate::engine::params::{EngineParams, LatencyDist, SwapParams};
use crate::error::{limits, FieldError, InputError};
use crate::rng::{self, SimRng};
use crate::routing::bimodal;
use crate::routing::cln::ClnParams;
use crate::routing::mcf::McfParams;
use crate::routing::registry::{self, RouterSpec};
use crate::routing::RouterParams;
use crate::strategy::StrategySpec;
use crate::topology::{self, NodeId, Topology, TopologyConfig};
use crate::units::{Msat, SimDuration, SimTime};
use crate::workload::{self, WorkloadConfig, WorkloadSpec};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// `[routing]`: path finding, retries and the HTLC layer.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RoutingConfig {
    pub max_attempts: u32,
    pub timeout_s: f64,
    pub hop_latency: LatencyDist,
    pub offline_probability: f64,
    pub risk_factor_billionths: u64,
    pub attempt_cost_sat: u64,
    pub attempt_cost_ppm: u64,
    pub apriori: f64,
    pub penalty_half_life_s: f64,
    pub max_hops: u8,
    pub max_cltv: u32,
    /// CLTV delta the receiver asks for, blocks (default 40: kept for comparability with
    /// pcnsim's earlier results; BOLT 11 assumes 18 when an invoice names none, lnd's own
    /// invoices ask for 80).
    pub final_cltv: u32,
    /// Routes whose estimated success probability is lower are not taken (lnd: 0.01).
    pub min_probability: f64,
    pub memory: usize,
    /// Use the A* bound in route search (same routes as plain Dijkstra, much faster).
    pub astar: bool,
    /// The router: a name from `routing::registry::ROUTERS` (`lnd`, `cln`, `ldk`, `mcf`).
    pub router: String,
    /// Atomic multi-part payments (absent: off).
    pub mpp: Option<MppConfig>,
    /// `mcf`: fee weight μ, units the amount is cut into, linear pieces per edge.
    pub mcf_mu: f64,
    pub mcf_units: u32,
    pub mcf_pieces: u32,
    /// `mcf`: hops beyond the fewest that a flow path may take (pruning).
    pub mcf_slack: u32,
    /// `ldk`: add LDK's historical-bucket penalty.
    pub ldk_historical: bool,
    /// `cln`: `riskfactor` (percent per year) and fee fuzz (fraction).
    pub cln_riskfactor: f64,
    pub cln_fuzz: f64,
    /// `lnd`'s probability estimator: `"apriori"` (default) or `"bimodal"`.
    pub estimator: String,
    /// The bimodal estimator's liquidity scale (msat), node weight and decay time (s);
    /// lnd's defaults 300,000,000 msat, 0.2 and 7 days.
    pub bimodal_scale_msat: u64,
    pub bimodal_node_weight: f64,
    pub bimodal_decay_s: f64,
}

/// `[routing] mpp = { max_parts, min_part_sat, timeout_s }`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct MppConfig {
    pub max_parts: u32,
    pub min_part_sat: u64,
    pub timeout_s: f64,
}

impl Default for MppConfig {
    fn default() -> Self {
        MppConfig {
            max_parts: 16,
            min_part_sat: 10_000,
            timeout_s: 120.0,
        }
    }
}

impl Default for RoutingConfig {
    fn default() -> Self {
        let r = RouterParams::default();
        RoutingConfig {
            max_attempts: 10,
            timeout_s: 60.0,
            hop_latency: LatencyDist::default(),
            offline_probability: 0.0,
            risk_factor_billionths: r.risk_factor_billionths,
            attempt_cost_sat: r.attempt_cost.sat(),
            attempt_cost_ppm: r.attempt_cost_ppm,
            apriori: r.apriori,
            penalty_half_life_s: r.penalty_half_life.secs_f64(),
            max_hops: r.max_hops,
            max_cltv: r.max_cltv,
            final_cltv: r.final_cltv,
            min_probability: r.min_probability,
            memory: r.memory,
            astar: r.astar,
            router: "lnd".into(),
            mpp: None,
            mcf_mu: McfParams::default().mu,
            mcf_units: McfParams::default().units,
            mcf_pieces: McfParams::default().pieces,
            mcf_slack: McfParams::default().slack,
            ldk_historical: false,
            cln_riskfactor: ClnParams::default().riskfactor,
            cln_fuzz: ClnParams::default().fuzz,
            estimator: "apriori".into(),
            bimodal_scale_msat: bimodal::DEFAULT_SCALE_MSAT,
            bimodal_node_weight: bimodal::DEFAULT_NODE_WEIGHT,
            bimodal_decay_s: bimodal::DEFAULT_DECAY_S as f64,
        }
    }
}

impl RoutingConfig {
    fn validate(&self) -> Result<(), FieldError> {
        let f = |k: &str| format!("routing.{k}");
        if self.max_attempts == 0 || self.max_attempts > 10_000 {
            return Err(FieldError::new(f("max_attempts"), "expected 1 to 10000"));
        }
        if !(self.timeout_s.is_finite() && self.timeout_s > 0.0) {
            return Err(FieldError::new(
                f("timeout_s"),
                "expected a positive number of seconds",
            ));
        }
        self.hop_latency.validate("routing.hop_latency")?;
        if !(0.0..=1.0).contains(&self.offline_probability) {
            return Err(FieldError::new(
                f("offline_probability"),
                "expected a probability between 0 and 1",
            ));
        }
        if !(self.apriori > 0.0 && self.apriori <= 1.0) {
            return Err(FieldError::new(
                f("apriori"),
                "expected a probability in (0, 1]",
            ));
        }
        if !(1e-3..=limits::MAX_TIME_S).contains(&self.timeout_s) {
            return Err(FieldError::new(
                f("timeout_s"),
                format!(
                    "expected 0.001 to {:.0e} seconds (time is counted in whole microseconds), got {:e}",
                    limits::MAX_TIME_S,
                    self.timeout_s
                ),
            ));
        }
        if self.attempt_cost_sat > crate::dist::MAX_SAT {
            return Err(FieldError::new(
                f("attempt_cost_sat"),
                "expected at most 21 million BTC in sat",
            ));
        }
        if self.attempt_cost_ppm > 1_000_000 {
            return Err(FieldError::new(
                f("attempt_cost_ppm"),
                "expected at most 1000000 ppm",
            ));
        }
        if self.risk_factor_billionths > 1_000_000_000 {
            return Err(FieldError::new(
                f("risk_factor_billionths"),
                "expected at most 1000000000 (one per block)",
            ));
        }
        if !(self.penalty_half_life_s.is_finite()
            && self.penalty_half_life_s >= 1e-3
            && self.penalty_half_life_s <= limits::MAX_TIME_S)
        {
            return Err(FieldError::new(
                f("penalty_half_life_s"),
                "expected a positive number of seconds",
            ));
        }
        if self.max_hops == 0 || self.max_hops > 27 {
            return Err(FieldError::new(
                f("max_hops"),
                "expected 1..=27 (the onion limit)",
            ));
        }
        if self.memory == 0 || self.memory > 1_000_000 {
            return Err(FieldError::new(
                f("memory"),
                "expected 1 to 1000000 entries",
            ));
        }
        if !(self.min_probability > 0.0 && self.min_probability <= 1.0) {
            return Err(FieldError::new(
                f("min_probability"),
                "expected a probability in (0, 1]",
            ));
        }
        if registry::lookup(&self.router).is_none() {
            return Err(FieldError::new(
                f("router"),
                format!(
                    "unknown router {:?}; expected one of {}",
                    self.router,
                    registry::names()
                ),
            ));
        }
        if let Some(m) = &self.mpp {
            if m.max_parts == 0 || m.max_parts > 1000 {
                return Err(FieldError::new(f("mpp.max_parts"), "expected 1..=1000"));
            }
            if m.min_part_sat == 0 {
                return Err(FieldError::new(
                    f("mpp.min_part_sat"),
                    "expected at least 1 sat",
                ));
            }
            if !(m.timeout_s.is_finite() && m.timeout_s > 0.0) {
                return Err(FieldError::new(
                    f("mpp.timeout_s"),
                    "expected a positive number of seconds",
                ));
            }
        }
        if !(self.mcf_mu.is_finite() && self.mcf_mu >= 0.0) {
            return Err(FieldError::new(f("mcf_mu"), "expected a number ≥ 0"));
        }
        if !(1..=1024).contains(&self.mcf_units) {
            return Err(FieldError::new(f("mcf_units"), "expected 1..=1024"));
        }
        if !(1..=64).contains(&self.mcf_pieces) {
            return Err(FieldError::new(f("mcf_pieces"), "expected 1..=64"));
        }
        if self.mcf_slack > 27 {
            return Err(FieldError::new(f("mcf_slack"), "expected 0..=27 hops"));
        }
        if !(self.cln_riskfactor.is_finite() && self.cln_riskfactor >= 0.0) {
            return Err(FieldError::new(
                f("cln_riskfactor"),
                "expected a number ≥ 0",
            ));
        }
        if !(0.0..1.0).contains(&self.cln_fuzz) {
            return Err(FieldError::new(
                f("cln_fuzz"),
                "expected a fraction in [0, 1)",
            ));
        }
        if !matches!(self.estimator.as_str(), "apriori" | "bimodal") {
            return Err(FieldError::new(
                f("estimator"),
                format!(
                    "unknown estimator {:?}; expected \"apriori\" or \"bimodal\"",
                    self.estimator
                ),
            ));
        }
        if !(1..=bimodal::MAX_SCALE_MSAT).contains(&self.bimodal_scale_msat) {
            return Err(FieldError::new(
                f("bimodal_scale_msat"),
                format!("expected 1 to {} msat", bimodal::MAX_SCALE_MSAT),
            ));
        }
        if !(0.0..=1.0).contains(&self.bimodal_node_weight) {
            return Err(FieldError::new(
                f("bimodal_node_weight"),
                "expected a weight in [0, 1]",
            ));
        }
        if !(self.bimodal_decay_s.is_finite()
            && self.bimodal_decay_s >= 1e-3
            && self.bimodal_decay_s <= limits::MAX_TIME_S)
        {
            return Err(FieldError::new(
                f("bimodal_decay_s"),
                "expected a positive number of seconds",
            ));
        }
        if self.final_cltv > self.max_cltv {
            return Err(FieldError::new(
                f("final_cltv"),
                format!("expected at most max_cltv ({})", self.max_cltv),
            ));
        }
        Ok(())
    }

    /// The router choice and its options (validated: the name is registered).
    pub fn router_spec(&self) -> RouterSpec {
        let e = registry::lookup(&self.router).unwrap_or(&registry::ROUTERS[0]);
        RouterSpec {
            name: e.name,
            estimator: if self.estimator == "bimodal" {
                bimodal::Estimator::Bimodal(bimodal::BimodalParams {
                    scale_msat: self.bimodal_scale_msat,
                    node_weight: self.bimodal_node_weight,
                    decay: SimDuration::from_secs_f64(self.bimodal_decay_s),
                })
            } else {
                bimodal::Estimator::Apriori
            },
            cln: ClnParams {
                riskfactor: self.cln_riskfactor,
                fuzz: self.cln_fuzz,
                ..ClnParams::default()
            },
            ldk: crate::routing::ldk::LdkParams {
                historical: self.ldk_historical,
                ..Default::default()
            },
            mcf: McfParams {
                mu: self.mcf_mu,
                units: self.mcf_units,
                pieces: self.mcf_pieces,
                slack: self.mcf_slack,
                ..McfParams::default()
            },
        }
    }

    /// `[routing] mpp`, resolved. `max_parts = 1` is the same as no `mpp` table (one part,
    /// no splitting), so that a sweep can switch MPP off and on.
    pub fn mpp_params(&self) -> Option<MppParams> {
        self.mpp
            .as_ref()
            .filter(|m| m.max_parts > 1)
            .map(|m| MppParams {
                max_parts: m.max_parts,
                min_part: Msat::from_sat(m.min_part_sat),
                timeout: SimDuration::from_secs_f64(m.timeout_s),
            })
    }

    /// The router's parameters: the one place they are built from the scenario.
    pub fn router_params(&self) -> RouterParams {
        RouterParams {
            risk_factor_billionths: self.risk_factor_billionths,
            attempt_cost: Msat::from_sat(self.attempt_cost_sat),
            attempt_cost_ppm: self.attempt_cost_ppm,
            apriori: self.apriori,
            penalty_half_life: SimDuration::from_secs_f64(self.penalty_half_life_s),
            min_probability: self.min_probability,
            max_hops: self.max_hops,
            max_cltv: self.max_cltv,
            final_cltv: self.final_cltv,
            memory: self.memory,
            astar: self.astar,
        }
    }
}

/// `[metrics]`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Time-series window, seconds.
    pub window_s: f64,
    /// A direction is depleted when its spendable balance is below this share of capacity.
    pub depleted_share: f64,
    /// Write the per-payment CSV (large for long runs).
    pub payments_csv: bool,
    /// Also write `summary.parquet`, `timeseries.parquet` and `runs/*/payments.parquet`
    /// (needs a build with the cargo feature `parquet`).
    pub parquet: bool,
    /// Summary metrics cover payments created from this time on; every counter restarts
    /// then, and the `*_start` measures are taken then (default 0: no warm-up).
    pub warmup_s: f64,
    /// Annual cost of outside capital (splices, swaps, opens), applied time-weighted to
    /// the net capital added (default 0.05).
    pub capital_rate_per_year: f64,
    /// Write `runs/<run>/channels.csv` (per channel and direction; large for big graphs).
    pub channels_csv: bool,
    /// Write `runs/<run>/nodes.csv` (per node; committed with results, so a large sweep on
    /// a big graph may turn it off).
    pub nodes_csv: bool,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            window_s: 60.0,
            depleted_share: 0.05,
            payments_csv: true,
            parquet: false,
            warmup_s: 0.0,
            capital_rate_per_year: 0.05,
            channels_csv: true,
            nodes_csv: true,
        }
    }
}

/// `[[topology.add_channel]] chain = "<name>"`: the added channel is anchored on that
/// chain (`chan_chain`, empty in a single-chain run, where the name must be the one
/// chain's). An unknown name is an error naming the entry and the chains there are. An
/// added channel a later edit removed is skipped. O(E + M).
fn edited_chains(
    raw: &RawScenario,
    topo: &Topology,
    chan_chain: &mut [u8],
) -> Result<(), FieldError> {
    for (i, c) in raw.topology.add_channel.iter().enumerate() {
        let Some(name) = &c.chain else { continue };
        let names: Vec<&str> = raw.chain.0.iter().map(|k| k.name.as_str()).collect();
        let Some(k) = names.iter().position(|n| n == name) else {
            return Err(FieldError::new(
                format!("topology.add_channel[{i}].chain"),
                format!(
                    "unknown chain \"{name}\" (chains: {})",
                    names
                        .iter()
                        .map(|n| format!("\"{n}\""))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        };
        let label = c
            .label
            .clone()
            .unwrap_or_else(|| format!("add_channel[{i}]"));
        for (id, spec) in topo.channels() {
            if spec.label.as_deref() == Some(label.as_str()) {
                if let Some(slot) = chan_chain.get_mut(id.idx()) {
                    *slot = k as u8;
                }
            }
        }
    }
    Ok(())
}

/// `[swap]`: the submarine-swap provider.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SwapConfig {
    pub fee_ppm: u64,
    /// Provider node index; default: the node with the largest total capacity.
    pub provider: Option<u32>,
}
impl Default for SwapConfig {
    fn default() -> Self {
        SwapConfig {
            fee_ppm: 1000,
            provider: None,
        }
    }
}

/// The scenario file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default = "default_seed")]
    pub seed: u64,
    #[serde(default = "one")]
    pub replications: u32,
    pub topology: TopologyConfig,
    pub workload: WorkloadConfig,
    #[serde(default)]
    pub routing: RoutingConfig,
    #[serde(default)]
    pub metrics: MetricsConfig,
    /// One `[chain]` table or a `[[chain]]` list.
    #[serde(default)]
    pub chain: ChainsConfig,
    /// Gateways between chains (with two or more `[[chain]]` only).
    #[serde(default)]
    pub cross_chain: Option<CrossChainConfig>,
    #[serde(default)]
    pub swap: SwapConfig,
    #[serde(default)]
    pub strategy: Vec<toml::Table>,
    #[serde(default)]
    pub sweep: toml::Table,
    /// Security model; absent: none.
    #[serde(default)]
    pub security: Option<crate::security::config::SecurityConfig>,
}
fn default_seed() -> u64 {
    1
}
fn one() -> u32 {
    1
}

/// A validated scenario, fully resolved: every default filled in, every file loaded, the
/// topology built and the strategies parsed. Ready to run any number of times; nothing
/// downstream reads the raw file.
pub struct Scenario {
    /// Names the results folder.
    pub name: String,
    pub description: String,
    /// Master seed (run seeds derive from it and the replication).
    pub seed: u64,
    pub replications: u32,
    /// Where it came from (`<embedded default scenario>` for the built-in one).
    pub source: String,
    /// The file as written.
    pub text: String,
    pub base_dir: PathBuf,
    pub topology: Arc<Topology>,
    pub workload: WorkloadSpec,
    pub params: EngineParams,
    pub strategies: Vec<StrategySpec>,
    /// On-chain fee rate series, (time, msat per vbyte).
    pub feerates: Arc<[(SimTime, u64)]>,
    /// Write `payments.csv` per run.
    pub payments_csv: bool,
    /// Write Parquet copies of the result tables.
    pub parquet: bool,
    /// Every data file the scenario reads (snapshot file or `cloth` folder, trace, amounts
    /// CSV, fee-rate CSV), as resolved: their contents are part of the experiment's
    /// fingerprint (`output::fingerprint`).
    pub inputs: Vec<PathBuf>,
    /// The scenario with every default filled in (see [`resolved_json`]), for the manifest.
    pub resolved: serde_json::Value,
    /// Pinned demand flows (`[[workload.flow]]`), in addition to the workload.
    pub flows: Arc<[workload::FlowSpec]>,
    /// Write `channels.csv` per run.
    pub channels_csv: bool,
    /// Write `nodes.csv` per run.
    pub nodes_csv: bool,
}

/// Finds the 1-based line where a dotted key path (`workload.rate_per_s`,
/// `strategy[1].low`, `topology.capacity.sigma`) is written. Handles `[table]`,
/// `[[array]]` headers, dotted keys and inline tables on one line; falls back to the
/// nearest enclosing table header.
pub fn locate(text: &str, field: &str) -> Option<usize> {
    // Split into (name, index) parts.
    let parts: Vec<(String, Option<usize>)> = field
        .split('.')
        .map(|p| match p.find('[') {
            Some(i) => (
                p[..i].to_string(),
                p[i + 1..].trim_end_matches(']').parse().ok(),
            ),
            None => (p.to_string(), None),
        })
        .collect();
    let mut best: Option<usize> = None;
    // Depth of the table header that set `best` (`None`: a key did).
    let mut best_header: Option<usize> = None;
    let mut table: Vec<String> = Vec::new();
    let mut array_counts: Vec<(String, usize)> = Vec::new();
    let mut table_idx: Option<usize> = None;
    for (ln, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with('#') || t.is_empty() {
            continue;
        }
        if let Some(h) = t.strip_prefix("[[") {
            let name = h.split("]]").next().unwrap_or("").trim().to_string();
            let c = match array_counts.iter_mut().find(|(n, _)| *n == name) {
                Some((_, c)) => {
                    *c += 1;
                    *c
                }
                None => {
                    array_counts.push((name.clone(), 0));
                    0
                }
            };
            table = name.split('.').map(|s| s.trim().to_string()).collect();
            table_idx = Some(c);
        } else if let Some(h) = t.strip_prefix('[') {
            let name = h.split(']').next().unwrap_or("").trim();
            table = name.split('.').map(|s| s.trim().to_string()).collect();
            table_idx = None;
        } else {
            let before = best;
            continue_key(t, ln, &table, table_idx, &parts, &mut best);
            if best != before {
                best_header = None;
            }
            continue;
        }
        // A header that matches a prefix of the path is a fallback location.
        let matches_prefix = table.len() <= parts.len()
            && table
                .iter()
                .zip(&parts)
                .enumerate()
                .all(|(i, (a, (b, idx)))| {
                    a == b && (i + 1 < table.len() || idx.is_none() || *idx == table_idx)
                });
        // A deeper header (`[[workload.flow]]` under `[workload]`) is a closer fallback.
        if matches_prefix
            && (best.is_none()
                || table.len() == parts.len()
                || best_header.is_some_and(|d| table.len() > d))
        {
            best = Some(ln + 1);
            best_header = Some(table.len());
        }
    }
    best
}

fn continue_key(
    t: &str,
    ln: usize,
    table: &[String],
    table_idx: Option<usize>,
    parts: &[(String, Option<usize>)],
    best: &mut Option<usize>,
) {
    let Some(eq) = t.find('=') else { return };
    let key: Vec<&str> = t[..eq]
        .trim()
        .split('.')
        .map(|s| s.trim().trim_matches('"'))
        .collect();
    let mut path: Vec<&str> = table.iter().map(|s| s.as_str()).collect();
    path.extend(key);
    if path.len() > parts.len() {
        return;
    }
    for (i, p) in path.iter().enumerate() {
        if *p != parts[i].0 {
            return;
        }
        if i + 1 == table.len() && parts[i].1.is_some() && parts[i].1 != table_idx {
            return;
        }
    }
    if path.len() == parts.len() {
        *best = Some(ln + 1);
        return;
    }
    // A key written in this table that is a prefix of the path (an inline table such as
    // a sweep range `"a.b" = { from = 1 }` for `sweep.a.b.step`) is closer to the field
    // than the table's header.
    if path.len() > table.len() {
        *best = Some(ln + 1);
        return;
    }
    // Inline table: `capacity = { dist = "x", sigma = 1 }` for `...capacity.sigma`: the
    // key's own line is the best we can name (exact when the inner key is written there).
    let rest = &t[eq + 1..];
    let want = &parts[path.len()].0;
    let inline_has_key = rest.trim_start().starts_with('{')
        && (rest.contains(&format!("{want} =")) || rest.contains(&format!("{want}=")));
    if inline_has_key || best.is_none() {
        *best = Some(ln + 1);
    }
}

/// A [`FieldError`] of scenario `text` as an [`InputError`]: the line where the key stands
/// and, at the end of the message, a pointer to its entry in docs/scenario.md.
pub fn field_err(source: &str, text: &str, e: FieldError) -> InputError {
    let line = locate(text, &e.field);
    let see = crate::reference::pointer_in(text, &e.field);
    InputError::new(source, format!("{}{see}", e.message))
        .line_opt(line)
        .field(e.field)
}

/// Converts a TOML parse error (with its byte span) to an [`InputError`].
pub fn toml_err(source: &str, text: &str, e: toml::de::Error) -> InputError {
    let line = e
        .span()
        .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
    let msg = e.message().trim().to_string();
    // Name the key under the span where possible.
    let field = e.span().and_then(|s| {
        let start = text[..s.start.min(text.len())]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        let l = text[start..].lines().next().unwrap_or("");
        let k = l.split('=').next()?.trim();
        (l.contains('=') && !k.is_empty() && !k.starts_with('[')).then(|| k.to_string())
    });
    // "missing field `name`": the field is the missing key, not whatever key stands on
    // the line the span points at.
    let missing = msg
        .strip_prefix("missing field `")
        .and_then(|r| r.split('`').next())
        .map(str::to_string);
    let field = missing.or(field);
    // The key's table, for the pointer to its entry in docs/scenario.md.
    let path = e.span().map_or(String::new(), |s| {
        let table = crate::reference::table_at(text, s.start);
        match (&field, table.is_empty()) {
            (Some(k), true) => k.clone(),
            (Some(k), false) => format!("{table}.{k}"),
            (None, _) => table,
        }
    });
    let see = crate::reference::pointer_in(text, &path);
    let mut err = InputError::new(source, format!("{msg}{see}")).line_opt(line);
    if let Some(f) = field {
        err = err.field(f);
    }
    err
}

/// The built-in default scenario (also `scenarios/default.toml`).
pub const DEFAULT_SCENARIO: &str = include_str!("../scenarios/default.toml");

/// Parses and validates scenario text. `source` names it in errors; relative paths inside
/// resolve against `base_dir`; `seed` overrides the file's master seed.
pub fn parse(
    text: &str,
    source: &str,
    base_dir: &Path,
    seed: Option<u64>,
) -> Result<Scenario, InputError> {
    let text = crate::error::strip_bom(text);
    let mut raw: RawScenario = toml::from_str(text).map_err(|e| toml_err(source, text, e))?;
    if let Some(s) = seed {
        raw.seed = s;
    }
    resolve(raw, text, source, base_dir)
}

/// Validates a parsed scenario and builds everything it references.
pub fn resolve(
    raw: RawScenario,
    text: &str,
    source: &str,
    base_dir: &Path,
) -> Result<Scenario, InputError> {
    resolve_with(raw, text, source, base_dir, None)
}

/// Like [`resolve`], reusing an already built topology (sweep points that do not change it).
pub fn resolve_with(
    raw: RawScenario,
    text: &str,
    source: &str,
    base_dir: &Path,
    topology: Option<Arc<Topology>>,
) -> Result<Scenario, InputError> {
    let fe = |e: FieldError| field_err(source, text, e);
    if raw.name.is_empty()
        || !raw
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(fe(FieldError::new("name", "expected a non-empty name of letters, digits, `-` and `_` (it names the results folder)")));
    }
    if raw.replications == 0 {
        return Err(fe(FieldError::new("replications", "expected at least 1")));
    }
    if raw.replications > limits::MAX_REPLICATIONS {
        return Err(fe(FieldError::new(
            "replications",
            format!(
                "expected at most {}, got {}",
                limits::MAX_REPLICATIONS,
                raw.replications
            ),
        )));
    }
    if raw.swap.fee_ppm > 1_000_000 {
        return Err(fe(FieldError::new(
            "swap.fee_ppm",
            format!(
                "expected at most 1000000 ppm (the whole amount), got {}",
                raw.swap.fee_ppm
            ),
        )));
    }
    let topology_spec = raw.topology.resolve(base_dir).map_err(fe)?;
    raw.workload.validate().map_err(fe)?;
    raw.routing.validate().map_err(fe)?;
    raw.chain.validate(raw.cross_chain.as_ref()).map_err(fe)?;
    if let Some(sec) = &raw.security {
        sec.validate().map_err(fe)?;
    }
    let m = &raw.metrics;
    if !(m.window_s.is_finite() && m.window_s > 0.0) {
        return Err(fe(FieldError::new(
            "metrics.window_s",
            "expected a positive number of seconds",
        )));
    }
    if m.window_s < limits::MIN_WINDOW_S {
        return Err(fe(FieldError::new(
            "metrics.window_s",
            format!(
                "expected at least {} s, got {}",
                limits::MIN_WINDOW_S,
                m.window_s
            ),
        )));
    }
    if m.parquet && !cfg!(feature = "parquet") {
        return Err(fe(FieldError::new(
            "metrics.parquet",
            "this pcnsim was built without Parquet support; rebuild with `cargo build --release --features parquet`",
        )));
    }
    if !(m.warmup_s.is_finite() && m.warmup_s >= 0.0) {
        return Err(fe(FieldError::new(
            "metrics.warmup_s",
            "expected a non-negative number of seconds",
        )));
    }
    if !(m.capital_rate_per_year.is_finite() && (0.0..=10.0).contains(&m.capital_rate_per_year)) {
        return Err(fe(FieldError::new(
            "metrics.capital_rate_per_year",
            "expected an annual rate between 0 and 10 (0.05 = 5% a year)",
        )));
    }
    if !(0.0..=1.0).contains(&m.depleted_share) {
        return Err(fe(FieldError::new(
            "metrics.depleted_share",
            "expected a share between 0 and 1",
        )));
    }
    let strategies = crate::strategy::registry::parse_all(&raw.strategy).map_err(fe)?;

    // Topology: its own stream, so every run shares it.
    let topology = match topology {
        Some(t) => t,
        None => {
            let mut trng: SimRng = rng::stream(raw.seed, "topology");
            // Its errors name the snapshot file (the scenario's were found by resolve).
            Arc::new(
                topology::try_build(&topology_spec, &mut trng).map_err(|e| match e {
                    topology::BuildError::Data(d) => d,
                    topology::BuildError::Edit(f) => fe(f),
                })?,
            )
        }
    };
    if topology.node_count() < 2 {
        return Err(fe(FieldError::new(
            "topology",
            "the topology has fewer than 2 nodes",
        )));
    }
    if let Some(sec) = &raw.security {
        sec.validate_nodes(topology.node_count()).map_err(fe)?;
    }
    for (i, st) in strategies.iter().enumerate() {
        st.participation
            .validate_nodes(
                &format!("strategy[{i}].participation"),
                topology.node_count(),
            )
            .map_err(fe)?;
    }
    let workload = raw
        .workload
        .resolve(base_dir, &topology)
        .map_err(|e| match e {
            workload::ResolveError::Field(f) => fe(f),
            workload::ResolveError::Data(d) => d,
        })?;
    check_run_length(&raw, &workload).map_err(fe)?;
    let flows = raw.workload.resolve_flows(&topology).map_err(fe)?;
    let probes = match &raw.workload.probes {
        Some(p) => Some(Arc::new(p.resolve(&topology).map_err(fe)?)),
        None => None,
    };
    let chain0 = &raw.chain.0[0];
    let feerates = chain0.load_feerates(base_dir)?;
    let chains = if raw.chain.is_multi() {
        if raw.workload.probes.is_some() {
            return Err(fe(FieldError::new(
                "workload.probes",
                "probes are not supported with several [[chain]] tables",
            )));
        }
        let specs = raw.chain.resolve(base_dir)?;
        let mut order: Vec<u32> = (0..topology.node_count() as u32).collect();
        {
            use rand::seq::SliceRandom;
            order.shuffle(&mut rng::stream(raw.seed, "chains"));
        }
        let mut cs = ChainSet::assign(
            &raw.chain,
            raw.cross_chain.as_ref(),
            specs,
            &topology,
            &order,
        )
        .map_err(fe)?;
        edited_chains(&raw, &topology, &mut cs.chan_chain).map_err(fe)?;
        Some(Arc::new(cs))
    } else {
        edited_chains(&raw, &topology, &mut Vec::new()).map_err(fe)?;
        None
    };
    let mut inputs = Vec::new();
    if let topology::TopologySource::Import(src) = &topology_spec.source {
        inputs.push(src.path.clone());
    }
    let w = &raw.workload;
    let files = [&w.trace, &w.amounts_csv, &chain0.feerate_csv];
    inputs.extend(files.into_iter().flatten().map(|p| base_dir.join(p)));
    for c in &raw.chain.0[1..] {
        inputs.extend(c.feerate_csv.iter().map(|p| base_dir.join(p)));
    }
    for c in &raw.chain.0 {
        inputs.extend(c.rate_csv.iter().map(|p| base_dir.join(p)));
    }
    let provider = match raw.swap.provider {
        Some(i) if (i as usize) < topology.node_count() => Some(NodeId(i)),
        Some(_) => {
            return Err(fe(FieldError::new(
                "swap.provider",
                format!("expected a node index below {}", topology.node_count()),
            )))
        }
        None => largest_node(&topology),
    };
    let resolved = resolved_json(&raw, &topology_spec, provider, &strategies);
    let r = &raw.routing;
    let params = EngineParams {
        router: r.router_params(),
        pathfinder: r.router_spec(),
        mpp: r.mpp_params(),
        max_attempts: r.max_attempts,
        payment_timeout: SimDuration::from_secs_f64(r.timeout_s),
        hop_latency: r.hop_latency.clone(),
        offline_probability: r.offline_probability,
        window: SimDuration::from_secs_f64(m.window_s),
        depleted_share: m.depleted_share,
        block_interval: SimDuration::from_secs_f64(chain0.block_interval_s),
        confirmations: chain0.confirmations,
        tx_sizes: chain0.tx_vbytes.clone(),
        swap: SwapParams {
            fee_ppm: raw.swap.fee_ppm,
            provider,
        },
        horizon: None,
        security: raw.security.clone(),
        warmup: SimDuration::from_secs_f64(m.warmup_s),
        capital_rate_per_year: m.capital_rate_per_year,
        probes,
        chains,
    };
    Ok(Scenario {
        name: raw.name,
        description: raw.description,
        seed: raw.seed,
        replications: raw.replications,
        source: source.to_string(),
        text: text.to_string(),
        base_dir: base_dir.to_path_buf(),
        topology,
        workload,
        params,
        strategies,
        feerates: feerates.into(),
        payments_csv: m.payments_csv,
        parquet: m.parquet,
        inputs,
        resolved,
        flows: flows.into(),
        channels_csv: m.channels_csv,
        nodes_csv: m.nodes_csv,
    })
}

/// The scenario as the run sees it, every default filled in: the tables in their TOML
/// shape (keys as in docs/scenario.md), the generator parameters the topology resolved to
/// (`nodes`, `m`, `p`, …), the swap provider picked, the endpoint pickers. Written to
/// `manifest.json` so a result names every value that produced it.
///
/// Each `[[strategy]]` is its [`StrategySpec::resolved`]
/// table (every parameter, defaults filled in by the strategy's registry entry); without
/// any, the `none` baseline the scenario runs.
pub fn resolved_json(
    raw: &RawScenario,
    spec: &topology::TopologySpec,
    provider: Option<NodeId>,
    strategies: &[StrategySpec],
) -> serde_json::Value {
    use topology::TopologySource as S;
    let mut t = raw.topology.clone();
    match &spec.source {
        S::BarabasiAlbert { nodes, m } => (t.nodes, t.m) = (Some(*nodes), Some(*m)),
        S::ErdosRenyi { nodes, p } => (t.nodes, t.p) = (Some(*nodes), Some(*p)),
        S::WattsStrogatz { nodes, k, beta } => {
            (t.nodes, t.k, t.beta) = (Some(*nodes), Some(*k), Some(*beta))
        }
        S::Line { nodes } | S::Ring { nodes } | S::Star { nodes } => t.nodes = Some(*nodes),
        S::Grid { rows, cols } => (t.rows, t.cols) = (Some(*rows), Some(*cols)),
        S::Import(_) => {}
    }
    let mut w = raw.workload.clone();
    if w.trace.is_none() {
        w.rate_per_s.get_or_insert(1.0);
        if w.amounts_csv.is_none() {
            w.amount.get_or_insert_with(workload::default_amount);
        }
        for e in [&mut w.senders, &mut w.receivers] {
            if *e == workload::EndpointConfig::Default {
                *e = workload::EndpointConfig::Named(workload::EndpointKind::Uniform);
            }
        }
    }
    let mut swap = raw.swap.clone();
    swap.provider = provider.map(|p| p.0);
    let strategies: Vec<&serde_json::Value> = strategies.iter().map(|s| &s.resolved).collect();
    // Every value here is plain data; serialising it cannot fail (a failure would show
    // as `null` in the manifest rather than stop the run).
    let v = |x: serde_json::Result<serde_json::Value>| x.unwrap_or(serde_json::Value::Null);
    serde_json::json!({
        "name": raw.name,
        "description": raw.description,
        "seed": raw.seed,
        "replications": raw.replications,
        "topology": v(serde_json::to_value(&t)),
        "workload": v(serde_json::to_value(&w)),
        "routing": v(serde_json::to_value(&raw.routing)),
        "metrics": v(serde_json::to_value(&raw.metrics)),
        "chain": v(serde_json::to_value(&raw.chain)),
        "cross_chain": v(serde_json::to_value(&raw.cross_chain)),
        "swap": v(serde_json::to_value(&swap)),
        "security": v(serde_json::to_value(&raw.security)),
        "strategy": v(serde_json::to_value(strategies)),
    })
}

/// Bounds the cost of one run before it starts: the number of time-series windows and of
/// blocks up to the last payment (plus its timeout) must stay within
/// [`limits::MAX_WINDOWS`] and [`limits::MAX_BLOCKS`], so that a payment at 10^9 s or a
/// window of a nanosecond is refused here rather than filling the memory or never ending.
fn check_run_length(raw: &RawScenario, workload: &WorkloadSpec) -> Result<(), FieldError> {
    let end_s = workload.last_arrival_s() + raw.routing.timeout_s;
    let windows = end_s / raw.metrics.window_s;
    if windows > limits::MAX_WINDOWS {
        let why = match workload {
            WorkloadSpec::Trace(_) => "the trace's last payment",
            WorkloadSpec::Generated(_) => "the workload",
        };
        return Err(FieldError::new(
            "metrics.window_s",
            format!(
                "a run of about {end_s:.3e} s ({why} plus the payment timeout) would have {windows:.3e} windows of {} s, more than the limit of {:.0e}; ask for a window_s of at least {:.3e}",
                raw.metrics.window_s,
                limits::MAX_WINDOWS,
                end_s / limits::MAX_WINDOWS
            ),
        ));
    }
    let (i, shortest) = raw
        .chain
        .0
        .iter()
        .enumerate()
        .map(|(i, c)| (i, c.block_interval_s))
        .fold((0, f64::INFINITY), |a, b| if b.1 < a.1 { b } else { a });
    let blocks = end_s / shortest;
    if blocks > limits::MAX_BLOCKS {
        return Err(FieldError::new(
            raw.chain.field(i, "block_interval_s"),
            format!(
                "a run of about {end_s:.3e} s would mine {blocks:.3e} blocks, more than the limit of {:.0e}; ask for a longer block interval",
                limits::MAX_BLOCKS
            ),
        ));
    }
    Ok(())
}

/// The node with the largest total channel capacity (ties: lowest index).
pub fn largest_node(t: &Topology) -> Option<NodeId> {
    let mut caps = vec![0u64; t.node_count()];
    for (_, c) in t.channels() {
        caps[c.nodes[0].idx()] += c.capacity.0;
        caps[c.nodes[1].idx()] += c.capacity.0;
    }
    (0..caps.len())
        .max_by(|&a, &b| caps[a].cmp(&caps[b]).then(b.cmp(&a)))
        .map(|i| NodeId(i as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_key_is_named_as_such() {
        let e = parse(
            "[topology]\nkind = \"ring\"\n[workload]\npayments = 3\n",
            "s.toml",
            Path::new("/"),
            None,
        )
        .err()
        .unwrap();
        assert_eq!(e.field.as_deref(), Some("name"), "{e}");
        // A byte order mark does not turn into part of the first key.
        let e = parse("\u{feff}name = \"x\"\n", "s.toml", Path::new("/"), None)
            .err()
            .unwrap();
        assert_eq!(e.field.as_deref(), Some("topology"), "{e}");
    }

    #[test]
    fn locate_finds_keys_tables_and_inline_fields() {
        let t = "name = \"x\"\n[workload]\nrate_per_s = 2\namount = { dist = \"fixed\", sat = 5 }\n\n[[strategy]]\nname = \"a\"\n[[strategy]]\nname = \"b\"\nlow = 3\n";
        assert_eq!(locate(t, "name"), Some(1));
        assert_eq!(locate(t, "workload.rate_per_s"), Some(3));
        assert_eq!(locate(t, "workload.amount.sat"), Some(4));
        assert_eq!(locate(t, "workload.duration_s"), Some(2));
        assert_eq!(locate(t, "strategy[1].low"), Some(10));
        assert_eq!(locate(t, "strategy[0].name"), Some(7));
        assert_eq!(locate(t, "strategy[1]"), Some(8));
    }

    const BASE: &str = "name = \"r\"\n[topology]\nkind = \"line\"\nnodes = 3\n[workload]\npayments = 1\n[routing]\n";

    #[test]
    fn router_and_mpp_keys_resolve_and_bad_ones_name_field_and_line() {
        let ok = format!("{BASE}router = \"mcf\"\nmcf_mu = 2.5\nmpp = {{ max_parts = 8 }}\n");
        let s = parse(&ok, "r.toml", Path::new("."), None).expect("valid");
        assert_eq!(s.params.pathfinder.name, "mcf");
        assert_eq!(s.params.pathfinder.mcf.mu, 2.5);
        let m = s.params.mpp.expect("mpp on");
        assert_eq!(
            (m.max_parts, m.min_part, m.timeout),
            (8, Msat::from_sat(10_000), SimDuration::from_secs(120))
        );
        // max_parts = 1 is MPP off; no table is off.
        let one = format!("{BASE}mpp = {{ max_parts = 1 }}\n");
        assert!(parse(&one, "r.toml", Path::new("."), None)
            .unwrap()
            .params
            .mpp
            .is_none());
        let none = parse(BASE, "r.toml", Path::new("."), None).unwrap();
        assert!(none.params.mpp.is_none());
        assert_eq!(none.params.pathfinder.name, "lnd");
        assert_eq!(
            none.params.pathfinder.estimator,
            crate::routing::bimodal::Estimator::Apriori
        );
        let bi = format!("{BASE}estimator = \"bimodal\"\nbimodal_node_weight = 0.5\n");
        let bi = parse(&bi, "r.toml", Path::new("."), None).unwrap();
        assert_eq!(
            bi.params.pathfinder.estimator,
            crate::routing::bimodal::Estimator::Bimodal(crate::routing::bimodal::BimodalParams {
                node_weight: 0.5,
                ..Default::default()
            })
        );
        for (bad, field) in [
            ("router = \"eclair\"\n", "routing.router"),
            ("mpp = { max_parts = 0 }\n", "routing.mpp.max_parts"),
            ("mpp = { timeout_s = -1 }\n", "routing.mpp.timeout_s"),
            ("cln_fuzz = 1.5\n", "routing.cln_fuzz"),
            ("estimator = \"gaussian\"\n", "routing.estimator"),
            ("mcf_slack = 30\n", "routing.mcf_slack"),
            ("bimodal_node_weight = 2\n", "routing.bimodal_node_weight"),
            ("bimodal_scale_msat = 0\n", "routing.bimodal_scale_msat"),
            ("bimodal_decay_s = 0\n", "routing.bimodal_decay_s"),
        ] {
            let e = parse(&format!("{BASE}{bad}"), "r.toml", Path::new("."), None)
                .err()
                .expect(bad)
                .to_string();
            assert!(
                e.contains("r.toml") && e.contains(field) && e.contains(":8"),
                "{e}"
            );
        }
        let e = parse(
            &format!("{BASE}mpp = {{ parts = 2 }}\n"),
            "r.toml",
            Path::new("."),
            None,
        )
        .err()
        .expect("unknown key")
        .to_string();
        assert!(e.contains("parts"), "{e}");
    }

    #[test]
    fn a_chain_list_resolves_homes_gateways_and_files_and_one_chain_stays_single() {
        // One [chain] table: no chain set, the engine's single-chain path.
        let one = format!("{BASE}[chain]\nblock_interval_s = 60\n");
        let s = parse(&one, "c.toml", Path::new("."), None).expect("valid");
        assert!(s.params.chains.is_none());
        assert_eq!(s.params.block_interval, SimDuration::from_secs(60));
        // Two chains on a 6-node line: node 0 pinned to b, the rest split by share
        // (a gets round(0.4 × 5) = 2 of the unpinned), gateway 2.
        let text = "name = \"r\"\n[topology]\nkind = \"line\"\nnodes = 6\n[workload]\npayments = 1\n\
            [[chain]]\nname = \"a\"\nnode_share = 0.4\n[[chain]]\nname = \"b\"\nrate = 0.5\nblock_interval_s = 60\nnodes = [0]\n\
            [cross_chain]\ngateway_nodes = [2]\n";
        let s = parse(text, "c.toml", Path::new("."), None).expect("valid");
        let cs = s.params.chains.as_ref().expect("several chains");
        assert_eq!(cs.chains.len(), 2);
        assert_eq!(cs.home[0], 1);
        assert_eq!(cs.home.iter().filter(|&&h| h == 0).count(), 2);
        assert_eq!(cs.gateway, vec![false, false, true, false, false, false]);
        assert_eq!(cs.chan_chain.len(), 5);
        assert_eq!(
            cs.chains[1].rate_at(SimTime::ZERO),
            crate::chain::multi::RATE_ONE / 2
        );
        assert_eq!(cs.chains[1].block_interval, SimDuration::from_secs(60));
        // The manifest keeps the list.
        assert_eq!(s.resolved["chain"].as_array().map(|a| a.len()), Some(2));
        // Errors name the table of the list and its line.
        let bad = text.replace("rate = 0.5", "rate = -1");
        let e = parse(&bad, "c.toml", Path::new("."), None)
            .err()
            .expect("refused");
        assert_eq!(e.field.as_deref(), Some("chain[1].rate"));
        assert_eq!(e.line, Some(12));
    }

    #[test]
    fn cross_chain_payment_share_sets_the_share_of_cross_chain_payments() {
        // 30-node BA, two chains of 15 homes, 3 gateways: with payment_share the share of
        // cross-chain payments (`cross_payments / payments`) follows the key.
        let text = |share: &str| {
            format!(
                "name = \"r\"\nseed = 5\n[topology]\nkind = \"barabasi_albert\"\nnodes = 30\n\
                 [workload]\npayments = 2000\namount = {{ dist = \"fixed\", sat = 100 }}\n\
                 [[chain]]\nname = \"a\"\n[[chain]]\nname = \"b\"\n\
                 [cross_chain]\ngateways = 3\n{share}"
            )
        };
        let share_of = |t: &str| {
            let s = parse(t, "c.toml", Path::new("."), None).expect("valid");
            let plan = crate::experiment::plan_point(&s, 0, 0);
            let r = crate::experiment::execute(&s, &plan[0], &mut crate::metrics::NullRecorder)
                .expect("run");
            r.totals.cross.payments as f64 / r.totals.payments as f64
        };
        let free = share_of(&text(""));
        assert!(
            (free - 0.5).abs() < 0.06,
            "homes split 15/15: about half cross ({free})"
        );
        for want in [0.0, 0.1, 1.0] {
            let got = share_of(&text(&format!("payment_share = {want}\n")));
            assert!((got - want).abs() <= 0.035, "payment_share {want}: {got}");
        }
        let e = parse(
            &text("payment_share = 1.5\n"),
            "c.toml",
            Path::new("."),
            None,
        )
        .err()
        .expect("refused");
        assert_eq!(e.field.as_deref(), Some("cross_chain.payment_share"));
    }

    #[test]
    fn an_added_channel_names_its_chain_and_an_unknown_chain_is_refused() {
        // Two chains on a 4-node line, every node at home on a: the line's channels are on
        // a; the added channel 0–3 is anchored on b.
        let text =
            "name = \"r\"\n[topology]\nkind = \"line\"\nnodes = 4\n[workload]\npayments = 1\n\
            [[topology.add_channel]]\nfrom = 0\nto = 3\ncapacity_sat = 100000\nchain = \"b\"\n\
            [[chain]]\nname = \"a\"\nnode_share = 1.0\n[[chain]]\nname = \"b\"\nnode_share = 0.0\n";
        let s = parse(text, "c.toml", Path::new("."), None).expect("valid");
        let cs = s.params.chains.as_ref().expect("several chains");
        assert_eq!(cs.home, vec![0; 4]);
        assert_eq!(cs.chan_chain, vec![0, 0, 0, 1]);
        // An unknown name: the entry, its line, the chains there are.
        let bad = text.replace("chain = \"b\"", "chain = \"c\"");
        let e = parse(&bad, "c.toml", Path::new("."), None)
            .err()
            .expect("refused");
        assert_eq!(e.field.as_deref(), Some("topology.add_channel[0].chain"));
        assert_eq!(e.line, Some(11));
        let msg = e.to_string();
        assert!(
            msg.contains("unknown chain \"c\"") && msg.contains("\"a\", \"b\""),
            "{msg}"
        );
        // One [chain]: only its own name is accepted.
        let one =
            "name = \"r\"\n[topology]\nkind = \"line\"\nnodes = 4\n[workload]\npayments = 1\n\
            [[topology.add_channel]]\nfrom = 0\nto = 3\ncapacity_sat = 100000\nchain = \"main\"\n";
        let s = parse(one, "c.toml", Path::new("."), None).expect("valid");
        assert!(s.params.chains.is_none());
        let e = parse(
            &one.replace("\"main\"", "\"b\""),
            "c.toml",
            Path::new("."),
            None,
        )
        .err()
        .expect("refused");
        assert_eq!(e.field.as_deref(), Some("topology.add_channel[0].chain"));
    }
}
