//! Speed benches on the CLoTH Lightning snapshot (6,006 nodes, 30,457 channels).
//!
//! `PCNSIM_SHARED_DATA=../shared/data/ln cargo bench --bench engine`
//! Without the variable, a generated 6,000-node scale-free graph stands in.
//!
//! - `route/cloth_100sat`: one route search for 100 sat between random endpoints.
//! - `engine/cloth_50k_100sat`: the target: 50,000 payments of 100 sat, uniform
//!   endpoints, Poisson 1/s (throughput = 50,000 / time per iteration).

use criterion::{criterion_group, criterion_main, Criterion};
use pcnsim::metrics::NullRecorder;
use pcnsim::network::Network;
use pcnsim::routing::{RouteRequest, Router, RouterParams};
use pcnsim::scenario::{self, Scenario};
use pcnsim::topology::NodeId;
use pcnsim::units::{Msat, SimTime};
use rand::{Rng, SeedableRng};
use std::path::Path;

fn scenario_text(payments: u64) -> String {
    let topo = match std::env::var("PCNSIM_SHARED_DATA") {
        Ok(d) => format!("kind = \"import\"\nformat = \"cloth\"\npath = \"{d}/cloth_ln_snapshot\"\nbalance = \"file\""),
        Err(_) => "kind = \"barabasi_albert\"\nnodes = 6000\nm = 5\ncapacity = { dist = \"lognormal\", median_sat = 800_000, sigma = 1.5 }".to_string(),
    };
    format!(
        "name = \"bench\"\nseed = 1\n[topology]\n{topo}\n[workload]\nrate_per_s = 1.0\npayments = {payments}\namount = {{ dist = \"fixed\", sat = 100 }}\n[metrics]\nwindow_s = 3600\npayments_csv = false\n"
    )
}

fn load(payments: u64) -> Scenario {
    scenario::parse(&scenario_text(payments), "<bench>", Path::new("."), None)
        .expect("bench scenario")
}

fn route(c: &mut Criterion) {
    let s = load(1);
    let net = Network::new(&s.topology);
    let n = net.node_count() as u32;
    let mut router = Router::new(net.node_count(), net.channel_count());
    let p = RouterParams::default();
    let mut rng = pcnsim::rng::SimRng::seed_from_u64(9);
    let mut out = Vec::new();
    c.bench_function("route/cloth_100sat", |b| {
        b.iter(|| {
            let (a, z) = (rng.random_range(0..n), rng.random_range(0..n));
            let req = RouteRequest::new(NodeId(a), NodeId(z), Msat::from_sat(100));
            let _ = router.find_route(&net, &req, &[], SimTime::ZERO, &p, &mut out);
        })
    });
}

fn engine(c: &mut Criterion) {
    let s = load(50_000);
    let plan = pcnsim::experiment::plan_point(&s, 0, 0);
    let mut g = c.benchmark_group("engine");
    g.sample_size(10);
    g.bench_function("cloth_50k_100sat", |b| {
        b.iter(|| pcnsim::experiment::execute(&s, &plan[0], &mut NullRecorder).expect("run"))
    });
    g.finish();
}

criterion_group!(benches, route, engine);
criterion_main!(benches);
