//! The scenario reference, `docs/scenario.md`, embedded in the binary: its sections (for
//! `pcnsim explain`), its anchors, and the pointer every error about a scenario key ends
//! with (`(see docs/scenario.md#workload)`).
//!
//! The page is written by hand; a test here checks it against the parser both ways (a key
//! the parser accepts without a row, or a row the parser rejects, fails). Sections are
//! marked `<a id="name"></a>` followed by a heading; a section's key table is the first
//! markdown table after its anchor, one row per key, the key in backticks in the first
//! column.
//!
//! This module only reads the embedded text: no I/O, no knowledge of the scenario structs.

/// The reference page, as shipped.
pub const SCENARIO_MD: &str = include_str!("../docs/scenario.md");

/// Where the page lives in the repository (error messages point there).
pub const DOC_PATH: &str = "docs/scenario.md";

/// The section every unplaceable key falls back to.
const TOP_LEVEL: &str = "top-level";

/// One `<a id="...">` section of the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Section {
    /// The anchor (`workload-one_way`).
    pub anchor: &'static str,
    /// The heading text after the anchor, without the `#`s.
    pub title: &'static str,
    /// Heading level (number of `#`).
    pub level: usize,
    /// Where its `<a id>` line starts in [`SCENARIO_MD`].
    at: usize,
    /// Byte range of the section in [`SCENARIO_MD`], from the heading to the next anchor.
    start: usize,
    end: usize,
}

/// Every section, in page order.
pub fn sections() -> Vec<Section> {
    const OPEN: &str = "<a id=\"";
    let text = SCENARIO_MD;
    let mut starts: Vec<(usize, &'static str, usize)> = Vec::new();
    let mut pos = 0;
    while let Some(i) = text[pos..].find(OPEN) {
        let at = pos + i;
        let id_start = at + OPEN.len();
        let Some(len) = text[id_start..].find('"') else {
            break;
        };
        let after = text[id_start..]
            .find('\n')
            .map_or(text.len(), |n| id_start + n + 1);
        starts.push((at, &text[id_start..id_start + len], after));
        pos = id_start + len;
    }
    let mut out = Vec::with_capacity(starts.len());
    for (k, &(at, anchor, body)) in starts.iter().enumerate() {
        let end = starts.get(k + 1).map_or(text.len(), |s| s.0);
        let heading = text[body..end]
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        let level = heading.chars().take_while(|&c| c == '#').count();
        out.push(Section {
            anchor,
            title: heading.trim_start_matches('#').trim(),
            level,
            at,
            start: body,
            end,
        });
    }
    out
}

/// Every anchor of the page.
pub fn anchors() -> Vec<&'static str> {
    sections().into_iter().map(|s| s.anchor).collect()
}

fn find(anchor: &str) -> Option<&'static str> {
    sections()
        .into_iter()
        .map(|s| s.anchor)
        .find(|a| *a == anchor)
}

/// The text of a section and of its subsections (up to the next heading of the same or a
/// higher level), for `pcnsim explain`. `name` may be an anchor (`topology-fees`), a table
/// as written (`[topology.fees]`, `workload.one_way`), a strategy name (`circular`), or
/// `defaults`.
pub fn explain(name: &str) -> Option<&'static str> {
    let anchor = resolve_name(name)?;
    let all = sections();
    let i = all.iter().position(|s| s.anchor == anchor)?;
    let s = all[i];
    let end = all[i + 1..]
        .iter()
        .find(|t| t.level <= s.level && t.level > 0)
        .map_or(SCENARIO_MD.len(), |t| t.at);
    Some(SCENARIO_MD[s.start..end].trim_end())
}

impl Section {
    /// The section's own text (up to the next anchor).
    pub fn text(&self) -> &'static str {
        &SCENARIO_MD[self.start..self.end]
    }
}

/// The anchor `pcnsim explain NAME` shows, if any.
pub fn resolve_name(name: &str) -> Option<&'static str> {
    let n = name
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim()
        .to_ascii_lowercase()
        .replace('.', "-");
    let candidates = [
        n.clone(),
        format!("strategy-{}", n.trim_start_matches("strategy-")),
        match n.as_str() {
            "defaults" => "defaults-that-matter".to_string(),
            "top" | "top_level" | "" => TOP_LEVEL.to_string(),
            "balance" => "balance-modes".to_string(),
            "import" => "imports".to_string(),
            "amount" | "capacity" => "amount-distributions".to_string(),
            "hop_latency" | "latency" => "latency-distributions".to_string(),
            "senders" | "receivers" => "endpoints".to_string(),
            _ => String::new(),
        },
    ];
    candidates.iter().find_map(|c| find(c))
}

/// Common keys of every `[[strategy]]` table (not strategy parameters).
const STRATEGY_COMMON: [&str; 3] = ["name", "label", "participation"];

/// The anchor documenting a key path (`workload.one_way.share`, `strategy[2].low`,
/// `topology.fees.ppm`). `strategy_kind` is the `name` of the `[[strategy]]` the path is
/// in, when known. Falls back to the longest documented prefix, then to the top level.
pub fn anchor_for(field: &str, strategy_kind: Option<&str>) -> &'static str {
    let parts: Vec<&str> = field
        .split('.')
        .map(|p| p.split('[').next().unwrap_or(p).trim())
        .filter(|p| !p.is_empty())
        .collect();
    let top = find(TOP_LEVEL).unwrap_or("");
    match parts.first().copied() {
        None => top,
        Some("sweep") => find("sweep").unwrap_or(top),
        Some("strategy") => {
            let sub = parts.get(1).copied();
            if sub == Some("participation") {
                return find("participation").unwrap_or(top);
            }
            match (sub, strategy_kind) {
                (Some(k), Some(kind)) if !STRATEGY_COMMON.contains(&k) => {
                    find(&format!("strategy-{kind}")).or_else(|| find("strategy"))
                }
                _ => find("strategy"),
            }
            .unwrap_or(top)
        }
        Some(_) => (1..=parts.len())
            .rev()
            .find_map(|n| find(&parts[..n].join("-")))
            .unwrap_or(top),
    }
}

/// ` (see docs/scenario.md#<anchor>)`: the suffix of every error about a scenario key.
pub fn pointer(field: &str, strategy_kind: Option<&str>) -> String {
    format!(" (see {DOC_PATH}#{})", anchor_for(field, strategy_kind))
}

/// [`pointer`] for a key of the scenario `text`: finds the `name` of the `[[strategy]]`
/// a `strategy[i]...` path is in.
pub fn pointer_in(text: &str, field: &str) -> String {
    let kind = field
        .strip_prefix("strategy[")
        .and_then(|r| r.split(']').next())
        .and_then(|i| i.parse::<usize>().ok())
        .and_then(|i| {
            let doc: toml::Table = toml::from_str(text).ok()?;
            let s = doc.get("strategy")?.as_array()?.get(i)?;
            Some(s.get("name")?.as_str()?.to_string())
        });
    pointer(field, kind.as_deref())
}

/// The dotted path of the table a byte `offset` of a TOML `text` is in (`workload.one_way`,
/// `strategy[1]`, `""` at the top level), from the last `[header]` or `[[header]]` before
/// it.
pub fn table_at(text: &str, offset: usize) -> String {
    let before = &text[..offset.min(text.len())];
    let mut table = String::new();
    let mut counts: Vec<(String, usize)> = Vec::new();
    for line in before.lines() {
        let t = line.trim();
        if let Some(h) = t.strip_prefix("[[") {
            let name = h.split("]]").next().unwrap_or("").trim().to_string();
            let n = match counts.iter_mut().find(|(k, _)| *k == name) {
                Some((_, c)) => {
                    *c += 1;
                    *c
                }
                None => {
                    counts.push((name.clone(), 0));
                    0
                }
            };
            table = format!("{name}[{n}]");
        } else if let Some(h) = t.strip_prefix('[') {
            table = h.split(']').next().unwrap_or("").trim().to_string();
        }
    }
    table
}

/// The keys a section's table documents: the backticked first cell of each row (after the
/// header row) of the first markdown table of the section (empty if it has no rows).
pub fn documented_keys(anchor: &str) -> Option<Vec<String>> {
    let s = sections().into_iter().find(|s| s.anchor == anchor)?;
    let mut keys = Vec::new();
    let mut in_table = false;
    for line in s.text().lines() {
        let t = line.trim();
        if t.starts_with('|') {
            if !in_table {
                // The header row.
                in_table = true;
                continue;
            }
            let cell = t.trim_start_matches('|').split('|').next().unwrap_or("");
            let cell = cell.trim();
            if let Some(k) = cell.strip_prefix('`').and_then(|c| c.split('`').next()) {
                keys.push(k.to_string());
            }
        } else if in_table {
            break;
        }
    }
    Some(keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::path::Path;

    /// A scenario that parses; each case adds one unknown key `zz_unknown` somewhere.
    const MINIMAL: &str =
        "name = \"t\"\n[topology]\nkind = \"ring\"\nnodes = 5\n[workload]\npayments = 10\n";

    /// The keys the parser accepts where `zz_unknown` was put: serde's "expected one of
    /// `a`, `b`" (or "expected `a`", "`a` or `b`", "there are no fields").
    fn accepted(text: &str) -> Result<BTreeSet<String>, String> {
        let err = match crate::scenario::parse(text, "case.toml", Path::new("/"), None) {
            Ok(_) => return Err("the unknown key was accepted".into()),
            Err(e) => e.message,
        };
        if !err.contains("zz_unknown") {
            return Err(format!("unexpected error: {err}"));
        }
        if err.contains("there are no fields") {
            return Ok(BTreeSet::new());
        }
        let Some(i) = err.find("expected") else {
            return Err(format!("no key list in: {err}"));
        };
        let list = err[i..].split(" (see ").next().unwrap_or("");
        Ok(list
            .split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect())
    }

    /// (section anchor, scenario text with an unknown key in that table).
    fn cases() -> Vec<(String, String)> {
        let m = MINIMAL;
        let mut c: Vec<(String, String)> = vec![
            ("top-level".into(), format!("zz_unknown = 1\n{m}")),
            ("topology".into(), m.replace("nodes = 5\n", "nodes = 5\nzz_unknown = 1\n")),
            ("topology-fees".into(), format!("{m}[topology.fees]\nzz_unknown = 1\n")),
            ("workload".into(), format!("{m}zz_unknown = 1\n")),
            ("workload-one_way".into(), format!("{m}[workload.one_way]\nshare = 0.5\nzz_unknown = 1\n")),
            ("routing".into(), format!("{m}[routing]\nzz_unknown = 1\n")),
            ("metrics".into(), format!("{m}[metrics]\nzz_unknown = 1\n")),
            ("chain".into(), format!("{m}[chain]\nzz_unknown = 1\n")),
            ("chain-tx_vbytes".into(), format!("{m}[chain.tx_vbytes]\nzz_unknown = 1\n")),
            ("cross_chain".into(), format!("{m}[[chain]]\nname = \"a\"\n[[chain]]\nname = \"b\"\n[cross_chain]\nzz_unknown = 1\n")),
            ("swap".into(), format!("{m}[swap]\nzz_unknown = 1\n")),
            ("security".into(), format!("{m}[security]\nzz_unknown = 1\n")),
            ("security-offline".into(), format!("{m}[security.offline]\nmean_online_s = 1\nmean_offline_s = 1\nzz_unknown = 1\n")),
        ];
        for e in crate::strategy::registry::STRATEGIES {
            c.push((
                format!("strategy-{}", e.name),
                format!("{m}[[strategy]]\nname = \"{}\"\nzz_unknown = 1\n", e.name),
            ));
        }
        c
    }

    #[test]
    fn every_key_is_documented_and_every_documented_key_exists() {
        let mut problems = Vec::new();
        for (anchor, text) in cases() {
            let Some(doc) = documented_keys(&anchor) else {
                problems.push(format!("{DOC_PATH} has no section <a id=\"{anchor}\">"));
                continue;
            };
            let doc: BTreeSet<String> = doc.into_iter().collect();
            let parser = match accepted(&text) {
                Ok(k) => k,
                Err(e) => {
                    problems.push(format!("{anchor}: {e}"));
                    continue;
                }
            };
            for k in parser.difference(&doc) {
                problems.push(format!(
                    "key `{k}` is accepted by the parser but has no row in {DOC_PATH}#{anchor}"
                ));
            }
            for k in doc.difference(&parser) {
                problems.push(format!(
                    "{DOC_PATH}#{anchor} documents `{k}`, which the parser does not accept"
                ));
            }
        }
        // The common [[strategy]] keys are handled by the registry, not by serde.
        let common: BTreeSet<String> = crate::strategy::registry::COMMON_KEYS
            .iter()
            .map(|s| s.to_string())
            .collect();
        let doc: BTreeSet<String> = documented_keys("strategy")
            .unwrap_or_default()
            .into_iter()
            .collect();
        if doc != common {
            problems.push(format!(
                "{DOC_PATH}#strategy documents {doc:?}; the registry's common keys are {common:?}"
            ));
        }
        assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
    }

    #[test]
    fn distribution_names_match_the_parser() {
        // The first column of the distribution tables lists the `dist` names serde accepts.
        let m = MINIMAL;
        for (anchor, text) in [
            (
                "amount-distributions",
                m.replace(
                    "nodes = 5\n",
                    "nodes = 5\ncapacity = { dist = \"zz_unknown\" }\n",
                ),
            ),
            (
                "latency-distributions",
                format!("{m}[routing]\nhop_latency = {{ dist = \"zz_unknown\" }}\n"),
            ),
        ] {
            let doc: BTreeSet<String> = documented_keys(anchor).unwrap().into_iter().collect();
            let parser = accepted(&text).unwrap();
            assert_eq!(doc, parser, "{DOC_PATH}#{anchor}: `dist` names");
        }
    }

    /// `(first cell, backticked words of the second cell)` of each row of a section's
    /// first table (after the header).
    fn rows_with_keys(anchor: &str) -> Vec<(String, BTreeSet<String>)> {
        let s = sections().into_iter().find(|s| s.anchor == anchor).unwrap();
        let rows: Vec<&str> = s
            .text()
            .lines()
            .filter(|l| l.trim_start().starts_with('|'))
            .skip(2)
            .collect();
        rows.iter()
            .map(|r| {
                let cells: Vec<&str> = r.trim().trim_matches('|').split('|').collect();
                let name = cells[0].trim().trim_matches('`').to_string();
                let keys = cells[1]
                    .split('`')
                    .skip(1)
                    .step_by(2)
                    .map(str::to_string)
                    .collect();
                (name, keys)
            })
            .collect()
    }

    #[test]
    fn distribution_keys_match_the_parser() {
        let m = MINIMAL;
        let mut problems = Vec::new();
        for (anchor, text) in [
            (
                "amount-distributions",
                m.replace(
                    "nodes = 5\n",
                    "nodes = 5\ncapacity = { dist = \"DIST\", zz_unknown = 1 }\n",
                ),
            ),
            (
                "latency-distributions",
                format!("{m}[routing]\nhop_latency = {{ dist = \"DIST\", zz_unknown = 1 }}\n"),
            ),
        ] {
            for (dist, doc) in rows_with_keys(anchor) {
                match accepted(&text.replace("DIST", &dist)) {
                    Ok(parser) if parser == doc => {}
                    Ok(parser) => problems.push(format!(
                        "{DOC_PATH}#{anchor}: `{dist}` documents {doc:?}, the parser accepts {parser:?}"
                    )),
                    Err(e) => problems.push(format!("{anchor} `{dist}`: {e}")),
                }
            }
        }
        assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
    }

    #[test]
    fn strategy_names_in_the_docs_are_the_registry() {
        let names: Vec<&str> = crate::strategy::registry::STRATEGIES
            .iter()
            .map(|e| e.name)
            .collect();
        for n in &names {
            assert!(
                find(&format!("strategy-{n}")).is_some(),
                "strategy `{n}` has no section <a id=\"strategy-{n}\"> in {DOC_PATH}"
            );
        }
        for a in anchors() {
            if let Some(n) = a.strip_prefix("strategy-") {
                assert!(names.contains(&n), "{DOC_PATH}#{a}: no strategy `{n}`");
            }
        }
    }

    #[test]
    fn every_link_and_pointer_names_an_existing_anchor() {
        let all = anchors();
        let unique: BTreeSet<&str> = all.iter().copied().collect();
        assert_eq!(unique.len(), all.len(), "duplicate anchors: {all:?}");
        // Internal links of the page.
        for part in SCENARIO_MD.split("](#").skip(1) {
            let a = part.split(')').next().unwrap_or("");
            assert!(unique.contains(a), "link to missing anchor #{a}");
        }
        for (field, kind, want) in [
            ("name", None, "top-level"),
            ("replications", None, "top-level"),
            ("workload.rate_per_s", None, "workload"),
            ("workload.amount.sigma", None, "workload"),
            ("workload.one_way.payees", None, "workload-one_way"),
            ("topology.fees.ppm", None, "topology-fees"),
            ("topology.capacity.median_sat", None, "topology"),
            ("routing.hop_latency.max_ms", None, "routing"),
            ("chain.tx_vbytes.splice", None, "chain-tx_vbytes"),
            ("security.offline.mean_online_s", None, "security-offline"),
            ("security.malicious_nodes[2]", None, "security"),
            ("strategy[1].low", Some("circular"), "strategy-circular"),
            ("strategy[1].low", None, "strategy"),
            ("strategy[0].name", Some("jit"), "strategy"),
            (
                "strategy[0].participation.share",
                Some("jit"),
                "participation",
            ),
            ("sweep.workload.rate_per_s", None, "sweep"),
            ("no_such_table.key", None, "top-level"),
        ] {
            assert_eq!(anchor_for(field, kind), want, "{field}");
            assert!(unique.contains(anchor_for(field, kind)));
        }
    }

    #[test]
    fn scenario_errors_end_with_a_pointer_to_their_entry() {
        let parse = |t: &str| {
            crate::scenario::parse(t, "s.toml", Path::new("/"), None)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        // A value out of range (validation).
        let e = parse(&format!("{MINIMAL}rate_per_s = -1\n"));
        assert!(e.ends_with("(see docs/scenario.md#workload)"), "{e}");
        // An unknown key (serde), in a sub-table.
        let e = parse(&format!(
            "{MINIMAL}[workload.one_way]\nshare = 0.5\nshar = 1\n"
        ));
        assert!(
            e.ends_with("(see docs/scenario.md#workload-one_way)"),
            "{e}"
        );
        // A strategy parameter points at that strategy's section.
        let e = parse(&format!(
            "{MINIMAL}[[strategy]]\nname = \"none\"\n[[strategy]]\nname = \"jit\"\nmargin = 0.5\n"
        ));
        assert!(e.ends_with("(see docs/scenario.md#strategy-jit)"), "{e}");
        assert!(e.contains(":11:"), "names the line: {e}");
        // A missing required table: its own entry.
        let e = parse("name = \"t\"\n[workload]\npayments = 1\n");
        assert!(e.ends_with("(see docs/scenario.md#topology)"), "{e}");
    }

    #[test]
    fn explain_finds_tables_by_any_name() {
        let w = explain("workload").unwrap();
        assert!(w.starts_with("## `[workload]`"), "{w}");
        assert!(w.contains("`rate_per_s`") && w.contains("[workload.one_way]"));
        assert!(!w.contains("## `[routing]`"), "stops at the next table");
        assert_eq!(explain("[workload.one_way]"), explain("workload-one_way"));
        assert!(explain("circular").unwrap().contains("`max_fee_sat`"));
        assert!(explain("strategy.jit").unwrap().contains("`margin`"));
        assert!(explain("defaults").unwrap().contains("BOLT 2"));
        assert!(explain("topology").unwrap().contains("`max_htlc_share`"));
        assert!(explain("no_such_table").is_none());
        assert_eq!(table_at("a = 1\n[x.y]\nb = 2\n[[s]]\n[[s]]\nc = 3", 4), "");
        assert_eq!(
            table_at("a = 1\n[x.y]\nb = 2\n[[s]]\n[[s]]\nc = 3", 16),
            "x.y"
        );
        assert_eq!(
            table_at("a = 1\n[x.y]\nb = 2\n[[s]]\n[[s]]\nc = 3", 35),
            "s[1]"
        );
    }
}
