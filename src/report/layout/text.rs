//! Text measurement, fitting and wrapping, and number formatting for axis ticks.

use super::*;

pub(crate) fn font_desc(px: f64, bold: bool) -> FontDesc<'static> {
    let style = if bold {
        FontStyle::Bold
    } else {
        FontStyle::Normal
    };
    FontDesc::new(FontFamily::SansSerif, px, style)
}

/// Width of `text` at nominal size `px` in the PNG renderer (the wider of the two).
pub(crate) fn text_width(text: &str, px: f64, bold: bool) -> f64 {
    font_desc(px, bold)
        .box_size(text)
        .map(|(w, _)| f64::from(w))
        .unwrap_or(0.62 * px * text.chars().count() as f64)
}

/// The box of a horizontal text centred on `(cx, cy)`: the renderers' glyphs (PNG draws
/// them up to 0.13 em higher than SVG) fit inside it.
pub(crate) fn text_box(text: &str, px: f64, bold: bool, cx: f64, cy: f64) -> Rect {
    let w = text_width(text, px, bold) + 4.0;
    Rect::centered(cx, cy, w, px)
}

pub(crate) fn text_item(
    text: &str,
    role: TextRole,
    px: f64,
    bold: bool,
    rect: Rect,
    color: RGBColor,
) -> TextItem {
    TextItem {
        text: text.to_owned(),
        role,
        rect,
        px,
        bold,
        vertical: false,
        color,
    }
}

/// Lines of `text` no wider than `max_w` at the returned size: wrapped at spaces at the
/// preferred size if possible, else at smaller sizes down to [`MIN_TEXT_PX`], else cut
/// inside words at that size. At most `max_lines` lines unless cutting is needed.
pub(crate) fn fit_text(
    text: &str,
    px: f64,
    bold: bool,
    max_w: f64,
    max_lines: usize,
) -> (f64, Vec<String>) {
    let max_w = max_w.max(40.0);
    let mut size = px;
    loop {
        let lines = wrap_words(text, size, bold, max_w);
        let fits = lines
            .iter()
            .all(|l| text_width(l, size, bold) + 4.0 <= max_w);
        if fits && lines.len() <= max_lines.max(1) {
            return (size, lines);
        }
        if size <= MIN_TEXT_PX {
            // Cut the words that still do not fit.
            let mut out = Vec::new();
            for l in lines {
                let mut cur = String::new();
                for c in l.chars() {
                    cur.push(c);
                    if text_width(&cur, size, bold) + 4.0 > max_w && cur.chars().count() > 1 {
                        cur.pop();
                        out.push(std::mem::take(&mut cur));
                        cur.push(c);
                    }
                }
                out.push(cur);
            }
            return (size, out);
        }
        size = (size * 0.9).max(MIN_TEXT_PX);
    }
}

pub(super) fn wrap_words(text: &str, px: f64, bold: bool, max_w: f64) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let candidate = if cur.is_empty() {
            word.to_owned()
        } else {
            format!("{cur} {word}")
        };
        if cur.is_empty() || text_width(&candidate, px, bold) + 4.0 <= max_w {
            cur = candidate;
        } else {
            lines.push(std::mem::replace(&mut cur, word.to_owned()));
        }
    }
    if !cur.is_empty() || lines.is_empty() {
        lines.push(cur);
    }
    lines
}

/// 1, 2 or 5 times a power of ten, close to `raw`.
pub(crate) fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let k = if norm < 1.5 {
        1.0
    } else if norm < 3.0 {
        2.0
    } else if norm < 7.0 {
        5.0
    } else {
        10.0
    };
    k * mag
}

/// The next nice step above `step` (1 → 2 → 5 → 10).
pub(super) fn next_nice(step: f64) -> f64 {
    nice_step(step * 1.6)
}

/// Writes a number with `decimals` decimals, thousands separators, and SI suffixes from a
/// million on (`1.5M`, `60M`, `2G`) where long digit strings would crowd an axis.
pub fn format_number(v: f64, decimals: usize) -> String {
    let a = v.abs();
    if a >= 1e6 && a.is_finite() {
        let (div, suffix) = if a >= 1e12 {
            (1e12, "T")
        } else if a >= 1e9 {
            (1e9, "G")
        } else {
            (1e6, "M")
        };
        let x = v / div;
        let s = format!("{x:.2}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        return format!("{s}{suffix}");
    }
    if a != 0.0 && a < 1e-4 {
        return format!("{v:.1e}");
    }
    if decimals == 0 && a >= 1_000.0 {
        let s = format!("{:.0}", a);
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        return if v < 0.0 { format!("-{out}") } else { out };
    }
    let s = format!("{v:.decimals$}");
    // No "-0.0".
    if s.trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        s.trim_start_matches('-').to_owned()
    } else {
        s
    }
}

/// Powers of ten in short form: 1, 10, 100, 1k, 10k, 100k, 1M, …; 0.1, 0.01.
pub(super) fn format_power(v: f64) -> String {
    let a = v.abs();
    let sign = if v < 0.0 { "-" } else { "" };
    let body = if a == 0.0 {
        "0".to_owned()
    } else if a >= 1e12 {
        format!("{}T", trim(a / 1e12))
    } else if a >= 1e9 {
        format!("{}G", trim(a / 1e9))
    } else if a >= 1e6 {
        format!("{}M", trim(a / 1e6))
    } else if a >= 1e3 {
        format!("{}k", trim(a / 1e3))
    } else if a >= 1.0 {
        trim(a)
    } else {
        let d = (-a.log10() - 1e-9).ceil().max(0.0) as usize;
        format!("{a:.d$}")
    };
    format!("{sign}{body}")
}

pub(super) fn trim(x: f64) -> String {
    let s = format!("{x:.1}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}
