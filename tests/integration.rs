//! End-to-end tests: the CLI as a user runs it, determinism, bad input.

use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "integration/faults.rs"]
mod faults;
#[path = "integration/reference.rs"]
mod reference;
/// Where each strategy wins and where it must not (issue 9's regimes).
mod regimes;

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

/// `(header, rows)` of a CSV file.
fn csv_rows(p: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = String::from_utf8(read(p)).unwrap();
    let mut lines = text.lines();
    let split = |l: &str| l.split(',').map(str::to_string).collect::<Vec<_>>();
    let header = split(lines.next().unwrap());
    (header, lines.map(split).collect())
}

#[test]
fn default_scenario_runs_end_to_end_and_shows_a_difference() {
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
    for f in [
        "summary.csv",
        "timeseries.csv",
        "stats.csv",
        "manifest.json",
        "provenance.json",
        "report.html",
    ] {
        assert!(dir.join(f).is_file(), "missing {f}");
    }
    let (header, rows) = csv_rows(&dir.join("summary.csv"));
    let col = |row: &[String], n: &str| -> f64 {
        row[header.iter().position(|h| h == n).unwrap()]
            .parse::<f64>()
            .unwrap()
    };
    let strategy =
        |row: &[String]| row[header.iter().position(|h| h == "strategy").unwrap()].clone();
    let labels: Vec<String> = rows
        .iter()
        .map(|r| strategy(r))
        .fold(Vec::new(), |mut v, l| {
            if !v.contains(&l) {
                v.push(l);
            }
            v
        });
    assert_eq!(labels, ["none", "circular", "jit_1000ppm", "proactive"]);
    for row in &rows {
        assert!(col(row, "payments") > 5_000.0);
        // Every failed payment is in exactly one `fail_<reason>` column.
        let fails: f64 = header
            .iter()
            .enumerate()
            .filter(|(_, h)| h.starts_with("fail_"))
            .map(|(i, _)| row[i].parse::<f64>().unwrap())
            .sum();
        assert_eq!(fails, col(row, "payments") - col(row, "succeeded"));
    }
    assert!(
        header.iter().any(|h| h == "fail_fee_limit")
            && header.iter().any(|h| h == "fail_channel_closed")
    );
    // The comparison shows something: without rebalancing a visible share of payments
    // fails (the channels start one-sided), and circular and jit (allowed 1000 ppm) beat
    // `none` by at least half a percentage point in every replication (measured: circular
    // +1.9, +2.0, +3.6 points; jit_1000ppm +4.7, +3.3, +5.1).
    let success = |label: &str, rep: &str| -> f64 {
        let r = rows
            .iter()
            .find(|r| {
                strategy(r) == label
                    && r[header.iter().position(|h| h == "replication").unwrap()] == rep
            })
            .unwrap_or_else(|| panic!("no run {label} r{rep}"));
        col(r, "success_ratio")
    };
    for rep in ["0", "1", "2"] {
        let none = success("none", rep);
        assert!(none > 0.3 && none < 0.9, "none r{rep}: success {none}");
        let circular = success("circular", rep);
        assert!(
            circular >= none + 0.005,
            "replication {rep}: circular {circular} vs none {none}"
        );
        let jit = success("jit_1000ppm", rep);
        assert!(
            jit >= none + 0.005,
            "replication {rep}: jit_1000ppm {jit} vs none {none}"
        );
    }
    // stats.csv names the baseline of the paired differences.
    let (sh, srows) = csv_rows(&dir.join("stats.csv"));
    let b = sh.iter().position(|h| h == "baseline").unwrap();
    assert!(srows.iter().all(|r| r[b] == "none"));
    let payments = dir.join("runs/p000-none-r000/payments.csv");
    let p = String::from_utf8(read(&payments)).unwrap();
    assert!(
        p.starts_with("id,kind,created_s,finished_s,sender,receiver,amount_msat,success,reason")
    );
}

#[test]
fn manifest_holds_the_resolved_scenario_and_provenance_the_rest() {
    let tmp = tempfile::tempdir().unwrap();
    let sc = scenario(tmp.path(), "s.toml", SMALL);
    let o = run_cli(&sc, &tmp.path().join("out"), &["--jobs", "1"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let dir = tmp.path().join("out/small");
    let m: serde_json::Value = serde_json::from_slice(&read(&dir.join("manifest.json"))).unwrap();
    let r = &m["resolved_scenario"];
    // Written keys as written, defaults filled in, derived values resolved.
    assert_eq!(r["topology"]["nodes"], 60);
    assert_eq!(r["topology"]["reserve_ppm"], 10_000);
    assert_eq!(r["topology"]["fees"]["base_msat"], 1000);
    assert_eq!(r["workload"]["rate_per_s"], 5.0);
    assert_eq!(r["workload"]["senders"], "uniform");
    assert_eq!(r["workload"]["one_way"]["payers"], 0.2);
    assert_eq!(r["routing"]["max_attempts"], 10);
    assert_eq!(r["routing"]["hop_latency"]["min_ms"], 10.0);
    assert_eq!(r["chain"]["confirmations"], 3);
    assert!(r["swap"]["provider"].is_u64());
    assert_eq!(r["strategy"][0]["name"], "none");
    assert_eq!(r["strategy"][0]["label"], "none");
    assert_eq!(r["strategy"][0]["participation"], "all");
    assert_eq!(m["baseline"], "none");
    assert_eq!(m["seed"], 3);
    assert!(m["scenario_text"].as_str().unwrap().contains("nodes = 60"));
    // Machine-dependent facts are in provenance.json only.
    let p: serde_json::Value = serde_json::from_slice(&read(&dir.join("provenance.json"))).unwrap();
    for k in [
        "command_line",
        "working_directory",
        "host",
        "os",
        "cpus",
        "jobs",
        "start_utc",
        "wall_time_s",
        "runs_computed",
        "runs_reused",
    ] {
        assert!(p.get(k).is_some(), "provenance.json lacks {k}: {p}");
        assert!(m.get(k).is_none(), "manifest.json holds {k}");
    }
    assert_eq!(p["jobs"], 1);
    assert_eq!(p["runs_computed"], 1);
    assert_eq!(p["runs_reused"], 0);
    assert!(p["command_line"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a == "--jobs"));
    // A second invocation reuses the run and says so.
    let o = run_cli(&sc, &tmp.path().join("out"), &[]);
    assert!(o.status.success());
    let p: serde_json::Value = serde_json::from_slice(&read(&dir.join("provenance.json"))).unwrap();
    assert_eq!(
        (p["runs_computed"].as_u64(), p["runs_reused"].as_u64()),
        (Some(0), Some(1))
    );
}

#[test]
fn explain_prints_reference_sections() {
    let o = bin()
        .args(["explain", "workload.one_way"])
        .output()
        .unwrap();
    assert!(o.status.success());
    let t = String::from_utf8_lossy(&o.stdout);
    assert!(t.contains("`payers`") && t.contains("`payees`"), "{t}");
    let o = bin().arg("explain").output().unwrap();
    let t = String::from_utf8_lossy(&o.stdout);
    for a in [
        "top-level",
        "topology",
        "workload",
        "routing",
        "strategy-circular",
        "sweep",
    ] {
        assert!(
            t.lines().any(|l| l.trim_start().starts_with(a)),
            "{a} not listed: {t}"
        );
    }
    let o = bin().args(["explain", "nonsense"]).output().unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("nonsense"));
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes_any_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let sc = scenario(tmp.path(), "s.toml", SMALL);
    let run = |out: &str, extra: &[&str]| {
        let o = run_cli(&sc, &tmp.path().join(out), extra);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let d = tmp.path().join(out).join("small");
        // Every output but provenance.json (command line, time, machine), which differs
        // between identical runs by design.
        (
            read(&d.join("summary.csv")),
            read(&d.join("timeseries.csv")),
            read(&d.join("runs/p000-none-r000/payments.csv")),
            (
                read(&d.join("stats.csv")),
                read(&d.join("manifest.json")),
                read(&d.join("report.html")),
            ),
        )
    };
    let a = run("a", &["--jobs", "1"]);
    let b = run("b", &["--jobs", "2"]);
    assert_ne!(
        read(&tmp.path().join("a/small/provenance.json")),
        read(&tmp.path().join("b/small/provenance.json")),
        "provenance.json records --jobs"
    );
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
    let t = String::from_utf8_lossy(&o.stdout);
    assert!(t.contains("60 nodes"));
    assert!(t.contains("only the baseline `none` runs"), "{t}");
    let two = format!(
        "{SMALL}[[strategy]]\nname = \"jit\"\n[[strategy]]\nname = \"circular\"\nlabel = \"c2\"\n"
    );
    let o = bin()
        .arg("validate")
        .arg(scenario(tmp.path(), "two.toml", &two))
        .output()
        .unwrap();
    assert!(o.status.success());
    let t = String::from_utf8_lossy(&o.stdout);
    assert!(
        t.contains("strategies: jit, c2 (circular) (paired differences against `jit`)"),
        "{t}"
    );
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

/// The bad-input corpus (`tests/bad_inputs/`): for each case of `manifest.tsv`, `pcnsim
/// run` must exit with code 1 within a time limit, print an error that contains the
/// expected fragment and names the expected file (basename) and line, never panic, and
/// write no results.
#[test]
fn bad_input_corpus() {
    const LIMIT: std::time::Duration = std::time::Duration::from_secs(20);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_inputs");
    let manifest = std::fs::read_to_string(root.join("manifest.tsv")).unwrap();
    let cases: Vec<Vec<String>> = manifest
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect();
    assert!(cases.len() >= 150, "only {} cases", cases.len());
    let tmp = tempfile::tempdir().unwrap();
    // Cases run four at a time: each is a separate process with its own time limit.
    let failures = std::sync::Mutex::new(Vec::<String>::new());
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(c) = cases.get(i) else { break };
                if let Err(e) = check_bad_case(&root, tmp.path(), i, c, LIMIT) {
                    failures.lock().unwrap().push(format!("{}: {e}", c[0]));
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {} bad-input cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// Runs one corpus case; `Err` says what was wrong.
fn check_bad_case(
    root: &Path,
    tmp: &Path,
    index: usize,
    case: &[String],
    limit: std::time::Duration,
) -> Result<(), String> {
    let get = |i: usize| case.get(i).map(String::as_str).unwrap_or("");
    let (file, location, fragment, args) = (get(0), get(1), get(2), get(3));
    let out = tmp.join(format!("out{index}"));
    let mut child = bin()
        .args(["run", "--quiet"])
        .arg(root.join(file))
        .arg("--out")
        .arg(&out)
        .args(args.split_whitespace())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().map_err(|e| e.to_string())? {
            break st;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("still running after {limit:?} (killed)"));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if stderr.contains("panicked") {
        return Err(format!("panicked: {stderr}"));
    }
    if status.code() != Some(1) {
        return Err(format!("exit {:?}, stderr: {stderr}", status.code()));
    }
    if !stderr.contains(fragment) {
        return Err(format!("message lacks `{fragment}`: {stderr}"));
    }
    // The location: `name:line` (the file's basename and the line), or just the name.
    let named = match location.rsplit_once(':') {
        Some((name, line)) => {
            stderr.contains(&format!("{name}:{line}:"))
                || stderr.contains(&format!("{name}:{line}\n"))
        }
        None => stderr.contains(location),
    };
    if !named {
        return Err(format!("message does not name `{location}`: {stderr}"));
    }
    // No results: the output folder holds no file at all.
    if out.exists() {
        let any = walk_files(&out);
        if !any.is_empty() {
            return Err(format!("wrote {any:?}"));
        }
    }
    Ok(())
}

fn walk_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk_files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Every file under `dir` (relative path → bytes), leaving out the shards' provenance
/// files and the `slurm/` folder: what must be byte-identical between a sharded and a
/// single-machine run.
fn tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, d: &Path, out: &mut std::collections::BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            if rel == "slurm" || rel == "provenance.json" || rel.starts_with("provenance-shard-") {
                continue;
            }
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.insert(rel, read(&p));
            }
        }
    }
    let mut out = Default::default();
    walk(dir, dir, &mut out);
    out
}

/// SMALL with two strategies and three replications: 6 runs in 3 replication groups.
fn sharded_scenario(dir: &Path) -> PathBuf {
    let text = SMALL.replacen("seed = 3\n", "seed = 3\nreplications = 3\n", 1)
        + "[[strategy]]\nname = \"none\"\n[[strategy]]\nname = \"topup\"\nmode = \"splice\"\n";
    scenario(dir, "s.toml", &text)
}

#[test]
fn three_concurrent_shards_then_assemble_equal_a_single_run() {
    let tmp = tempfile::tempdir().unwrap();
    let sc = sharded_scenario(tmp.path());
    // The whole experiment on one machine. Both sides write to `results` relative to
    // their own working directory: report.html names the folder it was written to.
    let single = tmp.path().join("single");
    std::fs::create_dir(&single).unwrap();
    let o = bin()
        .current_dir(&single)
        .args(["run", "--quiet", "--jobs", "2", "--out", "results"])
        .arg(&sc)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let want = tree(&single.join("results/small"));
    assert!(want.contains_key("summary.csv") && want.contains_key("report.html"));
    assert_eq!(want.keys().filter(|k| k.ends_with("/run.json")).count(), 6);

    // Three shards at once on one folder.
    let cwd = tmp.path().join("sharded");
    std::fs::create_dir(&cwd).unwrap();
    let sharded = cwd.join("results");
    let children: Vec<_> = (0..3)
        .map(|k| {
            bin()
                .current_dir(&cwd)
                .args([
                    "run",
                    "--quiet",
                    "--jobs",
                    "1",
                    "--shard",
                    &format!("{k}/3"),
                ])
                .arg(&sc)
                .args(["--out", "results"])
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let o = c.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let dir = sharded.join("small");
    // Shards write run folders and provenance, no aggregates.
    assert!(!dir.join("summary.csv").exists() && !dir.join("manifest.json").exists());
    for k in 0..3 {
        let p: serde_json::Value =
            serde_json::from_slice(&read(&dir.join(format!("provenance-shard-{k}-of-3.json"))))
                .unwrap();
        // One replication group (both strategies) per shard.
        assert_eq!(p["runs_computed"], 2, "{p}");
        assert_eq!(p["runs_reused"], 0);
        assert_eq!(p["shard"], format!("{k}/3"));
        assert!(p["command"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "--shard"));
        let runs = p["runs"].as_array().unwrap();
        assert!(runs
            .iter()
            .all(|r| r.as_str().unwrap().ends_with(&format!("-r00{k}"))));
    }
    let o = bin()
        .current_dir(&cwd)
        .arg("assemble")
        .arg(&sc)
        .args(["--out", "results"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let got = tree(&dir);
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    for (k, v) in &want {
        assert!(got[k] == *v, "{k} differs between sharded and single run");
    }
    // Running a shard again reuses its runs.
    let o = run_cli(&sc, &sharded, &["--shard", "1/3"]);
    assert!(o.status.success());
    let p: serde_json::Value =
        serde_json::from_slice(&read(&dir.join("provenance-shard-1-of-3.json"))).unwrap();
    assert_eq!(
        (p["runs_computed"].clone(), p["runs_reused"].clone()),
        (0.into(), 2.into())
    );
}

#[test]
fn assemble_names_lost_and_mismatched_runs_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let sc = sharded_scenario(tmp.path());
    let out = tmp.path().join("out");
    for k in 0..2 {
        let o = run_cli(&sc, &out, &["--shard", &format!("{k}/2")]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let dir = out.join("small");
    std::fs::remove_dir_all(dir.join("runs/p000-topup-r001")).unwrap();
    // Another experiment's run where this one expects its own.
    let rj = dir.join("runs/p000-none-r002/run.json");
    let text = std::fs::read_to_string(&rj).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let fp = v["fingerprint"].as_str().unwrap().to_string();
    std::fs::write(&rj, text.replace(&fp, "0123456789abcdef")).unwrap();
    let assemble = |extra: &[&str]| {
        bin()
            .arg("assemble")
            .arg(&sc)
            .arg("--out")
            .arg(&out)
            .args(extra)
            .output()
            .unwrap()
    };
    let o = assemble(&["--shards", "2"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("2 of 6 planned runs"), "{err}");
    // Groups r000, r001, r002 → shards 0, 1, 0.
    assert!(err.contains("p000-topup-r001 (shard 1): missing"), "{err}");
    assert!(
        err.contains("p000-none-r002 (shard 0): does not match this experiment: fingerprint 0123456789abcdef"),
        "{err}"
    );
    assert!(!err.contains("p000-none-r000"), "{err}");
    for f in [
        "summary.csv",
        "stats.csv",
        "timeseries.csv",
        "manifest.json",
        "report.html",
        "charts",
    ] {
        assert!(!dir.join(f).exists(), "{f} written by a failed assemble");
    }
    // Another seed: a different experiment, every run mismatched.
    let o = assemble(&["--seed", "99"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("6 of 6 planned runs"));
    // Re-running the shards recomputes the lost and the foreign run; then assemble works.
    for k in 0..2 {
        let o = run_cli(&sc, &out, &["--shard", &format!("{k}/2")]);
        assert!(o.status.success());
    }
    let o = assemble(&[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(dir.join("summary.csv").is_file());
}

#[test]
fn bad_shard_flags_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let sc = sharded_scenario(tmp.path());
    let out = tmp.path().join("out");
    for (shard, want) in [
        ("3/3", "K must be less than N"),
        ("0/0", "N must be at least 1"),
        ("2", "expected K/N"),
    ] {
        let o = run_cli(&sc, &out, &["--shard", shard]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && err.contains(want), "{shard}: {err}");
    }
    assert!(!out.exists(), "a refused shard wrote into --out");
}

#[test]
fn slurm_writes_its_scripts_inside_out_and_checks_flags() {
    let tmp = tempfile::tempdir().unwrap();
    sharded_scenario(tmp.path());
    let slurm = |extra: &[&str]| {
        bin()
            .current_dir(tmp.path())
            .args(["slurm", "s.toml", "--out", "my results"])
            .args(extra)
            .output()
            .unwrap()
    };
    let before: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    for (flags, want) in [
        (&["--shards", "0"][..], "--shards 0: expected at least 1"),
        (&["--shards", "7"], "only 6 run(s)"),
        (&["--cpus-per-task", "0"], "--cpus-per-task 0"),
        (&["--time", "2h"], "--time 2h"),
        (&["--mem", "lots"], "--mem lots"),
    ] {
        let o = slurm(flags);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            !o.status.success() && err.contains(want),
            "{flags:?}: {err}"
        );
    }
    let after: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(before, after, "a refused `pcnsim slurm` wrote files");
    // A bad scenario is refused before anything is written.
    let bad = scenario(tmp.path(), "bad.toml", "name = \"x\"\nbogus = 1\n");
    let o = bin()
        .current_dir(tmp.path())
        .arg("slurm")
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("bogus"));

    let o = slurm(&[
        "--shards",
        "3",
        "--cpus-per-task",
        "2",
        "--time",
        "0:10:00",
        "--seed",
        "5",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Everything inside --out.
    let names: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let mut names = names;
    names.sort();
    assert_eq!(names, ["bad.toml", "my results", "s.toml"]);
    let dir = tmp.path().join("my results/small/slurm");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "assemble.sbatch",
            "logs",
            "shards.sbatch",
            "shards.tsv",
            "submit.sh"
        ]
    );
    let sh = String::from_utf8(read(&dir.join("shards.sbatch"))).unwrap();
    let exe = std::fs::canonicalize(env!("CARGO_BIN_EXE_pcnsim")).unwrap();
    assert!(
        sh.contains(&format!("exec {} run s.toml --shard \"$SLURM_ARRAY_TASK_ID/3\" --jobs 2 --out 'my results' --quiet --seed 5", exe.display())),
        "{sh}"
    );
    assert!(sh.contains("#SBATCH --array=0-2\n") && sh.contains("#SBATCH --time=0:10:00\n"));
    let tsv = String::from_utf8(read(&dir.join("shards.tsv"))).unwrap();
    assert_eq!(tsv.lines().count(), 7, "{tsv}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("submit.sh"))
            .unwrap()
            .permissions()
            .mode();
        assert!(mode & 0o111 != 0);
    }
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

/// `[metrics] nodes_csv = false` and `channels_csv = false` leave those files out of every
/// run folder; the run is still complete (its `run.json`, the summary) and a second call
/// reuses it rather than recomputing it for the missing files.
#[test]
fn nodes_and_channels_csv_can_be_left_out() {
    let tmp = tempfile::tempdir().unwrap();
    let text = SMALL.replace(
        "window_s = 30",
        "window_s = 30\nnodes_csv = false\nchannels_csv = false\npayments_csv = false",
    );
    let sc = scenario(tmp.path(), "small.toml", &text);
    let out = tmp.path().join("out");
    let o = run_cli(&sc, &out, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let run = out.join("small").join("runs").join("p000-none-r000");
    assert!(run.join("run.json").is_file());
    for f in ["nodes.csv", "channels.csv", "payments.csv"] {
        assert!(!run.join(f).exists(), "{f} written");
    }
    let summary = read(&out.join("small").join("summary.csv"));
    let o = run_cli(&sc, &out, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(read(&out.join("small").join("summary.csv")), summary);
    let prov = String::from_utf8(read(&out.join("small").join("provenance.json"))).unwrap();
    assert!(prov.contains("\"runs_computed\": 0"), "{prov}");
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
