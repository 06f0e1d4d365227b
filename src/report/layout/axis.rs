//! Axis models: linear, exact, logarithmic, symmetric-log and category axes, their ticks,
//! and thinning tick labels that would overlap.

use super::*;

/// What values an axis may show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Domain {
    /// Any real value.
    #[default]
    Real,
    /// Values `>= 0` (counts, costs, shares): the axis starts at 0 or above.
    NonNegative,
    /// Values in `[0, 1]` (ratios).
    Unit,
}

impl Domain {
    /// `(lo, hi)` bounds of the domain.
    pub fn bounds(self) -> (f64, f64) {
        match self {
            Domain::Real => (f64::NEG_INFINITY, f64::INFINITY),
            Domain::NonNegative => (0.0, f64::INFINITY),
            Domain::Unit => (0.0, 1.0),
        }
    }

    /// `v` clamped to the domain.
    pub fn clamp(self, v: f64) -> f64 {
        let (lo, hi) = self.bounds();
        if v.is_nan() {
            v
        } else {
            v.clamp(lo, hi)
        }
    }
}

pub(super) fn linear_ticks(lo: f64, hi: f64, step: f64) -> Vec<(f64, String)> {
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10() - 1e-9).ceil() as usize
    };
    let biggest = (first.abs().max(last.abs())) as f64 * step;
    // From a million on, every tick in the same unit ("0.5M", "1M", not "500,000", "1M").
    let si = [(1e12, "T"), (1e9, "G"), (1e6, "M")]
        .into_iter()
        .find(|(d, _)| biggest >= *d);
    (first..=last)
        .map(|k| {
            let v = k as f64 * step;
            let v = if v == 0.0 { 0.0 } else { v };
            let label = match si {
                Some((div, suffix)) if v != 0.0 => {
                    let d = if step >= div {
                        0
                    } else {
                        (-(step / div).log10() - 1e-9).ceil() as usize
                    };
                    format!("{}{suffix}", format_number(v / div, d))
                }
                _ => format_number(v, decimals),
            };
            (v, label)
        })
        .collect()
}

/// A linear axis covering the data `[lo, hi]` (with a small margin, extended to round
/// ticks), never leaving `domain` when the data lie inside it.
pub(crate) fn linear_axis(lo: f64, hi: f64, domain: Domain) -> AxisModel {
    let (lo, hi) = match (lo.is_finite(), hi.is_finite()) {
        (true, true) if lo < hi => (lo, hi),
        (true, true) => {
            let w = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
            (lo - w, lo + w)
        }
        _ => (0.0, 1.0),
    };
    let (dlo, dhi) = domain.bounds();
    let pad = (hi - lo) * 0.05;
    let step = nice_step((hi - lo + 2.0 * pad) / 6.0);
    let mut a = lo - pad;
    let mut b = hi + pad;
    // Snap to a tick when that costs less than half a step.
    let sa = (a / step).floor() * step;
    if a - sa <= 0.5 * step {
        a = sa;
    }
    let sb = (b / step).ceil() * step;
    if sb - b <= 0.5 * step {
        b = sb;
    }
    // Data inside the domain keep the axis inside it: non-negative data get no negative
    // range (whatever the domain), ratios no range above 1.
    if lo >= dlo && a < dlo {
        a = dlo;
    }
    if lo >= 0.0 && a < 0.0 {
        a = 0.0;
    }
    if hi <= dhi && b > dhi {
        b = dhi;
    }
    AxisModel {
        scale: Scale::Linear,
        min: a,
        max: b,
        ticks: linear_ticks(a, b, step),
        px: (0.0, 1.0),
    }
}

/// A linear axis with exactly this range and round ticks inside it.
pub(crate) fn exact_axis(lo: f64, hi: f64) -> AxisModel {
    let step = nice_step((hi - lo) / 6.0);
    AxisModel {
        scale: Scale::Linear,
        min: lo,
        max: hi,
        ticks: linear_ticks(lo, hi, step),
        px: (0.0, 1.0),
    }
}

/// A log10 axis for positive data in `[lo, hi]`.
pub(crate) fn log_axis(lo: f64, hi: f64) -> AxisModel {
    let (a, b) = if lo > 0.0 && hi.is_finite() && lo < hi {
        (lo.log10(), hi.log10())
    } else if lo > 0.0 && lo.is_finite() {
        (lo.log10() - 0.5, lo.log10() + 0.5)
    } else {
        (0.0, 1.0)
    };
    let pad = 0.03 * (b - a);
    let (a, b) = (a - pad, b + pad);
    let decades = (b.floor() - a.ceil()) as i64 + 1;
    let mult: &[f64] = if decades < 3 {
        &[1.0, 2.0, 5.0]
    } else {
        &[1.0]
    };
    let mut ticks = Vec::new();
    for k in (a.floor() as i64)..=(b.ceil() as i64) {
        for m in mult {
            let v = m * 10f64.powi(k as i32);
            let t = v.log10();
            if t >= a && t <= b {
                ticks.push((v, format_power(v)));
            }
        }
    }
    AxisModel {
        scale: Scale::Log10,
        min: 10f64.powf(a),
        max: 10f64.powf(b),
        ticks,
        px: (0.0, 1.0),
    }
}

/// A symmetric-log axis for non-negative data up to `hi` whose smallest positive value is
/// `min_pos`: 0 at the origin, then decades. The linear part `c` is the decade of `min_pos`.
pub(crate) fn symlog_axis(min_pos: f64, hi: f64) -> AxisModel {
    let c = if min_pos > 0.0 && min_pos.is_finite() {
        10f64.powf(min_pos.log10().floor())
    } else {
        1.0
    };
    let hi = if hi.is_finite() && hi > 0.0 {
        hi
    } else {
        c * 10.0
    };
    let scale = Scale::SymLog(c);
    let t_hi = (1.0 + hi / c).log10();
    // 4 % headroom in transformed units.
    let max = c * (10f64.powf(t_hi * 1.04) - 1.0);
    let mut ticks = vec![(0.0, "0".to_owned())];
    let decades = ((max / c).log10().floor() as i32 + 1).max(1);
    // Few decades in view: also mark 2× and 5×.
    let mult: &[f64] = if decades < 3 {
        &[1.0, 2.0, 5.0]
    } else {
        &[1.0]
    };
    for k in 0..=decades {
        for m in mult {
            let v = m * c * 10f64.powi(k);
            if v <= max * (1.0 + 1e-9) {
                ticks.push((v, format_power(v)));
            }
        }
    }
    AxisModel {
        scale,
        min: 0.0,
        max,
        ticks,
        px: (0.0, 1.0),
    }
}

/// A category axis: category `i` at `i`.
pub(crate) fn category_axis(names: &[String]) -> AxisModel {
    let n = names.len().max(1) as f64;
    AxisModel {
        scale: Scale::Categories(names.to_vec()),
        min: -0.5,
        max: n - 0.5,
        ticks: names
            .iter()
            .enumerate()
            .map(|(i, s)| (i as f64, s.clone()))
            .collect(),
        px: (0.0, 1.0),
    }
}

/// Fewer ticks: the next round step on linear axes, every other decade on log axes (0
/// kept), every other category.
pub(super) fn thin(axis: &AxisModel) -> Option<AxisModel> {
    if axis.ticks.len() <= 2 {
        return None;
    }
    let mut a = axis.clone();
    match &axis.scale {
        Scale::Linear => {
            let step = axis
                .ticks
                .windows(2)
                .map(|w| w[1].0 - w[0].0)
                .next()
                .unwrap_or(1.0);
            a.ticks = linear_ticks(axis.min, axis.max, next_nice(step));
            if a.ticks.len() >= axis.ticks.len() {
                a.ticks = axis.ticks.iter().step_by(2).cloned().collect();
            }
        }
        Scale::Log10 => {
            let decades: Vec<(f64, String)> = axis
                .ticks
                .iter()
                .filter(|(v, _)| (v.log10() - v.log10().round()).abs() < 1e-9)
                .cloned()
                .collect();
            a.ticks = if decades.len() < axis.ticks.len() && decades.len() >= 2 {
                decades
            } else {
                axis.ticks.iter().step_by(2).cloned().collect()
            };
        }
        Scale::SymLog(c) => {
            // First drop the decade next to 0 (the linear part is only 0.3 decades wide),
            // then every other decade, keeping the largest.
            let (zero, rest): (Vec<_>, Vec<_>) =
                axis.ticks.iter().cloned().partition(|(v, _)| *v == 0.0);
            a.ticks = zero;
            let is_decade = |v: f64| ((v / c).log10() - (v / c).log10().round()).abs() < 1e-9;
            if rest.iter().any(|(v, _)| !is_decade(*v)) {
                a.ticks
                    .extend(rest.into_iter().filter(|(v, _)| is_decade(*v)));
            } else if rest.first().is_some_and(|(v, _)| (*v - c).abs() < 1e-9 * c) && rest.len() > 2
            {
                a.ticks.extend(rest.into_iter().skip(1));
            } else {
                let n = rest.len();
                a.ticks.extend(
                    rest.into_iter()
                        .enumerate()
                        .filter(|(i, _)| (n - 1 - i) % 2 == 0)
                        .map(|(_, t)| t),
                );
            }
        }
        Scale::Categories(_) => {
            a.ticks = axis.ticks.iter().step_by(2).cloned().collect();
        }
    }
    Some(a)
}
