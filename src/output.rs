//! Results on disk: CSV files, run folders, the manifest. Outside the simulation core.
//!
//! Layout of `<out>/<scenario>/`:
//! - `manifest.json`: scenario name, source, seed, pcnsim version, runs, the scenario text;
//! - `summary.csv`: one row per run, one column per headline metric;
//! - `timeseries.csv`: one row per run and window;
//! - `runs/<run>/`: `payments.csv` (if enabled), `nodes.csv` (revenue and costs per node, if
//!   enabled)
//!   and `run.json` (the run's metrics and windows, which also marks the run complete).
//!
//! Everything is written under a temporary name and renamed when complete: a run folder is
//! either complete or absent, and an aggregate file is either the new one or the old one.

use crate::metrics::results::probe_amount_label;
use crate::metrics::RunResult;
use crate::metrics::{PaymentRecord, ProbeRecord, ProbeRound, Recorder, WindowSample};
use crate::scenario::Scenario;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A failure to write or read results. Fatal for the command; every variant names a path.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The file system refused (`what` says what was attempted).
    #[error("{}: cannot {what}: {source}", path.display())]
    Io {
        path: PathBuf,
        what: &'static str,
        source: std::io::Error,
    },
    /// A results file exists but is not what pcnsim wrote.
    #[error("{}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
    /// Encoding a CSV or JSON document failed.
    #[error("{}: cannot encode: {message}", path.display())]
    Encode { path: PathBuf, message: String },
    /// A name that would become a file or folder name is unsafe (from a strategy label,
    /// a scenario name, …). Nothing was written.
    #[error("{}: refusing `{}` as a file name: it {why}", dir.display(), name.escape_debug())]
    BadName {
        dir: PathBuf,
        name: String,
        why: String,
    },
    /// The results folder is locked by another pcnsim process running a different
    /// experiment. Remedy: wait for it, or use another `--out`.
    #[error("{}: results folder in use: {message}", path.display())]
    Busy { path: PathBuf, message: String },
}

/// Shorthand for an I/O error at `path`.
pub fn io_err(path: &Path, what: &'static str) -> impl FnOnce(std::io::Error) -> OutputError {
    let path = path.to_path_buf();
    move |source| OutputError::Io { path, what, source }
}

fn encode_err(path: &Path) -> impl FnOnce(String) -> OutputError {
    let path = path.to_path_buf();
    move |message| OutputError::Encode { path, message }
}

/// pcnsim's version, the hash of the sources it was built from and the git commit (see
/// `build.rs`). The build hash is part of every fingerprint; the commit is provenance only.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// SHA-256 over `src/**`, `assets/**`, `Cargo.toml` and `Cargo.lock` at build time.
pub const BUILD_HASH: &str = env!("PCNSIM_BUILD_HASH");
/// `git rev-parse HEAD` at build time, or `unknown` (provenance, not part of fingerprints).
pub const GIT_COMMIT: &str = env!("PCNSIM_GIT_COMMIT");

/// The name of the lock file in an experiment's results folder.
pub const LOCK_FILE: &str = ".pcnsim.lock";

/// `dir/name`, after checking that `name` is a single harmless file name
/// ([`crate::names::check`]): no separator, no `..`, no control character, not empty,
/// not hidden, not over-long. Every name that becomes a path goes through here.
pub fn child(dir: &Path, name: &str) -> Result<PathBuf, OutputError> {
    crate::names::check(name).map_err(|why| OutputError::BadName {
        dir: dir.to_path_buf(),
        name: name.to_string(),
        why,
    })?;
    Ok(dir.join(name))
}

/// Creates the output folder `out` if needed and returns its canonical path (symbolic links
/// and `..` resolved), so that everything written or deleted later is inside it.
pub fn prepare_out(out: &Path) -> Result<PathBuf, OutputError> {
    fs::create_dir_all(out).map_err(io_err(out, "create the output folder"))?;
    fs::canonicalize(out).map_err(io_err(out, "resolve the output folder"))
}

/// A temporary name beside `path`, unique to this process and call:
/// `.<file name>.<pid>-<counter>.tmp`, then `.<ext>` if given (plotters picks the image
/// format from the extension). [`sweep_temps`] recognises these names.
pub fn temp_path(path: &Path, ext: Option<&str>) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = path
        .file_name()
        .map_or_else(|| "out".to_string(), |n| n.to_string_lossy().into_owned());
    let ext = ext.map(|e| format!(".{e}")).unwrap_or_default();
    let tmp = format!(".{name}.{}-{n}.tmp{ext}", std::process::id());
    path.parent().unwrap_or(Path::new(".")).join(tmp)
}

/// Whether a file name is one of pcnsim's temporary names ([`temp_path`], or the
/// `<name>.tmp` of earlier versions).
pub fn is_temp_name(name: &str) -> bool {
    name.ends_with(".tmp") || (name.starts_with('.') && name.contains(".tmp."))
}

/// Writes `bytes` to `path` atomically: into a unique temporary file in the same folder
/// ([`temp_path`]), then renamed. Readers see the old file or the new one, never a part;
/// a failure (full disk, no permission) removes the temporary file and names `path`.
pub fn write_via_temp(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(io_err(dir, "create the folder"))?;
    let tmp = temp_path(path, None);
    let written = fs::File::create(&tmp).and_then(|mut f| f.write_all(bytes));
    if let Err(source) = written {
        let _ = fs::remove_file(&tmp);
        return Err(OutputError::Io {
            path: path.to_path_buf(),
            what: "write",
            source,
        });
    }
    rename_into_place(&tmp, path)
}

/// Renames the finished temporary file `tmp` to `path` (removing `tmp` if that fails).
pub fn rename_into_place(tmp: &Path, path: &Path) -> Result<(), OutputError> {
    fs::rename(tmp, path).map_err(|source| {
        let _ = fs::remove_file(tmp);
        OutputError::Io {
            path: path.to_path_buf(),
            what: "rename the finished file into place",
            source,
        }
    })
}

/// Removes pcnsim's temporary files and folders ([`is_temp_name`]) left in an experiment
/// folder, its `runs/` and its `charts/` by a process that was killed. Call it only while
/// holding the experiment's lock alone (see [`lock_experiment`]): a live process's
/// temporary files must not be deleted. Returns how many were removed.
pub fn sweep_temps(dir: &Path) -> Result<usize, OutputError> {
    let mut n = 0;
    for d in [dir.to_path_buf(), dir.join("runs"), dir.join("charts")] {
        let entries = match fs::read_dir(&d) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io_err(&d, "list the folder")(e)),
        };
        for e in entries {
            let e = e.map_err(io_err(&d, "list the folder"))?;
            let name = e.file_name();
            if !is_temp_name(&name.to_string_lossy()) {
                continue;
            }
            let p = e.path();
            let removed = if e.file_type().is_ok_and(|t| t.is_dir()) {
                fs::remove_dir_all(&p)
            } else {
                fs::remove_file(&p)
            };
            match removed {
                Ok(()) => n += 1,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err(&p, "remove the stale temporary file")(e)),
            }
        }
    }
    Ok(n)
}

/// A held lock on an experiment's results folder (`<dir>/.pcnsim.lock`), released when
/// dropped (and by the operating system when the process dies, even by `kill -9`).
///
/// The lock is shared between processes working on the *same* experiment (same
/// fingerprint), so several processes may write disjoint (or identical) run folders of one
/// experiment at once, as sharded runs do; a process with a *different* fingerprint is
/// refused at once with [`OutputError::Busy`].
#[derive(Debug)]
pub struct ExperimentLock {
    _file: fs::File,
    path: PathBuf,
    alone: bool,
}

impl ExperimentLock {
    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
    /// Whether no other process held the lock when this one took it (it then swept the
    /// stale temporary files).
    pub fn was_alone(&self) -> bool {
        self.alone
    }
}

/// How long [`lock_experiment`] waits for another process's short exclusive phase.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Locks the experiment folder `dir` (created if needed) for an experiment whose
/// fingerprint is `fingerprint`.
///
/// Protocol (operating-system file locks, `flock` on Unix, through `std::fs::File::lock`):
/// 1. try an exclusive lock on `.pcnsim.lock`. If it is free, no pcnsim process works in
///    `dir`: write `fingerprint` into the file, sweep stale temporary files
///    ([`sweep_temps`]) and release it;
/// 2. take a shared lock (waiting at most a few seconds for another process's step 1)
///    and read the file back: if it holds another fingerprint, another experiment runs
///    in `dir` and this one fails with [`OutputError::Busy`]; else the lock is held,
///    shared with other processes of the same experiment, until the returned guard drops.
///
/// The file's contents change only under the exclusive lock, which no holder of a shared
/// lock can coexist with, so every holder has seen its own fingerprint in the file.
pub fn lock_experiment(dir: &Path, fingerprint: &str) -> Result<ExperimentLock, OutputError> {
    use std::fs::TryLockError;
    use std::io::{Read, Seek};
    fs::create_dir_all(dir).map_err(io_err(dir, "create the folder"))?;
    let path = dir.join(LOCK_FILE);
    let mut file = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io_err(&path, "open the lock file"))?;
    let mut alone = false;
    match file.try_lock() {
        Ok(()) => {
            alone = true;
            let claimed = file
                .set_len(0)
                .and_then(|()| file.rewind())
                .and_then(|()| file.write_all(fingerprint.as_bytes()))
                .and_then(|()| file.flush());
            let swept = claimed
                .map_err(io_err(&path, "write the lock file"))
                .and_then(|()| sweep_temps(dir));
            file.unlock().map_err(io_err(&path, "release the lock"))?;
            swept?;
        }
        Err(TryLockError::WouldBlock) => {}
        Err(TryLockError::Error(e)) => return Err(io_err(&path, "lock")(e)),
    }
    let start = std::time::Instant::now();
    loop {
        match file.try_lock_shared() {
            Ok(()) => break,
            Err(TryLockError::WouldBlock) if start.elapsed() < LOCK_WAIT => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(TryLockError::WouldBlock) => {
                return Err(OutputError::Busy {
                    path,
                    message: "another pcnsim process has held it exclusively for too long".into(),
                })
            }
            Err(TryLockError::Error(e)) => return Err(io_err(&path, "lock")(e)),
        }
    }
    let mut held = String::new();
    file.rewind()
        .and_then(|_| file.read_to_string(&mut held))
        .map_err(io_err(&path, "read the lock file"))?;
    if held != fingerprint {
        return Err(OutputError::Busy {
            path,
            message: format!(
                "another pcnsim process is writing a different experiment (fingerprint {}) \
                 into this folder; wait for it to finish or choose another --out",
                held.get(..16).unwrap_or(&held)
            ),
        });
    }
    Ok(ExperimentLock {
        _file: file,
        path,
        alone,
    })
}

/// What decides whether stored runs may be reused: see [`fingerprint`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// SHA-256, hex.
    pub digest: String,
    /// Each input file (or folder) and the SHA-256 of its contents, sorted by path.
    pub inputs: Vec<(PathBuf, String)>,
}

/// The fingerprint of an experiment whose sweep points are `points` (the first one is the
/// base scenario): SHA-256 over pcnsim's version and [`BUILD_HASH`], the scenario text,
/// every point's master seed, and the SHA-256 of the contents of every data file any point
/// reads (`Scenario::inputs`; a `cloth` folder hashes its files by name). A stored run is
/// reused only when its fingerprint (and seed) match.
///
/// Errors: an input file that cannot be read (named).
pub fn fingerprint(points: &[&Scenario]) -> Result<Fingerprint, OutputError> {
    let mut h = Sha256::new();
    let mut field = |tag: &str, bytes: &[u8]| {
        h.update(tag.as_bytes());
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    field("version", VERSION.as_bytes());
    field("build", BUILD_HASH.as_bytes());
    if let Some(base) = points.first() {
        field("scenario", base.text.as_bytes());
    }
    for p in points {
        field("seed", &p.seed.to_le_bytes());
    }
    let mut paths: Vec<&PathBuf> = points.iter().flat_map(|p| &p.inputs).collect();
    paths.sort();
    paths.dedup();
    let mut inputs = Vec::new();
    for p in paths {
        let digest = hash_input(p)?;
        field("input", digest.as_bytes());
        inputs.push((p.clone(), digest));
    }
    Ok(Fingerprint {
        digest: hex(&h.finalize()),
        inputs,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of a file's contents, or of a folder's regular files (name and contents, sorted
/// by name).
fn hash_input(path: &Path) -> Result<String, OutputError> {
    let hash_file = |p: &Path| -> Result<String, OutputError> {
        let mut f = fs::File::open(p).map_err(io_err(p, "read the input file"))?;
        let mut h = Sha256::new();
        std::io::copy(&mut f, &mut h).map_err(io_err(p, "read the input file"))?;
        Ok(hex(&h.finalize()))
    };
    if !path.is_dir() {
        return hash_file(path);
    }
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    for e in fs::read_dir(path).map_err(io_err(path, "list the input folder"))? {
        let e = e.map_err(io_err(path, "list the input folder"))?;
        if e.path().is_file() {
            files.push((e.file_name().to_string_lossy().into_owned(), e.path()));
        }
    }
    files.sort();
    let mut h = Sha256::new();
    for (name, p) in files {
        h.update((name.len() as u64).to_le_bytes());
        h.update(name.as_bytes());
        h.update(hash_file(&p)?.as_bytes());
    }
    Ok(hex(&h.finalize()))
}

/// Sweep columns: (swept key, value per point).
pub type SweepColumns = Vec<(String, Vec<String>)>;

/// Loads the runs of a results folder in manifest order, with its sweep columns.
pub fn load_results(dir: &Path) -> Result<(Vec<StoredRun>, SweepColumns), OutputError> {
    let mpath = dir.join("manifest.json");
    let text = fs::read_to_string(&mpath).map_err(|source| OutputError::Io {
        path: mpath.clone(),
        what: "read (is this a pcnsim results folder?)",
        source,
    })?;
    let invalid = |message: String| OutputError::Invalid {
        path: mpath.clone(),
        message,
    };
    let m: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| invalid(format!("not valid JSON: {e}")))?;
    let sweep: SweepColumns = serde_json::from_value(m["sweep"].clone()).unwrap_or_default();
    let names = m["runs"]
        .as_array()
        .ok_or_else(|| invalid("field `runs` missing".into()))?;
    let mut runs = Vec::new();
    for n in names {
        let name = n["name"]
            .as_str()
            .ok_or_else(|| invalid("field `runs[].name` missing".into()))?;
        let p = child(&dir.join("runs"), name)?.join("run.json");
        let t = fs::read_to_string(&p).map_err(io_err(&p, "read"))?;
        runs.push(
            serde_json::from_str::<StoredRun>(&t).map_err(|e| OutputError::Invalid {
                path: p.clone(),
                message: format!("not a valid run record: {e}"),
            })?,
        );
    }
    Ok((runs, sweep))
}

/// Header of `payments.csv`.
pub const PAYMENT_COLUMNS: &[&str] = &[
    "id",
    "kind",
    "created_s",
    "finished_s",
    "sender",
    "receiver",
    "amount_msat",
    "success",
    "reason",
    "failed_hop",
    "attempts",
    "hops",
    "fee_msat",
    "infeasible",
    "parts",
    "failed_parts",
    "complete_ms",
    "flow",
];

/// Header of `runs/<run>/probes.csv`.
pub const PROBE_COLUMNS: &[&str] = &[
    "t_s",
    "sender",
    "receiver",
    "amount_msat",
    "success",
    "reason",
    "failed_hop",
    "hops",
];

/// Header of `probe_timeseries.csv`.
pub const PROBE_ROUND_COLUMNS: &[&str] = &[
    "run",
    "point",
    "strategy",
    "replication",
    "t_s",
    "amount_sat",
    "probes",
    "succeeded",
    "success_ratio",
    "median_payable_sat",
];

/// Header of `runs/<run>/channels.csv`.
pub const CHANNEL_COLUMNS: &[&str] = &[
    "channel",
    "dir",
    "from",
    "to",
    "open",
    "capacity_sat",
    "balance_start_sat",
    "balance_end_sat",
    "share_end",
    "forwarded",
    "forwarded_sat",
    "fee_revenue_sat",
    "depleted_s",
    "depleted_time_share",
    "failures",
    "rebalance_cost_sat",
];

/// Header of `runs/<run>/nodes.csv`.
pub const NODE_COLUMNS: &[&str] = &[
    "node",
    "name",
    "revenue_sat",
    "cost_sat",
    "net_sat",
    "capital_start_sat",
    "capital_end_sat",
    "capital_added_sat",
    "capital_removed_sat",
    "share_end",
    "return_on_capital",
];

/// Header of `timeseries.csv`.
pub const WINDOW_COLUMNS: &[&str] = &[
    "run",
    "point",
    "strategy",
    "replication",
    "t_s",
    "attempted",
    "succeeded",
    "success_ratio",
    "volume_success_ratio",
    "depleted_share",
    "mean_abs_skew",
    "node_gini",
    "rebalance_fees_sat",
    "pending_topup_sat",
];

/// A recorder that streams payments to a CSV file and keeps the windows.
pub struct CsvRecorder<'a> {
    payments: Option<(csv::Writer<std::io::BufWriter<fs::File>>, PathBuf)>,
    probes: Option<(csv::Writer<std::io::BufWriter<fs::File>>, PathBuf)>,
    pub windows: Vec<WindowSample>,
    pub error: Option<csv::Error>,
    progress: Option<Box<dyn FnMut(f64) + Send + 'a>>,
    /// Names of the scenario's flows, for the `flow` column.
    flow_names: Vec<String>,
}

impl<'a> CsvRecorder<'a> {
    pub fn new(
        payments_path: Option<&Path>,
        progress: Option<Box<dyn FnMut(f64) + Send + 'a>>,
    ) -> Result<Self, OutputError> {
        let payments = match payments_path {
            Some(p) => {
                let f = fs::File::create(p).map_err(io_err(p, "create"))?;
                let mut w = csv::Writer::from_writer(std::io::BufWriter::new(f));
                w.write_record(PAYMENT_COLUMNS)
                    .map_err(|e| encode_err(p)(e.to_string()))?;
                Some((w, p.to_path_buf()))
            }
            None => None,
        };
        Ok(CsvRecorder {
            payments,
            probes: None,
            windows: Vec::new(),
            error: None,
            progress,
            flow_names: Vec::new(),
        })
    }

    /// Names the flows (`[[workload.flow]]`, in order) for the `flow` column of
    /// `payments.csv`; without them the column is empty.
    pub fn with_flows(mut self, names: Vec<String>) -> Self {
        self.flow_names = names;
        self
    }

    /// Also streams probes to a CSV file at `path`.
    pub fn with_probes(mut self, path: &Path) -> Result<Self, OutputError> {
        let f = fs::File::create(path).map_err(io_err(path, "create"))?;
        let mut w = csv::Writer::from_writer(std::io::BufWriter::new(f));
        w.write_record(PROBE_COLUMNS)
            .map_err(|e| encode_err(path)(e.to_string()))?;
        self.probes = Some((w, path.to_path_buf()));
        Ok(self)
    }

    pub fn finish(mut self) -> Result<Vec<WindowSample>, OutputError> {
        // A write error is reported against the first file open (payments, then probes).
        for (mut w, path) in [self.payments.take(), self.probes.take()]
            .into_iter()
            .flatten()
        {
            if let Some(e) = self.error.take() {
                return Err(OutputError::Io {
                    path,
                    what: "write",
                    source: std::io::Error::other(e),
                });
            }
            w.flush().map_err(io_err(&path, "write"))?;
        }
        Ok(self.windows)
    }
}

fn secs(t: crate::units::SimTime) -> String {
    format!("{:.6}", t.secs_f64())
}

impl Recorder for CsvRecorder<'_> {
    fn payment(&mut self, r: &PaymentRecord) {
        let Some((w, _)) = &mut self.payments else {
            return;
        };
        if self.error.is_some() {
            return;
        }
        let res = w.write_record([
            r.id.to_string(),
            match r.kind {
                crate::metrics::PaymentKind::Payment => "payment".into(),
                crate::metrics::PaymentKind::Rebalance => "rebalance".into(),
            },
            secs(r.created),
            secs(r.finished),
            r.sender.0.to_string(),
            r.receiver.0.to_string(),
            r.amount.0.to_string(),
            (r.success as u8).to_string(),
            r.reason.map(|x| x.name().to_string()).unwrap_or_default(),
            r.reason
                .and_then(|x| x.hop())
                .map(|h| h.to_string())
                .unwrap_or_default(),
            r.attempts.to_string(),
            r.hops.to_string(),
            r.fee.0.to_string(),
            (r.infeasible as u8).to_string(),
            r.parts.to_string(),
            r.failed_parts.to_string(),
            (r.finished.since(r.created).micros() / 1000).to_string(),
            r.flow
                .and_then(|i| self.flow_names.get(i as usize))
                .cloned()
                .unwrap_or_default(),
        ]);
        if let Err(e) = res {
            self.error = Some(e);
        }
    }
    fn window(&mut self, w: &WindowSample) {
        self.windows.push(w.clone());
    }
    fn probe(&mut self, p: &ProbeRecord) {
        let Some((w, _)) = &mut self.probes else {
            return;
        };
        if self.error.is_some() {
            return;
        }
        let res = w.write_record([
            secs(p.time),
            p.sender.0.to_string(),
            p.receiver.0.to_string(),
            p.amount.0.to_string(),
            (p.success as u8).to_string(),
            p.reason.map(|x| x.name().to_string()).unwrap_or_default(),
            p.reason
                .and_then(|x| x.hop())
                .map(|h| h.to_string())
                .unwrap_or_default(),
            p.hops.to_string(),
        ]);
        if let Err(e) = res {
            self.error = Some(e);
        }
    }
    fn progress(&mut self, f: f64) {
        if let Some(p) = &mut self.progress {
            p(f);
        }
    }
}

/// One window as stored in `run.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StoredWindow {
    #[serde(with = "float")]
    pub t_s: f64,
    pub attempted: u64,
    pub succeeded: u64,
    pub volume_attempted_msat: u64,
    pub volume_succeeded_msat: u64,
    #[serde(with = "float")]
    pub depleted_share: f64,
    #[serde(with = "float")]
    pub mean_abs_skew: f64,
    #[serde(with = "float")]
    pub node_gini: f64,
    pub rebalance_fees_msat: u64,
    pub pending_topup_msat: u64,
}

/// What a completed run leaves in `run.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StoredRun {
    pub name: String,
    pub point: usize,
    pub strategy: String,
    pub replication: u32,
    pub seed: u64,
    /// Fingerprint of the scenario text and pcnsim version: a stored run is reused only if
    /// it matches.
    pub fingerprint: String,
    #[serde(with = "float::pairs")]
    pub metrics: Vec<(String, f64)>,
    pub windows: Vec<StoredWindow>,
    /// Probe rounds (runs with `[workload.probes]`), one entry per round and amount.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub probes: Vec<StoredProbe>,
}

/// One probe round and amount as stored in `run.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StoredProbe {
    pub t_s: f64,
    pub amount_msat: u64,
    pub probes: u64,
    pub succeeded: u64,
    pub median_payable_msat: u64,
}

fn stored_probes(amounts: &[crate::units::Msat], rounds: &[ProbeRound]) -> Vec<StoredProbe> {
    let mut out = Vec::with_capacity(amounts.len() * rounds.len());
    for r in rounds {
        for (i, a) in amounts.iter().enumerate() {
            out.push(StoredProbe {
                t_s: r.time.secs_f64(),
                amount_msat: a.0,
                probes: r.tried[i],
                succeeded: r.succeeded[i],
                median_payable_msat: r.median_payable.0,
            });
        }
    }
    out
}

impl StoredRun {
    /// The record of a finished run: `id` says which run it was, `fingerprint` which
    /// experiment.
    pub fn new(
        id: RunId<'_>,
        fingerprint: &str,
        result: &RunResult,
        windows: &[WindowSample],
    ) -> Self {
        StoredRun {
            name: id.name.to_string(),
            point: id.point,
            strategy: id.label.to_string(),
            replication: id.replication,
            seed: id.seed,
            fingerprint: fingerprint.to_string(),
            metrics: result.metrics(),
            windows: windows
                .iter()
                .map(|w| StoredWindow {
                    t_s: w.time.secs_f64(),
                    attempted: w.attempted,
                    succeeded: w.succeeded,
                    volume_attempted_msat: w.volume_attempted.0,
                    volume_succeeded_msat: w.volume_succeeded.0,
                    depleted_share: w.imbalance.depleted_share,
                    mean_abs_skew: w.imbalance.mean_abs_skew,
                    node_gini: w.imbalance.node_gini,
                    rebalance_fees_msat: w.rebalance_fees.0,
                    pending_topup_msat: w.pending_topup.0,
                })
                .collect(),
            probes: stored_probes(&result.probe_amounts, &result.probe_rounds),
        }
    }

    pub fn metric(&self, name: &str) -> f64 {
        self.metrics
            .iter()
            .find(|(k, _)| k == name)
            .map_or(f64::NAN, |(_, v)| *v)
    }
}

/// Which run of an experiment a record belongs to.
#[derive(Debug, Clone, Copy)]
pub struct RunId<'a> {
    /// Folder name under `runs/`.
    pub name: &'a str,
    pub point: usize,
    /// Strategy label.
    pub label: &'a str,
    pub replication: u32,
    pub seed: u64,
}

/// Folder of a run.
pub fn run_dir(out: &Path, name: &str) -> PathBuf {
    out.join("runs").join(name)
}

/// Why a planned run's stored folder cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunCheck {
    /// No complete run folder (no `run.json`: never computed, lost, or still running).
    #[error("missing (no {0})")]
    Missing(String),
    /// `run.json` is there but cannot be read as a run record.
    #[error("unreadable: {0}")]
    Unreadable(String),
    /// The stored run belongs to another experiment or another run.
    #[error("does not match this experiment: {0}")]
    Mismatch(String),
}

/// The stored run `id` of the experiment with fingerprint `fingerprint`, if its folder is
/// complete and it is that run of that experiment; else why not.
///
/// The one place where a stored run is compared with the experiment (used by resume and
/// by `assemble`). Merge point for the fingerprint of issue #10: whatever it hashes, the
/// comparison stays here.
pub fn check_run(out: &Path, id: RunId<'_>, fingerprint: &str) -> Result<StoredRun, RunCheck> {
    let path = run_dir(out, id.name).join("run.json");
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(RunCheck::Missing(path.display().to_string()))
        }
        Err(e) => return Err(RunCheck::Unreadable(format!("{}: {e}", path.display()))),
    };
    let r: StoredRun = serde_json::from_str(&text)
        .map_err(|e| RunCheck::Unreadable(format!("{}: {e}", path.display())))?;
    let mut diffs = Vec::new();
    if r.fingerprint != fingerprint {
        diffs.push(format!(
            "fingerprint {} (this experiment: {fingerprint}; another scenario text, seed or pcnsim build)",
            r.fingerprint
        ));
    }
    if r.seed != id.seed {
        diffs.push(format!("seed {} (planned {})", r.seed, id.seed));
    }
    if r.name != id.name
        || r.point != id.point
        || r.strategy != id.label
        || r.replication != id.replication
    {
        diffs.push(format!(
            "records run {} (point {}, strategy {}, replication {})",
            r.name, r.point, r.strategy, r.replication
        ));
    }
    if diffs.is_empty() {
        Ok(r)
    } else {
        Err(RunCheck::Mismatch(diffs.join("; ")))
    }
}

/// Exact JSON for `f64` (with serde_json's `float_roundtrip` a number reads back to the
/// same bits): NaN is stored as `null`, infinities as `"inf"` / `"-inf"`, and read back.
mod float {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum Stored {
        Number(f64),
        Text(String),
    }

    fn to_stored(v: f64) -> Option<Stored> {
        if v.is_nan() {
            None
        } else if v.is_infinite() {
            Some(Stored::Text(if v > 0.0 { "inf" } else { "-inf" }.into()))
        } else {
            Some(Stored::Number(v))
        }
    }

    fn from_stored<E: serde::de::Error>(s: Option<Stored>) -> Result<f64, E> {
        match s {
            None => Ok(f64::NAN),
            Some(Stored::Number(v)) => Ok(v),
            Some(Stored::Text(t)) => match t.as_str() {
                "inf" => Ok(f64::INFINITY),
                "-inf" => Ok(f64::NEG_INFINITY),
                _ => Err(E::custom(format!(
                    "expected a number, null, \"inf\" or \"-inf\", found {t:?}"
                ))),
            },
        }
    }

    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        to_stored(*v).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        from_stored(Option::<Stored>::deserialize(d)?)
    }

    /// The same for `(name, value)` pairs.
    pub mod pairs {
        use super::*;

        pub fn serialize<S: Serializer>(v: &[(String, f64)], s: S) -> Result<S::Ok, S::Error> {
            s.collect_seq(v.iter().map(|(k, x)| (k, to_stored(*x))))
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Vec<(String, f64)>, D::Error> {
            Vec::<(String, Option<Stored>)>::deserialize(d)?
                .into_iter()
                .map(|(k, x)| Ok((k, from_stored(x)?)))
                .collect()
        }
    }
}

/// Formats a float for CSV: shortest round-trip representation, empty for NaN.
pub fn fmt_f(v: f64) -> String {
    if v.is_nan() {
        String::new()
    } else {
        format!("{v}")
    }
}

/// `summary.csv`: one row per run.
pub fn summary_csv(
    runs: &[StoredRun],
    sweep_cols: &[(String, Vec<String>)],
) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let names: Vec<String> = runs
        .first()
        .map(|r| r.metrics.iter().map(|(k, _)| k.clone()).collect())
        .unwrap_or_default();
    let mut header = vec!["run".to_string(), "point".into()];
    header.extend(sweep_cols.iter().map(|(k, _)| k.clone()));
    header.extend(["strategy".to_string(), "replication".into(), "seed".into()]);
    header.extend(names.iter().cloned());
    w.write_record(&header)?;
    for r in runs {
        let mut row = vec![r.name.clone(), r.point.to_string()];
        row.extend(
            sweep_cols
                .iter()
                .map(|(_, vals)| vals.get(r.point).cloned().unwrap_or_default()),
        );
        row.extend([
            r.strategy.clone(),
            r.replication.to_string(),
            r.seed.to_string(),
        ]);
        row.extend(names.iter().map(|n| fmt_f(r.metric(n))));
        w.write_record(&row)?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// `timeseries.csv`: one row per run and window.
pub fn timeseries_csv(runs: &[StoredRun]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(WINDOW_COLUMNS)?;
    for r in runs {
        for x in &r.windows {
            let ratio = |a: u64, b: u64| {
                if b > 0 {
                    fmt_f(a as f64 / b as f64)
                } else {
                    String::new()
                }
            };
            w.write_record([
                r.name.clone(),
                r.point.to_string(),
                r.strategy.clone(),
                r.replication.to_string(),
                fmt_f(x.t_s),
                x.attempted.to_string(),
                x.succeeded.to_string(),
                ratio(x.succeeded, x.attempted),
                ratio(x.volume_succeeded_msat, x.volume_attempted_msat),
                fmt_f(x.depleted_share),
                fmt_f(x.mean_abs_skew),
                fmt_f(x.node_gini),
                fmt_f(x.rebalance_fees_msat as f64 / 1000.0),
                fmt_f(x.pending_topup_msat as f64 / 1000.0),
            ])?;
        }
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// Completes a run folder: writes `run.json` (which marks it complete) into the temporary
/// folder `tmp` ([`temp_path`]) and renames it to `final_dir`, replacing what was there
/// (an earlier or incomplete run; or the same run, identical, finished meanwhile by another
/// process of the same experiment).
pub fn commit_run_dir(tmp: &Path, final_dir: &Path, stored: &StoredRun) -> Result<(), OutputError> {
    let path = tmp.join("run.json");
    let json = serde_json::to_vec_pretty(stored).map_err(|e| encode_err(&path)(e.to_string()))?;
    let mut f = fs::File::create(&path).map_err(io_err(&path, "create"))?;
    f.write_all(&json).map_err(io_err(&path, "write"))?;
    f.sync_all().ok();
    // A folder cannot be renamed over a non-empty one: move the old one aside first. Two
    // processes may race here; a few attempts settle it.
    let mut attempts = 0;
    loop {
        match fs::rename(tmp, final_dir) {
            Ok(()) => return Ok(()),
            Err(_) if attempts < 8 && final_dir.exists() => {
                attempts += 1;
                let aside = temp_path(final_dir, None);
                match fs::rename(final_dir, &aside) {
                    Ok(()) => {
                        fs::remove_dir_all(&aside).map_err(io_err(&aside, "remove"))?;
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(io_err(final_dir, "replace")(e)),
                }
            }
            Err(e) => {
                let _ = fs::remove_dir_all(tmp);
                return Err(io_err(
                    final_dir,
                    "rename the finished run folder into place",
                )(e));
            }
        }
    }
}

/// Encodes an in-memory CSV document for `path`, naming the path if that fails.
pub fn csv_bytes(path: &Path, r: Result<Vec<u8>, csv::Error>) -> Result<Vec<u8>, OutputError> {
    r.map_err(|e| encode_err(path)(e.to_string()))
}

/// `nodes.csv` of a run: per node, routing fee revenue, what its rebalancing cost it
/// (routing fees of its rebalances, swap fees, on-chain fees) and the net; its capital (own
/// balances plus own in-flight over open channels) at the start of measurement and at the
/// end, the outside capital it added and removed, its final share `ν` (own balances over
/// own capacity) and its return on capital: net / (capital at start + capital added), over
/// the measured period (not annualised; empty when the denominator is 0).
pub fn nodes_csv(topo: &crate::topology::Topology, r: &RunResult) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(NODE_COLUMNS)?;
    let sat = |m: u64| fmt_f(m as f64 / 1000.0);
    for (i, (rev, net)) in r.node_revenue.iter().zip(&r.node_net_revenue).enumerate() {
        let cost = rev.0 as i64 - net;
        let name = if i < topo.node_count() {
            topo.node(crate::topology::NodeId(i as u32)).name.clone()
        } else {
            String::new()
        };
        let n = r.nodes.get(i).cloned().unwrap_or_default();
        let base = n.capital_start.0 + n.capital_added.0;
        w.write_record([
            i.to_string(),
            name,
            sat(rev.0),
            fmt_f(cost as f64 / 1000.0),
            fmt_f(*net as f64 / 1000.0),
            sat(n.capital_start.0),
            sat(n.capital_end.0),
            sat(n.capital_added.0),
            sat(n.capital_removed.0),
            fmt_f(n.share_end()),
            if base > 0 {
                fmt_f(*net as f64 / base as f64)
            } else {
                String::new()
            },
        ])?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// `channels.csv` of a run: one row per channel and direction (`dir` = the side that
/// sends, `from` → `to`): whether it is open at the end, capacity, the sending side's
/// balance at the start of measurement and at the end and its share of the capacity at
/// the end, HTLCs settled over it and their volume, the fees `from` earned forwarding over
/// it, how long it was depleted (spendable below `max(1 msat, depleted_share ×
/// capacity)`, the `[metrics] depleted_share` floor) in seconds and as a share of the
/// measured time, workload payment attempts that failed at it for lack of balance, and the
/// rebalancing cost attributed to it (see [`crate::metrics::results::DirStats`]).
pub fn channels_csv(r: &RunResult) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CHANNEL_COLUMNS)?;
    let sat = |m: u64| fmt_f(m as f64 / 1000.0);
    let span = r.end_time.since(r.measured_from).secs_f64();
    for (i, c) in r.channels.iter().enumerate() {
        for d in 0..2 {
            let s = &c.dirs[d];
            let depleted = s.depleted.secs_f64();
            w.write_record([
                i.to_string(),
                d.to_string(),
                c.nodes[d].0.to_string(),
                c.nodes[1 - d].0.to_string(),
                (c.open as u8).to_string(),
                sat(c.capacity.0),
                sat(c.balance_start[d].0),
                sat(c.balance_end[d].0),
                if c.capacity.0 > 0 {
                    fmt_f(c.balance_end[d].0 as f64 / c.capacity.0 as f64)
                } else {
                    String::new()
                },
                s.forwarded.to_string(),
                sat(s.forwarded_volume.0),
                sat(s.fee_revenue.0),
                fmt_f(depleted),
                if span > 0.0 {
                    fmt_f(depleted / span)
                } else {
                    String::new()
                },
                s.failures.to_string(),
                sat(s.rebalance_cost.0),
            ])?;
        }
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// `probe_timeseries.csv`: one row per run, probe round and amount. `None` when no run has
/// probes.
pub fn probe_timeseries_csv(runs: &[StoredRun]) -> Option<Result<Vec<u8>, csv::Error>> {
    if runs.iter().all(|r| r.probes.is_empty()) {
        return None;
    }
    let go = || {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(PROBE_ROUND_COLUMNS)?;
        for r in runs {
            for p in &r.probes {
                w.write_record([
                    r.name.clone(),
                    r.point.to_string(),
                    r.strategy.clone(),
                    r.replication.to_string(),
                    fmt_f(p.t_s),
                    fmt_f(p.amount_msat as f64 / 1000.0),
                    p.probes.to_string(),
                    p.succeeded.to_string(),
                    if p.probes > 0 {
                        fmt_f(p.succeeded as f64 / p.probes as f64)
                    } else {
                        String::new()
                    },
                    fmt_f(p.median_payable_msat as f64 / 1000.0),
                ])?;
            }
        }
        w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
    };
    Some(go())
}

/// The summary column of probe success at `amount_msat` (pooled over the measured rounds).
pub fn probe_column(amount_msat: u64) -> String {
    format!(
        "probe_success_{}",
        probe_amount_label(crate::units::Msat(amount_msat))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_round_trip_exactly_through_run_json() {
        let vals = [
            0.1 + 0.2,
            1.0 / 3.0,
            2.0f64.sqrt(),
            5e-324,
            1.7976931348623157e308,
            -0.0,
            0.462_123_456_789_012_3,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        let run = StoredRun {
            name: "p000-none-r000".into(),
            point: 0,
            strategy: "none".into(),
            replication: 0,
            seed: 7,
            fingerprint: "f".into(),
            metrics: vals
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("m{i}"), *v))
                .collect(),
            windows: vals
                .iter()
                .map(|&v| StoredWindow {
                    t_s: v,
                    attempted: 1,
                    succeeded: 1,
                    volume_attempted_msat: 1,
                    volume_succeeded_msat: 1,
                    depleted_share: v,
                    mean_abs_skew: v,
                    node_gini: v,
                    rebalance_fees_msat: 0,
                    pending_topup_msat: 0,
                })
                .collect(),
            probes: Vec::new(),
        };
        let json = serde_json::to_string_pretty(&run).unwrap();
        assert!(json.contains("null") && json.contains("\"-inf\""), "{json}");
        let back: StoredRun = serde_json::from_str(&json).unwrap();
        let bits = |r: &StoredRun| -> Vec<u64> {
            r.metrics
                .iter()
                .map(|x| x.1)
                .chain(
                    r.windows
                        .iter()
                        .flat_map(|w| [w.t_s, w.depleted_share, w.mean_abs_skew, w.node_gini]),
                )
                .map(f64::to_bits)
                .collect()
        };
        // NaN reads back as the canonical NaN; everything else to the same bits.
        let canon = |b: Vec<u64>| -> Vec<u64> {
            b.into_iter()
                .map(|x| {
                    if f64::from_bits(x).is_nan() {
                        f64::NAN.to_bits()
                    } else {
                        x
                    }
                })
                .collect()
        };
        assert_eq!(canon(bits(&back)), canon(bits(&run)));
        // And therefore the CSV cells are identical.
        assert_eq!(
            summary_csv(std::slice::from_ref(&run), &[]).unwrap(),
            summary_csv(&[back], &[]).unwrap()
        );
        // A wrong string is an error, not a silent NaN.
        let bad = json.replacen("\"-inf\"", "\"minus\"", 1);
        assert!(serde_json::from_str::<StoredRun>(&bad).is_err());
    }

    #[test]
    fn child_refuses_escaping_names_and_temp_names_are_unique() {
        let d = Path::new("/r");
        assert_eq!(
            child(d, "p000-jit-1.5-r000").unwrap(),
            d.join("p000-jit-1.5-r000")
        );
        let e = child(d, "p000-x/../../../../ESCAPED-r000").unwrap_err();
        assert!(matches!(e, OutputError::BadName { .. }));
        assert!(e.to_string().contains("path separator"), "{e}");
        for bad in ["..", "", "a\u{7}", ".x"] {
            assert!(child(d, bad).is_err(), "{bad:?}");
        }
        let a = temp_path(&d.join("runs/p000-jit-1.5-r000"), None);
        let b = temp_path(&d.join("runs/p000-jit-1.2-r000"), None);
        let c = temp_path(&d.join("runs/p000-jit-1.5-r000"), None);
        assert!(a != b && a != c && b != c);
        let pid = std::process::id().to_string();
        for t in [&a, &b, &c] {
            let n = t.file_name().unwrap().to_str().unwrap();
            assert!(is_temp_name(n) && n.contains(&pid), "{n}");
            assert_eq!(t.parent(), Some(d.join("runs").as_path()));
        }
        let png = temp_path(&d.join("charts/x.png"), Some("png"));
        assert!(png.extension().is_some_and(|e| e == "png"));
        assert!(is_temp_name(png.file_name().unwrap().to_str().unwrap()));
        for n in ["p000-none-r000", "summary.csv", ".pcnsim.lock", "x.png"] {
            assert!(!is_temp_name(n), "{n}");
        }
    }

    #[test]
    fn write_via_temp_replaces_whole_files_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a/summary.csv");
        write_via_temp(&p, b"one").unwrap();
        write_via_temp(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(dir.path().join("a"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["summary.csv"]);
        // A folder where the file should go: the error names the path.
        let blocked = dir.path().join("a/blocked");
        fs::create_dir_all(blocked.join("x")).unwrap();
        let e = write_via_temp(&blocked, b"x").unwrap_err().to_string();
        assert!(e.contains(&blocked.display().to_string()), "{e}");
        assert_eq!(fs::read_dir(dir.path().join("a")).unwrap().count(), 2);
    }

    #[test]
    fn lock_is_shared_by_one_experiment_and_refuses_another() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("exp");
        let a = lock_experiment(&d, "fp-one").unwrap();
        assert!(a.was_alone());
        // A stale temporary file of a live holder is not swept by a process that joins.
        let live = temp_path(&d.join("runs/p000-none-r000"), None);
        fs::create_dir_all(&live).unwrap();
        let b = lock_experiment(&d, "fp-one").unwrap();
        assert!(!b.was_alone());
        assert!(live.exists());
        let e = lock_experiment(&d, "fp-two").unwrap_err();
        assert!(matches!(e, OutputError::Busy { .. }), "{e}");
        let msg = e.to_string();
        assert!(
            msg.contains(LOCK_FILE) && msg.contains("different experiment"),
            "{msg}"
        );
        drop(a);
        assert!(lock_experiment(&d, "fp-two").is_err(), "b still holds it");
        drop(b);
        // Alone now: the other experiment gets it and sweeps what the dead ones left.
        let c = lock_experiment(&d, "fp-two").unwrap();
        assert!(c.was_alone());
        assert!(!live.exists());
        assert_eq!(fs::read_to_string(d.join(LOCK_FILE)).unwrap(), "fp-two");
    }

    #[test]
    fn fingerprint_covers_seed_text_and_input_contents() {
        let dir = tempfile::tempdir().unwrap();
        let amounts = dir.path().join("amounts.csv");
        fs::write(&amounts, "amount_sat\n100\n200\n").unwrap();
        let text = "name = \"f\"\n[topology]\nkind = \"ring\"\nnodes = 5\n\
                    [workload]\npayments = 10\namounts_csv = \"amounts.csv\"\n";
        let load = |seed| crate::scenario::parse(text, "f.toml", dir.path(), seed).unwrap();
        let a = fingerprint(&[&load(None)]).unwrap();
        assert_eq!(a, fingerprint(&[&load(None)]).unwrap());
        assert_eq!(a.inputs.len(), 1);
        assert_eq!(a.inputs[0].0, amounts);
        assert_eq!(a.digest.len(), 64);
        assert_ne!(a.digest, fingerprint(&[&load(Some(9))]).unwrap().digest);
        // Same path, same size, other contents.
        let s = load(None);
        fs::write(&amounts, "amount_sat\n100\n300\n").unwrap();
        let b = fingerprint(&[&s]).unwrap();
        assert_ne!(a.digest, b.digest);
        assert_ne!(a.inputs[0].1, b.inputs[0].1);
        // Every point's seed counts.
        let (p, q) = (load(Some(1)), load(Some(2)));
        assert_ne!(
            fingerprint(&[&p, &q]).unwrap().digest,
            fingerprint(&[&p, &p]).unwrap().digest
        );
        // An input that vanished is an error naming it.
        fs::remove_file(&amounts).unwrap();
        let e = fingerprint(&[&s]).unwrap_err().to_string();
        assert!(e.contains("amounts.csv"), "{e}");
    }
}
