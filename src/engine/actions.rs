//! Strategy actions: the engine tells the strategy what happened ([`Engine::notify`]),
//! checks each action it returns once ([`Engine::validate`]) and carries out the valid
//! ones. A refused action is counted per [`Rejection`] reason in the run's results and
//! otherwise dropped: a strategy can not move money except through these paths.

use super::payment::{Pay, Purpose};
use super::{Engine, Ev, InvariantViolation};
use crate::chain::TxKind;
use crate::metrics::{Recorder, Rejection};
use crate::network::ChannelStatus;
use crate::strategy::{Action, Observation, View};
use crate::topology::{ChannelId, ChannelSpec, FeePolicy, NodeId};
use crate::units::{Msat, SimTime};

/// What validation found out that carrying the action out needs.
enum Valid {
    Ok,
    /// The acting node's side of the channel.
    Side(usize),
    /// A just-in-time hold: the node holding it and the channel it is blocked on.
    Hold {
        node: NodeId,
        blocked: ChannelId,
    },
}

impl<'t> Engine<'t> {
    /// Tells the strategy about `obs` and carries out what it asks.
    pub(super) fn notify(
        &mut self,
        obs: Observation,
        rec: &mut dyn Recorder,
    ) -> Result<(), InvariantViolation> {
        let mut actions = std::mem::take(&mut self.actions);
        actions.clear();
        {
            let now = self.q.now();
            if let Some(cs) = &self.p.chains {
                self.rate_now.clear();
                self.rate_now
                    .extend(cs.chains.iter().map(|c| c.rate_at(now)));
            }
            let view = View::new(
                self.ledger.net(),
                now,
                self.chains[0].height,
                self.chains[0].feerate_msat_vb(now) as f64 / 1000.0,
                &self.participates,
            )
            .with_chains(&self.chan_chain, &self.rate_now);
            self.strategy
                .observe(view, &obs, &mut self.rngs.strategy, &mut actions);
        }
        let now = self.q.now();
        for a in actions.drain(..) {
            match self.validate(&a) {
                Ok(v) => self.apply_action(now, a, v, rec)?,
                Err(r) => self.acct.totals.rejections[r.index()] += 1,
            }
        }
        self.actions = actions;
        Ok(())
    }

    /// `node`'s side of `chan`, if `chan` exists, is open and is `node`'s.
    fn node_side(&self, node: NodeId, chan: ChannelId) -> Result<usize, Rejection> {
        let ch = self
            .ledger
            .net()
            .channels()
            .get(chan.idx())
            .ok_or(Rejection::UnknownChannel)?;
        let d = ch.side_of(node).ok_or(Rejection::NotOwnChannel)?;
        if ch.status() != ChannelStatus::Open {
            return Err(Rejection::ChannelNotOpen);
        }
        Ok(d)
    }

    /// Checks `a` against the state now: the node owns the channels it names and they are
    /// open, amounts are positive, holds exist and are free, a swap provider exists.
    fn validate(&self, a: &Action) -> Result<Valid, Rejection> {
        let positive = |amount: Msat| {
            if amount == Msat::ZERO {
                Err(Rejection::ZeroAmount)
            } else {
                Ok(())
            }
        };
        let provider = |node: NodeId| match self.p.swap.provider {
            None => Err(Rejection::NoSwapProvider),
            Some(p) if p == node => Err(Rejection::SwapWithProvider),
            Some(_) => Ok(()),
        };
        match *a {
            Action::Timer { .. } => Ok(Valid::Ok),
            Action::Rebalance {
                node,
                out_chan,
                in_chan,
                amount,
                max_hops,
                ..
            } => {
                if out_chan == in_chan {
                    return Err(Rejection::SameChannel);
                }
                self.node_side(node, out_chan)?;
                self.node_side(node, in_chan)?;
                positive(amount)?;
                if max_hops.is_some_and(|h| h < 2) {
                    return Err(Rejection::CycleTooShort);
                }
                Ok(Valid::Ok)
            }
            Action::HoldForRebalance { hold, out_chan, .. } => {
                let h = self
                    .book
                    .holds
                    .get(hold as usize)
                    .ok_or(Rejection::UnknownHold)?;
                if h.taken {
                    return Err(Rejection::HoldTaken);
                }
                let blocked = self.book.attempts[h.att as usize].route[h.hop as usize + 1].chan;
                if out_chan == blocked {
                    return Err(Rejection::SameChannel);
                }
                self.node_side(h.node, out_chan)?;
                Ok(Valid::Hold {
                    node: h.node,
                    blocked,
                })
            }
            Action::SpliceIn {
                node, chan, amount, ..
            } => {
                let d = self.node_side(node, chan)?;
                positive(amount)?;
                Ok(Valid::Side(d))
            }
            Action::SpliceOut {
                node, chan, amount, ..
            } => {
                let d = self.node_side(node, chan)?;
                if self.ledger.net().chan(chan).spendable(d) < amount {
                    return Err(Rejection::InsufficientBalance);
                }
                Ok(Valid::Side(d))
            }
            Action::SwapOut { node, chan, .. } | Action::SwapIn { node, chan, .. } => {
                let d = self.node_side(node, chan)?;
                provider(node)?;
                Ok(Valid::Side(d))
            }
            Action::CrossSwap {
                node,
                from_chan,
                to_chan,
                amount,
                ..
            } => {
                let d = self.node_side(node, from_chan)?;
                self.node_side(node, to_chan)?;
                // Across chains only: a swap within one chain is a rebalance.
                if from_chan == to_chan || self.chain_of(from_chan) == self.chain_of(to_chan) {
                    return Err(Rejection::SameChannel);
                }
                positive(amount)?;
                provider(node)?;
                if self.ledger.net().chan(from_chan).spendable(d) < amount {
                    return Err(Rejection::InsufficientBalance);
                }
                Ok(Valid::Side(d))
            }
            Action::OpenChannel {
                node, peer, amount, ..
            } => {
                let n = self.ledger.net().node_count();
                if node.idx() >= n || peer.idx() >= n {
                    return Err(Rejection::UnknownNode);
                }
                if node == peer {
                    return Err(Rejection::ChannelToSelf);
                }
                positive(amount)?;
                Ok(Valid::Ok)
            }
            Action::CloseChannel { node, chan, .. } => Ok(Valid::Side(self.node_side(node, chan)?)),
        }
    }

    /// Carries out one validated action.
    fn apply_action(
        &mut self,
        now: SimTime,
        a: Action,
        valid: Valid,
        rec: &mut dyn Recorder,
    ) -> Result<(), InvariantViolation> {
        match a {
            Action::Timer { node, at, tag } => {
                self.q
                    .schedule(at.max(now), Ev::Timer { node: node.0, tag });
            }
            Action::Rebalance {
                node,
                out_chan,
                in_chan,
                amount,
                max_fee,
                max_attempts,
                deadline,
                max_hops,
                fee_free,
                join,
                tag,
            } => {
                let mut pay = self.rebalance_pay(
                    node,
                    out_chan,
                    in_chan,
                    amount,
                    max_fee,
                    max_attempts,
                    now + deadline,
                    Purpose::Rebalance { tag },
                );
                pay.max_hops = max_hops;
                pay.fee_free = fee_free;
                pay.join = join;
                let pid = self.book.new_pay(pay);
                return self.start_attempt(now, pid, rec);
            }
            Action::HoldForRebalance {
                hold,
                out_chan,
                amount,
                max_fee,
                deadline,
                max_attempts,
                max_hops,
            } => {
                let Valid::Hold { node, blocked } = valid else {
                    unreachable!("validated as a hold")
                };
                let h = &mut self.book.holds[hold as usize];
                h.active = true;
                h.taken = true;
                self.acct.totals.jit_holds += 1;
                self.q
                    .schedule(now + deadline, Ev::HoldExpire { hold: hold as u32 });
                let mut pay = self.rebalance_pay(
                    node,
                    out_chan,
                    blocked,
                    amount,
                    max_fee,
                    max_attempts,
                    now + deadline,
                    Purpose::JustInTime { hold: hold as u32 },
                );
                pay.max_hops = max_hops;
                let pid = self.book.new_pay(pay);
                return self.start_attempt(now, pid, rec);
            }
            Action::SpliceIn {
                node,
                chan,
                amount,
                tag,
            } => {
                let k = self.chain_of(chan);
                let fee = self.fee_on(k, |s| s.splice, now);
                self.submit_tx(now, k, node, TxKind::SpliceIn { chan, amount }, fee, tag);
            }
            Action::SpliceOut {
                node,
                chan,
                amount,
                tag,
            } => {
                let Valid::Side(d) = valid else {
                    unreachable!("validated with a side")
                };
                if self.ledger.withdraw(chan, d, amount).is_err() {
                    unreachable!("validated: the side can spend the amount");
                }
                let k = self.chain_of(chan);
                self.funds_moved(k, amount, true);
                self.acct.capital_out(now, node, amount);
                let fee = self.fee_on(k, |s| s.splice, now);
                self.submit_tx(now, k, node, TxKind::SpliceOut { chan, amount }, fee, tag);
            }
            Action::SwapOut {
                node,
                chan,
                amount,
                tag,
            } => {
                let provider = self.p.swap.provider.unwrap_or(node);
                let purpose = Purpose::SwapOut { tag, chan };
                let pay = Pay {
                    max_fee: Some(amount.mul_ppm(5000) + Msat::from_sat(10)),
                    first_hop: Some(chan),
                    ..self.new_payment(purpose, node, provider, amount)
                };
                let pid = self.book.new_pay(pay);
                return self.start_attempt(now, pid, rec);
            }
            Action::SwapIn {
                node,
                chan,
                amount,
                tag,
            } => {
                let k = self.chain_of(chan);
                let fee = self.fee_on(k, |s| s.swap, now);
                let swap_fee = amount.mul_ppm(self.p.swap.fee_ppm);
                self.acct.totals.swap_fees += swap_fee;
                self.acct.record_cost(node, swap_fee);
                self.attribute_cost(node, chan, swap_fee);
                self.submit_tx(now, k, node, TxKind::SwapIn { chan, amount }, fee, tag);
            }
            Action::CrossSwap {
                node,
                from_chan,
                to_chan,
                amount,
                tag,
            } => {
                let provider = self.p.swap.provider.unwrap_or(node);
                let purpose = Purpose::CrossSwap {
                    tag,
                    from: from_chan,
                    to: to_chan,
                };
                let pay = Pay {
                    max_fee: Some(amount.mul_ppm(5000) + Msat::from_sat(10)),
                    first_hop: Some(from_chan),
                    ..self.new_payment(purpose, node, provider, amount)
                };
                let pid = self.book.new_pay(pay);
                return self.start_attempt(now, pid, rec);
            }
            Action::OpenChannel {
                node,
                peer,
                amount,
                tag,
            } => {
                let reserve = amount.mul_ppm(10_000);
                let spec = ChannelSpec {
                    nodes: [node, peer],
                    capacity: amount,
                    balance: [amount, Msat::ZERO],
                    reserve: [reserve, reserve],
                    policy: [FeePolicy::default(); 2],
                    label: None,
                };
                self.pending_opens.push(spec);
                // A new channel is anchored on its opener's home chain.
                let k = self.home_of(node);
                let fee = self.fee_on(k, |s| s.funding, now);
                let idx = self.pending_opens.len() - 1;
                self.submit_tx(now, k, node, TxKind::Open { pending_open: idx }, fee, tag);
            }
            Action::CloseChannel {
                node,
                chan,
                cooperative,
                tag,
            } => {
                self.ledger.set_status(chan, ChannelStatus::Closing);
                if cooperative {
                    // Both parties sign the closing state (a new version); the close tx
                    // pays out exactly that state.
                    self.ledger.sign_closing_state(chan);
                }
                let size: fn(&crate::chain::TxSizes) -> u64 = if cooperative {
                    |s| s.cooperative_close
                } else {
                    |s| s.unilateral_close
                };
                let k = self.chain_of(chan);
                let fee = self.fee_on(k, size, now);
                self.submit_tx(now, k, node, TxKind::Close { chan, cooperative }, fee, tag);
            }
        }
        Ok(())
    }
}
