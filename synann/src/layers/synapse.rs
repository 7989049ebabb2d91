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
//! - `a` fixed at 1 (the original) or learnable (a parameter named `a`, `[n]`,
//!   initialised to 1);
//! - how `weight` becomes B ([`BParam`]): as is (the original), through a
//!   sigmoid, or clamped into [0, 1];
//! - the initialisation of `weight` ([`SynapseInit`]);
//! - [`Coupling`]: per sample (the formula above, the default) or
//!   batch-coupled, reproducing the original PyTorch code.

use crate::error::DomainError;
use crate::ops::{check_domain, synapse_logsum};
use synann_autograd::Var;
use synann_nn::init::{kaiming_uniform_, uniform_, FanMode, Nonlinearity};
use synann_nn::{Mode, Module};
use synann_tensor::random::Rng;
use synann_tensor::{Float, Tensor};

/// How the trained `weight` W becomes the inhibition matrix B.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BParam {
    /// B = W, unconstrained (the original). Factors 1 − B·x may leave
    /// (0, 1]; see the domain policy of [`synapse_logsum`].
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
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SynapseInit {
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

    /// Fills `w` in place.
    pub fn fill<T: Float>(self, w: &Var<T>, rng: &mut Rng) {
        match self {
            SynapseInit::KaimingUniform { a } => {
                kaiming_uniform_(w, a, FanMode::FanIn, Nonlinearity::LeakyRelu, rng)
            }
            SynapseInit::Uniform { low, high } => uniform_(w, low, high, rng),
        }
    }
}

impl Default for SynapseInit {
    fn default() -> Self {
        SynapseInit::original()
    }
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
/// use synann::layers::{BParam, Coupling, SynapseConfig, SynapseInit};
/// let cfg = SynapseConfig::default()
///     .learnable_a(true)
///     .param(BParam::Sigmoid)
///     .init(SynapseInit::keras())
///     .coupling(Coupling::PerSample);
/// assert!(cfg.learnable_a);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SynapseConfig {
    /// Whether `a` is a trained parameter (named `a`) rather than fixed at 1.
    pub learnable_a: bool,
    /// How `weight` becomes B.
    pub param: BParam,
    /// How `weight` is initialised.
    pub init: SynapseInit,
    /// Per-sample or batch-coupled.
    pub coupling: Coupling,
}

impl SynapseConfig {
    /// Sets [`SynapseConfig::learnable_a`].
    pub fn learnable_a(mut self, on: bool) -> Self {
        self.learnable_a = on;
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
/// ```
pub struct Synapse<T: Float> {
    /// W, [n, n].
    pub weight: Var<T>,
    /// The learnable gains, `[n]`, or `None` for a = 1.
    pub a: Option<Var<T>>,
    /// The options the layer was built with.
    pub config: SynapseConfig,
}

impl<T: Float> Synapse<T> {
    /// A layer on `features` inputs (and as many outputs), initialised from
    /// `rng` as `config.init` says.
    pub fn new(features: usize, config: SynapseConfig, rng: &mut Rng) -> Self {
        let weight = Var::leaf(Tensor::zeros(&[features, features]), true);
        config.init.fill(&weight, rng);
        let a = config
            .learnable_a
            .then(|| Var::leaf(Tensor::ones(&[features]), true));
        Synapse { weight, a, config }
    }

    /// The number of features in (and out).
    pub fn features(&self) -> usize {
        self.weight.shape()[0]
    }

    /// B, the inhibition matrix, from `weight` through the parameterisation.
    pub fn inhibition(&self) -> Var<T> {
        self.config.param.apply(&self.weight)
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

    /// The forward pass with B already computed.
    fn forward_with(&self, x: &Var<T>, b: &Var<T>) -> Var<T> {
        let log_inhibition = synapse_logsum(x, b);
        let log_inhibition = match self.config.coupling {
            Coupling::PerSample => log_inhibition,
            // One factor per output feature, shared by the whole batch.
            Coupling::BatchCoupled => log_inhibition.sum(&[0], true),
        };
        let y = x.mul(&log_inhibition.exp());
        match &self.a {
            Some(a) => y.mul(a),
            None => y,
        }
    }

    /// The forward pass, but returning a [`DomainError`] naming `layer`
    /// and the first (sample, output, input) whose factor 1 − B·x is not
    /// positive, instead of clamping it.
    pub fn try_forward(&self, x: &Var<T>, layer: &str) -> Result<Var<T>, DomainError> {
        self.check_input(x);
        let b = self.inhibition();
        check_domain(&x.value(), &b.value(), layer)?;
        Ok(self.forward_with(x, &b))
    }
}

impl<T: Float> Module<T> for Synapse<T> {
    /// y = a ⊙ x ⊙ exp(synapse_logsum(x, B)); the mode does not matter.
    fn forward(&mut self, x: &Var<T>, _mode: Mode) -> Var<T> {
        self.check_input(x);
        let b = self.inhibition();
        self.forward_with(x, &b)
    }

    fn named_parameters(&self) -> Vec<(String, Var<T>)> {
        let mut p = vec![("weight".to_string(), self.weight.clone())];
        if let Some(a) = &self.a {
            p.push(("a".to_string(), a.clone()));
        }
        p
    }
}
