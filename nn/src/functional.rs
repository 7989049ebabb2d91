//! The layers' computations as plain functions, PyTorch's
//! `torch.nn.functional`: no state, every input explicit.
//!
//! Most are thin wrappers over ops on [`Var`], gathered here so a model can
//! be written the way PyTorch code reads (`F.relu(F.linear(x, w, b))`).
//! Losses live in [`crate::loss`].
//!
//! ```
//! use synann_autograd::Var;
//! use synann_nn::functional as F;
//! use synann_tensor::Tensor;
//!
//! let x = Var::constant(Tensor::from_vec(vec![-1.0f64, 2.0], &[1, 2]));
//! let w = Var::requiring_grad(Tensor::eye(2));
//! let y = F::relu(&F::linear(&x, &w, None));
//! assert_eq!(y.value().data(), &[0.0, 2.0]);
//! ```

use synann_autograd::Var;
use synann_tensor::conv::Conv2dParams;
use synann_tensor::random::Rng;
use synann_tensor::Float;

pub use crate::layers::batch_norm;
use crate::layers::scaled_mask;
use crate::module::Mode;

/// `x·Wᵀ + b` for `x` `[N, in]`, `weight` `[out, in]`, `bias` `[out]`.
pub fn linear<T: Float>(x: &Var<T>, weight: &Var<T>, bias: Option<&Var<T>>) -> Var<T> {
    x.linear(weight, bias)
}

/// max(x, 0), element-wise.
pub fn relu<T: Float>(x: &Var<T>) -> Var<T> {
    x.relu()
}

/// The logistic sigmoid, element-wise.
pub fn sigmoid<T: Float>(x: &Var<T>) -> Var<T> {
    x.sigmoid()
}

/// tanh, element-wise.
pub fn tanh<T: Float>(x: &Var<T>) -> Var<T> {
    x.tanh()
}

/// Softmax along `dim`.
pub fn softmax<T: Float>(x: &Var<T>, dim: isize) -> Var<T> {
    x.softmax(dim)
}

/// Log-softmax along `dim`.
pub fn log_softmax<T: Float>(x: &Var<T>, dim: isize) -> Var<T> {
    x.log_softmax(dim)
}

/// Inverted dropout: in [`Mode::Train`], zeroes each element with
/// probability `p` (drawn from `rng`) and scales the rest by 1/(1 − p); in
/// [`Mode::Eval`], the identity.
pub fn dropout<T: Float>(x: &Var<T>, p: f64, mode: Mode, rng: &mut Rng) -> Var<T> {
    assert!(
        (0.0..=1.0).contains(&p),
        "dropout: dropout probability has to be between 0 and 1, got {p}"
    );
    if mode == Mode::Eval || p == 0.0 {
        return x.clone();
    }
    x.mul(&Var::constant(scaled_mask(&x.shape(), p, rng)))
}

/// 2-d convolution of `x` `[N, C, H, W]` with `weight`
/// `[out, C/groups, kh, kw]` and an optional `bias` `[out]`.
pub fn conv2d<T: Float>(
    x: &Var<T>,
    weight: &Var<T>,
    bias: Option<&Var<T>>,
    params: Conv2dParams,
) -> Var<T> {
    x.conv2d(weight, bias, params)
}

/// Max pooling of `[N, C, H, W]` windows.
pub fn max_pool2d<T: Float>(
    x: &Var<T>,
    kernel_size: (usize, usize),
    stride: (usize, usize),
    padding: (usize, usize),
) -> Var<T> {
    x.max_pool2d(kernel_size, stride, padding)
}

/// Average pooling of `[N, C, H, W]` windows (padding counts as zeros).
pub fn avg_pool2d<T: Float>(
    x: &Var<T>,
    kernel_size: (usize, usize),
    stride: (usize, usize),
    padding: (usize, usize),
) -> Var<T> {
    x.avg_pool2d(kernel_size, stride, padding)
}
