//! [`ParamGroups`]: the bookkeeping every optimizer shares.
//!
//! An optimizer is its parameter groups, one slot of state per parameter
//! (SGD's momentum buffer, Adam's moments; empty until the parameter's first
//! update) and an update rule. This type owns the first two, numbered
//! across groups as in PyTorch, and implements what does not depend on the
//! rule: validation, `zero_grad`, the learning rates, the walk over the
//! parameters that have a gradient, and the skeleton of
//! `state_dict`/`load_state_dict`. Each optimizer keeps only its rule and
//! how its state is named in a snapshot.

use super::error::{ConfigError, OptimizerStateError};
use super::state::{GroupState, OptimizerState, ParamState};
use super::ParamGroup;
use serde::de::DeserializeOwned;
use serde::Serialize;
use synann_autograd::Var;
use synann_tensor::{Float, Tensor};

/// The parameter groups of optimizer `kind` (options `C`) and the state `S`
/// of each parameter, by parameter number.
pub(crate) struct ParamGroups<T: Float, C, S> {
    /// The optimizer's name, as in its snapshots and messages.
    kind: &'static str,
    groups: Vec<ParamGroup<T, C>>,
    /// One slot per parameter, numbered across groups; `None` until the
    /// parameter's first update.
    state: Vec<Option<S>>,
}

impl<T: Float, C, S> ParamGroups<T, C, S> {
    /// Checks each group's options (with `validate`, given the options and
    /// the learning rate) and the parameters themselves (leaves, none
    /// twice); every parameter starts without state.
    pub(crate) fn new(
        kind: &'static str,
        groups: Vec<ParamGroup<T, C>>,
        validate: impl Fn(&C, f64) -> Result<(), ConfigError>,
    ) -> Result<Self, ConfigError> {
        for g in &groups {
            validate(&g.config, g.lr)?;
        }
        check_params(kind, &groups)?;
        let n = groups.iter().map(|g| g.params.len()).sum();
        let state = std::iter::repeat_with(|| None).take(n).collect();
        Ok(ParamGroups {
            kind,
            groups,
            state,
        })
    }

    /// The groups.
    pub(crate) fn groups(&self) -> &[ParamGroup<T, C>] {
        &self.groups
    }

    /// Calls `update(group, value, gradient, state)` for every parameter
    /// that has a gradient, in parameter order (the others are skipped, as
    /// in PyTorch).
    pub(crate) fn for_each_with_grad(
        &mut self,
        mut update: impl FnMut(&ParamGroup<T, C>, &mut Tensor<T>, &Tensor<T>, &mut Option<S>),
    ) {
        let params = self
            .groups
            .iter()
            .flat_map(|g| g.params.iter().map(move |p| (g, p)));
        for ((group, p), state) in params.zip(&mut self.state) {
            if let Some(g) = p.grad() {
                update(group, &mut p.value_mut(), &g, state);
            }
        }
    }

    /// Clears the gradients of all parameters.
    pub(crate) fn zero_grad(&self) {
        self.groups
            .iter()
            .flat_map(|g| &g.params)
            .for_each(|p| p.zero_grad());
    }

    /// Number of groups.
    pub(crate) fn num_groups(&self) -> usize {
        self.groups.len()
    }

    /// The learning rate of `group`; panics, naming the optimizer, if there
    /// is no such group.
    pub(crate) fn lr(&self, group: usize) -> f64 {
        check_group(&format!("{}.lr", self.kind), group, self.groups.len());
        self.groups[group].lr
    }

    /// Sets the learning rate of `group`; panics like [`ParamGroups::lr`].
    pub(crate) fn set_lr(&mut self, group: usize, lr: f64) {
        check_group(&format!("{}.set_lr", self.kind), group, self.groups.len());
        self.groups[group].lr = lr;
    }

    /// The snapshot: each group's rate and options, and `save` of the state
    /// of every parameter that has some.
    pub(crate) fn state_dict(&self, save: impl Fn(&S) -> ParamState<T>) -> OptimizerState<T>
    where
        C: Serialize,
    {
        let state = self
            .state
            .iter()
            .enumerate()
            .filter_map(|(i, s)| Some((i, save(s.as_ref()?))))
            .collect();
        OptimizerState {
            kind: self.kind.to_string(),
            groups: GroupState::of_groups(&self.groups),
            state,
        }
    }

    /// Restores a snapshot taken by [`ParamGroups::state_dict`]: checks its
    /// layout, rebuilds each saved parameter's state with `load(parameter
    /// number, saved state, parameter shape, the group's saved options)`,
    /// and only when all of it succeeded replaces the options, the rates and
    /// the state.
    pub(crate) fn load_state_dict(
        &mut self,
        saved: &OptimizerState<T>,
        load: impl Fn(usize, &ParamState<T>, &[usize], &C) -> Result<S, OptimizerStateError>,
    ) -> Result<(), OptimizerStateError>
    where
        C: DeserializeOwned,
    {
        let configs = saved.group_configs(self.kind, &self.groups)?;
        let params: Vec<_> = self
            .groups
            .iter()
            .zip(&configs)
            .flat_map(|(g, c)| g.params.iter().map(move |p| (p, c)))
            .collect();
        let mut state: Vec<Option<S>> =
            std::iter::repeat_with(|| None).take(params.len()).collect();
        for (&i, s) in &saved.state {
            let (param, config) = params[i];
            state[i] = Some(load(i, s, param.value().shape(), config)?);
        }
        saved.restore_groups(&mut self.groups, configs);
        self.state = state;
        Ok(())
    }
}

/// Checks what PyTorch checks of an optimizer's parameters: each is a leaf
/// and none appears twice (in one group or across groups).
fn check_params<T: Float, C>(
    owner: &'static str,
    groups: &[ParamGroup<T, C>],
) -> Result<(), ConfigError> {
    let all: Vec<&Var<T>> = groups.iter().flat_map(|g| &g.params).collect();
    for (i, p) in all.iter().enumerate() {
        ConfigError::check(
            p.is_leaf(),
            owner,
            "params",
            i,
            "parameters must be leaf Vars",
        )?;
        ConfigError::check(
            !all[..i].iter().any(|q| q.ptr_eq(p)),
            owner,
            "params",
            i,
            "a parameter appears more than once",
        )?;
    }
    Ok(())
}

/// Panics with a clear message if `group` is out of range.
fn check_group(op: &str, group: usize, len: usize) {
    assert!(
        group < len,
        "{op}: parameter group {group} does not exist (the optimizer has {len})"
    );
}
