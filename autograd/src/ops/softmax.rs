//! The softmax family as fused ops: one forward kernel (shifted by the max,
//! so no exponential overflows) and a hand-written backward each, instead of
//! a chain of exp, sum and div nodes.
//!
//! With s = softmax(x) along an axis, sᵢ = e^(xᵢ) / Σⱼ e^(xⱼ) and
//! ∂sᵢ/∂xₖ = sᵢ(δᵢₖ − sₖ). Contracting with an output gradient g along the
//! same axis gives each backward below:
//!
//! - softmax, y = s:            dx = y ⊙ (g − Σ g ⊙ y)
//! - log_softmax, y = ln s:     ∂yᵢ/∂xₖ = δᵢₖ − sₖ, so dx = g − s · Σ g
//! - log_sum_exp, y = ln Σ eˣ:  ∂y/∂xₖ = sₖ, so dx = g · s
//!
//! (sums along the axis, kept as size 1 so they broadcast back).

use crate::function::{apply, BackwardCtx, Function};
use crate::var::Var;
use synann_tensor::shape::resolve_axis;
use synann_tensor::{Float, KeepDim, Tensor};

#[derive(Clone, Copy, Debug)]
enum Kind {
    Softmax,
    LogSoftmax,
    /// log-sum-exp, keeping the reduced axis as size 1 or not.
    LogSumExp {
        keepdim: KeepDim,
    },
}

struct SoftmaxOp {
    kind: Kind,
    axis: isize,
}

impl<T: Float> Function<T> for SoftmaxOp {
    fn name(&self) -> &str {
        match self.kind {
            Kind::Softmax => "softmax",
            Kind::LogSoftmax => "log_softmax",
            Kind::LogSumExp { .. } => "log_sum_exp",
        }
    }

    fn forward(&mut self, x: &[&Tensor<T>]) -> Tensor<T> {
        match self.kind {
            Kind::Softmax => x[0].softmax(self.axis),
            Kind::LogSoftmax => x[0].log_softmax(self.axis),
            Kind::LogSumExp { keepdim } => x[0].log_sum_exp(self.axis, keepdim),
        }
    }

    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> Vec<Option<Tensor<T>>> {
        let (x, y, g) = (ctx.inputs[0], ctx.output, ctx.grad_output);
        let axis = [self.axis];
        let dx = match self.kind {
            // dx = y ⊙ (g − Σ g ⊙ y)
            Kind::Softmax => y.mul(&g.sub(&g.mul(y).sum(&axis, KeepDim::Yes))),
            // dx = g − eʸ · Σ g, since eʸ = softmax(x)
            Kind::LogSoftmax => g.sub(&y.exp().mul(&g.sum(&axis, KeepDim::Yes))),
            // dx = g · e^(x − y) = g · softmax(x), with y and g kept as size 1
            Kind::LogSumExp { .. } => {
                let mut kept = x.shape().to_vec();
                kept[resolve_axis("log_sum_exp", self.axis, x.rank())] = 1;
                let (y, g) = (y.reshape(&kept), g.reshape(&kept));
                x.sub(&y).exp().mul(&g)
            }
        };
        vec![Some(dx)]
    }
}

impl<T: Float> Var<T> {
    /// e^(xᵢ) / Σⱼ e^(xⱼ) along `axis`.
    ///
    /// ```
    /// use synann_autograd::Var;
    /// use synann_tensor::Tensor;
    /// let x = Var::requiring_grad(Tensor::from_vec(vec![1.0f64, 2.0, 3.0], &[3]));
    /// let s = x.softmax(0);
    /// assert!((s.value().sum_all().item() - 1.0).abs() < 1e-12);
    /// ```
    pub fn softmax(&self, axis: isize) -> Var<T> {
        apply(
            SoftmaxOp {
                kind: Kind::Softmax,
                axis,
            },
            &[self],
        )
    }

    /// xᵢ − ln Σⱼ e^(xⱼ) along `axis`: the log-probabilities of a
    /// classifier, more accurate than `softmax(axis).ln()`.
    pub fn log_softmax(&self, axis: isize) -> Var<T> {
        apply(
            SoftmaxOp {
                kind: Kind::LogSoftmax,
                axis,
            },
            &[self],
        )
    }

    /// ln Σ e^x along `axis`, computed without overflow, the axis kept as
    /// size 1 or dropped.
    pub fn log_sum_exp(&self, axis: isize, keepdim: KeepDim) -> Var<T> {
        let op = SoftmaxOp {
            kind: Kind::LogSumExp { keepdim },
            axis,
        };
        apply(op, &[self])
    }
}
