//! The engine's on-chain side: submitting transactions, mining blocks, and applying
//! confirmed transactions (splices, swaps, opens, closes, disputes) to the ledger.

use super::payment::{Pay, Purpose};
use super::{Engine, Ev, InvariantViolation};
use crate::chain::{PendingTx, TxKind};
use crate::metrics::Recorder;
use crate::network::ChannelStatus;
use crate::strategy::Observation;
use crate::topology::NodeId;
use crate::units::{Msat, SimDuration, SimTime};
use rand_distr::{Distribution, Exp};

impl<'t> Engine<'t> {
    /// Time to the next block: exponential with the chain's mean interval.
    pub(super) fn block_delay(&mut self) -> SimDuration {
        let mean = self.p.block_interval.secs_f64().max(1e-6);
        let s = Exp::new(1.0 / mean)
            .map(|d| d.sample(&mut self.rngs.chain))
            .unwrap_or(mean);
        SimDuration::from_secs_f64(s).max(SimDuration(1))
    }

    /// `node` submits a transaction paying `fee`; it confirms after the chain's
    /// confirmations ([`Engine::apply_tx`]).
    pub(super) fn submit_tx(
        &mut self,
        now: SimTime,
        node: NodeId,
        kind: TxKind,
        fee: Msat,
        tag: u64,
    ) {
        self.acct.totals.onchain_fees += fee;
        self.acct.record_cost(node, fee);
        match kind {
            TxKind::SpliceIn { chan, .. }
            | TxKind::SpliceOut { chan, .. }
            | TxKind::SwapIn { chan, .. }
            | TxKind::SwapOut { chan, .. }
            | TxKind::Close { chan, .. } => self.attribute_cost(node, chan, fee),
            // Opens: the channel does not exist yet; disputes: not rebalancing.
            TxKind::Open { .. } | TxKind::Dispute { .. } => {}
        }
        self.chain.submit(node, kind, fee, now, tag);
    }

    /// A block: confirmed transactions take effect, the security model acts, the
    /// strategy hears of it.
    pub(super) fn on_block(
        &mut self,
        now: SimTime,
        rec: &mut dyn Recorder,
    ) -> Result<(), InvariantViolation> {
        let done = self.chain.mine();
        self.acct.totals.onchain_txs = self
            .chain
            .confirmed_count
            .saturating_sub(self.acct.onchain_base);
        for tx in done {
            self.apply_tx(now, tx, rec)?;
        }
        self.sec_block(now);
        let height = self.chain.height;
        self.notify(Observation::Block { height }, rec)?;
        let d = self.block_delay();
        self.q.schedule(now + d, Ev::Block);
        Ok(())
    }

    /// A confirmed transaction takes effect.
    fn apply_tx(
        &mut self,
        now: SimTime,
        tx: PendingTx,
        rec: &mut dyn Recorder,
    ) -> Result<(), InvariantViolation> {
        let mut ok = true;
        match tx.kind {
            TxKind::SpliceIn { chan, amount } => {
                let ch = self.ledger.net().chan(chan);
                match (ch.status(), ch.side_of(tx.node)) {
                    (ChannelStatus::Open, Some(d)) => {
                        self.ledger.deposit(chan, d, amount);
                        self.acct.totals.topped_up += amount;
                        self.acct.capital_in(now, tx.node, amount);
                        self.acct.totals.splices += 1;
                    }
                    _ => ok = false,
                }
            }
            TxKind::SpliceOut { .. } => {
                self.acct.totals.splices += 1;
            }
            TxKind::SwapOut { .. } => {}
            TxKind::SwapIn { chan, amount } => {
                // The provider now pays `amount` off-chain into `chan`.
                let provider = self.p.swap.provider.unwrap_or(NodeId(0));
                let purpose = Purpose::SwapIn {
                    tag: tx.tag,
                    user: tx.node,
                };
                let pay = Pay {
                    last_hop: Some(chan),
                    ..self.new_payment(purpose, provider, tx.node, amount)
                };
                let pid = self.book.new_pay(pay);
                return self.start_attempt(now, pid, rec);
            }
            TxKind::Open { pending_open } => {
                let spec = self.pending_opens[pending_open].clone();
                self.ledger.open_channel(&spec);
                self.mc.grow(self.ledger.net().node_count());
                self.acct.totals.topped_up += spec.capacity;
                self.acct.capital_in(now, spec.nodes[0], spec.capacity);
                self.acct.totals.channels_opened += 1;
            }
            TxKind::Close { chan, .. } => {
                let ch = self.ledger.net().chan(chan);
                if ch.inflight(0).0 + ch.inflight(1).0 > 0 {
                    // HTLCs still in flight: take effect at a later block.
                    self.chain.defer(tx);
                    return Ok(());
                }
                let cap = ch.capacity();
                let payouts = [(ch.node(0), ch.balance(0)), (ch.node(1), ch.balance(1))];
                for (v, b) in payouts {
                    self.acct.capital_out(now, v, b);
                }
                self.ledger.set_status(chan, ChannelStatus::Closed);
                self.acct.totals.withdrawn += cap;
                self.acct.totals.channels_closed += 1;
            }
            TxKind::Dispute { dispute } => {
                // Security model: opaque to strategies (no `ChainDone`).
                self.sec_tx(now, dispute, tx.included);
                return Ok(());
            }
        }
        self.notify(
            Observation::ChainDone {
                node: tx.node,
                tag: tx.tag,
                success: ok,
            },
            rec,
        )
    }
}
