//! Shape ops: the elements move but do not change, so the backward moves
//! the gradient back. reshape's backward reshapes to the input shape;
//! permute's applies the inverse permutation; broadcast_to's sums over the
//! broadcast axes. None of them reads its input or output in backward
//! (each keeps what it needs, the input's shape or the permutation), so the
//! pass may free both.

use crate::function::{apply, BackwardCtx, Function, InPlaceCtx};
use crate::var::Var;
use synann_tensor::{Float, Tensor};

struct Reshape {
    shape: Vec<usize>,
    /// The input's shape, saved by forward: all the backward reads.
    input_shape: Vec<usize>,
}

impl<T: Float> Function<T> for Reshape {
    fn name(&self) -> &str {
        "reshape"
    }
    fn forward(&mut self, x: &[&Tensor<T>]) -> Tensor<T> {
        self.input_shape = x[0].shape().to_vec();
        x[0].reshape(&self.shape)
    }
    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> Vec<Option<Tensor<T>>> {
        vec![Some(ctx.grad_output.reshape(&self.input_shape))]
    }
    /// The same elements under the input's shape: nothing to compute.
    fn backward_in_place(&self, _: &InPlaceCtx<'_, T>, grad: &mut Tensor<T>) -> bool {
        grad.reshape_(&self.input_shape);
        true
    }
    fn backward_needs_output(&self) -> bool {
        false
    }
    fn backward_needs_input(&self, _: usize) -> bool {
        false
    }
}

struct Permute {
    perm: Vec<usize>,
}

impl<T: Float> Function<T> for Permute {
    fn name(&self) -> &str {
        "permute"
    }
    fn forward(&mut self, x: &[&Tensor<T>]) -> Tensor<T> {
        x[0].permute(&self.perm)
    }
    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> Vec<Option<Tensor<T>>> {
        // Output axis i came from input axis perm[i]; invert that map.
        let mut inverse = vec![0; self.perm.len()];
        for (i, &p) in self.perm.iter().enumerate() {
            inverse[p] = i;
        }
        vec![Some(ctx.grad_output.permute(&inverse))]
    }
    /// The backward needs the permutation only.
    fn backward_needs_output(&self) -> bool {
        false
    }
    fn backward_needs_input(&self, _: usize) -> bool {
        false
    }
}

struct BroadcastTo {
    shape: Vec<usize>,
    /// The input's shape, saved by forward: all the backward reads.
    input_shape: Vec<usize>,
}

impl<T: Float> Function<T> for BroadcastTo {
    fn name(&self) -> &str {
        "broadcast_to"
    }
    fn forward(&mut self, x: &[&Tensor<T>]) -> Tensor<T> {
        self.input_shape = x[0].shape().to_vec();
        x[0].broadcast_to(&self.shape)
    }
    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> Vec<Option<Tensor<T>>> {
        vec![Some(ctx.grad_output.sum_to(&self.input_shape))]
    }
    fn backward_needs_output(&self) -> bool {
        false
    }
    fn backward_needs_input(&self, _: usize) -> bool {
        false
    }
}

impl<T: Float> Var<T> {
    /// The same elements under a new shape.
    pub fn reshape(&self, shape: &[usize]) -> Var<T> {
        apply(
            Reshape {
                shape: shape.to_vec(),
                input_shape: Vec::new(),
            },
            &[self],
        )
    }
    /// Flattens axes `start..` into one (`[N, C, H, W]` → `[N, C·H·W]` for 1).
    pub fn flatten_from(&self, start: usize) -> Var<T> {
        let s = self.shape();
        assert!(
            start <= s.len(),
            "flatten: start axis {start} is out of range for shape {s:?}"
        );
        let mut new = s[..start].to_vec();
        new.push(s[start..].iter().product());
        self.reshape(&new)
    }
    /// Removes an axis of size 1.
    pub fn squeeze(&self, axis: isize) -> Var<T> {
        let shape = self.value().squeeze(axis).shape().to_vec();
        self.reshape(&shape)
    }
    /// Inserts an axis of size 1.
    pub fn unsqueeze(&self, axis: isize) -> Var<T> {
        let shape = self.value().unsqueeze(axis).shape().to_vec();
        self.reshape(&shape)
    }
    /// Reorders the axes: output axis `i` is input axis `perm[i]`.
    pub fn permute(&self, perm: &[usize]) -> Var<T> {
        apply(
            Permute {
                perm: perm.to_vec(),
            },
            &[self],
        )
    }
    /// Swaps two axes.
    pub fn transpose(&self, a: isize, b: isize) -> Var<T> {
        let rank = self.value().rank();
        let (a, b) = (
            synann_tensor::shape::resolve_axis("transpose", a, rank),
            synann_tensor::shape::resolve_axis("transpose", b, rank),
        );
        let mut perm: Vec<usize> = (0..rank).collect();
        perm.swap(a, b);
        self.permute(&perm)
    }
    /// Copies out to a larger shape under NumPy's broadcasting rules.
    pub fn broadcast_to(&self, shape: &[usize]) -> Var<T> {
        apply(
            BroadcastTo {
                shape: shape.to_vec(),
                input_shape: Vec::new(),
            },
            &[self],
        )
    }
}
