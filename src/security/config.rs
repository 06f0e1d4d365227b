//! The `[security]` scenario table: raw serde form and its validation.
//!
//! ```toml
//! [security]
//! signatures = "real"               # or "modelled"
//! rule = "ln_penalty"               # or "latest_state_wins" (eltoo)
//! challenge_period_blocks = 144
//! malicious_share = 0.05            # share of nodes that cheat
//! malicious_nodes = []              # or explicit node indices (replaces the share)
//! cheat_when = "random"             # or "after_rebalance"
//! cheat_probability = 0.01          # per block and channel (random) / per rebalance
//! forge_share = 0.0                 # share of cheats that post a forged (unsigned) claim
//! offline = { mean_online_s = 86400, mean_offline_s = 3600 }
//! watchtower_coverage = 0.5         # share of honest nodes with a watchtower
//! watchtower_availability = 0.99    # probability it is up for a given dispute
//! ```
//! Every field has a default; errors name `security.<field>`.

pub use super::adjudicator::Rule;
use crate::error::FieldError;
use serde::Deserialize;

/// How channel-state signatures are produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatureMode {
    /// ed25519 on every committed update.
    Real,
    /// Versions and ownership only; signatures elided.
    Modelled,
}

/// When malicious nodes cheat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheatWhen {
    /// Right after one of its own rebalances succeeds, on the channel it paid out over, with
    /// probability `cheat_probability`.
    AfterRebalance,
    /// At every block, on each of its channels where an old state pays it more, with
    /// probability `cheat_probability`.
    Random,
}

/// On/off process of honest nodes (exponential durations).
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct OfflineConfig {
    pub mean_online_s: f64,
    pub mean_offline_s: f64,
}

/// `[security]`.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecurityConfig {
    pub signatures: SignatureMode,
    pub rule: Rule,
    pub challenge_period_blocks: u64,
    pub malicious_share: f64,
    /// Explicit malicious node indices; when non-empty it replaces `malicious_share`.
    pub malicious_nodes: Vec<u32>,
    pub cheat_when: CheatWhen,
    pub cheat_probability: f64,
    /// Of the cheats, the share that instead post a forged state: the cheater's newest
    /// state with the counterparty's whole balance moved to it (an HTLC or rebalance that
    /// was never signed), carrying only its own signature. The adjudicator rejects it and
    /// counts it (`sec_rejected_claims`); the channel stays open.
    pub forge_share: f64,
    /// Offline periods of honest nodes; absent: always online.
    pub offline: Option<OfflineConfig>,
    pub watchtower_coverage: f64,
    pub watchtower_availability: f64,
}

impl Default for SecurityConfig {
    fn default() -> Self {
        SecurityConfig {
            signatures: SignatureMode::Modelled,
            rule: Rule::LnPenalty,
            challenge_period_blocks: 144,
            malicious_share: 0.0,
            malicious_nodes: Vec::new(),
            cheat_when: CheatWhen::Random,
            cheat_probability: 0.01,
            forge_share: 0.0,
            offline: None,
            watchtower_coverage: 0.0,
            watchtower_availability: 1.0,
        }
    }
}

impl SecurityConfig {
    /// Checks ranges; errors name `security.<field>`.
    pub fn validate(&self) -> Result<(), FieldError> {
        let share = |v: f64, f: &str| {
            if (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(FieldError::new(
                    format!("security.{f}"),
                    "expected a share between 0 and 1",
                ))
            }
        };
        if self.challenge_period_blocks == 0 || self.challenge_period_blocks > 100_000 {
            return Err(FieldError::new(
                "security.challenge_period_blocks",
                "expected 1..=100000 blocks",
            ));
        }
        share(self.malicious_share, "malicious_share")?;
        share(self.cheat_probability, "cheat_probability")?;
        share(self.forge_share, "forge_share")?;
        share(self.watchtower_coverage, "watchtower_coverage")?;
        share(self.watchtower_availability, "watchtower_availability")?;
        if let Some(o) = &self.offline {
            let pos = |v: f64| v.is_finite() && v >= 0.0;
            if !(pos(o.mean_online_s) && o.mean_online_s > 0.0) {
                return Err(FieldError::new(
                    "security.offline.mean_online_s",
                    "expected a positive number of seconds",
                ));
            }
            if !pos(o.mean_offline_s) {
                return Err(FieldError::new(
                    "security.offline.mean_offline_s",
                    "expected a non-negative number of seconds",
                ));
            }
            // A node toggles twice per online + offline cycle: cycles of a nanosecond
            // would be billions of events per simulated second.
            let max = crate::error::limits::MAX_TIME_S;
            for (k, v) in [
                ("mean_online_s", o.mean_online_s),
                ("mean_offline_s", o.mean_offline_s),
            ] {
                if v > max {
                    return Err(FieldError::new(
                        format!("security.offline.{k}"),
                        format!("expected at most {max:.0e} seconds, got {v}"),
                    ));
                }
            }
            if o.mean_online_s + o.mean_offline_s < 1.0 {
                return Err(FieldError::new(
                    "security.offline.mean_online_s",
                    "mean_online_s + mean_offline_s must be at least 1 second (each node switches twice per cycle)",
                ));
            }
        }
        Ok(())
    }

    /// Checks node references against the topology's `nodes`.
    pub fn validate_nodes(&self, nodes: usize) -> Result<(), FieldError> {
        if let Some(i) = self
            .malicious_nodes
            .iter()
            .position(|&v| v as usize >= nodes)
        {
            return Err(FieldError::new(
                format!("security.malicious_nodes[{i}]"),
                format!("expected a node index below {nodes}"),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_full_table_and_validates() {
        let c: SecurityConfig = toml::from_str(
            r#"
            signatures = "real"
            rule = "latest_state_wins"
            challenge_period_blocks = 6
            malicious_share = 0.1
            cheat_when = "after_rebalance"
            cheat_probability = 0.5
            offline = { mean_online_s = 3600, mean_offline_s = 600 }
            watchtower_coverage = 0.5
            watchtower_availability = 0.9
            "#,
        )
        .expect("valid");
        assert_eq!(c.signatures, SignatureMode::Real);
        assert_eq!(c.rule, Rule::LatestStateWins);
        assert_eq!(c.cheat_when, CheatWhen::AfterRebalance);
        assert_eq!(c.offline.as_ref().map(|o| o.mean_offline_s), Some(600.0));
        assert_eq!(c.validate(), Ok(()));
        assert_eq!(SecurityConfig::default().validate(), Ok(()));
        let m: SecurityConfig = toml::from_str("malicious_nodes = [0, 4]").expect("valid");
        assert_eq!(m.validate_nodes(5), Ok(()));
        assert_eq!(
            m.validate_nodes(4).map_err(|e| e.field),
            Err("security.malicious_nodes[1]".into())
        );
    }

    #[test]
    fn rejects_unknown_fields_names_and_ranges() {
        assert!(toml::from_str::<SecurityConfig>("signaturs = \"real\"").is_err());
        assert!(toml::from_str::<SecurityConfig>("rule = \"penalty\"").is_err());
        assert!(toml::from_str::<SecurityConfig>(
            "offline = { mean_online_s = 1, mean_offline_s = 1, x = 2 }"
        )
        .is_err());
        let bad = |t: &str| {
            toml::from_str::<SecurityConfig>(t)
                .expect("parses")
                .validate()
                .map_err(|e| e.field)
        };
        assert_eq!(
            bad("malicious_share = 1.5"),
            Err("security.malicious_share".into())
        );
        assert_eq!(
            bad("challenge_period_blocks = 0"),
            Err("security.challenge_period_blocks".into())
        );
        assert_eq!(
            bad("watchtower_availability = -0.1"),
            Err("security.watchtower_availability".into())
        );
        assert_eq!(
            bad("cheat_probability = nan"),
            Err("security.cheat_probability".into())
        );
        assert_eq!(
            bad("offline = { mean_online_s = 0, mean_offline_s = 1 }"),
            Err("security.offline.mean_online_s".into())
        );
        assert_eq!(
            bad("offline = { mean_online_s = 1, mean_offline_s = -1 }"),
            Err("security.offline.mean_offline_s".into())
        );
    }
}
