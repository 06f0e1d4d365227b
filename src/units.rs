//! Money and time: integer newtypes, never floating point.
//!
//! [`Msat`] is an amount in millisatoshi; [`SimTime`] and [`SimDuration`] are simulated
//! time in microseconds. Both are plain `u64` underneath so they are `Copy`, totally ordered
//! and hash-free. Arithmetic that could overflow is checked or saturating; overflow of money
//! is a bug (total bitcoin supply is 2.1e18 msat < u64::MAX = 1.8e19).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, AddAssign, Sub, SubAssign};

/// An amount of millisatoshi (1 sat = 1000 msat).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Msat(pub u64);

impl Msat {
    pub const ZERO: Msat = Msat(0);
    pub const MAX: Msat = Msat(u64::MAX);

    /// `sat` satoshis.
    pub const fn from_sat(sat: u64) -> Msat {
        Msat(sat * 1000)
    }
    pub const fn msat(self) -> u64 {
        self.0
    }
    /// Whole satoshis, rounded down.
    pub const fn sat(self) -> u64 {
        self.0 / 1000
    }
    /// As bitcoin, for display and charts only (never for accounting).
    pub fn btc_f64(self) -> f64 {
        self.0 as f64 / 1e11
    }
    pub fn saturating_sub(self, o: Msat) -> Msat {
        Msat(self.0.saturating_sub(o.0))
    }
    pub fn checked_sub(self, o: Msat) -> Option<Msat> {
        self.0.checked_sub(o.0).map(Msat)
    }
    pub fn checked_add(self, o: Msat) -> Option<Msat> {
        self.0.checked_add(o.0).map(Msat)
    }
    /// `self * ppm / 1_000_000`, rounded down, computed in 128 bits.
    pub fn mul_ppm(self, ppm: u64) -> Msat {
        // Saturates rather than wrapping (validated inputs never get near it).
        Msat(((self.0 as u128 * ppm as u128) / 1_000_000).min(u64::MAX as u128) as u64)
    }
    /// `self * num / den` rounded down (den > 0), computed in 128 bits.
    pub fn mul_ratio(self, num: u64, den: u64) -> Msat {
        Msat(((self.0 as u128 * num as u128) / den.max(1) as u128).min(u64::MAX as u128) as u64)
    }
}

impl Add for Msat {
    type Output = Msat;
    #[inline]
    fn add(self, o: Msat) -> Msat {
        Msat(self.0 + o.0)
    }
}
impl AddAssign for Msat {
    #[inline]
    fn add_assign(&mut self, o: Msat) {
        self.0 += o.0;
    }
}
impl Sub for Msat {
    type Output = Msat;
    #[inline]
    fn sub(self, o: Msat) -> Msat {
        Msat(self.0 - o.0)
    }
}
impl SubAssign for Msat {
    #[inline]
    fn sub_assign(&mut self, o: Msat) {
        self.0 -= o.0;
    }
}
impl std::iter::Sum for Msat {
    fn sum<I: Iterator<Item = Msat>>(iter: I) -> Msat {
        Msat(iter.map(|m| m.0).sum())
    }
}
impl fmt::Display for Msat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} msat", self.0)
    }
}

/// A span of simulated time, in microseconds.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct SimDuration(pub u64);

impl SimDuration {
    pub const ZERO: SimDuration = SimDuration(0);
    pub const fn from_micros(us: u64) -> Self {
        SimDuration(us)
    }
    pub const fn from_millis(ms: u64) -> Self {
        SimDuration(ms * 1_000)
    }
    pub const fn from_secs(s: u64) -> Self {
        SimDuration(s * 1_000_000)
    }
    /// From fractional seconds (config boundary only); negative or NaN → zero.
    pub fn from_secs_f64(s: f64) -> Self {
        if s.is_finite() && s > 0.0 {
            SimDuration((s * 1e6).round() as u64)
        } else {
            SimDuration(0)
        }
    }
    pub const fn micros(self) -> u64 {
        self.0
    }
    pub fn secs_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }
}

/// A point in simulated time: microseconds since the start of the run.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct SimTime(pub u64);

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);
    pub const MAX: SimTime = SimTime(u64::MAX);
    pub const fn micros(self) -> u64 {
        self.0
    }
    pub fn secs_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }
    /// Time elapsed since `earlier` (zero if `earlier` is later).
    pub fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    #[inline]
    fn add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}
impl Add for SimDuration {
    type Output = SimDuration;
    #[inline]
    fn add(self, d: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(d.0))
    }
}
impl AddAssign for SimDuration {
    #[inline]
    fn add_assign(&mut self, d: SimDuration) {
        *self = *self + d;
    }
}
impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.6}s", self.secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ppm_rounds_down_without_overflow() {
        // 1 BTC = 1e11 msat at 1 ppm = 1e5 msat.
        assert_eq!(Msat(100_000_000_000).mul_ppm(1), Msat(100_000));
        // 999 msat at 1000 ppm = 0.999 msat -> 0.
        assert_eq!(Msat(999).mul_ppm(1000), Msat(0));
        // No overflow at the 21M BTC scale.
        assert_eq!(
            Msat(2_100_000_000_000_000_000).mul_ppm(1_000_000).0,
            2_100_000_000_000_000_000
        );
    }

    #[test]
    fn time_arithmetic() {
        let t = SimTime::ZERO + SimDuration::from_secs(2) + SimDuration::from_millis(5);
        assert_eq!(t.micros(), 2_005_000);
        assert_eq!(t.since(SimTime(5_000)).micros(), 2_000_000);
        assert_eq!(SimTime(1).since(t), SimDuration::ZERO);
        assert_eq!(SimDuration::from_secs_f64(-1.0), SimDuration::ZERO);
        assert_eq!(SimDuration::from_secs_f64(0.25).micros(), 250_000);
    }
}
