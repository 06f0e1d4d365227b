//! Tests of the workload: generation, endpoints, flows, probes and data files.

use super::*;

fn topo() -> Topology {
    let mut t = Topology::new();
    for name in ["alice", "bob", "carol"] {
        t.add_node(name);
    }
    t
}

fn file(text: &str) -> tempfile::NamedTempFile {
    let f = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(f.path(), text).unwrap();
    f
}

#[test]
fn endpoints_parse_by_hand_and_name_bad_keys() {
    #[derive(Deserialize, Debug)]
    struct D {
        r: EndpointConfig,
    }
    let p = |s: &str| toml::from_str::<D>(&format!("r = {s}")).map(|d| d.r);
    assert_eq!(
        p("\"uniform\"").unwrap(),
        EndpointConfig::Named(EndpointKind::Uniform)
    );
    assert_eq!(
        p("\"capacity\"").unwrap(),
        EndpointConfig::Named(EndpointKind::Capacity)
    );
    assert_eq!(
        p("{ zipf = 0.8 }").unwrap(),
        EndpointConfig::Zipf { zipf: 0.8 }
    );
    let e = p("{ zipf = 0.8, typo = 1 }").unwrap_err().to_string();
    assert!(
        e.contains("unknown field `typo`") && e.contains("`zipf`"),
        "{e}"
    );
    let e = p("\"random\"").unwrap_err().to_string();
    assert!(e.contains("unknown variant `random`"), "{e}");
    let e = p("{}").unwrap_err().to_string();
    assert!(e.contains("missing field `zipf`"), "{e}");
    assert!(!p("5").unwrap_err().to_string().contains("untagged"));
}

#[test]
fn data_files_reject_bom_phantoms_empty_and_huge_amounts() {
    let p = Path::new("a.csv");
    // A byte order mark is dropped, not read as part of the header.
    assert_eq!(
        parse_amounts("\u{feff}amount_sat\n5\n", p).unwrap(),
        vec![Msat(5000)]
    );
    let e = parse_amounts("", p).unwrap_err();
    assert!(e.message.contains("empty"), "{e}");
    let e = parse_amounts("amount_msat\n18446744073709551615\n", p).unwrap_err();
    assert_eq!(e.line, Some(2));
    assert!(e.message.contains("21 million BTC"), "{e}");
    // 21 million BTC exactly is allowed, one sat more is not.
    assert!(parse_amounts("amount_sat\n2100000000000000\n", p).is_ok());
    assert!(parse_amounts("amount_sat\n2100000000000001\n", p).is_err());
    let t = topo();
    let e = parse_trace("time_s,sender,receiver,amount_msat\n1e300,0,1,5\n", p, &t).unwrap_err();
    assert_eq!((e.line, e.field.as_deref()), (Some(2), Some("time_s")));
    let tr = parse_trace(
        "\u{feff}time_s,sender,receiver,amount_msat\n1e9,alice,bob,5\n",
        p,
        &t,
    )
    .unwrap();
    assert_eq!(tr[0].time, SimTime(1_000_000_000_000_000));
    let e = parse_trace("time_s,sender,receiver,amount_msat\n", p, &t).unwrap_err();
    assert!(e.message.contains("no payments"), "{e}");
}

#[test]
fn run_cost_is_bounded_before_anything_is_drawn() {
    let w = |s: &str| -> Result<(), FieldError> {
        toml::from_str::<WorkloadConfig>(s).unwrap().validate()
    };
    assert!(w("payments = 5\nrate_per_s = 1e6").is_ok());
    assert_eq!(
        w("duration_s = 10\nrate_per_s = 1e300").unwrap_err().field,
        "workload.rate_per_s"
    );
    assert_eq!(
        w("duration_s = 1e300").unwrap_err().field,
        "workload.duration_s"
    );
    // 10^5 per second for 10^4 s: 10^9 payments, above the 10^8 limit.
    let e = w("duration_s = 10000\nrate_per_s = 100000").unwrap_err();
    assert!(e.message.contains("more than the limit"), "{e}");
    assert!(w("duration_s = 1000\nrate_per_s = 100000").is_ok());
    assert_eq!(
        w("payments = 1000000000").unwrap_err().field,
        "workload.payments"
    );
    assert_eq!(
        w("payments = 10000000\nrate_per_s = 0.001")
            .unwrap_err()
            .field,
        "workload.rate_per_s"
    );
}

#[test]
fn trace_reads_names_and_indices() {
    let f = file("time_s,sender,receiver,amount_msat\n0.5,alice,2,1000\n2,1,carol,5\n");
    let t = load_trace(f.path(), &topo()).unwrap();
    assert_eq!(t.len(), 2);
    assert_eq!(
        (t[0].time, t[0].sender, t[0].receiver, t[0].amount),
        (SimTime(500_000), NodeId(0), NodeId(2), Msat(1000))
    );
    assert_eq!((t[1].sender, t[1].receiver), (NodeId(1), NodeId(2)));
}

#[test]
fn bad_traces_name_line_and_column() {
    let cases = [
        ("time_s,sender,amount_msat\n", ":1:", "receiver"),
        (
            "time_s,sender,receiver,amount_msat\n1,alice,bob,10\n2,dave,bob,10\n",
            ":3:",
            "`sender`",
        ),
        (
            "time_s,sender,receiver,amount_msat\n1,alice,bob,-3\n",
            ":2:",
            "`amount_msat`",
        ),
        (
            "time_s,sender,receiver,amount_msat\n5,alice,bob,1\n4,alice,bob,1\n",
            ":3:",
            "`time_s`",
        ),
        (
            "time_s,sender,receiver,amount_msat\n1,alice,alice,1\n",
            ":2:",
            "`receiver`",
        ),
        (
            "time_s,sender,receiver,amount_msat\nx,alice,bob,1\n",
            ":2:",
            "`time_s`",
        ),
    ];
    for (text, line, field) in cases {
        let f = file(text);
        let e = load_trace(f.path(), &topo()).unwrap_err().to_string();
        assert!(e.contains(&f.path().display().to_string()), "{e}");
        assert!(e.contains(line) && e.contains(field), "{text:?}: {e}");
    }
}

#[test]
fn amounts_csv_sat_or_msat_and_errors() {
    let f = file("amount_sat\n3\n7\n");
    assert_eq!(
        load_amounts(f.path()).unwrap(),
        vec![Msat(3000), Msat(7000)]
    );
    let f = file("amount_msat\n3\n0\n");
    let e = load_amounts(f.path()).unwrap_err().to_string();
    assert!(e.contains(":3:") && e.contains("`amount_msat`"), "{e}");
    let f = file("value\n3\n");
    assert!(load_amounts(f.path())
        .unwrap_err()
        .to_string()
        .contains(":1:"));
}

/// Flow tests run whole scenarios (test code may use higher layers).
fn scenario(text: &str) -> Result<crate::scenario::Scenario, crate::error::InputError> {
    crate::scenario::parse(text, "flows.toml", std::path::Path::new("/"), None)
}

fn run(s: &crate::scenario::Scenario, rep: u32) -> crate::metrics::RunResult {
    let plan = crate::experiment::plan_point(s, 0, 0);
    let p = plan.iter().find(|p| p.replication == rep).unwrap();
    crate::experiment::execute(s, p, &mut crate::metrics::NullRecorder).unwrap()
}

const LINE2: &str = "name = \"f\"\n[topology]\nkind = \"line\"\nnodes = 2\n\
    capacity = { dist = \"fixed\", sat = 1000 }\n\
    [workload]\npayments = 1\namount = { dist = \"fixed\", sat = 1 }\n";

#[test]
fn flow_hand_computed_two_node_line() {
    // 1,000 sat channel, 500 sat a side, reserve 1% (10 sat): n0 can spend 490 sat.
    // The flow pays n1 ten times 100 sat from n0 (the only other node): 4 fit
    // (400 ≤ 490, then 90 are left). The background payment of 1 sat either way
    // leaves 489 or 491 sat: still exactly 4. A direct payment pays no fee.
    let s = scenario(&format!(
        "{LINE2}[[workload.flow]]\nname = \"shop\"\nreceiver = \"n1\"\nrate_per_s = 10\n\
         amount = {{ dist = \"fixed\", sat = 100 }}\npayments = 10\n"
    ))
    .unwrap();
    let r = run(&s, 0);
    let m: std::collections::BTreeMap<String, f64> = r.metrics().into_iter().collect();
    assert_eq!(m["flow_shop_payments"], 10.0);
    assert_eq!(m["flow_shop_succeeded"], 4.0);
    assert_eq!(m["flow_shop_success_ratio"], 0.4);
    assert_eq!(m["flow_shop_volume_success_ratio"], 0.4);
    assert_eq!(m["flow_shop_fees_paid_sat"], 0.0);
    // Flow payments count in the network totals too (1 background payment).
    assert_eq!(m["payments"], 11.0);
}

#[test]
fn flow_leaves_background_payments_unchanged() {
    let base = "name = \"f\"\n[topology]\nkind = \"barabasi_albert\"\nnodes = 30\n\
                [workload]\nduration_s = 200\nrate_per_s = 2\n";
    let flow = "[[workload.flow]]\nname = \"m\"\nsender = 3\ncounterparties = [1, \"n7\", 9]\n\
                rate_per_s = 3\namount = { dist = \"fixed\", sat = 10 }\n";
    let a = scenario(base).unwrap();
    let b = scenario(&format!("{base}{flow}")).unwrap();
    let seed = crate::rng::run_seed(1, 0);
    let wl = |s: &crate::scenario::Scenario| {
        Workload::new(
            &s.workload,
            &s.topology,
            crate::rng::stream(seed, "workload"),
        )
        .with_flows(&s.flows, seed)
    };
    let plain: Vec<Arrival> = wl(&a).collect();
    let mut with = wl(&b);
    let (mut bg, mut fl) = (Vec::new(), Vec::new());
    let mut last = SimTime::ZERO;
    while let Some((arr, tag)) = with.next_tagged() {
        assert!(arr.time >= last, "arrivals in time order");
        last = arr.time;
        match tag {
            None => bg.push(arr),
            Some(0) => fl.push(arr),
            Some(t) => panic!("flow {t}"),
        }
    }
    assert!(plain.len() > 300, "{}", plain.len());
    assert_eq!(bg, plain, "the background is the same payments");
    // The flow: duration inherited (200 s) at 3/s, from node 3 to the listed nodes.
    assert!((450..750).contains(&fl.len()), "{}", fl.len());
    assert!(fl.iter().all(|x| x.sender == NodeId(3)
        && [1, 7, 9].contains(&x.receiver.0)
        && x.amount == Msat(10_000)));
    // Uniform counterparties never pick the pinned node and cover the others.
    let u = scenario(&format!(
        "{base}[[workload.flow]]\nname = \"u\"\nreceiver = 0\nrate_per_s = 5\namount = {{ dist = \"fixed\", sat = 1 }}\n"
    ))
    .unwrap();
    let mut w = wl(&u);
    let mut seen = [0u32; 30];
    while let Some((arr, tag)) = w.next_tagged() {
        if tag == Some(0) {
            assert_eq!(arr.receiver, NodeId(0));
            seen[arr.sender.idx()] += 1;
        }
    }
    assert_eq!(seen[0], 0);
    assert!(seen[1..].iter().all(|&c| c > 10), "{seen:?}");
}

#[test]
fn flow_counterparties_top_k_by_capacity_and_by_degree() {
    // Line n0-n1-n2-n3-n4 of 1,000 sat channels plus a 5,000 sat channel n4-n2.
    // Capacity: n0 1,000, n1 2,000, n2 7,000, n3 2,000, n4 6,000; degree: 1, 2, 3, 2, 2.
    // n2 is paid: by capacity the top 2 others are n4, then n1 (ties: lower index);
    // by degree n1 and n3 (n4 ties with them and has the higher index).
    let top = |by: &str| {
        let s = scenario(&format!(
            "name = \"f\"\n[topology]\nkind = \"line\"\nnodes = 5\n\
             capacity = {{ dist = \"fixed\", sat = 1000 }}\n\
             [[topology.add_channel]]\nfrom = 4\nto = 2\ncapacity_sat = 5000\n\
             [workload]\npayments = 1\namount = {{ dist = \"fixed\", sat = 1 }}\n\
             [[workload.flow]]\nname = \"m\"\nreceiver = 2\n\
             counterparties = {{ top_k = 2, by = \"{by}\" }}\nrate_per_s = 1\n\
             amount = {{ dist = \"fixed\", sat = 1 }}\npayments = 3\n"
        ))
        .unwrap();
        s.flows[0].counterparties.clone()
    };
    assert_eq!(top("capacity"), vec![NodeId(1), NodeId(4)]);
    assert_eq!(top("degree"), vec![NodeId(1), NodeId(3)]);
}

#[test]
fn cross_share_sets_the_share_of_payments_between_chains() {
    let s = scenario(
        "name = \"x\"\n[topology]\nkind = \"barabasi_albert\"\nnodes = 40\n\
         [workload]\npayments = 4000\n",
    )
    .unwrap();
    // Even nodes on chain 0, odd nodes on chain 1.
    let home: Vec<u8> = (0..40).map(|i| (i % 2) as u8).collect();
    let seed = crate::rng::run_seed(3, 0);
    let wl = || {
        Workload::new(
            &s.workload,
            &s.topology,
            crate::rng::stream(seed, "workload"),
        )
    };
    let plain: Vec<Arrival> = wl().collect();
    for share in [0.0, 0.3, 1.0] {
        let got: Vec<Arrival> = wl().with_cross_share(&home, share, seed).collect();
        assert_eq!(got.len(), plain.len());
        for (a, b) in got.iter().zip(&plain) {
            // Times, senders and amounts are the workload's; only receivers move.
            assert_eq!((a.time, a.sender, a.amount), (b.time, b.sender, b.amount));
            assert_ne!(a.sender, a.receiver);
        }
        let cross = got
            .iter()
            .filter(|a| home[a.sender.idx()] != home[a.receiver.idx()])
            .count() as f64
            / got.len() as f64;
        // 4,000 draws: the share is within 4 standard deviations (≤ 0.029).
        assert!((cross - share).abs() <= 0.03, "share {share}: {cross}");
    }
    // Without chains' homes that fit the network, nothing changes.
    let same: Vec<Arrival> = wl().with_cross_share(&home[..10], 0.5, seed).collect();
    assert_eq!(same, plain);
}

#[test]
fn flow_config_errors_name_the_field() {
    let err = |flow: &str| {
        let e = scenario(&format!("{LINE2}[[workload.flow]]\n{flow}"))
            .err()
            .unwrap();
        (e.field.clone().unwrap_or_default(), e.line, e.message)
    };
    let ok = "rate_per_s = 1\namount = { dist = \"fixed\", sat = 1 }\npayments = 3\n";
    for (flow, field, msg) in [
        (format!("name = \"a b\"\nreceiver = 1\n{ok}"), "workload.flow[0].name", "letters"),
        (format!("name = \"a\"\n{ok}"), "workload.flow[0].receiver", "exactly one"),
        (format!("name = \"a\"\nreceiver = 1\nsender = 0\n{ok}"), "workload.flow[0].receiver", "exactly one"),
        (format!("name = \"a\"\nreceiver = \"zz\"\n{ok}"), "workload.flow[0].receiver", "unknown node"),
        (format!("name = \"a\"\nsender = 5\n{ok}"), "workload.flow[0].sender", "unknown node 5"),
        (format!("name = \"a\"\nsender = 0\ncounterparties = [0]\n{ok}"), "workload.flow[0].counterparties", "pinned"),
        (format!("name = \"a\"\nsender = 0\ncounterparties = {{ top_k = 2, by = \"capacity\" }}\n{ok}"), "workload.flow[0].counterparties", "top_k must be between 1 and"),
        ("name = \"a\"\nsender = 0\nrate_per_s = 0\namount = { dist = \"fixed\", sat = 1 }\npayments = 3\n".into(), "workload.flow[0].rate_per_s", "positive"),
        ("name = \"a\"\nsender = 0\nrate_per_s = 1\namount = { dist = \"fixed\", sat = 1 }\n".into(), "workload.flow[0].duration_s", "set `duration_s`"),
    ] {
        let (f, line, m) = err(&flow);
        assert_eq!(f, field, "{flow}: {m}");
        assert!(m.contains(msg), "{flow}: {m}");
        assert!(line.is_some_and(|l| l >= 9), "{flow}: {line:?}");
    }
    // Two flows with one name.
    let e = scenario(&format!(
        "{LINE2}[[workload.flow]]\nname = \"a\"\nsender = 0\n{ok}[[workload.flow]]\nname = \"a\"\nsender = 1\n{ok}"
    ))
    .err()
    .unwrap();
    assert_eq!(e.field.as_deref(), Some("workload.flow[1].name"));
    assert_eq!(e.line, Some(16));
    // Misspelt key.
    let e = scenario(&format!(
        "{LINE2}[[workload.flow]]\nname = \"a\"\nsender = 0\nrate = 1\n"
    ))
    .err()
    .unwrap();
    assert!(e.message.contains("unknown field `rate`"), "{e}");
    assert_eq!(e.line, Some(12));
}
