//! Hand-computed engine scenarios.

use super::*;
use crate::metrics::{FailureReason, MemRecorder};
use crate::strategy::{NoStrategy, StrategyBox};
use crate::topology::{ChannelSpec, FeePolicy, Topology};
use crate::units::Msat;
use crate::workload::{Arrival, Workload, WorkloadSpec};

pub(crate) fn policy(base_msat: u64, ppm: u32) -> FeePolicy {
    FeePolicy {
        base_fee: Msat(base_msat),
        fee_ppm: ppm,
        ..FeePolicy::default()
    }
}

/// A line of nodes 0–1–…–(n-1); channel i joins i and i+1 with balances `bal[i]` (sat).
pub(crate) fn line(bal: &[(u64, u64)], pol: FeePolicy) -> Topology {
    let mut t = Topology::new();
    for i in 0..=bal.len() {
        t.add_node(format!("n{i}"));
    }
    for (i, &(a, b)) in bal.iter().enumerate() {
        t.add_channel(ChannelSpec {
            nodes: [NodeId(i as u32), NodeId(i as u32 + 1)],
            capacity: Msat::from_sat(a + b),
            balance: [Msat::from_sat(a), Msat::from_sat(b)],
            reserve: [Msat::ZERO; 2],
            policy: [pol; 2],
            label: None,
        });
    }
    t
}

pub(crate) fn trace_workload(t: &Topology, trace: Vec<Arrival>) -> Workload {
    Workload::new(
        &WorkloadSpec::trace(trace),
        t,
        crate::rng::stream(1, "workload"),
    )
}

pub(crate) fn pay(t_s: u64, s: u32, r: u32, sat: u64) -> Arrival {
    Arrival {
        time: SimTime(t_s * 1_000_000),
        sender: NodeId(s),
        receiver: NodeId(r),
        amount: Msat::from_sat(sat),
    }
}

fn fixed_latency() -> EngineParams {
    EngineParams {
        hop_latency: params::LatencyDist::Fixed { ms: 50.0 },
        ..EngineParams::default()
    }
}

fn run(t: &Topology, trace: Vec<Arrival>) -> (RunResult, MemRecorder, Vec<network::ChannelState>) {
    let w = trace_workload(t, trace);
    let e = Engine::new(
        t,
        fixed_latency(),
        w,
        StrategyBox::local(NoStrategy),
        vec![],
        vec![(SimTime::ZERO, 1000)],
        7,
    );
    let mut rec = MemRecorder::default();
    // Keep a copy of the final network through a second engine run is not possible; use the
    // recorder and the result, and recompute balances from a fresh engine below.
    let r = e
        .run_with_network(&mut rec)
        .expect("no invariant violation");
    (r.0, rec, r.1)
}

#[test]
fn three_node_line_fees_and_balances() {
    // 0 —(500k|500k)— 1 —(500k|500k)— 2, every policy 1 sat base + 1000 ppm.
    // Pay 100,000 sat from 0 to 2. Node 1 charges 1,000 msat + 100,000,000 × 1000 / 1e6
    // = 1,000 + 100,000 = 101,000 msat. Hop 0 carries 100,101,000 msat, hop 1 100,000,000.
    let t = line(
        &[(500_000, 500_000), (500_000, 500_000)],
        policy(1000, 1000),
    );
    let (r, rec, chans) = run(&t, vec![pay(1, 0, 2, 100_000)]);
    assert_eq!(r.totals.payments, 1);
    assert_eq!(r.totals.succeeded, 1);
    assert_eq!(r.totals.fees_paid, Msat(101_000));
    assert_eq!(
        chans[0].balances(),
        [
            Msat(500_000_000 - 100_101_000),
            Msat(500_000_000 + 100_101_000)
        ]
    );
    assert_eq!(chans[1].balances(), [Msat(400_000_000), Msat(600_000_000)]);
    assert_eq!(chans[0].inflights(), [Msat::ZERO; 2]);
    assert_eq!(r.node_revenue[1], Msat(101_000));
    let p = &rec.payments[0];
    assert!(p.success);
    assert_eq!((p.hops, p.attempts, p.fee), (2, 1, Msat(101_000)));
    // Two hops out (50 ms each) and two settles back: 200 ms after arrival at t = 1 s.
    assert_eq!(p.finished, SimTime(1_200_000));
    assert_eq!(r.latency_ms[0], 200.0);
}

#[test]
fn payment_fails_at_the_hop_without_balance() {
    // Node 1 has only 10 sat toward node 2: a 100 sat payment from 0 fails at hop 1, then
    // the retry finds no route (the failed edge is excluded). All funds return.
    let t = line(&[(500_000, 500_000), (10, 999_990)], policy(1000, 1));
    let (r, rec, chans) = run(&t, vec![pay(1, 0, 2, 100)]);
    assert_eq!(r.totals.succeeded, 0);
    let p = &rec.payments[0];
    assert_eq!(p.reason, Some(FailureReason::NoBalance { hop: 1 }));
    assert_eq!(p.attempts, 1);
    assert_eq!(
        chans[0].balances(),
        [Msat::from_sat(500_000), Msat::from_sat(500_000)]
    );
    assert_eq!(
        chans[1].balances(),
        [Msat::from_sat(10), Msat::from_sat(999_990)]
    );
    assert_eq!(r.totals.failures[1], 1);
}

#[test]
fn sender_uses_its_own_balance_knowledge() {
    // The sender's own channel has 5 sat: no route at all, no attempt made.
    let t = line(&[(5, 999_995), (500_000, 500_000)], policy(0, 0));
    let (r, rec, _) = run(&t, vec![pay(1, 0, 2, 100)]);
    assert_eq!(rec.payments[0].reason, Some(FailureReason::NoRoute));
    assert_eq!(rec.payments[0].attempts, 0);
    assert!(rec.payments[0].infeasible);
    assert_eq!(r.totals.infeasible_failures, 1);
}

#[test]
fn one_way_flow_drains_a_line() {
    // 0 → 1 pays 10 × 60k sat over a 500k|500k channel: the first 8 succeed (480k), then
    // the sender's own balance (20k) is too low.
    let t = line(&[(500_000, 500_000)], policy(0, 0));
    let trace = (0..10).map(|i| pay(i + 1, 0, 1, 60_000)).collect();
    let (r, _, chans) = run(&t, trace);
    assert_eq!(r.totals.succeeded, 8);
    assert_eq!(
        chans[0].balances(),
        [Msat::from_sat(20_000), Msat::from_sat(980_000)]
    );
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// On random small graphs and workloads every run ends with each channel's balances
        /// plus in-flight equal to its capacity, nothing in flight, the total unchanged,
        /// and every payment accounted for exactly once. (The engine also checks each
        /// update in debug builds and the whole network every window; a violation would
        /// surface as an error here.)
        #[test]
        fn funds_are_conserved_on_random_graphs(
            n in 3u32..12,
            raw in proptest::collection::vec((0u32..12, 0u32..12, 1u64..500_000, 1u64..500_000), 2..30),
            pays in proptest::collection::vec((0u32..12, 0u32..12, 1u64..200_000, 0u64..50), 1..60),
            offline in 0.0f64..0.3,
            seed in any::<u64>(),
        ) {
            let mut t = Topology::new();
            for i in 0..n {
                t.add_node(format!("n{i}"));
            }
            for &(a, b, x, y) in &raw {
                let (a, b) = (a % n, b % n);
                if a == b {
                    continue;
                }
                t.add_channel(ChannelSpec {
                    nodes: [NodeId(a), NodeId(b)],
                    capacity: Msat::from_sat(x + y),
                    balance: [Msat::from_sat(x), Msat::from_sat(y)],
                    reserve: [Msat::from_sat(x.min(y) / 100); 2],
                    policy: [policy(1000, 100); 2],
                    label: None,
                });
            }
            let mut time = 0;
            let trace: Vec<Arrival> = pays
                .iter()
                .filter(|p| p.0 % n != p.1 % n)
                .map(|&(s, r, a, dt)| {
                    time += dt;
                    pay(time, s % n, r % n, a)
                })
                .collect();
            let expected = trace.len() as u64;
            let total = t.total_capacity();
            let p = EngineParams { offline_probability: offline, ..EngineParams::default() };
            let w = trace_workload(&t, trace);
            let e = Engine::new(&t, p, w, StrategyBox::local(NoStrategy), vec![], vec![(SimTime::ZERO, 1000)], seed);
            let mut rec = MemRecorder::default();
            let (r, chans) = e.run_with_network(&mut rec).expect("no invariant violation");
            for c in &chans {
                prop_assert!(c.conserved());
                prop_assert_eq!(c.inflights(), [Msat::ZERO; 2]);
                prop_assert_eq!([c.htlcs(0), c.htlcs(1)], [0, 0]);
            }
            prop_assert_eq!(chans.iter().map(|c| c.capacity()).sum::<Msat>(), total);
            prop_assert_eq!(r.totals.payments, expected);
            prop_assert_eq!(rec.payments.len() as u64, expected);
            let mut ids: Vec<u64> = rec.payments.iter().map(|p| p.id).collect();
            ids.sort_unstable();
            ids.dedup();
            prop_assert_eq!(ids.len() as u64, expected);
            // Every failed payment has exactly one reason column.
            let m = r.metrics();
            let col = |k: &str| m.iter().find(|(n, _)| n == k).map(|x| x.1).expect(k);
            let fails: f64 = m.iter().filter(|(k, _)| k.starts_with("fail_")).map(|x| x.1).sum();
            prop_assert_eq!(fails, col("payments") - col("succeeded"));
        }
    }
}

/// Lock refusals say what bound. Line 0 – 1 – 2 where channel 1–2 accepts one HTLC in
/// flight at a time (`max_accepted_htlcs = 1`, which the sender cannot see). Two payments
/// at the same instant: the first holds the slot, the second is refused at hop 1 for the
/// HTLC limit (not for lack of balance), is retried without that edge, finds no route and
/// keeps its last reason. The summary's `fail_*` columns add up to payments − succeeded.
#[test]
fn lock_refusals_get_their_own_reasons_and_fail_columns_add_up() {
    let one = FeePolicy {
        max_accepted_htlcs: 1,
        ..policy(0, 0)
    };
    let mut t = line(&[(500_000, 500_000)], policy(0, 0));
    t.add_node("n2");
    t.add_channel(ChannelSpec {
        nodes: [NodeId(1), NodeId(2)],
        capacity: Msat::from_sat(1_000_000),
        balance: [Msat::from_sat(500_000), Msat::from_sat(500_000)],
        reserve: [Msat::ZERO; 2],
        policy: [one; 2],
        label: None,
    });
    let (r, rec, _) = run(&t, vec![pay(1, 0, 2, 1_000), pay(1, 0, 2, 1_000)]);
    assert_eq!(r.totals.succeeded, 1);
    let failed: Vec<_> = rec.payments.iter().filter(|p| !p.success).collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].reason, Some(FailureReason::HtlcLimit { hop: 1 }));
    let m = r.metrics();
    let col = |k: &str| m.iter().find(|(n, _)| n == k).map(|x| x.1).expect(k);
    assert_eq!(col("fail_htlc_limit"), 1.0);
    assert_eq!(col("fail_no_balance"), 0.0);
    let fails: f64 = m
        .iter()
        .filter(|(n, _)| n.starts_with("fail_"))
        .map(|x| x.1)
        .sum();
    assert_eq!(fails, col("payments") - col("succeeded"));
}
