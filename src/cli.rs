//! The command line: parse flags, build a validated plan, run it, report.
//!
//! `pcnsim run [SCENARIO]`, `pcnsim validate SCENARIO`. Errors come back as
//! `anyhow::Error` to `main`, which prints them and exits non-zero.

use crate::experiment::{self, RunPlan};
use crate::output::{self, CsvRecorder, StoredRun};
use crate::scenario::Scenario;
use crate::sweep::{self, Experiment};
use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

#[derive(Parser, Debug)]
#[command(
    name = "pcnsim",
    version,
    about = "Discrete-event simulator of payment channel networks and their rebalancing strategies"
)]
pub struct Cli {
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Run a scenario (or the built-in default) and write results and charts.
    Run {
        /// Scenario file (TOML). Without it, the embedded default scenario runs.
        scenario: Option<PathBuf>,
        /// Results folder; the scenario's results go to OUT/<name>/.
        #[arg(long, default_value = "results")]
        out: PathBuf,
        /// Master seed (overrides the scenario's `seed`).
        #[arg(long)]
        seed: Option<u64>,
        /// Parallel runs (default: all cores).
        #[arg(long)]
        jobs: Option<usize>,
        /// No progress bar or summary table.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Redraw the charts and statistics of a results folder from its CSV/JSON files.
    Plot {
        /// A results folder (e.g. results/default).
        dir: PathBuf,
    },
    /// Check a scenario file (and the data it references) without running it.
    Validate { scenario: PathBuf },
}

/// Entry point used by `main`.
pub fn main_with(cli: Cli) -> Result<()> {
    match cli.cmd {
        Cmd::Run {
            scenario,
            out,
            seed,
            jobs,
            quiet,
        } => {
            if jobs == Some(0) {
                bail!("--jobs: expected at least 1");
            }
            let exp = sweep::load(scenario.as_deref(), seed)?;
            let dir = run_experiment(&exp, &out, jobs, quiet)?;
            if !quiet {
                eprintln!("results written to {}", dir.display());
            }
            Ok(())
        }
        Cmd::Plot { dir } => {
            let (runs, sweep) = load_results(&dir)?;
            write_report(&dir, &runs, &sweep)?;
            eprintln!("charts written to {}", dir.join("charts").display());
            Ok(())
        }
        Cmd::Validate { scenario } => {
            let exp = sweep::load(Some(&scenario), None)?;
            let s = exp.base();
            println!(
                "{}: ok — {} nodes, {} channels, {} strateg{}, {} replication(s), {} sweep point(s)",
                scenario.display(),
                s.topology.node_count(),
                s.topology.channel_count(),
                s.strategies.len(),
                if s.strategies.len() == 1 { "y" } else { "ies" },
                s.raw.replications,
                exp.points.len()
            );
            Ok(())
        }
    }
}

/// FNV-1a over the scenario text, the effective seed and the version: identifies runs that
/// can be reused on resume.
pub fn fingerprint(s: &Scenario) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s
        .text
        .bytes()
        .chain(s.raw.seed.to_le_bytes())
        .chain(env!("CARGO_PKG_VERSION").bytes())
    {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    format!("{h:016x}")
}

/// Runs every planned run of `s` not already complete in the results folder, in parallel,
/// then writes the aggregate files. Returns the results folder.
pub fn run_experiment(
    exp: &Experiment,
    out: &Path,
    jobs: Option<usize>,
    quiet: bool,
) -> Result<PathBuf> {
    let s = exp.base();
    let dir = out.join(&s.raw.name);
    std::fs::create_dir_all(dir.join("runs"))
        .with_context(|| format!("cannot create {}", dir.display()))?;
    let fp = fingerprint(s);
    let mut plan = Vec::new();
    for (i, p) in exp.points.iter().enumerate() {
        let more = experiment::plan_point(&p.scenario, i, plan.len());
        plan.extend(more);
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.unwrap_or(0))
        .build()?;
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(plan.len() as u64 * 1000)
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {percent}% ETA {eta} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(format!("{} runs", plan.len()));
    let results: Vec<Result<StoredRun>> = pool.install(|| {
        plan.par_iter()
            .map(|p| {
                if let Some(done) = output::load_run(&dir, p, &fp) {
                    bar.inc(1000);
                    return Ok(done);
                }
                run_one(&exp.points[p.point].scenario, &dir, p, &fp, &bar)
            })
            .collect()
    });
    bar.finish_and_clear();
    let runs: Vec<StoredRun> = results.into_iter().collect::<Result<_>>()?;
    write_aggregates(exp, &dir, &runs, &fp)?;
    if !quiet {
        print_table(&runs);
    }
    Ok(dir)
}

fn run_one(
    s: &Scenario,
    dir: &Path,
    p: &RunPlan,
    fp: &str,
    bar: &ProgressBar,
) -> Result<StoredRun> {
    let final_dir = output::run_dir(dir, p);
    let tmp = final_dir.with_extension("tmp");
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).ok();
    }
    std::fs::create_dir_all(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    let payments = s.raw.metrics.payments_csv.then(|| tmp.join("payments.csv"));
    let done = Mutex::new(0u64);
    let b = bar.clone();
    let progress = Box::new(move |f: f64| {
        let units = (f.clamp(0.0, 1.0) * 1000.0) as u64;
        if let Ok(mut d) = done.lock() {
            if units > *d {
                b.inc(units - *d);
                *d = units;
            }
        }
    });
    let mut rec = CsvRecorder::new(payments.as_deref(), Some(progress))?;
    let result = experiment::execute(s, p, &mut rec)
        .map_err(|e| anyhow::anyhow!("simulator bug in run {}: {e}", p.name))?;
    let windows = rec.finish()?;
    std::fs::write(
        tmp.join("nodes.csv"),
        output::nodes_csv(&s.topology, &result)?,
    )?;
    let stored = StoredRun::new(p, fp, &result, &windows);
    output::commit_run_dir(&tmp, &final_dir, &stored)?;
    Ok(stored)
}

fn write_aggregates(exp: &Experiment, dir: &Path, runs: &[StoredRun], fp: &str) -> Result<()> {
    let s = exp.base();
    output::write_atomic(
        &dir.join("summary.csv"),
        &output::summary_csv(runs, &exp.columns())?,
    )?;
    output::write_atomic(&dir.join("timeseries.csv"), &output::timeseries_csv(runs)?)?;
    let manifest = serde_json::json!({
        "scenario": s.raw.name,
        "description": s.raw.description,
        "source": s.source,
        "seed": s.raw.seed,
        "replications": s.raw.replications,
        "sweep": exp.columns(),
        "strategies": s.strategies.iter().map(|x| x.label.clone()).collect::<Vec<_>>(),
        "runs": runs.iter().map(|r| serde_json::json!({"name": r.name, "seed": r.seed})).collect::<Vec<_>>(),
        "pcnsim_version": env!("CARGO_PKG_VERSION"),
        "fingerprint": fp,
        "nodes": s.topology.node_count(),
        "channels": s.topology.channel_count(),
        "scenario_text": s.text,
    });
    output::write_atomic(
        &dir.join("manifest.json"),
        serde_json::to_string_pretty(&manifest)?.as_bytes(),
    )?;
    // After the manifest: report.html shows it.
    write_report(dir, runs, &exp.columns())?;
    Ok(())
}

/// Prints the short summary table (means over replications).
fn print_table(runs: &[StoredRun]) {
    let mut labels: Vec<&str> = Vec::new();
    for r in runs {
        if !labels.contains(&r.strategy.as_str()) {
            labels.push(&r.strategy);
        }
    }
    println!(
        "{:<14} {:>9} {:>9} {:>9} {:>11} {:>11} {:>9} {:>9}",
        "strategy", "payments", "success", "volume", "fees sat", "cost sat", "depleted", "gini"
    );
    for l in labels {
        let rs: Vec<&StoredRun> = runs.iter().filter(|r| r.strategy == l).collect();
        let mean = |m: &str| rs.iter().map(|r| r.metric(m)).sum::<f64>() / rs.len() as f64;
        println!(
            "{:<14} {:>9.0} {:>8.1}% {:>8.1}% {:>11.0} {:>11.0} {:>8.1}% {:>9.3}",
            l,
            mean("payments"),
            100.0 * mean("success_ratio"),
            100.0 * mean("volume_success_ratio"),
            mean("fees_paid_sat"),
            mean("total_cost_sat"),
            100.0 * mean("depleted_share_end"),
            mean("node_gini_end"),
        );
    }
}

/// Writes `stats.csv` and the charts of a results folder.
pub fn write_report(dir: &Path, runs: &[StoredRun], sweep: &[(String, Vec<String>)]) -> Result<()> {
    use crate::report::experiment as rep;
    output::write_atomic(&dir.join("stats.csv"), &rep::stats_csv(runs, sweep)?)?;
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
    rep::draw_all(dir, runs, sweep, &lat)?;
    // report.html (tables, charts, scenario, provenance) from the manifest written beside.
    let manifest: serde_json::Value = std::fs::read_to_string(dir.join("manifest.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(serde_json::Value::Null);
    crate::report::html::write_report_html(dir, runs, sweep, &manifest)?;
    Ok(())
}

/// Sweep columns: (swept key, value per point).
pub type SweepColumns = Vec<(String, Vec<String>)>;

/// Loads the runs of a results folder in manifest order, with its sweep columns.
pub fn load_results(dir: &Path) -> Result<(Vec<StoredRun>, SweepColumns)> {
    let mpath = dir.join("manifest.json");
    let text = std::fs::read_to_string(&mpath).with_context(|| {
        format!(
            "{}: cannot read (is this a pcnsim results folder?)",
            mpath.display()
        )
    })?;
    let m: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{}: not valid JSON", mpath.display()))?;
    let sweep: Vec<(String, Vec<String>)> =
        serde_json::from_value(m["sweep"].clone()).unwrap_or_default();
    let names = m["runs"]
        .as_array()
        .with_context(|| format!("{}: field `runs` missing", mpath.display()))?;
    let mut runs = Vec::new();
    for n in names {
        let name = n["name"]
            .as_str()
            .with_context(|| format!("{}: field `runs[].name` missing", mpath.display()))?;
        let p = dir.join("runs").join(name).join("run.json");
        let t =
            std::fs::read_to_string(&p).with_context(|| format!("{}: cannot read", p.display()))?;
        runs.push(
            serde_json::from_str::<StoredRun>(&t)
                .with_context(|| format!("{}: not a valid run record", p.display()))?,
        );
    }
    Ok((runs, sweep))
}
