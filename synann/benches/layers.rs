//! The SynaNN layers, forward + backward through autograd as training runs
//! them, in f32: `Synapse(784)` at batch 128, `SynapseConv2d` (8 channels,
//! 3×3) on [32, 8, 14, 14], one `SynapseRNNCell` step (28 → 128, batch 100)
//! and a whole `SynapseRNN` over the 28 rows of an MNIST image. The same
//! shapes as the `cargo run --release --example bench` cases. Run with
//! `RAYON_NUM_THREADS=2 cargo bench -p synann --bench layers`.

use criterion::{criterion_group, criterion_main, Criterion};
use synann::layers::{
    BParam, RnnOutput, Synapse, SynapseConfig, SynapseConv2d, SynapseInit, SynapseRNN,
    SynapseRNNCell,
};
use synann_autograd::Var;
use synann_nn::{Mode, Module};
use synann_tensor::random::seeded;
use synann_tensor::Tensor;

/// Times forward + backward of `forward` from the fixed gradient `g`,
/// clearing the gradients of `leaves` first.
fn fwd_bwd(
    c: &mut Criterion,
    name: &str,
    leaves: &[Var<f32>],
    g: &Tensor<f32>,
    mut forward: impl FnMut() -> Var<f32>,
) {
    c.bench_function(name, |bench| {
        bench.iter(|| {
            leaves.iter().for_each(Var::zero_grad);
            forward().backward_with(g.clone());
        })
    });
}

fn layers(c: &mut Criterion) {
    let rng = &mut seeded(0);

    let mut synapse = Synapse::<f32>::new(784, SynapseConfig::default(), rng);
    let x = Var::requiring_grad(Tensor::normal(&[128, 784], 0.0, 1.0, rng).softmax(-1));
    let g = Tensor::normal(&[128, 784], 0.0, 1.0, rng);
    let mut leaves = synapse.parameters();
    leaves.push(x.clone());
    fwd_bwd(c, "synapse_n784_fwd+bwd", &leaves, &g, || {
        synapse.forward(&x, Mode::Train)
    });

    let mut conv = SynapseConv2d::new(8, 3, SynapseInit::original(), BParam::Sigmoid, rng);
    let x = Var::requiring_grad(Tensor::uniform(&[32, 8, 14, 14], 0.05, 0.95, rng));
    let g = Tensor::normal(&[32, 8, 14, 14], 0.0, 1.0, rng);
    let mut leaves = conv.parameters();
    leaves.push(x.clone());
    fwd_bwd(c, "synapse_conv2d_8ch_fwd+bwd", &leaves, &g, || {
        conv.forward(&x, Mode::Train)
    });

    let cell = SynapseRNNCell::<f32>::new(28, 128, rng);
    let x = Var::constant(Tensor::uniform(&[100, 28], 0.0, 1.0, rng));
    let h = Var::requiring_grad(Tensor::uniform(&[100, 128], 0.05, 0.95, rng));
    let g = Tensor::normal(&[100, 128], 0.0, 1.0, rng);
    let mut leaves = cell.parameters();
    leaves.push(h.clone());
    fwd_bwd(c, "synapse_rnn_cell_step_fwd+bwd", &leaves, &g, || {
        cell.step(&x, &h)
    });

    let mut rnn = SynapseRNN::<f32>::new(28, 128, rng);
    rnn.output = RnnOutput::LastState;
    let x = Var::constant(Tensor::uniform(&[100, 28, 28], 0.0, 1.0, rng));
    let g = Tensor::normal(&[100, 128], 0.0, 1.0, rng);
    let leaves = rnn.parameters();
    fwd_bwd(c, "synapse_rnn_28_steps_fwd+bwd", &leaves, &g, || {
        rnn.forward(&x, Mode::Train)
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = layers
}
criterion_main!(benches);
