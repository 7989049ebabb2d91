//! [`Linear`]: the fully connected layer y = x·Wᵀ + b.

use super::Bias;
use crate::init::default_weight_and_bias_;
use crate::module::{Mode, Module};
use synann_autograd::anomaly::describe_module;
use synann_autograd::Var;
use synann_tensor::random::Rng;
use synann_tensor::{Float, Tensor};

/// A fully connected layer, PyTorch's `nn.Linear`: y = x·Wᵀ + b for `x`
/// shaped `[batch, in_features]`.
///
/// Parameters: `weight` `[out_features, in_features]`, initialised
/// U(−1/√in, 1/√in) (PyTorch's kaiming_uniform with a = √5), and `bias`
/// `[out_features]`, U(−1/√in, 1/√in).
///
/// ```
/// use synann_autograd::Var;
/// use synann_nn::layers::{Bias, Linear};
/// use synann_nn::{Mode, Module};
/// use synann_tensor::{random::seeded, Tensor};
///
/// let mut fc = Linear::<f32>::new(3, 2, Bias::Yes, &mut seeded(0));
/// let y = fc.forward(&Var::constant(Tensor::ones(&[4, 3])), Mode::Train);
/// assert_eq!(y.shape(), vec![4, 2]);
/// ```
pub struct Linear<T: Float> {
    /// `[out_features, in_features]`.
    pub weight: Var<T>,
    /// `[out_features]`, if the layer has one.
    pub bias: Option<Var<T>>,
}

impl<T: Float> Linear<T> {
    /// A layer mapping `in_features` to `out_features`, with or without a
    /// bias, with PyTorch's default initialisation drawn from `rng`.
    pub fn new(in_features: usize, out_features: usize, bias: Bias, rng: &mut Rng) -> Self {
        let weight = Var::requiring_grad(Tensor::zeros(&[out_features, in_features]));
        let bias = (bias == Bias::Yes).then(|| Var::requiring_grad(Tensor::zeros(&[out_features])));
        default_weight_and_bias_(&weight, bias.as_ref(), rng);
        Linear { weight, bias }
    }

    /// Number of input features.
    pub fn in_features(&self) -> usize {
        self.weight.value().shape()[1]
    }

    /// Number of output features.
    pub fn out_features(&self) -> usize {
        self.weight.value().shape()[0]
    }
}

impl<T: Float> Module<T> for Linear<T> {
    /// Accepts `[in]`, `[N, in]` or `[*, in]` (leading axes are flattened
    /// into the batch and restored), like PyTorch.
    fn forward(&mut self, x: &Var<T>, _mode: Mode) -> Var<T> {
        let _scope =
            describe_module(|| format!("Linear({}, {})", self.in_features(), self.out_features()));
        let shape = x.shape();
        if shape.len() == 2 {
            return x.linear(&self.weight, self.bias.as_ref());
        }
        let features = shape.last().copied().unwrap_or(0);
        let rows = shape.iter().rev().skip(1).product();
        let y = x
            .reshape(&[rows, features])
            .linear(&self.weight, self.bias.as_ref());
        let mut out_shape = shape[..shape.len().saturating_sub(1)].to_vec();
        out_shape.push(self.out_features());
        y.reshape(&out_shape)
    }

    fn named_parameters(&self) -> Vec<(String, Var<T>)> {
        let mut p = vec![("weight".to_string(), self.weight.clone())];
        if let Some(b) = &self.bias {
            p.push(("bias".to_string(), b.clone()));
        }
        p
    }
}
