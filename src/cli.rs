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
        /// Recompute every run, even those already stored with a matching fingerprint.
        #[arg(long)]
        fresh: bool,
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
    /// Print the reference of a scenario table (docs/scenario.md), or list the tables.
    Explain {
        /// A table (`workload`, `topology.fees`, `[routing]`), a strategy (`circular`),
        /// `defaults`, or nothing for the list.
        table: Option<String>,
    },
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
            fresh,
            shard,
        } => {
            if jobs == Some(0) {
                bail!("--jobs: expected at least 1");
            }
            let started = std::time::SystemTime::now();
            let clock = std::time::Instant::now();
            let exp = sweep::load(scenario.as_deref(), seed)?;
            let bar = Bar::new(quiet);
            let opts = RunOptions {
                out,
                jobs,
                fresh,
                skip_report: false,
            };
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
            provenance::write(&outcome, jobs, started, clock.elapsed())?;
            if !quiet {
                print_table(&outcome.runs, &outcome.sweep);
                if !has_strategy_tables(exp.base()) {
                    println!("(the scenario has no [[strategy]]: only the baseline `none` ran)");
                }
                eprintln!("reused {} of {} runs", outcome.reused, outcome.runs.len());
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
            // A plan file (a scenario plus `[plan]`) is checked as `pcnsim plan` reads it.
            let text = std::fs::read_to_string(&scenario).unwrap_or_default();
            if pcnsim::plan::is_plan(&text) {
                let p = pcnsim::plan::load(&scenario)?;
                println!(
                    "{}: ok — plan `{}` ({:?}, metric {}, strategy {}) on {} nodes, {} channels",
                    scenario.display(),
                    p.name,
                    p.question,
                    p.metric,
                    p.strategy,
                    p.base.topology.node_count(),
                    p.base.topology.channel_count()
                );
                return Ok(());
            }
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
            println!("{}", strategies_line(s));
            Ok(())
        }
        Cmd::Explain { table } => {
            match table {
                Some(t) => match pcnsim::reference::explain(&t) {
                    Some(text) => println!("{text}"),
                    None => bail!(
                        "no table `{t}` in the scenario reference; `pcnsim explain` lists them"
                    ),
                },
                None => {
                    println!(
                        "Scenario reference ({}); `pcnsim explain NAME` prints a section:\n",
                        pcnsim::reference::DOC_PATH
                    );
                    for sec in pcnsim::reference::sections() {
                        let indent = "  ".repeat(sec.level.saturating_sub(2));
                        println!("{indent}{:<28} {}", sec.anchor, sec.title);
                    }
                }
            }
            Ok(())
        }
    }
}

/// What `validate` says about the strategies: which run, and that `none` runs alone when
/// the file has no `[[strategy]]`.
fn strategies_line(s: &pcnsim::scenario::Scenario) -> String {
    let labels: Vec<String> = s
        .strategies
        .iter()
        .map(|x| {
            if x.label == x.kind {
                x.label.clone()
            } else {
                format!("{} ({})", x.label, x.kind)
            }
        })
        .collect();
    if !has_strategy_tables(s) {
        "strategies: none (the file has no [[strategy]]: only the baseline `none` runs, no rebalancing)".to_string()
    } else {
        let base = s
            .strategies
            .iter()
            .find(|x| x.label == "none")
            .or(s.strategies.first())
            .map_or("", |x| x.label.as_str());
        format!(
            "strategies: {} (paired differences against `{base}`)",
            labels.join(", ")
        )
    }
}

/// Whether the scenario file has `[[strategy]]` tables (without, `none` runs alone).
fn has_strategy_tables(s: &pcnsim::scenario::Scenario) -> bool {
    s.text
        .parse::<toml::Table>()
        .ok()
        .is_some_and(|t| t.contains_key("strategy"))
}

/// `provenance.json`: how and where this invocation ran. Unlike `manifest.json` it differs
/// between identical runs (time, machine, reused runs), so it is kept apart from the
/// reproducible outputs.
mod provenance {
    use anyhow::Result;
    use pcnsim::experiment::Outcome;
    use std::time::{Duration, SystemTime};

    pub fn write(
        outcome: &Outcome,
        jobs: Option<usize>,
        started: SystemTime,
        wall: Duration,
    ) -> Result<()> {
        let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
        let start_s = started
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let p = serde_json::json!({
            "command_line": std::env::args().collect::<Vec<_>>(),
            "working_directory": std::env::current_dir().ok().map(|d| d.display().to_string()),
            "host": host(),
            "os": std::env::consts::OS,
            "os_release": read_trim("/proc/sys/kernel/osrelease"),
            "arch": std::env::consts::ARCH,
            "cpus": cpus,
            "jobs": jobs.unwrap_or(cpus),
            "start_unix_s": start_s,
            "start_utc": utc(start_s),
            "wall_time_s": (wall.as_secs_f64() * 1000.0).round() / 1000.0,
            "runs": outcome.runs.len(),
            "runs_computed": outcome.runs.len() - outcome.reused,
            "runs_reused": outcome.reused,
            "pcnsim_version": env!("CARGO_PKG_VERSION"),
            "git_commit": option_env!("PCNSIM_GIT_COMMIT"),
        });
        let path = outcome.dir.join("provenance.json");
        pcnsim::output::write_via_temp(&path, serde_json::to_string_pretty(&p)?.as_bytes())?;
        Ok(())
    }

    fn read_trim(path: &str) -> Option<String> {
        std::fs::read_to_string(path)
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    }

    /// The host name: the kernel's (Linux), else `$HOSTNAME` / `$COMPUTERNAME`.
    fn host() -> Option<String> {
        read_trim("/proc/sys/kernel/hostname").or_else(|| {
            ["HOSTNAME", "COMPUTERNAME"]
                .iter()
                .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        })
    }

    /// `YYYY-MM-DDTHH:MM:SSZ` for Unix seconds (proleptic Gregorian calendar; the
    /// days-to-date step is Howard Hinnant's `civil_from_days`). Eight lines instead of
    /// a date crate for one timestamp.
    pub fn utc(secs: u64) -> String {
        let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        )
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn utc_formats_known_instants() {
            assert_eq!(super::utc(0), "1970-01-01T00:00:00Z");
            assert_eq!(super::utc(951_782_400), "2000-02-29T00:00:00Z");
            assert_eq!(super::utc(1_796_601_599), "2026-12-06T23:59:59Z");
            assert_eq!(super::utc(4_107_542_400), "2100-03-01T00:00:00Z");
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
