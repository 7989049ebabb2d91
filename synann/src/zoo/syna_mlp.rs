//! `syna-mlp`: the SynaNN paper's multilayer perceptron for MNIST.
//!
//! ```text
//! [N, 784] pixels in [0, 1]
//!   fc1 Linear(784, 280) → softmax(dim 1)     [N, 280] in (0, 1)
//!   synapse Synapse(280): a = 1, B = W raw, kaiming_uniform(a = √5)
//!   dropout(0.25)
//!   fc2 Linear(280, 10)                       [N, 10] logits
//! ```
//!
//! The softmax turns the hidden layer into a probability vector, the open
//! probabilities the Synapse needs (with the initial |B| ≤ 1/√280 every
//! factor 1 − B·x is positive). [`SynapseInput::Sigmoid`] replaces it by a
//! sigmoid per feature (for the ablation study).
//!
//! Recipe (the paper): logits + cross-entropy, Adam with the per-step
//! learning rate 0.0001 + 0.003·e^(−step/2000) (the base rate is its start,
//! 0.0031), batch 100, pixels in [0, 1], no augmentation, 17 epochs
//! (10,200 steps, past the paper's ~10,000; it reports 97.95 % test
//! accuracy).

use super::{children_clamp_counts, children_parameters, Rngs};
use super::{
    Augmentation, ImageInput, InputLayout, LossKind, Normalization, OptimizerKind, Recipe, Schedule,
};
use super::{SynapseInput, SynapseSlot, ZooOptions};
use crate::layers::SynapseConfig;
use synann_autograd::anomaly::describe_module;
use synann_autograd::Var;
use synann_nn::layers::{Bias, Dropout, Linear};
use synann_nn::{forward_child, prefixed, Mode, Module};
use synann_tensor::random::Rng;

/// The hidden width.
const HIDDEN: usize = 280;

/// The paper's MLP (see the [module docs](self)).
pub(super) struct SynaMlp {
    fc1: Linear<f32>,
    synapse_input: SynapseInput,
    synapse: SynapseSlot,
    dropout: Dropout,
    fc2: Linear<f32>,
}

impl SynaMlp {
    /// The model; `opts.width` is ignored.
    pub(super) fn new(opts: &ZooOptions) -> Self {
        let mut rngs = Rngs::new(opts.seed);
        let rng = &mut rngs.init;
        let fc1 = Linear::new(784, HIDDEN, Bias::Yes, rng);
        let synapse = SynapseSlot::new(HIDDEN, opts.variant, SynapseConfig::default(), rng);
        let fc2 = Linear::new(HIDDEN, 10, Bias::Yes, rng);
        SynaMlp {
            fc1,
            synapse_input: opts.synapse_input,
            synapse,
            dropout: Dropout::new(0.25, rngs.dropout()),
            fc2,
        }
    }

    /// The children with parameters, by field name.
    fn children(&self) -> [(&str, &dyn Module<f32>); 3] {
        [
            ("fc1", &self.fc1),
            ("synapse", &self.synapse),
            ("fc2", &self.fc2),
        ]
    }
}

impl Module<f32> for SynaMlp {
    /// `[N, 784]` pixels to `[N, 10]` logits.
    fn forward(&mut self, x: &Var<f32>, mode: Mode) -> Var<f32> {
        let _model = describe_module(|| "syna-mlp".to_string());
        let h = forward_child("fc1", &mut self.fc1, x, mode);
        let h = self.synapse_input.apply(&h);
        let h = forward_child("synapse", &mut self.synapse, &h, mode);
        let h = forward_child("dropout", &mut self.dropout, &h, mode);
        forward_child("fc2", &mut self.fc2, &h, mode)
    }

    /// The dropout generators: `dropout.rng`.
    fn named_generators(&mut self) -> Vec<(String, &mut Rng)> {
        prefixed(
            "dropout",
            Module::<f32>::named_generators(&mut self.dropout),
        )
    }

    /// `fc1.*`, `synapse.*`, `fc2.*`.
    fn named_parameters(&self) -> Vec<(String, Var<f32>)> {
        children_parameters(&self.children())
    }

    /// `synapse` (or `synapse.0` and `synapse.1` when stacked).
    fn named_clamp_counts(&self) -> Vec<(String, u64)> {
        children_clamp_counts(&self.children())
    }
}

/// The paper's training setup.
pub(super) fn recipe() -> Recipe {
    let (floor, amplitude) = (0.0001, 0.003);
    Recipe {
        epochs: 17,
        batch_size: 100,
        lr: floor + amplitude,
        optimizer: OptimizerKind::Adam,
        schedule: Schedule::ExpDecayPerStep {
            floor,
            amplitude,
            decay_steps: 2000.0,
        },
        loss: LossKind::CrossEntropy,
        label_smoothing: 0.0,
    }
}

/// How the model takes its images: layout, normalisation, augmentation.
pub(super) fn input() -> ImageInput {
    ImageInput {
        layout: InputLayout::Flat,
        normalization: Normalization::Unit,
        augmentation: Augmentation::NONE,
    }
}
