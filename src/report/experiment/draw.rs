//! `charts/` of an experiment: every chart of [`draw_all`], per sweep point and across the
//! sweep.

use super::*;

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
    super::super::probes::draw_probe_charts(&cd, runs, sweep)?;

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
pub(super) fn draw_sweeps(
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
