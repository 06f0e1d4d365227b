//! Capacity planning (`pcnsim plan PLAN.toml`): a scenario plus a `[plan]` question,
//! answered by running experiments.
//!
//! ```toml
//! [plan]
//! question = "how_much"          # the smallest capacity factor meeting the target
//! metric = "flow_shop_success_ratio"
//! threshold = 0.99               # its lower 95% bound must reach this
//! knob = "node_capacity"         # node_capacity (needs `node`) | all_capacity |
//!                                # channel_set (needs `channels = [{ from, to } | { label }]`) |
//!                                # strategy_param (needs `param = "strategy.<label>.<key>"`;
//!                                # range and answer are the parameter's values)
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
//! objective = "metric"           # or "net_revenue" (then no `metric`): the node's
//!                                # revenue − costs − capital cost, see `node_net_revenue`
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

mod config;
mod how_much;
mod report;
mod which;

pub use config::*;

use crate::error::InputError;
use crate::experiment::{self, ExperimentError, Progress, RunOptions};
use crate::output::{self, StoredRun};
use crate::report::stats::Summary;
use crate::scenario::{self, RawScenario};
use crate::sweep::{self, Experiment};
use crate::topology::NodeId;
use std::path::{Path, PathBuf};

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
            "\n# pcnsim plan eval {label}: topology.add_channel = {:?}, topology.scale_capacity = {:?}, strategy = {:?}\n",
            raw.topology.add_channel, raw.topology.scale_capacity, raw.strategy
        );
        let mut s = scenario::resolve(raw, &p.text, &p.source, &p.base_dir)?;
        let net_revenue = match &p.kind {
            Kind::Which {
                net_revenue: Some((name, rate, horizon)),
                ..
            } => {
                let topo = &s.topology;
                let id = (0..topo.node_count())
                    .find(|&i| &topo.node(NodeId(i as u32)).name == name)
                    .ok_or_else(|| {
                        PlanError::Refused(format!(
                            "the planned node {name} is not in evaluation {label}'s topology"
                        ))
                    })?;
                Some((id, *rate, *horizon))
            }
            _ => None,
        };
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
        let values: Vec<f64> = match net_revenue {
            None => runs.iter().map(|r| r.metric(&p.metric)).collect(),
            Some((node, rate, horizon)) => runs
                .iter()
                .map(|r| {
                    let path = self
                        .opts
                        .out
                        .join(label)
                        .join("runs")
                        .join(&r.name)
                        .join("nodes.csv");
                    node_net_revenue(&path, node, rate, horizon)
                })
                .collect::<Result<_, _>>()?,
        };
        Ok(Eval {
            label: label.to_string(),
            capital_sat,
            summary: Summary::from_slice(&values),
            values,
        })
    }
}

/// `objective = "net_revenue"` for one run (sat): node `node`'s `revenue_sat − cost_sat`
/// from the run's `nodes.csv`, minus `rate × (capital_start_sat + capital_added_sat) ×
/// horizon_s / year` (its own capital, at `[metrics] capital_rate_per_year`, over the
/// measured period; a year of 365.25 days as in the engine).
fn node_net_revenue(path: &Path, node: usize, rate: f64, horizon_s: f64) -> Result<f64, PlanError> {
    let bad = |m: String| {
        PlanError::Experiment(ExperimentError::Report {
            dir: path.to_path_buf(),
            message: m,
        })
    };
    let mut rd = csv::Reader::from_path(path).map_err(|e| bad(e.to_string()))?;
    let head = rd.headers().map_err(|e| bad(e.to_string()))?.clone();
    let col = |k: &str| {
        head.iter()
            .position(|h| h == k)
            .ok_or_else(|| bad(format!("nodes.csv has no column {k}")))
    };
    let (rev, cost, cap, add) = (
        col("revenue_sat")?,
        col("cost_sat")?,
        col("capital_start_sat")?,
        col("capital_added_sat")?,
    );
    let row = rd
        .records()
        .nth(node)
        .ok_or_else(|| bad(format!("nodes.csv has no row for node {node}")))?
        .map_err(|e| bad(e.to_string()))?;
    let num = |i: usize| -> Result<f64, PlanError> {
        let v = row.get(i).unwrap_or("");
        if v.is_empty() {
            return Ok(0.0);
        }
        v.parse::<f64>()
            .map_err(|_| bad(format!("nodes.csv: `{v}` is not a number")))
    };
    const YEAR_S: f64 = 365.25 * 86_400.0;
    Ok(num(rev)? - num(cost)? - rate * (num(cap)? + num(add)?) * horizon_s / YEAR_S)
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
        Kind::HowMuch { .. } => how_much::how_much(&mut runner)?,
        Kind::Which { .. } => which::which(&mut runner)?,
    };
    std::fs::create_dir_all(dir.join("charts"))
        .map_err(output::io_err(&dir, "create the folder"))
        .map_err(ExperimentError::from)?;
    let csv = report::plan_csv(&rows);
    output::write_via_temp(&dir.join("plan.csv"), csv.as_bytes()).map_err(ExperimentError::from)?;
    report::draw_tradeoff(&dir, plan, &rows)?;
    Ok(PlanOutcome {
        dir,
        rows,
        recommendation,
        runs_total: runner.total,
        runs_reused: runner.reused,
    })
}

fn fmt(f: f64) -> String {
    let s = format!("{f:.6}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests;
