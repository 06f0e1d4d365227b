//! The payment life cycle: a payment arrives (from the workload, a strategy or a swap),
//! its sender searches a route and locks the first hop; each hop's HTLC is locked by the
//! node it reaches, or failed back; at the receiver it settles and the settlement travels
//! back; a failure reaching the sender feeds its mission control and the payment retries.
//! Just-in-time holds park an HTLC while its node rebalances.

use super::{Engine, Ev, InvariantViolation};
use crate::chain::TxKind;
use crate::metrics::{FailureReason, PaymentKind, PaymentRecord, Recorder};
use crate::network::{ChannelStatus, OfferRefusal};
use crate::routing::pathfinder::RouteCtx;
use crate::routing::{self as router, Hop, JoinRule, McEntry, NoRoute, RouteRequest};
use crate::strategy::{common, Join, Observation};
use crate::topology::{ChannelId, NodeId};
use crate::units::{Msat, SimTime};
use rand::Rng;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Purpose {
    /// A workload payment.
    Workload,
    /// A strategy's circular rebalance (reported back with its tag).
    Rebalance { tag: u64 },
    /// A rebalance on behalf of a held HTLC (just-in-time).
    JustInTime { hold: u32 },
    /// The off-chain leg of a loop-out to the swap provider.
    SwapOut { tag: u64, chan: ChannelId },
    /// The provider's off-chain payment completing a loop-in.
    SwapIn { tag: u64, user: NodeId },
    /// The off-chain leg of a cross-chain swap, out over `from` to the swap provider.
    CrossSwap {
        tag: u64,
        from: ChannelId,
        to: ChannelId,
    },
}

#[derive(Debug, Clone)]
pub(super) struct Pay {
    pub(super) id: u64,
    pub(super) purpose: Purpose,
    pub(super) sender: NodeId,
    pub(super) receiver: NodeId,
    pub(super) amount: Msat,
    pub(super) created: SimTime,
    pub(super) deadline: SimTime,
    pub(super) attempts: u32,
    pub(super) max_attempts: u32,
    pub(super) max_fee: Option<Msat>,
    pub(super) first_hop: Option<ChannelId>,
    pub(super) last_hop: Option<ChannelId>,
    pub(super) exclude: Vec<(ChannelId, u8)>,
    pub(super) last_reason: Option<FailureReason>,
    pub(super) last_hops: u16,
    pub(super) infeasible: bool,
    /// Strategy rebalances only: the longest cycle allowed (route hops), `None` for the
    /// router's limit.
    pub(super) max_hops: Option<u8>,
    /// Strategy rebalances only: participating forwarders waive their fees.
    pub(super) fee_free: bool,
    /// Strategy rebalances only: which intermediaries agree to forward it.
    pub(super) join: Join,
    /// Workload payments of a pinned flow: its index.
    pub(super) flow: Option<u16>,
    /// A multi-part payment's state (workload payments with `[routing] mpp` only).
    pub(super) mpp: Option<MppState>,
}

/// An atomic multi-part payment in progress. Invariant: the amounts of the live parts plus
/// `remaining` make up the payment's amount.
#[derive(Debug, Clone, Default)]
pub(super) struct MppState {
    /// Not yet sent (or failed back and to be sent again).
    pub(super) remaining: Msat,
    /// Largest part the sender tries now (halved when no route carries it).
    pub(super) max_shard: Msat,
    /// Parts whose HTLCs are locked somewhere (travelling, held or settling).
    pub(super) live: u32,
    pub(super) failed: u32,
    pub(super) settled: u32,
    /// Delivered amount the receiver holds, and the held parts' attempts.
    pub(super) held: Msat,
    pub(super) held_atts: Vec<u32>,
    /// Fees of the settled parts.
    pub(super) fee: Msat,
    /// The flow router planned the payment already.
    pub(super) planned: bool,
    /// The total arrived: every held part is settling.
    pub(super) settling: bool,
    /// No more parts will be sent (deadline, attempts, no route, MPP timeout).
    pub(super) stopped: bool,
    /// Edges that failed a part of this payment, with the part's amount: excluded from
    /// the searches of parts at least that large (smaller parts may still pass).
    pub(super) failed_edges: Vec<(ChannelId, u8, Msat)>,
}

#[derive(Debug, Clone, Default)]
pub(super) struct Attempt {
    pub(super) pay: u32,
    pub(super) route: Vec<Hop>,
    pub(super) failure: Option<(FailureReason, u16)>,
    /// A cross-chain attempt: where its gateway hands it over.
    pub(super) cross: Option<CrossHop>,
}

/// Where a cross-chain attempt changes chains (see `engine/crosschain.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct CrossHop {
    /// The first hop on the receiver's chain (sent by the gateway).
    pub(super) gw_hop: u16,
    /// Sender's and receiver's chains.
    pub(super) chains: [u8; 2],
    /// Value of the gateway's outgoing HTLC when it locked it, reference msat.
    pub(super) locked_ref: i64,
}

#[derive(Debug, Clone)]
pub(super) struct Hold {
    pub(super) att: u32,
    /// The HTLC arrived over hop `hop`; the node wants to forward over `hop + 1`.
    pub(super) hop: u16,
    pub(super) node: NodeId,
    /// The HTLC is parked, waiting for its rebalance.
    pub(super) active: bool,
    /// A strategy took the hold (even if it was already released again).
    pub(super) taken: bool,
}

/// Live payments, their attempts and the just-in-time holds: slots reused through free
/// lists, so the steady state allocates nothing per payment.
#[derive(Default)]
pub(super) struct PaymentBook {
    pays: Vec<Option<Pay>>,
    free_pays: Vec<u32>,
    pub(super) attempts: Vec<Attempt>,
    free_attempts: Vec<u32>,
    pub(super) holds: Vec<Hold>,
    next_pay_id: u64,
}

impl PaymentBook {
    /// Stores a new payment, giving it the next id; returns its slot.
    pub(super) fn new_pay(&mut self, mut pay: Pay) -> u32 {
        pay.id = self.next_pay_id;
        self.next_pay_id += 1;
        match self.free_pays.pop() {
            Some(i) => {
                self.pays[i as usize] = Some(pay);
                i
            }
            None => {
                self.pays.push(Some(pay));
                self.pays.len() as u32 - 1
            }
        }
    }

    pub(super) fn pay(&self, pid: u32) -> &Pay {
        self.pays[pid as usize].as_ref().expect("live payment")
    }

    /// The payment in slot `pid`, if the slot is live.
    pub(super) fn pay_opt(&self, pid: u32) -> Option<&Pay> {
        self.pays.get(pid as usize).and_then(|p| p.as_ref())
    }

    pub(super) fn pay_mut(&mut self, pid: u32) -> &mut Pay {
        self.pays[pid as usize].as_mut().expect("live payment")
    }

    /// Removes a final payment and frees its slot.
    pub(super) fn take_pay(&mut self, pid: u32) -> Pay {
        let pay = self.pays[pid as usize].take().expect("live payment");
        self.free_pays.push(pid);
        pay
    }

    /// A new attempt of payment `pid` over the route in `route` (swapped in; `route` gets
    /// the attempt slot's old buffer back).
    pub(super) fn new_attempt(&mut self, pid: u32, route: &mut Vec<Hop>) -> u32 {
        let mut r = std::mem::take(route);
        match self.free_attempts.pop() {
            Some(i) => {
                let a = &mut self.attempts[i as usize];
                std::mem::swap(&mut a.route, &mut r);
                *route = r;
                a.pay = pid;
                a.failure = None;
                a.cross = None;
                i
            }
            None => {
                self.attempts.push(Attempt {
                    pay: pid,
                    route: r,
                    failure: None,
                    cross: None,
                });
                self.attempts.len() as u32 - 1
            }
        }
    }

    pub(super) fn free_attempt(&mut self, att: u32) {
        self.free_attempts.push(att);
    }
}

impl<'t> Engine<'t> {
    pub(super) fn schedule_next_arrival(&mut self) {
        match self.workload.peek_time() {
            Some(t) => {
                let t = t.max(self.q.now());
                self.q.schedule(t, Ev::Arrival)
            }
            None => self.arrivals_done = true,
        }
    }

    pub(super) fn on_arrival(
        &mut self,
        now: SimTime,
        rec: &mut dyn Recorder,
    ) -> Result<(), InvariantViolation> {
        let Some((a, flow)) = self.workload.next_tagged() else {
            self.arrivals_done = true;
            return Ok(());
        };
        self.schedule_next_arrival();
        if let Some(f) = self.workload.progress() {
            if self.workload.emitted().is_multiple_of(512) {
                rec.progress(f);
            }
        }
        let infeasible = self.is_infeasible(a.sender, a.receiver, a.amount);
        self.pending_workload += 1;
        // Cross-chain payments are single-part.
        let cross = self.is_cross(Purpose::Workload, a.sender, a.receiver);
        let pay = Pay {
            infeasible,
            mpp: self.p.mpp.filter(|_| !cross).map(|_| MppState {
                remaining: a.amount,
                max_shard: a.amount,
                ..MppState::default()
            }),
            flow,
            ..self.new_payment(Purpose::Workload, a.sender, a.receiver, a.amount)
        };
        let pid = self.book.new_pay(pay);
        self.start_attempt(now, pid, rec)
    }

    /// Sender's total spendable or receiver's total inbound is below the amount.
    fn is_infeasible(&self, s: NodeId, r: NodeId, amount: Msat) -> bool {
        let mut out = Msat::ZERO;
        for c in self.ledger.net().channels_of(s) {
            let ch = self.ledger.net().chan(c);
            if let (ChannelStatus::Open, Some(d)) = (ch.status(), ch.side_of(s)) {
                out += ch.spendable(d);
            }
        }
        let mut inb = Msat::ZERO;
        for c in self.ledger.net().channels_of(r) {
            let ch = self.ledger.net().chan(c);
            if let (ChannelStatus::Open, Some(d)) = (ch.status(), ch.side_of(r)) {
                inb += ch.spendable(1 - d);
            }
        }
        out < amount || inb < amount
    }

    /// Starts (or retries) payment `pid` now.
    pub(super) fn start_attempt(
        &mut self,
        now: SimTime,
        pid: u32,
        rec: &mut dyn Recorder,
    ) -> Result<(), InvariantViolation> {
        if self.book.pay(pid).mpp.is_some() {
            return self.mpp_dispatch(now, pid, rec);
        }
        let max_attempts = self.max_attempts(pid);
        let pay = self.book.pay(pid);
        if now > pay.deadline {
            let reason = pay.last_reason.unwrap_or(FailureReason::Timeout);
            let reason = if pay.attempts > 0 {
                FailureReason::Timeout
            } else {
                reason
            };
            return self.finish(now, pid, false, Some(reason), Msat::ZERO, rec);
        }
        if pay.attempts >= max_attempts {
            let r = pay.last_reason;
            return self.finish(now, pid, false, r, Msat::ZERO, rec);
        }
        if self.is_cross(pay.purpose, pay.sender, pay.receiver) {
            return self.start_cross_attempt(now, pid, rec);
        }
        // Several chains: the route stays on one chain.
        let chain_excl;
        let exclude: &[(ChannelId, u8)] = if self.chain_excl.is_empty() {
            &pay.exclude
        } else {
            let k = self.route_chain(pay.first_hop, pay.last_hop, pay.sender);
            chain_excl = self.chain_exclusions(&pay.exclude, k);
            &chain_excl
        };
        // Cooperative rebalancing: each intermediary decides on its own channels (its node
        // share ν computed once per node in a row, as the search asks about all in-edges
        // of one node together).
        let net = self.ledger.net();
        let part = &self.participates[..];
        let participants_only = matches!(
            pay.join,
            Join::NotWorse {
                participants_only: true
            }
        );
        let last_nu = std::cell::Cell::new((u32::MAX, 0.0f64));
        let rule = |v: NodeId, cin: ChannelId, cout: ChannelId, a: Msat| -> bool {
            if !part.get(v.idx()).copied().unwrap_or(false) {
                return !participants_only;
            }
            let nu = match last_nu.get() {
                (x, nu) if x == v.0 => nu,
                _ => {
                    let nu = common::node_share(net, v);
                    last_nu.set((v.0, nu));
                    nu
                }
            };
            common::joins(net, v, cin, cout, a, nu)
        };
        let req = RouteRequest {
            source: pay.sender,
            target: pay.receiver,
            amount: pay.amount,
            first_hop: pay.first_hop,
            last_hop: pay.last_hop,
            exclude,
            max_fee: pay.max_fee,
            avoid: None,
            // Fee-free rebalancing: participants forward it without a fee, priced so
            // during the search (limits are checked on the amounts actually locked).
            fee_free: pay.fee_free.then_some(&self.participates[..]),
            join: match pay.join {
                Join::Anyone => None,
                Join::NotWorse { .. } => Some(JoinRule(&rule)),
            },
        };
        let mc = self.mc.entries(pay.sender);
        // A strategy rebalance may set its own cycle length, replacing the router's
        // `max_hops` for this payment only. The router counts the hops searched after the
        // forced first hop, so a cycle of `h` hops is a search limit of `h - 1`.
        // `RouterParams` is plain data (no heap): the copy is cheap and only made here.
        let limited;
        let rp = match pay.max_hops {
            Some(h) => {
                limited = router::RouterParams {
                    max_hops: h.saturating_sub(1),
                    ..self.p.router.clone()
                };
                &limited
            }
            None => &self.p.router,
        };
        let ctx = RouteCtx {
            net: self.ledger.net(),
            mc,
            now,
            params: rp,
        };
        let found = self.router.find_route(&ctx, &req, &mut self.route_buf);
        match found {
            Err(e) => {
                let pay = self.book.pay(pid);
                let reason = pay.last_reason.unwrap_or(match e {
                    NoRoute::NoPath => FailureReason::NoRoute,
                    NoRoute::FeeLimit => FailureReason::FeeLimit,
                });
                self.finish(now, pid, false, Some(reason), Msat::ZERO, rec)
            }
            Ok(_fee) => {
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
                    // The router checked the sender's own balance; this cannot happen.
                    return Err(InvariantViolation {
                        time: now,
                        what: format!("sender could not lock its own first hop {:?}", first),
                    });
                }
                let att = self.book.new_attempt(pid, &mut self.route_buf);
                let d = self.latency();
                self.q.schedule(now + d, Ev::Arrive { att, hop: 0 });
                Ok(())
            }
        }
    }

    /// The node at the end of a hop: route[hop] goes from `from_node(hop)` to `to_node(hop)`.
    fn to_node(&self, h: &Hop) -> NodeId {
        self.ledger.net().chan(h.chan).node(1 - h.dir as usize)
    }

    pub(super) fn on_arrive(
        &mut self,
        now: SimTime,
        att: u32,
        hop: u16,
        rec: &mut dyn Recorder,
    ) -> Result<(), InvariantViolation> {
        let a = &self.book.attempts[att as usize];
        let k = hop as usize;
        if k + 1 == a.route.len() {
            // At the receiver.
            let pid = a.pay;
            let pay = self.book.pay(pid);
            if pay.purpose == Purpose::Workload && now > pay.deadline {
                return self.start_fail_back(now, att, hop, FailureReason::Timeout, hop);
            }
            if pay.mpp.is_some() {
                return self.mpp_hold(now, att, hop);
            }
            let d = self.latency();
            self.q.schedule(now + d, Ev::Settle { att, hop });
            return Ok(());
        }
        self.try_forward(now, att, hop, rec)
    }

    /// The node at the end of hop `hop` forwards over hop `hop + 1`.
    fn try_forward(
        &mut self,
        now: SimTime,
        att: u32,
        hop: u16,
        rec: &mut dyn Recorder,
    ) -> Result<(), InvariantViolation> {
        if !self.gateway_hand_over(now, att, hop) {
            return Ok(());
        }
        let a = &self.book.attempts[att as usize];
        let next = a.route[hop as usize + 1];
        let node = self.to_node(&a.route[hop as usize]);
        if self.p.offline_probability > 0.0
            && self.rngs.faults.random::<f64>() < self.p.offline_probability
        {
            return self.start_fail_back(
                now,
                att,
                hop,
                FailureReason::OfflineNode { hop: hop + 1 },
                hop + 1,
            );
        }
        match self.ledger.lock(next.chan, next.dir as usize, next.amount) {
            Ok(()) => {
                self.gateway_locked(now, att, hop + 1);
                let d = self.latency();
                self.q.schedule(now + d, Ev::Arrive { att, hop: hop + 1 });
                Ok(())
            }
            Err(refusal) => {
                if refusal == OfferRefusal::Balance
                    && self.wants_blocked
                    && self.participates[node.idx()]
                {
                    let hold = self.book.holds.len() as u32;
                    self.book.holds.push(Hold {
                        att,
                        hop,
                        node,
                        active: false,
                        taken: false,
                    });
                    self.notify(
                        Observation::ForwardBlocked {
                            node,
                            chan: next.chan,
                            amount: next.amount,
                            hold: hold as u64,
                        },
                        rec,
                    )?;
                    // Taken: the HTLC is parked, or was already released (forwarded or
                    // failed back) by a rebalance that ended at once. Either way it is
                    // no longer ours to fail here.
                    if self.book.holds[hold as usize].taken {
                        return Ok(());
                    }
                    self.book.holds.pop();
                }
                if refusal == OfferRefusal::Closed {
                    self.sec_refused_closed(next.chan);
                }
                let reason = match refusal {
                    OfferRefusal::Closed => FailureReason::ChannelClosed { hop: hop + 1 },
                    OfferRefusal::Policy => FailureReason::HtlcPolicy { hop: hop + 1 },
                    OfferRefusal::TooManyHtlcs => FailureReason::HtlcLimit { hop: hop + 1 },
                    OfferRefusal::Balance => FailureReason::NoBalance { hop: hop + 1 },
                };
                self.start_fail_back(now, att, hop, reason, hop + 1)
            }
        }
    }

    /// The node at the end of hop `hop` fails the HTLC back; `failed_hop` is the edge blamed.
    pub(super) fn start_fail_back(
        &mut self,
        now: SimTime,
        att: u32,
        hop: u16,
        reason: FailureReason,
        failed_hop: u16,
    ) -> Result<(), InvariantViolation> {
        self.book.attempts[att as usize].failure = Some((reason, failed_hop));
        let d = self.latency();
        self.q.schedule(now + d, Ev::FailBack { att, hop });
        Ok(())
    }

    pub(super) fn on_fail_back(
        &mut self,
        now: SimTime,
        att: u32,
        hop: u16,
        rec: &mut dyn Recorder,
    ) -> Result<(), InvariantViolation> {
        let h = self.book.attempts[att as usize].route[hop as usize];
        self.ledger.fail(h.chan, h.dir as usize, h.amount);
        self.gateway_released(now, att, hop, false);
        if hop > 0 {
            let d = self.latency();
            self.q.schedule(now + d, Ev::FailBack { att, hop: hop - 1 });
            return Ok(());
        }
        // The sender learns of the failure.
        let a = &self.book.attempts[att as usize];
        let pid = a.pay;
        let (reason, failed_hop) = a.failure.unwrap_or((FailureReason::NoRoute, 0));
        let fh = a.route[failed_hop as usize];
        let sender = self.book.pay(pid).sender;
        if matches!(reason, FailureReason::NoBalance { .. })
            && self.book.pay(pid).purpose == Purpose::Workload
        {
            self.acct.dir(fh.chan, fh.dir as usize).failures += 1;
        }
        // A timeout (or a gateway that let it time out) says nothing about liquidity.
        let timed_out = matches!(reason, FailureReason::Timeout | FailureReason::FreeOption);
        if !timed_out {
            self.mc.record_failure(
                sender,
                McEntry {
                    chan: fh.chan.0,
                    dir: fh.dir,
                    time: now,
                    amount: fh.amount,
                },
                self.p.router.memory,
            );
            self.router.learn_failure(
                self.ledger.net(),
                sender,
                &a.route,
                failed_hop as usize,
                now,
            );
        }
        let part = a.route.last().map(|h| h.amount).unwrap_or(Msat::ZERO);
        self.book.free_attempt(att);
        if let Some(st) = self.book.pay_mut(pid).mpp.as_mut() {
            if !matches!(reason, FailureReason::Timeout) {
                st.failed_edges.push((fh.chan, fh.dir, part));
            }
            return self.mpp_part_failed(now, pid, part, reason, rec);
        }
        let pay = self.book.pay_mut(pid);
        pay.last_reason = Some(reason);
        if timed_out {
            return self.finish(now, pid, false, Some(reason), Msat::ZERO, rec);
        }
        pay.exclude.push((fh.chan, fh.dir));
        self.start_attempt(now, pid, rec)
    }

    pub(super) fn on_settle(
        &mut self,
        now: SimTime,
        att: u32,
        hop: u16,
        rec: &mut dyn Recorder,
    ) -> Result<(), InvariantViolation> {
        let a = &self.book.attempts[att as usize];
        let h = a.route[hop as usize];
        let pid = a.pay;
        let from = self.ledger.net().chan(h.chan).node(h.dir as usize);
        let handed_over = a.cross.is_some_and(|c| c.gw_hop == hop);
        let fee = if handed_over {
            // A gateway's hand-over: it earns the spread, in reference units.
            self.gateway_released(now, att, hop, true);
            Msat::ZERO
        } else if hop > 0 {
            // `from` forwarded: it earns the difference between what it received and sent.
            let prev = a.route[hop as usize - 1];
            let fee = prev.amount - h.amount;
            self.acct.record_revenue(from, fee);
            fee
        } else {
            Msat::ZERO
        };
        let ds = self.acct.dir(h.chan, h.dir as usize);
        ds.forwarded += 1;
        ds.forwarded_volume += h.amount;
        ds.fee_revenue += fee;
        self.ledger.settle(h.chan, h.dir as usize, h.amount);
        if self.wants_balance {
            let to = self.ledger.net().chan(h.chan).node(1 - h.dir as usize);
            for v in [from, to] {
                if self.participates[v.idx()] {
                    self.notify(
                        Observation::BalanceChanged {
                            node: v,
                            chan: h.chan,
                        },
                        rec,
                    )?;
                }
            }
        }
        if hop > 0 {
            let d = self.latency();
            self.q.schedule(now + d, Ev::Settle { att, hop: hop - 1 });
            return Ok(());
        }
        // The sender has the preimage.
        let a = &self.book.attempts[att as usize];
        let sender = self.book.pay(pid).sender;
        self.router
            .learn_success(self.ledger.net(), sender, &a.route, now);
        let total = a.route[0].amount;
        let part = a.route.last().map(|h| h.amount).unwrap_or(Msat::ZERO);
        let cross = a.cross;
        self.book.free_attempt(att);
        if self.book.pay(pid).mpp.is_some() {
            return self.mpp_part_settled(now, pid, total - part, rec);
        }
        let fee = match cross {
            Some(c) => self.cross_fee(now, total, self.book.pay(pid).amount, c.chains),
            None => total - self.book.pay(pid).amount,
        };
        self.finish(now, pid, true, None, fee, rec)
    }

    /// A payment is final: record it and, for strategy payments, report back.
    pub(super) fn finish(
        &mut self,
        now: SimTime,
        pid: u32,
        success: bool,
        reason: Option<FailureReason>,
        fee: Msat,
        rec: &mut dyn Recorder,
    ) -> Result<(), InvariantViolation> {
        let pay = self.book.take_pay(pid);
        let (parts, failed_parts) = match &pay.mpp {
            Some(st) => (st.settled, st.failed),
            None => (success as u32, pay.attempts - success as u32),
        };
        let kind = if pay.purpose == Purpose::Workload {
            PaymentKind::Payment
        } else {
            PaymentKind::Rebalance
        };
        rec.payment(&PaymentRecord {
            id: pay.id,
            kind,
            sender: pay.sender,
            receiver: pay.receiver,
            amount: pay.amount,
            created: pay.created,
            finished: now,
            success,
            reason: if success { None } else { reason },
            attempts: pay.attempts,
            hops: pay.last_hops,
            fee,
            infeasible: pay.infeasible,
            parts,
            failed_parts,
            flow: pay.flow,
        });
        match pay.purpose {
            Purpose::Workload => {
                self.pending_workload -= 1;
                if self.is_cross(pay.purpose, pay.sender, pay.receiver) {
                    self.acct.totals.cross.payments += 1;
                    self.acct.totals.cross.succeeded += success as u64;
                }
                self.acct.record_payment(&pay, now, success, reason, fee);
                self.acct.record_parts(success, parts, failed_parts);
            }
            Purpose::Rebalance { tag } => {
                self.acct.record_rebalance(&pay, success, fee);
                self.attribute_refill_cost(&pay, success, fee);
                if success {
                    self.sec_after_rebalance(now, pay.sender, pay.first_hop);
                }
                self.notify(
                    Observation::RebalanceDone {
                        node: pay.sender,
                        tag,
                        success,
                        amount: pay.amount,
                        fee,
                    },
                    rec,
                )?;
            }
            Purpose::JustInTime { hold } => {
                self.acct.record_rebalance(&pay, success, fee);
                self.attribute_refill_cost(&pay, success, fee);
                if success {
                    self.sec_after_rebalance(now, pay.sender, pay.first_hop);
                }
                if self.book.holds[hold as usize].active {
                    self.release_hold(now, hold)?;
                }
                // Tell the strategy how its just-in-time rebalance went (tag = the hold).
                self.notify(
                    Observation::RebalanceDone {
                        node: pay.sender,
                        tag: hold as u64,
                        success,
                        amount: pay.amount,
                        fee,
                    },
                    rec,
                )?;
            }
            Purpose::SwapOut { tag, chan } => {
                if success {
                    // The provider pays the amount back on chain, minus its fee.
                    let swap_fee = pay.amount.mul_ppm(self.p.swap.fee_ppm);
                    let k = self.chain_of(chan);
                    let chain_fee = self.fee_on(k, |s| s.swap, now);
                    self.acct.totals.swap_fees += swap_fee;
                    self.acct.record_cost(pay.sender, swap_fee + fee);
                    self.attribute_cost(pay.sender, chan, swap_fee + fee);
                    self.acct.capital_out(now, pay.sender, pay.amount);
                    self.acct.totals.swaps += 1;
                    self.submit_tx(
                        now,
                        k,
                        pay.sender,
                        TxKind::SwapOut {
                            chan,
                            amount: pay.amount,
                        },
                        chain_fee,
                        tag,
                    );
                } else {
                    self.notify(
                        Observation::ChainDone {
                            node: pay.sender,
                            tag,
                            success: false,
                        },
                        rec,
                    )?;
                }
            }
            Purpose::CrossSwap { tag, from, to } => {
                if success {
                    self.cross_swap_paid(now, &pay, fee, tag, from, to);
                } else {
                    self.notify(
                        Observation::ChainDone {
                            node: pay.sender,
                            tag,
                            success: false,
                        },
                        rec,
                    )?;
                }
            }
            Purpose::SwapIn { tag, user } => {
                if success {
                    self.acct.totals.swaps += 1;
                    self.acct.capital_in(now, user, pay.amount);
                }
                self.notify(
                    Observation::ChainDone {
                        node: user,
                        tag,
                        success,
                    },
                    rec,
                )?;
            }
        }
        Ok(())
    }

    /// A successful rebalance's fee goes to the direction it refilled: the node's side of
    /// its last hop (the channel the money came back in over).
    fn attribute_refill_cost(&mut self, pay: &Pay, success: bool, fee: Msat) {
        if let (true, Some(c)) = (success, pay.last_hop) {
            self.attribute_cost(pay.sender, c, fee);
        }
    }

    /// `node` paid `cost` for its side of `chan` (channels.csv `rebalance_cost_sat`).
    pub(super) fn attribute_cost(&mut self, node: NodeId, chan: ChannelId, cost: Msat) {
        if let Some(d) = self
            .ledger
            .net()
            .channels()
            .get(chan.idx())
            .and_then(|c| c.side_of(node))
        {
            self.acct.dir(chan, d).rebalance_cost += cost;
        }
    }

    /// A held HTLC is released: forward it if the balance now allows, else fail it back.
    pub(super) fn release_hold(
        &mut self,
        now: SimTime,
        hold: u32,
    ) -> Result<(), InvariantViolation> {
        let h = self.book.holds[hold as usize].clone();
        self.book.holds[hold as usize].active = false;
        let next = self.book.attempts[h.att as usize].route[h.hop as usize + 1];
        match self.ledger.lock(next.chan, next.dir as usize, next.amount) {
            Ok(()) => {
                self.acct.totals.jit_forwarded += 1;
                self.gateway_locked(now, h.att, h.hop + 1);
                let d = self.latency();
                self.q.schedule(
                    now + d,
                    Ev::Arrive {
                        att: h.att,
                        hop: h.hop + 1,
                    },
                );
                Ok(())
            }
            Err(refusal) => {
                let hop = h.hop + 1;
                let reason = match refusal {
                    OfferRefusal::Closed => FailureReason::ChannelClosed { hop },
                    OfferRefusal::Policy => FailureReason::HtlcPolicy { hop },
                    OfferRefusal::TooManyHtlcs => FailureReason::HtlcLimit { hop },
                    OfferRefusal::Balance => FailureReason::NoBalance { hop },
                };
                self.start_fail_back(now, h.att, h.hop, reason, hop)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn rebalance_pay(
        &self,
        node: NodeId,
        out_chan: ChannelId,
        in_chan: ChannelId,
        amount: Msat,
        max_fee: Msat,
        max_attempts: u32,
        deadline: SimTime,
        purpose: Purpose,
    ) -> Pay {
        Pay {
            deadline,
            max_attempts: max_attempts.max(1),
            max_fee: Some(max_fee),
            first_hop: Some(out_chan),
            last_hop: Some(in_chan),
            ..self.new_payment(purpose, node, node, amount)
        }
    }

    /// A payment created now with the scenario's deadline and attempts, no route
    /// constraints; callers override what differs.
    pub(super) fn new_payment(
        &self,
        purpose: Purpose,
        sender: NodeId,
        receiver: NodeId,
        amount: Msat,
    ) -> Pay {
        let now = self.q.now();
        Pay {
            id: 0,
            purpose,
            sender,
            receiver,
            amount,
            created: now,
            deadline: now + self.p.payment_timeout,
            attempts: 0,
            max_attempts: self.p.max_attempts,
            max_fee: None,
            first_hop: None,
            last_hop: None,
            exclude: Vec::new(),
            last_reason: None,
            last_hops: 0,
            infeasible: false,
            max_hops: None,
            fee_free: false,
            join: Join::Anyone,
            mpp: None,
            flow: None,
        }
    }
}
