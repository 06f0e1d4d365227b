//! The plan's outputs: `plan.csv` and the trade-off chart.

use super::{Kind, Plan, PlanError, Question, Row};
use crate::experiment::ExperimentError;
use crate::output;
use crate::report::charts::{self, ChartSpec, Point, Series};
use std::path::Path;

pub(super) fn plan_csv(rows: &[Row]) -> String {
    let f = |v: f64| output::fmt_f(v);
    let mut s = String::from(
        "phase,step,factor,peer,peer_name,size_sat,capital_sat,eval,n,mean,sd,ci95_lo,ci95_hi,lower95,meets_threshold,gain_mean,gain_ci95_lo,gain_ci95_hi\n",
    );
    for r in rows {
        let e = &r.eval;
        let peer_name = r
            .peer
            .as_ref()
            .map(|(_, n)| format!("\"{}\"", n.replace('"', "\"\"")))
            .unwrap_or_default();
        s.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            r.phase,
            r.step,
            r.factor.map(f).unwrap_or_default(),
            r.peer
                .as_ref()
                .map(|(p, _)| p.0.to_string())
                .unwrap_or_default(),
            peer_name,
            r.size_sat.map(|x| x.to_string()).unwrap_or_default(),
            f(e.capital_sat),
            e.label,
            e.summary.n,
            f(e.summary.mean),
            f(e.summary.sd),
            f(e.summary.ci95_lo),
            f(e.summary.ci95_hi),
            f(e.lower()),
            r.passes.map(|b| b.to_string()).unwrap_or_default(),
            r.gain.map(|g| f(g.mean)).unwrap_or_default(),
            r.gain.map(|g| f(g.ci95_lo)).unwrap_or_default(),
            r.gain.map(|g| f(g.ci95_hi)).unwrap_or_default(),
        ));
    }
    s
}

/// `charts/plan_tradeoff.{png,svg}`: capital (sat) against the metric's mean and 95% CI,
/// every evaluation (how_much), or the chosen path and every candidate (which).
pub(super) fn draw_tradeoff(dir: &Path, plan: &Plan, rows: &[Row]) -> Result<(), PlanError> {
    let pt = |r: &Row| {
        let s = &r.eval.summary;
        if s.n >= 2 {
            Point::with_interval(r.eval.capital_sat, s.mean, s.ci95_lo, s.ci95_hi)
        } else {
            Point::new(r.eval.capital_sat, s.mean)
        }
    };
    let mut series = Vec::new();
    match plan.question {
        Question::HowMuch => {
            let mut ev: Vec<&Row> = rows.iter().filter(|r| r.phase != "answer").collect();
            ev.sort_by(|a, b| a.eval.capital_sat.total_cmp(&b.eval.capital_sat));
            series.push(Series {
                name: "evaluations".into(),
                points: ev.iter().map(|r| pt(r)).collect(),
            });
        }
        Question::Which => {
            let path: Vec<&Row> = rows
                .iter()
                .filter(|r| r.phase == "base" || r.phase == "chosen")
                .collect();
            series.push(Series {
                name: "greedy choice".into(),
                points: path.iter().map(|r| pt(r)).collect(),
            });
            let mut cands: Vec<&Row> = rows.iter().filter(|r| r.phase == "candidate").collect();
            cands.sort_by(|a, b| a.eval.capital_sat.total_cmp(&b.eval.capital_sat));
            if !cands.is_empty() {
                series.push(Series {
                    name: "other candidates".into(),
                    points: cands.iter().map(|r| pt(r)).collect(),
                });
            }
        }
    }
    // A strategy parameter is searched by value: the axis is the parameter, not capital.
    let x = match &plan.kind {
        Kind::HowMuch {
            param: Some((path, _)),
            ..
        } => path.clone(),
        _ => "capital (sat)".to_string(),
    };
    let mut spec = ChartSpec::new(
        &format!("{}: {} vs {}", plan.name, x, plan.metric),
        &x,
        &plan.metric,
    );
    if let Kind::HowMuch { threshold, .. } = plan.kind {
        spec = spec.with_reference(threshold);
    }
    charts::errorbar_lines(dir.join("charts").join("plan_tradeoff"), &spec, &series).map_err(|e| {
        PlanError::Experiment(ExperimentError::Report {
            dir: dir.to_path_buf(),
            message: e.to_string(),
        })
    })
}
