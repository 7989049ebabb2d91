//! Parameter initialisers with PyTorch's formulas (`torch.nn.init`).
//!
//! Each function fills a [`Var`]'s value in place (the trailing `_` says so,
//! as in PyTorch) and draws from a caller-owned, seeded [`Rng`], so a model
//! is reproducible from its seed. The numbers drawn differ from PyTorch's
//! (another generator), the distributions are the same.
//!
//! | function | distribution |
//! |---|---|
//! | [`uniform_`] | U(a, b) |
//! | [`normal_`] | N(mean, std²) |
//! | [`xavier_uniform_`] | U(−b, b), b = gain·√(6 / (fan_in + fan_out)) |
//! | [`xavier_normal_`] | N(0, σ²), σ = gain·√(2 / (fan_in + fan_out)) |
//! | [`kaiming_uniform_`] | U(−b, b), b = gain·√(3 / fan) |
//! | [`kaiming_normal_`] | N(0, σ²), σ = gain / √fan |
//!
//! where `fan` is fan_in or fan_out ([`FanMode`]) and the kaiming gain is
//! [`calculate_gain`] of the nonlinearity that follows the layer.
//!
//! ```
//! use synann_autograd::Var;
//! use synann_nn::init::{kaiming_uniform_, FanMode, Nonlinearity};
//! use synann_tensor::{random::seeded, Tensor};
//!
//! let w = Var::requiring_grad(Tensor::<f32>::zeros(&[64, 100]));
//! kaiming_uniform_(&w, 0.0, FanMode::FanIn, Nonlinearity::Relu, &mut seeded(0));
//! let bound = (6.0f32 / 100.0).sqrt(); // √2 · √(3 / 100)
//! assert!(w.value().data().iter().all(|v| v.abs() <= bound));
//! ```

use synann_autograd::Var;
use synann_tensor::random::Rng;
use synann_tensor::{Float, Tensor};

/// Which fan a kaiming initialiser preserves the variance of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FanMode {
    /// Preserve the variance of the activations in the forward pass.
    FanIn,
    /// Preserve the variance of the gradients in the backward pass.
    FanOut,
}

/// The nonlinearity that follows a layer, for [`calculate_gain`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nonlinearity {
    /// Identity (gain 1).
    Linear,
    /// A 1-d convolution without activation (gain 1).
    Conv1d,
    /// A 2-d convolution without activation (gain 1).
    Conv2d,
    /// A 3-d convolution without activation (gain 1).
    Conv3d,
    /// The logistic sigmoid (gain 1).
    Sigmoid,
    /// tanh (gain 5/3).
    Tanh,
    /// ReLU (gain √2).
    Relu,
    /// Leaky ReLU with the negative slope given as `param` (gain √(2 / (1 + slope²))).
    LeakyRelu,
    /// SELU (gain 3/4).
    Selu,
}

/// The recommended gain for a nonlinearity, as `torch.nn.init.calculate_gain`.
///
/// `param` is the negative slope of [`Nonlinearity::LeakyRelu`] (0.01 when
/// `None`); the other nonlinearities ignore it.
///
/// ```
/// use synann_nn::init::{calculate_gain, Nonlinearity};
/// assert_eq!(calculate_gain(Nonlinearity::Tanh, None), 5.0 / 3.0);
/// assert_eq!(calculate_gain(Nonlinearity::Relu, None), 2f64.sqrt());
/// ```
pub fn calculate_gain(nonlinearity: Nonlinearity, param: Option<f64>) -> f64 {
    match nonlinearity {
        Nonlinearity::Linear
        | Nonlinearity::Conv1d
        | Nonlinearity::Conv2d
        | Nonlinearity::Conv3d
        | Nonlinearity::Sigmoid => 1.0,
        Nonlinearity::Tanh => 5.0 / 3.0,
        Nonlinearity::Relu => 2f64.sqrt(),
        Nonlinearity::LeakyRelu => {
            let slope = param.unwrap_or(0.01);
            (2.0 / (1.0 + slope * slope)).sqrt()
        }
        Nonlinearity::Selu => 0.75,
    }
}

/// `(fan_in, fan_out)` of a weight shaped `[out, in, k…]` (Linear's
/// `[out, in]`, Conv2d's `[out, in/groups, kh, kw]`): fan_in = in·Πk,
/// fan_out = out·Πk. Panics for fewer than 2 dimensions, as PyTorch.
///
/// ```
/// use synann_nn::init::calculate_fan_in_and_fan_out;
/// assert_eq!(calculate_fan_in_and_fan_out(&[10, 3, 5, 5]), (75, 250));
/// ```
pub fn calculate_fan_in_and_fan_out(shape: &[usize]) -> (usize, usize) {
    assert!(
        shape.len() >= 2,
        "calculate_fan_in_and_fan_out: fan in and fan out cannot be computed for shape {shape:?} (fewer than 2 dimensions)"
    );
    let receptive_field: usize = shape[2..].iter().product();
    (shape[1] * receptive_field, shape[0] * receptive_field)
}

fn fan(shape: &[usize], mode: FanMode) -> usize {
    let (fan_in, fan_out) = calculate_fan_in_and_fan_out(shape);
    match mode {
        FanMode::FanIn => fan_in,
        FanMode::FanOut => fan_out,
    }
}

/// Replaces the value of `var` by `make(shape)`.
fn refill<T: Float>(var: &Var<T>, make: impl FnOnce(&[usize]) -> Tensor<T>) {
    let mut value = var.value_mut();
    let fresh = make(value.shape());
    *value = fresh;
}

/// Fills with samples from U(a, b).
pub fn uniform_<T: Float>(var: &Var<T>, a: f64, b: f64, rng: &mut Rng) {
    refill(var, |s| {
        Tensor::uniform(s, T::from_f64(a), T::from_f64(b), rng)
    });
}

/// Fills with samples from N(mean, std²).
pub fn normal_<T: Float>(var: &Var<T>, mean: f64, std: f64, rng: &mut Rng) {
    refill(var, |s| {
        Tensor::normal(s, T::from_f64(mean), T::from_f64(std), rng)
    });
}

/// Fills with `value`.
pub fn constant_<T: Float>(var: &Var<T>, value: f64) {
    var.value_mut().fill_(T::from_f64(value));
}

/// Fills with 0.
pub fn zeros_<T: Float>(var: &Var<T>) {
    constant_(var, 0.0);
}

/// Fills with 1.
pub fn ones_<T: Float>(var: &Var<T>) {
    constant_(var, 1.0);
}

/// Glorot/Xavier uniform: U(−b, b) with b = gain·√(6 / (fan_in + fan_out)).
pub fn xavier_uniform_<T: Float>(var: &Var<T>, gain: f64, rng: &mut Rng) {
    let (fan_in, fan_out) = calculate_fan_in_and_fan_out(&var.shape());
    let std = gain * (2.0 / (fan_in + fan_out) as f64).sqrt();
    let bound = 3f64.sqrt() * std;
    uniform_(var, -bound, bound, rng);
}

/// Glorot/Xavier normal: N(0, σ²) with σ = gain·√(2 / (fan_in + fan_out)).
pub fn xavier_normal_<T: Float>(var: &Var<T>, gain: f64, rng: &mut Rng) {
    let (fan_in, fan_out) = calculate_fan_in_and_fan_out(&var.shape());
    let std = gain * (2.0 / (fan_in + fan_out) as f64).sqrt();
    normal_(var, 0.0, std, rng);
}

/// The standard deviation kaiming initialisers aim for: gain / √fan, with
/// the gain of `nonlinearity` (`a` is the leaky-ReLU slope).
fn kaiming_std(shape: &[usize], a: f64, mode: FanMode, nonlinearity: Nonlinearity) -> f64 {
    let f = fan(shape, mode);
    assert!(
        f > 0,
        "kaiming init: the {mode:?} of shape {shape:?} is zero; nothing to initialise"
    );
    calculate_gain(nonlinearity, Some(a)) / (f as f64).sqrt()
}

/// He/kaiming uniform: U(−b, b) with b = gain·√(3 / fan), gain =
/// [`calculate_gain`]`(nonlinearity, a)`.
///
/// PyTorch's default for Linear and Conv weights is `a = √5`,
/// [`FanMode::FanIn`], [`Nonlinearity::LeakyRelu`], which gives b = 1/√fan_in.
pub fn kaiming_uniform_<T: Float>(
    var: &Var<T>,
    a: f64,
    mode: FanMode,
    nonlinearity: Nonlinearity,
    rng: &mut Rng,
) {
    let bound = 3f64.sqrt() * kaiming_std(&var.shape(), a, mode, nonlinearity);
    uniform_(var, -bound, bound, rng);
}

/// He/kaiming normal: N(0, σ²) with σ = gain / √fan.
pub fn kaiming_normal_<T: Float>(
    var: &Var<T>,
    a: f64,
    mode: FanMode,
    nonlinearity: Nonlinearity,
    rng: &mut Rng,
) {
    let std = kaiming_std(&var.shape(), a, mode, nonlinearity);
    normal_(var, 0.0, std, rng);
}

/// PyTorch's default initialisation of a `Linear`/`Conv*` layer
/// (`reset_parameters`): the weight from kaiming_uniform with a = √5, which
/// is U(−1/√fan_in, 1/√fan_in), and the bias, if any, from the same
/// U(−1/√fan_in, 1/√fan_in) (zero bound when fan_in is 0). The draws come
/// in PyTorch's order: weight first, then bias.
pub fn default_weight_and_bias_<T: Float>(weight: &Var<T>, bias: Option<&Var<T>>, rng: &mut Rng) {
    kaiming_uniform_(
        weight,
        5f64.sqrt(),
        FanMode::FanIn,
        Nonlinearity::LeakyRelu,
        rng,
    );
    if let Some(b) = bias {
        let (fan_in, _) = calculate_fan_in_and_fan_out(weight.value().shape());
        let bound = if fan_in > 0 {
            1.0 / (fan_in as f64).sqrt()
        } else {
            0.0
        };
        uniform_(b, -bound, bound, rng);
    }
}
