//! Cost of the security model: the same run without `[security]`, with modelled
//! signatures, and with real ed25519 signatures on every committed update.
//!
//! `CARGO_TARGET_DIR=... cargo bench --bench security -j 2`

use criterion::{criterion_group, criterion_main, Criterion};
use pcnsim::engine::{Engine, EngineParams};
use pcnsim::metrics::NullRecorder;
use pcnsim::security::config::{SecurityConfig, SignatureMode};
use pcnsim::strategy::{NoStrategy, StrategyBox};
use pcnsim::topology::{ChannelSpec, FeePolicy, NodeId, Topology};
use pcnsim::units::{Msat, SimTime};
use pcnsim::workload::{Arrival, Workload, WorkloadSpec};
use rand::Rng;

const NODES: u32 = 30;
const PAYMENTS: u64 = 2000;

/// A ring of 30 nodes with chords i — i+7: 60 channels of 2M sat, balanced.
fn topology() -> Topology {
    let mut t = Topology::new();
    for i in 0..NODES {
        t.add_node(format!("n{i}"));
    }
    for i in 0..NODES {
        for k in [1, 7] {
            t.add_channel(ChannelSpec {
                nodes: [NodeId(i), NodeId((i + k) % NODES)],
                capacity: Msat::from_sat(2_000_000),
                balance: [Msat::from_sat(1_000_000); 2],
                reserve: [Msat::ZERO; 2],
                policy: [FeePolicy::default(); 2],
                label: None,
            });
        }
    }
    t
}

fn trace() -> Vec<Arrival> {
    let mut r = pcnsim::rng::stream(1, "bench-trace");
    (0..PAYMENTS)
        .map(|i| {
            let s = r.random_range(0..NODES);
            let d = (s + r.random_range(1..NODES)) % NODES;
            Arrival {
                time: SimTime(i * 1_000_000),
                sender: NodeId(s),
                receiver: NodeId(d),
                amount: Msat::from_sat(r.random_range(1_000..100_000)),
            }
        })
        .collect()
}

fn run(t: &Topology, tr: &[Arrival], sec: Option<SecurityConfig>) -> u64 {
    let w = Workload::new(
        &WorkloadSpec::trace(tr.to_vec()),
        t,
        pcnsim::rng::stream(1, "workload"),
    );
    let p = EngineParams {
        security: sec,
        ..EngineParams::default()
    };
    let e = Engine::new(
        t,
        p,
        w,
        StrategyBox::local(NoStrategy),
        vec![],
        vec![(SimTime::ZERO, 1000)],
        7,
    );
    let r = e.run(&mut NullRecorder).expect("no invariant violation");
    r.totals.succeeded + r.security.map_or(0, |s| s.states_signed)
}

fn bench(c: &mut Criterion) {
    let t = topology();
    let tr = trace();
    let cfg = |m| {
        Some(SecurityConfig {
            signatures: m,
            ..SecurityConfig::default()
        })
    };
    // Co-signed states per run (succeeded payments subtracted): the unit of the slowdown.
    let states = run(&t, &tr, cfg(SignatureMode::Modelled)) - run(&t, &tr, None);
    eprintln!("security bench: {states} co-signed states per run");
    let mut g = c.benchmark_group("security_2000_payments");
    g.sample_size(10);
    g.bench_function("none", |b| b.iter(|| run(&t, &tr, None)));
    g.bench_function("modelled", |b| {
        b.iter(|| run(&t, &tr, cfg(SignatureMode::Modelled)))
    });
    g.bench_function("real", |b| {
        b.iter(|| run(&t, &tr, cfg(SignatureMode::Real)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
