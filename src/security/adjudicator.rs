//! On-chain dispute resolution: pure logic, no engine, no I/O.
//!
//! A party posts a signed state (unilateral close). From the height at which it is on
//! chain, a challenge period of `period` blocks runs; until its deadline the counterparty (or
//! a watchtower acting for it) may answer with a *newer* validly signed state of the same
//! channel and funding. Then the channel pays out according to the [`Rule`]:
//!
//! - [`Rule::LnPenalty`]: a newer state proves the posted one revoked: the poster forfeits
//!   its whole channel balance and the challenger receives the entire funding.
//! - [`Rule::LatestStateWins`] (eltoo): the newest state replaces the posted one; no penalty.
//!
//! Unchallenged, the posted state pays out: each side receives its balance plus the HTLCs
//! it offered (they time out back to it). Only validly signed evidence is accepted: a
//! state nobody signed (an HTLC or rebalance that never happened) is rejected and counted.

use super::state::{ChannelStateMsg, SignedState, Signer, StateError};
use crate::topology::NodeId;

/// How a proven stale state is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// Lightning penalty: the cheater's whole balance goes to the victim.
    LnPenalty,
    /// eltoo: the latest state replaces the stale one, no penalty.
    LatestStateWins,
}

/// Why the adjudicator refused a submission. Counted, never fatal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DisputeError {
    #[error("invalid evidence: {0}")]
    Evidence(#[from] StateError),
    /// The state does not distribute this channel's funding amount (e.g. from before a
    /// splice: it spends an output that no longer exists).
    #[error("state does not match the channel funding")]
    WrongFunding,
    /// The challenge period had ended.
    #[error("challenge period over")]
    TooLate,
    /// The answer is not newer than the best state on chain.
    #[error("not newer than the state on chain")]
    NotNewer,
    /// The poster can not challenge its own state.
    #[error("the poster can not challenge")]
    NotCounterparty,
}

/// The channel a dispute is about: id, parties and funding amount (msat).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Funding {
    pub channel: u32,
    pub nodes: [NodeId; 2],
    pub capacity: u64,
}

/// One dispute on chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dispute {
    pub channel: u32,
    pub nodes: [NodeId; 2],
    /// Funding amount (msat) the states distribute.
    pub capacity: u64,
    /// Side that posted the state.
    pub poster: usize,
    pub posted: ChannelStateMsg,
    /// Newest valid state on chain (the posted one until challenged).
    pub best: ChannelStateMsg,
    /// Last block height at which a challenge can be included.
    pub deadline: u64,
    pub challenged: bool,
}

/// How a dispute ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Nobody answered: the posted state paid out.
    Unchallenged,
    /// LN penalty: the poster's state was proven stale; `forfeited` is what it would have
    /// received from the newest state.
    Penalised { forfeited: u64 },
    /// eltoo: a newer state replaced the posted one.
    Superseded,
}

/// The payout of a resolved dispute (msat per side; sums to the funding).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub payout: [u64; 2],
    pub verdict: Verdict,
}

/// The on-chain contract logic shared by all channels of a run.
#[derive(Debug, Clone)]
pub struct Adjudicator {
    pub rule: Rule,
    /// Challenge period, blocks.
    pub period: u64,
    /// Submissions refused because their evidence was not validly signed.
    pub rejected: u64,
}

impl Adjudicator {
    pub fn new(rule: Rule, period: u64) -> Self {
        Adjudicator {
            rule,
            period,
            rejected: 0,
        }
    }

    fn check(
        &mut self,
        signer: &Signer,
        s: &SignedState,
        nodes: [NodeId; 2],
        channel: u32,
        capacity: u64,
    ) -> Result<(), DisputeError> {
        if let Err(e) = signer.verify(s, nodes, channel) {
            self.rejected += 1;
            return Err(e.into());
        }
        if s.state.total() != Some(capacity) {
            return Err(DisputeError::WrongFunding);
        }
        Ok(())
    }

    /// Side `poster` of channel `f` posts `s`, on chain at `height`. Returns the open
    /// dispute, or why the post is refused.
    ///
    /// Complexity: one signature check.
    pub fn open(
        &mut self,
        signer: &Signer,
        s: &SignedState,
        f: Funding,
        poster: usize,
        height: u64,
    ) -> Result<Dispute, DisputeError> {
        self.check(signer, s, f.nodes, f.channel, f.capacity)?;
        Ok(Dispute {
            channel: f.channel,
            nodes: f.nodes,
            capacity: f.capacity,
            poster: poster.min(1),
            posted: s.state,
            best: s.state,
            deadline: height.saturating_add(self.period),
            challenged: false,
        })
    }

    /// Side `by` answers dispute `d` with `s`, included at `height`. Accepted if validly
    /// signed, for the same funding, newer than the best state, by the counterparty, and
    /// before the deadline (after a first valid challenge, later updates are accepted too:
    /// the dispute is already settled in the challenger's favour).
    pub fn challenge(
        &mut self,
        signer: &Signer,
        d: &mut Dispute,
        s: &SignedState,
        by: usize,
        height: u64,
    ) -> Result<(), DisputeError> {
        if by == d.poster {
            return Err(DisputeError::NotCounterparty);
        }
        self.check(signer, s, d.nodes, d.channel, d.capacity)?;
        if height > d.deadline && !d.challenged {
            return Err(DisputeError::TooLate);
        }
        if s.state.version <= d.best.version {
            return Err(DisputeError::NotNewer);
        }
        d.best = s.state;
        d.challenged = true;
        Ok(())
    }

    /// The payout of `d` (call once the deadline passed or a challenge was accepted).
    ///
    /// Example (LN penalty): funding 1000, posted stale state gives the poster 800, the
    /// newest gives it 300: penalised, payout 0 to the poster and 1000 to the victim,
    /// forfeited 300. Under eltoo the newest state pays 300 / 700.
    pub fn resolve(&self, d: &Dispute) -> Outcome {
        let p = d.poster;
        if !d.challenged {
            return Outcome {
                payout: [d.posted.claim(0), d.posted.claim(1)],
                verdict: Verdict::Unchallenged,
            };
        }
        match self.rule {
            Rule::LnPenalty => {
                let mut payout = [0; 2];
                payout[1 - p] = d.capacity;
                Outcome {
                    payout,
                    verdict: Verdict::Penalised {
                        forfeited: d.best.claim(p),
                    },
                }
            }
            Rule::LatestStateWins => Outcome {
                payout: [d.best.claim(0), d.best.claim(1)],
                verdict: Verdict::Superseded,
            },
        }
    }
}

/// What the cheater took beyond its due: `payout − honest claim`, zero if it gained nothing.
pub fn stolen(payout: u64, honest_claim: u64) -> u64 {
    payout.saturating_sub(honest_claim)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::security::keys::Keyring;

    fn s(version: u64, b0: u64, b1: u64) -> ChannelStateMsg {
        ChannelStateMsg {
            channel: 0,
            version,
            balance: [b0, b1],
            inflight: [0, 0],
            htlcs: [0, 0],
        }
    }
    const N: [NodeId; 2] = [NodeId(0), NodeId(1)];
    const F: Funding = Funding {
        channel: 0,
        nodes: N,
        capacity: 1000,
    };

    fn signers() -> [Signer; 2] {
        [Signer::Real(Keyring::from_seed(3, 2)), Signer::Modelled]
    }

    #[test]
    fn unchallenged_stale_state_pays_as_posted() {
        for sg in signers() {
            let mut a = Adjudicator::new(Rule::LnPenalty, 6);
            // Funding 1000 msat; node 0 posts version 2 (800 | 200) at height 10.
            let stale = sg.sign(s(2, 800, 200), N).expect("keys");
            let d = a.open(&sg, &stale, F, 0, 10).expect("valid");
            assert_eq!(d.deadline, 16);
            let o = a.resolve(&d);
            assert_eq!(
                o,
                Outcome {
                    payout: [800, 200],
                    verdict: Verdict::Unchallenged
                }
            );
            // True state gave node 0 only 300: it stole 800 - 300 = 500.
            assert_eq!(stolen(o.payout[0], 300), 500);
        }
    }

    #[test]
    fn penalty_forfeits_the_cheaters_balance() {
        for sg in signers() {
            let mut a = Adjudicator::new(Rule::LnPenalty, 6);
            let stale = sg.sign(s(2, 800, 200), N).expect("keys");
            let latest = sg.sign(s(5, 300, 700), N).expect("keys");
            let mut d = a.open(&sg, &stale, F, 0, 10).expect("valid");
            a.challenge(&sg, &mut d, &latest, 1, 16).expect("in time");
            // Victim takes all 1000; the cheater forfeits its true 300.
            assert_eq!(
                a.resolve(&d),
                Outcome {
                    payout: [0, 1000],
                    verdict: Verdict::Penalised { forfeited: 300 }
                }
            );
        }
    }

    #[test]
    fn eltoo_latest_state_wins_without_penalty() {
        for sg in signers() {
            let mut a = Adjudicator::new(Rule::LatestStateWins, 6);
            let stale = sg.sign(s(2, 800, 200), N).expect("keys");
            let latest = sg.sign(s(5, 300, 700), N).expect("keys");
            let mut d = a.open(&sg, &stale, F, 0, 10).expect("valid");
            a.challenge(&sg, &mut d, &latest, 1, 12).expect("in time");
            assert_eq!(
                a.resolve(&d),
                Outcome {
                    payout: [300, 700],
                    verdict: Verdict::Superseded
                }
            );
        }
    }

    #[test]
    fn invalid_late_or_old_answers_are_refused() {
        for sg in signers() {
            let mut a = Adjudicator::new(Rule::LnPenalty, 6);
            let stale = sg.sign(s(2, 800, 200), N).expect("keys");
            let mut d = a.open(&sg, &stale, F, 0, 10).expect("valid");
            // Too late.
            let latest = sg.sign(s(5, 300, 700), N).expect("keys");
            assert_eq!(
                a.challenge(&sg, &mut d, &latest, 1, 17),
                Err(DisputeError::TooLate)
            );
            // Not newer.
            let older = sg.sign(s(1, 500, 500), N).expect("keys");
            assert_eq!(
                a.challenge(&sg, &mut d, &older, 1, 12),
                Err(DisputeError::NotNewer)
            );
            // The poster itself.
            assert_eq!(
                a.challenge(&sg, &mut d, &latest, 0, 12),
                Err(DisputeError::NotCounterparty)
            );
            // A claimed rebalance nobody signed: version 6 giving the victim everything.
            let mut forged = latest.clone();
            forged.state = s(6, 0, 1000);
            assert!(matches!(
                a.challenge(&sg, &mut d, &forged, 1, 12),
                Err(DisputeError::Evidence(_))
            ));
            // A never-signed HTLC posted by the cheater.
            let mut fake = stale.clone();
            fake.state = ChannelStateMsg {
                inflight: [100, 0],
                htlcs: [1, 0],
                ..s(7, 700, 200)
            };
            assert!(a.open(&sg, &fake, F, 0, 10).is_err());
            assert_eq!(a.rejected, 2);
            // A state of another funding (before a splice).
            let pre = sg.sign(s(1, 400, 400), N).expect("keys");
            assert_eq!(a.open(&sg, &pre, F, 0, 10), Err(DisputeError::WrongFunding));
            assert!(!d.challenged);
        }
    }

    #[test]
    fn htlcs_in_a_posted_state_return_to_their_offerer() {
        let sg = Signer::Modelled;
        let mut a = Adjudicator::new(Rule::LnPenalty, 3);
        let st = ChannelStateMsg {
            channel: 0,
            version: 4,
            balance: [500, 300],
            inflight: [150, 50],
            htlcs: [2, 1],
        };
        let d = a
            .open(&sg, &sg.sign(st, N).expect("keys"), F, 1, 0)
            .expect("valid");
        assert_eq!(a.resolve(&d).payout, [650, 350]);
    }
}
