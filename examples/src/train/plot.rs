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

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    history: &[EpochMetrics],
    title: &str,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let root = root.titled(title, ("sans-serif", 22))?;
    let (left, right) = root.split_horizontally(500);
    let epochs = history.len().max(1) as f64;
    let x_range = 0.5..epochs + 0.5;

    // Accuracy (%): train and test.
    let acc_points = |f: fn(&EpochMetrics) -> f64| -> Vec<(f64, f64)> {
        history
            .iter()
            .map(|m| (m.epoch as f64, 100.0 * f(m)))
            .collect()
    };
    let train_acc = acc_points(|m| m.train_acc);
    let test_acc = acc_points(|m| m.test_acc);
    let lo = train_acc
        .iter()
        .chain(&test_acc)
        .map(|p| p.1)
        .fold(100.0f64, f64::min)
        .clamp(0.0, 99.0);
    let mut chart = ChartBuilder::on(&left)
        .caption("accuracy (%)", ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(50)
        .build_cartesian_2d(x_range.clone(), (lo - 0.5).max(0.0)..100.0)?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .x_label_formatter(&epoch_label)
        .label_style(("sans-serif", 13))
        .draw()?;
    chart
        .draw_series(LineSeries::new(train_acc, BLUE.stroke_width(2)))?
        .label("train")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE));
    chart
        .draw_series(LineSeries::new(test_acc, RED.stroke_width(2)))?
        .label("test")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font(("sans-serif", 13))
        .draw()?;

    // Loss: train and test.
    let train_loss: Vec<(f64, f64)> = history
        .iter()
        .map(|m| (m.epoch as f64, m.train_loss))
        .collect();
    let test_loss: Vec<(f64, f64)> = history
        .iter()
        .map(|m| (m.epoch as f64, m.test_loss))
        .collect();
    let hi = train_loss
        .iter()
        .chain(&test_loss)
        .map(|p| p.1)
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max)
        .max(1e-3);
    let mut chart = ChartBuilder::on(&right)
        .caption("loss", ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(50)
        .build_cartesian_2d(x_range, 0.0..hi * 1.05)?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .x_label_formatter(&epoch_label)
        .label_style(("sans-serif", 13))
        .draw()?;
    chart
        .draw_series(LineSeries::new(train_loss, BLUE.stroke_width(2)))?
        .label("train")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE));
    chart
        .draw_series(LineSeries::new(test_loss, RED.stroke_width(2)))?
        .label("test")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font(("sans-serif", 13))
        .draw()?;
    Ok(())
}
