//! Strategy scenarios: each strategy against `none` on the same topology, seed and trace,
//! run through the real [`Engine`]. Topologies are built by hand.

use super::registry::{parse_one, StrategySpec, STRATEGIES};
use super::{Action, Observation, Strategy, StrategyBox, View};
use crate::engine::params::LatencyDist;
use crate::engine::tests::{line, pay, policy, trace_workload};
use crate::engine::{Engine, EngineParams};
use crate::metrics::RunResult;
use crate::metrics::{MemRecorder, PaymentKind};
use crate::network::ChannelState;
use crate::rng::SimRng;
use crate::topology::{ChannelSpec, FeePolicy, NodeId, Topology};
use crate::units::{Msat, SimDuration, SimTime};
use crate::workload::Arrival;
use std::sync::{Arc, Mutex};

fn spec(s: &str) -> StrategySpec {
    let t: toml::Table = toml::from_str(s).expect("valid toml");
    parse_one(0, &t).expect("valid strategy")
}

fn params() -> EngineParams {
    EngineParams {
        hop_latency: LatencyDist::Fixed { ms: 50.0 },
        ..EngineParams::default()
    }
}

/// Payments may take at most 2 hops (a short-path regime): liquidity reachable only over a
/// longer cycle must be moved by rebalancing. Rebalances set their own cycle length.
fn two_hop_params() -> EngineParams {
    let mut p = params();
    p.router.max_hops = 2;
    p
}

fn chan(t: &mut Topology, a: u32, b: u32, ba: u64, bb: u64, pol: FeePolicy) {
    t.add_channel(ChannelSpec {
        nodes: [NodeId(a), NodeId(b)],
        capacity: Msat::from_sat(ba + bb),
        balance: [Msat::from_sat(ba), Msat::from_sat(bb)],
        reserve: [Msat::ZERO; 2],
        policy: [pol; 2],
        label: None,
    });
}

fn topo(n: usize, chans: &[(u32, u32, u64, u64)], pol: FeePolicy) -> Topology {
    let mut t = Topology::new();
    for i in 0..n {
        t.add_node(format!("n{i}"));
    }
    for &(a, b, x, y) in chans {
        chan(&mut t, a, b, x, y, pol);
    }
    t
}

/// Runs `strategy` with the given participants (all when `None`), seed 7.
fn run_with(
    t: &Topology,
    trace: Vec<Arrival>,
    strategy: StrategyBox<'_>,
    participates: Option<Vec<bool>>,
    p: EngineParams,
) -> (RunResult, MemRecorder, Vec<ChannelState>) {
    let w = trace_workload(t, trace);
    let part = participates.unwrap_or_else(|| vec![true; t.node_count()]);
    let e = Engine::new(t, p, w, strategy, part, vec![(SimTime::ZERO, 1000)], 7);
    let mut rec = MemRecorder::default();
    let (r, chans) = e
        .run_with_network(&mut rec)
        .expect("no invariant violation");
    (r, rec, chans)
}

fn run(
    t: &Topology,
    trace: Vec<Arrival>,
    s: &str,
    part: Option<Vec<bool>>,
    p: EngineParams,
) -> (RunResult, MemRecorder, Vec<ChannelState>) {
    let sp = spec(s);
    let part2 = part.clone().unwrap_or_else(|| vec![true; t.node_count()]);
    run_with(t, trace, sp.build(t, &part2), part, p)
}

/// Sum of successful rebalancing fees paid by each node, from the payment records.
fn rebalance_fees_by_node(rec: &MemRecorder, n: usize) -> Vec<Msat> {
    let mut f = vec![Msat::ZERO; n];
    for p in rec
        .payments
        .iter()
        .filter(|p| p.kind == PaymentKind::Rebalance && p.success)
    {
        f[p.sender.idx()] += p.fee;
    }
    f
}

fn only(n: usize, v: &[usize]) -> Option<Vec<bool>> {
    let mut p = vec![false; n];
    for &i in v {
        p[i] = true;
    }
    Some(p)
}

// ---------------------------------------------------------------- hub scenario

/// S=0 pays R=2 through hub A=1; A–R holds only 200k on A's side. A also reaches R over
/// A–B–R (B=3) with plenty of liquidity, but payments take at most 2 hops, so without
/// rebalancing only S→A→R works: 10 payments of 20k succeed, then A–R is dry.
fn hub(pol: FeePolicy) -> Topology {
    topo(
        4,
        &[
            (0, 1, 2_000_000, 0), // S–A
            (1, 2, 200_000, 0),   // A–R
            (1, 3, 2_000_000, 0), // A–B
            (3, 2, 2_000_000, 0), // B–R
        ],
        pol,
    )
}

fn hub_trace() -> Vec<Arrival> {
    (0..30).map(|i| pay(10 + i * 10, 0, 2, 20_000)).collect()
}

const CIRCULAR: &str = "name = \"circular\"\nlow = 0.2\nhigh = 0.8\ntarget = 0.5\nmax_cycle_len = 3\ncooldown_s = 1\ninterval_s = 0\nmax_fee_ppm = 5000\nbudget_sat = 1000000\n";

#[test]
fn circular_refills_the_hub_and_raises_success() {
    let t = hub(policy(0, 0));
    let (base, _, _) = run(&t, hub_trace(), "name = \"none\"", None, two_hop_params());
    let (r, rec, _) = run(&t, hub_trace(), CIRCULAR, only(4, &[1]), two_hop_params());
    assert_eq!(base.totals.succeeded, 10, "none: A–R's 200k carry 10 × 20k");
    assert!(r.totals.rebalances_succeeded > 0);
    // Every rebalance is A's own, over A–B–R–A.
    assert!(rec
        .payments
        .iter()
        .filter(|p| p.kind == PaymentKind::Rebalance)
        .all(|p| p.sender == NodeId(1) && (!p.success || p.hops == 3)));
    assert!(
        r.totals.succeeded >= 25,
        "circular: {} of 30 succeed (none: 10)",
        r.totals.succeeded
    );
}

#[test]
fn circular_honours_the_cycle_length() {
    // The only cycle is A→B→R→A (3 hops): with max_cycle_len = 2 every rebalance fails.
    let t = hub(policy(0, 0));
    let s = CIRCULAR.replace("max_cycle_len = 3", "max_cycle_len = 2");
    let (r, _, _) = run(&t, hub_trace(), &s, only(4, &[1]), two_hop_params());
    assert!(r.totals.rebalances > 0);
    assert_eq!(r.totals.rebalances_succeeded, 0);
    assert_eq!(r.totals.succeeded, 10);
}

#[test]
fn circular_never_exceeds_its_budget() {
    // Forwarders B and R charge 1 sat + 1000 ppm: a rebalance of ~100k sat costs ~202 sat.
    let t = hub(policy(1000, 1000));
    let (free, rec_free, _) = run(&t, hub_trace(), CIRCULAR, only(4, &[1]), two_hop_params());
    let spent_free = rebalance_fees_by_node(&rec_free, 4)[1];
    let s = CIRCULAR.replace("budget_sat = 1000000", "budget_sat = 500");
    let (r, rec, _) = run(&t, hub_trace(), &s, only(4, &[1]), two_hop_params());
    let spent = rebalance_fees_by_node(&rec, 4)[1];
    assert!(
        spent <= Msat::from_sat(500),
        "spent {spent} > budget 500 sat"
    );
    assert!(spent > Msat::ZERO);
    // The budget binds: the unlimited run spent more and rebalanced more.
    assert!(
        spent_free > Msat::from_sat(500),
        "unbudgeted run spent {spent_free}"
    );
    assert!(r.totals.rebalances_succeeded < free.totals.rebalances_succeeded);
    assert!(r.totals.succeeded < free.totals.succeeded);
}

#[test]
fn jit_forwards_what_none_fails() {
    let t = hub(policy(0, 0));
    let (base, _, _) = run(&t, hub_trace(), "name = \"none\"", None, two_hop_params());
    let (r, _, _) = run(
        &t,
        hub_trace(),
        "name = \"jit\"\nmargin = 2.0\n",
        only(4, &[1]),
        two_hop_params(),
    );
    assert!(r.totals.jit_holds > 0);
    assert!(r.totals.jit_forwarded > 0);
    assert_eq!(base.totals.succeeded, 10);
    assert!(
        r.totals.succeeded >= 25,
        "jit: {} of 30 (none: 10)",
        r.totals.succeeded
    );
}

/// Without B–R there is no cycle back into A–R: every JIT rebalance fails at once (no
/// route). The sender forgets failures within seconds here (1 s half-life), so each of the
/// 20 payments after A–R runs dry (t = 110, 120, …, 300 s, 50 ms per hop) is blocked at A.
/// Without back-off A tries a rebalance for each: 20 holds. With a 60 s back-off, hand
/// count: tries at 110.05, 170.05, 230.05, 290.05 s (each back-off ends exactly when the
/// payment six later arrives, and `now < until` is false then) = 4 holds.
#[test]
fn jit_backs_off_after_a_failed_rebalance() {
    let t = topo(
        4,
        &[
            (0, 1, 2_000_000, 0),
            (1, 2, 200_000, 0),
            (1, 3, 2_000_000, 0),
        ],
        policy(0, 0),
    );
    let mut p = two_hop_params();
    p.router.penalty_half_life = crate::units::SimDuration::from_secs(1);
    let jit = |b: f64| format!("name = \"jit\"\nmargin = 2.0\nbackoff_s = {b}\n");
    let (eager, _, _) = run(&t, hub_trace(), &jit(0.0), only(4, &[1]), p.clone());
    let (patient, _, _) = run(&t, hub_trace(), &jit(60.0), only(4, &[1]), p);
    assert_eq!(eager.totals.succeeded, 10);
    assert_eq!(patient.totals.succeeded, 10);
    assert_eq!(eager.totals.jit_holds, 20);
    assert_eq!(patient.totals.jit_holds, 4);
}

// ---------------------------------------------------------------- skewed ring

/// Ring 0→1→2→3→0 where each node holds 980k of its channel to the next and 20k of the
/// channel from the previous: every node's shares are [0.98, 0.02], ν = 0.5, half of all
/// directions are depleted. One small payment at t = 1300 s keeps the run going past the
/// strategies' first rounds.
fn skewed_ring(pol: FeePolicy) -> Topology {
    topo(
        4,
        &[
            (0, 1, 980_000, 20_000),
            (1, 2, 980_000, 20_000),
            (2, 3, 980_000, 20_000),
            (3, 0, 980_000, 20_000),
        ],
        pol,
    )
}

fn late_trace() -> Vec<Arrival> {
    vec![pay(1300, 0, 2, 1000)]
}

#[test]
fn proactive_lowers_node_gini() {
    let t = skewed_ring(policy(0, 0));
    let (base, _, _) = run(&t, late_trace(), "name = \"none\"", None, params());
    let (r, _, _) = run(
        &t,
        late_trace(),
        "name = \"proactive\"\ninterval_s = 600\n",
        None,
        params(),
    );
    assert!(
        base.final_imbalance.node_gini > 0.4,
        "none: {}",
        base.final_imbalance.node_gini
    );
    assert!(r.totals.rebalances_succeeded > 0);
    assert!(
        r.final_imbalance.node_gini < 0.1,
        "proactive: {} (none {})",
        r.final_imbalance.node_gini,
        base.final_imbalance.node_gini
    );
}

#[test]
fn proactive_fee_free_among_participants() {
    // Every forwarder charges 1 sat + 1000 ppm. All nodes participate: with the flag the
    // rebalances pay nothing, without it they pay.
    let t = skewed_ring(policy(1000, 1000));
    let s = "name = \"proactive\"\nrule = \"pairing\"\ninterval_s = 600\nmax_fee_ppm = 10000\n";
    let (paid, _, _) = run(&t, late_trace(), s, None, params());
    let (free, _, _) = run(
        &t,
        late_trace(),
        &format!("{s}fee_free_among_participants = true\n"),
        None,
        params(),
    );
    assert!(paid.totals.rebalances_succeeded > 0 && free.totals.rebalances_succeeded > 0);
    assert!(paid.totals.rebalance_fees > Msat::ZERO);
    assert_eq!(free.totals.rebalance_fees, Msat::ZERO);
    assert!(free.final_imbalance.node_gini < 0.1);
}

#[test]
fn periodic_lowers_gini_and_depleted_share() {
    let t = skewed_ring(policy(0, 0));
    let (base, _, _) = run(&t, late_trace(), "name = \"none\"", None, params());
    let (r, _, _) = run(
        &t,
        late_trace(),
        "name = \"periodic\"\ninterval_s = 600\n",
        None,
        params(),
    );
    assert_eq!(base.final_imbalance.depleted_share, 0.5);
    assert!(r.totals.rebalances_succeeded > 0);
    assert_eq!(r.final_imbalance.depleted_share, 0.0);
    assert!(
        r.final_imbalance.node_gini < 0.1,
        "periodic: {} (none {})",
        r.final_imbalance.node_gini,
        base.final_imbalance.node_gini
    );
}

#[test]
fn periodic_respects_its_period_budget() {
    // Fees 1 sat + 1000 ppm; the period budget (10 sat) is below any move's fee limit
    // (≥ 460k × 1000 ppm = 460 sat), so nothing is attempted.
    let t = skewed_ring(policy(1000, 1000));
    let (r, _, _) = run(
        &t,
        late_trace(),
        "name = \"periodic\"\ninterval_s = 600\nbudget_sat_per_period = 10\n",
        None,
        params(),
    );
    assert_eq!(r.totals.rebalances, 0);
}

// ---------------------------------------------------------------- top-up

fn fast_chain() -> EngineParams {
    let mut p = params();
    p.block_interval = SimDuration::from_secs(1);
    p.confirmations = 2;
    p
}

#[test]
fn topup_sustains_a_one_way_flow() {
    // 0 pays 1 20 × 60k every 10 s over 500k|500k: none carries 8 (see engine tests).
    let t = line(&[(500_000, 500_000)], policy(0, 0));
    let trace: Vec<Arrival> = (0..20).map(|i| pay(10 + i * 10, 0, 1, 60_000)).collect();
    let (base, _, _) = run(&t, trace.clone(), "name = \"none\"", None, fast_chain());
    let (r, _, _) = run(
        &t,
        trace,
        "name = \"topup\"\nmode = \"splice\"\nlow = 0.2\n",
        only(2, &[0]),
        fast_chain(),
    );
    assert_eq!(base.totals.succeeded, 8);
    assert!(r.totals.topped_up > Msat::ZERO);
    assert!(r.totals.splices > 0);
    assert!(
        r.totals.succeeded >= 18,
        "topup: {} of 20 (none: 8)",
        r.totals.succeeded
    );
}

#[test]
fn loop_out_restores_the_payees_inbound() {
    // Payer 0 pays payee 1 20 × 60k over 0–1 (500k|500k): none carries 8. Node 2 is the
    // swap provider, reached as 1 → 0 → 2 (0 holds 5M on 0–2). Payee 1 loops out when its
    // share passes 0.8: the off-chain leg moves liquidity back to 0's side of 0–1.
    let t = topo(
        3,
        &[(0, 1, 500_000, 500_000), (0, 2, 5_000_000, 0)],
        policy(0, 0),
    );
    let trace: Vec<Arrival> = (0..20).map(|i| pay(10 + i * 10, 0, 1, 60_000)).collect();
    let mut p = fast_chain();
    p.swap.provider = Some(NodeId(2));
    let (base, _, _) = run(&t, trace.clone(), "name = \"none\"", None, p.clone());
    let (r, _, chans) = run(
        &t,
        trace,
        "name = \"topup\"\nmode = \"loop_out\"\nhigh = 0.8\n",
        only(3, &[1]),
        p,
    );
    assert_eq!(base.totals.succeeded, 8);
    assert!(r.totals.swaps > 0);
    assert!(r.totals.swap_fees > Msat::ZERO);
    assert_eq!(r.totals.splices, 0);
    assert!(
        r.totals.succeeded >= 18,
        "loop_out: {} of 20 (none: 8)",
        r.totals.succeeded
    );
    // Capacity of 0–1 is unchanged by swaps (they move balance, not capacity).
    assert_eq!(chans[0].capacity(), Msat::from_sat(1_000_000));
}

/// Wraps a strategy and records `(height, node 0's balance on channel 0)` at every block.
struct Spy<S> {
    inner: S,
    log: Arc<Mutex<Vec<(u64, Msat)>>>,
}

impl<S: Strategy> Strategy for Spy<S> {
    fn wants_balance_changes(&self) -> bool {
        self.inner.wants_balance_changes()
    }
    fn observe(
        &mut self,
        view: &View<'_>,
        obs: &Observation,
        rng: &mut SimRng,
        out: &mut Vec<Action>,
    ) {
        if let Observation::Block { height } = obs {
            let b = view
                .own(NodeId(0), crate::topology::ChannelId(0))
                .map_or(Msat::ZERO, |l| Msat(l.local));
            self.log.lock().expect("unpoisoned").push((*height, b));
        }
        self.inner.observe(view, obs, rng, out);
    }
}

#[test]
fn splice_in_takes_effect_after_its_confirmations() {
    // 0 pays 1 450k at t = 1 s: node 0's share drops to 0.05 < low, so it splices in
    // (0.5 × 1,000k − 50k) / 0.5 = 900k. With 3 confirmations the splice is included in the
    // next block h0 and takes effect at block h0 + 2: the balance is unchanged before.
    let t = line(&[(500_000, 500_000)], policy(0, 0));
    let trace = vec![pay(1, 0, 1, 450_000), pay(60, 1, 0, 1000)];
    let mut p = fast_chain();
    p.confirmations = 3;
    let log = Arc::new(Mutex::new(Vec::new()));
    let inner = super::topup::TopUp::new(Default::default(), &t);
    let spy = Spy {
        inner,
        log: log.clone(),
    };
    let (r, _, _) = run_with(&t, trace, StrategyBox::local(spy), only(2, &[0]), p);
    assert_eq!(r.totals.splices, 1);
    assert_eq!(r.totals.topped_up, Msat::from_sat(900_000));
    let log = log.lock().expect("unpoisoned").clone();
    let after = Msat::from_sat(50_000 + 900_000);
    let first = log
        .iter()
        .position(|&(_, b)| b == after)
        .expect("the splice confirmed");
    // The splice was submitted after the payment settled (t ≈ 1.1 s); blocks are ~1 s apart.
    assert!(first >= 2, "log {log:?}");
    // Two blocks before the confirming one, the balance was the drained one.
    assert_eq!(log[first - 1].1, Msat::from_sat(50_000));
    assert_eq!(log[first - 2].1, Msat::from_sat(50_000));
}

/// A pending splice-in does not block the channel: it keeps forwarding with its old
/// balance, and the new funds can be spent once the splice confirms (as in Lightning,
/// where the channel runs on the old and the new funding output until the splice
/// transaction confirms). Line 0 —(2,000k|0)— 1 —(500k|500k)— 2, no fees, node 1
/// rebalances with `topup` (splice), 30 confirmations of ~1 s blocks (the splice is
/// pending for ~30 s):
///   t = 1 s:   0→2 450k succeeds; node 1's share on 1–2 drops to 50k/1,000k = 0.05 <
///              low: it splices in (0.5 × 1,000k − 50k)/0.5 = 900k (pending);
///   t = 3 s:   0→2 40k succeeds over 1–2 with the old balance (50k ≥ 40k), pending;
///   t = 5 s:   0→2 20k fails: 10k left on node 1's side, the 900k not there yet;
///   t = 600 s: 0→2 20k succeeds: the splice confirmed (910k on node 1's side).
#[test]
fn a_pending_splice_in_keeps_the_channel_usable() {
    let t = line(&[(2_000_000, 0), (500_000, 500_000)], policy(0, 0));
    let trace = vec![
        pay(1, 0, 2, 450_000),
        pay(3, 0, 2, 40_000),
        pay(5, 0, 2, 20_000),
        pay(600, 0, 2, 20_000),
    ];
    let mut p = fast_chain();
    p.confirmations = 30;
    let (r, rec, chans) = run(&t, trace, "name = \"topup\"", only(3, &[1]), p);
    let ok: Vec<(u64, bool)> = rec
        .payments
        .iter()
        .filter(|x| x.kind == PaymentKind::Payment)
        .map(|x| (x.created.0 / 1_000_000, x.success))
        .collect();
    assert_eq!(ok, vec![(1, true), (3, true), (5, false), (600, true)]);
    // It failed at 1–2 (first attempt: no balance at hop 1; a retry then finds the hop
    // penalised by mission control: no route).
    let failed = rec
        .payments
        .iter()
        .find(|x| !x.success)
        .expect("one failure");
    assert!(matches!(
        failed.reason,
        Some(crate::metrics::FailureReason::NoBalance { hop: 1 })
            | Some(crate::metrics::FailureReason::NoRoute)
    ));
    assert_eq!(r.totals.splices, 1);
    assert_eq!(r.totals.topped_up, Msat::from_sat(900_000));
    // 1–2 at the end: 10k + 900k − 20k on node 1's side, 990k + 20k on node 2's.
    assert_eq!(
        chans[1].balances(),
        [Msat::from_sat(890_000), Msat::from_sat(1_010_000)]
    );
}

/// A splice-out takes its amount off the channel at once (both commitment transactions
/// must pay it out), and the channel keeps forwarding with what is left while the splice
/// confirms. 0 —(1,000k|0)— 1, node 0 splices with `topup`, 30 confirmations:
///   t = 1 s: 0→1 1k; node 0's share 999k/1,000k > high: it splices out
///            min(999k − 500k, 999k − 0.5 × 1,000k) = 499k at once (500k left);
///   t = 3 s: 0→1 400k succeeds while the splice is pending (100k left, share 0.2);
///   t = 4 s: 0→1 200k fails: the 499k are gone;
///   t = 600 s: 0→1 40k succeeds (60k left, share 0.12: no further splice).
#[test]
fn a_pending_splice_out_leaves_the_rest_usable() {
    let t = line(&[(1_000_000, 0)], policy(0, 0));
    let trace = vec![
        pay(1, 0, 1, 1_000),
        pay(3, 0, 1, 400_000),
        pay(4, 0, 1, 200_000),
        pay(600, 0, 1, 40_000),
    ];
    let mut p = fast_chain();
    p.confirmations = 30;
    let (r, rec, chans) = run(&t, trace, "name = \"topup\"", only(2, &[0]), p);
    let ok: Vec<bool> = rec.payments.iter().map(|x| x.success).collect();
    assert_eq!(ok, vec![true, true, false, true]);
    assert_eq!(r.totals.splices, 1);
    assert_eq!(r.totals.withdrawn, Msat::from_sat(499_000));
    assert_eq!(chans[0].capacity(), Msat::from_sat(501_000));
    assert_eq!(
        chans[0].balances(),
        [Msat::from_sat(60_000), Msat::from_sat(441_000)]
    );
}

// ---------------------------------------------------------------- config

#[test]
fn config_errors_name_the_field() {
    let err = |s: &str| {
        let t: toml::Table = toml::from_str(s).expect("valid toml");
        parse_one(0, &t).expect_err("an error").field
    };
    for name in STRATEGIES.iter().map(|e| e.name).filter(|n| *n != "none") {
        assert_eq!(
            err(&format!("name = \"{name}\"\nbogus = 1\n")),
            "strategy[0].bogus",
            "{name}"
        );
        // Defaults are valid.
        let t: toml::Table = toml::from_str(&format!("name = \"{name}\"")).expect("toml");
        assert!(parse_one(0, &t).is_ok(), "{name} defaults");
    }
    assert_eq!(
        err("name = \"circular\"\nlow = 0.9\nhigh = 0.1\n"),
        "strategy[0].low"
    );
    assert_eq!(
        err("name = \"periodic\"\nlow = 0.6\nhigh = 0.7\n"),
        "strategy[0].target"
    );
    assert_eq!(err("name = \"topup\"\nhigh = 1.5\n"), "strategy[0].high");
    assert_eq!(
        err("name = \"topup\"\nmode = \"teleport\"\n"),
        "strategy[0]"
    );
    assert_eq!(
        err("name = \"circular\"\nmax_cycle_len = 1\n"),
        "strategy[0].max_cycle_len"
    );
    assert_eq!(err("name = \"jit\"\nmargin = 0.5\n"), "strategy[0].margin");
    assert_eq!(
        err("name = \"proactive\"\ninterval_s = -1\n"),
        "strategy[0].interval_s"
    );
    assert_eq!(err("name = \"circular\"\nlow = \"x\"\n"), "strategy[0]");
    assert_eq!(err("name = \"nope\"\n"), "strategy[0].name");
}

/// Opens a channel 0→2 and closes channel 0 (0–1) at the start.
struct OpenClose;
impl Strategy for OpenClose {
    fn observe(&mut self, _: &View<'_>, obs: &Observation, _: &mut SimRng, out: &mut Vec<Action>) {
        if *obs == Observation::Start {
            out.push(Action::OpenChannel {
                node: NodeId(0),
                peer: NodeId(2),
                amount: Msat::from_sat(500_000),
                tag: 1,
            });
            out.push(Action::CloseChannel {
                node: NodeId(0),
                chan: crate::topology::ChannelId(0),
                cooperative: true,
                tag: 2,
            });
        }
    }
}

#[test]
fn channels_open_and_close_through_the_chain() {
    // Line 0–1–2 (300k|300k each). At t = 0 node 0 opens 0→2 with 500k and closes 0–1.
    // With 1 s blocks and 2 confirmations both take effect within seconds; a payment 0→2
    // of 400k at t = 600 s can only use the new channel (the old route is closed and held
    // 300k anyway).
    let t = topo(
        3,
        &[(0, 1, 300_000, 300_000), (1, 2, 300_000, 300_000)],
        policy(0, 0),
    );
    let trace = vec![pay(600, 0, 2, 400_000)];
    let (r, rec, chans) = run_with(&t, trace, StrategyBox::local(OpenClose), None, fast_chain());
    assert_eq!((r.totals.channels_opened, r.totals.channels_closed), (1, 1));
    assert_eq!(r.totals.onchain_txs, 2);
    assert_eq!(r.totals.topped_up, Msat::from_sat(500_000));
    assert_eq!(r.totals.withdrawn, Msat::from_sat(600_000));
    assert_eq!(chans.len(), 3);
    assert_eq!(chans[0].status(), crate::network::ChannelStatus::Closed);
    assert!(rec.payments[0].success);
    assert_eq!(rec.payments[0].hops, 1);
    assert_eq!(chans[2].nodes(), [NodeId(0), NodeId(2)]);
    assert_eq!(
        chans[2].balances(),
        [Msat::from_sat(100_000), Msat::from_sat(400_000)]
    );
}

// ---------------------------------------------------------------- registry and knowledge

/// Every registered strategy, with its default parameters, runs the skewed ring and the hub
/// without breaking an invariant, sees every payment of the trace through, and has none of
/// its actions refused. The list comes from the registry: a new strategy is covered by
/// adding its registry line.
#[test]
fn every_registered_strategy_runs_with_its_defaults() {
    for e in STRATEGIES {
        for (t, trace) in [
            (skewed_ring(policy(1000, 100)), late_trace()),
            (hub(policy(1000, 100)), hub_trace()),
        ] {
            let n = trace.len() as u64;
            let (r, _, _) = run(
                &t,
                trace,
                &format!("name = \"{}\"", e.name),
                None,
                fast_chain(),
            );
            assert_eq!(r.totals.payments, n, "{}", e.name);
            assert_eq!(
                r.totals.rejections.iter().sum::<u64>(),
                0,
                "{}: {:?}",
                e.name,
                r.totals.rejections
            );
        }
    }
}

/// A coordinator with global knowledge: at the start it finds the channel direction with
/// the least spendable balance anywhere and has that channel's *other* side push half of its
/// surplus over it with a circular rebalance. A local strategy could not pick this channel
/// for a node that does not own it; a coordinated one says so in its type.
struct DrainedFirst;
impl super::CoordinatedStrategy for DrainedFirst {
    fn observe(
        &mut self,
        view: &super::GlobalView<'_>,
        obs: &Observation,
        _: &mut SimRng,
        out: &mut Vec<Action>,
    ) {
        if *obs != Observation::Start {
            return;
        }
        let net = view.network();
        let (c, d) = (0..net.channel_count())
            .flat_map(|c| [(c, 0usize), (c, 1usize)])
            .min_by_key(|&(c, d)| net.channels()[c].spendable(d))
            .expect("channels");
        let chan = crate::topology::ChannelId(c as u32);
        // The rich side of the drained channel pushes liquidity to the poor side around a
        // cycle: out over `chan`, back in over another of its channels.
        let rich = net.chan(chan).node(1 - d);
        let back = view
            .public()
            .channels_of(rich)
            .find(|&x| x != chan)
            .expect("a second channel");
        out.push(Action::Rebalance {
            node: rich,
            out_chan: chan,
            in_chan: back,
            amount: Msat::from_sat(400_000),
            max_fee: Msat::from_sat(1000),
            max_attempts: 1,
            deadline: SimDuration::from_secs(60),
            max_hops: None,
            fee_free: false,
            join: crate::strategy::Join::Anyone,
            tag: 1,
        });
    }
}

#[test]
fn a_coordinated_strategy_acts_on_global_knowledge() {
    let t = skewed_ring(policy(0, 0));
    let (base, _, _) = run(&t, late_trace(), "name = \"none\"", None, params());
    let (r, rec, chans) = run_with(
        &t,
        late_trace(),
        StrategyBox::coordinated(DrainedFirst),
        None,
        params(),
    );
    // Every direction i+1 → i holds 20k: the first (channel 0, side 1 = node 1) is the
    // least spendable; node 0 pushes 400k over 0→1 and back in over 3→0 (fee-free), then
    // the trace's payment of 1k from 0 to 2 crosses 0→1 too: 980k − 400k − 1k on 0's side.
    assert_eq!(r.totals.rebalances_succeeded, 1);
    let rb = rec
        .payments
        .iter()
        .find(|p| p.kind == PaymentKind::Rebalance)
        .expect("one rebalance");
    assert_eq!((rb.sender, rb.hops), (NodeId(0), 4));
    assert_eq!(
        chans[0].balances(),
        [Msat::from_sat(579_000), Msat::from_sat(421_000)]
    );
    assert!(r.final_imbalance.node_gini < base.final_imbalance.node_gini);
}

// ---------------------------------------------------------------- proactive as published

/// A payment no route can carry (more than any channel): keeps the run going to t = 1300 s
/// without moving a balance.
fn no_op_trace() -> Vec<Arrival> {
    vec![pay(1300, 0, 2, 50_000_000)]
}

const PICKHARDT: &str = "name = \"proactive\"\ninterval_s = 600\nmax_cycle_len = 3\n";

/// Triangle 0→1→2→0, each node holding all 1,000,000 sat of its channel to the next: every
/// node has shares [1, 0] and ν = 0.5. The first node whose timer fires moves its surplus,
/// 500,000 sat, around the triangle; each intermediary receives over its empty channel and
/// sends over its full one (both toward its ν: it joins), fee-free. Hand-computed final
/// state: every channel 500,000 / 500,000, and no further move (all shares = ν).
#[test]
fn pickhardt2020_balances_a_rotating_triangle_exactly() {
    let t = topo(
        3,
        &[
            (0, 1, 1_000_000, 0),
            (1, 2, 1_000_000, 0),
            (2, 0, 1_000_000, 0),
        ],
        policy(1000, 1000),
    );
    let (r, rec, chans) = run(&t, no_op_trace(), PICKHARDT, None, params());
    assert_eq!(r.totals.rebalances_succeeded, 1);
    assert_eq!(
        r.totals.rebalance_fees,
        Msat::ZERO,
        "fee-free among participants"
    );
    let half = Msat::from_sat(500_000);
    for c in &chans {
        assert_eq!(c.balances(), [half, half]);
    }
    let rb: Vec<_> = rec
        .payments
        .iter()
        .filter(|p| p.kind == PaymentKind::Rebalance)
        .collect();
    assert_eq!(rb.len(), 1, "converged: nobody has a move left");
    assert_eq!((rb[0].hops, rb[0].amount), (3, half));
}

/// Node 0 (A) holds 1 M on A–B and nothing on A–C: it wants to move 500k A→B→C→A. B holds
/// 0 of A–B, 800k of 2 M on B–C (share 0.4) and 2 M of 2 M on B–D: ν_B = 2.8/5 = 0.56.
/// Forwarding would drain B–C, already below ν_B, further: B refuses, and the only cycle
/// is gone. (C would go from A–C, 1 M, to B–C over A and B: B refuses that too.) Under the
/// pairing rule any forwarder joins and A's move goes through.
fn refusing_middle() -> Topology {
    topo(
        4,
        &[
            (0, 1, 1_000_000, 0),       // A–B
            (1, 2, 800_000, 1_200_000), // B–C
            (2, 0, 1_000_000, 0),       // C–A: C holds it all
            (1, 3, 2_000_000, 0),       // B–D
        ],
        policy(0, 0),
    )
}

#[test]
fn pickhardt2020_intermediary_that_would_be_worse_refuses() {
    let t = refusing_middle();
    let (pk, _, chans) = run(&t, no_op_trace(), PICKHARDT, None, params());
    assert_eq!(pk.totals.rebalances_succeeded, 0);
    assert!(pk.totals.rebalances > 0);
    assert_eq!(
        chans[1].balances()[0],
        Msat::from_sat(800_000),
        "B–C untouched"
    );
    let (pairing, _, chans) = run(
        &t,
        no_op_trace(),
        &format!("{PICKHARDT}rule = \"pairing\"\n"),
        None,
        params(),
    );
    assert!(pairing.totals.rebalances_succeeded > 0);
    assert!(chans[1].balances()[0] < Msat::from_sat(800_000));
}

/// The rotating triangle with node 1 not participating: by default it forwards the
/// rebalance (charging its fee: 0 here); with `participants_only` it refuses and nothing
/// moves.
#[test]
fn pickhardt2020_participants_only_excludes_outsiders() {
    let t = topo(
        3,
        &[
            (0, 1, 1_000_000, 0),
            (1, 2, 1_000_000, 0),
            (2, 0, 1_000_000, 0),
        ],
        policy(0, 0),
    );
    let (open, _, _) = run(&t, no_op_trace(), PICKHARDT, only(3, &[0, 2]), params());
    assert!(open.totals.rebalances_succeeded > 0);
    let (closed, _, chans) = run(
        &t,
        no_op_trace(),
        &format!("{PICKHARDT}participants_only = true\n"),
        only(3, &[0, 2]),
        params(),
    );
    assert_eq!(closed.totals.rebalances_succeeded, 0);
    assert_eq!(chans[0].balances()[0], Msat::from_sat(1_000_000));
}

/// In the refusing-middle network every move fails. Without `stop_when_converged` the
/// nodes try again every round (10 s rounds, 1300 s: many attempts); with it, each stops
/// after its first round whose moves all failed.
#[test]
fn pickhardt2020_stops_when_converged() {
    let t = refusing_middle();
    let s = "name = \"proactive\"\ninterval_s = 10\nmax_cycle_len = 3\n";
    let (on, _, _) = run(&t, no_op_trace(), s, None, params());
    let (stop, _, _) = run(
        &t,
        no_op_trace(),
        &format!("{s}stop_when_converged = true\n"),
        None,
        params(),
    );
    // Each of the 4 nodes: one round of at most `max_moves` (4) moves, each tried at
    // halving amounts from at most 1 M sat down to 1,000 sat (at most 10 tries), then it
    // stops; without the option it goes on round after round.
    assert!(stop.totals.rebalances <= 160, "{}", stop.totals.rebalances);
    assert!(stop.totals.rebalances > 0);
    assert!(
        on.totals.rebalances >= 10 * stop.totals.rebalances,
        "{} vs {}",
        on.totals.rebalances,
        stop.totals.rebalances
    );
}

#[test]
fn proactive_max_attempts_is_an_option() {
    let t = skewed_ring(policy(0, 0));
    let net = crate::network::Network::new(&t);
    let part = vec![true; 4];
    let view = View::new(&net, SimTime::ZERO, 0, 1.0, &part);
    let spec = spec("name = \"proactive\"\nmax_attempts = 7\n");
    let mut sb = spec.build(&t, &part);
    let mut out = Vec::new();
    let mut rng = crate::rng::stream(1, "strategy");
    sb.observe(
        view,
        &Observation::Timer {
            node: NodeId(0),
            tag: 0,
        },
        &mut rng,
        &mut out,
    );
    let attempts: Vec<u32> = out
        .iter()
        .filter_map(|a| match a {
            Action::Rebalance { max_attempts, .. } => Some(*max_attempts),
            _ => None,
        })
        .collect();
    assert!(!attempts.is_empty());
    assert!(attempts.iter().all(|&a| a == 7));
}

// ---------------------------------------------------------------- jit options

/// Hub with fees 1 sat + 1000 ppm everywhere. A forward of 20k over A–R earns A
/// 1 + 20 = 21 sat; a refill of 40k (margin 2) over A→B→R→A costs B's and R's fees,
/// 2 × (1 + 40) = 82 sat: by default jit refuses (no better than none); told
/// `max_fee_ppm = 10000` (400 sat allowed) it refills and forwards.
#[test]
fn jit_refuses_a_refill_dearer_than_the_forward_earns() {
    let t = hub(policy(1000, 1000));
    let (base, _, _) = run(&t, hub_trace(), "name = \"none\"", None, two_hop_params());
    let jit = "name = \"jit\"\nmargin = 2.0\nmax_cycle_len = 3\n";
    let (cheap, _, _) = run(&t, hub_trace(), jit, only(4, &[1]), two_hop_params());
    let (told, _, _) = run(
        &t,
        hub_trace(),
        &format!("{jit}max_fee_ppm = 10000\n"),
        only(4, &[1]),
        two_hop_params(),
    );
    assert_eq!(cheap.totals.rebalances_succeeded, 0);
    assert_eq!(cheap.totals.succeeded, base.totals.succeeded);
    assert!(told.totals.rebalances_succeeded > 0);
    assert!(told.totals.succeeded > base.totals.succeeded + 5);
}

/// Back-off is per (node, channel): after node 1's refill of channel 1 (1–2) fails, node
/// 1 leaves it alone, but node 2, blocked on the same channel, still tries.
#[test]
fn jit_backs_off_per_node_and_channel() {
    let t = topo(
        4,
        &[
            (0, 1, 1_000_000, 1_000_000),
            (1, 2, 1_000, 1_000),
            (2, 3, 1_000_000, 1_000_000),
        ],
        policy(0, 0),
    );
    let net = crate::network::Network::new(&t);
    let part = vec![true; 4];
    let view = View::new(&net, SimTime::ZERO, 0, 1.0, &part);
    let mut j = super::jit::Jit::new(super::jit::JitConfig::default());
    let mut rng = crate::rng::stream(1, "strategy");
    let mut out = Vec::new();
    let c = crate::topology::ChannelId(1);
    let blocked = |node: u32, hold: u64| Observation::ForwardBlocked {
        node: NodeId(node),
        chan: c,
        amount: Msat::from_sat(1_500),
        hold,
    };
    j.observe(&view, &blocked(1, 1), &mut rng, &mut out);
    assert_eq!(out.len(), 1, "node 1 tries");
    let done = Observation::RebalanceDone {
        node: NodeId(1),
        tag: 1,
        success: false,
        amount: Msat::ZERO,
        fee: Msat::ZERO,
    };
    j.observe(&view, &done, &mut rng, &mut out);
    out.clear();
    j.observe(&view, &blocked(1, 2), &mut rng, &mut out);
    assert!(out.is_empty(), "node 1 backs off channel 1");
    j.observe(&view, &blocked(2, 3), &mut rng, &mut out);
    assert_eq!(out.len(), 1, "node 2 does not");
}

// ---------------------------------------------------------------- splice-out sizing

fn splice_out_of(t: &Topology, node: u32, chan: u32) -> Msat {
    let net = crate::network::Network::new(t);
    let part = vec![true; t.node_count()];
    let view = View::new(&net, SimTime::ZERO, 0, 1.0, &part);
    let l = view
        .own(NodeId(node), crate::topology::ChannelId(chan))
        .expect("own channel");
    let init = super::topup::initial_totals(t)[node as usize];
    super::topup::splice_out_amount(&view, NodeId(node), l, 0.5, init)
}

/// A one-sided 1,000,000 sat channel gives up half (the old `(L − tC)/(1 − t)` took all
/// of it), and stays usable: 500,000 sat left to send.
#[test]
fn splice_out_of_a_one_sided_channel_takes_about_half() {
    let t = topo(2, &[(0, 1, 1_000_000, 0)], policy(0, 0));
    assert_eq!(splice_out_of(&t, 0, 0), Msat::from_sat(500_000));
}

/// Node 0's other channel is drained: its total local (1 M) is exactly half its total
/// capacity (2 M), what its own target needs. No splice-out.
#[test]
fn splice_out_spares_a_node_whose_other_channel_is_drained() {
    let t = topo(
        3,
        &[(0, 1, 1_000_000, 0), (0, 2, 0, 1_000_000)],
        policy(0, 0),
    );
    assert_eq!(splice_out_of(&t, 0, 0), Msat::ZERO);
    // With the other channel balanced instead, 0 has 1.5 M of 2 M: it may give up
    // 1.5 M − 0.5 × 2 M = 500k, which is also the channel's excess over 0.5 × 1 M.
    let t = topo(
        3,
        &[(0, 1, 1_000_000, 0), (0, 2, 500_000, 500_000)],
        policy(0, 0),
    );
    assert_eq!(splice_out_of(&t, 0, 0), Msat::from_sat(500_000));
}

/// End to end: node 0's one-sided 1 M channel (share 0.999 after a 1k payment, above
/// `high`) is spliced out. The old rule took (L − C/2)/(1/2) ≈ 998k and left ~2k; now it
/// takes 499k once (the channel stays one-sided, share ≈ 1, but the node's total is at
/// its target: no second splice), so node 0's later 200k payment still has liquidity.
#[test]
fn topup_splice_keeps_capital_in_a_one_sided_channel() {
    let t = topo(
        3,
        &[(0, 1, 1_000_000, 0), (1, 2, 500_000, 500_000)],
        policy(0, 0),
    );
    let trace = vec![pay(10, 0, 2, 1_000), pay(5_000, 0, 2, 200_000)];
    let (r, rec, chans) = run(
        &t,
        trace,
        "name = \"topup\"\nmode = \"splice\"\nlow = 0.1\nhigh = 0.9\n",
        only(3, &[0]),
        fast_chain(),
    );
    assert_eq!(
        r.totals.succeeded,
        2,
        "the late 200k payment still has liquidity: {:?} {:?}",
        rec.payments,
        chans.iter().map(|c| c.balances()).collect::<Vec<_>>()
    );
    assert_eq!(chans[0].capacity(), Msat::from_sat(501_000));
    assert_eq!(r.totals.splices, 1);
}

// ---------------------------------------------------------------- fee-free and HTLC limits

/// Asks, at the start, for one fee-free rebalance of node 0: `amount` out over channel 0,
/// back in over channel 2.
struct OneRebalance(Msat);

impl Strategy for OneRebalance {
    fn observe(&mut self, _: &View<'_>, obs: &Observation, _: &mut SimRng, out: &mut Vec<Action>) {
        if *obs == Observation::Start {
            out.push(Action::Rebalance {
                node: NodeId(0),
                out_chan: crate::topology::ChannelId(0),
                in_chan: crate::topology::ChannelId(2),
                amount: self.0,
                max_fee: Msat::from_sat(1),
                max_attempts: 3,
                deadline: SimDuration::from_secs(60),
                max_hops: Some(3),
                fee_free: true,
                join: super::Join::Anyone,
                tag: 1,
            });
        }
    }
}

/// The CLoTH case that aborted a whole sweep ("sender could not lock its own first hop …
/// 1322 msat"): a fee-free rebalance of 1,322 msat around 0 → 1 → 2 → 0 whose first hop
/// has `min_htlc` 1,337 msat. Priced with fees (15 msat per forwarder) the first hop would
/// carry 1,352 msat; fee-free it carries 1,322, below the minimum: the run goes on and the
/// rebalance fails as `no_route`. At 1,400 msat it succeeds, fee-free.
#[test]
fn a_fee_free_rebalance_below_min_htlc_is_a_no_route_not_an_abort() {
    let strict = FeePolicy {
        min_htlc: Msat(1_337),
        ..policy(15, 0)
    };
    let mut t = Topology::new();
    for i in 0..3 {
        t.add_node(format!("n{i}"));
    }
    chan(&mut t, 0, 1, 100, 100, strict);
    chan(
        &mut t,
        1,
        2,
        100,
        100,
        FeePolicy {
            min_htlc: Msat(1),
            ..policy(15, 0)
        },
    );
    chan(
        &mut t,
        2,
        0,
        100,
        100,
        FeePolicy {
            min_htlc: Msat(1),
            ..policy(15, 0)
        },
    );
    let (r, rec, _) = run_with(
        &t,
        late_trace(),
        StrategyBox::local(OneRebalance(Msat(1_322))),
        None,
        params(),
    );
    assert_eq!(r.totals.rebalances_succeeded, 0);
    let rb = rec
        .payments
        .iter()
        .find(|p| p.kind == PaymentKind::Rebalance)
        .expect("the rebalance is recorded");
    assert_eq!(rb.reason, Some(crate::metrics::FailureReason::NoRoute));
    let (r, _, _) = run_with(
        &t,
        late_trace(),
        StrategyBox::local(OneRebalance(Msat(1_400))),
        None,
        params(),
    );
    assert_eq!(r.totals.rebalances_succeeded, 1);
    assert_eq!(r.totals.rebalance_fees, Msat::ZERO);
}
