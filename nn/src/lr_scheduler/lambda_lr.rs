//! [`LambdaLR`]: the initial rate times a user function of the epoch.
//!
//! `lr(e) = lr₀ · f(e)`. The function is code, so it is not saved: the
//! state is the epoch only; rebuild the scheduler with the same closure
//! before loading it.

use super::ClosedForm;

/// Scales the initial learning rate by a closure of the epoch.
///
/// ```
/// use synann_nn::lr_scheduler::{LambdaLR, LrScheduler};
/// let mut s = LambdaLR::new(0.1, |epoch| 1.0 / (epoch as f64 + 1.0));
/// assert_eq!(s.get_last_lr(), 0.1);
/// assert_eq!(s.step(), 0.05);
/// ```
pub struct LambdaLR {
    base_lr: f64,
    lr_lambda: Box<dyn Fn(u64) -> f64>,
    last_epoch: u64,
}

impl LambdaLR {
    /// Starts at `base_lr · lr_lambda(0)`.
    pub fn new(base_lr: f64, lr_lambda: impl Fn(u64) -> f64 + 'static) -> Self {
        LambdaLR {
            base_lr,
            lr_lambda: Box::new(lr_lambda),
            last_epoch: 0,
        }
    }
}

impl ClosedForm for LambdaLR {
    const NAME: &'static str = "LambdaLR";

    fn lr_at(&self, epoch: u64) -> f64 {
        self.base_lr * (self.lr_lambda)(epoch)
    }

    fn last_epoch(&self) -> u64 {
        self.last_epoch
    }

    fn set_last_epoch(&mut self, epoch: u64) {
        self.last_epoch = epoch;
    }
}
