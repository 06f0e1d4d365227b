//! # pcnsim
//!
//! A discrete-event simulator of Lightning-style payment channel networks and of the
//! strategies that rebalance them.
//!
//! ## Concepts
//!
//! * A **topology** ([`topology`]) is the channel graph: nodes, channels, capacities, initial
//!   balances and fee policies, generated or imported from a real snapshot. Immutable.
//! * The **network** ([`network`]) is one run's live state of every channel: balances,
//!   HTLCs in flight. Only its own methods change it, and each keeps
//!   `balance + in-flight = capacity`.
//! * A **workload** ([`workload`]) generates payments (who pays whom, how much, when) from
//!   its own random stream, so every strategy sees the same payments.
//! * A **router** ([`routing`]) is how a sender finds a route with what it knows.
//! * A **strategy** ([`strategy`]) rebalances channels: it sees what its nodes know and
//!   returns actions; the engine validates and carries them out.
//! * The **engine** ([`engine`]) runs one simulation: events in (time, sequence) order,
//!   HTLCs hop by hop, the chain ([`chain`]), the security model ([`security`]).
//! * **Metrics** ([`metrics`]) are what a run measures; an **experiment** ([`experiment`])
//!   runs a scenario's strategies × sweep points × replications in parallel and writes
//!   results ([`output`]) and reports ([`report`]).
//!
//! ## Pipeline
//!
//! scenario file → [`sweep::load`] (validated once, every error with file:line:field) →
//! [`experiment::run_experiment`] → per run [`experiment::execute`] (topology + workload +
//! strategy → [`engine::Engine`] → [`metrics::RunResult`]) → `results/<name>/`.
//!
//! ## Example
//!
//! One run of a tiny scenario, in memory:
//!
//! ```
//! use pcnsim::{experiment, metrics::NullRecorder, scenario};
//! use std::path::Path;
//!
//! let text = r#"
//! name = "tiny"
//! [topology]
//! kind = "ring"
//! nodes = 10
//! [workload]
//! payments = 200
//! amount = { dist = "fixed", sat = 1000 }
//! "#;
//! let s = scenario::parse(text, "tiny.toml", Path::new("."), None).unwrap();
//! let plan = experiment::plan_point(&s, 0, 0);
//! let r = experiment::execute(&s, &plan[0], &mut NullRecorder).unwrap();
//! assert_eq!(r.totals.payments, 200);
//! assert!(r.totals.succeeded > 0);
//! ```
//!
//! See ARCHITECTURE.md for the code map, the layers and the invariants.

pub mod chain;
pub mod dist;
pub mod engine;
pub mod error;
pub mod experiment;
pub mod layers;
pub mod metrics;
pub mod names;
pub mod network;
pub mod output;
pub mod plan;
pub mod reference;
pub mod report;
pub mod rng;
pub mod routing;
pub mod scenario;
pub mod security;
pub mod slurm;
pub mod strategy;
pub mod sweep;
pub mod topology;
pub mod units;
pub mod workload;
