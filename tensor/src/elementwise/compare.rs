//! Comparisons to 0/1 masks and the ternary `where`.
//!
//! Masks are ordinary float tensors holding 0 and 1, so they multiply straight
//! into other tensors (as backward passes need).

use crate::element::Float;
use crate::shape::{broadcast_shapes, for_each_broadcast, numel};
use crate::tensor::Tensor;

fn mask<T: Float>(b: bool) -> T {
    if b {
        T::ONE
    } else {
        T::ZERO
    }
}

impl<T: Float> Tensor<T> {
    /// 1 where `self > other` (broadcasting), else 0.
    pub fn gt(&self, other: &Self) -> Self {
        self.zip_map(other, "gt", |a, b| mask(a > b))
    }
    /// 1 where `self >= other`, else 0.
    pub fn ge(&self, other: &Self) -> Self {
        self.zip_map(other, "ge", |a, b| mask(a >= b))
    }
    /// 1 where `self < other`, else 0.
    pub fn lt(&self, other: &Self) -> Self {
        self.zip_map(other, "lt", |a, b| mask(a < b))
    }
    /// 1 where `self <= other`, else 0.
    pub fn le(&self, other: &Self) -> Self {
        self.zip_map(other, "le", |a, b| mask(a <= b))
    }
    /// 1 where `self == other`, else 0.
    pub fn eq_mask(&self, other: &Self) -> Self {
        self.zip_map(other, "eq", |a, b| mask(a == b))
    }

    /// Picks `on_true` where `cond` is non-zero and `on_false` elsewhere; the
    /// three shapes broadcast together.
    ///
    /// ```
    /// use synann_tensor::Tensor;
    /// let c = Tensor::from_vec(vec![1.0f32, 0.0], &[2]);
    /// let a = Tensor::from_vec(vec![1.0, 2.0], &[2]);
    /// let b = Tensor::scalar(9.0);
    /// assert_eq!(Tensor::where_(&c, &a, &b).data(), &[1.0, 9.0]);
    /// ```
    pub fn where_(cond: &Self, on_true: &Self, on_false: &Self) -> Self {
        let fail = || {
            panic!(
                "where: shapes {:?}, {:?} and {:?} do not broadcast",
                cond.shape(),
                on_true.shape(),
                on_false.shape()
            )
        };
        let ab = broadcast_shapes(on_true.shape(), on_false.shape()).unwrap_or_else(fail);
        let shape = broadcast_shapes(cond.shape(), &ab).unwrap_or_else(fail);
        // Broadcast the two value tensors first, then select per element.
        let t = on_true.broadcast_to(&shape);
        let f = on_false.broadcast_to(&shape);
        let mut out = vec![T::ZERO; numel(&shape)];
        let (td, fd, cd) = (t.data(), f.data(), cond.data());
        for_each_broadcast(cond.shape(), &shape, &shape, |o, ic, _| {
            out[o] = if cd[ic] != T::ZERO { td[o] } else { fd[o] };
        });
        Tensor::from_vec(out, &shape)
    }
}
