//! Publication charts: every function writes `<stem>.png` and `<stem>.svg`.
//!
//! The charts take plain data (series of points, categories with values, raw samples) and
//! never compute simulation results themselves; pair them with [`super::stats`] to get
//! means and confidence intervals across replications.
//!
//! Conventions shared by all charts:
//!
//! * **Size and type.** 1200 × 800 px; titles 32 px bold, axis titles 26 px, tick labels,
//!   legends and point labels 23 px (em sizes), so text stays legible when the figure is
//!   scaled to a single paper column.
//! * **Fonts.** DejaVu Sans is embedded with `include_bytes!` (licence in
//!   `assets/fonts/LICENSE-DejaVu.txt`) and registered once with plotters' `ab_glyph`
//!   backend, so PNG text never depends on the fonts of the machine. SVG files name the
//!   `sans-serif` family and let the viewer render it.
//! * **Colours and markers.** Series `i` gets colour `OKABE_ITO[i % 8]` (the colour-blind-safe
//!   Okabe–Ito palette, reordered so that the strongest colours come first) and marker shape
//!   `i % 8`, so the same order of series names gives the same look in every chart.
//! * **Missing data.** Points with a NaN (or infinite) coordinate are skipped and break the
//!   line; NaN interval bounds are not drawn. A chart without any drawable point is still
//!   written, with a "no data" note, so that a pipeline never stops on a figure.
//! * **Legends** are drawn on a white box with a border, in whichever corner of the plot
//!   covers the fewest data pixels (upper right on a tie).
//!
//! This module must not run simulations, print, or panic on data: every failure is a
//! [`ChartError`].

use std::ffi::OsString;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use thiserror::Error;

use super::stats::ecdf;

/// Width and height of every chart, in pixels (PNG) or user units (SVG).
pub const CHART_SIZE: (u32, u32) = (1200, 800);

// Plotters' font sizes are nominal: the em size actually rendered is `size / 1.24` (that is
// what it writes into SVG files), so these give 32, 26, 23 and 23 px em sizes.
const TITLE_PX: u32 = 40;
const AXIS_TITLE_PX: u32 = 32;
const TICK_PX: u32 = 28;
const LEGEND_PX: u32 = 28;
const LINE_WIDTH: u32 = 3;
const MARKER_PX: i32 = 7;
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

/// Titles and optional fixed range shared by all chart functions.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChartSpec {
    /// Chart title, drawn above the plot.
    pub title: String,
    /// Horizontal axis title; include the unit, e.g. `"payment amount (sat)"`.
    pub x_label: String,
    /// Vertical axis title; include the unit.
    pub y_label: String,
    /// Fixed vertical range `(min, max)`; `None` fits the data (with a small margin,
    /// rounded to tick values). Ignored if not finite or if `min >= max`.
    pub y_range: Option<(f64, f64)>,
}

impl ChartSpec {
    /// A spec with the given titles and an automatic vertical range.
    pub fn new(title: &str, x_label: &str, y_label: &str) -> ChartSpec {
        ChartSpec {
            title: title.to_owned(),
            x_label: x_label.to_owned(),
            y_label: y_label.to_owned(),
            y_range: None,
        }
    }

    /// The same spec with a fixed vertical range.
    pub fn with_y_range(mut self, min: f64, max: f64) -> ChartSpec {
        self.y_range = Some((min, max));
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
    render(
        stem.as_ref(),
        &LinesFigure {
            spec,
            series,
            style: LineStyle::Band,
        },
    )
}

/// Metric against a swept parameter: one line per series with an error bar (`lo`..`hi`,
/// with caps) at each point.
///
/// With several series, points are shifted horizontally by up to ±1.5 % of the x span so
/// that error bars at the same parameter value do not hide each other (the usual "dodge";
/// the shift is the same for every point of a series).
///
/// Writes `<stem>.png` and `<stem>.svg`. Errors: [`ChartError`] on I/O failure.
pub fn errorbar_lines(
    stem: impl AsRef<Path>,
    spec: &ChartSpec,
    series: &[Series],
) -> Result<(), ChartError> {
    render(
        stem.as_ref(),
        &LinesFigure {
            spec,
            series,
            style: LineStyle::ErrorBars,
        },
    )
}

/// Scatter plot of labelled points with optional horizontal and vertical error bars,
/// e.g. success ratio against rebalancing cost with one point per strategy. Each point
/// gets its own colour and marker, and its label is written beside it (placed to avoid
/// the other points and labels where possible); there is no separate legend.
///
/// Writes `<stem>.png` and `<stem>.svg`. Errors: [`ChartError`] on I/O failure.
pub fn scatter_chart(
    stem: impl AsRef<Path>,
    spec: &ChartSpec,
    points: &[LabelledPoint],
) -> Result<(), ChartError> {
    render(stem.as_ref(), &ScatterFigure { spec, points })
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
    render(
        stem.as_ref(),
        &BarFigure {
            spec,
            categories,
            groups,
        },
    )
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
    render(
        stem.as_ref(),
        &CdfFigure {
            spec,
            series,
            log_x,
        },
    )
}

// ---------------------------------------------------------------------------------------
// Rendering to both formats

/// Plotters' error, turned into text (the backend error types differ per format).
struct DrawFail(String);

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for DrawFail {
    fn from(e: DrawingAreaErrorKind<E>) -> Self {
        DrawFail(e.to_string())
    }
}

/// A chart that can draw itself on any plotters backend.
trait Figure {
    fn draw<'a, DB: DrawingBackend + 'a>(
        &self,
        root: &'a DrawingArea<DB, Shift>,
    ) -> Result<(), DrawFail>;
}

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

fn render(stem: &Path, figure: &impl Figure) -> Result<(), ChartError> {
    register_fonts()?;
    if let Some(dir) = stem.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| ChartError::CreateDir {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    let png = with_suffix(stem, "png");
    let fail = |path: &Path| {
        let path = path.to_path_buf();
        move |e: DrawFail| ChartError::Draw { path, message: e.0 }
    };
    {
        let root = BitMapBackend::new(&png, CHART_SIZE).into_drawing_area();
        figure.draw(&root).map_err(fail(&png))?;
        root.present().map_err(DrawFail::from).map_err(fail(&png))?;
    }
    let svg = with_suffix(stem, "svg");
    {
        let root = SVGBackend::new(&svg, CHART_SIZE).into_drawing_area();
        figure.draw(&root).map_err(fail(&svg))?;
        root.present().map_err(DrawFail::from).map_err(fail(&svg))?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Axes

/// How tick values are written.
#[derive(Clone)]
enum TickFormat {
    /// Plain numbers with this many decimals (scientific for very large/small values).
    Number(usize),
    /// The axis holds log10 of the data; ticks are written as the data value.
    Log10,
    /// Tick `i` is category `i`.
    Categories(Vec<String>),
}

/// One axis: its range, the tick positions and how to write them.
#[derive(Clone)]
struct Axis {
    range: Range<f64>,
    ticks: Vec<f64>,
    format: TickFormat,
}

impl Axis {
    /// A linear axis covering `[lo, hi]` with a small margin, extended to round ticks.
    fn fit(lo: f64, hi: f64) -> Axis {
        let (lo, hi) = match (lo.is_finite(), hi.is_finite()) {
            (true, true) if lo < hi => (lo, hi),
            (true, true) => {
                // A single value: centre it in a unit-ish window.
                let w = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
                (lo - w, lo + w)
            }
            _ => (0.0, 1.0),
        };
        let pad = (hi - lo) * 0.04;
        let step = nice_step((hi - lo + 2.0 * pad) / 6.0);
        // Extend the padded range to the next tick when that costs less than half a step,
        // and never across zero (non-negative data get no negative tick).
        let snap = |v: f64, snapped: f64, data: f64| {
            let crosses_zero = (data >= 0.0) != (snapped >= 0.0) && snapped != 0.0;
            if (snapped - v).abs() <= 0.5 * step && !crosses_zero {
                snapped
            } else {
                v
            }
        };
        let (plo, phi) = (lo - pad, hi + pad);
        let plo = if lo >= 0.0 && plo < 0.0 {
            plo.max(-pad)
        } else {
            plo
        };
        let new_lo = snap(plo, (plo / step).floor() * step, lo);
        let new_hi = snap(phi, (phi / step).ceil() * step, hi);
        let (lo, hi) = (new_lo, new_hi);
        Axis::with_step(lo, hi, step)
    }

    /// A linear axis with exactly this range and ticks at round numbers inside it.
    fn exact(lo: f64, hi: f64) -> Axis {
        let step = nice_step((hi - lo) / 6.0);
        Axis::with_step(lo, hi, step)
    }

    fn with_step(lo: f64, hi: f64, step: f64) -> Axis {
        let first = (lo / step - 1e-9).ceil() as i64;
        let last = (hi / step + 1e-9).floor() as i64;
        let ticks: Vec<f64> = (first..=last)
            .map(|k| k as f64 * step)
            .map(|v| if v == 0.0 { 0.0 } else { v })
            .collect();
        let decimals = if step >= 1.0 {
            0
        } else {
            (-step.log10() - 1e-9).ceil() as usize
        };
        Axis {
            range: lo..hi,
            ticks,
            format: TickFormat::Number(decimals),
        }
    }

    /// A log10 axis for positive data in `[lo, hi]`; the coordinates are log10 values.
    fn log10(lo: f64, hi: f64) -> Axis {
        let (a, b) = if lo > 0.0 && hi.is_finite() && lo < hi {
            (lo.log10(), hi.log10())
        } else if lo > 0.0 && lo.is_finite() {
            (lo.log10() - 0.5, lo.log10() + 0.5)
        } else {
            (0.0, 1.0)
        };
        let pad = 0.03 * (b - a);
        let (a, b) = (a - pad, b + pad);
        let decades: Vec<f64> = ((a.ceil() as i64)..=(b.floor() as i64))
            .map(|k| k as f64)
            .collect();
        // Few decades in view: also mark 2× and 5×.
        let mut ticks = Vec::new();
        let dense = decades.len() < 3;
        for k in (a.floor() as i64)..=(b.ceil() as i64) {
            let k = k as f64;
            let candidates: &[f64] = if dense { &[1.0, 2.0, 5.0] } else { &[1.0] };
            for m in candidates {
                let t = k + m.log10();
                if t >= a && t <= b {
                    ticks.push(t);
                }
            }
        }
        Axis {
            range: a..b,
            ticks,
            format: TickFormat::Log10,
        }
    }

    fn categories(names: &[String]) -> Axis {
        let n = names.len().max(1) as f64;
        Axis {
            range: -0.5..n - 0.5,
            ticks: (0..names.len()).map(|i| i as f64).collect(),
            format: TickFormat::Categories(names.to_vec()),
        }
    }

    fn label(&self, v: f64) -> String {
        match &self.format {
            TickFormat::Number(decimals) => format_number(v, *decimals),
            TickFormat::Log10 => {
                let x = 10f64.powf(v);
                let k = v.round();
                if (v - k).abs() < 1e-9 && !(-3.0..=5.0).contains(&k) {
                    format!("1e{}", k as i64)
                } else {
                    // Enough decimals for 0.002 and friends, none for 2000.
                    let decimals = if x >= 1.0 {
                        0
                    } else {
                        (-x.log10() - 1e-9).ceil() as usize
                    };
                    format_number(x, decimals)
                }
            }
            TickFormat::Categories(names) => {
                let i = v.round();
                if (v - i).abs() < 1e-6 && i >= 0.0 {
                    names.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            }
        }
    }

    fn span(&self) -> f64 {
        self.range.end - self.range.start
    }
}

/// 1, 2 or 5 times a power of ten, close to `raw`.
fn nice_step(raw: f64) -> f64 {
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

fn format_number(v: f64, decimals: usize) -> String {
    let a = v.abs();
    if a != 0.0 && !(1e-4..1e7).contains(&a) {
        return format!("{v:.1e}");
    }
    if decimals == 0 && a >= 1_000.0 {
        // Thousands separator (thin space would not survive every viewer; use a comma).
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
    format!("{v:.decimals$}")
}

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
fn y_axis(spec: &ChartSpec, data: Option<(f64, f64)>) -> Axis {
    match spec.y_range {
        Some((lo, hi)) if lo.is_finite() && hi.is_finite() && lo < hi => Axis::exact(lo, hi),
        _ => match data {
            Some((lo, hi)) => Axis::fit(lo, hi),
            None => Axis::fit(0.0, 1.0),
        },
    }
}

/// A linear plotters coordinate whose ticks are exactly the ones we computed (plotters'
/// own tick choice cannot be told to use category positions or log decades).
struct TickCoord {
    range: Range<f64>,
    ticks: Vec<f64>,
}

impl TickCoord {
    fn new(axis: &Axis) -> TickCoord {
        TickCoord {
            range: axis.range.clone(),
            ticks: axis.ticks.clone(),
        }
    }
}

impl Ranged for TickCoord {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = self.range.end - self.range.start;
        let t = if span > 0.0 {
            (value - self.range.start) / span
        } else {
            0.5
        };
        // Far-away values saturate instead of overflowing (`as` saturates).
        let px = f64::from(limit.0) + t * f64::from(limit.1 - limit.0);
        px.round().clamp(-1e6, 1e6) as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.range.clone()
    }
}

type Coord = Cartesian2d<TickCoord, TickCoord>;
type Chart<'a, DB> = ChartContext<'a, DB, Coord>;

fn font(px: u32) -> TextStyle<'static> {
    ("sans-serif", px).into_font().into()
}

/// Title, axes, grid and tick labels; returns the chart to draw series on.
fn frame<'a, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    spec: &ChartSpec,
    x: &Axis,
    y: &Axis,
    vertical_grid: bool,
) -> Result<Chart<'a, DB>, DrawFail> {
    root.fill(&WHITE)?;
    // Not `.into_font().style(Bold)`: plotters keeps the regular glyphs on a restyle.
    let title =
        FontDesc::new(FontFamily::SansSerif, f64::from(TITLE_PX), FontStyle::Bold).color(&BLACK);
    // Room for the widest tick label on the vertical axis, plus the rotated axis title.
    let widest = y
        .ticks
        .iter()
        .map(|&t| root.estimate_text_size(&y.label(t), &font(TICK_PX)))
        .map(|r| r.map(|(w, _)| w).unwrap_or(60))
        .max()
        .unwrap_or(40);
    let mut chart = ChartBuilder::on(root)
        .caption(&spec.title, title)
        .margin(24)
        .margin_right(56)
        .x_label_area_size(AXIS_TITLE_PX + TICK_PX + 40)
        .y_label_area_size(widest + AXIS_TITLE_PX + 36)
        .build_cartesian_2d(TickCoord::new(x), TickCoord::new(y))?;
    let x_fmt = |v: &f64| x.label(*v);
    let y_fmt = |v: &f64| y.label(*v);
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(spec.x_label.as_str())
        .y_desc(spec.y_label.as_str())
        .axis_desc_style(font(AXIS_TITLE_PX))
        .label_style(font(TICK_PX))
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(TRANSPARENT)
        .axis_style(BLACK.stroke_width(2))
        .set_all_tick_mark_size(8);
    if !vertical_grid {
        mesh.disable_x_mesh();
    }
    mesh.draw()?;
    Ok(chart)
}

/// Writes "no data" in the middle of the plot area.
fn no_data_note<DB: DrawingBackend>(chart: &Chart<'_, DB>) -> Result<(), DrawFail> {
    let area = chart.plotting_area().strip_coord_spec();
    let (w, h) = area.dim_in_pixel();
    let style = ("sans-serif", AXIS_TITLE_PX)
        .into_font()
        .color(&BLACK.mix(0.6))
        .pos(Pos::new(HPos::Center, VPos::Center));
    area.draw(&Text::new("no data", (w as i32 / 2, h as i32 / 2), style))?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Markers and legends

/// The short line drawn through a legend marker: (points, style, marker offset). Data
/// markers get an invisible, empty line (plotters skips fully transparent paths).
fn marker_line(color: RGBColor, legend: bool) -> (Vec<(i32, i32)>, ShapeStyle, i32) {
    if legend {
        (vec![(0, 0), (44, 0)], color.stroke_width(LINE_WIDTH), 22)
    } else {
        (Vec::new(), TRANSPARENT.into(), 0)
    }
}

/// Runs `$body` with `$mk` bound to a closure `|at| element` that draws marker shape
/// `$shape % 8` in `$color` at `at` (data or pixel coordinates), preceded by the line
/// `$line` (see [`marker_line`]). A macro because each shape is a different element type and
/// plotters' type-erased elements would force `'static` backends.
macro_rules! with_marker {
    ($shape:expr, $color:expr, $line:expr, |$mk:ident| $body:expr) => {{
        let s: i32 = MARKER_PX;
        let color: RGBColor = $color;
        let (line_pts, line_style, dx): (Vec<(i32, i32)>, ShapeStyle, i32) = $line;
        let fill = color.filled();
        let stroke = color.stroke_width(LINE_WIDTH);
        let line = move || PathElement::new(line_pts.clone(), line_style);
        match $shape % 8 {
            0 => {
                let $mk = move |p| EmptyElement::at(p) + line() + Circle::new((dx, 0), s, fill);
                $body
            }
            1 => {
                let $mk = move |p| {
                    EmptyElement::at(p)
                        + line()
                        + Rectangle::new([(dx - s + 1, -s + 1), (dx + s - 1, s - 1)], fill)
                };
                $body
            }
            2 => {
                let $mk = move |p| {
                    EmptyElement::at(p)
                        + line()
                        + Polygon::new(vec![(dx, -s - 1), (dx + s + 1, s), (dx - s - 1, s)], fill)
                };
                $body
            }
            3 => {
                let $mk = move |p| {
                    EmptyElement::at(p)
                        + line()
                        + Polygon::new(
                            vec![(dx, -s - 2), (dx + s + 1, 0), (dx, s + 2), (dx - s - 1, 0)],
                            fill,
                        )
                };
                $body
            }
            4 => {
                let $mk = move |p| {
                    EmptyElement::at(p)
                        + line()
                        + Polygon::new(vec![(dx, s + 1), (dx + s + 1, -s), (dx - s - 1, -s)], fill)
                };
                $body
            }
            5 => {
                let $mk = move |p| {
                    EmptyElement::at(p)
                        + line()
                        + Circle::new((dx, 0), s, WHITE.filled())
                        + Circle::new((dx, 0), s, color.stroke_width(3))
                };
                $body
            }
            6 => {
                let $mk = move |p| {
                    EmptyElement::at(p)
                        + line()
                        + Rectangle::new(
                            [(dx - s + 1, -s + 1), (dx + s - 1, s - 1)],
                            WHITE.filled(),
                        )
                        + Rectangle::new(
                            [(dx - s + 1, -s + 1), (dx + s - 1, s - 1)],
                            color.stroke_width(3),
                        )
                };
                $body
            }
            _ => {
                let $mk = move |p| {
                    EmptyElement::at(p)
                        + line()
                        + PathElement::new(vec![(dx - s, -s), (dx + s, s)], stroke)
                        + PathElement::new(vec![(dx - s, s), (dx + s, -s)], stroke)
                };
                $body
            }
        }
    }};
}

/// Pixels (relative to the plot area) covered by data, used to place the legend.
#[derive(Default)]
struct Occupancy {
    pixels: Vec<(i32, i32)>,
}

impl Occupancy {
    /// Records the polyline through `pts` (data coordinates), sampled every few pixels.
    fn add_path<DB: DrawingBackend>(&mut self, chart: &Chart<'_, DB>, pts: &[(f64, f64)]) {
        let (xr, yr) = chart.plotting_area().get_pixel_range();
        let px: Vec<(i32, i32)> = pts
            .iter()
            .map(|p| {
                let (x, y) = chart.backend_coord(p);
                (x - xr.start, y - yr.start)
            })
            .collect();
        if let Some(&first) = px.first() {
            self.pixels.push(first);
        }
        for w in px.windows(2) {
            let (a, b) = (w[0], w[1]);
            let len = (b.0 - a.0).abs().max((b.1 - a.1).abs()).min(5_000);
            let steps = (len / 4).max(1);
            for k in 1..=steps {
                let t = f64::from(k) / f64::from(steps);
                self.pixels.push((
                    a.0 + (f64::from(b.0 - a.0) * t) as i32,
                    a.1 + (f64::from(b.1 - a.1) * t) as i32,
                ));
            }
        }
    }

    fn count_in(&self, x0: i32, y0: i32, x1: i32, y1: i32) -> usize {
        self.pixels
            .iter()
            .filter(|&&(x, y)| x >= x0 && x <= x1 && y >= y0 && y <= y1)
            .count()
    }
}

/// Draws the legend of the labelled series in the emptiest corner of the plot.
fn draw_legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    root: &DrawingArea<DB, Shift>,
    names: &[&str],
    occupied: &Occupancy,
) -> Result<(), DrawFail> {
    if names.is_empty() {
        return Ok(());
    }
    const MARGIN: i32 = 12;
    const GLYPH_AREA: i32 = 64;
    const INSET: i32 = 14;
    let text_w = names
        .iter()
        .map(|n| root.estimate_text_size(n, &font(LEGEND_PX)))
        .map(|r| r.map(|(w, _)| w as i32).unwrap_or(200))
        .max()
        .unwrap_or(0);
    let w = text_w + GLYPH_AREA + 2 * MARGIN;
    let h = names.len() as i32 * (LEGEND_PX as i32 + 6) + 2 * MARGIN;
    let (pw, ph) = chart.plotting_area().dim_in_pixel();
    let (pw, ph) = (pw as i32, ph as i32);
    let corners = [
        (pw - w - INSET, INSET),
        (INSET, INSET),
        (pw - w - INSET, ph - h - INSET),
        (INSET, ph - h - INSET),
    ];
    let (mut best, mut best_count) = (corners[0], usize::MAX);
    for &(x, y) in &corners {
        // A little slack around the box: data touching the border also looks crowded.
        let c = occupied.count_in(x - 8, y - 8, x + w + 8, y + h + 8);
        if c < best_count {
            best = (x, y);
            best_count = c;
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::Coordinate(
            best.0.max(0),
            best.1.max(0),
        ))
        .margin(MARGIN as u32)
        .legend_area_size(GLYPH_AREA as u32)
        .label_font(font(LEGEND_PX))
        .background_style(WHITE.mix(0.92))
        .border_style(BLACK.mix(0.6))
        .draw()?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Clipping. Plotters clamps out-of-range coordinates onto the frame (which would draw a
// false plateau), so everything is clipped to the vertical range in data space first.

/// `pts` with a vertex inserted wherever a segment crosses one of `levels`.
fn densify(pts: &[(f64, f64)], levels: [f64; 2]) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(pts.len());
    for (k, &b) in pts.iter().enumerate() {
        if k > 0 {
            let a = pts[k - 1];
            let mut cuts: Vec<f64> = levels
                .iter()
                .filter(|&&l| (a.1 - l) * (b.1 - l) < 0.0)
                .map(|&l| (l - a.1) / (b.1 - a.1))
                .collect();
            cuts.sort_by(f64::total_cmp);
            out.extend(
                cuts.into_iter()
                    .map(|t| (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1))),
            );
        }
        out.push(b);
    }
    out
}

/// The parts of the polyline `pts` inside `lo <= y <= hi`.
fn clip_polyline(pts: &[(f64, f64)], lo: f64, hi: f64) -> Vec<Vec<(f64, f64)>> {
    let tol = 1e-9 * (hi - lo).abs().max(f64::MIN_POSITIVE);
    let inside = |y: f64| y >= lo - tol && y <= hi + tol;
    let dense = densify(pts, [lo, hi]);
    let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut cur: Vec<(f64, f64)> = Vec::new();
    if dense.len() == 1 && inside(dense[0].1) {
        return vec![dense];
    }
    for w in dense.windows(2) {
        if inside(0.5 * (w[0].1 + w[1].1)) {
            if cur.is_empty() {
                cur.push(w[0]);
            }
            cur.push(w[1]);
        } else if !cur.is_empty() {
            runs.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        runs.push(cur);
    }
    runs
}

/// `pts` clipped to the slab `lo <= y <= hi` by clamping after inserting the crossings
/// (exact for the region between two polylines).
fn clamp_polyline(pts: &[(f64, f64)], lo: f64, hi: f64) -> Vec<(f64, f64)> {
    densify(pts, [lo, hi])
        .into_iter()
        .map(|(x, y)| (x, y.clamp(lo, hi)))
        .collect()
}

// ---------------------------------------------------------------------------------------
// Line charts and error-bar lines

#[derive(Clone, Copy, PartialEq)]
enum LineStyle {
    Band,
    ErrorBars,
}

struct LinesFigure<'s> {
    spec: &'s ChartSpec,
    series: &'s [Series],
    style: LineStyle,
}

/// Maximal runs of consecutive points with finite `x` and `y`.
fn finite_runs(points: &[Point]) -> Vec<Vec<Point>> {
    let mut runs = Vec::new();
    let mut cur: Vec<Point> = Vec::new();
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

impl Figure for LinesFigure<'_> {
    fn draw<'a, DB: DrawingBackend + 'a>(
        &self,
        root: &'a DrawingArea<DB, Shift>,
    ) -> Result<(), DrawFail> {
        let all = || self.series.iter().flat_map(|s| s.points.iter());
        let drawable = || all().filter(|p| p.x.is_finite() && p.y.is_finite());
        let x_ext = extent(drawable().map(|p| p.x));
        let y_ext = extent(drawable().flat_map(|p| {
            let (lo, hi) = p.interval().unwrap_or((p.y, p.y));
            [p.y, lo, hi]
        }));
        let x = match x_ext {
            Some((lo, hi)) => Axis::fit(lo, hi),
            None => Axis::fit(0.0, 1.0),
        };
        let y = y_axis(self.spec, y_ext);
        let mut chart = frame(root, self.spec, &x, &y, true)?;
        let mut occupied = Occupancy::default();
        let m = self.series.len();
        let dodge = |j: usize| match self.style {
            LineStyle::ErrorBars if m > 1 => {
                (j as f64 - (m - 1) as f64 / 2.0) * (0.03 * x.span() / (m - 1) as f64)
            }
            _ => 0.0,
        };

        // Bands first, so that every line is drawn over every band.
        if self.style == LineStyle::Band {
            for (j, s) in self.series.iter().enumerate() {
                let color = series_color(j);
                for run in finite_runs(&s.points) {
                    for band in run.split(|p| p.interval().is_none()) {
                        if band.len() < 2 {
                            continue;
                        }
                        let upper: Vec<(f64, f64)> = band
                            .iter()
                            .filter_map(|p| p.interval().map(|i| (p.x, i.1)))
                            .collect();
                        let lower: Vec<(f64, f64)> = band
                            .iter()
                            .filter_map(|p| p.interval().map(|i| (p.x, i.0)))
                            .collect();
                        let (ylo, yhi) = (y.range.start, y.range.end);
                        let mut poly = clamp_polyline(&upper, ylo, yhi);
                        poly.extend(clamp_polyline(&lower, ylo, yhi).into_iter().rev());
                        chart.draw_series(std::iter::once(Polygon::new(
                            poly,
                            color.mix(0.18).filled(),
                        )))?;
                    }
                }
            }
        }

        for (j, s) in self.series.iter().enumerate() {
            let color = series_color(j);
            let dx = dodge(j);
            let runs = finite_runs(&s.points);
            let n_points: usize = runs.iter().map(Vec::len).sum();
            let marked = self.style == LineStyle::ErrorBars || n_points <= MAX_MARKED_POINTS;
            if self.style == LineStyle::ErrorBars {
                let whisker = color.stroke_width(2);
                let (ylo, yhi) = (y.range.start, y.range.end);
                for p in runs.iter().flatten() {
                    if let Some((lo, hi)) = p.interval() {
                        let xx = p.x + dx;
                        if hi < ylo || lo > yhi {
                            continue;
                        }
                        // A whisker cut by the frame gets no cap at the cut end.
                        let caps: Vec<f64> = [lo, hi]
                            .into_iter()
                            .filter(|v| (ylo..=yhi).contains(v))
                            .collect();
                        let (lo, hi) = (lo.max(ylo), hi.min(yhi));
                        chart.draw_series(std::iter::once(PathElement::new(
                            vec![(xx, lo), (xx, hi)],
                            whisker,
                        )))?;
                        chart.draw_series(caps.into_iter().map(|v| {
                            EmptyElement::at((xx, v))
                                + PathElement::new(vec![(-9, 0), (9, 0)], whisker)
                        }))?;
                        occupied.add_path(&chart, &[(xx, lo), (xx, hi)]);
                    }
                }
            }
            // The legend entry hangs on an always-present (possibly empty) line series.
            let anno = chart.draw_series(LineSeries::new(
                std::iter::empty::<(f64, f64)>(),
                color.stroke_width(LINE_WIDTH),
            ))?;
            let legend_marker = if marked { j } else { usize::MAX };
            if legend_marker == usize::MAX {
                let line = color.stroke_width(LINE_WIDTH);
                anno.label(s.name.as_str())
                    .legend(move |(px, py)| PathElement::new(vec![(px, py), (px + 44, py)], line));
            } else {
                with_marker!(legend_marker, color, marker_line(color, true), |mk| {
                    anno.label(s.name.as_str()).legend(mk);
                });
            }
            for run in &runs {
                let pts: Vec<(f64, f64)> = run.iter().map(|p| (p.x + dx, p.y)).collect();
                for part in clip_polyline(&pts, y.range.start, y.range.end) {
                    occupied.add_path(&chart, &part);
                    chart.draw_series(LineSeries::new(part, color.stroke_width(LINE_WIDTH)))?;
                }
                if marked {
                    let shown: Vec<(f64, f64)> = pts
                        .into_iter()
                        .filter(|q| y.range.contains(&q.1) || q.1 == y.range.end)
                        .collect();
                    with_marker!(j, color, marker_line(color, false), |mk| {
                        chart.draw_series(shown.iter().map(|&q| mk(q)))?;
                    });
                }
            }
        }
        if x_ext.is_none() {
            no_data_note(&chart)?;
        }
        let names: Vec<&str> = self.series.iter().map(|s| s.name.as_str()).collect();
        draw_legend(&mut chart, root, &names, &occupied)
    }
}

// ---------------------------------------------------------------------------------------
// Scatter chart

struct ScatterFigure<'s> {
    spec: &'s ChartSpec,
    points: &'s [LabelledPoint],
}

fn finite_interval(i: Option<(f64, f64)>) -> Option<(f64, f64)> {
    i.filter(|(a, b)| a.is_finite() && b.is_finite())
}

impl Figure for ScatterFigure<'_> {
    fn draw<'a, DB: DrawingBackend + 'a>(
        &self,
        root: &'a DrawingArea<DB, Shift>,
    ) -> Result<(), DrawFail> {
        let drawable: Vec<(usize, &LabelledPoint)> = self
            .points
            .iter()
            .enumerate()
            .filter(|(_, p)| p.x.is_finite() && p.y.is_finite())
            .collect();
        let x_ext = extent(drawable.iter().flat_map(|(_, p)| {
            let (lo, hi) = finite_interval(p.x_interval).unwrap_or((p.x, p.x));
            [p.x, lo, hi]
        }));
        let y_ext = extent(drawable.iter().flat_map(|(_, p)| {
            let (lo, hi) = finite_interval(p.y_interval).unwrap_or((p.y, p.y));
            [p.y, lo, hi]
        }));
        // Labels need room: widen the horizontal range a little more than usual.
        let x = match x_ext {
            Some((lo, hi)) => {
                let pad = (hi - lo) * 0.08;
                let padded_lo = if lo >= 0.0 {
                    (lo - pad).max(0.0)
                } else {
                    lo - pad
                };
                Axis::fit(padded_lo, hi + pad)
            }
            None => Axis::fit(0.0, 1.0),
        };
        let y = y_axis(self.spec, y_ext);
        let mut chart = frame(root, self.spec, &x, &y, true)?;

        for &(i, p) in &drawable {
            let color = series_color(i);
            let whisker = color.stroke_width(2);
            if let Some((lo, hi)) = finite_interval(p.y_interval) {
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(p.x, lo), (p.x, hi)],
                    whisker,
                )))?;
                chart.draw_series([lo, hi].into_iter().map(|v| {
                    EmptyElement::at((p.x, v)) + PathElement::new(vec![(-9, 0), (9, 0)], whisker)
                }))?;
            }
            if let Some((lo, hi)) = finite_interval(p.x_interval) {
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(lo, p.y), (hi, p.y)],
                    whisker,
                )))?;
                chart.draw_series([lo, hi].into_iter().map(|v| {
                    EmptyElement::at((v, p.y)) + PathElement::new(vec![(0, -9), (0, 9)], whisker)
                }))?;
            }
        }
        for &(i, p) in &drawable {
            let color = series_color(i);
            with_marker!(i, color, marker_line(color, false), |mk| {
                chart.draw_series(std::iter::once(mk((p.x, p.y))))?;
            });
        }

        // Labels: try four places around each point, keep the first that overlaps no
        // marker and no earlier label and stays inside the plot.
        let (xr, yr) = chart.plotting_area().get_pixel_range();
        let (pw, ph) = chart.plotting_area().dim_in_pixel();
        let to_px = |p: &LabelledPoint| {
            let (a, b) = chart.backend_coord(&(p.x, p.y));
            (a - xr.start, b - yr.start)
        };
        let markers: Vec<(i32, i32)> = drawable.iter().map(|(_, p)| to_px(p)).collect();
        let mut taken: Vec<(i32, i32, i32, i32)> = Vec::new();
        let area = chart.plotting_area().strip_coord_spec();
        for (k, &(i, p)) in drawable.iter().enumerate() {
            let style = font(LEGEND_PX);
            let (tw, th) = root
                .estimate_text_size(&p.label, &style)
                .map(|(w, h)| (w as i32, h as i32))
                .unwrap_or((200, LEGEND_PX as i32));
            let (mx, my) = markers[k];
            let gap = MARKER_PX + 6;
            let candidates = [
                (mx + gap, my - gap - th),
                (mx + gap, my + gap),
                (mx - gap - tw, my - gap - th),
                (mx - gap - tw, my + gap),
                (mx + gap, my - th / 2),
                (mx - gap - tw, my - th / 2),
            ];
            let fits = |&(x, y): &(i32, i32)| {
                let r = (x - 2, y - 2, x + tw + 2, y + th + 2);
                let inside = r.0 >= 0 && r.1 >= 0 && r.2 <= pw as i32 && r.3 <= ph as i32;
                let hits_marker = markers.iter().any(|&(a, b)| {
                    a + MARKER_PX >= r.0
                        && a - MARKER_PX <= r.2
                        && b + MARKER_PX >= r.1
                        && b - MARKER_PX <= r.3
                });
                let hits_label = taken
                    .iter()
                    .any(|t| t.0 < r.2 && r.0 < t.2 && t.1 < r.3 && r.1 < t.3);
                (inside, !hits_marker && !hits_label)
            };
            let chosen = candidates
                .iter()
                .find(|c| fits(c) == (true, true))
                .or_else(|| candidates.iter().find(|c| fits(c).0))
                .copied()
                .unwrap_or(candidates[0]);
            taken.push((chosen.0, chosen.1, chosen.0 + tw, chosen.1 + th));
            let color = darker(series_color(i));
            area.draw(&Text::new(
                p.label.clone(),
                chosen,
                style.color(&color).pos(Pos::new(HPos::Left, VPos::Top)),
            ))?;
        }
        if drawable.is_empty() {
            no_data_note(&chart)?;
        }
        Ok(())
    }
}

/// A darker shade for text in a series colour (yellow text on white is unreadable).
fn darker(c: RGBColor) -> RGBColor {
    let f = |v: u8| (f64::from(v) * 0.75) as u8;
    RGBColor(f(c.0), f(c.1), f(c.2))
}

// ---------------------------------------------------------------------------------------
// Bar chart

struct BarFigure<'s> {
    spec: &'s ChartSpec,
    categories: &'s [String],
    groups: &'s [BarGroup],
}

impl Figure for BarFigure<'_> {
    fn draw<'a, DB: DrawingBackend + 'a>(
        &self,
        root: &'a DrawingArea<DB, Shift>,
    ) -> Result<(), DrawFail> {
        let err_at = |g: &BarGroup, i: usize| {
            g.err
                .as_ref()
                .and_then(|e| e.get(i).copied())
                .filter(|e| e.is_finite())
        };
        let mut ys = vec![0.0];
        for g in self.groups {
            for (i, &v) in g.values.iter().enumerate() {
                if v.is_finite() {
                    let e = err_at(g, i).unwrap_or(0.0).abs();
                    ys.extend([v, v - e, v + e]);
                }
            }
        }
        let any_bar = self
            .groups
            .iter()
            .any(|g| g.values.iter().any(|v| v.is_finite()));
        let y_ext = extent(ys.into_iter());
        // Bars start at zero: do not pad below a zero baseline.
        let y = match (self.spec.y_range, y_ext) {
            (None, Some((lo, hi))) if lo >= 0.0 && hi > 0.0 => {
                let a = Axis::fit(0.0, hi);
                Axis::exact(0.0, a.range.end)
            }
            _ => y_axis(self.spec, y_ext),
        };
        let x = Axis::categories(self.categories);
        let mut chart = frame(root, self.spec, &x, &y, false)?;
        let mut occupied = Occupancy::default();
        let m = self.groups.len().max(1) as f64;
        let width = 0.8 / m;
        for (j, g) in self.groups.iter().enumerate() {
            let color = series_color(j);
            let left = |i: usize| i as f64 - 0.4 + j as f64 * width;
            let bars: Vec<(f64, f64, f64)> = g
                .values
                .iter()
                .enumerate()
                .filter(|(_, v)| v.is_finite())
                .map(|(i, &v)| (left(i) + 0.01, left(i) + width - 0.01, v))
                .collect();
            for &(a, b, v) in &bars {
                occupied.add_path(&chart, &[(a, 0.0), (a, v), (b, v), (b, 0.0)]);
            }
            chart
                .draw_series(
                    bars.iter()
                        .map(|&(a, b, v)| Rectangle::new([(a, 0.0), (b, v)], color.filled())),
                )?
                .label(g.name.as_str())
                .legend(move |(px, py)| {
                    Rectangle::new([(px, py - 9), (px + 40, py + 9)], color.filled())
                });
            chart.draw_series(
                bars.iter()
                    .map(|&(a, b, v)| Rectangle::new([(a, 0.0), (b, v)], BLACK.mix(0.5))),
            )?;
            for (i, &v) in g.values.iter().enumerate() {
                let Some(e) = err_at(g, i).filter(|_| v.is_finite()) else {
                    continue;
                };
                let c = left(i) + width / 2.0;
                let (lo, hi) = (v - e.abs(), v + e.abs());
                let style = BLACK.stroke_width(2);
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(c, lo), (c, hi)],
                    style,
                )))?;
                chart.draw_series([lo, hi].into_iter().map(|t| {
                    EmptyElement::at((c, t)) + PathElement::new(vec![(-8, 0), (8, 0)], style)
                }))?;
                occupied.add_path(&chart, &[(c, lo), (c, hi)]);
            }
        }
        if !any_bar {
            no_data_note(&chart)?;
        }
        let names: Vec<&str> = self.groups.iter().map(|g| g.name.as_str()).collect();
        draw_legend(&mut chart, root, &names, &occupied)
    }
}

// ---------------------------------------------------------------------------------------
// CDF chart

struct CdfFigure<'s> {
    spec: &'s ChartSpec,
    series: &'s [CdfSeries],
    log_x: bool,
}

/// The step polyline of one ECDF in axis coordinates (log10 x when `log_x`).
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
        let xx = if log_x { x.log10() } else { x };
        out.push((xx, prev_f));
        out.push((xx, f));
        prev_f = f;
    }
    out
}

impl Figure for CdfFigure<'_> {
    fn draw<'a, DB: DrawingBackend + 'a>(
        &self,
        root: &'a DrawingArea<DB, Shift>,
    ) -> Result<(), DrawFail> {
        let steps: Vec<Vec<(f64, f64)>> = self
            .series
            .iter()
            .map(|s| cdf_steps(&s.values, self.log_x))
            .collect();
        let x_ext = extent(steps.iter().flatten().map(|p| p.0));
        let x = match (x_ext, self.log_x) {
            (Some((lo, hi)), true) => Axis::log10(10f64.powf(lo), 10f64.powf(hi)),
            (Some((lo, hi)), false) => Axis::fit(lo, hi),
            (None, true) => Axis::log10(1.0, 10.0),
            (None, false) => Axis::fit(0.0, 1.0),
        };
        let y = Axis::exact(0.0, 1.0);
        let mut chart = frame(root, self.spec, &x, &y, true)?;
        let mut occupied = Occupancy::default();
        for (j, (s, pts)) in self.series.iter().zip(&steps).enumerate() {
            let color = series_color(j);
            // Close the last step at the right edge so that F = 1 reads as a plateau.
            let mut line = pts.clone();
            if let Some(&(_, f)) = line.last() {
                line.push((x.range.end, f));
            }
            occupied.add_path(&chart, &line);
            // Sparse markers where the CDF crosses a few levels (staggered per series), so
            // that lines stay distinguishable in greyscale print.
            let n_series = self.series.len().max(1) as f64;
            let marks: Vec<(f64, f64)> = [0.1, 0.3, 0.5, 0.7, 0.9]
                .iter()
                .map(|l| l + 0.08 * j as f64 / n_series)
                .filter_map(|level| {
                    let k = line.iter().position(|p| p.1 >= level)?;
                    Some((line[k].0, level))
                })
                .collect();
            let anno = chart.draw_series(LineSeries::new(line, color.stroke_width(LINE_WIDTH)))?;
            with_marker!(j, color, marker_line(color, true), |mk| {
                anno.label(s.name.as_str()).legend(mk);
            });
            with_marker!(j, color, marker_line(color, false), |mk| {
                chart.draw_series(marks.iter().map(|&q| mk(q)))?;
            });
        }
        if x_ext.is_none() {
            no_data_note(&chart)?;
        }
        let names: Vec<&str> = self.series.iter().map(|s| s.name.as_str()).collect();
        draw_legend(&mut chart, root, &names, &occupied)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Width and height from the IHDR chunk of a PNG file (bytes 16..24, big-endian).
    fn png_size(path: &Path) -> (u32, u32) {
        let bytes = std::fs::read(path).expect("png readable");
        assert_eq!(
            &bytes[..8],
            b"\x89PNG\r\n\x1a\n",
            "PNG signature of {path:?}"
        );
        assert_eq!(&bytes[12..16], b"IHDR");
        let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        (be(&bytes[16..20]), be(&bytes[20..24]))
    }

    /// Both files exist and are sane; returns the SVG text.
    fn check_outputs(stem: &Path) -> String {
        let png = with_suffix(stem, "png");
        assert_eq!(png_size(&png), CHART_SIZE);
        assert!(std::fs::metadata(&png).expect("png").len() > 1000);
        let svg = std::fs::read_to_string(with_suffix(stem, "svg")).expect("svg readable");
        assert!(svg.starts_with("<svg"), "svg header");
        assert!(svg.trim_end().ends_with("</svg>"), "svg closed");
        svg
    }

    fn spec(title: &str) -> ChartSpec {
        ChartSpec::new(title, "load (payments/s)", "success ratio")
    }

    fn two_series() -> Vec<Series> {
        vec![
            Series {
                name: "alpha-strategy".into(),
                points: (0..5)
                    .map(|i| {
                        let x = i as f64;
                        Point::with_interval(x, 0.9 - 0.1 * x, 0.85 - 0.1 * x, 0.95 - 0.1 * x)
                    })
                    .collect(),
            },
            Series {
                name: "beta-strategy".into(),
                points: (0..5).map(|i| Point::new(i as f64, 0.5)).collect(),
            },
        ]
    }

    fn nan_series() -> Vec<Series> {
        vec![
            Series {
                name: "gappy".into(),
                points: vec![
                    Point::with_interval(0.0, 1.0, f64::NAN, 2.0),
                    Point::new(f64::NAN, 2.0),
                    Point::new(2.0, f64::INFINITY),
                    Point::with_interval(3.0, 1.5, 1.0, 2.0),
                ],
            },
            Series {
                name: "empty".into(),
                points: vec![],
            },
        ]
    }

    #[test]
    fn line_chart_writes_png_and_svg_with_title_and_legend() {
        let dir = tempfile::tempdir().expect("tempdir");
        let stem = dir.path().join("sub/line");
        line_chart(&stem, &spec("Line title"), &two_series()).expect("drawn");
        let svg = check_outputs(&stem);
        for text in [
            "Line title",
            "alpha-strategy",
            "beta-strategy",
            "success ratio",
        ] {
            assert!(svg.contains(text), "svg lacks {text:?}");
        }
    }

    #[test]
    fn errorbar_lines_writes_both_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let stem = dir.path().join("eb");
        errorbar_lines(
            &stem,
            &spec("Errorbars").with_y_range(0.0, 1.0),
            &two_series(),
        )
        .expect("drawn");
        let svg = check_outputs(&stem);
        assert!(svg.contains("Errorbars") && svg.contains("alpha-strategy"));
    }

    #[test]
    fn scatter_chart_writes_labels() {
        let dir = tempfile::tempdir().expect("tempdir");
        let stem = dir.path().join("scatter");
        let pts = vec![
            LabelledPoint {
                label: "circular".into(),
                x: 100.0,
                y: 0.7,
                x_interval: Some((90.0, 110.0)),
                y_interval: Some((0.65, 0.75)),
            },
            LabelledPoint {
                label: "submarine".into(),
                x: 300.0,
                y: 0.8,
                x_interval: None,
                y_interval: Some((f64::NAN, 0.9)),
            },
            LabelledPoint {
                label: "broken".into(),
                x: f64::NAN,
                y: 0.8,
                x_interval: None,
                y_interval: None,
            },
        ];
        scatter_chart(&stem, &spec("Trade-off"), &pts).expect("drawn");
        let svg = check_outputs(&stem);
        assert!(svg.contains("Trade-off") && svg.contains("circular") && svg.contains("submarine"));
        assert!(!svg.contains("broken"), "NaN point must be skipped");
    }

    #[test]
    fn bar_chart_writes_categories_and_groups() {
        let dir = tempfile::tempdir().expect("tempdir");
        let stem = dir.path().join("bars");
        let cats: Vec<String> = vec!["none".into(), "circular".into(), "splice".into()];
        let groups = vec![
            BarGroup {
                name: "on-chain txs".into(),
                values: vec![0.0, 3.0, f64::NAN],
                err: Some(vec![0.5, f64::NAN, 1.0]),
            },
            BarGroup {
                name: "scenario B".into(),
                values: vec![1.0, -2.0, 4.0],
                err: None,
            },
        ];
        bar_chart(&stem, &spec("Bars"), &cats, &groups).expect("drawn");
        let svg = check_outputs(&stem);
        for text in [
            "Bars",
            "none",
            "circular",
            "splice",
            "on-chain txs",
            "scenario B",
        ] {
            assert!(svg.contains(text), "svg lacks {text:?}");
        }
    }

    #[test]
    fn bar_chart_rejects_ragged_groups() {
        let dir = tempfile::tempdir().expect("tempdir");
        let stem = dir.path().join("ragged");
        let cats = vec!["a".to_string(), "b".to_string()];
        let bad = vec![BarGroup {
            name: "g".into(),
            values: vec![1.0],
            err: None,
        }];
        assert!(matches!(
            bar_chart(&stem, &spec("x"), &cats, &bad),
            Err(ChartError::InvalidInput(_))
        ));
        let bad_err = vec![BarGroup {
            name: "g".into(),
            values: vec![1.0, 2.0],
            err: Some(vec![1.0]),
        }];
        assert!(bar_chart(&stem, &spec("x"), &cats, &bad_err).is_err());
        assert!(
            !with_suffix(&stem, "png").exists(),
            "nothing written on bad input"
        );
    }

    #[test]
    fn cdf_chart_linear_and_log() {
        let dir = tempfile::tempdir().expect("tempdir");
        let series = vec![
            CdfSeries {
                name: "latency A".into(),
                values: (1..500).map(|i| f64::from(i) * 1.7).collect(),
            },
            CdfSeries {
                name: "latency B".into(),
                values: vec![0.0, -1.0, 5.0, f64::NAN, 50.0, 500.0],
            },
        ];
        for log_x in [false, true] {
            let stem = dir.path().join(format!("cdf_{log_x}"));
            cdf_chart(&stem, &spec("CDF"), &series, log_x).expect("drawn");
            let svg = check_outputs(&stem);
            assert!(svg.contains("CDF") && svg.contains("latency A") && svg.contains("latency B"));
        }
    }

    #[test]
    fn empty_and_nan_inputs_do_not_panic() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = |name: &str| dir.path().join(name);
        line_chart(d("l0"), &spec("empty"), &[]).expect("empty line chart");
        assert!(check_outputs(&d("l0")).contains("no data"));
        line_chart(d("l1"), &spec("nan"), &nan_series()).expect("nan line chart");
        check_outputs(&d("l1"));
        errorbar_lines(d("e0"), &spec("empty"), &nan_series()).expect("nan errorbars");
        check_outputs(&d("e0"));
        scatter_chart(d("s0"), &spec("empty"), &[]).expect("empty scatter");
        assert!(check_outputs(&d("s0")).contains("no data"));
        bar_chart(d("b0"), &spec("empty"), &[], &[]).expect("empty bars");
        check_outputs(&d("b0"));
        let all_nan = vec![BarGroup {
            name: "nan".into(),
            values: vec![f64::NAN],
            err: None,
        }];
        bar_chart(d("b1"), &spec("nan"), &["x".to_string()], &all_nan).expect("nan bars");
        assert!(check_outputs(&d("b1")).contains("no data"));
        let nan_cdf = vec![CdfSeries {
            name: "nan".into(),
            values: vec![f64::NAN, -3.0],
        }];
        cdf_chart(d("c0"), &spec("empty"), &[], false).expect("empty cdf");
        check_outputs(&d("c0"));
        cdf_chart(d("c1"), &spec("nan"), &nan_cdf, true).expect("cdf, nothing positive");
        assert!(check_outputs(&d("c1")).contains("no data"));
        // A single point and a degenerate fixed range.
        let one = vec![Series {
            name: "one".into(),
            points: vec![Point::new(5.0, 5.0)],
        }];
        let mut bad_range = spec("one");
        bad_range.y_range = Some((1.0, 1.0));
        line_chart(d("one"), &bad_range, &one).expect("single point");
        check_outputs(&d("one"));
    }

    #[test]
    fn many_series_cycle_palette_and_markers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let series: Vec<Series> = (0..11)
            .map(|j| Series {
                name: format!("s{j}"),
                points: (0..4)
                    .map(|i| Point::new(i as f64, (i * j) as f64))
                    .collect(),
            })
            .collect();
        errorbar_lines(dir.path().join("many"), &spec("many"), &series).expect("drawn");
        assert_eq!(series_color(0), series_color(8));
        assert_ne!(series_color(0), series_color(1));
    }

    #[test]
    fn embedded_fonts_are_registered_and_bold_differs() {
        register_fonts().expect("fonts");
        let text = "Payment success ratio";
        let normal = ("sans-serif", 40.0)
            .into_font()
            .box_size(text)
            .expect("normal");
        let bold = FontDesc::new(FontFamily::SansSerif, 40.0, FontStyle::Bold)
            .box_size(text)
            .expect("bold");
        assert!(normal.0 > 100, "text has width: {normal:?}");
        assert!(
            bold.0 > normal.0,
            "bold {bold:?} wider than normal {normal:?}"
        );
    }

    #[test]
    fn clipping_cuts_lines_at_the_frame_instead_of_clamping() {
        // (0, 0) → (2, 2) clipped to 0.5..=1.5 is the piece (0.5, 0.5) → (1.5, 1.5).
        let runs = clip_polyline(&[(0.0, 0.0), (2.0, 2.0)], 0.5, 1.5);
        assert_eq!(runs, vec![vec![(0.5, 0.5), (1.5, 1.5)]]);
        // A line that leaves and re-enters gives two runs.
        let runs = clip_polyline(&[(0.0, 1.0), (1.0, 3.0), (2.0, 1.0)], 0.0, 2.0);
        assert_eq!(runs.len(), 2);
        let band = clamp_polyline(&[(0.0, 0.0), (2.0, 2.0)], 0.5, 1.5);
        assert_eq!(band, vec![(0.0, 0.5), (0.5, 0.5), (1.5, 1.5), (2.0, 1.5)]);
    }

    #[test]
    fn ticks_are_round_and_cover_the_data() {
        let a = Axis::fit(0.1, 0.94);
        assert!(a.range.start <= 0.1 && a.range.end >= 0.94);
        assert_eq!(a.label(0.2), "0.2");
        let b = Axis::fit(0.0, 9100.0);
        assert!(
            b.range.start >= -400.0,
            "no big negative margin: {:?}",
            b.range
        );
        assert_eq!(b.label(2000.0), "2,000");
        let l = Axis::log10(9.0, 4000.0);
        assert!(l.ticks.contains(&1.0) && l.ticks.contains(&3.0));
        assert_eq!(l.label(3.0), "1,000");
        assert_eq!(l.label(-2.0), "0.01");
        let c = Axis::categories(&["a".to_string(), "b".to_string()]);
        assert_eq!(
            (c.label(1.0), c.label(0.5)),
            ("b".to_string(), String::new())
        );
        assert_eq!(format_number(-12_345.0, 0), "-12,345");
        assert_eq!(format_number(0.25, 2), "0.25");
    }
}
