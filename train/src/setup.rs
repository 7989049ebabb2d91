//! From a [`Recipe`] to the objects a training run needs: the optimizer,
//! the learning-rate scheduler and how often to step it, and the data
//! loader's options.
//!
//! Command-line flags override single fields of the recipe
//! ([`Overrides`]); everything else comes from the zoo model's recipe.

use crate::recipe::{OptimizerKind, Recipe, Schedule};
use synann_autograd::Var;
use synann_nn::lr_scheduler::{
    Chain, CosineAnnealingLR, LambdaLR, LrScheduler, OneCycleLR, PiecewiseConstantLR, PlateauMode,
    ReduceLROnPlateau,
};
use synann_nn::optim::{Adam, AdamConfig, AdamW, ConfigError, Optimizer, SgdConfig, SGD};

/// Recipe fields replaced from the command line (`None` keeps the recipe's).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Overrides {
    /// Number of epochs.
    pub epochs: Option<usize>,
    /// Training batch size.
    pub batch_size: Option<usize>,
    /// Base learning rate.
    pub lr: Option<f64>,
    /// Optimizer.
    pub optimizer: Option<OptimizerKind>,
}

impl Overrides {
    /// `recipe` with the overridden fields replaced.
    pub fn apply(&self, recipe: &Recipe) -> Recipe {
        Recipe {
            epochs: self.epochs.unwrap_or(recipe.epochs),
            batch_size: self.batch_size.unwrap_or(recipe.batch_size),
            lr: self.lr.unwrap_or(recipe.lr),
            optimizer: self.optimizer.unwrap_or(recipe.optimizer),
            ..recipe.clone()
        }
    }
}

/// Builds the recipe's optimizer over `params` at learning rate `lr`.
///
/// SGD uses PyTorch's momentum; AdamW its decoupled weight decay; Adam
/// PyTorch's defaults.
pub fn build_optimizer(
    kind: OptimizerKind,
    params: Vec<Var<f32>>,
    lr: f64,
) -> Result<Box<dyn Optimizer<f32>>, ConfigError> {
    Ok(match kind {
        OptimizerKind::Sgd { momentum } => Box::new(SGD::new(
            params,
            lr,
            SgdConfig::default().momentum(momentum),
        )?),
        OptimizerKind::Adam => Box::new(Adam::new(params, lr, AdamConfig::default())?),
        OptimizerKind::AdamW { weight_decay } => Box::new(AdamW::new(
            params,
            lr,
            AdamConfig::adamw().weight_decay(weight_decay),
        )?),
    })
}

/// When the scheduler is stepped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stepping {
    /// After every optimizer step, with [`LrScheduler::step`].
    PerBatch,
    /// After every epoch's evaluation, with
    /// [`LrScheduler::step_with`]`(training accuracy)`, never the test set.
    PerEpochOnAccuracy,
}

/// A scheduler and its stepping rule.
pub struct Scheduler {
    /// The scheduler; its [`get_last_lr`](LrScheduler::get_last_lr) is the
    /// rate of the next step.
    pub inner: Box<dyn LrScheduler>,
    /// When to step it.
    pub stepping: Stepping,
}

/// Builds the scheduler of `recipe` (none for [`Schedule::Constant`]) for a
/// run of `recipe.epochs` epochs of `steps_per_epoch` batches.
///
/// The base rate is `recipe.lr`, so `--lr` rescales every schedule:
///
/// - `ExpDecayPerStep`: lr·(floor + amplitude·e^(−step/decay))/(floor +
///   amplitude), per batch (equal to the paper's formula when lr is its
///   starting rate, floor + amplitude);
/// - `PiecewisePlateau`: the piecewise values times lr/`values[0]`, chained
///   (minimum) with ReduceLROnPlateau in mode max on the training accuracy, per
///   epoch;
/// - `OneCycle`: OneCycleLR peaking at lr over the whole run, per batch
///   (the rate only: momentum is not cycled);
/// - `Cosine`: CosineAnnealingLR from lr to 0 over the whole run, per batch.
pub fn build_scheduler(
    recipe: &Recipe,
    steps_per_epoch: usize,
) -> Result<Option<Scheduler>, ConfigError> {
    let lr = recipe.lr;
    let total_steps = (recipe.epochs * steps_per_epoch) as u64;
    let per_batch = |inner: Box<dyn LrScheduler>| Scheduler {
        inner,
        stepping: Stepping::PerBatch,
    };
    Ok(match &recipe.schedule {
        Schedule::Constant => None,
        &Schedule::ExpDecayPerStep {
            floor,
            amplitude,
            decay_steps,
        } => {
            let start = floor + amplitude;
            let lambda =
                move |step: u64| (floor + amplitude * (-(step as f64) / decay_steps).exp()) / start;
            Some(per_batch(Box::new(LambdaLR::new(lr, lambda))))
        }
        Schedule::PiecewisePlateau {
            boundaries,
            values,
            factor,
            patience,
            min_lr,
        } => {
            let scale = lr / values[0];
            let piecewise = PiecewiseConstantLR::new(
                boundaries.iter().map(|&b| b as u64).collect(),
                values.iter().map(|v| v * scale).collect(),
            )?;
            let plateau = ReduceLROnPlateau::with_factor(lr, *factor)?
                .mode(PlateauMode::Max)
                .patience(*patience as u64)
                .min_lr(*min_lr);
            Some(Scheduler {
                inner: Box::new(Chain::new(vec![Box::new(piecewise), Box::new(plateau)])),
                stepping: Stepping::PerEpochOnAccuracy,
            })
        }
        Schedule::OneCycle => Some(per_batch(Box::new(OneCycleLR::new(lr, total_steps)?))),
        Schedule::Cosine => Some(per_batch(Box::new(CosineAnnealingLR::new(
            lr,
            total_steps,
            0.0,
        )?))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recipe::LossKind;

    fn recipe(schedule: Schedule) -> Recipe {
        Recipe {
            epochs: 2,
            batch_size: 10,
            lr: 0.01,
            optimizer: OptimizerKind::Adam,
            schedule,
            loss: LossKind::Nll,
            label_smoothing: 0.0,
        }
    }

    #[test]
    fn overrides_replace_only_given_fields() {
        let r = recipe(Schedule::Constant);
        let o = Overrides {
            lr: Some(0.5),
            ..Overrides::default()
        };
        let out = o.apply(&r);
        assert_eq!(out.lr, 0.5);
        assert_eq!(out.epochs, r.epochs);
        assert_eq!(out.batch_size, r.batch_size);
    }

    #[test]
    fn exp_decay_starts_at_lr_and_decays() {
        let r = recipe(Schedule::ExpDecayPerStep {
            floor: 1e-4,
            amplitude: 3e-3,
            decay_steps: 2000.0,
        });
        let mut s = build_scheduler(&r, 5).unwrap().unwrap();
        assert_eq!(s.stepping, Stepping::PerBatch);
        assert!((s.inner.get_last_lr() - 0.01).abs() < 1e-15);
        let next = s.inner.step();
        assert!(next < 0.01 && next > 0.0099);
    }

    #[test]
    fn piecewise_plateau_scales_with_lr_and_steps_per_epoch() {
        let r = recipe(Schedule::PiecewisePlateau {
            boundaries: vec![1],
            values: vec![1e-3, 1e-4],
            factor: 0.2,
            patience: 5,
            min_lr: 1e-5,
        });
        let mut s = build_scheduler(&r, 5).unwrap().unwrap();
        assert_eq!(s.stepping, Stepping::PerEpochOnAccuracy);
        assert!((s.inner.get_last_lr() - 0.01).abs() < 1e-15);
        assert!((s.inner.step_with(0.5) - 0.001).abs() < 1e-15);
    }

    #[test]
    fn constant_has_no_scheduler_and_one_cycle_peaks_at_lr() {
        assert!(build_scheduler(&recipe(Schedule::Constant), 5)
            .unwrap()
            .is_none());
        let mut s = build_scheduler(&recipe(Schedule::OneCycle), 5)
            .unwrap()
            .unwrap();
        let peak = (0..10).map(|_| s.inner.step()).fold(0.0, f64::max);
        assert!((peak - 0.01).abs() < 1e-12);
    }

    #[test]
    fn every_optimizer_builds_and_reports_its_lr() {
        let w = || {
            vec![Var::requiring_grad(synann_tensor::Tensor::<f32>::ones(&[
                2,
            ]))]
        };
        for kind in [
            OptimizerKind::Sgd { momentum: 0.5 },
            OptimizerKind::Adam,
            OptimizerKind::AdamW { weight_decay: 0.01 },
        ] {
            assert_eq!(build_optimizer(kind, w(), 0.1).unwrap().lr(0), 0.1);
        }
        assert!(build_optimizer(OptimizerKind::Adam, w(), -1.0).is_err());
    }
}
