//! narrow and slice: copies of a contiguous range along one axis (or
//! several), and `narrow_add_`, the adjoint that adds a slice back into a
//! larger tensor (what their backward passes need).
//!
//! Along axis `a` a tensor is viewed as `[outer, len, inner]`: narrowing to
//! `start..start + n` keeps, for every `outer` index, the `n · inner`
//! consecutive elements that start at `(o · len + start) · inner`.

use crate::element::Float;
use crate::reduce::split_at_axis;
use crate::shape::resolve_axis;
use crate::tensor::Tensor;

/// Resolves `axis` and checks `start..start + len` fits in it, panicking
/// with the op name and the shape otherwise.
fn check_range(op: &str, shape: &[usize], axis: isize, start: usize, len: usize) -> usize {
    let a = resolve_axis(op, axis, shape.len());
    assert!(
        start.checked_add(len).is_some_and(|end| end <= shape[a]),
        "{op}: range {start}..{} is out of bounds for axis {axis} of shape {shape:?}",
        start.saturating_add(len)
    );
    a
}

impl<T: Float> Tensor<T> {
    /// The elements `start..start + len` along `axis` (negative counts from
    /// the end), as PyTorch's `narrow`; the other axes are kept whole.
    ///
    /// ```
    /// use synann_tensor::Tensor;
    /// let t = Tensor::from_vec((0..6).map(|v| v as f32).collect(), &[2, 3]);
    /// let n = t.narrow(1, 1, 2);
    /// assert_eq!(n.shape(), &[2, 2]);
    /// assert_eq!(n.data(), &[1.0, 2.0, 4.0, 5.0]);
    /// ```
    pub fn narrow(&self, axis: isize, start: usize, len: usize) -> Self {
        let a = check_range("narrow", self.shape(), axis, start, len);
        let (outer, full, inner) = split_at_axis(self.shape(), a);
        let d = self.data();
        let mut out = Vec::with_capacity(outer * len * inner);
        for o in 0..outer {
            let from = (o * full + start) * inner;
            out.extend_from_slice(&d[from..from + len * inner]);
        }
        let mut shape = self.shape().to_vec();
        shape[a] = len;
        Tensor::from_vec(out, &shape)
    }

    /// One `start..end` range per leading axis (axes past `ranges.len()`
    /// are kept whole): `t.slice(&[0..2, 1..3])` is PyTorch's `t[0:2, 1:3]`.
    ///
    /// ```
    /// use synann_tensor::Tensor;
    /// let t = Tensor::from_vec((0..12).map(|v| v as f64).collect(), &[3, 4]);
    /// assert_eq!(t.slice(&[1..3, 2..4]).data(), &[6.0, 7.0, 10.0, 11.0]);
    /// ```
    pub fn slice(&self, ranges: &[std::ops::Range<usize>]) -> Self {
        assert!(
            ranges.len() <= self.rank(),
            "slice: {} ranges for a tensor of shape {:?}",
            ranges.len(),
            self.shape()
        );
        let mut t = self.clone();
        for (axis, r) in ranges.iter().enumerate() {
            assert!(
                r.start <= r.end,
                "slice: range {r:?} on axis {axis} of shape {:?} is reversed",
                self.shape()
            );
            t = t.narrow(axis as isize, r.start, r.end - r.start);
        }
        t
    }

    /// Adds `src` into the elements `start..start + src.dim(axis)` along
    /// `axis`, in place: the adjoint of [`Tensor::narrow`]. Every other axis
    /// of `src` must match `self`.
    ///
    /// ```
    /// use synann_tensor::Tensor;
    /// let mut t = Tensor::<f32>::zeros(&[2, 3]);
    /// t.narrow_add_(1, 1, &Tensor::ones(&[2, 2]));
    /// assert_eq!(t.data(), &[0.0, 1.0, 1.0, 0.0, 1.0, 1.0]);
    /// ```
    pub fn narrow_add_(&mut self, axis: isize, start: usize, src: &Self) {
        let a = resolve_axis("narrow_add_", axis, self.rank());
        let len = if src.rank() == self.rank() {
            src.shape()[a]
        } else {
            0
        };
        let mut expected = self.shape().to_vec();
        expected[a] = len;
        assert!(
            src.shape() == expected.as_slice(),
            "narrow_add_: source of shape {:?} does not fit axis {axis} of shape {:?}",
            src.shape(),
            self.shape()
        );
        check_range("narrow_add_", self.shape(), axis, start, len);
        let (outer, full, inner) = split_at_axis(self.shape(), a);
        let s = src.data();
        let d = self.data_mut();
        for o in 0..outer {
            let to = (o * full + start) * inner;
            let chunk = &s[o * len * inner..(o + 1) * len * inner];
            d[to..to + len * inner]
                .iter_mut()
                .zip(chunk)
                .for_each(|(x, &v)| *x += v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iota(shape: &[usize]) -> Tensor<f64> {
        let n = crate::shape::numel(shape);
        Tensor::from_vec((0..n).map(|v| v as f64).collect(), shape)
    }

    #[test]
    fn narrow_middle_axis() {
        let t = iota(&[2, 3, 2]);
        let n = t.narrow(1, 1, 2);
        assert_eq!(n.shape(), &[2, 2, 2]);
        assert_eq!(n.data(), &[2.0, 3.0, 4.0, 5.0, 8.0, 9.0, 10.0, 11.0]);
        // Negative axis and an empty range.
        assert_eq!(t.narrow(-1, 1, 1).data(), &[1.0, 3.0, 5.0, 7.0, 9.0, 11.0]);
        assert_eq!(t.narrow(0, 2, 0).shape(), &[0, 3, 2]);
    }

    #[test]
    fn slice_is_repeated_narrow() {
        let t = iota(&[3, 4, 2]);
        let s = t.slice(&[1..3, 0..2]);
        assert_eq!(s, t.narrow(0, 1, 2).narrow(1, 0, 2));
        assert_eq!(s.shape(), &[2, 2, 2]);
    }

    #[test]
    fn narrow_add_is_the_adjoint_of_narrow() {
        // <narrow(x), y> = <x, narrow_add_(0, y)> for all x, y.
        let x = iota(&[3, 4]);
        let y = iota(&[3, 2]).add_scalar(1.0);
        let lhs: f64 = x.narrow(1, 2, 2).mul(&y).sum_all().item();
        let mut z = Tensor::zeros(&[3, 4]);
        z.narrow_add_(1, 2, &y);
        let rhs: f64 = x.mul(&z).sum_all().item();
        assert_eq!(lhs, rhs);
    }

    #[test]
    #[should_panic(expected = "narrow: range 2..4 is out of bounds for axis 1 of shape [2, 3]")]
    fn narrow_out_of_range_panics() {
        iota(&[2, 3]).narrow(1, 2, 2);
    }

    #[test]
    #[should_panic(expected = "narrow_add_: source of shape [3, 2] does not fit")]
    fn narrow_add_shape_mismatch_panics() {
        let mut t = Tensor::<f64>::zeros(&[2, 3]);
        t.narrow_add_(1, 0, &Tensor::zeros(&[3, 2]));
    }
}
