//! The chart model: every chart is first laid out as plain data (canvas size, panels with
//! their axes, marks in pixel coordinates, and every piece of text with the box it
//! occupies), and only then drawn. The layout is where legibility is decided, so that is
//! what the tests check: text inside the canvas, no two texts overlapping, axes that start
//! at zero for non-negative data, marks inside their plot.
//!
//! Drawing ([`draw_model`]) does no layout decisions of its own: it paints the model with
//! plotters onto any backend (PNG and SVG).
//!
//! Text is measured with the embedded DejaVu fonts through plotters' `ab_glyph` backend.
//! The PNG renderer draws glyphs about 6 % wider than an SVG viewer with the same font, and
//! places them up to 0.13 em higher; a text box is the union of both (see [`text_box`]).
//!
//! This module must not know about simulations or results files.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontTransform;

// Plotters' font sizes are nominal: the em size actually rendered is `size / 1.24` (that is
// what it writes into SVG files), so these give 32, 21, 22, 26, 23, 23, 21 px em sizes.
pub(crate) const TITLE_PX: f64 = 40.0;
pub(crate) const SUBTITLE_PX: f64 = 26.0;
pub(crate) const PANEL_TITLE_PX: f64 = 27.0;
pub(crate) const AXIS_TITLE_PX: f64 = 32.0;
pub(crate) const TICK_PX: f64 = 28.0;
pub(crate) const LEGEND_PX: f64 = 28.0;
pub(crate) const POINT_LABEL_PX: f64 = 26.0;
/// Text is never shrunk below this nominal size (17 px em) to make it fit.
pub(crate) const MIN_TEXT_PX: f64 = 21.0;
/// Empty border around the whole canvas.
pub(crate) const MARGIN: f64 = 18.0;
/// Width of a legend entry's glyph (line with a marker, or a bar swatch).
const GLYPH_W: f64 = 50.0;
/// Height of a facet panel (plot plus its tick labels and title).
pub(crate) const FACET_CELL_H: f64 = 430.0;
pub(crate) const MARKER_PX: f64 = 7.0;

/// An axis-aligned rectangle in pixels (y grows downwards).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    /// Left edge.
    pub x0: f64,
    /// Top edge.
    pub y0: f64,
    /// Right edge.
    pub x1: f64,
    /// Bottom edge.
    pub y1: f64,
}

impl Rect {
    /// The rectangle between two corners.
    pub fn new(x0: f64, y0: f64, x1: f64, y1: f64) -> Rect {
        Rect { x0, y0, x1, y1 }
    }

    /// A `w` × `h` rectangle centred on `(cx, cy)`.
    pub fn centered(cx: f64, cy: f64, w: f64, h: f64) -> Rect {
        Rect::new(cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0)
    }

    /// Width.
    pub fn w(&self) -> f64 {
        self.x1 - self.x0
    }

    /// Height.
    pub fn h(&self) -> f64 {
        self.y1 - self.y0
    }

    /// Whether the two rectangles share a region of positive area.
    pub fn intersects(&self, o: &Rect) -> bool {
        self.x0 < o.x1 && o.x0 < self.x1 && self.y0 < o.y1 && o.y0 < self.y1
    }

    /// Whether `o` lies inside this rectangle (half a pixel of tolerance).
    pub fn contains_rect(&self, o: &Rect) -> bool {
        o.x0 >= self.x0 - 0.5
            && o.x1 <= self.x1 + 0.5
            && o.y0 >= self.y0 - 0.5
            && o.y1 <= self.y1 + 0.5
    }

    /// Whether the point lies inside (half a pixel of tolerance).
    pub fn contains(&self, (x, y): (f64, f64)) -> bool {
        x >= self.x0 - 0.5 && x <= self.x1 + 0.5 && y >= self.y0 - 0.5 && y <= self.y1 + 0.5
    }

    pub(crate) fn inflate(&self, d: f64) -> Rect {
        Rect::new(self.x0 - d, self.y0 - d, self.x1 + d, self.y1 + d)
    }

    fn center(&self) -> (f64, f64) {
        ((self.x0 + self.x1) / 2.0, (self.y0 + self.y1) / 2.0)
    }
}

/// What a piece of text is, for tests and for drawing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextRole {
    /// The chart title.
    Title,
    /// The line(s) under the title: what the bands/bars are, n, notes.
    Subtitle,
    /// The title of one facet panel.
    PanelTitle,
    /// An axis title.
    AxisTitle,
    /// A tick label.
    TickLabel,
    /// A legend entry.
    Legend,
    /// A label written beside a data point.
    PointLabel,
    /// A note inside a plot ("no data").
    Note,
}

/// One piece of text and the box it occupies.
#[derive(Debug, Clone, PartialEq)]
pub struct TextItem {
    /// The text.
    pub text: String,
    /// What it is.
    pub role: TextRole,
    /// The box it occupies on the canvas (both renderers' glyphs fit inside).
    pub rect: Rect,
    /// Nominal plotters font size.
    pub px: f64,
    /// Bold face.
    pub bold: bool,
    /// Rotated to read bottom-up (vertical axis titles).
    pub vertical: bool,
    /// Text colour.
    pub color: RGBColor,
}

/// How an axis maps data to positions.
#[derive(Debug, Clone, PartialEq)]
pub enum Scale {
    /// Linear.
    Linear,
    /// Logarithmic (base 10); only positive values can be placed.
    Log10,
    /// Symmetric log: `sign(v) · log10(1 + |v| / c)`, linear near zero, so that 0 has a
    /// place on an axis spanning several orders of magnitude.
    SymLog(f64),
    /// Category `i` sits at `i`.
    Categories(Vec<String>),
}

/// One axis: scale, visible range, ticks and where it lies on the canvas.
#[derive(Debug, Clone, PartialEq)]
pub struct AxisModel {
    /// The scale.
    pub scale: Scale,
    /// Smallest visible data value.
    pub min: f64,
    /// Largest visible data value.
    pub max: f64,
    /// Ticks: data value and label.
    pub ticks: Vec<(f64, String)>,
    /// Pixels that `min` and `max` map to (a vertical axis runs bottom to top).
    pub px: (f64, f64),
}

impl AxisModel {
    fn t(&self, v: f64) -> f64 {
        match &self.scale {
            Scale::Linear | Scale::Categories(_) => v,
            Scale::Log10 => {
                if v > 0.0 {
                    v.log10()
                } else {
                    f64::NAN
                }
            }
            Scale::SymLog(c) => v.signum() * (1.0 + v.abs() / c).log10(),
        }
    }

    /// The pixel position of data value `v` (NaN if the scale cannot place it).
    pub fn to_px(&self, v: f64) -> f64 {
        let (a, b) = (self.t(self.min), self.t(self.max));
        let span = b - a;
        let f = if span > 0.0 {
            (self.t(v) - a) / span
        } else {
            0.5
        };
        let p = self.px.0 + f * (self.px.1 - self.px.0);
        // Far-away values saturate instead of overflowing the backends' integers.
        p.clamp(-1e6, 1e6)
    }

    fn labels(&self) -> impl Iterator<Item = &str> {
        self.ticks.iter().map(|(_, l)| l.as_str())
    }
}

/// Something drawn inside a plot, in pixel coordinates, already clipped to the plot.
#[derive(Debug, Clone, PartialEq)]
pub enum Mark {
    /// A polyline.
    Line {
        /// Vertices.
        pts: Vec<(f64, f64)>,
        /// Colour.
        color: RGBColor,
        /// Opacity, 0..=1.
        alpha: f64,
        /// Stroke width in pixels.
        width: u32,
    },
    /// A filled polygon (confidence band).
    Area {
        /// Vertices.
        pts: Vec<(f64, f64)>,
        /// Colour.
        color: RGBColor,
        /// Opacity, 0..=1.
        alpha: f64,
    },
    /// A data marker of shape `shape % 8`.
    Marker {
        /// Centre.
        at: (f64, f64),
        /// Shape index (the series index).
        shape: usize,
        /// Colour.
        color: RGBColor,
    },
    /// A bar with a grey outline.
    Bar {
        /// The bar.
        rect: Rect,
        /// Fill colour.
        color: RGBColor,
    },
}

impl Mark {
    /// Points that represent the mark (for legend placement and tests).
    pub fn sample_points(&self) -> Vec<(f64, f64)> {
        match self {
            Mark::Line { pts, .. } | Mark::Area { pts, .. } => sample_path(pts),
            Mark::Marker { at, .. } => vec![*at],
            Mark::Bar { rect, .. } => sample_path(&[
                (rect.x0, rect.y1),
                (rect.x0, rect.y0),
                (rect.x1, rect.y0),
                (rect.x1, rect.y1),
            ]),
        }
    }
}

fn sample_path(pts: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = pts.first().copied().into_iter().collect();
    for w in pts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let len = (b.0 - a.0).abs().max((b.1 - a.1).abs()).min(5_000.0);
        let steps = (len / 4.0).ceil().max(1.0) as usize;
        for k in 1..=steps {
            let t = k as f64 / steps as f64;
            out.push((a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t));
        }
    }
    out
}

/// How a legend entry is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Glyph {
    /// A line, with a marker of this shape when `Some`.
    Line(RGBColor, Option<usize>),
    /// A marker only.
    Marker(RGBColor, usize),
    /// A filled swatch.
    Swatch(RGBColor),
}

/// One legend entry to lay out.
#[derive(Debug, Clone, PartialEq)]
pub struct LegendEntry {
    /// Text.
    pub name: String,
    /// Glyph.
    pub glyph: Glyph,
}

/// Where the legend goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegendMode {
    /// No legend.
    None,
    /// In the plot corner that covers no data, else in a column right of the plot.
    Inside,
    /// In a column right of the plot.
    Right,
    /// In rows under the title (facets).
    Top,
}

/// A placed legend: its box (drawn with a border when inside or right of the plot) and
/// the glyphs; the entries' texts are in [`ChartModel::texts`] with role `Legend`.
#[derive(Debug, Clone, PartialEq)]
pub struct LegendModel {
    /// The legend's box.
    pub rect: Rect,
    /// Whether the box is drawn (white with a border).
    pub boxed: bool,
    /// Glyphs and their centres.
    pub glyphs: Vec<(Glyph, (f64, f64))>,
}

/// One plot of a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct PanelModel {
    /// The plot area (inside the axes).
    pub plot: Rect,
    /// Horizontal axis.
    pub x: AxisModel,
    /// Vertical axis.
    pub y: AxisModel,
    /// Vertical grid lines at the x ticks.
    pub x_grid: bool,
    /// What is drawn inside the plot.
    pub marks: Vec<Mark>,
}

/// A chart, laid out: drawing it is mechanical.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartModel {
    /// Canvas width and height in pixels.
    pub size: (u32, u32),
    /// The plots.
    pub panels: Vec<PanelModel>,
    /// Every text on the canvas.
    pub texts: Vec<TextItem>,
    /// The legend, if any.
    pub legend: Option<LegendModel>,
}

impl ChartModel {
    /// The whole canvas as a rectangle.
    pub fn canvas(&self) -> Rect {
        Rect::new(0.0, 0.0, f64::from(self.size.0), f64::from(self.size.1))
    }

    /// Texts with the given role.
    pub fn texts_with(&self, role: TextRole) -> impl Iterator<Item = &TextItem> {
        self.texts.iter().filter(move |t| t.role == role)
    }

    /// Pairs of texts whose boxes overlap (should be none).
    pub fn overlapping_texts(&self) -> Vec<(&TextItem, &TextItem)> {
        let mut out = Vec::new();
        for (i, a) in self.texts.iter().enumerate() {
            for b in &self.texts[i + 1..] {
                if a.rect.intersects(&b.rect) {
                    out.push((a, b));
                }
            }
        }
        out
    }

    /// Texts that stick out of the canvas (should be none).
    pub fn texts_outside_canvas(&self) -> Vec<&TextItem> {
        let c = self.canvas();
        self.texts
            .iter()
            .filter(|t| !c.contains_rect(&t.rect))
            .collect()
    }
}

// ---------------------------------------------------------------------------------------
// Text

pub(crate) fn font_desc(px: f64, bold: bool) -> FontDesc<'static> {
    let style = if bold {
        FontStyle::Bold
    } else {
        FontStyle::Normal
    };
    FontDesc::new(FontFamily::SansSerif, px, style)
}

/// Width of `text` at nominal size `px` in the PNG renderer (the wider of the two).
pub(crate) fn text_width(text: &str, px: f64, bold: bool) -> f64 {
    font_desc(px, bold)
        .box_size(text)
        .map(|(w, _)| f64::from(w))
        .unwrap_or(0.62 * px * text.chars().count() as f64)
}

/// The box of a horizontal text centred on `(cx, cy)`: the renderers' glyphs (PNG draws
/// them up to 0.13 em higher than SVG) fit inside it.
pub(crate) fn text_box(text: &str, px: f64, bold: bool, cx: f64, cy: f64) -> Rect {
    let w = text_width(text, px, bold) + 4.0;
    Rect::centered(cx, cy, w, px)
}

pub(crate) fn text_item(
    text: &str,
    role: TextRole,
    px: f64,
    bold: bool,
    rect: Rect,
    color: RGBColor,
) -> TextItem {
    TextItem {
        text: text.to_owned(),
        role,
        rect,
        px,
        bold,
        vertical: false,
        color,
    }
}

/// Lines of `text` no wider than `max_w` at the returned size: wrapped at spaces at the
/// preferred size if possible, else at smaller sizes down to [`MIN_TEXT_PX`], else cut
/// inside words at that size. At most `max_lines` lines unless cutting is needed.
pub(crate) fn fit_text(
    text: &str,
    px: f64,
    bold: bool,
    max_w: f64,
    max_lines: usize,
) -> (f64, Vec<String>) {
    let max_w = max_w.max(40.0);
    let mut size = px;
    loop {
        let lines = wrap_words(text, size, bold, max_w);
        let fits = lines
            .iter()
            .all(|l| text_width(l, size, bold) + 4.0 <= max_w);
        if fits && lines.len() <= max_lines.max(1) {
            return (size, lines);
        }
        if size <= MIN_TEXT_PX {
            // Cut the words that still do not fit.
            let mut out = Vec::new();
            for l in lines {
                let mut cur = String::new();
                for c in l.chars() {
                    cur.push(c);
                    if text_width(&cur, size, bold) + 4.0 > max_w && cur.chars().count() > 1 {
                        cur.pop();
                        out.push(std::mem::take(&mut cur));
                        cur.push(c);
                    }
                }
                out.push(cur);
            }
            return (size, out);
        }
        size = (size * 0.9).max(MIN_TEXT_PX);
    }
}

fn wrap_words(text: &str, px: f64, bold: bool, max_w: f64) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let candidate = if cur.is_empty() {
            word.to_owned()
        } else {
            format!("{cur} {word}")
        };
        if cur.is_empty() || text_width(&candidate, px, bold) + 4.0 <= max_w {
            cur = candidate;
        } else {
            lines.push(std::mem::replace(&mut cur, word.to_owned()));
        }
    }
    if !cur.is_empty() || lines.is_empty() {
        lines.push(cur);
    }
    lines
}

// ---------------------------------------------------------------------------------------
// Axes

/// 1, 2 or 5 times a power of ten, close to `raw`.
pub(crate) fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let k = if norm < 1.5 {
        1.0
    } else if norm < 3.0 {
        2.0
    } else if norm < 7.0 {
        5.0
    } else {
        10.0
    };
    k * mag
}

/// The next nice step above `step` (1 → 2 → 5 → 10).
fn next_nice(step: f64) -> f64 {
    nice_step(step * 1.6)
}

/// Writes a number with `decimals` decimals, thousands separators, and SI suffixes from a
/// million on (`1.5M`, `60M`, `2G`) where long digit strings would crowd an axis.
pub fn format_number(v: f64, decimals: usize) -> String {
    let a = v.abs();
    if a >= 1e6 && a.is_finite() {
        let (div, suffix) = if a >= 1e12 {
            (1e12, "T")
        } else if a >= 1e9 {
            (1e9, "G")
        } else {
            (1e6, "M")
        };
        let x = v / div;
        let s = format!("{x:.2}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        return format!("{s}{suffix}");
    }
    if a != 0.0 && a < 1e-4 {
        return format!("{v:.1e}");
    }
    if decimals == 0 && a >= 1_000.0 {
        let s = format!("{:.0}", a);
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        return if v < 0.0 { format!("-{out}") } else { out };
    }
    let s = format!("{v:.decimals$}");
    // No "-0.0".
    if s.trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        s.trim_start_matches('-').to_owned()
    } else {
        s
    }
}

/// Powers of ten in short form: 1, 10, 100, 1k, 10k, 100k, 1M, …; 0.1, 0.01.
fn format_power(v: f64) -> String {
    let a = v.abs();
    let sign = if v < 0.0 { "-" } else { "" };
    let body = if a == 0.0 {
        "0".to_owned()
    } else if a >= 1e12 {
        format!("{}T", trim(a / 1e12))
    } else if a >= 1e9 {
        format!("{}G", trim(a / 1e9))
    } else if a >= 1e6 {
        format!("{}M", trim(a / 1e6))
    } else if a >= 1e3 {
        format!("{}k", trim(a / 1e3))
    } else if a >= 1.0 {
        trim(a)
    } else {
        let d = (-a.log10() - 1e-9).ceil().max(0.0) as usize;
        format!("{a:.d$}")
    };
    format!("{sign}{body}")
}

fn trim(x: f64) -> String {
    let s = format!("{x:.1}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// What values an axis may show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Domain {
    /// Any real value.
    #[default]
    Real,
    /// Values `>= 0` (counts, costs, shares): the axis starts at 0 or above.
    NonNegative,
    /// Values in `[0, 1]` (ratios).
    Unit,
}

impl Domain {
    /// `(lo, hi)` bounds of the domain.
    pub fn bounds(self) -> (f64, f64) {
        match self {
            Domain::Real => (f64::NEG_INFINITY, f64::INFINITY),
            Domain::NonNegative => (0.0, f64::INFINITY),
            Domain::Unit => (0.0, 1.0),
        }
    }

    /// `v` clamped to the domain.
    pub fn clamp(self, v: f64) -> f64 {
        let (lo, hi) = self.bounds();
        if v.is_nan() {
            v
        } else {
            v.clamp(lo, hi)
        }
    }
}

fn linear_ticks(lo: f64, hi: f64, step: f64) -> Vec<(f64, String)> {
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10() - 1e-9).ceil() as usize
    };
    let biggest = (first.abs().max(last.abs())) as f64 * step;
    // From a million on, every tick in the same unit ("0.5M", "1M", not "500,000", "1M").
    let si = [(1e12, "T"), (1e9, "G"), (1e6, "M")]
        .into_iter()
        .find(|(d, _)| biggest >= *d);
    (first..=last)
        .map(|k| {
            let v = k as f64 * step;
            let v = if v == 0.0 { 0.0 } else { v };
            let label = match si {
                Some((div, suffix)) if v != 0.0 => {
                    let d = if step >= div {
                        0
                    } else {
                        (-(step / div).log10() - 1e-9).ceil() as usize
                    };
                    format!("{}{suffix}", format_number(v / div, d))
                }
                _ => format_number(v, decimals),
            };
            (v, label)
        })
        .collect()
}

/// A linear axis covering the data `[lo, hi]` (with a small margin, extended to round
/// ticks), never leaving `domain` when the data lie inside it.
pub(crate) fn linear_axis(lo: f64, hi: f64, domain: Domain) -> AxisModel {
    let (lo, hi) = match (lo.is_finite(), hi.is_finite()) {
        (true, true) if lo < hi => (lo, hi),
        (true, true) => {
            let w = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
            (lo - w, lo + w)
        }
        _ => (0.0, 1.0),
    };
    let (dlo, dhi) = domain.bounds();
    let pad = (hi - lo) * 0.05;
    let step = nice_step((hi - lo + 2.0 * pad) / 6.0);
    let mut a = lo - pad;
    let mut b = hi + pad;
    // Snap to a tick when that costs less than half a step.
    let sa = (a / step).floor() * step;
    if a - sa <= 0.5 * step {
        a = sa;
    }
    let sb = (b / step).ceil() * step;
    if sb - b <= 0.5 * step {
        b = sb;
    }
    // Data inside the domain keep the axis inside it: non-negative data get no negative
    // range (whatever the domain), ratios no range above 1.
    if lo >= dlo && a < dlo {
        a = dlo;
    }
    if lo >= 0.0 && a < 0.0 {
        a = 0.0;
    }
    if hi <= dhi && b > dhi {
        b = dhi;
    }
    AxisModel {
        scale: Scale::Linear,
        min: a,
        max: b,
        ticks: linear_ticks(a, b, step),
        px: (0.0, 1.0),
    }
}

/// A linear axis with exactly this range and round ticks inside it.
pub(crate) fn exact_axis(lo: f64, hi: f64) -> AxisModel {
    let step = nice_step((hi - lo) / 6.0);
    AxisModel {
        scale: Scale::Linear,
        min: lo,
        max: hi,
        ticks: linear_ticks(lo, hi, step),
        px: (0.0, 1.0),
    }
}

/// A log10 axis for positive data in `[lo, hi]`.
pub(crate) fn log_axis(lo: f64, hi: f64) -> AxisModel {
    let (a, b) = if lo > 0.0 && hi.is_finite() && lo < hi {
        (lo.log10(), hi.log10())
    } else if lo > 0.0 && lo.is_finite() {
        (lo.log10() - 0.5, lo.log10() + 0.5)
    } else {
        (0.0, 1.0)
    };
    let pad = 0.03 * (b - a);
    let (a, b) = (a - pad, b + pad);
    let decades = (b.floor() - a.ceil()) as i64 + 1;
    let mult: &[f64] = if decades < 3 {
        &[1.0, 2.0, 5.0]
    } else {
        &[1.0]
    };
    let mut ticks = Vec::new();
    for k in (a.floor() as i64)..=(b.ceil() as i64) {
        for m in mult {
            let v = m * 10f64.powi(k as i32);
            let t = v.log10();
            if t >= a && t <= b {
                ticks.push((v, format_power(v)));
            }
        }
    }
    AxisModel {
        scale: Scale::Log10,
        min: 10f64.powf(a),
        max: 10f64.powf(b),
        ticks,
        px: (0.0, 1.0),
    }
}

/// A symmetric-log axis for non-negative data up to `hi` whose smallest positive value is
/// `min_pos`: 0 at the origin, then decades. The linear part `c` is the decade of `min_pos`.
pub(crate) fn symlog_axis(min_pos: f64, hi: f64) -> AxisModel {
    let c = if min_pos > 0.0 && min_pos.is_finite() {
        10f64.powf(min_pos.log10().floor())
    } else {
        1.0
    };
    let hi = if hi.is_finite() && hi > 0.0 {
        hi
    } else {
        c * 10.0
    };
    let scale = Scale::SymLog(c);
    let t_hi = (1.0 + hi / c).log10();
    // 4 % headroom in transformed units.
    let max = c * (10f64.powf(t_hi * 1.04) - 1.0);
    let mut ticks = vec![(0.0, "0".to_owned())];
    let decades = ((max / c).log10().floor() as i32 + 1).max(1);
    // Few decades in view: also mark 2× and 5×.
    let mult: &[f64] = if decades < 3 {
        &[1.0, 2.0, 5.0]
    } else {
        &[1.0]
    };
    for k in 0..=decades {
        for m in mult {
            let v = m * c * 10f64.powi(k);
            if v <= max * (1.0 + 1e-9) {
                ticks.push((v, format_power(v)));
            }
        }
    }
    AxisModel {
        scale,
        min: 0.0,
        max,
        ticks,
        px: (0.0, 1.0),
    }
}

/// A category axis: category `i` at `i`.
pub(crate) fn category_axis(names: &[String]) -> AxisModel {
    let n = names.len().max(1) as f64;
    AxisModel {
        scale: Scale::Categories(names.to_vec()),
        min: -0.5,
        max: n - 0.5,
        ticks: names
            .iter()
            .enumerate()
            .map(|(i, s)| (i as f64, s.clone()))
            .collect(),
        px: (0.0, 1.0),
    }
}

/// Fewer ticks: the next round step on linear axes, every other decade on log axes (0
/// kept), every other category.
fn thin(axis: &AxisModel) -> Option<AxisModel> {
    if axis.ticks.len() <= 2 {
        return None;
    }
    let mut a = axis.clone();
    match &axis.scale {
        Scale::Linear => {
            let step = axis
                .ticks
                .windows(2)
                .map(|w| w[1].0 - w[0].0)
                .next()
                .unwrap_or(1.0);
            a.ticks = linear_ticks(axis.min, axis.max, next_nice(step));
            if a.ticks.len() >= axis.ticks.len() {
                a.ticks = axis.ticks.iter().step_by(2).cloned().collect();
            }
        }
        Scale::Log10 => {
            let decades: Vec<(f64, String)> = axis
                .ticks
                .iter()
                .filter(|(v, _)| (v.log10() - v.log10().round()).abs() < 1e-9)
                .cloned()
                .collect();
            a.ticks = if decades.len() < axis.ticks.len() && decades.len() >= 2 {
                decades
            } else {
                axis.ticks.iter().step_by(2).cloned().collect()
            };
        }
        Scale::SymLog(c) => {
            // First drop the decade next to 0 (the linear part is only 0.3 decades wide),
            // then every other decade, keeping the largest.
            let (zero, rest): (Vec<_>, Vec<_>) =
                axis.ticks.iter().cloned().partition(|(v, _)| *v == 0.0);
            a.ticks = zero;
            let is_decade = |v: f64| ((v / c).log10() - (v / c).log10().round()).abs() < 1e-9;
            if rest.iter().any(|(v, _)| !is_decade(*v)) {
                a.ticks
                    .extend(rest.into_iter().filter(|(v, _)| is_decade(*v)));
            } else if rest.first().is_some_and(|(v, _)| (*v - c).abs() < 1e-9 * c) && rest.len() > 2
            {
                a.ticks.extend(rest.into_iter().skip(1));
            } else {
                let n = rest.len();
                a.ticks.extend(
                    rest.into_iter()
                        .enumerate()
                        .filter(|(i, _)| (n - 1 - i) % 2 == 0)
                        .map(|(_, t)| t),
                );
            }
        }
        Scale::Categories(_) => {
            a.ticks = axis.ticks.iter().step_by(2).cloned().collect();
        }
    }
    Some(a)
}

// ---------------------------------------------------------------------------------------
// Figure layout

/// What to lay out: header texts, panels (each with its axes, unmapped), legend.
pub(crate) struct Frame {
    pub title: String,
    pub subtitle: String,
    pub x_title: String,
    pub y_title: String,
    /// Per panel: title (may be empty), its own x title (empty: the shared one), x and y axes.
    pub panels: Vec<FramePanel>,
    pub legend: Vec<LegendEntry>,
    pub legend_mode: LegendMode,
    /// Vertical grid lines.
    pub x_grid: bool,
}

pub(crate) struct FramePanel {
    pub title: String,
    pub x_title: String,
    pub x: AxisModel,
    pub y: AxisModel,
}

/// Per-panel content: given the panel index and its placed axes and plot, the marks and
/// extra texts (point labels, notes) to draw. Texts returned here must avoid each other;
/// the layout adds them as they are.
pub(crate) type Content<'a> =
    dyn Fn(usize, &AxisModel, &AxisModel, &Rect) -> (Vec<Mark>, Vec<TextItem>) + 'a;

fn columns(n: usize) -> usize {
    match n {
        0 | 1 => 1,
        2 | 4 => 2,
        _ => 3,
    }
}

/// Lays out `frame` and fills it with `content`. With [`LegendMode::Inside`] the legend
/// goes into the plot corner that covers no mark; when every corner covers some, the chart
/// is laid out again with the legend right of the plot.
pub(crate) fn build(frame: &Frame, content: &Content<'_>) -> ChartModel {
    if frame.legend_mode == LegendMode::Inside && !frame.legend.is_empty() {
        let m = build_with(frame, LegendMode::Inside, content);
        if m.legend.is_some() {
            return m;
        }
        build_with(frame, LegendMode::Right, content)
    } else {
        build_with(frame, frame.legend_mode, content)
    }
}

const BLACK_TEXT: RGBColor = RGBColor(0, 0, 0);
const GREY_TEXT: RGBColor = RGBColor(0x44, 0x44, 0x44);

fn legend_entry_width(e: &LegendEntry) -> f64 {
    GLYPH_W + 10.0 + text_width(&e.name, LEGEND_PX, false) + 4.0
}

fn build_with(frame: &Frame, mode: LegendMode, content: &Content<'_>) -> ChartModel {
    let n = frame.panels.len().max(1);
    let cols = columns(n);
    let rows = n.div_ceil(cols);
    let single = frame.panels.len() <= 1;
    let width = if cols >= 3 { 1500.0 } else { 1200.0 };
    let inner_w = width - 2.0 * MARGIN;
    let mut texts: Vec<TextItem> = Vec::new();

    // Header: title and subtitle, wrapped.
    let mut y = MARGIN;
    let (tpx, tlines) = fit_text(&frame.title, TITLE_PX, true, inner_w, 2);
    for l in &tlines {
        let r = text_box(l, tpx, true, width / 2.0, y + tpx / 2.0);
        texts.push(text_item(l, TextRole::Title, tpx, true, r, BLACK_TEXT));
        y += tpx * 1.12;
    }
    if !frame.subtitle.is_empty() {
        y += 4.0;
        let (spx, slines) = fit_text(&frame.subtitle, SUBTITLE_PX, false, inner_w, 3);
        for l in &slines {
            let r = text_box(l, spx, false, width / 2.0, y + spx / 2.0);
            texts.push(text_item(l, TextRole::Subtitle, spx, false, r, GREY_TEXT));
            y += spx * 1.15;
        }
    }
    y += 8.0;

    // Legend in rows under the header.
    let mut legend = None;
    let show_legend = mode != LegendMode::None && !frame.legend.is_empty();
    if show_legend && mode == LegendMode::Top {
        let row_h = LEGEND_PX * 1.3;
        let mut rows_of: Vec<Vec<&LegendEntry>> = vec![Vec::new()];
        let mut row_w = 0.0;
        for e in &frame.legend {
            let w = legend_entry_width(e) + 28.0;
            if row_w + w > inner_w && !rows_of.last().is_some_and(|r| r.is_empty()) {
                rows_of.push(Vec::new());
                row_w = 0.0;
            }
            row_w += w;
            if let Some(r) = rows_of.last_mut() {
                r.push(e);
            }
        }
        let top = y;
        let mut glyphs = Vec::new();
        for row in &rows_of {
            let total: f64 = row.iter().map(|e| legend_entry_width(e)).sum::<f64>()
                + 28.0 * (row.len() as f64 - 1.0);
            let mut x = (width - total) / 2.0;
            let cy = y + row_h / 2.0;
            for e in row {
                glyphs.push((e.glyph, (x + GLYPH_W / 2.0, cy)));
                let tw = text_width(&e.name, LEGEND_PX, false) + 4.0;
                let r = Rect::centered(x + GLYPH_W + 10.0 + tw / 2.0, cy, tw, LEGEND_PX);
                texts.push(text_item(
                    &e.name,
                    TextRole::Legend,
                    LEGEND_PX,
                    false,
                    r,
                    BLACK_TEXT,
                ));
                x += legend_entry_width(e) + 28.0;
            }
            y += row_h;
        }
        legend = Some(LegendModel {
            rect: Rect::new(MARGIN, top, width - MARGIN, y),
            boxed: false,
            glyphs,
        });
        y += 10.0;
    }
    let header_bottom = y;

    // Legend column on the right.
    let legend_box_w = frame
        .legend
        .iter()
        .map(|e| legend_entry_width(e) + 24.0)
        .fold(0.0, f64::max);
    let right_reserved = if show_legend && mode == LegendMode::Right {
        legend_box_w + 16.0
    } else {
        0.0
    };

    // Shared axis titles.
    let shared_x = frame.panels.iter().all(|p| p.x_title.is_empty());
    let cell_h = if single {
        0.0
    } else if n <= 2 {
        1.45 * FACET_CELL_H
    } else {
        FACET_CELL_H
    };
    let height = if single {
        f64::from(super::charts::CHART_SIZE.1)
    } else {
        let xt = if shared_x { AXIS_TITLE_PX * 1.3 } else { 0.0 };
        (header_bottom + rows as f64 * cell_h + xt + MARGIN).ceil()
    };
    let grid_x0_base = MARGIN;
    let grid_right = width - MARGIN - right_reserved;
    let mut grid_bottom = height - MARGIN;
    if shared_x && !frame.x_title.is_empty() {
        let (xpx, xlines) = fit_text(
            &frame.x_title,
            AXIS_TITLE_PX,
            false,
            grid_right - grid_x0_base - 80.0,
            2,
        );
        let h = xlines.len() as f64 * xpx * 1.15;
        let mut ty = grid_bottom - h;
        let cx = (grid_x0_base + 80.0 + grid_right) / 2.0;
        for l in &xlines {
            let r = text_box(l, xpx, false, cx, ty + xpx / 2.0);
            texts.push(text_item(l, TextRole::AxisTitle, xpx, false, r, BLACK_TEXT));
            ty += xpx * 1.15;
        }
        grid_bottom -= h + 6.0;
    }
    let mut grid_x0 = grid_x0_base;
    if !frame.y_title.is_empty() {
        let span = grid_bottom - header_bottom;
        let (ypx, ylines) = fit_text(&frame.y_title, AXIS_TITLE_PX, false, span - 20.0, 2);
        for l in &ylines {
            let w = text_width(l, ypx, false) + 4.0;
            let cx = grid_x0 + ypx / 2.0;
            let cy = (header_bottom + grid_bottom) / 2.0;
            let mut t = text_item(
                l,
                TextRole::AxisTitle,
                ypx,
                false,
                Rect::centered(cx, cy, ypx, w),
                BLACK_TEXT,
            );
            t.vertical = true;
            texts.push(t);
            grid_x0 += ypx * 1.15;
        }
        grid_x0 += 6.0;
    }

    // Panels.
    let grid_w = grid_right - grid_x0;
    let grid_h = grid_bottom - header_bottom;
    let cw = grid_w / cols as f64;
    let ch = grid_h / rows as f64;
    let mut panels = Vec::new();
    for (i, fp) in frame.panels.iter().enumerate() {
        let (r, c) = (i / cols, i % cols);
        let cell = Rect::new(
            grid_x0 + c as f64 * cw,
            header_bottom + r as f64 * ch,
            grid_x0 + (c + 1) as f64 * cw,
            header_bottom + (r + 1) as f64 * ch,
        );
        let (panel, mut ptexts) = layout_panel(fp, cell, !single, frame.x_grid);
        texts.append(&mut ptexts);
        panels.push(panel);
    }

    // Content.
    for (i, p) in panels.iter_mut().enumerate() {
        let (marks, mut extra) = content(i, &p.x, &p.y, &p.plot);
        p.marks = marks;
        texts.append(&mut extra);
    }

    // Legend inside the plot, or in the right column.
    if show_legend && (mode == LegendMode::Inside || mode == LegendMode::Right) {
        let row_h = LEGEND_PX * 1.3;
        let h = frame.legend.len() as f64 * row_h + 20.0;
        let w = legend_box_w;
        let rect = if mode == LegendMode::Inside {
            let Some(p) = panels.first() else {
                return ChartModel {
                    size: (width as u32, height as u32),
                    panels,
                    texts,
                    legend: None,
                };
            };
            let inset = 12.0;
            let plot = p.plot;
            let corners = [
                Rect::new(
                    plot.x1 - inset - w,
                    plot.y0 + inset,
                    plot.x1 - inset,
                    plot.y0 + inset + h,
                ),
                Rect::new(
                    plot.x0 + inset,
                    plot.y0 + inset,
                    plot.x0 + inset + w,
                    plot.y0 + inset + h,
                ),
                Rect::new(
                    plot.x1 - inset - w,
                    plot.y1 - inset - h,
                    plot.x1 - inset,
                    plot.y1 - inset,
                ),
                Rect::new(
                    plot.x0 + inset,
                    plot.y1 - inset - h,
                    plot.x0 + inset + w,
                    plot.y1 - inset,
                ),
            ];
            let pts: Vec<(f64, f64)> = p.marks.iter().flat_map(Mark::sample_points).collect();
            let free = corners.iter().find(|r| {
                let slack = r.inflate(6.0);
                r.w() <= plot.w()
                    && r.h() <= plot.h()
                    && !pts.iter().any(|&q| slack.contains(q))
                    && !texts.iter().any(|t| t.rect.intersects(&slack))
            });
            match free {
                Some(r) => *r,
                None => {
                    return ChartModel {
                        size: (width as u32, height as u32),
                        panels,
                        texts,
                        legend: None,
                    }
                }
            }
        } else {
            let top = panels.first().map_or(header_bottom, |p| p.plot.y0);
            Rect::new(width - MARGIN - w, top, width - MARGIN, top + h)
        };
        let mut glyphs = Vec::new();
        for (k, e) in frame.legend.iter().enumerate() {
            let cy = rect.y0 + 10.0 + row_h * (k as f64 + 0.5);
            glyphs.push((e.glyph, (rect.x0 + 12.0 + GLYPH_W / 2.0, cy)));
            let tw = text_width(&e.name, LEGEND_PX, false) + 4.0;
            let x0 = rect.x0 + 12.0 + GLYPH_W + 10.0;
            texts.push(text_item(
                &e.name,
                TextRole::Legend,
                LEGEND_PX,
                false,
                Rect::new(x0, cy - LEGEND_PX / 2.0, x0 + tw, cy + LEGEND_PX / 2.0),
                BLACK_TEXT,
            ));
        }
        legend = Some(LegendModel {
            rect,
            boxed: true,
            glyphs,
        });
    }
    ChartModel {
        size: (width as u32, height as u32),
        panels,
        texts,
        legend,
    }
}

/// Places one panel in `cell`: title, tick labels, optional own x title, plot rectangle.
fn layout_panel(
    fp: &FramePanel,
    cell: Rect,
    facet: bool,
    x_grid: bool,
) -> (PanelModel, Vec<TextItem>) {
    let mut texts = Vec::new();
    let pad = if facet { 8.0 } else { 0.0 };
    let mut top = cell.y0 + pad;
    if !fp.title.is_empty() {
        let (px, lines) = fit_text(&fp.title, PANEL_TITLE_PX, true, cell.w() - 16.0, 2);
        for l in &lines {
            let r = text_box(l, px, true, (cell.x0 + cell.x1) / 2.0, top + px / 2.0);
            texts.push(text_item(l, TextRole::PanelTitle, px, true, r, BLACK_TEXT));
            top += px * 1.12;
        }
        top += 4.0;
    }
    let mut bottom = cell.y1 - pad;
    if !fp.x_title.is_empty() {
        let (px, lines) = fit_text(&fp.x_title, AXIS_TITLE_PX, false, cell.w() - 20.0, 2);
        let h = lines.len() as f64 * px * 1.15;
        let mut ty = bottom - h;
        for l in &lines {
            let r = text_box(l, px, false, (cell.x0 + cell.x1) / 2.0, ty + px / 2.0);
            texts.push(text_item(l, TextRole::AxisTitle, px, false, r, BLACK_TEXT));
            ty += px * 1.15;
        }
        bottom -= h + 4.0;
    }
    // Tick label sizes: shrink category labels that are too wide.
    let mut y = fp.y.clone();
    let mut x = fp.x.clone();
    let y_label_w = y
        .labels()
        .map(|l| text_width(l, TICK_PX, false) + 4.0)
        .fold(0.0, f64::max);
    let last_x_w = x
        .ticks
        .last()
        .map_or(0.0, |(_, l)| text_width(l, TICK_PX, false) + 4.0);
    let plot = Rect::new(
        cell.x0 + y_label_w + 16.0,
        top + TICK_PX / 2.0 + 4.0,
        cell.x1 - (last_x_w / 2.0 + 6.0).max(if facet { 16.0 } else { 28.0 }),
        bottom - TICK_PX - 22.0,
    );
    x.px = (plot.x0, plot.x1);
    y.px = (plot.y1, plot.y0);
    // Thin ticks until their labels keep apart (at most 6 rounds).
    let mut xpx = TICK_PX;
    for _ in 0..8 {
        let boxes = x_label_boxes(&x, plot, xpx);
        let crowded = boxes
            .windows(2)
            .any(|w| w[0].inflate(6.0).intersects(&w[1]))
            || boxes.iter().any(|b| b.x0 < cell.x0 || b.x1 > cell.x1);
        if !crowded {
            break;
        }
        if matches!(x.scale, Scale::Categories(_)) && xpx > MIN_TEXT_PX {
            xpx = (xpx * 0.9).max(MIN_TEXT_PX);
            continue;
        }
        match thin(&x) {
            Some(t) => x = t,
            None => break,
        }
    }
    for _ in 0..8 {
        let ys: Vec<f64> = y.ticks.iter().map(|(v, _)| y.to_px(*v)).collect();
        let crowded = ys.windows(2).any(|w| (w[0] - w[1]).abs() < TICK_PX + 6.0);
        if !crowded {
            break;
        }
        match thin(&y) {
            Some(t) => y = t,
            None => break,
        }
    }
    for ((_, l), r) in x.ticks.iter().zip(x_label_boxes(&x, plot, xpx)) {
        texts.push(text_item(l, TextRole::TickLabel, xpx, false, r, BLACK_TEXT));
    }
    for (v, l) in &y.ticks {
        let w = text_width(l, TICK_PX, false) + 4.0;
        let cy = y.to_px(*v);
        let r = Rect::new(
            plot.x0 - 12.0 - w,
            cy - TICK_PX / 2.0,
            plot.x0 - 12.0,
            cy + TICK_PX / 2.0,
        );
        texts.push(text_item(
            l,
            TextRole::TickLabel,
            TICK_PX,
            false,
            r,
            BLACK_TEXT,
        ));
    }
    (
        PanelModel {
            plot,
            x,
            y,
            x_grid,
            marks: Vec::new(),
        },
        texts,
    )
}

fn x_label_boxes(x: &AxisModel, plot: Rect, px: f64) -> Vec<Rect> {
    x.ticks
        .iter()
        .map(|(v, l)| text_box(l, px, false, x.to_px(*v), plot.y1 + 18.0 + px / 2.0))
        .collect()
}

// ---------------------------------------------------------------------------------------
// Clipping in pixel space

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

fn clip_segment(a: (f64, f64), b: (f64, f64), r: &Rect) -> Option<((f64, f64), (f64, f64))> {
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

// ---------------------------------------------------------------------------------------
// Drawing

/// Plotters' error, turned into text (the backend error types differ per format).
pub(crate) struct DrawFail(pub String);

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for DrawFail {
    fn from(e: DrawingAreaErrorKind<E>) -> Self {
        DrawFail(e.to_string())
    }
}

fn ip((x, y): (f64, f64)) -> (i32, i32) {
    (x.round() as i32, y.round() as i32)
}

fn ipath(pts: &[(f64, f64)]) -> Vec<(i32, i32)> {
    pts.iter().copied().map(ip).collect()
}

fn draw_marker<DB: DrawingBackend>(
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

fn draw_text<DB: DrawingBackend>(
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
