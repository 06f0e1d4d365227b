//! The Core Lightning `lightning-cli listchannels` JSON format: `channels[]`, one entry per
//! direction, paired into channels by `short_channel_id`.
//!
//! Reads one file into a [`RawGraph`] (no balances). Errors name the file, the line and
//! the JSON path. It must not fill in defaults (see [`super::finish`]), draw random
//! numbers, iterate its pairing map (channels keep file order), or panic on any input.

use super::json::JsonDoc;
use super::locate::JPath;
use super::{sat_to_msat, Interner, RawChannel, RawGraph, RawPolicy};
use crate::error::InputError;
use crate::units::Msat;
use std::collections::HashMap;
use std::path::Path;

/// Reads Core Lightning `listchannels` JSON: `channels[]`, one entry per direction, with
/// `source`, `destination`, `short_channel_id`, capacity as `satoshis` or `amount_msat`,
/// `base_fee_millisatoshi`, `fee_per_millionth`, `delay`, `htlc_minimum_msat`,
/// `htlc_maximum_msat` (numbers or strings like `"1000msat"`) and `active`.
///
/// The two directions are paired by `short_channel_id`; the channel takes the node order
/// and position of the first one seen. A direction never listed, or `active: false`, is
/// unusable (module docs). Nodes are numbered in order of first appearance.
pub fn read_cln_json(path: &Path) -> Result<RawGraph, InputError> {
    let (doc, root) = JsonDoc::load(path)?;
    let cp = JPath::default().key("channels");
    let mut names = Interner::default();
    let mut channels: Vec<RawChannel> = Vec::new();
    // scid -> (channel index, entry index of its first direction, directions seen)
    let mut by_scid: HashMap<String, (usize, usize, u8)> = HashMap::new();
    for (i, e) in doc.array(&root["channels"], &cp)?.iter().enumerate() {
        let at = cp.idx(i);
        let src = doc.string(&e["source"], &at.key("source"))?;
        let dst = doc.string(&e["destination"], &at.key("destination"))?;
        let scid = doc.string(&e["short_channel_id"], &at.key("short_channel_id"))?;
        let (a, b) = (names.id(src), names.id(dst));
        if a == b {
            return Err(doc.err(
                &at.key("destination"),
                "self-loop: destination equals source",
            ));
        }
        let capacity = if !e["amount_msat"].is_null() {
            let p = at.key("amount_msat");
            Msat(doc.required_int(&e["amount_msat"], &p, true)?)
        } else {
            let p = at.key("satoshis");
            let sat = doc.int(&e["satoshis"], &p, false)?.ok_or_else(|| {
                doc.err(
                    &at.key("amount_msat"),
                    "missing; expected `amount_msat` or `satoshis`",
                )
            })?;
            sat_to_msat(sat).ok_or_else(|| doc.err(&p, "too large"))?
        };
        if capacity.0 == 0 {
            let f = if e["amount_msat"].is_null() {
                "satoshis"
            } else {
                "amount_msat"
            };
            return Err(doc.err(&at.key(f), "capacity must be positive"));
        }
        let f = |k: &'static str| (&e[k], at.key(k));
        let (v, p) = f("base_fee_millisatoshi");
        let base_fee = doc.int(v, &p, true)?;
        let (v, p) = f("fee_per_millionth");
        let fee_ppm = doc.narrow(doc.int(v, &p, false)?, &p, u32::MAX.into())?;
        let (v, p) = f("delay");
        let cltv_delta = doc.narrow(doc.int(v, &p, false)?, &p, u16::MAX.into())?;
        let (v, p) = f("htlc_minimum_msat");
        let min_htlc = doc.int(v, &p, true)?;
        let (v, p) = f("htlc_maximum_msat");
        let max_htlc = doc.int(v, &p, true)?;
        let (v, p) = f("active");
        let active = doc.bool(v, &p, true)?;
        let pol = RawPolicy {
            base_fee,
            fee_ppm,
            cltv_delta,
            min_htlc,
            max_htlc,
            disabled: !active,
        };
        match by_scid.get_mut(scid) {
            None => {
                by_scid.insert(scid.to_string(), (channels.len(), i, 1));
                channels.push(RawChannel {
                    nodes: [a, b],
                    capacity,
                    balance: None,
                    policy: [pol, RawPolicy::disabled()],
                    label: Some(scid.to_string()),
                });
            }
            Some((ci, first, seen)) => {
                let ch = channels
                    .get_mut(*ci)
                    .ok_or_else(|| doc.err(&at, "internal: lost channel"))?;
                if *seen >= 2 || ch.nodes == [a, b] {
                    return Err(doc.err(
                        &at.key("short_channel_id"),
                        format!("direction {src} -> {dst} of channel {scid} is listed twice (first at channels[{first}])"),
                    ));
                }
                if ch.nodes != [b, a] {
                    return Err(doc.err(
                        &at.key("source"),
                        format!("channel {scid} links other nodes than at channels[{first}]"),
                    ));
                }
                if ch.capacity != capacity {
                    return Err(doc.err(
                        &at.key(if e["amount_msat"].is_null() {
                            "satoshis"
                        } else {
                            "amount_msat"
                        }),
                        format!(
                            "capacity {} msat differs from {} msat at channels[{first}]",
                            capacity.0, ch.capacity.0
                        ),
                    ));
                }
                ch.policy[1] = pol;
                *seen += 1;
            }
        }
    }
    Ok(RawGraph {
        nodes: names.names,
        channels,
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::topology::config::{BalanceSplit, ImportFormat};
    use crate::topology::ChannelId;
    use crate::units::Msat;

    #[test]
    fn topology_import_cln_fixture() {
        let t = load(ImportFormat::ClnJson, BalanceSplit::Half, "cln_small.json");
        assert_eq!((t.node_count(), t.channel_count()), (3, 2));
        let c = t.channel(ChannelId(0));
        assert_eq!(c.label.as_deref(), Some("600000x1x0"));
        assert_eq!(c.capacity, Msat(1_000_000_000));
        assert_eq!(
            (
                c.policy[0].base_fee,
                c.policy[0].fee_ppm,
                c.policy[0].cltv_delta
            ),
            (Msat(1000), 1, 40)
        );
        assert_eq!(c.policy[0].min_htlc, Msat(1000));
        assert_eq!(c.policy[0].max_htlc, Msat(990_000_000));
        // Second direction: inactive.
        assert_eq!((c.policy[1].fee_ppm, c.policy[1].cltv_delta), (250, 144));
        assert_eq!(c.policy[1].max_htlc, Msat(0));
        // Channel seen in one direction only.
        let c = t.channel(ChannelId(1));
        assert_eq!(c.capacity, Msat(500_000_000));
        assert_eq!(c.policy[0].cltv_delta, 18);
        assert_eq!(c.policy[0].max_htlc, Msat(500_000_000));
        assert_eq!(c.policy[1].max_htlc, Msat(0));
    }

    #[test]
    fn topology_import_cln_broken() {
        broken(
            ImportFormat::ClnJson,
            "cln_bad_delay.json",
            "cln_bad_delay.json",
            9,
            "channels[1].delay",
        );
        broken(
            ImportFormat::ClnJson,
            "cln_twice.json",
            "cln_twice.json",
            8,
            "channels[1].short_channel_id",
        );
    }
}
