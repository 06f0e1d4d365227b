//! Publication charts: every function writes `<stem>.png` and `<stem>.svg`.
//!
//! The charts take plain data (series of points, categories with values, raw samples) and
//! never compute simulation results themselves; pair them with [`super::stats`] to get
//! means and confidence intervals across replications.
//!
//! Each chart is built in two steps: a `*_model` function lays it out as a
//! [`ChartModel`] (axes, marks in pixels, every text with its box; see
//! [`super::layout`]), which the tests check for legibility, and [`render`] paints the
//! model into both files. Conventions shared by all charts:
//!
//! * **Size and type.** 1200 × 800 px for one plot; small multiples (one panel per sweep
//!   point, up to three per row) get 430 px of height per row and 1500 px of width with
//!   three columns. Titles 32 px bold, axis titles 26 px, tick labels and legends 23 px
//!   (em sizes), so text stays legible when the figure is scaled to a single paper column.
//!   Long titles wrap; text shrinks (to 17 px) only when a single word does not fit.
//! * **Fonts.** DejaVu Sans is embedded with `include_bytes!` (licence in
//!   `assets/fonts/LICENSE-DejaVu.txt`) and registered once with plotters' `ab_glyph`
//!   backend, so PNG text never depends on the fonts of the machine. SVG files name the
//!   `sans-serif` family and let the viewer render it.
//! * **Colours and markers.** Series `i` gets colour `OKABE_ITO[i % 8]` (the colour-blind-safe
//!   Okabe–Ito palette, reordered so that the strongest colours come first) and marker shape
//!   `i % 8`, so the same order of series names gives the same look in every chart, and
//!   the same name the same look in every panel.
//! * **Ranges.** [`ChartSpec::y_domain`] says which values the metric can take (ratios in
//!   [0, 1], counts and costs ≥ 0): the axis stays inside it, and interval ends outside it
//!   are cut at the bound (drawn without a cap, and the subtitle says so).
//! * **Missing data.** Points with a NaN (or infinite) coordinate are skipped and break the
//!   line; NaN interval bounds are not drawn. A chart without any drawable point is still
//!   written, with a "no data" note, so that a pipeline never stops on a figure.
//! * **Legends** go in a plot corner that covers no data, else in a column right of the
//!   plot; small multiples have one legend under the title. Scatter plots label their
//!   points directly where the labels can be placed without collisions, else use a legend.
//!
//! This module must not run simulations, print, or panic on data: every failure is a
//! [`ChartError`].

use std::cell::Cell;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::prelude::*;
use thiserror::Error;

use super::layout::{
    build, category_axis, clip_polygon, clip_polyline, draw_model, exact_axis, linear_axis,
    log_axis, symlog_axis, text_box, text_item, text_width, AxisModel, DrawFail, Frame, FramePanel,
    Glyph, LegendEntry, LegendMode, Mark, TextItem, AXIS_TITLE_PX, MARKER_PX, POINT_LABEL_PX,
};
pub use super::layout::{ChartModel, Domain, Rect, TextRole};
use super::stats::ecdf;

/// Width and height of a single-plot chart, in pixels (PNG) or user units (SVG).
pub const CHART_SIZE: (u32, u32) = (1200, 800);

const LINE_WIDTH: u32 = 3;
/// Above this many points in one series, line charts draw no markers (they would merge).
const MAX_MARKED_POINTS: usize = 40;
/// Above this many steps, a CDF is thinned to this many (invisible at 1200 px).
const MAX_CDF_STEPS: usize = 4000;

static DEJAVU_SANS: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static DEJAVU_SANS_BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

/// The Okabe–Ito colour-blind-safe palette, ordered for line charts on white: blue,
/// vermillion, bluish green, orange, reddish purple, sky blue, black, yellow.
pub const OKABE_ITO: [RGBColor; 8] = [
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0xD5, 0x5E, 0x00),
    RGBColor(0x00, 0x9E, 0x73),
    RGBColor(0xE6, 0x9F, 0x00),
    RGBColor(0xCC, 0x79, 0xA7),
    RGBColor(0x56, 0xB4, 0xE9),
    RGBColor(0x00, 0x00, 0x00),
    RGBColor(0xF0, 0xE4, 0x42),
];

/// Colour of the `index`-th series (stable: depends only on the position).
pub fn series_color(index: usize) -> RGBColor {
    OKABE_ITO[index % OKABE_ITO.len()]
}

/// Why a chart could not be written.
#[derive(Debug, Error)]
pub enum ChartError {
    /// The embedded font could not be parsed. This is a build defect (a corrupt asset),
    /// not a data problem; it is fatal for every chart.
    #[error("embedded font could not be registered with plotters: {0}")]
    Font(String),
    /// The directory for the output files could not be created. Remedy: check the path
    /// and permissions; nothing was written.
    #[error("cannot create directory {path}: {source}")]
    CreateDir {
        /// The directory that could not be created.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Writing or renaming a finished chart file failed (the message names the path).
    #[error(transparent)]
    Output(crate::output::OutputError),
    /// Plotters failed while drawing or writing a file (typically an I/O error when the
    /// file is saved). The other format may or may not have been written.
    #[error("drawing {path} failed: {message}")]
    Draw {
        /// The file being written.
        path: PathBuf,
        /// Plotters' description of the failure.
        message: String,
    },
    /// The data are inconsistent (for example a bar group with a different number of
    /// values than there are categories). Remedy: fix the caller; nothing was written.
    #[error("invalid chart input: {0}")]
    InvalidInput(String),
}

/// How the horizontal axis maps values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum XScale {
    /// Linear.
    #[default]
    Linear,
    /// Logarithmic; values `<= 0` cannot be placed and are skipped.
    Log,
    /// Symmetric log: 0 at the origin, then decades (costs spanning several orders of
    /// magnitude, some of them zero).
    SymLog,
}

/// Titles, ranges and scales shared by all chart functions.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChartSpec {
    /// Chart title, drawn above the plot (wrapped when long).
    pub title: String,
    /// Smaller text under the title: what bands and bars are, how many replications, notes.
    pub subtitle: String,
    /// Horizontal axis title; include the unit, e.g. `"payment amount (sat)"`.
    pub x_label: String,
    /// Vertical axis title; include the unit.
    pub y_label: String,
    /// Fixed vertical range `(min, max)`; `None` fits the data (with a small margin,
    /// rounded to tick values). Ignored if not finite or if `min >= max`.
    pub y_range: Option<(f64, f64)>,
    /// The values the metric can take; the axis and intervals stay inside it.
    pub y_domain: Domain,
    /// Horizontal scale (scatter and line charts).
    pub x_scale: XScale,
    /// A horizontal reference line (e.g. 0 on a chart of differences).
    pub reference_y: Option<f64>,
    /// Series names that fix colours and markers: the name at position `i` gets
    /// [`series_color`]`(i)` (so a chart that leaves out the baseline keeps every other
    /// strategy's colour); other names follow in order of appearance.
    pub palette: Vec<String>,
}

impl ChartSpec {
    /// A spec with the given titles and an automatic vertical range.
    pub fn new(title: &str, x_label: &str, y_label: &str) -> ChartSpec {
        ChartSpec {
            title: title.to_owned(),
            x_label: x_label.to_owned(),
            y_label: y_label.to_owned(),
            ..ChartSpec::default()
        }
    }

    /// The same spec with a fixed vertical range.
    pub fn with_y_range(mut self, min: f64, max: f64) -> ChartSpec {
        self.y_range = Some((min, max));
        self
    }

    /// The same spec with a subtitle.
    pub fn with_subtitle(mut self, subtitle: &str) -> ChartSpec {
        self.subtitle = subtitle.to_owned();
        self
    }

    /// The same spec with a value domain for the vertical axis.
    pub fn with_domain(mut self, domain: Domain) -> ChartSpec {
        self.y_domain = domain;
        self
    }

    /// The same spec with a horizontal scale.
    pub fn with_x_scale(mut self, scale: XScale) -> ChartSpec {
        self.x_scale = scale;
        self
    }

    /// The same spec with a fixed assignment of colours to series names.
    pub fn with_palette(mut self, names: &[String]) -> ChartSpec {
        self.palette = names.to_vec();
        self
    }

    /// The same spec with a horizontal reference line at `y`.
    pub fn with_reference(mut self, y: f64) -> ChartSpec {
        self.reference_y = Some(y);
        self
    }
}

/// One point of a [`Series`], with an optional interval (e.g. the 95 % CI across
/// replications: `lo = ci95_lo`, `hi = ci95_hi`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Horizontal position.
    pub x: f64,
    /// Vertical position (typically a mean).
    pub y: f64,
    /// Lower end of the interval, as an absolute value (not a distance from `y`).
    pub lo: Option<f64>,
    /// Upper end of the interval, as an absolute value.
    pub hi: Option<f64>,
}

impl Point {
    /// A point without interval.
    pub fn new(x: f64, y: f64) -> Point {
        Point {
            x,
            y,
            lo: None,
            hi: None,
        }
    }

    /// A point with an interval `[lo, hi]`.
    pub fn with_interval(x: f64, y: f64, lo: f64, hi: f64) -> Point {
        Point {
            x,
            y,
            lo: Some(lo),
            hi: Some(hi),
        }
    }

    fn interval(&self) -> Option<(f64, f64)> {
        match (self.lo, self.hi) {
            (Some(lo), Some(hi)) if lo.is_finite() && hi.is_finite() => Some((lo, hi)),
            _ => None,
        }
    }
}

/// A named sequence of points: one line of a line chart (one strategy, say).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series {
    /// Legend entry.
    pub name: String,
    /// Points, drawn in the given order (sort by `x` for a function-like line).
    pub points: Vec<Point>,
}

/// One panel of a small-multiples line chart ([`facet_lines`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Panel {
    /// Panel title (e.g. the sweep point).
    pub title: String,
    /// The lines of this panel; the same name gets the same colour in every panel.
    pub series: Vec<Series>,
}

/// How the points of a line chart are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineStyle {
    /// Lines with a translucent band between `lo` and `hi`.
    Band,
    /// Lines with an error bar at each point (series dodged sideways).
    ErrorBars,
}

/// One labelled point of a [`scatter_chart`] (one strategy in a trade-off plot).
#[derive(Debug, Clone, PartialEq)]
pub struct LabelledPoint {
    /// Text written beside the point.
    pub label: String,
    /// Horizontal position.
    pub x: f64,
    /// Vertical position.
    pub y: f64,
    /// Optional horizontal interval `(lo, hi)`, absolute values.
    pub x_interval: Option<(f64, f64)>,
    /// Optional vertical interval `(lo, hi)`, absolute values.
    pub y_interval: Option<(f64, f64)>,
}

/// One panel of a [`scatter_panels`] figure: its own horizontal quantity.
#[derive(Debug, Clone, PartialEq)]
pub struct ScatterPanel {
    /// Panel title.
    pub title: String,
    /// Horizontal axis title of this panel.
    pub x_label: String,
    /// Horizontal scale of this panel.
    pub x_scale: XScale,
    /// The points; a label appearing in several panels keeps its colour and marker.
    pub points: Vec<LabelledPoint>,
}

/// One group of bars in a [`bar_chart`]: one value per category.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BarGroup {
    /// Legend entry.
    pub name: String,
    /// One value per category, in category order. NaN draws no bar.
    pub values: Vec<f64>,
    /// Optional error half-widths, one per category (whisker from `value - err` to
    /// `value + err`, e.g. the CI half-width). NaN draws no whisker.
    pub err: Option<Vec<f64>>,
}

/// Raw samples of one distribution for a [`cdf_chart`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CdfSeries {
    /// Legend entry.
    pub name: String,
    /// The samples, in any order; NaN values are ignored.
    pub values: Vec<f64>,
}

// ---------------------------------------------------------------------------------------
// Public chart functions

/// Line chart with one line per series and, where points carry `lo`/`hi`, a translucent
/// band between them (the confidence interval across replications).
///
/// Writes `<stem>.png` and `<stem>.svg` (parent directories are created).
/// Errors: [`ChartError`] on I/O failure. Complexity: O(total points).
///
/// ```no_run
/// use pcnsim::report::charts::{line_chart, ChartSpec, Point, Series};
/// let s = Series { name: "none".into(), points: vec![Point::with_interval(1.0, 0.8, 0.75, 0.85)] };
/// line_chart("out/success", &ChartSpec::new("Success", "load (payments/s)", "success ratio"), &[s])?;
/// # Ok::<(), pcnsim::report::charts::ChartError>(())
/// ```
pub fn line_chart(
    stem: impl AsRef<Path>,
    spec: &ChartSpec,
    series: &[Series],
) -> Result<(), ChartError> {
    let panel = Panel {
        title: String::new(),
        series: series.to_vec(),
    };
    render(stem, &lines_model(spec, &[panel], LineStyle::Band, None)?)
}

/// Metric against a swept parameter: one line per series with an error bar (`lo`..`hi`,
/// with caps) at each point.
///
/// With several series, points are shifted sideways by a few pixels so that error bars at
/// the same parameter value do not hide each other (the usual "dodge").
///
/// Writes `<stem>.png` and `<stem>.svg`. Errors: [`ChartError`] on I/O failure.
pub fn errorbar_lines(
    stem: impl AsRef<Path>,
    spec: &ChartSpec,
    series: &[Series],
) -> Result<(), ChartError> {
    let panel = Panel {
        title: String::new(),
        series: series.to_vec(),
    };
    render(
        stem,
        &lines_model(spec, &[panel], LineStyle::ErrorBars, None)?,
    )
}

/// Small multiples: one panel per entry of `panels` (e.g. one per sweep point), sharing
/// both axes and one legend, up to three panels per row.
///
/// Writes `<stem>.png` and `<stem>.svg`. Errors: [`ChartError`] on I/O failure.
pub fn facet_lines(
    stem: impl AsRef<Path>,
    spec: &ChartSpec,
    panels: &[Panel],
    style: LineStyle,
) -> Result<(), ChartError> {
    render(stem, &lines_model(spec, panels, style, None)?)
}

/// Dot-and-whisker chart over categories: series `j`'s point `i` is drawn at category
/// `x = i` (its `x` field is ignored) with its interval; with several series the dots are
/// dodged. For paired differences, add [`ChartSpec::with_reference`] at 0.
///
/// Writes `<stem>.png` and `<stem>.svg`. Errors: [`ChartError`] on I/O failure.
pub fn dot_chart(
    stem: impl AsRef<Path>,
    spec: &ChartSpec,
    categories: &[String],
    series: &[Series],
) -> Result<(), ChartError> {
    let series: Vec<Series> = series
        .iter()
        .map(|s| Series {
            name: s.name.clone(),
            points: s
                .points
                .iter()
                .enumerate()
                .map(|(i, p)| Point { x: i as f64, ..*p })
                .collect(),
        })
        .collect();
    let panel = Panel {
        title: String::new(),
        series,
    };
    render(
        stem,
        &lines_model(spec, &[panel], LineStyle::ErrorBars, Some(categories))?,
    )
}

/// Scatter plot of labelled points with optional horizontal and vertical error bars,
/// e.g. success ratio against rebalancing cost with one point per strategy. Each point
/// gets its own colour and marker, and its label is written beside it, placed so that no
/// label covers another label, a marker or an error bar (with a leader line when moved
/// away); when that is impossible, the labels go into a legend instead.
///
/// Writes `<stem>.png` and `<stem>.svg`. Errors: [`ChartError`] on I/O failure.
pub fn scatter_chart(
    stem: impl AsRef<Path>,
    spec: &ChartSpec,
    points: &[LabelledPoint],
) -> Result<(), ChartError> {
    let panel = ScatterPanel {
        title: String::new(),
        x_label: spec.x_label.clone(),
        x_scale: spec.x_scale,
        points: points.to_vec(),
    };
    render(stem, &scatter_model(spec, &[panel])?)
}

/// Several scatter panels side by side sharing the vertical axis, each with its own
/// horizontal quantity (e.g. success against fees, and against capital).
///
/// Writes `<stem>.png` and `<stem>.svg`. Errors: [`ChartError`] on I/O failure.
pub fn scatter_panels(
    stem: impl AsRef<Path>,
    spec: &ChartSpec,
    panels: &[ScatterPanel],
) -> Result<(), ChartError> {
    render(stem, &scatter_model(spec, panels)?)
}

/// Grouped bar chart: one cluster per category (e.g. strategy), one bar per group (e.g.
/// scenario) inside it, with optional error whiskers. The vertical axis always includes 0.
///
/// Errors: [`ChartError::InvalidInput`] if a group's `values` or `err` length differs from
/// `categories.len()` (nothing is written); [`ChartError`] on I/O failure.
pub fn bar_chart(
    stem: impl AsRef<Path>,
    spec: &ChartSpec,
    categories: &[String],
    groups: &[BarGroup],
) -> Result<(), ChartError> {
    render(stem, &bar_model(spec, categories, groups)?)
}

/// Empirical CDFs, one step line per series (e.g. payment latency or fee per strategy).
///
/// The vertical axis is the fraction of samples `<= x`, from 0 to 1 (the spec's `y_range`
/// is ignored). With `log_x`, the horizontal axis is logarithmic and samples `<= 0` cannot
/// be placed: they still count in the fractions, but the steps start at the first positive
/// sample. Series with more than 4000 distinct values are thinned to 4000 evenly spaced
/// steps (well below one pixel).
///
/// Writes `<stem>.png` and `<stem>.svg`. Errors: [`ChartError`] on I/O failure.
pub fn cdf_chart(
    stem: impl AsRef<Path>,
    spec: &ChartSpec,
    series: &[CdfSeries],
    log_x: bool,
) -> Result<(), ChartError> {
    render(stem, &cdf_model(spec, series, log_x)?)
}

// ---------------------------------------------------------------------------------------
// Rendering to both formats

fn register_fonts() -> Result<(), ChartError> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            plotters::style::register_font("sans-serif", FontStyle::Normal, DEJAVU_SANS)
                .map_err(|_| "DejaVuSans.ttf".to_owned())?;
            plotters::style::register_font("sans-serif", FontStyle::Bold, DEJAVU_SANS_BOLD)
                .map_err(|_| "DejaVuSans-Bold.ttf".to_owned())
        })
        .clone()
        .map_err(ChartError::Font)
}

fn with_suffix(stem: &Path, ext: &str) -> PathBuf {
    let mut s: OsString = stem.as_os_str().to_owned();
    s.push(".");
    s.push(ext);
    PathBuf::from(s)
}

/// Paints `model` into `<stem>.png` and `<stem>.svg` (parent directories are created).
///
/// Errors: [`ChartError`] when a directory or file cannot be written.
pub fn render(stem: impl AsRef<Path>, model: &ChartModel) -> Result<(), ChartError> {
    let stem = stem.as_ref();
    // The file name comes from metric names and swept keys: one checked name, no path.
    let dir = stem.parent().unwrap_or(Path::new(""));
    let name = stem
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    crate::output::child(dir, &name).map_err(ChartError::Output)?;
    register_fonts()?;
    if let Some(dir) = stem.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| ChartError::CreateDir {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    let fail = |path: &Path| {
        let path = path.to_path_buf();
        move |e: DrawFail| ChartError::Draw { path, message: e.0 }
    };
    // Both files are drawn under unique temporary names and renamed when complete: a
    // killed or failed drawing leaves no partial chart under the final name.
    let png = with_suffix(stem, "png");
    let tmp = crate::output::temp_path(&png, Some("png"));
    let drawn = (|| {
        let root = BitMapBackend::new(&tmp, model.size).into_drawing_area();
        draw_model(&root, model).map_err(fail(&png))?;
        root.present().map_err(DrawFail::from).map_err(fail(&png))
    })();
    if let Err(e) = drawn {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    crate::output::rename_into_place(&tmp, &png).map_err(ChartError::Output)?;
    let svg = with_suffix(stem, "svg");
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, model.size).into_drawing_area();
        draw_model(&root, model).map_err(fail(&svg))?;
        root.present().map_err(DrawFail::from).map_err(fail(&svg))?;
    }
    crate::output::write_via_temp(&svg, text.as_bytes()).map_err(ChartError::Output)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Helpers shared by the models

/// Extent of finite values, or `None`.
fn extent(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

/// The vertical axis: the spec's fixed range if usable, else fitted to the data.
fn y_axis(spec: &ChartSpec, data: Option<(f64, f64)>) -> AxisModel {
    match spec.y_range {
        Some((lo, hi)) if lo.is_finite() && hi.is_finite() && lo < hi => exact_axis(lo, hi),
        _ => match data {
            Some((lo, hi)) => linear_axis(lo, hi, spec.y_domain),
            None => linear_axis(0.0, 1.0, spec.y_domain),
        },
    }
}

/// A horizontal axis of the given scale for data whose finite values are `xs`.
fn x_axis(scale: XScale, xs: &[f64]) -> AxisModel {
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

fn no_data(plot: &Rect) -> TextItem {
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
fn darker(c: RGBColor) -> RGBColor {
    let f = |v: u8| (f64::from(v) * 0.75) as u8;
    RGBColor(f(c.0), f(c.1), f(c.2))
}

fn line(pts: Vec<(f64, f64)>, color: RGBColor, width: u32) -> Mark {
    Mark::Line {
        pts,
        color,
        alpha: 1.0,
        width,
    }
}

/// Clipped polyline marks.
fn clipped_lines(pts: &[(f64, f64)], plot: &Rect, color: RGBColor, width: u32) -> Vec<Mark> {
    clip_polyline(pts, plot)
        .into_iter()
        .map(|run| line(run, color, width))
        .collect()
}

/// A vertical whisker from `lo` to `hi` (pixels) at `x`, with caps where `cap_lo`/`cap_hi`.
fn whisker(
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
fn union_names<'a>(names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in names {
        if !out.iter().any(|o| o == n) {
            out.push(n.to_owned());
        }
    }
    out
}

/// Names in `palette` order first, then the others in order of appearance.
fn palette_order(palette: &[String], present: &[String]) -> Vec<String> {
    let mut order = palette.to_vec();
    for n in present {
        if !order.contains(n) {
            order.push(n.clone());
        }
    }
    order
}

fn cut_note(d: Domain) -> String {
    match d {
        Domain::Unit => "Intervals clipped to [0, 1].".to_owned(),
        Domain::NonNegative => "Intervals clipped at 0.".to_owned(),
        Domain::Real => String::new(),
    }
}

fn subtitle_with(spec: &ChartSpec, extra: &str) -> String {
    match (spec.subtitle.is_empty(), extra.is_empty()) {
        (_, true) => spec.subtitle.clone(),
        (true, false) => extra.to_owned(),
        (false, false) => format!("{} {extra}", spec.subtitle),
    }
}

// ---------------------------------------------------------------------------------------
// Line charts, error-bar lines, facets, dots

/// A point after clamping to the domain: `(x, y, interval, cut ends)`.
#[derive(Clone, Copy)]
struct Clamped {
    x: f64,
    y: f64,
    iv: Option<(f64, f64)>,
    cut: (bool, bool),
}

fn clamp_point(p: &Point, d: Domain) -> Clamped {
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
fn finite_runs(points: &[Clamped]) -> Vec<Vec<Clamped>> {
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

// ---------------------------------------------------------------------------------------
// Scatter

fn finite_interval(i: Option<(f64, f64)>) -> Option<(f64, f64)> {
    i.filter(|(a, b)| a.is_finite() && b.is_finite())
}

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
type Leader = ((f64, f64), (f64, f64));

/// A box for `label` near the marker at `at`, inside `plot`, avoiding `obstacles` and
/// `placed` labels: rings of growing distance, eight directions each. Returns the box and,
/// when it is not next to the marker, a leader line from the marker to the box.
fn place_label(
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

// ---------------------------------------------------------------------------------------
// Bars

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

// ---------------------------------------------------------------------------------------
// CDF

/// The step polyline of one ECDF in data coordinates (only positive x when `log_x`).
fn cdf_steps(values: &[f64], log_x: bool) -> Vec<(f64, f64)> {
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

#[cfg(test)]
mod tests;
