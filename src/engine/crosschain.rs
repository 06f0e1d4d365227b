//! Payments across chains (runs with several `[[chain]]` tables only).
//!
//! Every route stays on one chain: a payment between nodes of the same home chain (and
//! every rebalance, swap and probe-free strategy payment) is searched with the other
//! chains' channels excluded. A workload payment between nodes of different home chains
//! is a cross-chain payment: for every gateway the sender finds the gateway's route to
//! the receiver on the receiver's chain (it carries the amount, in the receiver's asset)
//! and its own route to the gateway on its chain, carrying what the gateway quotes
//! ([`crate::chain::multi::quote_in`]: the outgoing amount at the current rates plus the
//! spread). The gateway's incoming HTLC expires `cltv_delta` blocks of the sender's chain
//! after the hand-over; a gateway whose outgoing route would expire, in wall-clock time,
//! less than `safety_margin_s` before that is refused ([`timelock_safe`]). The cheapest
//! safe gateway wins; the two routes are one attempt whose hops lock, settle and fail back
//! like any other, with one hash.
//!
//! At the hand-over the gateway checks the rates again: if the value it would send
//! exceeds the value it receives (the rate moved against it by more than its spread), an
//! adversarial gateway (`free_option = true`) lets the HTLC time out: it fails it back
//! only at the payment's deadline ([`FailureReason::FreeOption`]); an honest one forwards
//! and takes the loss.

use super::payment::{CrossHop, Purpose};
use super::{Engine, Ev, InvariantViolation};
use crate::chain::multi::{quote_in, value_ref};
use crate::metrics::{FailureReason, Recorder};
use crate::routing::crosschain::{route_cltv, timelock_safe};
use crate::routing::pathfinder::RouteCtx;
use crate::routing::{Hop, RouteRequest, RouterParams};
use crate::topology::{ChannelId, NodeId};
use crate::units::{Msat, SimTime};

impl<'t> Engine<'t> {
    /// The exclusions of a route on chain `k`: the payment's own plus every edge of the
    /// other chains.
    pub(super) fn chain_exclusions(
        &self,
        own: &[(ChannelId, u8)],
        k: usize,
    ) -> Vec<(ChannelId, u8)> {
        let mut v = Vec::with_capacity(own.len() + self.chain_excl[k].len());
        v.extend_from_slice(own);
        v.extend_from_slice(&self.chain_excl[k]);
        v
    }

    /// The chain a one-chain payment's route must stay on: that of its forced first or
    /// last hop, else its sender's home.
    pub(super) fn route_chain(
        &self,
        first: Option<ChannelId>,
        last: Option<ChannelId>,
        sender: NodeId,
    ) -> usize {
        match (first, last) {
            (Some(c), _) | (None, Some(c)) => self.chain_of(c),
            _ => self.home_of(sender),
        }
    }

    /// Is payment `(purpose, sender, receiver)` a cross-chain payment?
    pub(super) fn is_cross(&self, purpose: Purpose, sender: NodeId, receiver: NodeId) -> bool {
        self.p.chains.is_some()
            && purpose == Purpose::Workload
            && self.home_of(sender) != self.home_of(receiver)
    }

    /// Rates of chains `ka` and `kb` now, ppb of the reference unit.
    pub(super) fn rates(&self, now: SimTime, ka: usize, kb: usize) -> (u64, u64) {
        match &self.p.chains {
            Some(cs) => (cs.chains[ka].rate_at(now), cs.chains[kb].rate_at(now)),
            None => (1, 1),
        }
    }

    /// Finds the route of cross-chain payment `pid` (both legs, joined at the cheapest
    /// safe gateway) into `self.route_buf`. Returns the gateway's hand-over, or the reason
    /// no route exists.
    pub(super) fn cross_route(
        &mut self,
        now: SimTime,
        pid: u32,
    ) -> Result<CrossHop, FailureReason> {
        let Some(cs) = self.p.chains.clone() else {
            return Err(FailureReason::NoRoute);
        };
        let Some(x) = &cs.cross else {
            return Err(FailureReason::NoRoute);
        };
        let pay = self.book.pay(pid);
        let (s, r, amount) = (pay.sender, pay.receiver, pay.amount);
        let (ka, kb) = (self.home_of(s), self.home_of(r));
        let excl_a = self.chain_exclusions(&pay.exclude, ka);
        let excl_b = self.chain_exclusions(&pay.exclude, kb);
        let (ra, rb) = self.rates(now, ka, kb);
        let leg_a_params = RouterParams {
            final_cltv: x.cltv_delta,
            ..self.p.router.clone()
        };
        let mut best: Option<(Msat, Vec<Hop>, CrossHop)> = None;
        let mut unsafe_seen = false;
        let mut leg_b = Vec::new();
        let mut leg_a = Vec::new();
        for g in (0..cs.gateway.len()).filter(|&g| cs.gateway[g]) {
            let g = NodeId(g as u32);
            if g == s || g == r {
                continue;
            }
            let mc = self.mc.entries(s);
            let ctx = RouteCtx {
                net: self.ledger.net(),
                mc,
                now,
                params: &self.p.router,
            };
            let req = RouteRequest {
                exclude: &excl_b,
                ..RouteRequest::new(g, r, amount)
            };
            if self.router.find_route(&ctx, &req, &mut leg_b).is_err() {
                continue;
            }
            let out_cltv = route_cltv(self.ledger.net(), &leg_b, self.p.router.final_cltv);
            let safe = timelock_safe(
                x.cltv_delta,
                cs.chains[ka].block_interval,
                out_cltv,
                cs.chains[kb].block_interval,
                x.safety_margin,
            );
            if !safe {
                unsafe_seen = true;
                continue;
            }
            let want = quote_in(leg_b[0].amount, rb, ra, x.spread_ppm);
            let ctx = RouteCtx {
                params: &leg_a_params,
                ..ctx
            };
            let req = RouteRequest {
                exclude: &excl_a,
                ..RouteRequest::new(s, g, want)
            };
            if self.router.find_route(&ctx, &req, &mut leg_a).is_err() {
                continue;
            }
            let total = leg_a[0].amount;
            if best.as_ref().is_none_or(|(t, _, _)| total < *t) {
                let hand = CrossHop {
                    gw_hop: leg_a.len() as u16,
                    chains: [ka as u8, kb as u8],
                    locked_ref: 0,
                };
                let mut route = std::mem::take(&mut leg_a);
                route.extend_from_slice(&leg_b);
                best = Some((total, route, hand));
            }
        }
        match best {
            Some((_, route, hand)) => {
                self.route_buf = route;
                Ok(hand)
            }
            None if unsafe_seen => Err(FailureReason::TimelockUnsafe),
            None => Err(FailureReason::NoRoute),
        }
    }

    /// The gateway at the end of hop `hop` is asked to hand attempt `att` over to the
    /// next chain. Returns `true` if it forwards; `false` if it declined (the free option:
    /// the HTLC is failed back at the deadline).
    pub(super) fn gateway_hand_over(&mut self, now: SimTime, att: u32, hop: u16) -> bool {
        let a = &self.book.attempts[att as usize];
        let Some(h) = a.cross else { return true };
        if hop + 1 != h.gw_hop {
            return true;
        }
        let (ka, kb) = (h.chains[0] as usize, h.chains[1] as usize);
        let (ra, rb) = self.rates(now, ka, kb);
        let vin = value_ref(a.route[hop as usize].amount, ra);
        let vout = value_ref(a.route[hop as usize + 1].amount, rb);
        let adversarial = self
            .p
            .chains
            .as_ref()
            .and_then(|c| c.cross.as_ref())
            .is_some_and(|x| x.free_option);
        if vout > vin && adversarial {
            let x = &mut self.acct.totals.cross;
            x.free_option_declines += 1;
            x.free_option_gain_ref += (vout - vin) as i64;
            let pid = a.pay;
            let deadline = self.book.pay(pid).deadline.max(now);
            self.book.attempts[att as usize].failure = Some((FailureReason::FreeOption, hop + 1));
            self.q.schedule(deadline, Ev::FailBack { att, hop });
            return false;
        }
        true
    }

    /// The gateway's outgoing HTLC of attempt `att` is locked: its value (reference msat)
    /// counts in the gateways' exposure until it settles or fails back.
    pub(super) fn gateway_locked(&mut self, now: SimTime, att: u32, next_hop: u16) {
        let a = &self.book.attempts[att as usize];
        let Some(h) = a.cross else { return };
        if next_hop != h.gw_hop {
            return;
        }
        let (_, rb) = self.rates(now, h.chains[0] as usize, h.chains[1] as usize);
        let v = value_ref(a.route[next_hop as usize].amount, rb) as i64;
        self.gateway_exposure += v;
        let x = &mut self.acct.totals.cross;
        x.gateway_exposure_max_ref = x.gateway_exposure_max_ref.max(self.gateway_exposure);
        if let Some(c) = self.book.attempts[att as usize].cross.as_mut() {
            c.locked_ref = v;
        }
    }

    /// Hop `hop` of attempt `att` settled or failed back: if it is the gateway's outgoing
    /// HTLC, it leaves the exposure; settled, the gateway earns incoming value − outgoing
    /// value at the rates now (a loss if the rate moved against it beyond its spread).
    pub(super) fn gateway_released(&mut self, now: SimTime, att: u32, hop: u16, settled: bool) {
        let a = &self.book.attempts[att as usize];
        let Some(h) = a.cross else { return };
        if hop != h.gw_hop {
            return;
        }
        self.gateway_exposure -= h.locked_ref;
        if settled {
            let (ra, rb) = self.rates(now, h.chains[0] as usize, h.chains[1] as usize);
            let vin = value_ref(a.route[hop as usize - 1].amount, ra) as i64;
            let vout = value_ref(a.route[hop as usize].amount, rb) as i64;
            let x = &mut self.acct.totals.cross;
            x.gateway_revenue_ref += vin - vout;
            if vout > vin {
                x.gateway_fx_loss_ref += vout - vin;
            }
        }
    }

    /// Starts (or retries) cross-chain payment `pid` now: like a one-chain attempt, with
    /// the route of [`Engine::cross_route`].
    pub(super) fn start_cross_attempt(
        &mut self,
        now: SimTime,
        pid: u32,
        rec: &mut dyn Recorder,
    ) -> Result<(), InvariantViolation> {
        let hand = match self.cross_route(now, pid) {
            Ok(h) => h,
            Err(reason) => {
                let reason = self.book.pay(pid).last_reason.unwrap_or(reason);
                return self.finish(now, pid, false, Some(reason), Msat::ZERO, rec);
            }
        };
        let first = self.route_buf[0];
        let hops = self.route_buf.len() as u16;
        {
            let pay = self.book.pay_mut(pid);
            pay.attempts += 1;
            pay.last_hops = hops;
        }
        if self
            .ledger
            .lock(first.chan, first.dir as usize, first.amount)
            .is_err()
        {
            return Err(InvariantViolation {
                time: now,
                what: format!("sender could not lock its own first hop {:?}", first),
            });
        }
        let att = self.book.new_attempt(pid, &mut self.route_buf);
        self.book.attempts[att as usize].cross = Some(hand);
        let d = self.latency();
        self.q.schedule(now + d, Ev::Arrive { att, hop: 0 });
        Ok(())
    }

    /// The fee a cross-chain payment's sender paid, in its own asset: what it sent less
    /// the amount's value at mid rate (both legs' routing fees and the spread).
    pub(super) fn cross_fee(
        &self,
        now: SimTime,
        total: Msat,
        amount: Msat,
        chains: [u8; 2],
    ) -> Msat {
        let (ra, rb) = self.rates(now, chains[0] as usize, chains[1] as usize);
        total.saturating_sub(crate::chain::multi::convert(amount, rb, ra))
    }
}

/// What a cross-chain swap pays out on the receiving chain for `amount` paid (asset worth
/// `from_ppb`): the amount less the provider's fee (`fee_ppm` of it, in the paying asset),
/// converted at mid rate into the asset worth `to_ppb` and less the spread, rounded down
/// (in the provider's favour). Returns `(payout, provider fee)`.
///
/// Example: 1,000,000 msat at rate 1 into an asset at rate 0.5, fee 5,000 ppm, spread
/// 10,000 ppm: fee 5,000, payout ⌊995,000 · 2 · 0.99⌋ = 1,970,100 msat.
pub fn cross_swap_quote(
    amount: Msat,
    from_ppb: u64,
    to_ppb: u64,
    fee_ppm: u64,
    spread_ppm: u32,
) -> (Msat, Msat) {
    let fee = amount.mul_ppm(fee_ppm);
    let net = amount.saturating_sub(fee);
    let keep = 1_000_000 - spread_ppm.min(1_000_000) as u128;
    let v = net.0 as u128 * from_ppb as u128 * keep / (to_ppb.max(1) as u128 * 1_000_000);
    (Msat(v.min(u64::MAX as u128) as u64), fee)
}

impl<'t> Engine<'t> {
    /// The off-chain leg of a cross-chain swap settled: `pay.amount` reached the provider
    /// over `from` (routing fee `fee`). The provider quotes the payout at the rates now
    /// ([`cross_swap_quote`], spread of `[cross_chain]`, fee of `[swap]`) and the swap
    /// settles on `from`'s chain: a swap transaction whose fee the node pays.
    pub(super) fn cross_swap_paid(
        &mut self,
        now: SimTime,
        pay: &super::payment::Pay,
        fee: Msat,
        tag: u64,
        from: ChannelId,
        to: ChannelId,
    ) {
        let (ka, kb) = (self.chain_of(from), self.chain_of(to));
        let (ra, rb) = self.rates(now, ka, kb);
        let spread = self
            .p
            .chains
            .as_ref()
            .and_then(|c| c.cross.as_ref())
            .map_or(0, |x| x.spread_ppm);
        let (out, swap_fee) = cross_swap_quote(pay.amount, ra, rb, self.p.swap.fee_ppm, spread);
        let node = pay.sender;
        self.acct.totals.swap_fees += swap_fee;
        self.acct.record_cost(node, swap_fee + fee);
        self.attribute_cost(node, to, swap_fee + fee);
        self.acct.capital_out(now, node, pay.amount);
        self.acct.totals.swaps += 1;
        let chain_fee = self.fee_on(ka, |s| s.swap, now);
        self.submit_tx(
            now,
            ka,
            node,
            crate::chain::TxKind::CrossSwapOut {
                to_chan: to,
                amount: out,
            },
            chain_fee,
            tag,
        );
    }

    /// A cross-chain swap confirmed on its paying chain: the provider pays `amount` out on
    /// `to`'s chain, spliced into `node`'s side of `to` (a splice transaction, fee paid by
    /// the node).
    pub(super) fn cross_swap_payout(
        &mut self,
        now: SimTime,
        node: NodeId,
        to: ChannelId,
        amount: Msat,
        tag: u64,
    ) {
        let kb = self.chain_of(to);
        let fee = self.fee_on(kb, |s| s.splice, now);
        let kind = crate::chain::TxKind::CrossSwapIn { chan: to, amount };
        self.submit_tx(now, kb, node, kind, fee, tag);
    }

    /// A cross-chain swap's payout confirmed on chain `k`: `amount` enters `node`'s side of
    /// `chan` if it is still open (else it stays on chain with the node). Returns whether
    /// it entered.
    pub(super) fn cross_swap_in(
        &mut self,
        now: SimTime,
        k: usize,
        node: NodeId,
        chan: ChannelId,
        amount: Msat,
    ) -> bool {
        let ch = self.ledger.net().chan(chan);
        let Some(d) = ch.side_of(node) else {
            return false;
        };
        if ch.status() != crate::network::ChannelStatus::Open {
            return false;
        }
        self.ledger.deposit(chan, d, amount);
        self.funds_moved(k, amount, false);
        self.acct.capital_in(now, node, amount);
        let rate = self.rates(now, k, k).0;
        let x = &mut self.acct.totals.cross;
        x.swaps += 1;
        x.swapped_ref += value_ref(amount, rate) as i64;
        true
    }
}
