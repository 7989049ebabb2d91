//! Reductions over one or several axes, and the softmax family.
//!
//! A reduction over axis `a` views the tensor as `[outer, len, inner]`
//! (`len` the size of `a`) and folds the middle index. Reducing several axes
//! folds them one at a time.

mod softmax;
mod stats;

use crate::element::Float;
use crate::shape::resolve_axis;
use crate::tensor::Tensor;

/// Whether a reduction keeps each reduced axis as size 1 (PyTorch's
/// `keepdim=True`, so the result broadcasts back against the input) or
/// drops it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeepDim {
    /// Drop the reduced axes (PyTorch's default).
    No,
    /// Keep the reduced axes as size 1.
    Yes,
}

/// Which variance [`Tensor::variance`] computes: PyTorch's `unbiased` flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unbiased {
    /// Divide the sum of squared deviations by the count (the population
    /// variance, the biased estimate).
    No,
    /// Divide by count − 1 (Bessel's correction, the unbiased estimate;
    /// PyTorch's default).
    Yes,
}

/// The `(outer, len, inner)` split of `shape` around `axis`.
pub fn split_at_axis(shape: &[usize], axis: usize) -> (usize, usize, usize) {
    let outer = shape[..axis].iter().product();
    let inner = shape[axis + 1..].iter().product();
    (outer, shape[axis], inner)
}

/// Resolves a list of (possibly negative) axes, sorted, without duplicates.
pub fn resolve_axes(op: &str, axes: &[isize], rank: usize) -> Vec<usize> {
    let mut v: Vec<usize> = axes.iter().map(|&a| resolve_axis(op, a, rank)).collect();
    v.sort_unstable();
    let before = v.len();
    v.dedup();
    assert_eq!(before, v.len(), "{op}: repeated axis in {axes:?}");
    v
}

impl<T: Float> Tensor<T> {
    /// Folds axis `axis` with `f(acc, x)` from `init`, keeping it as size 1.
    pub fn fold_axis(&self, op: &str, axis: isize, init: T, f: impl Fn(T, T) -> T) -> Self {
        let a = resolve_axis(op, axis, self.rank());
        let (outer, len, inner) = split_at_axis(self.shape(), a);
        let d = self.data();
        let mut out = vec![init; outer * inner];
        if inner == 1 {
            // The last axis: each output folds one contiguous run, in the
            // same order as the general loop (so the same bits), without a slice per
            // element.
            for (acc, run) in out.iter_mut().zip(d.chunks_exact(len.max(1))) {
                *acc = run.iter().fold(init, |m, &v| f(m, v));
            }
        } else {
            for o in 0..outer {
                let acc = &mut out[o * inner..(o + 1) * inner];
                for l in 0..len {
                    let row = &d[(o * len + l) * inner..(o * len + l + 1) * inner];
                    for (x, &v) in acc.iter_mut().zip(row) {
                        *x = f(*x, v);
                    }
                }
            }
        }
        let mut shape = self.shape().to_vec();
        shape[a] = 1;
        Tensor::from_vec(out, &shape)
    }

    /// Removes the size-1 axes listed (sorted) unless `keepdim` keeps them.
    fn drop_axes(self, axes: &[usize], keepdim: KeepDim) -> Self {
        if keepdim == KeepDim::Yes {
            return self;
        }
        let shape: Vec<usize> = self
            .shape()
            .iter()
            .enumerate()
            .filter(|(i, _)| !axes.contains(i))
            .map(|(_, &s)| s)
            .collect();
        self.into_reshape(&shape)
    }

    /// Sum over the listed axes (for the sum of every element see
    /// [`Tensor::sum_all`]).
    ///
    /// ```
    /// use synann_tensor::{KeepDim, Tensor};
    /// let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    /// assert_eq!(t.sum(&[1], KeepDim::No).data(), &[6.0, 15.0]);
    /// assert_eq!(t.sum(&[0], KeepDim::Yes).shape(), &[1, 3]);
    /// ```
    pub fn sum(&self, axes: &[isize], keepdim: KeepDim) -> Self {
        let axes = resolve_axes("sum", axes, self.rank());
        let mut t = self.clone();
        for &a in &axes {
            t = t.fold_axis("sum", a as isize, T::ZERO, |acc, x| acc + x);
        }
        t.drop_axes(&axes, keepdim)
    }

    /// Sum of all elements as a 0-d tensor.
    pub fn sum_all(&self) -> Self {
        Tensor::scalar(self.data().iter().copied().sum())
    }

    /// Mean over `axes`.
    pub fn mean(&self, axes: &[isize], keepdim: KeepDim) -> Self {
        let resolved = resolve_axes("mean", axes, self.rank());
        let count: usize = resolved.iter().map(|&a| self.shape()[a]).product();
        self.sum(axes, keepdim)
            .mul_scalar(T::ONE / T::from_usize(count))
    }

    /// Mean of all elements as a 0-d tensor.
    pub fn mean_all(&self) -> Self {
        let n = T::from_usize(self.numel().max(1));
        Tensor::scalar(self.data().iter().copied().sum::<T>() / n)
    }

    /// Maximum over `axes`.
    pub fn max(&self, axes: &[isize], keepdim: KeepDim) -> Self {
        let axes = resolve_axes("max", axes, self.rank());
        let mut t = self.clone();
        for &a in &axes {
            t = t.fold_axis("max", a as isize, T::NEG_INFINITY, |m, x| {
                if x > m {
                    x
                } else {
                    m
                }
            });
        }
        t.drop_axes(&axes, keepdim)
    }

    /// Minimum over `axes`.
    pub fn min(&self, axes: &[isize], keepdim: KeepDim) -> Self {
        let axes = resolve_axes("min", axes, self.rank());
        let mut t = self.clone();
        for &a in &axes {
            t = t.fold_axis(
                "min",
                a as isize,
                T::INFINITY,
                |m, x| if x < m { x } else { m },
            );
        }
        t.drop_axes(&axes, keepdim)
    }
}
