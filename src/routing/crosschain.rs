//! Cross-chain hand-overs: the timelock of a route and whether a gateway can safely hand
//! a payment from one chain to another whose blocks come at a different pace.
//!
//! A cross-chain payment is two routes joined at a gateway: the sender's route to the
//! gateway on the sender's chain and the gateway's route to the receiver on the
//! receiver's chain, locked with the same hash. The engine asks for both routes (each
//! kept on its chain by excluding the other chains' channels) and keeps a gateway only if
//! [`timelock_safe`] holds; it does no I/O and needs nothing but the network.
//!
//! Depends on `network`, `units`.

use super::Hop;
use crate::network::Network;
use crate::units::SimDuration;

/// Blocks until the first HTLC of `route` expires: `final_cltv` plus the CLTV delta every
/// forwarder asks on the channel it forwards over (the sender adds none), as
/// [`super::lnd::check_route`] counts them. O(route length).
pub fn route_cltv(net: &Network, route: &[Hop], final_cltv: u32) -> u32 {
    route
        .iter()
        .skip(1)
        .map(|h| net.chan(h.chan).policy(h.dir as usize).cltv_delta as u32)
        .sum::<u32>()
        + final_cltv
}

/// Is a cross-chain hand-over safe? The gateway's incoming HTLC expires after
/// `in_delta` blocks of a chain with blocks every `in_interval`; the outgoing route's
/// HTLC after `out_cltv` blocks of a chain with blocks every `out_interval`. Safe when the
/// outgoing side expires, in expected wall-clock time, at least `margin` before the
/// incoming side (else the gateway could have to pay out after it can no longer claim).
pub fn timelock_safe(
    in_delta: u32,
    in_interval: SimDuration,
    out_cltv: u32,
    out_interval: SimDuration,
    margin: SimDuration,
) -> bool {
    let incoming = in_delta as u128 * in_interval.micros() as u128;
    let outgoing = out_cltv as u128 * out_interval.micros() as u128 + margin.micros() as u128;
    incoming >= outgoing
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timelock_safety_is_in_wall_clock_time() {
        let ten_min = SimDuration::from_secs(600);
        let one_min = SimDuration::from_secs(60);
        let hour = SimDuration::from_secs(3600);
        // In: 144 × 10 min = 24 h; out: 80 × 1 min + 1 h = 2 h 20 min: safe.
        assert!(timelock_safe(144, ten_min, 80, one_min, hour));
        // In: 144 × 1 min = 2 h 24 min; out: 80 × 10 min + 1 h = 14 h 20 min: unsafe.
        assert!(!timelock_safe(144, one_min, 80, ten_min, hour));
        // Exactly at the margin is safe: 10 × 600 = 6000 = 40 × 60 + 3600.
        assert!(timelock_safe(10, ten_min, 40, one_min, hour));
        assert!(!timelock_safe(10, ten_min, 41, one_min, hour));
    }
}
