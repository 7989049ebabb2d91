//! Loss functions, PyTorch's `F.nll_loss`, `F.cross_entropy`, `F.mse_loss`,
//! `F.binary_cross_entropy` and `F.binary_cross_entropy_with_logits`.
//!
//! Each loss is one fused op: its forward computes the per-element losses
//! and reduces them, its backward writes the gradient straight from the
//! closed form (for cross-entropy, softmax minus the target distribution)
//! instead of going back through a chain of small ops.
//!
//! | file | losses |
//! |---|---|
//! | `classification` | [`nll_loss`], [`cross_entropy`] (class indices, optional label smoothing) |
//! | `regression` | [`mse_loss`] |
//! | `binary` | [`binary_cross_entropy`], [`binary_cross_entropy_with_logits`] |
//!
//! ```
//! use synann_autograd::Var;
//! use synann_nn::loss::{cross_entropy, Reduction};
//! use synann_tensor::Tensor;
//!
//! let logits = Var::requiring_grad(Tensor::from_vec(vec![0.0f64, 0.0], &[1, 2]));
//! let loss = cross_entropy(&logits, &[1], Reduction::Mean, 0.0);
//! assert!((loss.value().item() - 2f64.ln()).abs() < 1e-12);
//! loss.backward();
//! assert_eq!(logits.grad().unwrap().data(), &[0.5, -0.5]); // softmax − one-hot
//! ```

mod binary;
mod classification;
mod regression;

pub use binary::{binary_cross_entropy, binary_cross_entropy_with_logits};
pub use classification::{cross_entropy, nll_loss};
pub use regression::mse_loss;

use synann_tensor::{Float, Tensor};

/// How per-element losses are combined, as PyTorch's `reduction`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Reduction {
    /// The mean over elements (samples, for the class-index losses): a
    /// scalar of shape `[]`.
    #[default]
    Mean,
    /// The sum: a scalar of shape `[]`.
    Sum,
    /// No reduction: one loss per element (per sample for class-index
    /// losses).
    None,
}

impl Reduction {
    /// Reduces per-element losses.
    fn reduce<T: Float>(self, losses: Tensor<T>) -> Tensor<T> {
        match self {
            Reduction::None => losses,
            Reduction::Sum => losses.sum_all(),
            Reduction::Mean => losses.mean_all(),
        }
    }

    /// dL/d(per-element loss), shaped `shape`, from the gradient of the
    /// reduced output: `grad_output` itself for `None`, the scalar spread
    /// out for `Sum`, and divided by the count for `Mean`.
    fn expand<T: Float>(self, grad_output: &Tensor<T>, shape: &[usize]) -> Tensor<T> {
        match self {
            Reduction::None => grad_output.clone(),
            Reduction::Sum => Tensor::full(shape, grad_output.item()),
            Reduction::Mean => {
                let count: usize = shape.iter().product();
                Tensor::full(shape, grad_output.item() / T::from_usize(count))
            }
        }
    }
}

/// Panics unless the two operands of a loss have the same shape.
fn assert_same_shape(loss: &str, a: &[usize], b: &[usize]) {
    assert_eq!(
        a, b,
        "{loss}: input of shape {a:?} and target of shape {b:?} differ"
    );
}
