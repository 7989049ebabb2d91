//! [`StepLR`]: multiply the rate by γ every `step_size` epochs.
//!
//! `lr(e) = lr₀ · γ^⌊e / step_size⌋` (PyTorch's closed form).

use super::ClosedForm;
use crate::optim::ConfigError;

/// Decays the learning rate by `gamma` every `step_size` epochs.
///
/// ```
/// use synann_nn::lr_scheduler::{LrScheduler, StepLR};
/// let mut s = StepLR::new(1.0, 2, 0.1).unwrap();
/// let lrs: Vec<f64> = (0..4).map(|_| s.step()).collect();
/// assert_eq!(lrs, [1.0, 0.1, 0.1, 0.1 * 0.1]);
/// ```
#[derive(Clone, Debug)]
pub struct StepLR {
    base_lr: f64,
    step_size: u64,
    gamma: f64,
    last_epoch: u64,
}

impl StepLR {
    /// Starts at `base_lr`; PyTorch's default `gamma` is 0.1.
    pub fn new(base_lr: f64, step_size: u64, gamma: f64) -> Result<Self, ConfigError> {
        ConfigError::check(
            step_size > 0,
            "StepLR",
            "step_size",
            step_size,
            "must be > 0",
        )?;
        Ok(StepLR {
            base_lr,
            step_size,
            gamma,
            last_epoch: 0,
        })
    }
}

impl ClosedForm for StepLR {
    const NAME: &'static str = "StepLR";

    fn lr_at(&self, epoch: u64) -> f64 {
        self.base_lr * self.gamma.powi((epoch / self.step_size) as i32)
    }

    fn last_epoch(&self) -> u64 {
        self.last_epoch
    }

    fn set_last_epoch(&mut self, epoch: u64) {
        self.last_epoch = epoch;
    }
}
