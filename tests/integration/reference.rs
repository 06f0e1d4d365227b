//! The committed reference results (`results/<name>/summary.csv`) must match a fresh run of
//! their scenarios (`scenarios/<name>.toml`). `results/default` is not committed.
//!
//! Running every committed experiment takes minutes, too long for `cargo test` on two
//! cores, so by default each experiment's replication-0 runs at its first sweep point (every
//! strategy) and the first strategy's replication-0 run at its last point are recomputed
//! with `experiment::execute` and their rows compared, as text, with the committed rows of
//! the same name (and the header with the committed header); on the shared snapshots
//! (ignored test) only the first and last strategy at replication 0 of the first point. `PCNSIM_REFERENCE_FULL=1`
//! compares every row; `scripts/regenerate-results.sh --check` compares the whole files
//! through the CLI.

use pcnsim::experiment::{self, RunPlan};
use pcnsim::output::{self, CsvRecorder, StoredRun};
use std::path::Path;

/// `(experiment name, whether it needs the shared LN snapshots)` of every committed result
/// folder with a scenario of the same name, except `default`.
fn committed() -> Vec<(String, bool)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for e in std::fs::read_dir(root.join("results")).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        let sc = root.join("scenarios").join(format!("{name}.toml"));
        if name == "default"
            || !root
                .join("results")
                .join(&name)
                .join("summary.csv")
                .is_file()
        {
            continue;
        }
        let text = std::fs::read_to_string(&sc)
            .unwrap_or_else(|e| panic!("results/{name} has no scenario {}: {e}", sc.display()));
        out.push((name, text.contains("$PCNSIM_SHARED_DATA")));
    }
    out.sort();
    out
}

/// Recomputes the chosen runs of `name` and compares their summary rows with the committed
/// ones; returns how many rows were compared.
/// `thin` (the slow snapshot scenarios): only the first and last strategy's replication-0
/// runs at the first point.
fn check(name: &str, thin: bool) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let exp = pcnsim::sweep::load(
        Some(&root.join("scenarios").join(format!("{name}.toml"))),
        None,
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"));
    let plan = experiment::plan(&exp);
    let full = std::env::var_os("PCNSIM_REFERENCE_FULL").is_some_and(|v| v == "1");
    let last = exp.points.len() - 1;
    let last_strategy = exp.base().strategies.len() - 1;
    let chosen: Vec<&RunPlan> = plan
        .iter()
        .filter(|p| {
            full || (p.replication == 0
                && if thin {
                    p.point == 0 && (p.strategy == 0 || p.strategy == last_strategy)
                } else {
                    p.point == 0 || (p.point == last && p.strategy == 0)
                })
        })
        .collect();
    use rayon::prelude::*;
    let runs: Vec<StoredRun> = chosen
        .par_iter()
        .map(|p| {
            let s = &exp.points[p.point].scenario;
            let mut rec = CsvRecorder::new(None, None).unwrap();
            let r = experiment::execute(s, p, &mut rec).unwrap();
            StoredRun::new(p.id(), "", &r, &rec.finish().unwrap())
        })
        .collect();
    let fresh = String::from_utf8(output::summary_csv(&runs, &exp.columns()).unwrap()).unwrap();
    let committed =
        std::fs::read_to_string(root.join("results").join(name).join("summary.csv")).unwrap();
    let mut fresh_lines = fresh.lines();
    let mut old_lines = committed.lines();
    assert_eq!(
        fresh_lines.next(),
        old_lines.next(),
        "{name}: summary.csv header"
    );
    let old: Vec<&str> = old_lines.collect();
    if full {
        assert_eq!(old.len(), plan.len(), "{name}: one committed row per run");
    }
    let mut n = 0;
    for line in fresh_lines {
        let run = line.split(',').next().unwrap();
        let want = old
            .iter()
            .find(|l| l.split(',').next() == Some(run))
            .unwrap_or_else(|| panic!("{name}: run {run} missing from the committed summary.csv"));
        assert_eq!(
            line, *want,
            "{name}: run {run} differs from results/{name}/summary.csv; if the change is \
             intended, regenerate with scripts/regenerate-results.sh {name}"
        );
        n += 1;
    }
    n
}

#[test]
fn reference_results_match_a_fresh_run() {
    let mut compared = 0;
    for (name, needs_data) in committed() {
        if !needs_data {
            compared += check(&name, false);
        }
    }
    assert!(compared > 0, "no committed reference results found");
}

/// The committed results of scenarios on the shared LN snapshots (`cargo test -- --ignored`).
#[test]
#[ignore = "needs PCNSIM_SHARED_DATA"]
fn reference_results_on_snapshots_match_a_fresh_run() {
    assert!(
        std::env::var_os("PCNSIM_SHARED_DATA").is_some_and(|d| !d.is_empty()),
        "PCNSIM_SHARED_DATA is not set"
    );
    let mut compared = 0;
    for (name, needs_data) in committed() {
        if needs_data {
            compared += check(&name, true);
        }
    }
    assert!(compared > 0, "no committed snapshot results found");
}
