//! Exports `PCNSIM_BUILD_HASH`: SHA-256 over the files a build is made of (`src/**`,
//! `assets/**`, `Cargo.toml`, `Cargo.lock`: relative path and contents, in sorted order),
//! so that results stored by one build are not reused by another (see
//! `output::fingerprint`). Also exports `PCNSIM_GIT_COMMIT` (`git rev-parse HEAD`, or
//! `unknown`) for provenance only: a work tree with uncommitted changes has the same commit
//! but another build hash.
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.is_file() {
            out.push(p);
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let mut files = Vec::new();
    for d in ["src", "assets"] {
        collect(&root.join(d), &mut files);
        println!("cargo:rerun-if-changed={d}");
    }
    for f in ["Cargo.toml", "Cargo.lock"] {
        files.push(root.join(f));
        println!("cargo:rerun-if-changed={f}");
    }
    let mut rel: Vec<(String, PathBuf)> = files
        .into_iter()
        .map(|p| {
            let r = p.strip_prefix(&root).unwrap_or(&p);
            // `/` on every platform, so the hash does not depend on it.
            let r = r
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            (r, p)
        })
        .collect();
    rel.sort();
    let mut h = Sha256::new();
    for (r, p) in rel {
        let bytes = std::fs::read(&p).unwrap_or_default();
        h.update((r.len() as u64).to_le_bytes());
        h.update(r.as_bytes());
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(&bytes);
    }
    let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    println!("cargo:rustc-env=PCNSIM_BUILD_HASH={hex}");
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(&root)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=PCNSIM_GIT_COMMIT={commit}");
}
