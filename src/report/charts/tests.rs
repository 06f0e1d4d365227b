//! Chart tests: files are written and sane, and the laid-out model is legible (every text
//! inside the canvas, no two texts overlapping, marks inside their plot, axes inside the
//! metric's range). The layout is checked, not pixels.

use super::super::layout::{
    clip_polygon, clip_polyline, format_number, linear_axis, symlog_axis, Mark, Scale,
};
use super::*;

/// Width and height from the IHDR chunk of a PNG file (bytes 16..24, big-endian).
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).expect("png readable");
    assert_eq!(
        &bytes[..8],
        b"\x89PNG\r\n\x1a\n",
        "PNG signature of {path:?}"
    );
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&bytes[16..20]), be(&bytes[20..24]))
}

/// Both files exist and are sane; returns the SVG text.
fn check_outputs(stem: &Path, size: (u32, u32)) -> String {
    let png = with_suffix(stem, "png");
    assert_eq!(png_size(&png), size);
    assert!(std::fs::metadata(&png).expect("png").len() > 1000);
    let svg = std::fs::read_to_string(with_suffix(stem, "svg")).expect("svg readable");
    assert!(svg.starts_with("<svg"), "svg header");
    assert!(svg.trim_end().ends_with("</svg>"), "svg closed");
    svg
}

/// The legibility properties every chart must have.
fn assert_legible(m: &ChartModel, what: &str) {
    let outside = m.texts_outside_canvas();
    assert!(
        outside.is_empty(),
        "{what}: texts outside the {:?} canvas: {:#?}",
        m.size,
        outside
            .iter()
            .map(|t| (&t.text, t.rect))
            .collect::<Vec<_>>()
    );
    let overlaps = m.overlapping_texts();
    assert!(
        overlaps.is_empty(),
        "{what}: overlapping texts: {:#?}",
        overlaps
            .iter()
            .map(|(a, b)| ((&a.text, a.role, a.rect), (&b.text, b.role, b.rect)))
            .collect::<Vec<_>>()
    );
    for (i, p) in m.panels.iter().enumerate() {
        assert!(
            m.canvas().contains_rect(&p.plot),
            "{what}: panel {i} plot off canvas"
        );
        for mark in &p.marks {
            for q in mark.sample_points() {
                assert!(
                    p.plot.inflate(1.0).contains(q),
                    "{what}: panel {i}: mark point {q:?} outside plot {:?}: {mark:?}",
                    p.plot
                );
            }
        }
        // Text stays out of the plot except notes and point labels (and an inside legend).
        for t in &m.texts {
            if matches!(
                t.role,
                TextRole::Title
                    | TextRole::Subtitle
                    | TextRole::TickLabel
                    | TextRole::AxisTitle
                    | TextRole::PanelTitle
            ) {
                assert!(
                    !t.rect.intersects(&p.plot),
                    "{what}: {:?} {:?} covers plot {i}",
                    t.role,
                    t.text
                );
            }
        }
    }
    if let Some(l) = &m.legend {
        assert!(
            m.canvas().contains_rect(&l.rect),
            "{what}: legend off canvas"
        );
        for t in &m.texts {
            if t.role != TextRole::Legend {
                assert!(
                    !t.rect.intersects(&l.rect),
                    "{what}: legend covers {:?}",
                    t.text
                );
            }
        }
    }
}

fn spec(title: &str) -> ChartSpec {
    ChartSpec::new(title, "load (payments/s)", "success ratio")
}

fn two_series() -> Vec<Series> {
    vec![
        Series {
            name: "alpha-strategy".into(),
            points: (0..5)
                .map(|i| {
                    let x = i as f64;
                    Point::with_interval(x, 0.9 - 0.1 * x, 0.85 - 0.1 * x, 0.95 - 0.1 * x)
                })
                .collect(),
        },
        Series {
            name: "beta-strategy".into(),
            points: (0..5).map(|i| Point::new(i as f64, 0.5)).collect(),
        },
    ]
}

fn nan_series() -> Vec<Series> {
    vec![
        Series {
            name: "gappy".into(),
            points: vec![
                Point::with_interval(0.0, 1.0, f64::NAN, 2.0),
                Point::new(f64::NAN, 2.0),
                Point::new(2.0, f64::INFINITY),
                Point::with_interval(3.0, 1.5, 1.0, 2.0),
            ],
        },
        Series {
            name: "empty".into(),
            points: vec![],
        },
    ]
}

/// The strategies of `scenarios/compare.toml` with their costs (sat) and success ratios:
/// five within 0.002 of each other, costs from 0 to 2.6 million.
fn compare_like() -> Vec<LabelledPoint> {
    [
        ("none", 0.0, 0.462, 0.446, 0.479),
        ("circular", 4503.0, 0.463, 0.445, 0.481),
        ("proactive", 492.0, 0.462, 0.447, 0.477),
        ("jit", 42470.0, 0.464, 0.447, 0.481),
        ("periodic", 1229.0, 0.463, 0.442, 0.484),
        ("splice", 1_985_833.0, 0.704, 0.602, 0.807),
        ("loop", 2_578_277.0, 0.536, 0.511, 0.561),
    ]
    .iter()
    .map(|&(l, x, y, lo, hi)| LabelledPoint {
        label: l.into(),
        x,
        y,
        x_interval: (x > 0.0).then_some((x * 0.8, x * 1.2)),
        y_interval: Some((lo, hi)),
    })
    .collect()
}

#[test]
fn line_chart_writes_png_and_svg_with_title_and_legend() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stem = dir.path().join("sub/line");
    line_chart(&stem, &spec("Line title"), &two_series()).expect("drawn");
    let svg = check_outputs(&stem, CHART_SIZE);
    for text in [
        "Line title",
        "alpha-strategy",
        "beta-strategy",
        "success ratio",
    ] {
        assert!(svg.contains(text), "svg lacks {text:?}");
    }
    let m = lines_model(
        &spec("Line title"),
        &[Panel {
            title: String::new(),
            series: two_series(),
        }],
        LineStyle::Band,
        None,
    )
    .unwrap();
    assert_legible(&m, "line");
    assert!(
        m.panels[0]
            .marks
            .iter()
            .any(|k| matches!(k, Mark::Area { .. })),
        "bands drawn"
    );
}

#[test]
fn errorbar_lines_writes_both_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stem = dir.path().join("eb");
    errorbar_lines(
        &stem,
        &spec("Errorbars").with_y_range(0.0, 1.0),
        &two_series(),
    )
    .expect("drawn");
    let svg = check_outputs(&stem, CHART_SIZE);
    assert!(svg.contains("Errorbars") && svg.contains("alpha-strategy"));
}

#[test]
fn non_negative_metrics_get_no_negative_axis_and_cut_whiskers() {
    // Means near zero with wide intervals (2 replications): the interval goes below zero.
    let series = vec![
        Series {
            name: "circular".into(),
            points: vec![
                Point::with_interval(1800.0, 7.0e5, -2.0e6, 3.4e6),
                Point::with_interval(7200.0, 5.0e6, 1.5e6, 8.5e6),
            ],
        },
        Series {
            name: "splice".into(),
            points: vec![
                Point::with_interval(1800.0, 2.0e6, -3.9e6, 7.9e6),
                Point::with_interval(7200.0, 1.25e7, -3.5e7, 6.0e7),
            ],
        },
    ];
    let s = ChartSpec::new(
        "Funds stolen vs security.offline.mean_offline_s (security.challenge_period_blocks=1, security.watchtower_coverage=0)",
        "security.offline.mean_offline_s",
        "funds stolen (sat)",
    )
    .with_domain(Domain::NonNegative);
    let m = lines_model(
        &s,
        &[Panel {
            title: String::new(),
            series: series.clone(),
        }],
        LineStyle::ErrorBars,
        None,
    )
    .unwrap();
    assert_legible(&m, "non-negative errorbars");
    let p = &m.panels[0];
    assert!(p.y.min >= 0.0, "axis starts at {}", p.y.min);
    assert!(p.y.ticks.iter().all(|(v, _)| *v >= 0.0));
    assert!(
        m.texts_with(TextRole::Subtitle)
            .any(|t| t.text.contains("clipped")),
        "subtitle says intervals are clipped"
    );
    // Ratios: the axis never leaves [0, 1].
    let ratios = vec![Series {
        name: "x".into(),
        points: vec![
            Point::with_interval(0.0, 0.98, 0.9, 1.07),
            Point::with_interval(1.0, 0.02, -0.05, 0.1),
        ],
    }];
    let s = ChartSpec::new("Ratio", "x", "success ratio").with_domain(Domain::Unit);
    let m = lines_model(
        &s,
        &[Panel {
            title: String::new(),
            series: ratios,
        }],
        LineStyle::ErrorBars,
        None,
    )
    .unwrap();
    assert_legible(&m, "unit errorbars");
    assert!(
        m.panels[0].y.min >= 0.0 && m.panels[0].y.max <= 1.0,
        "{:?}",
        (m.panels[0].y.min, m.panels[0].y.max)
    );
}

#[test]
fn long_titles_wrap_inside_the_canvas() {
    let long = "sec_funds_stolen_sat vs security.offline.mean_offline_s (security.challenge_period_blocks=1, security.watchtower_coverage=0.5, and a few more words to be sure)";
    let s = ChartSpec::new(long, "security.offline.mean_offline_s (seconds away, mean of an exponential)", long)
        .with_subtitle("Error bars: 95% Student-t interval of the mean, n = 2 replications. A_very_long_unbreakable_token_that_cannot_wrap_at_spaces_anywhere_at_all_in_it_whatsoever_really_long");
    let m = lines_model(
        &s,
        &[Panel {
            title: String::new(),
            series: two_series(),
        }],
        LineStyle::ErrorBars,
        None,
    )
    .unwrap();
    assert_legible(&m, "long titles");
    assert!(m.texts_with(TextRole::Title).count() >= 2, "title wrapped");
}

#[test]
fn facets_one_panel_per_point_share_axes_and_legend() {
    let panels: Vec<Panel> = (0..18)
        .map(|p| Panel {
            title: format!(
                "challenge_period_blocks={}, mean_offline_s={}, watchtower_coverage={}",
                [1, 3, 12][p % 3],
                [1800, 7200][p % 2],
                p
            ),
            series: (0..7)
                .map(|j| Series {
                    name: format!("strategy-{j}"),
                    points: (1..=24)
                        .map(|k| {
                            let y = 0.3 + 0.05 * j as f64 + 0.01 * (k % 5) as f64;
                            Point::with_interval(k as f64 / 12.0, y, y - 0.4, y + 0.4)
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    let s = ChartSpec::new(
        "Payment success ratio over time",
        "simulated time (h)",
        "success ratio per window",
    )
    .with_domain(Domain::Unit)
    .with_subtitle("Bands: 95% Student-t interval of the mean across n = 2 replications.");
    let m = lines_model(&s, &panels, LineStyle::Band, None).unwrap();
    assert_legible(&m, "18 facets");
    assert_eq!(m.panels.len(), 18);
    assert_eq!(
        m.texts_with(TextRole::Legend).count(),
        7,
        "one legend for all panels"
    );
    assert!(m.size.1 > CHART_SIZE.1, "grows downwards: {:?}", m.size);
    let first = &m.panels[0];
    assert!(
        m.panels
            .iter()
            .all(|p| p.y.min == first.y.min && p.y.max == first.y.max),
        "shared y axis"
    );
    for n in [2, 3, 4, 5] {
        let m = lines_model(&s, &panels[..n], LineStyle::Band, None).unwrap();
        assert_legible(&m, &format!("{n} facets"));
    }
    let dir = tempfile::tempdir().expect("tempdir");
    facet_lines(dir.path().join("facets"), &s, &panels[..4], LineStyle::Band).unwrap();
    check_outputs(&dir.path().join("facets"), m_size(&s, &panels[..4]));
}

fn m_size(s: &ChartSpec, panels: &[Panel]) -> (u32, u32) {
    lines_model(s, panels, LineStyle::Band, None).unwrap().size
}

#[test]
fn scatter_labels_never_collide() {
    let s = ChartSpec::new(
        "Success ratio vs rebalancing cost",
        "fees (sat)",
        "payment success ratio",
    )
    .with_x_scale(XScale::SymLog)
    .with_domain(Domain::Unit);
    let m = scatter_model(
        &s,
        &[ScatterPanel {
            title: String::new(),
            x_label: "fees (sat)".into(),
            x_scale: XScale::SymLog,
            points: compare_like(),
        }],
    )
    .unwrap();
    assert_legible(&m, "scatter");
    let p = &m.panels[0];
    assert_eq!(p.x.min, 0.0, "zero cost is on the axis");
    assert!(
        p.x.ticks.iter().any(|(v, l)| *v == 0.0 && l == "0"),
        "a 0 tick: {:?}",
        p.x.ticks
    );
    assert!(matches!(p.x.scale, Scale::SymLog(_)));
    let labels: Vec<_> = m.texts_with(TextRole::PointLabel).collect();
    let legend: Vec<_> = m.texts_with(TextRole::Legend).collect();
    assert_eq!(
        labels.len() + legend.len(),
        7,
        "every strategy named once, by label or legend"
    );
    let markers: Vec<(f64, f64)> = p
        .marks
        .iter()
        .filter_map(|k| match k {
            Mark::Marker { at, .. } => Some(*at),
            _ => None,
        })
        .collect();
    for l in &labels {
        for &(x, y) in &markers {
            assert!(
                !Rect::centered(x, y, 2.0 * MARKER_PX, 2.0 * MARKER_PX).intersects(&l.rect),
                "label {:?} covers a marker",
                l.text
            );
        }
    }
    // Everything on one spot: labels still do not collide (leader lines or a legend).
    let pile: Vec<LabelledPoint> = (0..12)
        .map(|i| LabelledPoint {
            label: format!("strategy number {i}"),
            x: 100.0 + i as f64,
            y: 0.5,
            x_interval: None,
            y_interval: Some((0.4, 0.6)),
        })
        .collect();
    let m = scatter_model(
        &s,
        &[ScatterPanel {
            title: String::new(),
            x_label: "x".into(),
            x_scale: XScale::Linear,
            points: pile,
        }],
    )
    .unwrap();
    assert_legible(&m, "pile");
}

#[test]
fn scatter_panels_fees_and_capital() {
    let mut capital = compare_like();
    for q in &mut capital {
        q.x = if q.label == "splice" { 1.2e9 } else { 0.0 };
        q.x_interval = None;
    }
    let s =
        ChartSpec::new("Success vs cost", "", "payment success ratio").with_domain(Domain::Unit);
    let panels = [
        ScatterPanel {
            title: "fees".into(),
            x_label: "rebalancing fees (sat)".into(),
            x_scale: XScale::SymLog,
            points: compare_like(),
        },
        ScatterPanel {
            title: "capital".into(),
            x_label: "capital added (sat)".into(),
            x_scale: XScale::SymLog,
            points: capital,
        },
    ];
    let m = scatter_model(&s, &panels).unwrap();
    assert_legible(&m, "scatter panels");
    assert_eq!(m.panels.len(), 2);
    let dir = tempfile::tempdir().expect("tempdir");
    scatter_panels(dir.path().join("sp"), &s, &panels).unwrap();
    let svg = check_outputs(&dir.path().join("sp"), m.size);
    assert!(svg.contains("capital added"));
}

#[test]
fn scatter_chart_writes_labels() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stem = dir.path().join("scatter");
    let pts = vec![
        LabelledPoint {
            label: "circular".into(),
            x: 100.0,
            y: 0.7,
            x_interval: Some((90.0, 110.0)),
            y_interval: Some((0.65, 0.75)),
        },
        LabelledPoint {
            label: "submarine".into(),
            x: 300.0,
            y: 0.8,
            x_interval: None,
            y_interval: Some((f64::NAN, 0.9)),
        },
        LabelledPoint {
            label: "broken".into(),
            x: f64::NAN,
            y: 0.8,
            x_interval: None,
            y_interval: None,
        },
    ];
    scatter_chart(&stem, &spec("Trade-off"), &pts).expect("drawn");
    let svg = check_outputs(&stem, CHART_SIZE);
    assert!(svg.contains("Trade-off") && svg.contains("circular") && svg.contains("submarine"));
    assert!(!svg.contains("broken"), "NaN point must be skipped");
}

#[test]
fn dot_chart_of_differences() {
    let cats: Vec<String> = ["circular", "proactive", "jit", "periodic", "splice", "loop"]
        .map(String::from)
        .to_vec();
    let s = Series {
        name: "success ratio".into(),
        points: [0.0008, -0.0006, 0.0017, 0.0007, 0.242, 0.074]
            .iter()
            .map(|&d| Point::with_interval(0.0, d, d - 0.01, d + 0.01))
            .collect(),
    };
    let spec = ChartSpec::new(
        "Paired difference vs none",
        "strategy",
        "difference in success ratio",
    )
    .with_reference(0.0);
    let m = lines_model(
        &spec,
        &[Panel {
            title: String::new(),
            series: vec![s.clone()],
        }],
        LineStyle::ErrorBars,
        Some(&cats),
    )
    .unwrap();
    assert_legible(&m, "dots");
    let p = &m.panels[0];
    assert!(p.y.min < 0.0 && p.y.max > 0.242);
    let dir = tempfile::tempdir().expect("tempdir");
    dot_chart(dir.path().join("dots"), &spec, &cats, &[s]).unwrap();
    check_outputs(&dir.path().join("dots"), CHART_SIZE);
}

#[test]
fn bar_chart_writes_categories_and_groups() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stem = dir.path().join("bars");
    let cats: Vec<String> = vec!["none".into(), "circular".into(), "splice".into()];
    let groups = vec![
        BarGroup {
            name: "on-chain txs".into(),
            values: vec![0.0, 3.0, f64::NAN],
            err: Some(vec![0.5, f64::NAN, 1.0]),
        },
        BarGroup {
            name: "scenario B".into(),
            values: vec![1.0, -2.0, 4.0],
            err: None,
        },
    ];
    bar_chart(&stem, &spec("Bars"), &cats, &groups).expect("drawn");
    let svg = check_outputs(&stem, CHART_SIZE);
    for text in [
        "Bars",
        "none",
        "circular",
        "splice",
        "on-chain txs",
        "scenario B",
    ] {
        assert!(svg.contains(text), "svg lacks {text:?}");
    }
    assert_legible(&bar_model(&spec("Bars"), &cats, &groups).unwrap(), "bars");
    // Many long categories: labels shrink or thin, never overlap.
    let many: Vec<String> = (0..14)
        .map(|i| format!("strategy with a long name {i}"))
        .collect();
    let g = vec![BarGroup {
        name: "v".into(),
        values: (0..14).map(f64::from).collect(),
        err: None,
    }];
    assert_legible(&bar_model(&spec("Many"), &many, &g).unwrap(), "many bars");
}

#[test]
fn bar_chart_rejects_ragged_groups() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stem = dir.path().join("ragged");
    let cats = vec!["a".to_string(), "b".to_string()];
    let bad = vec![BarGroup {
        name: "g".into(),
        values: vec![1.0],
        err: None,
    }];
    assert!(matches!(
        bar_chart(&stem, &spec("x"), &cats, &bad),
        Err(ChartError::InvalidInput(_))
    ));
    let bad_err = vec![BarGroup {
        name: "g".into(),
        values: vec![1.0, 2.0],
        err: Some(vec![1.0]),
    }];
    assert!(bar_chart(&stem, &spec("x"), &cats, &bad_err).is_err());
    assert!(
        !with_suffix(&stem, "png").exists(),
        "nothing written on bad input"
    );
}

#[test]
fn cdf_chart_linear_and_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let series = vec![
        CdfSeries {
            name: "latency A".into(),
            values: (1..500).map(|i| f64::from(i) * 1.7).collect(),
        },
        CdfSeries {
            name: "latency B".into(),
            values: vec![0.0, -1.0, 5.0, f64::NAN, 50.0, 500.0],
        },
    ];
    for log_x in [false, true] {
        let stem = dir.path().join(format!("cdf_{log_x}"));
        cdf_chart(&stem, &spec("CDF"), &series, log_x).expect("drawn");
        let svg = check_outputs(&stem, CHART_SIZE);
        assert!(svg.contains("CDF") && svg.contains("latency A") && svg.contains("latency B"));
        assert_legible(&cdf_model(&spec("CDF"), &series, log_x).unwrap(), "cdf");
    }
}

#[test]
fn empty_and_nan_inputs_do_not_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = |name: &str| dir.path().join(name);
    let has_note = |stem: &Path| check_outputs(stem, CHART_SIZE).contains("no data");
    line_chart(d("l0"), &spec("empty"), &[]).expect("empty line chart");
    assert!(has_note(&d("l0")));
    line_chart(d("l1"), &spec("nan"), &nan_series()).expect("nan line chart");
    check_outputs(&d("l1"), CHART_SIZE);
    errorbar_lines(d("e0"), &spec("empty"), &nan_series()).expect("nan errorbars");
    check_outputs(&d("e0"), CHART_SIZE);
    scatter_chart(d("s0"), &spec("empty"), &[]).expect("empty scatter");
    assert!(has_note(&d("s0")));
    bar_chart(d("b0"), &spec("empty"), &[], &[]).expect("empty bars");
    check_outputs(&d("b0"), CHART_SIZE);
    let all_nan = vec![BarGroup {
        name: "nan".into(),
        values: vec![f64::NAN],
        err: None,
    }];
    bar_chart(d("b1"), &spec("nan"), &["x".to_string()], &all_nan).expect("nan bars");
    assert!(has_note(&d("b1")));
    let nan_cdf = vec![CdfSeries {
        name: "nan".into(),
        values: vec![f64::NAN, -3.0],
    }];
    cdf_chart(d("c0"), &spec("empty"), &[], false).expect("empty cdf");
    check_outputs(&d("c0"), CHART_SIZE);
    cdf_chart(d("c1"), &spec("nan"), &nan_cdf, true).expect("cdf, nothing positive");
    assert!(has_note(&d("c1")));
    let one = vec![Series {
        name: "one".into(),
        points: vec![Point::new(5.0, 5.0)],
    }];
    let mut bad_range = spec("one");
    bad_range.y_range = Some((1.0, 1.0));
    line_chart(d("one"), &bad_range, &one).expect("single point");
    check_outputs(&d("one"), CHART_SIZE);
    for s in [nan_series(), vec![], one] {
        let m = lines_model(
            &spec("x"),
            &[Panel {
                title: String::new(),
                series: s,
            }],
            LineStyle::ErrorBars,
            None,
        )
        .unwrap();
        assert_legible(&m, "degenerate");
    }
}

#[test]
fn many_series_cycle_palette_and_markers() {
    let series: Vec<Series> = (0..11)
        .map(|j| Series {
            name: format!("s{j}"),
            points: (0..4)
                .map(|i| Point::new(i as f64, (i * j) as f64))
                .collect(),
        })
        .collect();
    let m = lines_model(
        &spec("many"),
        &[Panel {
            title: String::new(),
            series,
        }],
        LineStyle::ErrorBars,
        None,
    )
    .unwrap();
    assert_legible(&m, "many");
    assert_eq!(series_color(0), series_color(8));
    assert_ne!(series_color(0), series_color(1));
}

#[test]
fn embedded_fonts_are_registered_and_bold_differs() {
    register_fonts().expect("fonts");
    let text = "Payment success ratio";
    let normal = ("sans-serif", 40.0)
        .into_font()
        .box_size(text)
        .expect("normal");
    let bold = FontDesc::new(FontFamily::SansSerif, 40.0, FontStyle::Bold)
        .box_size(text)
        .expect("bold");
    assert!(normal.0 > 100, "text has width: {normal:?}");
    assert!(
        bold.0 > normal.0,
        "bold {bold:?} wider than normal {normal:?}"
    );
}

#[test]
fn clipping_cuts_lines_and_polygons_at_the_frame() {
    let r = Rect::new(0.0, 0.5, 10.0, 1.5);
    // (0, 0) → (2, 2) clipped to 0.5..=1.5 is the piece (0.5, 0.5) → (1.5, 1.5).
    assert_eq!(
        clip_polyline(&[(0.0, 0.0), (2.0, 2.0)], &r),
        vec![vec![(0.5, 0.5), (1.5, 1.5)]]
    );
    // A line that leaves and re-enters gives two runs.
    let r2 = Rect::new(-1.0, 0.0, 3.0, 2.0);
    assert_eq!(
        clip_polyline(&[(0.0, 1.0), (1.0, 3.0), (2.0, 1.0)], &r2).len(),
        2
    );
    let poly = clip_polygon(
        &[(0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (0.0, 2.0)],
        &Rect::new(1.0, 1.0, 3.0, 3.0),
    );
    assert_eq!(poly.len(), 4);
    assert!(poly
        .iter()
        .all(|&(x, y)| (1.0..=2.0).contains(&x) && (1.0..=2.0).contains(&y)));
}

#[test]
fn ticks_are_round_and_cover_the_data() {
    let a = linear_axis(0.1, 0.94, Domain::Real);
    assert!(a.min <= 0.1 && a.max >= 0.94 && a.min >= 0.0);
    assert!(a.ticks.iter().any(|(_, l)| l == "0.2"));
    let b = linear_axis(0.0, 9100.0, Domain::NonNegative);
    assert_eq!(b.min, 0.0);
    assert!(b.ticks.iter().any(|(_, l)| l == "2,000"));
    let u = linear_axis(0.2, 0.99, Domain::Unit);
    assert!(u.max <= 1.0 && u.max >= 0.99);
    let s = symlog_axis(492.0, 2.6e6);
    let labels: Vec<&str> = s.ticks.iter().map(|(_, l)| l.as_str()).collect();
    assert_eq!(&labels[..4], &["0", "100", "1k", "10k"], "{labels:?}");
    assert!(labels.contains(&"1M"));
    assert_eq!(format_number(-12_345.0, 0), "-12,345");
    assert_eq!(format_number(0.25, 2), "0.25");
    assert_eq!(format_number(60_000_000.0, 0), "60M");
    assert_eq!(format_number(1_250_000.0, 0), "1.25M");
    assert_eq!(format_number(-0.0, 1), "0.0");
}

#[test]
fn million_ticks_share_one_unit() {
    let a = linear_axis(0.0, 3.1e6, Domain::NonNegative);
    let labels: Vec<&str> = a.ticks.iter().map(|(_, l)| l.as_str()).collect();
    assert!(
        labels.iter().all(|l| *l == "0" || l.ends_with('M')),
        "{labels:?}"
    );
    assert!(
        labels.contains(&"0.5M") && labels.contains(&"1.0M"),
        "{labels:?}"
    );
}
