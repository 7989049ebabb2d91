//! [`ExponentialLR`]: multiply the rate by γ every epoch.
//!
//! `lr(e) = lr₀ · γ^e`.

use super::ClosedForm;

/// Decays the learning rate by `gamma` every epoch.
///
/// ```
/// use synann_nn::lr_scheduler::{ExponentialLR, LrScheduler};
/// let mut s = ExponentialLR::new(1.0, 0.5);
/// assert_eq!([s.step(), s.step()], [0.5, 0.25]);
/// ```
#[derive(Clone, Debug)]
pub struct ExponentialLR {
    base_lr: f64,
    gamma: f64,
    last_epoch: u64,
}

impl ExponentialLR {
    /// Starts at `base_lr`.
    pub fn new(base_lr: f64, gamma: f64) -> Self {
        ExponentialLR {
            base_lr,
            gamma,
            last_epoch: 0,
        }
    }
}

impl ClosedForm for ExponentialLR {
    const NAME: &'static str = "ExponentialLR";

    fn lr_at(&self, epoch: u64) -> f64 {
        self.base_lr * self.gamma.powi(epoch as i32)
    }

    fn last_epoch(&self) -> u64 {
        self.last_epoch
    }

    fn set_last_epoch(&mut self, epoch: u64) {
        self.last_epoch = epoch;
    }
}
