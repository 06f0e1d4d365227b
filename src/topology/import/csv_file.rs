//! CSV files read whole (a leading byte order mark dropped), with typed getters on each
//! row that turn a missing, malformed or out-of-range value into an [`InputError`] naming
//! the file, the 1-based line and the column. Used by the CLoTH reader.
//!
//! It must not know any snapshot format's columns or fill in defaults.

use super::{check_msat, parse_u64};
use crate::error::InputError;
use std::path::Path;

pub(super) type CsvReader = csv::Reader<std::io::Cursor<Vec<u8>>>;

/// Reads a CSV file's contents `bytes` (a leading byte order mark dropped; `path` names it) and finds the columns `names` in
/// its header (line 1).
pub(super) fn open_csv(
    path: &Path,
    bytes: Vec<u8>,
    names: &[&str],
) -> Result<(CsvReader, Vec<usize>), InputError> {
    let bytes = super::strip_bom(bytes);
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        // Headers are trimmed here; fields are trimmed where they are read (`parse_u64`,
        // and the error message below), which skips the CSV reader's per-record trim pass
        // (a fifth of reading the CLoTH snapshot).
        .trim(csv::Trim::Headers)
        .from_reader(std::io::Cursor::new(bytes));
    let header = rdr
        .headers()
        .map_err(|e| InputError::new(path, format!("invalid CSV header: {e}")).at_line(1))?
        .clone();
    let mut idx = Vec::with_capacity(names.len());
    for name in names {
        let i = header.iter().position(|h| h == *name).ok_or_else(|| {
            InputError::new(path, format!("missing column `{name}` in the header"))
                .at_line(1)
                .field(*name)
        })?;
        idx.push(i);
    }
    Ok((rdr, idx))
}

/// One CSV row with its line, for error messages.
pub(super) struct Row<'a> {
    path: &'a Path,
    pub(super) line: usize,
    rec: csv::StringRecord,
}

impl Row<'_> {
    pub(super) fn err(&self, field: &str, msg: impl Into<String>) -> InputError {
        InputError::new(self.path, msg)
            .at_line(self.line)
            .field(field)
    }
    pub(super) fn u64(&self, col: usize, field: &str) -> Result<u64, InputError> {
        let s = self
            .rec
            .get(col)
            .ok_or_else(|| self.err(field, "missing value (row too short)"))?;
        parse_u64(s).ok_or_else(|| {
            let s = s.trim();
            self.err(field, format!("expected a non-negative integer, got `{s}`"))
        })
    }
    pub(super) fn num<T: TryFrom<u64>>(&self, col: usize, field: &str) -> Result<T, InputError> {
        let v = self.u64(col, field)?;
        T::try_from(v).map_err(|_| {
            self.err(
                field,
                format!("{v} is too large (at most {})", std::any::type_name::<T>()),
            )
        })
    }
    /// An amount in msat, at most 21 million BTC.
    pub(super) fn msat(&self, col: usize, field: &str) -> Result<u64, InputError> {
        check_msat(self.u64(col, field)?).map_err(|m| self.err(field, m))
    }
}

pub(super) fn rows<'a, 'r>(
    path: &'a Path,
    rdr: &'r mut CsvReader,
) -> impl Iterator<Item = Result<Row<'a>, InputError>> + use<'a, 'r> {
    rdr.records().map(move |r| match r {
        Ok(rec) => {
            let line = rec.position().map_or(0, |p| p.line() as usize);
            Ok(Row { path, line, rec })
        }
        Err(e) => {
            let line = e.position().map(|p| p.line() as usize);
            Err(InputError::new(path, format!("invalid CSV: {e}")).line_opt(line))
        }
    })
}
