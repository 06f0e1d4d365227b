//! Results on disk: CSV files, run folders, the manifest. Outside the simulation core.
//!
//! Layout of `<out>/<scenario>/`:
//! - `manifest.json`: scenario name, source, seed, pcnsim version, runs, the scenario text;
//! - `summary.csv`: one row per run, one column per headline metric;
//! - `timeseries.csv`: one row per run and window;
//! - `runs/<run>/`: `payments.csv` (if enabled), `nodes.csv` (revenue and costs per node)
//!   and `run.json` (the run's metrics and windows, which also marks the run complete).
//!
//! Everything is written under a temporary name and renamed when complete: a run folder is
//! either complete or absent, and an aggregate file is either the new one or the old one.

use crate::metrics::results::probe_amount_label;
use crate::metrics::RunResult;
use crate::metrics::{PaymentRecord, ProbeRecord, ProbeRound, Recorder, WindowSample};
use crate::scenario::Scenario;
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

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

/// Writes `bytes` to `path` atomically (temporary file in the same folder, then rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(io_err(dir, "create the folder"))?;
    let tmp = dir.join(format!(
        ".{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("out")
    ));
    fs::write(&tmp, bytes).map_err(io_err(&tmp, "write"))?;
    fs::rename(&tmp, path).map_err(io_err(path, "rename the finished file into place"))?;
    Ok(())
}

/// FNV-1a over the scenario text, the effective seed and the version: identifies runs that
/// can be reused on resume.
pub fn fingerprint(s: &Scenario) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s
        .text
        .bytes()
        .chain(s.seed.to_le_bytes())
        .chain(env!("CARGO_PKG_VERSION").bytes())
    {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    format!("{h:016x}")
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
        let p = dir.join("runs").join(name).join("run.json");
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
        })
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
    pub t_s: f64,
    pub attempted: u64,
    pub succeeded: u64,
    pub volume_attempted_msat: u64,
    pub volume_succeeded_msat: u64,
    pub depleted_share: f64,
    pub mean_abs_skew: f64,
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

/// Loads a stored run if it is complete and matches `fingerprint` and `seed`.
pub fn load_run(out: &Path, name: &str, seed: u64, fingerprint: &str) -> Option<StoredRun> {
    let text = fs::read_to_string(run_dir(out, name).join("run.json")).ok()?;
    let r: StoredRun = serde_json::from_str(&text).ok()?;
    (r.fingerprint == fingerprint && r.seed == seed).then_some(r)
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

/// Writes a run folder atomically: into `<name>.tmp`, then renamed.
pub fn commit_run_dir(tmp: &Path, final_dir: &Path, stored: &StoredRun) -> Result<(), OutputError> {
    let path = tmp.join("run.json");
    let json = serde_json::to_vec_pretty(stored).map_err(|e| encode_err(&path)(e.to_string()))?;
    let mut f = fs::File::create(&path).map_err(io_err(&path, "create"))?;
    f.write_all(&json).map_err(io_err(&path, "write"))?;
    f.sync_all().ok();
    if final_dir.exists() {
        fs::remove_dir_all(final_dir).map_err(io_err(final_dir, "replace"))?;
    }
    fs::rename(tmp, final_dir).map_err(io_err(
        final_dir,
        "rename the finished run folder into place",
    ))?;
    Ok(())
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
