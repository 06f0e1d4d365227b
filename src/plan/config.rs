//! The `[plan]` table: parsing and validating a plan file against its scenario.

use crate::error::{FieldError, InputError};
use crate::metrics::{FlowTotals, Imbalance, RunResult, Totals};
use crate::scenario::{self, RawScenario, Scenario};
use crate::topology::edit::{find_node, NodeRef};
use crate::topology::{NodeId, Topology};
use crate::units::{Msat, SimTime};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Question {
    HowMuch,
    Which,
}

/// What `how_much` scales.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Knob {
    /// The capacities of every channel of `node` (including channels the scenario adds).
    NodeCapacity,
    /// Every channel's capacity.
    AllCapacity,
    /// The capacities of the channels `channels` names, scaled together.
    ChannelSet,
    /// A strategy parameter given by `param` (`strategy.<label>.<key>`, e.g. a rebalancing
    /// budget or fee cap): `range` and the answer are its values, not factors.
    StrategyParam,
}

/// What `which` maximises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    /// `metric` (a `summary.csv` column).
    Metric,
    /// The planned node's routing revenue minus its costs (rebalancing, swaps, on-chain)
    /// minus the cost of its own capital at `[metrics] capital_rate_per_year` over the
    /// measured period: [`NET_REVENUE`] (sat).
    NetRevenue,
}

/// The name `objective = "net_revenue"` gives its value in `plan.csv` and the chart.
pub const NET_REVENUE: &str = "node_net_revenue_after_capital_sat";

/// One channel of a `channel_set` knob: `from` + `to` (every channel between them) or
/// `label`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelSel {
    pub from: Option<NodeRef>,
    pub to: Option<NodeRef>,
    pub label: Option<String>,
}

/// How `which` ranks candidate peers when it is not given a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RankBy {
    Degree,
    Capacity,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopK {
    pub k: u32,
    pub by: RankBy,
}

/// The `[plan]` table as written.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanConfig {
    pub question: Question,
    /// A `summary.csv` metric (e.g. `success_ratio`, `flow_<name>_success_ratio`); required
    /// unless `objective = "net_revenue"`.
    pub metric: Option<String>,
    /// `which`: what to maximise (default `metric`).
    pub objective: Option<Objective>,
    /// `how_much`: the lower 95% bound of `metric` must reach this.
    pub threshold: Option<f64>,
    /// Overrides the scenario's `replications`.
    pub replications: Option<u32>,
    /// The strategy whose runs count (label; default: the first).
    pub strategy: Option<String>,
    pub knob: Option<Knob>,
    pub node: Option<NodeRef>,
    /// `knob = "channel_set"`: the channels scaled together.
    pub channels: Option<Vec<ChannelSel>>,
    /// `knob = "strategy_param"`: `strategy.<label>.<key>`.
    pub param: Option<String>,
    pub range: Option<[f64; 2]>,
    pub precision: Option<f64>,
    /// Ratio between scan steps (default 2).
    pub scan_ratio: Option<f64>,
    pub peers: Option<Vec<NodeRef>>,
    pub top_k: Option<TopK>,
    pub sizes_sat: Option<Vec<u64>>,
    pub budget_sat: Option<u64>,
    /// `which`: the planned node's share of each new channel (default 0.5).
    pub from_share: Option<f64>,
    /// `which`: fee policy of the new channels (defaults as `add_channel`).
    pub ppm: Option<u32>,
    pub base_msat: Option<u64>,
    /// Write `payments.csv` for every run (default false: plan outputs stay small).
    #[serde(default)]
    pub payments_csv: bool,
}

#[derive(Deserialize)]
struct PlanDoc {
    plan: PlanConfig,
}

/// A loaded, validated plan.
pub struct Plan {
    /// The plan file's scenario name (the results folder).
    pub name: String,
    pub question: Question,
    /// The metric (or [`NET_REVENUE`]) the plan reads per run.
    pub metric: String,
    /// Label of the strategy whose runs count.
    pub strategy: String,
    pub(super) kind: Kind,
    pub(super) raw: RawScenario,
    /// The scenario text with the `[plan]` table blanked (line numbers kept).
    pub(super) text: String,
    pub(super) source: String,
    pub(super) base_dir: PathBuf,
    /// The scenario as written (resolved once, to check the plan against it).
    pub base: Scenario,
}

pub(super) enum Kind {
    HowMuch {
        threshold: f64,
        knob: Knob,
        node: Option<NodeRef>,
        channels: Vec<ChannelSel>,
        /// `strategy_param`: the path, and whether the value is an integer.
        param: Option<(String, bool)>,
        /// Capital at factor 1 (sat): the node's channels, the set, or all channels
        /// (`strategy_param`: 1, so the "capital" column is the parameter's value).
        capital_sat: f64,
        lo: f64,
        hi: f64,
        precision: f64,
        ratio: f64,
    },
    Which {
        node: NodeRef,
        peers: Vec<NodeId>,
        sizes_sat: Vec<u64>,
        budget_sat: u64,
        from_share: f64,
        ppm: Option<u32>,
        base_msat: Option<u64>,
        /// `objective = "net_revenue"`: the planned node's name, the capital rate per
        /// year and the measured period (s) the capital cost covers.
        net_revenue: Option<(String, f64, f64)>,
    },
}

/// Blanks the `[plan]` table (and `[plan.*]` sub-tables) of `text`, keeping every line.
fn blank_plan(text: &str) -> String {
    let mut inside = false;
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with('[') {
            let name = t
                .trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or("")
                .trim();
            inside = name == "plan" || name.starts_with("plan.");
        }
        if !inside {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// Loads and validates a plan file. Errors name the file, line and field.
pub fn load(path: &Path) -> Result<Plan, InputError> {
    let text = crate::error::read_input_text(path, "plan")?;
    let source = path.display().to_string();
    let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    parse(&text, &source, &base_dir)
}

/// Whether scenario text is a plan file (it has a top-level `[plan]` table).
pub fn is_plan(text: &str) -> bool {
    toml::from_str::<toml::Table>(text).is_ok_and(|t| t.contains_key("plan"))
}

/// [`load`] from text (`source` names it in errors).
pub fn parse(text: &str, source: &str, base_dir: &Path) -> Result<Plan, InputError> {
    let fe = |e: FieldError| {
        InputError::new(source, e.message)
            .line_opt(scenario::locate(text, &e.field))
            .field(e.field)
    };
    let doc: toml::Table = toml::from_str(text).map_err(|e| scenario::toml_err(source, text, e))?;
    if !doc.contains_key("plan") {
        return Err(fe(FieldError::new(
            "plan",
            "a plan file needs a [plan] table (question = \"how_much\" or \"which\")",
        )));
    }
    if doc.contains_key("sweep") {
        return Err(fe(FieldError::new(
            "sweep",
            "a plan searches its own knob; remove [sweep]",
        )));
    }
    let cfg = toml::from_str::<PlanDoc>(text)
        .map_err(|e| scenario::toml_err(source, text, e))?
        .plan;
    let stext = blank_plan(text);
    let mut raw: RawScenario =
        toml::from_str(&stext).map_err(|e| scenario::toml_err(source, text, e))?;
    if let Some(r) = cfg.replications {
        if r == 0 {
            return Err(fe(FieldError::new(
                "plan.replications",
                "expected at least 1",
            )));
        }
        raw.replications = r;
    }
    raw.metrics.payments_csv = cfg.payments_csv;
    let base = scenario::resolve(raw.clone(), text, source, base_dir)?;
    let strategy = match &cfg.strategy {
        None => base.strategies[0].label.clone(),
        Some(l) if base.strategies.iter().any(|s| &s.label == l) => l.clone(),
        Some(l) => {
            return Err(fe(FieldError::new(
                "plan.strategy",
                format!("no [[strategy]] labelled `{l}`"),
            )))
        }
    };
    let objective = cfg.objective.unwrap_or(Objective::Metric);
    if cfg.objective.is_some() && cfg.question == Question::HowMuch {
        return Err(fe(FieldError::new(
            "plan.objective",
            "applies to question = \"which\" only (how_much reaches a threshold of `metric`); remove it",
        )));
    }
    let metric = match (objective, &cfg.metric) {
        (Objective::Metric, Some(m)) => m.clone(),
        (Objective::Metric, None) => {
            return Err(fe(FieldError::new(
                "plan.metric",
                "the plan needs a metric (a summary.csv column, e.g. flow_<name>_success_ratio)",
            )))
        }
        (Objective::NetRevenue, None) => NET_REVENUE.to_string(),
        (Objective::NetRevenue, Some(_)) => return Err(fe(FieldError::new(
            "plan.metric",
            "objective = \"net_revenue\" maximises the planned node's net revenue; remove metric",
        ))),
    };
    let known = metric_names(&base);
    let is_known = objective == Objective::NetRevenue
        || known.iter().any(|k| k == &metric)
        || (base.params.security.is_some() && metric.starts_with("sec_"));
    if !is_known {
        let flows: Vec<&String> = known.iter().filter(|k| k.starts_with("flow_")).collect();
        return Err(fe(FieldError::new(
            "plan.metric",
            format!(
                "unknown metric `{}`: expected a summary.csv column such as success_ratio, volume_success_ratio, fees_paid_sat{}",
                metric,
                if flows.is_empty() {
                    " (the scenario has no [[workload.flow]])".to_string()
                } else {
                    format!(", {}", flows.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "))
                }
            ),
        )));
    }
    let topo = &base.topology;
    let names: Vec<String> = (0..topo.node_count())
        .map(|i| topo.node(NodeId(i as u32)).name.clone())
        .collect();
    let not_for = |key: &str, given: bool, q: &str| -> Result<(), InputError> {
        if given {
            Err(fe(FieldError::new(
                format!("plan.{key}"),
                format!("does not apply to question = \"{q}\"; remove it"),
            )))
        } else {
            Ok(())
        }
    };
    let kind = match cfg.question {
        Question::HowMuch => {
            for (k, g) in [
                ("objective", cfg.objective.is_some()),
                ("peers", cfg.peers.is_some()),
                ("top_k", cfg.top_k.is_some()),
                ("sizes_sat", cfg.sizes_sat.is_some()),
                ("budget_sat", cfg.budget_sat.is_some()),
                ("from_share", cfg.from_share.is_some()),
                ("ppm", cfg.ppm.is_some()),
                ("base_msat", cfg.base_msat.is_some()),
            ] {
                not_for(k, g, "how_much")?;
            }
            let threshold = cfg.threshold.ok_or_else(|| {
                fe(FieldError::new(
                    "plan.threshold",
                    "how_much needs a threshold (the lower 95% bound of the metric must reach it)",
                ))
            })?;
            if !threshold.is_finite() {
                return Err(fe(FieldError::new("plan.threshold", "expected a number")));
            }
            let knob = cfg.knob.ok_or_else(|| {
                fe(FieldError::new(
                    "plan.knob",
                    "how_much needs a knob: \"node_capacity\", \"all_capacity\", \"channel_set\" or \"strategy_param\"",
                ))
            })?;
            not_for(
                "channels",
                cfg.channels.is_some() && knob != Knob::ChannelSet,
                "how_much without knob = \"channel_set\"",
            )?;
            not_for(
                "param",
                cfg.param.is_some() && knob != Knob::StrategyParam,
                "how_much without knob = \"strategy_param\"",
            )?;
            if matches!(knob, Knob::ChannelSet | Knob::StrategyParam) {
                not_for("node", cfg.node.is_some(), "this knob")?;
            }
            let mut channels = Vec::new();
            let mut param = None;
            let capital_sat = match knob {
                Knob::NodeCapacity => {
                    let n = cfg.node.as_ref().ok_or_else(|| {
                        fe(FieldError::new(
                            "plan.node",
                            "knob = \"node_capacity\" needs the node whose channels scale",
                        ))
                    })?;
                    let id = find_node(&names, n, "plan.node").map_err(fe)?;
                    let cap = node_capacity(topo, id);
                    if cap == Msat::ZERO {
                        return Err(fe(FieldError::new(
                            "plan.node",
                            format!("node {n} has no channels to scale"),
                        )));
                    }
                    cap.0 as f64 / 1000.0
                }
                Knob::AllCapacity => {
                    not_for(
                        "node",
                        cfg.node.is_some(),
                        "how_much with knob = \"all_capacity\"",
                    )?;
                    topo.total_capacity().0 as f64 / 1000.0
                }
                Knob::ChannelSet => {
                    channels = cfg.channels.clone().unwrap_or_default();
                    if channels.is_empty() {
                        return Err(fe(FieldError::new(
                            "plan.channels",
                            "knob = \"channel_set\" needs channels = [{ from, to } or { label }, ...]",
                        )));
                    }
                    set_capacity(topo, &names, &channels).map_err(fe)?.0 as f64 / 1000.0
                }
                Knob::StrategyParam => {
                    let path = cfg.param.clone().ok_or_else(|| {
                        fe(FieldError::new(
                            "plan.param",
                            "knob = \"strategy_param\" needs param = \"strategy.<label>.<key>\"",
                        ))
                    })?;
                    param = Some((path, false));
                    1.0
                }
            };
            let [lo, hi] = cfg.range.ok_or_else(|| {
                fe(FieldError::new(
                    "plan.range",
                    "how_much needs range = [lowest, highest] factor",
                ))
            })?;
            if !(lo.is_finite() && hi.is_finite() && lo > 0.0 && hi > lo && hi <= 1e6) {
                return Err(fe(FieldError::new(
                    "plan.range",
                    format!("expected 0 < lowest < highest <= 1e6, got [{lo}, {hi}]"),
                )));
            }
            let precision = cfg.precision.ok_or_else(|| {
                fe(FieldError::new(
                    "plan.precision",
                    "how_much needs a precision (the width of the final bracket)",
                ))
            })?;
            if !(precision.is_finite() && precision > 0.0 && precision < hi - lo) {
                return Err(fe(FieldError::new(
                    "plan.precision",
                    format!(
                        "expected 0 < precision < highest - lowest ({}), got {precision}",
                        hi - lo
                    ),
                )));
            }
            let ratio = cfg.scan_ratio.unwrap_or(2.0);
            if !(ratio.is_finite() && ratio > 1.0 && ratio <= 100.0) {
                return Err(fe(FieldError::new(
                    "plan.scan_ratio",
                    format!("expected a ratio in (1, 100], got {ratio}"),
                )));
            }
            if let Some((path, integer)) = &mut param {
                // Whole values → an integer parameter (ppm, sat); check the path and both
                // ends of the range by resolving the scenario with them.
                *integer = lo.fract() == 0.0 && hi.fract() == 0.0;
                if *integer && precision < 1.0 {
                    return Err(fe(FieldError::new(
                        "plan.precision",
                        format!("`{path}` takes whole values (range [{lo}, {hi}]): expected a precision of at least 1, got {precision}"),
                    )));
                }
                for v in [lo, hi] {
                    let mut r = raw.clone();
                    set_param(&mut r, path, v, *integer).map_err(fe)?;
                    scenario::resolve(r, text, source, base_dir).map_err(|e| {
                        fe(FieldError::new(
                            "plan.param",
                            format!("`{path}` = {v} is not accepted: {}", e.message),
                        ))
                    })?;
                }
            }
            Kind::HowMuch {
                threshold,
                knob,
                node: cfg.node.clone(),
                channels,
                param,
                capital_sat,
                lo,
                hi,
                precision,
                ratio,
            }
        }
        Question::Which => {
            for (k, g) in [
                ("threshold", cfg.threshold.is_some()),
                ("knob", cfg.knob.is_some()),
                ("range", cfg.range.is_some()),
                ("precision", cfg.precision.is_some()),
                ("scan_ratio", cfg.scan_ratio.is_some()),
                ("channels", cfg.channels.is_some()),
                ("param", cfg.param.is_some()),
            ] {
                not_for(k, g, "which")?;
            }
            let node = cfg.node.clone().ok_or_else(|| {
                fe(FieldError::new(
                    "plan.node",
                    "which needs the node that opens the channels (add it with [[topology.add_node]])",
                ))
            })?;
            let me = find_node(&names, &node, "plan.node").map_err(fe)?;
            let peers: Vec<NodeId> = match (&cfg.peers, &cfg.top_k) {
                (Some(list), None) => {
                    if list.is_empty() {
                        return Err(fe(FieldError::new("plan.peers", "expected at least one peer")));
                    }
                    let mut v = Vec::new();
                    for r in list {
                        let id = find_node(&names, r, "plan.peers").map_err(fe)?;
                        if id == me {
                            return Err(fe(FieldError::new(
                                "plan.peers",
                                format!("lists the planned node {r} itself"),
                            )));
                        }
                        if !v.contains(&id) {
                            v.push(id);
                        }
                    }
                    v
                }
                (None, Some(t)) => {
                    if t.k == 0 {
                        return Err(fe(FieldError::new("plan.top_k.k", "expected at least 1")));
                    }
                    top_k(topo, me, t.k as usize, t.by)
                }
                _ => {
                    return Err(fe(FieldError::new(
                        "plan.peers",
                        "which needs candidate peers: `peers = [...]` or `top_k = { k, by }` (one of them)",
                    )))
                }
            };
            let sizes = cfg.sizes_sat.clone().ok_or_else(|| {
                fe(FieldError::new(
                    "plan.sizes_sat",
                    "which needs a channel size grid (sat)",
                ))
            })?;
            if sizes.is_empty() || sizes.iter().any(|&s| s == 0 || s > crate::dist::MAX_SAT) {
                return Err(fe(FieldError::new(
                    "plan.sizes_sat",
                    "expected a non-empty list of positive sizes (sat)",
                )));
            }
            let mut sizes_sat = sizes;
            sizes_sat.sort_unstable();
            sizes_sat.dedup();
            let budget_sat = cfg.budget_sat.ok_or_else(|| {
                fe(FieldError::new(
                    "plan.budget_sat",
                    "which needs a capital budget (sat)",
                ))
            })?;
            if budget_sat < sizes_sat[0] {
                return Err(fe(FieldError::new(
                    "plan.budget_sat",
                    format!(
                        "the budget ({budget_sat} sat) is below the smallest channel size ({} sat)",
                        sizes_sat[0]
                    ),
                )));
            }
            let from_share = cfg.from_share.unwrap_or(0.5);
            if !(from_share.is_finite() && (0.0..=1.0).contains(&from_share)) {
                return Err(fe(FieldError::new(
                    "plan.from_share",
                    format!("expected a share in [0, 1], got {from_share}"),
                )));
            }
            let net_revenue = (objective == Objective::NetRevenue).then(|| {
                let horizon = (base.workload.last_arrival_s()
                    - base.params.warmup.micros() as f64 / 1e6)
                    .max(0.0);
                (
                    names[me.idx()].clone(),
                    base.params.capital_rate_per_year,
                    horizon,
                )
            });
            Kind::Which {
                node,
                peers,
                sizes_sat,
                budget_sat,
                from_share,
                ppm: cfg.ppm,
                base_msat: cfg.base_msat,
                net_revenue,
            }
        }
    };
    Ok(Plan {
        name: base.name.clone(),
        question: cfg.question,
        metric,
        strategy,
        kind,
        raw,
        text: stext,
        source: source.to_string(),
        base_dir: base_dir.to_path_buf(),
        base,
    })
}

/// The summary columns a run of `s` has (without the security ones).
fn metric_names(s: &Scenario) -> Vec<String> {
    let r = RunResult {
        totals: Totals {
            flows: s
                .flows
                .iter()
                .map(|f| FlowTotals {
                    name: f.name.clone(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        },
        end_time: SimTime::ZERO,
        events: 0,
        latency_ms: [0.0; 3],
        final_imbalance: Imbalance::default(),
        initial_imbalance: Imbalance::default(),
        node_net_revenue: Vec::new(),
        node_revenue: Vec::new(),
        security: None,
        measured_from: SimTime::ZERO,
        capital_cost: crate::units::Msat::ZERO,
        probe_amounts: Vec::new(),
        probe_rounds: Vec::new(),
        nodes: Vec::new(),
        channels: Default::default(),
    };
    r.metrics().into_iter().map(|(k, _)| k).collect()
}

/// Sets strategy parameter `path` (`strategy.<label>.<key>`, as in `[sweep]`) to `v`.
pub(super) fn set_param(
    raw: &mut RawScenario,
    path: &str,
    v: f64,
    integer: bool,
) -> Result<(), FieldError> {
    if !path.starts_with("strategy.") {
        return Err(FieldError::new(
            "plan.param",
            format!("expected `strategy.<label>.<key>` (a strategy parameter), got `{path}`"),
        ));
    }
    let value = if integer {
        toml::Value::Integer(v.round() as i64)
    } else {
        toml::Value::Float(v)
    };
    let mut doc = toml::Table::new();
    doc.insert(
        "strategy".into(),
        toml::Value::Array(raw.strategy.drain(..).map(toml::Value::Table).collect()),
    );
    let res = crate::sweep::set_path(&mut doc, path, value);
    if let Some(toml::Value::Array(a)) = doc.remove("strategy") {
        raw.strategy = a
            .into_iter()
            .filter_map(|v| match v {
                toml::Value::Table(t) => Some(t),
                _ => None,
            })
            .collect();
    }
    res.map_err(|e| FieldError::new("plan.param", e.message))
}

/// Total capacity of the channels `sel` names in `t` (by node names or labels).
fn set_capacity(t: &Topology, names: &[String], sel: &[ChannelSel]) -> Result<Msat, FieldError> {
    let mut picked = vec![false; t.channel_count()];
    for (i, c) in sel.iter().enumerate() {
        let f = |k: &str| format!("plan.channels[{i}].{k}");
        let hits: Vec<usize> = match (&c.from, &c.to, &c.label) {
            (Some(a), Some(b), None) => {
                let a = find_node(names, a, &f("from"))?;
                let b = find_node(names, b, &f("to"))?;
                t.channels()
                    .enumerate()
                    .filter(|(_, (_, x))| x.nodes == [a, b] || x.nodes == [b, a])
                    .map(|(k, _)| k)
                    .collect()
            }
            (None, None, Some(l)) => t
                .channels()
                .enumerate()
                .filter(|(_, (_, x))| x.label.as_deref() == Some(l.as_str()))
                .map(|(k, _)| k)
                .collect(),
            _ => return Err(FieldError::new(f("to"), "give `from` and `to`, or `label`")),
        };
        if hits.is_empty() {
            return Err(FieldError::new(f("to"), "names no channel of the scenario"));
        }
        for k in hits {
            picked[k] = true;
        }
    }
    Ok(t.channels()
        .enumerate()
        .filter(|(k, _)| picked[*k])
        .map(|(_, (_, c))| c.capacity)
        .sum())
}

pub(super) fn node_capacity(t: &Topology, n: NodeId) -> Msat {
    t.channels()
        .filter(|(_, c)| c.nodes.contains(&n))
        .map(|(_, c)| c.capacity)
        .sum()
}

/// The `k` nodes other than `me` with the highest degree or total capacity (ties: lower
/// index), excluding nodes `me` already has a channel with.
fn top_k(t: &Topology, me: NodeId, k: usize, by: RankBy) -> Vec<NodeId> {
    let n = t.node_count();
    let mut linked = vec![false; n];
    for (_, c) in t.channels() {
        for (d, v) in c.nodes.iter().enumerate() {
            if c.nodes[1 - d] == me {
                linked[v.idx()] = true;
            }
        }
    }
    t.top_nodes(k, by == RankBy::Capacity, |v| v != me && !linked[v.idx()])
}
