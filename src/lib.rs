pub mod dist;
pub mod error;
pub mod rng;
pub mod topology;
pub mod units;
