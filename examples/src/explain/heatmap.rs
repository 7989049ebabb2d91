//! Heat maps of inhibition matrices, drawn with plotters to PNG and SVG.
//!
//! Cell (i, j) is coloured by B[i, j] on a diverging scale centred at 0:
//! white at 0, red for inhibition (B > 0), blue for disinhibition (B < 0),
//! full colour at ±max |B|, with a colour bar on the right. Output i runs
//! down the vertical axis (row 0 at the top, as the matrix is printed) and
//! input j along the horizontal one.
//!
//! Matrices wider than [`MAX_CELLS`] are shown in blocks of b × b entries
//! (b = ⌈n / [`MAX_CELLS`]⌉), each coloured by its entry of largest
//! magnitude, so that the strongest links stay visible and the SVG stays
//! small (a 784 × 784 matrix would otherwise be 614,656 rectangles).

use super::links::Matrix;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;
use synann_train::plot::{register_font, spaced, PlotError};

/// The most cells drawn along either axis.
pub const MAX_CELLS: usize = 128;

/// Width and height of the picture, in pixels.
const SIZE: (u32, u32) = (860, 760);

/// Width of the colour bar's area, in pixels.
const BAR_WIDTH: u32 = 130;

/// The colour of `t` ∈ [−1, 1]: blue at −1, white at 0, red at 1 (the ends
/// of ColorBrewer's RdBu scale).
pub fn diverging(t: f64) -> RGBColor {
    let t = t.clamp(-1.0, 1.0);
    let (end, s) = if t < 0.0 {
        ((33.0, 102.0, 172.0), -t)
    } else {
        ((178.0, 24.0, 43.0), t)
    };
    let mix = |e: f64| (255.0 + (e - 255.0) * s).round() as u8;
    RGBColor(mix(end.0), mix(end.1), mix(end.2))
}

/// `m` in blocks of `block × block` entries, each the entry of largest
/// magnitude in its block (the last blocks may be smaller); the block size
/// is the smallest that gives at most `max_cells` blocks along each axis.
pub fn pooled(m: &Matrix, max_cells: usize) -> (Matrix, usize) {
    let block = m.rows.max(m.cols).div_ceil(max_cells.max(1)).max(1);
    if block == 1 {
        return (m.clone(), 1);
    }
    let (rows, cols) = (m.rows.div_ceil(block), m.cols.div_ceil(block));
    let mut values = vec![0.0f64; rows * cols];
    for i in 0..m.rows {
        for j in 0..m.cols {
            let cell = &mut values[(i / block) * cols + j / block];
            let v = m.get(i, j);
            if v.abs() > cell.abs() {
                *cell = v;
            }
        }
    }
    (Matrix::new(rows, cols, values), block)
}

/// Draws `m` as a heat map titled `title` into `png` and `svg`.
pub fn draw_heatmap(m: &Matrix, title: &str, png: &Path, svg: &Path) -> Result<(), PlotError> {
    register_font();
    {
        let root = BitMapBackend::new(png, SIZE).into_drawing_area();
        draw(&root, m, title).map_err(|e| PlotError(format!("{}: {e}", png.display())))?;
        root.present()
            .map_err(|e| PlotError(format!("{}: {e}", png.display())))?;
    }
    {
        let root = SVGBackend::new(svg, SIZE).into_drawing_area();
        draw(&root, m, title).map_err(|e| PlotError(format!("{}: {e}", svg.display())))?;
        root.present()
            .map_err(|e| PlotError(format!("{}: {e}", svg.display())))?;
    }
    Ok(())
}

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    m: &Matrix,
    title: &str,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let root = root.titled(&spaced(title), ("sans-serif", 20))?;
    let (left, right) = root.split_horizontally(SIZE.0 - BAR_WIDTH);
    let (cells, block) = pooled(m, MAX_CELLS);
    // The scale is symmetric around 0 so that white always means B = 0.
    let range = m.values.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    let range = if range > 0.0 && range.is_finite() {
        range
    } else {
        1.0
    };

    // Entry t is centred on coordinate t, so ticks fall on indices. Row 0
    // is drawn at the top: row i sits at y = −i.
    let (rows, cols) = (m.rows as f64, m.cols as f64);
    let caption = if block > 1 {
        format!("each cell: the strongest of a {block}×{block} block")
    } else {
        format!("{} × {}", m.rows, m.cols)
    };
    let mut chart = ChartBuilder::on(&left)
        .caption(spaced(&caption), ("sans-serif", 14))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d(-0.5..cols - 0.5, 0.5 - rows..0.5)?;
    // `0.0 - y` rather than `-y`: the top tick prints as 0, not −0.
    let row_label = |y: &f64| format!("{:.0}", 0.0 - y);
    let col_label = |x: &f64| format!("{x:.0}");
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(spaced("input j"))
        .y_desc(spaced("output i"))
        .x_label_formatter(&col_label)
        .y_label_formatter(&row_label)
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 15))
        .draw()?;
    let b = block as f64;
    chart.draw_series((0..cells.rows).flat_map(|i| {
        let cells = &cells;
        (0..cells.cols).map(move |j| {
            let (i0, j0) = (i as f64 * b, j as f64 * b);
            let (i1, j1) = ((i0 + b).min(rows), (j0 + b).min(cols));
            let colour = diverging(cells.get(i, j) / range);
            Rectangle::new(
                [(j0 - 0.5, 0.5 - i0), (j1 - 0.5, 0.5 - i1)],
                colour.filled(),
            )
        })
    }))?;

    // The colour bar: −range at the bottom, +range at the top.
    let mut bar = ChartBuilder::on(&right)
        .margin_top(40)
        .margin_bottom(60)
        .margin_right(10)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..1.0, -range..range)?;
    bar.configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_desc(spaced("B[i, j]"))
        .y_label_formatter(&|v: &f64| {
            format!("{:.3}", if v.abs() < 1e-12 * range { 0.0 } else { *v })
        })
        .label_style(("sans-serif", 12))
        .axis_desc_style(("sans-serif", 14))
        .draw()?;
    const STRIPES: usize = 200;
    let step = 2.0 * range / STRIPES as f64;
    bar.draw_series((0..STRIPES).map(|s| {
        let lo = -range + s as f64 * step;
        let colour = diverging((lo + step / 2.0) / range);
        Rectangle::new([(0.0, lo), (1.0, lo + step)], colour.filled())
    }))?;
    Ok(())
}
