//! AdamW: Adam with decoupled weight decay (Loshchilov & Hutter; PyTorch's
//! `torch.optim.AdamW`).
//!
//! Instead of adding λ·p to the gradient, where Adam's per-coordinate
//! scaling would weaken it, AdamW shrinks the parameter directly before the
//! Adam update: `p = p·(1 − η·λ)`. Everything else is [`Adam`](super::Adam)'s
//! update (see [`adam`](super::adam) for the maths).

use super::adam::{forward_optimizer, AdamConfig, AdamCore};
use super::error::ConfigError;
use super::ParamGroup;
use synann_autograd::Var;
use synann_tensor::Float;

/// Adam with decoupled weight decay.
///
/// ```
/// use synann_autograd::Var;
/// use synann_nn::optim::{AdamConfig, AdamW, Optimizer};
/// use synann_tensor::Tensor;
///
/// let w = Var::requiring_grad(Tensor::from_vec(vec![1.0f64], &[1]));
/// let mut opt = AdamW::new(vec![w.clone()], 1e-3, AdamConfig::adamw()).unwrap();
/// w.set_grad(Some(Tensor::from_vec(vec![0.5], &[1])));
/// opt.step();
/// // decay 1·(1 − 1e-3·0.01), then a first Adam step of ≈ lr.
/// assert!((w.value().data()[0] - (1.0 - 1e-5 - 1e-3)).abs() < 1e-9);
/// ```
pub struct AdamW<T: Float>(AdamCore<T>);

impl<T: Float> AdamW<T> {
    /// AdamW over one group; [`AdamConfig::adamw`] gives PyTorch's defaults
    /// (weight decay 0.01; PyTorch's default lr is 1e-3).
    pub fn new(params: Vec<Var<T>>, lr: f64, config: AdamConfig) -> Result<Self, ConfigError> {
        Self::with_groups(vec![ParamGroup::new(params, lr, config)])
    }

    /// AdamW over several groups, each with its own learning rate and
    /// options.
    pub fn with_groups(groups: Vec<ParamGroup<T, AdamConfig>>) -> Result<Self, ConfigError> {
        AdamCore::build("AdamW", true, groups).map(AdamW)
    }

    /// The parameter groups.
    pub fn param_groups(&self) -> &[ParamGroup<T, AdamConfig>] {
        self.0.param_groups()
    }
}

forward_optimizer!(AdamW);
