//! [`OneCycleLR`]: the 1cycle policy (Smith & Topin), stepped once per
//! batch.
//!
//! The rate starts at `max_lr / div_factor`, rises to `max_lr` over the
//! first `pct_start` of the `total_steps`, then falls to
//! `initial_lr / final_div_factor`. With `three_phase` it instead comes back
//! down to the initial rate over a second, equally long phase, and only
//! then falls to the minimum. Within a phase that goes from `a` to `b`,
//! with `p` the fraction of the phase done:
//!
//! ```text
//! cos:     b + (a − b) · (1 + cos(π·p)) / 2
//! linear:  a + (b − a) · p
//! ```
//!
//! Phase ends are at steps `pct_start·total − 1` (and `2·pct_start·total − 2`
//! with three phases) and `total − 1`, as in PyTorch. Momentum follows the
//! opposite cycle (high when the rate is low) between `max_momentum` and
//! `base_momentum`; it is exposed by [`OneCycleLR::get_last_momentum`] for
//! the training loop to apply (SGD's momentum or Adam's β₁).

use super::ClosedForm;
use crate::optim::ConfigError;
use std::f64::consts::PI;

/// How a phase interpolates between its two rates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnnealStrategy {
    /// Half a cosine (PyTorch's default).
    Cos,
    /// A straight line.
    Linear,
}

impl AnnealStrategy {
    fn anneal(self, start: f64, end: f64, pct: f64) -> f64 {
        match self {
            AnnealStrategy::Cos => end + (start - end) / 2.0 * ((PI * pct).cos() + 1.0),
            AnnealStrategy::Linear => (end - start) * pct + start,
        }
    }
}

/// OneCycleLR's options, with PyTorch's defaults.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OneCycleConfig {
    /// Fraction of the steps spent increasing the rate (0.3).
    pub pct_start: f64,
    /// The interpolation (cosine).
    pub anneal_strategy: AnnealStrategy,
    /// `initial_lr = max_lr / div_factor` (25).
    pub div_factor: f64,
    /// `min_lr = initial_lr / final_div_factor` (1e4).
    pub final_div_factor: f64,
    /// Use the three-phase schedule (false).
    pub three_phase: bool,
    /// The momentum at the top of the rate cycle (0.85).
    pub base_momentum: f64,
    /// The momentum at the bottom of the rate cycle (0.95).
    pub max_momentum: f64,
}

impl Default for OneCycleConfig {
    fn default() -> Self {
        OneCycleConfig {
            pct_start: 0.3,
            anneal_strategy: AnnealStrategy::Cos,
            div_factor: 25.0,
            final_div_factor: 1e4,
            three_phase: false,
            base_momentum: 0.85,
            max_momentum: 0.95,
        }
    }
}

/// One leg of the cycle: from its start to `end_step`.
#[derive(Clone, Debug)]
struct Phase {
    end_step: f64,
    lr: (f64, f64),
    momentum: (f64, f64),
}

/// The 1cycle learning-rate policy.
///
/// ```
/// use synann_nn::lr_scheduler::{LrScheduler, OneCycleLR};
/// let mut s = OneCycleLR::new(0.1, 10).unwrap();
/// assert!((s.get_last_lr() - 0.1 / 25.0).abs() < 1e-12);
/// let lrs: Vec<f64> = (0..9).map(|_| s.step()).collect();
/// assert!((lrs[1] - 0.1).abs() < 1e-12); // the peak, at step 0.3·10 − 1 = 2
/// assert!((lrs[8] - 0.1 / 25.0 / 1e4).abs() < 1e-12); // the floor, at step 9
/// ```
#[derive(Clone, Debug)]
pub struct OneCycleLR {
    total_steps: u64,
    strategy: AnnealStrategy,
    phases: Vec<Phase>,
    last_epoch: u64,
}

impl OneCycleLR {
    /// The default policy peaking at `max_lr`, over `total_steps` batches.
    pub fn new(max_lr: f64, total_steps: u64) -> Result<Self, ConfigError> {
        Self::with_config(max_lr, total_steps, OneCycleConfig::default())
    }

    /// The policy with explicit options.
    pub fn with_config(
        max_lr: f64,
        total_steps: u64,
        c: OneCycleConfig,
    ) -> Result<Self, ConfigError> {
        const OWNER: &str = "OneCycleLR";
        ConfigError::check(
            total_steps > 0,
            OWNER,
            "total_steps",
            total_steps,
            "must be > 0",
        )?;
        ConfigError::check(
            (0.0..=1.0).contains(&c.pct_start),
            OWNER,
            "pct_start",
            c.pct_start,
            "must be in [0, 1]",
        )?;
        ConfigError::check(
            c.div_factor > 0.0,
            OWNER,
            "div_factor",
            c.div_factor,
            "must be > 0",
        )?;
        ConfigError::check(
            c.final_div_factor > 0.0,
            OWNER,
            "final_div_factor",
            c.final_div_factor,
            "must be > 0",
        )?;
        let initial = max_lr / c.div_factor;
        let min = initial / c.final_div_factor;
        let (lo_m, hi_m) = (c.base_momentum, c.max_momentum);
        let warm = c.pct_start * total_steps as f64;
        let last = total_steps as f64 - 1.0;
        let phases = if c.three_phase {
            vec![
                Phase {
                    end_step: warm - 1.0,
                    lr: (initial, max_lr),
                    momentum: (hi_m, lo_m),
                },
                Phase {
                    end_step: 2.0 * warm - 2.0,
                    lr: (max_lr, initial),
                    momentum: (lo_m, hi_m),
                },
                Phase {
                    end_step: last,
                    lr: (initial, min),
                    momentum: (hi_m, hi_m),
                },
            ]
        } else {
            vec![
                Phase {
                    end_step: warm - 1.0,
                    lr: (initial, max_lr),
                    momentum: (hi_m, lo_m),
                },
                Phase {
                    end_step: last,
                    lr: (max_lr, min),
                    momentum: (lo_m, hi_m),
                },
            ]
        };
        Ok(OneCycleLR {
            total_steps,
            strategy: c.anneal_strategy,
            phases,
            last_epoch: 0,
        })
    }

    /// Finds the phase holding `step` and the fraction of it done, then
    /// interpolates the pair `pick` selects (rate or momentum). Panics past
    /// `total_steps`, like PyTorch: the schedule is undefined there.
    fn at(&self, step: u64, pick: impl Fn(&Phase) -> (f64, f64)) -> f64 {
        assert!(
            step <= self.total_steps,
            "OneCycleLR: stepped {step} times, more than total_steps = {}",
            self.total_steps
        );
        let s = step as f64;
        let mut start = 0.0;
        for (i, phase) in self.phases.iter().enumerate() {
            if s <= phase.end_step || i == self.phases.len() - 1 {
                let pct = (s - start) / (phase.end_step - start);
                let (a, b) = pick(phase);
                return self.strategy.anneal(a, b, pct);
            }
            start = phase.end_step;
        }
        unreachable!("the last phase always matches")
    }

    /// The momentum for step `step`.
    pub fn momentum_at(&self, step: u64) -> f64 {
        self.at(step, |p| p.momentum)
    }

    /// The momentum for the current step (apply it to SGD's momentum or
    /// Adam's β₁ to cycle momentum as PyTorch does by default).
    pub fn get_last_momentum(&self) -> f64 {
        self.momentum_at(self.last_epoch)
    }
}

impl ClosedForm for OneCycleLR {
    const NAME: &'static str = "OneCycleLR";

    fn lr_at(&self, epoch: u64) -> f64 {
        self.at(epoch, |p| p.lr)
    }

    fn last_epoch(&self) -> u64 {
        self.last_epoch
    }

    fn set_last_epoch(&mut self, epoch: u64) {
        self.last_epoch = epoch;
    }
}
