//! [`Synapse`]: the fully connected synapse graph as a layer.
//!
//! For x ∈ (0, 1)ⁿ (one row of a batch [N, n]),
//!
//! ```text
//! y_i = a_i · x_i · Π_j (1 − B_ij · x_j) = a_i · x_i · exp(synapse_logsum(x, B)_i)
//! ```
//!
//! Each output is its input, excited by itself and inhibited by every input
//! through B (`weight`, [n, n] like Linear's [out, in]). The options,
//! gathered in [`SynapseConfig`]:
//!
//! - the gain `a` ([`Gain`]): fixed at 1 (the original), learnable (a
//!   parameter named `a`, `[n]`, initialised to 1), or kept ≥ 1 as the paper
//!   asks (a = 1 + softplus(`a_offset`));
//! - how `weight` becomes B ([`BParam`]): as is (the original), through a
//!   sigmoid (B ∈ (0, 1), the paper's constraint), or clamped into [0, 1];
//! - the initialisation of `weight` ([`SynapseInit`]); the default depends on
//!   the parameterisation so that every factor 1 − B·x starts near 1;
//! - [`Coupling`]: per sample (the formula above, the default) or
//!   batch-coupled, reproducing the original PyTorch code.
//!
//! Factors 1 − B·x below [`FACTOR_FLOOR`](crate::ops::FACTOR_FLOOR) are clamped
//! to it (the domain policy of
//! [`synapse_logsum`](crate::ops::synapse_logsum)); the layer counts them:
//! [`Synapse::clamped_factors`] is the count of its latest forward, also
//! reported through [`Module::named_clamp_counts`].

use crate::error::DomainError;
use crate::ops::{check_domain, synapse_logsum_with_clamp_count, Kernel};
use std::cell::Cell;
use synann_autograd::anomaly::describe_module;
use synann_autograd::Var;
use synann_nn::init::{kaiming_uniform_, uniform_, FanMode, Nonlinearity};
use synann_nn::{Mode, Module};
use synann_tensor::random::Rng;
use synann_tensor::{Float, KeepDim, Tensor};

/// How the trained `weight` W becomes the inhibition matrix B.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BParam {
    /// B = W, unconstrained (the original). Factors 1 − B·x may leave
    /// (0, 1]; see the domain policy of [`synapse_logsum`](crate::ops::synapse_logsum).
    #[default]
    Raw,
    /// B = sigmoid(W) ∈ (0, 1): with x ∈ (0, 1) every factor is in (0, 1),
    /// a true probability of not being inhibited.
    Sigmoid,
    /// B = clamp(W, 0, 1): W is used as is inside [0, 1] and gets no
    /// gradient where it is clamped.
    Clamped,
}

impl BParam {
    /// B from W.
    pub fn apply<T: Float>(self, w: &Var<T>) -> Var<T> {
        match self {
            BParam::Raw => w.clone(),
            BParam::Sigmoid => w.sigmoid(),
            BParam::Clamped => w.clamp(T::ZERO, T::ONE),
        }
    }
}

/// How `weight` is initialised.
///
/// The default, [`SynapseInit::Auto`], starts every factor 1 − B·x near 1
/// whatever the parameterisation and the width n: with the original
/// kaiming initialisation |B_ij| ≤ 1/√n, but B = sigmoid(W) would start at
/// 1/2 and the product of n factors (1 − x_j/2) near 0 on a 128-wide layer
/// (the model then trains at chance).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SynapseInit {
    /// The parameterisation's default, chosen by [`SynapseInit::resolve`]:
    ///
    /// - [`BParam::Raw`]: the original kaiming uniform (a = √5),
    ///   |B_ij| ≤ 1/√n with mean 0, so Σ_j B_ij·x_j has mean 0 and a
    ///   spread below 1/√3 for x ∈ (0, 1);
    /// - [`BParam::Sigmoid`]: W = U(−1/√n, 1/√n) − ln n, so that
    ///   B = sigmoid(W) ≈ 1/(n + 1) and the total inhibition
    ///   Σ_j B_ij·x_j ≤ n/(n + 1)·e^(1/√n) starts of order 1 (each factor
    ///   ≥ about 1 − 1/n);
    /// - [`BParam::Clamped`]: W = U(0, 2/n), B = W, likewise of total
    ///   order 1 (the kaiming range would give Σ_j B_ij·x_j ≈ √n/4 once the
    ///   negative half is clamped to 0, a product near e^(−7) at n = 784).
    Auto,
    /// PyTorch's `kaiming_uniform_(weight, a)` (fan in, leaky-ReLU gain
    /// √(2/(1 + a²))): U(−b, b) with b = √(6 / ((1 + a²)·fan_in)). The
    /// original uses a = √5, i.e. b = 1/√fan_in.
    KaimingUniform {
        /// The negative slope in the gain.
        a: f64,
    },
    /// U(low, high); the Keras version of the seed uses U(−0.05, 0.05).
    Uniform {
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
    },
}

impl SynapseInit {
    /// The original PyTorch initialisation, kaiming uniform with a = √5.
    pub fn original() -> Self {
        SynapseInit::KaimingUniform { a: 5f64.sqrt() }
    }

    /// The Keras seed's initialisation, U(−0.05, 0.05).
    pub fn keras() -> Self {
        SynapseInit::Uniform {
            low: -0.05,
            high: 0.05,
        }
    }

    /// The concrete initialisation for `param` on `fan_in` inputs per
    /// output: [`SynapseInit::Auto`] becomes the parameterisation's default
    /// (see there); the others are returned as they are.
    ///
    /// ```
    /// use synann::layers::{BParam, SynapseInit};
    /// assert_eq!(SynapseInit::Auto.resolve(BParam::Raw, 100), SynapseInit::original());
    /// let SynapseInit::Uniform { low, high } = SynapseInit::Auto.resolve(BParam::Sigmoid, 100) else {
    ///     panic!()
    /// };
    /// // Centred on −ln n, half-width 1/√n: B = sigmoid(W) ≈ 1/(n + 1).
    /// assert!(((low + high) / 2.0 + (100f64).ln()).abs() < 1e-12);
    /// assert!((high - low - 0.2).abs() < 1e-12);
    /// ```
    pub fn resolve(self, param: BParam, fan_in: usize) -> SynapseInit {
        match (self, param) {
            (SynapseInit::Auto, BParam::Raw) => SynapseInit::original(),
            (SynapseInit::Auto, BParam::Clamped) => SynapseInit::Uniform {
                low: 0.0,
                high: 2.0 / fan_in.max(1) as f64,
            },
            (SynapseInit::Auto, BParam::Sigmoid) => {
                let n = fan_in.max(1) as f64;
                let (centre, half) = (-n.ln(), 1.0 / n.sqrt());
                SynapseInit::Uniform {
                    low: centre - half,
                    high: centre + half,
                }
            }
            (other, _) => other,
        }
    }

    /// Fills `w` in place; `param` and the fan in (`w`'s elements per row)
    /// decide what [`SynapseInit::Auto`] means.
    pub fn fill<T: Float>(self, w: &Var<T>, param: BParam, rng: &mut Rng) {
        let shape = w.shape();
        let fan_in = shape[1..].iter().product();
        match self.resolve(param, fan_in) {
            SynapseInit::KaimingUniform { a } => {
                kaiming_uniform_(w, a, FanMode::FanIn, Nonlinearity::LeakyRelu, rng)
            }
            SynapseInit::Uniform { low, high } => uniform_(w, low, high, rng),
            SynapseInit::Auto => unreachable!("resolve never returns Auto"),
        }
    }
}

impl Default for SynapseInit {
    /// [`SynapseInit::Auto`].
    fn default() -> Self {
        SynapseInit::Auto
    }
}

/// The gain `a` of each output, y_i = a_i · x_i · Π_j (1 − B_ij·x_j).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Gain {
    /// a = 1, no parameter (the original code).
    #[default]
    One,
    /// a learnable and unconstrained: a parameter named `a`, `[n]`,
    /// initialised to 1.
    Learnable,
    /// a = 1 + softplus(v) ≥ 1, the paper's constraint α ≥ 1: a parameter
    /// named `a_offset` (v), `[n]`, initialised to softplus⁻¹(0.01) so that
    /// a starts at 1.01. ∂a/∂v = sigmoid(v).
    AtLeastOne,
}

impl Gain {
    /// The value v of `a_offset` at which a = 1 + softplus(v) = 1.01:
    /// softplus⁻¹(0.01) = ln(e^0.01 − 1).
    pub const AT_LEAST_ONE_START: f64 = -4.600_166_019_324_897;
}

/// Whether samples of a batch interact.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Coupling {
    /// y_ki = a_i · x_ki · Π_j (1 − B_ij x_kj): each sample on its own
    /// (the SynaNN formula; the output does not depend on the batch).
    #[default]
    PerSample,
    /// y_ki = a_i · x_ki · Π_k' Π_j (1 − B_ij x_k'j): the log terms are also
    /// summed over the batch, as the original PyTorch code does through its
    /// all-ones (B, B·n) matrix. **Reproduction only**: the output of one
    /// sample depends on the whole batch and on its size.
    BatchCoupled,
}

/// The options of a [`Synapse`] layer; `SynapseConfig::default()` is the
/// original layer (a = 1 fixed, B = W raw, kaiming uniform a = √5) with the
/// per-sample formula.
///
/// ```
/// use synann::layers::{BParam, Coupling, Gain, SynapseConfig, SynapseInit};
/// let cfg = SynapseConfig::default()
///     .gain(Gain::Learnable)
///     .param(BParam::Sigmoid)
///     .init(SynapseInit::keras())
///     .coupling(Coupling::PerSample);
/// assert_eq!(cfg.gain, Gain::Learnable);
/// // The paper's constraints: B ∈ (0, 1), a ≥ 1.
/// let paper = SynapseConfig::constrained();
/// assert_eq!((paper.param, paper.gain), (BParam::Sigmoid, Gain::AtLeastOne));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SynapseConfig {
    /// The gain `a`: fixed at 1, learnable, or learnable and ≥ 1.
    pub gain: Gain,
    /// How `weight` becomes B.
    pub param: BParam,
    /// How `weight` is initialised.
    pub init: SynapseInit,
    /// Per-sample or batch-coupled.
    pub coupling: Coupling,
}

impl SynapseConfig {
    /// The paper's constraints through smooth parameterisations:
    /// B = sigmoid(W) ∈ (0, 1) (started at about 1/(n + 1), see
    /// [`SynapseInit::Auto`]) and a = 1 + softplus(v) ≥ 1.
    ///
    /// (The surprisal-space form β = e^(−γ) with γ = softplus(u) > 0 is
    /// the same map: e^(−softplus(u)) = 1/(1 + eᵘ) = sigmoid(−u).)
    pub fn constrained() -> Self {
        SynapseConfig::default()
            .param(BParam::Sigmoid)
            .gain(Gain::AtLeastOne)
    }
    /// Sets [`SynapseConfig::gain`].
    pub fn gain(mut self, gain: Gain) -> Self {
        self.gain = gain;
        self
    }
    /// Sets [`SynapseConfig::param`].
    pub fn param(mut self, param: BParam) -> Self {
        self.param = param;
        self
    }
    /// Sets [`SynapseConfig::init`].
    pub fn init(mut self, init: SynapseInit) -> Self {
        self.init = init;
        self
    }
    /// Sets [`SynapseConfig::coupling`].
    pub fn coupling(mut self, coupling: Coupling) -> Self {
        self.coupling = coupling;
        self
    }
}

/// The Synapse layer: y = a ⊙ x ⊙ exp(synapse_logsum(x, B)) on [N, n]
/// inputs, n features in and out (see the [module docs](self)).
///
/// Parameters: `weight` [n, n] (W, giving B through [`BParam`]) and, when
/// learnable, `a` `[n]`. The original's unused `bias` is not created.
///
/// Each forward counts the factors 1 − B·x it clamped at
/// [`FACTOR_FLOOR`](crate::ops::FACTOR_FLOOR) ([`Synapse::clamped_factors`]): 0
/// while every input is in the domain.
///
/// ```
/// use synann::layers::{Synapse, SynapseConfig};
/// use synann_autograd::Var;
/// use synann_nn::{Mode, Module};
/// use synann_tensor::{random::seeded, Tensor};
///
/// let mut syn = Synapse::<f32>::new(4, SynapseConfig::default(), &mut seeded(0));
/// let x = Var::constant(Tensor::full(&[2, 4], 0.25));
/// let y = syn.forward(&x, Mode::Train);
/// assert_eq!(y.shape(), vec![2, 4]);
/// assert_eq!(syn.named_parameters()[0].0, "weight");
/// assert_eq!(syn.clamped_factors(), 0);
/// ```
pub struct Synapse<T: Float> {
    /// W, [n, n].
    pub weight: Var<T>,
    /// The gain's parameter, `[n]` (`a` itself for [`Gain::Learnable`],
    /// v of a = 1 + softplus(v) for [`Gain::AtLeastOne`]), or `None` for
    /// a = 1.
    pub a: Option<Var<T>>,
    /// The options the layer was built with.
    pub config: SynapseConfig,
    /// The factors clamped by the latest forward.
    clamped: Cell<u64>,
}

impl<T: Float> Synapse<T> {
    /// A layer on `features` inputs (and as many outputs), initialised from
    /// `rng` as `config.init` says.
    pub fn new(features: usize, config: SynapseConfig, rng: &mut Rng) -> Self {
        let weight = Var::requiring_grad(Tensor::zeros(&[features, features]));
        config.init.fill(&weight, config.param, rng);
        let a = match config.gain {
            Gain::One => None,
            Gain::Learnable => Some(Var::requiring_grad(Tensor::ones(&[features]))),
            Gain::AtLeastOne => Some(Var::requiring_grad(Tensor::full(
                &[features],
                T::from_f64(Gain::AT_LEAST_ONE_START),
            ))),
        };
        Synapse {
            weight,
            a,
            config,
            clamped: Cell::new(0),
        }
    }

    /// The number of features in (and out).
    pub fn features(&self) -> usize {
        self.weight.shape()[0]
    }

    /// B, the inhibition matrix, from `weight` through the parameterisation.
    pub fn inhibition(&self) -> Var<T> {
        self.config.param.apply(&self.weight)
    }

    /// `Synapse(n)`, for anomaly reports.
    fn describe(&self) -> String {
        format!("Synapse({})", self.features())
    }

    fn check_input(&self, x: &Var<T>) {
        let s = x.shape();
        assert!(
            s.len() == 2 && s[1] == self.features(),
            "Synapse: input {s:?} does not match the layer's {} features (need [N, {}])",
            self.features(),
            self.features()
        );
    }

    /// The number of factors 1 − B·x that the latest forward (in either
    /// mode, [`Synapse::try_forward`] included) found below
    /// [`FACTOR_FLOOR`](crate::ops::FACTOR_FLOOR) and clamped; 0 before the first
    /// forward. Each forward replaces it, so read it right after the
    /// forward it is about.
    ///
    /// ```
    /// use synann::layers::{Synapse, SynapseConfig};
    /// use synann_autograd::Var;
    /// use synann_nn::{Mode, Module};
    /// use synann_tensor::{random::seeded, Tensor};
    ///
    /// let mut syn = Synapse::<f64>::new(2, SynapseConfig::default(), &mut seeded(0));
    /// syn.weight.set_value(Tensor::from_vec(vec![0.0, 4.0, 0.0, 0.0], &[2, 2]));
    /// // 1 − 4·0.5 < 0 for both samples: two factors clamped.
    /// syn.forward(&Var::constant(Tensor::full(&[2, 2], 0.5)), Mode::Train);
    /// assert_eq!(syn.clamped_factors(), 2);
    /// assert_eq!(syn.named_clamp_counts(), [(String::new(), 2)]);
    /// assert_eq!(syn.take_clamped_factors(), 2);
    /// assert_eq!(syn.clamped_factors(), 0);
    /// ```
    pub fn clamped_factors(&self) -> u64 {
        self.clamped.get()
    }

    /// Returns [`Synapse::clamped_factors`] and resets it to 0.
    pub fn take_clamped_factors(&self) -> u64 {
        self.clamped.take()
    }

    /// The forward pass with B already computed.
    fn forward_with(&self, x: &Var<T>, b: &Var<T>) -> Var<T> {
        let (log_inhibition, clamped) = synapse_logsum_with_clamp_count(x, b, Kernel::Fast);
        self.clamped.set(clamped);
        let log_inhibition = match self.config.coupling {
            Coupling::PerSample => log_inhibition,
            // One factor per output feature, shared by the whole batch.
            Coupling::BatchCoupled => log_inhibition.sum(&[0], KeepDim::Yes),
        };
        let y = x.mul(&log_inhibition.exp());
        match (&self.a, self.config.gain) {
            (None, _) | (Some(_), Gain::One) => y,
            (Some(a), Gain::Learnable) => y.mul(a),
            (Some(v), Gain::AtLeastOne) => y.mul(&v.softplus().add_scalar(T::ONE)),
        }
    }

    /// The forward pass, but returning a [`DomainError`] naming `layer`
    /// and the first (sample, output, input) whose factor 1 − B·x is not
    /// positive, instead of clamping it.
    pub fn try_forward(&self, x: &Var<T>, layer: &str) -> Result<Var<T>, DomainError> {
        let _scope = describe_module(|| self.describe());
        self.check_input(x);
        let b = self.inhibition();
        check_domain(&x.value(), &b.value(), layer)?;
        Ok(self.forward_with(x, &b))
    }
}

impl<T: Float> Module<T> for Synapse<T> {
    /// y = a ⊙ x ⊙ exp(synapse_logsum(x, B)); the mode does not matter.
    fn forward(&mut self, x: &Var<T>, _mode: Mode) -> Var<T> {
        let _scope = describe_module(|| self.describe());
        self.check_input(x);
        let b = self.inhibition();
        self.forward_with(x, &b)
    }

    fn named_parameters(&self) -> Vec<(String, Var<T>)> {
        let mut p = vec![("weight".to_string(), self.weight.clone())];
        if let Some(a) = &self.a {
            let name = match self.config.gain {
                Gain::AtLeastOne => "a_offset",
                Gain::One | Gain::Learnable => "a",
            };
            p.push((name.to_string(), a.clone()));
        }
        p
    }

    /// The layer's own [`Synapse::clamped_factors`], under `""`.
    fn named_clamp_counts(&self) -> Vec<(String, u64)> {
        vec![(String::new(), self.clamped_factors())]
    }
}
