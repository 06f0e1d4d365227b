//! Plans with hand-computable answers, and bad plans.

use super::*;
use crate::experiment::NoProgress;

/// A 2-node line, 1,000 sat, half a side, no reserve; a trace of ten 60 sat payments
/// n0 → n1, one a second. n0 can pay all ten iff its side holds 600 sat: factor 1.2.
fn line_plan(dir: &Path, plan: &str) -> String {
    std::fs::write(
        dir.join("trace.csv"),
        "time_s,sender,receiver,amount_msat\n1,0,1,60000\n2,0,1,60000\n3,0,1,60000\n4,0,1,60000\n5,0,1,60000\n\
         6,0,1,60000\n7,0,1,60000\n8,0,1,60000\n9,0,1,60000\n10,0,1,60000\n",
    )
    .unwrap();
    format!(
        "name = \"lineplan\"\nreplications = 2\n[topology]\nkind = \"line\"\nnodes = 2\nreserve_ppm = 0\n\
         capacity = {{ dist = \"fixed\", sat = 1000 }}\n[workload]\ntrace = \"trace.csv\"\n[plan]\n{plan}"
    )
}

fn write(dir: &Path, text: &str) -> PathBuf {
    let p = dir.join("plan.toml");
    std::fs::write(&p, text).unwrap();
    p
}

const HOW: &str = "question = \"how_much\"\nmetric = \"success_ratio\"\nthreshold = 1.0\n\
                   knob = \"node_capacity\"\nnode = \"n0\"\nrange = [0.5, 4.0]\nprecision = 0.01\n";

#[test]
fn plan_how_much_finds_the_hand_computed_factor_and_resumes() {
    let d = tempfile::tempdir().unwrap();
    let p = load(&write(d.path(), &line_plan(d.path(), HOW))).unwrap();
    let out = d.path().join("out");
    let o = run_plan(&p, &out, Some(2), &NoProgress).unwrap();
    let ans = o.rows.last().unwrap();
    assert_eq!(ans.phase, "answer");
    let f = ans.factor.unwrap();
    // The bracket ends at or above 1.2 and within 0.01 of it.
    assert!((1.2..=1.21).contains(&f), "{f}");
    assert_eq!(ans.eval.summary.mean, 1.0);
    // Capital: n0's channel, 1,000 sat × factor.
    assert!((ans.eval.capital_sat - 1000.0 * f).abs() < 1e-6);
    // Scan 0.5 (4 of 10), 1 (8 of 10), 2 (all): then bisection in [1, 2].
    let scan: Vec<(f64, f64)> = o
        .rows
        .iter()
        .filter(|r| r.phase == "scan")
        .map(|r| (r.factor.unwrap(), r.eval.summary.mean))
        .collect();
    assert_eq!(scan, vec![(0.5, 0.4), (1.0, 0.8), (2.0, 1.0)]);
    // Every bisection step that fails is below 1.2, every one that passes at or above.
    for r in o.rows.iter().filter(|r| r.phase == "bisect") {
        assert_eq!(r.passes, Some(r.factor.unwrap() >= 1.2), "{:?}", r.factor);
    }
    let evals = o.rows.iter().filter(|r| r.phase != "answer").count();
    assert_eq!(o.runs_total, 2 * evals);
    assert_eq!(o.runs_reused, 0);
    let csv = std::fs::read_to_string(out.join("lineplan/plan.csv")).unwrap();
    assert!(csv.starts_with("phase,step,factor,"), "{csv}");
    assert_eq!(csv.lines().count(), 1 + o.rows.len());
    assert!(out.join("lineplan/charts/plan_tradeoff.png").exists());
    assert!(out.join("lineplan/charts/plan_tradeoff.svg").exists());
    // Each evaluation is a normal experiment folder (no report).
    let ev = out.join("lineplan/evals/f1_000000");
    assert!(ev.join("summary.csv").exists() && ev.join("manifest.json").exists());
    assert!(!ev.join("report.html").exists());
    // A second call reuses every run and gives the same answer.
    let o2 = run_plan(&p, &out, Some(1), &NoProgress).unwrap();
    assert_eq!(o2.runs_reused, o2.runs_total);
    assert_eq!(o2.rows.last().unwrap().factor, Some(f));
    assert_eq!(
        std::fs::read_to_string(out.join("lineplan/plan.csv")).unwrap(),
        csv
    );
}

#[test]
fn plan_how_much_refuses_unreachable_and_non_monotone_targets() {
    let d = tempfile::tempdir().unwrap();
    let unreachable = HOW.replace("[0.5, 4.0]", "[0.5, 1.0]");
    let p = load(&write(d.path(), &line_plan(d.path(), &unreachable))).unwrap();
    match run_plan(&p, &d.path().join("o1"), Some(2), &NoProgress) {
        Err(PlanError::Refused(m)) => {
            assert!(m.contains("out of reach"), "{m}");
            // The scan is shown: factor 1 had 0.8.
            assert!(m.contains("0.8000"), "{m}");
        }
        other => panic!("{:?}", other.map(|o| o.recommendation)),
    }
    // Failures (no route: the sender knows its own balance) fall as capacity grows:
    // 6, 2, 0 of 10.
    let falling = HOW
        .replace("\"success_ratio\"", "\"fail_no_route\"")
        .replace("threshold = 1.0", "threshold = 100");
    let p = load(&write(d.path(), &line_plan(d.path(), &falling))).unwrap();
    match run_plan(&p, &d.path().join("o2"), Some(2), &NoProgress) {
        Err(PlanError::Refused(m)) => {
            assert!(m.contains("not monotone"), "{m}");
            assert!(m.contains("from factor 0.5 to 1"), "{m}");
        }
        other => panic!("{:?}", other.map(|o| o.recommendation)),
    }
}

/// A line n0 - n1 - n2 - n3 cut into n0 - n1 and two isolated nodes, plus the merchant
/// M; n0 pays M five times 10 sat. Only a channel to n1 (or n0) connects the demand.
const STAR: &str = "name = \"which\"\nreplications = 2\n[topology]\nkind = \"line\"\nnodes = 4\n\
    capacity = { dist = \"fixed\", sat = 1000 }\n\
    [[topology.add_node]]\nname = \"M\"\n\
    [[topology.remove_channel]]\nfrom = 1\nto = 2\n[[topology.remove_channel]]\nfrom = 2\nto = 3\n\
    [workload]\npayments = 1\namount = { dist = \"fixed\", sat = 1 }\n\
    [[workload.flow]]\nname = \"shop\"\nreceiver = \"M\"\ncounterparties = [0]\nrate_per_s = 1\n\
    amount = { dist = \"fixed\", sat = 10 }\npayments = 5\n";

#[test]
fn plan_which_picks_the_peer_that_connects_the_demand() {
    let d = tempfile::tempdir().unwrap();
    let text = format!(
        "{STAR}[plan]\nquestion = \"which\"\nmetric = \"flow_shop_success_ratio\"\nnode = \"M\"\n\
         peers = [2, 3, \"n1\"]\nsizes_sat = [200, 100]\nbudget_sat = 300\nfrom_share = 0.0\n"
    );
    let p = load(&write(d.path(), &text)).unwrap();
    let o = run_plan(&p, &d.path().join("out"), Some(2), &NoProgress).unwrap();
    let chosen: Vec<&Row> = o.rows.iter().filter(|r| r.phase == "chosen").collect();
    assert_eq!(chosen.len(), 1, "{}", o.recommendation);
    // n1 with the cheaper size (both give every payment: 50 sat + fees fit in 100).
    assert_eq!(chosen[0].peer.as_ref().unwrap().0, NodeId(1));
    assert_eq!(chosen[0].size_sat, Some(100));
    let g = chosen[0].gain.unwrap();
    assert_eq!((g.mean, g.ci95_lo), (1.0, 1.0));
    assert_eq!(o.rows[0].eval.summary.mean, 0.0);
    // Step 1 tried 3 peers × 2 sizes; step 2 the two isolated ones (200 sat fits): no gain.
    assert_eq!(o.rows.iter().filter(|r| r.step == 1).count(), 6);
    assert_eq!(o.rows.iter().filter(|r| r.step == 2).count(), 4);
    assert!(
        o.recommendation.contains("no candidate gains"),
        "{}",
        o.recommendation
    );
    assert!(d.path().join("out/which/charts/plan_tradeoff.svg").exists());
}

#[test]
fn plan_bad_input_names_file_line_and_field() {
    let d = tempfile::tempdir().unwrap();
    let how = |plan: &str| line_plan(d.path(), plan);
    let which = |plan: &str| format!("{STAR}[plan]\n{plan}");
    let w_ok = "question = \"which\"\nmetric = \"flow_shop_success_ratio\"\nnode = \"M\"\npeers = [1]\nsizes_sat = [100]\n";
    // (plan text, field, line, message part)
    let cases: Vec<(String, &str, usize, &str)> = vec![
        (
            how(&HOW.replace("node_capacity", "node_capital")),
            "knob",
            14,
            "unknown variant",
        ),
        (
            how(&HOW.replace("success_ratio", "sucess_ratio")),
            "plan.metric",
            12,
            "unknown metric",
        ),
        (
            how(&HOW.replace("\"n0\"", "\"zz\"")),
            "plan.node",
            15,
            "unknown node",
        ),
        (
            how(&HOW.replace("[0.5, 4.0]", "[2.0, 1.0]")),
            "plan.range",
            16,
            "lowest < highest",
        ),
        (
            how(&HOW.replace("0.01", "0")),
            "plan.precision",
            17,
            "precision",
        ),
        (
            how(&format!("{HOW}precison = 0.1\n")),
            "precison",
            18,
            "unknown field",
        ),
        (
            how(&HOW.replace("threshold = 1.0\n", "")),
            "plan.threshold",
            10,
            "needs a threshold",
        ),
        (
            how(&format!("{HOW}budget_sat = 5\n")),
            "plan.budget_sat",
            18,
            "does not apply",
        ),
        (
            which(&format!("{w_ok}budget_sat = 50\n")),
            "plan.budget_sat",
            31,
            "below the smallest channel size (100 sat)",
        ),
        (
            which(&w_ok.replace("peers = [1]\n", "")),
            "plan.peers",
            25,
            "candidate peers",
        ),
        (
            which(&format!("{w_ok}budget_sat = 500\nfrom_share = 2\n")),
            "plan.from_share",
            32,
            "share",
        ),
        (
            which(&format!("{w_ok}budget_sat = 500\n").replace("\"M\"", "\"Q\"")),
            "plan.node",
            28,
            "unknown node",
        ),
    ];
    for (text, field, line, msg) in cases {
        let e = load(&write(d.path(), &text))
            .err()
            .unwrap_or_else(|| panic!("{text}"));
        assert!(e.file.ends_with("plan.toml"), "{e}");
        assert_eq!(e.field.as_deref(), Some(field), "{e}");
        assert_eq!(e.line, Some(line), "{e}");
        assert!(e.message.contains(msg), "{e}");
    }
    // No [plan] at all.
    let e = load(&write(d.path(), "name = \"x\"\n")).err().unwrap();
    assert_eq!(e.field.as_deref(), Some("plan"));
}

#[test]
fn payments_csv_names_the_flow_of_each_payment() {
    // The two-node line of the flow test (n0 can spend 490 sat): flow `shop` pays n1
    // ten times 100 sat (4 succeed), flow `back` pays n0 twice 1 sat, and one background
    // payment of 1 sat. Every row names its flow; the background row's flow is empty.
    let d = tempfile::tempdir().unwrap();
    let text = "name = \"flows\"\n[topology]\nkind = \"line\"\nnodes = 2\n\
        capacity = { dist = \"fixed\", sat = 1000 }\n\
        [workload]\npayments = 1\namount = { dist = \"fixed\", sat = 1 }\n\
        [[workload.flow]]\nname = \"shop\"\nreceiver = \"n1\"\nrate_per_s = 10\n\
        amount = { dist = \"fixed\", sat = 100 }\npayments = 10\n\
        [[workload.flow]]\nname = \"back\"\nreceiver = \"n0\"\nrate_per_s = 1\n\
        amount = { dist = \"fixed\", sat = 1 }\npayments = 2\n";
    let exp = crate::sweep::load_str(text, "flows.toml", d.path(), None).unwrap();
    let opts = RunOptions {
        out: d.path().join("out"),
        jobs: Some(1),
        fresh: false,
        skip_report: true,
    };
    experiment::run_experiment(&exp, &opts, &NoProgress).unwrap();
    let path = d.path().join("out/flows/runs/p000-none-r000/payments.csv");
    let mut rd = csv::Reader::from_path(&path).unwrap();
    let head = rd.headers().unwrap().clone();
    assert_eq!(head.iter().next_back(), Some("flow"));
    let col = |k: &str| head.iter().position(|h| h == k).unwrap();
    let (recv, amt, ok, flow) = (
        col("receiver"),
        col("amount_msat"),
        col("success"),
        col("flow"),
    );
    let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 13);
    let of = |name: &str| rows.iter().filter(|r| &r[flow] == name).collect::<Vec<_>>();
    let shop = of("shop");
    assert_eq!(shop.len(), 10);
    assert!(shop.iter().all(|r| &r[recv] == "1" && &r[amt] == "100000"));
    assert_eq!(shop.iter().filter(|r| &r[ok] == "1").count(), 4);
    let back = of("back");
    assert_eq!(back.len(), 2);
    assert!(back.iter().all(|r| &r[recv] == "0" && &r[amt] == "1000"));
    let bg = of("");
    assert_eq!(bg.len(), 1);
    assert_eq!(&bg[0][amt], "1000");
}

/// n0 - n1 - n2 cut into n0 - n1 and n2, plus a router R with a channel to n1 (n1 holds
/// all of it, fee-free). Trace: n0 pays n2 1,000 sat ten times (t = 1..10 s). Only a
/// channel R - n2 that R funds connects the demand; R then earns its base fee, 1 sat, on
/// each payment: revenue 10 sat. Capital cost at 10/year over the 10 s measured: a
/// channel of 1,577,880 sat (all R's) costs 10 × 1,577,880 × 10 / 31,557,600 = 5 sat,
/// one of 3,155,760 sat 10 sat. Net: 5 (small R - n2), 0 (large R - n2), −5 and −10
/// (R - n0, which connects nothing).
const ROUTER: &str = "name = \"rev\"\nreplications = 2\n[topology]\nkind = \"line\"\nnodes = 3\n\
    reserve_ppm = 0\ncapacity = { dist = \"fixed\", sat = 1_000_000 }\n\
    [[topology.add_node]]\nname = \"R\"\n\
    [[topology.remove_channel]]\nfrom = 1\nto = 2\n\
    [[topology.add_channel]]\nfrom = \"R\"\nto = 1\ncapacity_sat = 1_000_000\nfrom_share = 0.0\n\
    base_msat = 0\nppm = 0\n\
    [workload]\ntrace = \"trace.csv\"\n[metrics]\ncapital_rate_per_year = 10\n";

#[test]
fn plan_which_net_revenue_picks_the_profitable_channel_hand_computed() {
    let d = tempfile::tempdir().unwrap();
    let mut trace = String::from("time_s,sender,receiver,amount_msat\n");
    for t in 1..=10 {
        trace.push_str(&format!("{t},0,2,1000000\n"));
    }
    std::fs::write(d.path().join("trace.csv"), trace).unwrap();
    let text = format!(
        "{ROUTER}[plan]\nquestion = \"which\"\nobjective = \"net_revenue\"\nnode = \"R\"\n\
         peers = [2, 0]\nsizes_sat = [1_577_880, 3_155_760]\nbudget_sat = 10_000_000\n\
         from_share = 1.0\nbase_msat = 1000\nppm = 0\n"
    );
    let p = load(&write(d.path(), &text)).unwrap();
    assert_eq!(p.metric, NET_REVENUE);
    let o = run_plan(&p, &d.path().join("out"), Some(2), &NoProgress).unwrap();
    let near = |a: f64, b: f64| (a - b).abs() < 1e-6;
    assert!(
        near(o.rows[0].eval.summary.mean, 0.0),
        "{}",
        o.rows[0].eval.summary.mean
    );
    let step1: Vec<(u32, u64, f64)> = o
        .rows
        .iter()
        .filter(|r| r.step == 1)
        .map(|r| {
            (
                r.peer.as_ref().unwrap().0 .0,
                r.size_sat.unwrap(),
                r.eval.summary.mean,
            )
        })
        .collect();
    let want = [
        (2, 1_577_880, 5.0),
        (2, 3_155_760, 0.0),
        (0, 1_577_880, -5.0),
        (0, 3_155_760, -10.0),
    ];
    assert_eq!(step1.len(), 4);
    for ((p, s, v), (wp, ws, wv)) in step1.iter().zip(want) {
        assert_eq!((*p, *s), (wp, ws));
        assert!(near(*v, wv), "peer {p} size {s}: {v} != {wv}");
    }
    let chosen: Vec<&Row> = o.rows.iter().filter(|r| r.phase == "chosen").collect();
    assert_eq!(chosen.len(), 1, "{}", o.recommendation);
    assert_eq!(chosen[0].peer.as_ref().unwrap().0, NodeId(2));
    assert_eq!(chosen[0].size_sat, Some(1_577_880));
    // Step 2 (R - n0 only) loses money: the search stops.
    assert!(
        o.recommendation.contains("no candidate gains"),
        "{}",
        o.recommendation
    );
    let csv = std::fs::read_to_string(d.path().join("out/rev/plan.csv")).unwrap();
    assert!(csv.contains("chosen,1,,2,\"n2\",1577880,"), "{csv}");
}

#[test]
fn plan_how_much_channel_set_finds_the_hand_computed_factor() {
    // The line of `line_plan`, its one channel named as a set: the same 1.2 as scaling n0.
    let d = tempfile::tempdir().unwrap();
    let plan = "question = \"how_much\"\nmetric = \"success_ratio\"\nthreshold = 1.0\n\
                knob = \"channel_set\"\nchannels = [{ from = \"n0\", to = 1 }]\n\
                range = [0.5, 4.0]\nprecision = 0.01\n";
    let p = load(&write(d.path(), &line_plan(d.path(), plan))).unwrap();
    let o = run_plan(&p, &d.path().join("out"), Some(2), &NoProgress).unwrap();
    let ans = o.rows.last().unwrap();
    assert_eq!(ans.phase, "answer");
    let f = ans.factor.unwrap();
    assert!((1.2..=1.21).contains(&f), "{f}");
    assert!((ans.eval.capital_sat - 1000.0 * f).abs() < 1e-6);
}

#[test]
fn plan_how_much_strategy_param_sets_the_parameter_of_each_evaluation() {
    // A rebalancing budget searched by value: the line has no cycle, so `circular` never
    // spends and the metric (success, 8 of 10 payments at factor 1) stays 0.8 < 1 at
    // every budget: refused, and every evaluation ran with its own budget.
    let d = tempfile::tempdir().unwrap();
    let plan = "question = \"how_much\"\nmetric = \"success_ratio\"\nthreshold = 1.0\n\
                knob = \"strategy_param\"\nparam = \"strategy.circular.budget_sat\"\n\
                range = [100, 400]\nprecision = 10\n";
    let text = line_plan(d.path(), plan)
        .replace("[plan]\n", "[[strategy]]\nname = \"circular\"\n[plan]\n");
    let p = load(&write(d.path(), &text)).unwrap();
    let out = d.path().join("out");
    match run_plan(&p, &out, Some(2), &NoProgress) {
        Err(PlanError::Refused(m)) => assert!(m.contains("out of reach"), "{m}"),
        other => panic!("{:?}", other.map(|o| o.recommendation)),
    }
    for (label, budget) in [
        ("f100_000000", 100),
        ("f200_000000", 200),
        ("f400_000000", 400),
    ] {
        let m: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(out.join("lineplan/evals").join(label).join("manifest.json"))
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            m["resolved_scenario"]["strategy"][0]["budget_sat"],
            serde_json::json!(budget),
            "{label}"
        );
    }
}

#[test]
fn plan_new_knobs_and_objective_reject_bad_input() {
    let d = tempfile::tempdir().unwrap();
    let how = |plan: &str| line_plan(d.path(), plan);
    let base = "question = \"how_much\"\nmetric = \"success_ratio\"\nthreshold = 1.0\n\
                range = [0.5, 4.0]\nprecision = 0.01\n";
    let circ =
        |plan: &str| how(plan).replace("[plan]\n", "[[strategy]]\nname = \"circular\"\n[plan]\n");
    let cases: Vec<(String, &str, &str)> = vec![
        (
            how(&format!("{base}knob = \"channel_set\"\n")),
            "plan.channels",
            "needs channels",
        ),
        (
            how(&format!(
                "{base}knob = \"channel_set\"\nchannels = [{{ from = 0, to = 5 }}]\n"
            )),
            "plan.channels[0].to",
            "unknown node",
        ),
        (
            how(&format!(
                "{base}knob = \"channel_set\"\nchannels = [{{ label = \"zz\" }}]\n"
            )),
            "plan.channels[0].to",
            "names no channel",
        ),
        (
            how(&format!(
                "{base}knob = \"all_capacity\"\nchannels = [{{ label = \"zz\" }}]\n"
            )),
            "plan.channels",
            "does not apply",
        ),
        (
            circ(&format!("{base}knob = \"strategy_param\"\n")),
            "plan.param",
            "needs param",
        ),
        (
            circ(&format!(
                "{base}knob = \"strategy_param\"\nparam = \"workload.rate_per_s\"\n"
            )),
            "plan.param",
            "strategy.<label>.<key>",
        ),
        (
            circ(&format!(
                "{base}knob = \"strategy_param\"\nparam = \"strategy.nope.budget_sat\"\n"
            )),
            "plan.param",
            "no [[strategy]] labelled `nope`",
        ),
        (
            circ(&format!(
                "{base}knob = \"strategy_param\"\nparam = \"strategy.circular.budget_zat\"\n"
            )),
            "plan.param",
            "is not accepted",
        ),
        (
            circ(
                &format!(
                    "{base}knob = \"strategy_param\"\nparam = \"strategy.circular.budget_sat\"\n"
                )
                .replace("[0.5, 4.0]", "[1.0, 4.0]"),
            ),
            "plan.precision",
            "at least 1",
        ),
        (
            how(&format!(
                "{base}knob = \"all_capacity\"\nobjective = \"net_revenue\"\n"
            )),
            "plan.objective",
            "which",
        ),
    ];
    for (text, field, msg) in cases {
        let e = load(&write(d.path(), &text))
            .err()
            .unwrap_or_else(|| panic!("{text}"));
        assert_eq!(e.field.as_deref(), Some(field), "{e}");
        assert!(e.message.contains(msg), "{e}");
        assert!(e.line.is_some(), "{e}");
    }
    // net_revenue with a metric, and which without either.
    let w = format!(
        "{STAR}[plan]\nquestion = \"which\"\nnode = \"M\"\npeers = [1]\nsizes_sat = [100]\nbudget_sat = 100\n"
    );
    let e = load(&write(d.path(), &w)).err().unwrap();
    assert_eq!(e.field.as_deref(), Some("plan.metric"), "{e}");
    let e = load(&write(
        d.path(),
        &format!("{w}objective = \"net_revenue\"\nmetric = \"success_ratio\"\n"),
    ))
    .err()
    .unwrap();
    assert_eq!(e.field.as_deref(), Some("plan.metric"), "{e}");
    assert!(e.message.contains("remove metric"), "{e}");
}
