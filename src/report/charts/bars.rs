//! The grouped bar-chart and empirical-CDF models.

use super::*;

/// Lays out a grouped bar chart.
///
/// Errors: [`ChartError::InvalidInput`] for ragged groups; [`ChartError::Font`].
pub fn bar_model(
    spec: &ChartSpec,
    categories: &[String],
    groups: &[BarGroup],
) -> Result<ChartModel, ChartError> {
    for g in groups {
        if g.values.len() != categories.len() {
            return Err(ChartError::InvalidInput(format!(
                "bar group {:?} has {} values for {} categories",
                g.name,
                g.values.len(),
                categories.len()
            )));
        }
        if let Some(err) = &g.err {
            if err.len() != categories.len() {
                return Err(ChartError::InvalidInput(format!(
                    "bar group {:?} has {} error values for {} categories",
                    g.name,
                    err.len(),
                    categories.len()
                )));
            }
        }
    }
    register_fonts()?;
    let d = spec.y_domain;
    let err_at = |g: &BarGroup, i: usize| {
        g.err
            .as_ref()
            .and_then(|e| e.get(i).copied())
            .filter(|e| e.is_finite())
    };
    let mut ys = vec![0.0];
    let mut any_cut = false;
    for g in groups {
        for (i, &v) in g.values.iter().enumerate() {
            if v.is_finite() {
                let e = err_at(g, i).unwrap_or(0.0).abs();
                any_cut |= d.clamp(v - e) != v - e || d.clamp(v + e) != v + e;
                ys.extend([d.clamp(v), d.clamp(v - e), d.clamp(v + e)]);
            }
        }
    }
    let any_bar = groups
        .iter()
        .any(|g| g.values.iter().any(|v| v.is_finite()));
    let y_ext = extent(ys.into_iter());
    let y = y_axis(spec, y_ext);
    let x = category_axis(categories);
    let frame = Frame {
        title: spec.title.clone(),
        subtitle: subtitle_with(spec, &if any_cut { cut_note(d) } else { String::new() }),
        x_title: spec.x_label.clone(),
        y_title: spec.y_label.clone(),
        panels: vec![FramePanel {
            title: String::new(),
            x_title: String::new(),
            x,
            y,
        }],
        legend: if groups.len() > 1 {
            groups
                .iter()
                .enumerate()
                .map(|(j, g)| LegendEntry {
                    name: g.name.clone(),
                    glyph: Glyph::Swatch(series_color(j)),
                })
                .collect()
        } else {
            Vec::new()
        },
        legend_mode: LegendMode::Inside,
        x_grid: false,
    };
    let content = |_: usize, xa: &AxisModel, ya: &AxisModel, plot: &Rect| {
        let mut marks = Vec::new();
        let m = groups.len().max(1) as f64;
        let width = 0.8 / m;
        let base = ya.to_px(0.0_f64.clamp(ya.min, ya.max));
        for (j, g) in groups.iter().enumerate() {
            let color = series_color(j);
            let left = |i: usize| i as f64 - 0.4 + j as f64 * width;
            for (i, &v) in g.values.iter().enumerate() {
                if !v.is_finite() {
                    continue;
                }
                let (a, b) = (xa.to_px(left(i) + 0.01), xa.to_px(left(i) + width - 0.01));
                let top = ya.to_px(d.clamp(v));
                let r = Rect::new(a, top.min(base), b, top.max(base));
                let r = Rect::new(r.x0, r.y0.max(plot.y0), r.x1, r.y1.min(plot.y1));
                if r.h() > 0.0 {
                    marks.push(Mark::Bar { rect: r, color });
                }
            }
            for (i, &v) in g.values.iter().enumerate() {
                let Some(e) = err_at(g, i).filter(|_| v.is_finite()) else {
                    continue;
                };
                let c = xa.to_px(left(i) + width / 2.0);
                let (lo, hi) = (v - e.abs(), v + e.abs());
                let caps = (d.clamp(lo) == lo, d.clamp(hi) == hi);
                marks.extend(whisker(
                    c,
                    ya.to_px(d.clamp(lo)),
                    ya.to_px(d.clamp(hi)),
                    caps,
                    plot,
                    RGBColor(0, 0, 0),
                ));
            }
        }
        let texts = if any_bar {
            Vec::new()
        } else {
            vec![no_data(plot)]
        };
        (marks, texts)
    };
    Ok(build(&frame, &content))
}

/// The step polyline of one ECDF in data coordinates (only positive x when `log_x`).
pub(super) fn cdf_steps(values: &[f64], log_x: bool) -> Vec<(f64, f64)> {
    let mut e = ecdf(values);
    e.retain(|(x, _)| x.is_finite());
    if e.len() > MAX_CDF_STEPS {
        let n = e.len();
        let keep = MAX_CDF_STEPS;
        let mut thin: Vec<(f64, f64)> = (0..keep).map(|k| e[k * (n - 1) / (keep - 1)]).collect();
        thin.dedup_by(|a, b| a.0 == b.0);
        e = thin;
    }
    let mut out = Vec::with_capacity(2 * e.len());
    let mut prev_f = 0.0;
    for (x, f) in e {
        if log_x && x <= 0.0 {
            prev_f = f;
            continue;
        }
        out.push((x, prev_f));
        out.push((x, f));
        prev_f = f;
    }
    out
}

/// Lays out empirical CDFs.
///
/// Errors: [`ChartError::Font`] only.
pub fn cdf_model(
    spec: &ChartSpec,
    series: &[CdfSeries],
    log_x: bool,
) -> Result<ChartModel, ChartError> {
    register_fonts()?;
    let steps: Vec<Vec<(f64, f64)>> = series.iter().map(|s| cdf_steps(&s.values, log_x)).collect();
    let xs: Vec<f64> = steps.iter().flatten().map(|p| p.0).collect();
    let any = !xs.is_empty();
    let x = x_axis(if log_x { XScale::Log } else { XScale::Linear }, &xs);
    let y = exact_axis(0.0, 1.0);
    let frame = Frame {
        title: spec.title.clone(),
        subtitle: spec.subtitle.clone(),
        x_title: spec.x_label.clone(),
        y_title: spec.y_label.clone(),
        panels: vec![FramePanel {
            title: String::new(),
            x_title: String::new(),
            x,
            y,
        }],
        legend: series
            .iter()
            .enumerate()
            .map(|(j, s)| LegendEntry {
                name: s.name.clone(),
                glyph: Glyph::Line(series_color(j), Some(j)),
            })
            .collect(),
        legend_mode: LegendMode::Inside,
        x_grid: true,
    };
    let content = |_: usize, xa: &AxisModel, ya: &AxisModel, plot: &Rect| {
        let mut marks = Vec::new();
        let n_series = series.len().max(1) as f64;
        for (j, pts) in steps.iter().enumerate() {
            let color = series_color(j);
            let mut px: Vec<(f64, f64)> = pts
                .iter()
                .map(|&(a, b)| (xa.to_px(a), ya.to_px(b)))
                .collect();
            // Close the last step at the right edge so that F = 1 reads as a plateau.
            if let Some(&(_, f)) = px.last() {
                px.push((plot.x1, f));
            }
            marks.extend(clipped_lines(&px, plot, color, LINE_WIDTH));
            // Sparse markers where the CDF crosses a few levels (staggered per series), so
            // that lines stay distinguishable in greyscale print.
            for level in [0.1, 0.3, 0.5, 0.7, 0.9].map(|l| l + 0.08 * j as f64 / n_series) {
                if let Some(k) = pts.iter().position(|p| p.1 >= level) {
                    let at = (xa.to_px(pts[k].0), ya.to_px(level));
                    if plot.contains(at) {
                        marks.push(Mark::Marker {
                            at,
                            shape: j,
                            color,
                        });
                    }
                }
            }
        }
        let texts = if any { Vec::new() } else { vec![no_data(plot)] };
        (marks, texts)
    };
    Ok(build(&frame, &content))
}
