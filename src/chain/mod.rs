//! The main chain: blocks, fee rates, confirmations.
//!
//! Every on-chain action (channel open and close, splice, submarine swap, dispute) is a
//! [`PendingTx`] submitted here. Blocks arrive at exponential intervals; a transaction is
//! included in the next block (block space is not scarce in this model) and takes effect
//! once it has `confirmations` blocks on top (counting its own). The fee it pays is its size
//! in vbytes times the fee rate at submission. Pure state: the engine schedules the blocks.

use crate::error::{limits, read_input_text, require_nonempty, strip_bom, FieldError, InputError};
use crate::topology::{ChannelId, NodeId};
use crate::units::{Msat, SimDuration, SimTime};
use serde::Deserialize;
use std::path::Path;

pub mod multi;
pub use multi::{ChainSet, ChainSpec, ChainsConfig, CrossChainConfig, CrossParams};

/// Sizes of the on-chain transactions, in vbytes.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct TxSizes {
    pub funding: u64,
    pub cooperative_close: u64,
    pub unilateral_close: u64,
    pub splice: u64,
    pub swap: u64,
    pub dispute: u64,
}

impl Default for TxSizes {
    /// Typical P2WSH/P2TR sizes.
    fn default() -> Self {
        TxSizes {
            funding: 154,
            cooperative_close: 169,
            unilateral_close: 300,
            splice: 250,
            swap: 200,
            dispute: 350,
        }
    }
}

/// `[chain]` scenario table (or one table of a `[[chain]]` list, see [`multi`]).
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ChainConfig {
    /// Names the chain in results (`chain_<name>_txs`) and in errors.
    pub name: String,
    /// The asset its channels hold (a label).
    pub asset: String,
    /// Reference units per unit of the asset (used when no `rate_csv`).
    pub rate: f64,
    /// CSV `time_s,rate`: the exchange rate as a step function of time.
    pub rate_csv: Option<String>,
    /// Share of the nodes (not pinned by `nodes`) whose home is this chain; chains without
    /// one split the rest equally.
    pub node_share: Option<f64>,
    /// Nodes whose home is this chain.
    pub nodes: Vec<u32>,
    /// Mean time between blocks, seconds (exponential intervals).
    pub block_interval_s: f64,
    /// Fixed fee rate in sat/vB (used when no `feerate_csv`).
    pub feerate_sat_vb: f64,
    /// CSV `time_s,sat_per_vb`: a step function of time (first row at time 0 or earlier).
    pub feerate_csv: Option<String>,
    /// Blocks (including the one that includes it) before a transaction takes effect.
    pub confirmations: u64,
    pub tx_vbytes: TxSizes,
}

impl Default for ChainConfig {
    fn default() -> Self {
        ChainConfig {
            name: "main".into(),
            asset: "btc".into(),
            rate: 1.0,
            rate_csv: None,
            node_share: None,
            nodes: Vec::new(),
            block_interval_s: 600.0,
            feerate_sat_vb: 10.0,
            feerate_csv: None,
            confirmations: 3,
            tx_vbytes: TxSizes::default(),
        }
    }
}

impl ChainConfig {
    pub fn validate(&self) -> Result<(), FieldError> {
        self.validate_at("chain")
    }

    /// Validates the table written at `prefix` (`chain` or `chain[i]`).
    pub fn validate_at(&self, prefix: &str) -> Result<(), FieldError> {
        if !(self.block_interval_s.is_finite() && self.block_interval_s > 0.0) {
            return Err(FieldError::new(
                format!("{prefix}.block_interval_s"),
                "expected a positive number of seconds",
            ));
        }
        if !(limits::MIN_BLOCK_INTERVAL_S..=limits::MAX_TIME_S).contains(&self.block_interval_s) {
            return Err(FieldError::new(
                format!("{prefix}.block_interval_s"),
                format!(
                    "expected {} to {:.0e} seconds, got {}",
                    limits::MIN_BLOCK_INTERVAL_S,
                    limits::MAX_TIME_S,
                    self.block_interval_s
                ),
            ));
        }
        if !(self.feerate_sat_vb.is_finite() && self.feerate_sat_vb >= 0.0) {
            return Err(FieldError::new(
                format!("{prefix}.feerate_sat_vb"),
                "expected a non-negative fee rate in sat/vB",
            ));
        }
        if self.feerate_sat_vb > limits::MAX_FEERATE_SAT_VB {
            return Err(FieldError::new(
                format!("{prefix}.feerate_sat_vb"),
                format!(
                    "expected at most {:.0e} sat/vB, got {}",
                    limits::MAX_FEERATE_SAT_VB,
                    self.feerate_sat_vb
                ),
            ));
        }
        let t = &self.tx_vbytes;
        for (k, v) in [
            ("funding", t.funding),
            ("cooperative_close", t.cooperative_close),
            ("unilateral_close", t.unilateral_close),
            ("splice", t.splice),
            ("swap", t.swap),
            ("dispute", t.dispute),
        ] {
            if v == 0 || v > limits::MAX_TX_VBYTES {
                return Err(FieldError::new(
                    format!("{prefix}.tx_vbytes.{k}"),
                    format!(
                        "expected 1 to {} vbytes (one block), got {v}",
                        limits::MAX_TX_VBYTES
                    ),
                ));
            }
        }
        if self.confirmations == 0 || self.confirmations > 1000 {
            return Err(FieldError::new(
                format!("{prefix}.confirmations"),
                "expected 1..=1000 blocks",
            ));
        }
        Ok(())
    }

    /// Loads the fee-rate series, if any: `(time, msat per vbyte)` sorted by time.
    pub fn load_feerates(&self, base_dir: &Path) -> Result<Vec<(SimTime, u64)>, InputError> {
        let Some(rel) = &self.feerate_csv else {
            return Ok(vec![(
                SimTime::ZERO,
                (self.feerate_sat_vb * 1000.0).round() as u64,
            )]);
        };
        let path = base_dir.join(rel);
        parse_feerates(&read_input_text(&path, "fee-rate series")?, &path)
    }
}

/// Parses a fee-rate series CSV `time_s,sat_per_vb` into `(time, msat per vbyte)`: times
/// non-decreasing and at most 10^9 s, rates at most 10^6 sat/vB. `path` names the file in
/// errors.
pub fn parse_feerates(text: &str, path: &Path) -> Result<Vec<(SimTime, u64)>, InputError> {
    {
        let path = path.to_path_buf();
        let text = strip_bom(text);
        require_nonempty(text, &path, "fee-rate series")?;
        let mut rdr = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let headers = rdr
            .headers()
            .map_err(|e| InputError::new(&path, e.to_string()).at_line(1))?
            .clone();
        let col = |name: &str| headers.iter().position(|h| h == name);
        let (Some(ti), Some(fi)) = (col("time_s"), col("sat_per_vb")) else {
            return Err(InputError::new(&path, "expected header `time_s,sat_per_vb`").at_line(1));
        };
        let mut out: Vec<(SimTime, u64)> = Vec::new();
        for (i, rec) in rdr.records().enumerate() {
            let line = i + 2;
            let rec = rec.map_err(|e| InputError::new(&path, e.to_string()).at_line(line))?;
            let t: f64 = rec.get(ti).unwrap_or("").parse().map_err(|_| {
                InputError::new(&path, "expected a non-negative number of seconds")
                    .at_line(line)
                    .field("time_s")
            })?;
            let f: f64 = rec.get(fi).unwrap_or("").parse().map_err(|_| {
                InputError::new(&path, "expected a non-negative fee rate")
                    .at_line(line)
                    .field("sat_per_vb")
            })?;
            if !(t.is_finite() && (0.0..=limits::MAX_TIME_S).contains(&t)) {
                return Err(InputError::new(
                    &path,
                    format!(
                        "expected a number of seconds between 0 and {:.0e}",
                        limits::MAX_TIME_S
                    ),
                )
                .at_line(line)
                .field("time_s"));
            }
            if !(f.is_finite() && (0.0..=limits::MAX_FEERATE_SAT_VB).contains(&f)) {
                return Err(InputError::new(
                    &path,
                    format!(
                        "expected a fee rate between 0 and {:.0e} sat/vB",
                        limits::MAX_FEERATE_SAT_VB
                    ),
                )
                .at_line(line)
                .field("sat_per_vb"));
            }
            let t = SimTime(SimDuration::from_secs_f64(t).micros());
            if let Some(&(last, _)) = out.last() {
                if t < last {
                    return Err(InputError::new(&path, "times must be non-decreasing")
                        .at_line(line)
                        .field("time_s"));
                }
            }
            out.push((t, (f * 1000.0).round() as u64));
        }
        if out.is_empty() {
            return Err(InputError::new(&path, "the fee-rate series has no rows").at_line(1));
        }
        Ok(out)
    }
}

/// What an on-chain transaction does when it confirms.
#[derive(Debug, Clone, PartialEq)]
pub enum TxKind {
    /// Adds `amount` to `node`'s side of `chan`.
    SpliceIn { chan: ChannelId, amount: Msat },
    /// Pays out `amount` already removed from `chan` (the funds were taken off at submission).
    SpliceOut { chan: ChannelId, amount: Msat },
    /// The on-chain leg of a loop-in: when it confirms, the provider pays `amount` off-chain
    /// into `chan`.
    SwapIn { chan: ChannelId, amount: Msat },
    /// The on-chain leg of a loop-out: the provider pays `amount` back on chain.
    SwapOut { chan: ChannelId, amount: Msat },
    /// A cross-chain swap's leg on the paying chain: when it confirms, the provider pays
    /// `amount` (already converted) on `to_chan`'s chain ([`TxKind::CrossSwapIn`]).
    CrossSwapOut { to_chan: ChannelId, amount: Msat },
    /// A cross-chain swap's payout spliced into `node`'s side of `chan`.
    CrossSwapIn { chan: ChannelId, amount: Msat },
    /// Opens a channel (the spec is held by the engine under this index).
    Open { pending_open: usize },
    /// Closes a channel, paying both sides out.
    Close { chan: ChannelId, cooperative: bool },
    /// A dispute transaction (security model): opaque to the chain, resolved by the engine.
    Dispute { dispute: usize },
}

/// A transaction waiting for its confirmations.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingTx {
    pub id: u64,
    pub node: NodeId,
    pub kind: TxKind,
    pub fee: Msat,
    pub submitted: SimTime,
    /// Height of the block that included it.
    pub included: Option<u64>,
    /// The strategy's tag, reported back when it takes effect.
    pub tag: u64,
    /// It has its confirmations (and was counted) but its effect was deferred.
    pub confirmed: bool,
}

/// Chain state of one run.
#[derive(Debug, Clone)]
pub struct Chain {
    pub height: u64,
    pub confirmations: u64,
    feerates: std::sync::Arc<[(SimTime, u64)]>,
    pending: Vec<PendingTx>,
    next_id: u64,
    /// Number and total fees of confirmed transactions.
    pub confirmed_count: u64,
    pub confirmed_fees: Msat,
}

impl Chain {
    pub fn new(confirmations: u64, feerates: impl Into<std::sync::Arc<[(SimTime, u64)]>>) -> Self {
        Chain {
            height: 0,
            confirmations: confirmations.max(1),
            feerates: feerates.into(),
            pending: Vec::new(),
            next_id: 0,
            confirmed_count: 0,
            confirmed_fees: Msat::ZERO,
        }
    }

    /// Fee rate at `t`, msat per vbyte.
    pub fn feerate_msat_vb(&self, t: SimTime) -> u64 {
        let i = self.feerates.partition_point(|&(ft, _)| ft <= t);
        self.feerates[i.saturating_sub(1)].1
    }

    /// The fee of a transaction of `vbytes` submitted at `t`.
    pub fn fee_for(&self, vbytes: u64, t: SimTime) -> Msat {
        // Saturating: validated sizes and rates keep it below 10^15 msat.
        Msat(vbytes.saturating_mul(self.feerate_msat_vb(t)))
    }

    /// Submits a transaction; returns its id.
    pub fn submit(&mut self, node: NodeId, kind: TxKind, fee: Msat, now: SimTime, tag: u64) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.pending.push(PendingTx {
            id,
            node,
            kind,
            fee,
            submitted: now,
            included: None,
            tag,
            confirmed: false,
        });
        id
    }

    /// Mines a block: includes every waiting transaction and returns, in submission order,
    /// those that now have their confirmations.
    pub fn mine(&mut self) -> Vec<PendingTx> {
        self.height += 1;
        let h = self.height;
        for tx in &mut self.pending {
            if tx.included.is_none() {
                tx.included = Some(h);
            }
        }
        let conf = self.confirmations;
        let mut done = Vec::new();
        let mut keep = Vec::with_capacity(self.pending.len());
        for tx in self.pending.drain(..) {
            if tx.included.is_some_and(|i| h + 1 >= i + conf) {
                done.push(tx);
            } else {
                keep.push(tx);
            }
        }
        self.pending = keep;
        for tx in &mut done {
            if !tx.confirmed {
                tx.confirmed = true;
                self.confirmed_count += 1;
                self.confirmed_fees += tx.fee;
            }
        }
        done
    }

    /// Puts back a confirmed transaction whose effect must wait (a close with HTLCs still
    /// in flight): it is offered again at the next block and counted only once.
    pub fn defer(&mut self, tx: PendingTx) {
        self.pending.push(tx);
    }

    pub fn pending(&self) -> &[PendingTx] {
        &self.pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confirms_after_depth() {
        let mut c = Chain::new(3, vec![(SimTime::ZERO, 10_000)]);
        let tx = TxKind::SpliceIn {
            chan: ChannelId(0),
            amount: Msat(5),
        };
        c.submit(NodeId(0), tx, Msat(1), SimTime::ZERO, 7);
        assert!(c.mine().is_empty()); // included at height 1 (1 conf)
        assert!(c.mine().is_empty()); // 2 confs
        let done = c.mine(); // 3 confs
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].tag, 7);
        assert_eq!(c.confirmed_count, 1);
        // A deferred effect comes back at the next block without being counted again.
        c.defer(done[0].clone());
        assert_eq!(c.mine().len(), 1);
        assert_eq!((c.confirmed_count, c.confirmed_fees), (1, Msat(1)));
    }

    #[test]
    fn feerate_is_a_step_function() {
        let c = Chain::new(1, vec![(SimTime(0), 1000), (SimTime(100), 5000)]);
        assert_eq!(c.feerate_msat_vb(SimTime(0)), 1000);
        assert_eq!(c.feerate_msat_vb(SimTime(99)), 1000);
        assert_eq!(c.feerate_msat_vb(SimTime(100)), 5000);
        assert_eq!(c.fee_for(200, SimTime(150)), Msat(1_000_000));
    }
}
