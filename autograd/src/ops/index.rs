//! Indexing ops: narrow, concat, stack, index_select, gather.
//!
//! Each copies some input elements to the output unchanged, so its backward
//! sends every output gradient back to the element it was copied from, and
//! adds where one input element was copied several times:
//!
//! - narrow: dL/dx = zeros with dL/dy written into the narrowed range;
//! - concat: dL/dxᵢ = the range of dL/dy that xᵢ filled;
//! - stack: dL/dxᵢ = slice i of dL/dy along the new axis;
//! - index_select: dL/dx = index_add of dL/dy (repeats accumulate);
//! - gather: dL/dx = scatter_add of dL/dy (repeats accumulate).

use crate::function::{apply, BackwardCtx, Function};
use crate::var::Var;
use synann_tensor::shape::resolve_axis;
use synann_tensor::{Float, Tensor};

/// y = x[start..start + len] along `axis`.
struct Narrow {
    axis: isize,
    start: usize,
    len: usize,
}

impl<T: Float> Function<T> for Narrow {
    fn name(&self) -> &str {
        "narrow"
    }
    fn forward(&mut self, x: &[&Tensor<T>]) -> Tensor<T> {
        x[0].narrow(self.axis, self.start, self.len)
    }
    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> Vec<Option<Tensor<T>>> {
        let mut dx = Tensor::zeros(ctx.inputs[0].shape());
        dx.narrow_add_(self.axis, self.start, ctx.grad_output);
        vec![Some(dx)]
    }
}

/// y = [x₀, x₁, …] joined along `axis` (an existing one, or a new one
/// inserted there when `new_axis`, which is stack).
struct Concat {
    axis: isize,
    new_axis: bool,
}

impl<T: Float> Function<T> for Concat {
    fn name(&self) -> &str {
        if self.new_axis {
            "stack"
        } else {
            "concat"
        }
    }
    fn forward(&mut self, x: &[&Tensor<T>]) -> Tensor<T> {
        if self.new_axis {
            Tensor::stack(x, self.axis)
        } else {
            Tensor::concat(x, self.axis)
        }
    }
    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> Vec<Option<Tensor<T>>> {
        let g = ctx.grad_output;
        let mut start = 0;
        ctx.inputs
            .iter()
            .zip(ctx.needs_grad)
            .map(|(x, &need)| {
                // Input i filled `len` positions of the joined axis from `start`.
                let len = if self.new_axis { 1 } else { x.dim(self.axis) };
                let from = start;
                start += len;
                need.then(|| g.narrow(self.axis, from, len).reshape(x.shape()))
            })
            .collect()
    }
}

/// y = the slices of x at `indices` along `axis`.
struct IndexSelect {
    axis: isize,
    indices: Vec<usize>,
}

impl<T: Float> Function<T> for IndexSelect {
    fn name(&self) -> &str {
        "index_select"
    }
    fn forward(&mut self, x: &[&Tensor<T>]) -> Tensor<T> {
        x[0].index_select(self.axis, &self.indices)
    }
    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> Vec<Option<Tensor<T>>> {
        let mut dx = Tensor::zeros(ctx.inputs[0].shape());
        dx.index_add_(self.axis, &self.indices, ctx.grad_output);
        vec![Some(dx)]
    }
}

/// y[p] = x[p with its `axis` coordinate replaced by index[p]].
struct Gather {
    axis: isize,
    index: Vec<usize>,
    index_shape: Vec<usize>,
}

impl<T: Float> Function<T> for Gather {
    fn name(&self) -> &str {
        "gather"
    }
    fn forward(&mut self, x: &[&Tensor<T>]) -> Tensor<T> {
        x[0].gather(self.axis, &self.index, &self.index_shape)
    }
    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> Vec<Option<Tensor<T>>> {
        let mut dx = Tensor::zeros(ctx.inputs[0].shape());
        dx.scatter_add_(self.axis, &self.index, &self.index_shape, ctx.grad_output);
        vec![Some(dx)]
    }
}

impl<T: Float> Var<T> {
    /// The elements `start..start + len` along `axis` (PyTorch's `narrow`).
    pub fn narrow(&self, axis: isize, start: usize, len: usize) -> Var<T> {
        apply(Narrow { axis, start, len }, &[self])
    }

    /// Joins along an existing axis (PyTorch's `cat`).
    ///
    /// ```
    /// use synann_autograd::Var;
    /// use synann_tensor::Tensor;
    /// let a = Var::requiring_grad(Tensor::<f64>::ones(&[1, 2]));
    /// let b = Var::requiring_grad(Tensor::<f64>::ones(&[3, 2]));
    /// let y = Var::concat(&[&a, &b], 0);
    /// assert_eq!(y.shape(), vec![4, 2]);
    /// ```
    pub fn concat(vars: &[&Var<T>], axis: isize) -> Var<T> {
        assert!(!vars.is_empty(), "concat: no tensors to join");
        // Resolve now so that backward slices the same axis.
        let axis = resolve_axis("concat", axis, vars[0].value().rank()) as isize;
        apply(
            Concat {
                axis,
                new_axis: false,
            },
            vars,
        )
    }

    /// Joins same-shaped values along a new axis inserted at `axis`.
    pub fn stack(vars: &[&Var<T>], axis: isize) -> Var<T> {
        assert!(!vars.is_empty(), "stack: no tensors to join");
        let axis = resolve_axis("stack", axis, vars[0].value().rank() + 1) as isize;
        apply(
            Concat {
                axis,
                new_axis: true,
            },
            vars,
        )
    }

    /// The slices at `indices` along `axis` (repeats allowed), as PyTorch's
    /// `index_select`: an embedding lookup is `table.index_select(0, ids)`.
    pub fn index_select(&self, axis: isize, indices: &[usize]) -> Var<T> {
        let op = IndexSelect {
            axis,
            indices: indices.to_vec(),
        };
        apply(op, &[self])
    }

    /// One element per index position (PyTorch's `gather`; `index` is
    /// row-major with shape `index_shape`, the output's shape).
    ///
    /// ```
    /// use synann_autograd::Var;
    /// use synann_tensor::Tensor;
    /// let x = Var::requiring_grad(Tensor::from_vec(vec![0.1f64, 0.9, 0.8, 0.2], &[2, 2]));
    /// let picked = x.gather(1, &[1, 0], &[2, 1]); // x[0][1], x[1][0]
    /// picked.sum_all().backward();
    /// assert_eq!(x.grad().unwrap().data(), &[0.0, 1.0, 1.0, 0.0]);
    /// ```
    pub fn gather(&self, axis: isize, index: &[usize], index_shape: &[usize]) -> Var<T> {
        let op = Gather {
            axis,
            index: index.to_vec(),
            index_shape: index_shape.to_vec(),
        };
        apply(op, &[self])
    }
}
