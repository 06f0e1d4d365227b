//! The speed table of issue 15 as criterion benches: one whole run per iteration, on the
//! same scenario files as `scripts/speed.sh` (`benches/scenarios/*.toml`).
//!
//! `PCNSIM_SHARED_DATA=../shared/data/ln cargo bench --bench speed -- cloth_100_half`
//!
//! - `speed/<file stem>`: one run of `benches/scenarios/<file stem>.toml` (topology built
//!   once, outside the timing; a run's work is its payments, windows and final metrics).
//!   Throughput is reported in payments per second of wall time per iteration.
//! - The CLoTH cases need `PCNSIM_SHARED_DATA` and are skipped without it. They take
//!   seconds per iteration, so each group uses criterion's smallest sample (10); filter
//!   by name to run a few. `ba_1m` is left out (minutes per run and ~1 GB): use
//!   `scripts/speed.sh ba` for it.
//!
//! `scripts/speed.sh` measures what the README reports (whole-process user CPU, including
//! loading the snapshot and writing results, and peak RSS); these benches time the run
//! alone, for comparing changes.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use pcnsim::metrics::NullRecorder;
use pcnsim::scenario::{self, Scenario};
use std::path::Path;

const CASES: &[&str] = &[
    "ba_1k",
    "ba_10k",
    "ba_100k",
    "cloth_100_half",
    "cloth_100_half_w60",
    "cloth_100_file",
    "cloth_10k_half",
    "cloth_10k_file",
    "cloth_100k_half",
    "cloth_100k_file",
];

fn load(stem: &str) -> Option<Scenario> {
    if stem.starts_with("cloth") && std::env::var_os("PCNSIM_SHARED_DATA").is_none() {
        return None;
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/scenarios");
    let path = dir.join(format!("{stem}.toml"));
    let text = std::fs::read_to_string(&path).expect("bench scenario file");
    Some(scenario::parse(&text, &path.display().to_string(), &dir, None).expect("bench scenario"))
}

fn speed(c: &mut Criterion) {
    let mut g = c.benchmark_group("speed");
    g.sample_size(10);
    for stem in CASES {
        // Parsing builds the topology (and reads the snapshot): only for selected cases.
        let selected = std::env::args()
            .skip(1)
            .filter(|a| !a.starts_with('-'))
            .all(|f| stem.contains(f.as_str()));
        if !selected {
            continue;
        }
        let Some(s) = load(stem) else { continue };
        let plan = pcnsim::experiment::plan_point(&s, 0, 0);
        // The files' payment counts: 10,000 on BA networks, 50,000 on the snapshot.
        let payments = if stem.starts_with("ba") {
            10_000
        } else {
            50_000
        };
        g.throughput(Throughput::Elements(payments));
        g.bench_function(*stem, |b| {
            b.iter(|| pcnsim::experiment::execute(&s, &plan[0], &mut NullRecorder).expect("run"))
        });
    }
    g.finish();
}

criterion_group!(benches, speed);
criterion_main!(benches);
