//! [`ReduceLROnPlateau`]: cut the rate when a monitored metric stops
//! improving.
//!
//! Each [`step_with`](LrScheduler::step_with) compares the metric with the
//! best so far. "Better" means, for mode `min` (loss) with threshold θ:
//! `metric < best·(1 − θ)` (`rel`) or `metric < best − θ` (`abs`); for
//! mode `max` (accuracy): `metric > best·(1 + θ)` or `metric > best + θ`.
//! After more than `patience` consecutive steps without improvement the rate
//! becomes `max(lr·factor, min_lr)` (ignored if that changes it by no more
//! than `eps`), the bad-step count restarts, and for the next `cooldown`
//! steps bad steps are not counted. These are PyTorch's rules exactly.

use super::{LrScheduler, SchedulerState, SchedulerStateError};
use crate::optim::ConfigError;

/// Whether a lower or a higher metric is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlateauMode {
    /// Lower is better (a loss).
    Min,
    /// Higher is better (an accuracy).
    Max,
}

/// How the improvement threshold is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThresholdMode {
    /// Relative to the best value.
    Rel,
    /// In the metric's units.
    Abs,
}

/// Reduces the learning rate when a metric has stopped improving.
///
/// ```
/// use synann_nn::lr_scheduler::{LrScheduler, ReduceLROnPlateau};
/// let mut s = ReduceLROnPlateau::new(1.0).unwrap().patience(1);
/// let lrs: Vec<f64> = [3.0, 2.0, 2.0, 2.0].iter().map(|&loss| s.step_with(loss)).collect();
/// assert_eq!(lrs, [1.0, 1.0, 1.0, 0.1]); // two steps without improvement > patience 1
/// ```
#[derive(Clone, Debug)]
pub struct ReduceLROnPlateau {
    mode: PlateauMode,
    factor: f64,
    patience: u64,
    threshold: f64,
    threshold_mode: ThresholdMode,
    cooldown: u64,
    min_lr: f64,
    eps: f64,
    lr: f64,
    best: Option<f64>,
    num_bad_epochs: u64,
    cooldown_counter: u64,
    last_epoch: u64,
}

impl ReduceLROnPlateau {
    /// Starts at `lr` with PyTorch's defaults: mode min, factor 0.1,
    /// patience 10, threshold 1e-4 relative, no cooldown, min_lr 0, eps 1e-8.
    pub fn new(lr: f64) -> Result<Self, ConfigError> {
        Self::with_factor(lr, 0.1)
    }

    /// As [`ReduceLROnPlateau::new`] with another `factor` (must be < 1).
    pub fn with_factor(lr: f64, factor: f64) -> Result<Self, ConfigError> {
        ConfigError::check(
            (0.0..1.0).contains(&factor),
            "ReduceLROnPlateau",
            "factor",
            factor,
            "must be in [0, 1)",
        )?;
        Ok(ReduceLROnPlateau {
            mode: PlateauMode::Min,
            factor,
            patience: 10,
            threshold: 1e-4,
            threshold_mode: ThresholdMode::Rel,
            cooldown: 0,
            min_lr: 0.0,
            eps: 1e-8,
            lr,
            best: None,
            num_bad_epochs: 0,
            cooldown_counter: 0,
            last_epoch: 0,
        })
    }

    /// With mode `mode`.
    pub fn mode(mut self, mode: PlateauMode) -> Self {
        self.mode = mode;
        self
    }

    /// With `patience` steps tolerated without improvement.
    pub fn patience(mut self, patience: u64) -> Self {
        self.patience = patience;
        self
    }

    /// With improvement threshold `threshold` measured as `mode`.
    pub fn threshold(mut self, threshold: f64, mode: ThresholdMode) -> Self {
        self.threshold = threshold;
        self.threshold_mode = mode;
        self
    }

    /// With `cooldown` steps after a reduction during which bad steps are
    /// not counted.
    pub fn cooldown(mut self, cooldown: u64) -> Self {
        self.cooldown = cooldown;
        self
    }

    /// With a floor `min_lr` on the rate.
    pub fn min_lr(mut self, min_lr: f64) -> Self {
        self.min_lr = min_lr;
        self
    }

    /// With `eps`: reductions smaller than this are skipped.
    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }

    /// The best metric seen so far (`None` before the first).
    pub fn best(&self) -> Option<f64> {
        self.best
    }

    fn is_better(&self, a: f64, best: f64) -> bool {
        let t = self.threshold;
        match (self.mode, self.threshold_mode) {
            (PlateauMode::Min, ThresholdMode::Rel) => a < best * (1.0 - t),
            (PlateauMode::Min, ThresholdMode::Abs) => a < best - t,
            (PlateauMode::Max, ThresholdMode::Rel) => a > best * (1.0 + t),
            (PlateauMode::Max, ThresholdMode::Abs) => a > best + t,
        }
    }
}

impl LrScheduler for ReduceLROnPlateau {
    /// A step without a metric: the epoch advances and nothing else changes
    /// (neither a good nor a bad step).
    fn step(&mut self) -> f64 {
        self.last_epoch += 1;
        self.lr
    }

    fn step_with(&mut self, metric: f64) -> f64 {
        self.last_epoch += 1;
        // No best yet stands for PyTorch's initial ±∞: anything improves on it
        // (except NaN, which never does).
        let better = match self.best {
            None => !metric.is_nan(),
            Some(best) => self.is_better(metric, best),
        };
        if better {
            self.best = Some(metric);
            self.num_bad_epochs = 0;
        } else {
            self.num_bad_epochs += 1;
        }
        if self.cooldown_counter > 0 {
            self.cooldown_counter -= 1;
            self.num_bad_epochs = 0;
        }
        if self.num_bad_epochs > self.patience {
            let new_lr = (self.lr * self.factor).max(self.min_lr);
            if self.lr - new_lr > self.eps {
                self.lr = new_lr;
            }
            self.cooldown_counter = self.cooldown;
            self.num_bad_epochs = 0;
        }
        self.lr
    }

    fn get_last_lr(&self) -> f64 {
        self.lr
    }

    fn state_dict(&self) -> SchedulerState {
        SchedulerState::Plateau {
            last_epoch: self.last_epoch,
            lr: self.lr,
            best: self.best,
            num_bad_epochs: self.num_bad_epochs,
            cooldown_counter: self.cooldown_counter,
        }
    }

    fn load_state_dict(&mut self, state: &SchedulerState) -> Result<(), SchedulerStateError> {
        match *state {
            SchedulerState::Plateau {
                last_epoch,
                lr,
                best,
                num_bad_epochs,
                cooldown_counter,
            } => {
                self.last_epoch = last_epoch;
                self.lr = lr;
                self.best = best;
                self.num_bad_epochs = num_bad_epochs;
                self.cooldown_counter = cooldown_counter;
                Ok(())
            }
            ref other => Err(SchedulerStateError::KindMismatch {
                expected: "ReduceLROnPlateau".to_string(),
                found: other.kind().to_string(),
            }),
        }
    }
}
