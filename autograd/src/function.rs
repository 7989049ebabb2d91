//! The op interface: every differentiable operation, built-in or yours, is a
//! [`Function`] applied to [`Var`]s with [`apply`].
//!
//! A `Function` computes its output in `forward` (keeping in `self` whatever
//! backward will need beyond the inputs and the output, such as argmax
//! indices) and maps the gradient of the loss with respect to its output to
//! the gradients with respect to its inputs in `backward`. This is exactly
//! the interface the built-in ops use; the SynaNN kernels in the `synann`
//! crate are written through it too.
//!
//! ```
//! use synann_autograd::{apply, BackwardCtx, Function, Var};
//! use synann_tensor::{Float, Tensor};
//!
//! /// y = x³, so dL/dx = 3x² · dL/dy.
//! struct Cube;
//! impl<T: Float> Function<T> for Cube {
//!     fn name(&self) -> &str { "cube" }
//!     fn forward(&mut self, inputs: &[&Tensor<T>]) -> Tensor<T> {
//!         inputs[0].map(|x| x * x * x)
//!     }
//!     fn backward(&self, ctx: &BackwardCtx<'_, T>) -> Vec<Option<Tensor<T>>> {
//!         let three = T::from_f64(3.0);
//!         vec![Some(ctx.inputs[0].zip_map(ctx.grad_output, "cube", |x, g| three * x * x * g))]
//!     }
//! }
//!
//! let x = Var::requiring_grad(Tensor::from_vec(vec![2.0f64], &[1]));
//! let y = apply(Cube, &[&x]);
//! y.sum_all().backward();
//! assert_eq!(x.grad().unwrap().data(), &[12.0]);
//! ```

use crate::anomaly::{self, Phase};
use crate::no_grad::is_grad_enabled;
use crate::profile;
use crate::var::Var;
use synann_tensor::{Float, Tensor};

/// What a [`Function::backward`] receives.
pub struct BackwardCtx<'a, T: Float> {
    /// The input values, as they were in forward.
    pub inputs: &'a [&'a Tensor<T>],
    /// The output value computed by forward.
    pub output: &'a Tensor<T>,
    /// dL/d(output), the same shape as `output`.
    pub grad_output: &'a Tensor<T>,
    /// For each input, whether its gradient is needed; a backward may return
    /// `None` for the others and skip their work.
    pub needs_grad: &'a [bool],
}

/// A differentiable operation: forward computes the output, backward the
/// vector–Jacobian product.
pub trait Function<T: Float> {
    /// A short name used in error messages and anomaly reports.
    fn name(&self) -> &str;

    /// Computes the output from the input values. It may store in `self`
    /// what the backward pass needs (indices, statistics).
    fn forward(&mut self, inputs: &[&Tensor<T>]) -> Tensor<T>;

    /// Given dL/d(output) in `ctx`, returns dL/d(input) for each input, in
    /// order, with the input's shape (`None` for an input needing none).
    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> Vec<Option<Tensor<T>>>;
}

/// Runs `f` forward on the inputs' values and, if gradients are enabled and
/// some input requires one, records it in the graph.
pub fn apply<T: Float, F: Function<T> + 'static>(mut f: F, inputs: &[&Var<T>]) -> Var<T> {
    let output = {
        let values: Vec<_> = inputs.iter().map(|v| v.value()).collect();
        let refs: Vec<&Tensor<T>> = values.iter().map(|r| &**r).collect();
        let start = profile::start();
        let output = f.forward(&refs);
        profile::finish(start, f.name(), Phase::Forward);
        output
    };
    anomaly::check_forward(f.name(), &output);
    let record = is_grad_enabled() && inputs.iter().any(|v| v.requires_grad());
    if record {
        Var::from_op(
            output,
            anomaly::in_module(Box::new(f)),
            inputs.iter().map(|&v| v.clone()).collect(),
        )
    } else {
        Var::constant(output)
    }
}
