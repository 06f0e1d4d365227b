//! Fixtures and checks shared by the format readers' tests.

use super::*;
use crate::rng::SimRng;
use rand::SeedableRng;
use std::path::PathBuf;

pub(super) fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/topology")
        .join(name)
}

/// The default fill with this balance split.
pub(super) fn fill(balance: BalanceSplit) -> ChannelFill {
    ChannelFill {
        balance,
        ..ChannelFill::default()
    }
}

/// `path` in `format`, parallel channels merged if `merge_parallel`.
pub(super) fn source(format: ImportFormat, path: PathBuf, merge_parallel: bool) -> ImportSource {
    ImportSource {
        format,
        path,
        merge_parallel,
    }
}

/// Imports fixture `name` with the default fill and this balance split, seed 1.
pub(super) fn load(format: ImportFormat, balance: BalanceSplit, name: &str) -> Topology {
    let src = source(format, fixture(name), false);
    import(&src, &fill(balance), &mut SimRng::seed_from_u64(1)).unwrap()
}

/// The error for a broken fixture, checked to name the file, the line and the field.
pub(super) fn broken(
    format: ImportFormat,
    name: &str,
    file: &str,
    line: usize,
    field: &str,
) -> InputError {
    bad(format, &fixture(name), file, line, field)
}

/// The error reading `path`, checked to name `file` (a suffix of the path it names),
/// the line and the field.
pub(super) fn bad(
    format: ImportFormat,
    path: &Path,
    file: &str,
    line: usize,
    field: &str,
) -> InputError {
    let e = match read(format, path) {
        Ok(_) => panic!("{} should not import", path.display()),
        Err(e) => e,
    };
    let s = e.to_string();
    assert!(e.file.ends_with(file), "{s}");
    assert!(s.contains(file), "{s}");
    assert!(s.contains(&format!(":{line}:")), "{s}");
    assert!(s.contains(&format!("`{field}`")), "{s}");
    assert_eq!(e.line, Some(line), "{s}");
    assert_eq!(e.field.as_deref(), Some(field), "{s}");
    e
}

/// Writes `files` (name, contents) into `dir/sub` and returns that directory.
pub(super) fn write_dir(dir: &Path, sub: &str, files: &[(&str, &[u8])]) -> PathBuf {
    let d = dir.join(sub);
    std::fs::create_dir_all(&d).unwrap();
    for (name, bytes) in files {
        std::fs::write(d.join(name), bytes).unwrap();
    }
    d
}

/// The UTF-8 byte order mark.
pub(super) const BOM: &str = "\u{feff}";

/// `sub` inside the shared LN snapshots. The tests using it are `#[ignore]`d (run them
/// with `cargo test -- --ignored`) and fail loudly, rather than pass, without the data.
pub(super) fn shared(sub: &str) -> PathBuf {
    crate::topology::config::shared_data_dir()
        .unwrap_or_else(|| {
            panic!(
                "PCNSIM_SHARED_DATA is not set: this test needs the shared LN snapshots; \
                 run `PCNSIM_SHARED_DATA=/path/to/data/ln cargo test -- --ignored`"
            )
        })
        .join(sub)
}
