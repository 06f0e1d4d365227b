//! Reporting: turns result tables into statistics and charts.
//!
//! This layer sits at the end of the pipeline (scenario → network and workload → engine →
//! metrics → **report**). It takes plain numbers that the metrics layer or a CSV reader
//! produced and turns them into
//!
//! * [`stats`]: summaries across replications (mean, sample standard deviation, 95 %
//!   confidence interval from Student's t), paired differences between strategies that saw
//!   the same payments, percentiles, empirical CDFs and the Gini coefficient;
//! * [`charts`]: PNG and SVG figures for papers (line charts with confidence bands,
//!   labelled scatter plots, grouped bar charts, CDFs and error-bar plots), drawn with
//!   plotters and an embedded font so that the output does not depend on the machine;
//! * [`layout`]: the chart model those figures are laid out as before drawing (axes, marks,
//!   text boxes), which the tests check for legibility;
//! * [`experiment`]: `stats.csv` and `charts/` of a results folder;
//! * [`html`]: `report.html`, a self-contained page with the tables, charts, scenario
//!   and provenance;
//! * `parquet` (cargo feature `parquet`): Parquet copies of the summary, time series and
//!   payments tables.
//!
//! **What it must not do:** run simulations, read scenario files or depend on the engine.
//! It never prints; every failure is returned as a typed error. Its inputs are plain
//! slices and small structs, so a chart can be redrawn from a CSV file without rerunning
//! anything.

pub mod charts;
pub mod experiment;
pub mod html;
pub mod layout;
#[cfg(feature = "parquet")]
pub mod parquet;
pub mod probes;
pub mod stats;

use std::fmt::Display;

/// Why a report (statistics, charts, HTML, Parquet) could not be written. Every message
/// names the file it concerns.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Chart(#[from] charts::ChartError),
    #[error(transparent)]
    Output(#[from] crate::output::OutputError),
    /// Anything else, with what was being done (naming the path).
    #[error("{what}: {message}")]
    Failed { what: String, message: String },
}

macro_rules! failed_from {
    ($($t:ty),*) => {$(
        impl From<$t> for ReportError {
            fn from(e: $t) -> Self {
                ReportError::Failed { what: stringify!($t).into(), message: e.to_string() }
            }
        }
    )*};
}
failed_from!(csv::Error, std::io::Error);
#[cfg(feature = "parquet")]
failed_from!(::parquet::errors::ParquetError, arrow_schema::ArrowError);

/// `Result` of the report layer.
pub type Result<T, E = ReportError> = std::result::Result<T, E>;

/// Adds what was being done to an error or a missing value (the report layer's small
/// stand-in for `anyhow::Context`, so the library API stays typed).
pub trait Context<T> {
    fn with_context<S: Display>(self, what: impl FnOnce() -> S) -> Result<T>;
}

impl<T, E: Display> Context<T> for std::result::Result<T, E> {
    fn with_context<S: Display>(self, what: impl FnOnce() -> S) -> Result<T> {
        self.map_err(|e| ReportError::Failed {
            what: what().to_string(),
            message: e.to_string(),
        })
    }
}

impl<T> Context<T> for Option<T> {
    fn with_context<S: Display>(self, what: impl FnOnce() -> S) -> Result<T> {
        self.ok_or_else(|| ReportError::Failed {
            what: what().to_string(),
            message: "missing".into(),
        })
    }
}
