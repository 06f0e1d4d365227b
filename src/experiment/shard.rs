//! Sharded experiments: [`Shard`] (`K/N`), the replication groups each shard owns
//! ([`shard_assignment`], [`shard_runs`]), [`run_shard`] (one shard's run folders and its
//! provenance, no aggregates) and [`assemble`] (the aggregates once every shard is done,
//! byte-identical to [`run_experiment`]).

use super::*;

/// Shard `index` of `count`: `pcnsim run --shard K/N` runs only the runs this shard owns
/// (see [`shard_runs`]) and assembles nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// K, in `0..count`.
    pub index: usize,
    /// N, at least 1.
    pub count: usize,
}

/// A `--shard` value that is not `K/N` with `0 <= K < N`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("shard `{given}`: {message}")]
pub struct ShardError {
    pub given: String,
    pub message: String,
}

impl Shard {
    /// A checked shard: `count >= 1` and `index < count`.
    pub fn new(index: usize, count: usize) -> Result<Shard, ShardError> {
        let err = |message: &str| ShardError {
            given: format!("{index}/{count}"),
            message: message.to_string(),
        };
        if count == 0 {
            return Err(err("N must be at least 1"));
        }
        if index >= count {
            return Err(err(
                "K must be less than N (shards are numbered 0 to N-1, as Slurm array tasks)",
            ));
        }
        Ok(Shard { index, count })
    }
}

impl std::str::FromStr for Shard {
    type Err = ShardError;
    /// Parses `K/N`.
    fn from_str(t: &str) -> Result<Shard, ShardError> {
        let err = |message: &str| ShardError {
            given: t.to_string(),
            message: message.to_string(),
        };
        let (k, n) = t
            .split_once('/')
            .ok_or_else(|| err("expected K/N, e.g. 0/4 (shard K of N, K from 0)"))?;
        let num = |x: &str, what: &str| {
            x.trim()
                .parse::<usize>()
                .map_err(|_| err(&format!("{what} `{x}` is not a non-negative integer")))
        };
        Shard::new(num(k, "K")?, num(n, "N")?).map_err(|e| err(&e.message))
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Which shard of `count` computes each run of `plan` (a shard number per run, plan order).
///
/// Runs are dealt by replication group — every strategy at one (sweep point, replication) —
/// round robin over the shards, so each shard gets a similar mix of cheap and dear
/// strategies. With fewer groups than shards, runs are dealt one by one instead (plan index
/// mod `count`), so no shard is left idle while another has two runs.
///
/// Complexity: O(runs · log groups). Example: 2 points × 2 replications × 3 strategies = 4 groups;
/// with 2 shards, shard 0 gets groups (p0, r0) and (p1, r0), shard 1 the other two.
pub fn shard_assignment(plan: &[RunPlan], count: usize) -> Vec<usize> {
    let count = count.max(1);
    // Group number = order of first appearance in the plan.
    let mut groups: std::collections::BTreeMap<(usize, u32), usize> = Default::default();
    let group: Vec<usize> = plan
        .iter()
        .map(|p| {
            let next = groups.len();
            *groups.entry((p.point, p.replication)).or_insert(next)
        })
        .collect();
    if groups.len() < count {
        return (0..plan.len()).map(|i| i % count).collect();
    }
    group.into_iter().map(|g| g % count).collect()
}

/// The plan indices shard `shard` computes, in plan order.
pub fn shard_runs(plan: &[RunPlan], shard: Shard) -> Vec<usize> {
    shard_assignment(plan, shard.count)
        .into_iter()
        .enumerate()
        .filter(|&(_, s)| s == shard.index)
        .map(|(i, _)| i)
        .collect()
}

/// What [`run_shard`] did.
pub struct ShardOutcome {
    /// The results folder.
    pub dir: PathBuf,
    /// The shard's runs, in plan order.
    pub runs: Vec<StoredRun>,
    /// How many of them were computed now (the rest were complete already).
    pub computed: usize,
    pub reused: usize,
    /// The provenance file written.
    pub provenance: PathBuf,
}

/// Runs shard `shard` of `exp` (the runs [`shard_runs`] gives it), writing their run
/// folders atomically and reusing complete ones; writes `provenance-shard-K-of-N.json` and
/// no aggregate file (`assemble` does, once every shard is done).
///
/// Shards of one experiment write disjoint run folders, so any number of them may run at
/// once on one results folder (a shared file system included).
pub fn run_shard(
    exp: &Experiment,
    opts: &RunOptions,
    shard: Shard,
    provenance: &Provenance,
    progress: &dyn Progress,
) -> Result<ShardOutcome, ExperimentError> {
    let clock = std::time::Instant::now();
    let (dir, fp, _lock) = open_results_dir(exp, &opts.out)?;
    let plan = plan(exp);
    let mine = shard_runs(&plan, shard);
    let (runs, reused) = run_selected(exp, &dir, &plan, &mine, &fp.digest, opts, progress)?;
    let path = dir.join(format!(
        "provenance-shard-{}-of-{}.json",
        shard.index, shard.count
    ));
    let doc = serde_json::json!({
        "shard": shard.to_string(),
        "command": provenance.command,
        "host": provenance.host,
        "started": provenance.started,
        "wall_time_s": (clock.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
        "runs_computed": runs.len() - reused,
        "runs_reused": reused,
        "runs": runs.iter().map(|r| r.name.clone()).collect::<Vec<_>>(),
        "fingerprint": fp.digest,
        "pcnsim_version": env!("CARGO_PKG_VERSION"),
        "extra": provenance.extra.iter().cloned().collect::<std::collections::BTreeMap<_, _>>(),
    });
    let bytes = serde_json::to_vec_pretty(&doc).map_err(|e| OutputError::Encode {
        path: path.clone(),
        message: e.to_string(),
    })?;
    output::write_via_temp(&path, &bytes)?;
    Ok(ShardOutcome {
        dir,
        computed: runs.len() - reused,
        runs,
        reused,
        provenance: path,
    })
}

/// Why a planned run cannot be assembled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunProblem {
    /// The run's folder name.
    pub run: String,
    /// The shard (of the `--shard K/N` split asked about) that computes it, if any.
    pub shard: Option<usize>,
    pub problem: output::RunCheck,
}

/// Writes the aggregate files (summary, timeseries, stats, charts, report.html, manifest)
/// of a sharded experiment once every planned run is in the results folder.
///
/// The plan and the fingerprint are derived again from the scenario, not read from the
/// folder: a run computed by another build of pcnsim, with another seed or on changed input
/// files is caught as a mismatch, which trusting a fingerprint stored in the folder would
/// miss. The output is byte-identical to [`run_experiment`] of the same experiment.
///
/// Errors: [`ExperimentError::Incomplete`] lists every missing or mismatched run (nothing
/// is written then); `shards`, if given, is the `N` of the split, to name each run's shard.
pub fn assemble(
    exp: &Experiment,
    out: &Path,
    shards: Option<usize>,
) -> Result<Outcome, ExperimentError> {
    let (dir, fp, _lock) = open_results_dir(exp, out)?;
    let plan = plan(exp);
    let owner = shards.map(|n| shard_assignment(&plan, n));
    let mut runs = Vec::with_capacity(plan.len());
    let mut problems = Vec::new();
    for p in &plan {
        match output::check_run(&dir, p.id(), &fp.digest) {
            Ok(r) => runs.push(r),
            Err(problem) => problems.push(RunProblem {
                run: p.name.clone(),
                shard: owner.as_ref().map(|o| o[p.index]),
                problem,
            }),
        }
    }
    if !problems.is_empty() {
        return Err(ExperimentError::Incomplete {
            dir,
            planned: plan.len(),
            problems,
        });
    }
    let sweep = exp.columns();
    write_aggregates(exp, &dir, &runs, &fp, false)?;
    Ok(Outcome {
        dir,
        runs,
        reused: plan.len(),
        fingerprint: fp.digest,
        sweep,
    })
}

/// One line per problem: `  <run> (shard K): <what>`.
pub(super) fn list_problems(problems: &[RunProblem]) -> String {
    problems
        .iter()
        .map(|p| match p.shard {
            Some(k) => format!("  {} (shard {k}): {}", p.run, p.problem),
            None => format!("  {}: {}", p.run, p.problem),
        })
        .collect::<Vec<_>>()
        .join("\n")
}
