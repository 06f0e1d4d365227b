pub mod error;
pub mod report;
pub mod rng;
pub mod topology;
pub mod units;
