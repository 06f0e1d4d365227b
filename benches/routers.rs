//! Router speed on the CLoTH Lightning snapshot (6,006 nodes, 30,457 channels).
//!
//! `PCNSIM_SHARED_DATA=../shared/data/ln cargo bench --bench routers -- --measurement-time 5`
//! Without the variable, a generated 6,000-node scale-free graph stands in.
//!
//! - `search/<router>_10k`: one route search for 10,000 sat between random endpoints
//!   (`mcf`: one flow plan, its unit of work); also `lnd_bimodal`, `ldk_historical` and
//!   `mcf_unpruned` (`mcf_slack = 27`). `PCNSIM_BENCH_ROUTERS=mcf,mcf_unpruned` limits the
//!   search group to those labels.
//! - `mpp/<router>_2k_100k`: 2,000 payments of 100,000 sat with `[routing] mpp` on
//!   (payments per second = 2,000 / time per iteration).

use criterion::{criterion_group, criterion_main, Criterion};
use pcnsim::metrics::NullRecorder;
use pcnsim::network::Network;
use pcnsim::routing::bimodal::Estimator;
use pcnsim::routing::ldk::LdkParams;
use pcnsim::routing::mcf::McfParams;
use pcnsim::routing::pathfinder::RouteCtx;
use pcnsim::routing::registry::{self, RouterSpec, ROUTERS};
use pcnsim::routing::{RouteRequest, RouterParams};
use pcnsim::scenario::{self, Scenario};
use pcnsim::topology::NodeId;
use pcnsim::units::{Msat, SimTime};
use rand::{Rng, SeedableRng};
use std::path::Path;

fn scenario_text(payments: u64, sat: u64, router: &str) -> String {
    let topo = match std::env::var("PCNSIM_SHARED_DATA") {
        Ok(d) => format!("kind = \"import\"\nformat = \"cloth\"\npath = \"{d}/cloth_ln_snapshot\"\nbalance = \"half\""),
        Err(_) => "kind = \"barabasi_albert\"\nnodes = 6000\nm = 5\ncapacity = { dist = \"lognormal\", median_sat = 800_000, sigma = 1.5 }".to_string(),
    };
    format!(
        "name = \"bench\"\nseed = 1\n[topology]\n{topo}\n[workload]\nrate_per_s = 1.0\npayments = {payments}\namount = {{ dist = \"fixed\", sat = {sat} }}\n[routing]\nrouter = \"{router}\"\nmpp = {{ max_parts = 16, min_part_sat = 10_000, timeout_s = 120 }}\n[metrics]\nwindow_s = 3600\npayments_csv = false\n"
    )
}

fn load(payments: u64, sat: u64, router: &str) -> Scenario {
    scenario::parse(
        &scenario_text(payments, sat, router),
        "<bench>",
        Path::new("."),
        None,
    )
    .expect("bench scenario")
}

fn search(c: &mut Criterion) {
    let s = load(1, 100, "lnd");
    let net = Network::new(&s.topology);
    let n = net.node_count() as u32;
    let p = RouterParams::default();
    let mut g = c.benchmark_group("search");
    // Every router with its defaults, then the options: lnd's bimodal estimator, LDK's
    // historical buckets, and mcf without pruning (slack 27: every edge within max_hops;
    // the flow as it was before pruning, for the before/after figure).
    let mut specs: Vec<(String, RouterSpec)> = ROUTERS
        .iter()
        .map(|e| {
            (
                e.name.to_string(),
                RouterSpec {
                    name: e.name,
                    ..RouterSpec::default()
                },
            )
        })
        .collect();
    let d = RouterSpec::default();
    specs.push((
        "lnd_bimodal".into(),
        RouterSpec {
            estimator: Estimator::Bimodal(Default::default()),
            ..d.clone()
        },
    ));
    specs.push((
        "ldk_historical".into(),
        RouterSpec {
            name: "ldk",
            ldk: LdkParams {
                historical: true,
                ..d.ldk
            },
            ..d.clone()
        },
    ));
    specs.push((
        "mcf_unpruned".into(),
        RouterSpec {
            name: "mcf",
            mcf: McfParams { slack: 27, ..d.mcf },
            ..d.clone()
        },
    ));
    if let Ok(only) = std::env::var("PCNSIM_BENCH_ROUTERS") {
        specs.retain(|(n, _)| only.split(',').any(|o| o == n));
    }
    for (label, spec) in specs {
        let mut router = registry::build(&spec, net.node_count(), net.channel_count());
        let flow = router.supports().flow;
        let mut rng = pcnsim::rng::SimRng::seed_from_u64(9);
        let mut out = Vec::new();
        let mut plan = Vec::new();
        g.bench_function(format!("{label}_10k"), |b| {
            b.iter(|| {
                let (a, z) = (rng.random_range(0..n), rng.random_range(0..n));
                let req = RouteRequest::new(NodeId(a), NodeId(z), Msat::from_sat(10_000));
                let ctx = RouteCtx {
                    net: &net,
                    mc: &[],
                    now: SimTime::ZERO,
                    params: &p,
                };
                if flow {
                    let _ = router.plan_parts(&ctx, &req, 16, &mut plan);
                } else {
                    let _ = router.find_route(&ctx, &req, &mut out);
                }
            })
        });
    }
    g.finish();
}

fn mpp(c: &mut Criterion) {
    let mut g = c.benchmark_group("mpp");
    g.sample_size(10);
    for e in ROUTERS {
        let s = load(2_000, 100_000, e.name);
        let plan = pcnsim::experiment::plan_point(&s, 0, 0);
        g.bench_function(format!("{}_2k_100k", e.name), |b| {
            b.iter(|| pcnsim::experiment::execute(&s, &plan[0], &mut NullRecorder).expect("run"))
        });
    }
    g.finish();
}

criterion_group!(benches, search, mpp);
criterion_main!(benches);
