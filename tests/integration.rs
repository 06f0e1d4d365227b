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
    // `scenarios/*.toml` and one level of folders (`scenarios/papers/`).
    let mut files: Vec<PathBuf> = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
        } else {
            files.push(p);
        }
    }
    files.sort();
    for p in files {
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

/// `SMALL` with three strategies and probes every 20 s, at the start and at the end.
fn with_probes(text: &str) -> String {
    format!(
        "{text}\n[workload.probes]\nevery_s = 20\nat_start = true\nat_end = true\npairs = 25\namounts_sat = [1, 10_000, 200_000]\n"
    )
}

const STRATEGIES: &str = "\n[[strategy]]\nname = \"none\"\n[[strategy]]\nname = \"circular\"\n[[strategy]]\nname = \"jit\"\n";

#[test]
fn probes_change_no_other_output_column_by_column() {
    let tmp = tempfile::tempdir().unwrap();
    let plain = format!("{SMALL}{STRATEGIES}");
    let probed = with_probes(&plain);
    let run = |name: &str, text: &str| {
        let sc = scenario(tmp.path(), &format!("{name}.toml"), text);
        let out = tmp.path().join(name);
        let o = run_cli(&sc, &out, &[]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        out.join("small")
    };
    let a = run("plain", &plain);
    let b = run("probed", &probed);
    // Per-run files: byte-identical.
    for r in ["p000-none-r000", "p000-circular-r000", "p000-jit-r000"] {
        for f in ["payments.csv", "nodes.csv", "channels.csv"] {
            let (x, y) = (
                a.join("runs").join(r).join(f),
                b.join("runs").join(r).join(f),
            );
            assert!(read(&x) == read(&y), "{r}/{f} differs with probes");
        }
        assert!(!a.join("runs").join(r).join("probes.csv").exists());
        // 1 start + rounds every 20 s + 1 end, × 25 pairs × 3 amounts.
        let probes = String::from_utf8(read(&b.join("runs").join(r).join("probes.csv"))).unwrap();
        let rows = probes.lines().count() - 1;
        assert!(rows > 0 && rows.is_multiple_of(75), "{rows} probe rows");
        assert!(probes.starts_with("t_s,sender,receiver,amount_msat,success,reason"));
    }
    assert_eq!(
        read(&a.join("timeseries.csv")),
        read(&b.join("timeseries.csv"))
    );
    // summary.csv: every column of the run without probes has the same values with them;
    // the run with probes only adds `probe_*` columns.
    let table = |d: &Path| {
        let text = String::from_utf8(read(&d.join("summary.csv"))).unwrap();
        let mut lines = text
            .lines()
            .map(|l| l.split(',').map(String::from).collect::<Vec<_>>());
        let header = lines.next().unwrap();
        (header, lines.collect::<Vec<_>>())
    };
    let (ha, ra) = table(&a);
    let (hb, rb) = table(&b);
    assert_eq!(ra.len(), rb.len());
    for (i, col) in ha.iter().enumerate() {
        let j = hb
            .iter()
            .position(|c| c == col)
            .unwrap_or_else(|| panic!("{col} missing"));
        for (x, y) in ra.iter().zip(&rb) {
            assert_eq!(x[i], y[j], "column {col} differs with probes");
        }
    }
    let extra: Vec<&String> = hb.iter().filter(|c| !ha.contains(c)).collect();
    assert!(
        !extra.is_empty() && extra.iter().all(|c| c.starts_with("probe_")),
        "{extra:?}"
    );
    for c in [
        "probe_success_1sat",
        "probe_success_end_200000sat",
        "probe_median_payable_start_sat",
    ] {
        assert!(hb.iter().any(|h| h == c), "{c} not in {hb:?}");
    }
    let pts = String::from_utf8(read(&b.join("probe_timeseries.csv"))).unwrap();
    assert!(pts.starts_with("run,point,strategy,replication,t_s,amount_sat,probes,succeeded"));
    assert!(!a.join("probe_timeseries.csv").exists());
    for c in ["probe_success_by_amount", "probe_success_over_time"] {
        assert!(b.join(format!("charts/{c}.png")).is_file(), "{c}.png");
    }
    let stats = String::from_utf8(read(&b.join("stats.csv"))).unwrap();
    assert!(stats.contains(",probe_success_10000sat,"));
    let channels = String::from_utf8(read(&a.join("runs/p000-none-r000/channels.csv"))).unwrap();
    assert!(channels.starts_with("channel,dir,from,to,open,capacity_sat"));
    let nodes = String::from_utf8(read(&a.join("runs/p000-none-r000/nodes.csv"))).unwrap();
    assert!(nodes
        .lines()
        .next()
        .unwrap()
        .ends_with("share_end,return_on_capital"));
}

#[test]
fn warmup_and_probe_errors_name_line_and_field() {
    let tmp = tempfile::tempdir().unwrap();
    let base = with_probes(SMALL);
    let cases: &[(&str, &str, &str)] = &[
        (
            "window_s = 30",
            "window_s = 30\nwarmup_s = -5",
            "metrics.warmup_s",
        ),
        (
            "window_s = 30",
            "window_s = 30\ncapital_rate_per_year = -0.1",
            "metrics.capital_rate_per_year",
        ),
        (
            "amounts_sat = [1, 10_000, 200_000]",
            "amounts_sat = []",
            "workload.probes.amounts_sat",
        ),
        (
            "amounts_sat = [1, 10_000, 200_000]",
            "amounts_sat = [5, 5]",
            "distinct",
        ),
        ("every_s = 20", "every_s = 0.1", "workload.probes.every_s"),
        ("pairs = 25", "list = [[0, 0]]", "workload.probes.list[0]"),
        (
            "pairs = 25",
            "pairs = 25\nlist = [[0, 1]]",
            "workload.probes.pairs",
        ),
    ];
    for (from, to, want) in cases {
        let text = base.replace(from, to);
        assert_ne!(text, base, "{from}");
        let sc = scenario(tmp.path(), "bad.toml", &text);
        let o = bin().arg("validate").arg(&sc).output().unwrap();
        assert!(!o.status.success(), "{to} should fail");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("bad.toml:") && err.contains(want),
            "{to}: {err}"
        );
    }
}

mod probe_property {
    use pcnsim::experiment::{execute, plan_point};
    use pcnsim::metrics::MemRecorder;
    use proptest::prelude::*;

    fn text(seed: u64, strategy: &str, probes: bool) -> String {
        let mut t = format!(
            "name = \"p\"\nseed = {seed}\n[topology]\nkind = \"barabasi_albert\"\nnodes = 25\nm = 2\n\
             capacity = {{ dist = \"lognormal\", median_sat = 300_000, sigma = 1.0 }}\n\
             [workload]\nrate_per_s = 4.0\npayments = 250\n\
             amount = {{ dist = \"lognormal\", median_sat = 30_000, sigma = 1.0 }}\n\
             [workload.one_way]\nshare = 0.5\n[metrics]\nwindow_s = 10\n[[strategy]]\nname = \"{strategy}\"\n"
        );
        if probes {
            t.push_str("[workload.probes]\nevery_s = 7\nat_start = true\nat_end = true\npairs = 15\namounts_sat = [1, 50_000]\n");
        }
        t
    }

    fn run(seed: u64, strategy: &str, probes: bool) -> (MemRecorder, Vec<(String, f64)>) {
        let s = pcnsim::scenario::parse(
            &text(seed, strategy, probes),
            "p.toml",
            std::path::Path::new("."),
            None,
        )
        .expect("valid scenario");
        let plan = plan_point(&s, 0, 0);
        let mut rec = MemRecorder::default();
        let r = execute(&s, &plan[0], &mut rec).expect("no invariant violation");
        let m = r
            .metrics()
            .into_iter()
            .filter(|(k, _)| !k.starts_with("probe_"))
            .collect();
        (rec, m)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]
        /// Probes read the network and change nothing: same payments (times, outcomes,
        /// fees), same windows, same metrics, whatever the strategy.
        #[test]
        fn probes_leave_every_other_output_unchanged(
            seed in 0u64..10_000,
            strategy in prop::sample::select(vec!["none", "circular", "jit", "proactive", "periodic"]),
        ) {
            let (a, ma) = run(seed, strategy, false);
            let (b, mb) = run(seed, strategy, true);
            prop_assert!(a.probes.is_empty() && !b.probes.is_empty());
            prop_assert_eq!(&a.payments, &b.payments);
            prop_assert_eq!(&a.windows, &b.windows);
            prop_assert_eq!(ma.len(), mb.len());
            for ((ka, va), (kb, vb)) in ma.iter().zip(&mb) {
                prop_assert_eq!(ka, kb);
                prop_assert!(va == vb || (va.is_nan() && vb.is_nan()), "{} {} {}", ka, va, vb);
            }
        }
    }
}
