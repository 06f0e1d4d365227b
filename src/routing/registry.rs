//! The one table of routers: [`ROUTERS`], one line per router, and [`RouterSpec`], the
//! resolved `[routing] router = …` choice with each router's own options.
//!
//! Adding a router: one file in `src/routing/` exporting `ENTRY`, one line here.

use super::pathfinder::PathFinder;
use super::{bimodal, cln, ldk, lnd_finder, mcf};

/// The router chosen for a run and the options of each router (only the chosen one's are
/// read).
#[derive(Debug, Clone, PartialEq)]
pub struct RouterSpec {
    /// A name from [`ROUTERS`].
    pub name: &'static str,
    /// `lnd`'s probability estimator.
    pub estimator: bimodal::Estimator,
    pub cln: cln::ClnParams,
    pub ldk: ldk::LdkParams,
    pub mcf: mcf::McfParams,
}

impl Default for RouterSpec {
    fn default() -> Self {
        RouterSpec {
            name: "lnd",
            estimator: bimodal::Estimator::Apriori,
            cln: cln::ClnParams::default(),
            ldk: ldk::LdkParams::default(),
            mcf: mcf::McfParams::default(),
        }
    }
}

/// One router: its name, a line of description and its constructor (nodes, channels).
pub struct RouterEntry {
    pub name: &'static str,
    pub about: &'static str,
    pub build: fn(&RouterSpec, usize, usize) -> Box<dyn PathFinder>,
}

/// Every router, by name.
pub static ROUTERS: &[RouterEntry] = &[lnd_finder::ENTRY, cln::ENTRY, ldk::ENTRY, mcf::ENTRY];

/// The entry named `name`, if any.
pub fn lookup(name: &str) -> Option<&'static RouterEntry> {
    ROUTERS.iter().find(|e| e.name == name)
}

/// Builds the router of `spec` for a network of `nodes` nodes and `channels` channels.
/// An unknown name (impossible after scenario validation) falls back to `lnd`.
pub fn build(spec: &RouterSpec, nodes: usize, channels: usize) -> Box<dyn PathFinder> {
    let e = lookup(spec.name).unwrap_or(&ROUTERS[0]);
    (e.build)(spec, nodes, channels)
}

/// The registered names, for error messages.
pub fn names() -> String {
    ROUTERS
        .iter()
        .map(|e| format!("\"{}\"", e.name))
        .collect::<Vec<_>>()
        .join(", ")
}
