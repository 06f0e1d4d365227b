//! The engine side of the security model ([`crate::security`]): a handful of hooks, all
//! no-ops when the run has no `[security]` table (`Engine::sec` is `None`).
//!
//! [`SecurityState`] decides (who cheats, who answers, what the payout is); these hooks
//! carry its [`SecAction`]s out through the same paths as every other on-chain action
//! (`submit_tx`, `Network::set_status`), and count a resolved dispute's payouts as
//! withdrawn, so `Σ capacity = initial + topped up − withdrawn` keeps holding.

use super::*;
use crate::security::{SecAction, SecurityState};

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
        self.sec.as_ref().is_some_and(|s| s.pending())
    }

    /// Channel `c` committed an update (its version was incremented): co-sign it.
    #[inline]
    pub(super) fn committed(&mut self, c: ChannelId) {
        if let Some(s) = self.sec.as_deref_mut() {
            s.on_update(&self.net, c);
        }
    }

    /// An HTLC was refused because its channel is not open: count it if a dispute closed it.
    #[inline]
    pub(super) fn sec_refused_closed(&mut self, c: ChannelId) {
        if let Some(s) = self.sec.as_deref_mut() {
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
        let Some(s) = self.sec.as_deref_mut() else {
            return;
        };
        let mut out = std::mem::take(&mut self.sec_actions);
        s.after_rebalance(&self.net, now, node, out_chan, &mut out);
        self.apply_sec(now, &mut out);
        self.sec_actions = out;
    }

    /// After a block's transactions were applied: answers, deadlines, payouts, cheats.
    pub(super) fn sec_block(&mut self, now: SimTime) {
        let Some(s) = self.sec.as_deref_mut() else {
            return;
        };
        let mut out = std::mem::take(&mut self.sec_actions);
        // Once the workload is over the run only drains: open disputes resolve, no new
        // cheats start (a rejected forgery reopens its channel, so cheats could go on forever).
        let draining = self.arrivals_done && self.pending_workload == 0;
        s.on_block(&self.net, now, self.chain.height, draining, &mut out);
        self.apply_sec(now, &mut out);
        self.sec_actions = out;
    }

    /// A dispute transaction confirmed.
    pub(super) fn sec_tx(&mut self, now: SimTime, dispute: usize, included: Option<u64>) {
        let Some(s) = self.sec.as_deref_mut() else {
            return;
        };
        let mut out = std::mem::take(&mut self.sec_actions);
        let h = self.chain.height;
        s.on_tx(&self.net, now, dispute, h, included.unwrap_or(h), &mut out);
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
                    self.net.set_status(chan, ChannelStatus::Closing);
                    self.submit_dispute(now, node, dispute);
                }
                SecAction::Answer { node, dispute } => self.submit_dispute(now, node, dispute),
                SecAction::Reopen { chan } => self.net.set_status(chan, ChannelStatus::Open),
                SecAction::Close { chan } => {
                    // The payouts (summing to the capacity) leave the network.
                    let cap = self.net.chan(chan).capacity();
                    self.net.set_status(chan, ChannelStatus::Closed);
                    self.totals.withdrawn += cap;
                    self.totals.channels_closed += 1;
                }
            }
        }
    }

    fn submit_dispute(&mut self, now: SimTime, node: NodeId, dispute: usize) {
        let fee = self.chain.fee_for(self.p.tx_sizes.dispute, now);
        if let Some(s) = self.sec.as_deref_mut() {
            s.count_tx(fee);
        }
        self.submit_tx(now, node, TxKind::Dispute { dispute }, fee, 0);
    }
}
