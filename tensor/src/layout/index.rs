//! Indexing by lists of positions: index_select, gather, their adjoints
//! index_add_ and scatter_add_ (what the backward passes need), and one_hot.
//!
//! - `index_select(axis, idx)` picks whole slices: along `axis`, output
//!   position `k` is input position `idx[k]`.
//! - `gather(axis, index)` picks one element per output position, as
//!   PyTorch's `gather`: for a 2-D input and axis 1,
//!   `out[i][j] = x[i][index[i][j]]`; every other axis is the identity.
//!
//! Indices are `usize`s (row-major for `gather`'s index tensor), since a
//! tensor of floats cannot hold them exactly.

use crate::element::Float;
use crate::reduce::split_at_axis;
use crate::shape::{numel, resolve_axis, strides};
use crate::tensor::Tensor;

/// Checks every index is below `size`, naming the op and the shape.
fn check_indices(op: &str, indices: &[usize], size: usize, axis: isize, shape: &[usize]) {
    if let Some(&bad) = indices.iter().find(|&&i| i >= size) {
        panic!("{op}: index {bad} is out of range for axis {axis} of shape {shape:?}");
    }
}

/// Walks `gather`'s index tensor: calls `f(k, offset)` for its `k`-th
/// element (row-major), with `offset` the flat position in a tensor of shape
/// `shape` it addresses: `index[k]` along `axis`, its own position elsewhere.
fn for_each_gathered(
    op: &str,
    shape: &[usize],
    axis: isize,
    index: &[usize],
    index_shape: &[usize],
    mut f: impl FnMut(usize, usize),
) {
    let a = resolve_axis(op, axis, shape.len());
    assert!(
        index_shape.len() == shape.len()
            && (0..shape.len()).all(|d| d == a || index_shape[d] <= shape[d]),
        "{op}: index of shape {index_shape:?} does not fit a tensor of shape {shape:?} along axis {axis}"
    );
    assert_eq!(
        index.len(),
        numel(index_shape),
        "{op}: {} indices do not fill index shape {index_shape:?}",
        index.len()
    );
    check_indices(op, index, shape[a], axis, shape);
    let st = strides(shape);
    let mut pos = vec![0usize; shape.len()];
    for (k, &i) in index.iter().enumerate() {
        let offset: usize = (0..shape.len())
            .map(|d| if d == a { i * st[d] } else { pos[d] * st[d] })
            .sum();
        f(k, offset);
        // Odometer step of `pos` over `index_shape`.
        for d in (0..pos.len()).rev() {
            pos[d] += 1;
            if pos[d] < index_shape[d] {
                break;
            }
            pos[d] = 0;
        }
    }
}

impl<T: Float> Tensor<T> {
    /// The slices at `indices` along `axis`, in that order (repeats allowed),
    /// as PyTorch's `index_select`.
    ///
    /// ```
    /// use synann_tensor::Tensor;
    /// let t = Tensor::from_vec((0..6).map(|v| v as f32).collect(), &[3, 2]);
    /// assert_eq!(t.index_select(0, &[2, 0, 2]).data(), &[4.0, 5.0, 0.0, 1.0, 4.0, 5.0]);
    /// ```
    pub fn index_select(&self, axis: isize, indices: &[usize]) -> Self {
        let a = resolve_axis("index_select", axis, self.rank());
        let (outer, len, inner) = split_at_axis(self.shape(), a);
        check_indices("index_select", indices, len, axis, self.shape());
        let d = self.data();
        let mut out = Vec::with_capacity(outer * indices.len() * inner);
        for o in 0..outer {
            for &i in indices {
                let from = (o * len + i) * inner;
                out.extend_from_slice(&d[from..from + inner]);
            }
        }
        let mut shape = self.shape().to_vec();
        shape[a] = indices.len();
        Tensor::from_vec(out, &shape)
    }

    /// Adds slice `k` of `src` along `axis` into slice `indices[k]` of
    /// `self`, in place (repeated indices accumulate): the adjoint of
    /// [`Tensor::index_select`], as PyTorch's `index_add_`.
    ///
    /// ```
    /// use synann_tensor::Tensor;
    /// let mut t = Tensor::<f64>::zeros(&[3]);
    /// t.index_add_(0, &[2, 0, 2], &Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]));
    /// assert_eq!(t.data(), &[2.0, 0.0, 4.0]);
    /// ```
    pub fn index_add_(&mut self, axis: isize, indices: &[usize], src: &Self) {
        let a = resolve_axis("index_add_", axis, self.rank());
        let mut expected = self.shape().to_vec();
        expected[a] = indices.len();
        assert!(
            src.shape() == expected.as_slice(),
            "index_add_: source of shape {:?} does not match {} indices into axis {axis} of shape {:?}",
            src.shape(),
            indices.len(),
            self.shape()
        );
        let (outer, len, inner) = split_at_axis(self.shape(), a);
        check_indices("index_add_", indices, len, axis, self.shape());
        let s = src.data();
        let d = self.data_mut();
        for o in 0..outer {
            for (k, &i) in indices.iter().enumerate() {
                let from = (o * indices.len() + k) * inner;
                let to = (o * len + i) * inner;
                d[to..to + inner]
                    .iter_mut()
                    .zip(&s[from..from + inner])
                    .for_each(|(x, &v)| *x += v);
            }
        }
    }

    /// One element per position of the index tensor (`index`, row-major, of
    /// shape `index_shape`, same rank as `self`): along `axis` the position
    /// is `index[..]`, along every other axis the index tensor's own, as
    /// PyTorch's `gather`. The output has shape `index_shape`.
    ///
    /// ```
    /// use synann_tensor::Tensor;
    /// // Pick x[0][2] and x[1][0]: the scores of each row's target class.
    /// let x = Tensor::from_vec(vec![0.1f32, 0.2, 0.7, 0.6, 0.3, 0.1], &[2, 3]);
    /// assert_eq!(x.gather(1, &[2, 0], &[2, 1]).data(), &[0.7, 0.6]);
    /// ```
    pub fn gather(&self, axis: isize, index: &[usize], index_shape: &[usize]) -> Self {
        let d = self.data();
        let mut out = vec![T::ZERO; index.len()];
        for_each_gathered(
            "gather",
            self.shape(),
            axis,
            index,
            index_shape,
            |k, off| {
                out[k] = d[off];
            },
        );
        Tensor::from_vec(out, index_shape)
    }

    /// Adds each element of `src` (shape `index_shape`) into the position of
    /// `self` that [`Tensor::gather`] would read it from, in place (repeated
    /// positions accumulate), as PyTorch's `scatter_add_`: the adjoint of
    /// `gather`.
    ///
    /// ```
    /// use synann_tensor::Tensor;
    /// let mut t = Tensor::<f64>::zeros(&[2, 3]);
    /// t.scatter_add_(1, &[2, 0], &[2, 1], &Tensor::from_vec(vec![5.0, 7.0], &[2, 1]));
    /// assert_eq!(t.data(), &[0.0, 0.0, 5.0, 7.0, 0.0, 0.0]);
    /// ```
    pub fn scatter_add_(
        &mut self,
        axis: isize,
        index: &[usize],
        index_shape: &[usize],
        src: &Self,
    ) {
        assert!(
            src.shape() == index_shape,
            "scatter_add_: source of shape {:?} does not match index shape {index_shape:?}",
            src.shape()
        );
        let shape = self.shape().to_vec();
        let s = src.data();
        let d = self.data_mut();
        for_each_gathered(
            "scatter_add_",
            &shape,
            axis,
            index,
            index_shape,
            |k, off| {
                d[off] += s[k];
            },
        );
    }

    /// `[N, classes]` rows that are 1 at column `labels[n]` and 0 elsewhere.
    ///
    /// ```
    /// use synann_tensor::Tensor;
    /// let t = Tensor::<f32>::one_hot(&[2, 0], 3);
    /// assert_eq!(t.data(), &[0.0, 0.0, 1.0, 1.0, 0.0, 0.0]);
    /// ```
    pub fn one_hot(labels: &[usize], classes: usize) -> Self {
        if let Some(&bad) = labels.iter().find(|&&l| l >= classes) {
            panic!(
                "one_hot: label {bad} is out of range for {classes} classes (shape [{}, {classes}])",
                labels.len()
            );
        }
        let mut t = Tensor::zeros(&[labels.len(), classes]);
        let d = t.data_mut();
        for (n, &l) in labels.iter().enumerate() {
            d[n * classes + l] = T::ONE;
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iota(shape: &[usize]) -> Tensor<f64> {
        Tensor::from_vec((0..numel(shape)).map(|v| v as f64).collect(), shape)
    }

    #[test]
    fn index_select_inner_axis_with_repeats() {
        let t = iota(&[2, 3]);
        let s = t.index_select(-1, &[1, 1, 0]);
        assert_eq!(s.shape(), &[2, 3]);
        assert_eq!(s.data(), &[1.0, 1.0, 0.0, 4.0, 4.0, 3.0]);
        assert_eq!(t.index_select(0, &[]).shape(), &[0, 3]);
    }

    #[test]
    fn index_add_is_the_adjoint_of_index_select() {
        let x = iota(&[2, 4, 3]);
        let idx = [3, 0, 3, 1, 2];
        let y = iota(&[2, 5, 3]).map(|v| (v * 0.37).sin());
        let lhs = x.index_select(1, &idx).mul(&y).sum_all().item();
        let mut z = Tensor::zeros(&[2, 4, 3]);
        z.index_add_(1, &idx, &y);
        let rhs = x.mul(&z).sum_all().item();
        assert!((lhs - rhs).abs() < 1e-12);
    }

    #[test]
    fn gather_matches_pytorch_semantics() {
        // out[i][j][k] = x[i][index[i][j][k]][k] for axis 1.
        let x = iota(&[2, 3, 2]);
        let index = [2, 0, 1, 1, 0, 2, 2, 2];
        let out = x.gather(1, &index, &[2, 2, 2]);
        assert_eq!(out.shape(), &[2, 2, 2]);
        let mut k = 0;
        for i in 0..2 {
            for j in 0..2 {
                for c in 0..2 {
                    assert_eq!(out.get(&[i, j, c]), x.get(&[i, index[k], c]));
                    k += 1;
                }
            }
        }
    }

    #[test]
    fn gather_smaller_index_on_other_axes() {
        // axis 0 with an index of shape [1, 2] on a [3, 3] input.
        let x = iota(&[3, 3]);
        let out = x.gather(0, &[2, 1], &[1, 2]);
        assert_eq!(out.data(), &[6.0, 4.0]);
    }

    #[test]
    fn scatter_add_is_the_adjoint_of_gather() {
        let x = iota(&[3, 4]).map(|v| v.cos());
        let (index, ishape) = ([3, 3, 0, 1, 2, 0], [3, 2]);
        let y = iota(&ishape).add_scalar(0.5);
        let lhs = x.gather(1, &index, &ishape).mul(&y).sum_all().item();
        let mut z = Tensor::zeros(&[3, 4]);
        z.scatter_add_(1, &index, &ishape, &y);
        let rhs = x.mul(&z).sum_all().item();
        assert!((lhs - rhs).abs() < 1e-12);
        // Repeated positions accumulate: row 0 got 0.5 + 1.5 at column 3.
        assert_eq!(z.get(&[0, 3]), 2.0);
    }

    #[test]
    fn one_hot_rows() {
        let t = Tensor::<f64>::one_hot(&[1, 1, 0], 2);
        assert_eq!(t.shape(), &[3, 2]);
        assert_eq!(t.data(), &[0.0, 1.0, 0.0, 1.0, 1.0, 0.0]);
    }

    #[test]
    #[should_panic(expected = "index_select: index 3 is out of range for axis 0 of shape [3, 2]")]
    fn index_select_out_of_range_panics() {
        iota(&[3, 2]).index_select(0, &[0, 3]);
    }

    #[test]
    #[should_panic(expected = "gather: index 5 is out of range for axis 1 of shape [2, 3]")]
    fn gather_out_of_range_panics() {
        iota(&[2, 3]).gather(1, &[0, 5], &[2, 1]);
    }

    #[test]
    #[should_panic(
        expected = "gather: index of shape [3, 1] does not fit a tensor of shape [2, 3]"
    )]
    fn gather_index_too_large_panics() {
        iota(&[2, 3]).gather(1, &[0, 1, 2], &[3, 1]);
    }

    #[test]
    #[should_panic(expected = "one_hot: label 4 is out of range for 3 classes")]
    fn one_hot_out_of_range_panics() {
        Tensor::<f32>::one_hot(&[0, 4], 3);
    }
}
