//! f32 and f64 give the same results up to f32 rounding: the same kernels
//! run for both element types, so a gap would mean a type-specific bug.

use synann_tensor::random::seeded;
use synann_tensor::{KeepDim, Tensor, Transpose, Unbiased};

/// The f64 reference and the f32 result, compared in f64 with a tolerance
/// of a few hundred f32 ulps relative to the size of the values.
fn agree(f64_result: &Tensor<f64>, f32_result: &Tensor<f32>, scale: f64) {
    let got: Tensor<f64> = f32_result.cast();
    assert!(
        got.allclose(f64_result, 1e-4, 1e-5 * scale),
        "f32 {got:?} vs f64 {f64_result:?}"
    );
}

fn pair(shape: &[usize], seed: u64) -> (Tensor<f64>, Tensor<f32>) {
    let x = Tensor::<f64>::uniform(shape, -2.0, 2.0, &mut seeded(seed));
    let y = x.cast();
    (x, y)
}

#[test]
fn matmul_agrees() {
    let (a, a32) = pair(&[17, 33], 1);
    let (b, b32) = pair(&[33, 9], 2);
    agree(&a.matmul(&b), &a32.matmul(&b32), 33.0);
    agree(
        &a.matmul_t(Transpose::Yes, &a, Transpose::No),
        &a32.matmul_t(Transpose::Yes, &a32, Transpose::No),
        17.0,
    );
}

#[test]
fn elementwise_and_reductions_agree() {
    let (x, x32) = pair(&[4, 5, 6], 3);
    agree(&x.exp(), &x32.exp(), 10.0);
    agree(&x.tanh().mul(&x), &x32.tanh().mul(&x32), 1.0);
    agree(&x.sum(&[1], KeepDim::No), &x32.sum(&[1], KeepDim::No), 10.0);
    agree(
        &x.variance(&[0, 2], Unbiased::Yes, KeepDim::Yes),
        &x32.variance(&[0, 2], Unbiased::Yes, KeepDim::Yes),
        4.0,
    );
}

#[test]
fn softmax_family_agrees() {
    let (x, x32) = pair(&[3, 7], 4);
    agree(&x.softmax(1), &x32.softmax(1), 1.0);
    agree(&x.log_softmax(-1), &x32.log_softmax(-1), 4.0);
    agree(
        &x.log_sum_exp(0, KeepDim::No),
        &x32.log_sum_exp(0, KeepDim::No),
        4.0,
    );
}
