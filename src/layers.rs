//! The dependency direction between layers, checked by a test (see ARCHITECTURE.md).
//!
//! [`ALLOWED`] lists, for every top-level module, the modules it may import. A lower layer
//! importing a higher one (say `strategy` importing `engine`) fails
//! `layers::tests::no_layer_imports_a_higher_one`. Test code (`tests.rs` and `*_tests.rs` files and
//! everything after a `#[cfg(test)]` line) and comments are exempt.

/// Module → the modules it may use, lowest layers first.
pub const ALLOWED: &[(&str, &[&str])] = &[
    ("units", &[]),
    ("rng", &[]),
    ("error", &[]),
    ("layers", &[]),
    ("names", &[]),
    ("reference", &[]),
    ("dist", &["units", "rng", "error"]),
    ("topology", &["units", "rng", "error", "dist"]),
    ("network", &["units", "topology"]),
    ("routing", &["units", "topology", "network"]),
    ("chain", &["units", "error", "topology"]),
    ("workload", &["units", "rng", "error", "dist", "topology"]),
    (
        "security",
        &["units", "rng", "error", "topology", "network"],
    ),
    ("metrics", &["units", "topology", "network", "security"]),
    (
        "strategy",
        &[
            "units", "rng", "error", "names", "topology", "network", "routing",
        ],
    ),
    (
        "engine",
        &[
            "units", "rng", "error", "topology", "network", "routing", "chain", "workload",
            "security", "metrics", "strategy",
        ],
    ),
    (
        "scenario",
        &[
            "units",
            "rng",
            "error",
            "names",
            "dist",
            "topology",
            "network",
            "routing",
            "chain",
            "workload",
            "security",
            "strategy",
            "engine",
            "reference",
        ],
    ),
    ("sweep", &["error", "scenario", "reference"]),
    (
        "output",
        &["units", "names", "topology", "metrics", "scenario"],
    ),
    ("report", &["units", "names", "metrics", "output"]),
    (
        "experiment",
        &[
            "units", "rng", "error", "names", "metrics", "engine", "workload", "scenario", "sweep",
            "output", "report",
        ],
    ),
    (
        "slurm",
        &["error", "scenario", "sweep", "output", "experiment"],
    ),
    (
        "plan",
        &[
            "units",
            "error",
            "dist",
            "topology",
            "metrics",
            "scenario",
            "sweep",
            "output",
            "report",
            "experiment",
        ],
    ),
];

#[cfg(test)]
mod tests {
    use super::ALLOWED;
    use std::path::{Path, PathBuf};

    fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).expect("src readable") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                rust_files(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }

    /// `crate::<module>` references in the non-test, non-comment code of `text`.
    fn uses(text: &str) -> Vec<(usize, String)> {
        let mut out = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let t = line.trim_start();
            if t.starts_with("#[cfg(test)]") {
                break;
            }
            if t.starts_with("//") {
                continue;
            }
            let mut rest = t;
            while let Some(k) = rest.find("crate::") {
                rest = &rest[k + "crate::".len()..];
                let m: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                out.push((i + 1, m));
            }
        }
        out
    }

    #[test]
    fn no_layer_imports_a_higher_one() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        let mut bad = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for f in &files {
            let rel = f.strip_prefix(&src).expect("under src");
            let top = rel
                .components()
                .next()
                .and_then(|c| c.as_os_str().to_str())
                .map(|s| s.trim_end_matches(".rs").to_string())
                .expect("a name");
            if ["lib", "main", "cli"].contains(&top.as_str())
                || rel
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.ends_with("tests.rs"))
            {
                continue; // the crate root, the binary, test modules
            }
            seen.insert(top.clone());
            let allowed = ALLOWED
                .iter()
                .find(|(m, _)| *m == top)
                .unwrap_or_else(|| panic!("module `{top}` is not in layers::ALLOWED"))
                .1;
            let text = std::fs::read_to_string(f).expect("readable");
            for (line, m) in uses(&text) {
                if m != top && !allowed.contains(&m.as_str()) {
                    bad.push(format!(
                        "{}:{line}: `{top}` uses `crate::{m}`",
                        rel.display()
                    ));
                }
            }
        }
        assert!(bad.is_empty(), "layer violations:\n{}", bad.join("\n"));
        // Every listed module exists (the table does not rot).
        for (m, _) in ALLOWED {
            assert!(
                seen.contains(*m),
                "layers::ALLOWED names `{m}`, not in src/"
            );
        }
    }

    #[test]
    fn the_scanner_sees_uses_and_skips_comments_and_tests() {
        let text = "use crate::network::Network;\n// crate::engine in a comment\nfn f() { crate::units::Msat(1); }\n#[cfg(test)]\nuse crate::engine::X;\n";
        let u: Vec<String> = uses(text).into_iter().map(|x| x.1).collect();
        assert_eq!(u, ["network", "units"]);
    }
}
