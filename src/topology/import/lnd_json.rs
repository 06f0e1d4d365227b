//! The lnd `lncli describegraph` JSON format: `nodes[]` and `edges[]` with per-direction
//! policies (`node1_policy`, `node2_policy`).
//!
//! Reads one file into a [`RawGraph`] (no balances: lnd does not publish them). Errors name
//! the file, the line and the JSON path. It must not fill in defaults (see
//! [`super::finish`]), draw random numbers, or panic on any input.

use super::json::{kind, JsonDoc};
use super::locate::JPath;
use super::{check_sat, CapacityTotal, Interner, RawChannel, RawGraph, RawPolicy, NO_CHANNELS};
use crate::error::InputError;
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

/// Reads lnd `lncli describegraph` JSON.
///
/// Uses `nodes[].pub_key` (nodes in file order; pubkeys seen only in edges are appended)
/// and `edges[]`: `channel_id` (label), `node1_pub`, `node2_pub`, `capacity` (sat),
/// `node1_policy` / `node2_policy` with `fee_base_msat`, `fee_rate_milli_msat` (ppm),
/// `time_lock_delta`, `min_htlc`, `max_htlc_msat` (msat; `0` = not advertised) and
/// `disabled`. A `null` or disabled policy makes that direction unusable (module docs).
/// Numbers may be JSON numbers or strings, as lnd writes them.
pub fn read_lnd_json(path: &Path) -> Result<RawGraph, InputError> {
    parse_lnd_json(path, &super::read_bytes(path)?)
}

/// [`read_lnd_json`] on the file's contents, `bytes`; `path` names it in errors.
pub fn parse_lnd_json(path: &Path, bytes: &[u8]) -> Result<RawGraph, InputError> {
    let (doc, root) = JsonDoc::parse(path, super::to_text(path, bytes.to_vec())?)?;
    let root_p = JPath::default();
    let mut names = Interner::default();
    if !root["nodes"].is_null() {
        let np = root_p.key("nodes");
        for (i, n) in doc.array(&root["nodes"], &np)?.iter().enumerate() {
            let p = np.idx(i).key("pub_key");
            let pk = doc.string(&n["pub_key"], &p)?;
            // Before any edge is read, a node's dense id is its index in `nodes`.
            if let Some(first) = names.get(pk) {
                return Err(doc.err(
                    &p,
                    format!("duplicate pub_key {pk} (first at nodes[{first}])"),
                ));
            }
            names.id(pk);
        }
    }
    let ep = root_p.key("edges");
    let edges = doc.array(&root["edges"], &ep)?;
    if edges.is_empty() {
        return Err(doc.err(&ep, NO_CHANNELS));
    }
    let mut channels = Vec::new();
    // channel_id -> index in `edges`.
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut total = CapacityTotal::default();
    for (i, e) in edges.iter().enumerate() {
        let at = ep.idx(i);
        let a = names.id(doc.string(&e["node1_pub"], &at.key("node1_pub"))?);
        let b = names.id(doc.string(&e["node2_pub"], &at.key("node2_pub"))?);
        if a == b {
            return Err(doc.err(
                &at.key("node2_pub"),
                "self-loop: node2_pub equals node1_pub",
            ));
        }
        let cp = at.key("capacity");
        let cap_sat = doc.required_int(&e["capacity"], &cp, false)?;
        if cap_sat == 0 {
            return Err(doc.err(&cp, "capacity must be positive"));
        }
        let capacity = check_sat(cap_sat).map_err(|m| doc.err(&cp, m))?;
        total.add(capacity, "sat").map_err(|m| doc.err(&cp, m))?;
        let label = match &e["channel_id"] {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        if let Some(id) = &label {
            if let Some(first) = seen.insert(id.clone(), i) {
                return Err(doc.err(
                    &at.key("channel_id"),
                    format!("duplicate channel_id {id} (first at edges[{first}])"),
                ));
            }
        }
        let mut policy = [RawPolicy::disabled(), RawPolicy::disabled()];
        for (d, key) in ["node1_policy", "node2_policy"].into_iter().enumerate() {
            let pv = &e[key];
            let pp = at.key(key);
            if pv.is_null() {
                continue;
            }
            if !pv.is_object() {
                return Err(doc.err(&pp, format!("expected an object or null, got {}", kind(pv))));
            }
            let f = |k: &'static str| (&pv[k], pp.key(k));
            let (v, p) = f("fee_base_msat");
            let base_fee = doc.msat(v, &p, false)?;
            let (v, p) = f("fee_rate_milli_msat");
            let fee_ppm = doc.narrow(doc.int(v, &p, false)?, &p, u32::MAX.into())?;
            let (v, p) = f("time_lock_delta");
            let cltv_delta = doc.narrow(doc.int(v, &p, false)?, &p, u16::MAX.into())?;
            let (v, p) = f("min_htlc");
            let min_htlc = doc.msat(v, &p, false)?;
            let (v, p) = f("max_htlc_msat");
            let max_htlc = doc.msat(v, &p, false)?.filter(|&m| m > 0);
            let (v, p) = f("disabled");
            let disabled = doc.bool(v, &p, false)?;
            if let Some(slot) = policy.get_mut(d) {
                *slot = RawPolicy {
                    base_fee,
                    fee_ppm,
                    cltv_delta,
                    min_htlc,
                    max_htlc,
                    disabled,
                };
            }
        }
        channels.push(RawChannel {
            nodes: [a, b],
            capacity,
            balance: None,
            policy,
            label,
        });
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
    use crate::topology::{ChannelId, NodeId};
    use crate::units::Msat;
    use std::path::{Path, PathBuf};

    /// `text` written to `name` in `dir`.
    fn file(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// lnd_small.json with `from` replaced by `to` (once).
    fn small_with(from: &str, to: &str) -> String {
        let t = std::fs::read_to_string(fixture("lnd_small.json")).unwrap();
        assert!(t.contains(from), "{from}");
        t.replacen(from, to, 1)
    }

    #[test]
    fn topology_import_lnd_robustness() {
        let tmp = tempfile::tempdir().unwrap();
        let t = tmp.path();
        // Duplicate channel_id: the second edge is reported.
        let p = file(
            t,
            "dup_chan.json",
            &small_with("700000000000000002", "700000000000000001"),
        );
        let e = bad(
            ImportFormat::LndJson,
            &p,
            "dup_chan.json",
            35,
            "edges[1].channel_id",
        );
        assert!(e.message.contains("first at edges[0]"), "{e}");
        // Duplicate node pub_key.
        let p = file(
            t,
            "dup_node.json",
            &small_with("\"02cc\", \"alias\"", "\"02aa\", \"alias\""),
        );
        let e = bad(
            ImportFormat::LndJson,
            &p,
            "dup_node.json",
            5,
            "nodes[2].pub_key",
        );
        assert!(e.message.contains("first at nodes[0]"), "{e}");
        // A byte order mark is dropped.
        let plain = read(ImportFormat::LndJson, &fixture("lnd_small.json")).unwrap();
        let text = std::fs::read_to_string(fixture("lnd_small.json")).unwrap();
        let p = file(t, "bom.json", &format!("{BOM}{text}"));
        assert_eq!(read(ImportFormat::LndJson, &p).unwrap(), plain);
        // No channels (one node): reported against the file, at `edges`.
        let p = file(
            t,
            "one_node.json",
            "{\n  \"nodes\": [{\"pub_key\": \"02aa\"}],\n  \"edges\": []\n}\n",
        );
        let e = bad(ImportFormat::LndJson, &p, "one_node.json", 3, "edges");
        assert!(e.message.contains("no channels"), "{e}");
        // Amounts beyond 21 million BTC, and u64::MAX, are rejected, not wrapped.
        let p = file(
            t,
            "max_fee.json",
            &small_with(
                "\"fee_base_msat\": \"1000\"",
                "\"fee_base_msat\": \"18446744073709551615\"",
            ),
        );
        let e = bad(
            ImportFormat::LndJson,
            &p,
            "max_fee.json",
            18,
            "edges[0].node1_policy.fee_base_msat",
        );
        assert!(e.message.contains("more than 21 million BTC"), "{e}");
        let p = file(
            t,
            "max_cap.json",
            &small_with(
                "\"capacity\": \"1000000\"",
                "\"capacity\": 18446744073709551615",
            ),
        );
        let e = bad(
            ImportFormat::LndJson,
            &p,
            "max_cap.json",
            14,
            "edges[0].capacity",
        );
        assert!(e.message.contains("more than 21 million BTC"), "{e}");
        // The running total crosses 21 million BTC at the second channel.
        let text = small_with(
            "\"capacity\": \"1000000\"",
            "\"capacity\": \"2000000000000000\"",
        )
        .replacen(
            "\"capacity\": \"500000\"",
            "\"capacity\": \"2000000000000000\"",
            1,
        );
        let p = file(t, "total.json", &text);
        let e = bad(
            ImportFormat::LndJson,
            &p,
            "total.json",
            39,
            "edges[1].capacity",
        );
        assert!(
            e.message.contains("total capacity exceeds 21 million BTC"),
            "{e}"
        );
        // A directory where the file belongs.
        let e = read(ImportFormat::LndJson, t).unwrap_err();
        assert_eq!(
            e.message,
            format!("expected a file, found a directory: {}", t.display())
        );
    }

    #[test]
    fn topology_import_lnd_fixture() {
        let t = load(ImportFormat::LndJson, BalanceSplit::Half, "lnd_small.json");
        assert_eq!((t.node_count(), t.channel_count()), (3, 2));
        let c = t.channel(ChannelId(0));
        assert_eq!(c.label.as_deref(), Some("700000000000000001"));
        assert_eq!(c.capacity, Msat(1_000_000_000));
        assert_eq!(c.balance, [Msat(500_000_000), Msat(500_000_000)]);
        assert_eq!(c.policy[0].fee_ppm, 1);
        assert_eq!(c.policy[0].cltv_delta, 40);
        assert_eq!(c.policy[0].max_htlc, Msat(990_000_000));
        // node2_policy is disabled: base/ppm/cltv kept, max_htlc 0 marks it unusable.
        assert_eq!((c.policy[1].base_fee, c.policy[1].fee_ppm), (Msat(0), 250));
        assert_eq!(c.policy[1].cltv_delta, 144);
        assert_eq!(c.policy[1].max_htlc, Msat(0));
        let c = t.channel(ChannelId(1));
        assert_eq!(c.nodes, [NodeId(1), NodeId(2)]);
        // null node1_policy: defaults from [topology.fees], max_htlc 0.
        assert_eq!(c.policy[0].max_htlc, Msat(0));
        assert_eq!(c.policy[0].cltv_delta, 40);
        // max_htlc_msat "0" = not advertised: share of the capacity.
        assert_eq!(c.policy[1].max_htlc, Msat(500_000_000));
        assert_eq!(c.policy[1].cltv_delta, 18);
    }

    #[test]
    fn topology_import_lnd_broken() {
        let e = broken(
            ImportFormat::LndJson,
            "lnd_bad_capacity.json",
            "lnd_bad_capacity.json",
            15,
            "edges[1].capacity",
        );
        assert!(e.message.contains("12x4"), "{e}");
        broken(
            ImportFormat::LndJson,
            "lnd_bad_policy.json",
            "lnd_bad_policy.json",
            11,
            "edges[0].node1_policy.time_lock_delta",
        );
        let e = read(ImportFormat::LndJson, &fixture("lnd_syntax.json")).unwrap_err();
        assert_eq!(e.line, Some(4), "{e}");
        assert!(e.to_string().contains("lnd_syntax.json:4:"), "{e}");
    }
}
