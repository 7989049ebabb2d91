//! What a researcher outside synann writes: a custom op through the public
//! `Function` trait and a custom module through the public `Module` trait.
//! `tests/` checks both with the public verification API in a few lines.

use synann_autograd::{apply, BackwardCtx, Function, Var};
use synann_nn::layers::{Bias, Linear};
use synann_nn::{prefixed, Mode, Module};
use synann_tensor::random::Rng;
use synann_tensor::{Float, Tensor};

/// softsign: y = x / (1 + |x|), dy/dx = 1 / (1 + |x|)².
pub struct Softsign;

impl<T: Float> Function<T> for Softsign {
    fn name(&self) -> &str {
        "softsign"
    }
    fn forward(&mut self, inputs: &[&Tensor<T>]) -> Tensor<T> {
        inputs[0].map(|x| x / (T::ONE + x.abs()))
    }
    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> Vec<Option<Tensor<T>>> {
        let dx = ctx.inputs[0].zip_map(ctx.grad_output, "softsign", |x, g| {
            let d = T::ONE + x.abs();
            g / (d * d)
        });
        vec![Some(dx)]
    }
}

/// softsign as a function of a [`Var`].
pub fn softsign<T: Float>(x: &Var<T>) -> Var<T> {
    apply(Softsign, &[x])
}

/// A two-layer perceptron with a softsign between the layers and a
/// residual gate: y = fc2(softsign(fc1(x))) · σ(gate).
pub struct GatedMlp<T: Float> {
    /// First layer.
    pub fc1: Linear<T>,
    /// Second layer.
    pub fc2: Linear<T>,
    /// One gate per output.
    pub gate: Var<T>,
}

impl<T: Float> GatedMlp<T> {
    /// Random layers, gate 0 (σ = 1/2).
    pub fn new(inputs: usize, hidden: usize, outputs: usize, rng: &mut Rng) -> Self {
        GatedMlp {
            fc1: Linear::new(inputs, hidden, Bias::Yes, rng),
            fc2: Linear::new(hidden, outputs, Bias::Yes, rng),
            gate: Var::requiring_grad(Tensor::zeros(&[outputs])),
        }
    }
}

impl<T: Float> Module<T> for GatedMlp<T> {
    fn forward(&mut self, x: &Var<T>, mode: Mode) -> Var<T> {
        let h = softsign(&self.fc1.forward(x, mode));
        self.fc2.forward(&h, mode).mul(&self.gate.sigmoid())
    }
    fn named_parameters(&self) -> Vec<(String, Var<T>)> {
        let mut p = prefixed("fc1", self.fc1.named_parameters());
        p.extend(prefixed("fc2", self.fc2.named_parameters()));
        p.push(("gate".to_string(), self.gate.clone()));
        p
    }
}
