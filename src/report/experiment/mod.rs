//! The report of an experiment: `stats.csv` (tidy statistics) and `charts/`, built from the
//! stored runs alone, so `pcnsim plot RESULTS_DIR` can redraw without re-running.
//!
//! Time series are aligned on a common grid: window `k` of every replication ends at
//! `k · window_s`. The last window of a run ends when the run ends, usually a few seconds
//! after the last full window; such a partial window (shorter than `window_s`) holds a
//! handful of payments, so it is left out of the charts (the subtitle says so), and only
//! windows present in every replication of a strategy are averaged.

use super::charts::{
    self, BarGroup, CdfSeries, ChartSpec, Domain, LabelledPoint, LineStyle, Panel, Point,
    ScatterPanel, Series, XScale,
};
use super::stats::{paired_difference, Summary};
use super::{Context, Result};
use crate::output::{fmt_f, StoredRun, StoredWindow};
use std::collections::BTreeMap;
use std::path::Path;

mod time;
use time::*;
mod draw;
pub use draw::*;
#[cfg(test)]
mod tests;

/// Headline metrics that get statistics, charts and paired differences.
pub const HEADLINE: &[&str] = &[
    "success_ratio",
    "volume_success_ratio",
    "fees_paid_sat",
    "total_cost_sat",
    "rebalance_fees_sat",
    "onchain_txs",
    "onchain_fees_sat",
    "swap_fees_sat",
    "depleted_share_end",
    "node_gini_end",
    "latency_p50_ms",
    "latency_p99_ms",
    "fail_no_route",
    "fail_no_balance",
    "infeasible_failures",
    "rebalances_succeeded",
];

/// A readable name and the value domain of a metric of `summary.csv` (unknown metrics:
/// their own name, any real value).
pub fn metric_info(metric: &str) -> (String, Domain) {
    let (label, d) = match metric {
        "success_ratio" => ("success ratio", Domain::Unit),
        "volume_success_ratio" => ("volume success ratio", Domain::Unit),
        "fees_paid_sat" => ("routing fees paid by payments (sat)", Domain::NonNegative),
        "total_cost_sat" => ("total rebalancing cost (sat)", Domain::NonNegative),
        "rebalance_fees_sat" => ("rebalancing routing fees (sat)", Domain::NonNegative),
        "onchain_txs" => ("on-chain transactions", Domain::NonNegative),
        "onchain_fees_sat" => ("on-chain fees (sat)", Domain::NonNegative),
        "swap_fees_sat" => ("swap fees (sat)", Domain::NonNegative),
        "depleted_share_end" => ("depleted channel directions at end (share)", Domain::Unit),
        "node_gini_end" => ("node Gini coefficient at end", Domain::Unit),
        "latency_p50_ms" => ("median latency (ms)", Domain::NonNegative),
        "latency_p99_ms" => ("99th percentile latency (ms)", Domain::NonNegative),
        "fail_no_route" => ("failures: no route", Domain::NonNegative),
        "fail_no_balance" => ("failures: no balance", Domain::NonNegative),
        "fail_infeasible" => ("failures: infeasible", Domain::NonNegative),
        "rebalances_succeeded" => ("successful rebalances", Domain::NonNegative),
        "topped_up_sat" => ("capital added to channels (sat)", Domain::NonNegative),
        "withdrawn_sat" => ("capital withdrawn from channels (sat)", Domain::NonNegative),
        "capital_cost_sat" => ("capital cost (sat)", Domain::NonNegative),
        "capital_added_sat" => ("outside capital added (sat)", Domain::NonNegative),
        "capital_removed_sat" => ("capital removed (sat)", Domain::NonNegative),
        "total_cost_with_capital_sat" => ("total cost incl. capital (sat)", Domain::NonNegative),
        "endpoint_infeasible_share" => {
            ("payments infeasible at the endpoints (share)", Domain::Unit)
        }
        "network_imbalance_end" => ("network imbalance G at end", Domain::Unit),
        "sec_frauds_succeeded" => ("successful frauds per run", Domain::NonNegative),
        "sec_funds_stolen_sat" => ("funds stolen (sat)", Domain::NonNegative),
        "sec_dispute_fees_sat" => ("dispute fees (sat)", Domain::NonNegative),
        "cross_success_ratio" => ("cross-chain success ratio", Domain::Unit),
        "fail_timelock_unsafe" => ("failures: unsafe cross-chain timelock", Domain::NonNegative),
        "gateway_revenue_ref_sat" => ("gateway revenue (reference sat)", Domain::Real),
        other => {
            let d = if other.ends_with("_sat")
                || other.ends_with("_ms")
                || other.starts_with("fail_")
                || other.ends_with("_txs")
            {
                Domain::NonNegative
            } else if other.ends_with("_ratio")
                || other.ends_with("_share")
                || other.starts_with("probe_success_")
                || other.starts_with("node_gini_")
                || other.starts_with("network_imbalance_")
            {
                Domain::Unit
            } else {
                Domain::Real
            };
            return (other.replace('_', " "), d);
        }
    };
    (label.to_owned(), d)
}

/// Strategy labels in first-appearance order.
pub fn labels(runs: &[StoredRun]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in runs {
        if !out.contains(&r.strategy) {
            out.push(r.strategy.clone());
        }
    }
    out
}

/// The baseline of paired differences: the strategy labelled `none`, else the first.
pub fn baseline(runs: &[StoredRun]) -> String {
    let labels = labels(runs);
    labels
        .iter()
        .find(|l| *l == "none")
        .cloned()
        .or_else(|| labels.first().cloned())
        .unwrap_or_default()
}

/// Number of sweep points (1 without a sweep).
pub fn points(runs: &[StoredRun]) -> usize {
    runs.iter().map(|r| r.point + 1).max().unwrap_or(0)
}

fn values(runs: &[StoredRun], point: usize, label: &str, metric: &str) -> Vec<(u32, f64)> {
    runs.iter()
        .filter(|r| r.point == point && r.strategy == label)
        .map(|r| (r.replication, r.metric(metric)))
        .collect()
}

fn has_metric(runs: &[StoredRun], metric: &str) -> bool {
    runs.iter()
        .any(|r| r.metrics.iter().any(|(k, _)| k == metric))
}

/// One row of `stats.csv`: a metric of one strategy at one sweep point.
#[derive(Debug, Clone, PartialEq)]
pub struct StatRow {
    /// Sweep point index.
    pub point: usize,
    /// Strategy label.
    pub strategy: String,
    /// Metric name (a column of `summary.csv`).
    pub metric: String,
    /// Mean, sd and 95 % Student-t interval across replications.
    pub summary: Summary,
    /// The baseline strategy.
    pub baseline: String,
    /// Paired difference against the baseline (same replications); `None` for the
    /// baseline itself or without pairs.
    pub diff: Option<Summary>,
}

/// Statistics of `metrics` for every point and strategy, with paired differences against
/// the baseline (pairs matched by replication: common random numbers).
pub fn stat_rows(runs: &[StoredRun], metrics: &[&str]) -> Vec<StatRow> {
    let labels = labels(runs);
    let baseline = baseline(runs);
    let mut out = Vec::new();
    for p in 0..points(runs) {
        for l in &labels {
            for m in metrics {
                let v = values(runs, p, l, m);
                if v.is_empty() {
                    continue;
                }
                let xs: Vec<f64> = v.iter().map(|x| x.1).collect();
                let base = values(runs, p, &baseline, m);
                let (mut a, mut b) = (Vec::new(), Vec::new());
                for (rep, x) in &v {
                    if let Some((_, y)) = base.iter().find(|(r, _)| r == rep) {
                        a.push(*x);
                        b.push(*y);
                    }
                }
                let diff = paired_difference(&a, &b).ok().filter(|_| *l != baseline);
                out.push(StatRow {
                    point: p,
                    strategy: l.clone(),
                    metric: m.to_string(),
                    summary: Summary::from_slice(&xs),
                    baseline: baseline.clone(),
                    diff,
                });
            }
        }
    }
    out
}

/// Measurement metrics that get statistics in `stats.csv` besides [`HEADLINE`] (when the
/// runs have them).
pub const MEASURES: &[&str] = &[
    "endpoint_infeasible_share",
    "node_gini_p50_end",
    "network_imbalance_start",
    "network_imbalance_end",
    "capital_added_sat",
    "capital_removed_sat",
    "capital_cost_sat",
    "total_cost_with_capital_sat",
];

/// The metrics of `stats.csv`: [`HEADLINE`], then [`MEASURES`] and every `probe_*` column
/// the runs have, in summary order.
pub fn stats_metrics(runs: &[StoredRun]) -> Vec<String> {
    let mut out: Vec<String> = HEADLINE.iter().map(|m| m.to_string()).collect();
    let Some(first) = runs.first() else {
        return out;
    };
    for (k, _) in &first.metrics {
        if (MEASURES.contains(&k.as_str()) || k.starts_with("probe_")) && !out.contains(k) {
            out.push(k.clone());
        }
    }
    out
}

/// `stats.csv` in long format: one row per (point, strategy, metric), with the mean, sd and
/// 95% Student-t interval across replications, and the paired difference against the
/// baseline (the strategy labelled `none`, else the first) with its interval.
pub fn stats_csv(runs: &[StoredRun], sweep: &[(String, Vec<String>)]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = vec!["point".into()];
    header.extend(sweep.iter().map(|(k, _)| k.clone()));
    header.extend(
        [
            "strategy",
            "metric",
            "n",
            "mean",
            "sd",
            "ci95_lo",
            "ci95_hi",
            "baseline",
            "diff_mean",
            "diff_ci95_lo",
            "diff_ci95_hi",
        ]
        .map(String::from),
    );
    w.write_record(&header)?;
    let names = stats_metrics(runs);
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    for r in stat_rows(runs, &names) {
        let s = r.summary;
        let d = r.diff;
        let mut row = vec![r.point.to_string()];
        row.extend(
            sweep
                .iter()
                .map(|(_, vals)| vals.get(r.point).cloned().unwrap_or_default()),
        );
        row.extend([
            r.strategy,
            r.metric,
            s.n.to_string(),
            fmt_f(s.mean),
            fmt_f(s.sd),
            fmt_f(s.ci95_lo),
            fmt_f(s.ci95_hi),
            r.baseline,
            d.as_ref().map_or(String::new(), |d| fmt_f(d.mean)),
            d.as_ref().map_or(String::new(), |d| fmt_f(d.ci95_lo)),
            d.as_ref().map_or(String::new(), |d| fmt_f(d.ci95_hi)),
        ]);
        w.write_record(&row)?;
    }
    w.into_inner()
        .map_err(|e| csv::Error::from(e.into_error()).into())
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A swept key without its leading tables: the last dotted part of its first path, or the
/// last two when the last is a short word (`security.watchtower_coverage` →
/// `watchtower_coverage`, `workload.one_way.share` → `one_way.share`).
pub fn short_key(key: &str) -> String {
    let first = key.split('|').next().unwrap_or(key).trim();
    let parts: Vec<&str> = first.split('.').collect();
    let n = parts.len();
    let keep = if parts[n - 1].len() < 8 { 2 } else { 1 };
    let short = parts[n.saturating_sub(keep)..].join(".");
    if key.contains('|') {
        format!("{short} (linked)")
    } else {
        short
    }
}

/// `key=value, …` of sweep point `p` (with `short` keys).
pub fn point_name(sweep: &[(String, Vec<String>)], p: usize, short: bool) -> String {
    sweep
        .iter()
        .map(|(k, v)| {
            let k = if short { short_key(k) } else { k.clone() };
            format!("{k} = {}", v.get(p).map(String::as_str).unwrap_or(""))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads the latencies (ms) of successful workload payments from a `payments.csv`.
pub fn read_latencies(path: &Path) -> Option<Vec<f64>> {
    let mut r = csv::Reader::from_path(path).ok()?;
    let h = r.headers().ok()?.clone();
    let i = |n: &str| h.iter().position(|x| x == n);
    let (c, f, s, k) = (i("created_s")?, i("finished_s")?, i("success")?, i("kind")?);
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec.ok()?;
        if rec.get(s)? == "1" && rec.get(k)? == "payment" {
            let a: f64 = rec.get(c)?.parse().ok()?;
            let b: f64 = rec.get(f)?.parse().ok()?;
            out.push((b - a) * 1000.0);
        }
    }
    Some(out)
}
