//! `seed-torch`: the original SynaNN PyTorch MNIST CNN (`class Net`).
//!
//! ```text
//! [N, 1, 28, 28]
//!   conv1 Conv2d(1, 10, 5)   → max-pool 2 → ReLU          [N, 10, 12, 12]
//!         (the convolution and its pooling as one op, Conv2d::forward_max_pool2d)
//!   conv2 Conv2d(10, 20, 5)  → Dropout2d(0.5) → max-pool 2 → ReLU   [N, 20, 4, 4]
//!   flatten                                               [N, 320]
//!   fc1 Linear(320, 64) → ReLU → dropout(0.5) → softmax(dim 1)      [N, 64] in (0, 1)
//!   fcn Synapse(64): a = 1, B = W raw, kaiming_uniform(a = √5)
//!   fcb BatchNorm1d(64)
//!   fc2 Linear(64, 10) → log_softmax(dim 1)               [N, 10]
//! ```
//!
//! The softmax makes the Synapse's input a probability vector, so with the
//! initial |B| ≤ 1/8 every factor 1 − B·x is positive. [`SynapseInput::Sigmoid`]
//! replaces the softmax by a sigmoid per feature (for the ablation study).
//!
//! Parameter and buffer names are exactly the original's (`conv1.weight`,
//! …, `fcb.num_batches_tracked`, `fc2.bias`). The original Synapse creates
//! a `bias` it never uses; it is kept as `fcn.bias` (initialised as the
//! original does, never read by the forward, so it gets no gradient and
//! optimizers skip it) so that checkpoints map one to one.
//!
//! Recipe (the original script): NLL loss, SGD lr 0.012 momentum 0.5,
//! batch 100, MNIST mean/std normalisation, no augmentation, 10 epochs.

use super::{children_buffers, children_clamp_counts, children_parameters};
use super::{
    Augmentation, ImageInput, InputLayout, LossKind, Normalization, OptimizerKind, Recipe,
    Schedule, SynapseInput, ZooOptions,
};
use super::{Rngs, SynapseSlot};
use crate::layers::SynapseConfig;
use synann_autograd::anomaly::{describe_module, enter_module};
use synann_autograd::Var;
use synann_nn::layers::{BatchNorm1d, Bias, Conv2d, Dropout, Dropout2d, Linear, MaxPool2d};
use synann_nn::{forward_child, prefixed, Mode, Module};
use synann_tensor::conv::Conv2dParams;
use synann_tensor::random::Rng;

/// The original PyTorch `Net` (see the [module docs](self)).
pub(super) struct SeedTorch {
    conv1: Conv2d<f32>,
    conv2: Conv2d<f32>,
    conv2_drop: Dropout2d,
    fc1: Linear<f32>,
    fc1_drop: Dropout,
    synapse_input: SynapseInput,
    fcn: SynapseSlot,
    fcb: BatchNorm1d<f32>,
    fc2: Linear<f32>,
}

impl SeedTorch {
    /// The model, parameters drawn in the original's order; `opts.width` is
    /// ignored.
    pub(super) fn new(opts: &ZooOptions) -> Self {
        let mut rngs = Rngs::new(opts.seed);
        let rng = &mut rngs.init;
        let conv = Conv2dParams::default();
        let conv1 = Conv2d::new(1, 10, (5, 5), conv, Bias::Yes, rng);
        let conv2 = Conv2d::new(10, 20, (5, 5), conv, Bias::Yes, rng);
        let fc1 = Linear::new(320, 64, Bias::Yes, rng);
        let fcn =
            SynapseSlot::new(64, opts.variant, SynapseConfig::default(), rng).with_unused_bias(rng);
        let fc2 = Linear::new(64, 10, Bias::Yes, &mut rngs.init);
        SeedTorch {
            conv1,
            conv2,
            conv2_drop: Dropout2d::new(0.5, rngs.dropout()),
            fc1,
            fc1_drop: Dropout::new(0.5, rngs.dropout()),
            synapse_input: opts.synapse_input,
            fcn,
            fcb: BatchNorm1d::new(64),
            fc2,
        }
    }

    fn children(&self) -> [(&str, &dyn Module<f32>); 6] {
        [
            ("conv1", &self.conv1),
            ("conv2", &self.conv2),
            ("fc1", &self.fc1),
            ("fcn", &self.fcn),
            ("fcb", &self.fcb),
            ("fc2", &self.fc2),
        ]
    }
}

/// 2×2 max-pooling with stride 2, PyTorch's `F.max_pool2d(x, 2)`.
fn max_pool2(x: &Var<f32>) -> Var<f32> {
    x.max_pool2d((2, 2), (2, 2), (0, 0))
}

impl Module<f32> for SeedTorch {
    /// `[N, 1, 28, 28]` images to `[N, 10]` log-probabilities.
    fn forward(&mut self, x: &Var<f32>, mode: Mode) -> Var<f32> {
        let _model = describe_module(|| "seed-torch".to_string());
        // conv1 and its pooling as one op (the same values and gradients;
        // its weight gradient summed over the pooling's winners alone).
        let x = {
            let _conv1 = enter_module("conv1");
            self.conv1.forward_max_pool2d(x, &MaxPool2d::new((2, 2)))
        }
        .relu();
        let x = forward_child("conv2", &mut self.conv2, &x, mode);
        let x = max_pool2(&forward_child("conv2_drop", &mut self.conv2_drop, &x, mode)).relu();
        let n = x.shape()[0];
        let x = forward_child("fc1", &mut self.fc1, &x.reshape(&[n, 320]), mode).relu();
        let x = forward_child("fc1_drop", &mut self.fc1_drop, &x, mode);
        let x = self.synapse_input.apply(&x);
        let x = forward_child("fcn", &mut self.fcn, &x, mode);
        let x = forward_child("fcb", &mut self.fcb, &x, mode);
        forward_child("fc2", &mut self.fc2, &x, mode).log_softmax(1)
    }

    /// The dropout generators: `conv2_drop.rng`, `fc1_drop.rng`.
    fn named_generators(&mut self) -> Vec<(String, &mut Rng)> {
        let mut out = prefixed(
            "conv2_drop",
            Module::<f32>::named_generators(&mut self.conv2_drop),
        );
        out.extend(prefixed(
            "fc1_drop",
            Module::<f32>::named_generators(&mut self.fc1_drop),
        ));
        out
    }

    fn named_parameters(&self) -> Vec<(String, Var<f32>)> {
        children_parameters(&self.children())
    }

    fn named_buffers(&self) -> Vec<(String, Var<f32>)> {
        children_buffers(&self.children())
    }

    fn named_clamp_counts(&self) -> Vec<(String, u64)> {
        children_clamp_counts(&self.children())
    }
}

/// The original script's training setup.
pub(super) fn recipe() -> Recipe {
    Recipe {
        epochs: 10,
        batch_size: 100,
        lr: 0.012,
        optimizer: OptimizerKind::Sgd { momentum: 0.5 },
        schedule: Schedule::Constant,
        loss: LossKind::Nll,
        label_smoothing: 0.0,
    }
}

/// How the model takes its images: layout, normalisation, augmentation.
pub(super) fn input() -> ImageInput {
    ImageInput {
        layout: InputLayout::Image,
        normalization: Normalization::MNIST,
        augmentation: Augmentation::NONE,
    }
}
