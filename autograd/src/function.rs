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
    /// The input values, as they were in forward (one the op's
    /// [`Function::backward_needs_input`] says it does not read may be
    /// empty).
    pub inputs: &'a [&'a Tensor<T>],
    /// The output value computed by forward (may be empty if the op's
    /// [`Function::backward_needs_output`] says it does not read it).
    pub output: &'a Tensor<T>,
    /// dL/d(output), the shape of the output.
    pub grad_output: &'a Tensor<T>,
    /// For each input, whether its gradient is needed; a backward may return
    /// `None` for the others and skip their work.
    pub needs_grad: &'a [bool],
}

/// What a [`Function::backward_in_place`] receives besides the gradient it
/// overwrites.
pub struct InPlaceCtx<'a, T: Float> {
    /// The input values, as they were in forward (one the op's
    /// [`Function::backward_needs_input`] says it does not read may be
    /// empty).
    pub inputs: &'a [&'a Tensor<T>],
    /// The output value computed by forward (may be empty if the op's
    /// [`Function::backward_needs_output`] says it does not read it).
    pub output: &'a Tensor<T>,
    /// The one input whose gradient is needed (an index into `inputs`).
    pub input: usize,
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

    /// Backward without a new buffer: overwrites `grad`, which holds
    /// dL/d(output), with dL/d(`inputs[ctx.input]`) and returns `true`.
    ///
    /// The engine tries it first whenever exactly one input needs a
    /// gradient, since it owns dL/d(output) and would drop it right after
    /// [`Function::backward`]. An element-wise op whose gradient has the
    /// output's shape (ReLU, dropout's mask, a reshape) can then compute it
    /// where dL/d(output) lies, and the pass holds one gradient of that
    /// size instead of two (PyTorch's autograd frees the incoming gradient
    /// only after the op's backward returns). An op that cannot, for this
    /// input or these shapes, returns `false` and leaves `grad` as it was;
    /// the default does so for every op.
    ///
    /// The result must be what [`Function::backward`] returns for that
    /// input: [`gradcheck`](crate::gradcheck()) compares the two, giving
    /// each input a gradient alone and all of them together.
    fn backward_in_place(&self, ctx: &InPlaceCtx<'_, T>, grad: &mut Tensor<T>) -> bool {
        let _ = (ctx, grad);
        false
    }

    /// Whether the backward (or the in-place backward) reads the output
    /// value (`ctx.output`), its shape included; the default says it does.
    ///
    /// An op whose backward needs only its inputs (a convolution, a matrix
    /// product, ln or abs) answers `false`: when the pass reaches a node of
    /// it that nothing outside the pass holds (an intermediate result the
    /// caller has dropped), it frees the output before calling the
    /// backward instead of after, so that the output is never held beside
    /// the input gradients computed from it; if no consumer reads it
    /// either, before the pass. `ctx.output` is then an empty tensor of
    /// shape `[0]`.
    fn backward_needs_output(&self) -> bool {
        true
    }

    /// Whether the backward reads input `i`'s value (`ctx.inputs[i]`),
    /// its shape included; the default says it does.
    ///
    /// An op whose gradients are written through its output alone (ReLU,
    /// sigmoid, tanh, exp) answers `false` for its input: the pass then
    /// frees, before it starts, an input that nothing else will read (a
    /// convolution's output under a ReLU, which PyTorch frees in the
    /// forward since nothing saves it), and `ctx.inputs[i]` is then an
    /// empty tensor of shape `[0]`.
    fn backward_needs_input(&self, i: usize) -> bool {
        let _ = i;
        true
    }
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
