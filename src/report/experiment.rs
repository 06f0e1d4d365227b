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

fn summary_point(xs: &[f64], x: f64) -> Point {
    let s = Summary::from_slice(xs);
    if s.ci95_lo.is_finite() {
        Point::with_interval(x, s.mean, s.ci95_lo, s.ci95_hi)
    } else {
        Point::new(x, s.mean)
    }
}

fn diff_point(d: &Summary, x: f64) -> Point {
    if d.ci95_lo.is_finite() {
        Point::with_interval(x, d.mean, d.ci95_lo, d.ci95_hi)
    } else {
        Point::new(x, d.mean)
    }
}

// ---------------------------------------------------------------------------------------
// Time series on a common grid

/// The nominal window length at a point: the longest window of its runs (the first
/// window of a run is always full unless the run is shorter than one window).
fn window_s(runs: &[&StoredRun]) -> f64 {
    runs.iter()
        .flat_map(|r| {
            let mut prev = 0.0;
            r.windows.iter().map(move |w| {
                let d = w.t_s - prev;
                prev = w.t_s;
                d
            })
        })
        .fold(0.0, f64::max)
}

/// What was left out of a time series.
#[derive(Debug, Default, Clone, Copy)]
struct Dropped {
    windows: usize,
    shortest_s: f64,
    longest_s: f64,
}

/// The full windows of `r`: (grid index `k`, window ending at `k · window_s`).
fn full_windows<'a>(
    r: &'a StoredRun,
    window_s: f64,
    dropped: &mut Dropped,
) -> Vec<(i64, &'a StoredWindow)> {
    let mut prev = 0.0;
    let mut out = Vec::new();
    for w in &r.windows {
        let d = w.t_s - prev;
        prev = w.t_s;
        if window_s > 0.0 && d >= window_s * (1.0 - 1e-9) {
            out.push(((w.t_s / window_s).round() as i64, w));
        } else {
            if dropped.windows == 0 {
                dropped.shortest_s = d;
            }
            dropped.windows += 1;
            dropped.shortest_s = dropped.shortest_s.min(d);
            dropped.longest_s = dropped.longest_s.max(d);
        }
    }
    out
}

/// Grid index → (replication, value).
type RepValues = BTreeMap<i64, Vec<(u32, f64)>>;

type WindowFn<'a> = &'a dyn Fn(&StoredWindow) -> Option<f64>;

/// Per strategy at `point`: grid index → (replication, value), restricted to the grid
/// indices every replication of that strategy has.
struct Grid {
    window_s: f64,
    per_label: Vec<(String, RepValues)>,
    reps: Vec<usize>,
    dropped: Dropped,
}

fn grid(runs: &[StoredRun], point: usize, f: WindowFn<'_>) -> Grid {
    let at: Vec<&StoredRun> = runs.iter().filter(|r| r.point == point).collect();
    let ws = window_s(&at);
    let mut dropped = Dropped::default();
    let mut per_label = Vec::new();
    let mut reps = Vec::new();
    for l in labels(runs) {
        let rs: Vec<&&StoredRun> = at.iter().filter(|r| r.strategy == l).collect();
        let mut m: BTreeMap<i64, Vec<(u32, f64)>> = BTreeMap::new();
        let mut count: BTreeMap<i64, usize> = BTreeMap::new();
        for r in &rs {
            for (k, w) in full_windows(r, ws, &mut dropped) {
                *count.entry(k).or_default() += 1;
                if let Some(v) = f(w) {
                    m.entry(k).or_default().push((r.replication, v));
                }
            }
        }
        m.retain(|k, _| count.get(k) == Some(&rs.len()));
        reps.push(rs.len());
        per_label.push((l, m));
    }
    Grid {
        window_s: ws,
        per_label,
        reps,
        dropped,
    }
}

/// Time axis: minutes for runs up to three hours, else hours.
fn time_unit(runs: &[StoredRun]) -> (f64, &'static str) {
    let end = runs
        .iter()
        .flat_map(|r| r.windows.last().map(|w| w.t_s))
        .fold(0.0, f64::max);
    if end <= 3.0 * 3600.0 {
        (60.0, "simulated time (min)")
    } else {
        (3600.0, "simulated time (h)")
    }
}

fn n_text(reps: impl Iterator<Item = usize>) -> String {
    let (lo, hi) = reps
        .filter(|n| *n > 0)
        .fold((usize::MAX, 0), |(a, b), n| (a.min(n), b.max(n)));
    let n = if lo == usize::MAX {
        "0".to_owned()
    } else if lo == hi {
        lo.to_string()
    } else {
        format!("{lo}–{hi}")
    };
    let s = if hi == 1 { "" } else { "s" };
    format!("n = {n} replication{s}")
}

struct TimeCharts {
    raw: Vec<Panel>,
    diff: Vec<Panel>,
    reps: Vec<usize>,
    dropped: Dropped,
    window_s: f64,
}

fn time_charts(runs: &[StoredRun], sweep: &[(String, Vec<String>)], f: WindowFn<'_>) -> TimeCharts {
    let (unit, _) = time_unit(runs);
    let base = baseline(runs);
    let mut out = TimeCharts {
        raw: Vec::new(),
        diff: Vec::new(),
        reps: Vec::new(),
        dropped: Dropped::default(),
        window_s: 0.0,
    };
    for p in 0..points(runs) {
        let g = grid(runs, p, f);
        let title = if sweep.is_empty() {
            String::new()
        } else {
            point_name(sweep, p, true)
        };
        let x = |k: i64| k as f64 * g.window_s / unit;
        let raw = g
            .per_label
            .iter()
            .map(|(l, m)| Series {
                name: l.clone(),
                points: m
                    .iter()
                    .map(|(k, v)| {
                        let xs: Vec<f64> = v.iter().map(|q| q.1).collect();
                        summary_point(&xs, x(*k))
                    })
                    .collect(),
            })
            .collect();
        let base_m = g.per_label.iter().find(|(l, _)| *l == base).map(|(_, m)| m);
        let diff = g
            .per_label
            .iter()
            .filter(|(l, _)| *l != base)
            .map(|(l, m)| Series {
                name: l.clone(),
                points: m
                    .iter()
                    .filter_map(|(k, v)| {
                        let b = base_m?.get(k)?;
                        let (mut xa, mut xb) = (Vec::new(), Vec::new());
                        for (rep, val) in v {
                            if let Some((_, bv)) = b.iter().find(|(r, _)| r == rep) {
                                xa.push(*val);
                                xb.push(*bv);
                            }
                        }
                        let d = paired_difference(&xa, &xb).ok().filter(|d| d.n > 0)?;
                        Some(diff_point(&d, x(*k)))
                    })
                    .collect(),
            })
            .collect();
        out.raw.push(Panel {
            title: title.clone(),
            series: raw,
        });
        out.diff.push(Panel {
            title,
            series: diff,
        });
        out.reps.extend(g.reps);
        out.dropped.windows += g.dropped.windows;
        if g.dropped.windows > 0 {
            out.dropped.shortest_s = if out.dropped.longest_s == 0.0 {
                g.dropped.shortest_s
            } else {
                out.dropped.shortest_s.min(g.dropped.shortest_s)
            };
            out.dropped.longest_s = out.dropped.longest_s.max(g.dropped.longest_s);
        }
        out.window_s = out.window_s.max(g.window_s);
    }
    out
}

/// Seconds with at most one decimal (cut, not rounded: 299.97 s is not "300") and no
/// trailing `.0`.
fn secs(v: f64) -> String {
    let s = format!("{:.1}", (v * 10.0).floor() / 10.0);
    s.strip_suffix(".0").map(str::to_owned).unwrap_or(s)
}

fn time_subtitle(t: &TimeCharts, what: &str) -> String {
    let dropped = if t.dropped.windows > 0 {
        format!(
            " Partial last windows ({}–{}\u{a0}s) left out.",
            secs(t.dropped.shortest_s),
            secs(t.dropped.longest_s)
        )
    } else {
        String::new()
    };
    format!(
        "Mean per {}\u{a0}s window; {what}: 95% Student-t interval, {}.{dropped}",
        secs(t.window_s),
        n_text(t.reps.iter().copied())
    )
}

/// Writes a time-series chart: one plot, or one panel per sweep point.
fn time_chart(stem: &Path, spec: &ChartSpec, panels: &[Panel]) -> Result<()> {
    if panels.len() == 1 {
        charts::line_chart(stem, spec, &panels[0].series)?;
    } else {
        charts::facet_lines(stem, spec, panels, LineStyle::Band)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// All charts

fn summary_of(runs: &[StoredRun], p: usize, l: &str, m: &str) -> Summary {
    let xs: Vec<f64> = values(runs, p, l, m).iter().map(|x| x.1).collect();
    Summary::from_slice(&xs)
}

fn iv(s: &Summary) -> Option<(f64, f64)> {
    s.ci95_lo.is_finite().then_some((s.ci95_lo, s.ci95_hi))
}

/// Draws every chart into `dir/charts/`. `latencies` gives, per strategy, the latencies
/// (ms) of successful payments of replication 0 at point 0, when the per-payment CSV
/// exists.
pub fn draw_all(
    dir: &Path,
    runs: &[StoredRun],
    sweep: &[(String, Vec<String>)],
    latencies: &[(String, Vec<f64>)],
) -> Result<()> {
    let cd = dir.join("charts");
    std::fs::create_dir_all(&cd).with_context(|| format!("cannot create {}", cd.display()))?;
    let labels = labels(runs);
    let base = baseline(runs);
    let n_points = points(runs);
    let reps_all = n_text(
        (0..n_points)
            .flat_map(|p| labels.iter().map(move |l| (p, l)))
            .map(|(p, l)| {
                runs.iter()
                    .filter(|r| r.point == p && &r.strategy == l)
                    .count()
            }),
    );
    let (_, t_label) = time_unit(runs);
    super::probes::draw_probe_charts(&cd, runs, sweep)?;

    // Over time: success, with paired differences; imbalance; Gini.
    let success =
        |w: &StoredWindow| (w.attempted > 0).then(|| w.succeeded as f64 / w.attempted as f64);
    let t = time_charts(runs, sweep, &success);
    time_chart(
        &cd.join("success_over_time"),
        &ChartSpec::new(
            "Payment success ratio over time",
            t_label,
            "success ratio per window",
        )
        .with_y_range(0.0, 1.0)
        .with_domain(Domain::Unit)
        .with_subtitle(&time_subtitle(&t, "bands")),
        &t.raw,
    )?;
    if labels.len() > 1
        && t.diff
            .iter()
            .any(|p| p.series.iter().any(|s| !s.points.is_empty()))
    {
        time_chart(
            &cd.join("success_over_time_diff"),
            &ChartSpec::new(
                &format!("Success ratio over time: difference from {base}"),
                t_label,
                &format!("success ratio − {base}'s"),
            )
            .with_reference(0.0)
            .with_palette(&labels)
            .with_subtitle(&format!(
                "Paired by replication (same payments). {}",
                time_subtitle(&t, "bands")
            )),
            &t.diff,
        )?;
    }
    let t = time_charts(runs, sweep, &|w| Some(w.depleted_share));
    time_chart(
        &cd.join("imbalance_over_time"),
        &ChartSpec::new(
            "Depleted channel directions over time",
            t_label,
            "share of directions depleted",
        )
        .with_domain(Domain::Unit)
        .with_subtitle(&time_subtitle(&t, "bands")),
        &t.raw,
    )?;
    let t = time_charts(runs, sweep, &|w| Some(w.node_gini));
    time_chart(
        &cd.join("gini_over_time"),
        &ChartSpec::new(
            "Node imbalance (Gini of balance shares) over time",
            t_label,
            "mean node Gini coefficient",
        )
        .with_domain(Domain::Unit)
        .with_subtitle(&time_subtitle(&t, "bands")),
        &t.raw,
    )?;

    // Trade-offs: success against fees and against capital, one panel per point.
    let capital_metric = if has_metric(runs, "capital_cost_sat") {
        "capital_cost_sat"
    } else {
        "topped_up_sat"
    };
    let capital_used = runs.iter().any(|r| {
        let v = r.metric(capital_metric);
        v.is_finite() && v != 0.0
    });
    let scatter = |p: usize, metric: &str| -> Vec<LabelledPoint> {
        labels
            .iter()
            .map(|l| {
                let c = summary_of(runs, p, l, metric);
                let s = summary_of(runs, p, l, "success_ratio");
                LabelledPoint {
                    label: l.clone(),
                    x: c.mean,
                    y: s.mean,
                    x_interval: iv(&c),
                    y_interval: iv(&s),
                }
            })
            .collect()
    };
    let fees_label = "total rebalancing cost (sat: routing + swap + on-chain fees)";
    let (cap_label, _) = metric_info(capital_metric);
    let sub = format!(
        "Mean with 95% Student-t intervals, {reps_all}. Horizontal: 0, then decades (symlog)."
    );
    let spec = ChartSpec::new(
        "Success ratio vs rebalancing cost",
        fees_label,
        "payment success ratio",
    )
    .with_domain(Domain::Unit);
    if sweep.is_empty() {
        let mut panels = vec![ScatterPanel {
            title: if capital_used {
                "vs fees paid".into()
            } else {
                String::new()
            },
            x_label: fees_label.into(),
            x_scale: XScale::SymLog,
            points: scatter(0, "total_cost_sat"),
        }];
        let mut sub = sub.clone();
        if capital_used {
            panels.push(ScatterPanel {
                title: "vs capital added".into(),
                x_label: cap_label.clone(),
                x_scale: XScale::SymLog,
                points: scatter(0, capital_metric),
            });
        } else {
            sub.push_str(" No strategy added capital.");
        }
        charts::scatter_panels(
            cd.join("success_vs_cost"),
            &spec.with_subtitle(&sub),
            &panels,
        )?;
    } else {
        let panels: Vec<ScatterPanel> = (0..n_points)
            .map(|p| ScatterPanel {
                title: point_name(sweep, p, true),
                x_label: "fees (sat)".into(),
                x_scale: XScale::SymLog,
                points: scatter(p, "total_cost_sat"),
            })
            .collect();
        charts::scatter_panels(
            cd.join("success_vs_cost"),
            &spec.with_subtitle(&format!("{sub} Fees: {fees_label}.")),
            &panels,
        )?;
        if capital_used {
            let panels: Vec<ScatterPanel> = (0..n_points)
                .map(|p| ScatterPanel {
                    title: point_name(sweep, p, true),
                    x_label: "capital (sat)".into(),
                    x_scale: XScale::SymLog,
                    points: scatter(p, capital_metric),
                })
                .collect();
            charts::scatter_panels(
                cd.join("success_vs_capital"),
                &ChartSpec::new(
                    "Success ratio vs capital",
                    &cap_label,
                    "payment success ratio",
                )
                .with_domain(Domain::Unit)
                .with_subtitle(&format!("{sub} Capital: {cap_label}.")),
                &panels,
            )?;
        }
    }

    // Paired differences against the baseline, per strategy (no sweep).
    let others: Vec<String> = labels.iter().filter(|l| **l != base).cloned().collect();
    if sweep.is_empty() && !others.is_empty() {
        let rows = stat_rows(runs, &["success_ratio", "total_cost_sat"]);
        for (metric, title) in [
            ("success_ratio", "Success ratio"),
            ("total_cost_sat", "Total rebalancing cost"),
        ] {
            let (unit, _) = metric_info(metric);
            let pts: Vec<Point> = others
                .iter()
                .map(|l| {
                    rows.iter()
                        .find(|r| r.point == 0 && &r.strategy == l && r.metric == metric)
                        .and_then(|r| r.diff)
                        .map_or(Point::new(0.0, f64::NAN), |d| diff_point(&d, 0.0))
                })
                .collect();
            charts::dot_chart(
                cd.join(format!("diff_{metric}")),
                &ChartSpec::new(
                    &format!("{title}: difference from {base}"),
                    "strategy",
                    &format!("{unit} − {base}'s"),
                )
                .with_reference(0.0)
                .with_subtitle(&format!(
                    "Mean paired difference (same payments) with 95% Student-t interval, {reps_all}."
                )),
                &others,
                &[Series {
                    name: format!("{title} − {base}"),
                    points: pts,
                }],
            )?;
        }
    }

    // On-chain activity: one bar per strategy (and per point of a sweep).
    for metric in ["onchain_txs", "onchain_fees_sat"] {
        let (unit, domain) = metric_info(metric);
        let groups: Vec<BarGroup> = (0..n_points)
            .map(|p| {
                let (mut v, mut e) = (Vec::new(), Vec::new());
                for l in &labels {
                    let s = summary_of(runs, p, l, metric);
                    v.push(s.mean);
                    e.push(if s.ci95_lo.is_finite() {
                        s.ci95_hi - s.mean
                    } else {
                        f64::NAN
                    });
                }
                BarGroup {
                    name: if sweep.is_empty() {
                        unit.clone()
                    } else {
                        point_name(sweep, p, true)
                    },
                    values: v,
                    err: Some(e),
                }
            })
            .collect();
        let title = if metric == "onchain_txs" {
            "On-chain transactions per run"
        } else {
            "On-chain fees per run"
        };
        charts::bar_chart(
            cd.join(metric),
            &ChartSpec::new(title, "strategy", &unit)
                .with_domain(domain)
                .with_subtitle(&format!("Mean with 95% Student-t interval, {reps_all}.")),
            &labels,
            &groups,
        )?;
    }
    if !latencies.is_empty() {
        let series: Vec<CdfSeries> = latencies
            .iter()
            .map(|(l, v)| CdfSeries {
                name: l.clone(),
                values: v.clone(),
            })
            .collect();
        let at = if sweep.is_empty() {
            String::new()
        } else {
            format!(", {}", point_name(sweep, 0, false))
        };
        charts::cdf_chart(
            cd.join("latency_cdf"),
            &ChartSpec::new(
                "Latency of successful payments",
                "latency (ms)",
                "cumulative share of payments",
            )
            .with_subtitle(&format!("Replication 0{at}.")),
            &series,
            true,
        )?;
    }
    draw_sweeps(&cd, runs, sweep, &labels, &base)?;
    Ok(())
}

/// Sweeps: each headline metric against each numeric swept key, the other keys held at
/// their first value (one factor at a time), one line per strategy with 95% error bars;
/// and the paired difference of the success ratio against the baseline.
fn draw_sweeps(
    cd: &Path,
    runs: &[StoredRun],
    sweep: &[(String, Vec<String>)],
    labels: &[String],
    base: &str,
) -> Result<()> {
    let sec: &[&str] = if has_metric(runs, "sec_funds_stolen_sat") {
        &[
            "sec_frauds_succeeded",
            "sec_funds_stolen_sat",
            "sec_dispute_fees_sat",
        ]
    } else {
        &[]
    };
    // Several chains: cross-chain success, unsafe timelocks, gateway revenue.
    let cross: &[&str] = if has_metric(runs, "cross_success_ratio") {
        &[
            "cross_success_ratio",
            "fail_timelock_unsafe",
            "gateway_revenue_ref_sat",
        ]
    } else {
        &[]
    };
    let metrics = [
        "success_ratio",
        "volume_success_ratio",
        "total_cost_sat",
        "depleted_share_end",
        "node_gini_end",
        "onchain_fees_sat",
    ];
    for (k, (key, vals)) in sweep.iter().enumerate() {
        // Points where every other key has the value it has at point 0.
        let slice: Vec<usize> = (0..vals.len())
            .filter(|&p| {
                sweep
                    .iter()
                    .enumerate()
                    .all(|(o, (_, v))| o == k || v.get(p) == v.first())
            })
            .collect();
        let xs: Option<Vec<f64>> = slice.iter().map(|&p| vals[p].parse::<f64>().ok()).collect();
        let Some(xs) = xs else { continue };
        let suffix = if sweep.len() > 1 {
            format!("_vs_{}", key.replace(['.', ' ', '|'], "_"))
        } else {
            String::new()
        };
        let held = if sweep.len() > 1 {
            let others: Vec<String> = sweep
                .iter()
                .enumerate()
                .filter(|(o, _)| *o != k)
                .map(|(_, (ok, ov))| {
                    format!(
                        "{} = {}",
                        short_key(ok),
                        ov.first().map(String::as_str).unwrap_or("")
                    )
                })
                .collect();
            format!(" Held: {}.", others.join(", "))
        } else {
            String::new()
        };
        let reps = n_text(slice.iter().flat_map(|&p| {
            labels.iter().map(move |l| {
                runs.iter()
                    .filter(|r| r.point == p && &r.strategy == l)
                    .count()
            })
        }));
        let x_label = short_key(key);
        for m in metrics.iter().chain(sec).chain(cross).copied() {
            let (label, domain) = metric_info(m);
            let series: Vec<Series> = labels
                .iter()
                .map(|l| Series {
                    name: l.clone(),
                    points: slice
                        .iter()
                        .zip(&xs)
                        .map(|(&p, &x)| {
                            let v: Vec<f64> = values(runs, p, l, m).iter().map(|x| x.1).collect();
                            summary_point(&v, x)
                        })
                        .collect(),
                })
                .collect();
            charts::errorbar_lines(
                cd.join(format!("sweep_{m}{suffix}")),
                &ChartSpec::new(
                    &format!("{} vs {x_label}", capitalise(&label)),
                    &x_label,
                    &label,
                )
                .with_domain(domain)
                .with_subtitle(&format!("Mean with 95% Student-t interval, {reps}.{held}")),
                &series,
            )?;
        }
        // Paired difference of the success ratio against the baseline.
        let rows = stat_rows(runs, &["success_ratio"]);
        let series: Vec<Series> = labels
            .iter()
            .filter(|l| *l != base)
            .map(|l| Series {
                name: l.clone(),
                points: slice
                    .iter()
                    .zip(&xs)
                    .filter_map(|(&p, &x)| {
                        let r = rows.iter().find(|r| r.point == p && &r.strategy == l)?;
                        Some(diff_point(r.diff.as_ref()?, x))
                    })
                    .collect(),
            })
            .collect();
        if series.iter().any(|s| !s.points.is_empty()) {
            charts::errorbar_lines(
                cd.join(format!("sweep_diff_success_ratio{suffix}")),
                &ChartSpec::new(&format!("Success ratio vs {x_label}: difference from {base}"), &x_label, &format!("success ratio − {base}'s"))
                    .with_reference(0.0)
                    .with_palette(labels)
                    .with_subtitle(&format!(
                        "Mean paired difference (same payments) with 95% Student-t interval, {reps}.{held}"
                    )),
                &series,
            )?;
        }
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn run(strategy: &str, rep: u32, point: usize, ends: &[f64], ok: u64) -> StoredRun {
        StoredRun {
            name: format!("p{point:03}-{strategy}-r{rep:03}"),
            point,
            strategy: strategy.into(),
            replication: rep,
            seed: u64::from(rep),
            fingerprint: String::new(),
            probes: Vec::new(),
            metrics: vec![
                ("success_ratio".into(), 0.5),
                ("total_cost_sat".into(), 0.0),
            ],
            windows: ends
                .iter()
                .map(|&t| StoredWindow {
                    t_s: t,
                    attempted: 10,
                    succeeded: ok,
                    volume_attempted_msat: 0,
                    volume_succeeded_msat: 0,
                    depleted_share: 0.1,
                    mean_abs_skew: 0.0,
                    node_gini: 0.2,
                    rebalance_fees_msat: 0,
                    pending_topup_msat: 0,
                })
                .collect(),
        }
    }

    #[test]
    fn partial_windows_are_dropped_and_replications_aligned() {
        // Replication 0 ends 3 s after its last full window, replication 1 after 1 s.
        let runs = vec![
            run("none", 0, 0, &[300.0, 600.0, 603.0], 5),
            run("none", 1, 0, &[300.0, 600.0, 601.0], 7),
            run("jit", 0, 0, &[300.0, 600.0, 602.5], 6),
            run("jit", 1, 0, &[300.0, 600.0], 8),
        ];
        let t = time_charts(&runs, &[], &|w| {
            Some(w.succeeded as f64 / w.attempted as f64)
        });
        assert_eq!(t.window_s, 300.0);
        assert_eq!(t.dropped.windows, 3);
        assert!(
            (t.dropped.shortest_s - 1.0).abs() < 1e-9 && (t.dropped.longest_s - 3.0).abs() < 1e-9
        );
        let none = &t.raw[0].series[0];
        let xs: Vec<f64> = none.points.iter().map(|p| p.x).collect();
        assert_eq!(
            xs,
            vec![5.0, 10.0],
            "window ends in minutes, partial window gone"
        );
        assert!(
            (none.points[0].y - 0.6).abs() < 1e-12,
            "mean of 0.5 and 0.7"
        );
        // Paired difference jit − none per window: (0.6 − 0.5, 0.8 − 0.7) = 0.1 each.
        let d = &t.diff[0].series[0];
        assert_eq!(d.name, "jit");
        assert!(d.points.iter().all(|p| (p.y - 0.1).abs() < 1e-12));
        let sub = time_subtitle(&t, "bands");
        assert!(
            sub.contains("n = 2 replications") && sub.contains("Partial"),
            "{sub}"
        );
    }

    #[test]
    fn sweeps_get_one_panel_per_point() {
        let runs: Vec<StoredRun> = (0..3)
            .flat_map(|p| (0..2).map(move |r| run("none", r, p, &[300.0, 600.0], 5)))
            .collect();
        let sweep = vec![(
            "workload.one_way.share".to_string(),
            vec!["0".into(), "0.3".into(), "0.6".into()],
        )];
        let t = time_charts(&runs, &sweep, &|w| Some(w.node_gini));
        assert_eq!(t.raw.len(), 3);
        assert_eq!(t.raw[2].title, "one_way.share = 0.6");
        let dir = tempfile::tempdir().unwrap();
        draw_all(dir.path(), &runs, &sweep, &[]).unwrap();
        for c in [
            "success_over_time",
            "success_vs_cost",
            "sweep_success_ratio",
            "onchain_txs",
        ] {
            assert!(dir.path().join(format!("charts/{c}.svg")).is_file(), "{c}");
        }
    }

    #[test]
    fn short_keys() {
        assert_eq!(short_key("workload.one_way.share"), "one_way.share");
        assert_eq!(short_key("seed"), "seed");
        assert_eq!(
            short_key("strategy.a.participation.share | strategy.b.participation.share"),
            "participation.share (linked)"
        );
    }
}
