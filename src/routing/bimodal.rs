//! lnd's *bimodal* probability estimator (lnd 0.16+, `routing/probability_bimodal.go`),
//! modelled: an option of the `lnd` router next to the a-priori estimator
//! (`[routing] estimator = "bimodal"`).
//!
//! **Model.** The liquidity `x` of a channel of capacity `c` is believed to follow the
//! density `P(x) ∝ e^(−x/s) + e^((x−c)/s) + 1/c`: most channels are depleted to one side,
//! `s` (`bimodal_scale_msat`, lnd: 300,000 sat) says how far liquidity leaks into the
//! channel. With the primitive
//!
//! ```text
//! H(x) = (−e^(−x/s) + e^((x−c)/s) + x/(c·s)) / (2 − 2e^(−c/s) + 1/s)
//! ```
//!
//! the success probability of `a` given that `a_s` went through and `a_f` failed is
//! `P(a) = (H(a_f) − H(a)) / (H(a_f) − H(a_s))` (1 for `a ≤ a_s`, 0 for `a ≥ a_f` or `a > c`).
//! Without knowledge `a_s = 0`, `a_f = c`. Knowledge decays with `bimodal_decay_s`
//! (lnd: 7 days): the success amount as `a_s·e^(−Δt/τ)`, the failure amount back toward the
//! capacity as `c − (c − a_f)·e^(−Δt/τ)`.
//!
//! **Node weight.** Unless the pair's own result is younger than τ, the probability is
//! averaged with the forwarder's other results: `(P + w Σ e^(−Δt/τ)[success]) /
//! (1 + w Σ e^(−Δt/τ)[success or failure])`, `w` = `bimodal_node_weight` (lnd: 0.2).
//!
//! **Results** ([`Results`]) are per sender and per directed channel: a settled route gives
//! every remote hop a success of its amount (the largest success is kept), a failure at hop
//! `k` gives the earlier remote hops a success and hop `k` a failure of its amount. A failure
//! at or below the success amount lowers it to the failure − 1 msat; a success at or above
//! the failure amount raises that to the success + 1 msat (lnd's `setLastPairResult`).
//!
//! Simplifications: results are keyed by directed channel rather than by node pair; no
//! minimum failure-relaxation interval; no node-wide failures (`setAllFail`); the sender's
//! own channels are certain (as with the a-priori estimator here). At most
//! [`RESULTS_PER_SENDER`] pairs are remembered per sender (the least recently updated is
//! forgotten first).
//!
//! Cost: O(1) per relaxed edge (a few `exp`); loading a sender's results O(its results).

use super::Hop;
use crate::network::Network;
use crate::topology::{ChannelId, NodeId};
use crate::units::{SimDuration, SimTime};

/// lnd's `DefaultBimodalScaleMsat`.
pub const DEFAULT_SCALE_MSAT: u64 = 300_000_000;
/// lnd's `DefaultBimodalNodeWeight`.
pub const DEFAULT_NODE_WEIGHT: f64 = 0.2;
/// lnd's `DefaultBimodalDecayTime` (7 days).
pub const DEFAULT_DECAY_S: u64 = 7 * 24 * 3600;
/// lnd's `BimodalScaleMsatMax` (a quarter of its 10 BTC fake hop-hint capacity).
pub const MAX_SCALE_MSAT: u64 = 250_000_000_000;
/// Pairs remembered per sender (lnd keeps 1,000 payment results).
pub const RESULTS_PER_SENDER: usize = 1000;

/// `BimodalConfig`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BimodalParams {
    pub scale_msat: u64,
    pub node_weight: f64,
    pub decay: SimDuration,
}

impl Default for BimodalParams {
    fn default() -> Self {
        BimodalParams {
            scale_msat: DEFAULT_SCALE_MSAT,
            node_weight: DEFAULT_NODE_WEIGHT,
            decay: SimDuration::from_secs(DEFAULT_DECAY_S),
        }
    }
}

/// The `lnd` router's probability estimator (`[routing] estimator`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Estimator {
    /// lnd's a-priori estimator (`routing.apriori`, mission control's failures).
    #[default]
    Apriori,
    Bimodal(BimodalParams),
}

/// The normalised primitive `H(x)` of the density for capacity `c` and scale `s`.
fn primitive(s: f64, c: f64, x: f64) -> f64 {
    let norm = -2.0 * (-c / s).exp() + 2.0 + 1.0 / s;
    (-(-x / s).exp() + ((x - c) / s).exp() + x / (c * s)) / norm
}

/// lnd's `probabilityFormula`: the probability that `amount` passes a channel of
/// `capacity` known to have passed `success` and failed `fail` (all msat).
pub fn probability(scale_msat: u64, capacity: f64, success: f64, fail: f64, amount: f64) -> f64 {
    if capacity <= 0.0 || amount > capacity {
        return 0.0;
    }
    let (mut success, mut fail) = (success, fail);
    if fail <= success {
        // Inconsistent knowledge is discarded.
        success = 0.0;
        fail = capacity;
    }
    if success >= capacity {
        success = capacity - 1.0;
        fail = capacity;
    }
    fail = fail.min(capacity);
    if amount >= fail {
        return 0.0;
    }
    if amount <= success {
        return 1.0;
    }
    let s = scale_msat as f64;
    let h_fail = primitive(s, capacity, fail);
    let num = h_fail - primitive(s, capacity, amount);
    let den = h_fail - primitive(s, capacity, success);
    if !(num.is_finite() && den.is_finite()) || den <= 0.0 {
        return 0.0;
    }
    (num / den).clamp(0.0, 1.0)
}

/// What a sender learned of one directed channel (lnd's `TimedPairResult`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairResult {
    pub chan: u32,
    pub dir: u8,
    /// The forwarder (the channel's side `dir`).
    pub from: u32,
    pub success: Option<(u64, SimTime)>,
    pub fail: Option<(u64, SimTime)>,
}

/// Every sender's pair results.
#[derive(Debug, Clone, Default)]
pub struct Results {
    per_node: Vec<Vec<PairResult>>,
}

impl Results {
    pub fn entries(&self, sender: NodeId) -> &[PairResult] {
        self.per_node
            .get(sender.idx())
            .map(|v| v.as_slice())
            .unwrap_or(&[])
    }

    fn set(&mut self, net: &Network, sender: NodeId, h: &Hop, ok: bool, now: SimTime) {
        if self.per_node.len() <= sender.idx() {
            self.per_node.resize(sender.idx() + 1, Vec::new());
        }
        let v = &mut self.per_node[sender.idx()];
        let mut r = match v.iter().position(|r| r.chan == h.chan.0 && r.dir == h.dir) {
            Some(i) => v.remove(i),
            None => {
                if v.len() >= RESULTS_PER_SENDER {
                    v.remove(0);
                }
                PairResult {
                    chan: h.chan.0,
                    dir: h.dir,
                    from: net.chan(h.chan).node(h.dir as usize).0,
                    success: None,
                    fail: None,
                }
            }
        };
        let a = h.amount.0;
        if ok {
            let best = r.success.map_or(0, |s| s.0).max(a);
            r.success = Some((best, now));
            if let Some(f) = r.fail.as_mut() {
                if best >= f.0 {
                    f.0 = best + 1;
                }
            }
        } else {
            r.fail = Some((a, now));
            if let Some(s) = r.success.as_mut() {
                if a <= s.0 {
                    s.0 = a.saturating_sub(1);
                }
            }
        }
        v.push(r);
    }

    /// `sender`'s attempt failed at `failed_hop`: the remote hops before it passed their
    /// amounts, it failed its own.
    pub fn learn_failure(
        &mut self,
        net: &Network,
        sender: NodeId,
        route: &[Hop],
        failed_hop: usize,
        now: SimTime,
    ) {
        for (k, h) in route.iter().enumerate().skip(1) {
            if k > failed_hop {
                break;
            }
            self.set(net, sender, h, k < failed_hop, now);
        }
    }

    /// `sender`'s attempt settled: every remote hop passed its amount.
    pub fn learn_success(&mut self, net: &Network, sender: NodeId, route: &[Hop], now: SimTime) {
        for h in route.iter().skip(1) {
            self.set(net, sender, h, true, now);
        }
    }
}

/// One directed channel's decayed knowledge during a search.
#[derive(Debug, Clone, Copy, Default)]
struct Direct {
    known: bool,
    success: f64,
    fail: f64,
    /// The latest result is younger than the decay time: no node averaging.
    recent: bool,
    /// Its own weighted contribution to the forwarder's sums (to leave out).
    own_s: f64,
    own_w: f64,
}

/// A sender's results laid out for one search: per directed edge (by network slot) and per
/// forwarder. Inactive (the a-priori estimator) unless loaded.
#[derive(Debug, Clone, Default)]
pub struct Overlay {
    pub active: bool,
    p: BimodalParams,
    direct: Vec<Direct>,
    /// Per forwarder: `w Σ` success weights, `w Σ` all weights.
    node: Vec<(f64, f64)>,
    touched_e: Vec<usize>,
    touched_n: Vec<usize>,
}

impl Overlay {
    /// Loads `sender`'s results at `now` (undone by [`Overlay::clear`]).
    pub fn load(
        &mut self,
        p: BimodalParams,
        results: &Results,
        net: &Network,
        sender: NodeId,
        now: SimTime,
    ) {
        self.clear();
        self.active = true;
        self.p = p;
        if self.direct.len() < net.channel_count() * 2 {
            self.direct
                .resize(net.channel_count() * 2, Direct::default());
        }
        if self.node.len() < net.node_count() {
            self.node.resize(net.node_count(), (0.0, 0.0));
        }
        let tau = p.decay.micros().max(1) as f64;
        let decay = |t: SimTime| (-(now.since(t).micros() as f64) / tau).exp();
        let w = p.node_weight;
        for r in results.entries(sender) {
            if r.chan as usize >= net.channel_count() {
                continue;
            }
            let cap = net.chan(ChannelId(r.chan)).capacity().0 as f64;
            let mut d = Direct {
                known: true,
                success: 0.0,
                fail: cap,
                ..Direct::default()
            };
            let mut latest = SimTime::ZERO;
            if let Some((a, t)) = r.success {
                let f = decay(t);
                d.success = (a as f64 * f).floor();
                latest = latest.max(t);
                if a > 0 {
                    d.own_s += w * f;
                    d.own_w += w * f;
                }
            }
            if let Some((a, t)) = r.fail {
                let f = decay(t);
                let a = (a as f64).min(cap);
                d.fail = cap - ((cap - a) * f).floor();
                latest = latest.max(t);
                if a > 0.0 {
                    d.own_w += w * f;
                }
            }
            d.recent = now.since(latest) < p.decay;
            let slot = net.slot(ChannelId(r.chan), r.dir);
            self.direct[slot] = d;
            self.touched_e.push(slot);
            let n = &mut self.node[r.from as usize];
            n.0 += d.own_s;
            n.1 += d.own_w;
            self.touched_n.push(r.from as usize);
        }
    }

    pub fn clear(&mut self) {
        for &i in &self.touched_e {
            self.direct[i] = Direct::default();
        }
        for &i in &self.touched_n {
            self.node[i] = (0.0, 0.0);
        }
        self.touched_e.clear();
        self.touched_n.clear();
        self.active = false;
    }

    /// Success probability of forwarder `from` passing `amount` over the edge in network
    /// slot `slot` of a channel of `capacity` (msat). lnd's `PairProbability`.
    #[inline]
    pub fn prob(&self, slot: usize, from: u32, capacity: u64, amount: u64) -> f64 {
        let d = self.direct.get(slot).copied().unwrap_or_default();
        let cap = capacity as f64;
        let (succ, fail) = if d.known {
            (d.success, d.fail)
        } else {
            (0.0, cap)
        };
        let direct = probability(self.p.scale_msat, cap, succ, fail, amount as f64);
        if self.p.node_weight == 0.0 || (d.known && d.recent) {
            return direct;
        }
        let (s, w) = self.node.get(from as usize).copied().unwrap_or_default();
        (direct + s - d.own_s) / (1.0 + w - d.own_w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = DEFAULT_SCALE_MSAT;

    #[test]
    fn no_knowledge_is_symmetric_about_half_the_capacity() {
        // The density is symmetric about c/2, so half the capacity passes with 1/2,
        // whatever c; nothing and the whole capacity with 1 and 0.
        for c in [1e6, 3e8, 5e9] {
            let p = probability(S, c, 0.0, c, c / 2.0);
            assert!((p - 0.5).abs() < 1e-9, "c {c}: {p}");
            assert_eq!(probability(S, c, 0.0, c, 0.0), 1.0);
            assert_eq!(probability(S, c, 0.0, c, c), 0.0);
            assert_eq!(probability(S, c, 0.0, c, c + 1.0), 0.0);
        }
    }

    #[test]
    fn hand_computed_values() {
        // c = 1,000,000 sat = 1e9 msat, s = 3e8 msat, a = 1e8 msat (100,000 sat), no
        // knowledge. With u = e^(−c/s) = e^(−10/3) = 0.035674:
        //   H(c) − H(a) ∝ [−u + 1 + 1/s] − [−e^(−1/3) + e^(−3) + 1/(10 s)]
        //              = 0.964326 − (−0.716531 + 0.049787) + 0.9/s = 1.631070
        //   norm ∝ 2 − 2u + 1/s = 1.928652
        // P = 1.631070 / 1.928652 = 0.845705 (the mass that lies above 100,000 sat).
        let p = probability(S, 1e9, 0.0, 1e9, 1e8);
        assert!((p - 0.845705).abs() < 1e-5, "{p}");
        // Knowing that 2e8 msat failed: P = (H(2e8) − H(1e8)) / (H(2e8) − H(0)).
        //   H(2e8) ∝ −e^(−2/3) + e^(−8/3) = −0.513417 + 0.069483 = −0.443934
        //   H(1e8) ∝ −0.666744,  H(0) ∝ −1 + u = −0.964326 (1/s terms negligible)
        //   P = 0.222810 / 0.520392 = 0.428158.
        let p = probability(S, 1e9, 0.0, 2e8, 1e8);
        assert!((p - 0.428158).abs() < 1e-5, "{p}");
        // Knowing that 5e7 msat passed as well: (H(2e8) − H(1e8)) / (H(2e8) − H(5e7)),
        //   H(5e7) ∝ −e^(−1/6) + e^(−19/6) = −0.846482 + 0.042144 = −0.804338
        //   P = 0.222810 / 0.360404 = 0.618224.
        let p = probability(S, 1e9, 5e7, 2e8, 1e8);
        assert!((p - 0.618224).abs() < 1e-5, "{p}");
        // At or below the success amount: certain; at or above the failure: impossible.
        assert_eq!(probability(S, 1e9, 5e7, 2e8, 5e7), 1.0);
        assert_eq!(probability(S, 1e9, 5e7, 2e8, 2e8), 0.0);
        // Contradicting knowledge (fail ≤ success) falls back to none.
        assert_eq!(
            probability(S, 1e9, 3e8, 2e8, 1e8),
            probability(S, 1e9, 0.0, 1e9, 1e8)
        );
    }

    #[test]
    fn a_large_scale_is_uniform() {
        // s ≫ c: the density is flat, P(a) = (c − a) / c.
        let p = probability(MAX_SCALE_MSAT, 1e6, 0.0, 1e6, 2.5e5);
        assert!((p - 0.75).abs() < 1e-4, "{p}");
    }

    fn line() -> crate::topology::Topology {
        use crate::topology::{ChannelSpec, FeePolicy, Topology};
        use crate::units::Msat;
        // 0 – 1 – 2 and 1 – 3; 1,000,000 sat each, balanced.
        let mut t = Topology::new();
        for i in 0..4 {
            t.add_node(format!("n{i}"));
        }
        for (a, b) in [(0, 1), (1, 2), (1, 3)] {
            t.add_channel(ChannelSpec {
                nodes: [NodeId(a), NodeId(b)],
                capacity: Msat::from_sat(1_000_000),
                balance: [Msat::from_sat(500_000); 2],
                reserve: [Msat::ZERO; 2],
                policy: [FeePolicy::default(); 2],
                label: None,
            });
        }
        t
    }

    #[test]
    fn results_decay_and_the_node_weight_averages_other_channels() {
        use crate::units::Msat;
        let t = line();
        let net = Network::new(&t);
        let p = BimodalParams::default();
        let tau = p.decay;
        let mut res = Results::default();
        let s = NodeId(0);
        let hop = |c: u32, a: u64| Hop {
            chan: ChannelId(c),
            dir: 0,
            amount: Msat(a),
        };
        // 0 → 1 → 2 failed at hop 1 (1 → 2) for 2e8 msat.
        res.learn_failure(
            &net,
            s,
            &[hop(0, 2e8 as u64), hop(1, 2e8 as u64)],
            1,
            SimTime::ZERO,
        );
        let mut o = Overlay::default();
        o.load(p, &res, &net, s, SimTime::ZERO);
        let c = 1_000_000_000;
        let slot12 = net.slot(ChannelId(1), 0);
        let slot13 = net.slot(ChannelId(2), 0);
        // Fresh direct knowledge: the direct probability only (0.428158, see above).
        assert!((o.prob(slot12, 1, c, 1e8 as u64) - 0.428158).abs() < 1e-5);
        // Node 1's other channel 1 → 3 has no knowledge: averaged with one failure of
        // weight w = 0.2: (0.845705 + 0) / (1 + 0.2) = 0.704754.
        let q = o.prob(slot13, 1, c, 1e8 as u64);
        assert!((q - 0.704754).abs() < 1e-5, "{q}");
        // One decay time later: the failure amount relaxed to c − (c − 2e8)/e =
        // 705,696,447 msat, the failure weighs 0.2/e = 0.073576 for the other channel, and
        // the direct result is no longer recent (so it is averaged too, without itself).
        let later = SimTime::ZERO + tau;
        o.load(p, &res, &net, s, later);
        let f = 1e9 - (8e8 / std::f64::consts::E).floor();
        let direct = probability(S, 1e9, 0.0, f, 1e8);
        assert!((o.prob(slot12, 1, c, 1e8 as u64) - direct).abs() < 1e-12);
        let q = o.prob(slot13, 1, c, 1e8 as u64);
        let want = 0.845705 / (1.0 + 0.2 / std::f64::consts::E);
        assert!((q - want).abs() < 1e-5, "{q} vs {want}");
        o.clear();
        assert!(!o.active);
        // A later success of 3e8 msat over 1 → 2 raises the failure amount above it.
        res.learn_success(&net, s, &[hop(0, 3e8 as u64), hop(1, 3e8 as u64)], later);
        let r = res.entries(s)[0];
        assert_eq!(r.success.unwrap().0, 3e8 as u64);
        assert_eq!(r.fail.unwrap().0, 3e8 as u64 + 1);
    }
}
