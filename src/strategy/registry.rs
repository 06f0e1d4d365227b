//! The strategy registry and `[[strategy]]` tables: which strategy, with which parameters,
//! run by which nodes.
//!
//! [`STRATEGIES`] is the one table that maps names to implementations: each strategy file
//! exports an [`Entry`] (its name and a parser that validates its table and returns a
//! factory), and adding a strategy is one new file plus one line here. The list of names in
//! error messages, validation and the per-strategy tests all derive from it.
//!
//! Tables are parsed and validated once into [`StrategySpec`]s; each run builds a fresh
//! strategy object from its spec.

use super::{Participation, StrategyBox};
use crate::error::FieldError;
use crate::topology::Topology;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// Builds a fresh strategy object for one run.
pub trait StrategyFactory: Send + Sync {
    fn build(&self, topo: &Topology, participates: &[bool]) -> StrategyBox<'static>;
}

impl<F> StrategyFactory for F
where
    F: Fn(&Topology, &[bool]) -> StrategyBox<'static> + Send + Sync,
{
    fn build(&self, topo: &Topology, participates: &[bool]) -> StrategyBox<'static> {
        self(topo, participates)
    }
}

/// The factory a strategy's parser returns.
pub type Factory = Arc<dyn StrategyFactory>;

/// One registered strategy.
pub struct Entry {
    /// Its name in scenario files and result tables.
    pub name: &'static str,
    /// Validates the strategy's own keys (`table` without `name`, `label` and
    /// `participation`; errors name `field.<key>`) and returns its factory.
    pub parse: fn(table: &toml::Table, field: &str) -> Result<Factory, FieldError>,
    /// The strategy's own parameters with every default filled in, as JSON (for the
    /// manifest's `resolved_scenario`): usually [`resolve::<TheConfig>`](resolve).
    pub resolve: fn(table: &toml::Table, field: &str) -> Result<serde_json::Value, FieldError>,
}

/// A strategy's parameter struct: read from its table by [`params`], written back with
/// every default filled in by [`resolve`].
pub trait Params: DeserializeOwned + Serialize {
    /// The parameters with the defaults that depend on other parameters made explicit
    /// (`proactive`'s `tolerance` follows its `rule`). A value that stays `None` is one
    /// the strategy takes from elsewhere at run time (documented as such).
    fn resolved(self) -> Self {
        self
    }
}

/// Parses a strategy's own parameters and serialises them back, every default filled in:
/// the [`Entry::resolve`] of a strategy whose parameter struct is `T`.
pub fn resolve<T: Params>(
    table: &toml::Table,
    field: &str,
) -> Result<serde_json::Value, FieldError> {
    let p: T = params(table, field)?;
    serde_json::to_value(p.resolved())
        .map_err(|e| FieldError::new(field.to_string(), e.to_string()))
}

/// Every strategy, in the order they are listed to users.
pub const STRATEGIES: &[Entry] = &[
    super::none::ENTRY,
    super::circular::ENTRY,
    super::proactive::ENTRY,
    super::jit::ENTRY,
    super::periodic::ENTRY,
    super::topup::ENTRY,
];

/// The registered names, comma-separated (for error messages).
pub fn names() -> String {
    STRATEGIES
        .iter()
        .map(|e| e.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A validated `[[strategy]]` entry.
#[derive(Clone)]
pub struct StrategySpec {
    /// The label in result tables (`label`, or the strategy name).
    pub label: String,
    /// The registered strategy name.
    pub kind: String,
    pub participation: Participation,
    /// The table as written.
    pub table: toml::Table,
    /// The table with every default filled in (`name`, `label`, `participation` and the
    /// strategy's own parameters), for the manifest's `resolved_scenario`.
    pub resolved: serde_json::Value,
    pub factory: Factory,
}

impl fmt::Debug for StrategySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StrategySpec")
            .field("label", &self.label)
            .field("kind", &self.kind)
            .finish()
    }
}

impl StrategySpec {
    /// The baseline: `none`, run by every node (it does nothing).
    pub fn none() -> Self {
        parse_one(0, &toml::Table::from_iter([("name".into(), "none".into())]))
            .expect("`none` has no parameters")
    }

    pub fn build(&self, topo: &Topology, participates: &[bool]) -> StrategyBox<'static> {
        self.factory.build(topo, participates)
    }
}

/// Keys every `[[strategy]]` table may have, read here rather than by the strategy.
pub const COMMON_KEYS: [&str; 3] = ["name", "label", "participation"];

/// Deserialises a strategy's own parameters from its table (common keys removed), mapping
/// errors to `field.<key>`.
pub fn params<T: DeserializeOwned>(table: &toml::Table, field: &str) -> Result<T, FieldError> {
    let mut t = table.clone();
    for k in COMMON_KEYS {
        t.remove(k);
    }
    T::deserialize(toml::Value::Table(t)).map_err(|e| {
        let msg = e.message().to_string();
        // serde names the offending key in backticks.
        let key = msg.split('`').nth(1).map(str::to_string);
        match key {
            Some(k) if msg.starts_with("unknown field") => {
                FieldError::new(format!("{field}.{k}"), msg)
            }
            _ => FieldError::new(field.to_string(), msg),
        }
    })
}

/// Parses one `[[strategy]]` table (index `i`).
pub fn parse_one(i: usize, t: &toml::Table) -> Result<StrategySpec, FieldError> {
    let field = format!("strategy[{i}]");
    let kind = match t.get("name") {
        Some(toml::Value::String(s)) => s.clone(),
        Some(_) => {
            return Err(FieldError::new(
                format!("{field}.name"),
                "expected a string",
            ))
        }
        None => {
            return Err(FieldError::new(
                format!("{field}.name"),
                format!("missing; expected one of: {}", names()),
            ))
        }
    };
    let label = match t.get("label") {
        Some(toml::Value::String(s)) => s.clone(),
        Some(_) => {
            return Err(FieldError::new(
                format!("{field}.label"),
                "expected a string",
            ))
        }
        None => kind.clone(),
    };
    // The label names the run folders (`runs/p000-<label>-r000`).
    crate::names::check(&label).map_err(|why| {
        FieldError::new(
            format!("{field}.label"),
            format!(
                "`{}` {why}; the label names the run folders",
                label.escape_debug()
            ),
        )
    })?;
    let participation = match t.get("participation") {
        Some(v) => Participation::deserialize(v.clone()).map_err(|e| {
            FieldError::new(
                format!("{field}.participation"),
                format!(
                    "{}; expected \"all\", \"none\", {{ share = 0.3, pick = \"random\"|\"capacity\"|\"degree\" }}, {{ top = 10, by = \"capacity\"|\"degree\" }} or {{ nodes = [..] }}",
                    e.message().trim()
                ),
            )
        })?,
        None => Participation::default(),
    };
    participation.validate(&format!("{field}.participation"))?;
    let Some(entry) = STRATEGIES.iter().find(|e| e.name == kind) else {
        return Err(FieldError::new(
            format!("{field}.name"),
            format!("unknown strategy `{kind}`; expected one of: {}", names()),
        ));
    };
    let factory = (entry.parse)(t, &field)?;
    let mut resolved = match (entry.resolve)(t, &field)? {
        serde_json::Value::Object(m) => m,
        other => serde_json::Map::from_iter([("params".to_string(), other)]),
    };
    resolved.insert("name".into(), kind.clone().into());
    resolved.insert("label".into(), label.clone().into());
    resolved.insert("participation".into(), participation.to_json());
    Ok(StrategySpec {
        label,
        kind,
        participation,
        table: t.clone(),
        resolved: serde_json::Value::Object(resolved),
        factory,
    })
}

/// Parses all `[[strategy]]` tables; none given means the baseline only. Labels must be
/// unique.
pub fn parse_all(tables: &[toml::Table]) -> Result<Vec<StrategySpec>, FieldError> {
    if tables.is_empty() {
        return Ok(vec![StrategySpec::none()]);
    }
    let mut out: Vec<StrategySpec> = Vec::new();
    for (i, t) in tables.iter().enumerate() {
        let s = parse_one(i, t)?;
        if out.iter().any(|o| o.label == s.label) {
            return Err(FieldError::new(
                format!("strategy[{i}].label"),
                format!(
                    "duplicate strategy label `{}`; give each a distinct `label`",
                    s.label
                ),
            ));
        }
        out.push(s);
    }
    Ok(out)
}
