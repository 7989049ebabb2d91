//! `summary.json`: the outcome of a run in one small file.

use serde::{Deserialize, Serialize};
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
}

impl Summary {
    /// Writes the summary as pretty JSON, atomically.
    pub fn write(&self, path: &Path) -> Result<(), synann_nn::checkpoint::CheckpointError> {
        let json = serde_json::to_string_pretty(self).expect("the summary serialises to JSON");
        synann_nn::checkpoint::write_atomic(path, json.as_bytes())
    }
}
