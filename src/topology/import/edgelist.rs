//! Edge lists: one undirected channel per line, `u v capacity_sat` (Shaduf) or NetworkX
//! `u v {'capacity': sat}` (Spider).
//!
//! Reads one file into a [`RawGraph`] with capacities only (no balances, no fees). Errors
//! name the file, the line and the column (`u`, `v`, `capacity`). It must not fill in
//! defaults (see [`super::finish`]), draw random numbers, or panic on any input.

use super::{
    check_sat, parse_u64, read_text, CapacityTotal, Interner, RawChannel, RawGraph, RawPolicy,
    NO_CHANNELS,
};
use crate::error::InputError;
use std::path::Path;

/// Reads an edge list: one undirected channel per line, `u v capacity_sat` (Shaduf) or
/// NetworkX `u v {'capacity': 495629}` / `{'capacity': u'495629'}` (Spider). Blank lines and
/// lines starting with `#` are skipped. Node names are the tokens `u`, `v`, numbered in
/// order of first appearance. No balances, no fees.
pub fn read_edgelist(path: &Path) -> Result<RawGraph, InputError> {
    parse_edgelist(path, &read_text(path)?)
}

/// [`read_edgelist`] on the file's text; `path` names it in errors.
pub fn parse_edgelist(path: &Path, text: &str) -> Result<RawGraph, InputError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut names = Interner::default();
    let mut channels = Vec::new();
    let mut total = CapacityTotal::default();
    for (i, line) in text.lines().enumerate() {
        let lineno = i + 1;
        let err =
            |field: &str, msg: String| InputError::new(path, msg).at_line(lineno).field(field);
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (u, rest) = split_token(line);
        let (v, rest) = split_token(rest);
        if v.is_empty() {
            return Err(err(
                "v",
                "missing second node; expected `u v capacity_sat`".into(),
            ));
        }
        if u == v {
            return Err(err("v", format!("self-loop: both ends are `{u}`")));
        }
        let cap_str = if rest.starts_with('{') {
            nx_capacity(rest).map_err(|m| err("capacity", m))?
        } else {
            let (c, extra) = split_token(rest);
            if c.is_empty() {
                return Err(err(
                    "capacity",
                    "missing; expected `u v capacity_sat`".into(),
                ));
            }
            if !extra.is_empty() {
                return Err(err(
                    "capacity",
                    format!("unexpected text after the capacity: `{extra}`"),
                ));
            }
            c
        };
        let cap = parse_u64(cap_str).filter(|&c| c > 0).ok_or_else(|| {
            err(
                "capacity",
                format!("expected a positive integer number of sat, got `{cap_str}`"),
            )
        })?;
        let cap = check_sat(cap).map_err(|m| err("capacity", m))?;
        total.add(cap, "sat").map_err(|m| err("capacity", m))?;
        let (a, b) = (names.id(u), names.id(v));
        channels.push(RawChannel {
            nodes: [a, b],
            capacity: cap,
            balance: None,
            policy: [RawPolicy::default(), RawPolicy::default()],
            label: None,
        });
    }
    if channels.is_empty() {
        return Err(InputError::new(path, NO_CHANNELS).at_line(1).field("u"));
    }
    Ok(RawGraph {
        nodes: names.names,
        channels,
    })
}

/// The first whitespace-separated token and the trimmed rest.
fn split_token(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    match s.find(char::is_whitespace) {
        Some(i) => {
            let (a, b) = s.split_at(i);
            (a, b.trim())
        }
        None => (s, ""),
    }
}

/// The capacity value in a NetworkX attribute dict such as `{'capacity': u'495629'}`.
fn nx_capacity(dict: &str) -> Result<&str, String> {
    let inner = dict
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .ok_or_else(|| format!("expected a dict like {{'capacity': 1000}}, got `{dict}`"))?;
    for item in inner.split(',') {
        let Some((k, v)) = item.split_once(':') else {
            continue;
        };
        let k = k.trim().trim_matches(|c| c == '\'' || c == '"');
        if k == "capacity" {
            let v = v.trim();
            let v = v
                .strip_prefix('u')
                .filter(|r| r.starts_with(['\'', '"']))
                .unwrap_or(v);
            return Ok(v.trim_matches(|c| c == '\'' || c == '"'));
        }
    }
    Err(format!("no 'capacity' key in `{dict}`"))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::topology::config::{BalanceSplit, ImportFormat};
    use crate::topology::{ChannelId, FeePolicy, NodeId};
    use crate::units::Msat;
    use std::path::{Path, PathBuf};

    /// `bytes` written to `name` in `dir`.
    fn file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    #[test]
    fn topology_import_edgelist_robustness() {
        let tmp = tempfile::tempdir().unwrap();
        let t = tmp.path();
        // A byte order mark is not part of the first node's name.
        let p = file(
            t,
            "bom.edgelist",
            format!("{BOM}a b 100\nb c 5\n").as_bytes(),
        );
        let raw = read_edgelist(&p).unwrap();
        assert_eq!(raw.nodes, ["a", "b", "c"]);
        // Empty files (or only comments) are reported against the file.
        for (name, text) in [("empty.edgelist", ""), ("comments.edgelist", "# none\n\n")] {
            let p = file(t, name, text.as_bytes());
            let e = bad(ImportFormat::Edgelist, &p, name, 1, "u");
            assert!(e.message.contains("no channels"), "{e}");
        }
        // u64::MAX sat, and the running total crossing 21 million BTC (3 x 10 million).
        let p = file(t, "max.edgelist", b"a b 18446744073709551615\n");
        let e = bad(ImportFormat::Edgelist, &p, "max.edgelist", 1, "capacity");
        assert!(e.message.contains("more than 21 million BTC"), "{e}");
        let e = broken(
            ImportFormat::Edgelist,
            "edge_too_much.edgelist",
            "edge_too_much.edgelist",
            3,
            "capacity",
        );
        assert!(
            e.message.contains("total capacity exceeds 21 million BTC"),
            "{e}"
        );
        // Not UTF-8: the line is named.
        let p = file(t, "latin1.edgelist", b"a b 1\n\xe9 b 2\n");
        let e = read_edgelist(&p).unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        // A directory where the file belongs.
        let e = read_edgelist(t).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{}: expected a file, found a directory: {}",
                t.display(),
                t.display()
            )
        );
    }

    #[test]
    fn topology_import_edgelists() {
        let t = load(
            ImportFormat::Edgelist,
            BalanceSplit::Half,
            "shaduf_small.edgelist",
        );
        assert_eq!((t.node_count(), t.channel_count()), (4, 4));
        let c = t.channel(ChannelId(0));
        assert_eq!(c.capacity, Msat(500_000_000));
        assert_eq!(c.balance, [Msat(250_000_000), Msat(250_000_000)]);
        assert_eq!(
            c.policy[0],
            FeePolicy {
                max_htlc: Msat(500_000_000),
                ..FeePolicy::default()
            }
        );
        assert_eq!(t.node(NodeId(3)).name, "5");
        assert_eq!(t.total_capacity(), Msat(700_107_000));

        let t = load(
            ImportFormat::Edgelist,
            BalanceSplit::Half,
            "spider_small.edgelist",
        );
        assert_eq!((t.node_count(), t.channel_count()), (3, 3));
        assert_eq!(t.channel(ChannelId(0)).capacity, Msat(495_629_000));
        assert_eq!(t.channel(ChannelId(1)).capacity, Msat(218_000));
        assert_eq!(t.channel(ChannelId(2)).capacity, Msat(7_000));
    }

    #[test]
    fn topology_import_edgelist_broken() {
        broken(
            ImportFormat::Edgelist,
            "edge_bad_capacity.edgelist",
            "edge_bad_capacity.edgelist",
            3,
            "capacity",
        );
        broken(
            ImportFormat::Edgelist,
            "edge_bad_dict.edgelist",
            "edge_bad_dict.edgelist",
            2,
            "capacity",
        );
        broken(
            ImportFormat::Edgelist,
            "edge_self_loop.edgelist",
            "edge_self_loop.edgelist",
            2,
            "v",
        );
    }

    #[test]
    #[ignore = "needs PCNSIM_SHARED_DATA"]
    fn topology_import_real_edgelists() {
        let path = shared("shaduf_ln_20210331/lightning_simplified_component.edgelist");
        let raw = read_edgelist(&path).unwrap();
        assert_eq!((raw.nodes.len(), raw.channels.len()), (10_529, 38_910));
        // Spider (NetworkX form, README table): nodes, edges, total capacity in BTC.
        for (file, nodes, edges, btc) in [
            ("lnd_july15_2019_reducedsize.edgelist", 106, 265, None),
            ("clightning_oct5_2020.edgelist", 5_885, 29_067, Some(811.1)),
        ] {
            let path = shared(&format!("spider_lnd_data/{file}"));
            let raw = read_edgelist(&path).unwrap();
            assert_eq!(
                (raw.nodes.len(), raw.channels.len()),
                (nodes, edges),
                "{file}"
            );
            if let Some(btc) = btc {
                let total: u64 = raw.channels.iter().map(|c| c.capacity.0).sum();
                assert!((Msat(total).btc_f64() - btc).abs() < 0.1, "{file}: {total}");
            }
        }
    }
}
