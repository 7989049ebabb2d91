//! reshape, squeeze, unsqueeze, flatten: the same buffer under a new shape.

use crate::element::Float;
use crate::shape::{numel, resolve_axis};
use crate::tensor::Tensor;

impl<T: Float> Tensor<T> {
    /// The same elements under a new shape with the same element count (see
    /// [`Tensor::reshape_infer`] for an inferred `-1` axis).
    pub fn reshape(&self, shape: &[usize]) -> Self {
        assert_eq!(
            numel(shape),
            self.numel(),
            "reshape: cannot reshape {:?} ({} elements) to {:?} ({} elements)",
            self.shape(),
            self.numel(),
            shape,
            numel(shape)
        );
        Tensor::from_vec(self.data().to_vec(), shape)
    }

    /// Like [`Tensor::reshape`] but consumes `self` and keeps its buffer.
    pub fn into_reshape(self, shape: &[usize]) -> Self {
        let old = self.shape().to_vec();
        let n = self.numel();
        assert_eq!(
            numel(shape),
            n,
            "reshape: cannot reshape {old:?} ({n} elements) to {shape:?} ({} elements)",
            numel(shape)
        );
        Tensor::from_vec(self.into_vec(), shape)
    }

    /// Like [`Tensor::reshape`] but in place: only the shape changes.
    pub fn reshape_(&mut self, shape: &[usize]) {
        let t = std::mem::replace(self, Tensor::from_vec(Vec::new(), &[0]));
        *self = t.into_reshape(shape);
    }

    /// Reshape where one entry of `shape` may be −1, inferred from the rest
    /// (PyTorch's `view(-1, n)`).
    pub fn reshape_infer(&self, shape: &[isize]) -> Self {
        let known: usize = shape
            .iter()
            .filter(|&&s| s >= 0)
            .map(|&s| s as usize)
            .product();
        let unknown = shape.iter().filter(|&&s| s < 0).count();
        assert!(
            unknown <= 1,
            "reshape: at most one axis of {shape:?} may be -1"
        );
        let resolved: Vec<usize> = shape
            .iter()
            .map(|&s| {
                if s < 0 {
                    assert!(
                        known > 0 && self.numel().is_multiple_of(known),
                        "reshape: cannot infer -1 in {shape:?} for {} elements",
                        self.numel()
                    );
                    self.numel() / known
                } else {
                    s as usize
                }
            })
            .collect();
        self.reshape(&resolved)
    }

    /// Removes an axis of size 1.
    pub fn squeeze(&self, axis: isize) -> Self {
        let a = resolve_axis("squeeze", axis, self.rank());
        assert_eq!(
            self.shape()[a],
            1,
            "squeeze: axis {axis} of shape {:?} has size {}, not 1",
            self.shape(),
            self.shape()[a]
        );
        let mut s = self.shape().to_vec();
        s.remove(a);
        self.reshape(&s)
    }

    /// Inserts an axis of size 1 at position `axis` (0..=rank; negative
    /// counts from the end, −1 appends).
    pub fn unsqueeze(&self, axis: isize) -> Self {
        let a = resolve_axis("unsqueeze", axis, self.rank() + 1);
        let mut s = self.shape().to_vec();
        s.insert(a, 1);
        self.reshape(&s)
    }

    /// Flattens every axis from `start` on into one: `[N, C, H, W]` with
    /// `start = 1` becomes `[N, C·H·W]`.
    pub fn flatten_from(&self, start: usize) -> Self {
        assert!(
            start <= self.rank(),
            "flatten: start axis {start} is out of range for shape {:?}",
            self.shape()
        );
        let mut s = self.shape()[..start].to_vec();
        s.push(self.shape()[start..].iter().product());
        self.reshape(&s)
    }
}
