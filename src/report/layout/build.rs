//! Figure layout: from a [`Frame`] (texts, panels with their axes) and the panel contents to
//! a [`ChartModel`] (header, legend placement, panel grid, plot areas).

use super::*;

/// What to lay out: header texts, panels (each with its axes, unmapped), legend.
pub(crate) struct Frame {
    pub title: String,
    pub subtitle: String,
    pub x_title: String,
    pub y_title: String,
    /// Per panel: title (may be empty), its own x title (empty: the shared one), x and y axes.
    pub panels: Vec<FramePanel>,
    pub legend: Vec<LegendEntry>,
    pub legend_mode: LegendMode,
    /// Vertical grid lines.
    pub x_grid: bool,
}

pub(crate) struct FramePanel {
    pub title: String,
    pub x_title: String,
    pub x: AxisModel,
    pub y: AxisModel,
}

/// Per-panel content: given the panel index and its placed axes and plot, the marks and
/// extra texts (point labels, notes) to draw. Texts returned here must avoid each other;
/// the layout adds them as they are.
pub(crate) type Content<'a> =
    dyn Fn(usize, &AxisModel, &AxisModel, &Rect) -> (Vec<Mark>, Vec<TextItem>) + 'a;

pub(super) fn columns(n: usize) -> usize {
    match n {
        0 | 1 => 1,
        2 | 4 => 2,
        _ => 3,
    }
}

/// Lays out `frame` and fills it with `content`. With [`LegendMode::Inside`] the legend
/// goes into the plot corner that covers no mark; when every corner covers some, the chart
/// is laid out again with the legend right of the plot.
pub(crate) fn build(frame: &Frame, content: &Content<'_>) -> ChartModel {
    if frame.legend_mode == LegendMode::Inside && !frame.legend.is_empty() {
        let m = build_with(frame, LegendMode::Inside, content);
        if m.legend.is_some() {
            return m;
        }
        build_with(frame, LegendMode::Right, content)
    } else {
        build_with(frame, frame.legend_mode, content)
    }
}

pub(super) const BLACK_TEXT: RGBColor = RGBColor(0, 0, 0);
pub(super) const GREY_TEXT: RGBColor = RGBColor(0x44, 0x44, 0x44);

pub(super) fn legend_entry_width(e: &LegendEntry) -> f64 {
    GLYPH_W + 10.0 + text_width(&e.name, LEGEND_PX, false) + 4.0
}

pub(super) fn build_with(frame: &Frame, mode: LegendMode, content: &Content<'_>) -> ChartModel {
    let n = frame.panels.len().max(1);
    let cols = columns(n);
    let rows = n.div_ceil(cols);
    let single = frame.panels.len() <= 1;
    let width = if cols >= 3 { 1500.0 } else { 1200.0 };
    let inner_w = width - 2.0 * MARGIN;
    let mut texts: Vec<TextItem> = Vec::new();

    // Header: title and subtitle, wrapped.
    let mut y = MARGIN;
    let (tpx, tlines) = fit_text(&frame.title, TITLE_PX, true, inner_w, 2);
    for l in &tlines {
        let r = text_box(l, tpx, true, width / 2.0, y + tpx / 2.0);
        texts.push(text_item(l, TextRole::Title, tpx, true, r, BLACK_TEXT));
        y += tpx * 1.12;
    }
    if !frame.subtitle.is_empty() {
        y += 4.0;
        let (spx, slines) = fit_text(&frame.subtitle, SUBTITLE_PX, false, inner_w, 3);
        for l in &slines {
            let r = text_box(l, spx, false, width / 2.0, y + spx / 2.0);
            texts.push(text_item(l, TextRole::Subtitle, spx, false, r, GREY_TEXT));
            y += spx * 1.15;
        }
    }
    y += 8.0;

    // Legend in rows under the header.
    let mut legend = None;
    let show_legend = mode != LegendMode::None && !frame.legend.is_empty();
    if show_legend && mode == LegendMode::Top {
        let row_h = LEGEND_PX * 1.3;
        let mut rows_of: Vec<Vec<&LegendEntry>> = vec![Vec::new()];
        let mut row_w = 0.0;
        for e in &frame.legend {
            let w = legend_entry_width(e) + 28.0;
            if row_w + w > inner_w && !rows_of.last().is_some_and(|r| r.is_empty()) {
                rows_of.push(Vec::new());
                row_w = 0.0;
            }
            row_w += w;
            if let Some(r) = rows_of.last_mut() {
                r.push(e);
            }
        }
        let top = y;
        let mut glyphs = Vec::new();
        for row in &rows_of {
            let total: f64 = row.iter().map(|e| legend_entry_width(e)).sum::<f64>()
                + 28.0 * (row.len() as f64 - 1.0);
            let mut x = (width - total) / 2.0;
            let cy = y + row_h / 2.0;
            for e in row {
                glyphs.push((e.glyph, (x + GLYPH_W / 2.0, cy)));
                let tw = text_width(&e.name, LEGEND_PX, false) + 4.0;
                let r = Rect::centered(x + GLYPH_W + 10.0 + tw / 2.0, cy, tw, LEGEND_PX);
                texts.push(text_item(
                    &e.name,
                    TextRole::Legend,
                    LEGEND_PX,
                    false,
                    r,
                    BLACK_TEXT,
                ));
                x += legend_entry_width(e) + 28.0;
            }
            y += row_h;
        }
        legend = Some(LegendModel {
            rect: Rect::new(MARGIN, top, width - MARGIN, y),
            boxed: false,
            glyphs,
        });
        y += 10.0;
    }
    let header_bottom = y;

    // Legend column on the right.
    let legend_box_w = frame
        .legend
        .iter()
        .map(|e| legend_entry_width(e) + 24.0)
        .fold(0.0, f64::max);
    let right_reserved = if show_legend && mode == LegendMode::Right {
        legend_box_w + 16.0
    } else {
        0.0
    };

    // Shared axis titles.
    let shared_x = frame.panels.iter().all(|p| p.x_title.is_empty());
    let cell_h = if single {
        0.0
    } else if n <= 2 {
        1.45 * FACET_CELL_H
    } else {
        FACET_CELL_H
    };
    let height = if single {
        f64::from(super::super::charts::CHART_SIZE.1)
    } else {
        let xt = if shared_x { AXIS_TITLE_PX * 1.3 } else { 0.0 };
        (header_bottom + rows as f64 * cell_h + xt + MARGIN).ceil()
    };
    let grid_x0_base = MARGIN;
    let grid_right = width - MARGIN - right_reserved;
    let mut grid_bottom = height - MARGIN;
    if shared_x && !frame.x_title.is_empty() {
        let (xpx, xlines) = fit_text(
            &frame.x_title,
            AXIS_TITLE_PX,
            false,
            grid_right - grid_x0_base - 80.0,
            2,
        );
        let h = xlines.len() as f64 * xpx * 1.15;
        let mut ty = grid_bottom - h;
        let cx = (grid_x0_base + 80.0 + grid_right) / 2.0;
        for l in &xlines {
            let r = text_box(l, xpx, false, cx, ty + xpx / 2.0);
            texts.push(text_item(l, TextRole::AxisTitle, xpx, false, r, BLACK_TEXT));
            ty += xpx * 1.15;
        }
        grid_bottom -= h + 6.0;
    }
    let mut grid_x0 = grid_x0_base;
    if !frame.y_title.is_empty() {
        let span = grid_bottom - header_bottom;
        let (ypx, ylines) = fit_text(&frame.y_title, AXIS_TITLE_PX, false, span - 20.0, 2);
        for l in &ylines {
            let w = text_width(l, ypx, false) + 4.0;
            let cx = grid_x0 + ypx / 2.0;
            let cy = (header_bottom + grid_bottom) / 2.0;
            let mut t = text_item(
                l,
                TextRole::AxisTitle,
                ypx,
                false,
                Rect::centered(cx, cy, ypx, w),
                BLACK_TEXT,
            );
            t.vertical = true;
            texts.push(t);
            grid_x0 += ypx * 1.15;
        }
        grid_x0 += 6.0;
    }

    // Panels.
    let grid_w = grid_right - grid_x0;
    let grid_h = grid_bottom - header_bottom;
    let cw = grid_w / cols as f64;
    let ch = grid_h / rows as f64;
    let mut panels = Vec::new();
    for (i, fp) in frame.panels.iter().enumerate() {
        let (r, c) = (i / cols, i % cols);
        let cell = Rect::new(
            grid_x0 + c as f64 * cw,
            header_bottom + r as f64 * ch,
            grid_x0 + (c + 1) as f64 * cw,
            header_bottom + (r + 1) as f64 * ch,
        );
        let (panel, mut ptexts) = layout_panel(fp, cell, !single, frame.x_grid);
        texts.append(&mut ptexts);
        panels.push(panel);
    }

    // Content.
    for (i, p) in panels.iter_mut().enumerate() {
        let (marks, mut extra) = content(i, &p.x, &p.y, &p.plot);
        p.marks = marks;
        texts.append(&mut extra);
    }

    // Legend inside the plot, or in the right column.
    if show_legend && (mode == LegendMode::Inside || mode == LegendMode::Right) {
        let row_h = LEGEND_PX * 1.3;
        let h = frame.legend.len() as f64 * row_h + 20.0;
        let w = legend_box_w;
        let rect = if mode == LegendMode::Inside {
            let Some(p) = panels.first() else {
                return ChartModel {
                    size: (width as u32, height as u32),
                    panels,
                    texts,
                    legend: None,
                };
            };
            let inset = 12.0;
            let plot = p.plot;
            let corners = [
                Rect::new(
                    plot.x1 - inset - w,
                    plot.y0 + inset,
                    plot.x1 - inset,
                    plot.y0 + inset + h,
                ),
                Rect::new(
                    plot.x0 + inset,
                    plot.y0 + inset,
                    plot.x0 + inset + w,
                    plot.y0 + inset + h,
                ),
                Rect::new(
                    plot.x1 - inset - w,
                    plot.y1 - inset - h,
                    plot.x1 - inset,
                    plot.y1 - inset,
                ),
                Rect::new(
                    plot.x0 + inset,
                    plot.y1 - inset - h,
                    plot.x0 + inset + w,
                    plot.y1 - inset,
                ),
            ];
            let pts: Vec<(f64, f64)> = p.marks.iter().flat_map(Mark::sample_points).collect();
            let free = corners.iter().find(|r| {
                let slack = r.inflate(6.0);
                r.w() <= plot.w()
                    && r.h() <= plot.h()
                    && !pts.iter().any(|&q| slack.contains(q))
                    && !texts.iter().any(|t| t.rect.intersects(&slack))
            });
            match free {
                Some(r) => *r,
                None => {
                    return ChartModel {
                        size: (width as u32, height as u32),
                        panels,
                        texts,
                        legend: None,
                    }
                }
            }
        } else {
            let top = panels.first().map_or(header_bottom, |p| p.plot.y0);
            Rect::new(width - MARGIN - w, top, width - MARGIN, top + h)
        };
        let mut glyphs = Vec::new();
        for (k, e) in frame.legend.iter().enumerate() {
            let cy = rect.y0 + 10.0 + row_h * (k as f64 + 0.5);
            glyphs.push((e.glyph, (rect.x0 + 12.0 + GLYPH_W / 2.0, cy)));
            let tw = text_width(&e.name, LEGEND_PX, false) + 4.0;
            let x0 = rect.x0 + 12.0 + GLYPH_W + 10.0;
            texts.push(text_item(
                &e.name,
                TextRole::Legend,
                LEGEND_PX,
                false,
                Rect::new(x0, cy - LEGEND_PX / 2.0, x0 + tw, cy + LEGEND_PX / 2.0),
                BLACK_TEXT,
            ));
        }
        legend = Some(LegendModel {
            rect,
            boxed: true,
            glyphs,
        });
    }
    ChartModel {
        size: (width as u32, height as u32),
        panels,
        texts,
        legend,
    }
}

/// Places one panel in `cell`: title, tick labels, optional own x title, plot rectangle.
pub(super) fn layout_panel(
    fp: &FramePanel,
    cell: Rect,
    facet: bool,
    x_grid: bool,
) -> (PanelModel, Vec<TextItem>) {
    let mut texts = Vec::new();
    let pad = if facet { 8.0 } else { 0.0 };
    let mut top = cell.y0 + pad;
    if !fp.title.is_empty() {
        let (px, lines) = fit_text(&fp.title, PANEL_TITLE_PX, true, cell.w() - 16.0, 2);
        for l in &lines {
            let r = text_box(l, px, true, (cell.x0 + cell.x1) / 2.0, top + px / 2.0);
            texts.push(text_item(l, TextRole::PanelTitle, px, true, r, BLACK_TEXT));
            top += px * 1.12;
        }
        top += 4.0;
    }
    let mut bottom = cell.y1 - pad;
    if !fp.x_title.is_empty() {
        let (px, lines) = fit_text(&fp.x_title, AXIS_TITLE_PX, false, cell.w() - 20.0, 2);
        let h = lines.len() as f64 * px * 1.15;
        let mut ty = bottom - h;
        for l in &lines {
            let r = text_box(l, px, false, (cell.x0 + cell.x1) / 2.0, ty + px / 2.0);
            texts.push(text_item(l, TextRole::AxisTitle, px, false, r, BLACK_TEXT));
            ty += px * 1.15;
        }
        bottom -= h + 4.0;
    }
    // Tick label sizes: shrink category labels that are too wide.
    let mut y = fp.y.clone();
    let mut x = fp.x.clone();
    let y_label_w = y
        .labels()
        .map(|l| text_width(l, TICK_PX, false) + 4.0)
        .fold(0.0, f64::max);
    let last_x_w = x
        .ticks
        .last()
        .map_or(0.0, |(_, l)| text_width(l, TICK_PX, false) + 4.0);
    let plot = Rect::new(
        cell.x0 + y_label_w + 16.0,
        top + TICK_PX / 2.0 + 4.0,
        cell.x1 - (last_x_w / 2.0 + 6.0).max(if facet { 16.0 } else { 28.0 }),
        bottom - TICK_PX - 22.0,
    );
    x.px = (plot.x0, plot.x1);
    y.px = (plot.y1, plot.y0);
    // Thin ticks until their labels keep apart (at most 6 rounds).
    let mut xpx = TICK_PX;
    for _ in 0..8 {
        let boxes = x_label_boxes(&x, plot, xpx);
        let crowded = boxes
            .windows(2)
            .any(|w| w[0].inflate(6.0).intersects(&w[1]))
            || boxes.iter().any(|b| b.x0 < cell.x0 || b.x1 > cell.x1);
        if !crowded {
            break;
        }
        if matches!(x.scale, Scale::Categories(_)) && xpx > MIN_TEXT_PX {
            xpx = (xpx * 0.9).max(MIN_TEXT_PX);
            continue;
        }
        match thin(&x) {
            Some(t) => x = t,
            None => break,
        }
    }
    for _ in 0..8 {
        let ys: Vec<f64> = y.ticks.iter().map(|(v, _)| y.to_px(*v)).collect();
        let crowded = ys.windows(2).any(|w| (w[0] - w[1]).abs() < TICK_PX + 6.0);
        if !crowded {
            break;
        }
        match thin(&y) {
            Some(t) => y = t,
            None => break,
        }
    }
    for ((_, l), r) in x.ticks.iter().zip(x_label_boxes(&x, plot, xpx)) {
        texts.push(text_item(l, TextRole::TickLabel, xpx, false, r, BLACK_TEXT));
    }
    for (v, l) in &y.ticks {
        let w = text_width(l, TICK_PX, false) + 4.0;
        let cy = y.to_px(*v);
        let r = Rect::new(
            plot.x0 - 12.0 - w,
            cy - TICK_PX / 2.0,
            plot.x0 - 12.0,
            cy + TICK_PX / 2.0,
        );
        texts.push(text_item(
            l,
            TextRole::TickLabel,
            TICK_PX,
            false,
            r,
            BLACK_TEXT,
        ));
    }
    (
        PanelModel {
            plot,
            x,
            y,
            x_grid,
            marks: Vec::new(),
        },
        texts,
    )
}

pub(super) fn x_label_boxes(x: &AxisModel, plot: Rect, px: f64) -> Vec<Rect> {
    x.ticks
        .iter()
        .map(|(v, l)| text_box(l, px, false, x.to_px(*v), plot.y1 + 18.0 + px / 2.0))
        .collect()
}
