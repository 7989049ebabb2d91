//! f32 against f64: the synapse kernels' f32 outputs and gradients
//! compared with their own f64 run on the same inputs
//! (`synann_autograd::check_precision!`), at the sizes training uses
//! (784 inputs, as MNIST) and on a small case.

use synann::ops::{synapse_logsum_with, Kernel};
use synann_autograd::{check_precision, Compared, PrecisionOptions};
use synann_tensor::random::seeded;
use synann_tensor::Tensor;

/// X in [0, 1) as after a sigmoid, B in [−1, 1): factors in (0, 2).
fn case(batch: usize, inputs: usize, outputs: usize, seed: u64) -> [Tensor<f64>; 2] {
    [
        Tensor::uniform(&[batch, inputs], 0.0, 1.0, &mut seeded(seed)),
        Tensor::uniform(&[outputs, inputs], -1.0, 1.0, &mut seeded(seed ^ 1)),
    ]
}

fn options(compare: Compared) -> PrecisionOptions {
    PrecisionOptions {
        compare,
        ..PrecisionOptions::default()
    }
}

#[test]
fn reference_kernel_f32_is_precise() {
    for (batch, inputs, outputs) in [(3, 7, 2), (8, 784, 16)] {
        let x = case(batch, inputs, outputs, 1);
        let opts = options(Compared::OutputAndGradients);
        check_precision!(
            |v| synapse_logsum_with(&v[0], &v[1], Kernel::Reference),
            &x,
            &opts
        )
        .unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn fast_kernel_f32_backward_is_precise() {
    for (batch, inputs, outputs) in [(3, 7, 2), (8, 784, 16)] {
        let x = case(batch, inputs, outputs, 2);
        let opts = options(Compared::Gradients);
        check_precision!(
            |v| synapse_logsum_with(&v[0], &v[1], Kernel::Fast),
            &x,
            &opts
        )
        .unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
#[ignore = "the fast synapse forward's f32 products are far less accurate than its f64 run (and than PyTorch's f32); the kernels issue is fixing it, after which this test runs"]
fn fast_kernel_f32_forward_is_precise() {
    for (batch, inputs, outputs) in [(3, 7, 2), (8, 784, 16)] {
        let x = case(batch, inputs, outputs, 3);
        let opts = options(Compared::Output);
        check_precision!(
            |v| synapse_logsum_with(&v[0], &v[1], Kernel::Fast),
            &x,
            &opts
        )
        .unwrap_or_else(|e| panic!("{e}"));
    }
}
