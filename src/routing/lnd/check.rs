//! [`check_route`]: every limit the router promises, checked on a returned route.

use super::super::{Hop, RouteRequest, RouterParams};
use crate::network::Network;
use crate::units::Msat;

/// Why a route breaks a limit (see [`check_route`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteDefect {
    Empty,
    /// Hop `k` does not start where hop `k - 1` ends (or the ends are wrong).
    Disconnected(usize),
    /// More hops than allowed (forced first hop not counted, as in the search).
    TooManyHops(usize),
    /// Hop `k` carries an amount its channel's policy or capacity refuses.
    HtlcLimit(usize),
    /// Hop `k` does not carry the next hop's amount plus its forwarder's fee.
    WrongAmount(usize),
    /// The sender's first hop exceeds its balance.
    SenderBalance,
    /// Total CLTV above the limit.
    Cltv(u32),
    /// Fees above the fee limit.
    Fee,
    /// The route passes a node twice.
    Loop(usize),
}

/// Checks a route against every limit the router promises, for the amounts it actually
/// carries: connected from `source` to `target`, within `max_hops` (a forced first hop not
/// counted) and `max_cltv`, each hop within its channel's min/max HTLC and capacity, each
/// amount the next one's plus its forwarder's fee (zero for fee-free forwarders), the
/// sender's first hop within its balance, fees within the limit, no node passed twice
/// (except the source as the target of a circular route). O(route length).
pub fn check_route(
    net: &Network,
    req: &RouteRequest<'_>,
    p: &RouterParams,
    route: &[Hop],
) -> Result<(), RouteDefect> {
    let Some(first) = route.first() else {
        return Err(RouteDefect::Empty);
    };
    let counted = route.len() - usize::from(req.first_hop.is_some());
    if counted > usize::from(p.max_hops) {
        return Err(RouteDefect::TooManyHops(route.len()));
    }
    let mut at = req.source;
    let mut cltv = p.final_cltv;
    for (k, h) in route.iter().enumerate() {
        let ch = net.chan(h.chan);
        if ch.node(h.dir as usize) != at {
            return Err(RouteDefect::Disconnected(k));
        }
        let pol = ch.policy(h.dir as usize);
        if h.amount < pol.min_htlc
            || h.amount > pol.max_htlc
            || h.amount > ch.capacity()
            || ch.status() != crate::network::ChannelStatus::Open
        {
            return Err(RouteDefect::HtlcLimit(k));
        }
        if k == 0 {
            if ch.check_offer(h.dir as usize, h.amount).is_err() {
                return Err(RouteDefect::SenderBalance);
            }
        } else {
            let fee = if req.is_fee_free(at) {
                Msat::ZERO
            } else {
                pol.fee(h.amount)
            };
            if route[k - 1].amount != h.amount + fee {
                return Err(RouteDefect::WrongAmount(k));
            }
            cltv += pol.cltv_delta as u32;
        }
        at = ch.node(1 - h.dir as usize);
        // A node may appear once as a hop's end, except the source closing a cycle.
        let again = route[..k]
            .iter()
            .any(|o| net.chan(o.chan).node(1 - o.dir as usize) == at)
            || (at == req.source && k + 1 != route.len());
        if again {
            return Err(RouteDefect::Loop(k));
        }
    }
    if at != req.target || route.last().map(|h| h.amount) != Some(req.amount) {
        return Err(RouteDefect::Disconnected(route.len()));
    }
    if cltv > p.max_cltv {
        return Err(RouteDefect::Cltv(cltv));
    }
    if let Some(mf) = req.max_fee {
        if first.amount - req.amount > mf {
            return Err(RouteDefect::Fee);
        }
    }
    Ok(())
}
