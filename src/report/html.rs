//! `report.html`: one self-contained page per experiment, readable without pcnsim, a
//! notebook or a network connection.
//!
//! It holds the summary tables (per sweep point and strategy: mean and 95 % Student-t
//! interval of the headline metrics, and the paired difference against the baseline), every
//! chart of `charts/` embedded as inline SVG, the scenario text and the provenance: every
//! key of `manifest.json`, rendered generically, so keys added to the manifest later appear
//! without a change here.
//!
//! The page is written with a small template in plain Rust (`format!` and an escaping
//! function): the page has one fixed layout, and a templating crate would add a dependency
//! and a second language for a few hundred lines of markup. It contains no script and loads
//! nothing: styles are inline, charts are inline SVG.
//!
//! This module must not run simulations or draw charts: it reads `charts/*.svg` as the
//! chart code left them.

use super::experiment::{self, metric_info, point_name, stat_rows, StatRow};
use super::{Context, Result};
use crate::output::StoredRun;
use serde_json::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Metrics of the summary tables, in column order (those the runs lack are left out).
const TABLE_METRICS: &[&str] = &[
    "success_ratio",
    "volume_success_ratio",
    "total_cost_sat",
    "topped_up_sat",
    "withdrawn_sat",
    "capital_cost_sat",
    "fees_paid_sat",
    "depleted_share_end",
    "latency_p50_ms",
];

/// Charts in reading order with a caption; others follow alphabetically, captioned by name.
const CHART_ORDER: &[(&str, &str)] = &[
    (
        "success_over_time",
        "Payment success ratio per window, mean across replications.",
    ),
    (
        "success_over_time_diff",
        "Per-window success ratio minus the baseline's, paired by replication.",
    ),
    (
        "diff_success_ratio",
        "Success ratio minus the baseline's, per strategy (paired by replication).",
    ),
    (
        "diff_total_cost_sat",
        "Total rebalancing cost minus the baseline's, per strategy.",
    ),
    (
        "success_vs_cost",
        "Trade-off: success ratio against what the strategy spent.",
    ),
    (
        "success_vs_capital",
        "Trade-off: success ratio against the capital the strategy added.",
    ),
    ("sweep_success_ratio", "Success ratio across the sweep."),
    (
        "sweep_diff_success_ratio",
        "Success ratio minus the baseline's across the sweep.",
    ),
    (
        "imbalance_over_time",
        "Share of depleted channel directions per window.",
    ),
    (
        "gini_over_time",
        "Mean node Gini coefficient of balance shares per window.",
    ),
    ("onchain_txs", "On-chain transactions per run."),
    ("onchain_fees_sat", "On-chain fees per run."),
    ("latency_cdf", "Latency of successful payments."),
];

/// Writes `dir/report.html` from the runs, the sweep columns, the manifest and the charts
/// already in `dir/charts/`. Returns the path written.
///
/// Errors: when the charts folder cannot be read or the page cannot be written.
pub fn write_report_html(
    dir: &Path,
    runs: &[StoredRun],
    sweep: &[(String, Vec<String>)],
    manifest: &Value,
) -> Result<PathBuf> {
    let page = report_html(dir, runs, sweep, manifest)?;
    let path = dir.join("report.html");
    crate::output::write_via_temp(&path, page.as_bytes())?;
    Ok(path)
}

/// The page itself (see [`write_report_html`]).
///
/// Errors: when a chart file exists but cannot be read.
pub fn report_html(
    dir: &Path,
    runs: &[StoredRun],
    sweep: &[(String, Vec<String>)],
    manifest: &Value,
) -> Result<String> {
    let name = manifest
        .get("scenario")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| {
            dir.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "experiment".into())
        });
    let charts = read_charts(&dir.join("charts"))?;
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>pcnsim report: {}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        esc(&name)
    );
    let _ = writeln!(h, "<header><h1>{}</h1>", esc(&name));
    if let Some(d) = manifest.get("description").and_then(Value::as_str) {
        let _ = writeln!(h, "<p class=\"lead\">{}</p>", esc(d));
    }
    let labels = experiment::labels(runs);
    let n_points = experiment::points(runs).max(1);
    let reps = runs.iter().map(|r| r.replication + 1).max().unwrap_or(0);
    let _ = writeln!(
        h,
        "<p>{} runs: {} strateg{} × {} sweep point{} × {} replication{}; baseline for paired differences: <b>{}</b>.</p></header>",
        runs.len(),
        labels.len(),
        if labels.len() == 1 { "y" } else { "ies" },
        n_points,
        if n_points == 1 { "" } else { "s" },
        reps,
        if reps == 1 { "" } else { "s" },
        esc(&experiment::baseline(runs))
    );
    h.push_str(
        "<nav><a href=\"#summary\">Summary</a> · <a href=\"#charts\">Charts</a> · \
         <a href=\"#scenario\">Scenario</a> · <a href=\"#provenance\">Provenance</a></nav>\n",
    );

    // Summary tables.
    h.push_str("<section id=\"summary\"><h2>Summary</h2>\n<p class=\"note\">Each cell: mean across replications, its 95% Student-t interval, and (for strategies other than the baseline) the mean paired difference from the baseline with its 95% interval: the strategies of one replication saw the same payments, so the difference is paired by replication.</p>\n");
    let metrics: Vec<&str> = TABLE_METRICS
        .iter()
        .copied()
        .filter(|m| runs.iter().any(|r| r.metrics.iter().any(|(k, _)| k == m)))
        .collect();
    let rows = stat_rows(runs, &metrics);
    let all_rows = stat_rows(runs, experiment::HEADLINE);
    for p in 0..n_points {
        let heading = if sweep.is_empty() {
            String::new()
        } else {
            format!("<h3>{}</h3>\n", esc(&point_name(sweep, p, false)))
        };
        h.push_str(&heading);
        h.push_str(&summary_table(&rows, &labels, &metrics, p));
        let _ = writeln!(
            h,
            "<details><summary>All headline metrics{}</summary>\n{}</details>",
            if sweep.is_empty() {
                String::new()
            } else {
                " at this point".to_string()
            },
            long_table(&all_rows, p)
        );
    }
    h.push_str("</section>\n");

    // Charts.
    h.push_str("<section id=\"charts\"><h2>Charts</h2>\n");
    if charts.is_empty() {
        h.push_str("<p>No charts in <code>charts/</code>.</p>\n");
    }
    for (k, (stem, caption, svg)) in charts.iter().enumerate() {
        let _ = writeln!(
            h,
            "<figure id=\"chart-{}\">{}<figcaption>{} <span class=\"file\">charts/{}.svg</span></figcaption></figure>",
            esc(stem),
            inline_svg(svg, k),
            esc(caption),
            esc(stem)
        );
    }
    h.push_str("</section>\n");

    // Scenario text.
    h.push_str("<section id=\"scenario\"><h2>Scenario</h2>\n");
    match manifest.get("scenario_text").and_then(Value::as_str) {
        Some(t) => {
            let _ = writeln!(h, "<pre>{}</pre>", esc(t));
        }
        None => h.push_str("<p>The manifest holds no scenario text.</p>\n"),
    }
    h.push_str("</section>\n");

    // Provenance: every manifest key.
    h.push_str("<section id=\"provenance\"><h2>Provenance</h2>\n<p class=\"note\">Everything <code>manifest.json</code> holds (the scenario text is above): what makes the results reproducible. The command line, machine and timings of the run are in <code>provenance.json</code> beside it, the one output that differs between identical runs.</p>\n");
    h.push_str(&provenance(manifest));
    h.push_str("</section>\n");
    let _ = writeln!(
        h,
        "<footer>Written by pcnsim {} from the results folder <code>{}</code>.</footer>\n</body>\n</html>",
        esc(env!("CARGO_PKG_VERSION")),
        // The folder's name, not its path: the page must not depend on where it was written.
        esc(&dir.file_name().map_or(String::new(), |n| n.to_string_lossy().into_owned()))
    );
    Ok(h)
}

const CSS: &str = "
body{font-family:'DejaVu Sans',system-ui,sans-serif;margin:0 auto;max-width:1250px;padding:1em 1.5em;color:#222;line-height:1.4}
h1{margin-bottom:.2em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}
.lead{font-size:1.15em;color:#444;margin-top:0}.note{color:#555;font-size:.9em}
nav{position:sticky;top:0;background:#fff;padding:.4em 0;border-bottom:1px solid #eee}
table{border-collapse:collapse;margin:.6em 0 1em;font-size:.9em}
th,td{border:1px solid #ccc;padding:.3em .5em;vertical-align:top}
th{background:#f3f3f3;text-align:left}td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
.ci{color:#666;font-size:.85em}.d{font-size:.85em}.pos{color:#0a6a2a}.neg{color:#a02020}
.scroll{overflow-x:auto}
figure{margin:1.5em 0}figure svg{width:100%;height:auto;max-width:1200px;display:block;border:1px solid #eee}
figcaption{color:#444;font-size:.92em;margin-top:.3em}.file{color:#888;font-family:monospace;font-size:.9em}
pre{background:#f7f7f7;border:1px solid #e3e3e3;padding:.8em;overflow-x:auto;font-size:.85em}
code{font-size:.9em}footer{margin-top:3em;color:#888;font-size:.85em}
";

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `v` with 3 significant digits (thousands separated, no exponent below 1e15).
fn num(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let a = v.abs();
    if a >= 1000.0 {
        let s = format!("{a:.0}");
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        return if v < 0.0 { format!("−{out}") } else { out };
    }
    if a == 0.0 {
        return "0".into();
    }
    let decimals = (2 - a.log10().floor() as i32).clamp(0, 12) as usize;
    let s = format!("{a:.decimals$}");
    if v < 0.0 {
        format!("−{s}")
    } else {
        s
    }
}

fn signed(v: f64) -> String {
    if v > 0.0 {
        format!("+{}", num(v))
    } else {
        num(v)
    }
}

fn cell(r: Option<&StatRow>) -> String {
    let Some(r) = r else {
        return "<td class=\"num\">–</td>".into();
    };
    let s = r.summary;
    let mut c = format!("<td class=\"num\">{}", num(s.mean));
    if s.ci95_lo.is_finite() {
        let _ = write!(
            c,
            "<br><span class=\"ci\">[{}, {}]</span>",
            num(s.ci95_lo),
            num(s.ci95_hi)
        );
    }
    if let Some(d) = r.diff {
        let class = if d.ci95_lo > 0.0 {
            " pos"
        } else if d.ci95_hi < 0.0 {
            " neg"
        } else {
            ""
        };
        let _ = write!(c, "<br><span class=\"d{class}\">Δ {}", signed(d.mean));
        if d.ci95_lo.is_finite() {
            let _ = write!(c, " [{}, {}]", signed(d.ci95_lo), signed(d.ci95_hi));
        }
        c.push_str("</span>");
    }
    c.push_str("</td>");
    c
}

fn summary_table(rows: &[StatRow], labels: &[String], metrics: &[&str], point: usize) -> String {
    let mut t = String::from(
        "<div class=\"scroll\"><table class=\"summary\">\n<tr><th>strategy</th><th>n</th>",
    );
    for m in metrics {
        let (label, _) = metric_info(m);
        let _ = write!(t, "<th title=\"{}\">{}</th>", esc(m), esc(&label));
    }
    t.push_str("</tr>\n");
    for l in labels {
        let find = |m: &str| {
            rows.iter()
                .find(|r| r.point == point && &r.strategy == l && r.metric == m)
        };
        let n = metrics
            .first()
            .and_then(|m| find(m))
            .map_or(0, |r| r.summary.n);
        let _ = write!(t, "<tr><th>{}</th><td class=\"num\">{n}</td>", esc(l));
        for m in metrics {
            t.push_str(&cell(find(m)));
        }
        t.push_str("</tr>\n");
    }
    t.push_str("</table></div>\n");
    t
}

fn long_table(rows: &[StatRow], point: usize) -> String {
    let mut t = String::from(
        "<div class=\"scroll\"><table>\n<tr><th>strategy</th><th>metric</th><th>n</th><th>mean</th><th>sd</th><th>95% CI</th><th>Δ vs baseline</th><th>95% CI of Δ</th></tr>\n",
    );
    for r in rows.iter().filter(|r| r.point == point) {
        let s = r.summary;
        let ci = if s.ci95_lo.is_finite() {
            format!("{} – {}", num(s.ci95_lo), num(s.ci95_hi))
        } else {
            "–".into()
        };
        let (d, dci) = match r.diff {
            Some(d) if d.ci95_lo.is_finite() => (
                signed(d.mean),
                format!("{} – {}", signed(d.ci95_lo), signed(d.ci95_hi)),
            ),
            Some(d) => (signed(d.mean), "–".into()),
            None => ("–".into(), "–".into()),
        };
        let _ = writeln!(
            t,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{ci}</td><td class=\"num\">{d}</td><td class=\"num\">{dci}</td></tr>",
            esc(&r.strategy),
            esc(&r.metric),
            s.n,
            num(s.mean),
            num(s.sd)
        );
    }
    t.push_str("</table></div>\n");
    t
}

/// `(stem, caption, svg text)` of every `*.svg` in `charts`, in reading order.
fn read_charts(charts: &Path) -> Result<Vec<(String, String, String)>> {
    let mut stems: Vec<String> = match std::fs::read_dir(charts) {
        Ok(rd) => rd
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let p = e.path();
                // Not hidden: another process's temporary files start with `.`.
                let hidden = e.file_name().to_string_lossy().starts_with('.');
                (!hidden && p.extension().and_then(|x| x.to_str()) == Some("svg"))
                    .then(|| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
                    .flatten()
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    let rank = |s: &str| {
        CHART_ORDER
            .iter()
            .position(|(k, _)| *k == s)
            .unwrap_or(CHART_ORDER.len())
    };
    stems.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.cmp(b)));
    stems
        .into_iter()
        .map(|stem| {
            let path = charts.join(format!("{stem}.svg"));
            let svg = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let caption = CHART_ORDER
                .iter()
                .find(|(k, _)| *k == stem)
                .map(|(_, c)| c.to_string())
                .unwrap_or_else(|| caption_from_stem(&stem));
            Ok((stem, caption, svg))
        })
        .collect()
}

fn caption_from_stem(stem: &str) -> String {
    if let Some(rest) = stem.strip_prefix("sweep_diff_") {
        return format!(
            "{} minus the baseline's across the sweep.",
            rest.replace('_', " ")
        );
    }
    if let Some(rest) = stem.strip_prefix("sweep_") {
        let (m, key) = rest.split_once("_vs_").unwrap_or((rest, ""));
        let (label, _) = metric_info(m);
        return if key.is_empty() {
            format!("{label} across the sweep.")
        } else {
            format!("{label} against {}.", key.replace('_', " "))
        };
    }
    format!("{}.", stem.replace('_', " "))
}

/// The SVG made to scale with the page: the root's fixed width and height go (its viewBox
/// keeps the aspect ratio), and it gets an accessible name.
fn inline_svg(svg: &str, k: usize) -> String {
    let body = svg.trim_start_matches(|c: char| c != '<');
    let body = match body.strip_prefix("<?xml") {
        Some(rest) => rest.split_once("?>").map_or(rest, |(_, r)| r).trim_start(),
        None => body,
    };
    let Some(end) = body.find('>') else {
        return String::new();
    };
    let (open, rest) = body.split_at(end);
    let mut attrs = String::new();
    for part in split_attrs(open.trim_start_matches("<svg")) {
        let keep = !(part.starts_with("width=") || part.starts_with("height="));
        if keep {
            attrs.push(' ');
            attrs.push_str(&part);
        }
    }
    format!("<svg role=\"img\" aria-label=\"chart {k}\"{attrs}{rest}")
}

/// Attribute strings of a start tag (`name="value"`), quotes respected.
fn split_attrs(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    for c in s.chars() {
        match (quote, c) {
            (None, '"' | '\'') => {
                quote = Some(c);
                cur.push(c);
            }
            (Some(q), c) if c == q => {
                quote = None;
                cur.push(c);
            }
            (None, c) if c.is_whitespace() => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            (_, c) => cur.push(c),
        }
    }
    if !cur.is_empty() && cur != "/" {
        out.push(cur);
    }
    out
}

/// Every key of the manifest: scalars as text, short arrays inline, long or nested values
/// as a collapsed table or JSON. Arrays of objects (like `runs`) become tables.
fn provenance(m: &Value) -> String {
    let Some(obj) = m.as_object() else {
        return format!("<pre>{}</pre>\n", esc(&m.to_string()));
    };
    let mut t = String::from("<table class=\"prov\">\n");
    for (k, v) in obj {
        if k == "scenario_text" {
            continue;
        }
        let _ = writeln!(t, "<tr><th>{}</th><td>{}</td></tr>", esc(k), value_html(v));
    }
    t.push_str("</table>\n");
    t
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => esc(s),
        Value::Null => "<i>null</i>".into(),
        other => esc(&other.to_string()),
    }
}

fn value_html(v: &Value) -> String {
    match v {
        Value::Array(a) if a.iter().all(|x| x.is_object()) && !a.is_empty() => {
            // Columns: the union of keys, in first-appearance order.
            let mut cols: Vec<String> = Vec::new();
            for x in a {
                for k in x.as_object().into_iter().flat_map(|o| o.keys()) {
                    if !cols.contains(k) {
                        cols.push(k.clone());
                    }
                }
            }
            let mut t = format!(
                "<details><summary>{} entries</summary><div class=\"scroll\"><table><tr>",
                a.len()
            );
            for c in &cols {
                let _ = write!(t, "<th>{}</th>", esc(c));
            }
            t.push_str("</tr>");
            for x in a {
                t.push_str("<tr>");
                for c in &cols {
                    let cell = x.get(c).map_or(String::new(), value_html);
                    let _ = write!(t, "<td>{cell}</td>");
                }
                t.push_str("</tr>");
            }
            t.push_str("</table></div></details>");
            t
        }
        Value::Array(a) if a.iter().all(|x| !x.is_object() && !x.is_array()) && a.len() <= 12 => {
            a.iter().map(scalar).collect::<Vec<_>>().join(", ")
        }
        Value::Array(_) | Value::Object(_) => {
            let pretty = serde_json::to_string_pretty(v).unwrap_or_default();
            if pretty.lines().count() > 8 {
                format!(
                    "<details><summary>{} lines of JSON</summary><pre>{}</pre></details>",
                    pretty.lines().count(),
                    esc(&pretty)
                )
            } else {
                format!("<pre>{}</pre>", esc(&pretty))
            }
        }
        Value::String(s) if s.contains('\n') => format!("<pre>{}</pre>", esc(s)),
        other => scalar(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::StoredWindow;

    fn run(strategy: &str, rep: u32, success: f64) -> StoredRun {
        StoredRun {
            name: format!("p000-{strategy}-r{rep:03}"),
            point: 0,
            strategy: strategy.into(),
            replication: rep,
            seed: u64::from(rep) + 7,
            fingerprint: "f".into(),
            probes: Vec::new(),
            metrics: vec![
                ("success_ratio".into(), success),
                (
                    "total_cost_sat".into(),
                    if strategy == "none" { 0.0 } else { 1234.5 },
                ),
                ("topped_up_sat".into(), 0.0),
            ],
            windows: vec![StoredWindow {
                t_s: 60.0,
                attempted: 10,
                succeeded: 5,
                volume_attempted_msat: 1,
                volume_succeeded_msat: 1,
                depleted_share: 0.1,
                mean_abs_skew: 0.1,
                node_gini: 0.2,
                rebalance_fees_msat: 0,
                pending_topup_msat: 0,
            }],
        }
    }

    #[test]
    fn page_has_tables_inline_charts_scenario_and_every_manifest_key() {
        let dir = tempfile::tempdir().unwrap();
        let runs = vec![
            run("none", 0, 0.5),
            run("none", 1, 0.6),
            run("jit", 0, 0.55),
            run("jit", 1, 0.66),
        ];
        experiment::draw_all(dir.path(), &runs, &[], &[]).unwrap();
        let manifest = serde_json::json!({
            "scenario": "tiny <test>",
            "description": "two strategies",
            "seed": 7,
            "runs": runs.iter().map(|r| serde_json::json!({"name": r.name, "seed": r.seed})).collect::<Vec<_>>(),
            "scenario_text": "name = \"tiny\"\n[workload]\nrate_per_s = 5.0\n",
            "git_commit": "abc123",
            "machine": {"cores": 2, "os": "linux"},
        });
        let path = write_report_html(dir.path(), &runs, &[], &manifest).unwrap();
        let html = std::fs::read_to_string(path).unwrap();
        assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
        assert!(html.contains("tiny &lt;test&gt;"), "escaped title");
        // Summary: mean 0.55 of none, paired difference of jit: (0.05 + 0.06) / 2.
        assert!(html.contains(">0.550<"), "mean of none");
        assert!(html.contains("Δ +0.0550"), "paired difference");
        // Charts inline, scaled by their viewBox, nothing loaded from elsewhere.
        assert!(html.matches("<svg role=\"img\"").count() >= 5);
        assert!(!html.contains("<img") && !html.contains("src=") && !html.contains("<script"));
        let first_svg = &html[html.find("<svg").unwrap()..];
        let tag = &first_svg[..first_svg.find('>').unwrap()];
        assert!(tag.contains("viewBox") && !tag.contains(" width="), "{tag}");
        // Scenario text and every manifest key, including ones this code never heard of.
        assert!(html.contains("rate_per_s = 5.0"));
        for k in ["git_commit", "abc123", "machine", "cores", "p000-jit-r001"] {
            assert!(html.contains(k), "provenance lacks {k}");
        }
    }

    #[test]
    fn numbers_and_attributes() {
        assert_eq!(num(0.46221), "0.462");
        assert_eq!(num(1985833.4), "1,985,833");
        assert_eq!(num(-0.00061), "−0.000610");
        assert_eq!(signed(0.0008), "+0.000800");
        assert_eq!(esc("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
        let s = inline_svg("<svg width=\"1200\" height=\"800\" viewBox=\"0 0 1200 800\" xmlns=\"x\">\n<rect/></svg>", 3);
        assert!(
            s.starts_with(
                "<svg role=\"img\" aria-label=\"chart 3\" viewBox=\"0 0 1200 800\" xmlns=\"x\">"
            ),
            "{s}"
        );
    }
}
