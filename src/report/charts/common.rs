//! Helpers shared by the chart models: data extents, axes, marks, whiskers, legend order,
//! and the points clamped to an axis domain.

use super::*;

/// Extent of finite values, or `None`.
pub(super) fn extent(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

/// The vertical axis: the spec's fixed range if usable, else fitted to the data.
pub(super) fn y_axis(spec: &ChartSpec, data: Option<(f64, f64)>) -> AxisModel {
    match spec.y_range {
        Some((lo, hi)) if lo.is_finite() && hi.is_finite() && lo < hi => exact_axis(lo, hi),
        _ => match data {
            Some((lo, hi)) => linear_axis(lo, hi, spec.y_domain),
            None => linear_axis(0.0, 1.0, spec.y_domain),
        },
    }
}

/// A horizontal axis of the given scale for data whose finite values are `xs`.
pub(super) fn x_axis(scale: XScale, xs: &[f64]) -> AxisModel {
    let ext = extent(xs.iter().copied());
    let min_pos = xs
        .iter()
        .copied()
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold(f64::INFINITY, f64::min);
    match (scale, ext) {
        (XScale::Log, _) if min_pos.is_finite() => {
            let hi = ext.map_or(min_pos, |e| e.1);
            log_axis(min_pos, hi)
        }
        (XScale::Log, _) => log_axis(1.0, 10.0),
        (XScale::SymLog, Some((lo, hi))) if lo >= 0.0 && hi > 0.0 => symlog_axis(min_pos, hi),
        (_, Some((lo, hi))) => linear_axis(
            lo,
            hi,
            if lo >= 0.0 {
                Domain::NonNegative
            } else {
                Domain::Real
            },
        ),
        (_, None) => linear_axis(0.0, 1.0, Domain::Real),
    }
}

pub(super) fn no_data(plot: &Rect) -> TextItem {
    let (cx, cy) = ((plot.x0 + plot.x1) / 2.0, (plot.y0 + plot.y1) / 2.0);
    text_item(
        "no data",
        TextRole::Note,
        AXIS_TITLE_PX,
        false,
        text_box("no data", AXIS_TITLE_PX, false, cx, cy),
        RGBColor(0x66, 0x66, 0x66),
    )
}

/// A darker shade for text in a series colour (yellow text on white is unreadable).
pub(super) fn darker(c: RGBColor) -> RGBColor {
    let f = |v: u8| (f64::from(v) * 0.75) as u8;
    RGBColor(f(c.0), f(c.1), f(c.2))
}

pub(super) fn line(pts: Vec<(f64, f64)>, color: RGBColor, width: u32) -> Mark {
    Mark::Line {
        pts,
        color,
        alpha: 1.0,
        width,
    }
}

/// Clipped polyline marks.
pub(super) fn clipped_lines(
    pts: &[(f64, f64)],
    plot: &Rect,
    color: RGBColor,
    width: u32,
) -> Vec<Mark> {
    clip_polyline(pts, plot)
        .into_iter()
        .map(|run| line(run, color, width))
        .collect()
}

/// A vertical whisker from `lo` to `hi` (pixels) at `x`, with caps where `cap_lo`/`cap_hi`.
pub(super) fn whisker(
    x: f64,
    lo: f64,
    hi: f64,
    caps: (bool, bool),
    plot: &Rect,
    color: RGBColor,
) -> Vec<Mark> {
    let mut out = clipped_lines(&[(x, lo), (x, hi)], plot, color, 2);
    for (y, cap) in [(lo, caps.0), (hi, caps.1)] {
        if cap && plot.contains((x, y)) {
            out.extend(clipped_lines(&[(x - 9.0, y), (x + 9.0, y)], plot, color, 2));
        }
    }
    out
}

/// Names in first-appearance order across panels.
pub(super) fn union_names<'a>(names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in names {
        if !out.iter().any(|o| o == n) {
            out.push(n.to_owned());
        }
    }
    out
}

/// Names in `palette` order first, then the others in order of appearance.
pub(super) fn palette_order(palette: &[String], present: &[String]) -> Vec<String> {
    let mut order = palette.to_vec();
    for n in present {
        if !order.contains(n) {
            order.push(n.clone());
        }
    }
    order
}

pub(super) fn cut_note(d: Domain) -> String {
    match d {
        Domain::Unit => "Intervals clipped to [0, 1].".to_owned(),
        Domain::NonNegative => "Intervals clipped at 0.".to_owned(),
        Domain::Real => String::new(),
    }
}

pub(super) fn subtitle_with(spec: &ChartSpec, extra: &str) -> String {
    match (spec.subtitle.is_empty(), extra.is_empty()) {
        (_, true) => spec.subtitle.clone(),
        (true, false) => extra.to_owned(),
        (false, false) => format!("{} {extra}", spec.subtitle),
    }
}

/// A point after clamping to the domain: `(x, y, interval, cut ends)`.
#[derive(Clone, Copy)]
pub(super) struct Clamped {
    pub(super) x: f64,
    pub(super) y: f64,
    pub(super) iv: Option<(f64, f64)>,
    pub(super) cut: (bool, bool),
}

pub(super) fn clamp_point(p: &Point, d: Domain) -> Clamped {
    let iv = p.interval().map(|(lo, hi)| (lo.min(hi), lo.max(hi)));
    let (cut, iv) = match iv {
        Some((lo, hi)) => (
            (d.clamp(lo) != lo, d.clamp(hi) != hi),
            Some((d.clamp(lo), d.clamp(hi))),
        ),
        None => ((false, false), None),
    };
    Clamped {
        x: p.x,
        y: if p.y.is_finite() { d.clamp(p.y) } else { p.y },
        iv,
        cut,
    }
}

/// Maximal runs of consecutive points with finite `x` and `y`.
pub(super) fn finite_runs(points: &[Clamped]) -> Vec<Vec<Clamped>> {
    let mut runs = Vec::new();
    let mut cur: Vec<Clamped> = Vec::new();
    for p in points {
        if p.x.is_finite() && p.y.is_finite() {
            cur.push(*p);
        } else if !cur.is_empty() {
            runs.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        runs.push(cur);
    }
    runs
}
