//! Learning-rate schedulers: how the learning rate changes over training.
//!
//! A scheduler is independent of any optimizer: it starts from the initial
//! learning rate it is given and, at each [`step`](LrScheduler::step) (or
//! [`step_with`](LrScheduler::step_with) for metric-driven ones), returns
//! the new learning rate, which the training loop hands to
//! [`Optimizer::set_lr`](crate::optim::Optimizer::set_lr). As in PyTorch,
//! a freshly built scheduler is at epoch 0 and `get_last_lr()` is the
//! epoch-0 rate; after k calls to `step` it is the rate for epoch k (or
//! batch k, for [`OneCycleLR`], which is stepped per batch).
//!
//! ```
//! use synann_autograd::Var;
//! use synann_nn::lr_scheduler::{LrScheduler, StepLR};
//! use synann_nn::optim::{Optimizer, SgdConfig, SGD};
//! use synann_tensor::Tensor;
//!
//! let w = Var::requiring_grad(Tensor::<f32>::ones(&[2]));
//! let mut opt = SGD::new(vec![w], 0.1, SgdConfig::default()).unwrap();
//! let mut sched = StepLR::new(opt.lr(0), 2, 0.5).unwrap();
//! let mut seen = vec![];
//! for _epoch in 0..5 {
//!     seen.push(opt.lr(0)); // … train one epoch with this rate …
//!     let lr = sched.step();
//!     opt.set_lr_all(lr);
//! }
//! assert_eq!(seen, [0.1, 0.1, 0.05, 0.05, 0.025]);
//! ```
//!
//! Most schedules are a closed-form function of the epoch ([`ClosedForm`]),
//! so their whole state is the epoch counter; [`ReduceLROnPlateau`] reacts
//! to a metric and keeps a little more. Every scheduler saves and restores
//! its state as a serialisable [`SchedulerState`].
//!
//! # Combining schedulers
//!
//! [`Chain`] runs several schedulers side by side, each from its own
//! initial rate and with its own state, and the effective learning rate is
//! the **minimum** of theirs. The original SynaNN run used a piecewise
//! constant schedule (1e-3 below epoch 12, 1e-4 below 30, 1e-5 after)
//! together with ReduceLROnPlateau; with `Chain` the rate follows the
//! piecewise schedule but drops further whenever the plateau detector has
//! cut its own rate below it. We chose the minimum over multiplying the
//! plateau factor into the schedule because it needs nothing from the
//! schedulers beyond their rates (any pair combines, order does not
//! matter), it never exceeds any member's rate, and each member's state
//! stays meaningful on its own.
//!
//! ```
//! use synann_nn::lr_scheduler::{Chain, LrScheduler, PiecewiseConstantLR, ReduceLROnPlateau};
//!
//! let piecewise = PiecewiseConstantLR::new(vec![12, 30], vec![1e-3, 1e-4, 1e-5]).unwrap();
//! let plateau = ReduceLROnPlateau::new(1e-3).unwrap();
//! let mut sched = Chain::new(vec![Box::new(piecewise), Box::new(plateau)]);
//! let val_loss = 0.5;
//! let lr = sched.step_with(val_loss);
//! assert_eq!(lr, 1e-3);
//! ```
//!
//! | file | scheduler |
//! |---|---|
//! | [`step_lr`] | [`StepLR`]: × γ every `step_size` epochs |
//! | [`multi_step_lr`] | [`MultiStepLR`]: × γ at each milestone |
//! | [`exponential_lr`] | [`ExponentialLR`]: × γ every epoch |
//! | [`lambda_lr`] | [`LambdaLR`]: initial rate × a closure of the epoch |
//! | [`piecewise_constant_lr`] | [`PiecewiseConstantLR`]: constant values between boundaries |
//! | [`cosine_annealing_lr`] | [`CosineAnnealingLR`]: half a cosine down to `eta_min` |
//! | [`one_cycle_lr`] | [`OneCycleLR`]: warm up then anneal, per batch |
//! | [`reduce_lr_on_plateau`] | [`ReduceLROnPlateau`]: × factor when a metric stalls |
//! | [`chain`] | [`Chain`]: the minimum of several schedulers |

pub mod chain;
pub mod cosine_annealing_lr;
pub mod exponential_lr;
pub mod lambda_lr;
pub mod multi_step_lr;
pub mod one_cycle_lr;
pub mod piecewise_constant_lr;
pub mod reduce_lr_on_plateau;
pub mod step_lr;

pub use chain::Chain;
pub use cosine_annealing_lr::CosineAnnealingLR;
pub use exponential_lr::ExponentialLR;
pub use lambda_lr::LambdaLR;
pub use multi_step_lr::MultiStepLR;
pub use one_cycle_lr::{AnnealStrategy, OneCycleLR};
pub use piecewise_constant_lr::PiecewiseConstantLR;
pub use reduce_lr_on_plateau::{PlateauMode, ReduceLROnPlateau, ThresholdMode};
pub use step_lr::StepLR;

use serde::{Deserialize, Serialize};
use std::fmt;

/// The interface shared by all schedulers.
pub trait LrScheduler {
    /// Advances one epoch (one batch for [`OneCycleLR`]) and returns the new
    /// learning rate.
    fn step(&mut self) -> f64;

    /// Advances one epoch given the monitored metric (a validation loss or
    /// accuracy) and returns the new learning rate. Schedulers that do not
    /// watch a metric ignore it; this is the call to use for
    /// [`ReduceLROnPlateau`] and for a [`Chain`] containing one.
    fn step_with(&mut self, metric: f64) -> f64 {
        let _ = metric;
        self.step()
    }

    /// The learning rate computed by the last step (the initial rate before
    /// any step).
    fn get_last_lr(&self) -> f64;

    /// A serialisable snapshot of the scheduler's progress.
    fn state_dict(&self) -> SchedulerState;

    /// Restores a snapshot from [`LrScheduler::state_dict`] taken on a
    /// scheduler of the same kind; nothing changes on error.
    fn load_state_dict(&mut self, state: &SchedulerState) -> Result<(), SchedulerStateError>;
}

/// A schedule whose learning rate is a function of the epoch alone. Its
/// state is just the epoch counter, and it implements [`LrScheduler`]
/// through a blanket implementation.
pub trait ClosedForm {
    /// The scheduler's name, stored in its state (`"StepLR"`).
    const NAME: &'static str;

    /// The learning rate at `epoch`.
    fn lr_at(&self, epoch: u64) -> f64;

    /// The current epoch (0 before the first step).
    fn last_epoch(&self) -> u64;

    /// Moves to `epoch`.
    fn set_last_epoch(&mut self, epoch: u64);
}

impl<S: ClosedForm> LrScheduler for S {
    fn step(&mut self) -> f64 {
        let epoch = self.last_epoch() + 1;
        self.set_last_epoch(epoch);
        self.lr_at(epoch)
    }

    fn get_last_lr(&self) -> f64 {
        self.lr_at(self.last_epoch())
    }

    fn state_dict(&self) -> SchedulerState {
        SchedulerState::Epoch {
            kind: S::NAME.to_string(),
            last_epoch: self.last_epoch(),
        }
    }

    fn load_state_dict(&mut self, state: &SchedulerState) -> Result<(), SchedulerStateError> {
        match state {
            SchedulerState::Epoch { kind, last_epoch } if kind == S::NAME => {
                self.set_last_epoch(*last_epoch);
                Ok(())
            }
            other => Err(SchedulerStateError::KindMismatch {
                expected: S::NAME.to_string(),
                found: other.kind().to_string(),
            }),
        }
    }
}

/// A scheduler's saved progress (its configuration is not included: rebuild
/// the scheduler with the same options, then load).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SchedulerState {
    /// A [`ClosedForm`] schedule: its name and epoch.
    Epoch {
        /// The scheduler's name.
        kind: String,
        /// The epoch reached.
        last_epoch: u64,
    },
    /// [`ReduceLROnPlateau`]'s counters.
    Plateau {
        /// Steps taken.
        last_epoch: u64,
        /// The current learning rate.
        lr: f64,
        /// The best metric seen (`None` before the first).
        best: Option<f64>,
        /// Consecutive steps without improvement.
        num_bad_epochs: u64,
        /// Steps left in the cooldown period.
        cooldown_counter: u64,
    },
    /// A [`Chain`]: its members' states in order.
    Chain(Vec<SchedulerState>),
}

impl SchedulerState {
    /// The name of the scheduler that saved this state.
    pub fn kind(&self) -> &str {
        match self {
            SchedulerState::Epoch { kind, .. } => kind,
            SchedulerState::Plateau { .. } => "ReduceLROnPlateau",
            SchedulerState::Chain(_) => "Chain",
        }
    }
}

/// Why a scheduler rejected a saved state.
#[derive(Clone, Debug, PartialEq)]
pub enum SchedulerStateError {
    /// The state belongs to another kind of scheduler.
    KindMismatch {
        /// This scheduler's name.
        expected: String,
        /// The saved state's scheduler name.
        found: String,
    },
    /// A chain's saved state has a different number of members.
    ChainLength {
        /// Members in this chain.
        expected: usize,
        /// Members in the saved state.
        found: usize,
    },
}

impl fmt::Display for SchedulerStateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SchedulerStateError::KindMismatch { expected, found } => {
                write!(f, "scheduler state was saved by {found}, not {expected}")
            }
            SchedulerStateError::ChainLength { expected, found } => write!(
                f,
                "chain state has {found} schedulers, this chain has {expected}"
            ),
        }
    }
}

impl std::error::Error for SchedulerStateError {}
