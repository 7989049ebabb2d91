//! argmax/argmin and variance.

use super::{split_at_axis, KeepDim, Unbiased};
use crate::element::Float;
use crate::shape::resolve_axis;
use crate::tensor::Tensor;

impl<T: Float> Tensor<T> {
    /// Index of the largest element along `axis` (the first on ties); the
    /// axis is removed from the shape. Returned as `usize`s in row-major order.
    pub fn argmax(&self, axis: isize) -> Vec<usize> {
        self.arg_best("argmax", axis, |x, best| x > best)
    }

    /// Index of the smallest element along `axis` (the first on ties).
    pub fn argmin(&self, axis: isize) -> Vec<usize> {
        self.arg_best("argmin", axis, |x, best| x < best)
    }

    fn arg_best(&self, op: &str, axis: isize, better: impl Fn(T, T) -> bool) -> Vec<usize> {
        let a = resolve_axis(op, axis, self.rank());
        let (outer, len, inner) = split_at_axis(self.shape(), a);
        assert!(
            len > 0,
            "{op}: axis {axis} of shape {:?} is empty",
            self.shape()
        );
        let d = self.data();
        let mut out = vec![0usize; outer * inner];
        for o in 0..outer {
            for i in 0..inner {
                let mut best = d[o * len * inner + i];
                for l in 1..len {
                    let x = d[(o * len + l) * inner + i];
                    if better(x, best) {
                        best = x;
                        out[o * inner + i] = l;
                    }
                }
            }
        }
        out
    }

    /// Variance over `axes` (PyTorch's `var`): [`Unbiased::Yes`] divides by
    /// `count − 1` (Bessel's correction, PyTorch's default) instead of
    /// `count`.
    ///
    /// ```
    /// use synann_tensor::{KeepDim, Tensor, Unbiased};
    /// let t = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0], &[2, 2]);
    /// assert_eq!(t.variance(&[0], Unbiased::No, KeepDim::No).data(), &[1.0, 1.0]);
    /// assert_eq!(t.variance(&[0], Unbiased::Yes, KeepDim::Yes).data(), &[2.0, 2.0]);
    /// ```
    pub fn variance(&self, axes: &[isize], unbiased: Unbiased, keepdim: KeepDim) -> Self {
        let resolved = super::resolve_axes("variance", axes, self.rank());
        let count: usize = resolved.iter().map(|&a| self.shape()[a]).product();
        let mean = self.mean(axes, KeepDim::Yes);
        let centered = self.sub(&mean);
        let denom = match unbiased {
            Unbiased::Yes => count.saturating_sub(1),
            Unbiased::No => count,
        };
        centered
            .mul(&centered)
            .sum(axes, keepdim)
            .mul_scalar(T::ONE / T::from_usize(denom.max(1)))
    }
}
