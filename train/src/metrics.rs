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
    /// Mean validation loss (eval mode), when the run has a validation set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub val_loss: Option<f64>,
    /// Validation accuracy (fraction), when the run has a validation set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub val_acc: Option<f64>,
}

/// The header of `metrics.csv`.
pub const CSV_HEADER: &str = "epoch,lr,train_loss,train_acc,test_loss,test_acc,seconds";

/// The two columns `metrics.csv` gains when the run has a validation set.
pub const CSV_VALIDATION_COLUMNS: &str = "val_loss,val_acc";

impl EpochMetrics {
    /// The row as CSV (no newline), with the validation columns when the
    /// epoch has them.
    pub fn csv_row(&self) -> String {
        let mut row = format!(
            "{},{:.6e},{:.6},{:.6},{:.6},{:.6},{:.3}",
            self.epoch,
            self.lr,
            self.train_loss,
            self.train_acc,
            self.test_loss,
            self.test_acc,
            self.seconds
        );
        if let (Some(loss), Some(acc)) = (self.val_loss, self.val_acc) {
            row.push_str(&format!(",{loss:.6},{acc:.6}"));
        }
        row
    }
}

/// Writes the whole history as `metrics.csv` (atomically: temporary file,
/// then rename), so the file is complete after every epoch. The validation
/// columns ([`CSV_VALIDATION_COLUMNS`]) are there when the run has a
/// validation set.
pub fn write_csv(path: &Path, history: &[EpochMetrics]) -> std::io::Result<()> {
    let tmp = path.with_extension("csv.tmp");
    {
        let mut f = std::fs::File::create(&tmp)?;
        if history.iter().any(|m| m.val_acc.is_some()) {
            writeln!(f, "{CSV_HEADER},{CSV_VALIDATION_COLUMNS}")?;
        } else {
            writeln!(f, "{CSV_HEADER}")?;
        }
        for m in history {
            writeln!(f, "{}", m.csv_row())?;
        }
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}
