//! The scatter-chart model, with point labels placed without collisions.

use super::*;

/// Lays out scatter panels sharing the vertical axis.
///
/// Errors: [`ChartError::Font`] only.
pub fn scatter_model(spec: &ChartSpec, panels: &[ScatterPanel]) -> Result<ChartModel, ChartError> {
    register_fonts()?;
    let d = spec.y_domain;
    let present = union_names(
        panels
            .iter()
            .flat_map(|p| p.points.iter().map(|q| q.label.as_str())),
    );
    let order = palette_order(&spec.palette, &present);
    let names: Vec<String> = order
        .iter()
        .filter(|n| present.contains(n))
        .cloned()
        .collect();
    let index_of = |label: &str| order.iter().position(|n| n == label).unwrap_or(0);
    let drawable = |p: &ScatterPanel| -> Vec<LabelledPoint> {
        p.points
            .iter()
            .filter(|q| q.x.is_finite() && q.y.is_finite())
            .filter(|q| p.x_scale != XScale::Log || q.x > 0.0)
            .cloned()
            .collect()
    };
    let mut any_cut = false;
    let mut pts: Vec<Vec<(LabelledPoint, (bool, bool))>> = Vec::new();
    for p in panels {
        let xd = if p.points.iter().all(|q| !q.x.is_finite() || q.x >= 0.0) {
            Domain::NonNegative
        } else {
            Domain::Real
        };
        let mut v = Vec::new();
        for mut q in drawable(p) {
            q.y = d.clamp(q.y);
            let mut cut = (false, false);
            if let Some((lo, hi)) = finite_interval(q.y_interval) {
                cut = (d.clamp(lo) != lo, d.clamp(hi) != hi);
                q.y_interval = Some((d.clamp(lo), d.clamp(hi)));
            } else {
                q.y_interval = None;
            }
            if let Some((lo, hi)) = finite_interval(q.x_interval) {
                any_cut |= xd.clamp(lo) != lo;
                q.x_interval = Some((xd.clamp(lo), xd.clamp(hi)));
            } else {
                q.x_interval = None;
            }
            any_cut |= cut.0 || cut.1;
            v.push((q, cut));
        }
        pts.push(v);
    }
    let ys: Vec<f64> = pts
        .iter()
        .flatten()
        .flat_map(|(q, _)| {
            let (lo, hi) = q.y_interval.unwrap_or((q.y, q.y));
            [q.y, lo, hi]
        })
        .collect();
    let y = y_axis(spec, extent(ys.into_iter()));
    // One horizontal title, and one horizontal axis, for all panels when they share the
    // quantity (small multiples compare by position).
    let single = panels.len() <= 1
        || panels
            .iter()
            .all(|p| p.x_label == panels[0].x_label && p.x_scale == panels[0].x_scale);
    let x_values = |p: &ScatterPanel, v: &[(LabelledPoint, (bool, bool))]| -> Vec<f64> {
        v.iter()
            .flat_map(|(q, _)| {
                let (lo, hi) = q.x_interval.unwrap_or((q.x, q.x));
                [q.x, lo, hi]
            })
            .filter(|x| p.x_scale != XScale::Log || *x > 0.0)
            .collect()
    };
    let xs: Vec<AxisModel> = if single {
        let all: Vec<f64> = panels
            .iter()
            .zip(&pts)
            .flat_map(|(p, v)| x_values(p, v))
            .collect();
        let scale = panels.first().map_or(spec.x_scale, |p| p.x_scale);
        vec![x_axis(scale, &all); panels.len()]
    } else {
        panels
            .iter()
            .zip(&pts)
            .map(|(p, v)| x_axis(p.x_scale, &x_values(p, v)))
            .collect()
    };
    let cut_note = if any_cut {
        "Intervals clipped to the metric's range."
    } else {
        ""
    };
    let frame_for = |mode: LegendMode| Frame {
        title: spec.title.clone(),
        subtitle: subtitle_with(spec, cut_note),
        x_title: if single {
            panels
                .first()
                .map_or(spec.x_label.clone(), |p| p.x_label.clone())
        } else {
            String::new()
        },
        y_title: spec.y_label.clone(),
        panels: panels
            .iter()
            .zip(&xs)
            .map(|(p, x)| FramePanel {
                title: p.title.clone(),
                x_title: if single {
                    String::new()
                } else {
                    p.x_label.clone()
                },
                x: x.clone(),
                y: y.clone(),
            })
            .collect(),
        legend: names
            .iter()
            .map(|n| {
                let j = index_of(n);
                LegendEntry {
                    name: n.clone(),
                    glyph: Glyph::Marker(series_color(j), j),
                }
            })
            .collect(),
        legend_mode: mode,
        x_grid: true,
    };
    let failed = Cell::new(false);
    let content = |with_labels: bool| {
        let failed = &failed;
        let pts = &pts;
        move |i: usize, xa: &AxisModel, ya: &AxisModel, plot: &Rect| {
            let mut marks = Vec::new();
            let mut texts = Vec::new();
            let Some(v) = pts.get(i) else {
                return (marks, texts);
            };
            let mut obstacles: Vec<Rect> = Vec::new();
            let mut centres = Vec::new();
            for (q, cut) in v {
                let k = index_of(&q.label);
                let color = series_color(k);
                let at = (xa.to_px(q.x), ya.to_px(q.y));
                if let Some((lo, hi)) = q.y_interval {
                    let (a, b) = (ya.to_px(lo), ya.to_px(hi));
                    marks.extend(whisker(at.0, a, b, (!cut.0, !cut.1), plot, color));
                    obstacles.push(Rect::new(at.0 - 9.0, b.min(a), at.0 + 9.0, a.max(b)));
                }
                if let Some((lo, hi)) = q.x_interval {
                    let (a, b) = (xa.to_px(lo), xa.to_px(hi));
                    marks.extend(clipped_lines(&[(a, at.1), (b, at.1)], plot, color, 2));
                    for x in [a, b] {
                        if plot.contains((x, at.1)) {
                            marks.extend(clipped_lines(
                                &[(x, at.1 - 9.0), (x, at.1 + 9.0)],
                                plot,
                                color,
                                2,
                            ));
                        }
                    }
                    obstacles.push(Rect::new(a.min(b), at.1 - 9.0, a.max(b), at.1 + 9.0));
                }
                centres.push((at, k, q.label.clone()));
            }
            for (at, k, _) in &centres {
                if plot.contains(*at) {
                    marks.push(Mark::Marker {
                        at: *at,
                        shape: *k,
                        color: series_color(*k),
                    });
                }
                obstacles.push(Rect::centered(
                    at.0,
                    at.1,
                    2.0 * MARKER_PX + 6.0,
                    2.0 * MARKER_PX + 6.0,
                ));
            }
            if v.is_empty() {
                texts.push(no_data(plot));
            }
            if !with_labels {
                return (marks, texts);
            }
            let mut placed: Vec<Rect> = Vec::new();
            for (at, k, label) in &centres {
                match place_label(label, *at, plot, &obstacles, &placed) {
                    Some((r, leader)) => {
                        if let Some((a, b)) = leader {
                            marks.push(Mark::Line {
                                pts: vec![a, b],
                                color: RGBColor(0x55, 0x55, 0x55),
                                alpha: 0.8,
                                width: 1,
                            });
                        }
                        placed.push(r);
                        texts.push(text_item(
                            label,
                            TextRole::PointLabel,
                            POINT_LABEL_PX,
                            false,
                            r,
                            darker(series_color(*k)),
                        ));
                    }
                    None => failed.set(true),
                }
            }
            (marks, texts)
        }
    };
    let labelled = build(&frame_for(LegendMode::None), &content(true));
    if !failed.get() {
        return Ok(labelled);
    }
    Ok(build(&frame_for(LegendMode::Top), &content(false)))
}

/// A leader line from a marker to its label: (start, end) in pixels.
pub(super) type Leader = ((f64, f64), (f64, f64));

/// A box for `label` near the marker at `at`, inside `plot`, avoiding `obstacles` and
/// `placed` labels: rings of growing distance, eight directions each. Returns the box and,
/// when it is not next to the marker, a leader line from the marker to the box.
pub(super) fn place_label(
    label: &str,
    at: (f64, f64),
    plot: &Rect,
    obstacles: &[Rect],
    placed: &[Rect],
) -> Option<(Rect, Option<Leader>)> {
    let w = text_width(label, POINT_LABEL_PX, false) + 4.0;
    let h = POINT_LABEL_PX;
    let inner = Rect::new(plot.x0 + 2.0, plot.y0 + 2.0, plot.x1 - 2.0, plot.y1 - 2.0);
    let dirs = [
        (1.0, -1.0),
        (1.0, 1.0),
        (-1.0, -1.0),
        (-1.0, 1.0),
        (1.0, 0.0),
        (-1.0, 0.0),
        (0.0, -1.0),
        (0.0, 1.0),
    ];
    // Labels further away than this read as belonging to no point: a legend is clearer.
    for (ring, dist) in [MARKER_PX + 5.0, 30.0, 55.0].iter().enumerate() {
        for (dx, dy) in dirs {
            let cx = at.0 + dx * (dist + w / 2.0);
            let cy = at.1 + dy * (dist * 0.7 + h / 2.0);
            let r = Rect::centered(cx, cy, w, h);
            if !inner.contains_rect(&r) {
                continue;
            }
            let slack = r.inflate(2.0);
            if obstacles.iter().any(|o| o.intersects(&slack))
                || placed.iter().any(|o| o.intersects(&slack))
            {
                continue;
            }
            let leader = (ring > 0).then(|| {
                let tx = at.0.clamp(r.x0, r.x1);
                let ty = at.1.clamp(r.y0, r.y1);
                let (vx, vy) = (tx - at.0, ty - at.1);
                let len = (vx * vx + vy * vy).sqrt().max(1e-9);
                let start = (
                    at.0 + vx / len * (MARKER_PX + 3.0),
                    at.1 + vy / len * (MARKER_PX + 3.0),
                );
                (start, (tx, ty))
            });
            return Some((r, leader));
        }
    }
    None
}
