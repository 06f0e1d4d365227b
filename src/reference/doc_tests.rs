//! docs/scenario.md against the parsers, found by probing rather than listed by hand.
//!
//! Starting from the top level of a scenario (and of a plan file, and of every registered
//! strategy's table), a probe key `zz_unknown` makes the parser list the keys it accepts;
//! each accepted key is then probed as a table (`key = { zz_unknown = 1 }`), as an array of
//! tables (`key = [{ zz_unknown = 1 }]`) and as a string (`key = "zz_unknown"`). A key the
//! parser reads as a table is walked in turn (so a new sub-table is covered without
//! touching this file); a key it reads as one of a set of names gives the allowed names.
//! Each table found must have a section whose key table lists exactly the keys the parser
//! accepts, and each named-value key's `allowed` cell must list exactly the parser's names
//! (as `"name"`, or `{ name = … }` for a table form). Every section with a key table must be
//! reached by the walk.

use super::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A scenario that parses.
const MINIMAL: &str =
    "name = \"t\"\n[topology]\nkind = \"ring\"\nnodes = 5\n[workload]\npayments = 10\n";

/// The probe: a key or a value no parser knows.
const PROBE: &str = "zz_unknown";

/// Which parser reads a file.
#[derive(Clone, Copy, Debug)]
enum Parser {
    Scenario,
    Plan,
}

impl Parser {
    /// The parser's error message for `text`, if it refuses it.
    fn error(self, text: &str) -> Option<String> {
        let dir = Path::new("/");
        match self {
            Parser::Scenario => crate::scenario::parse(text, "case.toml", dir, None)
                .err()
                .map(|e| e.message),
            Parser::Plan => crate::plan::parse(text, "case.toml", dir)
                .err()
                .map(|e| e.message),
        }
    }
}

/// A table of a scenario or plan file.
#[derive(Clone, Debug)]
struct Loc {
    parser: Parser,
    /// A file the table is put into (it need not be valid once the table is added).
    base: toml::Table,
    /// Keys from the root to the table; `name[]` is the first table of the array `name`.
    path: Vec<String>,
    /// Its section in the docs.
    anchor: String,
}

impl Loc {
    fn root(parser: Parser, base: &str, path: &[&str], anchor: &str) -> Loc {
        Loc {
            parser,
            base: toml::from_str(base).expect("base parses as TOML"),
            path: path.iter().map(|s| s.to_string()).collect(),
            anchor: anchor.to_string(),
        }
    }

    /// The file with `key = value` in this table (the tables on the way created).
    fn with(&self, key: &str, value: toml::Value) -> String {
        let mut doc = self.base.clone();
        let mut t = &mut doc;
        for seg in &self.path {
            t = match seg.strip_suffix("[]") {
                Some(name) => {
                    let v = t
                        .entry(name.to_string())
                        .or_insert_with(|| toml::Value::Array(Vec::new()));
                    let a = v.as_array_mut().expect("an array of tables");
                    if a.is_empty() {
                        a.push(toml::Value::Table(toml::Table::new()));
                    }
                    a[0].as_table_mut().expect("a table")
                }
                None => t
                    .entry(seg.clone())
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()))
                    .as_table_mut()
                    .expect("a table"),
            };
        }
        t.insert(key.to_string(), value);
        toml::to_string(&doc).expect("serialises")
    }

    /// The parser's error with `key = value` in this table.
    fn probe(&self, key: &str, value: toml::Value) -> Option<String> {
        self.parser.error(&self.with(key, value))
    }

    /// The table path as written (`topology.add_node`).
    fn dotted(&self) -> String {
        self.path
            .iter()
            .map(|s| s.trim_end_matches("[]"))
            .collect::<Vec<_>>()
            .join(".")
    }
}

/// The backticked or double-quoted words after "expected" in an error (up to the pointer
/// or a `;`).
fn expected_list(err: &str) -> BTreeSet<String> {
    let Some(i) = err.find("expected") else {
        return BTreeSet::new();
    };
    let list = err[i..].split(" (see ").next().unwrap_or("");
    let list = list.split(';').next().unwrap_or("");
    let mut out = BTreeSet::new();
    for q in ['`', '"'] {
        out.extend(list.split(q).skip(1).step_by(2).map(str::to_string));
    }
    out
}

/// The keys a table accepts, if `err` is the unknown-key error of the probe.
fn keys_in(err: &str) -> Option<BTreeSet<String>> {
    if !err.contains(&format!("unknown field `{PROBE}`")) {
        return None;
    }
    if err.contains("there are no fields") {
        return Some(BTreeSet::new());
    }
    Some(expected_list(err))
}

/// The names a key accepts, if `err` is the unknown-name error of the probe value.
fn names_in(err: &str) -> Option<BTreeSet<String>> {
    let names = err.contains(PROBE)
        && err.contains("expected")
        && !err.contains("invalid type")
        && !err.contains("unknown field");
    names.then(|| expected_list(err))
}

/// What the walk found in one table.
#[derive(Debug)]
struct Found {
    loc: Loc,
    keys: BTreeSet<String>,
    /// Key → the names it accepts (string forms, plus the keys of its table form).
    names: BTreeMap<String, BTreeSet<String>>,
}

/// Keys of a top level that are walked from their own roots (strategies by name, plan
/// files by their parser) or are not tables of keys (`[sweep]` takes paths).
const NOT_WALKED: [&str; 3] = ["strategy", "sweep", "plan"];

/// Tables whose keys are documented in a section of another shape (a table of values):
/// the table's dotted path (without index) and that section.
const ELSEWHERE: [(&str, &str); 5] = [
    ("workload.senders", "endpoints"),
    ("workload.receivers", "endpoints"),
    ("plan.top_k", "plan"),
    ("topology.balance", "balance-modes"),
    ("workload.flow.counterparties", "workload-flow"),
];

fn walk(loc: Loc, out: &mut Vec<Found>) -> Result<(), String> {
    let err = loc
        .probe(PROBE, toml::Value::Integer(1))
        .ok_or_else(|| format!("`{}`: the unknown key was accepted", loc.dotted()))?;
    let keys = keys_in(&err).ok_or_else(|| format!("`{}`: {err}", loc.dotted()))?;
    let mut names = BTreeMap::new();
    let mut children = Vec::new();
    for k in &keys {
        if loc.path.is_empty() && NOT_WALKED.contains(&k.as_str()) {
            continue;
        }
        let probe_table = toml::Value::Table(toml::Table::from_iter([(
            PROBE.to_string(),
            toml::Value::Integer(1),
        )]));
        let mut table_keys = None;
        for (value, seg) in [
            (probe_table.clone(), k.clone()),
            (toml::Value::Array(vec![probe_table]), format!("{k}[]")),
        ] {
            if let Some(sub) = loc.probe(k, value).as_deref().and_then(keys_in) {
                let mut path = loc.path.clone();
                path.push(seg);
                let anchor = path
                    .iter()
                    .map(|s| s.trim_end_matches("[]"))
                    .collect::<Vec<_>>()
                    .join("-");
                children.push(Loc {
                    parser: loc.parser,
                    base: loc.base.clone(),
                    path,
                    anchor,
                });
                table_keys = Some(sub);
                break;
            }
        }
        if let Some(mut n) = loc
            .probe(k, toml::Value::String(PROBE.into()))
            .as_deref()
            .and_then(names_in)
        {
            // A key written as a name or as a table (`{ zipf = 0.8 }`) accepts both.
            n.extend(table_keys.unwrap_or_default());
            names.insert(k.clone(), n);
        }
    }
    out.push(Found { loc, keys, names });
    for c in children {
        walk(c, out)?;
    }
    Ok(())
}

/// The rows of a section's first table, by the text of their first cell (backticks
/// removed), each row as header → cell.
fn doc_rows(anchor: &str) -> Option<BTreeMap<String, BTreeMap<String, String>>> {
    let s = sections().into_iter().find(|s| s.anchor == anchor)?;
    let lines: Vec<&str> = s
        .text()
        .lines()
        .map(str::trim)
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .collect();
    let cells = |l: &str| -> Vec<String> {
        l.replace("\\|", "\u{1}")
            .trim_matches('|')
            .split('|')
            .map(|c| c.trim().replace('\u{1}', "|"))
            .collect()
    };
    let header = cells(lines.first()?);
    let mut rows = BTreeMap::new();
    for l in lines.iter().skip(2) {
        let c = cells(l);
        let key = c[0].trim_matches('`').to_string();
        rows.insert(key, header.iter().cloned().zip(c).collect());
    }
    Some(rows)
}

/// The names an `allowed` cell lists: `"name"` and the first key of `{ name = … }`.
fn doc_names(cell: &str) -> BTreeSet<String> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .filter_map(|w| {
            if let Some(q) = w.strip_prefix('"').and_then(|w| w.strip_suffix('"')) {
                Some(q.to_string())
            } else if let Some(b) = w.strip_prefix('{') {
                let k = b.trim().split([' ', '=', ',', '}']).next().unwrap_or("");
                (!k.is_empty()).then(|| k.to_string())
            } else {
                None
            }
        })
        .collect()
}

/// The walk from every root: a scenario's top level, a plan file's `[plan]`, and the
/// table of every registered strategy.
fn found() -> Result<Vec<Found>, String> {
    let mut out = Vec::new();
    walk(
        Loc::root(Parser::Scenario, MINIMAL, &[], "top-level"),
        &mut out,
    )?;
    let plan = format!("{MINIMAL}[plan]\nquestion = \"how_much\"\n");
    walk(Loc::root(Parser::Plan, &plan, &["plan"], "plan"), &mut out)?;
    for e in crate::strategy::registry::STRATEGIES {
        let base = format!("{MINIMAL}[[strategy]]\nname = \"{}\"\n", e.name);
        let anchor = format!("strategy-{}", e.name);
        walk(
            Loc::root(Parser::Scenario, &base, &["strategy[]"], &anchor),
            &mut out,
        )?;
    }
    Ok(out)
}

/// Everything wrong between the docs and the tables found, and the sections reached.
fn problems(found: &[Found]) -> (Vec<String>, BTreeSet<String>) {
    let mut problems = Vec::new();
    let mut reached = BTreeSet::new();
    for f in found {
        let table = f.loc.dotted();
        let anchor = match ELSEWHERE.iter().find(|(p, _)| *p == table) {
            Some((_, a)) => {
                // Documented as values elsewhere; its names are checked in its parent.
                reached.insert(a.to_string());
                continue;
            }
            None => f.loc.anchor.clone(),
        };
        let Some(rows) = doc_rows(&anchor) else {
            problems.push(format!(
                "table `{table}` has no section <a id=\"{anchor}\"> in {DOC_PATH}"
            ));
            continue;
        };
        reached.insert(anchor.clone());
        let doc: BTreeSet<String> = rows.keys().cloned().collect();
        for k in f.keys.difference(&doc) {
            problems.push(format!(
                "key `{k}` of `{table}` is accepted by the parser but has no row in {DOC_PATH}#{anchor}"
            ));
        }
        for k in doc.difference(&f.keys) {
            problems.push(format!(
                "{DOC_PATH}#{anchor} documents `{k}`, which the parser does not accept"
            ));
        }
        for (k, row) in &rows {
            let documented = doc_names(row.get("allowed").map_or("", String::as_str));
            match f.names.get(k) {
                Some(parser) if *parser != documented => problems.push(format!(
                    "{DOC_PATH}#{anchor} `{k}`: the allowed cell names {documented:?}, the parser accepts {parser:?}"
                )),
                None if row.get("type").is_some_and(|t| t == "string") && !documented.is_empty() => {
                    problems.push(format!(
                        "{DOC_PATH}#{anchor} `{k}`: the allowed cell names {documented:?}, but the parser takes any string"
                    ))
                }
                _ => {}
            }
        }
    }
    (problems, reached)
}

/// The sections with a key table that `reached` misses.
fn unreached(reached: &BTreeSet<String>) -> Vec<String> {
    let mut problems = Vec::new();
    for s in sections() {
        let has_key_table = s
            .text()
            .lines()
            .find(|l| l.trim_start().starts_with('|'))
            .is_some_and(|l| l.trim().starts_with("| key |"));
        // `[[strategy]]`'s own keys are the registry's (checked below).
        if has_key_table && s.anchor != "strategy" && !reached.contains(s.anchor) {
            problems.push(format!(
                "{DOC_PATH}#{} has a key table, but no parser table reaches it",
                s.anchor
            ));
        }
    }
    problems
}

#[test]
fn every_key_and_name_is_documented_and_every_documented_one_exists() {
    let found = found().unwrap_or_else(|e| panic!("walking the parsers: {e}"));
    // The walk reaches the sub-tables (a guard against a walk that stops early).
    let tables: BTreeSet<String> = found.iter().map(|f| f.loc.dotted()).collect();
    for t in [
        "topology.fees",
        "topology.add_channel",
        "workload.probes",
        "workload.flow",
        "routing.mpp",
        "security.offline",
        "plan",
    ] {
        assert!(
            tables.contains(t),
            "the walk did not reach `{t}`: {tables:?}"
        );
    }
    for (anchor, key) in [
        ("topology", "kind"),
        ("topology", "balance"),
        ("topology", "format"),
        ("workload", "senders"),
        ("workload-probes", "among"),
        ("routing", "router"),
        ("strategy-proactive", "rule"),
        ("strategy-topup", "mode"),
        ("plan", "knob"),
    ] {
        assert!(
            found
                .iter()
                .any(|f| f.loc.anchor == anchor && f.names.contains_key(key)),
            "the walk did not find the names of {anchor} `{key}`"
        );
    }
    let (mut problems, reached) = problems(&found);
    problems.extend(unreached(&reached));
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

/// `pcnsim explain TABLE` prints the section of every table the parsers accept, found by
/// the table as written (`[[topology.add_node]]`, `workload.probes`, `plan`, a strategy
/// name), with every key of the table in it.
#[test]
fn explain_prints_every_table_the_parsers_accept() {
    for f in found().unwrap() {
        let table = f.loc.dotted();
        if ELSEWHERE.iter().any(|(p, _)| *p == table) {
            continue;
        }
        let name = match f.loc.anchor.strip_prefix("strategy-") {
            Some(strategy) => strategy.to_string(),
            None if table.is_empty() => "top".to_string(),
            None if f.loc.path.last().is_some_and(|s| s.ends_with("[]")) => format!("[[{table}]]"),
            None => format!("[{table}]"),
        };
        let text =
            explain(&name).unwrap_or_else(|| panic!("`pcnsim explain {name}` finds nothing"));
        for k in &f.keys {
            assert!(
                text.contains(&format!("`{k}`")),
                "`pcnsim explain {name}` does not show key `{k}`"
            );
        }
    }
}

/// The check fails on an undocumented key or name and on a documented one that does not
/// exist (the docs are edited in memory; the parser is the real one).
#[test]
fn the_docs_check_catches_each_kind_of_mismatch() {
    let found = found().unwrap();
    let mut edited: Vec<Found> = found
        .into_iter()
        .filter(|f| f.loc.anchor == "routing")
        .collect();
    assert_eq!(edited.len(), 1);
    assert!(problems(&edited).0.is_empty(), "{:?}", problems(&edited));
    let f = &mut edited[0];
    // A key the parser accepts that the docs lack, and a documented key that is gone.
    f.keys.insert("zz_new".into());
    f.keys.remove("max_hops");
    // A name the parser accepts that the docs lack, and a documented name that is gone.
    let router = f
        .names
        .get_mut("router")
        .expect("`router` is a named value");
    router.insert("zz_router".into());
    router.remove("mcf");
    let p = problems(&edited).0.join("\n");
    assert!(p.contains("key `zz_new` of `routing`"), "{p}");
    assert!(p.contains("documents `max_hops`"), "{p}");
    assert!(p.contains("`router`") && p.contains("zz_router"), "{p}");
    assert!(p.contains("`router`") && p.contains("\"mcf\""), "{p}");
    // A section no parser table reaches.
    let reached: BTreeSet<String> = ["routing".to_string()].into();
    assert!(unreached(&reached)
        .iter()
        .any(|p| p.contains("#routing-mpp")));
}

#[test]
fn default_strategy_parameters_resolve_to_their_documented_defaults() {
    for e in crate::strategy::registry::STRATEGIES {
        let anchor = format!("strategy-{}", e.name);
        let table = toml::Table::from_iter([("name".to_string(), toml::Value::from(e.name))]);
        let resolved = (e.resolve)(&table, "strategy[0]").unwrap();
        let resolved = resolved.as_object().expect("an object");
        let rows = doc_rows(&anchor).unwrap();
        let keys: BTreeSet<&String> = resolved.keys().collect();
        assert_eq!(
            keys,
            rows.keys().collect(),
            "{anchor}: resolved keys vs documented keys"
        );
        for (k, row) in &rows {
            let cell = row["default"].as_str();
            // The first backticked word of the cell, or none (`null`) when the cell starts
            // with words (`none: …`, `the router's max_hops`).
            let want = match cell.strip_prefix('`') {
                Some(rest) => {
                    let w = rest.split('`').next().unwrap_or("");
                    let w = w.trim_matches('"');
                    match (w.parse::<f64>(), w.parse::<bool>()) {
                        (Ok(x), _) => serde_json::json!(x),
                        (_, Ok(b)) => serde_json::json!(b),
                        _ => serde_json::json!(w),
                    }
                }
                None => serde_json::Value::Null,
            };
            let got = &resolved[k];
            let same = match (got.as_f64(), want.as_f64()) {
                (Some(a), Some(b)) => a == b,
                _ => *got == want,
            };
            assert!(
                same,
                "{anchor} `{k}`: resolves to {got}, documented `{cell}`"
            );
        }
    }
    // The common keys: the label is the name, everyone participates.
    let spec = crate::strategy::registry::parse_one(
        0,
        &toml::from_str("name = \"jit\"\nmargin = 2.0").unwrap(),
    )
    .unwrap();
    assert_eq!(spec.resolved["label"], "jit");
    assert_eq!(spec.resolved["participation"], "all");
    assert_eq!(spec.resolved["margin"], 2.0);
    assert_eq!(spec.resolved["max_attempts"], 3);
    // The manifest's `resolved_scenario` holds them.
    let text = format!(
        "{MINIMAL}[[strategy]]\nname = \"circular\"\nlow = 0.3\n\
         [[strategy]]\nname = \"proactive\"\nrule = \"pairing\"\nparticipation = {{ share = 0.5 }}\n"
    );
    let sc = crate::scenario::parse(&text, "s.toml", Path::new("/"), None).unwrap();
    let st = &sc.resolved["strategy"];
    assert_eq!(st[0]["low"], 0.3);
    assert_eq!(st[0]["high"], 0.8);
    assert_eq!(st[0]["label"], "circular");
    // `pairing`'s own defaults, not pickhardt2020's.
    assert_eq!(st[1]["tolerance"], 0.1);
    assert_eq!(st[1]["max_amount_sat"], 500_000);
    assert_eq!(st[1]["fee_free_among_participants"], false);
    assert_eq!(st[1]["participation"]["pick"], "random");
}
