//! Parameter sweeps: `[sweep]` keys are dotted paths into the scenario, each with a value, a
//! list, or a range; the experiment is their cartesian product.
//!
//! ```toml
//! [sweep]
//! "workload.one_way.share" = { from = 0.0, to = 0.9, step = 0.3 }   # 0, 0.3, 0.6, 0.9
//! "workload.rate_per_s" = [1, 5]
//! "strategy.proactive.participation.share" = [0.1, 0.5]            # by strategy label
//! # Linked keys: one list, the same value set at every path joined by `|`.
//! "strategy.random.participation.share | strategy.top.participation.share" = [0.1, 0.5]
//! ```
//! Every point is resolved like a scenario file of its own (so every value is validated)
//! before anything runs. Points that do not change the topology share it.

use crate::error::{limits, FieldError, InputError};
use crate::scenario::{self, RawScenario, Scenario};
use serde::Deserialize;
use std::path::Path;

/// One point of a sweep.
pub struct Point {
    /// (swept key, value as written) pairs.
    pub values: Vec<(String, String)>,
    pub scenario: Scenario,
}

/// A whole experiment: every sweep point, resolved.
pub struct Experiment {
    pub points: Vec<Point>,
    /// Swept keys in order.
    pub keys: Vec<String>,
}

impl Experiment {
    pub fn base(&self) -> &Scenario {
        &self.points[0].scenario
    }
    /// `(key, value per point)` columns for the tidy CSV files.
    pub fn columns(&self) -> Vec<(String, Vec<String>)> {
        self.keys
            .iter()
            .enumerate()
            .map(|(i, k)| {
                (
                    k.clone(),
                    self.points.iter().map(|p| p.values[i].1.clone()).collect(),
                )
            })
            .collect()
    }
}

/// The keys of a range table.
const RANGE_KEYS: [&str; 3] = ["from", "to", "step"];

fn expand(key: &str, v: &toml::Value) -> Result<Vec<toml::Value>, FieldError> {
    let field = format!("sweep.{key}");
    match v {
        toml::Value::Array(a) if a.is_empty() => {
            Err(FieldError::new(field, "expected at least one value"))
        }
        toml::Value::Array(a) => Ok(a.clone()),
        // A table with any range key is a range; any other table (say an amount
        // distribution) is one value.
        toml::Value::Table(t) if RANGE_KEYS.iter().any(|k| t.contains_key(*k)) => {
            if let Some(bad) = t.keys().find(|k| !RANGE_KEYS.contains(&k.as_str())) {
                return Err(FieldError::new(
                    format!("{field}.{bad}"),
                    format!("unknown key `{bad}` in a range; expected `from`, `to` and `step`"),
                ));
            }
            let num = |k: &str| -> Result<f64, FieldError> {
                match t.get(k) {
                    Some(toml::Value::Float(f)) if f.is_finite() => Ok(*f),
                    Some(toml::Value::Integer(i)) => Ok(*i as f64),
                    None => Err(FieldError::new(
                        format!("{field}.{k}"),
                        format!("missing `{k}` (a range is {{ from, to, step }})"),
                    )),
                    _ => Err(FieldError::new(
                        format!("{field}.{k}"),
                        "expected a finite number (a range is { from, to, step })",
                    )),
                }
            };
            let (from, to, step) = (num("from")?, num("to")?, num("step")?);
            if step <= 0.0 || to < from {
                return Err(FieldError::new(
                    format!("{field}.step"),
                    "expected step > 0 and from <= to",
                ));
            }
            let ints = t.values().all(|x| matches!(x, toml::Value::Integer(_)));
            // Counted in floating point and bounded before any conversion or allocation.
            let count = ((to - from) / step + 1e-9).floor() + 1.0;
            if !(count.is_finite() && count <= limits::MAX_RANGE_VALUES as f64) {
                return Err(FieldError::new(
                    field,
                    format!(
                        "the range has {count:.3e} values, more than the limit of {}; use a larger step",
                        limits::MAX_RANGE_VALUES
                    ),
                ));
            }
            let n = count as usize;
            Ok((0..n)
                .map(|i| {
                    let x = from + step * i as f64;
                    if ints {
                        toml::Value::Integer(x.round() as i64)
                    } else {
                        // Round away binary noise: 0.1 * 3 → 0.3.
                        toml::Value::Float((x * 1e9).round() / 1e9)
                    }
                })
                .collect())
        }
        other => Ok(vec![other.clone()]),
    }
}

/// Sets `path` in `doc`; `strategy.<label>.rest` addresses the `[[strategy]]` with that label
/// (or name). The parent table must exist (the key itself may be new).
pub(crate) fn set_path(
    doc: &mut toml::Table,
    key: &str,
    value: toml::Value,
) -> Result<(), FieldError> {
    let field = format!("sweep.{key}");
    let parts: Vec<&str> = key.split('.').collect();
    if parts.is_empty() || parts.iter().any(|p| p.is_empty()) {
        return Err(FieldError::new(
            field,
            "expected a dotted key path like `workload.rate_per_s`",
        ));
    }
    let mut cur: &mut toml::Table = doc;
    let mut rest: &[&str] = &parts;
    if parts[0] == "strategy" {
        if parts.len() < 3 {
            return Err(FieldError::new(field, "expected `strategy.<label>.<key>`"));
        }
        let label = parts[1];
        let arr = match cur.get_mut("strategy") {
            Some(toml::Value::Array(a)) => a,
            _ => {
                return Err(FieldError::new(
                    field,
                    "the scenario has no [[strategy]] tables",
                ))
            }
        };
        let found = arr.iter_mut().find_map(|v| match v {
            toml::Value::Table(t) => {
                let l = t
                    .get("label")
                    .or_else(|| t.get("name"))
                    .and_then(|x| x.as_str())
                    .unwrap_or("");
                (l == label).then_some(t)
            }
            _ => None,
        });
        cur = found.ok_or_else(|| {
            FieldError::new(field.clone(), format!("no [[strategy]] labelled `{label}`"))
        })?;
        rest = &parts[2..];
    }
    let (last, dirs) = rest
        .split_last()
        .ok_or_else(|| FieldError::new(field.clone(), "empty key"))?;
    for d in dirs {
        let next = cur
            .entry(d.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        cur = match next {
            toml::Value::Table(t) => t,
            _ => return Err(FieldError::new(field, format!("`{d}` is not a table"))),
        };
    }
    cur.insert(last.to_string(), value);
    Ok(())
}

fn show(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Loads an experiment from a scenario file (`None`: the embedded default): reads it with
/// [`crate::error::read_input_text`] and hands it to [`load_str`].
pub fn load(path: Option<&Path>, seed: Option<u64>) -> Result<Experiment, InputError> {
    match path {
        Some(p) => {
            let text = crate::error::read_input_text(p, "scenario")?;
            let base = p.parent().map(Path::to_path_buf).unwrap_or_default();
            load_str(&text, &p.display().to_string(), &base, seed)
        }
        None => load_str(
            scenario::DEFAULT_SCENARIO,
            "<embedded default scenario>",
            Path::new(""),
            seed,
        ),
    }
}

/// Loads an experiment from scenario text: `source` names it in errors, relative data
/// paths resolve against `base`, `seed` overrides the file's master seed. Every sweep
/// point is resolved (and every value validated) before this returns.
///
/// # Errors
/// The first problem found, naming `source` (or the data file), the line and the field;
/// also an experiment of more than [`limits::MAX_POINTS`] points or
/// [`limits::MAX_RUNS`] runs, refused before any point is built.
pub fn load_str(
    text: &str,
    source: &str,
    base: &Path,
    seed: Option<u64>,
) -> Result<Experiment, InputError> {
    let text = crate::error::strip_bom(text).to_string();
    let source = source.to_string();
    let base = base.to_path_buf();
    let fe = |e: FieldError| scenario::field_err(&source, &text, e);
    let mut doc: toml::Table =
        toml::from_str(&text).map_err(|e| scenario::toml_err(&source, &text, e))?;
    let sweep = match doc.remove("sweep") {
        Some(toml::Value::Table(t)) => t,
        Some(_) => return Err(fe(FieldError::new("sweep", "expected a table"))),
        None => toml::Table::new(),
    };
    let mut keys = Vec::new();
    let mut values = Vec::new();
    for (k, v) in &sweep {
        keys.push(k.clone());
        values.push(expand(k, v).map_err(fe)?);
    }
    // Checked: five ranges of 8,192 values would overflow a plain product.
    let total = values
        .iter()
        .try_fold(1usize, |acc, v| {
            acc.checked_mul(v.len())
                .filter(|t| *t <= limits::MAX_POINTS)
        })
        .ok_or_else(|| {
            let exact: f64 = values.iter().map(|v| v.len() as f64).product();
            fe(FieldError::new(
                "sweep",
                format!(
                    "{exact:.3e} sweep points, more than the limit of {}; sweep fewer values",
                    limits::MAX_POINTS
                ),
            ))
        })?;
    // The base scenario (no sweep values) validates the file as written, with exact spans.
    let mut base_raw: RawScenario =
        toml::from_str(&text).map_err(|e| scenario::toml_err(&source, &text, e))?;
    if let Some(s) = seed {
        base_raw.seed = s;
    }
    let base_topology = base_raw.topology.clone();
    let base_scn = scenario::resolve(base_raw, &text, &source, &base)?;
    let runs = total
        .checked_mul(base_scn.strategies.len().max(1))
        .and_then(|r| r.checked_mul(base_scn.replications as usize))
        .filter(|r| *r <= limits::MAX_RUNS);
    if runs.is_none() {
        return Err(fe(FieldError::new(
            if keys.is_empty() { "replications" } else { "sweep" },
            format!(
                "{total} point(s) × {} strateg(ies) × {} replication(s) is more than the limit of {} runs",
                base_scn.strategies.len().max(1),
                base_scn.replications,
                limits::MAX_RUNS
            ),
        )));
    }
    if keys.is_empty() {
        return Ok(Experiment {
            points: vec![Point {
                values: vec![],
                scenario: base_scn,
            }],
            keys,
        });
    }
    let mut points = Vec::with_capacity(total);
    for idx in 0..total {
        let mut d = doc.clone();
        let mut rem = idx;
        let mut vals = Vec::new();
        // Last key varies fastest.
        let mut choice = vec![0usize; keys.len()];
        for i in (0..keys.len()).rev() {
            choice[i] = rem % values[i].len();
            rem /= values[i].len();
        }
        for (i, k) in keys.iter().enumerate() {
            let v = values[i][choice[i]].clone();
            vals.push((k.clone(), show(&v)));
            for path in k.split('|') {
                set_path(&mut d, path.trim(), v.clone()).map_err(|mut e| {
                    e.field = format!("sweep.{k}");
                    fe(e)
                })?;
            }
        }
        let mut raw: RawScenario = RawScenario::deserialize(toml::Value::Table(d.clone()))
            .map_err(|e| {
                let msg = format!(
                    "at sweep point {}: {}{}",
                    describe(&vals),
                    e.message(),
                    crate::reference::pointer("sweep", None)
                );
                // Name the swept key the message is about (an unknown or mistyped key),
                // else the `[sweep]` table.
                let field = keys
                    .iter()
                    .find(|k| {
                        k.split(['.', '|'])
                            .map(str::trim)
                            .any(|seg| e.message().contains(&format!("`{seg}`")))
                    })
                    .map_or_else(|| "sweep".to_string(), |k| format!("sweep.{k}"));
                InputError::new(&source, msg)
                    .line_opt(sweep_line(&text, &field))
                    .field(field)
            })?;
        // The CLI seed is set here, not in the TOML document: it may be ≥ 2^63.
        if let Some(s) = seed {
            raw.seed = s;
        }
        let same_topology = raw.topology == base_topology && raw.seed == base_scn.seed;
        let mut s = scenario::resolve_with(
            raw,
            &text,
            &source,
            &base,
            same_topology.then(|| base_scn.topology.clone()),
        )
        .map_err(|mut e| {
            e.message = format!("at sweep point {}: {}", describe(&vals), e.message);
            if let Some(k) = e
                .field
                .as_deref()
                .and_then(|f| keys.iter().find(|k| k.split('|').any(|p| p.trim() == f)))
            {
                e.line = sweep_line(&text, &format!("sweep.{k}"));
            }
            e
        })?;
        s.text = text.clone();
        points.push(Point {
            values: vals,
            scenario: s,
        });
    }
    Ok(Experiment { points, keys })
}

/// The line of a swept key (`sweep.<key>`), else of the `[sweep]` table.
fn sweep_line(text: &str, field: &str) -> Option<usize> {
    scenario::locate(text, field).or_else(|| scenario::locate(text, "sweep"))
}

fn describe(vals: &[(String, String)]) -> String {
    vals.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_expand_inclusively_without_float_noise() {
        let v: toml::Value =
            toml::from_str::<toml::Table>("r = { from = 0.0, to = 0.9, step = 0.3 }").unwrap()["r"]
                .clone();
        let e = expand("r", &v).unwrap();
        assert_eq!(
            e,
            vec![
                toml::Value::Float(0.0),
                toml::Value::Float(0.3),
                toml::Value::Float(0.6),
                toml::Value::Float(0.9)
            ]
        );
        let v: toml::Value = toml::from_str::<toml::Table>("r = { from = 1, to = 7, step = 3 }")
            .unwrap()["r"]
            .clone();
        assert_eq!(expand("r", &v).unwrap().len(), 3);
    }

    #[test]
    fn ranges_reject_unknown_keys_and_huge_counts() {
        let range = |s: &str| -> toml::Value {
            toml::from_str::<toml::Table>(&format!("r = {s}")).unwrap()["r"].clone()
        };
        let e = expand("r", &range("{ from = 1, to = 5, stpe = 1 }")).unwrap_err();
        assert_eq!(e.field, "sweep.r.stpe");
        assert!(e.message.contains("`from`, `to` and `step`"), "{e}");
        let e = expand("r", &range("{ from = 1, to = 5 }")).unwrap_err();
        assert_eq!(e.field, "sweep.r.step");
        let e = expand("r", &range("{ from = 0.0, to = 1.0, step = 1e-300 }")).unwrap_err();
        assert!(e.message.contains("more than the limit"), "{e}");
        // 10,000 values is the limit, inclusive.
        assert_eq!(
            expand("r", &range("{ from = 1, to = 10000, step = 1 }"))
                .unwrap()
                .len(),
            10_000
        );
        // A table without range keys is one value (say an amount distribution).
        assert_eq!(
            expand("r", &range("{ dist = \"fixed\", sat = 5 }"))
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn five_ranges_of_8192_values_are_refused_not_overflowed() {
        let mut text = String::from(
            "name = \"x\"\n[topology]\nkind = \"ring\"\nnodes = 4\n[workload]\npayments = 2\n[sweep]\n",
        );
        for k in [
            "max_attempts",
            "memory",
            "max_cltv",
            "attempt_cost_sat",
            "attempt_cost_ppm",
        ] {
            text.push_str(&format!(
                "\"routing.{k}\" = {{ from = 1, to = 8192, step = 1 }}\n"
            ));
        }
        let e = load_str(&text, "s.toml", Path::new("/"), None)
            .err()
            .expect("refused");
        assert_eq!(e.field.as_deref(), Some("sweep"));
        assert!(e.message.contains("more than the limit"), "{e}");
    }

    #[test]
    fn cli_seed_above_i64_max_works_with_a_sweep() {
        let text =
            "name = \"x\"\n[topology]\nkind = \"ring\"\nnodes = 4\n[workload]\npayments = 2\n\
                    [sweep]\n\"workload.rate_per_s\" = [1, 2]\n";
        let e = load_str(text, "s.toml", Path::new("/"), Some(u64::MAX)).unwrap();
        assert_eq!(e.points.len(), 2);
        assert!(e.points.iter().all(|p| p.scenario.seed == u64::MAX));
        assert_eq!(e.base().seed, u64::MAX);
    }

    #[test]
    fn sweep_errors_name_the_swept_key_line() {
        let text =
            "name = \"x\"\n[topology]\nkind = \"ring\"\nnodes = 4\n[workload]\npayments = 2\n\
                    [sweep]\n\"workload.nope\" = [1]\n\"workload.rate_per_s\" = [1, -1]\n";
        let e = load_str(text, "s.toml", Path::new("/"), None)
            .err()
            .unwrap();
        assert_eq!(
            (e.line, e.field.as_deref()),
            (Some(8), Some("sweep.workload.nope"))
        );
        let text = text.replace("\"workload.nope\" = [1]\n", "");
        let e = load_str(&text, "s.toml", Path::new("/"), None)
            .err()
            .unwrap();
        assert_eq!(e.line, Some(8), "{e}");
        assert!(e.message.contains("rate_per_s=-1"), "{e}");
    }

    #[test]
    fn set_path_addresses_strategies_by_label() {
        let mut d: toml::Table = toml::from_str(
            "[[strategy]]\nname = \"circular\"\nlow = 0.1\n[workload]\nrate_per_s = 1\n",
        )
        .unwrap();
        set_path(&mut d, "strategy.circular.low", toml::Value::Float(0.2)).unwrap();
        set_path(&mut d, "workload.one_way.share", toml::Value::Float(0.5)).unwrap();
        assert_eq!(d["strategy"][0]["low"].as_float(), Some(0.2));
        assert_eq!(d["workload"]["one_way"]["share"].as_float(), Some(0.5));
        assert!(set_path(&mut d, "strategy.nope.low", toml::Value::Float(0.2)).is_err());
    }

    #[test]
    fn linked_keys_move_together() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.toml");
        std::fs::write(
            &p,
            "name = \"x\"\n[topology]\nkind = \"ring\"\nnodes = 6\n[workload]\npayments = 5\n\
             [[strategy]]\nname = \"proactive\"\nlabel = \"a\"\n[[strategy]]\nname = \"proactive\"\nlabel = \"b\"\n\
             [sweep]\n\"strategy.a.participation.share | strategy.b.participation.share\" = [0.2, 0.8]\n",
        )
        .unwrap();
        let e = load(Some(&p), None).unwrap();
        assert_eq!(e.points.len(), 2);
        for (pt, want) in e.points.iter().zip([0.2, 0.8]) {
            for s in &pt.scenario.strategies {
                let share = s.table["participation"]["share"].as_float();
                assert_eq!(share, Some(want), "{}", s.label);
            }
        }
    }
}
