//! [`Flatten`]: merges a range of axes into one.

use crate::module::{Mode, Module};
use synann_autograd::anomaly::describe_module;
use synann_autograd::Var;
use synann_tensor::shape::resolve_axis;
use synann_tensor::Float;

/// Flattens axes `start_dim..=end_dim` into one, PyTorch's `nn.Flatten`
/// (by default `[N, C, H, W]` → `[N, C·H·W]`).
///
/// ```
/// use synann_autograd::Var;
/// use synann_nn::{layers::Flatten, Mode, Module};
/// use synann_tensor::Tensor;
///
/// let y = Flatten::new().forward(&Var::constant(Tensor::<f32>::zeros(&[2, 3, 4, 5])), Mode::Eval);
/// assert_eq!(y.shape(), vec![2, 60]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flatten {
    /// First axis flattened (1).
    pub start_dim: isize,
    /// Last axis flattened, negative from the end (−1).
    pub end_dim: isize,
}

impl Flatten {
    /// Flattens every axis but the batch axis.
    pub fn new() -> Self {
        Flatten {
            start_dim: 1,
            end_dim: -1,
        }
    }

    /// Flattens axes `start_dim..=end_dim` (negative count from the end).
    pub fn with_dims(start_dim: isize, end_dim: isize) -> Self {
        Flatten { start_dim, end_dim }
    }
}

impl Default for Flatten {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float> Module<T> for Flatten {
    fn forward(&mut self, x: &Var<T>, _mode: Mode) -> Var<T> {
        let _scope = describe_module(|| "Flatten".to_string());
        let shape = x.shape();
        let start = resolve_axis("Flatten", self.start_dim, shape.len());
        let end = resolve_axis("Flatten", self.end_dim, shape.len());
        assert!(
            start <= end,
            "Flatten: start_dim {} comes after end_dim {} for shape {shape:?}",
            self.start_dim,
            self.end_dim
        );
        let mut new_shape = shape[..start].to_vec();
        new_shape.push(shape[start..=end].iter().product());
        new_shape.extend_from_slice(&shape[end + 1..]);
        x.reshape(&new_shape)
    }

    fn named_parameters(&self) -> Vec<(String, Var<T>)> {
        Vec::new()
    }
}
