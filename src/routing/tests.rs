//! Every router on hand-checkable graphs, and the route contract on random graphs.

use super::pathfinder::{PathFinder, RouteCtx};
use super::registry::{self, RouterSpec, ROUTERS};
use super::{Hop, McEntry, RouteRequest, RouterParams};
use crate::network::Network;
use crate::topology::{ChannelId, ChannelSpec, FeePolicy, NodeId, Topology};
use crate::units::{Msat, SimTime};
use proptest::prelude::*;

/// (a, b, balance of a in sat, balance of b in sat, fee ppm of both sides)
type Ch = (u32, u32, u64, u64, u32);

fn topo(n: u32, chans: &[Ch]) -> Topology {
    let mut t = Topology::new();
    for i in 0..n {
        t.add_node(format!("n{i}"));
    }
    for &(a, b, x, y, ppm) in chans {
        let pol = FeePolicy {
            base_fee: Msat::ZERO,
            fee_ppm: ppm,
            ..FeePolicy::default()
        };
        t.add_channel(ChannelSpec {
            nodes: [NodeId(a), NodeId(b)],
            capacity: Msat::from_sat(x + y),
            balance: [Msat::from_sat(x), Msat::from_sat(y)],
            reserve: [Msat::ZERO; 2],
            policy: [pol; 2],
            label: None,
        });
    }
    t
}

fn req(s: u32, t: u32, sat: u64) -> RouteRequest<'static> {
    RouteRequest::new(NodeId(s), NodeId(t), Msat::from_sat(sat))
}

fn spec(name: &'static str) -> RouterSpec {
    let mut s = RouterSpec {
        name,
        ..RouterSpec::default()
    };
    s.cln.fuzz = 0.0;
    s
}

fn route(r: &mut dyn PathFinder, net: &Network, q: &RouteRequest<'_>) -> Option<Vec<Hop>> {
    let p = RouterParams::default();
    let ctx = RouteCtx {
        net,
        mc: &[],
        now: SimTime::ZERO,
        params: &p,
    };
    let mut out = Vec::new();
    r.find_route(&ctx, q, &mut out).ok().map(|_| out)
}

/// Diamond s=0 → {a=1, b=2} → t=3: channels 0 s–a, 1 a–t, 2 s–b, 3 b–t.
fn diamond(a_t: (u64, u32), b_t: (u64, u32)) -> Topology {
    topo(
        4,
        &[
            (0, 1, 20_000_000, 0, 0),
            (1, 3, a_t.0, 0, a_t.1),
            (0, 2, 20_000_000, 0, 0),
            (2, 3, b_t.0, 0, b_t.1),
        ],
    )
}

#[test]
fn every_router_takes_the_cheaper_of_two_paths() {
    // a charges 10,000 ppm, b 10 ppm, same capacities: on 10,000 sat the fee is 100 sat
    // via a and 0.1 sat via b; every router's cost grows with the fee, so each takes b.
    let t = diamond((1_000_000, 10_000), (1_000_000, 10));
    let net = Network::new(&t);
    for e in ROUTERS {
        let mut r = registry::build(&spec(e.name), 4, 4);
        let hops = route(r.as_mut(), &net, &req(0, 3, 10_000)).expect(e.name);
        assert_eq!(hops.len(), 2, "{}", e.name);
        assert_eq!(
            hops[1].chan,
            ChannelId(3),
            "{} took the dearer path",
            e.name
        );
        // Fee: 10,000,000 msat × 10 / 1e6 = 100 msat.
        assert_eq!(hops[0].amount, Msat(10_000_100), "{}", e.name);
    }
}

#[test]
fn capacity_aware_routers_take_the_more_reliable_of_two_paths() {
    // Same fees; a–t has 10,000,000 sat, b–t 12,000 sat, for 10,000 sat. LDK: success
    // probability (12,000 − 10,000) / 12,000 ≈ 0.17 via b (penalty ≈ 25 sat) against
    // ≈ 0.999 via a; mcf: −ln P ≈ 1.79 against 0.001; CLN's capacity bias is 1.79 msat
    // against 0.001 msat (fuzz off). lnd's a-priori estimator ignores capacity.
    let t = diamond((10_000_000, 100), (12_000, 100));
    let net = Network::new(&t);
    for name in ["ldk", "mcf", "cln"] {
        let mut r = registry::build(&spec(name), 4, 4);
        let hops = route(r.as_mut(), &net, &req(0, 3, 10_000)).expect(name);
        assert_eq!(
            hops[1].chan,
            ChannelId(1),
            "{name} took the less reliable path"
        );
    }
}

#[test]
fn lnd_bimodal_takes_the_more_reliable_path_and_learns() {
    use super::bimodal::{BimodalParams, Estimator};
    let bimodal = RouterSpec {
        estimator: Estimator::Bimodal(BimodalParams::default()),
        ..spec("lnd")
    };
    // As above: 10,000 sat over a–t (10,000,000 sat) or b–t (12,000 sat), same fees. The
    // bimodal probability of b–t is (H(c) − H(a)) / (H(c) − H(0)) with c = 1.2e7 msat ≪ s:
    // nearly uniform, ≈ 2,000 / 12,000 = 0.17; a–t's ≈ 0.98 (most of a 1e10 msat channel's
    // mass lies above 1e7 msat); lnd's penalty attempt_cost / P picks a.
    let t = diamond((10_000_000, 100), (12_000, 100));
    let net = Network::new(&t);
    let mut r = registry::build(&bimodal, 4, 4);
    let hops = route(r.as_mut(), &net, &req(0, 3, 10_000)).unwrap();
    assert_eq!(hops[1].chan, ChannelId(1));
    // Equal paths: a failure of 10,000 sat on the one taken sends the next search to the
    // other (the failed edge's probability drops to 0 at that amount).
    let t = diamond((1_000_000, 100), (1_000_000, 100));
    let net = Network::new(&t);
    let mut r = registry::build(&bimodal, 4, 4);
    let q = req(0, 3, 10_000);
    let first = route(r.as_mut(), &net, &q).unwrap();
    r.learn_failure(&net, NodeId(0), &first, 1, SimTime::ZERO);
    let second = route(r.as_mut(), &net, &q).unwrap();
    assert_ne!(first[1].chan, second[1].chan);
    // The a-priori estimator's lnd ignores `learn_failure` (its knowledge is the engine's
    // mission control) and routes as before.
    let mut apriori = registry::build(&spec("lnd"), 4, 4);
    let a1 = route(apriori.as_mut(), &net, &q).unwrap();
    apriori.learn_failure(&net, NodeId(0), &a1, 1, SimTime::ZERO);
    assert_eq!(route(apriori.as_mut(), &net, &q).unwrap(), a1);
}

#[test]
fn mcf_splits_a_flow_across_two_disjoint_paths_as_the_model_predicts() {
    // No fees (μ irrelevant); remote capacities 3,000 and 2,000 sat; 2,000 sat to send.
    // Continuous optimum: equal marginal uncertainty 1/(3000 − x₁) = 1/(2000 − x₂), so
    // x₁ − x₂ = 1,000 and x₁ = 1,500, x₂ = 500. Linearised (32 units of 62,500 msat, 4
    // pieces): a–t's pieces of 12 units cost ln(4/3)/12 ≈ 0.0240, ln(3/2)/12 ≈ 0.0338, …
    // per unit; b–t's pieces of 8 units cost ln(4/3)/8 ≈ 0.0360, …; the 32 cheapest units
    // are a's first two pieces (24) and b's first (8): 1,500 and 500 sat.
    let t = diamond((3_000, 0), (2_000, 0));
    let net = Network::new(&t);
    let p = RouterParams::default();
    let ctx = RouteCtx {
        net: &net,
        mc: &[],
        now: SimTime::ZERO,
        params: &p,
    };
    let mut r = registry::build(&spec("mcf"), 4, 4);
    let mut plan = Vec::new();
    r.plan_parts(&ctx, &req(0, 3, 2_000), 16, &mut plan)
        .expect("a plan");
    let parts: Vec<(ChannelId, Msat)> = plan
        .iter()
        .map(|h| (h[1].chan, h.last().unwrap().amount))
        .collect();
    assert_eq!(
        parts,
        vec![
            (ChannelId(1), Msat::from_sat(1_500)),
            (ChannelId(3), Msat::from_sat(500))
        ]
    );
}

#[test]
fn mcf_pruning_keeps_paths_within_the_slack() {
    // s=0 → 1 → t=2 (2 hops; 1–t holds 1,000 sat) and s → 3 → 4 → 5 → t (4 hops,
    // 100,000 sat each). 2,000 sat to send. slack 1: only paths of ≤ 3 hops, so the plan
    // carries at most the 1,000 sat of the short path; slack 2 admits the long one and the
    // whole amount is planned.
    let t = topo(
        6,
        &[
            (0, 1, 1_000_000, 0, 0),
            (1, 2, 1_000, 0, 0),
            (0, 3, 1_000_000, 0, 0),
            (3, 4, 100_000, 0, 0),
            (4, 5, 100_000, 0, 0),
            (5, 2, 100_000, 0, 0),
        ],
    );
    let net = Network::new(&t);
    let p = RouterParams::default();
    let ctx = RouteCtx {
        net: &net,
        mc: &[],
        now: SimTime::ZERO,
        params: &p,
    };
    let mut planned = Vec::new();
    for slack in [1, 2] {
        let mut sp = spec("mcf");
        sp.mcf.slack = slack;
        let mut r = registry::build(&sp, 6, 6);
        let mut plan = Vec::new();
        r.plan_parts(&ctx, &req(0, 2, 2_000), 16, &mut plan)
            .unwrap();
        let total: Msat = plan.iter().map(|h| h[h.len() - 1].amount).sum();
        let longest = plan.iter().map(|h| h.len()).max().unwrap();
        planned.push((total, longest));
    }
    assert_eq!(
        planned,
        vec![(Msat::from_sat(1_000), 2), (Msat::from_sat(2_000), 4)]
    );
}

#[test]
fn ldk_learns_from_a_failure() {
    // Two equal paths; after a failure of 10,000 sat on the one taken, the other is
    // taken.
    let t = diamond((1_000_000, 100), (1_000_000, 100));
    let net = Network::new(&t);
    let mut r = registry::build(&spec("ldk"), 4, 4);
    let q = req(0, 3, 10_000);
    let first = route(r.as_mut(), &net, &q).unwrap();
    r.learn_failure(&net, NodeId(0), &first, 1, SimTime::ZERO);
    let second = route(r.as_mut(), &net, &q).unwrap();
    assert_ne!(first[1].chan, second[1].chan);
    // A smaller amount than what failed still fits the learned bound [0, 9,999.999 sat]
    // but costs more than on the untouched path: the other path is still taken.
    let small = route(r.as_mut(), &net, &req(0, 3, 5_000)).unwrap();
    assert_eq!(small[1].chan, second[1].chan);
}

#[test]
fn every_router_prices_fee_free_forwarders_at_zero() {
    // a charges 10,000 ppm but forwards this rebalance for free; b charges 10 ppm. Same
    // capacities, so only the fee differs: every router takes a, and the route carries no
    // fee (10,000 sat arrive, 10,000 sat leave the sender; via b it would be 100 msat more).
    let t = diamond((1_000_000, 10_000), (1_000_000, 10));
    let net = Network::new(&t);
    let free = [false, true, false, false];
    for e in ROUTERS {
        let mut r = registry::build(&spec(e.name), 4, 4);
        let q = RouteRequest {
            fee_free: Some(&free),
            ..req(0, 3, 10_000)
        };
        let hops = route(r.as_mut(), &net, &q).expect(e.name);
        assert_eq!(hops[1].chan, ChannelId(1), "{} paid a fee instead", e.name);
        assert_eq!(hops[0].amount, Msat::from_sat(10_000), "{}", e.name);
        // The fee limit counts the fees actually paid: zero fits a zero limit.
        let q0 = RouteRequest {
            max_fee: Some(Msat::ZERO),
            ..q
        };
        let hops = route(r.as_mut(), &net, &q0).expect(e.name);
        assert_eq!(hops[0].amount, Msat::from_sat(10_000), "{}", e.name);
        // Without the fee-free set the cheap path b is taken again.
        let hops = route(r.as_mut(), &net, &req(0, 3, 10_000)).expect(e.name);
        assert_eq!(hops[1].chan, ChannelId(3), "{}", e.name);
    }
}

#[test]
fn every_router_honours_the_join_rule() {
    // b is the cheaper forwarder but refuses to join (its rule says no for every in/out
    // pair); every router routes through a (1,000 ppm: 10 sat, within CLN's default fee
    // limit of 0.5 %). A rule refusing both leaves no route. The rule is asked with the
    // channels the forwarder would use: b in over 2 (s–b), out over 3.
    let t = diamond((1_000_000, 1_000), (1_000_000, 10));
    let net = Network::new(&t);
    let asked = std::cell::RefCell::new(Vec::new());
    let no_b = |v: NodeId, cin: ChannelId, cout: ChannelId, _: Msat| {
        asked.borrow_mut().push((v, cin, cout));
        v != NodeId(2)
    };
    let nobody = |_: NodeId, _: ChannelId, _: ChannelId, _: Msat| false;
    for e in ROUTERS {
        let mut r = registry::build(&spec(e.name), 4, 4);
        asked.borrow_mut().clear();
        let q = RouteRequest {
            join: Some(super::JoinRule(&no_b)),
            ..req(0, 3, 10_000)
        };
        let hops = route(r.as_mut(), &net, &q).expect(e.name);
        assert_eq!(
            hops[1].chan,
            ChannelId(1),
            "{} used a refusing node",
            e.name
        );
        assert!(
            asked
                .borrow()
                .contains(&(NodeId(2), ChannelId(2), ChannelId(3))),
            "{}: {:?}",
            e.name,
            asked.borrow()
        );
        let q = RouteRequest {
            join: Some(super::JoinRule(&nobody)),
            ..req(0, 3, 10_000)
        };
        assert!(route(r.as_mut(), &net, &q).is_none(), "{}", e.name);
    }
}

#[test]
fn ldk_historical_buckets_remember_a_failure_after_the_live_bounds_decay() {
    // a–t charges 100 ppm, b–t 110 ppm (10,000 sat: 1 sat vs 1.1 sat), 1,000,000 sat each.
    // 10,000 sat fail over a–t; ten days later the live bounds (6 h half-life) are back to
    // [0, capacity], so plain ldk takes the cheaper a again. The history (14-day half-life)
    // still holds the failure: min bucket 0, max bucket 31 (offset 990,001 sat), so
    // p_hist(10,000 sat) = (31,249,999 − 1e7) / 31,249,999 ≈ 0.68 and a's historical
    // penalty ≈ 0.167 × (10,000 + 1,250 × 1e7 / 2^20) ≈ 3.7 sat against b's ≈ 0.1 sat
    // (capacity fallback): ldk_historical takes b.
    let t = diamond((1_000_000, 100), (1_000_000, 110));
    let net = Network::new(&t);
    let q = req(0, 3, 10_000);
    let later = SimTime::ZERO + crate::units::SimDuration::from_secs(10 * 86_400);
    let p = RouterParams::default();
    let ctx = RouteCtx {
        net: &net,
        mc: &[],
        now: later,
        params: &p,
    };
    let mut choices = Vec::new();
    for historical in [false, true] {
        let mut sp = spec("ldk");
        sp.ldk.historical = historical;
        let mut r = registry::build(&sp, 4, 4);
        let first = route(r.as_mut(), &net, &q).unwrap();
        assert_eq!(first[1].chan, ChannelId(1), "cheaper a first");
        r.learn_failure(&net, NodeId(0), &first, 1, SimTime::ZERO);
        let mut out = Vec::new();
        r.find_route(&ctx, &q, &mut out).unwrap();
        choices.push(out[1].chan);
    }
    assert_eq!(choices, vec![ChannelId(1), ChannelId(3)]);
}

fn check_contract(
    net: &Network,
    q: &RouteRequest<'_>,
    p: &RouterParams,
    hops: &[Hop],
    who: &str,
) -> Result<(), TestCaseError> {
    prop_assert!(!hops.is_empty(), "{who}: empty route");
    prop_assert!(hops.len() <= p.max_hops as usize, "{who}: too many hops");
    prop_assert_eq!(net.chan(hops[0].chan).node(hops[0].dir as usize), q.source);
    let last = hops[hops.len() - 1];
    prop_assert_eq!(net.chan(last.chan).node(1 - last.dir as usize), q.target);
    let first = net.chan(hops[0].chan);
    prop_assert!(
        first
            .check_offer(hops[0].dir as usize, hops[0].amount)
            .is_ok(),
        "{who}: the sender cannot offer its first hop"
    );
    let mut cltv = p.final_cltv;
    for (i, h) in hops.iter().enumerate() {
        let ch = net.chan(h.chan);
        let pol = ch.policy(h.dir as usize);
        prop_assert!(
            h.amount >= pol.min_htlc && h.amount <= pol.max_htlc,
            "{who}: htlc limits"
        );
        prop_assert!(h.amount <= ch.capacity(), "{who}: capacity");
        prop_assert!(
            !q.exclude.contains(&(h.chan, h.dir)),
            "{who}: excluded edge"
        );
        if i > 0 {
            cltv += pol.cltv_delta as u32;
            let prev = hops[i - 1];
            prop_assert_eq!(
                net.chan(h.chan).node(h.dir as usize),
                net.chan(prev.chan).node(1 - prev.dir as usize)
            );
            // The forwarder of hop i charges its fee unless it is fee-free.
            let fee = if q.is_fee_free(ch.node(h.dir as usize)) {
                Msat::ZERO
            } else {
                pol.fee(h.amount)
            };
            prop_assert_eq!(prev.amount, h.amount + fee, "{}: fee", who);
        }
    }
    prop_assert!(cltv <= p.max_cltv, "{who}: cltv {cltv}");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Every router's routes (and `mcf`'s planned parts) keep the route contract of
    /// [`PathFinder`]: connected from source to target, exact fees, htlc limits and
    /// capacity, the sender's own balance, `max_hops`, `max_cltv`, exclusions.
    #[test]
    fn route_contract(
        n in 3u32..12,
        raw in proptest::collection::vec((0u32..12, 0u32..12, 0u64..300_000, 0u64..300_000, 0u32..3000), 2..30),
        s in 0u32..12,
        r in 0u32..12,
        amt in 1u64..200_000,
        max_hops in 2u8..6,
        excl in proptest::collection::vec((0usize..30, 0u8..2), 0..3),
        fails in proptest::collection::vec((0usize..30, 0u8..2, 1u64..200_000), 0..4),
        free in proptest::option::of(proptest::collection::vec(any::<bool>(), 12)),
    ) {
        let chans: Vec<Ch> = raw.iter().map(|&(a, b, x, y, f)| (a % n, b % n, x, y, f)).filter(|c| c.0 != c.1).collect();
        prop_assume!(!chans.is_empty() && s % n != r % n);
        let t = topo(n, &chans);
        let net = Network::new(&t);
        let exclude: Vec<(ChannelId, u8)> = excl.iter().map(|&(c, d)| (ChannelId((c % chans.len()) as u32), d)).collect();
        let mc: Vec<McEntry> = fails.iter().map(|&(c, d, a)| McEntry { chan: (c % chans.len()) as u32, dir: d, time: SimTime::ZERO, amount: Msat::from_sat(a) }).collect();
        let q = RouteRequest { exclude: &exclude, fee_free: free.as_deref(), ..req(s % n, r % n, amt) };
        let p = RouterParams { max_hops, max_cltv: 200, ..RouterParams::default() };
        let ctx = RouteCtx { net: &net, mc: &mc, now: SimTime(1_000_000), params: &p };
        let mut hist = spec("ldk");
        hist.ldk.historical = true;
        let bimodal = RouterSpec {
            estimator: super::bimodal::Estimator::Bimodal(Default::default()),
            ..spec("lnd")
        };
        let specs = ROUTERS.iter().map(|e| spec(e.name)).chain([bimodal, hist]);
        for sp in specs {
            let e = &sp;
            let mut router = registry::build(&sp, n as usize, chans.len());
            // Teach the knowledge-keeping routers something first.
            for f in &mc {
                let h = Hop { chan: ChannelId(f.chan), dir: f.dir, amount: f.amount };
                router.learn_failure(&net, q.source, &[h, h], 1, SimTime::ZERO);
            }
            let mut out = Vec::new();
            if router.find_route(&ctx, &q, &mut out).is_ok() {
                check_contract(&net, &q, &p, &out, e.name)?;
            }
            let mut plan = Vec::new();
            if router.plan_parts(&ctx, &q, 4, &mut plan).is_ok() {
                prop_assert!(plan.len() <= 4);
                let total: Msat = plan.iter().map(|h| h[h.len() - 1].amount).sum();
                prop_assert!(total <= q.amount);
                for h in &plan {
                    check_contract(&net, &q, &p, h, e.name)?;
                }
            }
        }
    }
}
