//! [`CosineAnnealingLR`]: half a cosine from the initial rate down to
//! `eta_min` over `t_max` epochs (SGDR without restarts).
//!
//! `lr(e) = η_min + (lr₀ − η_min) · (1 + cos(π·e / T_max)) / 2`, PyTorch's
//! closed form. Past `t_max` the cosine keeps going, so the rate climbs back
//! up; stop stepping (or use a longer `t_max`) to stay at `eta_min`.

use super::ClosedForm;
use crate::optim::ConfigError;
use std::f64::consts::PI;

/// Cosine annealing of the learning rate.
///
/// ```
/// use synann_nn::lr_scheduler::{CosineAnnealingLR, LrScheduler};
/// let mut s = CosineAnnealingLR::new(1.0, 2, 0.0).unwrap();
/// assert_eq!([s.step(), s.step()], [0.5, 0.0]);
/// ```
#[derive(Clone, Debug)]
pub struct CosineAnnealingLR {
    base_lr: f64,
    t_max: u64,
    eta_min: f64,
    last_epoch: u64,
}

impl CosineAnnealingLR {
    /// Anneals from `base_lr` to `eta_min` (PyTorch's default 0) in `t_max`
    /// epochs.
    pub fn new(base_lr: f64, t_max: u64, eta_min: f64) -> Result<Self, ConfigError> {
        ConfigError::check(
            t_max > 0,
            "CosineAnnealingLR",
            "T_max",
            t_max,
            "must be > 0",
        )?;
        Ok(CosineAnnealingLR {
            base_lr,
            t_max,
            eta_min,
            last_epoch: 0,
        })
    }
}

impl ClosedForm for CosineAnnealingLR {
    const NAME: &'static str = "CosineAnnealingLR";

    fn lr_at(&self, epoch: u64) -> f64 {
        let phase = PI * epoch as f64 / self.t_max as f64;
        self.eta_min + (self.base_lr - self.eta_min) * (1.0 + phase.cos()) / 2.0
    }

    fn last_epoch(&self) -> u64 {
        self.last_epoch
    }

    fn set_last_epoch(&mut self, epoch: u64) {
        self.last_epoch = epoch;
    }
}
