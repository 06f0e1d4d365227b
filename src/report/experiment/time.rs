//! Time series on a common grid: full windows only, per-replication values, the
//! over-time charts and their subtitles, and summary points for the charts.

use super::*;

pub(super) fn summary_point(xs: &[f64], x: f64) -> Point {
    let s = Summary::from_slice(xs);
    if s.ci95_lo.is_finite() {
        Point::with_interval(x, s.mean, s.ci95_lo, s.ci95_hi)
    } else {
        Point::new(x, s.mean)
    }
}

pub(super) fn diff_point(d: &Summary, x: f64) -> Point {
    if d.ci95_lo.is_finite() {
        Point::with_interval(x, d.mean, d.ci95_lo, d.ci95_hi)
    } else {
        Point::new(x, d.mean)
    }
}

/// The nominal window length at a point: the longest window of its runs (the first
/// window of a run is always full unless the run is shorter than one window).
pub(super) fn window_s(runs: &[&StoredRun]) -> f64 {
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
pub(super) struct Dropped {
    pub(super) windows: usize,
    pub(super) shortest_s: f64,
    pub(super) longest_s: f64,
}

/// The full windows of `r`: (grid index `k`, window ending at `k · window_s`).
pub(super) fn full_windows<'a>(
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
pub(super) type RepValues = BTreeMap<i64, Vec<(u32, f64)>>;

pub(super) type WindowFn<'a> = &'a dyn Fn(&StoredWindow) -> Option<f64>;

/// Per strategy at `point`: grid index → (replication, value), restricted to the grid
/// indices every replication of that strategy has.
pub(super) struct Grid {
    pub(super) window_s: f64,
    pub(super) per_label: Vec<(String, RepValues)>,
    pub(super) reps: Vec<usize>,
    pub(super) dropped: Dropped,
}

pub(super) fn grid(runs: &[StoredRun], point: usize, f: WindowFn<'_>) -> Grid {
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
pub(super) fn time_unit(runs: &[StoredRun]) -> (f64, &'static str) {
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

pub(super) fn n_text(reps: impl Iterator<Item = usize>) -> String {
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

pub(super) struct TimeCharts {
    pub(super) raw: Vec<Panel>,
    pub(super) diff: Vec<Panel>,
    pub(super) reps: Vec<usize>,
    pub(super) dropped: Dropped,
    pub(super) window_s: f64,
}

pub(super) fn time_charts(
    runs: &[StoredRun],
    sweep: &[(String, Vec<String>)],
    f: WindowFn<'_>,
) -> TimeCharts {
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
pub(super) fn secs(v: f64) -> String {
    let s = format!("{:.1}", (v * 10.0).floor() / 10.0);
    s.strip_suffix(".0").map(str::to_owned).unwrap_or(s)
}

pub(super) fn time_subtitle(t: &TimeCharts, what: &str) -> String {
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
pub(super) fn time_chart(stem: &Path, spec: &ChartSpec, panels: &[Panel]) -> Result<()> {
    if panels.len() == 1 {
        charts::line_chart(stem, spec, &panels[0].series)?;
    } else {
        charts::facet_lines(stem, spec, panels, LineStyle::Band)?;
    }
    Ok(())
}

pub(super) fn summary_of(runs: &[StoredRun], p: usize, l: &str, m: &str) -> Summary {
    let xs: Vec<f64> = values(runs, p, l, m).iter().map(|x| x.1).collect();
    Summary::from_slice(&xs)
}

pub(super) fn iv(s: &Summary) -> Option<(f64, f64)> {
    s.ci95_lo.is_finite().then_some((s.ci95_lo, s.ci95_hi))
}
