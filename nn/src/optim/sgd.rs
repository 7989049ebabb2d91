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
use super::state::{GroupState, OptimizerState, ParamState};
use super::{check_group, check_params, Optimizer, ParamGroup};
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
    groups: Vec<ParamGroup<T, SgdConfig>>,
    /// One momentum buffer per parameter (by parameter number), created on
    /// the parameter's first step.
    momentum_buffers: Vec<Option<Tensor<T>>>,
}

impl<T: Float> SGD<T> {
    /// One group of `params` with learning rate `lr`.
    pub fn new(params: Vec<Var<T>>, lr: f64, config: SgdConfig) -> Result<Self, ConfigError> {
        Self::with_groups(vec![ParamGroup::new(params, lr, config)])
    }

    /// Several groups, each with its own learning rate and options.
    pub fn with_groups(groups: Vec<ParamGroup<T, SgdConfig>>) -> Result<Self, ConfigError> {
        for g in &groups {
            g.config.validate(g.lr)?;
        }
        check_params("SGD", &groups)?;
        let n = groups.iter().map(|g| g.params.len()).sum();
        Ok(SGD {
            groups,
            momentum_buffers: vec![None; n],
        })
    }

    /// The parameter groups.
    pub fn param_groups(&self) -> &[ParamGroup<T, SgdConfig>] {
        &self.groups
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
        let mut index = 0;
        for group in &self.groups {
            for p in &group.params {
                if let Some(g) = p.grad() {
                    let mut value = p.value_mut();
                    sgd_update(
                        &mut value,
                        &g,
                        &mut self.momentum_buffers[index],
                        group.lr,
                        &group.config,
                    );
                }
                index += 1;
            }
        }
    }

    fn zero_grad(&self) {
        self.groups
            .iter()
            .flat_map(|g| &g.params)
            .for_each(|p| p.zero_grad());
    }

    fn num_groups(&self) -> usize {
        self.groups.len()
    }

    fn lr(&self, group: usize) -> f64 {
        check_group("SGD.lr", group, self.groups.len());
        self.groups[group].lr
    }

    fn set_lr(&mut self, group: usize, lr: f64) {
        check_group("SGD.set_lr", group, self.groups.len());
        self.groups[group].lr = lr;
    }

    fn state_dict(&self) -> OptimizerState<T> {
        let groups = GroupState::of_groups(&self.groups);
        let state = self
            .momentum_buffers
            .iter()
            .enumerate()
            .filter_map(|(i, b)| {
                let b = b.as_ref()?;
                let buffers = BTreeMap::from([("momentum_buffer".to_string(), b.clone())]);
                Some((
                    i,
                    ParamState {
                        step: None,
                        buffers,
                    },
                ))
            })
            .collect();
        OptimizerState {
            kind: "SGD".to_string(),
            groups,
            state,
        }
    }

    fn load_state_dict(&mut self, saved: &OptimizerState<T>) -> Result<(), OptimizerStateError> {
        let configs = saved.group_configs("SGD", &self.groups)?;
        let params: Vec<_> = self.groups.iter().flat_map(|g| &g.params).collect();
        let mut buffers = vec![None; params.len()];
        for (&i, s) in &saved.state {
            buffers[i] = Some(s.buffer(i, "momentum_buffer", params[i].value().shape())?);
        }
        saved.restore_groups(&mut self.groups, configs);
        self.momentum_buffers = buffers;
        Ok(())
    }
}
