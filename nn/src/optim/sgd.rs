//! Stochastic gradient descent with momentum (PyTorch's `torch.optim.SGD`).
//!
//! For each parameter p with gradient g, learning rate η, momentum μ,
//! dampening τ and weight decay λ:
//!
//! ```text
//! d = g + λ·p                         (L2 weight decay, if λ ≠ 0)
//! b = d                   on the parameter's first step (if μ ≠ 0)
//! b = μ·b + (1 − τ)·d     afterwards
//! d = d + μ·b             (Nesterov)   or   d = b   (classical momentum)
//! p = p − η·d
//! ```
//!
//! The momentum buffer starts as the first gradient itself, not as
//! (1 − τ)·g: that is PyTorch's rule, and the reason a dampened SGD still
//! takes a full first step.

use super::error::{ConfigError, OptimizerStateError};
use super::groups::ParamGroups;
use super::state::{OptimizerState, ParamState};
use super::{Optimizer, ParamGroup};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use synann_autograd::Var;
use synann_tensor::{Float, Tensor};

/// SGD's options besides the learning rate (PyTorch's defaults: all 0,
/// no Nesterov).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SgdConfig {
    /// Momentum factor μ.
    pub momentum: f64,
    /// Dampening τ of the gradient added to the momentum buffer.
    pub dampening: f64,
    /// Nesterov momentum (requires μ > 0 and τ = 0).
    pub nesterov: bool,
    /// L2 penalty λ added to the gradient.
    pub weight_decay: f64,
}

impl SgdConfig {
    /// With momentum `m`.
    pub fn momentum(mut self, m: f64) -> Self {
        self.momentum = m;
        self
    }

    /// With dampening `d`.
    pub fn dampening(mut self, d: f64) -> Self {
        self.dampening = d;
        self
    }

    /// With or without Nesterov momentum.
    pub fn nesterov(mut self, on: bool) -> Self {
        self.nesterov = on;
        self
    }

    /// With weight decay `wd`.
    pub fn weight_decay(mut self, wd: f64) -> Self {
        self.weight_decay = wd;
        self
    }

    fn validate(&self, lr: f64) -> Result<(), ConfigError> {
        ConfigError::check(lr >= 0.0, "SGD", "lr", lr, "must be ≥ 0")?;
        ConfigError::check(
            self.momentum >= 0.0,
            "SGD",
            "momentum",
            self.momentum,
            "must be ≥ 0",
        )?;
        ConfigError::check(
            self.weight_decay >= 0.0,
            "SGD",
            "weight_decay",
            self.weight_decay,
            "must be ≥ 0",
        )?;
        ConfigError::check(
            !self.nesterov || (self.momentum > 0.0 && self.dampening == 0.0),
            "SGD",
            "nesterov",
            self.nesterov,
            "Nesterov momentum requires momentum > 0 and dampening = 0",
        )
    }
}

/// Stochastic gradient descent, optionally with momentum.
pub struct SGD<T: Float> {
    /// The groups, and one momentum buffer per parameter, created on the
    /// parameter's first step.
    groups: ParamGroups<T, SgdConfig, Tensor<T>>,
}

impl<T: Float> SGD<T> {
    /// One group of `params` with learning rate `lr`.
    pub fn new(params: Vec<Var<T>>, lr: f64, config: SgdConfig) -> Result<Self, ConfigError> {
        Self::with_groups(vec![ParamGroup::new(params, lr, config)])
    }

    /// Several groups, each with its own learning rate and options.
    pub fn with_groups(groups: Vec<ParamGroup<T, SgdConfig>>) -> Result<Self, ConfigError> {
        let groups = ParamGroups::new("SGD", groups, |c, lr| c.validate(lr))?;
        Ok(SGD { groups })
    }

    /// The parameter groups.
    pub fn param_groups(&self) -> &[ParamGroup<T, SgdConfig>] {
        self.groups.groups()
    }
}

/// One SGD update of a parameter `p` with gradient `g` and momentum buffer
/// `buf` (see the module docs for the maths).
fn sgd_update<T: Float>(
    p: &mut Tensor<T>,
    g: &Tensor<T>,
    buf: &mut Option<Tensor<T>>,
    lr: f64,
    c: &SgdConfig,
) {
    p.assert_same_shape(g, "SGD.step (parameter vs gradient)");
    let mut d = g.clone();
    if c.weight_decay != 0.0 {
        d.axpy_(T::from_f64(c.weight_decay), p);
    }
    if c.momentum != 0.0 {
        let mu = T::from_f64(c.momentum);
        match buf {
            None => *buf = Some(d.clone()),
            Some(b) => {
                b.scale_(mu);
                b.axpy_(T::from_f64(1.0 - c.dampening), &d);
            }
        }
        let b = buf.as_ref().expect("momentum buffer was just set");
        if c.nesterov {
            d.axpy_(mu, b);
        } else {
            d = b.clone();
        }
    }
    p.axpy_(T::from_f64(-lr), &d);
}

impl<T: Float> Optimizer<T> for SGD<T> {
    fn step(&mut self) {
        self.groups.for_each_with_grad(|group, value, g, buf| {
            sgd_update(value, g, buf, group.lr, &group.config)
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
        self.groups.state_dict(|b| ParamState {
            step: None,
            buffers: BTreeMap::from([("momentum_buffer".to_string(), b.clone())]),
        })
    }

    fn load_state_dict(&mut self, saved: &OptimizerState<T>) -> Result<(), OptimizerStateError> {
        self.groups.load_state_dict(saved, |i, s, shape, _| {
            s.buffer(i, "momentum_buffer", shape)
        })
    }
}
