//! [`Recipe`]: how a model is trained (epochs, batch size, optimizer,
//! learning-rate schedule, loss), as plain data. [`setup`](crate::setup)
//! turns it into an optimizer and a scheduler; the [`Trainer`](crate::Trainer)
//! runs it. A model zoo keeps its models' recipes as values of this type.

/// How a model's output is turned into a loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LossKind {
    /// The model ends in `log_softmax`; the loss is `nll_loss`.
    Nll,
    /// The model outputs logits; the loss is `cross_entropy`.
    CrossEntropy,
}

/// The optimizer of a recipe.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OptimizerKind {
    /// SGD with (PyTorch-style) momentum.
    Sgd {
        /// Momentum factor.
        momentum: f64,
    },
    /// Adam with PyTorch's defaults (betas 0.9/0.999, eps 1e-8).
    Adam,
    /// AdamW with decoupled weight decay.
    AdamW {
        /// Decoupled weight decay.
        weight_decay: f64,
    },
}

/// How the learning rate evolves.
#[derive(Clone, Debug, PartialEq)]
pub enum Schedule {
    /// The base learning rate throughout.
    Constant,
    /// Per step: lr = floor + amplitude·e^(−step/decay_steps) (the SynaNN
    /// MLP paper: 0.0001 + 0.003·e^(−step/2000)).
    ExpDecayPerStep {
        /// The asymptotic learning rate.
        floor: f64,
        /// The initial excess over the floor.
        amplitude: f64,
        /// The decay constant in steps.
        decay_steps: f64,
    },
    /// Per epoch: a piecewise-constant schedule (`values[i]` below
    /// `boundaries[i]`, the last value after) combined with
    /// ReduceLROnPlateau on the training accuracy (the original Keras run's
    /// `monitor='accuracy'`; its `val_accuracy` only chose the checkpoint).
    PiecewisePlateau {
        /// Epoch boundaries.
        boundaries: Vec<usize>,
        /// Learning rates, one more than boundaries.
        values: Vec<f64>,
        /// ReduceLROnPlateau factor.
        factor: f64,
        /// ReduceLROnPlateau patience in epochs.
        patience: usize,
        /// ReduceLROnPlateau floor.
        min_lr: f64,
    },
    /// OneCycleLR over the whole run, stepped per batch, peaking at the base
    /// learning rate.
    OneCycle,
    /// CosineAnnealingLR over the whole run, stepped per batch.
    Cosine,
}

/// How a model is trained.
///
/// ```
/// use synann_train::{LossKind, OptimizerKind, Recipe, Schedule};
///
/// let recipe = Recipe {
///     epochs: 20,
///     schedule: Schedule::Cosine,
///     ..Recipe::new(OptimizerKind::Adam, 1e-3, 32)
/// };
/// assert_eq!(recipe.loss, LossKind::CrossEntropy);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Recipe {
    /// Number of epochs.
    pub epochs: usize,
    /// Training batch size.
    pub batch_size: usize,
    /// Base learning rate.
    pub lr: f64,
    /// Optimizer.
    pub optimizer: OptimizerKind,
    /// Learning-rate schedule.
    pub schedule: Schedule,
    /// How the output becomes a loss.
    pub loss: LossKind,
    /// Label smoothing for `cross_entropy` (0 = none).
    pub label_smoothing: f64,
}

impl Recipe {
    /// `optimizer` at learning rate `lr` with batches of `batch_size`: 10
    /// epochs, a constant rate, cross-entropy on logits, no label smoothing.
    pub fn new(optimizer: OptimizerKind, lr: f64, batch_size: usize) -> Self {
        Recipe {
            epochs: 10,
            batch_size,
            lr,
            optimizer,
            schedule: Schedule::Constant,
            loss: LossKind::CrossEntropy,
            label_smoothing: 0.0,
        }
    }
}
