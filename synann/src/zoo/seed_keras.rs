//! `seed-keras`: the original SynaNN Keras MNIST CNN.
//!
//! ```text
//! [N, 1, 28, 28]
//!   conv1 Conv2d(1, 28, 3)    → ReLU     [N, 28, 26, 26]   ('valid', stride 1)
//!   conv2 Conv2d(28, 56, 3)   → ReLU     [N, 56, 24, 24]
//!   conv3 Conv2d(56, 112, 5)  → ReLU     [N, 112, 20, 20]
//!   conv4 Conv2d(112, 784, 7) → ReLU     [N, 784, 14, 14]
//!   global max-pool                      [N, 784]
//!         (conv4 and the pool as one op, then the ReLU: the same values
//!         wherever conv4's output has no NaN)
//!   dropout(0.25) → synapse Synapse(784): a = 1, B = W raw, U(−0.05, 0.05)
//!   dropout(0.25) → fc Linear(784, 10)   [N, 10] logits
//! ```
//!
//! Every channel count is multiplied by [`ZooOptions::width`] (rounded, at
//! least 1) and the Synapse's width follows the last convolution's, so that
//! a narrow version trains in minutes on 2 cores; width 1 is the original.
//! Convolutions and the read-out use Keras's default initialisation
//! (Glorot uniform weights, zero biases).
//!
//! **Domain.** Unlike `seed-torch`, the Synapse's input comes from ReLU and
//! a global max-pool, so it is ≥ 0 but not bounded by 1: a factor
//! 1 − B·x can reach 0 or below once |B|·x ≥ 1 (at initialisation
//! |B| ≤ 0.05, so only inputs above 20 can). The layer uses the default
//! domain policy of [`synapse_logsum`](crate::ops::synapse_logsum): each
//! factor is clamped below at
//! [`FACTOR_FLOOR`](crate::ops::FACTOR_FLOOR) (10⁻³⁰), the clamped terms
//! get no gradient, and the forward stays finite (the original Keras
//! `log1p` would give NaN there). Zero inputs (dead ReLUs) are fine: the
//! output is x times the product, 0.
//!
//! Recipe (the original run): logits + cross-entropy, Adam, batch 64,
//! pixels in [0, 1] (no mean/std normalisation), no augmentation, the
//! learning rate 10⁻³ below epoch 12, 10⁻⁴ below 30 and 10⁻⁵ after,
//! combined with ReduceLROnPlateau on the training accuracy (the seed's
//! `monitor='accuracy'`; factor 0.2, patience 5, min 10⁻⁵), 40 epochs (past
//! the last boundary).

use super::{children_clamp_counts, children_parameters, scaled, Rngs};
use super::{
    Augmentation, ImageInput, InputLayout, LossKind, Normalization, OptimizerKind, Recipe, Schedule,
};
use super::{SynapseSlot, ZooOptions};
use crate::layers::{SynapseConfig, SynapseInit};
use synann_autograd::anomaly::{describe_module, enter_module};
use synann_autograd::Var;
use synann_nn::init::{xavier_uniform_, zeros_};
use synann_nn::layers::{Bias, Conv2d, Dropout, Linear};
use synann_nn::{forward_child, prefixed, Mode, Module};
use synann_tensor::conv::Conv2dParams;
use synann_tensor::random::Rng;

/// The four convolutions' (output channels, kernel size) at full width.
const CONVS: [(usize, usize); 4] = [(28, 3), (56, 3), (112, 5), (784, 7)];
/// The convolutions' names.
const CONV_NAMES: [&str; 4] = ["conv1", "conv2", "conv3", "conv4"];

/// The original Keras CNN (see the [module docs](self)).
pub(super) struct SeedKeras {
    convs: Vec<Conv2d<f32>>,
    drop1: Dropout,
    synapse: SynapseSlot,
    drop2: Dropout,
    fc: Linear<f32>,
}

/// Keras's default initialisation: Glorot uniform weight, zero bias.
fn keras_init(weight: &Var<f32>, bias: Option<&Var<f32>>, rng: &mut Rng) {
    xavier_uniform_(weight, 1.0, rng);
    if let Some(b) = bias {
        zeros_(b);
    }
}

impl SeedKeras {
    /// The model at `opts.width`.
    pub(super) fn new(opts: &ZooOptions) -> Self {
        let mut rngs = Rngs::new(opts.seed);
        let rng = &mut rngs.init;
        let mut convs = Vec::with_capacity(CONVS.len());
        let mut channels = 1;
        for (out, k) in CONVS {
            let out = scaled(out, opts.width);
            let conv = Conv2d::new(
                channels,
                out,
                (k, k),
                Conv2dParams::default(),
                Bias::Yes,
                rng,
            );
            keras_init(&conv.weight, conv.bias.as_ref(), rng);
            convs.push(conv);
            channels = out;
        }
        let config = SynapseConfig::default().init(SynapseInit::keras());
        let synapse = SynapseSlot::new(channels, opts.variant, config, rng);
        let fc = Linear::new(channels, 10, Bias::Yes, rng);
        keras_init(&fc.weight, fc.bias.as_ref(), rng);
        SeedKeras {
            convs,
            drop1: Dropout::new(0.25, rngs.dropout()),
            synapse,
            drop2: Dropout::new(0.25, rngs.dropout()),
            fc,
        }
    }

    /// `conv1` to `conv4`, `synapse` and `fc`: the children with
    /// parameters.
    fn children(&self) -> Vec<(&str, &dyn Module<f32>)> {
        let mut children: Vec<(&str, &dyn Module<f32>)> = CONV_NAMES
            .iter()
            .zip(&self.convs)
            .map(|(name, conv)| (*name, conv as &dyn Module<f32>))
            .collect();
        children.push(("synapse", &self.synapse));
        children.push(("fc", &self.fc));
        children
    }
}

impl Module<f32> for SeedKeras {
    /// `[N, 1, 28, 28]` images to `[N, 10]` logits.
    fn forward(&mut self, x: &Var<f32>, mode: Mode) -> Var<f32> {
        let _model = describe_module(|| "seed-keras".to_string());
        let mut h = x.clone();
        let (last, first) = self.convs.split_last_mut().expect("four convolutions");
        for (name, conv) in CONV_NAMES.iter().zip(first) {
            h = forward_child(name, conv, &h, mode).relu();
        }
        // conv4 → ReLU → global max pool, as conv4 and the pool in one op,
        // then the ReLU: max(relu(z)) = relu(max(z)) for any plane without
        // a NaN, and the gradient reaches the same winner (or nothing,
        // where every value of the plane is ≤ 0). (With a NaN in conv4's
        // output, which only a diverged run has, the original order pools
        // the other values and this one gives 0.) The fused op sums
        // conv4's gradients over one winner per channel map instead of all
        // 14×14 positions.
        let h = {
            let _conv4 = enter_module(CONV_NAMES[3]);
            last.forward_global_max_pool2d(&h)
        }
        .relu();
        // [N, C, 1, 1] → [N, C].
        let n = h.shape()[0];
        let h = h.reshape(&[n, self.fc.in_features()]);
        let h = forward_child("drop1", &mut self.drop1, &h, mode);
        let h = forward_child("synapse", &mut self.synapse, &h, mode);
        let h = forward_child("drop2", &mut self.drop2, &h, mode);
        forward_child("fc", &mut self.fc, &h, mode)
    }

    /// The dropout generators: `drop1.rng`, `drop2.rng`.
    fn named_generators(&mut self) -> Vec<(String, &mut Rng)> {
        let mut out = prefixed("drop1", Module::<f32>::named_generators(&mut self.drop1));
        out.extend(prefixed(
            "drop2",
            Module::<f32>::named_generators(&mut self.drop2),
        ));
        out
    }

    /// `conv1.*` to `conv4.*`, `synapse.*`, `fc.*`.
    fn named_parameters(&self) -> Vec<(String, Var<f32>)> {
        children_parameters(&self.children())
    }

    /// `synapse` (or `synapse.0` and `synapse.1` when stacked).
    fn named_clamp_counts(&self) -> Vec<(String, u64)> {
        children_clamp_counts(&self.children())
    }
}

/// The original run's training setup.
pub(super) fn recipe() -> Recipe {
    Recipe {
        epochs: 40,
        batch_size: 64,
        lr: 1e-3,
        optimizer: OptimizerKind::Adam,
        schedule: Schedule::PiecewisePlateau {
            boundaries: vec![12, 30],
            values: vec![1e-3, 1e-4, 1e-5],
            factor: 0.2,
            patience: 5,
            min_lr: 1e-5,
        },
        loss: LossKind::CrossEntropy,
        label_smoothing: 0.0,
    }
}

/// How the model takes its images: layout, normalisation, augmentation.
pub(super) fn input() -> ImageInput {
    ImageInput {
        layout: InputLayout::Image,
        normalization: Normalization::Unit,
        augmentation: Augmentation::NONE,
    }
}
