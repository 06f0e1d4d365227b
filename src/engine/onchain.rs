//! The engine's on-chain side: submitting transactions, mining blocks, and applying
//! confirmed transactions (splices, swaps, opens, closes, disputes) to the ledger.

use super::payment::{Pay, Purpose};
use super::EngineParams;
use super::{Engine, Ev, InvariantViolation};
use crate::chain::{Chain, PendingTx, TxKind, TxSizes};
use crate::metrics::Recorder;
use crate::network::{ChannelStatus, Network};
use crate::rng::{self, SimRng};
use crate::strategy::Observation;
use crate::topology::{ChannelId, NodeId};
use crate::units::{Msat, SimDuration, SimTime};
use rand_distr::{Distribution, Exp};

/// What [`Engine::chain_state`] builds: the chains, the block streams of chains 1..,
/// chain per channel, per chain the other chains' edges, per chain the funds identity.
type ChainState = (
    Vec<Chain>,
    Vec<SimRng>,
    Vec<u8>,
    Vec<Vec<(ChannelId, u8)>>,
    Vec<[Msat; 3]>,
);

impl<'t> Engine<'t> {
    /// The chains of a run. One chain: `p.confirmations` and `feerates`, exactly as
    /// before several chains existed. Several: one [`Chain`] per `[[chain]]`, chain `k > 0`
    /// drawing its blocks from stream `chain:<name>`.
    pub(super) fn chain_state(
        p: &EngineParams,
        net: &Network,
        feerates: impl Into<std::sync::Arc<[(SimTime, u64)]>>,
        seed: u64,
    ) -> ChainState {
        let Some(cs) = &p.chains else {
            let c = Chain::new(p.confirmations, feerates);
            return (vec![c], Vec::new(), Vec::new(), Vec::new(), Vec::new());
        };
        let chains = cs
            .chains
            .iter()
            .map(|c| Chain::new(c.confirmations, c.feerates.clone()))
            .collect();
        let rngs = cs.chains[1..]
            .iter()
            .map(|c| rng::stream(seed, &format!("chain:{}", c.name)))
            .collect();
        let k = cs.chains.len();
        let mut excl = vec![Vec::new(); k];
        let mut funds = vec![[Msat::ZERO; 3]; k];
        for (i, &ck) in cs.chan_chain.iter().enumerate() {
            let c = ChannelId(i as u32);
            funds[ck as usize][0] += net.chan(c).capacity();
            for (j, e) in excl.iter_mut().enumerate() {
                if j != ck as usize {
                    e.push((c, 0));
                    e.push((c, 1));
                }
            }
        }
        (chains, rngs, cs.chan_chain.clone(), excl, funds)
    }

    /// The chain channel `c` belongs to (0 in a single-chain run).
    pub(super) fn chain_of(&self, c: ChannelId) -> usize {
        self.chan_chain.get(c.idx()).map_or(0, |&k| k as usize)
    }

    /// The home chain of node `v` (0 in a single-chain run).
    pub(super) fn home_of(&self, v: NodeId) -> usize {
        self.p
            .chains
            .as_ref()
            .and_then(|cs| cs.home.get(v.idx()))
            .map_or(0, |&k| k as usize)
    }

    /// The fee of a transaction of the size `size` picks, on chain `k`, submitted now.
    pub(super) fn fee_on(&self, k: usize, size: fn(&TxSizes) -> u64, now: SimTime) -> Msat {
        let sizes = match &self.p.chains {
            Some(cs) => &cs.chains[k].tx_sizes,
            None => &self.p.tx_sizes,
        };
        self.chains[k].fee_for(size(sizes), now)
    }

    /// Transactions confirmed so far, over every chain.
    pub(super) fn confirmed_count(&self) -> u64 {
        self.chains.iter().map(|c| c.confirmed_count).sum()
    }

    /// Money enters (`out = false`) or leaves the channels of chain `k`: the topped-up and
    /// withdrawn totals, and the funds identity of that chain's asset.
    pub(super) fn funds_moved(&mut self, k: usize, amount: Msat, out: bool) {
        if out {
            self.acct.totals.withdrawn += amount;
        } else {
            self.acct.totals.topped_up += amount;
        }
        if let Some(f) = self.asset_funds.get_mut(k) {
            f[1 + out as usize] += amount;
        }
    }

    /// Time to the next block of chain `k`: exponential with its mean interval.
    pub(super) fn block_delay(&mut self, k: usize) -> SimDuration {
        let interval = match &self.p.chains {
            Some(cs) => cs.chains[k].block_interval,
            None => self.p.block_interval,
        };
        let mean = interval.secs_f64().max(1e-6);
        let r = if k == 0 {
            &mut self.rngs.chain
        } else {
            &mut self.chain_rngs[k - 1]
        };
        let s = Exp::new(1.0 / mean).map(|d| d.sample(r)).unwrap_or(mean);
        SimDuration::from_secs_f64(s).max(SimDuration(1))
    }

    /// `node` submits a transaction paying `fee` on chain `k`; it confirms after that
    /// chain's confirmations ([`Engine::apply_tx`]).
    pub(super) fn submit_tx(
        &mut self,
        now: SimTime,
        k: usize,
        node: NodeId,
        kind: TxKind,
        fee: Msat,
        tag: u64,
    ) {
        self.acct.totals.onchain_fees += fee;
        if let Some(c) = self.acct.totals.chains.get_mut(k) {
            c.fees += fee;
        }
        self.acct.record_cost(node, fee);
        match kind {
            TxKind::SpliceIn { chan, .. }
            | TxKind::SpliceOut { chan, .. }
            | TxKind::SwapIn { chan, .. }
            | TxKind::SwapOut { chan, .. }
            | TxKind::CrossSwapIn { chan, .. }
            | TxKind::CrossSwapOut { to_chan: chan, .. }
            | TxKind::Close { chan, .. } => self.attribute_cost(node, chan, fee),
            // Opens: the channel does not exist yet; disputes: not rebalancing.
            TxKind::Open { .. } | TxKind::Dispute { .. } => {}
        }
        self.chains[k].submit(node, kind, fee, now, tag);
    }

    /// A block: confirmed transactions take effect, the security model acts, the
    /// strategy hears of it.
    pub(super) fn on_block(
        &mut self,
        now: SimTime,
        k: usize,
        rec: &mut dyn Recorder,
    ) -> Result<(), InvariantViolation> {
        let before = self.chains[k].confirmed_count;
        let done = self.chains[k].mine();
        if let Some(c) = self.acct.totals.chains.get_mut(k) {
            c.txs += self.chains[k].confirmed_count - before;
        }
        self.acct.totals.onchain_txs = self
            .confirmed_count()
            .saturating_sub(self.acct.onchain_base);
        for tx in done {
            self.apply_tx(now, k, tx, rec)?;
        }
        self.sec_block(now, k);
        let height = self.chains[k].height;
        // Strategies hear of the blocks of the first chain (their `View` shows its
        // height and fee rate).
        if k == 0 {
            self.notify(Observation::Block { height }, rec)?;
        }
        let d = self.block_delay(k);
        self.q.schedule(now + d, Ev::Block { chain: k as u8 });
        Ok(())
    }

    /// A confirmed transaction takes effect.
    fn apply_tx(
        &mut self,
        now: SimTime,
        k: usize,
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
                        self.funds_moved(k, amount, false);
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
            TxKind::CrossSwapOut { to_chan, amount } => {
                // Settled on the paying chain: the payout follows on the other chain.
                self.cross_swap_payout(now, tx.node, to_chan, amount, tx.tag);
                return Ok(());
            }
            TxKind::CrossSwapIn { chan, amount } => {
                ok = self.cross_swap_in(now, k, tx.node, chan, amount);
            }
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
                self.opened_on(k);
                self.funds_moved(k, spec.capacity, false);
                self.acct.capital_in(now, spec.nodes[0], spec.capacity);
                self.acct.totals.channels_opened += 1;
            }
            TxKind::Close { chan, .. } => {
                let ch = self.ledger.net().chan(chan);
                if ch.inflight(0).0 + ch.inflight(1).0 > 0 {
                    // HTLCs still in flight: take effect at a later block.
                    self.chains[k].defer(tx);
                    return Ok(());
                }
                let cap = ch.capacity();
                let payouts = [(ch.node(0), ch.balance(0)), (ch.node(1), ch.balance(1))];
                for (v, b) in payouts {
                    self.acct.capital_out(now, v, b);
                }
                self.ledger.set_status(chan, ChannelStatus::Closed);
                self.funds_moved(k, cap, true);
                self.acct.totals.channels_closed += 1;
            }
            TxKind::Dispute { dispute } => {
                // Security model: opaque to strategies (no `ChainDone`).
                self.sec_tx(now, k, dispute, tx.included);
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

impl<'t> Engine<'t> {
    /// A channel just opened on chain `k` (multi-chain runs: it joins that chain, and the
    /// other chains' routes exclude it).
    fn opened_on(&mut self, k: usize) {
        if self.chan_chain.is_empty() {
            return;
        }
        let c = ChannelId(self.chan_chain.len() as u32);
        self.chan_chain.push(k as u8);
        for (j, e) in self.chain_excl.iter_mut().enumerate() {
            if j != k {
                e.push((c, 0));
                e.push((c, 1));
            }
        }
    }
}
