//! [`MultiStepLR`]: multiply the rate by γ at each milestone epoch.
//!
//! `lr(e) = lr₀ · γ^(number of milestones ≤ e)`; a milestone listed twice
//! counts twice, as in PyTorch.

use super::ClosedForm;
use crate::optim::ConfigError;

/// Decays the learning rate by `gamma` once each milestone is reached.
///
/// ```
/// use synann_nn::lr_scheduler::{LrScheduler, MultiStepLR};
/// let mut s = MultiStepLR::new(1.0, vec![2, 3], 0.5).unwrap();
/// let lrs: Vec<f64> = (0..4).map(|_| s.step()).collect();
/// assert_eq!(lrs, [1.0, 0.5, 0.25, 0.25]);
/// ```
#[derive(Clone, Debug)]
pub struct MultiStepLR {
    base_lr: f64,
    milestones: Vec<u64>,
    gamma: f64,
    last_epoch: u64,
}

impl MultiStepLR {
    /// Starts at `base_lr`; `milestones` must be non-decreasing. PyTorch's
    /// default `gamma` is 0.1.
    pub fn new(base_lr: f64, milestones: Vec<u64>, gamma: f64) -> Result<Self, ConfigError> {
        ConfigError::check(
            milestones.windows(2).all(|w| w[0] <= w[1]),
            "MultiStepLR",
            "milestones",
            format!("{milestones:?}"),
            "must be sorted",
        )?;
        Ok(MultiStepLR {
            base_lr,
            milestones,
            gamma,
            last_epoch: 0,
        })
    }
}

impl ClosedForm for MultiStepLR {
    const NAME: &'static str = "MultiStepLR";

    fn lr_at(&self, epoch: u64) -> f64 {
        let passed = self.milestones.partition_point(|&m| m <= epoch);
        self.base_lr * self.gamma.powi(passed as i32)
    }

    fn last_epoch(&self) -> u64 {
        self.last_epoch
    }

    fn set_last_epoch(&mut self, epoch: u64) {
        self.last_epoch = epoch;
    }
}
