//! The boundary between the `[topology]` table as written ([`TopologyConfig`]) and what
//! the rest of the crate acts on ([`TopologySpec`]): [`TopologyConfig::resolve`] checks
//! every range, rejects keys that do not apply to the chosen kind, fills in defaults,
//! computes derived values (the Erdős–Rényi edge probability) and expands the import path.
//!
//! Errors are [`FieldError`]s naming the key path (`topology.<key>`); the scenario loader
//! adds the file and line. This module must not open the snapshot (that is
//! [`super::import`]'s job) or keep anything from the raw table that the spec does not
//! carry.

use super::config::{
    shared_data_dir, BalanceSplit, ImportFormat, TopologyConfig, TopologyKind, DEFAULT_BETA,
    DEFAULT_COLS, DEFAULT_K, DEFAULT_M, DEFAULT_MEAN_DEGREE, DEFAULT_NODES, DEFAULT_ROWS,
    MAX_GENERATED_NODES, SHARED_DATA_VAR,
};
use super::edit::Edits;
use super::spec::{ChannelFill, ImportSource, TopologySource, TopologySpec};
use crate::error::FieldError;
use std::path::{Path, PathBuf};

impl TopologyConfig {
    /// The edit lists, validated (what needs the graph is checked when they apply).
    fn edits(&self) -> Result<Edits, FieldError> {
        let e = Edits {
            add_node: self.add_node.clone(),
            add_channel: self.add_channel.clone(),
            remove_channel: self.remove_channel.clone(),
            resize_channel: self.resize_channel.clone(),
            scale_capacity: self.scale_capacity.clone(),
            reserve_ppm: self.reserve_ppm,
        };
        e.validate()?;
        Ok(e)
    }

    fn nodes(&self) -> u32 {
        self.nodes.unwrap_or(DEFAULT_NODES)
    }
    fn m(&self) -> u32 {
        self.m.unwrap_or(DEFAULT_M)
    }
    fn k(&self) -> u32 {
        self.k.unwrap_or(DEFAULT_K)
    }
    fn beta(&self) -> f64 {
        self.beta.unwrap_or(DEFAULT_BETA)
    }
    fn rows(&self) -> u32 {
        self.rows.unwrap_or(DEFAULT_ROWS)
    }
    fn cols(&self) -> u32 {
        self.cols.unwrap_or(DEFAULT_COLS)
    }
    /// The Erdős–Rényi edge probability, from `p` or `mean_degree`.
    fn edge_probability(&self) -> f64 {
        match (self.p, self.mean_degree) {
            (Some(p), _) => p,
            (None, md) => {
                let n = self.nodes();
                if n < 2 {
                    0.0
                } else {
                    (md.unwrap_or(DEFAULT_MEAN_DEGREE) / f64::from(n - 1)).min(1.0)
                }
            }
        }
    }

    /// Validates the table and resolves it into the [`TopologySpec`] that
    /// [`super::build`] acts on: defaults filled in, the Erdős–Rényi probability computed
    /// from `p` or `mean_degree`, and the import `path` expanded
    /// (`$PCNSIM_SHARED_DATA/...`), joined to `base_dir` (the scenario file's directory)
    /// and made absolute. The file itself is not opened.
    ///
    /// # Errors
    /// The first problem found, naming its key path (`topology.<key>`): a value out of
    /// range, a key that does not apply to `kind`, a missing `format` or `path`, or a
    /// `path` using `$PCNSIM_SHARED_DATA` while it is unset.
    pub fn resolve(&self, base_dir: &Path) -> Result<TopologySpec, FieldError> {
        self.resolve_with(base_dir, shared_data_dir())
    }

    /// [`Self::resolve`] with the value of `$PCNSIM_SHARED_DATA` given (testable without
    /// touching the process environment).
    fn resolve_with(
        &self,
        base_dir: &Path,
        shared: Option<PathBuf>,
    ) -> Result<TopologySpec, FieldError> {
        use TopologyKind as K;
        use TopologySource as S;
        let fe = |k: &str, msg: String| Err(FieldError::new(format!("topology.{k}"), msg));
        let kind = self.kind;
        // Keys that only some kinds use.
        let uses = |key: &str| -> bool {
            match key {
                "nodes" => !matches!(kind, K::Grid | K::Import),
                "m" => kind == K::BarabasiAlbert,
                "p" | "mean_degree" => kind == K::ErdosRenyi,
                "k" | "beta" => kind == K::WattsStrogatz,
                "rows" | "cols" => kind == K::Grid,
                "format" | "path" => kind == K::Import,
                _ => true,
            }
        };
        let set: [(&str, bool); 10] = [
            ("nodes", self.nodes.is_some()),
            ("m", self.m.is_some()),
            ("p", self.p.is_some()),
            ("mean_degree", self.mean_degree.is_some()),
            ("k", self.k.is_some()),
            ("beta", self.beta.is_some()),
            ("rows", self.rows.is_some()),
            ("cols", self.cols.is_some()),
            ("format", self.format.is_some()),
            ("path", self.path.is_some()),
        ];
        for (key, is_set) in set {
            if is_set && !uses(key) {
                return fe(
                    key,
                    format!("does not apply to kind = \"{}\"; remove it", kind.name()),
                );
            }
        }

        let n = self.nodes();
        if n > MAX_GENERATED_NODES {
            return fe(
                "nodes",
                format!("must be at most {MAX_GENERATED_NODES}, got {n}"),
            );
        }
        // The generator, or (for `import`) the format and path, resolved once the fill
        // settings are checked, in the order the checks have always run.
        let source: Result<TopologySource, (ImportFormat, &str)> = match kind {
            K::BarabasiAlbert => {
                let m = self.m();
                if m == 0 {
                    return fe("m", "must be at least 1".into());
                }
                if n <= m {
                    return fe(
                        "nodes",
                        format!("must be greater than m ({m}) for barabasi_albert, got {n}"),
                    );
                }
                Ok(S::BarabasiAlbert { nodes: n, m })
            }
            K::ErdosRenyi => {
                if self.p.is_some() && self.mean_degree.is_some() {
                    return fe(
                        "mean_degree",
                        "give either p or mean_degree, not both".into(),
                    );
                }
                if let Some(p) = self.p {
                    if !(0.0..=1.0).contains(&p) {
                        return fe("p", format!("must be a probability in [0, 1], got {p}"));
                    }
                }
                if let Some(md) = self.mean_degree {
                    if !(md.is_finite() && md >= 0.0 && md <= f64::from(n.max(1) - 1)) {
                        return fe(
                            "mean_degree",
                            format!("must be in [0, nodes - 1 = {}], got {md}", n.max(1) - 1),
                        );
                    }
                }
                if n < 2 {
                    return fe("nodes", format!("must be at least 2, got {n}"));
                }
                Ok(S::ErdosRenyi {
                    nodes: n,
                    p: self.edge_probability(),
                })
            }
            K::WattsStrogatz => {
                let k = self.k();
                if k < 2 || !k.is_multiple_of(2) {
                    return fe("k", format!("must be even and at least 2, got {k}"));
                }
                if k >= n {
                    return fe("k", format!("must be less than nodes ({n}), got {k}"));
                }
                let b = self.beta();
                if !(0.0..=1.0).contains(&b) {
                    return fe("beta", format!("must be a probability in [0, 1], got {b}"));
                }
                Ok(S::WattsStrogatz {
                    nodes: n,
                    k,
                    beta: b,
                })
            }
            K::Line | K::Star => {
                if n < 2 {
                    return fe("nodes", format!("must be at least 2, got {n}"));
                }
                Ok(if kind == K::Line {
                    S::Line { nodes: n }
                } else {
                    S::Star { nodes: n }
                })
            }
            K::Ring => {
                if n < 3 {
                    return fe("nodes", format!("must be at least 3 for a ring, got {n}"));
                }
                Ok(S::Ring { nodes: n })
            }
            K::Grid => {
                let (r, c) = (self.rows(), self.cols());
                if r == 0 {
                    return fe("rows", "must be at least 1".into());
                }
                if c == 0 {
                    return fe("cols", "must be at least 1".into());
                }
                if u64::from(r) * u64::from(c) > u64::from(MAX_GENERATED_NODES) {
                    return fe(
                        "rows",
                        format!("rows * cols must be at most {MAX_GENERATED_NODES}"),
                    );
                }
                if u64::from(r) * u64::from(c) < 2 {
                    return fe("cols", "rows * cols must be at least 2".into());
                }
                Ok(S::Grid { rows: r, cols: c })
            }
            K::Import => {
                let Some(format) = self.format else {
                    return fe("format", "is required for kind = \"import\" (cloth | lnd_json | cln_json | edgelist)".into());
                };
                let path = match &self.path {
                    None => return fe("path", "is required for kind = \"import\"".into()),
                    Some(p) if p.trim().is_empty() => {
                        return fe("path", "must not be empty".into())
                    }
                    Some(p) => p.as_str(),
                };
                if self.balance == BalanceSplit::File && !format.has_balances() {
                    return fe(
                        "balance",
                        format!(
                            "\"file\" needs a format with balances (cloth); {} has none",
                            format.name()
                        ),
                    );
                }
                Err((format, path))
            }
        };
        if kind != K::Import && self.balance == BalanceSplit::File {
            return fe(
                "balance",
                "\"file\" is only for kind = \"import\" with format = \"cloth\"".into(),
            );
        }
        if let BalanceSplit::Ratio(r) = self.balance {
            if !(0.0..=1.0).contains(&r) {
                return fe(
                    "balance.ratio",
                    format!("must be in [0, 1] (side 0's share), got {r}"),
                );
            }
        }
        if self.reserve_ppm > 500_000 {
            return fe(
                "reserve_ppm",
                format!(
                    "must be at most 500000 (both sides' reserves fit in the capacity), got {}",
                    self.reserve_ppm
                ),
            );
        }
        self.capacity.validate("topology.capacity")?;
        self.fees.validate("topology.fees")?;
        if let Ok(src) = &source {
            let channels = expected_channels(src);
            if channels > crate::error::limits::MAX_GENERATED_CHANNELS {
                let key = match src {
                    S::BarabasiAlbert { .. } => "m",
                    S::ErdosRenyi { .. } if self.mean_degree.is_some() => "mean_degree",
                    S::ErdosRenyi { .. } => "p",
                    S::WattsStrogatz { .. } => "k",
                    _ => "nodes",
                };
                return fe(
                    key,
                    format!(
                        "would generate about {channels:.3e} channels, more than the limit of {:.0e}; use fewer nodes or a sparser graph",
                        crate::error::limits::MAX_GENERATED_CHANNELS
                    ),
                );
            }
        }
        if kind == K::Import && self.capacity != default_capacity_value() {
            return fe(
                "capacity",
                "does not apply to kind = \"import\" (the snapshot gives every channel's capacity); remove it".into(),
            );
        }
        let source = match source {
            Ok(s) => s,
            Err((format, path)) => S::Import(ImportSource {
                format,
                path: import_path(path, base_dir, shared)?,
                merge_parallel: self.merge_parallel,
            }),
        };
        Ok(TopologySpec {
            source,
            fill: ChannelFill {
                capacity: self.capacity.clone(),
                balance: self.balance,
                reserve_ppm: self.reserve_ppm,
                fees: self.fees.clone(),
            },
            edits: self.edits()?,
            component: self.component,
        })
    }
}

/// The file or directory to import: `path` with a leading `$PCNSIM_SHARED_DATA/` replaced
/// by `shared`, joined to `base_dir` (the scenario file's directory) and made absolute
/// (against the working directory, without resolving symbolic links).
fn import_path(
    path: &str,
    base_dir: &Path,
    shared: Option<PathBuf>,
) -> Result<PathBuf, FieldError> {
    let prefix = format!("${SHARED_DATA_VAR}/");
    let joined = match path.strip_prefix(&prefix) {
        Some(rest) => match shared {
            Some(dir) => dir.join(rest),
            None => {
                return Err(FieldError::new(
                    "topology.path",
                    format!(
                        "`{path}` uses ${SHARED_DATA_VAR}, which is not set; set it to the \
                         directory holding the shared LN snapshots"
                    ),
                ))
            }
        },
        None => base_dir.join(path),
    };
    std::path::absolute(&joined).map_err(|e| {
        FieldError::new(
            "topology.path",
            format!("can not make `{}` absolute: {e}", joined.display()),
        )
    })
}

/// The default `capacity` (to tell whether an import sets one, which it may not).
fn default_capacity_value() -> crate::dist::AmountDist {
    super::config::TopologyConfig::new(TopologyKind::Import).capacity
}

/// The number of channels a generator is expected to make, before making any (a guard
/// against `erdos_renyi` with `p = 1` on 100,000 nodes and the like).
fn expected_channels(src: &TopologySource) -> f64 {
    use TopologySource as S;
    match *src {
        S::BarabasiAlbert { nodes, m } => f64::from(nodes) * f64::from(m),
        S::ErdosRenyi { nodes, p } => p * f64::from(nodes) * (f64::from(nodes) - 1.0) / 2.0,
        S::WattsStrogatz { nodes, k, .. } => f64::from(nodes) * f64::from(k) / 2.0,
        S::Line { nodes } | S::Ring { nodes } | S::Star { nodes } => f64::from(nodes),
        S::Grid { rows, cols } => 2.0 * f64::from(rows) * f64::from(cols),
        S::Import(_) => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

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
    fn topology_config_validate_names_the_field() {
        let field = |s: &str| parse(s).unwrap().resolve(Path::new("/")).unwrap_err().field;
        assert_eq!(field("[topology]\nkind = \"ring\"\nm = 3"), "topology.m");
        assert_eq!(
            field("[topology]\nkind = \"barabasi_albert\"\nm = 0"),
            "topology.m"
        );
        assert_eq!(
            field("[topology]\nkind = \"barabasi_albert\"\nnodes = 3\nm = 3"),
            "topology.nodes"
        );
        assert_eq!(
            field("[topology]\nkind = \"erdos_renyi\"\np = 1.5"),
            "topology.p"
        );
        assert_eq!(
            field("[topology]\nkind = \"erdos_renyi\"\np = 0.1\nmean_degree = 3"),
            "topology.mean_degree"
        );
        assert_eq!(
            field("[topology]\nkind = \"watts_strogatz\"\nk = 3"),
            "topology.k"
        );
        assert_eq!(
            field("[topology]\nkind = \"ring\"\nnodes = 2"),
            "topology.nodes"
        );
        assert_eq!(
            field("[topology]\nkind = \"ring\"\nbalance = { ratio = 1.5 }"),
            "topology.balance.ratio"
        );
        assert_eq!(
            field("[topology]\nkind = \"ring\"\nreserve_ppm = 600000"),
            "topology.reserve_ppm"
        );
        assert_eq!(
            field("[topology]\nkind = \"ring\"\ncapacity = { dist = \"fixed\", sat = 0 }"),
            "topology.capacity.sat"
        );
        assert_eq!(
            field("[topology]\nkind = \"ring\"\n[topology.fees]\ncltv_delta = 70000"),
            "topology.fees.cltv_delta"
        );
        assert_eq!(
            field("[topology]\nkind = \"ring\"\n[topology.fees]\nmax_htlc_share = 0"),
            "topology.fees.max_htlc_share"
        );
        assert_eq!(field("[topology]\nkind = \"import\""), "topology.format");
        assert_eq!(
            field("[topology]\nkind = \"import\"\nformat = \"edgelist\""),
            "topology.path"
        );
        assert_eq!(
            field("[topology]\nkind = \"import\"\nformat = \"edgelist\"\npath = \"x\"\nbalance = \"file\""),
            "topology.balance"
        );
        assert_eq!(
            field("[topology]\nkind = \"ring\"\nbalance = \"file\""),
            "topology.balance"
        );
        assert_eq!(
            field("[topology]\nkind = \"ring\"\npath = \"x\""),
            "topology.path"
        );
        assert_eq!(
            field("[topology]\nkind = \"grid\"\nnodes = 3"),
            "topology.nodes"
        );
        parse("[topology]\nkind = \"import\"\nformat = \"cloth\"\npath = \"x\"\nbalance = \"file\"\ncomponent = \"largest_strongly_connected\"\nmerge_parallel = true")
            .unwrap()
            .resolve(Path::new("/"))
            .unwrap();
    }

    #[test]
    fn topology_config_path_resolution() {
        let mut c = TopologyConfig::new(TopologyKind::Import);
        c.format = Some(ImportFormat::Edgelist);
        let path = |c: &TopologyConfig, base: &str, shared: Option<&str>| {
            let spec = c.resolve_with(Path::new(base), shared.map(PathBuf::from))?;
            match spec.source {
                TopologySource::Import(src) => Ok::<_, FieldError>(src.path),
                other => panic!("{other:?}"),
            }
        };
        c.path = Some("data/x.edgelist".into());
        assert_eq!(
            path(&c, "/scen", None),
            Ok(PathBuf::from("/scen/data/x.edgelist"))
        );
        // A relative scenario directory is made absolute against the working directory.
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(path(&c, "scen", None), Ok(cwd.join("scen/data/x.edgelist")));
        c.path = Some("/abs/x".into());
        assert_eq!(path(&c, "/scen", None), Ok(PathBuf::from("/abs/x")));
        // The shared-data variable, given explicitly: tests run in parallel and must not
        // set process-wide environment variables.
        c.path = Some("$PCNSIM_SHARED_DATA/cloth_ln_snapshot".into());
        assert_eq!(
            path(&c, "/scen", Some("/data/ln")),
            Ok(PathBuf::from("/data/ln/cloth_ln_snapshot"))
        );
        let e = path(&c, "/scen", None).unwrap_err();
        assert_eq!(e.field, "topology.path");
        assert!(e.message.contains("PCNSIM_SHARED_DATA"), "{e}");
        assert!(e.message.contains("not set"), "{e}");
    }

    #[test]
    fn topology_config_defaults_resolved() {
        let er = TopologyConfig::new(TopologyKind::ErdosRenyi);
        assert_eq!(er.nodes(), 100);
        assert!((er.edge_probability() - 4.0 / 99.0).abs() < 1e-12);
    }
}
