//! Hand-computed tests of what the engine measures for experiments: probes, warm-up,
//! endpoint infeasibility, per-channel statistics, capital flows and their cost.

use super::accounting::Accounting;
use super::tests::{line, pay, policy, trace_workload};
use super::*;
use crate::metrics::{FailureReason, MemRecorder};
use crate::network::Network;
use crate::strategy::{NoStrategy, StrategyBox};
use crate::topology::ComponentFilter;
use crate::units::Msat;
use crate::workload::{Arrival, ProbePairs, ProbeSpec};
use std::sync::Arc;

fn params() -> EngineParams {
    EngineParams {
        hop_latency: params::LatencyDist::Fixed { ms: 50.0 },
        ..EngineParams::default()
    }
}

fn run_with(t: &Topology, trace: Vec<Arrival>, p: EngineParams) -> (RunResult, MemRecorder) {
    let e = Engine::new(
        t,
        p,
        trace_workload(t, trace),
        StrategyBox::local(NoStrategy),
        vec![],
        vec![(SimTime::ZERO, 1000)],
        7,
    );
    let mut rec = MemRecorder::default();
    let r = e.run(&mut rec).expect("no invariant violation");
    (r, rec)
}

fn probes(pairs: &[(u32, u32)], amounts_sat: &[u64], at_start: bool, at_end: bool) -> ProbeSpec {
    ProbeSpec {
        times: vec![],
        every: None,
        at_start,
        at_end,
        pairs: ProbePairs::List(pairs.iter().map(|&(s, r)| (NodeId(s), NodeId(r))).collect()),
        amounts: amounts_sat.iter().map(|&a| Msat::from_sat(a)).collect(),
    }
}

#[test]
fn probe_round_hand_computed() {
    // 0 —(500k|500k)— 1 —(10|999,990)— 2 (sat). Node 1 can send only 10 sat toward 2.
    // Probes 0→2 and 2→0 at 5 and 100 sat, at the start:
    //   0→2,   5 sat: hop 1 carries 5 sat ≤ 10 → success;
    //   0→2, 100 sat: hop 1 carries 100 sat > 10 → no_balance at hop 1;
    //   2→0: both succeed (999,990 and 500,000 sat available).
    // Largest success per pair: 5 sat and 100 sat; nearest-rank median = 5 sat.
    let t = line(&[(500_000, 500_000), (10, 999_990)], policy(1000, 1));
    let p = EngineParams {
        probes: Some(Arc::new(probes(&[(0, 2), (2, 0)], &[5, 100], true, false))),
        ..params()
    };
    let (r, rec) = run_with(&t, vec![pay(1, 2, 0, 1)], p);
    assert_eq!(rec.probes.len(), 4);
    let fail = rec
        .probes
        .iter()
        .find(|x| x.sender == NodeId(0) && x.amount == Msat::from_sat(100))
        .unwrap();
    assert!(!fail.success);
    assert_eq!(fail.reason, Some(FailureReason::NoBalance { hop: 1 }));
    assert_eq!(fail.hops, 2);
    assert_eq!(rec.probes.iter().filter(|x| x.success).count(), 3);
    assert_eq!(r.probe_rounds.len(), 1);
    let round = &r.probe_rounds[0];
    assert_eq!(
        (round.tried.clone(), round.succeeded.clone()),
        (vec![2, 2], vec![2, 1])
    );
    assert_eq!(round.median_payable, Msat::from_sat(5));
    let m = r.metrics();
    let get = |k: &str| m.iter().find(|(n, _)| n == k).map(|x| x.1);
    assert_eq!(get("probe_success_5sat"), Some(1.0));
    assert_eq!(get("probe_success_100sat"), Some(0.5));
    assert_eq!(get("probe_success_start_100sat"), Some(0.5));
    assert_eq!(get("probe_median_payable_start_sat"), Some(5.0));
    assert_eq!(get("probe_success_end_100sat"), None);
    // The probe locked nothing: the payment still ran and nothing is left in flight.
    assert_eq!(r.totals.succeeded, 1);
}

#[test]
fn probes_see_the_state_at_their_instant() {
    // 0 —(100|100)— 1. A 95 sat payment 0→1 at t = 1 s settles at 1.1 s (50 ms per
    // message); a 1 sat payment 1→0 at 3 s settles at 3.1 s, the end of the run. A probe
    // 0→1 of 50 sat at t = 0.5 s succeeds; at t = 2 s node 0 has 5 sat, at the end 6 sat:
    // the sender knows its own balance, so the router finds no route.
    let t = line(&[(100, 100)], policy(0, 0));
    let mut spec = probes(&[(0, 1)], &[50], false, true);
    spec.times = vec![SimTime(500_000), SimTime(2_000_000), SimTime(9_000_000)];
    let p = EngineParams {
        probes: Some(Arc::new(spec)),
        ..params()
    };
    let (r, rec) = run_with(&t, vec![pay(1, 0, 1, 95), pay(3, 1, 0, 1)], p);
    let seen: Vec<(u64, bool, Option<FailureReason>)> = rec
        .probes
        .iter()
        .map(|x| (x.time.0, x.success, x.reason))
        .collect();
    // The round at 9 s is after the run's end (3.1 s): not run.
    assert_eq!(
        seen,
        vec![
            (500_000, true, None),
            (2_000_000, false, Some(FailureReason::NoRoute)),
            (3_100_000, false, Some(FailureReason::NoRoute)),
        ]
    );
    assert_eq!(r.probe_rounds.len(), 3);
    assert!(r.probe_rounds[2].at_end);
    assert_eq!(r.totals.succeeded, 2);
}

#[test]
fn probes_fail_at_offline_intermediaries() {
    // 0 —(500k|500k)— 1 —(500k|500k)— 2, no fees. Probes of 1,000 sat at the start.
    // Every intermediary offline (p = 1): 0→1 has none and succeeds; 0→2 reaches node 1,
    // which is offline, so it fails with `offline_node` at hop 1 (the hop node 1 would
    // offer), its route of 2 hops found. With p = 0 both succeed.
    let t = line(&[(500_000, 500_000), (500_000, 500_000)], policy(0, 0));
    let with = |offline: f64, pairs: &[(u32, u32)]| EngineParams {
        offline_probability: offline,
        probes: Some(Arc::new(probes(pairs, &[1000], true, false))),
        ..params()
    };
    let (_, rec) = run_with(&t, vec![], with(1.0, &[(0, 1), (0, 2)]));
    let got: Vec<(u32, bool, Option<FailureReason>, u16)> = rec
        .probes
        .iter()
        .map(|x| (x.receiver.0, x.success, x.reason, x.hops))
        .collect();
    assert_eq!(
        got,
        vec![
            (1, true, None, 1),
            (2, false, Some(FailureReason::OfflineNode { hop: 1 }), 2),
        ]
    );
    let (_, rec) = run_with(&t, vec![], with(0.0, &[(0, 1), (0, 2)]));
    assert!(rec.probes.iter().all(|x| x.success));
    // p = 0.5: each 0→2 probe fails with probability 1/2. 400 probes: 200 ± 10 (one
    // standard deviation) offline failures; the bounds are 5 standard deviations.
    let (_, rec) = run_with(&t, vec![], with(0.5, &[(0, 2); 400]));
    let off = rec.probes.iter().filter(|x| !x.success).count();
    assert!((150..=250).contains(&off), "{off} of 400 offline");
    assert!(rec
        .probes
        .iter()
        .all(|x| x.success || x.reason == Some(FailureReason::OfflineNode { hop: 1 })));
    // The offline draws of probes come from the probes' stream, not the payments' faults
    // stream: with p = 0.5 the payments are the same with and without probes.
    let trace: Vec<Arrival> = (0..40).map(|i| pay(1 + i, 0, 2, 1_000)).collect();
    let plain = EngineParams {
        offline_probability: 0.5,
        ..params()
    };
    let (ra, a) = run_with(&t, trace.clone(), plain);
    let (rb, b) = run_with(&t, trace, with(0.5, &[(0, 2); 50]));
    assert_eq!(a.payments, b.payments);
    assert_eq!(ra.totals.succeeded, rb.totals.succeeded);
    // ... and the payments did meet offline nodes (retries or failures).
    assert!(a.payments.iter().any(|p| p.failed_parts > 0));
}

#[test]
fn warmup_excludes_earlier_payments_and_restarts_counters() {
    // Payments at 1 s and 20 s; warm-up 10 s: only the second is measured.
    let t = line(&[(500_000, 500_000), (500_000, 500_000)], policy(1000, 0));
    let p = EngineParams {
        warmup: SimDuration::from_secs(10),
        ..params()
    };
    let (r, _) = run_with(&t, vec![pay(1, 0, 2, 100), pay(20, 0, 2, 100)], p);
    assert_eq!(r.totals.payments, 1);
    assert_eq!(r.totals.succeeded, 1);
    assert_eq!(r.totals.fees_paid, Msat(1000));
    assert_eq!(r.measured_from, SimTime(10_000_000));
    // Node 1 earned 1 sat per payment; only the measured one counts.
    assert_eq!(r.node_revenue[1], Msat(1000));
    // Capital at the start of measurement is after the first payment: node 0 had paid
    // 100 sat + 1 sat fee.
    assert_eq!(r.nodes[0].capital_start, Msat::from_sat(500_000 - 101));
    let m = r.metrics();
    let get = |k: &str| m.iter().find(|(n, _)| n == k).map(|x| x.1).unwrap();
    assert_eq!(get("warmup_s"), 10.0);
}

#[test]
fn endpoint_infeasible_and_workload_only_attempts() {
    // 0 —(10|500,000)— 1. 0→1 of 100 sat: node 0 has 10 sat outbound in total →
    // endpoint-infeasible (and no route: its own channel cannot carry it, 0 attempts).
    // 1→0 of 100 sat: feasible, one attempt.
    let t = line(&[(10, 500_000)], policy(0, 0));
    let (r, rec) = run_with(&t, vec![pay(1, 0, 1, 100), pay(2, 1, 0, 100)], params());
    assert_eq!(r.totals.endpoint_infeasible, 1);
    assert_eq!(r.totals.attempts, 1);
    assert!(rec.payments[0].infeasible && !rec.payments[1].infeasible);
    let m = r.metrics();
    let get = |k: &str| m.iter().find(|(n, _)| n == k).map(|x| x.1).unwrap();
    assert_eq!(get("endpoint_infeasible_share"), 0.5);
    assert_eq!(get("attempts_per_payment"), 0.5);
}

#[test]
fn channel_statistics_hand_computed() {
    // 0 —(100|100)— 1 (sat), depleted_share 0.05 → floor 10 sat. A 95 sat payment 0→1 at
    // t = 1 s locks 95 sat at once (node 0 keeps 5 < 10: depleted from 1.0 s); it settles
    // at 1.1 s and the run ends then: direction 0 depleted 0.1 s, forwarded once, 95 sat.
    let t = line(&[(100, 100)], policy(0, 0));
    let (r, _) = run_with(&t, vec![pay(1, 0, 1, 95)], params());
    let c = &r.channels.get(0);
    assert_eq!(c.dirs[0].depleted, SimDuration::from_millis(100));
    assert_eq!(c.dirs[1].depleted, SimDuration::ZERO);
    assert_eq!(c.dirs[0].forwarded, 1);
    assert_eq!(c.dirs[0].forwarded_volume, Msat::from_sat(95));
    assert_eq!(c.balance_start, [Msat::from_sat(100); 2]);
    assert_eq!(c.balance_end, [Msat::from_sat(5), Msat::from_sat(195)]);
    assert_eq!(r.nodes[0].capital_end, Msat::from_sat(5));
    assert!((r.nodes[1].share_end() - 0.975).abs() < 1e-12);

    // Failures at a direction, fee revenue at the forwarding direction.
    // 0 —(500k|500k)— 1 —(10|999,990)— 2, 1 sat base fee: 0→2 of 100 sat fails at hop 1
    // (channel 1, direction 0); 0→2 of 5 sat succeeds, node 1 earns 1 sat on channel 1.
    let t = line(&[(500_000, 500_000), (10, 999_990)], policy(1000, 0));
    let (r, _) = run_with(&t, vec![pay(1, 0, 2, 100), pay(5, 0, 2, 5)], params());
    assert_eq!(r.channels.get(1).dirs[0].failures, 1);
    assert_eq!(r.channels.get(1).dirs[0].fee_revenue, Msat(1000));
    assert_eq!(r.channels.get(0).dirs[0].fee_revenue, Msat::ZERO);
    assert_eq!(r.channels.get(0).dirs[0].forwarded_volume, Msat(6000));
}

#[test]
fn capital_cost_is_time_weighted_and_never_negative() {
    const YEAR: u64 = 31_557_600_000_000; // 365.25 days in µs
    let t = line(&[(1, 1)], policy(0, 0));
    let net = Network::new(&t);
    let mut a = Accounting::new(2, net.total_capacity());
    a.start_measurement(&net, SimTime::ZERO, 0);
    // 1 BTC added at 0, removed at half a year; at 5%: 1e11 msat × 0.05 × 0.5 = 2.5e9.
    a.capital_in(SimTime::ZERO, NodeId(0), Msat(100_000_000_000));
    a.capital_out(SimTime(YEAR / 2), NodeId(0), Msat(100_000_000_000));
    assert_eq!(a.capital_cost(SimTime(YEAR), 0.05), Msat(2_500_000_000));
    assert_eq!(a.totals.capital_added, Msat(100_000_000_000));
    assert_eq!(a.totals.capital_removed, Msat(100_000_000_000));
    // Removing first earns nothing: only net added capital costs.
    let mut b = Accounting::new(2, net.total_capacity());
    b.start_measurement(&net, SimTime::ZERO, 0);
    b.capital_out(SimTime::ZERO, NodeId(1), Msat(100_000_000_000));
    b.capital_in(SimTime(YEAR / 2), NodeId(1), Msat(100_000_000_000));
    assert_eq!(b.capital_cost(SimTime(YEAR), 0.05), Msat::ZERO);
}

#[test]
fn gini_percentiles_and_network_imbalance() {
    // Star: centre 0 with leaves 1, 2, 3; the centre's shares are 1, 1, 0.
    // Its Gini: Σ_i Σ_j |x_i − x_j| = 4, 2 n Σx = 2·3·2 = 12 → 1/3. Leaves have one
    // channel each (G = 0): node_gini (≥ 2 channels) = 1/3, percentiles 1/3, and the
    // Pickhardt–Nowostawski G over all 4 nodes = (1/3) / 4 = 1/12.
    let mut t = Topology::new();
    for i in 0..4 {
        t.add_node(format!("n{i}"));
    }
    for (leaf, bal) in [(1u32, (100u64, 0u64)), (2, (100, 0)), (3, (0, 100))] {
        t.add_channel(crate::topology::ChannelSpec {
            nodes: [NodeId(0), NodeId(leaf)],
            capacity: Msat::from_sat(100),
            balance: [Msat::from_sat(bal.0), Msat::from_sat(bal.1)],
            reserve: [Msat::ZERO; 2],
            policy: [policy(0, 0); 2],
            label: None,
        });
    }
    let net = Network::new(&t);
    let imb = crate::metrics::imbalance(&net, 0.05, &mut Vec::new());
    for v in [
        imb.node_gini,
        imb.node_gini_p10,
        imb.node_gini_p50,
        imb.node_gini_p90,
    ] {
        assert!((v - 1.0 / 3.0).abs() < 1e-12, "{imb:?}");
    }
    assert!((imb.network_imbalance - 1.0 / 12.0).abs() < 1e-12);
    // The pairs drawn among the funded strongly connected component: none here (every
    // leaf can only send or only receive, so no two nodes reach each other both ways).
    let spec = ProbeSpec {
        pairs: ProbePairs::Random {
            count: 10,
            among: ComponentFilter::LargestStronglyConnected,
        },
        ..probes(&[], &[1], true, false)
    };
    let mut rng = crate::rng::stream(1, "probes");
    assert!(spec.draw_pairs(&t, &mut rng).is_empty());
    let spec = ProbeSpec {
        pairs: ProbePairs::Random {
            count: 50,
            among: ComponentFilter::All,
        },
        ..spec
    };
    let pairs = spec.draw_pairs(&t, &mut rng);
    assert_eq!(pairs.len(), 50);
    assert!(pairs.iter().all(|(s, r)| s != r && s.0 < 4 && r.0 < 4));
}

#[test]
fn funds_check_follows_marked_channels() {
    // Channels of 150 and 100 sat. The window check sums capacities over channels not
    // closed from the channels marked since the last check (new channels are taken
    // unmarked), and lists a channel marked twice once.
    use crate::network::ChannelStatus;
    use crate::topology::ChannelId;
    let t = line(&[(100, 50), (30, 70)], policy(0, 0));
    let mut net = Network::new(&t);
    let mut f = super::accounting::FundsCheck::default();
    assert_eq!(f.update(&net), None);
    assert_eq!(f.live, 250_000);
    // An unmarked change is not seen (which is why the engine marks every touched channel).
    net.deposit(ChannelId(1), 0, Msat::from_sat(20));
    assert_eq!(f.update(&net), None);
    assert_eq!(f.live, 250_000);
    // Marked: 150 + 120 = 270; then channel 0 closes: 120.
    f.mark(ChannelId(1));
    net.set_status(ChannelId(0), ChannelStatus::Closed);
    f.mark(ChannelId(0));
    f.mark(ChannelId(0));
    assert_eq!(f.update(&net), None);
    assert_eq!(f.live, 120_000);
    // A channel of 150 sat opens: 270, as the full scan says.
    net.open_channel(t.channel(ChannelId(0)));
    assert_eq!(f.update(&net), None);
    assert_eq!(f.live, 270_000);
    assert_eq!(f.live, net.total_capacity().0 as u128);
}
