//! broadcast_to and its adjoint, sum_to.
//!
//! `sum_to` is what every broadcasting op's backward needs: the gradient of a
//! broadcast input is the output gradient summed over the axes that were
//! stretched.

use crate::element::Float;
use crate::shape::{broadcast_shapes, for_each_broadcast, for_each_broadcast_run, numel};
use crate::tensor::Tensor;

impl<T: Float> Tensor<T> {
    /// Copies the tensor out to a larger shape under NumPy's rules.
    pub fn broadcast_to(&self, shape: &[usize]) -> Self {
        if self.shape() == shape {
            return self.clone();
        }
        assert!(
            broadcast_shapes(self.shape(), shape).as_deref() == Some(shape),
            "broadcast_to: cannot broadcast shape {:?} to {:?}",
            self.shape(),
            shape
        );
        let mut out = vec![T::ZERO; numel(shape)];
        let d = self.data();
        for_each_broadcast(self.shape(), shape, shape, |o, i, _| out[o] = d[i]);
        Tensor::from_vec(out, shape)
    }

    /// Sums a tensor down to `shape`, the inverse direction of broadcasting:
    /// leading axes are summed away and axes where `shape` has 1 are summed
    /// with keepdim.
    ///
    /// ```
    /// use synann_tensor::Tensor;
    /// let g = Tensor::<f32>::ones(&[2, 3]);
    /// assert_eq!(g.sum_to(&[3]).data(), &[2.0, 2.0, 2.0]);
    /// assert_eq!(g.sum_to(&[2, 1]).data(), &[3.0, 3.0]);
    /// ```
    pub fn sum_to(&self, shape: &[usize]) -> Self {
        if self.shape() == shape {
            return self.clone();
        }
        assert!(
            broadcast_shapes(shape, self.shape()).as_deref() == Some(self.shape()),
            "sum_to: shape {:?} does not broadcast to {:?}",
            shape,
            self.shape()
        );
        let mut out = vec![T::ZERO; numel(shape)];
        let d = self.data();
        // Walk the big tensor a run at a time; `r.a` is the matching offset
        // in the small one, which either follows the run or is summed over it.
        for_each_broadcast_run(shape, self.shape(), self.shape(), |r| {
            let src = &d[r.out..r.out + r.len];
            if r.a_step == 0 {
                // Added one by one onto the total, in order, so the sum rounds
                // as an element-by-element walk would.
                out[r.a] = src.iter().fold(out[r.a], |acc, &v| acc + v);
            } else {
                for (j, &v) in src.iter().enumerate() {
                    out[r.a + j * r.a_step] += v;
                }
            }
        });
        Tensor::from_vec(out, shape)
    }

    /// [`Tensor::sum_to`] for a tensor that is no longer needed: when it
    /// already has `shape` it is returned as it is, without a copy (as a
    /// gradient is when its input was not broadcast).
    ///
    /// ```
    /// use synann_tensor::Tensor;
    /// let g = Tensor::<f32>::ones(&[2, 3]);
    /// assert_eq!(g.clone().into_sum_to(&[2, 3]), g);
    /// assert_eq!(g.into_sum_to(&[3]).data(), &[2.0, 2.0, 2.0]);
    /// ```
    pub fn into_sum_to(self, shape: &[usize]) -> Self {
        if self.shape() == shape {
            self
        } else {
            self.sum_to(shape)
        }
    }
}
