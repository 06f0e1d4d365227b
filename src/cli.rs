//! The command line (binary only): parse flags, load and validate the experiment, run it
//! through the library, report on the terminal. Errors come back as `anyhow::Error` to
//! `main`, which prints them and exits non-zero.

use anyhow::{bail, Result};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use pcnsim::experiment::{self, Progress, RunOptions};
use pcnsim::output::StoredRun;
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
    },
    /// Redraw the charts and statistics of a results folder from its CSV/JSON files.
    Plot {
        /// A results folder (e.g. results/default).
        dir: PathBuf,
    },
    /// Check a scenario file (and the data it references) without running it.
    Validate { scenario: PathBuf },
    /// Answer a capacity-planning question (a scenario plus a [plan] table): results,
    /// plan.csv and the trade-off chart go to OUT/<name>/.
    Plan {
        /// Plan file (TOML).
        plan: PathBuf,
        /// Results folder.
        #[arg(long, default_value = "results")]
        out: PathBuf,
        /// Parallel runs (default: all cores).
        #[arg(long)]
        jobs: Option<usize>,
        /// No progress bar or table.
        #[arg(long, short)]
        quiet: bool,
    },
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
            let bar = Bar::new(quiet);
            let opts = RunOptions {
                out,
                jobs,
                skip_report: false,
            };
            let outcome = experiment::run_experiment(&exp, &opts, &bar)?;
            if !quiet {
                print_table(&outcome.runs, &outcome.sweep);
                eprintln!("results written to {}", outcome.dir.display());
            }
            Ok(())
        }
        Cmd::Plan {
            plan,
            out,
            jobs,
            quiet,
        } => {
            if jobs == Some(0) {
                bail!("--jobs: expected at least 1");
            }
            let p = pcnsim::plan::load(&plan)?;
            let bar = Bar::new(quiet);
            let outcome = pcnsim::plan::run_plan(&p, &out, jobs, &bar)?;
            if !quiet {
                print_plan(&p, &outcome);
            }
            println!("{}", outcome.recommendation);
            if !quiet {
                eprintln!(
                    "{} runs ({} reused); plan.csv and charts/plan_tradeoff.png in {}",
                    outcome.runs_total,
                    outcome.runs_reused,
                    outcome.dir.display()
                );
            }
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

/// The plan's steps as a table.
fn print_plan(p: &pcnsim::plan::Plan, o: &pcnsim::plan::PlanOutcome) {
    println!(
        "{:<9} {:>4} {:>10} {:>24} {:>12} {:>14} {:>9} {:>9} {:>9} {:>9}",
        "phase",
        "step",
        "factor",
        "peer",
        "size sat",
        "capital sat",
        "mean",
        "lower95",
        "gain",
        "gain lo"
    );
    for r in &o.rows {
        let s = &r.eval.summary;
        let peer = r
            .peer
            .as_ref()
            .map(|(i, n)| {
                let short: String = n.chars().take(14).collect();
                format!("{} {}", i.0, short)
            })
            .unwrap_or_default();
        println!(
            "{:<9} {:>4} {:>10} {:>24} {:>12} {:>14.0} {:>9.4} {:>9.4} {:>9} {:>9}",
            r.phase,
            r.step,
            r.factor.map(|f| format!("{f:.4}")).unwrap_or_default(),
            peer,
            r.size_sat.map(|x| x.to_string()).unwrap_or_default(),
            r.eval.capital_sat,
            s.mean,
            r.eval.lower(),
            r.gain.map(|g| format!("{:.4}", g.mean)).unwrap_or_default(),
            r.gain
                .map(|g| format!("{:.4}", g.ci95_lo))
                .unwrap_or_default(),
        );
    }
    println!("metric: {} (strategy {})", p.metric, p.strategy);
}
