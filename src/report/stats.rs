//! Descriptive statistics across replications.
//!
//! Everything here works on plain `f64` slices and is deterministic: no randomness, no
//! hashing, no I/O. The conventions, chosen once and used by every chart and table:
//!
//! * **NaN is missing data.** NaN inputs are skipped and counted (see [`Summary::n_nan`]);
//!   infinities are *not* skipped and propagate into the result, because an infinite
//!   metric is a bug upstream that must stay visible.
//! * **Sample statistics.** The standard deviation divides by `n - 1`; the 95 % confidence
//!   interval of the mean is `mean ± t(0.975, n - 1) · sd / √n` with Student's t quantile
//!   from [`student_t_975`] (replications are assumed independent, and their mean roughly
//!   normal).
//! * **One value has no spread.** With `n = 1` the standard deviation and the interval are
//!   NaN, not zero: a single replication gives no evidence of precision, and a zero-width
//!   band on a chart would claim it does. Charts skip NaN bounds.
//!
//! This module must not know about simulations; it is the arithmetic under [`super::charts`]
//! and the CSV summaries.

use std::cmp::Ordering;

use thiserror::Error;

/// Why a statistic could not be computed.
///
/// All variants are caused by the caller's input and are not fatal to a run: fix the input
/// (or skip the statistic) and carry on.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum StatsError {
    /// Two slices that must be paired element by element have different lengths.
    /// Remedy: pass results of the same replications, in the same order.
    #[error("paired samples differ in length: {left} vs {right}")]
    LengthMismatch {
        /// Length of the first slice.
        left: usize,
        /// Length of the second slice.
        right: usize,
    },
    /// The input has no (non-NaN) values.
    #[error("no values to compute the statistic from")]
    Empty,
    /// A quantile outside `[0, 1]` (or NaN) was asked for.
    #[error("quantile {0} is outside [0, 1]")]
    QuantileOutOfRange(f64),
    /// [`percentile`] was given a slice that is not sorted ascending or that contains NaN.
    /// Remedy: sort with `f64::total_cmp` after removing NaN.
    #[error("values are not sorted ascending (or contain NaN) at index {0}")]
    NotSorted(usize),
    /// [`gini`] was given a negative value; the Gini coefficient is defined for
    /// non-negative quantities (balances, fees, counts).
    #[error("negative value {value} at index {index}: the Gini coefficient needs values >= 0")]
    Negative {
        /// Position of the offending value.
        index: usize,
        /// The offending value.
        value: f64,
    },
}

/// Summary of a sample, typically one metric across replications.
///
/// Built by [`Summary::from_slice`]; see the module docs for the conventions on NaN and
/// on `n = 1`. With `n = 0` every floating-point field is NaN.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Number of values used (NaN excluded).
    pub n: usize,
    /// Number of NaN values that were skipped.
    pub n_nan: usize,
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (divisor `n - 1`); NaN when `n < 2`.
    pub sd: f64,
    /// Lower end of the 95 % confidence interval of the mean; NaN when `n < 2`.
    pub ci95_lo: f64,
    /// Upper end of the 95 % confidence interval of the mean; NaN when `n < 2`.
    pub ci95_hi: f64,
    /// Smallest value; NaN when `n = 0`.
    pub min: f64,
    /// Largest value; NaN when `n = 0`.
    pub max: f64,
}

impl Summary {
    /// Summarises `values`, skipping (and counting) NaN.
    ///
    /// Arguments: any slice, possibly empty. Returns: a [`Summary`]; never fails.
    /// Complexity: O(n), one pass (Welford's update, numerically stable for large means).
    ///
    /// ```
    /// use pcnsim::report::stats::Summary;
    /// let s = Summary::from_slice(&[1.0, 2.0, 3.0, f64::NAN]);
    /// assert_eq!((s.n, s.n_nan), (3, 1));
    /// assert_eq!(s.mean, 2.0);
    /// assert_eq!(s.sd, 1.0);
    /// // mean ± t(0.975, 2) · 1 / √3 = 2 ± 4.303 · 0.577
    /// assert!((s.ci95_hi - 4.484).abs() < 1e-3);
    /// ```
    pub fn from_slice(values: &[f64]) -> Summary {
        let mut n = 0usize;
        let mut n_nan = 0usize;
        let mut mean = 0.0f64;
        let mut m2 = 0.0f64;
        let mut min = f64::INFINITY;
        let mut max = f64::NEG_INFINITY;
        for &v in values {
            if v.is_nan() {
                n_nan += 1;
                continue;
            }
            n += 1;
            let delta = v - mean;
            mean += delta / n as f64;
            m2 += delta * (v - mean);
            min = min.min(v);
            max = max.max(v);
        }
        if n == 0 {
            return Summary {
                n,
                n_nan,
                mean: f64::NAN,
                sd: f64::NAN,
                ci95_lo: f64::NAN,
                ci95_hi: f64::NAN,
                min: f64::NAN,
                max: f64::NAN,
            };
        }
        let (sd, lo, hi) = if n >= 2 {
            let sd = (m2 / (n - 1) as f64).sqrt();
            let half = student_t_975((n - 1) as f64) * sd / (n as f64).sqrt();
            (sd, mean - half, mean + half)
        } else {
            (f64::NAN, f64::NAN, f64::NAN)
        };
        Summary {
            n,
            n_nan,
            mean,
            sd,
            ci95_lo: lo,
            ci95_hi: hi,
            min,
            max,
        }
    }

    /// Half-width of the 95 % confidence interval (`ci95_hi - mean`); NaN when `n < 2`.
    pub fn ci95_half_width(&self) -> f64 {
        self.ci95_hi - self.mean
    }
}

/// Summary of the paired differences `a[i] - b[i]`.
///
/// Use it to compare two strategies run on the same replications (same seeds, so the same
/// payments): the pairing removes the between-replication variance, so the interval of the
/// difference is much tighter than comparing two independent intervals. A pair where either
/// side is NaN is skipped and counted in [`Summary::n_nan`].
///
/// Errors: [`StatsError::LengthMismatch`] when the slices differ in length.
/// Complexity: O(n).
///
/// ```
/// use pcnsim::report::stats::paired_difference;
/// let d = paired_difference(&[10.0, 12.0, 14.0], &[9.0, 10.0, 11.0]).unwrap();
/// assert_eq!(d.mean, 2.0); // differences 1, 2, 3
/// ```
pub fn paired_difference(a: &[f64], b: &[f64]) -> Result<Summary, StatsError> {
    if a.len() != b.len() {
        return Err(StatsError::LengthMismatch {
            left: a.len(),
            right: b.len(),
        });
    }
    // a - b is NaN whenever either side is NaN, so from_slice skips and counts the pair.
    let diffs: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    Ok(Summary::from_slice(&diffs))
}

/// Percentile of an ascending-sorted slice, by linear interpolation between order
/// statistics.
///
/// With `n` values `x[0] <= … <= x[n-1]`, let `h = (n - 1) · q`; the result is
/// `x[⌊h⌋] + (h - ⌊h⌋) · (x[⌊h⌋ + 1] - x[⌊h⌋])`. This is Hyndman & Fan's definition 7, the
/// default of R's `quantile` and NumPy's `percentile`, so numbers match those tools.
/// `q = 0` gives the minimum, `q = 1` the maximum, `q = 0.5` the usual median.
///
/// Arguments: `sorted` ascending without NaN (checked, O(n)); `q` in `[0, 1]`.
/// Errors: [`StatsError::Empty`], [`StatsError::QuantileOutOfRange`],
/// [`StatsError::NotSorted`]. Complexity: O(n) for the check.
///
/// ```
/// use pcnsim::report::stats::percentile;
/// assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 0.5).unwrap(), 2.5);
/// assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 0.9).unwrap(), 3.7);
/// ```
pub fn percentile(sorted: &[f64], q: f64) -> Result<f64, StatsError> {
    if !(0.0..=1.0).contains(&q) {
        return Err(StatsError::QuantileOutOfRange(q));
    }
    if sorted.is_empty() {
        return Err(StatsError::Empty);
    }
    if sorted[0].is_nan() {
        return Err(StatsError::NotSorted(0));
    }
    // Anything but Less/Equal (Greater, or None for a NaN) is out of order.
    let in_order =
        |a: f64, b: f64| matches!(a.partial_cmp(&b), Some(Ordering::Less | Ordering::Equal));
    if let Some(i) = sorted.windows(2).position(|w| !in_order(w[0], w[1])) {
        return Err(StatsError::NotSorted(i + 1));
    }
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let frac = h - lo as f64;
    match sorted.get(lo + 1) {
        Some(&next) if frac > 0.0 => Ok(sorted[lo] + frac * (next - sorted[lo])),
        _ => Ok(sorted[lo]),
    }
}

/// Empirical cumulative distribution function of `values`.
///
/// Returns one `(x, F(x))` pair per distinct non-NaN value, ascending in `x`, where `F(x)`
/// is the fraction of non-NaN values `<= x`. The last pair has `F = 1`. NaN values are
/// ignored (they count neither in the numerator nor in the denominator); an empty or
/// all-NaN input gives an empty vector. Drawn as a step function, the pairs are the upper
/// corners of the steps.
///
/// Complexity: O(n log n).
///
/// ```
/// use pcnsim::report::stats::ecdf;
/// assert_eq!(ecdf(&[3.0, 1.0, 3.0, 2.0]), vec![(1.0, 0.25), (2.0, 0.5), (3.0, 1.0)]);
/// ```
pub fn ecdf(values: &[f64]) -> Vec<(f64, f64)> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    v.sort_by(f64::total_cmp);
    let n = v.len() as f64;
    let mut out: Vec<(f64, f64)> = Vec::new();
    for (i, &x) in v.iter().enumerate() {
        let f = (i + 1) as f64 / n;
        match out.last_mut() {
            // -0.0 and 0.0 are one value here.
            Some(last) if last.0 == x => last.1 = f,
            _ => out.push((x, f)),
        }
    }
    out
}

/// Gini coefficient of non-negative values (0 = perfectly equal, near 1 = one holds all).
///
/// Definition (mean absolute difference over twice the mean, without the small-sample
/// factor `n / (n - 1)`):
///
/// `G = Σ_i Σ_j |x_i - x_j| / (2 · n² · mean)`
///
/// so one holder of everything among `n` gives `(n - 1) / n`, e.g. `[0, 0, 0, 1]` gives
/// `0.75`. All-equal values (including all zeros) give 0. NaN values are skipped.
/// Computed by [`crate::metrics::gini`] from the sorted values.
///
/// Errors: [`StatsError::Empty`] if no non-NaN value, [`StatsError::Negative`] for a value
/// below zero. Complexity: O(n log n).
///
/// ```
/// use pcnsim::report::stats::gini;
/// assert_eq!(gini(&[0.0, 0.0, 0.0, 1.0]).unwrap(), 0.75);
/// assert_eq!(gini(&[5.0, 5.0]).unwrap(), 0.0);
/// ```
pub fn gini(values: &[f64]) -> Result<f64, StatsError> {
    if let Some((index, &value)) = values.iter().enumerate().find(|(_, v)| **v < 0.0) {
        return Err(StatsError::Negative { index, value });
    }
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return Err(StatsError::Empty);
    }
    // One definition of the coefficient in the crate: the simulator's own (it also measures
    // node imbalance every window). Rounding can leave -1e-17 for equal values.
    Ok(crate::metrics::gini(&mut v).max(0.0))
}

/// The 0.975 quantile of Student's t distribution with `df` degrees of freedom: the
/// multiplier of the two-sided 95 % confidence interval.
///
/// `df` may be fractional (Welch's approximation produces such values). Returns NaN for
/// `df <= 0` or NaN, and the normal quantile 1.959964 for `df = +∞`.
///
/// Method: for `df <= 1e5`, the equation `P(T > t) = 0.025` is solved by bisection to a
/// relative precision of 1e-13, with `P(T > t) = I_{df/(df+t²)}(df/2, 1/2) / 2` evaluated
/// by the continued fraction of the regularized incomplete beta function (modified Lentz)
/// and a Lanczos log-gamma. Beyond `1e5` the Cornish–Fisher expansion about the normal
/// quantile is used (four correction terms; its error there is below 1e-18).
///
/// Complexity: O(1) (about 50 bisection steps of a short continued fraction).
///
/// ```
/// use pcnsim::report::stats::student_t_975;
/// assert!((student_t_975(1.0) - 12.706).abs() < 1e-3);
/// assert!((student_t_975(10.0) - 2.228).abs() < 1e-3);
/// ```
pub fn student_t_975(df: f64) -> f64 {
    if df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if df > 1e5 {
        return cornish_fisher_975(df);
    }
    const TAIL: f64 = 0.025;
    // The t quantile always exceeds the normal one, so Z_975 brackets from below.
    let mut lo = Z_975;
    let mut hi = 16.0;
    while t_upper_tail(hi, df) > TAIL {
        lo = hi;
        hi *= 2.0;
        if !hi.is_finite() {
            return f64::INFINITY;
        }
    }
    for _ in 0..300 {
        let mid = 0.5 * (lo + hi);
        if t_upper_tail(mid, df) > TAIL {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-13 * hi {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// The 0.975 quantile of the standard normal distribution.
const Z_975: f64 = 1.959_963_984_540_054;

/// Cornish–Fisher expansion of the t quantile about the normal one (Abramowitz & Stegun
/// 26.7.5), accurate for large `df`.
fn cornish_fisher_975(df: f64) -> f64 {
    if df.is_infinite() {
        return Z_975;
    }
    let z = Z_975;
    let z2 = z * z;
    let g1 = (z2 + 1.0) * z / 4.0;
    let g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0;
    let g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0;
    let g4 = ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z / 92160.0;
    z + g1 / df + g2 / df.powi(2) + g3 / df.powi(3) + g4 / df.powi(4)
}

/// `P(T > t)` for `t >= 0` and Student's t with `df` degrees of freedom.
fn t_upper_tail(t: f64, df: f64) -> f64 {
    let x = df / (df + t * t);
    0.5 * regularized_incomplete_beta(0.5 * df, 0.5, x)
}

/// `I_x(a, b)`, the regularized incomplete beta function, for `a, b > 0`, `x` in `[0, 1]`.
fn regularized_incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    let front = ln_front.exp();
    // The continued fraction converges fast for x < (a + 1) / (a + b + 2); otherwise use
    // the symmetry I_x(a, b) = 1 - I_{1-x}(b, a).
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_continued_fraction(a, b, x) / a
    } else {
        1.0 - front * beta_continued_fraction(b, a, 1.0 - x) / b
    }
}

/// Continued fraction for the incomplete beta function, evaluated by the modified Lentz
/// method (Numerical Recipes, 3rd ed., §6.4).
fn beta_continued_fraction(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    const EPS: f64 = 1e-16;
    let fix = |v: f64| if v.abs() < TINY { TINY } else { v };
    let qab = a + b;
    let qap = a + 1.0;
    let qam = a - 1.0;
    let mut c = 1.0;
    let mut d = 1.0 / fix(1.0 - qab * x / qap);
    let mut h = d;
    for m in 1..=20_000 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 / fix(1.0 + aa * d);
        c = fix(1.0 + aa / c);
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 / fix(1.0 + aa * d);
        c = fix(1.0 + aa / c);
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < EPS {
            break;
        }
    }
    h
}

/// Natural logarithm of the gamma function for `x > 0` (Lanczos, g = 7, nine terms;
/// relative error about 1e-15).
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const COEF: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x) Γ(1 - x) = π / sin(πx).
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let t = x + G + 0.5;
    let mut a = COEF[0];
    for (i, c) in COEF.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn t_quantile_matches_printed_table() {
        // Two-sided 95 % column of the usual t table (3 decimals).
        let table: [(f64, f64); 35] = [
            (1.0, 12.706),
            (2.0, 4.303),
            (3.0, 3.182),
            (4.0, 2.776),
            (5.0, 2.571),
            (6.0, 2.447),
            (7.0, 2.365),
            (8.0, 2.306),
            (9.0, 2.262),
            (10.0, 2.228),
            (11.0, 2.201),
            (12.0, 2.179),
            (13.0, 2.160),
            (14.0, 2.145),
            (15.0, 2.131),
            (16.0, 2.120),
            (17.0, 2.110),
            (18.0, 2.101),
            (19.0, 2.093),
            (20.0, 2.086),
            (21.0, 2.080),
            (22.0, 2.074),
            (23.0, 2.069),
            (24.0, 2.064),
            (25.0, 2.060),
            (26.0, 2.056),
            (27.0, 2.052),
            (28.0, 2.048),
            (29.0, 2.045),
            (30.0, 2.042),
            (40.0, 2.021),
            (60.0, 2.000),
            (100.0, 1.984),
            (120.0, 1.980),
            (f64::INFINITY, 1.960),
        ];
        for (df, want) in table {
            let got = student_t_975(df);
            assert!(close(got, want, 5e-4), "df={df}: got {got}, want {want}");
        }
    }

    #[test]
    fn t_quantile_closed_forms() {
        // df = 1 is Cauchy: t = tan(π (0.975 - 0.5)).
        let cauchy = (std::f64::consts::PI * 0.475).tan();
        assert!(close(student_t_975(1.0), cauchy, 1e-9));
        // df = 2: t = sqrt(2 / (P (2 - P)) - 2) with two-sided P = 0.05.
        let p: f64 = 0.05;
        let two = (2.0 / (p * (2.0 - p)) - 2.0).sqrt();
        assert!(close(student_t_975(2.0), two, 1e-9));
        // Large df: both methods agree at the switch-over.
        let a = student_t_975(1e5);
        let b = cornish_fisher_975(1e5);
        assert!(close(a, b, 1e-9), "{a} vs {b}");
        assert!(close(student_t_975(1e9), Z_975, 1e-8));
    }

    #[test]
    fn t_quantile_rejects_bad_df_and_is_monotone() {
        assert!(student_t_975(0.0).is_nan());
        assert!(student_t_975(-3.0).is_nan());
        assert!(student_t_975(f64::NAN).is_nan());
        // Fractional df (Welch) lies between its integer neighbours.
        let (a, b, c) = (student_t_975(4.0), student_t_975(4.5), student_t_975(5.0));
        assert!(a > b && b > c);
        // df < 1 is heavier-tailed than Cauchy.
        assert!(student_t_975(0.5) > student_t_975(1.0));
    }

    #[test]
    fn ln_gamma_known_values() {
        assert!(close(ln_gamma(1.0), 0.0, 1e-13));
        assert!(close(ln_gamma(5.0), 24f64.ln(), 1e-13));
        assert!(close(
            ln_gamma(0.5),
            std::f64::consts::PI.sqrt().ln(),
            1e-13
        ));
    }

    #[test]
    fn summary_hand_computed() {
        // values 2, 4, 4, 4, 5, 5, 7, 9: mean 5, Σ(x - 5)² = 32, sd = sqrt(32 / 7).
        let s = Summary::from_slice(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
        assert_eq!(s.n, 8);
        assert_eq!(s.n_nan, 0);
        assert!(close(s.mean, 5.0, 1e-12));
        assert!(close(s.sd, (32.0f64 / 7.0).sqrt(), 1e-12));
        // t(0.975, 7) = 2.3646243; half width = 2.3646243 · 2.1380899 / √8 = 1.7874879.
        assert!(close(s.ci95_half_width(), 1.787_487_9, 1e-6));
        assert!(close(s.ci95_lo, 5.0 - 1.787_487_9, 1e-6));
        assert_eq!((s.min, s.max), (2.0, 9.0));
    }

    #[test]
    fn summary_edge_cases() {
        let empty = Summary::from_slice(&[]);
        assert_eq!(empty.n, 0);
        assert!(empty.mean.is_nan() && empty.min.is_nan() && empty.ci95_lo.is_nan());

        let nans = Summary::from_slice(&[f64::NAN, f64::NAN]);
        assert_eq!((nans.n, nans.n_nan), (0, 2));
        assert!(nans.mean.is_nan());

        let one = Summary::from_slice(&[3.5, f64::NAN]);
        assert_eq!((one.n, one.n_nan), (1, 1));
        assert_eq!(one.mean, 3.5);
        assert!(one.sd.is_nan() && one.ci95_lo.is_nan() && one.ci95_hi.is_nan());
        assert_eq!((one.min, one.max), (3.5, 3.5));

        let same = Summary::from_slice(&[2.0; 5]);
        assert_eq!(same.sd, 0.0);
        assert_eq!((same.ci95_lo, same.ci95_hi), (2.0, 2.0));
    }

    #[test]
    fn paired_difference_works_and_checks_lengths() {
        let d = paired_difference(&[1.0, 5.0, f64::NAN, 4.0], &[0.0, 3.0, 1.0, 1.0]);
        let d = d.expect("same length");
        // differences 1, 2, 3 (NaN pair skipped)
        assert_eq!((d.n, d.n_nan), (3, 1));
        assert!(close(d.mean, 2.0, 1e-12));
        assert!(close(d.sd, 1.0, 1e-12));
        assert_eq!(
            paired_difference(&[1.0], &[1.0, 2.0]),
            Err(StatsError::LengthMismatch { left: 1, right: 2 })
        );
    }

    #[test]
    fn percentile_linear_interpolation() {
        let v = [10.0, 20.0, 30.0, 40.0, 50.0];
        assert_eq!(percentile(&v, 0.0), Ok(10.0));
        assert_eq!(percentile(&v, 1.0), Ok(50.0));
        assert_eq!(percentile(&v, 0.5), Ok(30.0));
        // h = 4 · 0.1 = 0.4 → 10 + 0.4 · 10 = 14
        assert!(close(percentile(&v, 0.1).unwrap_or(f64::NAN), 14.0, 1e-12));
        assert_eq!(percentile(&[7.0], 0.3), Ok(7.0));
        assert_eq!(percentile(&[], 0.5), Err(StatsError::Empty));
        assert_eq!(
            percentile(&v, 1.5),
            Err(StatsError::QuantileOutOfRange(1.5))
        );
        assert!(matches!(
            percentile(&v, f64::NAN),
            Err(StatsError::QuantileOutOfRange(_))
        ));
        assert_eq!(percentile(&[2.0, 1.0], 0.5), Err(StatsError::NotSorted(1)));
        assert_eq!(
            percentile(&[1.0, f64::NAN], 0.5),
            Err(StatsError::NotSorted(1))
        );
    }

    #[test]
    fn ecdf_steps() {
        assert!(ecdf(&[]).is_empty());
        assert!(ecdf(&[f64::NAN]).is_empty());
        assert_eq!(ecdf(&[2.0, f64::NAN, 1.0]), vec![(1.0, 0.5), (2.0, 1.0)]);
    }

    #[test]
    fn gini_hand_computed() {
        assert_eq!(gini(&[0.0, 0.0, 0.0, 1.0]), Ok(0.75));
        assert_eq!(gini(&[3.0, 3.0, 3.0]), Ok(0.0));
        assert_eq!(gini(&[0.0, 0.0]), Ok(0.0));
        // [1, 2, 3]: Σ|xi - xj| over ordered pairs = 2 · (1 + 2 + 1) = 8;
        // 8 / (2 · 9 · 2) = 2/9.
        assert!(close(
            gini(&[3.0, 1.0, 2.0]).unwrap_or(f64::NAN),
            2.0 / 9.0,
            1e-12
        ));
        assert_eq!(gini(&[f64::NAN]), Err(StatsError::Empty));
        assert_eq!(
            gini(&[1.0, -2.0]),
            Err(StatsError::Negative {
                index: 1,
                value: -2.0
            })
        );
    }

    proptest! {
        #[test]
        fn summary_mean_and_ci_are_ordered(v in prop::collection::vec(-1e6f64..1e6, 2..40)) {
            let s = Summary::from_slice(&v);
            prop_assert!(s.min <= s.mean + 1e-9 && s.mean <= s.max + 1e-9);
            prop_assert!(s.ci95_lo <= s.mean && s.mean <= s.ci95_hi);
            prop_assert!(s.sd >= 0.0);
        }

        #[test]
        fn gini_is_bounded(v in prop::collection::vec(0f64..1e6, 1..40)) {
            let g = gini(&v).unwrap_or(f64::NAN);
            let n = v.len() as f64;
            prop_assert!((0.0..=(n - 1.0) / n + 1e-12).contains(&g));
        }

        #[test]
        fn ecdf_is_monotone_and_ends_at_one(v in prop::collection::vec(-1e3f64..1e3, 1..60)) {
            let e = ecdf(&v);
            prop_assert!(e.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1));
            prop_assert_eq!(e.last().map(|p| p.1), Some(1.0));
        }

        #[test]
        fn percentile_is_monotone_in_q(mut v in prop::collection::vec(-1e3f64..1e3, 1..60),
                                       q1 in 0f64..=1.0, q2 in 0f64..=1.0) {
            v.sort_by(f64::total_cmp);
            let (a, b) = (q1.min(q2), q1.max(q2));
            let pa = percentile(&v, a).unwrap_or(f64::NAN);
            let pb = percentile(&v, b).unwrap_or(f64::NAN);
            prop_assert!(pa <= pb + 1e-9);
        }

        #[test]
        fn t_quantile_solves_the_tail_equation(df in 0.5f64..2000.0) {
            let t = student_t_975(df);
            prop_assert!((t_upper_tail(t, df) - 0.025).abs() < 1e-11);
        }
    }
}
