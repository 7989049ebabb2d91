//! `where_`: an element-wise choice between two values by a constant mask.
//!
//! z = c ? a : b (per element, the three shapes broadcast together). The
//! mask c is data, not a variable, so only a and b get gradients:
//! ∂z/∂a = [c ≠ 0] and ∂z/∂b = [c = 0], so
//! dL/da = sum_to_a([c ≠ 0] ⊙ dL/dz), dL/db = sum_to_b([c = 0] ⊙ dL/dz),
//! where sum_to undoes the broadcasting of each input.

use crate::function::{apply, BackwardCtx, Function};
use crate::var::Var;
use synann_tensor::{Float, Tensor};

struct Where<T: Float> {
    cond: Tensor<T>,
}

impl<T: Float> Function<T> for Where<T> {
    fn name(&self) -> &str {
        "where"
    }
    fn forward(&mut self, x: &[&Tensor<T>]) -> Tensor<T> {
        Tensor::where_(&self.cond, x[0], x[1])
    }
    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> Vec<Option<Tensor<T>>> {
        let (a, b, g) = (ctx.inputs[0], ctx.inputs[1], ctx.grad_output);
        let zero = Tensor::scalar(T::ZERO);
        // g where the mask picks this input, 0 elsewhere, summed to its shape.
        let da =
            ctx.needs_grad[0].then(|| Tensor::where_(&self.cond, g, &zero).into_sum_to(a.shape()));
        let db =
            ctx.needs_grad[1].then(|| Tensor::where_(&self.cond, &zero, g).into_sum_to(b.shape()));
        vec![da, db]
    }
}

impl<T: Float> Var<T> {
    /// `on_true` where `cond` is non-zero, `on_false` elsewhere; the three
    /// shapes broadcast together and the output has the common shape.
    /// `cond` is a constant (no gradient flows to it).
    ///
    /// ```
    /// use synann_autograd::Var;
    /// use synann_tensor::Tensor;
    /// let c = Tensor::from_vec(vec![1.0f64, 0.0, 1.0], &[3]);
    /// let a = Var::requiring_grad(Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]));
    /// let b = Var::requiring_grad(Tensor::scalar(0.0));
    /// let z = Var::where_(&c, &a, &b);
    /// assert_eq!(z.value().data(), &[1.0, 0.0, 3.0]);
    /// z.sum_all().backward();
    /// assert_eq!(a.grad().unwrap().data(), &[1.0, 0.0, 1.0]);
    /// assert_eq!(b.grad().unwrap().item(), 1.0);
    /// ```
    pub fn where_(cond: &Tensor<T>, on_true: &Var<T>, on_false: &Var<T>) -> Var<T> {
        apply(Where { cond: cond.clone() }, &[on_true, on_false])
    }
}
