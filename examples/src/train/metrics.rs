//! Per-epoch metrics and `metrics.csv`.

use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;

/// One row of `metrics.csv`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochMetrics {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Learning rate used during the epoch.
    pub lr: f64,
    /// Mean training loss (train mode).
    pub train_loss: f64,
    /// Training accuracy (fraction, train mode).
    pub train_acc: f64,
    /// Mean test loss (eval mode).
    pub test_loss: f64,
    /// Test accuracy (fraction).
    pub test_acc: f64,
    /// Wall seconds of the epoch's training pass.
    pub seconds: f64,
}

/// The header of `metrics.csv`.
pub const CSV_HEADER: &str = "epoch,lr,train_loss,train_acc,test_loss,test_acc,seconds";

impl EpochMetrics {
    /// The row as CSV (no newline).
    pub fn csv_row(&self) -> String {
        format!(
            "{},{:.6e},{:.6},{:.6},{:.6},{:.6},{:.3}",
            self.epoch,
            self.lr,
            self.train_loss,
            self.train_acc,
            self.test_loss,
            self.test_acc,
            self.seconds
        )
    }
}

/// Writes the whole history as `metrics.csv` (atomically: temporary file,
/// then rename), so the file is complete after every epoch.
pub fn write_csv(path: &Path, history: &[EpochMetrics]) -> std::io::Result<()> {
    let tmp = path.with_extension("csv.tmp");
    {
        let mut f = std::fs::File::create(&tmp)?;
        writeln!(f, "{CSV_HEADER}")?;
        for m in history {
            writeln!(f, "{}", m.csv_row())?;
        }
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}
