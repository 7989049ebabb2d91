//! Constructors: constant fills, ranges, identity matrices.

use crate::element::Float;
use crate::shape::numel;
use crate::tensor::Tensor;

impl<T: Float> Tensor<T> {
    /// A tensor of the given shape filled with `v`.
    pub fn full(shape: &[usize], v: T) -> Self {
        Tensor::from_vec(vec![v; numel(shape)], shape)
    }

    /// A tensor of zeros.
    pub fn zeros(shape: &[usize]) -> Self {
        Self::full(shape, T::ZERO)
    }

    /// A tensor of ones.
    pub fn ones(shape: &[usize]) -> Self {
        Self::full(shape, T::ONE)
    }

    /// Zeros with the shape of `other`.
    pub fn zeros_like(other: &Self) -> Self {
        Self::zeros(other.shape())
    }

    /// A 1-d tensor `start, start + step, …` of all values below `end`.
    ///
    /// ```
    /// use synann_tensor::Tensor;
    /// assert_eq!(Tensor::<f32>::arange(0.0, 2.0, 0.5).data(), &[0.0, 0.5, 1.0, 1.5]);
    /// ```
    pub fn arange(start: T, end: T, step: T) -> Self {
        assert!(
            step != T::ZERO,
            "arange: step must be non-zero (got {step})"
        );
        let count = ((end - start) / step).to_f64().ceil().max(0.0) as usize;
        let data: Vec<T> = (0..count)
            .map(|i| start + T::from_usize(i) * step)
            .collect();
        let n = data.len();
        Tensor::from_vec(data, &[n])
    }

    /// The `n×n` identity matrix.
    pub fn eye(n: usize) -> Self {
        let mut t = Self::zeros(&[n, n]);
        for i in 0..n {
            t.data_mut()[i * n + i] = T::ONE;
        }
        t
    }
}
