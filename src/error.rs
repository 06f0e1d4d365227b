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
