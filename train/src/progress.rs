//! Progress bars (indicatif, feature `progress`) showing loss, accuracy,
//! samples/s and ETA. Without the feature, or when `quiet`, nothing is
//! drawn, but the running statistics are kept the same way.

#[cfg(feature = "progress")]
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::time::Instant;

/// A progress bar over the batches of one pass, with running statistics.
pub struct EpochProgress {
    #[cfg(feature = "progress")]
    bar: ProgressBar,
    start: Instant,
    samples: usize,
    loss_sum: f64,
    correct: usize,
}

impl EpochProgress {
    /// A bar for `batches` batches; hidden when `quiet` (or when stderr is
    /// not a terminal, indicatif draws nothing).
    pub fn new(label: &str, batches: usize, quiet: bool) -> Self {
        #[cfg(feature = "progress")]
        let bar = {
            let bar = ProgressBar::new(batches as u64);
            if quiet {
                bar.set_draw_target(ProgressDrawTarget::hidden());
            }
            bar.set_style(
                ProgressStyle::with_template(
                    "{prefix:>12} [{bar:30}] {pos:>4}/{len:4} {msg} eta {eta}",
                )
                .expect("the template is valid")
                .progress_chars("=> "),
            );
            bar.set_prefix(label.to_string());
            bar
        };
        #[cfg(not(feature = "progress"))]
        let _ = (label, batches, quiet);
        EpochProgress {
            #[cfg(feature = "progress")]
            bar,
            start: Instant::now(),
            samples: 0,
            loss_sum: 0.0,
            correct: 0,
        }
    }

    /// Records one batch: its mean loss, its number of correct predictions
    /// and its size.
    pub fn update(&mut self, batch_loss: f64, correct: usize, batch_size: usize) {
        self.samples += batch_size;
        self.loss_sum += batch_loss * batch_size as f64;
        self.correct += correct;
        #[cfg(feature = "progress")]
        {
            let rate = self.samples as f64 / self.start.elapsed().as_secs_f64().max(1e-9);
            self.bar.set_message(format!(
                "loss {:.4} acc {:.2}% {:.0} samples/s",
                self.mean_loss(),
                100.0 * self.accuracy(),
                rate
            ));
            self.bar.inc(1);
        }
    }

    /// Prints a line above the bar (on stderr), without breaking it.
    pub fn println(&self, line: &str) {
        #[cfg(feature = "progress")]
        if !self.bar.is_hidden() {
            self.bar.println(line);
            return;
        }
        eprintln!("{line}");
    }

    /// Mean loss over the samples seen.
    pub fn mean_loss(&self) -> f64 {
        self.loss_sum / self.samples.max(1) as f64
    }

    /// Accuracy over the samples seen.
    pub fn accuracy(&self) -> f64 {
        self.correct as f64 / self.samples.max(1) as f64
    }

    /// Samples seen.
    pub fn samples(&self) -> usize {
        self.samples
    }

    /// Seconds since the bar started.
    pub fn seconds(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }

    /// Removes the bar from the screen.
    pub fn finish(&self) {
        #[cfg(feature = "progress")]
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_are_sample_weighted() {
        let mut p = EpochProgress::new("test", 2, true);
        p.update(1.0, 3, 4);
        p.update(4.0, 0, 2);
        assert_eq!(p.samples(), 6);
        assert!((p.mean_loss() - 2.0).abs() < 1e-12);
        assert!((p.accuracy() - 0.5).abs() < 1e-12);
        p.finish();
    }
}
