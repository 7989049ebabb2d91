//! Mean squared error.

use super::{assert_same_shape, Reduction};
use synann_autograd::{apply, BackwardCtx, Function, Var};
use synann_tensor::{Float, Tensor};

/// ℓ_i = (a_i − b_i)², so dℓ_i/da_i = 2(a_i − b_i) = −dℓ_i/db_i.
struct MseLoss {
    reduction: Reduction,
}

impl<T: Float> Function<T> for MseLoss {
    fn name(&self) -> &str {
        "mse_loss"
    }

    fn forward(&mut self, inputs: &[&Tensor<T>]) -> Tensor<T> {
        let (a, b) = (inputs[0], inputs[1]);
        let losses = a.zip_map(b, "mse_loss", |a, b| (a - b) * (a - b));
        self.reduction.reduce(losses)
    }

    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> Vec<Option<Tensor<T>>> {
        let (a, b) = (ctx.inputs[0], ctx.inputs[1]);
        let g = self.reduction.expand(ctx.grad_output, a.shape());
        let two = T::ONE + T::ONE;
        let da = a.sub(b).mul(&g).mul_scalar(two);
        let db = ctx.needs_grad[1].then(|| da.neg());
        vec![ctx.needs_grad[0].then_some(da), db]
    }
}

/// Squared error between `input` and `target` (same shape), reduced:
/// PyTorch's `F.mse_loss`. Both may require gradients.
///
/// ```
/// use synann_autograd::Var;
/// use synann_nn::loss::{mse_loss, Reduction};
/// use synann_tensor::Tensor;
///
/// let a = Var::constant(Tensor::from_vec(vec![1.0f32, 2.0], &[2]));
/// let b = Var::constant(Tensor::from_vec(vec![0.0f32, 4.0], &[2]));
/// assert_eq!(mse_loss(&a, &b, Reduction::Mean).value().item(), 2.5);
/// ```
pub fn mse_loss<T: Float>(input: &Var<T>, target: &Var<T>, reduction: Reduction) -> Var<T> {
    assert_same_shape("mse_loss", &input.shape(), &target.shape());
    apply(MseLoss { reduction }, &[input, target])
}
