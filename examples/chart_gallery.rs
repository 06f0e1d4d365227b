//! Draws every chart type of `pcnsim::report::charts` with synthetic data into
//! `target/chart-gallery/`, to check legibility by eye.
//!
//! Run with `cargo run --example chart_gallery`.

use pcnsim::report::charts::{
    bar_chart, cdf_chart, dot_chart, errorbar_lines, facet_lines, line_chart, scatter_chart,
    BarGroup, CdfSeries, ChartSpec, Domain, LabelledPoint, LineStyle, Panel, Point, Series, XScale,
};
use pcnsim::report::stats::Summary;

const STRATEGIES: [&str; 5] = ["none", "circular", "submarine", "splice-in", "hybrid"];

/// A deterministic pseudo-random stream (SplitMix64) for the synthetic data.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::path::Path::new("target/chart-gallery");
    let mut rng = Mix(42);

    // Success ratio against load, mean and 95 % CI over 10 replications.
    let series: Vec<Series> = STRATEGIES
        .iter()
        .enumerate()
        .map(|(j, name)| {
            let points = (1..=10)
                .map(|k| {
                    let load = k as f64 * 10.0;
                    let base = 0.98 - (0.004 + 0.0012 * (4 - j) as f64) * load;
                    let reps: Vec<f64> =
                        (0..10).map(|_| base + 0.04 * (rng.next() - 0.5)).collect();
                    let s = Summary::from_slice(&reps);
                    Point::with_interval(load, s.mean, s.ci95_lo, s.ci95_hi)
                })
                .collect();
            Series {
                name: name.to_string(),
                points,
            }
        })
        .collect();
    line_chart(
        out.join("line"),
        &ChartSpec::new(
            "Payment success ratio vs load",
            "offered load (payments/s)",
            "success ratio",
        ),
        &series,
    )?;
    errorbar_lines(
        out.join("errorbar"),
        &ChartSpec::new(
            "Success ratio vs channel capacity scale",
            "capacity scale factor (×)",
            "success ratio",
        )
        .with_y_range(0.0, 1.0),
        &series,
    )?;

    // A fixed range narrower than the data: lines must be clipped at the frame.
    line_chart(
        out.join("line_clipped"),
        &ChartSpec::new(
            "Zoomed: success ratio",
            "offered load (payments/s)",
            "success ratio",
        )
        .with_y_range(0.5, 0.8),
        &series,
    )?;

    // Small multiples: one panel per sweep point, shared axes and legend.
    let panels: Vec<Panel> = [0.0, 0.3, 0.6, 0.9]
        .iter()
        .map(|share| Panel {
            title: format!("one_way.share = {share}"),
            series: series
                .iter()
                .map(|s| Series {
                    name: s.name.clone(),
                    points: s
                        .points
                        .iter()
                        .map(|p| Point {
                            y: p.y * (1.0 - 0.5 * share),
                            ..*p
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    facet_lines(
        out.join("facets"),
        &ChartSpec::new(
            "Success ratio vs load, per demand imbalance",
            "offered load (payments/s)",
            "success ratio",
        )
        .with_domain(Domain::Unit)
        .with_subtitle("Bands: 95% Student-t interval, n = 10 replications."),
        &panels,
        LineStyle::Band,
    )?;

    // Paired differences against a baseline, one dot per strategy.
    let others: Vec<String> = STRATEGIES[1..].iter().map(|s| s.to_string()).collect();
    dot_chart(
        out.join("dots"),
        &ChartSpec::new(
            "Success ratio: difference from none",
            "strategy",
            "success ratio − none's",
        )
        .with_reference(0.0),
        &others,
        &[Series {
            name: "difference".into(),
            points: [0.002, 0.11, 0.24, 0.07]
                .iter()
                .map(|&d| Point::with_interval(0.0, d, d - 0.03, d + 0.03))
                .collect(),
        }],
    )?;

    // Trade-off: success ratio against rebalancing cost, one point per strategy.
    let points: Vec<LabelledPoint> = STRATEGIES
        .iter()
        .enumerate()
        .map(|(j, name)| {
            let cost = [0.0, 1200.0, 5400.0, 9100.0, 3100.0][j];
            let succ = [0.61, 0.74, 0.82, 0.86, 0.80][j];
            LabelledPoint {
                label: name.to_string(),
                x: cost,
                y: succ,
                x_interval: (j > 0).then_some((cost * 0.9, cost * 1.1)),
                y_interval: Some((succ - 0.02, succ + 0.02)),
            }
        })
        .collect();
    scatter_chart(
        out.join("scatter"),
        &ChartSpec::new(
            "Success vs rebalancing cost",
            "rebalancing fees paid (sat per 1000 payments)",
            "success ratio",
        )
        .with_x_scale(XScale::SymLog)
        .with_domain(Domain::Unit),
        &points,
    )?;

    // Grouped bars: on-chain transactions per strategy in three scenarios.
    let categories: Vec<String> = STRATEGIES.iter().map(|s| s.to_string()).collect();
    let groups: Vec<BarGroup> = ["uniform", "skewed", "merchant-heavy"]
        .iter()
        .enumerate()
        .map(|(g, name)| BarGroup {
            name: name.to_string(),
            values: (0..5)
                .map(|j| [0.0, 3.0, 41.0, 18.0, 12.0][j] * (1.0 + 0.5 * g as f64))
                .collect(),
            err: Some((0..5).map(|j| 1.0 + j as f64 * (1.0 + g as f64)).collect()),
        })
        .collect();
    bar_chart(
        out.join("bars"),
        &ChartSpec::new(
            "On-chain transactions per strategy",
            "rebalancing strategy",
            "on-chain transactions (per day)",
        ),
        &categories,
        &groups,
    )?;

    // CDFs of payment latency (log-normal-ish), linear and log axes.
    let cdfs: Vec<CdfSeries> = STRATEGIES
        .iter()
        .enumerate()
        .map(|(j, name)| CdfSeries {
            name: name.to_string(),
            values: (0..2000)
                .map(|_| {
                    // Sum of uniforms ≈ normal, exponentiated.
                    let z: f64 = (0..12).map(|_| rng.next()).sum::<f64>() - 6.0;
                    (5.0 + 0.3 * j as f64 + 0.8 * z).exp()
                })
                .collect(),
        })
        .collect();
    cdf_chart(
        out.join("cdf"),
        &ChartSpec::new("Payment latency", "latency (ms)", "fraction of payments"),
        &cdfs,
        false,
    )?;
    cdf_chart(
        out.join("cdf_log"),
        &ChartSpec::new(
            "Payment latency",
            "latency (ms, log scale)",
            "fraction of payments",
        ),
        &cdfs,
        true,
    )?;

    // Degenerate input: nothing to draw.
    line_chart(
        out.join("empty"),
        &ChartSpec::new("Empty input", "x (unit)", "y (unit)"),
        &[Series {
            name: "nothing".into(),
            points: vec![Point::new(f64::NAN, 1.0)],
        }],
    )?;
    println!("charts written to {}", out.display());
    Ok(())
}
