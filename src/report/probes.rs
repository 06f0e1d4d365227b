//! Probe charts (runs with `[workload.probes]`), from the probe rounds stored in `run.json`:
//!
//! - `probe_success_by_amount`: per strategy, the probe success ratio (pooled over the
//!   measured rounds of a run, the `probe_success_<amount>` summary column) against the
//!   amount on a log axis, mean with 95% Student-t intervals across replications; one
//!   panel per sweep point.
//! - `probe_success_over_time`: per strategy, probe success per round over time, mean with
//!   intervals across replications; one panel per amount (without a sweep) or per sweep
//!   point (with a sweep, smallest amount only — the subtitle says so).
//!
//! Rounds are matched across replications by their time (every run of a scenario probes
//! at the same instants; `at_end` rounds, at each run's own end, are left out of the time
//! chart).

use super::charts::{self, ChartSpec, Domain, LineStyle, Panel, Point, Series, XScale};
use super::experiment::{labels, point_name, points};
use super::stats::Summary;
use super::Result;
use crate::output::{probe_column, StoredRun};
use std::collections::BTreeMap;
use std::path::Path;

fn point_of(xs: &[f64], x: f64) -> Option<Point> {
    let xs: Vec<f64> = xs.iter().copied().filter(|v| v.is_finite()).collect();
    if xs.is_empty() {
        return None;
    }
    let s = Summary::from_slice(&xs);
    Some(if s.ci95_lo.is_finite() {
        Point::with_interval(x, s.mean, s.ci95_lo, s.ci95_hi)
    } else {
        Point::new(x, s.mean)
    })
}

/// The probe amounts (msat, ascending) of the runs at `point`.
fn amounts(runs: &[StoredRun], point: usize) -> Vec<u64> {
    let mut a: Vec<u64> = runs
        .iter()
        .filter(|r| r.point == point)
        .flat_map(|r| r.probes.iter().map(|p| p.amount_msat))
        .collect();
    a.sort_unstable();
    a.dedup();
    a
}

/// Draws the probe charts into `cd` when any run has probes; nothing otherwise.
pub fn draw_probe_charts(
    cd: &Path,
    runs: &[StoredRun],
    sweep: &[(String, Vec<String>)],
) -> Result<()> {
    if runs.iter().all(|r| r.probes.is_empty()) {
        return Ok(());
    }
    let labels = labels(runs);
    let n_points = points(runs);
    let reps = runs.iter().map(|r| r.replication).max().unwrap_or(0) + 1;
    let sub = format!("Mean with 95% Student-t intervals across replications (up to {reps}).");

    // Success by amount.
    let panels: Vec<Panel> = (0..n_points)
        .map(|p| Panel {
            title: if sweep.is_empty() {
                String::new()
            } else {
                point_name(sweep, p, true)
            },
            series: labels
                .iter()
                .map(|l| Series {
                    name: l.clone(),
                    points: amounts(runs, p)
                        .into_iter()
                        .filter_map(|a| {
                            let col = probe_column(a);
                            let xs: Vec<f64> = runs
                                .iter()
                                .filter(|r| r.point == p && &r.strategy == l)
                                .map(|r| r.metric(&col))
                                .collect();
                            point_of(&xs, a as f64 / 1000.0)
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    let spec = ChartSpec::new(
        "Probe success by amount",
        "probe amount (sat, log scale)",
        "probe success ratio",
    )
    .with_y_range(0.0, 1.0)
    .with_domain(Domain::Unit)
    .with_x_scale(XScale::Log)
    .with_palette(&labels)
    .with_subtitle(&format!(
        "One attempt per pair, pooled over the measured rounds. {sub}"
    ));
    charts::facet_lines(
        cd.join("probe_success_by_amount"),
        &spec,
        &panels,
        LineStyle::ErrorBars,
    )?;

    // Success over time.
    let max_t = runs
        .iter()
        .flat_map(|r| r.probes.iter().map(|p| p.t_s))
        .fold(0.0f64, f64::max);
    let (unit, unit_name) = if max_t >= 3.0 * 3600.0 {
        (3600.0, "h")
    } else if max_t >= 180.0 {
        (60.0, "min")
    } else {
        (1.0, "s")
    };
    // (point, amount) → label → time (µs) → values across replications.
    let series_at = |p: usize, amount: u64| -> Vec<Series> {
        labels
            .iter()
            .map(|l| {
                let mut by_t: BTreeMap<u64, Vec<f64>> = BTreeMap::new();
                for r in runs.iter().filter(|r| r.point == p && &r.strategy == l) {
                    let end = r.metric("end_time_s");
                    for pr in r.probes.iter().filter(|x| x.amount_msat == amount) {
                        // `at_end` rounds happen at each run's own end: not comparable.
                        if pr.probes == 0 || pr.t_s == end {
                            continue;
                        }
                        by_t.entry((pr.t_s * 1e6).round() as u64)
                            .or_default()
                            .push(pr.succeeded as f64 / pr.probes as f64);
                    }
                }
                Series {
                    name: l.clone(),
                    points: by_t
                        .iter()
                        .filter_map(|(t, xs)| point_of(xs, *t as f64 / 1e6 / unit))
                        .collect(),
                }
            })
            .collect()
    };
    let (panels, note): (Vec<Panel>, String) = if sweep.is_empty() {
        (
            amounts(runs, 0)
                .into_iter()
                .map(|a| Panel {
                    title: format!(
                        "{} sat",
                        crate::report::layout::format_number(
                            a as f64 / 1000.0,
                            if a.is_multiple_of(1000) { 0 } else { 3 }
                        )
                    ),
                    series: series_at(0, a),
                })
                .collect(),
            "One panel per probe amount.".into(),
        )
    } else {
        (
            (0..n_points)
                .filter_map(|p| {
                    let a = *amounts(runs, p).first()?;
                    Some(Panel {
                        title: point_name(sweep, p, true),
                        series: series_at(p, a),
                    })
                })
                .collect(),
            "Smallest probe amount of each sweep point.".into(),
        )
    };
    if panels
        .iter()
        .any(|p| p.series.iter().any(|s| !s.points.is_empty()))
    {
        charts::facet_lines(
            cd.join("probe_success_over_time"),
            &ChartSpec::new(
                "Probe success over time",
                &format!("time ({unit_name})"),
                "probe success ratio",
            )
            .with_y_range(0.0, 1.0)
            .with_domain(Domain::Unit)
            .with_palette(&labels)
            .with_subtitle(&format!("{note} {sub}")),
            &panels,
            LineStyle::Band,
        )?;
    }
    Ok(())
}
