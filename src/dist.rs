//! TEMPORARY stub: replaced by the topology branch's full implementation.
use crate::error::FieldError;
use crate::units::Msat;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(tag = "dist", rename_all = "snake_case", deny_unknown_fields)]
pub enum AmountDist {
    Fixed { sat: f64 },
    Lognormal { median_sat: f64, sigma: f64 },
}
impl AmountDist {
    pub fn validate(&self, _field: &str) -> Result<(), FieldError> {
        Ok(())
    }
    pub fn sample<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> Msat {
        match self {
            AmountDist::Fixed { sat } => Msat((sat * 1000.0) as u64),
            AmountDist::Lognormal { median_sat, .. } => Msat((median_sat * 1000.0 * (0.5 + rng.random::<f64>())) as u64),
        }
    }
}
