//! Engine-level tests of the security model on hand-built lines.

use super::config::{OfflineConfig, SecurityConfig, SignatureMode};
use super::*;
use crate::engine::tests::{line, pay, policy, trace_workload};
use crate::engine::{Engine, EngineParams};
use crate::metrics::RunResult;
use crate::metrics::{MemRecorder, PaymentRecord};
use crate::strategy::{NoStrategy, StrategyBox};
use crate::topology::Topology;
use crate::workload::Arrival;
use adjudicator::Rule;
use proptest::prelude::*;

fn sec(rule: Rule, period: u64) -> SecurityConfig {
    SecurityConfig {
        rule,
        challenge_period_blocks: period,
        malicious_nodes: vec![0],
        cheat_probability: 1.0,
        ..SecurityConfig::default()
    }
}

/// Victim never online (online periods of 1 µs, offline periods of ~30 years).
fn away() -> Option<OfflineConfig> {
    Some(OfflineConfig {
        mean_online_s: 1e-6,
        mean_offline_s: 1e9,
    })
}

fn run(
    t: &Topology,
    trace: Vec<Arrival>,
    s: Option<SecurityConfig>,
    seed: u64,
) -> (RunResult, Vec<PaymentRecord>) {
    let p = EngineParams {
        hop_latency: crate::engine::params::LatencyDist::Fixed { ms: 50.0 },
        security: s,
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
        seed,
    );
    let mut rec = MemRecorder::default();
    let r = e.run(&mut rec).expect("no invariant violation");
    (r, rec.payments)
}

/// Node 0 pays node 1 five times 100k sat over a 1M|1M sat channel, then nothing happens
/// for a day except a last 1-sat payment (which keeps the run, and the blocks, going).
fn drain_trace() -> Vec<Arrival> {
    let mut v: Vec<Arrival> = (1..=5).map(|i| pay(i, 0, 1, 100_000)).collect();
    v.push(pay(86_400, 1, 0, 1));
    v
}

fn two_nodes() -> Topology {
    line(&[(1_000_000, 1_000_000)], policy(0, 0))
}

fn only_dispute(r: &RunResult) -> DisputeRecord {
    let s = r.security.as_ref().expect("security on");
    assert_eq!(s.disputes.len(), 1, "{s:?}");
    s.disputes[0].clone()
}

#[test]
fn online_victim_penalises_the_cheater() {
    // Node 0's best state is the funding state (1M sat); after paying 500k its true balance
    // is 500k. It posts the funding state; node 1 (online) answers with the newest state:
    // node 0 forfeits its 500k, node 1 receives the whole 2M.
    for mode in [SignatureMode::Real, SignatureMode::Modelled] {
        let cfg = SecurityConfig {
            signatures: mode,
            ..sec(Rule::LnPenalty, 6)
        };
        let (r, _) = run(&two_nodes(), drain_trace(), Some(cfg), 3);
        let d = only_dispute(&r);
        assert!(d.caught);
        assert_eq!(d.by_watchtower, Some(false));
        assert_eq!(d.payout, [0, 2_000_000_000]);
        assert_eq!(d.stale_claim, 1_000_000_000);
        assert_eq!(d.honest_claim, 500_000_000);
        let s = r.security.as_ref().expect("on");
        assert_eq!(
            (s.fraud_attempts, s.frauds_caught, s.frauds_succeeded),
            (1, 1, 0)
        );
        assert_eq!(s.funds_stolen, Msat::ZERO);
        assert_eq!(s.penalties_forfeited, Msat::from_sat(500_000));
        // Post + answer, 350 vB each at 1 sat/vB.
        assert_eq!((s.dispute_txs, s.dispute_fees), (2, Msat::from_sat(700)));
        assert!(s.locked_msat_us > 0);
        assert_eq!(r.totals.withdrawn, Msat::from_sat(2_000_000));
        assert_eq!(r.totals.channels_closed, 1);
        assert_eq!(r.totals.succeeded, 5);
    }
}

#[test]
fn eltoo_latest_state_wins_without_penalty() {
    let (r, _) = run(
        &two_nodes(),
        drain_trace(),
        Some(sec(Rule::LatestStateWins, 6)),
        3,
    );
    let d = only_dispute(&r);
    assert!(d.caught);
    assert_eq!(d.payout, [500_000_000, 1_500_000_000]);
    assert_eq!((d.stolen, d.forfeited), (Msat::ZERO, Msat::ZERO));
}

#[test]
fn absent_victim_is_robbed_of_exactly_the_difference() {
    // Unanswered, the funding state pays 1M | 1M: node 0 steals 1M - 500k = 500k sat.
    let cfg = SecurityConfig {
        offline: away(),
        ..sec(Rule::LnPenalty, 6)
    };
    let (r, _) = run(&two_nodes(), drain_trace(), Some(cfg), 3);
    let d = only_dispute(&r);
    assert!(!d.caught);
    assert_eq!(d.payout, [1_000_000_000, 1_000_000_000]);
    assert_eq!(d.stolen, Msat::from_sat(500_000));
    let s = r.security.as_ref().expect("on");
    assert_eq!(
        (s.frauds_caught, s.frauds_succeeded, s.funds_stolen),
        (0, 1, Msat::from_sat(500_000))
    );
    assert_eq!(s.dispute_txs, 1);
}

#[test]
fn watchtower_answers_for_an_absent_victim() {
    let cfg = SecurityConfig {
        offline: away(),
        watchtower_coverage: 1.0,
        watchtower_availability: 1.0,
        ..sec(Rule::LnPenalty, 6)
    };
    let (r, _) = run(&two_nodes(), drain_trace(), Some(cfg), 3);
    let d = only_dispute(&r);
    assert!(d.caught);
    assert_eq!(d.by_watchtower, Some(true));
    assert_eq!(d.stolen, Msat::ZERO);
}

fn mixed_trace() -> Vec<Arrival> {
    let mut v = Vec::new();
    for i in 0..40u64 {
        let (s, r) = [(0, 2), (2, 0), (1, 2), (0, 1), (2, 1)][(i % 5) as usize];
        v.push(pay(1 + i * 30, s, r, 20_000 + (i * 7919) % 90_000));
    }
    v.push(pay(86_400, 2, 0, 1));
    v
}

#[test]
fn real_and_modelled_signatures_give_identical_outcomes() {
    // A 3-node line with a cheater at node 1 in the middle: every payment, dispute and
    // payout must be the same whether states are signed for real or modelled.
    let t = line(&[(600_000, 400_000), (500_000, 500_000)], policy(1000, 100));
    let mk = |m| SecurityConfig {
        signatures: m,
        malicious_nodes: vec![1],
        cheat_probability: 0.3,
        offline: Some(OfflineConfig {
            mean_online_s: 3600.0,
            mean_offline_s: 3600.0,
        }),
        ..sec(Rule::LnPenalty, 3)
    };
    let (real, rp) = run(&t, mixed_trace(), Some(mk(SignatureMode::Real)), 11);
    let (model, mp) = run(&t, mixed_trace(), Some(mk(SignatureMode::Modelled)), 11);
    assert_eq!(rp, mp);
    assert_eq!(real, model);
    assert!(real
        .security
        .as_ref()
        .is_some_and(|s| s.states_signed > 100));
}

#[test]
fn security_without_cheaters_changes_no_payment() {
    let t = line(&[(600_000, 400_000), (500_000, 500_000)], policy(1000, 100));
    let trace: Vec<Arrival> = mixed_trace().into_iter().take(40).collect();
    let (plain, pp) = run(&t, trace.clone(), None, 5);
    let cfg = SecurityConfig {
        signatures: SignatureMode::Real,
        ..SecurityConfig::default()
    };
    let (with, wp) = run(&t, trace, Some(cfg), 5);
    assert_eq!(pp, wp);
    assert_eq!(plain.totals, with.totals);
    assert!(plain.security.is_none());
    let s = with.security.expect("on");
    assert_eq!((s.malicious_nodes, s.fraud_attempts), (0, 0));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// On random small lines with random payments and a cheater at node 0 or 1:
    /// - a victim that is always online, or covered by an available watchtower, never loses
    ///   funds: every stale post is penalised (LN) or overridden (eltoo);
    /// - a theft succeeds only if nobody answered, and then exactly `stale − true` is
    ///   counted as stolen; payouts always sum to the capacity (the engine also checks
    ///   global conservation at the end of every run).
    #[test]
    fn honest_parties_are_safe_and_theft_is_counted_exactly(
        bals in prop::collection::vec((100_000u64..2_000_000, 100_000u64..2_000_000), 1..4),
        pays in prop::collection::vec((0u32..4, 0u32..4, 1_000u64..300_000), 1..25),
        cheater in 0u32..2,
        eltoo in any::<bool>(),
        period in 1u64..8,
        victim_mode in 0u8..3,
        seed in any::<u64>(),
    ) {
        let n = bals.len() as u32 + 1;
        let t = line(&bals, policy(0, 0));
        let mut trace: Vec<Arrival> = pays
            .iter()
            .enumerate()
            .filter(|(_, &(s, r, _))| s % n != r % n)
            .map(|(i, &(s, r, a))| pay(1 + i as u64 * 20, s % n, r % n, a))
            .collect();
        trace.push(pay(200_000, 0, 1, 1));
        let (offline, coverage) = match victim_mode {
            0 => (None, 0.0),          // always online
            1 => (away(), 1.0),        // away, watchtower always up
            _ => (Some(OfflineConfig { mean_online_s: 1800.0, mean_offline_s: 5400.0 }), 0.0),
        };
        let cfg = SecurityConfig {
            rule: if eltoo { Rule::LatestStateWins } else { Rule::LnPenalty },
            challenge_period_blocks: period,
            malicious_nodes: vec![cheater],
            cheat_probability: 0.5,
            offline,
            watchtower_coverage: coverage,
            watchtower_availability: 1.0,
            ..SecurityConfig::default()
        };
        let (r, _) = run(&t, trace, Some(cfg.clone()), seed);
        let s = r.security.expect("on");
        // Oracle of the victims' presence: the same on/off process, replayed afresh.
        let presence = |v: NodeId, from: SimTime, to: SimTime| {
            SecurityState::new(&cfg, &crate::network::Network::new(&t), seed).online_during(v, from, to)
        };
        let caps: Vec<u64> = bals.iter().map(|&(a, b)| (a + b) * 1000).collect();
        let mut stolen = Msat::ZERO;
        prop_assert_eq!(s.disputes.len() as u64, s.fraud_attempts);
        for d in &s.disputes {
            let cap = caps[d.channel.idx()];
            prop_assert_eq!(d.payout[0] + d.payout[1], cap);
            let side = usize::from(t.channel(d.channel).nodes[1] == d.cheater);
            prop_assert!(d.stale_claim > d.claim_at_post, "cheats only when it pays");
            if d.caught {
                prop_assert_eq!(d.stolen, Msat::ZERO);
                // The victim gets at least what it was owed (all of it under LN).
                prop_assert!(d.payout[1 - side] >= cap - d.honest_claim);
                if !eltoo {
                    prop_assert_eq!(d.payout[1 - side], cap);
                    prop_assert_eq!(d.forfeited, Msat(d.honest_claim));
                }
                if d.by_watchtower == Some(false) && victim_mode == 2 {
                    prop_assert!(presence(d.victim, d.window.0, d.window.1));
                }
            } else {
                prop_assert!(victim_mode == 2, "an online or watched victim was robbed: {:?}", d);
                // Away for the whole challenge window (`period` block checks).
                prop_assert!(!presence(d.victim, d.window.0, d.window.1), "robbed while online: {:?}", d);
                prop_assert_eq!(d.payout[side], d.stale_claim);
                prop_assert_eq!(d.stolen, Msat(d.stale_claim.saturating_sub(d.honest_claim)));
            }
            stolen += d.stolen;
        }
        prop_assert_eq!(s.funds_stolen, stolen);
        prop_assert_eq!(s.frauds_caught + s.frauds_succeeded, s.fraud_attempts);
    }
}

#[test]
fn intermittent_victims_are_sometimes_robbed_and_sometimes_not() {
    // Non-vacuity of the property test's third mode: over a few seeds, both outcomes occur.
    let (mut caught, mut robbed) = (0, 0);
    for seed in 0..30 {
        let cfg = SecurityConfig {
            offline: Some(OfflineConfig {
                mean_online_s: 1800.0,
                mean_offline_s: 5400.0,
            }),
            ..sec(Rule::LnPenalty, 2)
        };
        let (r, _) = run(&two_nodes(), drain_trace(), Some(cfg), seed);
        let s = r.security.expect("on");
        caught += s.frauds_caught;
        robbed += s.frauds_succeeded;
    }
    assert!(caught > 0 && robbed > 0, "caught {caught}, robbed {robbed}");
}

/// Asks node 0 for one circular rebalance at the start: out over channel 0 (0→1), back in
/// over channel 2 (2→0).
struct OneRebalance;
impl crate::strategy::Strategy for OneRebalance {
    fn observe(
        &mut self,
        _view: &crate::strategy::View<'_>,
        obs: &crate::strategy::Observation,
        _rng: &mut SimRng,
        out: &mut Vec<crate::strategy::Action>,
    ) {
        if *obs == crate::strategy::Observation::Start {
            out.push(crate::strategy::Action::Rebalance {
                node: NodeId(0),
                out_chan: ChannelId(0),
                in_chan: ChannelId(2),
                amount: Msat::from_sat(300_000),
                max_fee: Msat::from_sat(1000),
                max_attempts: 3,
                deadline: SimDuration::from_secs(60),
                tag: 1,
                max_hops: None,
                fee_free: false,
                join: crate::strategy::Join::Anyone,
            });
        }
    }
}

#[test]
fn cheats_right_after_its_own_rebalance() {
    // Triangle 0–1, 1–2, 2–0 (500k | 500k sat each, no fees). Node 0 rebalances 300k out
    // over channel 0 and in over channel 2, then posts channel 0's funding state (500k for
    // it, against a true 200k). Node 1, online, answers: node 0 forfeits 200k.
    let mut t = Topology::new();
    for i in 0..3 {
        t.add_node(format!("n{i}"));
    }
    for (a, b) in [(0, 1), (1, 2), (2, 0)] {
        t.add_channel(crate::topology::ChannelSpec {
            nodes: [NodeId(a), NodeId(b)],
            capacity: Msat::from_sat(1_000_000),
            balance: [Msat::from_sat(500_000); 2],
            reserve: [Msat::ZERO; 2],
            policy: [policy(0, 0); 2],
            label: None,
        });
    }
    let cfg = SecurityConfig {
        cheat_when: config::CheatWhen::AfterRebalance,
        signatures: SignatureMode::Real,
        ..sec(Rule::LnPenalty, 4)
    };
    let p = EngineParams {
        security: Some(cfg),
        ..EngineParams::default()
    };
    let w = trace_workload(&t, vec![pay(86_400, 1, 2, 1)]);
    let e = Engine::new(
        &t,
        p,
        w,
        StrategyBox::local(OneRebalance),
        vec![true, false, false],
        vec![(SimTime::ZERO, 1000)],
        9,
    );
    let r = e
        .run(&mut MemRecorder::default())
        .expect("no invariant violation");
    assert_eq!(r.totals.rebalances_succeeded, 1);
    let d = only_dispute(&r);
    assert_eq!(d.channel, ChannelId(0));
    assert!(d.caught);
    assert_eq!((d.stale_claim, d.honest_claim), (500_000_000, 200_000_000));
    assert_eq!(d.payout, [0, 1_000_000_000]);
    assert_eq!(d.forfeited, Msat::from_sat(200_000));
}

#[test]
fn force_closes_disrupt_htlcs_in_flight() {
    // 0 → 1 → 2, one payment of 1000 sat every 0.5 s for an hour, hops of 1 s. Node 1
    // forwards and so loses balance on channel 1; it cheats there at a block. HTLCs that
    // locked hop 0 before the post and reach node 1 after it fail with `ChannelClosed`.
    let t = line(
        &[(10_000_000, 10_000_000), (10_000_000, 10_000_000)],
        policy(0, 0),
    );
    let mut trace: Vec<Arrival> = (0..7200u64)
        .map(|i| Arrival {
            time: SimTime(1_000_000 + i * 500_000),
            sender: NodeId(0),
            receiver: NodeId(2),
            amount: Msat::from_sat(1000),
        })
        .collect();
    trace.push(pay(86_400, 2, 0, 1));
    let cfg = SecurityConfig {
        malicious_nodes: vec![1],
        ..sec(Rule::LnPenalty, 3)
    };
    let p = EngineParams {
        hop_latency: crate::engine::params::LatencyDist::Fixed { ms: 1000.0 },
        security: Some(cfg),
        ..EngineParams::default()
    };
    let e = Engine::new(
        &t,
        p,
        trace_workload(&t, trace),
        StrategyBox::local(NoStrategy),
        vec![],
        vec![(SimTime::ZERO, 1000)],
        4,
    );
    let mut rec = MemRecorder::default();
    let r = e.run(&mut rec).expect("no invariant violation");
    let s = r.security.clone().expect("on");
    let closed = rec
        .payments
        .iter()
        .filter(|p| {
            matches!(
                p.reason,
                Some(crate::metrics::FailureReason::ChannelClosed { .. })
            )
        })
        .count() as u64;
    assert_eq!(s.fraud_attempts, 1);
    assert!(s.payments_disrupted > 0);
    assert_eq!(closed, s.payments_disrupted);
    assert_eq!(r.totals.failures[5], closed);
    // ... and they reach summary.csv (they did not, before the columns were generated from
    // the failure-reason list).
    let m = r.metrics();
    let col = |k: &str| m.iter().find(|(n, _)| n == k).map(|x| x.1).expect(k);
    assert_eq!(col("fail_channel_closed"), closed as f64);
    let fails: f64 = m
        .iter()
        .filter(|(k, _)| k.starts_with("fail_"))
        .map(|x| x.1)
        .sum();
    assert_eq!(fails, col("payments") - col("succeeded"));
}

#[test]
fn a_mixed_population_keeps_funds_conserved_and_modes_agree() {
    // A 12-node ring with chords i — i+5, 20% cheaters, intermittent honest nodes, half of
    // them watched: the engine checks global conservation at every window and at the end
    // (payouts counted as withdrawn); real and modelled signatures agree on everything.
    let mut t = Topology::new();
    for i in 0..12 {
        t.add_node(format!("n{i}"));
    }
    for i in 0..12u32 {
        for k in [1, 5] {
            t.add_channel(crate::topology::ChannelSpec {
                nodes: [NodeId(i), NodeId((i + k) % 12)],
                capacity: Msat::from_sat(1_000_000),
                balance: [Msat::from_sat(500_000); 2],
                reserve: [Msat::ZERO; 2],
                policy: [policy(1000, 100); 2],
                label: None,
            });
        }
    }
    let mut r = crate::rng::stream(3, "test-trace");
    let mut trace: Vec<Arrival> = (0..600u64)
        .map(|i| {
            use rand::Rng;
            let s = r.random_range(0..12u32);
            let d = (s + r.random_range(1..12u32)) % 12;
            Arrival {
                time: SimTime(i * 20_000_000),
                sender: NodeId(s),
                receiver: NodeId(d),
                amount: Msat::from_sat(r.random_range(1_000..80_000)),
            }
        })
        .collect();
    trace.push(pay(200_000, 0, 6, 1));
    let mk = |m| SecurityConfig {
        signatures: m,
        malicious_share: 0.2,
        cheat_probability: 0.05,
        challenge_period_blocks: 3,
        offline: Some(OfflineConfig {
            mean_online_s: 3600.0,
            mean_offline_s: 1800.0,
        }),
        watchtower_coverage: 0.5,
        watchtower_availability: 0.8,
        ..SecurityConfig::default()
    };
    let (real, rp) = run(&t, trace.clone(), Some(mk(SignatureMode::Real)), 21);
    let (model, mp) = run(&t, trace, Some(mk(SignatureMode::Modelled)), 21);
    assert_eq!(rp, mp);
    assert_eq!(real, model);
    let s = real.security.expect("on");
    assert_eq!(s.malicious_nodes, 2);
    assert!(s.fraud_attempts > 0);
    assert_eq!(s.disputes_resolved, s.fraud_attempts);
    assert_eq!(s.frauds_caught + s.frauds_succeeded, s.fraud_attempts);
    assert_eq!(s.rejected_claims, 0);
    let stolen: Msat = s.disputes.iter().map(|d| d.stolen).sum();
    assert_eq!(stolen, s.funds_stolen);
    assert_eq!(real.totals.channels_closed, s.fraud_attempts);
}

/// A cheater that posts states its counterparty never signed: every such claim is
/// rejected on chain and counted, nothing is stolen and no channel closes.
#[test]
fn forged_claims_are_rejected_and_counted_in_both_modes() {
    for mode in [SignatureMode::Modelled, SignatureMode::Real] {
        let cfg = SecurityConfig {
            signatures: mode,
            forge_share: 1.0,
            ..sec(Rule::LnPenalty, 6)
        };
        let (r, pays) = run(&two_nodes(), drain_trace(), Some(cfg), 3);
        let s = r.security.expect("on");
        assert!(s.forged_claims > 0, "{mode:?}");
        assert_eq!(s.rejected_claims, s.forged_claims, "{mode:?}");
        assert_eq!(s.fraud_attempts, 0);
        assert_eq!(s.funds_stolen, Msat::ZERO);
        assert!(s.disputes.is_empty());
        assert_eq!(r.totals.channels_closed, 0);
        assert!(s.dispute_txs >= s.forged_claims);
        // While a forged post waits for its block the channel is closing: payments then
        // find no route (or an HTLC in flight is refused); nothing else fails them.
        for p in &pays {
            assert!(
                p.success
                    || matches!(
                        p.reason,
                        Some(crate::metrics::FailureReason::NoRoute)
                            | Some(crate::metrics::FailureReason::ChannelClosed { .. })
                    ),
                "{mode:?}: {p:?}"
            );
        }
        assert!(pays.iter().any(|p| p.success), "{mode:?}");
    }
}

/// A cooperative close is a co-signed final state: with security on, the close adds one
/// signed state (version + 1) and pays out that state.
#[test]
fn cooperative_close_signs_the_final_state() {
    struct Closer;
    impl crate::strategy::Strategy for Closer {
        fn observe(
            &mut self,
            _: &crate::strategy::View<'_>,
            obs: &crate::strategy::Observation,
            _: &mut crate::rng::SimRng,
            out: &mut Vec<crate::strategy::Action>,
        ) {
            if *obs == crate::strategy::Observation::Start {
                out.push(crate::strategy::Action::CloseChannel {
                    node: NodeId(0),
                    chan: ChannelId(0),
                    cooperative: true,
                    tag: 0,
                });
            }
        }
    }
    let t = two_nodes();
    let mut signed = Vec::new();
    for close in [false, true] {
        let p = EngineParams {
            security: Some(SecurityConfig {
                signatures: SignatureMode::Real,
                ..SecurityConfig::default()
            }),
            ..EngineParams::default()
        };
        let w = trace_workload(&t, vec![pay(1, 0, 1, 1_000)]);
        let s = if close {
            StrategyBox::local(Closer)
        } else {
            StrategyBox::local(NoStrategy)
        };
        let e = Engine::new(&t, p, w, s, vec![true; 2], vec![(SimTime::ZERO, 1000)], 1);
        let (r, chans) = e
            .run_with_network(&mut MemRecorder::default())
            .expect("run");
        signed.push(r.security.expect("on").states_signed);
        if close {
            assert_eq!(r.totals.rejections.iter().sum::<u64>(), 0);
            assert_eq!(chans[0].version(), 1);
            // The close was submitted (its fee paid); the run ends before it confirms.
            assert!(r.totals.onchain_fees > Msat::ZERO);
        }
    }
    // Both runs sign the opening state. Without the close the payment's two updates (lock,
    // settle) follow: 3. With it the payment finds the channel closing (no route) and only
    // the closing state follows: 2.
    assert_eq!(signed, vec![3, 2]);
}
