//! Experiments: the plan of runs (sweep points × strategies × replications), their seeds,
//! running them in parallel, resuming, and assembling the aggregate files.
//!
//! Every run's seed comes from `(master seed, replication)` through a fixed mixer, so all
//! strategies at one replication see the same workload and the same participating nodes
//! (common random numbers): differences between strategies are paired. Runs are independent
//! and their outputs are assembled in plan order, so results are byte-identical whatever the
//! number of threads.
//!
//! [`execute`] is one run, a pure function with no I/O. [`run_experiment`] is the whole
//! experiment: it writes each run folder atomically (reusing complete ones on resume), then
//! `summary.csv`, `timeseries.csv`, `stats.csv`, the charts and `manifest.json`. It reports
//! progress through [`Progress`] and never prints.

use crate::engine::{Engine, InvariantViolation};
use crate::error::InputError;
use crate::metrics::{Recorder, RunResult};
use crate::output::{self, CsvRecorder, OutputError, RunId, StoredRun, SweepColumns};
use crate::rng;
use crate::scenario::Scenario;
use crate::sweep::Experiment;
use crate::workload::Workload;
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// One run of an experiment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunPlan {
    /// Position in the plan (output order).
    pub index: usize,
    /// Sweep point index (0 without a sweep).
    pub point: usize,
    /// Index into the scenario's strategies.
    pub strategy: usize,
    pub replication: u32,
    pub seed: u64,
    /// Strategy label.
    pub label: String,
    /// Folder name of the run: `p<point>-<label>-r<rep>`.
    pub name: String,
}

impl RunPlan {
    /// The run's identity as stored with its results.
    pub fn id(&self) -> RunId<'_> {
        RunId {
            name: &self.name,
            point: self.point,
            label: &self.label,
            replication: self.replication,
            seed: self.seed,
        }
    }
}

/// The runs of `scenario` at sweep point `point`, in a fixed order: for each replication,
/// each strategy.
pub fn plan_point(s: &Scenario, point: usize, first_index: usize) -> Vec<RunPlan> {
    let mut out = Vec::new();
    for rep in 0..s.replications {
        for (si, spec) in s.strategies.iter().enumerate() {
            out.push(RunPlan {
                index: first_index + out.len(),
                point,
                strategy: si,
                replication: rep,
                seed: rng::run_seed(s.seed, rep as u64),
                label: spec.label.clone(),
                name: format!("p{point:03}-{}-r{rep:03}", spec.label),
            });
        }
    }
    out
}

/// Every run of an experiment, in plan order.
pub fn plan(exp: &Experiment) -> Vec<RunPlan> {
    let mut plan = Vec::new();
    for (i, p) in exp.points.iter().enumerate() {
        let more = plan_point(&p.scenario, i, plan.len());
        plan.extend(more);
    }
    plan
}

/// Runs one planned run of `s`, streaming records to `rec`. Pure computation: no I/O.
pub fn execute(
    s: &Scenario,
    run: &RunPlan,
    rec: &mut dyn Recorder,
) -> Result<RunResult, InvariantViolation> {
    let topo = &*s.topology;
    let mut prng = rng::stream(run.seed, "participation");
    let spec = &s.strategies[run.strategy];
    let participates = spec.participation.resolve(topo, &mut prng);
    let strategy = spec.build(topo, &participates);
    let workload = Workload::new(&s.workload, topo, rng::stream(run.seed, "workload"));
    Engine::new(
        topo,
        s.params.clone(),
        workload,
        strategy,
        participates,
        s.feerates.clone(),
        run.seed,
    )
    .run(rec)
}

/// Where an experiment's progress goes (a progress bar, a log, nowhere). Called from
/// worker threads.
pub trait Progress: Sync {
    /// The experiment has `runs` runs, of which `reused` are complete already.
    fn start(&self, _runs: usize, _reused: usize) {}
    /// Run `index` (plan order) has done `fraction` (0..=1) of its work.
    fn run_progress(&self, _index: usize, _fraction: f64) {}
    /// Every run is done.
    fn finish(&self) {}
}

/// Reports nothing.
pub struct NoProgress;
impl Progress for NoProgress {}

/// How to run an experiment.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Results go to `out/<scenario name>/`.
    pub out: PathBuf,
    /// Parallel runs (`None`: all cores).
    pub jobs: Option<usize>,
}

/// What [`run_experiment`] did.
pub struct Outcome {
    /// The results folder.
    pub dir: PathBuf,
    /// Every run, in plan order.
    pub runs: Vec<StoredRun>,
    /// How many of them were reused from an earlier, identical experiment.
    pub reused: usize,
    pub sweep: SweepColumns,
}

/// Why an experiment could not complete.
#[derive(Debug, thiserror::Error)]
pub enum ExperimentError {
    /// Writing or reading results failed.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// A simulator bug: a run broke an invariant. Report it; the run's results are not
    /// written.
    #[error("simulator bug in run {run}: {source}")]
    Simulation {
        run: String,
        source: InvariantViolation,
    },
    /// Bad input (scenario or data files).
    #[error(transparent)]
    Input(#[from] InputError),
    /// The worker pool could not start.
    #[error("cannot start {jobs} worker threads: {message}")]
    Threads { jobs: usize, message: String },
    /// Statistics or charts could not be written.
    #[error("{}: {message}", dir.display())]
    Report { dir: PathBuf, message: String },
}

/// Runs every planned run of `exp` not already complete in the results folder, in parallel,
/// then writes the aggregate files. Results go to `opts.out/<name>/`.
pub fn run_experiment(
    exp: &Experiment,
    opts: &RunOptions,
    progress: &dyn Progress,
) -> Result<Outcome, ExperimentError> {
    let s = exp.base();
    let dir = opts.out.join(&s.name);
    let runs_dir = dir.join("runs");
    std::fs::create_dir_all(&runs_dir).map_err(output::io_err(&runs_dir, "create the folder"))?;
    let fp = output::fingerprint(s);
    let plan = plan(exp);
    let done: Vec<Option<StoredRun>> = plan
        .iter()
        .map(|p| output::load_run(&dir, &p.name, p.seed, &fp))
        .collect();
    let reused = done.iter().filter(|d| d.is_some()).count();
    progress.start(plan.len(), reused);
    let jobs = opts.jobs.unwrap_or(0);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| ExperimentError::Threads {
            jobs,
            message: e.to_string(),
        })?;
    let results: Vec<Result<StoredRun, ExperimentError>> = pool.install(|| {
        plan.par_iter()
            .zip(done)
            .map(|(p, done)| match done {
                Some(d) => {
                    progress.run_progress(p.index, 1.0);
                    Ok(d)
                }
                None => run_one(&exp.points[p.point].scenario, &dir, p, &fp, progress),
            })
            .collect()
    });
    progress.finish();
    let runs: Vec<StoredRun> = results.into_iter().collect::<Result<_, _>>()?;
    let sweep = exp.columns();
    write_aggregates(exp, &dir, &runs, &fp)?;
    Ok(Outcome {
        dir,
        runs,
        reused,
        sweep,
    })
}

fn run_one(
    s: &Scenario,
    dir: &Path,
    p: &RunPlan,
    fp: &str,
    progress: &dyn Progress,
) -> Result<StoredRun, ExperimentError> {
    let final_dir = output::run_dir(dir, &p.name);
    let tmp = final_dir.with_extension("tmp");
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).ok();
    }
    std::fs::create_dir_all(&tmp).map_err(output::io_err(&tmp, "create the folder"))?;
    let payments = s.payments_csv.then(|| tmp.join("payments.csv"));
    let index = p.index;
    let report = move |f: f64| progress.run_progress(index, f);
    let mut rec = CsvRecorder::new(payments.as_deref(), Some(Box::new(report)))?;
    if s.params.probes.is_some() {
        rec = rec.with_probes(&tmp.join("probes.csv"))?;
    }
    let result = execute(s, p, &mut rec).map_err(|source| ExperimentError::Simulation {
        run: p.name.clone(),
        source,
    })?;
    let windows = rec.finish()?;
    let nodes = tmp.join("nodes.csv");
    output::write_atomic(
        &nodes,
        &output::csv_bytes(&nodes, output::nodes_csv(&s.topology, &result))?,
    )?;
    if s.channels_csv {
        let channels = tmp.join("channels.csv");
        output::write_atomic(
            &channels,
            &output::csv_bytes(&channels, output::channels_csv(&result))?,
        )?;
    }
    let stored = StoredRun::new(p.id(), fp, &result, &windows);
    output::commit_run_dir(&tmp, &final_dir, &stored)?;
    progress.run_progress(index, 1.0);
    Ok(stored)
}

fn write_aggregates(
    exp: &Experiment,
    dir: &Path,
    runs: &[StoredRun],
    fp: &str,
) -> Result<(), ExperimentError> {
    let s = exp.base();
    let columns = exp.columns();
    let summary = dir.join("summary.csv");
    output::write_atomic(
        &summary,
        &output::csv_bytes(&summary, output::summary_csv(runs, &columns))?,
    )?;
    let ts = dir.join("timeseries.csv");
    output::write_atomic(&ts, &output::csv_bytes(&ts, output::timeseries_csv(runs))?)?;
    if let Some(bytes) = output::probe_timeseries_csv(runs) {
        let pts = dir.join("probe_timeseries.csv");
        output::write_atomic(&pts, &output::csv_bytes(&pts, bytes)?)?;
    }
    let manifest = serde_json::json!({
        "scenario": s.name,
        "description": s.description,
        "source": s.source,
        "seed": s.seed,
        "replications": s.replications,
        "sweep": columns,
        "strategies": s.strategies.iter().map(|x| x.label.clone()).collect::<Vec<_>>(),
        "runs": runs.iter().map(|r| serde_json::json!({"name": r.name, "seed": r.seed})).collect::<Vec<_>>(),
        "pcnsim_version": env!("CARGO_PKG_VERSION"),
        "fingerprint": fp,
        "nodes": s.topology.node_count(),
        "channels": s.topology.channel_count(),
        "scenario_text": s.text,
    });
    let mpath = dir.join("manifest.json");
    let bytes = serde_json::to_string_pretty(&manifest).map_err(|e| OutputError::Encode {
        path: mpath.clone(),
        message: e.to_string(),
    })?;
    output::write_atomic(&mpath, bytes.as_bytes())?;
    // After the manifest: report.html shows it.
    write_report(dir, runs, &columns)?;
    #[cfg(feature = "parquet")]
    if s.parquet {
        crate::report::parquet::write_parquet(dir, runs, &columns).map_err(|e| {
            ExperimentError::Report {
                dir: dir.to_path_buf(),
                message: e.to_string(),
            }
        })?;
    }
    Ok(())
}

/// Writes `stats.csv` and the charts of a results folder from its stored runs.
pub fn write_report(
    dir: &Path,
    runs: &[StoredRun],
    sweep: &[(String, Vec<String>)],
) -> Result<(), ExperimentError> {
    use crate::report::experiment as rep;
    let report_err = |e: crate::report::ReportError| ExperimentError::Report {
        dir: dir.to_path_buf(),
        message: e.to_string(),
    };
    let stats = rep::stats_csv(runs, sweep).map_err(report_err)?;
    output::write_atomic(&dir.join("stats.csv"), &stats)?;
    let lat: Vec<(String, Vec<f64>)> = rep::labels(runs)
        .into_iter()
        .filter_map(|l| {
            let r = runs
                .iter()
                .find(|r| r.point == 0 && r.replication == 0 && r.strategy == l)?;
            let v = rep::read_latencies(&dir.join("runs").join(&r.name).join("payments.csv"))?;
            Some((l, v))
        })
        .collect();
    rep::draw_all(dir, runs, sweep, &lat).map_err(report_err)?;
    // report.html (tables, charts, scenario, provenance) from the manifest written beside.
    let manifest: serde_json::Value = std::fs::read_to_string(dir.join("manifest.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(serde_json::Value::Null);
    crate::report::html::write_report_html(dir, runs, sweep, &manifest).map_err(report_err)?;
    Ok(())
}

/// Redraws `stats.csv` and the charts of a results folder (`pcnsim plot`).
pub fn replot(dir: &Path) -> Result<(), ExperimentError> {
    let (runs, sweep) = output::load_results(dir)?;
    write_report(dir, &runs, &sweep)
}
