//! What a run returns: its counters ([`Totals`]), its summary ([`RunResult`]) and the
//! metric columns of `summary.csv` / `stats.csv` ([`RunResult::metrics`]).
//!
//! Defined here, below the engine, so that output and reports read results without
//! depending on the engine.

use super::{FailureReason, Imbalance, ProbeRound, Rejection};
use crate::security::SecurityTotals;
use crate::topology::NodeId;
use crate::units::{Msat, SimDuration, SimTime};

/// Counters of one run (see [`RunResult`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Totals {
    pub payments: u64,
    pub succeeded: u64,
    pub volume: Msat,
    pub volume_succeeded: Msat,
    pub fees_paid: Msat,
    /// Failed workload payments per [`FailureReason`] (by [`FailureReason::index`]).
    pub failures: [u64; FailureReason::COUNT],
    pub infeasible_failures: u64,
    /// Workload payments whose sender lacked total outbound or whose receiver lacked total
    /// inbound liquidity for the amount when they were created (failed or not).
    pub endpoint_infeasible: u64,
    /// Route attempts of workload payments (rebalances and swaps not counted).
    pub attempts: u64,
    /// Successful workload payments that settled in two or more parts.
    pub mpp_payments: u64,
    /// Parts settled, over successful workload payments.
    pub parts_settled: u64,
    /// Parts (or attempts) of workload payments that failed back.
    pub parts_failed: u64,
    pub rebalances: u64,
    pub rebalances_succeeded: u64,
    pub rebalanced_amount: Msat,
    pub rebalance_fees: Msat,
    pub jit_holds: u64,
    pub jit_forwarded: u64,
    pub swaps: u64,
    pub swap_fees: Msat,
    pub splices: u64,
    pub onchain_txs: u64,
    pub onchain_fees: Msat,
    pub topped_up: Msat,
    pub withdrawn: Msat,
    pub channels_opened: u64,
    pub channels_closed: u64,
    /// Outside money brought into nodes' channel balances: confirmed splice-ins, channel
    /// opens (the funder's capacity), completed loop-ins (the amount delivered).
    pub capital_added: Msat,
    /// Money taken out of nodes' channel balances: splice-outs, closes (both sides'
    /// balances), completed loop-outs (the amount sent to the provider).
    pub capital_removed: Msat,
    /// Strategy actions the engine refused, per [`Rejection`] reason.
    pub rejections: [u64; Rejection::COUNT],
    /// Pinned flows (`[[workload.flow]]`), in flow order. Their payments also count in
    /// the totals above.
    pub flows: Vec<FlowTotals>,
    /// Per chain (runs with several `[[chain]]` tables; else empty), in chain order.
    pub chains: Vec<ChainTotals>,
    /// Cross-chain payments and gateways (runs with several chains).
    pub cross: CrossTotals,
}

/// On-chain activity of one chain (fees in that chain's asset).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChainTotals {
    pub name: String,
    /// Transactions confirmed (after the warm-up).
    pub txs: u64,
    /// Fees of the transactions submitted.
    pub fees: Msat,
}

/// Cross-chain payments, gateway revenue and exposure, free-option outcomes. Values in
/// reference msat (`[[chain]] rate` × amount) are signed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CrossTotals {
    /// Workload payments between nodes of different home chains.
    pub payments: u64,
    pub succeeded: u64,
    /// Gateways' spread earned on settled hand-overs, at the rates when they forwarded.
    pub gateway_revenue_ref: i64,
    /// Most value (reference msat) gateways had locked at once in outgoing cross-chain
    /// HTLCs.
    pub gateway_exposure_max_ref: i64,
    /// Hand-overs an adversarial gateway declined (let time out).
    pub free_option_declines: u64,
    /// What declining saved the adversarial gateways: the loss an honest gateway would
    /// have taken on those hand-overs (outgoing value − incoming value at the rates then).
    pub free_option_gain_ref: i64,
    /// Losses honest gateways took forwarding after the rate moved against them by more
    /// than their spread.
    pub gateway_fx_loss_ref: i64,
    /// Cross-chain swaps (top-ups across chains) whose payout was spliced in.
    pub swaps: u64,
    /// What they delivered, reference msat at the rates on payout.
    pub swapped_ref: i64,
}

/// Counters of one pinned flow.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FlowTotals {
    pub name: String,
    pub payments: u64,
    pub succeeded: u64,
    pub volume: Msat,
    pub volume_succeeded: Msat,
    pub fees_paid: Msat,
}

/// What a run returns besides what it streamed to the recorder.
#[derive(Debug, Clone, PartialEq)]
pub struct RunResult {
    pub totals: Totals,
    pub end_time: SimTime,
    pub events: u64,
    /// Payment latency percentiles (successful workload payments), ms: p50, p90, p99.
    pub latency_ms: [f64; 3],
    pub final_imbalance: Imbalance,
    pub initial_imbalance: Imbalance,
    /// Routing revenue per node, net of its rebalancing fees, swap fees and on-chain fees.
    pub node_net_revenue: Vec<i64>,
    /// Routing fee revenue per node.
    pub node_revenue: Vec<Msat>,
    /// Security-model counters (runs with `[security]` only).
    pub security: Option<SecurityTotals>,
    /// Summary metrics cover payments created at or after this time (`[metrics] warmup_s`;
    /// zero without warm-up); counters were reset then.
    pub measured_from: SimTime,
    /// Cost of the outside capital at `[metrics] capital_rate_per_year`: the rate times the
    /// time integral of the net capital added since `measured_from` (added − removed, where
    /// positive), over a year of 365.25 days.
    pub capital_cost: Msat,
    /// Probe amounts (ascending) and rounds (runs with `[workload.probes]`; else empty).
    pub probe_amounts: Vec<Msat>,
    pub probe_rounds: Vec<ProbeRound>,
    /// Per node: capital and capital flows (index = node id).
    pub nodes: Vec<NodeStats>,
    /// Per channel (index = channel id, channels opened during the run included).
    pub channels: super::chanstats::ChannelResults,
}

/// Capital of one node: the sum of its own balances (plus what it has in flight) over its
/// open channels, at the start of measurement and at the end, and the outside money it
/// moved in or out (see [`Totals::capital_added`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NodeStats {
    pub capital_start: Msat,
    pub capital_end: Msat,
    pub capital_added: Msat,
    pub capital_removed: Msat,
    /// Σ capacity of its open channels at the end.
    pub capacity_end: Msat,
}

impl NodeStats {
    /// Own funds over own capacity at the end (the paper's ν); NaN without open channels.
    pub fn share_end(&self) -> f64 {
        if self.capacity_end.0 > 0 {
            self.capital_end.0 as f64 / self.capacity_end.0 as f64
        } else {
            f64::NAN
        }
    }
}

/// One direction of a channel: side `d` offering HTLCs to the other side.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DirStats {
    /// HTLCs settled over this direction (payments, rebalances and swaps alike).
    pub forwarded: u64,
    pub forwarded_volume: Msat,
    /// Forwarding fees side `d` earned for HTLCs it passed on over this direction.
    pub fee_revenue: Msat,
    /// Time this direction was depleted: spendable balance below
    /// `max(1 msat, depleted_share × capacity)` (the same floor as `depleted_share_*`).
    pub depleted: SimDuration,
    /// Workload payment attempts that failed here for lack of balance.
    pub failures: u64,
    /// Rebalancing cost attributed to this direction: fees of rebalances that refilled it
    /// (just-in-time ones included), swap fees and on-chain fees of splices and swaps on it.
    pub rebalance_cost: Msat,
}

/// Per-channel statistics of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelStats {
    pub nodes: [NodeId; 2],
    /// Capacity at the end.
    pub capacity: Msat,
    /// Balances of each side at the start of measurement and at the end.
    pub balance_start: [Msat; 2],
    pub balance_end: [Msat; 2],
    /// Still open at the end.
    pub open: bool,
    pub dirs: [DirStats; 2],
}

/// `probe_success_<amount>sat` names an amount in whole satoshi (fractions as msat).
pub fn probe_amount_label(a: Msat) -> String {
    if a.0.is_multiple_of(1000) {
        format!("{}sat", a.0 / 1000)
    } else {
        format!("{}msat", a.0)
    }
}

impl RunResult {
    /// The headline metrics of a run as (name, value) in a fixed order: the columns of
    /// `summary.csv` and the rows of `stats.csv`. Money in satoshi (fractional), times in
    /// seconds or milliseconds as named. The `fail_<reason>` columns come from
    /// [`FailureReason::ALL`] (they add up to `payments − succeeded`), the
    /// `rejected_<reason>` columns from [`Rejection::ALL`].
    pub fn metrics(&self) -> Vec<(String, f64)> {
        let t = &self.totals;
        let sat = |m: Msat| m.0 as f64 / 1000.0;
        let ratio = |a: u64, b: u64| if b > 0 { a as f64 / b as f64 } else { f64::NAN };
        let end_s = self.end_time.secs_f64();
        let measured_s = end_s - self.measured_from.secs_f64();
        let cost = t.rebalance_fees + t.swap_fees + t.onchain_fees;
        let mut m: Vec<(String, f64)> = Vec::with_capacity(96);
        let mut put = |k: &str, v: f64| m.push((k.to_string(), v));
        for (k, v) in [
            ("payments", t.payments as f64),
            ("succeeded", t.succeeded as f64),
            ("success_ratio", ratio(t.succeeded, t.payments)),
            (
                "volume_success_ratio",
                ratio(t.volume_succeeded.0, t.volume.0),
            ),
            ("volume_sat", sat(t.volume)),
            ("fees_paid_sat", sat(t.fees_paid)),
            (
                "fee_ppm",
                ratio(t.fees_paid.0 * 1_000_000, t.volume_succeeded.0),
            ),
        ] {
            put(k, v);
        }
        for r in FailureReason::ALL {
            if r.cross_chain_only() && t.chains.is_empty() {
                continue;
            }
            put(&format!("fail_{}", r.name()), t.failures[r.index()] as f64);
        }
        for (k, v) in [
            ("infeasible_failures", t.infeasible_failures as f64),
            ("endpoint_infeasible", t.endpoint_infeasible as f64),
            (
                "endpoint_infeasible_share",
                ratio(t.endpoint_infeasible, t.payments),
            ),
            ("attempts_per_payment", ratio(t.attempts, t.payments)),
            ("latency_p50_ms", self.latency_ms[0]),
            ("latency_p90_ms", self.latency_ms[1]),
            ("latency_p99_ms", self.latency_ms[2]),
            (
                "throughput_per_s",
                if measured_s > 0.0 {
                    t.succeeded as f64 / measured_s
                } else {
                    f64::NAN
                },
            ),
            (
                "depleted_share_start",
                self.initial_imbalance.depleted_share,
            ),
            ("depleted_share_end", self.final_imbalance.depleted_share),
            ("mean_abs_skew_end", self.final_imbalance.mean_abs_skew),
            ("node_gini_start", self.initial_imbalance.node_gini),
            ("node_gini_end", self.final_imbalance.node_gini),
            ("node_gini_p10_start", self.initial_imbalance.node_gini_p10),
            ("node_gini_p50_start", self.initial_imbalance.node_gini_p50),
            ("node_gini_p90_start", self.initial_imbalance.node_gini_p90),
            ("node_gini_p10_end", self.final_imbalance.node_gini_p10),
            ("node_gini_p50_end", self.final_imbalance.node_gini_p50),
            ("node_gini_p90_end", self.final_imbalance.node_gini_p90),
            (
                "network_imbalance_start",
                self.initial_imbalance.network_imbalance,
            ),
            (
                "network_imbalance_end",
                self.final_imbalance.network_imbalance,
            ),
            ("rebalances", t.rebalances as f64),
            ("rebalances_succeeded", t.rebalances_succeeded as f64),
            ("rebalanced_sat", sat(t.rebalanced_amount)),
            ("rebalance_fees_sat", sat(t.rebalance_fees)),
            ("jit_holds", t.jit_holds as f64),
            ("jit_forwarded", t.jit_forwarded as f64),
            ("swaps", t.swaps as f64),
            ("swap_fees_sat", sat(t.swap_fees)),
            ("splices", t.splices as f64),
            ("onchain_txs", t.onchain_txs as f64),
            ("onchain_fees_sat", sat(t.onchain_fees)),
            ("total_cost_sat", sat(cost)),
            ("topped_up_sat", sat(t.topped_up)),
            ("withdrawn_sat", sat(t.withdrawn)),
            ("capital_added_sat", sat(t.capital_added)),
            ("capital_removed_sat", sat(t.capital_removed)),
            ("capital_cost_sat", sat(self.capital_cost)),
            ("total_cost_with_capital_sat", sat(cost + self.capital_cost)),
            ("channels_opened", t.channels_opened as f64),
            ("channels_closed", t.channels_closed as f64),
            ("rejected_actions", t.rejections.iter().sum::<u64>() as f64),
        ] {
            put(k, v);
        }
        for r in Rejection::ALL {
            put(
                &format!("rejected_{}", r.name()),
                t.rejections[r.index()] as f64,
            );
        }
        for f in &t.flows {
            let n = &f.name;
            put(&format!("flow_{n}_payments"), f.payments as f64);
            put(&format!("flow_{n}_succeeded"), f.succeeded as f64);
            put(
                &format!("flow_{n}_success_ratio"),
                ratio(f.succeeded, f.payments),
            );
            put(
                &format!("flow_{n}_volume_success_ratio"),
                ratio(f.volume_succeeded.0, f.volume.0),
            );
            put(&format!("flow_{n}_fees_paid_sat"), sat(f.fees_paid));
        }
        for c in &t.chains {
            put(&format!("chain_{}_txs", c.name), c.txs as f64);
            put(&format!("chain_{}_fees_sat", c.name), sat(c.fees));
        }
        if !t.chains.is_empty() {
            let x = &t.cross;
            let r = |v: i64| v as f64 / 1000.0;
            put("cross_payments", x.payments as f64);
            put("cross_succeeded", x.succeeded as f64);
            put("cross_success_ratio", ratio(x.succeeded, x.payments));
            put("gateway_revenue_ref_sat", r(x.gateway_revenue_ref));
            put(
                "gateway_exposure_max_ref_sat",
                r(x.gateway_exposure_max_ref),
            );
            put("free_option_declines", x.free_option_declines as f64);
            put("free_option_gain_ref_sat", r(x.free_option_gain_ref));
            put("gateway_fx_loss_ref_sat", r(x.gateway_fx_loss_ref));
            put("cross_swaps", x.swaps as f64);
            put("cross_swapped_ref_sat", r(x.swapped_ref));
        }
        self.probe_metrics(&mut put);
        put("events", self.events as f64);
        put("end_time_s", end_s);
        put("warmup_s", self.measured_from.secs_f64());
        put("mpp_share", ratio(t.mpp_payments, t.succeeded));
        put("parts_per_success", ratio(t.parts_settled, t.succeeded));
        put(
            "failed_parts_per_payment",
            ratio(t.parts_failed, t.payments),
        );
        if let Some(sec) = &self.security {
            for (k, v) in sec.metrics() {
                put(k, v);
            }
        }
        m
    }

    /// Probe columns (runs with probes only): `probe_success_<a>` per amount `a`, pooled
    /// over the rounds from `measured_from` on; with `at_start` / `at_end` also
    /// `probe_success_start_<a>` / `probe_success_end_<a>` and
    /// `probe_median_payable_{start,end}_sat` of those rounds.
    fn probe_metrics(&self, put: &mut impl FnMut(&str, f64)) {
        if self.probe_amounts.is_empty() {
            return;
        }
        let ratio = |a: u64, b: u64| if b > 0 { a as f64 / b as f64 } else { f64::NAN };
        let sum = |pick: &dyn Fn(&ProbeRound) -> bool, i: usize| {
            self.probe_rounds
                .iter()
                .filter(|r| pick(r))
                .fold((0u64, 0u64), |(t, s), r| {
                    (t + r.tried[i], s + r.succeeded[i])
                })
        };
        for (i, a) in self.probe_amounts.iter().enumerate() {
            let (t, s) = sum(&|r| r.time >= self.measured_from, i);
            put(
                &format!("probe_success_{}", probe_amount_label(*a)),
                ratio(s, t),
            );
        }
        for (tag, pick) in [
            (
                "start",
                &(|r: &ProbeRound| r.at_start) as &dyn Fn(&ProbeRound) -> bool,
            ),
            ("end", &|r: &ProbeRound| r.at_end),
        ] {
            let Some(round) = self.probe_rounds.iter().find(|r| pick(r)) else {
                continue;
            };
            for (i, a) in self.probe_amounts.iter().enumerate() {
                put(
                    &format!("probe_success_{tag}_{}", probe_amount_label(*a)),
                    ratio(round.succeeded[i], round.tried[i]),
                );
            }
            put(
                &format!("probe_median_payable_{tag}_sat"),
                round.median_payable.0 as f64 / 1000.0,
            );
        }
    }
}
