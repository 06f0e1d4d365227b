//! The `[topology]` scenario table: which graph to generate or import, and how to fill in
//! capacities, balances and fees.
//!
//! [`TopologyConfig`] is the serde mirror of the table, as written (it is also what sweeps
//! compare to decide whether two points share a topology). [`TopologyConfig::resolve`]
//! (in `resolve.rs`) validates it once, at the boundary, into a
//! [`TopologySpec`](super::TopologySpec); [`super::build`] and the generators and importers
//! take only that. Every key except `kind` has a default (see each field). Keys that do not
//! apply to the chosen `kind` (say `m` for a ring, or `path` for a generator) are rejected
//! by `resolve` rather than silently ignored.
//!
//! This module only describes the table (and its defaults); it must not validate it
//! (that is `resolve`'s job) or build or read anything.
//!
//! ```toml
//! [topology]
//! kind = "barabasi_albert"   # erdos_renyi | watts_strogatz | line | ring | star | grid | import
//! nodes = 300
//! m = 2
//! capacity = { dist = "lognormal", median_sat = 2_000_000, sigma = 1.0 }
//! balance = "half"           # half | uniform | one_side | { ratio = 0.3 } | file
//! reserve_ppm = 10000
//! [topology.fees]
//! base_msat = 1000
//! ppm = { dist = "uniform", min = 1, max = 500 }
//! ```

use super::edit::{AddChannel, AddNode, RemoveChannel, ResizeChannel, ScaleCapacity};
use super::spec::ChannelFill;
use crate::dist::{AmountDist, FeeValue};
use crate::error::FieldError;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The environment variable `path` may start with (`$PCNSIM_SHARED_DATA/...`).
pub const SHARED_DATA_VAR: &str = "PCNSIM_SHARED_DATA";

/// The directory `$PCNSIM_SHARED_DATA` names, if it is set and not empty.
pub fn shared_data_dir() -> Option<PathBuf> {
    std::env::var_os(SHARED_DATA_VAR)
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
}

/// Which graph to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TopologyKind {
    BarabasiAlbert,
    ErdosRenyi,
    WattsStrogatz,
    Line,
    Ring,
    Star,
    Grid,
    Import,
}

impl TopologyKind {
    pub fn name(self) -> &'static str {
        match self {
            TopologyKind::BarabasiAlbert => "barabasi_albert",
            TopologyKind::ErdosRenyi => "erdos_renyi",
            TopologyKind::WattsStrogatz => "watts_strogatz",
            TopologyKind::Line => "line",
            TopologyKind::Ring => "ring",
            TopologyKind::Star => "star",
            TopologyKind::Grid => "grid",
            TopologyKind::Import => "import",
        }
    }
}

/// How a channel's capacity is split between its two sides initially.
///
/// TOML: `"half"`, `"uniform"`, `"one_side"`, `"file"` or `{ ratio = 0.3 }`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BalanceSplit {
    /// `floor(capacity / 2)` on side 0, the rest on side 1.
    Half,
    /// Side 0 gets a uniform integer msat amount in `[0, capacity]`.
    Uniform,
    /// A fair coin picks one side, which gets the whole capacity.
    OneSide,
    /// Side 0 gets `floor(capacity * ratio)` (ratio in [0, 1], resolved to whole ppm).
    Ratio(f64),
    /// The balances in the imported file (only `format = "cloth"` has them).
    File,
}

/// Snapshot formats `kind = "import"` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportFormat {
    /// CLoTH's `nodes_ln.csv`, `channels_ln.csv`, `edges_ln.csv` (path = their directory).
    Cloth,
    /// lnd `lncli describegraph` JSON.
    LndJson,
    /// Core Lightning `lightning-cli listchannels` JSON.
    ClnJson,
    /// One channel per line: `u v capacity_sat` or NetworkX `u v {'capacity': sat}`.
    Edgelist,
}

impl ImportFormat {
    /// Whether the format carries per-side balances.
    pub fn has_balances(self) -> bool {
        matches!(self, ImportFormat::Cloth)
    }
    pub fn name(self) -> &'static str {
        match self {
            ImportFormat::Cloth => "cloth",
            ImportFormat::LndJson => "lnd_json",
            ImportFormat::ClnJson => "cln_json",
            ImportFormat::Edgelist => "edgelist",
        }
    }
}

/// Which part of the graph to keep.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComponentFilter {
    /// Keep every node and channel.
    #[default]
    All,
    /// Keep the largest connected component (ties: the one holding the lowest node id).
    LargestConnected,
    /// Keep the largest strongly connected component of the directed graph in which
    /// direction `d` of a channel exists iff `balance[d] > reserve[d]`, and every channel
    /// between two of its nodes.
    LargestStronglyConnected,
}

/// Fee policy used for generated channels, and for imported channels whose file carries
/// no value (edge lists; missing `max_htlc` in CLoTH). Values from a file always win.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeeConfig {
    /// Base fee in msat per forwarded HTLC. Default 1000.
    #[serde(default = "default_base_msat")]
    pub base_msat: FeeValue,
    /// Proportional fee in ppm. Default 1.
    #[serde(default = "default_ppm")]
    pub ppm: FeeValue,
    /// CLTV delta in blocks. Default 40.
    #[serde(default = "default_cltv")]
    pub cltv_delta: FeeValue,
    /// Smallest HTLC forwarded, msat. Default 1000.
    #[serde(default = "default_min_htlc")]
    pub min_htlc_msat: u64,
    /// Largest HTLC forwarded, as a share of the channel capacity, in (0, 1]. Default 1.0.
    #[serde(default = "default_max_htlc_share")]
    pub max_htlc_share: f64,
    /// Most HTLCs in flight per direction. Default 483 (the LN protocol maximum).
    #[serde(default = "default_max_accepted")]
    pub max_accepted_htlcs: u16,
}

fn default_base_msat() -> FeeValue {
    FeeValue::Fixed(1000)
}
fn default_ppm() -> FeeValue {
    FeeValue::Fixed(1)
}
fn default_cltv() -> FeeValue {
    FeeValue::Fixed(40)
}
fn default_min_htlc() -> u64 {
    1000
}
fn default_max_htlc_share() -> f64 {
    1.0
}
fn default_max_accepted() -> u16 {
    483
}

impl Default for FeeConfig {
    fn default() -> Self {
        FeeConfig {
            base_msat: default_base_msat(),
            ppm: default_ppm(),
            cltv_delta: default_cltv(),
            min_htlc_msat: default_min_htlc(),
            max_htlc_share: default_max_htlc_share(),
            max_accepted_htlcs: default_max_accepted(),
        }
    }
}

impl FeeConfig {
    /// Checks ranges; `field` is the key path of this table (`topology.fees`).
    pub fn validate(&self, field: &str) -> Result<(), FieldError> {
        self.base_msat
            .validate(&format!("{field}.base_msat"), crate::dist::MAX_SAT * 1000)?;
        self.ppm
            .validate(&format!("{field}.ppm"), u64::from(u32::MAX))?;
        self.cltv_delta
            .validate(&format!("{field}.cltv_delta"), u64::from(u16::MAX))?;
        if !(self.max_htlc_share.is_finite()
            && self.max_htlc_share > 0.0
            && self.max_htlc_share <= 1.0)
        {
            return Err(FieldError::new(
                format!("{field}.max_htlc_share"),
                format!(
                    "must be in (0, 1] (a share of the capacity), got {}",
                    self.max_htlc_share
                ),
            ));
        }
        if self.max_accepted_htlcs == 0 {
            return Err(FieldError::new(
                format!("{field}.max_accepted_htlcs"),
                "must be at least 1",
            ));
        }
        Ok(())
    }

    /// `max_htlc_share` as whole parts per million (1.0 → 1_000_000).
    pub fn max_htlc_ppm(&self) -> u64 {
        (self.max_htlc_share.clamp(0.0, 1.0) * 1e6).round() as u64
    }
}

/// The `[topology]` table as written: the serde mirror, compared as is by sweeps to decide
/// whether two points share a topology. Turn it into a
/// [`TopologySpec`](super::TopologySpec) with [`Self::resolve`] before using it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopologyConfig {
    /// Generator or `import`. Required.
    pub kind: TopologyKind,
    /// Number of nodes for every generator except `grid`. Default 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodes: Option<u32>,
    /// `barabasi_albert`: edges each new node brings. Default 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub m: Option<u32>,
    /// `erdos_renyi`: probability of each edge. Give `p` or `mean_degree`; default
    /// `mean_degree = 4`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p: Option<f64>,
    /// `erdos_renyi`: expected degree, `p = mean_degree / (nodes - 1)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_degree: Option<f64>,
    /// `watts_strogatz`: each node starts linked to its `k` nearest ring neighbours
    /// (`k` even, `2 <= k < nodes`). Default 4.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k: Option<u32>,
    /// `watts_strogatz`: probability of rewiring each lattice edge. Default 0.1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beta: Option<f64>,
    /// `grid`: rows. Default 4.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u32>,
    /// `grid`: columns. Default 4.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cols: Option<u32>,
    /// Capacity of generated channels and of imported ones without a capacity (none of
    /// the supported formats). Default lognormal, median 2,000,000 sat, sigma 1.0.
    #[serde(default = "default_capacity")]
    pub capacity: AmountDist,
    /// Initial balance split. Default `"half"`; `"file"` is only allowed for `cloth`.
    #[serde(default = "default_balance")]
    pub balance: BalanceSplit,
    /// Channel reserve per side, ppm of capacity, at most 500,000. Default 10,000 (1 %).
    #[serde(default = "default_reserve_ppm")]
    pub reserve_ppm: u32,
    /// `import`: the snapshot format. Required for `import`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<ImportFormat>,
    /// `import`: file (directory for `cloth`), relative to the scenario file's directory,
    /// or starting with `$PCNSIM_SHARED_DATA/`. Required for `import`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Which component to keep. Default `"all"`.
    #[serde(default)]
    pub component: ComponentFilter,
    /// Merge parallel channels between the same two nodes into one: capacities and
    /// balances summed, fee policy and label of the largest kept. Default false.
    #[serde(default)]
    pub merge_parallel: bool,
    /// Fee policy of generated channels and defaults for imports.
    #[serde(default)]
    pub fees: FeeConfig,
    /// `[[topology.add_node]]` edits (see [`super::edit`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub add_node: Vec<AddNode>,
    /// `[[topology.add_channel]]` edits.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub add_channel: Vec<AddChannel>,
    /// `[[topology.remove_channel]]` edits.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remove_channel: Vec<RemoveChannel>,
    /// `[[topology.resize_channel]]` edits.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resize_channel: Vec<ResizeChannel>,
    /// `[[topology.scale_capacity]]` edits.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scale_capacity: Vec<ScaleCapacity>,
}

impl Default for ChannelFill {
    /// What a `[topology]` table that sets none of the fill keys resolves to.
    fn default() -> Self {
        ChannelFill {
            capacity: default_capacity(),
            balance: default_balance(),
            reserve_ppm: default_reserve_ppm(),
            fees: FeeConfig::default(),
        }
    }
}

fn default_capacity() -> AmountDist {
    AmountDist::Lognormal {
        median_sat: 2_000_000.0,
        sigma: 1.0,
    }
}
fn default_balance() -> BalanceSplit {
    BalanceSplit::Half
}
fn default_reserve_ppm() -> u32 {
    10_000
}

/// Default values of the optional generator parameters.
pub const DEFAULT_NODES: u32 = 100;
pub const DEFAULT_M: u32 = 2;
pub const DEFAULT_MEAN_DEGREE: f64 = 4.0;
pub const DEFAULT_K: u32 = 4;
pub const DEFAULT_BETA: f64 = 0.1;
pub const DEFAULT_ROWS: u32 = 4;
pub const DEFAULT_COLS: u32 = 4;
/// Largest generated graph, a guard against typos (`nodes = 1e9`): ten million nodes
/// would need about 7 GB before the first event.
pub const MAX_GENERATED_NODES: u32 = 1_000_000;

impl TopologyConfig {
    /// A config of this kind with every other key at its default.
    pub fn new(kind: TopologyKind) -> Self {
        TopologyConfig {
            kind,
            nodes: None,
            m: None,
            p: None,
            mean_degree: None,
            k: None,
            beta: None,
            rows: None,
            cols: None,
            capacity: default_capacity(),
            balance: default_balance(),
            reserve_ppm: default_reserve_ppm(),
            format: None,
            path: None,
            component: ComponentFilter::All,
            merge_parallel: false,
            fees: FeeConfig::default(),
            add_node: Vec::new(),
            add_channel: Vec::new(),
            remove_channel: Vec::new(),
            resize_channel: Vec::new(),
            scale_capacity: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::spec::TopologySource;
    use super::*;
    use std::path::Path;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Doc {
        topology: TopologyConfig,
    }

    fn parse(s: &str) -> Result<TopologyConfig, String> {
        toml::from_str::<Doc>(s)
            .map(|d| d.topology)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn topology_config_full_example_parses_and_validates() {
        let c = parse(
            r#"
            [topology]
            kind = "barabasi_albert"
            nodes = 300
            m = 2
            capacity = { dist = "lognormal", median_sat = 2_000_000, sigma = 1.0 }
            balance = { ratio = 0.3 }
            reserve_ppm = 10000
            [topology.fees]
            base_msat = 1000
            ppm = { dist = "uniform", min = 1, max = 500 }
            cltv_delta = { dist = "choice", values = [40, 144] }
            min_htlc_msat = 1000
            max_htlc_share = 0.5
            max_accepted_htlcs = 30
            "#,
        )
        .unwrap();
        assert_eq!(c.kind, TopologyKind::BarabasiAlbert);
        assert_eq!(c.balance, BalanceSplit::Ratio(0.3));
        assert_eq!(c.fees.max_htlc_ppm(), 500_000);
        let spec = c.resolve(Path::new("/")).unwrap();
        assert_eq!(
            spec.source,
            TopologySource::BarabasiAlbert { nodes: 300, m: 2 }
        );
        assert_eq!(spec.fill.balance, BalanceSplit::Ratio(0.3));
        assert_eq!(spec.fill.fees, c.fees);
    }

    #[test]
    fn topology_config_defaults() {
        let c = parse("[topology]\nkind = \"ring\"").unwrap();
        assert_eq!(c, TopologyConfig::new(TopologyKind::Ring));
        assert_eq!(c.balance, BalanceSplit::Half);
        assert_eq!(c.reserve_ppm, 10_000);
        assert_eq!(c.fees, FeeConfig::default());
        let spec = c.resolve(Path::new("/")).unwrap();
        assert_eq!(spec.source, TopologySource::Ring { nodes: 100 });
        assert_eq!(spec.fill, ChannelFill::default());
        assert_eq!(spec.component, ComponentFilter::All);
        let er = TopologyConfig::new(TopologyKind::ErdosRenyi);
        match er.resolve(Path::new("/")).unwrap().source {
            TopologySource::ErdosRenyi { nodes: 100, p } => assert_eq!(p, 4.0 / 99.0),
            other => panic!("{other:?}"),
        }
        let grid = parse("[topology]\nkind = \"grid\"\ncols = 7").unwrap();
        assert_eq!(
            grid.resolve(Path::new("/")).unwrap().source,
            TopologySource::Grid { rows: 4, cols: 7 }
        );
    }

    #[test]
    fn topology_config_rejects_unknown_and_misspelled_keys() {
        assert!(parse("[topology]\nkind = \"ring\"\nnode = 5").is_err());
        assert!(parse("[topology]\nkind = \"torus\"").is_err());
        assert!(parse("[topology]\nkind = \"ring\"\nbalance = \"halves\"").is_err());
        assert!(parse("[topology]\nkind = \"ring\"\n[topology.fees]\nbase = 1").is_err());
        assert!(parse("[topology]\nnodes = 5").is_err());
    }
}
