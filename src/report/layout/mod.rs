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

mod text;
pub use text::*;
mod axis;
pub use axis::*;
mod build;
pub(crate) use build::*;
mod draw;
pub use draw::*;

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
