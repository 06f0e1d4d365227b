//! Slurm job scripts for a sharded experiment (`pcnsim slurm`).
//!
//! An experiment is split into N shards ([`crate::experiment::shard_assignment`]); a Slurm
//! job array runs one shard per task (`pcnsim run SCENARIO --shard $SLURM_ARRAY_TASK_ID/N`)
//! and a job that depends on the whole array (`afterok`) runs `pcnsim assemble`. This
//! module only writes text: [`scripts`] builds the files from a validated experiment and
//! [`write_scripts`] puts them into `OUT/<name>/slurm/`. It runs nothing and reads no
//! environment (the binary passes its own path and working directory in).
//!
//! Files: `shards.sbatch` (the array), `assemble.sbatch`, `submit.sh` (submits both, or
//! only the shards named on its command line, with the dependency) and `shards.tsv` (which
//! task computes which run, to re-submit one task alone).
//!
//! Paths in shell code are quoted with `shlex`; paths handed to Slurm's own options
//! (`--chdir`, `--output`) are passed on `sbatch`'s command line from `submit.sh`, never on
//! `#SBATCH` lines, which Slurm parses itself. `#SBATCH` lines only carry values checked
//! here (numbers, a time limit, names of partitions and accounts, a memory size).

use crate::experiment::{plan, shard_assignment};
use crate::output::{self, OutputError};
use crate::sweep::Experiment;
use std::path::{Path, PathBuf};

/// What `pcnsim slurm` was asked for.
#[derive(Debug, Clone)]
pub struct SlurmOptions {
    /// Absolute path of the pcnsim binary the jobs run.
    pub bin: PathBuf,
    /// Absolute working directory of the jobs (where `pcnsim slurm` ran): `scenario` and
    /// `out` are used as given, relative to it, so the manifest names the scenario exactly
    /// as a local `pcnsim run` from there would.
    pub workdir: PathBuf,
    /// The scenario file, as given.
    pub scenario: PathBuf,
    /// The `--out` folder, as given.
    pub out: PathBuf,
    /// `--seed`, passed on to every job.
    pub seed: Option<u64>,
    /// N: array tasks, one shard each.
    pub shards: usize,
    /// CPUs per task, also each shard's `--jobs`.
    pub cpus_per_task: usize,
    /// `--time` (Slurm's formats: `M`, `M:S`, `H:M:S`, `D-H`, `D-H:M`, `D-H:M:S`).
    pub time: Option<String>,
    pub partition: Option<String>,
    pub account: Option<String>,
    /// `--mem` per node (`<number>[K|M|G|T]`).
    pub mem: Option<String>,
}

/// A flag or path that cannot go into the scripts. Fatal for `pcnsim slurm`; nothing is
/// written.
#[derive(Debug, thiserror::Error)]
pub enum SlurmError {
    /// A flag value is out of range or not in Slurm's format.
    #[error("--{flag} {value}: {message}")]
    Flag {
        flag: &'static str,
        value: String,
        message: String,
    },
    /// A path that a shell script cannot carry (not UTF-8, or a NUL byte).
    #[error("{}: cannot be written into a shell script: {message}", path.display())]
    Path { path: PathBuf, message: String },
    /// Writing the files failed.
    #[error(transparent)]
    Output(#[from] OutputError),
}

/// One generated file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlurmFile {
    /// File name inside the `slurm/` folder.
    pub name: &'static str,
    pub text: String,
    /// Whether to mark it executable.
    pub executable: bool,
}

/// The folder the scripts go to: `out/<name>/slurm`.
pub fn slurm_dir(out: &Path, name: &str) -> PathBuf {
    out.join(name).join("slurm")
}

fn flag_err(flag: &'static str, value: impl ToString, message: impl ToString) -> SlurmError {
    SlurmError::Flag {
        flag,
        value: value.to_string(),
        message: message.to_string(),
    }
}

/// Shell-quotes a path (POSIX sh and bash).
fn quote_path(p: &Path) -> Result<String, SlurmError> {
    let s = p.to_str().ok_or_else(|| SlurmError::Path {
        path: p.to_path_buf(),
        message: "not valid UTF-8".into(),
    })?;
    shlex::try_quote(s)
        .map(|c| c.into_owned())
        .map_err(|e| SlurmError::Path {
            path: p.to_path_buf(),
            message: e.to_string(),
        })
}

/// Whether `t` is one of Slurm's time formats: `M`, `M:S`, `H:M:S`, `D-H`, `D-H:M`,
/// `D-H:M:S` (every part digits), or `UNLIMITED`/`INFINITE`.
pub fn valid_time(t: &str) -> bool {
    if t.eq_ignore_ascii_case("unlimited") || t.eq_ignore_ascii_case("infinite") {
        return true;
    }
    let digits = |x: &str| !x.is_empty() && x.len() <= 9 && x.bytes().all(|b| b.is_ascii_digit());
    let (days, rest) = match t.split_once('-') {
        Some((d, r)) => (Some(d), r),
        None => (None, t),
    };
    if days.is_some_and(|d| !digits(d)) {
        return false;
    }
    let parts: Vec<&str> = rest.split(':').collect();
    let max_parts = 3;
    !parts.is_empty() && parts.len() <= max_parts && parts.iter().all(|p| digits(p))
}

/// Whether `m` is a Slurm memory size: digits with an optional `K`, `M`, `G` or `T`.
pub fn valid_mem(m: &str) -> bool {
    let body = m
        .strip_suffix(['K', 'M', 'G', 'T', 'k', 'm', 'g', 't'])
        .unwrap_or(m);
    !body.is_empty() && body.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `n` is a plausible Slurm partition or account name (letters, digits, `_.-`;
/// commas separate several partitions).
fn valid_name(n: &str, comma: bool) -> bool {
    !n.is_empty()
        && n.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b) || (comma && b == b','))
}

/// A Slurm job name from the scenario name: characters outside `[A-Za-z0-9_.-]` become `_`.
fn job_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_.-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Slurm expands `%` in `--output` names; `%%` is a literal `%`.
fn slurm_pattern_escape(s: &str) -> String {
    s.replace('%', "%%")
}

/// The four files for `exp` (already validated) with options `o`.
///
/// Errors: a flag out of range (`shards` 0 or more than the experiment's runs,
/// `cpus_per_task` 0, a time, memory size, partition or account Slurm would not accept) or
/// a path that cannot be quoted. Complexity: O(runs).
pub fn scripts(exp: &Experiment, o: &SlurmOptions) -> Result<Vec<SlurmFile>, SlurmError> {
    let plan = plan(exp);
    let n = o.shards;
    if n == 0 {
        return Err(flag_err("shards", n, "expected at least 1"));
    }
    if n > plan.len() {
        return Err(flag_err(
            "shards",
            n,
            format!(
                "the experiment has only {} run(s); use at most that many shards",
                plan.len()
            ),
        ));
    }
    if o.cpus_per_task == 0 {
        return Err(flag_err("cpus-per-task", 0, "expected at least 1"));
    }
    if let Some(t) = &o.time {
        if !valid_time(t) {
            return Err(flag_err(
                "time",
                t,
                "expected a Slurm time limit: MINUTES, MINUTES:SECONDS, HOURS:MINUTES:SECONDS, DAYS-HOURS, DAYS-HOURS:MINUTES or DAYS-HOURS:MINUTES:SECONDS",
            ));
        }
    }
    if let Some(m) = &o.mem {
        if !valid_mem(m) {
            return Err(flag_err(
                "mem",
                m,
                "expected a size such as 4000, 512M or 8G",
            ));
        }
    }
    if let Some(p) = &o.partition {
        if !valid_name(p, true) {
            return Err(flag_err(
                "partition",
                p,
                "expected letters, digits, `_`, `.`, `-` (commas between partitions)",
            ));
        }
    }
    if let Some(a) = &o.account {
        if !valid_name(a, false) {
            return Err(flag_err(
                "account",
                a,
                "expected letters, digits, `_`, `.`, `-`",
            ));
        }
    }
    let s = exp.base();
    let name = job_name(&s.name);
    let workdir = quote_path(&o.workdir)?;
    let bin = quote_path(&o.bin)?;
    let scenario = quote_path(&o.scenario)?;
    let out = quote_path(&o.out)?;
    let sdir_abs = slurm_dir(&o.workdir.join(&o.out), &s.name);
    let sdir = quote_path(&sdir_abs)?;
    let logs = quote_path(Path::new(&slurm_pattern_escape(
        sdir_abs.join("logs").to_str().unwrap_or_default(),
    )))?;
    let seed = o.seed.map(|x| format!(" --seed {x}")).unwrap_or_default();
    let c = o.cpus_per_task;
    let last = n - 1;

    let mut resources = String::new();
    if let Some(t) = &o.time {
        resources += &format!("#SBATCH --time={t}\n");
    }
    if let Some(p) = &o.partition {
        resources += &format!("#SBATCH --partition={p}\n");
    }
    if let Some(a) = &o.account {
        resources += &format!("#SBATCH --account={a}\n");
    }
    if let Some(m) = &o.mem {
        resources += &format!("#SBATCH --mem={m}\n");
    }
    let version = env!("CARGO_PKG_VERSION");

    let shards = format!(
        r#"#!/usr/bin/env bash
#SBATCH --job-name=pcnsim-{name}
#SBATCH --array=0-{last}
#SBATCH --ntasks=1
#SBATCH --cpus-per-task={c}
{resources}# One shard of experiment {name} ({runs} runs in {n} shards; shards.tsv lists which task
# computes which run). Generated by `pcnsim slurm` (pcnsim {version}); submit with submit.sh,
# which also sets the working directory and the log files.
set -euo pipefail
: "${{SLURM_ARRAY_TASK_ID:?submit this script with sbatch (see submit.sh): it needs an array task id}}"
cd {workdir}
exec {bin} run {scenario} --shard "$SLURM_ARRAY_TASK_ID/{n}" --jobs {c} --out {out} --quiet{seed}
"#,
        runs = plan.len(),
    );
    let assemble = format!(
        r#"#!/usr/bin/env bash
#SBATCH --job-name=pcnsim-{name}-assemble
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=1
{resources}# Assembles experiment {name} once every shard is done: checks that all {runs} planned runs
# are present and match the scenario, then writes summary, stats, timeseries, charts,
# report.html and manifest.json. Generated by `pcnsim slurm` (pcnsim {version}).
set -euo pipefail
cd {workdir}
exec {bin} assemble {scenario} --out {out} --shards {n}{seed}
"#,
        runs = plan.len(),
    );
    let submit = format!(
        r#"#!/usr/bin/env bash
# Submits experiment {name} to Slurm: the job array of {n} shards, then the assemble job,
# which starts only if every submitted task succeeds (afterok) and is cancelled otherwise.
#   bash submit.sh           all shards 0-{last}, then assemble
#   bash submit.sh 3 7       only shards 3 and 7 (say, failed tasks: finished runs are
#                            reused), then assemble
# Prints the job ids, and last a line `PCNSIM_JOBS array=<id> assemble=<id>`.
# Generated by `pcnsim slurm` (pcnsim {version}).
set -euo pipefail
here={sdir}
logs={logs}
tasks=0-{last}
if [[ $# -gt 0 ]]; then
  for t in "$@"; do
    if ! [[ $t =~ ^[0-9]+$ ]] || ((10#$t > {last})); then
      echo "submit.sh: '$t' is not a shard number (0 to {last})" >&2
      exit 2
    fi
  done
  tasks=$(IFS=,; echo "$*")
fi
mkdir -p "$here/logs"
array=$(sbatch --parsable --array="$tasks" --chdir={workdir} \
  --output="$logs/shard-%A_%a.out" "$here/shards.sbatch")
array=${{array%%;*}}
assemble=$(sbatch --parsable --dependency="afterok:$array" --kill-on-invalid-dep=yes \
  --chdir={workdir} --output="$logs/assemble-%j.out" "$here/assemble.sbatch")
assemble=${{assemble%%;*}}
echo "submitted job array $array (shards $tasks) and assemble job $assemble"
echo "PCNSIM_JOBS array=$array assemble=$assemble"
"#
    );
    let assignment = shard_assignment(&plan, n);
    let mut tsv = String::from("task\trun\tpoint\tstrategy\treplication\tseed\n");
    for (p, task) in plan.iter().zip(&assignment) {
        tsv += &format!(
            "{task}\t{}\t{}\t{}\t{}\t{}\n",
            p.name, p.point, p.label, p.replication, p.seed
        );
    }
    Ok(vec![
        SlurmFile {
            name: "shards.sbatch",
            text: shards,
            executable: true,
        },
        SlurmFile {
            name: "assemble.sbatch",
            text: assemble,
            executable: true,
        },
        SlurmFile {
            name: "submit.sh",
            text: submit,
            executable: true,
        },
        SlurmFile {
            name: "shards.tsv",
            text: tsv,
            executable: false,
        },
    ])
}

/// Writes `files` into `dir` (each atomically), with an empty `logs/` folder for the jobs'
/// output.
pub fn write_scripts(dir: &Path, files: &[SlurmFile]) -> Result<(), OutputError> {
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).map_err(output::io_err(&logs, "create the folder"))?;
    for f in files {
        let path = dir.join(f.name);
        output::write_via_temp(&path, f.text.as_bytes())?;
        #[cfg(unix)]
        if f.executable {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                .map_err(output::io_err(&path, "make executable"))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: &str = r#"
name = "two_words"
seed = 1
replications = 3
[topology]
kind = "line"
nodes = 3
capacity = { dist = "fixed", sat = 1000000 }
[workload]
rate_per_s = 1.0
payments = 5
amount = { dist = "fixed", sat = 1000 }
[[strategy]]
name = "none"
[[strategy]]
name = "circular"
"#;

    fn exp() -> Experiment {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("t.toml");
        std::fs::write(&p, TWO).expect("write");
        crate::sweep::load(Some(&p), None).expect("experiment")
    }

    fn opts() -> SlurmOptions {
        SlurmOptions {
            bin: "/opt/pcn sim/bin/pcnsim".into(),
            workdir: "/home/a b/study's".into(),
            scenario: "scen arios/x.toml".into(),
            out: "res$ults".into(),
            seed: Some(9),
            shards: 2,
            cpus_per_task: 4,
            time: Some("1-02:00:00".into()),
            partition: Some("short,long".into()),
            account: Some("proj_1".into()),
            mem: Some("8G".into()),
        }
    }

    fn file<'a>(fs: &'a [SlurmFile], name: &str) -> &'a str {
        &fs.iter().find(|f| f.name == name).expect(name).text
    }

    /// What bash makes of `words` (one argument per line), by running it.
    fn bash_words(words: &str) -> Vec<String> {
        let o = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!("printf '%s\\n' {words}"))
            .output()
            .expect("bash");
        String::from_utf8(o.stdout)
            .expect("utf8")
            .lines()
            .map(String::from)
            .collect()
    }

    #[test]
    fn quoted_paths_reach_the_shell_unchanged() {
        for p in [
            "plain/path",
            "/a b/c",
            "it's",
            "$HOME `x` \"q\" \\ *?",
            "semi;colon&amp|pipe",
            "ünï côdé",
        ] {
            let q = quote_path(Path::new(p)).expect("quotable");
            assert_eq!(bash_words(&q), vec![p.to_string()], "{p} quoted as {q}");
        }
    }

    #[test]
    fn scripts_carry_quoted_paths_shard_count_and_resources() {
        let fs = scripts(&exp(), &opts()).expect("scripts");
        let sh = file(&fs, "shards.sbatch");
        assert!(sh.starts_with("#!/usr/bin/env bash\n"));
        assert!(sh.contains("#SBATCH --array=0-1\n"), "{sh}");
        assert!(sh.contains("#SBATCH --cpus-per-task=4\n"));
        assert!(sh.contains("#SBATCH --time=1-02:00:00\n"));
        assert!(sh.contains("#SBATCH --partition=short,long\n"));
        assert!(sh.contains("#SBATCH --account=proj_1\n"));
        assert!(sh.contains("#SBATCH --mem=8G\n"));
        assert!(sh.contains("#SBATCH --job-name=pcnsim-two_words\n"));
        // The command line, as bash parses it.
        let exec = sh
            .lines()
            .find(|l| l.starts_with("exec "))
            .expect("exec line");
        let words = bash_words(&exec["exec ".len()..].replace("$SLURM_ARRAY_TASK_ID", "7"));
        assert_eq!(
            words,
            [
                "/opt/pcn sim/bin/pcnsim",
                "run",
                "scen arios/x.toml",
                "--shard",
                "7/2",
                "--jobs",
                "4",
                "--out",
                "res$ults",
                "--quiet",
                "--seed",
                "9"
            ]
        );
        let cd = sh.lines().find(|l| l.starts_with("cd ")).expect("cd line");
        assert_eq!(bash_words(&cd[3..]), ["/home/a b/study's"]);

        let asm = file(&fs, "assemble.sbatch");
        let exec = asm.lines().find(|l| l.starts_with("exec ")).expect("exec");
        assert_eq!(
            bash_words(&exec[5..]),
            [
                "/opt/pcn sim/bin/pcnsim",
                "assemble",
                "scen arios/x.toml",
                "--out",
                "res$ults",
                "--shards",
                "2",
                "--seed",
                "9"
            ]
        );
        assert!(!asm.contains("--array"));

        let sub = file(&fs, "submit.sh");
        assert!(sub.contains("--dependency=\"afterok:$array\" --kill-on-invalid-dep=yes"));
        assert!(sub.contains("tasks=0-1\n"));
        let here = sub.lines().find(|l| l.starts_with("here=")).expect("here");
        assert_eq!(
            bash_words(&here[5..]),
            ["/home/a b/study's/res$ults/two_words/slurm"]
        );
        // Only checked values on #SBATCH lines: no path.
        for f in &fs {
            for l in f.text.lines().filter(|l| l.starts_with("#SBATCH")) {
                let opt = &l["#SBATCH ".len()..];
                assert!(!opt.contains('/') && !opt.contains(' '), "{l}");
            }
        }
        // Every script is valid bash.
        for f in fs.iter().filter(|f| f.executable) {
            let o = std::process::Command::new("bash")
                .args(["-n", "-c", &f.text])
                .output()
                .expect("bash");
            assert!(
                o.status.success(),
                "{}: {}",
                f.name,
                String::from_utf8_lossy(&o.stderr)
            );
        }
    }

    #[test]
    fn shards_tsv_lists_every_run_with_its_task() {
        let fs = scripts(&exp(), &opts()).expect("scripts");
        let tsv = file(&fs, "shards.tsv");
        let rows: Vec<Vec<&str>> = tsv
            .lines()
            .skip(1)
            .map(|l| l.split('\t').collect())
            .collect();
        // 3 replications × 2 strategies; groups (p0, r0), (p0, r1), (p0, r2) dealt to
        // shards 0, 1, 0.
        let tasks: Vec<(&str, &str)> = rows.iter().map(|r| (r[0], r[1])).collect();
        assert_eq!(
            tasks,
            [
                ("0", "p000-none-r000"),
                ("0", "p000-circular-r000"),
                ("1", "p000-none-r001"),
                ("1", "p000-circular-r001"),
                ("0", "p000-none-r002"),
                ("0", "p000-circular-r002"),
            ]
        );
    }

    #[test]
    fn bad_flags_are_refused_with_the_flag_named() {
        let e = exp();
        type Change = Box<dyn Fn(&mut SlurmOptions)>;
        let cases: Vec<(Change, &str)> = vec![
            (Box::new(|o| o.shards = 0), "--shards 0"),
            (Box::new(|o| o.shards = 7), "only 6 run(s)"),
            (Box::new(|o| o.cpus_per_task = 0), "--cpus-per-task 0"),
            (Box::new(|o| o.time = Some("2h".into())), "--time 2h"),
            (
                Box::new(|o| o.time = Some("1:2:3:4".into())),
                "--time 1:2:3:4",
            ),
            (Box::new(|o| o.mem = Some("8 GB".into())), "--mem 8 GB"),
            (
                Box::new(|o| o.partition = Some("a b".into())),
                "--partition a b",
            ),
            (
                Box::new(|o| o.account = Some("x;rm".into())),
                "--account x;rm",
            ),
        ];
        for (change, want) in cases {
            let mut o = opts();
            change(&mut o);
            let msg = scripts(&e, &o).expect_err(want).to_string();
            assert!(msg.contains(want), "{msg} lacks {want}");
        }
        let mut o = opts();
        o.shards = 6;
        assert!(scripts(&e, &o).is_ok());
    }

    #[test]
    fn slurm_time_and_memory_formats() {
        for t in [
            "30",
            "30:00",
            "2:00:00",
            "1-0",
            "1-2:30",
            "1-02:30:00",
            "UNLIMITED",
        ] {
            assert!(valid_time(t), "{t}");
        }
        for t in ["", "2h", "1:2:3:4", "-1", "1-", "a:b", "1-2-3"] {
            assert!(!valid_time(t), "{t}");
        }
        for m in ["4000", "512M", "8G", "1T", "64k"] {
            assert!(valid_mem(m), "{m}");
        }
        for m in ["", "G", "8GB", "8 G", "-1"] {
            assert!(!valid_mem(m), "{m}");
        }
    }
}
