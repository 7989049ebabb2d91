//! Sums and means over axes.
//!
//! y = Σ over the reduced axes of x, so every x element contributes once:
//! dL/dx = dL/dy broadcast back over the reduced axes. For a mean over `c`
//! elements, dL/dx = (dL/dy)/c.

use crate::function::{apply, BackwardCtx, Function};
use crate::var::Var;
use synann_tensor::reduce::resolve_axes;
use synann_tensor::{Float, KeepDim, Tensor};

struct SumOp {
    axes: Vec<isize>,
    keepdim: KeepDim,
    /// Divide by the number of reduced elements (mean).
    mean: bool,
}

impl SumOp {
    /// The shape of the output with the reduced axes kept as size 1, so the
    /// gradient broadcasts straight back to the input.
    fn kept_shape<T: Float>(&self, x: &Tensor<T>) -> Vec<usize> {
        let axes = resolve_axes("sum", &self.axes, x.rank());
        x.shape()
            .iter()
            .enumerate()
            .map(|(i, &s)| if axes.contains(&i) { 1 } else { s })
            .collect()
    }
}

impl<T: Float> Function<T> for SumOp {
    fn name(&self) -> &str {
        if self.mean {
            "mean"
        } else {
            "sum"
        }
    }
    fn forward(&mut self, x: &[&Tensor<T>]) -> Tensor<T> {
        if self.mean {
            x[0].mean(&self.axes, self.keepdim)
        } else {
            x[0].sum(&self.axes, self.keepdim)
        }
    }
    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> Vec<Option<Tensor<T>>> {
        let x = ctx.inputs[0];
        let kept = self.kept_shape(x);
        let mut g = ctx.grad_output.reshape(&kept).broadcast_to(x.shape());
        if self.mean {
            let count = x.numel() / kept.iter().product::<usize>().max(1);
            g.scale_(T::ONE / T::from_usize(count.max(1)));
        }
        vec![Some(g)]
    }
}

impl<T: Float> Var<T> {
    /// Sum over `axes` (negative axes count from the end), the reduced
    /// axes kept as size 1 or dropped.
    pub fn sum(&self, axes: &[isize], keepdim: KeepDim) -> Var<T> {
        apply(
            SumOp {
                axes: axes.to_vec(),
                keepdim,
                mean: false,
            },
            &[self],
        )
    }
    /// Sum of all elements, as a 0-d scalar.
    pub fn sum_all(&self) -> Var<T> {
        let axes: Vec<isize> = (0..self.value().rank() as isize).collect();
        self.sum(&axes, KeepDim::No)
    }
    /// Mean over `axes`, the reduced axes kept as size 1 or dropped.
    pub fn mean(&self, axes: &[isize], keepdim: KeepDim) -> Var<T> {
        apply(
            SumOp {
                axes: axes.to_vec(),
                keepdim,
                mean: true,
            },
            &[self],
        )
    }
    /// Mean of all elements, as a 0-d scalar.
    pub fn mean_all(&self) -> Var<T> {
        let axes: Vec<isize> = (0..self.value().rank() as isize).collect();
        self.mean(&axes, KeepDim::No)
    }
}
