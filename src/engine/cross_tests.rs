//! Cross-chain engine tests: a hand-computed two-chain line, an unsafe timelock, the free
//! option, and conservation per asset on random graphs.

use super::tests::{line, pay, policy, trace_workload};
use super::*;
use crate::chain::multi::RATE_ONE;
use crate::chain::{ChainConfig, ChainSet, ChainsConfig, CrossChainConfig};
use crate::metrics::{FailureReason, MemRecorder};
use crate::strategy::{Action, NoStrategy, StrategyBox};
use crate::topology::{ChannelId, ChannelSpec, Topology};
use crate::units::Msat;
use crate::workload::Arrival;
use std::sync::Arc;

/// Two chains `a` (nodes `home_a`, blocks every `int_a` s, rate 1) and `b` (the others,
/// blocks every `int_b` s, rate 0.5), gateways `gw`, 1% spread, 144-block gateway delta,
/// 1 h margin.
fn two_chains(
    t: &Topology,
    home_a: &[u32],
    gw: &[u32],
    int_a: f64,
    int_b: f64,
    free_option: bool,
) -> ChainSet {
    let n = t.node_count() as u32;
    let a = ChainConfig {
        name: "a".into(),
        block_interval_s: int_a,
        nodes: home_a.to_vec(),
        node_share: Some(0.0),
        ..ChainConfig::default()
    };
    let b = ChainConfig {
        name: "b".into(),
        asset: "b".into(),
        rate: 0.5,
        block_interval_s: int_b,
        nodes: (0..n).filter(|v| !home_a.contains(v)).collect(),
        ..ChainConfig::default()
    };
    let cfg = ChainsConfig(vec![a, b]);
    let cross = CrossChainConfig {
        gateway_nodes: gw.to_vec(),
        spread_ppm: 10_000,
        cltv_delta: 144,
        safety_margin_s: 3600.0,
        free_option,
        ..CrossChainConfig::default()
    };
    cfg.validate(Some(&cross)).expect("valid");
    let specs = cfg.resolve(std::path::Path::new(".")).expect("no files");
    let order: Vec<u32> = (0..n).collect();
    ChainSet::assign(&cfg, Some(&cross), specs, t, &order).expect("assigned")
}

fn run_cs(
    t: &Topology,
    cs: ChainSet,
    trace: Vec<Arrival>,
) -> (RunResult, MemRecorder, Vec<network::ChannelState>) {
    run_p(t, Some(cs), trace)
}

fn run_p(
    t: &Topology,
    cs: Option<ChainSet>,
    trace: Vec<Arrival>,
) -> (RunResult, MemRecorder, Vec<network::ChannelState>) {
    let p = EngineParams {
        hop_latency: params::LatencyDist::Fixed { ms: 50.0 },
        chains: cs.map(Arc::new),
        ..EngineParams::default()
    };
    let w = trace_workload(t, trace);
    let e = Engine::new(
        t,
        p,
        w,
        StrategyBox::local(NoStrategy),
        vec![],
        vec![(SimTime::ZERO, 1000)],
        7,
    );
    let mut rec = MemRecorder::default();
    let (r, chans) = e
        .run_with_network(&mut rec)
        .expect("no invariant violation");
    (r, rec, chans)
}

/// 0 —a— 1 —b— 2 —b— 3: nodes 0, 1 at home on chain a, 2, 3 on chain b, gateway 1.
fn two_chain_line() -> Topology {
    line(
        &[(500_000, 500_000), (500_000, 500_000), (500_000, 500_000)],
        policy(1000, 1000),
    )
}

#[test]
fn two_chain_line_amounts_conversion_fees_and_timelocks() {
    let t = two_chain_line();
    let cs = two_chains(&t, &[0, 1], &[1], 600.0, 60.0, false);
    // The gateway's channel to node 2 belongs to node 2's chain.
    assert_eq!(cs.chan_chain, vec![0, 1, 1]);
    assert_eq!(cs.home, vec![0, 0, 1, 1]);
    // Timelocks: the receiver's chain b (60 s blocks) route 1→2→3 expires after
    // final 40 + node 2's delta 40 = 80 blocks = 4,800 s; the gateway asks 144 blocks of
    // chain a (600 s) = 86,400 s ≥ 4,800 + 3,600 margin: safe.
    //
    // Pay 100,000 sat of b from 0 to 3. Leg b: node 2 charges 1,000 + 100,000 = 101,000
    // msat, so the gateway sends 100,101,000 msat of b, worth 50,050,500 ref msat. It asks
    // ceil(50,050,500 / 0.99) = 50,556,061 msat of a (rate 1). Leg a is the sender's own
    // channel: no forwarding fee.
    let (r, rec, chans) = run_cs(&t, cs, vec![pay(1, 0, 3, 100_000)]);
    let p = &rec.payments[0];
    assert!(p.success, "{p:?}");
    assert_eq!(p.hops, 3);
    assert_eq!(
        chans[0].balances(),
        [
            Msat(500_000_000 - 50_556_061),
            Msat(500_000_000 + 50_556_061)
        ]
    );
    assert_eq!(
        chans[1].balances(),
        [
            Msat(500_000_000 - 100_101_000),
            Msat(500_000_000 + 100_101_000)
        ]
    );
    assert_eq!(chans[2].balances(), [Msat(400_000_000), Msat(600_000_000)]);
    // The sender's fee in a: 50,556,061 − 100,000,000 × 0.5 = 556,061 msat.
    assert_eq!(p.fee, Msat(556_061));
    let x = &r.totals.cross;
    assert_eq!((x.payments, x.succeeded), (1, 1));
    // Gateway: 50,556,061 in − 50,050,500 out (ref msat) = 505,561.
    assert_eq!(x.gateway_revenue_ref, 505_561);
    assert_eq!(x.gateway_exposure_max_ref, 50_050_500);
    assert_eq!((x.gateway_fx_loss_ref, x.free_option_declines), (0, 0));
    // Node 2 earned its fee in b; the gateway's revenue is counted in reference units.
    assert_eq!(r.node_revenue[2], Msat(101_000));
    assert_eq!(r.node_revenue[1], Msat::ZERO);
    let names: Vec<&str> = r.totals.chains.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    let m = r.metrics();
    let get = |k: &str| m.iter().find(|(n, _)| n == k).map(|(_, v)| *v);
    assert_eq!(get("cross_success_ratio"), Some(1.0));
    assert_eq!(get("fail_timelock_unsafe"), Some(0.0));
    assert!(get("chain_b_txs").is_some());
    // A single-chain run has none of these columns.
    let (r1, _, _) = run_p(&t, None, vec![pay(1, 0, 3, 1_000)]);
    let m1 = r1.metrics();
    assert!(!m1
        .iter()
        .any(|(n, _)| n.starts_with("cross_") || n == "fail_free_option"));
}

#[test]
fn slow_outgoing_chain_is_refused_as_an_unsafe_timelock() {
    // The same line with the block intervals swapped: the gateway's 144 blocks of chain a
    // are 144 × 60 s = 8,640 s, but the outgoing route on chain b expires after 80 × 600 s
    // = 48,000 s (+ 3,600 s margin). The only gateway is unsafe: the payment fails with
    // `timelock_unsafe` and nothing moves.
    let t = two_chain_line();
    let cs = two_chains(&t, &[0, 1], &[1], 60.0, 600.0, false);
    let (r, rec, chans) = run_cs(&t, cs, vec![pay(1, 0, 3, 100_000)]);
    let p = &rec.payments[0];
    assert!(!p.success);
    assert_eq!(p.reason, Some(FailureReason::TimelockUnsafe));
    assert_eq!(p.attempts, 0);
    assert_eq!(r.totals.failures[FailureReason::TimelockUnsafe.index()], 1);
    for c in &chans {
        assert_eq!(c.balances(), [Msat(500_000_000); 2]);
    }
    // A payment within one chain is not affected.
    let cs = two_chains(&t, &[0, 1], &[1], 60.0, 600.0, false);
    let (r, _, _) = run_cs(&t, cs, vec![pay(1, 2, 3, 1_000)]);
    assert_eq!(r.totals.succeeded, 1);
    assert_eq!(r.totals.cross.payments, 0);
}

#[test]
fn payments_within_a_chain_never_cross_to_another() {
    // 0 —a— 1 —a— 2 —b— 3 —a— 0 (a ring), homes a = {0, 1}, b = {2, 3}, gateway 3: the
    // channel 1–2 joins two non-gateways and takes its first node's home (a); 3–0 joins
    // the gateway to node 0 and takes node 0's home (a).
    let mut t = line(
        &[(100_000, 100_000), (500_000, 500_000), (500_000, 500_000)],
        policy(1000, 1000),
    );
    t.add_channel(ChannelSpec {
        nodes: [NodeId(3), NodeId(0)],
        capacity: Msat::from_sat(1_000_000),
        balance: [Msat::from_sat(500_000); 2],
        reserve: [Msat::ZERO; 2],
        policy: [policy(1000, 1000); 2],
        label: None,
    });
    let trace = || vec![pay(1, 1, 0, 200_000), pay(2, 0, 2, 1_000)];
    // One chain: 1 → 0 has too little on the direct channel and goes round 1→2→3→0.
    let (r, rec, _) = run_p(&t, None, trace());
    assert_eq!(r.totals.succeeded, 2);
    assert_eq!(rec.payments[0].hops, 3);
    // Two chains: 1 and 0 are on chain a, so the route may not use the b-channel 2–3;
    // no a-route carries it. The payment 0 → 2 crosses at gateway 3: 0→3 on a, 3→2 on b.
    let cs = two_chains(&t, &[0, 1], &[3], 600.0, 60.0, false);
    assert_eq!(cs.chan_chain, vec![0, 0, 1, 0]);
    let (r, rec, chans) = run_p(&t, Some(cs), trace());
    assert_eq!(rec.payments[0].reason, Some(FailureReason::NoRoute));
    // The b-channel 2–3 carried only the cross-chain payment's last leg (3 → 2, 1,000 sat).
    assert_eq!(
        chans[2].balances(),
        [Msat::from_sat(501_000), Msat::from_sat(499_000)]
    );
    assert!(rec.payments[1].success);
    assert_eq!(rec.payments[1].hops, 2);
    assert_eq!((r.totals.cross.payments, r.totals.cross.succeeded), (1, 1));
}

/// The two-chain line with chain b's rate stepping from 0.5 to `0.5 × (1 + m)` at
/// t = 1.02 s, after the gateway quoted (t = 1 s) and before the HTLC reaches it
/// (t = 1.05 s).
fn moved(m_ppm: u64, free_option: bool) -> (RunResult, MemRecorder, i64) {
    let t = two_chain_line();
    let mut cs = two_chains(&t, &[0, 1], &[1], 600.0, 60.0, free_option);
    let after = RATE_ONE / 2 * (1_000_000 + m_ppm) / 1_000_000;
    cs.chains[1].rates = vec![(SimTime::ZERO, RATE_ONE / 2), (SimTime(1_020_000), after)].into();
    let (r, rec, chans) = run_cs(&t, cs, vec![pay(1, 0, 3, 100_000)]);
    for c in &chans {
        assert!(c.conserved());
        assert_eq!(c.inflights(), [Msat::ZERO; 2]);
    }
    // What the gateway's outgoing 100,101,000 msat of b are worth after the move.
    let vout = crate::chain::multi::value_ref(Msat(100_101_000), after) as i64;
    (r, rec, vout)
}

#[test]
fn the_free_option_pays_exactly_when_the_rate_moves_more_than_the_spread() {
    // The gateway receives 50,556,061 ref msat of a and owes 100,101,000 msat of b. At a
    // rate of 0.5 × (1 + m) the outgoing side is worth 50,050,500 × (1 + m): more than
    // the incoming side exactly when 1 + m > 50,556,061 / 50,050,500 ≈ 1.0101, i.e. when
    // the rate moved against the gateway by more than its 1% spread (1 / 0.99 − 1).
    for (m_ppm, declines) in [
        (0, false),
        (5_000, false),
        (10_000, false),
        (10_100, false),
        (10_110, true),
        (20_000, true),
    ] {
        let (r, rec, vout) = moved(m_ppm, true);
        let x = &r.totals.cross;
        let p = &rec.payments[0];
        if declines {
            // The attacker let it time out: no loss for it, the payment fails only at
            // its deadline (60 s after it started), with the sender's funds locked until then.
            assert!(!p.success);
            assert_eq!(p.reason, Some(FailureReason::FreeOption));
            assert_eq!(p.finished, SimTime(61_000_000));
            assert_eq!(x.free_option_declines, 1, "m = {m_ppm} ppm");
            assert_eq!(x.free_option_gain_ref, vout - 50_556_061, "m = {m_ppm} ppm");
            assert!(x.free_option_gain_ref > 0);
            assert_eq!(x.gateway_revenue_ref, 0);
        } else {
            assert!(p.success, "m = {m_ppm} ppm");
            assert_eq!((x.free_option_declines, x.free_option_gain_ref), (0, 0));
            assert_eq!(x.gateway_revenue_ref, 50_556_061 - vout);
            assert!(x.gateway_revenue_ref >= 0);
        }
    }
    // An honest gateway forwards whatever the rate did and takes the loss.
    let (r, rec, vout) = moved(20_000, false);
    assert!(rec.payments[0].success);
    assert_eq!(r.totals.cross.gateway_fx_loss_ref, vout - 50_556_061);
    assert_eq!(r.totals.cross.gateway_revenue_ref, 50_556_061 - vout);
    assert_eq!(r.totals.cross.free_option_declines, 0);
}

/// Asks, at the start, for the cross-chain swaps in `swaps` (node 1), and records every
/// `ChainDone` (time, tag, success) and, at each block of chain a, node 1's local balance
/// on channels 0 (chain a) and 1 (chain b), msat.
struct Scripted {
    swaps: Vec<Action>,
    log: std::sync::Arc<std::sync::Mutex<SwapLog>>,
}

#[derive(Default)]
struct SwapLog {
    done: Vec<(SimTime, u64, bool)>,
    blocks: Vec<(u64, SimTime, u64, u64)>,
}

impl crate::strategy::Strategy for Scripted {
    fn observe(
        &mut self,
        view: &crate::strategy::View<'_>,
        obs: &crate::strategy::Observation,
        _: &mut crate::rng::SimRng,
        out: &mut Vec<Action>,
    ) {
        use crate::strategy::Observation as O;
        let mut log = self.log.lock().expect("log");
        match *obs {
            O::Start => out.append(&mut self.swaps),
            O::ChainDone { tag, success, .. } => log.done.push((view.now, tag, success)),
            O::Block { height } => {
                let l = |c: u32| view.own(NodeId(1), ChannelId(c)).map_or(0, |l| l.local);
                log.blocks.push((height, view.now, l(0), l(1)));
            }
            _ => {}
        }
    }
}

/// 0 —a— 1 —b— 2 —b— 0 (chain a: nodes 0, 1; chain b at rate 0.5: node 2; gateways 0
/// and 1; 500,000 sat a side but node 1's 100,000 sat on channel 1), swap provider node 0
/// charging 5,000 ppm, and node 1 running `swaps`. Keeps running until a 1,000 sat
/// payment 0 → 1 at 100,000 s.
fn run_swaps(swaps: Vec<Action>) -> (RunResult, Vec<network::ChannelState>, SwapLog) {
    let mut t = line(
        &[(500_000, 500_000), (100_000, 900_000)],
        policy(1000, 1000),
    );
    t.add_channel(ChannelSpec {
        nodes: [NodeId(2), NodeId(0)],
        capacity: Msat::from_sat(1_000_000),
        balance: [Msat::from_sat(500_000); 2],
        reserve: [Msat::ZERO; 2],
        policy: [policy(1000, 1000); 2],
        label: None,
    });
    let cs = two_chains(&t, &[0, 1], &[0, 1], 600.0, 60.0, false);
    assert_eq!(cs.chan_chain, vec![0, 1, 1]);
    let p = EngineParams {
        hop_latency: params::LatencyDist::Fixed { ms: 50.0 },
        chains: Some(Arc::new(cs)),
        swap: params::SwapParams {
            fee_ppm: 5_000,
            provider: Some(NodeId(0)),
        },
        ..EngineParams::default()
    };
    let w = trace_workload(&t, vec![pay(100_000, 0, 1, 1_000)]);
    let log = std::sync::Arc::new(std::sync::Mutex::new(SwapLog::default()));
    let s = Scripted {
        swaps,
        log: log.clone(),
    };
    let e = Engine::new(
        &t,
        p,
        w,
        StrategyBox::local(s),
        vec![true; 3],
        vec![(SimTime::ZERO, 1000)],
        7,
    );
    let (r, chans) = e
        .run_with_network(&mut MemRecorder::default())
        .expect("no invariant violation");
    let log = std::mem::take(&mut *log.lock().expect("log"));
    (r, chans, log)
}

fn cross_swap(from: u32, to: u32, sat: u64, tag: u64) -> Action {
    Action::CrossSwap {
        node: NodeId(1),
        from_chan: ChannelId(from),
        to_chan: ChannelId(to),
        amount: Msat::from_sat(sat),
        tag,
    }
}

#[test]
fn a_cross_chain_swap_by_hand_amounts_both_chains_fees_and_delays() {
    // Node 1 swaps 100,000 sat of chain a (rate 1) into its drained chain-b channel
    // (rate 0.5). Off-chain it pays 100,000,000 msat straight to the provider (its own
    // channel: no routing fee). The provider keeps 5,000 ppm = 500,000 msat and converts
    // the other 99,500,000 msat at 1/0.5 = 199,000,000 msat of b, less the 1% spread:
    // 197,010,000 msat, spliced into node 1's side of channel 1. Fees: chain a's swap
    // transaction 200 vB × 10 sat/vB = 2,000,000 msat; chain b's splice 250 vB × 10 =
    // 2,500,000 msat.
    let (r, chans, log) = run_swaps(vec![cross_swap(0, 1, 100_000, 7)]);
    let paid = 100_000_000;
    let out = 197_010_000;
    // Channel 0 (chain a): node 1 paid the swap (and received the 1,000 sat payment).
    assert_eq!(
        chans[0].balances(),
        [
            Msat::from_sat(500_000) + Msat(paid) - Msat::from_sat(1_000),
            Msat::from_sat(500_000) - Msat(paid) + Msat::from_sat(1_000)
        ]
    );
    assert_eq!(chans[0].capacity(), Msat::from_sat(1_000_000));
    // Channel 1 (chain b): the payout grew node 1's side and the capacity.
    assert_eq!(
        chans[1].balances(),
        [Msat::from_sat(100_000) + Msat(out), Msat::from_sat(900_000)]
    );
    assert_eq!(chans[1].capacity(), Msat::from_sat(1_000_000) + Msat(out));
    let t = &r.totals;
    assert_eq!(t.swap_fees, Msat(500_000));
    assert_eq!(t.swaps, 1);
    assert_eq!(t.chains[0].fees, Msat(2_000_000));
    assert_eq!(t.chains[1].fees, Msat(2_500_000));
    assert_eq!(t.onchain_fees, Msat(4_500_000));
    assert_eq!(t.cross.swaps, 1);
    assert_eq!(t.cross.swapped_ref, out as i64 / 2);
    assert_eq!(t.topped_up, Msat(out));
    assert_eq!(t.withdrawn, Msat::ZERO);
    // Delays: the swap transaction confirms at chain a's 3rd block (3 confirmations); at
    // that block the payout has only been submitted on chain b: node 1's chain-a side is
    // already down, its chain-b side not yet up. The payout confirms after chain b's
    // 3 confirmations (60 s blocks), well before chain a's next block.
    let &(_, t3, a3, b3) = log.blocks.iter().find(|b| b.0 == 3).expect("block 3");
    assert_eq!(a3, 500_000_000 - paid);
    assert_eq!(b3, 100_000_000);
    let (t_done, tag, ok) = log.done[0];
    assert_eq!((tag, ok), (7, true));
    assert_eq!(log.done.len(), 1);
    assert!(t_done > t3, "{t_done:?} after {t3:?}");
    let &(_, t4, _, b4) = log.blocks.iter().find(|b| b.0 == 4).expect("block 4");
    if t4 > t_done {
        assert_eq!(b4, 100_000_000 + out);
    }
    // Before block 3 nothing had arrived on chain b.
    for &(h, _, a, b) in log.blocks.iter().filter(|b| b.0 < 3) {
        assert_eq!((a, b), (500_000_000 - paid, 100_000_000), "block {h}");
    }
}

#[test]
fn a_cross_chain_swap_in_reverse_and_invalid_ones() {
    // The reverse: 50,000 sat of b (rate 0.5) into chain a. Off-chain 1 → 2 → 0 on chain
    // b: node 2 charges 1,000 + 50,000 = 51,000 msat. The provider keeps 250,000 msat and
    // pays 49,750,000 × 0.5 × 0.99 = 24,626,250 msat of a into channel 0. Rejected: a swap
    // within one chain, one larger than the node can spend.
    let (r, chans, log) = run_swaps(vec![
        cross_swap(1, 0, 50_000, 1),
        cross_swap(0, 0, 1_000, 2),
        cross_swap(1, 0, 100_001, 3),
    ]);
    let out = 24_626_250;
    assert_eq!(
        chans[0].balances(),
        [Msat::from_sat(499_000), Msat::from_sat(501_000) + Msat(out)]
    );
    assert_eq!(
        chans[1].balances(),
        [
            Msat(100_000_000 - 50_051_000),
            Msat(900_000_000 + 50_051_000)
        ]
    );
    assert_eq!(
        chans[2].balances(),
        [
            Msat(500_000_000 - 50_000_000),
            Msat(500_000_000 + 50_000_000)
        ]
    );
    let rej = &r.totals.rejections;
    assert_eq!(rej[crate::metrics::Rejection::SameChannel.index()], 1);
    assert_eq!(
        rej[crate::metrics::Rejection::InsufficientBalance.index()],
        1
    );
    // Fees: chain b pays the swap transaction, chain a the splice.
    assert_eq!(r.totals.chains[1].fees, Msat(2_000_000));
    assert_eq!(r.totals.chains[0].fees, Msat(2_500_000));
    assert_eq!(r.totals.swap_fees, Msat(250_000));
    assert_eq!(log.done, vec![(log.done[0].0, 1, true)]);
}

#[test]
fn cross_swap_quote_by_hand() {
    use super::crosschain::cross_swap_quote;
    let one = RATE_ONE;
    assert_eq!(
        cross_swap_quote(Msat(1_000_000), one, one / 2, 5_000, 10_000),
        (Msat(1_970_100), Msat(5_000))
    );
    // No fee, no spread, same rate: the amount itself.
    assert_eq!(
        cross_swap_quote(Msat(123_457), one, one, 0, 0),
        (Msat(123_457), Msat::ZERO)
    );
    // Rounded down, in the provider's favour: 3 msat at rate 1/3 → 1 msat of rate 1.
    assert_eq!(cross_swap_quote(Msat(4), one / 3, one, 0, 0).0, Msat(1));
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        /// Random graphs on two chains with random homes and gateways, fixed rates: every
        /// run ends with each chain's channels holding exactly their starting capacity,
        /// every channel conserved and settled, every payment recorded once, and no value
        /// created by conversion: gateways never pay out more value than they take in
        /// (revenue ≥ 0, no exchange loss) and every cross-chain sender pays at least the
        /// amount's value.
        #[test]
        fn funds_are_conserved_per_asset(
            n in 4u32..10,
            raw in proptest::collection::vec((0u32..10, 0u32..10, 1u64..500_000, 1u64..500_000), 3..25),
            pays in proptest::collection::vec((0u32..10, 0u32..10, 1u64..100_000, 0u64..20), 1..40),
            home_a in proptest::collection::vec(any::<bool>(), 10),
            gws in proptest::collection::vec(0u32..10, 1..3),
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
                    reserve: [Msat::ZERO; 2],
                    policy: [policy(1000, 100); 2],
                    label: None,
                });
            }
            let a_nodes: Vec<u32> = (0..n).filter(|&v| home_a[v as usize]).collect();
            let gw: Vec<u32> = gws.iter().map(|g| g % n).collect();
            let cs = two_chains(&t, &a_nodes, &gw, 600.0, 60.0, false);
            let chain_cap = |chans: &[network::ChannelState], k: u8| -> Msat {
                chans.iter().zip(&cs.chan_chain).filter(|(_, &c)| c == k).map(|(c, _)| c.capacity()).sum()
            };
            let start = crate::network::Network::new(&t);
            let cap0 = [chain_cap(start.channels(), 0), chain_cap(start.channels(), 1)];
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
            let cross_expected = trace
                .iter()
                .filter(|a| home_a[a.sender.idx()] != home_a[a.receiver.idx()])
                .count() as u64;
            let p = EngineParams { chains: Some(Arc::new(cs.clone())), ..EngineParams::default() };
            let w = trace_workload(&t, trace);
            let e = Engine::new(&t, p, w, StrategyBox::local(NoStrategy), vec![], vec![(SimTime::ZERO, 1000)], seed);
            let mut rec = MemRecorder::default();
            let (r, chans) = e.run_with_network(&mut rec).expect("no invariant violation");
            for c in &chans {
                prop_assert!(c.conserved());
                prop_assert_eq!(c.inflights(), [Msat::ZERO; 2]);
            }
            prop_assert_eq!([chain_cap(&chans, 0), chain_cap(&chans, 1)], cap0);
            prop_assert_eq!(r.totals.payments, expected);
            prop_assert_eq!(rec.payments.len() as u64, expected);
            let x = &r.totals.cross;
            prop_assert_eq!(x.payments, cross_expected);
            prop_assert!(x.gateway_revenue_ref >= 0);
            prop_assert_eq!(x.gateway_fx_loss_ref, 0);
            prop_assert!(x.succeeded == 0 || x.gateway_revenue_ref > 0);
            let fails: u64 = r.totals.failures.iter().sum();
            prop_assert_eq!(fails, r.totals.payments - r.totals.succeeded);
        }

        /// The same random two-chain graphs with every node running `topup` in mode
        /// `cross_swap` (swap provider: a gateway): the engine's per-asset funds check
        /// holds throughout (the run returns), every channel is conserved, no chain loses
        /// capacity, and the value the chains gained is exactly what the swaps delivered
        /// (each payout valued once, rounded down).
        #[test]
        fn cross_chain_swaps_conserve_funds_per_asset(
            n in 4u32..10,
            raw in proptest::collection::vec((0u32..10, 0u32..10, 1u64..500_000, 1u64..500_000), 3..25),
            pays in proptest::collection::vec((0u32..10, 0u32..10, 1u64..100_000, 0u64..2000), 1..40),
            home_a in proptest::collection::vec(any::<bool>(), 10),
            gws in proptest::collection::vec(0u32..10, 1..3),
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
                    reserve: [Msat::ZERO; 2],
                    policy: [policy(1000, 100); 2],
                    label: None,
                });
            }
            let a_nodes: Vec<u32> = (0..n).filter(|&v| home_a[v as usize]).collect();
            let gw: Vec<u32> = gws.iter().map(|g| g % n).collect();
            let cs = two_chains(&t, &a_nodes, &gw, 600.0, 60.0, false);
            let chain_cap = |chans: &[network::ChannelState], k: u8| -> u64 {
                chans.iter().zip(&cs.chan_chain).filter(|(_, &c)| c == k).map(|(c, _)| c.capacity().0).sum()
            };
            let start = crate::network::Network::new(&t);
            let cap0 = [chain_cap(start.channels(), 0), chain_cap(start.channels(), 1)];
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
            let p = EngineParams {
                chains: Some(Arc::new(cs.clone())),
                swap: params::SwapParams { fee_ppm: 1000, provider: Some(NodeId(gw[0])) },
                ..EngineParams::default()
            };
            let w = trace_workload(&t, trace);
            let cfg = crate::strategy::topup::TopUpConfig {
                mode: crate::strategy::topup::TopUpMode::CrossSwap,
                low: 0.3,
                high: 0.7,
                min_amount_sat: 1_000,
                ..Default::default()
            };
            let s = StrategyBox::local(crate::strategy::topup::TopUp::new(cfg, &t));
            let e = Engine::new(&t, p, w, s, vec![true; n as usize], vec![(SimTime::ZERO, 1000)], seed);
            let mut rec = MemRecorder::default();
            let (r, chans) = e.run_with_network(&mut rec).expect("no invariant violation");
            for c in &chans {
                prop_assert!(c.conserved());
            }
            let cap = [chain_cap(&chans, 0), chain_cap(&chans, 1)];
            prop_assert!(cap[0] >= cap0[0] && cap[1] >= cap0[1]);
            let x = &r.totals.cross;
            // Chain a is worth 1, chain b 0.5 (per msat, reference msat).
            let gained = (cap[0] - cap0[0]) as i64 * 2 + (cap[1] - cap0[1]) as i64;
            prop_assert!(gained >= 2 * x.swapped_ref && gained <= 2 * (x.swapped_ref + x.swaps as i64));
            prop_assert_eq!(r.totals.topped_up.0, (cap[0] - cap0[0]) + (cap[1] - cap0[1]));
            prop_assert!(x.swaps <= r.totals.swaps);
            prop_assert_eq!(r.totals.payments, expected);
        }
    }
}
