//! A convolution whose output only a max pooling reads, as one op:
//! `x.conv2d_max_pool2d(w, b, params, kernel, stride, padding)` is
//! `x.conv2d(w, b, params).max_pool2d(kernel, stride, padding)` in value and
//! gradient (and `conv2d_global_max_pool2d` likewise with
//! `global_max_pool2d`).
//!
//! ```text
//! Z = conv2d(X, W) + b,   Y = max_pool(Z),   q = the winners' positions in Z
//! dL/dZ = dL/dY at q, 0 elsewhere
//! dL/dW = Σ over the winners of dL/dY · (the winner's window of X)
//! dL/dX = Σ over the winners of dL/dY · W, placed on the winner's window
//! dL/db = Σ over the winners of dL/dY
//! ```
//!
//! Unfused, the pooling's backward writes the whole `dL/dZ`, mostly zeros,
//! and the convolution's backward multiplies through it: with a 2×2
//! pooling, three products in four are by zero; with a global one, all but
//! one per plane. Fused, the forward keeps only the winners' positions (`Z`
//! is dropped as soon as it is pooled; where the first-layer kernels make it
//! a plane at a time, or the spectral path a chunk of channels at a time,
//! each piece is pooled at once and `Z` never exists whole:
//! `synann_tensor::conv::conv2d_max_pool2d` and `conv2d_global_max_pool2d`)
//! and the weight and bias gradients
//! are sums over the winners ([`synann_tensor::conv`]'s
//! `conv2d_max_pool2d_backward_*`). The input gradient takes that path too
//! where the winners are at most one in [`SPARSE_INPUT_RATIO`] of `Z`'s
//! positions (a global pooling); with a denser pooling it goes through the
//! unfused kernels, whose matrix products beat a scatter at four times the
//! terms.
//!
//! The values are the unfused ops' bits; the gradients are the same sums in
//! another order (and an infinite or NaN pixel that no winner's window
//! covers does not turn the weight gradient into NaN, as `0·∞` does in
//! the unfused backward; likewise an infinite or NaN weight and the input
//! gradient summed over the winners).

use super::pool::Window;
use crate::function::{apply, BackwardCtx, Function};
use crate::var::Var;
use synann_tensor::conv::{
    conv2d_backward_bias, conv2d_backward_input, conv2d_global_max_pool2d, conv2d_max_pool2d,
    conv2d_max_pool2d_backward_input, conv2d_max_pool2d_backward_weight, max_pool2d_backward,
    Conv2dParams,
};
use synann_tensor::{Float, Tensor};

/// The input gradient is summed over the winners alone when the
/// convolution's output planes have at least this many positions per
/// winner (the unfused path's matrix products run several times faster per
/// term than the scatter).
pub const SPARSE_INPUT_RATIO: usize = 16;

/// `conv2d` then max pooling (`pool`: the window, or the whole plane).
struct Conv2dMaxPool {
    conv: Conv2dParams,
    pool: Option<Window>,
    has_bias: bool,
    /// Each pooled output's winner, in its plane of `Z`.
    indices: Vec<usize>,
    /// `Z`'s shape.
    conv_shape: Vec<usize>,
}

impl<T: Float> Function<T> for Conv2dMaxPool {
    fn name(&self) -> &str {
        match self.pool {
            Some(_) => "conv2d_max_pool2d",
            None => "conv2d_global_max_pool2d",
        }
    }

    fn forward(&mut self, x: &[&Tensor<T>]) -> Tensor<T> {
        let bias = if self.has_bias { Some(x[2]) } else { None };
        let pooled = match self.pool {
            Some(w) => {
                conv2d_max_pool2d(x[0], x[1], bias, &self.conv, w.kernel, w.stride, w.padding)
            }
            None => conv2d_global_max_pool2d(x[0], x[1], bias, &self.conv),
        };
        let (xs, ws) = (x[0].shape(), x[1].shape());
        let (oh, ow) = self.conv.output_size((xs[2], xs[3]), (ws[2], ws[3]));
        self.conv_shape = vec![xs[0], ws[0], oh, ow];
        self.indices = pooled.indices;
        pooled.output
    }

    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> Vec<Option<Tensor<T>>> {
        let (x, w, g) = (ctx.inputs[0], ctx.inputs[1], ctx.grad_output);
        let (idx, conv) = (&self.indices[..], &self.conv);
        let input_grad = || {
            let positions = self.conv_shape[2] * self.conv_shape[3];
            let winners = g.shape()[2] * g.shape()[3];
            if winners * SPARSE_INPUT_RATIO <= positions {
                conv2d_max_pool2d_backward_input(g, idx, w, x.shape(), conv)
            } else {
                let dz = max_pool2d_backward(g, idx, &self.conv_shape);
                conv2d_backward_input(&dz, w, x.shape(), conv)
            }
        };
        let mut grads = vec![
            ctx.needs_grad[0].then(input_grad),
            ctx.needs_grad[1]
                .then(|| conv2d_max_pool2d_backward_weight(g, idx, x, w.shape(), conv)),
        ];
        if self.has_bias {
            // Each pooled output is one element of Z: Z's bias gradient
            // summed over the winners.
            grads.push(ctx.needs_grad[2].then(|| conv2d_backward_bias(g)));
        }
        grads
    }

    /// The gradients read the winners' positions, not the output.
    fn backward_needs_output(&self) -> bool {
        false
    }

    /// The input (for the weight gradient) and the weight (for the input
    /// gradient); never the bias.
    fn backward_needs_input(&self, i: usize) -> bool {
        i < 2
    }
}

impl<T: Float> Var<T> {
    /// `self.conv2d(weight, bias, params).max_pool2d(kernel, stride,
    /// padding)` as one op: the same values and gradients (see the
    /// [module docs](self)), without the convolution's output or its
    /// gradient held between the two.
    ///
    /// ```
    /// use synann_autograd::Var;
    /// use synann_tensor::conv::Conv2dParams;
    /// use synann_tensor::Tensor;
    /// let x = Var::constant(Tensor::from_vec((0..16).map(|v| v as f64).collect(), &[1, 1, 4, 4]));
    /// let w = Var::requiring_grad(Tensor::ones(&[1, 1, 2, 2]));
    /// let y = x.conv2d_max_pool2d(&w, None, Conv2dParams::default(), (3, 3), (3, 3), (0, 0));
    /// // The convolution's 3×3 sums of 2×2 windows; the last (10+11+14+15) wins.
    /// assert_eq!(y.value().data(), &[50.0]);
    /// y.sum_all().backward();
    /// assert_eq!(w.grad().unwrap().data(), &[10.0, 11.0, 14.0, 15.0]);
    /// ```
    pub fn conv2d_max_pool2d(
        &self,
        weight: &Var<T>,
        bias: Option<&Var<T>>,
        params: Conv2dParams,
        kernel: (usize, usize),
        stride: (usize, usize),
        padding: (usize, usize),
    ) -> Var<T> {
        let window = Window {
            kernel,
            stride,
            padding,
        };
        conv2d_max_pool(self, weight, bias, params, Some(window))
    }

    /// `self.conv2d(weight, bias, params).global_max_pool2d()` as one op:
    /// the same values and gradients (see the [module docs](self)), the
    /// weight and bias gradients summed over one winner per plane (the
    /// input gradient too, where a plane has at least
    /// [`SPARSE_INPUT_RATIO`] positions).
    ///
    /// ```
    /// use synann_autograd::Var;
    /// use synann_tensor::conv::Conv2dParams;
    /// use synann_tensor::Tensor;
    /// let x = Var::requiring_grad(Tensor::from_vec(vec![1.0f64, 3.0, 2.0], &[1, 1, 1, 3]));
    /// let w = Var::constant(Tensor::from_vec(vec![2.0], &[1, 1, 1, 1]));
    /// let y = x.conv2d_global_max_pool2d(&w, None, Conv2dParams::default());
    /// assert_eq!(y.value().data(), &[6.0]);
    /// y.sum_all().backward();
    /// assert_eq!(x.grad().unwrap().data(), &[0.0, 2.0, 0.0]);
    /// ```
    pub fn conv2d_global_max_pool2d(
        &self,
        weight: &Var<T>,
        bias: Option<&Var<T>>,
        params: Conv2dParams,
    ) -> Var<T> {
        conv2d_max_pool(self, weight, bias, params, None)
    }
}

fn conv2d_max_pool<T: Float>(
    x: &Var<T>,
    weight: &Var<T>,
    bias: Option<&Var<T>>,
    conv: Conv2dParams,
    pool: Option<Window>,
) -> Var<T> {
    let op = |has_bias| Conv2dMaxPool {
        conv,
        pool,
        has_bias,
        indices: Vec::new(),
        conv_shape: Vec::new(),
    };
    match bias {
        Some(b) => apply(op(true), &[x, weight, b]),
        None => apply(op(false), &[x, weight]),
    }
}
