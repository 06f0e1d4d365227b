//! `which`: greedy marginal gain over candidate channels (peer × size) under a budget.

use super::{Kind, PlanError, Row, Runner};
use crate::report::stats::{paired_difference, Summary};
use crate::scenario::RawScenario;
use crate::topology::edit::{AddChannel, NodeRef};
use crate::topology::NodeId;

pub(super) fn which(r: &mut Runner<'_>) -> Result<(Vec<Row>, String), PlanError> {
    let Kind::Which {
        node,
        peers,
        sizes_sat,
        budget_sat,
        from_share,
        ppm,
        base_msat,
        ..
    } = &r.plan.kind
    else {
        unreachable!("which is only called for which plans")
    };
    let topo = r.plan.base.topology.clone();
    let name = |p: NodeId| topo.node(p).name.clone();
    // Edits apply before the component filter, which renumbers nodes: name the peer by
    // its name when that is unique (snapshot ids are), else by index.
    let peer_ref = |p: NodeId| {
        let n = name(p);
        let unique = (0..topo.node_count())
            .filter(|&i| topo.node(NodeId(i as u32)).name == n)
            .count()
            == 1;
        if unique {
            NodeRef::Name(n)
        } else {
            NodeRef::Index(p.0)
        }
    };
    let channel = |p: NodeId, size: u64| AddChannel {
        from: node.clone(),
        to: peer_ref(p),
        capacity_sat: size as i64,
        from_share: Some(*from_share),
        base_msat: *base_msat,
        ppm: *ppm,
        cltv_delta: None,
        min_htlc_msat: None,
        max_htlc_share: None,
        label: Some(format!("plan_{}", p.0)),
        chain: None,
    };
    let mut chosen: Vec<(NodeId, u64)> = Vec::new();
    let with = |chosen: &[(NodeId, u64)]| {
        let adds: Vec<AddChannel> = chosen.iter().map(|&(p, s)| channel(p, s)).collect();
        move |raw: &mut RawScenario| raw.topology.add_channel.extend(adds.iter().cloned())
    };
    let mut rows = Vec::new();
    let mut current = r.eval("base", 0.0, &with(&chosen))?;
    rows.push(Row {
        phase: "base".into(),
        step: 0,
        factor: None,
        peer: None,
        size_sat: None,
        eval: current.clone(),
        passes: None,
        gain: None,
    });
    let mut spent = 0u64;
    let mut step = 1;
    let stop = loop {
        let mut best: Option<(usize, f64)> = None;
        let first = rows.len();
        for &p in peers
            .iter()
            .filter(|p| !chosen.iter().any(|(c, _)| c == *p))
        {
            for &size in sizes_sat.iter().filter(|&&s| spent + s <= *budget_sat) {
                let mut next = chosen.clone();
                next.push((p, size));
                let label = format!(
                    "s{step:02}_{}",
                    next.iter()
                        .map(|(p, s)| format!("n{}x{s}", p.0))
                        .collect::<Vec<_>>()
                        .join("_")
                );
                let e = r.eval(&label, (spent + size) as f64, &with(&next))?;
                let gain = paired_difference(&e.values, &current.values)
                    .unwrap_or_else(|_| Summary::from_slice(&[]));
                // Ties: the cheaper channel, then the earlier candidate.
                if best.is_none_or(|(_, g)| gain.mean > g + 1e-12) {
                    best = Some((rows.len(), gain.mean));
                }
                rows.push(Row {
                    phase: "candidate".into(),
                    step,
                    factor: None,
                    peer: Some((p, name(p))),
                    size_sat: Some(size),
                    eval: e,
                    passes: None,
                    gain: Some(gain),
                });
            }
        }
        let Some((bi, _)) = best else {
            break if first == rows.len() && chosen.len() == peers.len() {
                "every candidate peer is chosen"
            } else {
                "the budget is spent (no size fits what is left)"
            };
        };
        let g = rows[bi].gain.expect("candidates have a gain");
        let significant = if g.n >= 2 {
            g.ci95_lo > 0.0
        } else {
            g.mean > 0.0
        };
        if !significant {
            break "no candidate gains significantly (paired 95% interval of the best gain includes 0)";
        }
        rows[bi].phase = "chosen".into();
        let (p, size) = (
            rows[bi].peer.as_ref().expect("candidate").0,
            rows[bi].size_sat.expect("candidate"),
        );
        chosen.push((p, size));
        spent += size;
        current = rows[bi].eval.clone();
        step += 1;
    };
    let list: Vec<String> = chosen
        .iter()
        .map(|(p, s)| format!("{} ({}) {} sat", p.0, name(*p), s))
        .collect();
    let msg = format!(
        "open {} channel(s): {}; capital {} of {} sat; `{}` {:.4} (95% CI {:.4} .. {:.4}) vs {:.4} without; stopped: {stop}",
        chosen.len(),
        if list.is_empty() { "none".to_string() } else { list.join(", ") },
        spent,
        budget_sat,
        r.plan.metric,
        current.summary.mean,
        current.summary.ci95_lo,
        current.summary.ci95_hi,
        rows[0].eval.summary.mean,
    );
    Ok((rows, msg))
}
