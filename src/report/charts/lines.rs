//! The line-chart model (with confidence bands or error bars, single or faceted).

use super::*;

/// Lays out a line chart: one panel per entry (small multiples when more than one), with
/// `categories` as the horizontal axis when given (then points are dots, not joined).
///
/// Errors: [`ChartError::Font`] only.
pub fn lines_model(
    spec: &ChartSpec,
    panels: &[Panel],
    style: LineStyle,
    categories: Option<&[String]>,
) -> Result<ChartModel, ChartError> {
    register_fonts()?;
    let d = spec.y_domain;
    let present = union_names(
        panels
            .iter()
            .flat_map(|p| p.series.iter().map(|s| s.name.as_str())),
    );
    let order = palette_order(&spec.palette, &present);
    let names: Vec<String> = order
        .iter()
        .filter(|n| present.contains(n))
        .cloned()
        .collect();
    let color_of = |name: &str| order.iter().position(|n| n == name).unwrap_or(0);
    let clamped: Vec<Vec<Vec<Clamped>>> = panels
        .iter()
        .map(|p| {
            p.series
                .iter()
                .map(|s| s.points.iter().map(|q| clamp_point(q, d)).collect())
                .collect()
        })
        .collect();
    let all = || clamped.iter().flatten().flatten();
    let drawable = || all().filter(|p| p.x.is_finite() && p.y.is_finite());
    let any_cut = drawable().any(|p| p.cut.0 || p.cut.1);
    let xs: Vec<f64> = drawable().map(|p| p.x).collect();
    let mut ys: Vec<f64> = drawable()
        .flat_map(|p| {
            let (lo, hi) = p.iv.unwrap_or((p.y, p.y));
            [p.y, lo, hi]
        })
        .collect();
    ys.extend(spec.reference_y);
    let x = match categories {
        Some(c) => category_axis(c),
        None => x_axis(spec.x_scale, &xs),
    };
    let y = y_axis(spec, extent(ys.into_iter()));
    let max_points = all().count().max(1);
    let per_series_max = panels
        .iter()
        .flat_map(|p| p.series.iter().map(|s| s.points.len()))
        .max()
        .unwrap_or(0);
    let marked = style == LineStyle::ErrorBars || per_series_max <= MAX_MARKED_POINTS;
    let _ = max_points;
    // A single series of dots is named by the axis title; it needs no legend.
    let legend = if categories.is_some() && names.len() <= 1 {
        Vec::new()
    } else {
        names
            .iter()
            .map(|n| {
                let j = color_of(n);
                LegendEntry {
                    name: n.clone(),
                    glyph: if categories.is_some() {
                        Glyph::Marker(series_color(j), j)
                    } else {
                        Glyph::Line(series_color(j), marked.then_some(j))
                    },
                }
            })
            .collect()
    };
    let cut_note = if any_cut { cut_note(d) } else { String::new() };
    let frame = Frame {
        title: spec.title.clone(),
        subtitle: subtitle_with(spec, &cut_note),
        x_title: spec.x_label.clone(),
        y_title: spec.y_label.clone(),
        panels: panels
            .iter()
            .map(|p| FramePanel {
                title: p.title.clone(),
                x_title: String::new(),
                x: x.clone(),
                y: y.clone(),
            })
            .collect(),
        legend,
        legend_mode: if panels.len() > 1 {
            LegendMode::Top
        } else {
            LegendMode::Inside
        },
        x_grid: categories.is_none(),
    };
    let content = |i: usize, xa: &AxisModel, ya: &AxisModel, plot: &Rect| {
        let mut marks = Vec::new();
        let mut texts = Vec::new();
        let Some((panel, cl)) = panels.get(i).zip(clamped.get(i)) else {
            return (marks, texts);
        };
        if let Some(r) = spec.reference_y {
            let py = ya.to_px(r);
            marks.extend(
                clip_polyline(&[(plot.x0, py), (plot.x1, py)], plot)
                    .into_iter()
                    .map(|run| Mark::Line {
                        pts: run,
                        color: RGBColor(0x33, 0x33, 0x33),
                        alpha: 0.8,
                        width: 2,
                    }),
            );
        }
        let m = panel.series.len();
        let spread = match categories {
            Some(c) => 0.45 * plot.w() / c.len().max(1) as f64,
            None => (0.03 * plot.w()).min(60.0),
        };
        let dodge = |j: usize| {
            if style == LineStyle::ErrorBars && m > 1 {
                (j as f64 - (m - 1) as f64 / 2.0) * spread / (m - 1) as f64
            } else {
                0.0
            }
        };
        let px = |c: &Clamped, j: usize| (xa.to_px(c.x) + dodge(j), ya.to_px(c.y));
        if style == LineStyle::Band {
            for (s, pts) in panel.series.iter().zip(cl) {
                let color = series_color(color_of(&s.name));
                for run in finite_runs(pts) {
                    for band in run.split(|p| p.iv.is_none()) {
                        if band.len() < 2 {
                            continue;
                        }
                        let mut poly: Vec<(f64, f64)> = band
                            .iter()
                            .filter_map(|p| p.iv.map(|iv| (xa.to_px(p.x), ya.to_px(iv.1))))
                            .collect();
                        poly.extend(
                            band.iter()
                                .rev()
                                .filter_map(|p| p.iv.map(|iv| (xa.to_px(p.x), ya.to_px(iv.0)))),
                        );
                        let clipped = clip_polygon(&poly, plot);
                        if clipped.len() >= 3 {
                            marks.push(Mark::Area {
                                pts: clipped,
                                color,
                                alpha: 0.16,
                            });
                        }
                    }
                }
            }
        }
        let mut any = false;
        for (j, (s, pts)) in panel.series.iter().zip(cl).enumerate() {
            let k = color_of(&s.name);
            let color = series_color(k);
            for run in finite_runs(pts) {
                any = true;
                if style == LineStyle::ErrorBars {
                    for p in &run {
                        if let Some((lo, hi)) = p.iv {
                            let (x, _) = px(p, j);
                            let caps = (!p.cut.0, !p.cut.1);
                            marks.extend(whisker(x, ya.to_px(lo), ya.to_px(hi), caps, plot, color));
                        }
                    }
                }
                if categories.is_none() {
                    let line_pts: Vec<(f64, f64)> = run.iter().map(|p| px(p, j)).collect();
                    marks.extend(clipped_lines(&line_pts, plot, color, LINE_WIDTH));
                }
                if marked {
                    for p in &run {
                        let at = px(p, j);
                        if plot.contains(at) {
                            marks.push(Mark::Marker {
                                at,
                                shape: k,
                                color,
                            });
                        }
                    }
                }
            }
        }
        if !any {
            texts.push(no_data(plot));
        }
        (marks, texts)
    };
    Ok(build(&frame, &content))
}

pub(super) fn finite_interval(i: Option<(f64, f64)>) -> Option<(f64, f64)> {
    i.filter(|(a, b)| a.is_finite() && b.is_finite())
}
