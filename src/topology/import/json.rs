//! A parsed JSON document kept with its text, whose typed getters (array, string, integer
//! given as a number or a string of digits, bool) turn a wrong or missing value into an
//! [`InputError`] naming the file, the line (via [`super::locate`]) and the JSON path.
//! Shared by the lnd and CLN readers.
//!
//! It must not know any snapshot format's field names or fill in defaults.

use super::locate::{json_line, JPath};
use super::{check_msat, parse_u64};
use crate::error::InputError;
use serde_json::Value;
use std::path::Path;

/// A parsed JSON document with what is needed for good error messages.
pub(super) struct JsonDoc<'a> {
    path: &'a Path,
    text: String,
}

impl JsonDoc<'_> {
    /// Parses `text` (the contents of `path`, which names it in errors).
    pub(super) fn parse(path: &Path, text: String) -> Result<(JsonDoc<'_>, Value), InputError> {
        let v: Value = serde_json::from_str(&text).map_err(|e| {
            InputError::new(path, format!("invalid JSON: {e}"))
                .line_opt((e.line() > 0).then_some(e.line()))
        })?;
        Ok((JsonDoc { path, text }, v))
    }
    pub(super) fn err(&self, at: &JPath, msg: impl Into<String>) -> InputError {
        InputError::new(self.path, msg)
            .at_line(json_line(&self.text, at))
            .field(at.to_string())
    }
    pub(super) fn array<'v>(&self, v: &'v Value, at: &JPath) -> Result<&'v Vec<Value>, InputError> {
        match v {
            Value::Array(a) => Ok(a),
            Value::Null => Err(self.err(at, "missing; expected an array")),
            other => Err(self.err(at, format!("expected an array, got {}", kind(other)))),
        }
    }
    pub(super) fn string<'v>(&self, v: &'v Value, at: &JPath) -> Result<&'v str, InputError> {
        match v {
            Value::String(s) => Ok(s),
            Value::Null => Err(self.err(at, "missing; expected a string")),
            other => Err(self.err(at, format!("expected a string, got {}", kind(other)))),
        }
    }
    /// An optional non-negative integer, as a JSON number or a string of digits
    /// (with a `msat` suffix when `msat_suffix`). `null` or absent → `None`.
    pub(super) fn int(
        &self,
        v: &Value,
        at: &JPath,
        msat_suffix: bool,
    ) -> Result<Option<u64>, InputError> {
        let bad = |got: String| {
            let suffix = if msat_suffix {
                " (optionally ending in `msat`)"
            } else {
                ""
            };
            self.err(
                at,
                format!("expected a non-negative integer or a string of digits{suffix}, got {got}"),
            )
        };
        match v {
            Value::Null => Ok(None),
            Value::Number(n) => n.as_u64().map(Some).ok_or_else(|| bad(n.to_string())),
            Value::String(s) => {
                let digits = if msat_suffix {
                    s.strip_suffix("msat").unwrap_or(s)
                } else {
                    s
                };
                parse_u64(digits)
                    .map(Some)
                    .ok_or_else(|| bad(format!("\"{s}\"")))
            }
            other => Err(bad(kind(other).to_string())),
        }
    }
    /// [`Self::int`] for an amount in msat: at most 21 million BTC.
    pub(super) fn msat(
        &self,
        v: &Value,
        at: &JPath,
        msat_suffix: bool,
    ) -> Result<Option<u64>, InputError> {
        self.int(v, at, msat_suffix)?
            .map(|x| check_msat(x).map_err(|m| self.err(at, m)))
            .transpose()
    }
    pub(super) fn required_int(
        &self,
        v: &Value,
        at: &JPath,
        msat_suffix: bool,
    ) -> Result<u64, InputError> {
        self.int(v, at, msat_suffix)?
            .ok_or_else(|| self.err(at, "missing; expected an integer"))
    }
    pub(super) fn narrow<T: TryFrom<u64>>(
        &self,
        v: Option<u64>,
        at: &JPath,
        max: u64,
    ) -> Result<Option<T>, InputError> {
        v.map(|x| {
            T::try_from(x).map_err(|_| self.err(at, format!("{x} is too large (at most {max})")))
        })
        .transpose()
    }
    pub(super) fn bool(&self, v: &Value, at: &JPath, default: bool) -> Result<bool, InputError> {
        match v {
            Value::Null => Ok(default),
            Value::Bool(b) => Ok(*b),
            other => Err(self.err(at, format!("expected true or false, got {}", kind(other)))),
        }
    }
}

pub(super) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
