//! Several main chains: the `[[chain]]` list, the `[cross_chain]` table, which chain each
//! node and channel belongs to, and exchange rates between the chains' assets.
//!
//! A scenario with one `[chain]` table (or none) is a single-chain scenario and none of
//! this is used at run time (the engine keeps its one-chain path, so results stay
//! byte-identical). With two or more `[[chain]]` tables every node gets a *home* chain
//! (`nodes` pins, `node_share` draws the rest), every channel belongs to one chain (the
//! home of its endpoints; a channel between a gateway and a node of another home belongs
//! to that node's home, so gateways hold channels on several chains) and every amount on
//! a chain is in that chain's asset, worth `rate` reference units per unit.
//!
//! Money stays integer: rates are held as parts per billion of the reference unit
//! ([`RATE_ONE`] = 1.0) and conversions round in the gateway's favour ([`quote_in`]).

use super::{ChainConfig, TxSizes};
use crate::error::{limits, read_input_text, require_nonempty, strip_bom, FieldError, InputError};
use crate::topology::{NodeId, Topology};
use crate::units::{Msat, SimDuration, SimTime};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;

/// A rate of exactly 1 reference unit per asset unit, in parts per billion.
pub const RATE_ONE: u64 = 1_000_000_000;

/// The `chain` key: one `[chain]` table or a `[[chain]]` list of them.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainsConfig(pub Vec<ChainConfig>);

impl Default for ChainsConfig {
    fn default() -> Self {
        ChainsConfig(vec![ChainConfig::default()])
    }
}

impl<'de> Deserialize<'de> for ChainsConfig {
    /// A table is one chain, an array of tables a list; each table is parsed by
    /// `ChainConfig`'s own derive, so unknown keys and bad values keep their messages.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = ChainsConfig;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a [chain] table or a [[chain]] list of tables")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                m: A,
            ) -> Result<Self::Value, A::Error> {
                let one =
                    ChainConfig::deserialize(serde::de::value::MapAccessDeserializer::new(m))?;
                Ok(ChainsConfig(vec![one]))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                s: A,
            ) -> Result<Self::Value, A::Error> {
                let v = Vec::<ChainConfig>::deserialize(
                    serde::de::value::SeqAccessDeserializer::new(s),
                )?;
                Ok(ChainsConfig(v))
            }
        }
        d.deserialize_any(V)
    }
}

impl Serialize for ChainsConfig {
    /// One chain as a table (the manifest of a single-chain scenario keeps its shape),
    /// several as a list.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.as_slice() {
            [one] => one.serialize(s),
            many => many.serialize(s),
        }
    }
}

impl ChainsConfig {
    /// The dotted path of `key` of chain `i` as errors name it (`chain.x` for a single
    /// chain, `chain[i].x` for a list).
    pub fn field(&self, i: usize, key: &str) -> String {
        if self.0.len() == 1 {
            format!("chain.{key}")
        } else {
            format!("chain[{i}].{key}")
        }
    }

    pub fn is_multi(&self) -> bool {
        self.0.len() > 1
    }

    /// Validates every chain, names (unique, usable as column names) and shares.
    pub fn validate(&self, cross: Option<&CrossChainConfig>) -> Result<(), FieldError> {
        if self.0.is_empty() {
            return Err(FieldError::new(
                "chain",
                "expected at least one [[chain]] table",
            ));
        }
        if self.0.len() > MAX_CHAINS {
            return Err(FieldError::new(
                "chain",
                format!("expected at most {MAX_CHAINS} chains, got {}", self.0.len()),
            ));
        }
        let mut share = 0.0;
        for (i, c) in self.0.iter().enumerate() {
            let prefix = if self.0.len() == 1 {
                "chain".to_string()
            } else {
                format!("chain[{i}]")
            };
            c.validate_at(&prefix)?;
            let ok_name = !c.name.is_empty()
                && c.name.len() <= 32
                && c.name
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_');
            if !ok_name {
                return Err(FieldError::new(
                    self.field(i, "name"),
                    format!("expected 1 to 32 lowercase letters, digits or `_` (it names result columns), got {:?}", c.name),
                ));
            }
            if self.0[..i].iter().any(|o| o.name == c.name) {
                return Err(FieldError::new(
                    self.field(i, "name"),
                    format!("two chains are named {:?}", c.name),
                ));
            }
            if !(c.rate.is_finite() && c.rate > 0.0 && c.rate <= MAX_RATE) {
                return Err(FieldError::new(
                    self.field(i, "rate"),
                    format!(
                        "expected a positive exchange rate up to {MAX_RATE:.0e}, got {}",
                        c.rate
                    ),
                ));
            }
            if let Some(s) = c.node_share {
                if !(s.is_finite() && (0.0..=1.0).contains(&s)) {
                    return Err(FieldError::new(
                        self.field(i, "node_share"),
                        "expected a share between 0 and 1",
                    ));
                }
                share += s;
            }
            if !self.is_multi() && (c.node_share.is_some() || !c.nodes.is_empty()) {
                let k = if c.nodes.is_empty() {
                    "node_share"
                } else {
                    "nodes"
                };
                return Err(FieldError::new(
                    self.field(i, k),
                    "only meaningful with two or more [[chain]] tables",
                ));
            }
        }
        if share > 1.0 + 1e-9 {
            return Err(FieldError::new(
                self.field(self.0.len() - 1, "node_share"),
                format!("the chains' node shares add up to {share}, more than 1"),
            ));
        }
        if cross.is_some() && !self.is_multi() {
            return Err(FieldError::new(
                "cross_chain",
                "a [cross_chain] table needs two or more [[chain]] tables",
            ));
        }
        if let Some(x) = cross {
            x.validate()?;
        }
        Ok(())
    }

    /// Resolves every chain (fee-rate and exchange-rate series loaded from `base_dir`).
    pub fn resolve(&self, base_dir: &Path) -> Result<Vec<ChainSpec>, InputError> {
        self.0
            .iter()
            .map(|c| {
                Ok(ChainSpec {
                    name: c.name.clone(),
                    asset: c.asset.clone(),
                    block_interval: SimDuration::from_secs_f64(c.block_interval_s),
                    confirmations: c.confirmations,
                    tx_sizes: c.tx_vbytes.clone(),
                    feerates: c.load_feerates(base_dir)?.into(),
                    rates: c.load_rates(base_dir)?.into(),
                })
            })
            .collect()
    }
}

/// Most chains of a scenario (a chain index is a `u8`).
pub const MAX_CHAINS: usize = 16;
/// Largest exchange rate (reference units per asset unit).
pub const MAX_RATE: f64 = 1e6;

/// `[cross_chain]`: the gateways between chains and their terms.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CrossChainConfig {
    /// How many gateways: the nodes with the largest total capacity (ties: lowest index).
    pub gateways: u32,
    /// The gateways by node index (replaces `gateways` when not empty).
    pub gateway_nodes: Vec<u32>,
    /// The gateway's spread (its fee), ppm of the converted amount.
    pub spread_ppm: u32,
    /// Timelock the gateway asks on its incoming HTLC, in blocks of the incoming chain.
    pub cltv_delta: u32,
    /// Wall-clock margin by which the outgoing HTLC must expire before the incoming one.
    pub safety_margin_s: f64,
    /// Adversarial gateways: let an in-flight HTLC time out when the rate moved against
    /// them by more than their spread (the free option).
    pub free_option: bool,
    /// Share of the generated payments whose receiver is on another chain than the sender
    /// (`None`: endpoints are drawn as the workload says, so the share follows the homes).
    pub payment_share: Option<f64>,
}

impl Default for CrossChainConfig {
    fn default() -> Self {
        CrossChainConfig {
            gateways: 1,
            gateway_nodes: Vec::new(),
            spread_ppm: 5_000,
            cltv_delta: 144,
            safety_margin_s: 3_600.0,
            free_option: false,
            payment_share: None,
        }
    }
}

impl CrossChainConfig {
    fn validate(&self) -> Result<(), FieldError> {
        if self.gateways == 0 && self.gateway_nodes.is_empty() {
            return Err(FieldError::new(
                "cross_chain.gateways",
                "expected at least 1 gateway",
            ));
        }
        if self.spread_ppm >= 1_000_000 {
            return Err(FieldError::new(
                "cross_chain.spread_ppm",
                "expected less than 1000000 ppm",
            ));
        }
        if self.cltv_delta == 0 || self.cltv_delta > 100_000 {
            return Err(FieldError::new(
                "cross_chain.cltv_delta",
                "expected 1 to 100000 blocks",
            ));
        }
        if !(self.safety_margin_s.is_finite()
            && (0.0..=limits::MAX_TIME_S).contains(&self.safety_margin_s))
        {
            return Err(FieldError::new(
                "cross_chain.safety_margin_s",
                "expected a non-negative number of seconds",
            ));
        }
        if let Some(p) = self.payment_share {
            if !(p.is_finite() && (0.0..=1.0).contains(&p)) {
                return Err(FieldError::new(
                    "cross_chain.payment_share",
                    "expected a share between 0 and 1",
                ));
            }
        }
        Ok(())
    }

    pub fn params(&self) -> CrossParams {
        CrossParams {
            spread_ppm: self.spread_ppm,
            cltv_delta: self.cltv_delta,
            safety_margin: SimDuration::from_secs_f64(self.safety_margin_s),
            free_option: self.free_option,
            payment_share: self.payment_share,
        }
    }
}

/// The resolved `[cross_chain]` terms.
#[derive(Debug, Clone, PartialEq)]
pub struct CrossParams {
    pub spread_ppm: u32,
    pub cltv_delta: u32,
    pub safety_margin: SimDuration,
    pub free_option: bool,
    pub payment_share: Option<f64>,
}

/// One resolved chain.
#[derive(Debug, Clone)]
pub struct ChainSpec {
    pub name: String,
    pub asset: String,
    pub block_interval: SimDuration,
    pub confirmations: u64,
    pub tx_sizes: TxSizes,
    /// (time, msat per vbyte), a step function.
    pub feerates: Arc<[(SimTime, u64)]>,
    /// (time, reference units per asset unit in parts per billion), a step function.
    pub rates: Arc<[(SimTime, u64)]>,
}

impl ChainSpec {
    /// The exchange rate at `t`, ppb of the reference unit per asset unit.
    pub fn rate_at(&self, t: SimTime) -> u64 {
        let i = self.rates.partition_point(|&(rt, _)| rt <= t);
        self.rates[i.saturating_sub(1)].1
    }
}

/// Every chain of a multi-chain run and who is where.
#[derive(Debug, Clone)]
pub struct ChainSet {
    pub chains: Vec<ChainSpec>,
    /// Home chain per node.
    pub home: Vec<u8>,
    /// Chain per channel of the topology (channels opened during a run take the opener's
    /// home).
    pub chan_chain: Vec<u8>,
    /// Gateways, by node.
    pub gateway: Vec<bool>,
    /// `[cross_chain]`; `None`: no gateway converts, payments between chains fail.
    pub cross: Option<CrossParams>,
}

impl ChainSet {
    /// Builds the chain set: homes from `nodes` and `node_share` (the unpinned nodes in
    /// the order of `order`, a permutation of the nodes the caller draws), gateways, and
    /// each channel's chain.
    pub fn assign(
        cfg: &ChainsConfig,
        cross: Option<&CrossChainConfig>,
        chains: Vec<ChainSpec>,
        topo: &Topology,
        order: &[u32],
    ) -> Result<ChainSet, FieldError> {
        let n = topo.node_count();
        const UNSET: u8 = u8::MAX;
        let mut home = vec![UNSET; n];
        for (k, c) in cfg.0.iter().enumerate() {
            for &v in &c.nodes {
                let f = cfg.field(k, "nodes");
                let Some(h) = home.get_mut(v as usize) else {
                    return Err(FieldError::new(
                        f,
                        format!("node {v} does not exist (the topology has {n} nodes)"),
                    ));
                };
                if *h != UNSET && *h != k as u8 {
                    return Err(FieldError::new(
                        f,
                        format!("node {v} is pinned to two chains"),
                    ));
                }
                *h = k as u8;
            }
        }
        // Shares: chains without one split what the others leave, equally.
        let given: f64 = cfg.0.iter().filter_map(|c| c.node_share).sum();
        let unshared = cfg.0.iter().filter(|c| c.node_share.is_none()).count();
        let rest = if unshared > 0 {
            (1.0 - given).max(0.0) / unshared as f64
        } else {
            0.0
        };
        let free: Vec<u32> = order
            .iter()
            .copied()
            .filter(|&v| home[v as usize] == UNSET)
            .collect();
        let mut quota: Vec<usize> = cfg
            .0
            .iter()
            .map(|c| (c.node_share.unwrap_or(rest) * free.len() as f64).round() as usize)
            .collect();
        let mut next = 0usize;
        for &v in &free {
            while next < quota.len() && quota[next] == 0 {
                next += 1;
            }
            // Rounding left some over: they go to the first chain.
            let k = if next < quota.len() { next } else { 0 };
            if next < quota.len() {
                quota[next] -= 1;
            }
            home[v as usize] = k as u8;
        }
        let mut gateway = vec![false; n];
        if let Some(x) = cross {
            if x.gateway_nodes.is_empty() {
                let mut caps = vec![0u64; n];
                for (_, c) in topo.channels() {
                    caps[c.nodes[0].idx()] += c.capacity.0;
                    caps[c.nodes[1].idx()] += c.capacity.0;
                }
                let mut by_cap: Vec<usize> = (0..n).collect();
                by_cap.sort_by(|&a, &b| caps[b].cmp(&caps[a]).then(a.cmp(&b)));
                for &v in by_cap.iter().take(x.gateways as usize) {
                    gateway[v] = true;
                }
            } else {
                for &v in &x.gateway_nodes {
                    match gateway.get_mut(v as usize) {
                        Some(g) => *g = true,
                        None => {
                            return Err(FieldError::new(
                                "cross_chain.gateway_nodes",
                                format!("node {v} does not exist (the topology has {n} nodes)"),
                            ))
                        }
                    }
                }
            }
        }
        let chan_chain = topo
            .channels()
            .map(|(_, c)| {
                let [a, b] = c.nodes.map(|v: NodeId| v.idx());
                match (gateway[a], gateway[b]) {
                    (true, false) => home[b],
                    (false, true) => home[a],
                    _ => home[a],
                }
            })
            .collect();
        Ok(ChainSet {
            chains,
            home,
            chan_chain,
            gateway,
            cross: cross.map(CrossChainConfig::params),
        })
    }
}

/// `amount` of an asset worth `from_ppb` converted at mid rate into an asset worth
/// `to_ppb`, rounded down.
pub fn convert(amount: Msat, from_ppb: u64, to_ppb: u64) -> Msat {
    let v = amount.0 as u128 * from_ppb as u128 / to_ppb.max(1) as u128;
    Msat(v.min(u64::MAX as u128) as u64)
}

/// What a gateway asks on its incoming chain (asset worth `in_ppb`) to send `out` on its
/// outgoing chain (asset worth `out_ppb`) with its spread: the smallest `x` with
/// `x · in_ppb · (1 − spread) ≥ out · out_ppb`, so the gateway never gives more value than
/// it receives less its spread (rounding is in its favour, by less than one msat).
pub fn quote_in(out: Msat, out_ppb: u64, in_ppb: u64, spread_ppm: u32) -> Msat {
    let num = out.0 as u128 * out_ppb as u128 * 1_000_000;
    let den = in_ppb.max(1) as u128 * (1_000_000 - spread_ppm.min(999_999) as u128);
    Msat(num.div_ceil(den).min(u64::MAX as u128) as u64)
}

/// Value of `amount` of an asset worth `ppb`, in reference msat (floor), as a signed
/// number for gains and losses.
pub fn value_ref(amount: Msat, ppb: u64) -> i128 {
    (amount.0 as u128 * ppb as u128 / RATE_ONE as u128) as i128
}

impl ChainConfig {
    /// Loads the exchange-rate series: `(time, ppb of the reference unit)` sorted by time.
    pub fn load_rates(&self, base_dir: &Path) -> Result<Vec<(SimTime, u64)>, InputError> {
        let Some(rel) = &self.rate_csv else {
            return Ok(vec![(SimTime::ZERO, rate_ppb(self.rate))]);
        };
        let path = base_dir.join(rel);
        parse_rates(&read_input_text(&path, "exchange-rate series")?, &path)
    }
}

fn rate_ppb(r: f64) -> u64 {
    ((r * RATE_ONE as f64).round() as u64).max(1)
}

/// Parses an exchange-rate series CSV `time_s,rate` (reference units per asset unit):
/// times non-decreasing and at most 10^9 s, rates positive and at most 10^6. `path` names
/// the file in errors.
pub fn parse_rates(text: &str, path: &Path) -> Result<Vec<(SimTime, u64)>, InputError> {
    let text = strip_bom(text);
    require_nonempty(text, path, "exchange-rate series")?;
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| InputError::new(path, e.to_string()).at_line(1))?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (Some(ti), Some(ri)) = (col("time_s"), col("rate")) else {
        return Err(InputError::new(path, "expected header `time_s,rate`").at_line(1));
    };
    let mut out: Vec<(SimTime, u64)> = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| InputError::new(path, e.to_string()).at_line(line))?;
        let t: f64 = rec.get(ti).unwrap_or("").parse().unwrap_or(f64::NAN);
        if !(t.is_finite() && (0.0..=limits::MAX_TIME_S).contains(&t)) {
            return Err(InputError::new(
                path,
                format!(
                    "expected a number of seconds between 0 and {:.0e}",
                    limits::MAX_TIME_S
                ),
            )
            .at_line(line)
            .field("time_s"));
        }
        let r: f64 = rec.get(ri).unwrap_or("").parse().unwrap_or(f64::NAN);
        if !(r.is_finite() && r > 0.0 && r <= MAX_RATE) {
            return Err(InputError::new(
                path,
                format!("expected a positive exchange rate up to {MAX_RATE:.0e}"),
            )
            .at_line(line)
            .field("rate"));
        }
        let t = SimTime(SimDuration::from_secs_f64(t).micros());
        if out.last().is_some_and(|&(last, _)| t < last) {
            return Err(InputError::new(path, "times must be non-decreasing")
                .at_line(line)
                .field("time_s"));
        }
        out.push((t, rate_ppb(r)));
    }
    if out.is_empty() {
        return Err(InputError::new(path, "the exchange-rate series has no rows").at_line(1));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversion_rounds_in_the_gateways_favour_and_never_creates_value() {
        // 1 B = 0.5 ref, 1 A = 1 ref, 1% spread: sending 1,000,000 msat of B (worth
        // 500,000 ref) asks ceil(500,000 / 0.99) = 505,051 msat of A.
        let x = quote_in(Msat(1_000_000), RATE_ONE / 2, RATE_ONE, 10_000);
        assert_eq!(x, Msat(505_051));
        assert!(value_ref(x, RATE_ONE) * 99 >= value_ref(Msat(1_000_000), RATE_ONE / 2) * 100);
        assert_eq!(
            convert(Msat(1_000_000), RATE_ONE / 2, RATE_ONE),
            Msat(500_000)
        );
        // No spread, same asset: one for one.
        assert_eq!(quote_in(Msat(777), RATE_ONE, RATE_ONE, 0), Msat(777));
    }

    #[test]
    fn rate_series_parse_and_refuse_bad_rows() {
        let p = Path::new("r.csv");
        let r = parse_rates("time_s,rate\n0,1\n10,0.5\n", p).unwrap();
        assert_eq!(
            r,
            vec![(SimTime(0), RATE_ONE), (SimTime(10_000_000), RATE_ONE / 2)]
        );
        let e = parse_rates("time_s,rate\n0,1\n5,0\n", p).unwrap_err();
        assert_eq!((e.line, e.field.as_deref()), (Some(3), Some("rate")));
        let e = parse_rates("time_s,rate\n5,1\n1,1\n", p).unwrap_err();
        assert_eq!((e.line, e.field.as_deref()), (Some(3), Some("time_s")));
        assert!(parse_rates("t,r\n0,1\n", p).is_err());
    }
}
