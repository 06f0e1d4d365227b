//! The committed reference results (`results/<name>/summary.csv`, and one level down,
//! `results/papers/<name>/`) must match a fresh run of their scenarios
//! (`scenarios/<name>.toml`, `scenarios/papers/<name>.toml`). `results/default` is not
//! committed.
//!
//! A scenario with the line `# reference-check: full-only` (the full Pickhardt–Nowostawski
//! reproduction, about 36 CPU-minutes) is compared only with `PCNSIM_REFERENCE_FULL=1`:
//! even its thinned check would recompute two 6-hour runs on the whole snapshot.
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

/// The line that keeps an experiment out of the default checks.
const FULL_ONLY: &str = "# reference-check: full-only";

/// `(experiment name, whether it needs the shared LN snapshots)` of every committed result
/// folder with a scenario of the same name (`results/<name>` or `results/<group>/<name>`,
/// named `<group>/<name>`), except `default` and, unless `PCNSIM_REFERENCE_FULL=1`, those
/// marked [`FULL_ONLY`].
fn committed() -> Vec<(String, bool)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let results = root.join("results");
    let mut names = Vec::new();
    for e in std::fs::read_dir(&results).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        let dir = results.join(&name);
        if name == "default" || !dir.is_dir() {
            continue;
        }
        if dir.join("summary.csv").is_file() {
            names.push(name);
        } else {
            // A group of experiments (`results/papers/`): one level down.
            for sub in std::fs::read_dir(&dir).unwrap() {
                let sub = sub.unwrap().file_name().to_string_lossy().into_owned();
                if dir.join(&sub).join("summary.csv").is_file() {
                    names.push(format!("{name}/{sub}"));
                }
            }
        }
    }
    let mut out = Vec::new();
    for name in names {
        let sc = root.join("scenarios").join(format!("{name}.toml"));
        let text = std::fs::read_to_string(&sc)
            .unwrap_or_else(|e| panic!("results/{name} has no scenario {}: {e}", sc.display()));
        if text.lines().any(|l| l.trim() == FULL_ONLY) && !full() {
            continue;
        }
        out.push((name, text.contains("$PCNSIM_SHARED_DATA")));
    }
    out.sort();
    out
}

fn full() -> bool {
    std::env::var_os("PCNSIM_REFERENCE_FULL").is_some_and(|v| v == "1")
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
    let full = full();
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
