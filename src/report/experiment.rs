//! The report of an experiment: `stats.csv` (tidy statistics) and `charts/`, built from the
//! stored runs alone, so `pcnsim plot RESULTS_DIR` can redraw without re-running.

use super::charts::{self, BarGroup, CdfSeries, ChartSpec, LabelledPoint, Point, Series};
use super::stats::{paired_difference, Summary};
use crate::output::{fmt_f, StoredRun};
use anyhow::{Context, Result};
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

fn points(runs: &[StoredRun]) -> usize {
    runs.iter().map(|r| r.point + 1).max().unwrap_or(0)
}

fn values(runs: &[StoredRun], point: usize, label: &str, metric: &str) -> Vec<(u32, f64)> {
    runs.iter()
        .filter(|r| r.point == point && r.strategy == label)
        .map(|r| (r.replication, r.metric(metric)))
        .collect()
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
    let labels = labels(runs);
    let baseline = labels
        .iter()
        .find(|l| *l == "none")
        .cloned()
        .or_else(|| labels.first().cloned())
        .unwrap_or_default();
    for p in 0..points(runs) {
        for l in &labels {
            for m in HEADLINE {
                let v = values(runs, p, l, m);
                if v.is_empty() {
                    continue;
                }
                let xs: Vec<f64> = v.iter().map(|x| x.1).collect();
                let s = Summary::from_slice(&xs);
                let base = values(runs, p, &baseline, m);
                // Pair by replication (common random numbers).
                let (mut a, mut b) = (Vec::new(), Vec::new());
                for (rep, x) in &v {
                    if let Some((_, y)) = base.iter().find(|(r, _)| r == rep) {
                        a.push(*x);
                        b.push(*y);
                    }
                }
                let d = paired_difference(&a, &b).ok().filter(|_| *l != baseline);
                let mut row = vec![p.to_string()];
                row.extend(
                    sweep
                        .iter()
                        .map(|(_, vals)| vals.get(p).cloned().unwrap_or_default()),
                );
                row.extend([
                    l.clone(),
                    m.to_string(),
                    s.n.to_string(),
                    fmt_f(s.mean),
                    fmt_f(s.sd),
                    fmt_f(s.ci95_lo),
                    fmt_f(s.ci95_hi),
                    baseline.clone(),
                    d.as_ref().map_or(String::new(), |d| fmt_f(d.mean)),
                    d.as_ref().map_or(String::new(), |d| fmt_f(d.ci95_lo)),
                    d.as_ref().map_or(String::new(), |d| fmt_f(d.ci95_hi)),
                ]);
                w.write_record(&row)?;
            }
        }
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

fn summary_point(xs: &[f64], x: f64) -> Point {
    let s = Summary::from_slice(xs);
    if s.ci95_lo.is_finite() {
        Point::with_interval(x, s.mean, s.ci95_lo, s.ci95_hi)
    } else {
        Point::new(x, s.mean)
    }
}

/// A window time series per strategy at `point`, mean ± CI across replications.
fn window_series(
    runs: &[StoredRun],
    point: usize,
    f: &dyn Fn(&crate::output::StoredWindow) -> Option<f64>,
) -> Vec<Series> {
    labels(runs)
        .into_iter()
        .map(|l| {
            let rs: Vec<&StoredRun> = runs
                .iter()
                .filter(|r| r.point == point && r.strategy == l)
                .collect();
            let n = rs.iter().map(|r| r.windows.len()).min().unwrap_or(0);
            let points = (0..n)
                .filter_map(|i| {
                    let xs: Vec<f64> = rs.iter().filter_map(|r| f(&r.windows[i])).collect();
                    (!xs.is_empty()).then(|| summary_point(&xs, rs[0].windows[i].t_s / 3600.0))
                })
                .collect();
            Series { name: l, points }
        })
        .collect()
}

/// Draws every chart into `dir/charts/`. `payments` gives, per strategy, the latencies (ms)
/// of successful payments of replication 0 at point 0, when the per-payment CSV exists.
pub fn draw_all(
    dir: &Path,
    runs: &[StoredRun],
    sweep: &[(String, Vec<String>)],
    latencies: &[(String, Vec<f64>)],
) -> Result<()> {
    let cd = dir.join("charts");
    std::fs::create_dir_all(&cd).with_context(|| format!("cannot create {}", cd.display()))?;
    let labels = labels(runs);
    let at = |p: usize| {
        if sweep.is_empty() {
            String::new()
        } else {
            format!(" ({})", point_name(sweep, p))
        }
    };
    let s = window_series(runs, 0, &|w| {
        (w.attempted > 0).then(|| w.succeeded as f64 / w.attempted as f64)
    });
    charts::line_chart(
        cd.join("success_over_time"),
        &ChartSpec::new(
            &format!("Payment success ratio over time{}", at(0)),
            "simulated time (h)",
            "success ratio per window",
        )
        .with_y_range(0.0, 1.0),
        &s,
    )?;
    let s = window_series(runs, 0, &|w| Some(w.depleted_share));
    charts::line_chart(
        cd.join("imbalance_over_time"),
        &ChartSpec::new(
            &format!("Depleted channel directions{}", at(0)),
            "simulated time (h)",
            "share of directions depleted",
        ),
        &s,
    )?;
    let s = window_series(runs, 0, &|w| Some(w.node_gini));
    charts::line_chart(
        cd.join("gini_over_time"),
        &ChartSpec::new(
            &format!("Node imbalance (Gini of balance shares){}", at(0)),
            "simulated time (h)",
            "mean node Gini coefficient",
        ),
        &s,
    )?;
    // Trade-off: success vs cost.
    let pts: Vec<LabelledPoint> = labels
        .iter()
        .map(|l| {
            let c: Vec<f64> = values(runs, 0, l, "total_cost_sat")
                .iter()
                .map(|x| x.1)
                .collect();
            let sr: Vec<f64> = values(runs, 0, l, "success_ratio")
                .iter()
                .map(|x| x.1)
                .collect();
            let (cs, ss) = (Summary::from_slice(&c), Summary::from_slice(&sr));
            let iv = |s: &Summary| s.ci95_lo.is_finite().then_some((s.ci95_lo, s.ci95_hi));
            LabelledPoint {
                label: l.clone(),
                x: cs.mean,
                y: ss.mean,
                x_interval: iv(&cs),
                y_interval: iv(&ss),
            }
        })
        .collect();
    charts::scatter_chart(
        cd.join("success_vs_cost"),
        &ChartSpec::new(
            &format!("Success ratio vs rebalancing cost{}", at(0)),
            "total rebalancing cost (sat: routing + swap + on-chain fees)",
            "payment success ratio",
        ),
        &pts,
    )?;
    // On-chain activity.
    for (metric, title, unit) in [
        (
            "onchain_txs",
            "On-chain transactions",
            "transactions per run",
        ),
        ("onchain_fees_sat", "On-chain fees", "fees per run (sat)"),
    ] {
        let (mut v, mut e) = (Vec::new(), Vec::new());
        for l in &labels {
            let xs: Vec<f64> = values(runs, 0, l, metric).iter().map(|x| x.1).collect();
            let s = Summary::from_slice(&xs);
            v.push(s.mean);
            e.push(if s.ci95_lo.is_finite() {
                s.ci95_hi - s.mean
            } else {
                0.0
            });
        }
        charts::bar_chart(
            cd.join(metric),
            &ChartSpec::new(&format!("{title} per strategy{}", at(0)), "strategy", unit),
            &labels,
            &[BarGroup {
                name: title.to_string(),
                values: v,
                err: Some(e),
            }],
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
        charts::cdf_chart(
            cd.join("latency_cdf"),
            &ChartSpec::new(
                "Latency of successful payments (replication 0)",
                "latency (ms)",
                "cumulative share of payments",
            ),
            &series,
            true,
        )?;
    }
    // Sweeps: each headline metric against each numeric swept key, the other keys held at
    // their first value (one factor at a time), one line per strategy with 95% error bars.
    let has_sec = runs
        .first()
        .is_some_and(|r| r.metrics.iter().any(|(k, _)| k == "sec_funds_stolen_sat"));
    let sec: &[&str] = if has_sec {
        &[
            "sec_frauds_succeeded",
            "sec_funds_stolen_sat",
            "sec_dispute_fees_sat",
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
                    format!("{ok}={}", ov.first().map(String::as_str).unwrap_or(""))
                })
                .collect();
            format!(" ({})", others.join(", "))
        } else {
            String::new()
        };
        for m in metrics.iter().chain(sec.iter()).copied() {
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
                &ChartSpec::new(&format!("{m} vs {key}{held}"), key, m),
                &series,
            )?;
        }
    }
    Ok(())
}

fn point_name(sweep: &[(String, Vec<String>)], p: usize) -> String {
    sweep
        .iter()
        .map(|(k, v)| format!("{k}={}", v.get(p).map(String::as_str).unwrap_or("")))
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
