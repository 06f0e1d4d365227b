//! Clipping in pixel space and drawing a [`ChartModel`] with plotters (no layout decisions).

use super::*;

/// The parts of the polyline `pts` inside `r` (Liang–Barsky on each segment).
pub(crate) fn clip_polyline(pts: &[(f64, f64)], r: &Rect) -> Vec<Vec<(f64, f64)>> {
    let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut cur: Vec<(f64, f64)> = Vec::new();
    if pts.len() == 1 {
        return if r.contains(pts[0]) {
            vec![pts.to_vec()]
        } else {
            Vec::new()
        };
    }
    for w in pts.windows(2) {
        match clip_segment(w[0], w[1], r) {
            Some((a, b)) => {
                let joined = cur
                    .last()
                    .is_some_and(|l| (l.0 - a.0).abs() < 1e-6 && (l.1 - a.1).abs() < 1e-6);
                if !joined {
                    if cur.len() > 1 {
                        runs.push(std::mem::take(&mut cur));
                    }
                    cur.clear();
                    cur.push(a);
                }
                cur.push(b);
            }
            None => {
                if cur.len() > 1 {
                    runs.push(std::mem::take(&mut cur));
                }
                cur.clear();
            }
        }
    }
    if cur.len() > 1 {
        runs.push(cur);
    }
    runs
}

pub(super) fn clip_segment(
    a: (f64, f64),
    b: (f64, f64),
    r: &Rect,
) -> Option<((f64, f64), (f64, f64))> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-dx, a.0 - r.x0),
        (dx, r.x1 - a.0),
        (-dy, a.1 - r.y0),
        (dy, r.y1 - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
        }
    }
    (t0 <= t1).then_some((
        (a.0 + t0 * dx, a.1 + t0 * dy),
        (a.0 + t1 * dx, a.1 + t1 * dy),
    ))
}

/// The polygon `pts` clipped to `r` (Sutherland–Hodgman).
pub(crate) fn clip_polygon(pts: &[(f64, f64)], r: &Rect) -> Vec<(f64, f64)> {
    type Edge = (
        fn(&(f64, f64), f64) -> bool,
        fn((f64, f64), (f64, f64), f64) -> (f64, f64),
        f64,
    );
    let lerp_x = |a: (f64, f64), b: (f64, f64), x: f64| {
        let t = (x - a.0) / (b.0 - a.0);
        (x, a.1 + t * (b.1 - a.1))
    };
    let lerp_y = |a: (f64, f64), b: (f64, f64), y: f64| {
        let t = (y - a.1) / (b.1 - a.1);
        (a.0 + t * (b.0 - a.0), y)
    };
    let edges: [Edge; 4] = [
        (|p, v| p.0 >= v, lerp_x, r.x0),
        (|p, v| p.0 <= v, lerp_x, r.x1),
        (|p, v| p.1 >= v, lerp_y, r.y0),
        (|p, v| p.1 <= v, lerp_y, r.y1),
    ];
    let mut poly = pts.to_vec();
    for (inside, cut, v) in edges {
        if poly.is_empty() {
            break;
        }
        let input = std::mem::take(&mut poly);
        let mut prev = input[input.len() - 1];
        for &p in &input {
            match (inside(&p, v), inside(&prev, v)) {
                (true, true) => poly.push(p),
                (true, false) => {
                    poly.push(cut(prev, p, v));
                    poly.push(p);
                }
                (false, true) => poly.push(cut(prev, p, v)),
                (false, false) => {}
            }
            prev = p;
        }
    }
    poly
}

/// Plotters' error, turned into text (the backend error types differ per format).
pub(crate) struct DrawFail(pub String);

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for DrawFail {
    fn from(e: DrawingAreaErrorKind<E>) -> Self {
        DrawFail(e.to_string())
    }
}

pub(super) fn ip((x, y): (f64, f64)) -> (i32, i32) {
    (x.round() as i32, y.round() as i32)
}

pub(super) fn ipath(pts: &[(f64, f64)]) -> Vec<(i32, i32)> {
    pts.iter().copied().map(ip).collect()
}

pub(super) fn draw_marker<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    at: (f64, f64),
    shape: usize,
    color: RGBColor,
) -> Result<(), DrawFail> {
    let (x, y) = ip(at);
    let s = MARKER_PX as i32;
    let fill = color.filled();
    match shape % 8 {
        0 => area.draw(&Circle::new((x, y), s, fill))?,
        1 => area.draw(&Rectangle::new(
            [(x - s + 1, y - s + 1), (x + s - 1, y + s - 1)],
            fill,
        ))?,
        2 => area.draw(&Polygon::new(
            vec![(x, y - s - 1), (x + s + 1, y + s), (x - s - 1, y + s)],
            fill,
        ))?,
        3 => area.draw(&Polygon::new(
            vec![
                (x, y - s - 2),
                (x + s + 1, y),
                (x, y + s + 2),
                (x - s - 1, y),
            ],
            fill,
        ))?,
        4 => area.draw(&Polygon::new(
            vec![(x, y + s + 1), (x + s + 1, y - s), (x - s - 1, y - s)],
            fill,
        ))?,
        5 => {
            area.draw(&Circle::new((x, y), s, WHITE.filled()))?;
            area.draw(&Circle::new((x, y), s, color.stroke_width(3)))?;
        }
        6 => {
            let r = [(x - s + 1, y - s + 1), (x + s - 1, y + s - 1)];
            area.draw(&Rectangle::new(r, WHITE.filled()))?;
            area.draw(&Rectangle::new(r, color.stroke_width(3)))?;
        }
        _ => {
            let st = color.stroke_width(3);
            area.draw(&PathElement::new(vec![(x - s, y - s), (x + s, y + s)], st))?;
            area.draw(&PathElement::new(vec![(x - s, y + s), (x + s, y - s)], st))?;
        }
    }
    Ok(())
}

pub(super) fn draw_text<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    t: &TextItem,
) -> Result<(), DrawFail> {
    let (cx, cy) = t.rect.center();
    let mut font = font_desc(t.px, t.bold);
    if t.vertical {
        font = font.transform(FontTransform::Rotate270);
    }
    let style = font
        .color(&t.color)
        .pos(Pos::new(HPos::Center, VPos::Center));
    // PNG glyphs sit a little high in their box, SVG ones a little low: aim in between.
    let dy = if t.vertical { 0.0 } else { 0.06 * t.px };
    let dx = if t.vertical { 0.06 * t.px } else { 0.0 };
    area.draw(&Text::new(t.text.clone(), ip((cx + dx, cy + dy)), style))?;
    Ok(())
}

/// Paints `m` onto `root`.
pub(crate) fn draw_model<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    m: &ChartModel,
) -> Result<(), DrawFail> {
    root.fill(&WHITE)?;
    let grid = BLACK.mix(0.12);
    for p in &m.panels {
        let r = p.plot;
        for (v, _) in &p.y.ticks {
            let y = p.y.to_px(*v);
            root.draw(&PathElement::new(ipath(&[(r.x0, y), (r.x1, y)]), grid))?;
        }
        if p.x_grid {
            for (v, _) in &p.x.ticks {
                let x = p.x.to_px(*v);
                root.draw(&PathElement::new(ipath(&[(x, r.y0), (x, r.y1)]), grid))?;
            }
        }
    }
    for p in &m.panels {
        for mark in &p.marks {
            match mark {
                Mark::Area { pts, color, alpha } => {
                    if pts.len() >= 3 {
                        root.draw(&Polygon::new(ipath(pts), color.mix(*alpha).filled()))?;
                    }
                }
                Mark::Line {
                    pts,
                    color,
                    alpha,
                    width,
                } => {
                    root.draw(&PathElement::new(
                        ipath(pts),
                        color.mix(*alpha).stroke_width(*width),
                    ))?;
                }
                Mark::Bar { rect, color } => {
                    let c = [ip((rect.x0, rect.y0)), ip((rect.x1, rect.y1))];
                    root.draw(&Rectangle::new(c, color.filled()))?;
                    root.draw(&Rectangle::new(c, BLACK.mix(0.5)))?;
                }
                Mark::Marker { at, shape, color } => draw_marker(root, *at, *shape, *color)?,
            }
        }
        // Axes over the data: left and bottom lines, outward tick marks.
        let r = p.plot;
        let axis = BLACK.stroke_width(2);
        root.draw(&PathElement::new(
            ipath(&[(r.x0, r.y0), (r.x0, r.y1), (r.x1, r.y1)]),
            axis,
        ))?;
        for (v, _) in &p.x.ticks {
            let x = p.x.to_px(*v);
            root.draw(&PathElement::new(
                ipath(&[(x, r.y1), (x, r.y1 + 8.0)]),
                axis,
            ))?;
        }
        for (v, _) in &p.y.ticks {
            let y = p.y.to_px(*v);
            root.draw(&PathElement::new(
                ipath(&[(r.x0 - 8.0, y), (r.x0, y)]),
                axis,
            ))?;
        }
    }
    if let Some(l) = &m.legend {
        if l.boxed {
            let c = [ip((l.rect.x0, l.rect.y0)), ip((l.rect.x1, l.rect.y1))];
            root.draw(&Rectangle::new(c, WHITE.mix(0.92).filled()))?;
            root.draw(&Rectangle::new(c, BLACK.mix(0.6)))?;
        }
        for (g, (x, y)) in &l.glyphs {
            let line = |c: RGBColor| {
                PathElement::new(
                    ipath(&[(x - GLYPH_W / 2.0 + 3.0, *y), (x + GLYPH_W / 2.0 - 3.0, *y)]),
                    c.stroke_width(3),
                )
            };
            match *g {
                Glyph::Line(c, marker) => {
                    root.draw(&line(c))?;
                    if let Some(s) = marker {
                        draw_marker(root, (*x, *y), s, c)?;
                    }
                }
                Glyph::Marker(c, s) => draw_marker(root, (*x, *y), s, c)?,
                Glyph::Swatch(c) => {
                    let r = [ip((x - 20.0, y - 9.0)), ip((x + 20.0, y + 9.0))];
                    root.draw(&Rectangle::new(r, c.filled()))?;
                    root.draw(&Rectangle::new(r, BLACK.mix(0.5)))?;
                }
            }
        }
    }
    for t in &m.texts {
        if t.role == TextRole::PointLabel {
            let c = [ip((t.rect.x0, t.rect.y0)), ip((t.rect.x1, t.rect.y1))];
            root.draw(&Rectangle::new(c, WHITE.mix(0.8).filled()))?;
        }
        draw_text(root, t)?;
    }
    Ok(())
}

/// Range helper for tests and callers: the vertical data range of a panel.
pub fn y_range(p: &PanelModel) -> Range<f64> {
    p.y.min..p.y.max
}
