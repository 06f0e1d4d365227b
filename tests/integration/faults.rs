//! Integrity under faults: escape from --out, exact resume, stale reuse, kill -9, concurrent
//! processes, read-only and full output locations. Each test runs the real binary.

use super::{bin, read, run_cli, scenario, SMALL};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// SMALL with three strategies, two replications and `payments` payments: six runs.
fn multi(payments: u32, seed: u64) -> String {
    SMALL
        .replace("payments = 1500", &format!("payments = {payments}"))
        .replace("seed = 3", &format!("seed = {seed}\nreplications = 2"))
        + "[[strategy]]\nname = \"none\"\n[[strategy]]\nname = \"jit\"\nlabel = \"jit-1.5\"\n\
           [[strategy]]\nname = \"jit\"\nlabel = \"jit-1.2\"\n"
}

/// Every file under `dir` (relative path → bytes), except the lock file.
fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().unwrap() != ".pcnsim.lock" {
                out.push((p.strip_prefix(dir).unwrap().to_path_buf(), read(&p)));
            }
        }
    }
    out.sort();
    out
}

/// Names of pcnsim temporary files or folders anywhere under `dir`.
fn temps(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd {
            let p = e.unwrap().path();
            let n = p.file_name().unwrap().to_string_lossy().into_owned();
            if pcnsim::output::is_temp_name(&n) {
                out.push(p.clone());
            }
            if p.is_dir() {
                stack.push(p);
            }
        }
    }
    out
}

/// The result files that must be byte-identical between two runs of one experiment.
fn results(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    tree(dir)
        .into_iter()
        .filter(|(p, _)| {
            let s = p.to_string_lossy();
            s.ends_with(".csv") || s.ends_with("run.json")
        })
        .collect()
}

fn ok(o: &std::process::Output) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "{err}");
    err
}

fn failed(o: &std::process::Output) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(1), "expected exit 1: {err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

#[test]
fn label_escaping_out_is_refused_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let text =
        SMALL.to_string() + "[[strategy]]\nname = \"none\"\nlabel = \"x/../../../../ESCAPED\"\n";
    let sc = scenario(tmp.path(), "s.toml", &text);
    let out = tmp.path().join("a/b/out");
    let err = failed(&run_cli(&sc, &out, &[]));
    assert!(
        err.contains("strategy[0].label") && err.contains("path separator"),
        "{err}"
    );
    assert!(err.contains("s.toml:"), "names the file and line: {err}");
    assert!(!out.exists(), "nothing written, not even --out");
    let entries: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert_eq!(entries.len(), 1, "only the scenario file");
    assert!(!tmp.path().join("ESCAPED-r000").exists());

    // The library checks again where paths are made, whatever the scenario layer let by.
    let good = scenario(tmp.path(), "ok.toml", SMALL);
    let mut exp = pcnsim::sweep::load(Some(&good), None).unwrap();
    exp.points[0].scenario.strategies[0].label = "x/../../../../ESCAPED".into();
    let opts = pcnsim::experiment::RunOptions {
        out: out.clone(),
        ..Default::default()
    };
    let e = pcnsim::experiment::run_experiment(&exp, &opts, &pcnsim::experiment::NoProgress)
        .err()
        .expect("refused");
    assert!(e.to_string().contains("refusing"), "{e}");
    assert!(!out.exists());
    assert!(!tmp.path().join("ESCAPED-r000").exists());
}

#[test]
fn resume_and_plot_reproduce_a_fresh_run_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let sc = scenario(tmp.path(), "s.toml", &multi(1500, 3));
    let out = tmp.path().join("out");
    let dir = out.join("small");
    let err = ok(&bin()
        .args(["run"])
        .arg(&sc)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap());
    assert!(err.contains("reused 0 of 6 runs"), "{err}");
    // Both jit labels have their own run folders (no shared temporary name).
    for l in ["jit-1.5", "jit-1.2"] {
        assert!(
            dir.join(format!("runs/p000-{l}-r001/run.json")).is_file(),
            "{l}"
        );
    }
    let fresh = results(&dir);
    let stats = read(&dir.join("stats.csv"));
    ok(&bin().arg("plot").arg(&dir).output().unwrap());
    assert_eq!(
        read(&dir.join("stats.csv")),
        stats,
        "plot reproduces stats.csv"
    );
    let err = ok(&bin()
        .args(["run"])
        .arg(&sc)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap());
    assert!(err.contains("reused 6 of 6 runs"), "{err}");
    assert_eq!(
        results(&dir),
        fresh,
        "resume reproduces every CSV and run.json"
    );
    assert_eq!(read(&dir.join("stats.csv")), stats);
    // --fresh recomputes everything, with the same bytes.
    let err = ok(&bin()
        .args(["run", "--fresh"])
        .arg(&sc)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap());
    assert!(err.contains("reused 0 of 6 runs"), "{err}");
    assert_eq!(results(&dir), fresh);
    assert!(temps(&out).is_empty(), "{:?}", temps(&out));
}

#[test]
fn changed_input_file_contents_are_not_reused() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("amounts.csv"), "amount_sat\n10000\n20000\n").unwrap();
    let text = SMALL.replace(
        "amount = { dist = \"lognormal\", median_sat = 20_000, sigma = 1.0 }",
        "amounts_csv = \"amounts.csv\"",
    );
    let sc = scenario(tmp.path(), "s.toml", &text);
    let out = tmp.path().join("out");
    let run = || {
        ok(&bin()
            .args(["run"])
            .arg(&sc)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap())
    };
    assert!(run().contains("reused 0 of 1 runs"));
    let first = read(&out.join("small/summary.csv"));
    assert!(run().contains("reused 1 of 1 runs"));
    // Same path and size, other contents: recomputed, with other results.
    std::fs::write(tmp.path().join("amounts.csv"), "amount_sat\n10000\n90000\n").unwrap();
    let err = run();
    assert!(err.contains("reused 0 of 1 runs"), "{err}");
    assert_ne!(read(&out.join("small/summary.csv")), first);
    let manifest = String::from_utf8(read(&out.join("small/manifest.json"))).unwrap();
    for k in [
        "\"build_hash\"",
        "\"git_commit\"",
        "\"fingerprint\"",
        "amounts.csv",
        "\"sha256\"",
    ] {
        assert!(manifest.contains(k), "manifest records {k}");
    }
}

#[test]
fn kill_9_mid_experiment_then_resume_is_byte_identical() {
    let tmp = tempfile::tempdir().unwrap();
    let sc = scenario(tmp.path(), "s.toml", &multi(6000, 5));
    let whole = tmp.path().join("whole");
    ok(&run_cli(&sc, &whole, &["--jobs", "1"]));
    let out = tmp.path().join("out");
    let mut child = bin()
        .args(["run", "--quiet", "--jobs", "1"])
        .arg(&sc)
        .arg("--out")
        .arg(&out)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once the first run folder is complete and the next one is being written.
    let runs = out.join("small/runs");
    let start = Instant::now();
    let mut killed_mid_run = false;
    loop {
        let complete = std::fs::read_dir(&runs)
            .map(|rd| {
                rd.map(|e| e.unwrap().path())
                    .filter(|p| {
                        let n = p.file_name().unwrap().to_string_lossy();
                        !pcnsim::output::is_temp_name(&n) && p.join("run.json").is_file()
                    })
                    .count()
            })
            .unwrap_or(0);
        if complete >= 1 && !temps(&runs).is_empty() {
            killed_mid_run = child.try_wait().unwrap().is_none();
            break;
        }
        if child.try_wait().unwrap().is_some() || start.elapsed() > Duration::from_secs(120) {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().ok(); // SIGKILL
    child.wait().unwrap();
    assert!(
        killed_mid_run,
        "the experiment finished before it could be killed"
    );
    assert!(!out.join("small/summary.csv").exists());
    let err = ok(&bin()
        .arg("run")
        .arg(&sc)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap());
    let reused: usize = err
        .split("reused ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{err}"));
    assert!((1..6).contains(&reused), "{err}");
    assert_eq!(results(&out.join("small")), results(&whole.join("small")));
    assert!(
        temps(&out).is_empty(),
        "stale temporary files swept: {:?}",
        temps(&out)
    );
}

#[test]
fn concurrent_processes_on_one_out() {
    let tmp = tempfile::tempdir().unwrap();
    let a = scenario(tmp.path(), "a.toml", &multi(6000, 5));
    let b = scenario(tmp.path(), "b.toml", &multi(6000, 6)); // another experiment, same name
    let solo = tmp.path().join("solo");
    ok(&run_cli(&a, &solo, &["--jobs", "1"]));
    let spawn = |sc: &Path, out: &Path| {
        bin()
            .args(["run", "--quiet", "--jobs", "1"])
            .arg(sc)
            .arg("--out")
            .arg(out)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    // A different experiment is refused at once while one runs.
    let out = tmp.path().join("out");
    let first = spawn(&a, &out);
    let runs = out.join("small/runs");
    let start = Instant::now();
    while temps(&runs).is_empty() && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(2));
    }
    let t = Instant::now();
    let o = run_cli(&b, &out, &[]);
    let err = failed(&o);
    assert!(t.elapsed() < Duration::from_secs(5), "refused at once");
    assert!(
        err.contains("in use") && err.contains(".pcnsim.lock"),
        "{err}"
    );
    ok(&first.wait_with_output().unwrap());
    assert_eq!(results(&out.join("small")), results(&solo.join("small")));

    // The same experiment twice at once: both succeed, results identical to a solo run.
    let out2 = tmp.path().join("out2");
    let (x, y) = (spawn(&a, &out2), spawn(&a, &out2));
    ok(&x.wait_with_output().unwrap());
    ok(&y.wait_with_output().unwrap());
    assert_eq!(results(&out2.join("small")), results(&solo.join("small")));
    assert!(temps(&out2).is_empty());
}

/// Runs `cmd` as user `nobody` when the tests run as root (root ignores permission bits).
#[cfg(unix)]
fn unprivileged(cmd: &mut Command) -> &mut Command {
    use std::os::unix::process::CommandExt;
    if unsafe { libc::geteuid() } == 0 {
        unsafe {
            cmd.pre_exec(|| {
                if libc::setgroups(0, std::ptr::null()) != 0
                    || libc::setgid(65534) != 0
                    || libc::setuid(65534) != 0
                {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    cmd
}

#[cfg(unix)]
#[test]
fn read_only_output_gives_a_clear_error_and_no_partial_files() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let mode =
        |p: &Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    mode(tmp.path(), 0o755);
    let sc = scenario(tmp.path(), "s.toml", SMALL);
    // 1. --out inside a read-only folder.
    let ro = tmp.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    mode(&ro, 0o555);
    let o = unprivileged(
        bin()
            .args(["run", "--quiet"])
            .arg(&sc)
            .arg("--out")
            .arg(ro.join("out")),
    )
    .output()
    .unwrap();
    let err = failed(&o);
    assert!(
        err.contains(&ro.join("out").display().to_string()),
        "names the path: {err}"
    );
    assert_eq!(std::fs::read_dir(&ro).unwrap().count(), 0);
    // 2. Earlier results in a folder that became read-only: the old files stay whole.
    let out = tmp.path().join("out");
    ok(&run_cli(&sc, &out, &[]));
    let dir = out.join("small");
    let before = tree(&dir);
    let mut stack = vec![out.clone()];
    while let Some(d) = stack.pop() {
        mode(&d, 0o755);
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                mode(&p, 0o666);
            }
        }
    }
    mode(&dir.join("runs"), 0o555);
    mode(&dir, 0o555);
    let o = unprivileged(
        bin()
            .args(["run", "--quiet", "--fresh"])
            .arg(&sc)
            .arg("--out")
            .arg(&out),
    )
    .output()
    .unwrap();
    let err = failed(&o);
    assert!(
        err.contains(&dir.display().to_string()),
        "names the path: {err}"
    );
    mode(&dir, 0o755);
    mode(&dir.join("runs"), 0o755);
    assert_eq!(tree(&dir), before, "nothing changed");
}

/// `pcnsim run` with the file-size limit `blocks` (SIGXFSZ ignored, so writes fail with
/// EFBIG as on a full disk).
#[cfg(unix)]
fn run_with_fsize_limit(sc: &Path, out: &Path, kib: u64) -> std::process::Output {
    use std::os::unix::process::CommandExt;
    let mut cmd = bin();
    cmd.args(["run", "--quiet"]).arg(sc).arg("--out").arg(out);
    unsafe {
        cmd.pre_exec(move || {
            let lim = libc::rlimit {
                rlim_cur: kib * 1024,
                rlim_max: kib * 1024,
            };
            if libc::signal(libc::SIGXFSZ, libc::SIG_IGN) == libc::SIG_ERR
                || libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.output().unwrap()
}

#[cfg(unix)]
#[test]
fn full_disk_gives_a_clear_error_and_no_partial_files() {
    let tmp = tempfile::tempdir().unwrap();
    // payments.csv (~90 KiB) exceeds 32 KiB: the run fails while writing it.
    let sc = scenario(tmp.path(), "s.toml", SMALL);
    let out = tmp.path().join("a");
    let err = failed(&run_with_fsize_limit(&sc, &out, 32));
    assert!(
        err.contains("payments.csv") && err.contains("too large"),
        "{err}"
    );
    let dir = out.join("small");
    assert!(!dir.join("summary.csv").exists());
    assert_eq!(
        std::fs::read_dir(dir.join("runs")).unwrap().count(),
        0,
        "no run folder"
    );
    assert!(temps(&out).is_empty(), "{:?}", temps(&out));

    // Without payments.csv the run folder fits but a chart does not.
    let text = SMALL.replace("window_s = 30", "window_s = 30\npayments_csv = false");
    let sc = scenario(tmp.path(), "t.toml", &text);
    let out = tmp.path().join("b");
    let err = failed(&run_with_fsize_limit(&sc, &out, 24));
    assert!(
        err.contains("charts/") && err.contains(&out.display().to_string()),
        "{err}"
    );
    let charts = out.join("small/charts");
    for e in std::fs::read_dir(&charts).unwrap() {
        let p = e.unwrap().path();
        let bytes = read(&p);
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            !pcnsim::output::is_temp_name(&name),
            "temp file left: {name}"
        );
        if name.ends_with(".png") {
            assert!(
                bytes.ends_with(&[0xAE, 0x42, 0x60, 0x82]),
                "{name} complete"
            );
        } else {
            assert!(
                String::from_utf8_lossy(&bytes)
                    .trim_end()
                    .ends_with("</svg>"),
                "{name}"
            );
        }
    }
    assert!(temps(&out).is_empty(), "{:?}", temps(&out));
}
