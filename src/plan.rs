//! Capacity planning (`pcnsim plan PLAN.toml`): a scenario plus a `[plan]` question,
//! answered by running experiments.
//!
//! ```toml
//! [plan]
//! question = "how_much"          # the smallest capacity factor meeting the target
//! metric = "flow_shop_success_ratio"
//! threshold = 0.99               # its lower 95% bound must reach this
//! knob = "node_capacity"         # node_capacity (needs `node`) | all_capacity
//! node = "M"
//! range = [0.25, 8.0]            # factors searched
//! precision = 0.05               # bisection stops when the bracket is this narrow
//! replications = 3
//! ```
//! ```toml
//! [plan]
//! question = "which"             # greedy: which channels (peer, size) for the node
//! metric = "flow_shop_success_ratio"
//! node = "M"
//! peers = [12, "03abc..."]       # or top_k = { k = 5, by = "degree" | "capacity" }
//! sizes_sat = [1_000_000, 5_000_000]
//! budget_sat = 12_000_000
//! from_share = 0.0               # the new node's share of each new channel
//! ```
//!
//! **How much**: every evaluation uses the same seeds (common random numbers). A
//! geometric scan (`range[0]`, × `scan_ratio`, …, `range[1]`) finds the first factor whose
//! lower bound (Student-t 95% over replications; the value itself with one replication)
//! reaches the threshold, then bisection narrows the bracket to `precision`. The plan is
//! refused, with the scan shown, when the top of the range misses the target, or when the
//! metric falls significantly (paired 95% interval of the difference below zero) from one
//! scan step to the next: bisection would be meaningless.
//!
//! **Which**: starting from the scenario as written, each step evaluates every candidate
//! (peer, size) that fits the remaining budget and adds the one with the largest mean
//! gain in the metric (paired by replication against the previous step); it stops when
//! the budget is spent, no candidate is left, or the best gain is not significant (its
//! paired 95% interval includes zero; with one replication, a gain ≤ 0).
//!
//! Every evaluation is a normal experiment under `<out>/<plan>/evals/<label>/`, run
//! through [`crate::experiment::run_experiment`] (parallel, resumable: a second call
//! reuses complete runs). [`run_plan`] then writes `plan.csv` and the trade-off chart
//! `charts/plan_tradeoff.{png,svg}` (capital vs the metric). This module must not print.

use crate::error::{FieldError, InputError};
use crate::experiment::{self, ExperimentError, Progress, RunOptions};
use crate::metrics::{FlowTotals, Imbalance, RunResult, Totals};
use crate::output::{self, StoredRun};
use crate::report::charts::{self, ChartSpec, Point, Series};
use crate::report::stats::{paired_difference, Summary};
use crate::scenario::{self, RawScenario, Scenario};
use crate::sweep::{self, Experiment};
use crate::topology::edit::{find_node, AddChannel, NodeRef, ScaleCapacity};
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
    /// A `summary.csv` metric (e.g. `success_ratio`, `flow_<name>_success_ratio`).
    pub metric: String,
    /// `how_much`: the lower 95% bound of `metric` must reach this.
    pub threshold: Option<f64>,
    /// Overrides the scenario's `replications`.
    pub replications: Option<u32>,
    /// The strategy whose runs count (label; default: the first).
    pub strategy: Option<String>,
    pub knob: Option<Knob>,
    pub node: Option<NodeRef>,
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
    pub metric: String,
    /// Label of the strategy whose runs count.
    pub strategy: String,
    kind: Kind,
    raw: RawScenario,
    /// The scenario text with the `[plan]` table blanked (line numbers kept).
    text: String,
    source: String,
    base_dir: PathBuf,
    /// The scenario as written (resolved once, to check the plan against it).
    pub base: Scenario,
}

enum Kind {
    HowMuch {
        threshold: f64,
        knob: Knob,
        node: Option<NodeRef>,
        /// Capital at factor 1 (sat): the node's channels, or all channels.
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
    let known = metric_names(&base);
    let is_known = known.iter().any(|k| k == &cfg.metric)
        || (base.params.security.is_some() && cfg.metric.starts_with("sec_"));
    if !is_known {
        let flows: Vec<&String> = known.iter().filter(|k| k.starts_with("flow_")).collect();
        return Err(fe(FieldError::new(
            "plan.metric",
            format!(
                "unknown metric `{}`: expected a summary.csv column such as success_ratio, volume_success_ratio, fees_paid_sat{}",
                cfg.metric,
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
                    "how_much needs a knob: \"node_capacity\" or \"all_capacity\"",
                ))
            })?;
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
            Kind::HowMuch {
                threshold,
                knob,
                node: cfg.node.clone(),
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
            Kind::Which {
                node,
                peers,
                sizes_sat,
                budget_sat,
                from_share,
                ppm: cfg.ppm,
                base_msat: cfg.base_msat,
            }
        }
    };
    Ok(Plan {
        name: base.name.clone(),
        question: cfg.question,
        metric: cfg.metric,
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
        channels: Vec::new(),
    };
    r.metrics().into_iter().map(|(k, _)| k).collect()
}

fn node_capacity(t: &Topology, n: NodeId) -> Msat {
    t.channels()
        .filter(|(_, c)| c.nodes.contains(&n))
        .map(|(_, c)| c.capacity)
        .sum()
}

/// The `k` nodes other than `me` with the highest degree or total capacity (ties: lower
/// index), excluding nodes `me` already has a channel with.
fn top_k(t: &Topology, me: NodeId, k: usize, by: RankBy) -> Vec<NodeId> {
    let n = t.node_count();
    let mut score = vec![0u64; n];
    let mut linked = vec![false; n];
    for (_, c) in t.channels() {
        for (d, v) in c.nodes.iter().enumerate() {
            score[v.idx()] += match by {
                RankBy::Degree => 1,
                RankBy::Capacity => c.capacity.0,
            };
            if c.nodes[1 - d] == me {
                linked[v.idx()] = true;
            }
        }
    }
    let mut order: Vec<usize> = (0..n).filter(|&i| i != me.idx() && !linked[i]).collect();
    order.sort_by(|&a, &b| score[b].cmp(&score[a]).then(a.cmp(&b)));
    order
        .into_iter()
        .take(k)
        .map(|i| NodeId(i as u32))
        .collect()
}

/// One evaluated configuration.
#[derive(Debug, Clone)]
pub struct Eval {
    /// Folder name under `evals/`.
    pub label: String,
    /// Capital of the knob (sat): the scaled capacity (`how_much`) or the new channels
    /// (`which`).
    pub capital_sat: f64,
    /// The metric per replication, in replication order.
    pub values: Vec<f64>,
    pub summary: Summary,
}

impl Eval {
    /// Lower 95% bound; with one replication, the value itself.
    pub fn lower(&self) -> f64 {
        if self.summary.n >= 2 {
            self.summary.ci95_lo
        } else {
            self.summary.mean
        }
    }
}

/// One row of `plan.csv`.
#[derive(Debug, Clone)]
pub struct Row {
    /// `scan`, `bisect` or `answer` (how_much); `base`, `candidate` or `chosen` (which).
    pub phase: String,
    pub step: usize,
    /// how_much: the factor. which: empty.
    pub factor: Option<f64>,
    /// which: the candidate peer (index, name) and size.
    pub peer: Option<(NodeId, String)>,
    pub size_sat: Option<u64>,
    pub eval: Eval,
    /// how_much: the lower bound reaches the threshold.
    pub passes: Option<bool>,
    /// which: paired difference against the previous step.
    pub gain: Option<Summary>,
}

/// What [`run_plan`] found.
pub struct PlanOutcome {
    pub dir: PathBuf,
    pub rows: Vec<Row>,
    /// A one-paragraph recommendation for the terminal.
    pub recommendation: String,
    /// Runs executed (not reused) and in total.
    pub runs_total: usize,
    pub runs_reused: usize,
}

/// Why a plan could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Experiment(#[from] ExperimentError),
    #[error(transparent)]
    Input(#[from] InputError),
    /// The question has no answer on this scenario (target unreachable, response not
    /// monotone); the message shows the evidence.
    #[error("{0}")]
    Refused(String),
}

struct Runner<'a> {
    plan: &'a Plan,
    opts: RunOptions,
    progress: &'a dyn Progress,
    total: usize,
    reused: usize,
}

impl Runner<'_> {
    /// Runs (or reuses) the scenario with `edit` applied, as experiment `label`.
    fn eval(
        &mut self,
        label: &str,
        capital_sat: f64,
        edit: &dyn Fn(&mut RawScenario),
    ) -> Result<Eval, PlanError> {
        let p = self.plan;
        let mut raw = p.raw.clone();
        edit(&mut raw);
        raw.name = label.to_string();
        let desc = format!(
            "\n# pcnsim plan eval {label}: topology.add_channel = {:?}, topology.scale_capacity = {:?}\n",
            raw.topology.add_channel, raw.topology.scale_capacity
        );
        let mut s = scenario::resolve(raw, &p.text, &p.source, &p.base_dir)?;
        s.text = format!("{}{desc}", p.text);
        let exp = Experiment {
            points: vec![sweep::Point {
                values: vec![],
                scenario: s,
            }],
            keys: vec![],
        };
        let out = experiment::run_experiment(&exp, &self.opts, self.progress)?;
        self.total += out.runs.len();
        self.reused += out.reused;
        let mut runs: Vec<&StoredRun> = out
            .runs
            .iter()
            .filter(|r| r.strategy == p.strategy)
            .collect();
        runs.sort_by_key(|r| r.replication);
        let values: Vec<f64> = runs.iter().map(|r| r.metric(&p.metric)).collect();
        Ok(Eval {
            label: label.to_string(),
            capital_sat,
            summary: Summary::from_slice(&values),
            values,
        })
    }
}

/// Answers the plan: runs every evaluation (reusing complete ones) under
/// `opts.out/<plan>/evals/`, then writes `plan.csv` and the trade-off chart.
///
/// # Errors
/// [`PlanError::Refused`] with the evidence when the target is out of reach or the
/// response is not monotone; experiment and output errors otherwise.
pub fn run_plan(
    plan: &Plan,
    out: &Path,
    jobs: Option<usize>,
    progress: &dyn Progress,
) -> Result<PlanOutcome, PlanError> {
    let dir = out.join(&plan.name);
    let mut runner = Runner {
        plan,
        opts: RunOptions {
            out: dir.join("evals"),
            jobs,
            fresh: false,
            skip_report: true,
        },
        progress,
        total: 0,
        reused: 0,
    };
    let (rows, recommendation) = match &plan.kind {
        Kind::HowMuch { .. } => how_much(&mut runner)?,
        Kind::Which { .. } => which(&mut runner)?,
    };
    std::fs::create_dir_all(dir.join("charts"))
        .map_err(output::io_err(&dir, "create the folder"))
        .map_err(ExperimentError::from)?;
    let csv = plan_csv(&rows);
    output::write_via_temp(&dir.join("plan.csv"), csv.as_bytes()).map_err(ExperimentError::from)?;
    draw_tradeoff(&dir, plan, &rows)?;
    Ok(PlanOutcome {
        dir,
        rows,
        recommendation,
        runs_total: runner.total,
        runs_reused: runner.reused,
    })
}

fn factor_label(f: f64) -> String {
    // Experiment names allow letters, digits, `-` and `_`.
    format!("f{f:.6}").replace('.', "_")
}

fn how_much(r: &mut Runner<'_>) -> Result<(Vec<Row>, String), PlanError> {
    let Kind::HowMuch {
        threshold,
        knob,
        node,
        capital_sat,
        lo,
        hi,
        precision,
        ratio,
    } = &r.plan.kind
    else {
        unreachable!("how_much is only called for how_much plans")
    };
    let scale = |f: f64| {
        let node = match knob {
            Knob::NodeCapacity => node.clone(),
            Knob::AllCapacity => None,
        };
        move |raw: &mut RawScenario| {
            raw.topology.scale_capacity.push(ScaleCapacity {
                node: node.clone(),
                factor: f,
            })
        }
    };
    let mut rows: Vec<Row> = Vec::new();
    let row = |phase: &str, step: usize, f: f64, e: Eval| Row {
        phase: phase.into(),
        step,
        factor: Some(f),
        peer: None,
        size_sat: None,
        passes: Some(e.lower() >= *threshold),
        eval: e,
        gain: None,
    };
    // Geometric scan.
    let mut factors = vec![*lo];
    while let Some(&last) = factors.last() {
        if last >= *hi {
            break;
        }
        factors.push((last * ratio).min(*hi));
    }
    let mut first_pass: Option<usize> = None;
    for (i, &f) in factors.iter().enumerate() {
        let e = r.eval(&factor_label(f), capital_sat * f, &scale(f))?;
        if let Some(prev) = rows.last() {
            if let Ok(d) = paired_difference(&e.values, &prev.eval.values) {
                if d.n >= 2 && d.ci95_hi < 0.0 {
                    rows.push(row("scan", i, f, e));
                    return Err(PlanError::Refused(format!(
                        "`{}` is not monotone in the knob: it falls significantly from factor {} to {} (paired difference {:.4}, 95% CI {:.4} .. {:.4}); bisection would be meaningless.\n{}",
                        r.plan.metric,
                        fmt(factors[i - 1]),
                        fmt(f),
                        d.mean,
                        d.ci95_lo,
                        d.ci95_hi,
                        show_scan(&rows, *threshold)
                    )));
                }
            }
        }
        let pass = e.lower() >= *threshold;
        rows.push(row("scan", i, f, e));
        if pass {
            first_pass = Some(i);
            break;
        }
    }
    let Some(fp) = first_pass else {
        return Err(PlanError::Refused(format!(
            "the target is out of reach: at the top of the range (factor {}) the lower 95% bound of `{}` is {:.4} < {threshold}.\n{}",
            fmt(*hi),
            r.plan.metric,
            rows.last().map_or(f64::NAN, |x| x.eval.lower()),
            show_scan(&rows, *threshold)
        )));
    };
    if fp == 0 {
        let e = rows[0].eval.clone();
        rows.push(row("answer", rows.len(), *lo, e));
        let msg = format!(
            "the target already holds at the bottom of the range: factor {} (capital {:.0} sat); lower the range to search below it",
            fmt(*lo),
            capital_sat * lo
        );
        return Ok((rows, msg));
    }
    // Bisection between the last failing and the first passing factor.
    let (mut a, mut b) = (factors[fp - 1], factors[fp]);
    let mut best = rows[fp].eval.clone();
    let mut step = rows.len();
    while b - a > *precision {
        let m = 0.5 * (a + b);
        let e = r.eval(&factor_label(m), capital_sat * m, &scale(m))?;
        if e.lower() >= *threshold {
            b = m;
            best = e.clone();
        } else {
            a = m;
        }
        rows.push(row("bisect", step, m, e));
        step += 1;
    }
    let msg = format!(
        "smallest factor meeting `{}` lower 95% bound >= {threshold}: {} (bracket {} .. {}, precision {}); capital {:.0} sat; mean {:.4}, lower bound {:.4}",
        r.plan.metric,
        fmt(b),
        fmt(a),
        fmt(b),
        precision,
        capital_sat * b,
        best.summary.mean,
        best.lower()
    );
    rows.push(row("answer", step, b, best));
    Ok((rows, msg))
}

fn fmt(f: f64) -> String {
    let s = format!("{f:.6}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn show_scan(rows: &[Row], threshold: f64) -> String {
    let mut s = format!(
        "{:>10} {:>14} {:>10} {:>10} {:>6}\n",
        "factor", "capital sat", "mean", "lower95", "meets"
    );
    for r in rows {
        s.push_str(&format!(
            "{:>10} {:>14.0} {:>10.4} {:>10.4} {:>6}\n",
            fmt(r.factor.unwrap_or(f64::NAN)),
            r.eval.capital_sat,
            r.eval.summary.mean,
            r.eval.lower(),
            if r.eval.lower() >= threshold {
                "yes"
            } else {
                "no"
            }
        ));
    }
    s
}

fn which(r: &mut Runner<'_>) -> Result<(Vec<Row>, String), PlanError> {
    let Kind::Which {
        node,
        peers,
        sizes_sat,
        budget_sat,
        from_share,
        ppm,
        base_msat,
    } = &r.plan.kind
    else {
        unreachable!("which is only called for which plans")
    };
    let topo = r.plan.base.topology.clone();
    let name = |p: NodeId| topo.node(p).name.clone();
    // Edits apply before the component filter, which renumbers nodes: name the peer by
    // its name when that is unique (snapshot ids are), else by index.
    let peer_ref = |p: NodeId| {
        let n = name(p);
        let unique = (0..topo.node_count())
            .filter(|&i| topo.node(NodeId(i as u32)).name == n)
            .count()
            == 1;
        if unique {
            NodeRef::Name(n)
        } else {
            NodeRef::Index(p.0)
        }
    };
    let channel = |p: NodeId, size: u64| AddChannel {
        from: node.clone(),
        to: peer_ref(p),
        capacity_sat: size as i64,
        from_share: Some(*from_share),
        base_msat: *base_msat,
        ppm: *ppm,
        cltv_delta: None,
        min_htlc_msat: None,
        max_htlc_share: None,
        label: Some(format!("plan_{}", p.0)),
        chain: None,
    };
    let mut chosen: Vec<(NodeId, u64)> = Vec::new();
    let with = |chosen: &[(NodeId, u64)]| {
        let adds: Vec<AddChannel> = chosen.iter().map(|&(p, s)| channel(p, s)).collect();
        move |raw: &mut RawScenario| raw.topology.add_channel.extend(adds.iter().cloned())
    };
    let mut rows = Vec::new();
    let mut current = r.eval("base", 0.0, &with(&chosen))?;
    rows.push(Row {
        phase: "base".into(),
        step: 0,
        factor: None,
        peer: None,
        size_sat: None,
        eval: current.clone(),
        passes: None,
        gain: None,
    });
    let mut spent = 0u64;
    let mut step = 1;
    let stop = loop {
        let mut best: Option<(usize, f64)> = None;
        let first = rows.len();
        for &p in peers
            .iter()
            .filter(|p| !chosen.iter().any(|(c, _)| c == *p))
        {
            for &size in sizes_sat.iter().filter(|&&s| spent + s <= *budget_sat) {
                let mut next = chosen.clone();
                next.push((p, size));
                let label = format!(
                    "s{step:02}_{}",
                    next.iter()
                        .map(|(p, s)| format!("n{}x{s}", p.0))
                        .collect::<Vec<_>>()
                        .join("_")
                );
                let e = r.eval(&label, (spent + size) as f64, &with(&next))?;
                let gain = paired_difference(&e.values, &current.values)
                    .unwrap_or_else(|_| Summary::from_slice(&[]));
                // Ties: the cheaper channel, then the earlier candidate.
                if best.is_none_or(|(_, g)| gain.mean > g + 1e-12) {
                    best = Some((rows.len(), gain.mean));
                }
                rows.push(Row {
                    phase: "candidate".into(),
                    step,
                    factor: None,
                    peer: Some((p, name(p))),
                    size_sat: Some(size),
                    eval: e,
                    passes: None,
                    gain: Some(gain),
                });
            }
        }
        let Some((bi, _)) = best else {
            break if first == rows.len() && chosen.len() == peers.len() {
                "every candidate peer is chosen"
            } else {
                "the budget is spent (no size fits what is left)"
            };
        };
        let g = rows[bi].gain.expect("candidates have a gain");
        let significant = if g.n >= 2 {
            g.ci95_lo > 0.0
        } else {
            g.mean > 0.0
        };
        if !significant {
            break "no candidate gains significantly (paired 95% interval of the best gain includes 0)";
        }
        rows[bi].phase = "chosen".into();
        let (p, size) = (
            rows[bi].peer.as_ref().expect("candidate").0,
            rows[bi].size_sat.expect("candidate"),
        );
        chosen.push((p, size));
        spent += size;
        current = rows[bi].eval.clone();
        step += 1;
    };
    let list: Vec<String> = chosen
        .iter()
        .map(|(p, s)| format!("{} ({}) {} sat", p.0, name(*p), s))
        .collect();
    let msg = format!(
        "open {} channel(s): {}; capital {} of {} sat; `{}` {:.4} (95% CI {:.4} .. {:.4}) vs {:.4} without; stopped: {stop}",
        chosen.len(),
        if list.is_empty() { "none".to_string() } else { list.join(", ") },
        spent,
        budget_sat,
        r.plan.metric,
        current.summary.mean,
        current.summary.ci95_lo,
        current.summary.ci95_hi,
        rows[0].eval.summary.mean,
    );
    Ok((rows, msg))
}

fn plan_csv(rows: &[Row]) -> String {
    let f = |v: f64| output::fmt_f(v);
    let mut s = String::from(
        "phase,step,factor,peer,peer_name,size_sat,capital_sat,eval,n,mean,sd,ci95_lo,ci95_hi,lower95,meets_threshold,gain_mean,gain_ci95_lo,gain_ci95_hi\n",
    );
    for r in rows {
        let e = &r.eval;
        let peer_name = r
            .peer
            .as_ref()
            .map(|(_, n)| format!("\"{}\"", n.replace('"', "\"\"")))
            .unwrap_or_default();
        s.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            r.phase,
            r.step,
            r.factor.map(f).unwrap_or_default(),
            r.peer
                .as_ref()
                .map(|(p, _)| p.0.to_string())
                .unwrap_or_default(),
            peer_name,
            r.size_sat.map(|x| x.to_string()).unwrap_or_default(),
            f(e.capital_sat),
            e.label,
            e.summary.n,
            f(e.summary.mean),
            f(e.summary.sd),
            f(e.summary.ci95_lo),
            f(e.summary.ci95_hi),
            f(e.lower()),
            r.passes.map(|b| b.to_string()).unwrap_or_default(),
            r.gain.map(|g| f(g.mean)).unwrap_or_default(),
            r.gain.map(|g| f(g.ci95_lo)).unwrap_or_default(),
            r.gain.map(|g| f(g.ci95_hi)).unwrap_or_default(),
        ));
    }
    s
}

/// `charts/plan_tradeoff.{png,svg}`: capital (sat) against the metric's mean and 95% CI,
/// every evaluation (how_much), or the chosen path and every candidate (which).
fn draw_tradeoff(dir: &Path, plan: &Plan, rows: &[Row]) -> Result<(), PlanError> {
    let pt = |r: &Row| {
        let s = &r.eval.summary;
        if s.n >= 2 {
            Point::with_interval(r.eval.capital_sat, s.mean, s.ci95_lo, s.ci95_hi)
        } else {
            Point::new(r.eval.capital_sat, s.mean)
        }
    };
    let mut series = Vec::new();
    match plan.question {
        Question::HowMuch => {
            let mut ev: Vec<&Row> = rows.iter().filter(|r| r.phase != "answer").collect();
            ev.sort_by(|a, b| a.eval.capital_sat.total_cmp(&b.eval.capital_sat));
            series.push(Series {
                name: "evaluations".into(),
                points: ev.iter().map(|r| pt(r)).collect(),
            });
        }
        Question::Which => {
            let path: Vec<&Row> = rows
                .iter()
                .filter(|r| r.phase == "base" || r.phase == "chosen")
                .collect();
            series.push(Series {
                name: "greedy choice".into(),
                points: path.iter().map(|r| pt(r)).collect(),
            });
            let mut cands: Vec<&Row> = rows.iter().filter(|r| r.phase == "candidate").collect();
            cands.sort_by(|a, b| a.eval.capital_sat.total_cmp(&b.eval.capital_sat));
            if !cands.is_empty() {
                series.push(Series {
                    name: "other candidates".into(),
                    points: cands.iter().map(|r| pt(r)).collect(),
                });
            }
        }
    }
    let mut spec = ChartSpec::new(
        &format!("{}: capital vs {}", plan.name, plan.metric),
        "capital (sat)",
        &plan.metric,
    );
    if let Kind::HowMuch { threshold, .. } = plan.kind {
        spec = spec.with_reference(threshold);
    }
    charts::errorbar_lines(dir.join("charts").join("plan_tradeoff"), &spec, &series).map_err(|e| {
        PlanError::Experiment(ExperimentError::Report {
            dir: dir.to_path_buf(),
            message: e.to_string(),
        })
    })
}

#[cfg(test)]
mod tests;
