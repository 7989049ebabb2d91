//! The [`Tensor`] type: a shape and a contiguous row-major buffer.

use crate::element::Float;
use crate::shape::{numel, strides};

/// A dense n-d array: a shape and its elements in row-major order.
///
/// Tensors own their data and are always contiguous, so every kernel can walk
/// a plain slice. Operations return new tensors; the few in-place methods end
/// in `_` as in PyTorch (`add_`, `fill_`).
///
/// ```
/// use synann_tensor::Tensor;
/// let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
/// assert_eq!(t.shape(), &[2, 3]);
/// assert_eq!(t.get(&[1, 0]), 4.0);
/// ```
#[derive(Clone, PartialEq)]
pub struct Tensor<T: Float> {
    shape: Vec<usize>,
    data: Vec<T>,
}

impl<T: Float> Tensor<T> {
    /// Builds a tensor from row-major data; panics if the length does not
    /// match the shape.
    pub fn from_vec(data: Vec<T>, shape: &[usize]) -> Self {
        assert_eq!(
            data.len(),
            numel(shape),
            "from_vec: {} elements do not fill shape {:?} ({} elements)",
            data.len(),
            shape,
            numel(shape)
        );
        Tensor {
            shape: shape.to_vec(),
            data,
        }
    }

    /// A 0-d tensor holding one value.
    pub fn scalar(v: T) -> Self {
        Tensor {
            shape: vec![],
            data: vec![v],
        }
    }

    /// The sizes of the axes.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The number of axes.
    pub fn rank(&self) -> usize {
        self.shape.len()
    }

    /// The size of one axis (negative counts from the end).
    pub fn dim(&self, axis: isize) -> usize {
        self.shape[crate::shape::resolve_axis("dim", axis, self.rank())]
    }

    /// The number of elements.
    pub fn numel(&self) -> usize {
        self.data.len()
    }

    /// Row-major strides in elements.
    pub fn strides(&self) -> Vec<usize> {
        strides(&self.shape)
    }

    /// The elements, row-major.
    pub fn data(&self) -> &[T] {
        &self.data
    }

    /// The elements, row-major, mutably.
    pub fn data_mut(&mut self) -> &mut [T] {
        &mut self.data
    }

    /// Consumes the tensor and returns its buffer.
    pub fn into_vec(self) -> Vec<T> {
        self.data
    }

    /// The element at a multi-index; panics if out of range.
    pub fn get(&self, index: &[usize]) -> T {
        self.data[self.offset("get", index)]
    }

    /// Sets the element at a multi-index; panics if out of range.
    pub fn set(&mut self, index: &[usize], v: T) {
        let o = self.offset("set", index);
        self.data[o] = v;
    }

    fn offset(&self, op: &str, index: &[usize]) -> usize {
        assert!(
            index.len() == self.rank() && index.iter().zip(&self.shape).all(|(i, s)| i < s),
            "{op}: index {index:?} is out of range for shape {:?}",
            self.shape
        );
        index.iter().zip(self.strides()).map(|(i, s)| i * s).sum()
    }

    /// The single value of a tensor with one element (any shape).
    pub fn item(&self) -> T {
        assert_eq!(
            self.numel(),
            1,
            "item: tensor of shape {:?} has {} elements, not 1",
            self.shape,
            self.numel()
        );
        self.data[0]
    }

    /// Converts every element to another float type.
    pub fn cast<U: Float>(&self) -> Tensor<U> {
        Tensor::from_vec(
            self.data.iter().map(|v| U::from_f64(v.to_f64())).collect(),
            &self.shape,
        )
    }

    /// Whether every element is finite.
    pub fn all_finite(&self) -> bool {
        self.data.iter().all(|v| v.is_finite())
    }

    /// Sets every element to `v`, in place.
    pub fn fill_(&mut self, v: T) {
        self.data.iter_mut().for_each(|x| *x = v);
    }

    /// Asserts two tensors have the same shape, naming the op in the panic.
    pub fn assert_same_shape(&self, other: &Self, op: &str) {
        assert_eq!(
            self.shape, other.shape,
            "{op}: shapes {:?} and {:?} differ",
            self.shape, other.shape
        );
    }

    /// `self += other`, in place (same shape).
    pub fn add_(&mut self, other: &Self) {
        self.assert_same_shape(other, "add_");
        self.data
            .iter_mut()
            .zip(&other.data)
            .for_each(|(a, b)| *a += *b);
    }

    /// `self += alpha · other`, in place (same shape).
    pub fn axpy_(&mut self, alpha: T, other: &Self) {
        self.assert_same_shape(other, "axpy_");
        self.data
            .iter_mut()
            .zip(&other.data)
            .for_each(|(a, b)| *a += alpha * *b);
    }

    /// `self *= s`, in place.
    pub fn scale_(&mut self, s: T) {
        self.data.iter_mut().for_each(|a| *a *= s);
    }

    /// Whether two tensors have the same shape and every pair of elements
    /// satisfies |a − b| ≤ atol + rtol·|b|.
    pub fn allclose(&self, other: &Self, rtol: f64, atol: f64) -> bool {
        self.shape == other.shape
            && self.data.iter().zip(&other.data).all(|(a, b)| {
                let (a, b) = (a.to_f64(), b.to_f64());
                (a - b).abs() <= atol + rtol * b.abs() || (a == b)
            })
    }
}

impl<T: Float> std::fmt::Debug for Tensor<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const SHOW: usize = 16;
        write!(f, "Tensor{:?} [", self.shape)?;
        for (i, v) in self.data.iter().take(SHOW).enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "{v}")?;
        }
        if self.data.len() > SHOW {
            write!(f, ", … ({} more)", self.data.len() - SHOW)?;
        }
        write!(f, "]")
    }
}
