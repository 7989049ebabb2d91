//! 2-d convolution, forward and backward through the
//! [`synann_tensor::conv`] kernels.
//!
//! For `Y = conv2d(X, W) + b` (per sample and group, with
//! `col = im2col(X)`, so that `Y = W·col + b`):
//!
//! ```text
//! dL/dX = col2im(Wᵀ · dL/dY)        (the adjoint of im2col scatters back)
//! dL/dW = Σ_samples dL/dY · colᵀ
//! dL/db = Σ_samples Σ_pixels dL/dY
//! ```
//!
//! Each gradient is computed only if its input needs it (training a first
//! layer needs no gradient for the images).

use crate::function::{apply, BackwardCtx, Function};
use crate::var::Var;
use synann_tensor::conv::{
    conv2d, conv2d_backward_bias, conv2d_backward_input, conv2d_backward_weight, Conv2dParams,
};
use synann_tensor::{Float, Tensor};

struct Conv2d {
    params: Conv2dParams,
    has_bias: bool,
}

impl<T: Float> Function<T> for Conv2d {
    fn name(&self) -> &str {
        "conv2d"
    }

    fn forward(&mut self, x: &[&Tensor<T>]) -> Tensor<T> {
        let bias = if self.has_bias { Some(x[2]) } else { None };
        conv2d(x[0], x[1], bias, &self.params)
    }

    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> Vec<Option<Tensor<T>>> {
        let (x, w, g) = (ctx.inputs[0], ctx.inputs[1], ctx.grad_output);
        let mut grads = vec![
            ctx.needs_grad[0].then(|| conv2d_backward_input(g, w, x.shape(), &self.params)),
            ctx.needs_grad[1].then(|| conv2d_backward_weight(g, x, w.shape(), &self.params)),
        ];
        if self.has_bias {
            grads.push(ctx.needs_grad[2].then(|| conv2d_backward_bias(g)));
        }
        grads
    }

    /// The gradients need the inputs only.
    fn backward_needs_output(&self) -> bool {
        false
    }
}

impl<T: Float> Var<T> {
    /// 2-d convolution of `self` `[N, C, H, W]` with `weight`
    /// `[O, C/groups, kh, kw]` and an optional `bias` `[O]`, giving
    /// `[N, O, oh, ow]`: PyTorch's `F.conv2d` (see [`Conv2dParams`]).
    ///
    /// ```
    /// use synann_autograd::Var;
    /// use synann_tensor::conv::Conv2dParams;
    /// use synann_tensor::Tensor;
    /// let x = Var::constant(Tensor::<f64>::ones(&[1, 1, 3, 3]));
    /// let w = Var::requiring_grad(Tensor::ones(&[2, 1, 2, 2]));
    /// let y = x.conv2d(&w, None, Conv2dParams::default());
    /// assert_eq!(y.shape(), vec![1, 2, 2, 2]);
    /// y.sum_all().backward();
    /// // Each tap saw four input pixels of 1.
    /// assert_eq!(w.grad().unwrap().data(), &[4.0; 8]);
    /// ```
    pub fn conv2d(&self, weight: &Var<T>, bias: Option<&Var<T>>, params: Conv2dParams) -> Var<T> {
        match bias {
            Some(b) => apply(
                Conv2d {
                    params,
                    has_bias: true,
                },
                &[self, weight, b],
            ),
            None => apply(
                Conv2d {
                    params,
                    has_bias: false,
                },
                &[self, weight],
            ),
        }
    }
}
