//! f32 against f64: the synapse kernels' f32 outputs and gradients
//! compared with their own f64 run on the same inputs
//! (`synann_autograd::check_precision!`), at the sizes training uses
//! (784 and 4096 inputs) and on a small case, in two regimes: X ∈ [0, 1)
//! with B ∈ [−1, 1) (factors anywhere in (0, 2)), and weak synapses,
//! X ∈ [0, 0.1) with B ∈ [−0.1, 0.1) (every factor within 1% of 1, where
//! a product of factors loses the digits a sum of `ln_1p` keeps).

use synann::ops::{synapse_logsum_with, Kernel};
use synann_autograd::{check_precision, Compared, PrecisionOptions};
use synann_tensor::random::seeded;
use synann_tensor::Tensor;

/// X in [0, x_max), B in [−b_max, b_max), for every shape and regime.
fn cases(seed: u64) -> Vec<[Tensor<f64>; 2]> {
    let mut all = Vec::new();
    for (x_max, b_max) in [(1.0, 1.0), (0.1, 0.1)] {
        for (batch, inputs, outputs) in [(3, 7, 2), (8, 784, 16), (4, 4096, 8)] {
            all.push([
                Tensor::uniform(&[batch, inputs], 0.0, x_max, &mut seeded(seed)),
                Tensor::uniform(&[outputs, inputs], -b_max, b_max, &mut seeded(seed ^ 1)),
            ]);
        }
    }
    all
}

fn options(compare: Compared) -> PrecisionOptions {
    PrecisionOptions {
        compare,
        ..PrecisionOptions::default()
    }
}

#[test]
fn reference_kernel_f32_is_precise() {
    for x in cases(1) {
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
    for x in cases(2) {
        let opts = options(Compared::Gradients);
        check_precision!(
            |v| synapse_logsum_with(&v[0], &v[1], Kernel::Fast),
            &x,
            &opts
        )
        .unwrap_or_else(|e| panic!("{e}"));
    }
}

/// With weak synapses (factors near 1) the fast forward used to be about
/// 150–190 ulps off its f64 run (the reference kernel: ≤ 16); the
/// compensated products of the kernels (see `fast/portable.rs`) fixed it.
#[test]
fn fast_kernel_f32_forward_is_precise() {
    for x in cases(3) {
        let opts = options(Compared::Output);
        check_precision!(
            |v| synapse_logsum_with(&v[0], &v[1], Kernel::Fast),
            &x,
            &opts
        )
        .unwrap_or_else(|e| panic!("{e}"));
    }
}
