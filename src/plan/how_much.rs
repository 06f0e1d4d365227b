//! `how_much`: a geometric scan, then bisection, of one knob (common random numbers).

use super::config::set_param;
use super::{fmt, Eval, Kind, Knob, PlanError, Row, Runner};
use crate::report::stats::paired_difference;
use crate::scenario::RawScenario;
use crate::topology::edit::ScaleCapacity;

pub(super) fn factor_label(f: f64) -> String {
    // Experiment names allow letters, digits, `-` and `_`.
    format!("f{f:.6}").replace('.', "_")
}

pub(super) fn how_much(r: &mut Runner<'_>) -> Result<(Vec<Row>, String), PlanError> {
    let Kind::HowMuch {
        threshold,
        knob,
        node,
        channels,
        param,
        capital_sat,
        lo,
        hi,
        precision,
        ratio,
    } = &r.plan.kind
    else {
        unreachable!("how_much is only called for how_much plans")
    };
    // The edit for knob value `f`: a factor on capacities, or the parameter's value.
    let scale = |f: f64| {
        let knob = *knob;
        let node = node.clone();
        let channels = channels.clone();
        let param = param.clone();
        move |raw: &mut RawScenario| match knob {
            Knob::NodeCapacity => raw
                .topology
                .scale_capacity
                .push(ScaleCapacity::node(node.clone(), f)),
            Knob::AllCapacity => raw
                .topology
                .scale_capacity
                .push(ScaleCapacity::node(None, f)),
            Knob::ChannelSet => {
                for c in &channels {
                    raw.topology.scale_capacity.push(ScaleCapacity {
                        node: None,
                        from: c.from.clone(),
                        to: c.to.clone(),
                        label: c.label.clone(),
                        factor: f,
                    })
                }
            }
            Knob::StrategyParam => {
                let (path, integer) = param.as_ref().expect("strategy_param has a path");
                set_param(raw, path, f, *integer)
                    .expect("the path was checked when the plan was loaded");
            }
        }
    };
    let mut rows: Vec<Row> = Vec::new();
    let row = |phase: &str, step: usize, f: f64, e: Eval| Row {
        phase: phase.into(),
        step,
        factor: Some(f),
        peer: None,
        size_sat: None,
        passes: Some(e.lower() >= *threshold),
        eval: e,
        gain: None,
    };
    // Geometric scan.
    let mut factors = vec![*lo];
    while let Some(&last) = factors.last() {
        if last >= *hi {
            break;
        }
        factors.push((last * ratio).min(*hi));
    }
    let mut first_pass: Option<usize> = None;
    for (i, &f) in factors.iter().enumerate() {
        let e = r.eval(&factor_label(f), capital_sat * f, &scale(f))?;
        if let Some(prev) = rows.last() {
            if let Ok(d) = paired_difference(&e.values, &prev.eval.values) {
                if d.n >= 2 && d.ci95_hi < 0.0 {
                    rows.push(row("scan", i, f, e));
                    return Err(PlanError::Refused(format!(
                        "`{}` is not monotone in the knob: it falls significantly from factor {} to {} (paired difference {:.4}, 95% CI {:.4} .. {:.4}); bisection would be meaningless.\n{}",
                        r.plan.metric,
                        fmt(factors[i - 1]),
                        fmt(f),
                        d.mean,
                        d.ci95_lo,
                        d.ci95_hi,
                        show_scan(&rows, *threshold)
                    )));
                }
            }
        }
        let pass = e.lower() >= *threshold;
        rows.push(row("scan", i, f, e));
        if pass {
            first_pass = Some(i);
            break;
        }
    }
    let Some(fp) = first_pass else {
        return Err(PlanError::Refused(format!(
            "the target is out of reach: at the top of the range (factor {}) the lower 95% bound of `{}` is {:.4} < {threshold}.\n{}",
            fmt(*hi),
            r.plan.metric,
            rows.last().map_or(f64::NAN, |x| x.eval.lower()),
            show_scan(&rows, *threshold)
        )));
    };
    if fp == 0 {
        let e = rows[0].eval.clone();
        rows.push(row("answer", rows.len(), *lo, e));
        let msg = format!(
            "the target already holds at the bottom of the range: factor {} (capital {:.0} sat); lower the range to search below it",
            fmt(*lo),
            capital_sat * lo
        );
        return Ok((rows, msg));
    }
    // Bisection between the last failing and the first passing factor.
    let (mut a, mut b) = (factors[fp - 1], factors[fp]);
    let mut best = rows[fp].eval.clone();
    let mut step = rows.len();
    while b - a > *precision {
        let m = 0.5 * (a + b);
        let e = r.eval(&factor_label(m), capital_sat * m, &scale(m))?;
        if e.lower() >= *threshold {
            b = m;
            best = e.clone();
        } else {
            a = m;
        }
        rows.push(row("bisect", step, m, e));
        step += 1;
    }
    let msg = format!(
        "smallest factor meeting `{}` lower 95% bound >= {threshold}: {} (bracket {} .. {}, precision {}); capital {:.0} sat; mean {:.4}, lower bound {:.4}",
        r.plan.metric,
        fmt(b),
        fmt(a),
        fmt(b),
        precision,
        capital_sat * b,
        best.summary.mean,
        best.lower()
    );
    rows.push(row("answer", step, b, best));
    Ok((rows, msg))
}

fn show_scan(rows: &[Row], threshold: f64) -> String {
    let mut s = format!(
        "{:>10} {:>14} {:>10} {:>10} {:>6}\n",
        "factor", "capital sat", "mean", "lower95", "meets"
    );
    for r in rows {
        s.push_str(&format!(
            "{:>10} {:>14.0} {:>10.4} {:>10.4} {:>6}\n",
            fmt(r.factor.unwrap_or(f64::NAN)),
            r.eval.capital_sat,
            r.eval.summary.mean,
            r.eval.lower(),
            if r.eval.lower() >= threshold {
                "yes"
            } else {
                "no"
            }
        ));
    }
    s
}
