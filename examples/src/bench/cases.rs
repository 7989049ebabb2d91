//! The cases: each builds its inputs once (outside the timing) and returns
//! the closure that runs one repetition, exactly as training would run it:
//! leaves that need gradients are cleared first (PyTorch's
//! `zero_grad(set_to_none=True)`), the forward pass records the graph, and
//! the backward pass starts from a fixed output gradient.
//!
//! The names and shapes are those of `bench/pytorch/torch_side.py`, so the
//! two sides can be compared case by case. All cases run in f32.

use super::report::Work;
use synann::layers::{
    BParam, RnnOutput, Synapse, SynapseConfig, SynapseConv2d, SynapseInit, SynapseRNN,
};
use synann::zoo::{self, ZooOptions};
use synann_autograd::{no_grad, Var};
use synann_nn::layers::{Bias, Conv2d, GRUCell, Linear, RNNCell};
use synann_nn::loss::{cross_entropy, nll_loss, Reduction};
use synann_nn::optim::{Adam, AdamConfig, Optimizer, SgdConfig, SGD};
use synann_nn::{Mode, Module};
use synann_tensor::random::{seeded, Rng};
use synann_tensor::Tensor;

/// One repetition of a case, ready to run.
pub type Step = Box<dyn FnMut()>;

/// A benchmark case.
pub struct Case {
    /// The name, shared with the PyTorch side.
    pub name: &'static str,
    /// What one repetition does.
    pub about: &'static str,
    /// Whether it takes long enough to run under the heavy protocol
    /// ([`Protocol::heavy`](super::Protocol::heavy)).
    pub heavy: bool,
    /// Builds the inputs and returns one repetition and the work it does.
    pub build: fn() -> (Step, Work),
}

/// Every case, in the order a full run takes them.
pub const CASES: &[Case] = &[
    Case {
        name: "matmul_256",
        about: "C = A·B, 256×256 (forward only)",
        heavy: false,
        build: || matmul(256),
    },
    Case {
        name: "matmul_512",
        about: "C = A·B, 512×512 (forward only)",
        heavy: false,
        build: || matmul(512),
    },
    Case {
        name: "matmul_1024",
        about: "C = A·B, 1024×1024 (forward only)",
        heavy: false,
        build: || matmul(1024),
    },
    Case {
        name: "conv1_fb",
        about: "Conv2d 1→10 5×5 on [100, 1, 28, 28], fwd+bwd, weight/bias grads",
        heavy: false,
        build: conv1_fb,
    },
    Case {
        name: "conv2_fb",
        about: "Conv2d 10→20 5×5 on [100, 10, 12, 12], fwd+bwd, input/weight/bias grads",
        heavy: false,
        build: conv2_fb,
    },
    Case {
        name: "linear64_fb",
        about: "Linear(64, 64) at batch 128, fwd+bwd, input/weight/bias grads",
        heavy: false,
        build: || linear_fb(64),
    },
    Case {
        name: "linear256_fb",
        about: "Linear(256, 256) at batch 128, fwd+bwd, input/weight/bias grads",
        heavy: false,
        build: || linear_fb(256),
    },
    Case {
        name: "linear784_fb",
        about: "Linear(784, 784) at batch 128, fwd+bwd, input/weight/bias grads",
        heavy: false,
        build: linear784_fb,
    },
    Case {
        name: "synapse_n64_fb",
        about: "Synapse(64) at batch 128, fwd+bwd",
        heavy: false,
        build: || synapse_fb(64, 128),
    },
    Case {
        name: "synapse_n256_fb",
        about: "Synapse(256) at batch 128, fwd+bwd",
        heavy: false,
        build: || synapse_fb(256, 128),
    },
    Case {
        name: "synapse_n784_fb",
        about: "Synapse(784) at batch 128, fwd+bwd",
        heavy: true,
        build: || synapse_fb(784, 128),
    },
    Case {
        name: "synapse_n784_fwd",
        about: "Synapse(784) at batch 128, forward without graph",
        heavy: false,
        build: synapse_n784_fwd,
    },
    Case {
        name: "synapse_n784_b512_fb",
        about: "Synapse(784) at batch 512 (the Keras size), fwd+bwd",
        heavy: true,
        build: || synapse_fb(784, 512),
    },
    Case {
        name: "synapse_conv_fb",
        about: "SynapseConv2d 8 ch 3×3 on [32, 8, 14, 14], fwd+bwd",
        heavy: false,
        build: synapse_conv_fb,
    },
    Case {
        name: "synapse_rnn_step_fb",
        about: "SynapseRNN 28→128 over 28 steps at batch 100, fwd+bwd",
        heavy: false,
        build: synapse_rnn_step_fb,
    },
    Case {
        name: "rnn_tanh_step_fb",
        about: "tanh RNNCell 28→128 over 28 steps at batch 100, fwd+bwd",
        heavy: false,
        build: || recurrent_fb(Recurrent::Tanh),
    },
    Case {
        name: "gru_step_fb",
        about: "GRUCell 28→128 over 28 steps at batch 100, fwd+bwd",
        heavy: false,
        build: || recurrent_fb(Recurrent::Gru),
    },
    Case {
        name: "seed_torch_step",
        about: "one SGD step of the seed PyTorch Net at batch 100",
        heavy: false,
        build: seed_torch_step,
    },
    Case {
        name: "seed_keras_step",
        about: "one Adam step of the full-width seed Keras CNN at batch 64",
        heavy: true,
        build: seed_keras_step,
    },
];

/// The case called `name`, if any.
///
/// ```
/// use synann_examples::bench::find;
/// assert!(find("conv1_fb").is_some());
/// assert!(find("conv3_fb").is_none());
/// ```
pub fn find(name: &str) -> Option<&'static Case> {
    CASES.iter().find(|c| c.name == name)
}

/// Seed of every case's generator: each case gets the same inputs each run.
const SEED: u64 = 0;

fn normal(shape: &[usize], rng: &mut Rng) -> Tensor<f32> {
    Tensor::normal(shape, 0.0, 1.0, rng)
}

/// A repetition that clears the gradients of `leaves`, runs `forward` and
/// back-propagates the fixed `grad_output`.
fn forward_backward(
    leaves: Vec<Var<f32>>,
    grad_output: Tensor<f32>,
    mut forward: impl FnMut() -> Var<f32> + 'static,
) -> Step {
    Box::new(move || {
        leaves.iter().for_each(Var::zero_grad);
        forward().backward_with(grad_output.clone());
    })
}

fn matmul(n: usize) -> (Step, Work) {
    let mut rng = seeded(SEED);
    let (a, b) = (normal(&[n, n], &mut rng), normal(&[n, n], &mut rng));
    let step: Step = Box::new(move || {
        std::hint::black_box(a.matmul(&b));
    });
    (step, Work::Flop(2.0 * (n * n * n) as f64))
}

/// A layer's repetition: its parameters (and `input`, if it needs a
/// gradient) are cleared, then forward in training mode and backward.
fn layer_fb(
    mut layer: impl Module<f32> + 'static,
    input: Var<f32>,
    grad_output: Tensor<f32>,
) -> Step {
    let mut leaves = layer.parameters();
    if input.requires_grad() {
        leaves.push(input.clone());
    }
    forward_backward(leaves, grad_output, move || {
        layer.forward(&input, Mode::Train)
    })
}

fn conv1_fb() -> (Step, Work) {
    let mut rng = seeded(SEED);
    let conv = Conv2d::new(1, 10, (5, 5), Default::default(), Bias::Yes, &mut rng);
    // The network's input is data: no gradient for it, as in training.
    let x = Var::constant(normal(&[100, 1, 28, 28], &mut rng));
    let g = normal(&[100, 10, 24, 24], &mut rng);
    (layer_fb(conv, x, g), Work::Images(100))
}

fn conv2_fb() -> (Step, Work) {
    let mut rng = seeded(SEED);
    let conv = Conv2d::new(10, 20, (5, 5), Default::default(), Bias::Yes, &mut rng);
    let x = Var::requiring_grad(normal(&[100, 10, 12, 12], &mut rng));
    let g = normal(&[100, 20, 8, 8], &mut rng);
    (layer_fb(conv, x, g), Work::Images(100))
}

fn linear784_fb() -> (Step, Work) {
    linear_fb(784)
}

/// Linear(n, n) at batch 128: the yardstick of the Synapse(n) cases.
fn linear_fb(n: usize) -> (Step, Work) {
    let mut rng = seeded(SEED);
    let linear = Linear::new(n, n, Bias::Yes, &mut rng);
    let x = Var::requiring_grad(normal(&[128, n], &mut rng));
    let g = normal(&[128, n], &mut rng);
    // Three GEMMs of 128×n×n: the forward pass, dX and dW.
    let flop = 3.0 * 2.0 * (128 * n * n) as f64;
    (layer_fb(linear, x, g), Work::Flop(flop))
}

/// The Synapse layer's input: softmax(randn) rows, all in (0, 1).
fn synapse_input(batch: usize, n: usize, rng: &mut Rng) -> Tensor<f32> {
    normal(&[batch, n], rng).softmax(1)
}

fn synapse_fb(n: usize, batch: usize) -> (Step, Work) {
    let mut rng = seeded(SEED);
    let layer = Synapse::new(n, SynapseConfig::default(), &mut rng);
    let x = Var::requiring_grad(synapse_input(batch, n, &mut rng));
    let g = normal(&[batch, n], &mut rng);
    (layer_fb(layer, x, g), Work::Images(batch))
}

fn synapse_n784_fwd() -> (Step, Work) {
    let mut rng = seeded(SEED);
    let mut layer = Synapse::new(784, SynapseConfig::default(), &mut rng);
    let x = Var::constant(synapse_input(128, 784, &mut rng));
    let step: Step = Box::new(move || {
        std::hint::black_box(no_grad(|| layer.forward(&x, Mode::Eval)));
    });
    (step, Work::Images(128))
}

fn synapse_conv_fb() -> (Step, Work) {
    let mut rng = seeded(SEED);
    let layer = SynapseConv2d::new(8, 3, SynapseInit::original(), BParam::Sigmoid, &mut rng);
    let x = Var::requiring_grad(Tensor::uniform(&[32, 8, 14, 14], 0.05, 0.95, &mut rng));
    let g = normal(&[32, 8, 14, 14], &mut rng);
    (layer_fb(layer, x, g), Work::Images(32))
}

fn synapse_rnn_step_fb() -> (Step, Work) {
    let mut rng = seeded(SEED);
    let mut rnn = SynapseRNN::new(28, 128, &mut rng);
    rnn.output = RnnOutput::LastState;
    // An MNIST image read row by row: 28 steps of 28 pixels (data, no gradient).
    let x = Var::constant(Tensor::uniform(&[100, 28, 28], 0.0, 1.0, &mut rng));
    let g = normal(&[100, 128], &mut rng);
    (layer_fb(rnn, x, g), Work::Images(100))
}

/// The plain recurrent cells timed beside the synapse recurrence.
enum Recurrent {
    Tanh,
    Gru,
}

/// The same sequence as [`synapse_rnn_step_fb`] (28 steps of 28 pixels at
/// batch 100, state 128, last state, fwd+bwd) through a tanh RNN or GRU
/// cell unrolled in a loop: the yardstick of the synapse recurrence, and
/// of PyTorch's `nn.RNN`/`nn.GRU` (one fused call over the sequence).
fn recurrent_fb(kind: Recurrent) -> (Step, Work) {
    let mut rng = seeded(SEED);
    let (batch, steps, features, hidden) = (100, 28, 28, 128);
    type Cell = Box<dyn Fn(&Var<f32>, &Var<f32>) -> Var<f32>>;
    let (leaves, cell): (Vec<Var<f32>>, Cell) = match kind {
        Recurrent::Tanh => {
            let cell = RNNCell::new(features, hidden, &mut rng);
            (cell.parameters(), Box::new(move |x, h| cell.step(x, h)))
        }
        Recurrent::Gru => {
            let cell = GRUCell::new(features, hidden, &mut rng);
            (cell.parameters(), Box::new(move |x, h| cell.step(x, h)))
        }
    };
    let x = Var::constant(Tensor::uniform(
        &[batch, steps, features],
        0.0,
        1.0,
        &mut rng,
    ));
    let g = normal(&[batch, hidden], &mut rng);
    let step = forward_backward(leaves, g, move || {
        let mut h = Var::constant(Tensor::zeros(&[batch, hidden]));
        for t in 0..steps {
            h = cell(&x.narrow(1, t, 1).reshape(&[batch, features]), &h);
        }
        h
    });
    (step, Work::Images(batch))
}

fn seed_torch_step() -> (Step, Work) {
    // The seed Net with the per-sample Synapse, from the model zoo (the
    // same layers as torch_side.py's SeedNet).
    let opts = ZooOptions {
        seed: SEED,
        ..ZooOptions::default()
    };
    let mut net = zoo::build("seed-torch", &opts)
        .expect("seed-torch is a zoo model")
        .model;
    let mut rng = seeded(SEED);
    let mut opt = SGD::new(net.parameters(), 0.012, SgdConfig::default().momentum(0.5))
        .expect("lr 0.012, momentum 0.5 are valid SGD settings");
    // Normalised-MNIST-like pixels: the timing does not depend on the values.
    let x = Var::constant(
        Tensor::uniform(&[100, 1, 28, 28], 0.0, 1.0, &mut rng)
            .add_scalar(-0.1307)
            .mul_scalar(1.0 / 0.3081),
    );
    let labels: Vec<usize> = (0..100).map(|i| (i * 7) % 10).collect();
    let step: Step = Box::new(move || {
        opt.zero_grad();
        let log_probs = net.forward(&x, Mode::Train);
        nll_loss(&log_probs, &labels, Reduction::Mean).backward();
        opt.step();
    });
    (step, Work::Images(100))
}

fn seed_keras_step() -> (Step, Work) {
    // The original Keras CNN at full width (convolutions 28, 56, 112, 784
    // channels, Synapse(784)), one Adam step at batch 64 with cross-entropy
    // from the logits, as in its recipe.
    let opts = ZooOptions {
        seed: SEED,
        ..ZooOptions::default()
    };
    let mut net = zoo::build("seed-keras", &opts)
        .expect("seed-keras is a zoo model")
        .model;
    let mut rng = seeded(SEED);
    let mut opt = Adam::new(net.parameters(), 1e-3, AdamConfig::default())
        .expect("lr 0.001 is a valid Adam setting");
    let x = Var::constant(Tensor::uniform(&[64, 1, 28, 28], 0.0, 1.0, &mut rng));
    let labels: Vec<usize> = (0..64).map(|i| (i * 7) % 10).collect();
    let step: Step = Box::new(move || {
        opt.zero_grad();
        let logits = net.forward(&x, Mode::Train);
        cross_entropy(&logits, &labels, Reduction::Mean, 0.0).backward();
        opt.step();
    });
    (step, Work::Images(64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique() {
        let names: HashSet<_> = CASES.iter().map(|c| c.name).collect();
        assert_eq!(names.len(), CASES.len());
    }

    /// The cheap cases run one repetition and leave gradients behind.
    #[test]
    fn cheap_cases_run_and_backpropagate() {
        for name in ["conv2_fb", "synapse_n64_fb", "synapse_conv_fb"] {
            let (mut step, work) = (find(name).unwrap().build)();
            step();
            step(); // gradients are cleared, not accumulated, between reps
            assert!(matches!(work, Work::Images(_)), "{name}");
        }
        let (mut step, work) = (find("matmul_256").unwrap().build)();
        step();
        assert_eq!(work, Work::Flop(2.0 * 256f64.powi(3)));
    }

    #[test]
    fn synapse_case_fills_finite_gradients() {
        let mut rng = seeded(SEED);
        let mut layer = Synapse::<f32>::new(16, SynapseConfig::default(), &mut rng);
        let x = Var::requiring_grad(synapse_input(4, 16, &mut rng));
        layer
            .forward(&x, Mode::Train)
            .backward_with(normal(&[4, 16], &mut rng));
        assert!(x.grad().unwrap().all_finite());
        assert!(layer.weight.grad().unwrap().all_finite());
    }

    #[test]
    fn seed_torch_step_runs_repeatedly() {
        let (mut step, work) = (find("seed_torch_step").unwrap().build)();
        step();
        step();
        assert_eq!(work, Work::Images(100));
    }
}
