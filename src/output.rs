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

use crate::experiment::RunPlan;
use crate::metrics::RunResult;
use crate::metrics::{PaymentRecord, Recorder, WindowSample};
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` atomically (temporary file in the same folder, then rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let tmp = dir.join(format!(
        ".{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("out")
    ));
    fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    fs::rename(&tmp, path)
        .with_context(|| format!("cannot rename {} to {}", tmp.display(), path.display()))?;
    Ok(())
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
pub struct CsvRecorder {
    payments: Option<csv::Writer<std::io::BufWriter<fs::File>>>,
    pub windows: Vec<WindowSample>,
    pub error: Option<csv::Error>,
    progress: Option<Box<dyn FnMut(f64) + Send>>,
}

impl CsvRecorder {
    pub fn new(
        payments_path: Option<&Path>,
        progress: Option<Box<dyn FnMut(f64) + Send>>,
    ) -> Result<Self> {
        let payments = match payments_path {
            Some(p) => {
                let f = fs::File::create(p)
                    .with_context(|| format!("cannot create {}", p.display()))?;
                let mut w = csv::Writer::from_writer(std::io::BufWriter::new(f));
                w.write_record(PAYMENT_COLUMNS)?;
                Some(w)
            }
            None => None,
        };
        Ok(CsvRecorder {
            payments,
            windows: Vec::new(),
            error: None,
            progress,
        })
    }

    pub fn finish(mut self) -> Result<Vec<WindowSample>> {
        if let Some(e) = self.error.take() {
            return Err(e.into());
        }
        if let Some(mut w) = self.payments.take() {
            w.flush()?;
        }
        Ok(self.windows)
    }
}

fn secs(t: crate::units::SimTime) -> String {
    format!("{:.6}", t.secs_f64())
}

impl Recorder for CsvRecorder {
    fn payment(&mut self, r: &PaymentRecord) {
        let Some(w) = &mut self.payments else { return };
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
}

impl StoredRun {
    pub fn new(
        plan: &RunPlan,
        fingerprint: &str,
        result: &RunResult,
        windows: &[WindowSample],
    ) -> Self {
        StoredRun {
            name: plan.name.clone(),
            point: plan.point,
            strategy: plan.label.clone(),
            replication: plan.replication,
            seed: plan.seed,
            fingerprint: fingerprint.to_string(),
            metrics: result
                .metrics()
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
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
        }
    }

    pub fn metric(&self, name: &str) -> f64 {
        self.metrics
            .iter()
            .find(|(k, _)| k == name)
            .map_or(f64::NAN, |(_, v)| *v)
    }
}

/// Folder of a run.
pub fn run_dir(out: &Path, plan: &RunPlan) -> PathBuf {
    out.join("runs").join(&plan.name)
}

/// Loads a stored run if it is complete and matches `fingerprint`.
pub fn load_run(out: &Path, plan: &RunPlan, fingerprint: &str) -> Option<StoredRun> {
    let text = fs::read_to_string(run_dir(out, plan).join("run.json")).ok()?;
    let r: StoredRun = serde_json::from_str(&text).ok()?;
    (r.fingerprint == fingerprint && r.seed == plan.seed).then_some(r)
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
pub fn summary_csv(runs: &[StoredRun], sweep_cols: &[(String, Vec<String>)]) -> Result<Vec<u8>> {
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
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

/// `timeseries.csv`: one row per run and window.
pub fn timeseries_csv(runs: &[StoredRun]) -> Result<Vec<u8>> {
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
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

/// Writes a run folder atomically: into `<name>.tmp`, then renamed.
pub fn commit_run_dir(tmp: &Path, final_dir: &Path, stored: &StoredRun) -> Result<()> {
    let json = serde_json::to_vec_pretty(stored)?;
    let mut f = fs::File::create(tmp.join("run.json"))?;
    f.write_all(&json)?;
    f.sync_all().ok();
    if final_dir.exists() {
        fs::remove_dir_all(final_dir)
            .with_context(|| format!("cannot replace {}", final_dir.display()))?;
    }
    fs::rename(tmp, final_dir)
        .with_context(|| format!("cannot rename {} to {}", tmp.display(), final_dir.display()))?;
    Ok(())
}

/// `nodes.csv` of a run: per node, routing fee revenue, what its rebalancing cost it
/// (routing fees of its rebalances, swap fees, on-chain fees) and the net.
pub fn nodes_csv(topo: &crate::topology::Topology, r: &RunResult) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["node", "name", "revenue_sat", "cost_sat", "net_sat"])?;
    for (i, (rev, net)) in r.node_revenue.iter().zip(&r.node_net_revenue).enumerate() {
        let cost = rev.0 as i64 - net;
        w.write_record([
            i.to_string(),
            topo.node(crate::topology::NodeId(i as u32)).name.clone(),
            fmt_f(rev.0 as f64 / 1000.0),
            fmt_f(cost as f64 / 1000.0),
            fmt_f(*net as f64 / 1000.0),
        ])?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}
