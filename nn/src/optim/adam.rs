//! Adam and AdamW (PyTorch's `torch.optim.Adam` and `torch.optim.AdamW`).
//!
//! For each parameter p with gradient g, at its t-th update (t counts from
//! 1, per parameter), learning rate η, betas (β₁, β₂), ε and weight decay λ:
//!
//! ```text
//! g = g + λ·p               (Adam: L2 penalty folded into the gradient)
//! p = p·(1 − η·λ)           (AdamW: decoupled decay, applied to p itself)
//! m = m + (1 − β₁)·(g − m)                  first moment (a lerp)
//! v = β₂·v + (1 − β₂)·g²                    second moment
//! v̂ = max(v̂, v)                             (AMSGrad only; v̂ replaces v below)
//! p = p − η/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
//! ```
//!
//! The bias corrections 1 − βᵗ are computed in f64 and the denominator adds
//! ε *after* dividing √v by √(1 − β₂ᵗ), exactly as PyTorch does, so results
//! agree with it to rounding. The two optimizers share one implementation
//! and differ only in how the weight decay is applied; AdamW lives in
//! [`adamw`](super::adamw).

use super::error::{ConfigError, OptimizerStateError};
use super::groups::ParamGroups;
use super::state::{OptimizerState, ParamState};
use super::{Optimizer, ParamGroup};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use synann_autograd::Var;
use synann_tensor::{Float, Tensor};

/// Adam's and AdamW's options besides the learning rate.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdamConfig {
    /// Decay rates (β₁, β₂) of the moment estimates.
    pub betas: (f64, f64),
    /// Added to the denominator for numerical stability.
    pub eps: f64,
    /// Weight decay λ (L2 for [`Adam`], decoupled for [`AdamW`](super::AdamW)).
    pub weight_decay: f64,
    /// Use the running maximum of the second moment (AMSGrad).
    pub amsgrad: bool,
}

impl Default for AdamConfig {
    /// PyTorch's `Adam` defaults: betas (0.9, 0.999), eps 1e-8, no weight
    /// decay, no AMSGrad.
    fn default() -> Self {
        AdamConfig {
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            amsgrad: false,
        }
    }
}

impl AdamConfig {
    /// PyTorch's `AdamW` defaults: as [`AdamConfig::default`] with weight
    /// decay 0.01.
    pub fn adamw() -> Self {
        AdamConfig {
            weight_decay: 1e-2,
            ..Self::default()
        }
    }

    /// With betas (β₁, β₂).
    pub fn betas(mut self, beta1: f64, beta2: f64) -> Self {
        self.betas = (beta1, beta2);
        self
    }

    /// With ε.
    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }

    /// With weight decay `wd`.
    pub fn weight_decay(mut self, wd: f64) -> Self {
        self.weight_decay = wd;
        self
    }

    /// With or without AMSGrad.
    pub fn amsgrad(mut self, on: bool) -> Self {
        self.amsgrad = on;
        self
    }

    fn validate(&self, owner: &'static str, lr: f64) -> Result<(), ConfigError> {
        let (b1, b2) = self.betas;
        ConfigError::check(lr >= 0.0, owner, "lr", lr, "must be ≥ 0")?;
        ConfigError::check(self.eps >= 0.0, owner, "eps", self.eps, "must be ≥ 0")?;
        ConfigError::check(
            (0.0..1.0).contains(&b1),
            owner,
            "betas.0",
            b1,
            "must be in [0, 1)",
        )?;
        ConfigError::check(
            (0.0..1.0).contains(&b2),
            owner,
            "betas.1",
            b2,
            "must be in [0, 1)",
        )?;
        ConfigError::check(
            self.weight_decay >= 0.0,
            owner,
            "weight_decay",
            self.weight_decay,
            "must be ≥ 0",
        )
    }
}

/// The state Adam keeps for one parameter.
#[derive(Clone, Debug)]
struct Moments<T: Float> {
    step: u64,
    exp_avg: Tensor<T>,
    exp_avg_sq: Tensor<T>,
    max_exp_avg_sq: Option<Tensor<T>>,
}

/// PyTorch's `lerp`: `a + w·(b − a)`, computed from the nearer end for
/// accuracy when w ≥ 0.5.
fn lerp<T: Float>(a: T, b: T, w: T) -> T {
    if w.abs() < T::from_f64(0.5) {
        a + w * (b - a)
    } else {
        b - (b - a) * (T::ONE - w)
    }
}

/// The implementation shared by [`Adam`] and [`AdamW`]; `decoupled` selects
/// AdamW's weight decay.
pub(crate) struct AdamCore<T: Float> {
    decoupled: bool,
    /// The groups, and each parameter's moments (from its first step).
    groups: ParamGroups<T, AdamConfig, Moments<T>>,
}

impl<T: Float> AdamCore<T> {
    pub(crate) fn build(
        kind: &'static str,
        decoupled: bool,
        groups: Vec<ParamGroup<T, AdamConfig>>,
    ) -> Result<Self, ConfigError> {
        let groups = ParamGroups::new(kind, groups, |c, lr| c.validate(kind, lr))?;
        Ok(AdamCore { decoupled, groups })
    }

    pub(crate) fn param_groups(&self) -> &[ParamGroup<T, AdamConfig>] {
        self.groups.groups()
    }
}

/// Adam with L2 weight decay (PyTorch's `torch.optim.Adam`).
pub struct Adam<T: Float>(AdamCore<T>);

impl<T: Float> Adam<T> {
    /// Adam over one group (PyTorch's default lr is 1e-3).
    pub fn new(params: Vec<Var<T>>, lr: f64, config: AdamConfig) -> Result<Self, ConfigError> {
        Self::with_groups(vec![ParamGroup::new(params, lr, config)])
    }

    /// Adam over several groups, each with its own learning rate and options.
    pub fn with_groups(groups: Vec<ParamGroup<T, AdamConfig>>) -> Result<Self, ConfigError> {
        AdamCore::build("Adam", false, groups).map(Adam)
    }

    /// The parameter groups.
    pub fn param_groups(&self) -> &[ParamGroup<T, AdamConfig>] {
        self.0.param_groups()
    }
}

/// Implements [`Optimizer`] for a newtype around [`AdamCore`] by forwarding.
macro_rules! forward_optimizer {
    ($ty:ident) => {
        impl<T: Float> $crate::optim::Optimizer<T> for $ty<T> {
            fn step(&mut self) {
                self.0.step()
            }
            fn zero_grad(&self) {
                self.0.zero_grad()
            }
            fn num_groups(&self) -> usize {
                self.0.num_groups()
            }
            fn lr(&self, group: usize) -> f64 {
                self.0.lr(group)
            }
            fn set_lr(&mut self, group: usize, lr: f64) {
                self.0.set_lr(group, lr)
            }
            fn state_dict(&self) -> $crate::optim::OptimizerState<T> {
                self.0.state_dict()
            }
            fn load_state_dict(
                &mut self,
                state: &$crate::optim::OptimizerState<T>,
            ) -> Result<(), $crate::optim::OptimizerStateError> {
                self.0.load_state_dict(state)
            }
        }
    };
}
pub(crate) use forward_optimizer;

forward_optimizer!(Adam);

/// One Adam/AdamW update (see the module docs for the maths).
fn adam_update<T: Float>(
    p: &mut Tensor<T>,
    grad: &Tensor<T>,
    state: &mut Moments<T>,
    lr: f64,
    c: &AdamConfig,
    decoupled: bool,
) {
    p.assert_same_shape(grad, "Adam.step (parameter vs gradient)");
    state.step += 1;
    let (beta1, beta2) = c.betas;
    let mut g = grad.clone();
    if c.weight_decay != 0.0 {
        if decoupled {
            p.scale_(T::from_f64(1.0 - lr * c.weight_decay));
        } else {
            g.axpy_(T::from_f64(c.weight_decay), p);
        }
    }
    let w1 = T::from_f64(1.0 - beta1);
    let (b2, w2) = (T::from_f64(beta2), T::from_f64(1.0 - beta2));
    let m = state.exp_avg.data_mut();
    let v = state.exp_avg_sq.data_mut();
    for ((m, v), &g) in m.iter_mut().zip(v.iter_mut()).zip(g.data()) {
        *m = lerp(*m, g, w1);
        *v = *v * b2 + w2 * (g * g);
    }
    let t = state.step as i32;
    let step_size = lr / (1.0 - beta1.powi(t));
    let bc2_sqrt = T::from_f64((1.0 - beta2.powi(t)).sqrt());
    let second = match &mut state.max_exp_avg_sq {
        Some(vmax) => {
            vmax.data_mut()
                .iter_mut()
                .zip(state.exp_avg_sq.data())
                .for_each(|(a, &b)| *a = a.max(b));
            &*vmax
        }
        None => &state.exp_avg_sq,
    };
    let (neg_step, eps) = (T::from_f64(-step_size), T::from_f64(c.eps));
    for ((p, &m), &v) in p
        .data_mut()
        .iter_mut()
        .zip(state.exp_avg.data())
        .zip(second.data())
    {
        *p += neg_step * (m / (v.sqrt() / bc2_sqrt + eps));
    }
}

impl<T: Float> Optimizer<T> for AdamCore<T> {
    fn step(&mut self) {
        let decoupled = self.decoupled;
        self.groups.for_each_with_grad(|group, value, g, state| {
            let state = state.get_or_insert_with(|| Moments {
                step: 0,
                exp_avg: Tensor::zeros_like(value),
                exp_avg_sq: Tensor::zeros_like(value),
                max_exp_avg_sq: group.config.amsgrad.then(|| Tensor::zeros_like(value)),
            });
            adam_update(value, g, state, group.lr, &group.config, decoupled);
        });
    }

    fn zero_grad(&self) {
        self.groups.zero_grad()
    }

    fn num_groups(&self) -> usize {
        self.groups.num_groups()
    }

    fn lr(&self, group: usize) -> f64 {
        self.groups.lr(group)
    }

    fn set_lr(&mut self, group: usize, lr: f64) {
        self.groups.set_lr(group, lr)
    }

    fn state_dict(&self) -> OptimizerState<T> {
        self.groups.state_dict(|m| {
            let mut buffers = BTreeMap::from([
                ("exp_avg".to_string(), m.exp_avg.clone()),
                ("exp_avg_sq".to_string(), m.exp_avg_sq.clone()),
            ]);
            if let Some(vmax) = &m.max_exp_avg_sq {
                buffers.insert("max_exp_avg_sq".to_string(), vmax.clone());
            }
            ParamState {
                step: Some(m.step),
                buffers,
            }
        })
    }

    fn load_state_dict(&mut self, saved: &OptimizerState<T>) -> Result<(), OptimizerStateError> {
        self.groups.load_state_dict(saved, |i, s, shape, config| {
            Ok(Moments {
                step: s
                    .step
                    .ok_or(OptimizerStateError::MissingStep { param: i })?,
                exp_avg: s.buffer(i, "exp_avg", shape)?,
                exp_avg_sq: s.buffer(i, "exp_avg_sq", shape)?,
                max_exp_avg_sq: match config.amsgrad {
                    true => Some(s.buffer(i, "max_exp_avg_sq", shape)?),
                    false => None,
                },
            })
        })
    }
}
