//! The training recipe that comes with each zoo model: what the original
//! code (or our own tuning) trained it with. The main job
//! (`examples/mnist.rs`) reads it for its defaults; every field can be
//! overridden from the command line.

/// How a model's output is turned into a loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LossKind {
    /// The model ends in `log_softmax`; the loss is `nll_loss`.
    Nll,
    /// The model outputs logits; the loss is `cross_entropy`.
    CrossEntropy,
}

/// The input layout a model expects for MNIST images.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputLayout {
    /// `[N, 1, 28, 28]` images.
    Image,
    /// `[N, 784]` flattened images.
    Flat,
    /// `[N, 28, 28]`: a sequence of 28 rows of 28 pixels.
    Rows,
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

/// Data augmentation applied to training images.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Augmentation {
    /// Random shifts of up to this many pixels (0 = none).
    pub shift: usize,
    /// Random rotation of up to ± this many degrees (0 = none), with
    /// scaling and translation per the fields below.
    pub degrees: f32,
    /// Random translation as a fraction of the size.
    pub translate: f32,
    /// Random scale range (1.0, 1.0 = none).
    pub scale: (f32, f32),
}

/// The recipe a zoo model trains with by default.
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
    /// Training augmentation.
    pub augmentation: Augmentation,
    /// Normalise pixels by MNIST's mean and std (0.1307, 0.3081) after
    /// scaling to [0, 1].
    pub normalize: bool,
    /// How the output becomes a loss.
    pub loss: LossKind,
    /// The input layout.
    pub input: InputLayout,
    /// Label smoothing for `cross_entropy` (0 = none).
    pub label_smoothing: f64,
}
