//! Helpers shared by the rebalancing strategies: greedy pairing of channels with surplus
//! and deficit, fee limits, staggered periodic rounds, and validation.
//!
//! Nothing here acts: these are pure functions of the [`View`](super::View).

pub use super::Local;
use super::{Action, Observation, View};
use crate::error::FieldError;
use crate::network::{ChannelStatus, Network};
use crate::rng::SimRng;
use crate::topology::{ChannelId, NodeId};
use crate::units::{Msat, SimDuration};

/// A planned circular move: out over `out_chan`, in over `in_chan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Move {
    pub out_chan: ChannelId,
    pub in_chan: ChannelId,
    pub amount: Msat,
}

/// Greedy pairing: channels with a surplus over their wanted local balance send to channels
/// with a deficit, largest first, each move capped at `max_amount` and skipped below
/// `min_amount`, at most `max_moves` moves.
///
/// Arguments: `chans` (a node's channels), `want[i]` the wanted local balance (msat) of
/// `chans[i]`, `is_source(i)` / `is_sink(i)` which channels may give / take.
/// Returns the moves in order. Complexity: O(d log d) for d channels.
///
/// Example: two channels of 1,000,000 msat with local 900,000 and 100,000 and want 500,000
/// each give one move of 400,000 msat from the first to the second.
pub fn greedy_moves(
    chans: &[Local],
    want: &[u64],
    is_source: impl Fn(usize) -> bool,
    is_sink: impl Fn(usize) -> bool,
    min_amount: Msat,
    max_amount: Msat,
    max_moves: usize,
) -> Vec<Move> {
    // Surplus is limited by what can be sent; deficit by what the peer can push back.
    let mut src: Vec<(u64, usize)> = (0..chans.len())
        .filter(|&i| is_source(i))
        .map(|i| {
            (
                chans[i]
                    .local
                    .saturating_sub(want[i])
                    .min(chans[i].spendable),
                i,
            )
        })
        .filter(|&(x, _)| x > 0)
        .collect();
    let mut snk: Vec<(u64, usize)> = (0..chans.len())
        .filter(|&i| is_sink(i))
        .map(|i| {
            (
                want[i].saturating_sub(chans[i].local).min(chans[i].inbound),
                i,
            )
        })
        .filter(|&(x, _)| x > 0)
        .collect();
    // Largest first; ties by channel order (deterministic).
    src.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    snk.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < src.len() && j < snk.len() && out.len() < max_moves {
        let (si, sj) = (src[i].1, snk[j].1);
        if si == sj {
            // Both lists hold the channel only if its surplus and deficit are both zero,
            // which the filters exclude; guard anyway.
            j += 1;
            continue;
        }
        let amt = src[i].0.min(snk[j].0).min(max_amount.0);
        if amt < min_amount.0.max(1) {
            break; // everything further is smaller still
        }
        out.push(Move {
            out_chan: chans[si].chan,
            in_chan: chans[sj].chan,
            amount: Msat(amt),
        });
        src[i].0 -= amt;
        snk[j].0 -= amt;
        if src[i].0 < min_amount.0.max(1) {
            i += 1;
        }
        if snk[j].0 < min_amount.0.max(1) {
            j += 1;
        }
    }
    out
}

/// Node share ν of `v`: total local balance (with own in-flight HTLCs) over total
/// capacity of its open channels (0 without any). O(deg).
pub fn node_share(net: &Network, v: NodeId) -> f64 {
    let (mut l, mut c) = (0u128, 0u128);
    for ch in net.channels_of(v).map(|c| net.chan(c)) {
        if let (ChannelStatus::Open, Some(d)) = (ch.status(), ch.side_of(v)) {
            l += ch.local(d).0 as u128;
            c += ch.capacity().0 as u128;
        }
    }
    if c == 0 {
        0.0
    } else {
        l as f64 / c as f64
    }
}

/// Pickhardt–Nowostawski's rule for an intermediary: moving `amount` in over a channel with
/// local balance `l_in` of capacity `c_in` and out over one with `l_out` of `c_out` does not
/// push either channel further from the node share `nu`. (With the paper's node-local
/// view: the in-channel must be below its target, the out-channel above, and neither
/// overshoots by more than it was off.)
///
/// Example: ν = 0.5, out channel 800 of 1,000 (300 above its 500), in channel 100 of 1,000
/// (400 below): moving 300 leaves 500 and 400 (fine), 600 leaves 200 and 700 (each 300 and
/// 200 off: still fine), 700 leaves the out channel 400 below (worse: refused).
pub fn not_worse(l_out: u64, c_out: u64, l_in: u64, c_in: u64, nu: f64, amount: u64) -> bool {
    let dev = |l: f64, c: u64| (l - nu * c as f64).abs();
    let a = amount as f64;
    let (lo, li) = (l_out as f64, l_in as f64);
    dev(lo - a, c_out) <= dev(lo, c_out) && dev(li + a, c_in) <= dev(li, c_in)
}

/// [`not_worse`] for node `v` forwarding `amount` in over `cin` and out over `cout`, on the
/// live channels (what `v` itself knows). False if either is not `v`'s open channel.
pub fn joins(
    net: &Network,
    v: NodeId,
    cin: ChannelId,
    cout: ChannelId,
    amount: Msat,
    nu: f64,
) -> bool {
    let (ci, co) = (net.chan(cin), net.chan(cout));
    let (Some(di), Some(dout)) = (ci.side_of(v), co.side_of(v)) else {
        return false;
    };
    not_worse(
        co.local(dout).0,
        co.capacity().0,
        ci.local(di).0,
        ci.capacity().0,
        nu,
        amount.0,
    )
}

/// Fee limit of a rebalance of `amount`: `amount × ppm`, at most `cap`.
pub fn fee_limit(amount: Msat, ppm: u64, cap: Msat) -> Msat {
    amount.mul_ppm(ppm).min(cap)
}

/// Seconds (config) → duration.
pub fn secs(s: f64) -> SimDuration {
    SimDuration::from_secs_f64(s)
}

/// Validation helpers: each names `field.key` in its error.
pub fn check_share(field: &str, key: &str, x: f64) -> Result<(), FieldError> {
    if x.is_finite() && (0.0..=1.0).contains(&x) {
        Ok(())
    } else {
        Err(FieldError::new(
            format!("{field}.{key}"),
            "expected a share between 0 and 1",
        ))
    }
}

pub fn check_positive(field: &str, key: &str, x: f64) -> Result<(), FieldError> {
    if x.is_finite() && x > 0.0 {
        Ok(())
    } else {
        Err(FieldError::new(
            format!("{field}.{key}"),
            "expected a positive number",
        ))
    }
}

pub fn check_non_negative(field: &str, key: &str, x: f64) -> Result<(), FieldError> {
    if x.is_finite() && x >= 0.0 {
        Ok(())
    } else {
        Err(FieldError::new(
            format!("{field}.{key}"),
            "expected a non-negative number",
        ))
    }
}

/// `low <= target <= high` (each already a share).
pub fn check_band(field: &str, low: f64, target: f64, high: f64) -> Result<(), FieldError> {
    check_share(field, "low", low)?;
    check_share(field, "high", high)?;
    check_share(field, "target", target)?;
    if low > high {
        return Err(FieldError::new(
            format!("{field}.low"),
            format!("expected low ({low}) <= high ({high})"),
        ));
    }
    if !(low..=high).contains(&target) {
        return Err(FieldError::new(
            format!("{field}.target"),
            format!("expected low ({low}) <= target ({target}) <= high ({high})"),
        ));
    }
    Ok(())
}

pub fn check_cycle_len(field: &str, key: &str, n: u8) -> Result<(), FieldError> {
    if n >= 2 {
        Ok(())
    } else {
        Err(FieldError::new(
            format!("{field}.{key}"),
            "expected at least 2 hops (out over one channel, back over another)",
        ))
    }
}

/// Sat (config) → msat, saturating.
pub fn sat(s: u64) -> Msat {
    Msat(s.saturating_mul(1000))
}

/// Has node `v` a true entry in `p`.
pub fn part(p: &[bool], v: NodeId) -> bool {
    p.get(v.idx()).copied().unwrap_or(false)
}

/// The periodic-round protocol of `proactive` and `periodic`: at the start every
/// participating node's timer is staggered over `[0, interval_s)`; each timer re-arms
/// itself. Returns the node whose round is due now, if `obs` is such a timer and the node
/// participates.
pub fn periodic_round(
    view: &View<'_>,
    obs: &Observation,
    rng: &mut SimRng,
    interval_s: f64,
    out: &mut Vec<Action>,
) -> Option<NodeId> {
    match *obs {
        Observation::Start => {
            stagger_timers(view, rng, interval_s, 0, out);
            None
        }
        Observation::Timer { node, .. } => {
            rearm(view, node, interval_s, 0, out);
            part(view.participates, node).then_some(node)
        }
        _ => None,
    }
}

/// Schedules every participating node's first timer at a uniformly random offset in
/// `[0, interval_s)`, so periodic work is staggered instead of all at once. O(N).
pub fn stagger_timers(
    view: &View<'_>,
    rng: &mut SimRng,
    interval_s: f64,
    tag: u64,
    out: &mut Vec<Action>,
) {
    use rand::Rng;
    for (v, &p) in view.participates.iter().enumerate() {
        if p {
            let at = view.now + secs(rng.random_range(0.0..interval_s));
            out.push(Action::Timer {
                node: NodeId(v as u32),
                at,
                tag,
            });
        }
    }
}

/// Re-arms `node`'s periodic timer `interval_s` from now.
pub fn rearm(view: &View<'_>, node: NodeId, interval_s: f64, tag: u64, out: &mut Vec<Action>) {
    out.push(Action::Timer {
        node,
        at: view.now + secs(interval_s),
        tag,
    });
}
