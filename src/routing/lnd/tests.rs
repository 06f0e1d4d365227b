//! Tests of the `lnd` router: hand-computed routes and property tests of its limits.

use super::*;
use crate::topology::{ChannelSpec, FeePolicy, Topology};
use proptest::prelude::*;

/// Channels charging `fee` msat base and `fee` ppm each way: (a, b, sat at a, sat at b, fee).
fn graph(n: u32, edges: &[(u32, u32, u64, u64, u32)]) -> Topology {
    let with_pol: Vec<_> = edges
        .iter()
        .map(|&(a, b, x, y, fee)| {
            let p = FeePolicy {
                base_fee: Msat(fee as u64),
                fee_ppm: fee,
                ..FeePolicy::default()
            };
            (a, b, x, y, p)
        })
        .collect();
    graph_pol(n, &with_pol)
}

/// Channels with a full policy each way: (a, b, sat at a, sat at b, policy).
fn graph_pol(n: u32, edges: &[(u32, u32, u64, u64, FeePolicy)]) -> Topology {
    let mut t = Topology::new();
    for i in 0..n {
        t.add_node(format!("n{i}"));
    }
    for &(a, b, x, y, pol) in edges {
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

fn pol(base_msat: u64, ppm: u32) -> FeePolicy {
    FeePolicy {
        base_fee: Msat(base_msat),
        fee_ppm: ppm,
        min_htlc: Msat(1),
        ..FeePolicy::default()
    }
}

fn find(
    net: &Network,
    req: &RouteRequest<'_>,
    p: &RouterParams,
) -> (Result<Msat, NoRoute>, Vec<Hop>) {
    let mut r = Router::new(net.node_count(), net.channel_count());
    let mut out = Vec::new();
    let res = r.find_route(net, req, &[], SimTime::ZERO, p, &mut out);
    (res, out)
}

fn nodes_of(net: &Network, route: &[Hop]) -> Vec<u32> {
    route
        .iter()
        .map(|h| net.chan(h.chan).node(1 - h.dir as usize).0)
        .collect()
}

/// Diamond 0 → {1, 2} → 3. Node 1 charges 10 sat + 1%, node 2 charges 1 sat: a plain
/// search goes over 2. With node 1 fee-free the route over 1 costs nothing in fees, so
/// the search (which prices it during the search, not afterwards) takes it.
#[test]
fn fee_free_forwarders_are_free_during_the_search() {
    let t = graph_pol(
        4,
        &[
            (0, 1, 100_000, 100_000, pol(10_000, 10_000)),
            (1, 3, 100_000, 100_000, pol(10_000, 10_000)),
            (0, 2, 100_000, 100_000, pol(1_000, 0)),
            (2, 3, 100_000, 100_000, pol(1_000, 0)),
        ],
    );
    let net = Network::new(&t);
    let p = RouterParams::default();
    let req = RouteRequest::new(NodeId(0), NodeId(3), Msat::from_sat(10_000));
    let (r, route) = find(&net, &req, &p);
    assert_eq!(r, Ok(Msat::from_sat(1)));
    assert_eq!(nodes_of(&net, &route), vec![2, 3]);
    let free = [false, true, false, false];
    let req = RouteRequest {
        fee_free: Some(&free),
        ..req
    };
    let (r, route) = find(&net, &req, &p);
    assert_eq!(r, Ok(Msat::ZERO));
    assert_eq!(nodes_of(&net, &route), vec![1, 3]);
    assert_eq!(route[0].amount, Msat::from_sat(10_000));
}

/// Line 0 – 1 – 2, node 1 charges 10 sat + 1% (110 sat on 10,000 sat); fee limit 5 sat.
/// Charged, the route breaks the limit (`FeeLimit`: without the limit there is one);
/// with node 1 fee-free it pays 0 and passes.
#[test]
fn fee_free_hops_do_not_count_against_the_fee_limit() {
    let t = graph_pol(
        3,
        &[
            (0, 1, 100_000, 100_000, pol(10_000, 10_000)),
            (1, 2, 100_000, 100_000, pol(10_000, 10_000)),
        ],
    );
    let net = Network::new(&t);
    let p = RouterParams::default();
    let req = RouteRequest {
        max_fee: Some(Msat::from_sat(5)),
        ..RouteRequest::new(NodeId(0), NodeId(2), Msat::from_sat(10_000))
    };
    assert_eq!(find(&net, &req, &p).0, Err(NoRoute::FeeLimit));
    let free = [false, true, false];
    let req = RouteRequest {
        fee_free: Some(&free),
        ..req
    };
    let (r, route) = find(&net, &req, &p);
    assert_eq!(r, Ok(Msat::ZERO));
    assert_eq!(route.len(), 2);
}

/// A circular rebalance of node 0 (out over 0–1, back over 3–0) has two middles: over
/// 2 (1 sat base) or over 4 (50 sat + 0.5%). With 1, 3 and 4 participating fee-free,
/// the participants' cycle is free and preferred.
#[test]
fn fee_free_rebalance_prefers_participants() {
    let t = graph_pol(
        5,
        &[
            (0, 1, 500_000, 500_000, pol(1_000, 0)),     // c0
            (1, 2, 500_000, 500_000, pol(1_000, 0)),     // c1
            (2, 3, 500_000, 500_000, pol(1_000, 0)),     // c2
            (1, 4, 500_000, 500_000, pol(50_000, 5000)), // c3
            (4, 3, 500_000, 500_000, pol(50_000, 5000)), // c4
            (3, 0, 500_000, 500_000, pol(1_000, 0)),     // c5
        ],
    );
    let net = Network::new(&t);
    let p = RouterParams::default();
    let req = RouteRequest {
        first_hop: Some(ChannelId(0)),
        last_hop: Some(ChannelId(5)),
        max_fee: Some(Msat::from_sat(1_000)),
        ..RouteRequest::new(NodeId(0), NodeId(0), Msat::from_sat(100_000))
    };
    let (r, route) = find(&net, &req, &p);
    assert!(r.is_ok());
    assert_eq!(nodes_of(&net, &route), vec![1, 2, 3, 0]);
    let free = [false, true, false, true, true];
    let req = RouteRequest {
        fee_free: Some(&free),
        ..req
    };
    let (r, route) = find(&net, &req, &p);
    assert_eq!(r, Ok(Msat::ZERO));
    assert_eq!(nodes_of(&net, &route), vec![1, 4, 3, 0]);
    assert!(route.iter().all(|h| h.amount == Msat::from_sat(100_000)));
}

/// The CLoTH case that aborted a sweep: a fee-free rebalance of 1,322 msat whose first
/// hop has `min_htlc` 1,337 msat. The old router priced node 1's fee (15 msat) during
/// the search, found 1,337 msat on the first hop, and then waived the fee: 1,322 msat,
/// which the sender could not lock. Now the limit holds for the amount actually locked:
/// no route.
#[test]
fn min_htlc_holds_for_the_amounts_actually_locked() {
    let strict = FeePolicy {
        min_htlc: Msat(1_337),
        ..pol(15, 0)
    };
    let t = graph_pol(
        3,
        &[
            (0, 1, 100, 100, strict), // c0: the first hop
            (1, 2, 100, 100, pol(15, 0)),
            (2, 0, 100, 100, pol(15, 0)),
        ],
    );
    let net = Network::new(&t);
    let p = RouterParams::default();
    let req = RouteRequest {
        first_hop: Some(ChannelId(0)),
        last_hop: Some(ChannelId(2)),
        max_fee: Some(Msat::from_sat(1)),
        ..RouteRequest::new(NodeId(0), NodeId(0), Msat(1_322))
    };
    let (r, route) = find(&net, &req, &p);
    // Charged: node 2 takes 15 msat and node 1 takes 15 msat: 1,352 msat on c0.
    assert_eq!(r, Ok(Msat(30)));
    assert_eq!(route[0].amount, Msat(1_352));
    let free = [true, true, true];
    let req = RouteRequest {
        fee_free: Some(&free),
        ..req
    };
    assert_eq!(find(&net, &req, &p).0, Err(NoRoute::NoPath));
}

/// Node 1 (the sender's only neighbour) reaches the receiver 12 either over a cheap
/// line of 11 hops (1–2–…–11–12, 1 msat fees) or directly (1–12, 10 sat fee). Every
/// hop is believed certain (a-priori 1, so length costs nothing but fees; the risk
/// term rounds to 0 at 1,000 sat): the line is cheaper, 11 msat. With `max_hops = 11`
/// the cheap label of node 1 already has 11 hops and cannot reach the sender; the
/// search must still find 0–1–12 (the old search found nothing).
#[test]
fn a_binding_hop_limit_keeps_the_dearer_shorter_route() {
    let mut e = vec![(0, 1, 1_000_000, 1_000_000, pol(1, 0))];
    for v in 1..12 {
        e.push((v, v + 1, 1_000_000, 1_000_000, pol(1, 0)));
    }
    e.push((1, 12, 1_000_000, 1_000_000, pol(10_000, 0)));
    let t = graph_pol(13, &e);
    let net = Network::new(&t);
    let req = RouteRequest::new(NodeId(0), NodeId(12), Msat::from_sat(1000));
    for astar in [true, false] {
        let p = RouterParams {
            max_hops: 11,
            astar,
            apriori: 1.0,
            ..RouterParams::default()
        };
        let (r, route) = find(&net, &req, &p);
        assert_eq!(r, Ok(Msat(10_000)), "astar {astar}");
        assert_eq!(nodes_of(&net, &route), vec![1, 12]);
        // Without a binding limit the long cheap line wins.
        let p = RouterParams { max_hops: 12, ..p };
        let (r, route) = find(&net, &req, &p);
        assert_eq!(r, Ok(Msat(11)));
        assert_eq!(route.len(), 12);
    }
}

/// A fee-pruned edge somewhere in a failed search does not make it a fee failure: the
/// only way to the sender (0–1) is too small, and node 2's expensive channel into the
/// receiver is pruned by the fee limit but leads nowhere. `NoPath`, not `FeeLimit`.
#[test]
fn fee_limit_only_when_a_route_without_it_exists() {
    let t = graph_pol(
        5,
        &[
            (0, 1, 5, 5, pol(1, 0)), // too small for 1,000 sat
            (1, 3, 100_000, 100_000, pol(1, 0)),
            (2, 3, 100_000, 100_000, pol(900_000, 0)),
            (2, 4, 100_000, 100_000, pol(900_000, 0)),
        ],
    );
    let net = Network::new(&t);
    let p = RouterParams::default();
    let req = RouteRequest {
        max_fee: Some(Msat::from_sat(10)),
        ..RouteRequest::new(NodeId(0), NodeId(3), Msat::from_sat(1000))
    };
    assert_eq!(find(&net, &req, &p).0, Err(NoRoute::NoPath));
}

type Edge = (u32, u32, u64, u64, u32);
/// A random channel: ends, sat at each end, fee, CLTV delta, min HTLC (sat), max HTLC
/// (sat, 0 = none).
type RichEdge = (u32, u32, u64, u64, u32, u16, u64, u64);

/// An independent check of a route (not the router's own `check_route`): the
/// property test's oracle.
#[allow(clippy::too_many_arguments)]
fn route_ok(
    net: &Network,
    req: &RouteRequest<'_>,
    p: &RouterParams,
    route: &[Hop],
) -> Result<(), String> {
    let forced = usize::from(req.first_hop.is_some());
    if route.is_empty() || route.len() - forced > p.max_hops as usize {
        return Err(format!("{} hops, max {}", route.len(), p.max_hops));
    }
    let mut at = req.source;
    let mut seen = vec![req.source];
    let mut cltv = p.final_cltv;
    for (k, h) in route.iter().enumerate() {
        let ch = net.chan(h.chan);
        if ch.node(h.dir as usize) != at {
            return Err(format!("hop {k} disconnected"));
        }
        let pl = ch.policy(h.dir as usize);
        if h.amount < pl.min_htlc || h.amount > pl.max_htlc || h.amount > ch.capacity() {
            return Err(format!("hop {k}: {:?} outside the HTLC limits", h.amount));
        }
        if k == 0 && ch.spendable(h.dir as usize) < h.amount {
            return Err("sender's balance".into());
        }
        if k > 0 {
            let free = req.fee_free.is_some_and(|f| f[at.idx()]);
            let fee = if free { Msat::ZERO } else { pl.fee(h.amount) };
            if route[k - 1].amount != h.amount + fee {
                return Err(format!("hop {k}: amount does not add up"));
            }
            cltv += pl.cltv_delta as u32;
        }
        if let Some(f) = req.first_hop {
            if k == 0 && h.chan != f {
                return Err("first hop not the forced one".into());
            }
        }
        at = ch.node(1 - h.dir as usize);
        if seen.contains(&at) && !(k + 1 == route.len() && at == req.target) {
            return Err(format!("node {at:?} twice"));
        }
        seen.push(at);
    }
    if let Some(l) = req.last_hop {
        if route.last().map(|h| h.chan) != Some(l) {
            return Err("last hop not the forced one".into());
        }
    }
    if at != req.target || route.last().map(|h| h.amount) != Some(req.amount) {
        return Err("does not deliver the amount to the target".into());
    }
    if cltv > p.max_cltv {
        return Err(format!("CLTV {cltv} > {}", p.max_cltv));
    }
    if let Some(mf) = req.max_fee {
        if route[0].amount - req.amount > mf {
            return Err("fee above the limit".into());
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]
    /// On random graphs with random HTLC limits, CLTV deltas, hop and CLTV limits, fee
    /// limits, fee-free forwarders, mission control and forced first/last hops: every
    /// route returned respects every limit, with and without A*, and A* finds a route
    /// exactly when plain Dijkstra does, of the same lnd cost.
    #[test]
    fn routes_respect_every_limit_and_astar_matches_dijkstra(
        n in 3u32..14,
        raw in proptest::collection::vec(
            (0u32..14, 0u32..14, 0u64..2_000, 0u64..2_000, 0u32..3000, 0u16..150, 0u64..400, 0u64..3_000),
            2..40),
        fails in proptest::collection::vec((0usize..40, 0u8..2, 0u64..3600), 0..6),
        s in 0u32..14,
        r in 0u32..14,
        amt in 1u64..1_500,
        max_hops in prop_oneof![1u8..6, Just(20u8), 11u8..14],
        max_cltv in prop_oneof![Just(2016u32), 40u32..400],
        max_fee in proptest::option::of(0u64..50),
        free in proptest::option::of(proptest::collection::vec(any::<bool>(), 14)),
        circular in any::<bool>(),
    ) {
        let edges: Vec<RichEdge> = raw
            .iter()
            .map(|&(a, b, x, y, f, c, lo, hi)| (a % n, b % n, x, y, f, c, lo, hi))
            .filter(|e| e.0 != e.1)
            .collect();
        prop_assume!(!edges.is_empty());
        let with_pol: Vec<_> = edges
            .iter()
            .map(|&(a, b, x, y, f, c, lo, hi)| {
                let pl = FeePolicy {
                    base_fee: Msat(f as u64),
                    fee_ppm: f,
                    cltv_delta: c,
                    min_htlc: Msat(lo * 1000),
                    max_htlc: if hi == 0 { Msat::MAX } else { Msat::from_sat(hi) },
                    ..FeePolicy::default()
                };
                (a, b, x, y, pl)
            })
            .collect();
        let t = graph_pol(n, &with_pol);
        let net = Network::new(&t);
        let now = SimTime(3600 * 1_000_000);
        let mc: Vec<McEntry> = fails
            .iter()
            .map(|&(c, d, age)| McEntry {
                chan: (c % edges.len()) as u32,
                dir: d,
                time: SimTime((3600 - age) * 1_000_000),
                amount: Msat(1),
            })
            .collect();
        let (s, r) = (NodeId(s % n), NodeId(r % n));
        let mut req = RouteRequest {
            max_fee: max_fee.map(Msat::from_sat),
            fee_free: free.as_deref(),
            ..RouteRequest::new(s, r, Msat::from_sat(amt))
        };
        if circular {
            // A circular rebalance of s: out over its first channel, in over its last.
            let own: Vec<ChannelId> = net.channels_of(s).collect();
            prop_assume!(own.len() >= 2);
            req.target = s;
            req.first_hop = Some(own[0]);
            req.last_hop = Some(own[own.len() - 1]);
            prop_assume!(max_hops >= 2);
        } else {
            prop_assume!(s != r);
        }
        let base = RouterParams { max_hops, max_cltv, ..RouterParams::default() };
        let plain = RouterParams { astar: false, ..base.clone() };
        let mut router = Router::new(n as usize, edges.len());
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let ra = router.find_route(&net, &req, &mc, now, &plain, &mut a);
        let ca = router.last_cost();
        let rb = router.find_route(&net, &req, &mc, now, &base, &mut b);
        let cb = router.last_cost();
        prop_assert_eq!(ra.is_ok(), rb.is_ok());
        prop_assert_eq!(ra.err(), rb.err());
        prop_assert_eq!(ca, cb);
        for (res, route) in [(ra, &a), (rb, &b)] {
            if let Ok(fee) = res {
                // The router's route search limit counts hops after a forced first one.
                if let Err(e) = route_ok(&net, &req, &base, route) {
                    return Err(TestCaseError::fail(format!("{e}: {route:?}")));
                }
                prop_assert_eq!(fee, route[0].amount - req.amount);
            }
        }
    }

    /// The A* bound changes how much of the graph is searched, never the cost of the
    /// route found: same success, same lnd cost, and a well-formed route.
    #[test]
    fn astar_finds_routes_of_the_same_cost_as_dijkstra(
        n in 3u32..14,
        raw in proptest::collection::vec((0u32..14, 0u32..14, 0u64..2_000, 0u64..2_000, 0u32..3000), 2..40),
        fails in proptest::collection::vec((0usize..40, 0u8..2, 0u64..3600), 0..6),
        s in 0u32..14,
        r in 0u32..14,
        amt in 1u64..1_500,
    ) {
        let edges: Vec<Edge> = raw
            .iter()
            .map(|&(a, b, x, y, f)| (a % n, b % n, x, y, f))
            .filter(|e| e.0 != e.1)
            .collect();
        prop_assume!(!edges.is_empty() && s % n != r % n);
        let t = graph(n, &edges);
        let net = Network::new(&t);
        let now = SimTime(3600 * 1_000_000);
        let mc: Vec<McEntry> = fails
            .iter()
            .map(|&(c, d, age)| McEntry {
                chan: (c % edges.len()) as u32,
                dir: d,
                time: SimTime((3600 - age) * 1_000_000),
                amount: Msat(1),
            })
            .collect();
        let req = RouteRequest::new(NodeId(s % n), NodeId(r % n), Msat::from_sat(amt));
        let plain = RouterParams { astar: false, ..RouterParams::default() };
        let fast = RouterParams::default();
        let mut router = Router::new(n as usize, edges.len());
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let ra = router.find_route(&net, &req, &mc, now, &plain, &mut a);
        let ca = router.last_cost();
        let rb = router.find_route(&net, &req, &mc, now, &fast, &mut b);
        let cb = router.last_cost();
        prop_assert_eq!(ra.is_ok(), rb.is_ok());
        prop_assert_eq!(ca, cb);
        if rb.is_ok() {
            prop_assert_eq!(net.chan(b[0].chan).node(b[0].dir as usize), req.source);
            prop_assert_eq!(b.last().map(|h| h.amount), Some(req.amount));
            for w in b.windows(2) {
                let (h, nx) = (w[0], w[1]);
                let mid = net.chan(h.chan).node(1 - h.dir as usize);
                prop_assert_eq!(net.chan(nx.chan).node(nx.dir as usize), mid);
                let fee = net.chan(nx.chan).policy(nx.dir as usize).fee(nx.amount);
                prop_assert_eq!(h.amount, nx.amount + fee);
            }
        }
    }
}

/// The O(degree) "no route" answer (none of the sender's own channels can carry the
/// payment) is the searches' answer: on random graphs where it often fires (amounts
/// near the balances, HTLC limits, hop/CLTV/fee limits, mission control, exclusions,
/// forced hops), the router with and without it returns the same result, route and cost.
#[test]
fn no_route_from_the_senders_channels_is_the_searches_answer() {
    use rand::{Rng, SeedableRng};
    let mut rng = crate::rng::SimRng::seed_from_u64(15);
    let (mut fired, mut routed) = (0, 0);
    for _ in 0..3000 {
        let n = rng.random_range(3u32..12);
        let mut t = Topology::new();
        for i in 0..n {
            t.add_node(format!("n{i}"));
        }
        let m = rng.random_range(2..30);
        for _ in 0..m {
            let (a, b) = (rng.random_range(0..n), rng.random_range(0..n));
            if a == b {
                continue;
            }
            let pl = FeePolicy {
                base_fee: Msat(rng.random_range(0..3000)),
                fee_ppm: rng.random_range(0..3000),
                cltv_delta: rng.random_range(0..150),
                min_htlc: Msat(rng.random_range(0..300) * 1000),
                max_htlc: match rng.random_range(0..3000u64) {
                    0..=1500 => Msat::MAX,
                    hi => Msat::from_sat(hi),
                },
                max_accepted_htlcs: rng.random_range(0..3),
            };
            let (x, y) = (rng.random_range(0..2000), rng.random_range(0..2000));
            t.add_channel(ChannelSpec {
                nodes: [NodeId(a), NodeId(b)],
                capacity: Msat::from_sat(x + y),
                balance: [Msat::from_sat(x), Msat::from_sat(y)],
                reserve: [Msat::from_sat(rng.random_range(0..100)); 2],
                policy: [pl; 2],
                label: None,
            });
        }
        let net = Network::new(&t);
        let chans = net.channel_count();
        if chans == 0 {
            continue;
        }
        let (s, r) = (
            NodeId(rng.random_range(0..n)),
            NodeId(rng.random_range(0..n)),
        );
        let exclude: Vec<(ChannelId, u8)> = (0..rng.random_range(0..3))
            .map(|_| {
                (
                    ChannelId(rng.random_range(0..chans as u32)),
                    rng.random_range(0..2),
                )
            })
            .collect();
        let mut req = RouteRequest {
            max_fee: rng
                .random_bool(0.5)
                .then(|| Msat::from_sat(rng.random_range(0..50))),
            exclude: &exclude,
            ..RouteRequest::new(s, r, Msat::from_sat(rng.random_range(1..2000)))
        };
        match rng.random_range(0..4) {
            0 => req.last_hop = Some(ChannelId(rng.random_range(0..chans as u32))),
            1 => req.first_hop = Some(ChannelId(rng.random_range(0..chans as u32))),
            _ => {}
        }
        let p = RouterParams {
            max_hops: [2u8, 4, 20][rng.random_range(0..3)],
            max_cltv: [2016u32, 200][rng.random_range(0..2)],
            ..RouterParams::default()
        };
        let now = SimTime(3600 * 1_000_000);
        let mc = [McEntry {
            chan: rng.random_range(0..chans as u32),
            dir: rng.random_range(0..2),
            time: SimTime(rng.random_range(0..3600) * 1_000_000),
            amount: Msat(1),
        }];
        let mut with = Router::new(n as usize, chans);
        let mut without = Router::new(n as usize, chans);
        without.no_shortcut = true;
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let ra = with.find_route(&net, &req, &mc, now, &p, &mut a);
        let rb = without.find_route(&net, &req, &mc, now, &p, &mut b);
        assert_eq!(ra, rb, "{req:?}");
        assert_eq!(a, b);
        assert_eq!(with.last_cost(), without.last_cost());
        let fires = req.first_hop.is_none()
            && (req.last_hop.is_none() || net.chan(req.last_hop.unwrap()).side_of(s).is_none())
            && !sender_can_send(&net, s, req.amount);
        fired += usize::from(fires && s != r);
        routed += usize::from(ra.is_ok());
    }
    // The comparison covered both the shortcut and found routes.
    assert!(
        fired > 300 && routed > 300,
        "fired {fired}, routed {routed}"
    );
}

/// `could_offer_at_least` is "check_offer accepts some amount >= at_least", checked
/// against every amount near the channel's limits.
#[test]
fn could_offer_at_least_is_check_offer_for_some_larger_amount() {
    use rand::{Rng, SeedableRng};
    let mut rng = crate::rng::SimRng::seed_from_u64(16);
    for _ in 0..2000 {
        let pl = FeePolicy {
            min_htlc: Msat(rng.random_range(0..40)),
            max_htlc: Msat(rng.random_range(0..60)),
            max_accepted_htlcs: rng.random_range(0..2),
            ..FeePolicy::default()
        };
        let (x, y) = (rng.random_range(0..50), rng.random_range(0..50));
        let t = {
            let mut t = Topology::new();
            t.add_node("a");
            t.add_node("b");
            t.add_channel(ChannelSpec {
                nodes: [NodeId(0), NodeId(1)],
                capacity: Msat(x + y),
                balance: [Msat(x), Msat(y)],
                reserve: [Msat(rng.random_range(0..10)); 2],
                policy: [pl; 2],
                label: None,
            });
            t
        };
        let mut net = Network::new(&t);
        if rng.random_bool(0.3) {
            let _ = net.lock(ChannelId(0), 0, Msat(rng.random_range(0..20)));
        }
        if rng.random_bool(0.1) {
            net.set_status(ChannelId(0), crate::network::ChannelStatus::Closing);
        }
        let ch = net.chan(ChannelId(0));
        for d in 0..2 {
            for at_least in 0..70 {
                let brute = (at_least..200).any(|a| ch.check_offer(d, Msat(a)).is_ok());
                assert_eq!(ch.could_offer_at_least(d, Msat(at_least)), brute);
            }
        }
    }
}

/// The compact neighbour lists are the in-edges' sources, node by node.
#[test]
fn neighbours_are_the_in_edges_sources() {
    let t = graph(
        5,
        &[
            (0, 1, 10, 10, 0),
            (1, 2, 10, 10, 0),
            (0, 1, 5, 5, 0),
            (3, 1, 1, 1, 0),
        ],
    );
    let net = Network::new(&t);
    for v in 0..5 {
        let from: Vec<u32> = net.in_edges(NodeId(v)).iter().map(|e| e.from).collect();
        assert_eq!(net.neighbours(NodeId(v)), &from[..]);
    }
    let mut n1 = net.neighbours(NodeId(1)).to_vec();
    n1.sort();
    assert_eq!(n1, vec![0, 0, 2, 3]);
    assert!(net.neighbours(NodeId(4)).is_empty());
}
