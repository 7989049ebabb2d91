//! concat and stack: joining tensors along an existing or a new axis.
//!
//! Along axis `a` every input is viewed as `[outer, len_i, inner]` with the
//! same `outer` and `inner`; the output is, for each `outer` index, the
//! inputs' `len_i · inner` blocks one after another.

use crate::element::Float;
use crate::reduce::split_at_axis;
use crate::shape::resolve_axis;
use crate::tensor::Tensor;

impl<T: Float> Tensor<T> {
    /// Joins tensors along an existing axis (PyTorch's `cat`). All inputs
    /// have the same rank and agree on every other axis.
    ///
    /// ```
    /// use synann_tensor::Tensor;
    /// let a = Tensor::from_vec(vec![1.0f32, 2.0], &[2, 1]);
    /// let b = Tensor::from_vec(vec![3.0, 4.0, 5.0, 6.0], &[2, 2]);
    /// let c = Tensor::concat(&[&a, &b], 1);
    /// assert_eq!(c.shape(), &[2, 3]);
    /// assert_eq!(c.data(), &[1.0, 3.0, 4.0, 2.0, 5.0, 6.0]);
    /// ```
    pub fn concat(tensors: &[&Tensor<T>], axis: isize) -> Self {
        assert!(!tensors.is_empty(), "concat: no tensors to join");
        let first = tensors[0].shape();
        let a = resolve_axis("concat", axis, first.len());
        for t in tensors {
            let ok = t.rank() == first.len()
                && (0..first.len()).all(|i| i == a || t.shape()[i] == first[i]);
            assert!(
                ok,
                "concat: shapes {:?} and {:?} differ outside axis {axis}",
                first,
                t.shape()
            );
        }
        let (outer, _, inner) = split_at_axis(first, a);
        let total: usize = tensors.iter().map(|t| t.shape()[a]).sum();
        let mut out = Vec::with_capacity(outer * total * inner);
        for o in 0..outer {
            for t in tensors {
                let block = t.shape()[a] * inner;
                out.extend_from_slice(&t.data()[o * block..(o + 1) * block]);
            }
        }
        let mut shape = first.to_vec();
        shape[a] = total;
        Tensor::from_vec(out, &shape)
    }

    /// Joins same-shaped tensors along a new axis inserted at `axis`
    /// (0..=rank; negative counts from the end, −1 appends).
    ///
    /// ```
    /// use synann_tensor::Tensor;
    /// let a = Tensor::from_vec(vec![1.0f64, 2.0], &[2]);
    /// let b = Tensor::from_vec(vec![3.0, 4.0], &[2]);
    /// assert_eq!(Tensor::stack(&[&a, &b], 0).shape(), &[2, 2]);
    /// assert_eq!(Tensor::stack(&[&a, &b], 1).data(), &[1.0, 3.0, 2.0, 4.0]);
    /// ```
    pub fn stack(tensors: &[&Tensor<T>], axis: isize) -> Self {
        assert!(!tensors.is_empty(), "stack: no tensors to join");
        let first = tensors[0].shape();
        for t in tensors {
            assert!(
                t.shape() == first,
                "stack: shapes {:?} and {:?} differ",
                first,
                t.shape()
            );
        }
        let a = resolve_axis("stack", axis, first.len() + 1);
        let lifted: Vec<Tensor<T>> = tensors.iter().map(|t| t.unsqueeze(a as isize)).collect();
        let refs: Vec<&Tensor<T>> = lifted.iter().collect();
        Tensor::concat(&refs, a as isize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iota(shape: &[usize], from: usize) -> Tensor<f64> {
        let n = crate::shape::numel(shape);
        Tensor::from_vec((from..from + n).map(|v| v as f64).collect(), shape)
    }

    #[test]
    fn concat_then_narrow_round_trips() {
        let (a, b, c) = (
            iota(&[2, 1, 3], 0),
            iota(&[2, 2, 3], 10),
            iota(&[2, 0, 3], 0),
        );
        let j = Tensor::concat(&[&a, &b, &c], 1);
        assert_eq!(j.shape(), &[2, 3, 3]);
        assert_eq!(j.narrow(1, 0, 1), a);
        assert_eq!(j.narrow(1, 1, 2), b);
    }

    #[test]
    fn concat_axis_zero_appends_buffers() {
        let (a, b) = (iota(&[1, 2], 0), iota(&[2, 2], 5));
        let j = Tensor::concat(&[&a, &b], -2);
        assert_eq!(j.data(), &[0.0, 1.0, 5.0, 6.0, 7.0, 8.0]);
    }

    #[test]
    fn stack_last_axis_interleaves() {
        let (a, b) = (iota(&[2, 2], 0), iota(&[2, 2], 4));
        let s = Tensor::stack(&[&a, &b], -1);
        assert_eq!(s.shape(), &[2, 2, 2]);
        assert_eq!(s.data(), &[0.0, 4.0, 1.0, 5.0, 2.0, 6.0, 3.0, 7.0]);
    }

    #[test]
    #[should_panic(expected = "concat: shapes [2, 3] and [3, 3] differ outside axis 1")]
    fn concat_mismatch_panics() {
        Tensor::concat(&[&iota(&[2, 3], 0), &iota(&[3, 3], 0)], 1);
    }

    #[test]
    #[should_panic(expected = "stack: shapes [2] and [3] differ")]
    fn stack_mismatch_panics() {
        Tensor::stack(&[&iota(&[2], 0), &iota(&[3], 0)], 0);
    }
}
