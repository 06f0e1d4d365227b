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

mod common;
use common::*;
mod lines;
pub use lines::*;
mod scatter;
pub use scatter::*;
mod bars;
pub use bars::*;
/// Width and height of a single-plot chart, in pixels (PNG) or user units (SVG).
pub const CHART_SIZE: (u32, u32) = (1200, 800);

const LINE_WIDTH: u32 = 3;
/// Above this many points in one series, line charts draw no markers (they would merge).
const MAX_MARKED_POINTS: usize = 40;
/// Above this many steps, a CDF is thinned to this many (invisible at 1200 px).
const MAX_CDF_STEPS: usize = 4000;

static DEJAVU_SANS: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
static DEJAVU_SANS_BOLD: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans-Bold.ttf");

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

#[cfg(test)]
mod tests;
