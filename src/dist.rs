//! Random distributions written in scenario files: amounts ([`AmountDist`]) and small
//! integer values such as fees ([`FeeValue`]).
//!
//! Amounts are written in satoshi in TOML (people think in sat) and sampled as integer
//! [`Msat`], never below 1 msat. Every distribution is checked once by `validate`, which
//! names the offending TOML key; `sample` then never fails and never panics. This module
//! only describes and samples distributions: it knows nothing about channels or payments.

use crate::error::FieldError;
use crate::units::Msat;
use rand::Rng;
use rand_distr::{Distribution, LogNormal, Pareto};
use serde::{Deserialize, Serialize};

/// The largest amount any distribution may produce or be configured with: the bitcoin
/// supply, 21 million BTC = 2.1e15 sat.
pub const MAX_SAT: u64 = 2_100_000_000_000_000;
const MAX_MSAT: u64 = MAX_SAT * 1000;

/// A distribution of amounts, given in satoshi, sampled in msat.
///
/// ```toml
/// capacity = { dist = "fixed", sat = 1000000 }
/// capacity = { dist = "uniform", min_sat = 100000, max_sat = 5000000 }
/// capacity = { dist = "lognormal", median_sat = 2000000, sigma = 1.0 }
/// capacity = { dist = "pareto", scale_sat = 100000, alpha = 1.5, max_sat = 100000000 }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "dist", rename_all = "snake_case", deny_unknown_fields)]
pub enum AmountDist {
    /// Always `sat` satoshi.
    Fixed { sat: u64 },
    /// Uniform over the whole msat range `[min_sat, max_sat]` (both ends included).
    Uniform { min_sat: u64, max_sat: u64 },
    /// Log-normal with the given median (`exp(mu)`) and shape `sigma` (std-dev of the log).
    Lognormal { median_sat: f64, sigma: f64 },
    /// Pareto (type I) with minimum `scale_sat` and tail index `alpha`; draws above the
    /// optional `max_sat` are capped at `max_sat` (not redrawn).
    Pareto {
        scale_sat: f64,
        alpha: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_sat: Option<f64>,
    },
}

fn positive_finite(v: f64, field: String) -> Result<(), FieldError> {
    if !v.is_finite() || v <= 0.0 {
        return Err(FieldError::new(
            field,
            format!("must be a finite number > 0, got {v}"),
        ));
    }
    Ok(())
}

fn sat_in_range(v: f64, field: String) -> Result<(), FieldError> {
    positive_finite(v, field.clone())?;
    if v > MAX_SAT as f64 {
        return Err(FieldError::new(
            field,
            format!("must be at most {MAX_SAT} sat (21 million BTC), got {v}"),
        ));
    }
    Ok(())
}

/// Converts a draw in (fractional) sat to msat, rounded, clamped to `[1, MAX_MSAT]`.
fn sat_f64_to_msat(sat: f64) -> Msat {
    let msat = (sat * 1000.0).round();
    if msat.is_nan() || msat < 1.0 {
        Msat(1)
    } else if msat >= MAX_MSAT as f64 {
        Msat(MAX_MSAT)
    } else {
        Msat(msat as u64)
    }
}

impl AmountDist {
    /// Checks the parameters. `field` is the dotted key path of this distribution (e.g.
    /// `topology.capacity`); the returned error names the parameter, e.g.
    /// `topology.capacity.sigma`.
    pub fn validate(&self, field: &str) -> Result<(), FieldError> {
        let f = |name: &str| format!("{field}.{name}");
        match *self {
            AmountDist::Fixed { sat } => sat_in_range(sat as f64, f("sat")),
            AmountDist::Uniform { min_sat, max_sat } => {
                sat_in_range(min_sat as f64, f("min_sat"))?;
                sat_in_range(max_sat as f64, f("max_sat"))?;
                if min_sat > max_sat {
                    return Err(FieldError::new(
                        f("max_sat"),
                        format!("must be >= min_sat ({min_sat}), got {max_sat}"),
                    ));
                }
                Ok(())
            }
            AmountDist::Lognormal { median_sat, sigma } => {
                sat_in_range(median_sat, f("median_sat"))?;
                positive_finite(sigma, f("sigma"))?;
                if sigma > 10.0 {
                    return Err(FieldError::new(
                        f("sigma"),
                        format!("must be at most 10 (the log-scale std-dev), got {sigma}"),
                    ));
                }
                Ok(())
            }
            AmountDist::Pareto {
                scale_sat,
                alpha,
                max_sat,
            } => {
                sat_in_range(scale_sat, f("scale_sat"))?;
                positive_finite(alpha, f("alpha"))?;
                if let Some(max) = max_sat {
                    sat_in_range(max, f("max_sat"))?;
                    if max < scale_sat {
                        return Err(FieldError::new(
                            f("max_sat"),
                            format!("must be >= scale_sat ({scale_sat}), got {max}"),
                        ));
                    }
                }
                Ok(())
            }
        }
    }

    /// One draw, in msat, at least 1 msat. Assumes [`validate`](Self::validate) passed;
    /// with invalid parameters it still returns some amount >= 1 msat rather than panic.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Msat {
        match *self {
            AmountDist::Fixed { sat } => Msat(sat.saturating_mul(1000).clamp(1, MAX_MSAT)),
            AmountDist::Uniform { min_sat, max_sat } => {
                let lo = min_sat.saturating_mul(1000).clamp(1, MAX_MSAT);
                let hi = max_sat.saturating_mul(1000).clamp(lo, MAX_MSAT);
                Msat(rng.random_range(lo..=hi))
            }
            AmountDist::Lognormal { median_sat, sigma } => {
                match LogNormal::new(median_sat.ln(), sigma) {
                    Ok(d) => sat_f64_to_msat(d.sample(rng)),
                    Err(_) => sat_f64_to_msat(median_sat),
                }
            }
            AmountDist::Pareto {
                scale_sat,
                alpha,
                max_sat,
            } => {
                let x = match Pareto::new(scale_sat, alpha) {
                    Ok(d) => d.sample(rng),
                    Err(_) => scale_sat,
                };
                sat_f64_to_msat(max_sat.map_or(x, |m| x.min(m)))
            }
        }
    }

    /// The analytic mean in msat (ignoring the rounding to whole msat), or `None` when it
    /// is infinite (an uncapped Pareto with `alpha <= 1`).
    pub fn mean_msat(&self) -> Option<f64> {
        let sat = match *self {
            AmountDist::Fixed { sat } => sat as f64,
            AmountDist::Uniform { min_sat, max_sat } => (min_sat as f64 + max_sat as f64) / 2.0,
            AmountDist::Lognormal { median_sat, sigma } => median_sat * (sigma * sigma / 2.0).exp(),
            AmountDist::Pareto {
                scale_sat: s,
                alpha: a,
                max_sat: None,
            } => {
                if a <= 1.0 {
                    return None;
                }
                a * s / (a - 1.0)
            }
            AmountDist::Pareto {
                scale_sat: s,
                alpha: a,
                max_sat: Some(c),
            } => {
                // E[min(X, c)] = s + ∫_s^c (s/x)^a dx.
                if c <= s {
                    s
                } else if (a - 1.0).abs() < 1e-12 {
                    s + s * (c / s).ln()
                } else {
                    s + s.powf(a) * (c.powf(1.0 - a) - s.powf(1.0 - a)) / (1.0 - a)
                }
            }
        };
        Some(sat * 1000.0)
    }
}

/// An integer value that is either fixed or drawn per use: fee base, fee rate, CLTV delta.
///
/// ```toml
/// base_msat = 1000                                  # fixed
/// ppm = { dist = "uniform", min = 1, max = 500 }    # uniform integer, both ends included
/// cltv_delta = { dist = "choice", values = [40, 80, 144] }  # uniform pick
/// ```
///
/// Deserialized by hand (not `#[serde(untagged)]`) so that a malformed table reports what
/// is wrong in it (say a missing `max`) instead of "did not match any variant".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum FeeValue {
    Fixed(u64),
    Dist(FeeDist),
}

impl<'de> Deserialize<'de> for FeeValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = FeeValue;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "a non-negative integer, { dist = \"uniform\", min, max } or \
                     { dist = \"choice\", values = [..] }",
                )
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<FeeValue, E> {
                Ok(FeeValue::Fixed(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<FeeValue, E> {
                u64::try_from(v)
                    .map(FeeValue::Fixed)
                    .map_err(|_| E::custom(format!("must be >= 0, got {v}")))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<FeeValue, A::Error> {
                FeeDist::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(FeeValue::Dist)
            }
        }
        d.deserialize_any(V)
    }
}

/// The random forms of a [`FeeValue`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "dist", rename_all = "snake_case", deny_unknown_fields)]
pub enum FeeDist {
    /// Uniform integer in `[min, max]`, both ends included.
    Uniform { min: u64, max: u64 },
    /// One of `values`, each equally likely.
    Choice { values: Vec<u64> },
}

impl FeeValue {
    /// Checks that every value the distribution can produce is in `0..=max` (e.g.
    /// `u16::MAX` for a CLTV delta) and that the distribution is well formed.
    pub fn validate(&self, field: &str, max: u64) -> Result<(), FieldError> {
        let check = |v: u64, name: String| {
            if v > max {
                Err(FieldError::new(
                    name,
                    format!("must be at most {max}, got {v}"),
                ))
            } else {
                Ok(())
            }
        };
        match self {
            FeeValue::Fixed(v) => check(*v, field.to_string()),
            FeeValue::Dist(FeeDist::Uniform { min, max: hi }) => {
                check(*min, format!("{field}.min"))?;
                check(*hi, format!("{field}.max"))?;
                if min > hi {
                    return Err(FieldError::new(
                        format!("{field}.max"),
                        format!("must be >= min ({min}), got {hi}"),
                    ));
                }
                Ok(())
            }
            FeeValue::Dist(FeeDist::Choice { values }) => {
                if values.is_empty() {
                    return Err(FieldError::new(
                        format!("{field}.values"),
                        "must hold at least one value",
                    ));
                }
                for (i, v) in values.iter().enumerate() {
                    check(*v, format!("{field}.values[{i}]"))?;
                }
                Ok(())
            }
        }
    }

    /// One draw. An empty `choice` (rejected by `validate`) gives 0.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> u64 {
        match self {
            FeeValue::Fixed(v) => *v,
            FeeValue::Dist(FeeDist::Uniform { min, max }) => {
                if min >= max {
                    *min
                } else {
                    rng.random_range(*min..=*max)
                }
            }
            FeeValue::Dist(FeeDist::Choice { values }) => match values.len() {
                0 => 0,
                n => values.get(rng.random_range(0..n)).copied().unwrap_or(0),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SimRng;
    use rand::SeedableRng;

    const N: usize = 20_000;

    fn draws(d: &AmountDist, seed: u64) -> Vec<u64> {
        let mut rng = SimRng::seed_from_u64(seed);
        let mut v: Vec<u64> = (0..N).map(|_| d.sample(&mut rng).0).collect();
        v.sort_unstable();
        v
    }
    fn mean(v: &[u64]) -> f64 {
        v.iter().map(|&x| x as f64).sum::<f64>() / v.len() as f64
    }
    fn median(v: &[u64]) -> f64 {
        v[v.len() / 2] as f64
    }
    fn rel(a: f64, b: f64) -> f64 {
        (a - b).abs() / b
    }

    #[test]
    fn dist_parses_from_toml_and_rejects_unknown_keys() {
        #[derive(Deserialize)]
        struct W {
            c: AmountDist,
        }
        let w: W =
            toml::from_str(r#"c = { dist = "lognormal", median_sat = 2_000_000, sigma = 1.0 }"#)
                .unwrap();
        assert_eq!(
            w.c,
            AmountDist::Lognormal {
                median_sat: 2e6,
                sigma: 1.0
            }
        );
        let w: W = toml::from_str(r#"c = { dist = "pareto", scale_sat = 10, alpha = 2 }"#).unwrap();
        assert_eq!(w.c.mean_msat(), Some(20_000.0));
        assert!(toml::from_str::<W>(r#"c = { dist = "fixed", sat = 5, sigma = 1 }"#).is_err());
        assert!(toml::from_str::<W>(r#"c = { dist = "gamma", sat = 5 }"#).is_err());
    }

    #[test]
    fn dist_validate_names_the_parameter() {
        let e = AmountDist::Lognormal {
            median_sat: 1000.0,
            sigma: f64::NAN,
        }
        .validate("topology.capacity")
        .unwrap_err();
        assert_eq!(e.field, "topology.capacity.sigma");
        let e = AmountDist::Uniform {
            min_sat: 10,
            max_sat: 5,
        }
        .validate("x")
        .unwrap_err();
        assert_eq!(e.field, "x.max_sat");
        let e = AmountDist::Fixed { sat: 0 }.validate("x").unwrap_err();
        assert_eq!(e.field, "x.sat");
        let e = AmountDist::Pareto {
            scale_sat: 10.0,
            alpha: 0.0,
            max_sat: None,
        }
        .validate("x")
        .unwrap_err();
        assert_eq!(e.field, "x.alpha");
        let e = AmountDist::Pareto {
            scale_sat: 10.0,
            alpha: 1.0,
            max_sat: Some(5.0),
        }
        .validate("x")
        .unwrap_err();
        assert_eq!(e.field, "x.max_sat");
    }

    #[test]
    fn dist_fixed_is_exact() {
        let v = draws(&AmountDist::Fixed { sat: 1234 }, 1);
        assert!(v.iter().all(|&x| x == 1_234_000));
    }

    #[test]
    fn dist_uniform_stays_in_bounds_with_right_mean() {
        let d = AmountDist::Uniform {
            min_sat: 1000,
            max_sat: 3000,
        };
        let v = draws(&d, 2);
        assert!(v[0] >= 1_000_000 && v[N - 1] <= 3_000_000);
        // sd of U(1e6, 3e6) is 5.8e5; the standard error of the mean over 20k draws is 4e3.
        assert!(rel(mean(&v), d.mean_msat().unwrap()) < 0.01);
        assert!(rel(median(&v), 2_000_000.0) < 0.02);
        // Both ends are reachable (a 1-msat-wide range gives both values).
        let v = draws(
            &AmountDist::Uniform {
                min_sat: 1,
                max_sat: 1,
            },
            3,
        );
        assert!(v.iter().all(|&x| x == 1000));
    }

    #[test]
    fn dist_lognormal_median_and_mean_match_theory() {
        let d = AmountDist::Lognormal {
            median_sat: 2_000_000.0,
            sigma: 1.0,
        };
        let v = draws(&d, 4);
        // Median exp(mu) = 2e9 msat; mean = median * e^{1/2} = 3.297e9 msat. The mean's
        // relative standard error is sqrt(e - 1) / sqrt(20k) = 0.9 %.
        assert!(rel(median(&v), 2e9) < 0.03, "median {}", median(&v));
        assert!(
            rel(mean(&v), d.mean_msat().unwrap()) < 0.04,
            "mean {}",
            mean(&v)
        );
    }

    #[test]
    fn dist_pareto_mean_and_cap_match_theory() {
        let d = AmountDist::Pareto {
            scale_sat: 1000.0,
            alpha: 3.0,
            max_sat: None,
        };
        let v = draws(&d, 5);
        assert!(v[0] >= 1_000_000);
        // Mean a*s/(a-1) = 1500 sat; median s * 2^{1/a} = 1259.9 sat.
        assert_eq!(d.mean_msat(), Some(1_500_000.0));
        assert!(rel(mean(&v), 1_500_000.0) < 0.02, "mean {}", mean(&v));
        assert!(rel(median(&v), 1_259_921.0) < 0.02, "median {}", median(&v));

        // Heavy tail, capped: alpha = 1 has no mean uncapped, but min(X, 100 s) has mean
        // s (1 + ln 100) = 5605.2 sat.
        let uncapped = AmountDist::Pareto {
            scale_sat: 1000.0,
            alpha: 1.0,
            max_sat: None,
        };
        assert_eq!(uncapped.mean_msat(), None);
        let capped = AmountDist::Pareto {
            scale_sat: 1000.0,
            alpha: 1.0,
            max_sat: Some(100_000.0),
        };
        let m = capped.mean_msat().unwrap();
        assert!(rel(m, 5_605_170.0) < 1e-4, "{m}");
        let v = draws(&capped, 6);
        assert!(v[N - 1] <= 100_000_000);
        assert!(rel(mean(&v), m) < 0.04, "mean {}", mean(&v));
        // The general formula agrees with the alpha = 1 limit.
        let near = AmountDist::Pareto {
            scale_sat: 1000.0,
            alpha: 1.000001,
            max_sat: Some(100_000.0),
        };
        assert!(rel(near.mean_msat().unwrap(), m) < 1e-4);
    }

    #[test]
    fn dist_fee_value_forms() {
        #[derive(Debug, Deserialize)]
        struct W {
            a: FeeValue,
            b: FeeValue,
            c: FeeValue,
        }
        let w: W = toml::from_str(
            r#"
            a = 7
            b = { dist = "uniform", min = 10, max = 20 }
            c = { dist = "choice", values = [40, 144] }
            "#,
        )
        .unwrap();
        let mut rng = SimRng::seed_from_u64(9);
        assert_eq!(w.a.sample(&mut rng), 7);
        let bs: Vec<u64> = (0..2000).map(|_| w.b.sample(&mut rng)).collect();
        assert!(bs.iter().all(|b| (10..=20).contains(b)));
        assert!(bs.contains(&10) && bs.contains(&20));
        let cs: Vec<u64> = (0..2000).map(|_| w.c.sample(&mut rng)).collect();
        let n40 = cs.iter().filter(|&&c| c == 40).count();
        assert!(cs.iter().all(|c| *c == 40 || *c == 144));
        // Binomial(2000, 1/2): sd 22.
        assert!((900..1100).contains(&n40), "{n40}");

        assert_eq!(
            w.c.validate("f.cltv", 100).unwrap_err().field,
            "f.cltv.values[1]"
        );
        assert_eq!(w.a.validate("f.ppm", 5).unwrap_err().field, "f.ppm");
        let bad = FeeValue::Dist(FeeDist::Choice { values: vec![] });
        assert_eq!(bad.validate("f", 10).unwrap_err().field, "f.values");
        assert!(toml::from_str::<W>("a = 1\nb = -3\nc = 1").is_err());
        // A malformed table says what is wrong in it.
        let e = toml::from_str::<W>("a = 1\nb = { dist = \"uniform\", min = 1 }\nc = 1")
            .unwrap_err()
            .to_string();
        assert!(e.contains("max"), "{e}");
        let e = toml::from_str::<W>("a = 1\nb = { dist = \"gauss\" }\nc = 1")
            .unwrap_err()
            .to_string();
        assert!(e.contains("gauss"), "{e}");
        // Serialization round-trips.
        let back: W = toml::from_str(&format!(
            "a = {}\nb = {}\nc = {}",
            toml::Value::try_from(&w.a).unwrap(),
            toml::Value::try_from(&w.b).unwrap(),
            toml::Value::try_from(&w.c).unwrap()
        ))
        .unwrap();
        assert_eq!((back.a, back.b, back.c), (w.a, w.b, w.c));
    }
}
