//! LDK's historical liquidity buckets (rust-lightning 0.0.118–0.0.123,
//! `routing/scoring.rs`: `HistoricalBucketRangeTracker`, `HistoricalLiquidityTracker`),
//! modelled: the `ldk` router's `[routing] ldk_historical = true`.
//!
//! For each remote directed edge a sender has learned about, two histograms of 32 buckets
//! record where its lower liquidity bound (`min` buckets, by `min`) and its upper bound
//! (`max` buckets, by `capacity − max`) have been: every update of the bounds first decays
//! every bucket by 2047/2048 and then adds one point (32 in LDK's 5-bit fixed point) to the
//! bucket of each bound. Buckets halve for every whole `historical_no_updates_half_life`
//! (LDK: 14 days) without an update.
//!
//! **Probability.** Every pair (min bucket `i`, max bucket `j`) with `i + j < 32` is a
//! possible state `[start_i, end_j]`, weighted by `min[i] × max[j]` over the total; the
//! amount succeeds with 1 below `start_i`, 0 at or above `end_j`, and linearly in between
//! (the linear model of [`super::ldk`]). Points in min bucket 0 (usually failures) are
//! judged against the most pessimistic max bucket that holds a whole point, as LDK does.
//! Fewer than one whole point in total (32 × 32): no history. The historical penalty,
//! added to the live one, is
//!
//! ```text
//! (10 000 msat + 1 250 msat × amount / 2^20) × min(−log10 p_hist, 2)
//! ```
//!
//! (`historical_liquidity_penalty_[amount_]multiplier_msat` defaults); without history the
//! same multipliers apply to the capacity-only probability `(c + 1 − amount) / (c + 1)`,
//! as LDK falls back.
//!
//! Simplifications: 32 buckets of equal width (LDK's bucket edges are finer near the channel
//! ends); whole half-lives only; one history per directed edge and sender (LDK keeps one per
//! channel per scorer, i.e. per sender, too).

use crate::units::{SimDuration, SimTime};

/// Buckets per histogram.
pub const BUCKETS: usize = 32;
/// One point in LDK's fixed point.
const ONE: u16 = 32;
/// LDK's `historical_no_updates_half_life` default.
pub const DEFAULT_HALF_LIFE_S: u64 = 14 * 24 * 3600;
/// `historical_liquidity_penalty_multiplier_msat` default.
pub const PENALTY_MULTIPLIER_MSAT: u64 = 10_000;
/// `historical_liquidity_penalty_amount_multiplier_msat` default.
pub const PENALTY_AMOUNT_MULTIPLIER_MSAT: u64 = 1_250;

/// One directed edge's bound histories.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct History {
    pub chan: u32,
    pub dir: u8,
    pub min: [u16; BUCKETS],
    pub max: [u16; BUCKETS],
    pub updated: SimTime,
}

/// The bucket of an offset `x` in `[0, cap]`; `None` above the capacity.
fn bucket(x: u64, cap: u64) -> Option<usize> {
    if cap == 0 || x > cap {
        return None;
    }
    Some(((x as u128 * BUCKETS as u128 / cap as u128) as usize).min(BUCKETS - 1))
}

impl History {
    pub fn new(chan: u32, dir: u8, now: SimTime) -> Self {
        History {
            chan,
            dir,
            min: [0; BUCKETS],
            max: [0; BUCKETS],
            updated: now,
        }
    }

    /// Halves every bucket once per whole `half_life` since the last update.
    pub fn decayed(&self, now: SimTime, half_life: SimDuration) -> History {
        let n = now.since(self.updated).micros() / half_life.micros().max(1);
        let mut h = *self;
        if n > 0 {
            let sh = n.min(16) as u32;
            h.min
                .iter_mut()
                .for_each(|b| *b = b.checked_shr(sh).unwrap_or(0));
            h.max
                .iter_mut()
                .for_each(|b| *b = b.checked_shr(sh).unwrap_or(0));
        }
        h
    }

    /// Records bounds `[min, max]` of a channel of capacity `cap` at `now` (after the
    /// half-life decay since the last update).
    pub fn track(&mut self, min: u64, max: u64, cap: u64, now: SimTime, half_life: SimDuration) {
        *self = self.decayed(now, half_life);
        self.updated = now;
        for (hist, x) in [
            (&mut self.min, min),
            (&mut self.max, cap.saturating_sub(max)),
        ] {
            if let Some(b) = bucket(x, cap) {
                for e in hist.iter_mut() {
                    *e = (u32::from(*e) * 2047 / 2048) as u16;
                }
                hist[b] = hist[b].saturating_add(ONE);
            }
        }
    }

    fn valid_points(&self) -> u64 {
        let mut t = 0u64;
        for (i, &a) in self.min.iter().enumerate() {
            for &b in self.max.iter().take(BUCKETS - i) {
                t += u64::from(a) * u64::from(b);
            }
        }
        t
    }

    /// The historical success probability of `amount` over a channel of capacity `cap`, or
    /// `None` without a whole point of history (or above the capacity).
    pub fn probability(&self, amount: u64, cap: u64) -> Option<f64> {
        if amount >= cap {
            return None;
        }
        let total = self.valid_points();
        if total < u64::from(ONE) * u64::from(ONE) {
            return None;
        }
        let total = total as f64;
        let start = |i: usize| (cap as u128 * i as u128 / BUCKETS as u128) as f64;
        let end = |j: usize| (cap as u128 * (BUCKETS - j) as u128 / BUCKETS as u128) as f64 - 1.0;
        let lin = |a: f64, lo: f64, hi: f64| {
            if a < lo {
                1.0
            } else if a >= hi {
                0.0
            } else {
                (hi - a) / (hi - lo)
            }
        };
        let a = amount as f64;
        let mut p = 0.0;
        if self.min[0] != 0 {
            let worst = (0..BUCKETS)
                .rev()
                .find(|&j| self.max[j] >= ONE)
                .unwrap_or(0);
            let all: u64 = self.max.iter().map(|&b| u64::from(b)).sum();
            let w = f64::from(self.min[0]) * all as f64 / total;
            p += w * lin(a, 0.0, end(worst));
        }
        for i in 1..BUCKETS {
            if self.min[i] == 0 {
                continue;
            }
            for j in 0..BUCKETS - i {
                let e = end(j);
                if a >= e {
                    break;
                }
                let w = f64::from(self.min[i]) * f64::from(self.max[j]) / total;
                p += w * lin(a, start(i), e);
            }
        }
        Some(p.clamp(0.0, 1.0))
    }
}

/// The historical penalty (msat) of `amount` over an edge of capacity `cap` with history
/// `h` (see the module doc).
pub fn penalty(h: Option<&History>, amount: u64, cap: u64) -> u64 {
    let p = match h.and_then(|h| h.probability(amount, cap)) {
        Some(p) => p,
        None if amount > cap => 0.0,
        None => (cap + 1 - amount) as f64 / (cap + 1) as f64,
    };
    let nlog = if p > 0.0 { (-p.log10()).min(2.0) } else { 2.0 };
    let mult = PENALTY_MULTIPLIER_MSAT as f64
        + PENALTY_AMOUNT_MULTIPLIER_MSAT as f64 * amount as f64 / (1u64 << 20) as f64;
    (mult * nlog) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAP: u64 = 32_000_000; // 32,000 sat: a bucket is 1,000 sat wide.
    const HL: SimDuration = SimDuration::from_secs(DEFAULT_HALF_LIFE_S);

    #[test]
    fn one_point_is_a_whole_history() {
        let t0 = SimTime::ZERO;
        let mut h = History::new(0, 0, t0);
        assert_eq!(h.probability(1_000, CAP), None);
        // Bounds [0, CAP]: min bucket 0, max bucket 0; the min-0 rule judges against max
        // bucket 0, ending at CAP − 1: p(8,000 sat) = (31,999,999 − 8e6) / 31,999,999.
        h.track(0, CAP, CAP, t0, HL);
        assert_eq!((h.min[0], h.max[0]), (32, 32));
        let p = h.probability(8_000_000, CAP).unwrap();
        assert!((p - 23_999_999.0 / 31_999_999.0).abs() < 1e-12, "{p}");
        // A second datapoint (a failure: max 16,000 sat, offset 16,000 sat → max bucket 16)
        // decays the earlier points to 32 × 2047 / 2048 = 31 first.
        h.track(0, CAP / 2, CAP, t0, HL);
        assert_eq!((h.min[0], h.max[0], h.max[16]), (63, 31, 32));
        // min bucket 0 → the most pessimistic max bucket with a whole point, 16, ending at
        // 15,999,999 msat, for every point: p(8,000 sat) = 7,999,999 / 15,999,999.
        let p = h.probability(8_000_000, CAP).unwrap();
        assert!((p - 7_999_999.0 / 15_999_999.0).abs() < 1e-12, "{p}");
        assert_eq!(h.probability(16_000_000, CAP), Some(0.0));
    }

    #[test]
    fn a_lower_bound_makes_small_amounts_certain() {
        // A success left bounds [8,000, 32,000] sat: min bucket 8, max bucket 0.
        let mut h = History::new(0, 0, SimTime::ZERO);
        h.track(8_000_000, CAP, CAP, SimTime::ZERO, HL);
        assert_eq!(h.probability(7_999_999, CAP), Some(1.0));
        // 16,000 sat: (31,999,999 − 16e6) / (31,999,999 − 8e6) = 15,999,999 / 23,999,999.
        let p = h.probability(16_000_000, CAP).unwrap();
        assert!((p - 15_999_999.0 / 23_999_999.0).abs() < 1e-12, "{p}");
    }

    #[test]
    fn histories_halve_per_half_life_and_vanish() {
        let mut h = History::new(0, 0, SimTime::ZERO);
        h.track(0, CAP, CAP, SimTime::ZERO, HL);
        let later = SimTime::ZERO + HL;
        let d = h.decayed(later, HL);
        // 16 × 16 < 32 × 32: less than a whole point, no history.
        assert_eq!((d.min[0], d.max[0]), (16, 16));
        assert_eq!(d.probability(1_000, CAP), None);
    }

    #[test]
    fn the_penalty_falls_back_to_the_capacity() {
        // No history, 16,000 sat of 32,000: p = (32e6 + 1 − 16e6) / (32e6 + 1) ≈ 1/2,
        // −log10 = 0.30103; multiplier 10,000 + 1,250 × 16e6 / 2^20 = 29,073.5 msat:
        // 8,751 msat.
        assert_eq!(penalty(None, 16_000_000, CAP), 8_751);
        // History saying 16,000 sat fails: −log10 0 → the cap of 2: 58,146 msat.
        let mut h = History::new(0, 0, SimTime::ZERO);
        h.track(0, CAP / 2, CAP, SimTime::ZERO, HL);
        assert_eq!(penalty(Some(&h), 16_000_000, CAP), 58_146);
    }
}
