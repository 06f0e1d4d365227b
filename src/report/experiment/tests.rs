use super::*;

fn run(strategy: &str, rep: u32, point: usize, ends: &[f64], ok: u64) -> StoredRun {
    StoredRun {
        name: format!("p{point:03}-{strategy}-r{rep:03}"),
        point,
        strategy: strategy.into(),
        replication: rep,
        seed: u64::from(rep),
        fingerprint: String::new(),
        probes: Vec::new(),
        metrics: vec![
            ("success_ratio".into(), 0.5),
            ("total_cost_sat".into(), 0.0),
        ],
        windows: ends
            .iter()
            .map(|&t| StoredWindow {
                t_s: t,
                attempted: 10,
                succeeded: ok,
                volume_attempted_msat: 0,
                volume_succeeded_msat: 0,
                depleted_share: 0.1,
                mean_abs_skew: 0.0,
                node_gini: 0.2,
                rebalance_fees_msat: 0,
                pending_topup_msat: 0,
            })
            .collect(),
    }
}

#[test]
fn partial_windows_are_dropped_and_replications_aligned() {
    // Replication 0 ends 3 s after its last full window, replication 1 after 1 s.
    let runs = vec![
        run("none", 0, 0, &[300.0, 600.0, 603.0], 5),
        run("none", 1, 0, &[300.0, 600.0, 601.0], 7),
        run("jit", 0, 0, &[300.0, 600.0, 602.5], 6),
        run("jit", 1, 0, &[300.0, 600.0], 8),
    ];
    let t = time_charts(&runs, &[], &|w| {
        Some(w.succeeded as f64 / w.attempted as f64)
    });
    assert_eq!(t.window_s, 300.0);
    assert_eq!(t.dropped.windows, 3);
    assert!((t.dropped.shortest_s - 1.0).abs() < 1e-9 && (t.dropped.longest_s - 3.0).abs() < 1e-9);
    let none = &t.raw[0].series[0];
    let xs: Vec<f64> = none.points.iter().map(|p| p.x).collect();
    assert_eq!(
        xs,
        vec![5.0, 10.0],
        "window ends in minutes, partial window gone"
    );
    assert!(
        (none.points[0].y - 0.6).abs() < 1e-12,
        "mean of 0.5 and 0.7"
    );
    // Paired difference jit − none per window: (0.6 − 0.5, 0.8 − 0.7) = 0.1 each.
    let d = &t.diff[0].series[0];
    assert_eq!(d.name, "jit");
    assert!(d.points.iter().all(|p| (p.y - 0.1).abs() < 1e-12));
    let sub = time_subtitle(&t, "bands");
    assert!(
        sub.contains("n = 2 replications") && sub.contains("Partial"),
        "{sub}"
    );
}

#[test]
fn sweeps_get_one_panel_per_point() {
    let runs: Vec<StoredRun> = (0..3)
        .flat_map(|p| (0..2).map(move |r| run("none", r, p, &[300.0, 600.0], 5)))
        .collect();
    let sweep = vec![(
        "workload.one_way.share".to_string(),
        vec!["0".into(), "0.3".into(), "0.6".into()],
    )];
    let t = time_charts(&runs, &sweep, &|w| Some(w.node_gini));
    assert_eq!(t.raw.len(), 3);
    assert_eq!(t.raw[2].title, "one_way.share = 0.6");
    let dir = tempfile::tempdir().unwrap();
    draw_all(dir.path(), &runs, &sweep, &[]).unwrap();
    for c in [
        "success_over_time",
        "success_vs_cost",
        "sweep_success_ratio",
        "onchain_txs",
    ] {
        assert!(dir.path().join(format!("charts/{c}.svg")).is_file(), "{c}");
    }
}

#[test]
fn short_keys() {
    assert_eq!(short_key("workload.one_way.share"), "one_way.share");
    assert_eq!(short_key("seed"), "seed");
    assert_eq!(
        short_key("strategy.a.participation.share | strategy.b.participation.share"),
        "participation.share (linked)"
    );
}
