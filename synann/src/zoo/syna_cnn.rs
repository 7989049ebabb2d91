//! `syna-cnn`: our SynaNN CNN for MNIST, designed for accuracy at a small
//! cost (our design, not from the original code).
//!
//! ```text
//! [N, 1, 28, 28], normalised
//!   conv1 Conv2d(1, 16, 3, pad 1) → ReLU                  [N, 16, 28, 28]
//!   conv2 Conv2d(16, 16, 3, pad 1) → bn2 → max-pool 2 → sigmoid   [N, 16, 14, 14] in (0, 1)
//!   synapse_conv SynapseConv2d(16, 3×3), B = W raw         [N, 16, 14, 14] in (0, 1)
//!   conv3 Conv2d(16, 32, 3, pad 1) → bn3 → ReLU → max-pool 2      [N, 32, 7, 7]
//!   conv4 Conv2d(32, 32, 3, pad 1) → bn4 → ReLU            [N, 32, 7, 7]
//!   flatten → fc1 Linear(1568, 128) → bn5 → sigmoid         [N, 128] in (0, 1)
//!   synapse Synapse(128): a = 1, B = W raw, kaiming_uniform(a = √5)
//!   bn6 BatchNorm1d(128) → fc2 Linear(128, 10)              [N, 10] logits
//! ```
//!
//! Convolutions before a BatchNorm have no bias (BatchNorm's β plays its
//! part); `conv1` has one and no BatchNorm, which would cost as much as
//! the convolution itself at 28×28 and adds little on one input channel.
//! The two synapse layers need inputs in (0, 1), hence the sigmoids in
//! front of them: the sigmoid squashes a batch-normalised map (mean 0,
//! unit variance), so its values spread around 0.5 instead of piling up at
//! the ends. Both use B = W raw with the original initialisation
//! (|B| ≤ 1/√fan_in), so every factor 1 − B·x starts positive; later
//! out-of-range factors fall under the default domain policy of
//! [`synapse_logsum`](crate::ops::synapse_logsum) (clamped, no gradient).
//!
//! Size: the recipe is sized to train in under 30 minutes on a 2-core
//! machine; twice the channels (32 and 64, `--width 2`) would not fit. What
//! the recipe reaches, and in how long, is in the full-recipe runs table of
//! `docs/RESULTS.md` (generated from `results/`).
//!
//! Channel counts (16, 32) are multiplied by [`ZooOptions::width`]
//! (rounded, at least 1); the head (128) is not. [`SynapseVariant`]
//! applies to the fully connected `synapse`, [`ConvSynapseVariant`] to
//! `synapse_conv`; with both replaced by nothing the model is a plain
//! CNN.
//!
//! Recipe: logits + cross-entropy with label smoothing 0.1, AdamW (weight
//! decay 0.01) with OneCycle peaking at 3·10⁻³, batch 100, MNIST mean/std
//! normalisation, random affine augmentation (±10°, translation 0.1,
//! scale 0.9–1.1), 20 epochs.
//!
//! [`SynapseVariant`]: super::SynapseVariant
//! [`ConvSynapseVariant`]: super::ConvSynapseVariant

use super::ConvSynapseVariant;
use super::{children_buffers, children_clamp_counts, children_parameters, scaled, Rngs};
use super::{
    Augmentation, ImageInput, InputLayout, LossKind, Normalization, OptimizerKind, Recipe, Schedule,
};
use super::{SynapseSlot, ZooOptions};
use crate::layers::{BParam, SynapseConfig, SynapseConv2d, SynapseInit};
use synann_autograd::anomaly::describe_module;
use synann_autograd::Var;
use synann_nn::layers::{BatchNorm1d, BatchNorm2d, Bias, Conv2d, Linear};
use synann_nn::{forward_child, Mode, Module};
use synann_tensor::conv::Conv2dParams;
use synann_tensor::random::Rng;

/// The window of the convolutional synapse.
const SYNAPSE_KERNEL: usize = 3;
/// The width of the fully connected head.
const HEAD: usize = 128;

/// The layer in `syna-cnn`'s convolutional synapse's place, per
/// [`ConvSynapseVariant`].
enum ConvSynapseSlot {
    /// The convolutional synapse.
    Synapse(SynapseConv2d<f32>),
    /// Nothing.
    Identity,
    /// A 3×3 convolution of the same parameter count.
    Conv(Conv2d<f32>),
}

impl Module<f32> for ConvSynapseSlot {
    fn forward(&mut self, x: &Var<f32>, mode: Mode) -> Var<f32> {
        match self {
            ConvSynapseSlot::Synapse(layer) => layer.forward(x, mode),
            ConvSynapseSlot::Identity => x.clone(),
            ConvSynapseSlot::Conv(conv) => conv.forward(x, mode),
        }
    }

    fn named_parameters(&self) -> Vec<(String, Var<f32>)> {
        match self {
            ConvSynapseSlot::Synapse(layer) => layer.named_parameters(),
            ConvSynapseSlot::Identity => Vec::new(),
            ConvSynapseSlot::Conv(conv) => conv.named_parameters(),
        }
    }

    fn named_clamp_counts(&self) -> Vec<(String, u64)> {
        match self {
            ConvSynapseSlot::Synapse(layer) => layer.named_clamp_counts(),
            ConvSynapseSlot::Identity | ConvSynapseSlot::Conv(_) => Vec::new(),
        }
    }
}

/// Our SynaNN CNN (see the [module docs](self)).
pub(super) struct SynaCnn {
    conv1: Conv2d<f32>,
    conv2: Conv2d<f32>,
    bn2: BatchNorm2d<f32>,
    synapse_conv: ConvSynapseSlot,
    conv3: Conv2d<f32>,
    bn3: BatchNorm2d<f32>,
    conv4: Conv2d<f32>,
    bn4: BatchNorm2d<f32>,
    fc1: Linear<f32>,
    bn5: BatchNorm1d<f32>,
    synapse: SynapseSlot,
    bn6: BatchNorm1d<f32>,
    fc2: Linear<f32>,
}

/// A 3×3 convolution with 'same' padding.
fn conv3x3(in_channels: usize, out_channels: usize, bias: Bias, rng: &mut Rng) -> Conv2d<f32> {
    let params = Conv2dParams {
        padding: (1, 1),
        ..Default::default()
    };
    Conv2d::new(in_channels, out_channels, (3, 3), params, bias, rng)
}

/// 2×2 max-pooling with stride 2.
fn max_pool2(x: &Var<f32>) -> Var<f32> {
    x.max_pool2d((2, 2), (2, 2), (0, 0))
}

impl SynaCnn {
    /// The model at `opts.width`.
    pub(super) fn new(opts: &ZooOptions) -> Self {
        let (c1, c2) = (scaled(16, opts.width), scaled(32, opts.width));
        let rng = &mut Rngs::new(opts.seed).init;
        let conv1 = conv3x3(1, c1, Bias::Yes, rng);
        let conv2 = conv3x3(c1, c1, Bias::No, rng);
        let synapse_conv = match opts.conv_variant {
            ConvSynapseVariant::Synapse => ConvSynapseSlot::Synapse(SynapseConv2d::new(
                c1,
                SYNAPSE_KERNEL,
                SynapseInit::original(),
                BParam::Raw,
                rng,
            )),
            ConvSynapseVariant::Identity => ConvSynapseSlot::Identity,
            ConvSynapseVariant::Conv => ConvSynapseSlot::Conv(conv3x3(c1, c1, Bias::No, rng)),
        };
        let conv3 = conv3x3(c1, c2, Bias::No, rng);
        let conv4 = conv3x3(c2, c2, Bias::No, rng);
        let fc1 = Linear::new(c2 * 7 * 7, HEAD, Bias::Yes, rng);
        let synapse = SynapseSlot::new(HEAD, opts.variant, SynapseConfig::default(), rng);
        let fc2 = Linear::new(HEAD, 10, Bias::Yes, rng);
        SynaCnn {
            conv1,
            conv2,
            bn2: BatchNorm2d::new(c1),
            synapse_conv,
            conv3,
            bn3: BatchNorm2d::new(c2),
            conv4,
            bn4: BatchNorm2d::new(c2),
            fc1,
            bn5: BatchNorm1d::new(HEAD),
            synapse,
            bn6: BatchNorm1d::new(HEAD),
            fc2,
        }
    }

    fn children(&self) -> [(&str, &dyn Module<f32>); 13] {
        [
            ("conv1", &self.conv1),
            ("conv2", &self.conv2),
            ("bn2", &self.bn2),
            ("synapse_conv", &self.synapse_conv),
            ("conv3", &self.conv3),
            ("bn3", &self.bn3),
            ("conv4", &self.conv4),
            ("bn4", &self.bn4),
            ("fc1", &self.fc1),
            ("bn5", &self.bn5),
            ("synapse", &self.synapse),
            ("bn6", &self.bn6),
            ("fc2", &self.fc2),
        ]
    }
}

impl Module<f32> for SynaCnn {
    /// `[N, 1, 28, 28]` images to `[N, 10]` logits.
    fn forward(&mut self, x: &Var<f32>, mode: Mode) -> Var<f32> {
        let _model = describe_module(|| "syna-cnn".to_string());
        let h = forward_child("conv1", &mut self.conv1, x, mode).relu();
        let h = forward_child("conv2", &mut self.conv2, &h, mode);
        let h = forward_child("bn2", &mut self.bn2, &h, mode);
        let h = max_pool2(&h).sigmoid();
        let h = forward_child("synapse_conv", &mut self.synapse_conv, &h, mode);
        let h = forward_child("conv3", &mut self.conv3, &h, mode);
        let h = forward_child("bn3", &mut self.bn3, &h, mode).relu();
        let h = max_pool2(&h);
        let h = forward_child("conv4", &mut self.conv4, &h, mode);
        let h = forward_child("bn4", &mut self.bn4, &h, mode).relu();
        let h = h.flatten_from(1);
        let h = forward_child("fc1", &mut self.fc1, &h, mode);
        let h = forward_child("bn5", &mut self.bn5, &h, mode).sigmoid();
        let h = forward_child("synapse", &mut self.synapse, &h, mode);
        let h = forward_child("bn6", &mut self.bn6, &h, mode);
        forward_child("fc2", &mut self.fc2, &h, mode)
    }

    fn named_parameters(&self) -> Vec<(String, Var<f32>)> {
        children_parameters(&self.children())
    }

    fn named_buffers(&self) -> Vec<(String, Var<f32>)> {
        children_buffers(&self.children())
    }

    /// `synapse_conv` and `synapse` (their variants' counts, if any).
    fn named_clamp_counts(&self) -> Vec<(String, u64)> {
        children_clamp_counts(&self.children())
    }
}

/// Our training setup.
pub(super) fn recipe() -> Recipe {
    Recipe {
        epochs: 20,
        batch_size: 100,
        lr: 3e-3,
        optimizer: OptimizerKind::AdamW { weight_decay: 1e-2 },
        schedule: Schedule::OneCycle,
        loss: LossKind::CrossEntropy,
        label_smoothing: 0.1,
    }
}

/// How the model takes its images: layout, normalisation, augmentation.
pub(super) fn input() -> ImageInput {
    ImageInput {
        layout: InputLayout::Image,
        normalization: Normalization::MNIST,
        augmentation: Augmentation {
            shift: 0,
            degrees: 10.0,
            translate: 0.1,
            scale: (0.9, 1.1),
        },
    }
}
