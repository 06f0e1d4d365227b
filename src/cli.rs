//! The command line (binary only): parse flags, load and validate the experiment, run it
//! through the library, report on the terminal. Errors come back as `anyhow::Error` to
//! `main`, which prints them and exits non-zero.

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use pcnsim::experiment::{self, Progress, Provenance, RunOptions, Shard};
use pcnsim::output::StoredRun;
use pcnsim::slurm::{self, SlurmOptions};
use pcnsim::sweep;
use std::path::PathBuf;
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
        /// Run only shard K of N (K from 0, e.g. a Slurm array task id): its run folders,
        /// no aggregate files; `pcnsim assemble` writes those once every shard is done.
        #[arg(long, value_name = "K/N")]
        shard: Option<Shard>,
    },
    /// Check that every run of a sharded experiment is in OUT/<name>/ and matches the
    /// scenario, then write summary, stats, timeseries, charts, report.html and manifest.
    Assemble {
        /// The scenario file the shards ran.
        scenario: PathBuf,
        /// Results folder, as given to the shards.
        #[arg(long, default_value = "results")]
        out: PathBuf,
        /// Master seed, as given to the shards.
        #[arg(long)]
        seed: Option<u64>,
        /// The N of the shards' `--shard K/N`, to name the shard of each missing run.
        #[arg(long)]
        shards: Option<usize>,
    },
    /// Write Slurm scripts for a sharded run into OUT/<name>/slurm/ (submit with submit.sh).
    Slurm {
        scenario: PathBuf,
        /// Array tasks (shards).
        #[arg(long, default_value_t = 4)]
        shards: usize,
        /// CPUs per task (each shard's --jobs).
        #[arg(long, default_value_t = 1)]
        cpus_per_task: usize,
        /// Time limit per job (Slurm format, e.g. 2:00:00 or 1-0).
        #[arg(long)]
        time: Option<String>,
        #[arg(long)]
        partition: Option<String>,
        #[arg(long)]
        account: Option<String>,
        /// Memory per job (Slurm format, e.g. 4G).
        #[arg(long)]
        mem: Option<String>,
        /// Results folder of the jobs; scripts go to OUT/<name>/slurm/.
        #[arg(long, default_value = "results")]
        out: PathBuf,
        /// Master seed (overrides the scenario's `seed`).
        #[arg(long)]
        seed: Option<u64>,
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
            shard,
        } => {
            if jobs == Some(0) {
                bail!("--jobs: expected at least 1");
            }
            let exp = sweep::load(scenario.as_deref(), seed)?;
            let bar = Bar::new(quiet);
            let opts = RunOptions { out, jobs };
            if let Some(shard) = shard {
                let o = experiment::run_shard(&exp, &opts, shard, &provenance(), &bar)?;
                if !quiet {
                    eprintln!(
                        "shard {shard}: {} run(s) ({} computed, {} reused) in {}; provenance in {}",
                        o.runs.len(),
                        o.computed,
                        o.reused,
                        o.dir.display(),
                        o.provenance.display()
                    );
                }
                return Ok(());
            }
            let outcome = experiment::run_experiment(&exp, &opts, &bar)?;
            if !quiet {
                print_table(&outcome.runs, &outcome.sweep);
                eprintln!("results written to {}", outcome.dir.display());
            }
            Ok(())
        }
        Cmd::Assemble {
            scenario,
            out,
            seed,
            shards,
        } => {
            if shards == Some(0) {
                bail!("--shards: expected at least 1");
            }
            let exp = sweep::load(Some(&scenario), seed)?;
            let o = experiment::assemble(&exp, &out, shards)?;
            eprintln!("{} runs assembled in {}", o.runs.len(), o.dir.display());
            Ok(())
        }
        Cmd::Slurm {
            scenario,
            shards,
            cpus_per_task,
            time,
            partition,
            account,
            mem,
            out,
            seed,
        } => {
            let exp = sweep::load(Some(&scenario), seed)?;
            let opts = SlurmOptions {
                bin: std::env::current_exe()
                    .and_then(|p| p.canonicalize())
                    .context("cannot find the path of the pcnsim binary")?,
                workdir: std::env::current_dir().context("cannot read the working directory")?,
                scenario,
                out,
                seed,
                shards,
                cpus_per_task,
                time,
                partition,
                account,
                mem,
            };
            let files = slurm::scripts(&exp, &opts)?;
            let dir = slurm::slurm_dir(&opts.out, &exp.base().name);
            slurm::write_scripts(&dir, &files)?;
            println!(
                "Slurm scripts for {} shard(s) written to {}; submit with: bash {}",
                shards,
                dir.display(),
                dir.join("submit.sh").display()
            );
            Ok(())
        }
        Cmd::Plot { dir } => {
            experiment::replot(&dir)?;
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
                s.replications,
                exp.points.len()
            );
            Ok(())
        }
    }
}

/// Who runs this shard, where and when (for `provenance-shard-K-of-N.json`).
fn provenance() -> Provenance {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    let extra = [
        "SLURM_JOB_ID",
        "SLURM_ARRAY_JOB_ID",
        "SLURM_ARRAY_TASK_ID",
        "SLURM_CLUSTER_NAME",
        "SLURM_JOB_PARTITION",
    ]
    .iter()
    .filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v)))
    .collect();
    Provenance {
        command: std::env::args().collect(),
        host,
        started: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        extra,
    }
}

/// The progress bar: 1000 units per run.
struct Bar {
    bar: ProgressBar,
    /// Units reported so far per run.
    done: Mutex<Vec<u64>>,
}

impl Bar {
    fn new(quiet: bool) -> Self {
        let bar = if quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::new(0)
        };
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {percent}% ETA {eta} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Bar {
            bar,
            done: Mutex::new(Vec::new()),
        }
    }
}

impl Progress for Bar {
    fn start(&self, runs: usize, _reused: usize) {
        self.bar.set_length(runs as u64 * 1000);
        self.bar.set_message(format!("{runs} runs"));
        if let Ok(mut d) = self.done.lock() {
            *d = vec![0; runs];
        }
    }
    fn run_progress(&self, index: usize, fraction: f64) {
        let units = (fraction.clamp(0.0, 1.0) * 1000.0) as u64;
        if let Ok(mut d) = self.done.lock() {
            if let Some(x) = d.get_mut(index) {
                if units > *x {
                    self.bar.inc(units - *x);
                    *x = units;
                }
            }
        }
    }
    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// Prints the short summary table: means over replications, per sweep point and strategy.
fn print_table(runs: &[StoredRun], sweep: &[(String, Vec<String>)]) {
    let mut groups: Vec<(usize, &str)> = Vec::new();
    for r in runs {
        if !groups.contains(&(r.point, r.strategy.as_str())) {
            groups.push((r.point, &r.strategy));
        }
    }
    let w = groups
        .iter()
        .map(|(_, l)| l.chars().count())
        .max()
        .unwrap_or(8)
        .max(8);
    let mut last_point = usize::MAX;
    for (point, label) in groups {
        if point != last_point {
            last_point = point;
            if !sweep.is_empty() {
                let at: Vec<String> = sweep
                    .iter()
                    .map(|(k, v)| format!("{k} = {}", v.get(point).map_or("?", |s| s)))
                    .collect();
                println!("\npoint {point}: {}", at.join(", "));
            }
            println!(
                "{:<w$} {:>5} {:>9} {:>9} {:>9} {:>11} {:>11} {:>9} {:>9}",
                "strategy",
                "reps",
                "payments",
                "success",
                "volume",
                "fees sat",
                "cost sat",
                "depleted",
                "gini"
            );
        }
        let rs: Vec<&StoredRun> = runs
            .iter()
            .filter(|r| r.point == point && r.strategy == label)
            .collect();
        let mean = |m: &str| rs.iter().map(|r| r.metric(m)).sum::<f64>() / rs.len() as f64;
        println!(
            "{:<w$} {:>5} {:>9.0} {:>8.1}% {:>8.1}% {:>11.0} {:>11.0} {:>8.1}% {:>9.3}",
            label,
            rs.len(),
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
