//! Resolved engine parameters (built from the scenario by [`crate::scenario`]).

use crate::chain::TxSizes;
use crate::error::FieldError;
use crate::routing::RouterParams;
use crate::units::{Msat, SimDuration};
use rand::Rng;
use rand_distr::{Distribution, Exp, LogNormal};
use serde::Deserialize;

/// Per-hop message latency, in milliseconds (`hop_latency = { dist = "uniform", ... }`).
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq)]
#[serde(tag = "dist", rename_all = "snake_case", deny_unknown_fields)]
pub enum LatencyDist {
    Fixed { ms: f64 },
    Uniform { min_ms: f64, max_ms: f64 },
    Exponential { mean_ms: f64 },
    Lognormal { median_ms: f64, sigma: f64 },
}

impl Default for LatencyDist {
    /// 10–100 ms per hop, uniform.
    fn default() -> Self {
        LatencyDist::Uniform {
            min_ms: 10.0,
            max_ms: 100.0,
        }
    }
}

impl LatencyDist {
    pub fn validate(&self, field: &str) -> Result<(), FieldError> {
        let ok = |x: f64| x.is_finite() && x >= 0.0;
        let bad = |k: &str, m: &str| Err(FieldError::new(format!("{field}.{k}"), m.to_string()));
        let params: &[(&str, f64)] = match self {
            LatencyDist::Fixed { ms } => &[("ms", *ms)],
            LatencyDist::Uniform { min_ms, max_ms } => &[("min_ms", *min_ms), ("max_ms", *max_ms)],
            LatencyDist::Exponential { mean_ms } => &[("mean_ms", *mean_ms)],
            LatencyDist::Lognormal { median_ms, sigma } => {
                if *sigma > 10.0 {
                    return bad("sigma", "expected at most 10");
                }
                &[("median_ms", *median_ms)]
            }
        };
        for (k, v) in params {
            if *v > MAX_HOP_LATENCY_MS {
                return Err(FieldError::new(
                    format!("{field}.{k}"),
                    format!("expected at most {MAX_HOP_LATENCY_MS} ms per hop, got {v}"),
                ));
            }
        }
        match *self {
            LatencyDist::Fixed { ms } if !ok(ms) => bad("ms", "expected a non-negative number"),
            LatencyDist::Uniform { min_ms, max_ms }
                if !(ok(min_ms) && ok(max_ms) && min_ms <= max_ms) =>
            {
                bad("max_ms", "expected 0 <= min_ms <= max_ms")
            }
            LatencyDist::Exponential { mean_ms } if !(ok(mean_ms) && mean_ms > 0.0) => {
                bad("mean_ms", "expected a positive number")
            }
            LatencyDist::Lognormal { median_ms, sigma }
                if !(ok(median_ms) && median_ms > 0.0 && ok(sigma) && sigma > 0.0) =>
            {
                bad("sigma", "expected median_ms > 0 and sigma > 0")
            }
            _ => Ok(()),
        }
    }

    /// Draws one latency. The distribution was validated, so construction cannot fail; a
    /// degenerate case falls back to the median.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> SimDuration {
        let ms = match *self {
            LatencyDist::Fixed { ms } => ms,
            LatencyDist::Uniform { min_ms, max_ms } => {
                if max_ms > min_ms {
                    rng.random_range(min_ms..max_ms)
                } else {
                    min_ms
                }
            }
            LatencyDist::Exponential { mean_ms } => match Exp::new(1.0 / mean_ms) {
                Ok(d) => d.sample(rng),
                Err(_) => mean_ms,
            },
            LatencyDist::Lognormal { median_ms, sigma } => {
                match LogNormal::new(median_ms.ln(), sigma) {
                    Ok(d) => d.sample(rng),
                    Err(_) => median_ms,
                }
            }
        };
        // A heavy tail (a log-normal with a large sigma) could draw years; one hop never
        // takes longer than MAX_HOP_LATENCY_MS.
        SimDuration::from_secs_f64(ms.min(MAX_HOP_LATENCY_MS) / 1000.0)
    }
}

/// The longest latency of one hop, ms (and the largest latency parameter allowed).
pub const MAX_HOP_LATENCY_MS: f64 = 1e6;

/// Submarine-swap provider terms.
#[derive(Debug, Clone, PartialEq)]
pub struct SwapParams {
    /// Provider's fee, ppm of the swapped amount.
    pub fee_ppm: u64,
    /// The provider's node (a well-connected node of the graph).
    pub provider: Option<crate::topology::NodeId>,
}

/// Atomic multi-part payments (`[routing] mpp = { max_parts, min_part_sat, timeout_s }`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MppParams {
    /// Parts in flight at once (lnd's `max_parts`, default 16).
    pub max_parts: u32,
    /// Binary splitting stops here: no part is smaller (default 10 000 sat).
    pub min_part: Msat,
    /// The receiver fails every held part back if the total has not arrived this long
    /// after the first part (lnd: 120 s).
    pub timeout: SimDuration,
}

/// Everything the engine needs besides the topology, workload and strategy.
#[derive(Debug, Clone)]
pub struct EngineParams {
    pub router: RouterParams,
    /// Which router (`[routing] router`) and its options.
    pub pathfinder: crate::routing::registry::RouterSpec,
    /// Multi-part payments (`[routing] mpp`); `None`: every payment is one HTLC chain.
    pub mpp: Option<MppParams>,
    pub max_attempts: u32,
    pub payment_timeout: SimDuration,
    pub hop_latency: LatencyDist,
    /// Probability that a node is offline when an HTLC is forwarded to it.
    pub offline_probability: f64,
    /// Length of a time-series window.
    pub window: SimDuration,
    /// A channel direction is depleted below this share of capacity.
    pub depleted_share: f64,
    pub block_interval: SimDuration,
    pub confirmations: u64,
    pub tx_sizes: TxSizes,
    pub swap: SwapParams,
    /// Stop the run at this time even if payments are pending (None: when all resolve).
    pub horizon: Option<crate::units::SimTime>,
    /// Security model (`[security]`); `None`: no signed states, no disputes.
    pub security: Option<crate::security::config::SecurityConfig>,
    /// Summary metrics cover payments created from this time on (`[metrics] warmup_s`).
    pub warmup: SimDuration,
    /// Annual cost of outside capital (`[metrics] capital_rate_per_year`, default 0.05).
    pub capital_rate_per_year: f64,
    /// Read-only payment probes (`[workload.probes]`).
    pub probes: Option<std::sync::Arc<crate::workload::ProbeSpec>>,
    /// Several main chains (`[[chain]]` with two or more tables); `None`: one chain
    /// described by `block_interval`, `confirmations`, `tx_sizes` and the fee rates.
    pub chains: Option<std::sync::Arc<crate::chain::ChainSet>>,
}

impl Default for EngineParams {
    fn default() -> Self {
        EngineParams {
            router: RouterParams::default(),
            pathfinder: Default::default(),
            mpp: None,
            max_attempts: 10,
            payment_timeout: SimDuration::from_secs(60),
            hop_latency: LatencyDist::default(),
            offline_probability: 0.0,
            window: SimDuration::from_secs(60),
            depleted_share: 0.05,
            block_interval: SimDuration::from_secs(600),
            confirmations: 3,
            tx_sizes: TxSizes::default(),
            swap: SwapParams {
                fee_ppm: 1000,
                provider: None,
            },
            horizon: None,
            security: None,
            warmup: SimDuration::ZERO,
            capital_rate_per_year: 0.05,
            probes: None,
            chains: None,
        }
    }
}
