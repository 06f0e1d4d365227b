//! Strategy overhead: one run of the reference comparison (`scenarios/compare.toml`,
//! replication 0) per strategy. The target: every strategy within 3× of `none`.
//!
//! `cargo bench --bench strategies`

use criterion::{criterion_group, criterion_main, Criterion};
use pcnsim::metrics::NullRecorder;
use std::path::Path;

fn strategies(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/compare.toml");
    let exp = pcnsim::sweep::load(Some(&path), None).expect("compare scenario");
    let s = &exp.points[0].scenario;
    let plan = pcnsim::experiment::plan_point(s, 0, 0);
    let mut g = c.benchmark_group("strategy_run");
    g.sample_size(10);
    for p in plan.iter().filter(|p| p.replication == 0) {
        g.bench_function(&p.label, |b| {
            b.iter(|| pcnsim::experiment::execute(s, p, &mut NullRecorder).expect("run"))
        });
    }
    g.finish();
}

criterion_group!(benches, strategies);
criterion_main!(benches);
