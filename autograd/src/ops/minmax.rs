//! Max and min over axes, and variance.
//!
//! **max/min.** y = max over the reduced axes of x. Away from ties y is
//! locally equal to one element x_k (the arg-max), so ∂y/∂x_k = 1 and every
//! other partial is 0: dL/dx is zero except dL/dx_k = dL/dy. On ties the
//! function is not differentiable; we route the whole gradient to the
//! *first* tied element in row-major order (PyTorch's `amax` splits it
//! evenly instead; either is a valid subgradient). The arg-max positions are
//! found in forward and kept in the op.
//!
//! **variance.** y = Σᵢ (xᵢ − μ)² / d with μ the mean of the c reduced elements
//! and d = c − 1 (unbiased) or c. Then
//! ∂y/∂xₖ = (2/d)·((xₖ − μ) − (1/c)·Σᵢ (xᵢ − μ)) = (2/d)(xₖ − μ),
//! since the deviations sum to zero; so dL/dx = (2/d)(x − μ) · dL/dy.

use crate::function::{apply, BackwardCtx, Function};
use crate::var::Var;
use synann_tensor::reduce::resolve_axes;
use synann_tensor::shape::{for_each_broadcast, numel};
use synann_tensor::{Float, KeepDim, Tensor, Unbiased};

/// The input shape with the reduced axes set to 1.
fn kept_shape(shape: &[usize], axes: &[usize]) -> Vec<usize> {
    shape
        .iter()
        .enumerate()
        .map(|(i, &s)| if axes.contains(&i) { 1 } else { s })
        .collect()
}

/// The output shape: `kept` with the reduced axes dropped unless `keepdim`
/// keeps them.
fn out_shape(kept: &[usize], axes: &[usize], keepdim: KeepDim) -> Vec<usize> {
    kept.iter()
        .enumerate()
        .filter(|(i, _)| keepdim == KeepDim::Yes || !axes.contains(i))
        .map(|(_, &s)| s)
        .collect()
}

struct Extremum {
    /// Reduce to the max (else the min).
    max: bool,
    axes: Vec<isize>,
    keepdim: KeepDim,
    /// For each output element, the flat input position that won (forward).
    arg: Vec<usize>,
}

impl<T: Float> Function<T> for Extremum {
    fn name(&self) -> &str {
        if self.max {
            "max"
        } else {
            "min"
        }
    }

    fn forward(&mut self, x: &[&Tensor<T>]) -> Tensor<T> {
        let x = x[0];
        let op = if self.max { "max" } else { "min" };
        let axes = resolve_axes(op, &self.axes, x.rank());
        if let Some(&a) = axes.iter().find(|&&a| x.shape()[a] == 0) {
            panic!("{op}: axis {a} of shape {:?} is empty", x.shape());
        }
        let kept = kept_shape(x.shape(), &axes);
        let n = numel(&kept);
        let mut best = vec![T::ZERO; n];
        let mut arg = vec![usize::MAX; n];
        let d = x.data();
        // Walk x in row-major order; `o` is the output slot of element `i`.
        // A strictly better value wins, so the first of a tie is kept.
        for_each_broadcast(&kept, x.shape(), x.shape(), |i, o, _| {
            let better = if self.max {
                d[i] > best[o]
            } else {
                d[i] < best[o]
            };
            if arg[o] == usize::MAX || better {
                best[o] = d[i];
                arg[o] = i;
            }
        });
        self.arg = arg;
        Tensor::from_vec(best, &out_shape(&kept, &axes, self.keepdim))
    }

    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> Vec<Option<Tensor<T>>> {
        let mut dx = Tensor::zeros(ctx.inputs[0].shape());
        let d = dx.data_mut();
        for (&i, &g) in self.arg.iter().zip(ctx.grad_output.data()) {
            d[i] += g;
        }
        vec![Some(dx)]
    }
}

struct Variance {
    axes: Vec<isize>,
    unbiased: Unbiased,
    keepdim: KeepDim,
}

impl<T: Float> Function<T> for Variance {
    fn name(&self) -> &str {
        "variance"
    }
    fn forward(&mut self, x: &[&Tensor<T>]) -> Tensor<T> {
        x[0].variance(&self.axes, self.unbiased, self.keepdim)
    }
    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> Vec<Option<Tensor<T>>> {
        let x = ctx.inputs[0];
        let axes = resolve_axes("variance", &self.axes, x.rank());
        let count: usize = axes.iter().map(|&a| x.shape()[a]).product();
        let d = match self.unbiased {
            Unbiased::Yes => count.saturating_sub(1),
            Unbiased::No => count,
        };
        let two_over_d = T::from_f64(2.0) / T::from_usize(d.max(1));
        let g = ctx.grad_output.reshape(&kept_shape(x.shape(), &axes));
        let centered = x.sub(&x.mean(&self.axes, KeepDim::Yes));
        vec![Some(centered.mul(&g).mul_scalar(two_over_d))]
    }
}

impl<T: Float> Var<T> {
    /// Maximum over `axes`; the gradient goes to the arg-max element (the
    /// first in row-major order on ties).
    ///
    /// ```
    /// use synann_autograd::Var;
    /// use synann_tensor::{KeepDim, Tensor};
    /// let x = Var::requiring_grad(Tensor::from_vec(vec![1.0f64, 5.0, 3.0, 2.0], &[2, 2]));
    /// let m = x.max(&[1], KeepDim::No); // [5, 3]
    /// m.sum_all().backward();
    /// assert_eq!(x.grad().unwrap().data(), &[0.0, 1.0, 1.0, 0.0]);
    /// ```
    pub fn max(&self, axes: &[isize], keepdim: KeepDim) -> Var<T> {
        let op = Extremum {
            max: true,
            axes: axes.to_vec(),
            keepdim,
            arg: vec![],
        };
        apply(op, &[self])
    }

    /// Minimum over `axes`; the gradient goes to the arg-min element (the
    /// first in row-major order on ties).
    pub fn min(&self, axes: &[isize], keepdim: KeepDim) -> Var<T> {
        let op = Extremum {
            max: false,
            axes: axes.to_vec(),
            keepdim,
            arg: vec![],
        };
        apply(op, &[self])
    }

    /// Variance over `axes` (PyTorch's `var`): [`Unbiased::Yes`] divides by
    /// `count − 1` (Bessel's correction, PyTorch's default) instead of
    /// `count`.
    ///
    /// ```
    /// use synann_autograd::Var;
    /// use synann_tensor::{KeepDim, Tensor, Unbiased};
    /// let x = Var::requiring_grad(Tensor::from_vec(vec![1.0f64, 3.0], &[2]));
    /// let v = x.variance(&[0], Unbiased::No, KeepDim::No); // ((−1)² + 1²)/2
    /// assert_eq!(v.value().item(), 1.0);
    /// v.backward(); // 2(x − μ)/2
    /// assert_eq!(x.grad().unwrap().data(), &[-1.0, 1.0]);
    /// ```
    pub fn variance(&self, axes: &[isize], unbiased: Unbiased, keepdim: KeepDim) -> Var<T> {
        let op = Variance {
            axes: axes.to_vec(),
            unbiased,
            keepdim,
        };
        apply(op, &[self])
    }
}
