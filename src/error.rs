//! Input errors: what was wrong, in which file, at which line and field.
//!
//! Every error a user can cause (scenario files, snapshots, traces, CLI values) is an
//! [`InputError`]. It is never a panic. Bugs in the simulator (a broken invariant) are not
//! input errors: they stop the run with [`crate::engine::InvariantViolation`].

use std::fmt;
use std::path::Path;

/// A user-facing input error. Display: `file:line: field `x`: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// The file (or `<cli>` / `<embedded default>`) the bad value came from.
    pub file: String,
    /// 1-based line, where known.
    pub line: Option<usize>,
    /// The field (TOML key path or CSV column), where known.
    pub field: Option<String>,
    /// What was wrong and what was expected.
    pub message: String,
}

impl InputError {
    pub fn new(file: impl AsRef<Path>, message: impl Into<String>) -> Self {
        InputError {
            file: file.as_ref().display().to_string(),
            line: None,
            field: None,
            message: message.into(),
        }
    }
    pub fn at_line(mut self, line: usize) -> Self {
        self.line = Some(line);
        self
    }
    pub fn line_opt(mut self, line: Option<usize>) -> Self {
        self.line = line;
        self
    }
    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        if let Some(fld) = &self.field {
            write!(f, ": field `{fld}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for InputError {}

pub type InputResult<T> = Result<T, InputError>;

/// A validation error found after parsing, naming the TOML key path (e.g.
/// `topology.capacity.sigma`). The scenario loader turns it into an [`InputError`] with the
/// file and the line where that key stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Dotted key path from the document root, e.g. `workload.rate_per_s`; `[[strategy]]`
    /// entries are written `strategy[2].low`.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "field `{}`: {}", self.field, self.message)
    }
}
impl std::error::Error for FieldError {}

/// The UTF-8 byte order mark some editors put at the start of a file.
const UTF8_BOM: &str = "\u{feff}";

/// `text` without a leading UTF-8 byte order mark (which would otherwise stick to the
/// first key, header or node name).
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix(UTF8_BOM).unwrap_or(text)
}

/// Reads a whole input file (`what` says which, e.g. "trace") as UTF-8 text, without a
/// leading byte order mark. The one way scenario and data files are read outside
/// `topology::import`, so every reader refuses a directory, a missing file and an empty
/// file the same way, naming the path.
///
/// # Errors
/// An [`InputError`] naming `path`: a directory, an unreadable file, an empty file, or
/// invalid UTF-8 (with the line of the first bad byte).
pub fn read_input_text(path: &Path, what: &str) -> Result<String, InputError> {
    if path.is_dir() {
        return Err(InputError::new(
            path,
            format!("expected a {what} file, found a directory"),
        ));
    }
    let bytes = std::fs::read(path)
        .map_err(|e| InputError::new(path, format!("cannot read {what}: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let bad = e.utf8_error().valid_up_to();
        let line = 1 + e.as_bytes()[..bad].iter().filter(|&&b| b == b'\n').count();
        InputError::new(path, format!("{what} is not UTF-8 text (at byte {bad})")).at_line(line)
    })?;
    let text = strip_bom(&text);
    if text.trim().is_empty() {
        return Err(InputError::new(path, format!("the {what} file is empty")));
    }
    Ok(text.to_string())
}

/// Checks that a CSV-like text is not empty, naming `path`: the readers that parse from
/// memory (and the fuzz targets) share this check with [`read_input_text`].
pub fn require_nonempty(text: &str, path: &Path, what: &str) -> Result<(), InputError> {
    if text.trim().is_empty() {
        return Err(InputError::new(path, format!("the {what} file is empty")));
    }
    Ok(())
}

/// Limits on what a scenario may ask for, so that a typo cannot make a run hang or eat
/// the machine's memory: each is checked (from an estimate made before anything is
/// allocated) where the value is validated, with a message naming the limit.
pub mod limits {
    /// Longest simulated time, seconds (≈ 31.7 years); every time in a scenario or trace.
    pub const MAX_TIME_S: f64 = 1e9;
    /// Most time-series windows per run (ask for a larger `metrics.window_s`).
    pub const MAX_WINDOWS: f64 = 1e5;
    /// Most blocks per run (ask for a larger `chain.block_interval_s`).
    pub const MAX_BLOCKS: f64 = 1e7;
    /// Most payments per run (expected: `rate_per_s × duration_s`, or `payments`).
    pub const MAX_PAYMENTS: f64 = 1e8;
    /// Highest Poisson rate: time is counted in whole microseconds.
    pub const MAX_RATE_PER_S: f64 = 1e6;
    /// Most replications of a scenario.
    pub const MAX_REPLICATIONS: u32 = 10_000;
    /// Most values of one sweep range.
    pub const MAX_RANGE_VALUES: usize = 10_000;
    /// Most sweep points of an experiment.
    pub const MAX_POINTS: usize = 10_000;
    /// Most runs (points × strategies × replications) of an experiment.
    pub const MAX_RUNS: usize = 100_000;
    /// Most channels of a generated topology (expected count for `erdos_renyi`).
    pub const MAX_GENERATED_CHANNELS: f64 = 5_000_000.0;
    /// Largest transaction, vbytes (a whole block).
    pub const MAX_TX_VBYTES: u64 = 1_000_000;
    /// Highest on-chain fee rate, sat/vB.
    pub const MAX_FEERATE_SAT_VB: f64 = 1_000_000.0;
    /// Shortest block interval, seconds.
    pub const MIN_BLOCK_INTERVAL_S: f64 = 1.0;
    /// Shortest time-series window, seconds.
    pub const MIN_WINDOW_S: f64 = 1e-3;
}
