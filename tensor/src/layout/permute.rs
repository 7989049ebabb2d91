//! permute and transpose: reorder the axes, copying the elements into the
//! new row-major order.

use crate::element::Float;
use crate::shape::{numel, resolve_axis, strides};
use crate::tensor::Tensor;

impl<T: Float> Tensor<T> {
    /// Reorders the axes: output axis `i` is input axis `perm[i]`.
    ///
    /// ```
    /// use synann_tensor::Tensor;
    /// let t = Tensor::from_vec((0..6).map(|v| v as f32).collect(), &[2, 3]);
    /// assert_eq!(t.permute(&[1, 0]).data(), &[0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
    /// ```
    pub fn permute(&self, perm: &[usize]) -> Self {
        let rank = self.rank();
        let mut seen = vec![false; rank];
        assert!(
            perm.len() == rank
                && perm
                    .iter()
                    .all(|&p| p < rank && !std::mem::replace(&mut seen[p], true)),
            "permute: {perm:?} is not a permutation of the axes of shape {:?}",
            self.shape()
        );
        let in_strides = strides(self.shape());
        let out_shape: Vec<usize> = perm.iter().map(|&p| self.shape()[p]).collect();
        // Stride in the input for a step along each output axis.
        let src: Vec<usize> = perm.iter().map(|&p| in_strides[p]).collect();
        let n = numel(&out_shape);
        let mut out = Vec::with_capacity(n);
        let data = self.data();
        if n > 0 {
            let mut idx = vec![0usize; rank];
            let mut off = 0usize;
            for _ in 0..n {
                out.push(data[off]);
                // Odometer increment of the output index, tracking the input offset.
                let mut ax = rank;
                while ax > 0 {
                    ax -= 1;
                    idx[ax] += 1;
                    off += src[ax];
                    if idx[ax] < out_shape[ax] {
                        break;
                    }
                    off -= src[ax] * out_shape[ax];
                    idx[ax] = 0;
                }
            }
        }
        Tensor::from_vec(out, &out_shape)
    }

    /// Swaps two axes.
    pub fn transpose(&self, a: isize, b: isize) -> Self {
        let (a, b) = (
            resolve_axis("transpose", a, self.rank()),
            resolve_axis("transpose", b, self.rank()),
        );
        let mut perm: Vec<usize> = (0..self.rank()).collect();
        perm.swap(a, b);
        self.permute(&perm)
    }

    /// The transpose of a matrix (swaps the last two axes).
    pub fn t(&self) -> Self {
        assert!(
            self.rank() >= 2,
            "t: needs at least 2 axes, got shape {:?}",
            self.shape()
        );
        self.transpose(-2, -1)
    }
}
