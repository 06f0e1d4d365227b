//! Security model: 2-of-2 signed channel states and on-chain dispute resolution.
//!
//! - [`state`]: the co-signed channel state, its canonical encoding, real and modelled
//!   signers.
//! - [`keys`]: per-node keypairs derived from the run seed.
//! - [`adjudicator`]: the on-chain contract (LN penalty or eltoo), pure logic.
//! - [`config`]: the `[security]` scenario table.
//! - [`SecurityState`]: the per-run bookkeeping the engine drives when `[security]` is
//!   present (latest co-signed state per channel, the cheaters' favourite stale states,
//!   honest nodes' on/off process, watchtowers, open disputes, counters). It decides; the
//!   engine acts (submits transactions, closes channels), so conservation of funds is still
//!   enforced in one place. Runs without `[security]` carry `None` and pay nothing.
//!
//! It does no I/O and uses only its own random streams (`"keys"`, `"security-roles"`,
//! `"security-cheat"`, `"security-tower"`, `"security-offline"`), so enabling it, or
//! switching between real and modelled signatures, never changes the payments' random
//! numbers.

pub mod adjudicator;
pub mod config;
pub mod keys;
pub mod state;

use crate::network::{ChannelStatus, Network};
use crate::rng::{self, SimRng};
use crate::topology::{ChannelId, NodeId};
use crate::units::{Msat, SimDuration, SimTime};
use adjudicator::{Adjudicator, Dispute, Verdict};
use config::{CheatWhen, SecurityConfig, SignatureMode};
use ed25519_dalek::Signature;
use rand::Rng;
use rand_distr::{Distribution, Exp};
use state::{ChannelStateMsg, SignedState, Signer};

/// How one dispute ended (for tests and detailed output).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisputeRecord {
    pub channel: ChannelId,
    pub cheater: NodeId,
    pub victim: NodeId,
    pub posted: SimTime,
    /// The challenge window as the victim lived it: from the block that put the post on
    /// chain to the block where it answered (caught) or its last chance to (not caught).
    pub window: (SimTime, SimTime),
    pub resolved: SimTime,
    /// What the posted stale state gave the cheater (balance + offered HTLCs), msat.
    pub stale_claim: u64,
    /// What the cheater was truly owed at resolution (newest state), msat. It can differ
    /// from `claim_at_post`: HTLCs in flight when the stale state was posted still settle
    /// or fail before the payout.
    pub honest_claim: u64,
    /// What the newest state gave the cheater when it decided to post, msat.
    pub claim_at_post: u64,
    /// Payout [side 0, side 1], msat.
    pub payout: [u64; 2],
    /// The victim (or its watchtower) answered in time.
    pub caught: bool,
    /// Who answered: `Some(true)` the watchtower, `Some(false)` the victim itself.
    pub by_watchtower: Option<bool>,
    pub stolen: Msat,
    pub forfeited: Msat,
}

/// Counters of the security model for one run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SecurityTotals {
    pub malicious_nodes: u64,
    /// Co-signed states produced (one per committed update).
    pub states_signed: u64,
    pub fraud_attempts: u64,
    pub frauds_caught: u64,
    pub frauds_succeeded: u64,
    pub funds_stolen: Msat,
    pub penalties_forfeited: Msat,
    /// Dispute transactions (posts and answers) and their fees.
    pub dispute_txs: u64,
    pub dispute_fees: Msat,
    /// Σ capacity × time from post to payout, msat·µs.
    pub locked_msat_us: u128,
    /// Evidence refused because it was not validly signed.
    pub rejected_claims: u64,
    /// Forged claims posted (states the counterparty never signed).
    pub forged_claims: u64,
    /// HTLCs failed with `ChannelClosed` because their channel was in a dispute.
    pub payments_disrupted: u64,
    pub disputes_resolved: u64,
    pub disputes: Vec<DisputeRecord>,
}

impl SecurityTotals {
    /// Headline security metrics as (name, value); money in sat.
    pub fn metrics(&self) -> Vec<(&'static str, f64)> {
        let sat = |m: Msat| m.0 as f64 / 1000.0;
        vec![
            ("sec_malicious_nodes", self.malicious_nodes as f64),
            ("sec_states_signed", self.states_signed as f64),
            ("sec_fraud_attempts", self.fraud_attempts as f64),
            ("sec_frauds_caught", self.frauds_caught as f64),
            ("sec_frauds_succeeded", self.frauds_succeeded as f64),
            ("sec_funds_stolen_sat", sat(self.funds_stolen)),
            ("sec_penalties_forfeited_sat", sat(self.penalties_forfeited)),
            ("sec_dispute_txs", self.dispute_txs as f64),
            ("sec_dispute_fees_sat", sat(self.dispute_fees)),
            (
                "sec_locked_sat_h",
                self.locked_msat_us as f64 / 1000.0 / 1e6 / 3600.0,
            ),
            ("sec_forged_claims", self.forged_claims as f64),
            ("sec_rejected_claims", self.rejected_claims as f64),
            ("sec_payments_disrupted", self.payments_disrupted as f64),
            ("sec_disputes_resolved", self.disputes_resolved as f64),
        ]
    }
}

/// What the engine must do on behalf of the security model.
#[derive(Debug, Clone, PartialEq)]
pub enum SecAction {
    /// `node` posts dispute `dispute` on `chan`: mark it closing and submit the tx.
    Post {
        node: NodeId,
        chan: ChannelId,
        dispute: usize,
    },
    /// `node` (or its watchtower) answers dispute `dispute`: submit the tx.
    Answer { node: NodeId, dispute: usize },
    /// The post was refused on chain: reopen `chan`.
    Reopen { chan: ChannelId },
    /// Dispute resolved: close `chan`, its capacity leaves the network as payouts.
    Close { chan: ChannelId },
}

#[derive(Debug, Clone)]
struct Signed {
    state: ChannelStateMsg,
    /// Real mode only: both parties' signatures.
    sigs: Option<[Signature; 2]>,
}

#[derive(Debug, Clone)]
struct ChanSec {
    latest: Signed,
    /// For each malicious side: the state (of the current funding) that paid it most.
    stale: [Option<Signed>; 2],
    dispute: Option<usize>,
}

#[derive(Debug, Clone)]
enum Phase {
    /// Posted, waiting for confirmation.
    Posted,
    /// On chain, challenge period running.
    Open(Dispute),
    /// An answer is waiting for confirmation.
    Answering(Dispute),
    /// Resolved, or refused.
    Done,
}

#[derive(Debug, Clone)]
struct DisputeRun {
    chan: ChannelId,
    cheater: usize,
    evidence: SignedState,
    answer: Option<SignedState>,
    by_watchtower: bool,
    tower_up: bool,
    posted: SimTime,
    window: (SimTime, SimTime),
    phase: Phase,
    /// The cheater's claim in the newest state when it posted.
    claim_at_post: u64,
}

/// On/off state of an honest node, advanced lazily (queries come at increasing times).
#[derive(Debug, Clone)]
struct Presence {
    online: bool,
    /// End of the current period.
    until: SimTime,
    /// Start of the current period.
    since: SimTime,
    rng: SimRng,
}

/// The security model's state in one run (see the module docs).
pub struct SecurityState {
    cfg: SecurityConfig,
    signer: Signer,
    adj: Adjudicator,
    chans: Vec<ChanSec>,
    malicious: Vec<bool>,
    malicious_list: Vec<NodeId>,
    watchtower: Vec<bool>,
    presence: Vec<Presence>,
    rng_cheat: SimRng,
    rng_tower: SimRng,
    disputes: Vec<DisputeRun>,
    /// Disputes posted and not yet paid out or refused.
    open_disputes: usize,
    pub totals: SecurityTotals,
}

impl SecurityState {
    /// Sets up the model for a run seeded with `seed` on `net`: keys (real mode), the
    /// malicious nodes (exactly `round(share × N)`, drawn uniformly), watchtower coverage of
    /// honest nodes, and the signed funding state of every channel.
    ///
    /// Complexity: O(N + M) (plus N key derivations and 2M signatures in real mode).
    pub fn new(cfg: &SecurityConfig, net: &Network, seed: u64) -> Self {
        let n = net.node_count();
        let signer = match cfg.signatures {
            SignatureMode::Real => Signer::Real(keys::Keyring::from_seed(seed, n)),
            SignatureMode::Modelled => Signer::Modelled,
        };
        let mut roles = rng::stream(seed, "security-roles");
        let mut malicious = vec![false; n];
        if cfg.malicious_nodes.is_empty() {
            let k = ((cfg.malicious_share * n as f64).round() as usize).min(n);
            for i in rand::seq::index::sample(&mut roles, n, k).into_iter() {
                malicious[i] = true;
            }
        } else {
            for &v in &cfg.malicious_nodes {
                if let Some(m) = malicious.get_mut(v as usize) {
                    *m = true;
                }
            }
        }
        let k = malicious.iter().filter(|&&m| m).count();
        let malicious_list = (0..n)
            .filter(|&i| malicious[i])
            .map(|i| NodeId(i as u32))
            .collect();
        let watchtower = (0..n)
            .map(|i| roles.random::<f64>() < cfg.watchtower_coverage && !malicious[i])
            .collect();
        let presence = (0..n)
            .map(|i| {
                let mut r = rng::substream(seed, "security-offline", i as u64);
                let online = match &cfg.offline {
                    Some(o) => {
                        r.random::<f64>() < o.mean_online_s / (o.mean_online_s + o.mean_offline_s)
                    }
                    None => true,
                };
                Presence {
                    online,
                    until: SimTime::ZERO,
                    since: SimTime::ZERO,
                    rng: r,
                }
            })
            .collect();
        let mut s = SecurityState {
            cfg: cfg.clone(),
            adj: Adjudicator::new(cfg.rule, cfg.challenge_period_blocks),
            signer,
            chans: Vec::new(),
            malicious,
            malicious_list,
            watchtower,
            presence,
            rng_cheat: rng::stream(seed, "security-cheat"),
            rng_tower: rng::stream(seed, "security-tower"),
            disputes: Vec::new(),
            open_disputes: 0,
            totals: SecurityTotals {
                malicious_nodes: k as u64,
                ..SecurityTotals::default()
            },
        };
        s.ensure(net);
        s
    }

    pub fn is_malicious(&self, v: NodeId) -> bool {
        self.malicious.get(v.idx()).copied().unwrap_or(false)
    }

    /// Whether `c` is in a dispute.
    pub fn in_dispute(&self, c: ChannelId) -> bool {
        self.chans.get(c.idx()).is_some_and(|s| s.dispute.is_some())
    }

    /// Both parties sign the current state of `c` (real mode: ed25519, verified in debug
    /// builds; modelled: bookkeeping only).
    fn sign_now(&mut self, net: &Network, c: ChannelId) -> Signed {
        let ch = net.chan(c);
        let state = ChannelStateMsg::of(c.0, ch);
        self.totals.states_signed += 1;
        let sigs = match &self.signer {
            Signer::Real(_) => {
                let s = self.signer.sign(state, ch.nodes());
                debug_assert!(s
                    .as_ref()
                    .is_some_and(|s| self.signer.verify(s, ch.nodes(), c.0).is_ok()));
                s.map(|s| s.sigs)
            }
            Signer::Modelled => None,
        };
        Signed { state, sigs }
    }

    /// Adds channels opened since the last call.
    fn ensure(&mut self, net: &Network) {
        while self.chans.len() < net.channel_count() {
            let c = ChannelId(self.chans.len() as u32);
            let latest = self.sign_now(net, c);
            let ch = net.chan(c);
            let stale = [0, 1].map(|d| self.is_malicious(ch.node(d)).then(|| latest.clone()));
            self.chans.push(ChanSec {
                latest,
                stale,
                dispute: None,
            });
        }
    }

    /// A committed update of `c` (its version was incremented): the parties co-sign the new
    /// state; each malicious party keeps the state that pays it most (reset when the funding
    /// changes, since older states spend an output that no longer exists).
    pub fn on_update(&mut self, net: &Network, c: ChannelId) {
        self.ensure(net);
        let new = self.sign_now(net, c);
        let cs = &mut self.chans[c.idx()];
        let refund = cs.latest.state.total() != new.state.total();
        for d in 0..2 {
            if let Some(st) = &mut cs.stale[d] {
                if refund || new.state.claim(d) > st.state.claim(d) {
                    *st = new.clone();
                }
            }
        }
        cs.latest = new;
    }

    fn evidence(&self, s: &Signed, nodes: [NodeId; 2]) -> Option<SignedState> {
        match s.sigs {
            Some(sigs) => Some(SignedState {
                state: s.state,
                sigs,
            }),
            None => self.signer.sign(s.state, nodes),
        }
    }

    /// Malicious side `d` of `c` cheats if an old state pays it more than the newest.
    fn try_cheat(
        &mut self,
        net: &Network,
        now: SimTime,
        c: ChannelId,
        d: usize,
        out: &mut Vec<SecAction>,
    ) {
        // Drawn only when forging is configured, so runs without it keep their streams.
        let forge =
            self.cfg.forge_share > 0.0 && self.rng_cheat.random::<f64>() < self.cfg.forge_share;
        let ch = net.chan(c);
        let Some(cs) = self.chans.get(c.idx()) else {
            return;
        };
        if ch.status() != ChannelStatus::Open || cs.dispute.is_some() {
            return;
        }
        let evidence = if forge {
            // Claim the counterparty's whole balance in a "newer" state it never signed.
            let Some(latest) = self.evidence(&cs.latest, ch.nodes()) else {
                return;
            };
            let mut st = latest.state;
            let taken = st.balance[1 - d];
            if taken == 0 {
                return;
            }
            st.version += 1;
            st.balance[d] += taken;
            st.balance[1 - d] = 0;
            let key = match &self.signer {
                Signer::Real(k) => k.signing(ch.node(d)),
                Signer::Modelled => None,
            };
            SignedState::forge(st, d, key, &latest)
        } else {
            let Some(st) = &cs.stale[d] else { return };
            if st.state.version >= cs.latest.state.version
                || st.state.claim(d) <= cs.latest.state.claim(d)
            {
                return;
            }
            let Some(evidence) = self.evidence(st, ch.nodes()) else {
                return;
            };
            evidence
        };
        let tower_up = self.rng_tower.random::<f64>() < self.cfg.watchtower_availability;
        let idx = self.disputes.len();
        self.disputes.push(DisputeRun {
            chan: c,
            cheater: d,
            evidence,
            answer: None,
            by_watchtower: false,
            tower_up,
            posted: now,
            window: (now, now),
            phase: Phase::Posted,
            claim_at_post: cs.latest.state.claim(d),
        });
        self.chans[c.idx()].dispute = Some(idx);
        self.open_disputes += 1;
        if forge {
            self.totals.forged_claims += 1;
        } else {
            self.totals.fraud_attempts += 1;
        }
        out.push(SecAction::Post {
            node: ch.node(d),
            chan: c,
            dispute: idx,
        });
    }

    /// A malicious node's rebalance out over `out_chan` succeeded (`cheat_when =
    /// "after_rebalance"`).
    pub fn after_rebalance(
        &mut self,
        net: &Network,
        now: SimTime,
        node: NodeId,
        out_chan: Option<ChannelId>,
        out: &mut Vec<SecAction>,
    ) {
        if self.cfg.cheat_when != CheatWhen::AfterRebalance || !self.is_malicious(node) {
            return;
        }
        let Some(c) = out_chan else { return };
        let Some(d) = net.channels().get(c.idx()).and_then(|ch| ch.side_of(node)) else {
            return;
        };
        self.ensure(net);
        if self.rng_cheat.random::<f64>() < self.cfg.cheat_probability {
            self.try_cheat(net, now, c, d, out);
        }
    }

    /// The latest moment at or before `to` at which honest node `v` was online (`None`:
    /// never). Exponential on/off periods, generated lazily from the node's own stream;
    /// `to` must not decrease between calls for the same node.
    fn last_online(&mut self, v: NodeId, to: SimTime) -> Option<SimTime> {
        let Some(o) = &self.cfg.offline else {
            return Some(to);
        };
        if o.mean_offline_s <= 0.0 {
            return Some(to);
        }
        let (on, off) = (o.mean_online_s, o.mean_offline_s);
        let p = &mut self.presence[v.idx()];
        while p.until <= to {
            if p.until > SimTime::ZERO {
                p.online = !p.online;
                p.since = p.until;
            }
            let mean = if p.online { on } else { off };
            let s = Exp::new(1.0 / mean)
                .map(|e| e.sample(&mut p.rng))
                .unwrap_or(mean);
            p.until = p.until + SimDuration::from_secs_f64(s).max(SimDuration(1));
        }
        if p.online {
            Some(to)
        } else if p.since > SimTime::ZERO {
            // Offline since `since`: the period before was online.
            Some(p.since)
        } else {
            None
        }
    }

    /// Whether honest node `v` was online at some moment of `[from, to]` (`to` must not
    /// decrease between calls for the same node). A victim that was online at any moment
    /// since its last check has seen the dispute and answers.
    pub fn online_during(&mut self, v: NodeId, from: SimTime, to: SimTime) -> bool {
        self.last_online(v, to).is_some_and(|t| t >= from)
    }

    /// Once per block, after the block's transactions were applied: answers, deadlines,
    /// resolutions and (for `cheat_when = "random"`) new cheats. Returns through `out` what
    /// the engine must do; payouts are recorded here. With several chains, a block of one
    /// chain concerns only the channels `on_chain` accepts (heights and challenge periods
    /// are that chain's).
    pub fn on_block(
        &mut self,
        net: &Network,
        now: SimTime,
        height: u64,
        draining: bool,
        on_chain: &dyn Fn(ChannelId) -> bool,
        out: &mut Vec<SecAction>,
    ) {
        self.ensure(net);
        for i in 0..self.disputes.len() {
            if !on_chain(self.disputes[i].chan) {
                continue;
            }
            let (challenged, deadline) = match &self.disputes[i].phase {
                Phase::Open(d) => (d.challenged, d.deadline),
                _ => continue,
            };
            // An answer submitted now is included in the next block, which must be at or
            // before the deadline; past it, the posted state pays out.
            if challenged || height >= deadline {
                self.try_resolve(net, now, i, out);
                continue;
            }
            let (c, cheater, tower_up, from) = {
                let dr = &self.disputes[i];
                (dr.chan, dr.cheater, dr.tower_up, dr.window.1)
            };
            self.disputes[i].window.1 = now;
            let ch = net.chan(c);
            let victim = ch.node(1 - cheater);
            let by_tower = self.watchtower[victim.idx()] && tower_up;
            // The victim checks the chain whenever it is online: it answers at this block if
            // it was online at any moment since the previous one (or the post).
            let present = self.is_malicious(victim) || self.online_during(victim, from, now);
            if !(by_tower || present) {
                continue;
            }
            let latest = self.chans[c.idx()].latest.clone();
            let answer = self.evidence(&latest, ch.nodes());
            let dr = &mut self.disputes[i];
            dr.answer = answer;
            dr.by_watchtower = !present;
            if let Phase::Open(d) = std::mem::replace(&mut dr.phase, Phase::Done) {
                dr.phase = Phase::Answering(d);
            }
            out.push(SecAction::Answer {
                node: victim,
                dispute: i,
            });
        }
        if !draining && self.cfg.cheat_when == CheatWhen::Random && self.cfg.cheat_probability > 0.0
        {
            for k in 0..self.malicious_list.len() {
                let m = self.malicious_list[k];
                for c in net.channels_of(m) {
                    if !on_chain(c) {
                        continue;
                    }
                    let ch = net.chan(c);
                    let Some(d) = ch.side_of(m) else { continue };
                    if ch.status() != ChannelStatus::Open || self.chans[c.idx()].dispute.is_some() {
                        continue;
                    }
                    if self.rng_cheat.random::<f64>() < self.cfg.cheat_probability {
                        self.try_cheat(net, now, c, d, out);
                    }
                }
            }
        }
    }

    /// The channel dispute `dispute` is about.
    pub fn dispute_channel(&self, dispute: usize) -> Option<ChannelId> {
        self.disputes.get(dispute).map(|d| d.chan)
    }

    /// A dispute transaction confirmed at `height`, included at `included`.
    pub fn on_tx(
        &mut self,
        net: &Network,
        now: SimTime,
        dispute: usize,
        height: u64,
        included: u64,
        out: &mut Vec<SecAction>,
    ) {
        let Some(dr) = self.disputes.get_mut(dispute) else {
            return;
        };
        let c = dr.chan;
        let ch = net.chan(c);
        match std::mem::replace(&mut dr.phase, Phase::Done) {
            Phase::Posted => {
                let (cheater, ev) = (dr.cheater, dr.evidence.clone());
                match self.adj.open(
                    &self.signer,
                    &ev,
                    adjudicator::Funding {
                        channel: c.0,
                        nodes: ch.nodes(),
                        capacity: ch.capacity().0,
                    },
                    cheater,
                    height,
                ) {
                    Ok(d) => {
                        self.disputes[dispute].phase = Phase::Open(d);
                        self.disputes[dispute].window = (now, now);
                    }
                    Err(_) => {
                        self.chans[c.idx()].dispute = None;
                        self.open_disputes -= 1;
                        self.totals.rejected_claims = self.adj.rejected;
                        out.push(SecAction::Reopen { chan: c });
                    }
                }
            }
            Phase::Answering(mut d) => {
                let by = 1 - dr.cheater;
                if let Some(ans) = dr.answer.take() {
                    let _ = self.adj.challenge(&self.signer, &mut d, &ans, by, included);
                }
                self.totals.rejected_claims = self.adj.rejected;
                self.disputes[dispute].phase = Phase::Open(d);
                self.try_resolve(net, now, dispute, out);
            }
            other => self.disputes[dispute].phase = other,
        }
    }

    /// Resolves dispute `i` once no HTLC is in flight on its channel (they settle or fail
    /// within seconds; on chain they would be claimed by HTLC transactions).
    fn try_resolve(&mut self, net: &Network, now: SimTime, i: usize, out: &mut Vec<SecAction>) {
        let dr = &self.disputes[i];
        let c = dr.chan;
        let ch = net.chan(c);
        if ch.inflight(0).0 + ch.inflight(1).0 > 0 {
            return;
        }
        let Phase::Open(mut d) = std::mem::replace(&mut self.disputes[i].phase, Phase::Done) else {
            return;
        };
        let cheater = self.disputes[i].cheater;
        // eltoo: the newest co-signed state (after in-flight HTLCs resolved) replaces the
        // answer; under the penalty rule the answer already proved the fraud.
        if d.challenged {
            let latest = self.chans[c.idx()].latest.clone();
            if let Some(ev) = self.evidence(&latest, ch.nodes()) {
                let _ = self
                    .adj
                    .challenge(&self.signer, &mut d, &ev, 1 - cheater, u64::MAX);
            }
        }
        let o = self.adj.resolve(&d);
        let honest = self.chans[c.idx()].latest.state.claim(cheater);
        let stolen = Msat(adjudicator::stolen(o.payout[cheater], honest));
        let forfeited = match o.verdict {
            Verdict::Penalised { forfeited } => Msat(forfeited),
            _ => Msat::ZERO,
        };
        let t = &mut self.totals;
        t.disputes_resolved += 1;
        // Unchallenged is a success for the cheater, even if HTLCs that resolved after the
        // post left it nothing to gain (then `stolen` is zero).
        if d.challenged {
            t.frauds_caught += 1;
        } else {
            t.frauds_succeeded += 1;
        }
        t.funds_stolen += stolen;
        t.penalties_forfeited += forfeited;
        t.locked_msat_us +=
            ch.capacity().0 as u128 * now.since(self.disputes[i].posted).micros() as u128;
        t.disputes.push(DisputeRecord {
            channel: c,
            cheater: ch.node(cheater),
            victim: ch.node(1 - cheater),
            posted: self.disputes[i].posted,
            window: self.disputes[i].window,
            resolved: now,
            stale_claim: d.posted.claim(cheater),
            honest_claim: honest,
            claim_at_post: self.disputes[i].claim_at_post,
            payout: o.payout,
            caught: d.challenged,
            by_watchtower: d.challenged.then_some(self.disputes[i].by_watchtower),
            stolen,
            forfeited,
        });
        self.chans[c.idx()].dispute = None;
        self.open_disputes -= 1;
        out.push(SecAction::Close { chan: c });
    }

    /// Whether a dispute is still open (the run continues until none is).
    pub fn pending(&self) -> bool {
        self.open_disputes > 0
    }

    /// Counts a dispute transaction and its fee.
    pub fn count_tx(&mut self, fee: Msat) {
        self.totals.dispute_txs += 1;
        self.totals.dispute_fees += fee;
    }
}

#[cfg(test)]
mod tests;
