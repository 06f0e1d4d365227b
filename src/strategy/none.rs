//! **none**: the baseline. Does nothing; every comparison is paired against it.

use super::registry::{self, Entry, Factory};
use super::{Action, Observation, Strategy, StrategyBox, View};
use crate::error::FieldError;
use crate::rng::SimRng;
use crate::topology::Topology;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The baseline strategy.
pub struct NoStrategy;

impl Strategy for NoStrategy {
    fn observe(&mut self, _: &View<'_>, _: &Observation, _: &mut SimRng, _: &mut Vec<Action>) {}
}

/// `none` takes no parameters.
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct NoParams {}

fn parse(table: &toml::Table, field: &str) -> Result<Factory, FieldError> {
    let _: NoParams = registry::params(table, field)?;
    Ok(Arc::new(|_: &Topology, _: &[bool]| {
        StrategyBox::local(NoStrategy)
    }))
}

impl registry::Params for NoParams {}

/// Registry entry.
pub const ENTRY: Entry = Entry {
    name: "none",
    parse,
    resolve: registry::resolve::<NoParams>,
};
