//! The Core Lightning `lightning-cli listchannels` JSON format: `channels[]`, one entry per
//! direction, paired into channels by `short_channel_id`.
//!
//! Reads one file into a [`RawGraph`] (no balances). Errors name the file, the line and
//! the JSON path. It must not fill in defaults (see [`super::finish`]), draw random
//! numbers, iterate its pairing map (channels keep file order), or panic on any input.

use super::json::JsonDoc;
use super::locate::JPath;
use super::{
    check_msat, check_sat, CapacityTotal, Interner, RawChannel, RawGraph, RawPolicy, NO_CHANNELS,
};
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
    parse_cln_json(path, &super::read_bytes(path)?)
}

/// [`read_cln_json`] on the file's contents, `bytes`; `path` names it in errors.
pub fn parse_cln_json(path: &Path, bytes: &[u8]) -> Result<RawGraph, InputError> {
    let (doc, root) = JsonDoc::parse(path, super::to_text(path, bytes.to_vec())?)?;
    let cp = JPath::default().key("channels");
    let mut names = Interner::default();
    let mut channels: Vec<RawChannel> = Vec::new();
    // scid -> (channel index, entry index of its first direction, directions seen)
    let mut by_scid: HashMap<String, (usize, usize, u8)> = HashMap::new();
    let entries = doc.array(&root["channels"], &cp)?;
    if entries.is_empty() {
        return Err(doc.err(&cp, NO_CHANNELS));
    }
    let mut total = CapacityTotal::default();
    for (i, e) in entries.iter().enumerate() {
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
        let cap_at = at.key(if e["amount_msat"].is_null() {
            "satoshis"
        } else {
            "amount_msat"
        });
        let sat_at = at.key("satoshis");
        let sat = doc.int(&e["satoshis"], &sat_at, false)?;
        let capacity = if !e["amount_msat"].is_null() {
            let msat = doc.required_int(&e["amount_msat"], &cap_at, true)?;
            match sat {
                Some(s) if s != msat / 1000 => {
                    return Err(doc.err(
                        &sat_at,
                        format!(
                            "{s} sat contradicts amount_msat {msat} msat ({} sat)",
                            msat / 1000
                        ),
                    ))
                }
                _ => msat,
            }
        } else {
            let sat = sat.ok_or_else(|| {
                doc.err(
                    &at.key("amount_msat"),
                    "missing; expected `amount_msat` or `satoshis`",
                )
            })?;
            check_sat(sat).map_err(|m| doc.err(&sat_at, m))?.0
        };
        if capacity == 0 {
            return Err(doc.err(&cap_at, "capacity must be positive"));
        }
        let capacity = Msat(check_msat(capacity).map_err(|m| doc.err(&cap_at, m))?);
        let f = |k: &'static str| (&e[k], at.key(k));
        let (v, p) = f("base_fee_millisatoshi");
        let base_fee = doc.msat(v, &p, true)?;
        let (v, p) = f("fee_per_millionth");
        let fee_ppm = doc.narrow(doc.int(v, &p, false)?, &p, u32::MAX.into())?;
        let (v, p) = f("delay");
        let cltv_delta = doc.narrow(doc.int(v, &p, false)?, &p, u16::MAX.into())?;
        let (v, p) = f("htlc_minimum_msat");
        let min_htlc = doc.msat(v, &p, true)?;
        let (v, p) = f("htlc_maximum_msat");
        let max_htlc = doc.msat(v, &p, true)?;
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
                total
                    .add(capacity, "msat (`amount_msat`) or sat (`satoshis`)")
                    .map_err(|m| doc.err(&cap_at, m))?;
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
    use super::super::read;
    use super::super::test_support::*;
    use crate::topology::config::{BalanceSplit, ImportFormat};
    use crate::topology::ChannelId;
    use crate::units::Msat;
    use std::path::{Path, PathBuf};

    /// `text` written to `name` in `dir`.
    fn file(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// One direction of channel `scid` from `src` to `dst`, with `cap` (JSON members).
    fn entry(src: &str, dst: &str, scid: &str, cap: &str) -> String {
        format!(
            "    {{\"source\": \"{src}\", \"destination\": \"{dst}\", \
             \"short_channel_id\": \"{scid}\", {cap}, \"active\": true}}"
        )
    }

    fn doc(entries: &[String]) -> String {
        format!("{{\n  \"channels\": [\n{}\n  ]\n}}\n", entries.join(",\n"))
    }

    #[test]
    fn topology_import_cln_robustness() {
        let tmp = tempfile::tempdir().unwrap();
        let t = tmp.path();
        // `satoshis` contradicting `amount_msat` (line 4 = channels[1]).
        let text = doc(&[
            entry(
                "a",
                "b",
                "1x1x1",
                "\"satoshis\": 1000, \"amount_msat\": \"1000999msat\"",
            ),
            entry(
                "b",
                "a",
                "1x1x1",
                "\"satoshis\": 1001, \"amount_msat\": \"1000999msat\"",
            ),
        ]);
        let p = file(t, "contra.json", &text);
        let e = bad(
            ImportFormat::ClnJson,
            &p,
            "contra.json",
            4,
            "channels[1].satoshis",
        );
        assert!(e.message.contains("contradicts amount_msat 1000999"), "{e}");
        // The first entry alone is consistent (satoshis is the msat amount rounded down).
        let p = file(t, "ok.json", &doc(&text_entries(&text)[..1]));
        let raw = read(ImportFormat::ClnJson, &p).unwrap();
        assert_eq!(raw.channels[0].capacity, Msat(1_000_999));
        // A byte order mark is dropped.
        let plain = read(ImportFormat::ClnJson, &fixture("cln_small.json")).unwrap();
        let small = std::fs::read_to_string(fixture("cln_small.json")).unwrap();
        let p = file(t, "bom.json", &format!("{BOM}{small}"));
        assert_eq!(read(ImportFormat::ClnJson, &p).unwrap(), plain);
        // No channels.
        let p = file(t, "empty.json", "{\n  \"channels\": []\n}\n");
        let e = bad(ImportFormat::ClnJson, &p, "empty.json", 2, "channels");
        assert!(e.message.contains("no channels"), "{e}");
        // u64::MAX msat, and sat beyond 21 million BTC, rejected at their fields.
        let text = doc(&[entry(
            "a",
            "b",
            "1x1x1",
            "\"amount_msat\": 18446744073709551615",
        )]);
        let p = file(t, "max.json", &text);
        let e = bad(
            ImportFormat::ClnJson,
            &p,
            "max.json",
            3,
            "channels[0].amount_msat",
        );
        assert!(e.message.contains("more than 21 million BTC"), "{e}");
        let text = doc(&[entry(
            "a",
            "b",
            "1x1x1",
            "\"satoshis\": 18446744073709551615",
        )]);
        let p = file(t, "max_sat.json", &text);
        bad(
            ImportFormat::ClnJson,
            &p,
            "max_sat.json",
            3,
            "channels[0].satoshis",
        );
        let small_max = small.replacen(
            "\"htlc_maximum_msat\": \"990000000msat\"",
            "\"htlc_maximum_msat\": \"18446744073709551615msat\"",
            1,
        );
        let p = file(t, "max_htlc.json", &small_max);
        bad(
            ImportFormat::ClnJson,
            &p,
            "max_htlc.json",
            3,
            "channels[0].htlc_maximum_msat",
        );
        // The running total crosses 21 million BTC at the third channel (its own line);
        // the second direction of a channel does not count twice.
        let cap = "\"satoshis\": 1000000000000000";
        let text = doc(&[
            entry("a", "b", "1x1x1", cap),
            entry("b", "a", "1x1x1", cap),
            entry("b", "c", "2x1x1", cap),
            entry("c", "d", "3x1x1", cap),
        ]);
        let p = file(t, "total.json", &text);
        let e = bad(
            ImportFormat::ClnJson,
            &p,
            "total.json",
            6,
            "channels[3].satoshis",
        );
        assert!(
            e.message.contains("total capacity exceeds 21 million BTC"),
            "{e}"
        );
        // A directory where the file belongs.
        let e = read(ImportFormat::ClnJson, t).unwrap_err();
        assert!(
            e.message.starts_with("expected a file, found a directory"),
            "{e}"
        );
    }

    /// The entry lines of a document made by [`doc`].
    fn text_entries(text: &str) -> Vec<String> {
        text.lines()
            .filter(|l| l.trim_start().starts_with("{\"source\""))
            .map(|l| l.trim_end_matches(',').to_string())
            .collect()
    }

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
