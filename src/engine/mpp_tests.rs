//! Multi-part payments end to end, and funds conservation with every router.

use super::params::MppParams;
use super::tests::{pay, policy, trace_workload};
use super::*;
use crate::metrics::{FailureReason, MemRecorder};
use crate::routing::registry::{RouterSpec, ROUTERS};
use crate::strategy::{NoStrategy, StrategyBox};
use crate::topology::{ChannelSpec, Topology};
use crate::units::Msat;
use crate::workload::Arrival;

/// Diamond s=0 → {1, 2} → r=3 (channels 0: 0–1, 1: 1–3, 2: 0–2, 3: 2–3), every channel
/// 100,000 sat, all on the side nearer the sender unless `b_dry` (then 2–3's balance sits
/// on 3's side: the sender cannot know). No fees.
fn diamond(b_dry: bool) -> Topology {
    let mut t = Topology::new();
    for i in 0..4 {
        t.add_node(format!("n{i}"));
    }
    for (k, (a, b)) in [(0, 1), (1, 3), (0, 2), (2, 3)].into_iter().enumerate() {
        let bal = if b_dry && k == 3 {
            [Msat::ZERO, Msat::from_sat(100_000)]
        } else {
            [Msat::from_sat(100_000), Msat::ZERO]
        };
        t.add_channel(ChannelSpec {
            nodes: [NodeId(a), NodeId(b)],
            capacity: Msat::from_sat(100_000),
            balance: bal,
            reserve: [Msat::ZERO; 2],
            policy: [policy(0, 0); 2],
            label: None,
        });
    }
    t
}

fn mpp() -> Option<MppParams> {
    Some(MppParams {
        max_parts: 16,
        min_part: Msat::from_sat(10_000),
        timeout: SimDuration::from_secs(30),
    })
}

fn params(router: &'static str, mpp: Option<MppParams>) -> EngineParams {
    EngineParams {
        hop_latency: params::LatencyDist::Fixed { ms: 50.0 },
        pathfinder: RouterSpec {
            name: router,
            ..RouterSpec::default()
        },
        mpp,
        ..EngineParams::default()
    }
}

fn run(
    t: &Topology,
    p: EngineParams,
    trace: Vec<Arrival>,
    seed: u64,
) -> (RunResult, MemRecorder, Vec<network::ChannelState>) {
    let w = trace_workload(t, trace);
    let e = Engine::new(
        t,
        p,
        w,
        StrategyBox::local(NoStrategy),
        vec![],
        vec![(SimTime::ZERO, 1000)],
        seed,
    );
    let mut rec = MemRecorder::default();
    let (r, chans) = e
        .run_with_network(&mut rec)
        .expect("no invariant violation");
    (r, rec, chans)
}

#[test]
fn a_payment_larger_than_any_path_succeeds_only_with_mpp() {
    // 150,000 sat over two disjoint paths of 100,000 sat each.
    let t = diamond(false);
    for router in ["lnd", "cln", "ldk", "mcf"] {
        let (r, rec, _) = run(&t, params(router, None), vec![pay(1, 0, 3, 150_000)], 1);
        assert_eq!(r.totals.succeeded, 0, "{router} without MPP");
        assert_eq!(rec.payments[0].reason, Some(FailureReason::NoRoute));

        let (r, rec, chans) = run(&t, params(router, mpp()), vec![pay(1, 0, 3, 150_000)], 1);
        assert_eq!(r.totals.succeeded, 1, "{router} with MPP");
        let p = &rec.payments[0];
        assert!(p.parts >= 2, "{router}: {} parts", p.parts);
        assert_eq!(p.fee, Msat::ZERO);
        // The receiver got exactly 150,000 sat over its two channels; nothing in flight.
        let got = chans[1].balance(1) + chans[3].balance(1);
        assert_eq!(got, Msat::from_sat(150_000), "{router}");
        for c in &chans {
            assert_eq!(c.inflights(), [Msat::ZERO; 2]);
        }
        assert_eq!(r.totals.parts_settled, p.parts as u64);
        assert_eq!(r.totals.mpp_payments, 1);
    }
}

#[test]
fn lnd_splits_in_halves_down_to_the_minimum_part() {
    // lnd, 150,000 sat: the whole has no route; 75,000 + 75,000 go over the two paths.
    let t = diamond(false);
    let (r, rec, chans) = run(&t, params("lnd", mpp()), vec![pay(1, 0, 3, 150_000)], 1);
    assert_eq!(r.totals.succeeded, 1);
    let p = &rec.payments[0];
    assert_eq!((p.parts, p.failed_parts, p.attempts), (2, 0, 2));
    // The run's total counts each part once (it once counted them twice).
    assert_eq!(r.totals.attempts, 2);
    assert_eq!(chans[1].balance(1), Msat::from_sat(75_000));
    assert_eq!(chans[3].balance(1), Msat::from_sat(75_000));
    // Both parts travel 2 hops (50 ms each) and settle back: 200 ms.
    assert_eq!(p.finished, SimTime(1_200_000));
}

#[test]
fn a_timed_out_mpp_moves_no_money_at_any_hop() {
    // The path through node 2 looks fine but 2 has nothing toward 3: only 100,000 of the
    // 150,000 sat can ever arrive. The receiver holds the parts that arrive, then its
    // 30 s timer fails them all back: every channel ends exactly as it started.
    let t = diamond(true);
    let (r, rec, chans) = run(&t, params("lnd", mpp()), vec![pay(1, 0, 3, 150_000)], 3);
    assert_eq!(r.totals.succeeded, 0);
    let p = &rec.payments[0];
    // The sender gave up first (its last part failed at 2 → 3 for lack of balance; below
    // 20,000 sat no halving is allowed); the receiver's timer then failed the held parts.
    assert_eq!(p.reason, Some(FailureReason::NoBalance { hop: 1 }));
    assert!(p.failed_parts >= 2, "{} failed parts", p.failed_parts);
    assert_eq!(p.parts, 0);
    for (c, (_, spec)) in chans.iter().zip(t.channels()) {
        assert_eq!(c.balances(), spec.balance);
        assert_eq!(c.inflights(), [Msat::ZERO; 2]);
    }
    // Held for the MPP timeout: the payment ends 30 s after the first part arrived.
    assert!(p.finished >= SimTime(31_000_000), "{:?}", p.finished);
    assert_eq!(r.node_revenue.iter().copied().sum::<Msat>(), Msat::ZERO);
}

#[test]
fn mcf_sends_its_planned_flow_as_parts_at_once() {
    // 150,000 sat: the flow puts 75,000 sat on each path at once (by symmetry), no retry.
    let t = diamond(false);
    let (r, rec, _) = run(&t, params("mcf", mpp()), vec![pay(1, 0, 3, 150_000)], 1);
    assert_eq!(r.totals.succeeded, 1);
    let p = &rec.payments[0];
    assert_eq!((p.parts, p.failed_parts, p.attempts), (2, 0, 2));
    assert_eq!(p.finished, SimTime(1_200_000));
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        /// Funds are conserved with every router, with and without MPP: every channel ends
        /// with balances + in-flight = capacity and nothing in flight (held parts included
        /// until settled or failed back), every payment recorded once, parts accounted.
        #[test]
        fn funds_are_conserved_with_mpp_and_every_router(
            n in 3u32..10,
            raw in proptest::collection::vec((0u32..10, 0u32..10, 1u64..300_000, 1u64..300_000), 2..24),
            pays in proptest::collection::vec((0u32..10, 0u32..10, 1u64..400_000, 0u64..20), 1..40),
            router in 0usize..4,
            with_mpp in any::<bool>(),
            timeout_s in 1u64..20,
            offline in 0.0f64..0.2,
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
            let mp = with_mpp.then_some(MppParams {
                max_parts: 4,
                min_part: Msat::from_sat(5_000),
                timeout: SimDuration::from_secs(timeout_s),
            });
            let p = EngineParams {
                offline_probability: offline,
                ..params(ROUTERS[router].name, mp)
            };
            let (r, rec, chans) = run(&t, p, trace, seed);
            for c in &chans {
                prop_assert!(c.conserved());
                prop_assert_eq!(c.inflights(), [Msat::ZERO; 2]);
                prop_assert_eq!([c.htlcs(0), c.htlcs(1)], [0, 0]);
            }
            prop_assert_eq!(chans.iter().map(|c| c.capacity()).sum::<Msat>(), total);
            prop_assert_eq!(r.totals.payments, expected);
            prop_assert_eq!(rec.payments.len() as u64, expected);
            for p in &rec.payments {
                prop_assert_eq!(p.success, p.parts > 0);
                prop_assert!(p.attempts >= p.parts + p.failed_parts);
                if !with_mpp {
                    prop_assert!(p.parts <= 1);
                }
            }
            // Money moved: what left the senders' side equals what receivers and
            // forwarders gained (no fees are created or lost).
            let paid: Msat = rec.payments.iter().filter(|p| p.success).map(|p| p.amount + p.fee).sum();
            let fees: Msat = rec.payments.iter().filter(|p| p.success).map(|p| p.fee).sum();
            prop_assert_eq!(r.node_revenue.iter().copied().sum::<Msat>(), fees);
            prop_assert!(paid >= fees);
        }
    }
}
