//! Accuracy and loss curves, drawn with plotters to SVG and PNG (feature
//! `plot`, on by default; without it [`draw_curves`] draws nothing).
//!
//! The text is rendered with the DejaVu Sans font shipped in `assets/`
//! (pure Rust: no system font library is needed). The epoch axis has one
//! tick per epoch up to 10 epochs and round steps (2, 5, 10, 20, ...)
//! beyond ([`epoch_ticks`]); with up to 30 epochs every point is marked, so
//! a run of one epoch still shows its point.

use crate::metrics::EpochMetrics;
use std::path::Path;

/// Error from drawing a chart (the message names the file).
#[derive(Debug)]
pub struct PlotError(pub String);

impl std::fmt::Display for PlotError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "plot: {}", self.0)
    }
}

impl std::error::Error for PlotError {}

/// The labelled ticks of an axis of `epochs` epochs: every epoch up to 10,
/// else the multiples of the smallest of 2, 5, 10, 20, 50, ... that gives
/// at most 10 ticks.
pub fn epoch_ticks(epochs: usize) -> Vec<usize> {
    let epochs = epochs.max(1);
    if epochs <= 10 {
        return (1..=epochs).collect();
    }
    let step = [1, 2, 5]
        .iter()
        .flat_map(|&m| (0..).map(move |e| m * 10usize.pow(e)).take(12))
        .filter(|&s| epochs / s <= 10)
        .min()
        .expect("a large enough step exists");
    (1..=epochs / step).map(|k| k * step).collect()
}

#[cfg(feature = "plot")]
pub use chart::{draw_curves, register_font};

/// `text` with every space widened to an en space (U+2002), for the text
/// of a chart. plotters 0.3 draws each glyph of a PNG's text without its
/// left side bearing, so a plain space (a third of an em) next to a glyph
/// with a wide bearing all but disappears: "output i" reads "outputi". An
/// en space (half an em) stays visible; the SVG shows it as a wider space.
///
/// ```
/// assert_eq!(synann_train::plot::spaced("output i"), "output\u{2002}i");
/// ```
pub fn spaced(text: &str) -> String {
    text.replace(' ', "\u{2002}")
}

/// Without the `plot` feature: draws nothing.
#[cfg(not(feature = "plot"))]
pub fn draw_curves(
    _history: &[EpochMetrics],
    _title: &str,
    _svg: &Path,
    _png: &Path,
) -> Result<(), PlotError> {
    Ok(())
}

#[cfg(feature = "plot")]
mod chart {
    use super::{epoch_ticks, EpochMetrics, Path, PlotError};
    use plotters::coord::Shift;
    use plotters::prelude::*;
    use std::sync::Once;

    static FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
    static REGISTER: Once = Once::new();

    /// Registers the bundled font as plotters' `"sans-serif"` (once per
    /// process); every chart calls it before drawing.
    pub fn register_font() {
        REGISTER.call_once(|| {
            // The bytes are a valid TrueType file shipped with the crate.
            let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
        });
    }

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
            draw(&root, history, title)
                .map_err(|e| PlotError(format!("{}: {e}", svg.display())))?;
            root.present()
                .map_err(|e| PlotError(format!("{}: {e}", svg.display())))?;
        }
        {
            let root = BitMapBackend::new(png, (1000, 420)).into_drawing_area();
            draw(&root, history, title)
                .map_err(|e| PlotError(format!("{}: {e}", png.display())))?;
            root.present()
                .map_err(|e| PlotError(format!("{}: {e}", png.display())))?;
        }
        Ok(())
    }

    /// Epoch ticks are whole numbers.
    fn epoch_label(x: &u32) -> String {
        x.to_string()
    }

    type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

    /// One curve: its label, colour and (epoch, value) points.
    type Curve = (&'static str, RGBColor, Vec<(u32, f64)>);

    /// Points are marked when there are at most this many epochs.
    const MARKED_UP_TO: usize = 30;

    fn draw<DB: DrawingBackend>(
        root: &DrawingArea<DB, Shift>,
        history: &[EpochMetrics],
        title: &str,
    ) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let root = root.titled(title, ("sans-serif", 22))?;
        let (left, right) = root.split_horizontally(500);
        let curve = |f: &dyn Fn(&EpochMetrics) -> Option<f64>| -> Vec<(u32, f64)> {
            history
                .iter()
                .filter_map(|m| f(m).map(|v| (m.epoch as u32, v)))
                .collect()
        };
        let curves = |train: &dyn Fn(&EpochMetrics) -> f64,
                      val: &dyn Fn(&EpochMetrics) -> Option<f64>,
                      test: &dyn Fn(&EpochMetrics) -> f64|
         -> Vec<Curve> {
            let mut out = vec![("train", BLUE, curve(&|m| Some(train(m))))];
            let val = curve(val);
            if !val.is_empty() {
                out.push(("validation", GREEN, val));
            }
            out.push(("test", RED, curve(&|m| Some(test(m)))));
            out
        };
        let epochs = history.iter().map(|m| m.epoch).max().unwrap_or(1);

        // Accuracy in %, from just below the lowest point up to 100.
        let acc = curves(
            &|m| 100.0 * m.train_acc,
            &|m| m.val_acc.map(|v| 100.0 * v),
            &|m| 100.0 * m.test_acc,
        );
        let lo = acc
            .iter()
            .flat_map(|c| &c.2)
            .map(|p| p.1)
            .fold(100.0f64, f64::min)
            .clamp(0.0, 99.0);
        let legend = SeriesLabelPosition::LowerRight;
        draw_panel(
            &left,
            "accuracy (%)",
            epochs,
            (lo - 0.5).max(0.0)..100.0,
            acc,
            legend,
        )?;

        // Loss, from 0 to just above the highest finite point.
        let loss = curves(&|m| m.train_loss, &|m| m.val_loss, &|m| m.test_loss);
        let hi = loss
            .iter()
            .flat_map(|c| &c.2)
            .map(|p| p.1)
            .filter(|v| v.is_finite())
            .fold(0.0f64, f64::max)
            .max(1e-3);
        let legend = SeriesLabelPosition::UpperRight;
        draw_panel(&right, "loss", epochs, 0.0..hi * 1.05, loss, legend)
    }

    /// One chart: the curves against epochs, with a tick per
    /// [`epoch_ticks`] and a marker on every point of a short run.
    fn draw_panel<DB: DrawingBackend>(
        area: &DrawingArea<DB, Shift>,
        caption: &str,
        epochs: usize,
        y_range: std::ops::Range<f64>,
        curves: Vec<Curve>,
        legend: SeriesLabelPosition,
    ) -> DrawResult<DB> {
        let ticks: Vec<u32> = epoch_ticks(epochs).into_iter().map(|e| e as u32).collect();
        let x_range = (0..epochs.max(1) as u32 + 1).with_key_points(ticks);
        let mut chart = ChartBuilder::on(area)
            .caption(super::spaced(caption), ("sans-serif", 18))
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
        let marked = epochs <= MARKED_UP_TO;
        for (label, colour, points) in curves {
            chart
                .draw_series(LineSeries::new(points.clone(), colour.stroke_width(2)))?
                .label(super::spaced(label))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour));
            if marked {
                chart.draw_series(
                    points
                        .into_iter()
                        .map(|p| Circle::new(p, 4, colour.filled())),
                )?;
            }
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
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The widest run of blank pixel columns inside `text` as plotters draws
    /// it into a PNG buffer (15 px, the bundled font).
    #[cfg(feature = "plot")]
    fn widest_gap_in_png_text(text: &str) -> usize {
        use plotters::prelude::*;
        register_font();
        let (w, h) = (240u32, 40u32);
        let mut buf = vec![255u8; (w * h * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
            let style = ("sans-serif", 15).into_font().color(&BLACK);
            root.draw_text(text, &style, (5, 10)).unwrap();
            root.present().unwrap();
        }
        let ink: Vec<bool> = (0..w)
            .map(|x| (0..h).any(|y| buf[((y * w + x) * 3) as usize] < 160))
            .collect();
        let first = ink.iter().position(|&b| b).expect("the text is drawn");
        let last = ink.iter().rposition(|&b| b).unwrap();
        ink[first..=last]
            .split(|&b| b)
            .map(<[bool]>::len)
            .max()
            .unwrap()
    }

    /// The explain heat maps' axis labels keep their space in a PNG (they
    /// read "outputi" with a plain space).
    #[cfg(feature = "plot")]
    #[test]
    fn a_spaced_label_keeps_a_visible_gap_in_png_text() {
        for label in ["output i", "input j"] {
            let gap = widest_gap_in_png_text(&spaced(label));
            assert!(gap >= 4, "{label:?}: widest blank run {gap} px");
        }
    }

    #[test]
    fn epoch_ticks_are_whole_epochs_at_most_ten() {
        assert_eq!(epoch_ticks(0), vec![1]);
        assert_eq!(epoch_ticks(1), vec![1]);
        assert_eq!(epoch_ticks(3), vec![1, 2, 3]);
        assert_eq!(epoch_ticks(10), (1..=10).collect::<Vec<_>>());
        assert_eq!(epoch_ticks(17), vec![2, 4, 6, 8, 10, 12, 14, 16]);
        assert_eq!(epoch_ticks(40), vec![5, 10, 15, 20, 25, 30, 35, 40]);
        assert_eq!(
            epoch_ticks(100),
            (1..=10).map(|k| 10 * k).collect::<Vec<_>>()
        );
        assert_eq!(epoch_ticks(1000).len(), 10);
    }

    #[cfg(feature = "plot")]
    #[test]
    fn charts_label_every_tick_once_for_short_and_long_runs() {
        let dir = std::env::temp_dir().join(format!("synann-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for epochs in [1, 2, 3, 100] {
            let history: Vec<EpochMetrics> = (1..=epochs)
                .map(|e| EpochMetrics {
                    epoch: e,
                    lr: 1e-3,
                    train_loss: 1.0 / e as f64,
                    train_acc: 0.9,
                    test_loss: 1.2 / e as f64,
                    test_acc: 0.85,
                    seconds: 1.0,
                    val_loss: Some(1.1 / e as f64),
                    val_acc: Some(0.88),
                })
                .collect();
            let (svg, png) = (dir.join("c.svg"), dir.join("c.png"));
            draw_curves(&history, "test run", &svg, &png).unwrap();
            let text = std::fs::read_to_string(&svg).unwrap();
            // Every text element's content, in order.
            let labels: Vec<&str> = text
                .split("</text>")
                .filter_map(|t| t.rsplit('>').next())
                .map(str::trim)
                .collect();
            for tick in epoch_ticks(epochs) {
                let n = labels.iter().filter(|l| **l == tick.to_string()).count();
                // Once per panel (the y axis may also show the number).
                assert!(n >= 2, "{epochs} epochs: tick {tick} labelled {n} times");
            }
            if epochs <= 3 {
                // The bug this guards against: fractional ticks printed
                // without decimals ("0 1 1 1 1 1 1 1 1 1 2").
                for tick in 1..=epochs {
                    let n = labels.iter().filter(|l| **l == tick.to_string()).count();
                    assert_eq!(n, 2, "{epochs} epochs: tick {tick} once per panel");
                }
            }
            assert!(text.contains("validation"), "the validation curve is drawn");
            if epochs <= 3 {
                assert!(text.contains("<circle"), "short runs mark their points");
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
