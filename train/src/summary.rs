//! `summary.json`: the outcome of a run in one small file.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// What `summary.json` holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The zoo model's name.
    pub model: String,
    /// Epochs completed.
    pub epochs: usize,
    /// Test accuracy after the last epoch (fraction).
    pub final_test_accuracy: f64,
    /// Best test accuracy over the epochs (fraction).
    pub best_test_accuracy: f64,
    /// Wall seconds of the whole run (this process only, when resumed).
    pub wall_seconds: f64,
    /// Training images processed per second of training.
    pub samples_per_second: f64,
    /// Threads of the rayon pool.
    pub threads: usize,
    /// Trainable parameters of the model.
    #[serde(default)]
    pub parameters: usize,
    /// Mean wall seconds of an epoch's training pass (this process only).
    #[serde(default)]
    pub mean_epoch_seconds: f64,
    /// The host's processor, as [`host_cpu`] reads it.
    #[serde(default)]
    pub cpu: String,
    /// The settings that shape the model (width, layer swaps), by flag.
    #[serde(default)]
    pub settings: BTreeMap<String, String>,
    /// Training images held out for validation (none: no validation set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_images: Option<usize>,
    /// Validation accuracy after the last epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_val_accuracy: Option<f64>,
    /// The epoch (1-based) with the best validation accuracy (the first
    /// of equals).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub best_val_epoch: Option<usize>,
    /// The test accuracy of that epoch: the test figure of a model chosen
    /// without looking at the test set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_accuracy_at_best_val: Option<f64>,
}

/// The epoch with the best validation accuracy in `history` (the first of
/// equals) and its test accuracy, or `None` without validation figures.
pub fn best_validation_epoch(history: &[crate::metrics::EpochMetrics]) -> Option<(usize, f64)> {
    let mut best: Option<(f64, usize, f64)> = None;
    for m in history {
        if let Some(v) = m.val_acc {
            if best.is_none_or(|(b, ..)| v > b) {
                best = Some((v, m.epoch, m.test_acc));
            }
        }
    }
    best.map(|(_, epoch, test)| (epoch, test))
}

/// The processor of this host: its model name with the cpu family and
/// model numbers from `/proc/cpuinfo` (which tell, for example, Zen 4 from
/// Zen 5), or "unknown" where that file cannot be read.
pub fn host_cpu() -> String {
    let Ok(info) = std::fs::read_to_string("/proc/cpuinfo") else {
        return "unknown".to_string();
    };
    let field = |key: &str| {
        info.lines()
            .find(|l| l.split(':').next().is_some_and(|k| k.trim() == key))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_else(|| "?".to_string())
    };
    format!(
        "{} (family {}, model {})",
        field("model name"),
        field("cpu family"),
        field("model")
    )
}

impl Summary {
    /// Writes the summary as pretty JSON, atomically.
    pub fn write(&self, path: &Path) -> Result<(), synann_nn::checkpoint::CheckpointError> {
        let json = serde_json::to_string_pretty(self).expect("the summary serialises to JSON");
        synann_nn::checkpoint::write_atomic(path, json.as_bytes())
    }
}
