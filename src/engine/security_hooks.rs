//! The engine side of the security model ([`crate::security`]): a handful of hooks, all
//! no-ops when the run has no `[security]` table (`Engine::sec` is `None`).
//!
//! [`SecurityState`] decides (who cheats, who answers, what the payout is); these hooks
//! carry its [`SecAction`]s out through the same paths as every other on-chain action
//! (`submit_tx`, `Network::set_status`), and count a resolved dispute's payouts as
//! withdrawn, so `Σ capacity = initial + topped up − withdrawn` keeps holding.

use super::{Engine, EngineParams};
use crate::chain::TxKind;
use crate::network::{ChannelStatus, Network};
use crate::security::{SecAction, SecurityState};
use crate::topology::{ChannelId, NodeId};
use crate::units::SimTime;

impl<'t> Engine<'t> {
    /// Builds the security state if the run has `[security]`.
    pub(super) fn security_state(
        p: &EngineParams,
        net: &Network,
        seed: u64,
    ) -> Option<Box<SecurityState>> {
        p.security
            .as_ref()
            .map(|c| Box::new(SecurityState::new(c, net, seed)))
    }

    /// Whether a dispute is still open.
    pub(super) fn sec_pending(&self) -> bool {
        self.ledger.sec().is_some_and(|s| s.pending())
    }

    /// An HTLC was refused because its channel is not open: count it if a dispute closed it.
    #[inline]
    pub(super) fn sec_refused_closed(&mut self, c: ChannelId) {
        if let (_, Some(s)) = self.ledger.sec_parts() {
            if s.in_dispute(c) {
                s.totals.payments_disrupted += 1;
            }
        }
    }

    /// A rebalance of `node` out over `out_chan` succeeded.
    pub(super) fn sec_after_rebalance(
        &mut self,
        now: SimTime,
        node: NodeId,
        out_chan: Option<ChannelId>,
    ) {
        let (net, Some(s)) = self.ledger.sec_parts() else {
            return;
        };
        let mut out = std::mem::take(&mut self.sec_actions);
        s.after_rebalance(net, now, node, out_chan, &mut out);
        self.apply_sec(now, &mut out);
        self.sec_actions = out;
    }

    /// After a block's transactions were applied: answers, deadlines, payouts, cheats.
    pub(super) fn sec_block(&mut self, now: SimTime, k: usize) {
        let height = self.chains[k].height;
        let chan_chain = &self.chan_chain;
        let on_chain = |c: ChannelId| chan_chain.get(c.idx()).map_or(0, |&x| x as usize) == k;
        let (net, Some(s)) = self.ledger.sec_parts() else {
            return;
        };
        let mut out = std::mem::take(&mut self.sec_actions);
        // Once the workload is over the run only drains: open disputes resolve, no new
        // cheats start (a rejected forgery reopens its channel, so cheats could go on forever).
        let draining = self.arrivals_done && self.pending_workload == 0;
        s.on_block(net, now, height, draining, &on_chain, &mut out);
        self.apply_sec(now, &mut out);
        self.sec_actions = out;
    }

    /// A dispute transaction confirmed.
    pub(super) fn sec_tx(&mut self, now: SimTime, k: usize, dispute: usize, included: Option<u64>) {
        let h = self.chains[k].height;
        let (net, Some(s)) = self.ledger.sec_parts() else {
            return;
        };
        let mut out = std::mem::take(&mut self.sec_actions);
        s.on_tx(net, now, dispute, h, included.unwrap_or(h), &mut out);
        self.apply_sec(now, &mut out);
        self.sec_actions = out;
    }

    fn apply_sec(&mut self, now: SimTime, out: &mut Vec<SecAction>) {
        for a in out.drain(..) {
            match a {
                SecAction::Post {
                    node,
                    chan,
                    dispute,
                } => {
                    // A force-close with a (stale) state: no new HTLCs from now on.
                    self.ledger.set_status(chan, ChannelStatus::Closing);
                    self.submit_dispute(now, node, dispute);
                }
                SecAction::Answer { node, dispute } => self.submit_dispute(now, node, dispute),
                SecAction::Reopen { chan } => self.ledger.set_status(chan, ChannelStatus::Open),
                SecAction::Close { chan } => {
                    // The payouts (summing to the capacity) leave the network.
                    let cap = self.ledger.net().chan(chan).capacity();
                    self.ledger.set_status(chan, ChannelStatus::Closed);
                    let k = self.chain_of(chan);
                    self.funds_moved(k, cap, true);
                    self.acct.totals.channels_closed += 1;
                }
            }
        }
    }

    fn submit_dispute(&mut self, now: SimTime, node: NodeId, dispute: usize) {
        // The dispute goes to the chain its channel is anchored on.
        let k = self
            .ledger
            .sec()
            .and_then(|s| s.dispute_channel(dispute))
            .map_or(0, |c| self.chain_of(c));
        let fee = self.fee_on(k, |s| s.dispute, now);
        if let (_, Some(s)) = self.ledger.sec_parts() {
            s.count_tx(fee);
        }
        self.submit_tx(now, k, node, TxKind::Dispute { dispute }, fee, 0);
    }
}
