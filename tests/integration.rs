//! End-to-end tests: the CLI as a user runs it, determinism, bad input.

use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pcnsim"))
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// `pcnsim run --quiet SCENARIO --out OUT EXTRA…`.
fn run_cli(scenario: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    bin()
        .args(["run", "--quiet"])
        .arg(scenario)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

/// Writes a scenario into a temp dir and returns its path.
fn scenario(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const SMALL: &str = r#"
name = "small"
seed = 3
[topology]
kind = "barabasi_albert"
nodes = 60
m = 2
capacity = { dist = "lognormal", median_sat = 500_000, sigma = 0.8 }
[workload]
rate_per_s = 5.0
payments = 1500
amount = { dist = "lognormal", median_sat = 20_000, sigma = 1.0 }
[workload.one_way]
share = 0.7
[metrics]
window_s = 30
"#;

#[test]
fn default_scenario_runs_end_to_end() {
    let out = tempfile::tempdir().unwrap();
    let o = bin()
        .args(["run", "--quiet", "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let dir = out.path().join("default");
    for f in ["summary.csv", "timeseries.csv", "manifest.json"] {
        assert!(dir.join(f).is_file(), "missing {f}");
    }
    let summary = String::from_utf8(read(&dir.join("summary.csv"))).unwrap();
    let mut lines = summary.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |n: &str| {
        row[header.iter().position(|h| *h == n).unwrap()]
            .parse::<f64>()
            .unwrap()
    };
    // The default scenario is built so that one-way demand drains channels: many payments
    // but a visible share of failures.
    assert!(col("payments") > 10_000.0);
    let sr = col("success_ratio");
    assert!(sr > 0.2 && sr < 0.98, "success ratio {sr}");
    assert!(col("depleted_share_end") > col("depleted_share_start"));
    let payments = dir.join("runs/p000-none-r000/payments.csv");
    let p = String::from_utf8(read(&payments)).unwrap();
    assert!(
        p.starts_with("id,kind,created_s,finished_s,sender,receiver,amount_msat,success,reason")
    );
    assert_eq!(p.lines().count() as f64 - 1.0, col("payments"));
    // Every failed payment is in exactly one `fail_<reason>` column.
    let fails: f64 = header
        .iter()
        .enumerate()
        .filter(|(_, h)| h.starts_with("fail_"))
        .map(|(i, _)| row[i].parse::<f64>().unwrap())
        .sum();
    assert!(header.contains(&"fail_fee_limit") && header.contains(&"fail_channel_closed"));
    assert_eq!(fails, col("payments") - col("succeeded"));
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes_any_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let sc = scenario(tmp.path(), "s.toml", SMALL);
    let run = |out: &str, extra: &[&str]| {
        let o = run_cli(&sc, &tmp.path().join(out), extra);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let d = tmp.path().join(out).join("small");
        (
            read(&d.join("summary.csv")),
            read(&d.join("timeseries.csv")),
            read(&d.join("runs/p000-none-r000/payments.csv")),
        )
    };
    let a = run("a", &["--jobs", "1"]);
    let b = run("b", &["--jobs", "2"]);
    let c = run("c", &["--seed", "4"]);
    assert_eq!(a, b);
    assert_ne!(a.2, c.2);
    assert_ne!(a.0, c.0);
}

#[test]
fn bad_scenarios_name_file_line_and_field() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: &[(&str, &str, &str)] = &[
        // (replace, with, expected fragments)
        (
            "rate_per_s = 5.0",
            "rate_per_s = -1.0",
            ":10: field `workload.rate_per_s`",
        ),
        ("m = 2", "m = 2\nbogus = 1", "bogus"),
        (
            "payments = 1500",
            "payments = \"many\"",
            ":11: field `payments`",
        ),
        ("share = 0.7", "share = 1.7", "workload.one_way.share"),
    ];
    for (from, to, want) in cases {
        let text = SMALL.replace(from, to);
        let sc = scenario(tmp.path(), "bad.toml", &text);
        let out = tmp.path().join("out");
        let o = run_cli(&sc, &out, &[]);
        assert!(!o.status.success(), "{to} should fail");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("bad.toml"), "{err}");
        assert!(
            want.split('|').any(|w| err.contains(w)),
            "expected one of {want} in: {err}"
        );
        assert!(
            !out.join("small").join("summary.csv").exists(),
            "no results on bad input"
        );
    }
}

#[test]
fn validate_reports_ok_and_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let sc = scenario(tmp.path(), "s.toml", SMALL);
    let o = bin().arg("validate").arg(&sc).output().unwrap();
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("60 nodes"));
    let o = bin()
        .arg("validate")
        .arg(tmp.path().join("missing.toml"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing.toml"));
    let o = bin().args(["run", "--jobs", "0"]).output().unwrap();
    assert!(!o.status.success());
}

/// `pcnsim validate` on every scenario in `scenarios/` that does (`needs_data`) or does
/// not use the shared LN snapshots; returns how many were checked.
fn validate_example_scenarios(needs_data: bool) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "toml") {
            let text = std::fs::read_to_string(&p).unwrap();
            if text.contains("$PCNSIM_SHARED_DATA") != needs_data {
                continue;
            }
            let o = bin().arg("validate").arg(&p).output().unwrap();
            assert!(
                o.status.success(),
                "{}: {}",
                p.display(),
                String::from_utf8_lossy(&o.stderr)
            );
            n += 1;
        }
    }
    n
}

#[test]
fn example_scenarios_validate() {
    assert!(validate_example_scenarios(false) >= 1);
}

/// The scenarios on the shared LN snapshots (`cargo test -- --ignored`).
#[test]
#[ignore = "needs PCNSIM_SHARED_DATA"]
fn example_snapshot_scenarios_validate() {
    assert!(
        std::env::var_os("PCNSIM_SHARED_DATA").is_some_and(|d| !d.is_empty()),
        "PCNSIM_SHARED_DATA is not set: this test needs the shared LN snapshots; run \
         `PCNSIM_SHARED_DATA=/path/to/data/ln cargo test -- --ignored`"
    );
    assert!(validate_example_scenarios(true) >= 1);
}

#[test]
fn rerun_resumes_from_complete_runs_and_plot_redraws() {
    let tmp = tempfile::tempdir().unwrap();
    let sc = scenario(tmp.path(), "s.toml", SMALL);
    let out = tmp.path().join("out");
    let run = || {
        let o = run_cli(&sc, &out, &[]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    run();
    let dir = out.join("small");
    // Mark the stored run: a resumed run is read back, not recomputed.
    let rj = dir.join("runs/p000-none-r000/run.json");
    let text = std::fs::read_to_string(&rj).unwrap();
    let marked = text.replacen(
        "\"payments\",\n      1500.0",
        "\"payments\",\n      424242.0",
        1,
    );
    assert_ne!(text, marked, "run.json layout changed");
    std::fs::write(&rj, marked).unwrap();
    run();
    let summary = String::from_utf8(read(&dir.join("summary.csv"))).unwrap();
    assert!(summary.contains(",424242,"), "{summary}");
    // A half-written run folder (no run.json) is not trusted: it is recomputed.
    std::fs::remove_file(&rj).unwrap();
    run();
    let summary = String::from_utf8(read(&dir.join("summary.csv"))).unwrap();
    assert!(
        !summary.contains("424242") && summary.contains(",1500,"),
        "{summary}"
    );

    // `plot` redraws charts and stats from the files alone.
    let stats = read(&dir.join("stats.csv"));
    std::fs::remove_dir_all(dir.join("charts")).unwrap();
    std::fs::remove_file(dir.join("stats.csv")).unwrap();
    let o = bin().arg("plot").arg(&dir).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(read(&dir.join("stats.csv")), stats);
    for c in [
        "success_over_time",
        "success_vs_cost",
        "imbalance_over_time",
        "onchain_txs",
    ] {
        assert!(dir.join(format!("charts/{c}.png")).is_file(), "{c}.png");
        assert!(dir.join(format!("charts/{c}.svg")).is_file(), "{c}.svg");
    }
    let o = bin().arg("plot").arg(tmp.path()).output().unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("manifest.json"));
}

/// `pcnsim plan` end to end: the 2-node line that needs factor 1.2 (ten 60 sat payments
/// against 500 sat a side), then a misspelt plan key (exit code, file:line:field, nothing
/// written).
#[test]
fn plan_cli_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("trace.csv"),
        "time_s,sender,receiver,amount_msat\n1,0,1,60000\n2,0,1,60000\n3,0,1,60000\n4,0,1,60000\n5,0,1,60000\n\
         6,0,1,60000\n7,0,1,60000\n8,0,1,60000\n9,0,1,60000\n10,0,1,60000\n",
    )
    .unwrap();
    let text = "name = \"cliplan\"\n[topology]\nkind = \"line\"\nnodes = 2\nreserve_ppm = 0\n\
        capacity = { dist = \"fixed\", sat = 1000 }\n[workload]\ntrace = \"trace.csv\"\n[plan]\n\
        question = \"how_much\"\nmetric = \"success_ratio\"\nthreshold = 1.0\nknob = \"all_capacity\"\n\
        range = [0.5, 2.0]\nprecision = 0.01\n";
    let plan = scenario(dir.path(), "plan.toml", text);
    let out = dir.path().join("out");
    let o = bin()
        .arg("plan")
        .arg(&plan)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The table and the recommendation: 1.203125 after 7 bisection steps in [1, 2].
    assert!(stdout.contains("answer"), "{stdout}");
    assert!(stdout.contains("smallest factor"), "{stdout}");
    assert!(stdout.contains(": 1.203125 "), "{stdout}");
    let csv = String::from_utf8_lossy(&read(&out.join("cliplan/plan.csv"))).to_string();
    let last = csv.lines().last().unwrap();
    assert!(
        last.starts_with("answer,") && last.contains(",1.203125,"),
        "{csv}"
    );
    assert!(out.join("cliplan/charts/plan_tradeoff.png").exists());
    assert!(out
        .join("cliplan/evals/f1_203125/runs/p000-none-r000/run.json")
        .exists());

    let bad = scenario(
        dir.path(),
        "bad.toml",
        &text.replace("precision = 0.01", "precison = 0.01"),
    );
    let out2 = dir.path().join("out2");
    let o = bin()
        .arg("plan")
        .arg(&bad)
        .arg("--out")
        .arg(&out2)
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("bad.toml:15"), "{err}");
    assert!(err.contains("precison"), "{err}");
    assert!(!out2.exists(), "nothing written for a bad plan");
}
