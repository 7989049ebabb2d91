//! Accuracy and loss curves, drawn with plotters to SVG and PNG.
//!
//! The text is rendered with the DejaVu Sans font shipped in
//! `examples/assets/` (pure Rust: no system font library is needed).

use super::metrics::EpochMetrics;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;
use std::sync::Once;

static FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");
static REGISTER: Once = Once::new();

/// Registers the bundled font as plotters' `"sans-serif"` (once per
/// process); every chart of the crate calls it before drawing.
pub(crate) fn register_font() {
    REGISTER.call_once(|| {
        // The bytes are a valid TrueType file shipped with the crate.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

/// Error from drawing a chart (the message names the file).
#[derive(Debug)]
pub struct PlotError(pub String);

impl std::fmt::Display for PlotError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "plot: {}", self.0)
    }
}

impl std::error::Error for PlotError {}

/// Draws the curves of `history` (accuracy on the left, loss on the right)
/// into `svg` and `png`.
pub fn draw_curves(
    history: &[EpochMetrics],
    title: &str,
    svg: &Path,
    png: &Path,
) -> Result<(), PlotError> {
    register_font();
    {
        let root = SVGBackend::new(svg, (1000, 420)).into_drawing_area();
        draw(&root, history, title).map_err(|e| PlotError(format!("{}: {e}", svg.display())))?;
        root.present()
            .map_err(|e| PlotError(format!("{}: {e}", svg.display())))?;
    }
    {
        let root = BitMapBackend::new(png, (1000, 420)).into_drawing_area();
        draw(&root, history, title).map_err(|e| PlotError(format!("{}: {e}", png.display())))?;
        root.present()
            .map_err(|e| PlotError(format!("{}: {e}", png.display())))?;
    }
    Ok(())
}

/// Epochs are whole numbers: ticks are labelled without decimals.
fn epoch_label(x: &f64) -> String {
    format!("{x:.0}")
}

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// One curve's points, (epoch, value).
type Points = Vec<(f64, f64)>;

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    history: &[EpochMetrics],
    title: &str,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let root = root.titled(title, ("sans-serif", 22))?;
    let (left, right) = root.split_horizontally(500);
    let curve = |f: fn(&EpochMetrics) -> f64| -> Points {
        history.iter().map(|m| (m.epoch as f64, f(m))).collect()
    };

    // Accuracy in %, from just below the lowest point up to 100.
    let train_acc = curve(|m| 100.0 * m.train_acc);
    let test_acc = curve(|m| 100.0 * m.test_acc);
    let lo = train_acc
        .iter()
        .chain(&test_acc)
        .map(|p| p.1)
        .fold(100.0f64, f64::min)
        .clamp(0.0, 99.0);
    let acc_range = (lo - 0.5).max(0.0)..100.0;
    let legend = SeriesLabelPosition::LowerRight;
    draw_panel(
        &left,
        "accuracy (%)",
        history.len(),
        acc_range,
        train_acc,
        test_acc,
        legend,
    )?;

    // Loss, from 0 to just above the highest finite point.
    let train_loss = curve(|m| m.train_loss);
    let test_loss = curve(|m| m.test_loss);
    let hi = train_loss
        .iter()
        .chain(&test_loss)
        .map(|p| p.1)
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max)
        .max(1e-3);
    let legend = SeriesLabelPosition::UpperRight;
    draw_panel(
        &right,
        "loss",
        history.len(),
        0.0..hi * 1.05,
        train_loss,
        test_loss,
        legend,
    )
}

/// One chart: a train curve (blue) and a test curve (red) against epochs.
fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    caption: &str,
    epochs: usize,
    y_range: std::ops::Range<f64>,
    train: Points,
    test: Points,
    legend: SeriesLabelPosition,
) -> DrawResult<DB> {
    let x_range = 0.5..epochs.max(1) as f64 + 0.5;
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(50)
        .build_cartesian_2d(x_range, y_range)?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .x_label_formatter(&epoch_label)
        .label_style(("sans-serif", 13))
        .draw()?;
    for (points, colour, label) in [(train, BLUE, "train"), (test, RED, "test")] {
        chart
            .draw_series(LineSeries::new(points, colour.stroke_width(2)))?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour));
    }
    chart
        .configure_series_labels()
        .position(legend)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font(("sans-serif", 13))
        .draw()?;
    Ok(())
}
