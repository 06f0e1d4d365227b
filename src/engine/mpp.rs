//! Atomic multi-part payments (`[routing] mpp`), LND-style.
//!
//! A workload payment with MPP on first tries its whole amount as one part. When no route
//! carries a part, the sender halves the largest part it tries (binary splitting, never
//! below `min_part_sat`) and sends what it can, at most `max_parts` parts in flight, each
//! an HTLC chain routed at its own send time with the sender's knowledge. A part that
//! fails comes back to `remaining` and is sent again (counted against the attempts); the
//! edge that failed it is excluded for this payment's parts at least as large (smaller
//! ones may pass, and the sender's knowledge decides, as lnd's mission control does). A
//! router with a flow planner (`mcf`) plans the first dispatch as a whole flow.
//!
//! The receiver holds every arriving part (its funds stay locked in flight on every hop,
//! so the conservation invariant covers them) until the total has arrived, then settles
//! all; if `timeout_s` passes after the first part arrived, it fails every held part back
//! and the payment fails: no money moves at any hop. Its reason is `timeout` if the sender
//! was still sending parts, else the sender's own (the last part failure, or `no_route`).

use super::payment::MppState;
use super::{Engine, Ev, InvariantViolation};
use crate::metrics::{FailureReason, Recorder};
use crate::routing::pathfinder::RouteCtx;
use crate::routing::{Hop, NoRoute, RouteRequest};
use crate::topology::ChannelId;
use crate::units::{Msat, SimTime};

impl<'t> Engine<'t> {
    /// Attempts allowed to payment `pid`: the router's retry policy for workload payments,
    /// else the payment's own limit.
    pub(super) fn max_attempts(&self, pid: u32) -> u32 {
        let pay = self.book.pay(pid);
        match (pay.purpose, self.router.retry_policy().max_attempts) {
            (super::payment::Purpose::Workload, Some(m)) => m,
            _ => pay.max_attempts,
        }
    }

    /// The edges excluded for a part of `amount` of payment `pid` (those that failed a part
    /// at most as large), in the reused exclusion buffer (to be put back).
    fn part_exclusions(&mut self, pid: u32, amount: Msat) -> Vec<(ChannelId, u8)> {
        let mut v = std::mem::take(&mut self.excl_buf);
        v.clear();
        if let Some(st) = self.book.pay(pid).mpp.as_ref() {
            v.extend(
                st.failed_edges
                    .iter()
                    .filter(|e| e.2 <= amount)
                    .map(|e| (e.0, e.1)),
            );
        }
        if !self.chain_excl.is_empty() {
            // Several chains: the parts stay on the sender's chain.
            let k = self.home_of(self.book.pay(pid).sender);
            v.extend_from_slice(&self.chain_excl[k]);
        }
        v
    }

    fn mpp(&mut self, pid: u32) -> &mut MppState {
        self.book
            .pay_mut(pid)
            .mpp
            .as_mut()
            .expect("multi-part payment")
    }

    /// Sends as many parts of payment `pid` as it can now; ends the payment when nothing
    /// is in flight and nothing more can be sent.
    pub(super) fn mpp_dispatch(
        &mut self,
        now: SimTime,
        pid: u32,
        rec: &mut dyn Recorder,
    ) -> Result<(), InvariantViolation> {
        let Some(mp) = self.p.mpp else {
            return Err(InvariantViolation {
                time: now,
                what: "multi-part payment without [routing] mpp".into(),
            });
        };
        let max_attempts = self.max_attempts(pid);
        {
            let pay = self.book.pay_mut(pid);
            let late = now > pay.deadline;
            let st = pay.mpp.as_mut().expect("multi-part payment");
            if late || st.failed >= max_attempts {
                st.stopped = true;
            }
            if late {
                pay.last_reason = Some(FailureReason::Timeout);
            }
        }
        let flow = self.router.supports().flow;
        let st = self.mpp(pid);
        if flow && !st.planned && !st.stopped {
            st.planned = true;
            let budget = mp.max_parts.saturating_sub(st.live);
            let amount = st.remaining;
            let excl = self.part_exclusions(pid, amount);
            let pay = self.book.pay(pid);
            let req = RouteRequest {
                exclude: &excl,
                ..RouteRequest::new(pay.sender, pay.receiver, amount)
            };
            let ctx = RouteCtx {
                net: self.ledger.net(),
                mc: self.mc.entries(pay.sender),
                now,
                params: &self.p.router,
            };
            let mut plans = std::mem::take(&mut self.plan_buf);
            if self
                .router
                .plan_parts(&ctx, &req, budget, &mut plans)
                .is_ok()
            {
                for mut route in plans.drain(..) {
                    self.mpp_send(now, pid, &mut route)?;
                }
            }
            self.plan_buf = plans;
            self.excl_buf = excl;
        }
        loop {
            let st = self.mpp(pid);
            if st.stopped || st.remaining == Msat::ZERO || st.live >= mp.max_parts {
                break;
            }
            let amount = st.remaining.min(st.max_shard);
            let excl = self.part_exclusions(pid, amount);
            let pay = self.book.pay(pid);
            let req = RouteRequest {
                exclude: &excl,
                ..RouteRequest::new(pay.sender, pay.receiver, amount)
            };
            let ctx = RouteCtx {
                net: self.ledger.net(),
                mc: self.mc.entries(pay.sender),
                now,
                params: &self.p.router,
            };
            let found = self.router.find_route(&ctx, &req, &mut self.route_buf);
            self.excl_buf = excl;
            match found {
                Ok(_) => {
                    let mut route = std::mem::take(&mut self.route_buf);
                    self.mpp_send(now, pid, &mut route)?;
                    self.route_buf = route;
                }
                Err(e) => {
                    let st = self.mpp(pid);
                    if amount.0 / 2 >= mp.min_part.0 {
                        st.max_shard = Msat(amount.0 / 2);
                        continue;
                    }
                    st.stopped = true;
                    let pay = self.book.pay_mut(pid);
                    if pay.last_reason.is_none() {
                        pay.last_reason = Some(match e {
                            NoRoute::NoPath => FailureReason::NoRoute,
                            NoRoute::FeeLimit => FailureReason::FeeLimit,
                        });
                    }
                }
            }
        }
        let st = self.mpp(pid);
        if st.live == 0 && st.remaining > Msat::ZERO {
            st.stopped = true;
            let reason = self
                .book
                .pay(pid)
                .last_reason
                .unwrap_or(FailureReason::NoRoute);
            return self.finish(now, pid, false, Some(reason), Msat::ZERO, rec);
        }
        Ok(())
    }

    /// Locks the first hop of a part over `route` (which gets a spare buffer back) and
    /// sends it. A part larger than what remains, or whose first hop can no longer be
    /// offered (a planned flow), is not sent.
    fn mpp_send(
        &mut self,
        now: SimTime,
        pid: u32,
        route: &mut Vec<Hop>,
    ) -> Result<(), InvariantViolation> {
        let (Some(&first), Some(&last)) = (route.first(), route.last()) else {
            return Ok(());
        };
        if last.amount > self.mpp(pid).remaining
            || self
                .ledger
                .net()
                .chan(first.chan)
                .check_offer(first.dir as usize, first.amount)
                .is_err()
        {
            return Ok(());
        }
        if self
            .ledger
            .lock(first.chan, first.dir as usize, first.amount)
            .is_err()
        {
            return Err(InvariantViolation {
                time: now,
                what: format!("sender could not lock its checked first hop {first:?}"),
            });
        }
        let hops = route.len() as u16;
        let st = self.mpp(pid);
        st.remaining -= last.amount;
        st.live += 1;
        let pay = self.book.pay_mut(pid);
        // Counted once per part here; the run's total adds `pay.attempts` when the payment
        // ends (and only for measured workload payments).
        pay.attempts += 1;
        pay.last_hops = hops;
        let att = self.book.new_attempt(pid, route);
        let d = self.latency();
        self.q.schedule(now + d, Ev::Arrive { att, hop: 0 });
        Ok(())
    }

    /// A part reached the receiver (over hop `hop`, the last): hold it; settle every held
    /// part once the total is there.
    pub(super) fn mpp_hold(
        &mut self,
        now: SimTime,
        att: u32,
        hop: u16,
    ) -> Result<(), InvariantViolation> {
        let a = &self.book.attempts[att as usize];
        let pid = a.pay;
        let part = a.route[hop as usize].amount;
        let timeout = self.p.mpp.map(|m| m.timeout).unwrap_or_default();
        let pay = self.book.pay_mut(pid);
        let (id, amount) = (pay.id, pay.amount);
        let st = pay.mpp.as_mut().expect("multi-part payment");
        st.held += part;
        st.held_atts.push(att);
        if st.held_atts.len() == 1 && st.held == part {
            self.q.schedule(now + timeout, Ev::MppTimeout { pid, id });
        }
        let st = self.mpp(pid);
        if st.held == amount {
            st.settling = true;
            let atts = std::mem::take(&mut st.held_atts);
            for &a in &atts {
                let last = self.book.attempts[a as usize].route.len() as u16 - 1;
                let d = self.latency();
                self.q.schedule(now + d, Ev::Settle { att: a, hop: last });
            }
            self.mpp(pid).held_atts = atts;
        }
        Ok(())
    }

    /// The receiver's MPP timer: unless the total arrived, fail every held part back.
    pub(super) fn on_mpp_timeout(
        &mut self,
        now: SimTime,
        pid: u32,
        id: u64,
    ) -> Result<(), InvariantViolation> {
        match self.book.pay_opt(pid) {
            Some(p) if p.id == id && p.mpp.as_ref().is_some_and(|s| !s.settling) => {}
            _ => return Ok(()),
        }
        let pay = self.book.pay_mut(pid);
        let st = pay.mpp.as_mut().expect("multi-part payment");
        // A sender still sending parts fails by the timeout; one that had given up keeps
        // its own reason (no route, no balance): the receiver is only cleaning up.
        if !st.stopped || pay.last_reason.is_none() {
            pay.last_reason = Some(FailureReason::Timeout);
        }
        let st = pay.mpp.as_mut().expect("multi-part payment");
        st.stopped = true;
        st.held = Msat::ZERO;
        let atts = std::mem::take(&mut st.held_atts);
        for &a in &atts {
            let last = self.book.attempts[a as usize].route.len() as u16 - 1;
            self.start_fail_back(now, a, last, FailureReason::Timeout, last)?;
        }
        Ok(())
    }

    /// A part of `part` msat failed back to the sender.
    pub(super) fn mpp_part_failed(
        &mut self,
        now: SimTime,
        pid: u32,
        part: Msat,
        reason: FailureReason,
        rec: &mut dyn Recorder,
    ) -> Result<(), InvariantViolation> {
        // Held parts failed back after the sender gave up keep the sender's reason.
        let pay = self.book.pay_mut(pid);
        if !(matches!(reason, FailureReason::Timeout)
            && pay.mpp.as_ref().is_some_and(|s| s.stopped)
            && pay.last_reason.is_some())
        {
            pay.last_reason = Some(reason);
        }
        let st = self.mpp(pid);
        st.live -= 1;
        st.failed += 1;
        st.remaining += part;
        if matches!(reason, FailureReason::Timeout) {
            st.stopped = true;
        }
        self.mpp_dispatch(now, pid, rec)
    }

    /// A part settled at the sender, having paid `fee`.
    pub(super) fn mpp_part_settled(
        &mut self,
        now: SimTime,
        pid: u32,
        fee: Msat,
        rec: &mut dyn Recorder,
    ) -> Result<(), InvariantViolation> {
        let st = self.mpp(pid);
        st.live -= 1;
        st.settled += 1;
        st.fee += fee;
        if st.live == 0 {
            let fee = st.fee;
            return self.finish(now, pid, true, None, fee, rec);
        }
        Ok(())
    }
}
