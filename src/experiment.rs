//! Experiments: the plan of runs (sweep points × strategies × replications), their seeds,
//! and running them in parallel.
//!
//! Every run's seed comes from `(master seed, replication)` through a fixed mixer, so all
//! strategies at one replication see the same workload and the same participating nodes
//! (common random numbers): differences between strategies are paired. Runs are independent
//! and their outputs are assembled in plan order, so results are byte-identical whatever the
//! number of threads.

use crate::engine::{Engine, InvariantViolation};
use crate::metrics::Recorder;
use crate::metrics::RunResult;
use crate::rng;
use crate::scenario::Scenario;
use crate::workload::Workload;

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

/// The runs of `scenario` at sweep point `point`, in a fixed order: for each replication,
/// each strategy.
pub fn plan_point(s: &Scenario, point: usize, first_index: usize) -> Vec<RunPlan> {
    let mut out = Vec::new();
    for rep in 0..s.raw.replications {
        for (si, spec) in s.strategies.iter().enumerate() {
            out.push(RunPlan {
                index: first_index + out.len(),
                point,
                strategy: si,
                replication: rep,
                seed: rng::run_seed(s.raw.seed, rep as u64),
                label: spec.label.clone(),
                name: format!("p{point:03}-{}-r{rep:03}", spec.label),
            });
        }
    }
    out
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
    let workload = Workload::new(
        &s.raw.workload,
        topo,
        s.amounts.clone(),
        s.trace.clone(),
        rng::stream(run.seed, "workload"),
    );
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
