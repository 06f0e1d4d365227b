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
//!
//! Across machines: [`run_shard`] computes one [`Shard`] of the plan (its run folders and a
//! provenance file, no aggregates) and [`assemble`] writes the aggregates once every shard
//! is done, byte-identical to [`run_experiment`].

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

mod shard;
use shard::list_problems;
pub use shard::*;

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
    let mut workload = Workload::new(&s.workload, topo, rng::stream(run.seed, "workload"))
        .with_flows(&s.flows, run.seed);
    if let Some(cs) = &s.params.chains {
        if let Some(share) = cs.cross.as_ref().and_then(|c| c.payment_share) {
            workload = workload.with_cross_share(&cs.home, share, run.seed);
        }
    }
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
    /// Run `index` (0-based, in plan order among the runs this command covers: all of
    /// them, or a shard's) has done `fraction` (0..=1) of its work.
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
    /// Skip `stats.csv`, the charts and `report.html` (plan evaluations: many small
    /// experiments; `pcnsim plot` draws them later).
    pub skip_report: bool,
    /// Recompute every run, even those stored with a matching fingerprint.
    pub fresh: bool,
}

/// What [`run_experiment`] did.
pub struct Outcome {
    /// The results folder.
    pub dir: PathBuf,
    /// Every run, in plan order.
    pub runs: Vec<StoredRun>,
    /// How many of them were reused from an earlier, identical experiment (same
    /// fingerprint and seed; 0 with `fresh`).
    pub reused: usize,
    /// The experiment's fingerprint (see [`output::fingerprint`]).
    pub fingerprint: String,
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
    /// `assemble` found planned runs missing from the results folder or not matching the
    /// experiment (another scenario text, seed or pcnsim build). Nothing was written:
    /// compute the listed runs (re-submit their shards) and assemble again.
    #[error("{}: cannot assemble: {} of {planned} planned runs missing or not matching:\n{}", dir.display(), problems.len(), list_problems(problems))]
    Incomplete {
        dir: PathBuf,
        planned: usize,
        problems: Vec<RunProblem>,
    },
    /// Statistics or charts could not be written.
    #[error("{}: {message}", dir.display())]
    Report { dir: PathBuf, message: String },
}

/// Runs every planned run of `exp` not already complete in the results folder, in parallel,
/// then writes the aggregate files. Results go to `opts.out/<name>/`.
///
/// Before anything is written, every name that becomes a path (the scenario name, each
/// run folder's name, hence each strategy label) is checked ([`output::child`]) and the
/// output folder is made canonical. The results folder is locked for this experiment's
/// fingerprint ([`output::lock_experiment`]): a process running another experiment there
/// is refused; processes running the same one share it. A stored run is reused only when
/// its fingerprint and seed match (never with `opts.fresh`).
pub fn run_experiment(
    exp: &Experiment,
    opts: &RunOptions,
    progress: &dyn Progress,
) -> Result<Outcome, ExperimentError> {
    let (dir, fp, _lock) = open_results_dir(exp, &opts.out)?;
    let plan = plan(exp);
    let all: Vec<usize> = (0..plan.len()).collect();
    let (runs, reused) = run_selected(exp, &dir, &plan, &all, &fp.digest, opts, progress)?;
    let sweep = exp.columns();
    write_aggregates(exp, &dir, &runs, &fp, opts.skip_report)?;
    Ok(Outcome {
        dir,
        runs,
        reused,
        fingerprint: fp.digest,
        sweep,
    })
}

/// Who ran a shard, where and when: written to `provenance-shard-K-of-N.json` next to the
/// results. The only file of an experiment allowed to differ between two runs of it; it
/// is not in `manifest.json`, which stays deterministic.
#[derive(Debug, Clone, Default)]
pub struct Provenance {
    /// The command line, one argument per element.
    pub command: Vec<String>,
    pub host: String,
    /// Start time, RFC 3339 UTC.
    pub started: String,
    /// Extra `(key, value)` pairs (e.g. the Slurm job and array task ids).
    pub extra: Vec<(String, String)>,
}

/// Checks every name that becomes a path, makes `out` canonical, creates
/// `out/<name>/runs/`, takes the folder's lock and returns the results folder with the
/// experiment's fingerprint and the lock guard. Every command that writes into a results
/// folder (`run`, `run --shard`, `assemble`) comes through here: the lock
/// (`.pcnsim.lock`) is shared by processes of the same experiment (same fingerprint: the
/// shards of one study) and refused to a different one; the fingerprint is the one runs
/// are compared against ([`output::check_run`]).
fn open_results_dir(
    exp: &Experiment,
    out: &Path,
) -> Result<(PathBuf, output::Fingerprint, output::ExperimentLock), ExperimentError> {
    let s = exp.base();
    // Names first: a bad one must fail before anything is created.
    output::child(out, &s.name)?;
    for p in &plan(exp) {
        output::child(Path::new("runs"), &p.name)?;
    }
    let points: Vec<&Scenario> = exp.points.iter().map(|p| &p.scenario).collect();
    let fp = output::fingerprint(&points)?;
    let out = output::prepare_out(out)?;
    let dir = output::child(&out, &s.name)?;
    let lock = output::lock_experiment(&dir, &fp.digest)?;
    let runs_dir = dir.join("runs");
    std::fs::create_dir_all(&runs_dir).map_err(output::io_err(&runs_dir, "create the folder"))?;
    Ok((dir, fp, lock))
}

/// Runs the plan indices `selected` (plan order) not already complete, in parallel on
/// `jobs` threads; returns their stored runs in the same order and how many were reused.
fn run_selected(
    exp: &Experiment,
    dir: &Path,
    plan: &[RunPlan],
    selected: &[usize],
    fp: &str,
    opts: &RunOptions,
    progress: &dyn Progress,
) -> Result<(Vec<StoredRun>, usize), ExperimentError> {
    let (jobs, fresh) = (opts.jobs, opts.fresh);
    let todo: Vec<&RunPlan> = selected.iter().map(|&i| &plan[i]).collect();
    let runs_dir = dir.join("runs");
    let finals: Vec<PathBuf> = todo
        .iter()
        .map(|p| output::child(&runs_dir, &p.name))
        .collect::<Result<_, _>>()?;
    let done: Vec<Option<StoredRun>> = todo
        .iter()
        .map(|p| {
            (!fresh)
                .then(|| output::check_run(dir, p.id(), fp).ok())
                .flatten()
        })
        .collect();
    let reused = done.iter().filter(|d| d.is_some()).count();
    // Progress is indexed by position in `todo`, so a shard's bar has its own runs only.
    let positions: Vec<usize> = (0..todo.len()).collect();
    progress.start(todo.len(), reused);
    let jobs = jobs.unwrap_or(0);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| ExperimentError::Threads {
            jobs,
            message: e.to_string(),
        })?;
    let results: Vec<Result<StoredRun, ExperimentError>> = pool.install(|| {
        todo.par_iter()
            .zip(positions)
            .zip(done)
            .zip(&finals)
            .map(|(((p, pos), done), final_dir)| match done {
                Some(d) => {
                    progress.run_progress(pos, 1.0);
                    Ok(d)
                }
                None => run_one(
                    &exp.points[p.point].scenario,
                    final_dir,
                    p,
                    pos,
                    fp,
                    progress,
                ),
            })
            .collect()
    });
    progress.finish();
    let runs: Vec<StoredRun> = results.into_iter().collect::<Result<_, _>>()?;
    Ok((runs, reused))
}

fn run_one(
    s: &Scenario,
    final_dir: &Path,
    p: &RunPlan,
    index: usize,
    fp: &str,
    progress: &dyn Progress,
) -> Result<StoredRun, ExperimentError> {
    // Unique to this process and run: labels `jit-1.5` and `jit-1.2` do not share it, and
    // another process of the same experiment has its own.
    let tmp = output::temp_path(final_dir, None);
    std::fs::create_dir_all(&tmp).map_err(output::io_err(&tmp, "create the folder"))?;
    let result = fill_run_dir(s, &tmp, p, index, fp, progress).and_then(|stored| {
        output::commit_run_dir(&tmp, final_dir, &stored)
            .map(|()| stored)
            .map_err(Into::into)
    });
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    let stored = result?;
    progress.run_progress(index, 1.0);
    Ok(stored)
}

/// Runs `p` and writes its files (but not `run.json`) into the temporary folder `tmp`.
fn fill_run_dir(
    s: &Scenario,
    tmp: &Path,
    p: &RunPlan,
    index: usize,
    fp: &str,
    progress: &dyn Progress,
) -> Result<StoredRun, ExperimentError> {
    let payments = s.payments_csv.then(|| tmp.join("payments.csv"));
    let report = move |f: f64| progress.run_progress(index, f);
    let mut rec = CsvRecorder::new(payments.as_deref(), Some(Box::new(report)))?
        .with_flows(s.flows.iter().map(|f| f.name.clone()).collect());
    if s.params.probes.is_some() {
        rec = rec.with_probes(&tmp.join("probes.csv"))?;
    }
    let result = execute(s, p, &mut rec).map_err(|source| ExperimentError::Simulation {
        run: p.name.clone(),
        source,
    })?;
    let windows = rec.finish()?;
    if s.nodes_csv {
        let nodes = tmp.join("nodes.csv");
        output::write_via_temp(
            &nodes,
            &output::csv_bytes(&nodes, output::nodes_csv(&s.topology, &result))?,
        )?;
    }
    if s.channels_csv {
        let channels = tmp.join("channels.csv");
        output::write_via_temp(
            &channels,
            &output::csv_bytes(&channels, output::channels_csv(&result))?,
        )?;
    }
    Ok(StoredRun::new(p.id(), fp, &result, &windows))
}

fn write_aggregates(
    exp: &Experiment,
    dir: &Path,
    runs: &[StoredRun],
    fp: &output::Fingerprint,
    skip_report: bool,
) -> Result<(), ExperimentError> {
    let s = exp.base();
    let columns = exp.columns();
    let summary = dir.join("summary.csv");
    output::write_via_temp(
        &summary,
        &output::csv_bytes(&summary, output::summary_csv(runs, &columns))?,
    )?;
    let ts = dir.join("timeseries.csv");
    output::write_via_temp(&ts, &output::csv_bytes(&ts, output::timeseries_csv(runs))?)?;
    if let Some(bytes) = output::probe_timeseries_csv(runs) {
        let pts = dir.join("probe_timeseries.csv");
        output::write_via_temp(&pts, &output::csv_bytes(&pts, bytes)?)?;
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
        "pcnsim_version": output::VERSION,
        "build_hash": output::BUILD_HASH,
        "git_commit": output::GIT_COMMIT,
        "fingerprint": fp.digest,
        "inputs": fp.inputs.iter().map(|(p, h)| serde_json::json!({"path": p.display().to_string(), "sha256": h})).collect::<Vec<_>>(),
        "nodes": s.topology.node_count(),
        "channels": s.topology.channel_count(),
        "scenario_text": s.text,
        "resolved_scenario": s.resolved,
        "baseline": crate::report::experiment::baseline(runs),
    });
    let mpath = dir.join("manifest.json");
    let bytes = serde_json::to_string_pretty(&manifest).map_err(|e| OutputError::Encode {
        path: mpath.clone(),
        message: e.to_string(),
    })?;
    output::write_via_temp(&mpath, bytes.as_bytes())?;
    // After the manifest: report.html shows it.
    if !skip_report {
        write_report(dir, runs, &columns)?;
    }
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
    output::write_via_temp(&dir.join("stats.csv"), &stats)?;
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
///
/// Takes the folder's lock for the fingerprint in its manifest, so it waits for nothing
/// but is refused while another experiment is being written there.
pub fn replot(dir: &Path) -> Result<(), ExperimentError> {
    let (runs, sweep) = output::load_results(dir)?;
    let dir = &std::fs::canonicalize(dir).map_err(output::io_err(dir, "resolve the folder"))?;
    let mpath = dir.join("manifest.json");
    let manifest: serde_json::Value = std::fs::read_to_string(&mpath)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    let fp = manifest["fingerprint"].as_str().unwrap_or_default();
    let _lock = output::lock_experiment(dir, fp)?;
    write_report(dir, &runs, &sweep)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A plan of `points` × `reps` × `strategies` runs (seeds and labels do not matter).
    fn fake_plan(points: usize, reps: u32, strategies: usize) -> Vec<RunPlan> {
        let mut out = Vec::new();
        for point in 0..points {
            for replication in 0..reps {
                for strategy in 0..strategies {
                    out.push(RunPlan {
                        index: out.len(),
                        point,
                        strategy,
                        replication,
                        seed: replication as u64,
                        label: format!("s{strategy}"),
                        name: format!("p{point}-s{strategy}-r{replication}"),
                    });
                }
            }
        }
        out
    }

    #[test]
    fn shard_parses_k_of_n_and_refuses_the_rest() {
        assert_eq!("0/1".parse::<Shard>(), Ok(Shard { index: 0, count: 1 }));
        assert_eq!("3/4".parse::<Shard>(), Ok(Shard { index: 3, count: 4 }));
        for (bad, why) in [
            ("4/4", "K must be less than N"),
            ("0/0", "N must be at least 1"),
            ("1", "expected K/N"),
            ("-1/4", "K `-1`"),
            ("a/4", "K `a`"),
            ("1/x", "N `x`"),
        ] {
            let e = bad.parse::<Shard>().expect_err(bad).to_string();
            assert!(e.contains(why) && e.contains(bad), "{bad}: {e}");
        }
    }

    #[test]
    fn shards_get_whole_replication_groups_round_robin() {
        // 2 points × 3 replications × 3 strategies: groups in plan order
        // (p0,r0) (p0,r1) (p0,r2) (p1,r0) (p1,r1) (p1,r2) → shards 0 1 0 1 0 1.
        let plan = fake_plan(2, 3, 3);
        let a = shard_assignment(&plan, 2);
        let want: Vec<usize> = [0, 1, 0, 1, 0, 1].iter().flat_map(|&s| [s, s, s]).collect();
        assert_eq!(a, want);
        // Every strategy of a group lands on one shard, each shard has every strategy.
        for k in 0..2 {
            let mine = shard_runs(&plan, Shard::new(k, 2).unwrap());
            assert_eq!(mine.len(), 9);
            for s in 0..3 {
                assert_eq!(mine.iter().filter(|&&i| plan[i].strategy == s).count(), 3);
            }
        }
    }

    #[test]
    fn fewer_groups_than_shards_deals_runs_one_by_one() {
        // 1 point × 1 replication × 5 strategies, 3 shards: runs 0..5 → 0 1 2 0 1.
        let plan = fake_plan(1, 1, 5);
        assert_eq!(shard_assignment(&plan, 3), [0, 1, 2, 0, 1]);
    }

    #[test]
    fn shards_partition_the_plan() {
        for (points, reps, strategies) in [(1, 1, 1), (3, 2, 4), (1, 7, 2), (2, 1, 3)] {
            let plan = fake_plan(points, reps, strategies);
            for n in 1..=plan.len() + 2 {
                let mut seen = vec![0; plan.len()];
                for k in 0..n {
                    for i in shard_runs(&plan, Shard::new(k, n).unwrap()) {
                        seen[i] += 1;
                    }
                }
                assert!(
                    seen.iter().all(|&c| c == 1),
                    "{points}×{reps}×{strategies} / {n}"
                );
            }
        }
    }
}
