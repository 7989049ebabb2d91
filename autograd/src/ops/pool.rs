//! Spatial pooling: max, average and their global forms.
//!
//! ```text
//! max:        Y = max over the window       dL/dX[argmax] += dL/dY
//! avg:        Y = Σ window / (kh·kw)        dL/dX[p] += dL/dY / (kh·kw), p in the window
//! global max: the window is the whole plane (the argmax is saved in forward)
//! global avg: dL/dX = dL/dY / (H·W) everywhere in the plane
//! ```
//!
//! The backward passes read neither the input nor the output (max pooling
//! saves the argmax positions, both save the input's shape), so the pass
//! may free both.
//!
//! Max pooling is differentiable where each window has a single maximum;
//! at a tie the gradient goes to the first maximum (row-major), as in
//! PyTorch.

use crate::function::{apply, BackwardCtx, Function};
use crate::var::Var;
use synann_tensor::conv::{
    avg_pool2d, avg_pool2d_backward, global_avg_pool2d, global_avg_pool2d_backward,
    global_max_pool2d, max_pool2d, max_pool2d_backward,
};
use synann_tensor::{Float, Tensor};

/// Window of a pooling op: `(kernel, stride, padding)`, each `(h, w)`.
#[derive(Clone, Copy)]
pub(super) struct Window {
    pub(super) kernel: (usize, usize),
    pub(super) stride: (usize, usize),
    pub(super) padding: (usize, usize),
}

/// Max pooling; `global` pools the whole plane. Forward saves where each
/// maximum was.
struct MaxPool {
    window: Option<Window>,
    indices: Vec<usize>,
    /// The input's shape: with `indices`, all the backward reads.
    input_shape: Vec<usize>,
}

impl<T: Float> Function<T> for MaxPool {
    fn name(&self) -> &str {
        match self.window {
            Some(_) => "max_pool2d",
            None => "global_max_pool2d",
        }
    }

    fn forward(&mut self, x: &[&Tensor<T>]) -> Tensor<T> {
        let r = match self.window {
            Some(w) => max_pool2d(x[0], w.kernel, w.stride, w.padding),
            None => global_max_pool2d(x[0]),
        };
        self.indices = r.indices;
        self.input_shape = x[0].shape().to_vec();
        r.output
    }

    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> Vec<Option<Tensor<T>>> {
        vec![Some(max_pool2d_backward(
            ctx.grad_output,
            &self.indices,
            &self.input_shape,
        ))]
    }

    fn backward_needs_output(&self) -> bool {
        false
    }

    fn backward_needs_input(&self, _: usize) -> bool {
        false
    }
}

/// Average pooling (padding counted as zeros); no window pools the whole
/// plane.
struct AvgPool {
    window: Option<Window>,
    /// The input's shape: all the backward reads.
    input_shape: Vec<usize>,
}

impl<T: Float> Function<T> for AvgPool {
    fn name(&self) -> &str {
        match self.window {
            Some(_) => "avg_pool2d",
            None => "global_avg_pool2d",
        }
    }

    fn forward(&mut self, x: &[&Tensor<T>]) -> Tensor<T> {
        self.input_shape = x[0].shape().to_vec();
        match self.window {
            Some(w) => avg_pool2d(x[0], w.kernel, w.stride, w.padding),
            None => global_avg_pool2d(x[0]),
        }
    }

    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> Vec<Option<Tensor<T>>> {
        let (g, shape) = (ctx.grad_output, &self.input_shape[..]);
        vec![Some(match self.window {
            Some(w) => avg_pool2d_backward(g, shape, w.kernel, w.stride, w.padding),
            None => global_avg_pool2d_backward(g, shape),
        })]
    }

    fn backward_needs_output(&self) -> bool {
        false
    }

    fn backward_needs_input(&self, _: usize) -> bool {
        false
    }
}

impl<T: Float> Var<T> {
    /// Max pooling of `[N, C, H, W]` over `kernel` windows moved by `stride`,
    /// with `padding` (at most half the kernel) that never wins: PyTorch's
    /// `F.max_pool2d` (no dilation, floor mode).
    ///
    /// ```
    /// use synann_autograd::Var;
    /// use synann_tensor::Tensor;
    /// let x = Var::requiring_grad(Tensor::from_vec(vec![1.0f64, 4.0, 2.0, 3.0], &[1, 1, 2, 2]));
    /// let y = x.max_pool2d((2, 2), (2, 2), (0, 0));
    /// y.sum_all().backward();
    /// assert_eq!(x.grad().unwrap().data(), &[0.0, 1.0, 0.0, 0.0]);
    /// ```
    pub fn max_pool2d(
        &self,
        kernel: (usize, usize),
        stride: (usize, usize),
        padding: (usize, usize),
    ) -> Var<T> {
        let window = Some(Window {
            kernel,
            stride,
            padding,
        });
        apply(
            MaxPool {
                window,
                indices: Vec::new(),
                input_shape: Vec::new(),
            },
            &[self],
        )
    }

    /// Average pooling of `[N, C, H, W]`, each window's sum divided by
    /// `kh·kw` (padding counts as zeros): PyTorch's `F.avg_pool2d` defaults.
    ///
    /// ```
    /// use synann_autograd::Var;
    /// use synann_tensor::Tensor;
    /// let x = Var::requiring_grad(Tensor::from_vec(vec![1.0f64, 4.0, 2.0, 3.0], &[1, 1, 2, 2]));
    /// let y = x.avg_pool2d((2, 2), (2, 2), (0, 0));
    /// assert_eq!(y.value().data(), &[2.5]);
    /// y.sum_all().backward();
    /// assert_eq!(x.grad().unwrap().data(), &[0.25; 4]);
    /// ```
    pub fn avg_pool2d(
        &self,
        kernel: (usize, usize),
        stride: (usize, usize),
        padding: (usize, usize),
    ) -> Var<T> {
        apply(
            AvgPool {
                window: Some(Window {
                    kernel,
                    stride,
                    padding,
                }),
                input_shape: Vec::new(),
            },
            &[self],
        )
    }

    /// The maximum of each `H × W` plane of `[N, C, H, W]`, as `[N, C, 1, 1]`.
    ///
    /// ```
    /// use synann_autograd::Var;
    /// use synann_tensor::Tensor;
    /// let x = Var::requiring_grad(Tensor::from_vec(vec![1.0f64, 4.0, 2.0], &[1, 1, 1, 3]));
    /// x.global_max_pool2d().sum_all().backward();
    /// assert_eq!(x.grad().unwrap().data(), &[0.0, 1.0, 0.0]);
    /// ```
    pub fn global_max_pool2d(&self) -> Var<T> {
        apply(
            MaxPool {
                window: None,
                indices: Vec::new(),
                input_shape: Vec::new(),
            },
            &[self],
        )
    }

    /// The mean of each `H × W` plane of `[N, C, H, W]`, as `[N, C, 1, 1]`.
    ///
    /// ```
    /// use synann_autograd::Var;
    /// use synann_tensor::Tensor;
    /// let x = Var::requiring_grad(Tensor::from_vec(vec![1.0f64, 4.0, 1.0, 2.0], &[1, 1, 2, 2]));
    /// let y = x.global_avg_pool2d();
    /// assert_eq!((y.shape(), y.value().item()), (vec![1, 1, 1, 1], 2.0));
    /// ```
    pub fn global_avg_pool2d(&self) -> Var<T> {
        apply(
            AvgPool {
                window: None,
                input_shape: Vec::new(),
            },
            &[self],
        )
    }
}
