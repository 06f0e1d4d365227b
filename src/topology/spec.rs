//! The resolved `[topology]` table: what [`super::build`], the generators and the importers
//! act on.
//!
//! A [`TopologySpec`] is produced once, by [`super::TopologyConfig::resolve`], which checks
//! every range, rejects keys that do not apply to the chosen kind, fills in the defaults and
//! expands and absolutises the import path. Every value in it is therefore valid: a
//! [`TopologySource`] carries exactly the parameters its kind uses, so no code downstream
//! reads an `Option` or a key meant for another kind.
//!
//! This module only defines data. It must not parse, validate, touch the file system or
//! read the environment (that is the raw config's job, at the boundary).

use super::config::{BalanceSplit, ComponentFilter, FeeConfig, ImportFormat};
use super::edit::Edits;
use crate::dist::AmountDist;
use std::path::PathBuf;

/// Which graph to build, with the parameters of that kind only.
#[derive(Debug, Clone, PartialEq)]
pub enum TopologySource {
    /// Barabási–Albert: `nodes > m >= 1`.
    BarabasiAlbert { nodes: u32, m: u32 },
    /// Erdős–Rényi G(n, p): `nodes >= 2`, `p` in [0, 1] (from `p` or `mean_degree`).
    ErdosRenyi { nodes: u32, p: f64 },
    /// Watts–Strogatz: `k` even, `2 <= k < nodes`, `beta` in [0, 1].
    WattsStrogatz { nodes: u32, k: u32, beta: f64 },
    /// A path, `nodes >= 2`.
    Line { nodes: u32 },
    /// A cycle, `nodes >= 3`.
    Ring { nodes: u32 },
    /// A star around node 0, `nodes >= 2`.
    Star { nodes: u32 },
    /// A `rows × cols` grid, both at least 1, `2 <= rows·cols <= 10^6`.
    Grid { rows: u32, cols: u32 },
    /// A snapshot file (a directory for `cloth`).
    Import(ImportSource),
}

/// The snapshot to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportSource {
    pub format: ImportFormat,
    /// The file (directory for `cloth`): `$PCNSIM_SHARED_DATA` expanded, joined to the
    /// scenario file's directory and made absolute.
    pub path: PathBuf,
    /// Merge parallel channels between the same two nodes (see
    /// [`super::import::merge_parallel`]).
    pub merge_parallel: bool,
}

/// How each channel is filled in: everything a generated channel draws, and what an
/// imported one takes where its file says nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelFill {
    /// Capacity of generated channels (imported ones keep their file's).
    pub capacity: AmountDist,
    /// Initial balance split; `File` only with a format that has balances (cloth).
    pub balance: BalanceSplit,
    /// Reserve per side, ppm of the capacity, at most 500,000.
    pub reserve_ppm: u32,
    /// Fee policy of generated channels; defaults for imported ones.
    pub fees: FeeConfig,
}

/// A validated `[topology]` table.
#[derive(Debug, Clone, PartialEq)]
pub struct TopologySpec {
    pub source: TopologySource,
    pub fill: ChannelFill,
    /// Edits applied after the import or generator, before the component filter.
    pub edits: Edits,
    /// The part of the graph to keep, applied last.
    pub component: ComponentFilter,
}
