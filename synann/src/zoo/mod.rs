//! The model zoo: the SynaNN models of the MNIST main job, each built by
//! name with the [`Recipe`] it trains with and the [`ImageInput`] it takes.
//!
//! | name | model | origin |
//! |---|---|---|
//! | `seed-torch` | 2 convs → Linear → softmax → Synapse 64 → BatchNorm → Linear | the original PyTorch `Net` |
//! | `seed-keras` | 4 convs → global max-pool → Synapse 784 → Linear | the original Keras CNN |
//! | `syna-mlp` | Linear → softmax → Synapse 280 → Linear | the SynaNN paper's MLP |
//! | `syna-cnn` | conv-BN blocks with a [`SynapseConv2d`](crate::layers::SynapseConv2d) → Synapse 128 → Linear | our design, for accuracy |
//! | `syna-rnn` | [`SynapseRNN`](crate::layers::SynapseRNN) over the 28 rows → Synapse 128 → Linear | our design |
//!
//! Every model takes its input in its [`ZooModel::input`] layout and returns
//! `[N, 10]` log-probabilities ([`LossKind::Nll`]) or logits
//! ([`LossKind::CrossEntropy`]). Parameter names follow PyTorch's dotted
//! convention; `seed-torch` uses exactly the original `Net`'s names, so its
//! checkpoints map one to one.
//!
//! For the ablation study every synapse layer of every model can be swapped
//! through [`ZooOptions`]:
//!
//! | option | layer | choices |
//! |---|---|---|
//! | [`ZooOptions::variant`] | the fully connected Synapse (every model) | [`SynapseVariant`]: the Synapse (per-sample, batch-coupled, with the paper's constraints, or two stacked), nothing, or a `Linear(n, n)` |
//! | [`ZooOptions::conv_variant`] | `syna-cnn`'s `synapse_conv` | [`ConvSynapseVariant`]: the convolutional synapse, nothing, or a `Conv2d(C, C, 3)` |
//! | [`ZooOptions::cell`] | `syna-rnn`'s recurrence | [`RecurrentCell`]: the synapse cell, or a tanh RNN or GRU cell of (at most) the same parameter count |
//! | [`ZooOptions::synapse_input`] | the activation in front of the fully connected Synapse of `syna-mlp` and `seed-torch` | [`SynapseInput`]: softmax (as designed) or sigmoid |
//!
//! Each model runs its children under their field names (with
//! [`forward_child`]), so anomaly reports name the module an op ran in by
//! its dotted path (`fcn`, `rnn.cell`), and reports how many factors each
//! synapse layer clamped in its latest forward through
//! [`Module::named_clamp_counts`], under the same paths (`synapse`,
//! `synapse_conv`, `rnn.cell`).
//!
//! Initialisation is reproducible from [`ZooOptions::seed`]: parameters are
//! drawn in definition order (PyTorch's) from one stream, dropout masks from
//! another (the originals draw both from one global stream, so no model
//! reproduces their exact numbers).
//!
//! ```
//! use synann::zoo::{build, LossKind, ZooOptions};
//! use synann_autograd::Var;
//! use synann_nn::Mode;
//! use synann_tensor::Tensor;
//!
//! let mut zoo = build("syna-mlp", &ZooOptions::default()).unwrap();
//! assert_eq!(zoo.recipe.loss, LossKind::CrossEntropy);
//! let x = Var::constant(Tensor::full(&[2, 784], 0.5));
//! assert_eq!(zoo.model.forward(&x, Mode::Eval).shape(), vec![2, 10]);
//! assert_eq!(zoo.model.named_clamp_counts(), [("synapse".to_string(), 0)]);
//! assert!(build("lenet", &ZooOptions::default()).is_err());
//! ```

pub mod recipe;
mod seed_keras;
mod seed_torch;
mod syna_cnn;
mod syna_mlp;
mod syna_rnn;

pub use recipe::{
    Augmentation, ImageInput, InputLayout, LossKind, Normalization, OptimizerKind, Recipe, Schedule,
};

use crate::layers::{Coupling, Synapse, SynapseConfig};
use rand::Rng as _;
use std::fmt;
use synann_autograd::Var;
use synann_nn::init::uniform_;
use synann_nn::layers::{Bias, Linear};
use synann_nn::{forward_child, prefixed, Mode, Module};
use synann_tensor::random::{seeded, Rng};
use synann_tensor::Tensor;

/// The names [`build`] knows, in the order of the table above.
pub const MODEL_NAMES: &[&str] = &[
    "seed-torch",
    "seed-keras",
    "syna-mlp",
    "syna-cnn",
    "syna-rnn",
];

/// What stands in the Synapse layer's place (for the ablation study).
///
/// In `seed-torch`, `seed-keras` and `syna-mlp` this is *the* Synapse
/// layer; in `syna-cnn` and `syna-rnn` it is the fully connected Synapse of
/// the head only (the convolutional synapse and the recurrent cell stay).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SynapseVariant {
    /// The Synapse layer with the given coupling;
    /// `Synapse(Coupling::PerSample)` is the default and
    /// `Synapse(Coupling::BatchCoupled)` reproduces the original PyTorch
    /// formula.
    Synapse(Coupling),
    /// No layer: its input passes through unchanged. No parameters are
    /// created, so every later layer draws different initial values from
    /// the seed than with the Synapse (the RNG stream differs).
    Identity,
    /// A `Linear(n, n)` of the Synapse's width, with PyTorch's default
    /// initialisation.
    Linear,
    /// The per-sample Synapse with the paper's constraints,
    /// [`SynapseConfig::constrained`]: B = sigmoid(W) ∈ (0, 1), started
    /// near 1/(n + 1), and a = 1 + softplus(v) ≥ 1.
    Constrained,
    /// Two per-sample Synapse layers in a row (the model's configuration
    /// for both), named `0.*` and `1.*`: a synapse graph of depth two.
    Stacked,
}

impl SynapseVariant {
    /// The names the command line uses, in the order of the enum:
    /// `per-sample`, `batch-coupled`, `identity`, `linear`, `constrained`,
    /// `stacked`.
    pub const NAMES: &'static [&'static str] = &[
        "per-sample",
        "batch-coupled",
        "identity",
        "linear",
        "constrained",
        "stacked",
    ];

    /// The variant called `name` (one of [`SynapseVariant::NAMES`]).
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "per-sample" => SynapseVariant::Synapse(Coupling::PerSample),
            "batch-coupled" => SynapseVariant::Synapse(Coupling::BatchCoupled),
            "identity" => SynapseVariant::Identity,
            "linear" => SynapseVariant::Linear,
            "constrained" => SynapseVariant::Constrained,
            "stacked" => SynapseVariant::Stacked,
            _ => return None,
        })
    }

    /// The command-line name of the variant.
    pub fn name(self) -> &'static str {
        match self {
            SynapseVariant::Synapse(Coupling::PerSample) => "per-sample",
            SynapseVariant::Synapse(Coupling::BatchCoupled) => "batch-coupled",
            SynapseVariant::Identity => "identity",
            SynapseVariant::Linear => "linear",
            SynapseVariant::Constrained => "constrained",
            SynapseVariant::Stacked => "stacked",
        }
    }
}

/// What stands in the place of `syna-cnn`'s convolutional synapse
/// (`synapse_conv`); the other models have none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ConvSynapseVariant {
    /// [`SynapseConv2d`](crate::layers::SynapseConv2d) over 3×3 windows (the model as designed).
    #[default]
    Synapse,
    /// No layer: the sigmoid map passes through.
    Identity,
    /// A `Conv2d(C, C, 3, padding 1)` without bias: the same parameter
    /// count as the synapse (C·C·3·3).
    Conv,
}

impl ConvSynapseVariant {
    /// The command-line names: `synapse`, `identity`, `conv`.
    pub const NAMES: &'static [&'static str] = &["synapse", "identity", "conv"];

    /// The variant called `name` (one of [`ConvSynapseVariant::NAMES`]).
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "synapse" => ConvSynapseVariant::Synapse,
            "identity" => ConvSynapseVariant::Identity,
            "conv" => ConvSynapseVariant::Conv,
            _ => return None,
        })
    }

    /// The command-line name.
    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }
}

/// The recurrence of `syna-rnn`; the other models have none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RecurrentCell {
    /// [`SynapseRNNCell`](crate::layers::SynapseRNNCell) with a 128-wide
    /// state (the model as designed): the synapse as a multiplicative gate.
    #[default]
    Synapse,
    /// PyTorch's tanh `RNNCell`, with the widest state whose cell has no
    /// more parameters than the synapse cell's (176).
    Tanh,
    /// PyTorch's `GRUCell`, likewise (96).
    Gru,
}

impl RecurrentCell {
    /// The command-line names: `synapse`, `tanh`, `gru`.
    pub const NAMES: &'static [&'static str] = &["synapse", "tanh", "gru"];

    /// The cell called `name` (one of [`RecurrentCell::NAMES`]).
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "synapse" => RecurrentCell::Synapse,
            "tanh" => RecurrentCell::Tanh,
            "gru" => RecurrentCell::Gru,
            _ => return None,
        })
    }

    /// The command-line name.
    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }
}

/// The activation that turns a hidden layer into the open probabilities
/// the fully connected Synapse of `syna-mlp` and `seed-torch` reads (the
/// other models ignore it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SynapseInput {
    /// softmax over the features (the models as designed): the inputs sum
    /// to 1, so Σ_j B_ij·x_j is of order 1/n.
    #[default]
    Softmax,
    /// sigmoid of each feature: inputs spread over (0, 1).
    Sigmoid,
}

impl SynapseInput {
    /// The command-line names: `softmax`, `sigmoid`.
    pub const NAMES: &'static [&'static str] = &["softmax", "sigmoid"];

    /// The activation called `name` (one of [`SynapseInput::NAMES`]).
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "softmax" => SynapseInput::Softmax,
            "sigmoid" => SynapseInput::Sigmoid,
            _ => return None,
        })
    }

    /// The command-line name.
    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// Applies the activation to `[N, n]` features.
    pub fn apply(self, h: &Var<f32>) -> Var<f32> {
        match self {
            SynapseInput::Softmax => h.softmax(1),
            SynapseInput::Sigmoid => h.sigmoid(),
        }
    }
}

impl Default for SynapseVariant {
    fn default() -> Self {
        SynapseVariant::Synapse(Coupling::PerSample)
    }
}

/// How [`build`] builds a model.
#[derive(Clone, Debug, PartialEq)]
pub struct ZooOptions {
    /// Seed of the initialisation and of the dropout masks.
    pub seed: u64,
    /// Channel-width multiplier for `seed-keras` and `syna-cnn` (1.0 = full
    /// size); each channel count becomes round(width · count), at least 1.
    /// The other models ignore it. Must be finite and positive.
    pub width: f64,
    /// What stands in the fully connected Synapse's place.
    pub variant: SynapseVariant,
    /// What stands in `syna-cnn`'s convolutional synapse's place.
    pub conv_variant: ConvSynapseVariant,
    /// `syna-rnn`'s recurrent cell.
    pub cell: RecurrentCell,
    /// The activation in front of the Synapse of `syna-mlp` and
    /// `seed-torch`.
    pub synapse_input: SynapseInput,
}

impl Default for ZooOptions {
    /// Seed 0, full width, every model as designed (the per-sample
    /// Synapse, the convolutional synapse, the synapse cell, softmax
    /// inputs).
    fn default() -> Self {
        ZooOptions {
            seed: 0,
            width: 1.0,
            variant: SynapseVariant::default(),
            conv_variant: ConvSynapseVariant::default(),
            cell: RecurrentCell::default(),
            synapse_input: SynapseInput::default(),
        }
    }
}

/// A built model with its default training recipe.
pub struct ZooModel {
    /// The name it was built from (one of [`MODEL_NAMES`]).
    pub name: String,
    /// The model: input in `input.layout`, output `[N, 10]`.
    pub model: Box<dyn Module<f32>>,
    /// How it trains by default.
    pub recipe: Recipe,
    /// How it takes its images: layout, normalisation and training
    /// augmentation.
    pub input: ImageInput,
}

/// Why [`build`] failed.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ZooError {
    /// No model has this name.
    UnknownModel {
        /// The name asked for.
        name: String,
        /// The names that exist ([`MODEL_NAMES`]).
        known: Vec<String>,
    },
    /// [`ZooOptions::width`] is not a finite positive number.
    InvalidWidth {
        /// The width given.
        width: f64,
    },
}

impl fmt::Display for ZooError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ZooError::UnknownModel { name, known } => write!(
                f,
                "unknown model {name:?}; known models: {}",
                known.join(", ")
            ),
            ZooError::InvalidWidth { width } => {
                write!(f, "invalid width {width}: it must be finite and positive")
            }
        }
    }
}

impl std::error::Error for ZooError {}

/// Builds the model called `name` (one of [`MODEL_NAMES`]) with its recipe.
///
/// Fails with [`ZooError::UnknownModel`] (listing the known names) for any
/// other name, and with [`ZooError::InvalidWidth`] if `opts.width` is not
/// finite and positive.
pub fn build(name: &str, opts: &ZooOptions) -> Result<ZooModel, ZooError> {
    if !(opts.width.is_finite() && opts.width > 0.0) {
        return Err(ZooError::InvalidWidth { width: opts.width });
    }
    let (model, recipe, input): (Box<dyn Module<f32>>, Recipe, ImageInput) = match name {
        "seed-torch" => (
            Box::new(seed_torch::SeedTorch::new(opts)),
            seed_torch::recipe(),
            seed_torch::input(),
        ),
        "seed-keras" => (
            Box::new(seed_keras::SeedKeras::new(opts)),
            seed_keras::recipe(),
            seed_keras::input(),
        ),
        "syna-mlp" => (
            Box::new(syna_mlp::SynaMlp::new(opts)),
            syna_mlp::recipe(),
            syna_mlp::input(),
        ),
        "syna-cnn" => (
            Box::new(syna_cnn::SynaCnn::new(opts)),
            syna_cnn::recipe(),
            syna_cnn::input(),
        ),
        "syna-rnn" => (
            Box::new(syna_rnn::SynaRnn::new(opts)),
            syna_rnn::recipe(),
            syna_rnn::input(),
        ),
        _ => {
            return Err(ZooError::UnknownModel {
                name: name.to_string(),
                known: MODEL_NAMES.iter().map(|n| n.to_string()).collect(),
            })
        }
    };
    Ok(ZooModel {
        name: name.to_string(),
        model,
        recipe,
        input,
    })
}

/// The random streams a model is built from: one for the parameters, drawn
/// in definition order, and one that seeds each dropout layer's own stream,
/// so adding or removing a dropout does not shift the initial values.
struct Rngs {
    init: Rng,
    dropout: Rng,
}

impl Rngs {
    fn new(seed: u64) -> Self {
        Rngs {
            init: seeded(seed),
            // A fixed, arbitrary offset keeps the two streams apart.
            dropout: seeded(seed ^ 0x5EED_D20F_0A7E_0001),
        }
    }

    /// A fresh stream for one dropout layer.
    fn dropout(&mut self) -> Rng {
        seeded(self.dropout.gen())
    }
}

/// A channel count scaled by `width`: round(width · base), at least 1.
fn scaled(base: usize, width: f64) -> usize {
    ((base as f64 * width).round() as usize).max(1)
}

/// The layer in the Synapse's place, per [`SynapseVariant`].
enum SynapseSlot {
    /// The Synapse; `unused_bias` is the original PyTorch layer's bias,
    /// kept (untouched by the forward) so checkpoints map one to one.
    Synapse {
        layer: Synapse<f32>,
        unused_bias: Option<Var<f32>>,
    },
    /// Two Synapse layers in a row.
    Stacked(Synapse<f32>, Synapse<f32>),
    /// Nothing: the input passes through.
    Identity,
    /// A `Linear(n, n)`.
    Linear(Linear<f32>),
}

impl SynapseSlot {
    /// The slot for `features` inputs and outputs; `config` is the
    /// Synapse's (its coupling is replaced by the variant's).
    fn new(features: usize, variant: SynapseVariant, config: SynapseConfig, rng: &mut Rng) -> Self {
        match variant {
            SynapseVariant::Synapse(coupling) => SynapseSlot::Synapse {
                layer: Synapse::new(features, config.coupling(coupling), rng),
                unused_bias: None,
            },
            SynapseVariant::Constrained => SynapseSlot::Synapse {
                layer: Synapse::new(features, SynapseConfig::constrained(), rng),
                unused_bias: None,
            },
            SynapseVariant::Stacked => {
                let config = config.coupling(Coupling::PerSample);
                let first = Synapse::new(features, config, rng);
                SynapseSlot::Stacked(first, Synapse::new(features, config, rng))
            }
            SynapseVariant::Identity => SynapseSlot::Identity,
            SynapseVariant::Linear => {
                SynapseSlot::Linear(Linear::new(features, features, Bias::Yes, rng))
            }
        }
    }

    /// Adds the original PyTorch Synapse's unused bias, U(−1/√n, 1/√n)
    /// drawn after the weight as the original does (Synapse variant only).
    fn with_unused_bias(self, rng: &mut Rng) -> Self {
        match self {
            SynapseSlot::Synapse { layer, .. } => {
                let n = layer.features();
                let bound = 1.0 / (n.max(1) as f64).sqrt();
                let bias = Var::requiring_grad(Tensor::zeros(&[n]));
                uniform_(&bias, -bound, bound, rng);
                SynapseSlot::Synapse {
                    layer,
                    unused_bias: Some(bias),
                }
            }
            other => other,
        }
    }
}

/// The dotted names and values of the parameters of `children` (each
/// `(field name, module)`), in order: what a model's `named_parameters`
/// returns.
fn children_parameters(children: &[(&str, &dyn Module<f32>)]) -> Vec<(String, Var<f32>)> {
    children
        .iter()
        .flat_map(|(name, m)| prefixed(name, m.named_parameters()))
        .collect()
}

/// As [`children_parameters`], for the buffers.
fn children_buffers(children: &[(&str, &dyn Module<f32>)]) -> Vec<(String, Var<f32>)> {
    children
        .iter()
        .flat_map(|(name, m)| prefixed(name, m.named_buffers()))
        .collect()
}

/// As [`children_parameters`], for the clamp counts.
fn children_clamp_counts(children: &[(&str, &dyn Module<f32>)]) -> Vec<(String, u64)> {
    children
        .iter()
        .flat_map(|(name, m)| prefixed(name, m.named_clamp_counts()))
        .collect()
}

impl Module<f32> for SynapseSlot {
    fn forward(&mut self, x: &Var<f32>, mode: Mode) -> Var<f32> {
        match self {
            SynapseSlot::Synapse { layer, .. } => layer.forward(x, mode),
            SynapseSlot::Stacked(first, second) => {
                let h = forward_child("0", first, x, mode);
                forward_child("1", second, &h, mode)
            }
            SynapseSlot::Identity => x.clone(),
            SynapseSlot::Linear(fc) => fc.forward(x, mode),
        }
    }

    fn named_parameters(&self) -> Vec<(String, Var<f32>)> {
        match self {
            SynapseSlot::Synapse { layer, unused_bias } => {
                let mut p = layer.named_parameters();
                if let Some(b) = unused_bias {
                    p.push(("bias".to_string(), b.clone()));
                }
                p
            }
            SynapseSlot::Stacked(first, second) => {
                children_parameters(&[("0", first), ("1", second)])
            }
            SynapseSlot::Identity => Vec::new(),
            SynapseSlot::Linear(fc) => fc.named_parameters(),
        }
    }

    fn named_clamp_counts(&self) -> Vec<(String, u64)> {
        match self {
            SynapseSlot::Synapse { layer, .. } => layer.named_clamp_counts(),
            SynapseSlot::Stacked(first, second) => {
                children_clamp_counts(&[("0", first), ("1", second)])
            }
            SynapseSlot::Identity | SynapseSlot::Linear(_) => Vec::new(),
        }
    }
}
