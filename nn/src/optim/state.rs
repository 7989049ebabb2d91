//! [`OptimizerState`]: everything an optimizer needs to resume, in an
//! explicit form a checkpoint can store (PyTorch's optimizer `state_dict`).
//!
//! The layout mirrors PyTorch's: a list of groups, each with its learning
//! rate, its options and the numbers of its parameters, and a map from
//! parameter number to that parameter's state (a step count and named
//! buffers such as `exp_avg`). Parameters that never received a gradient
//! have no entry.

use super::error::OptimizerStateError;
use super::ParamGroup;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use synann_tensor::{Float, Tensor};

/// One parameter group's saved settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupState {
    /// The learning rate.
    pub lr: f64,
    /// The optimizer-specific options (`momentum`, `betas`, …) as JSON, with
    /// PyTorch's names.
    pub options: serde_json::Value,
    /// The numbers of the group's parameters.
    pub params: Vec<usize>,
}

/// One parameter's saved state.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamState<T: Float> {
    /// How many updates the parameter received (Adam's `step`; `None` for
    /// optimizers that do not count, like SGD).
    pub step: Option<u64>,
    /// Named buffers with the parameter's shape (`momentum_buffer`,
    /// `exp_avg`, `exp_avg_sq`, `max_exp_avg_sq`).
    pub buffers: BTreeMap<String, Tensor<T>>,
}

/// A complete optimizer snapshot.
#[derive(Clone, Debug, PartialEq)]
pub struct OptimizerState<T: Float> {
    /// The optimizer's name (`"SGD"`, `"Adam"`, `"AdamW"`).
    pub kind: String,
    /// The groups, in order.
    pub groups: Vec<GroupState>,
    /// Per-parameter state, keyed by parameter number.
    pub state: BTreeMap<usize, ParamState<T>>,
}

impl GroupState {
    /// The saved form of `groups`: their rates, options and parameter
    /// numbers (counted across groups).
    pub(crate) fn of_groups<T: Float, C: Serialize>(groups: &[ParamGroup<T, C>]) -> Vec<Self> {
        let mut next = 0;
        groups
            .iter()
            .map(|g| {
                let params = (next..next + g.params.len()).collect();
                next += g.params.len();
                GroupState {
                    lr: g.lr,
                    options: serde_json::to_value(&g.config).expect("options serialise to JSON"),
                    params,
                }
            })
            .collect()
    }
}

impl<T: Float> OptimizerState<T> {
    /// Checks that this state fits optimizer `kind` over `groups` and reads
    /// each group's saved options; nothing is changed yet.
    pub(crate) fn group_configs<C: DeserializeOwned>(
        &self,
        kind: &str,
        groups: &[ParamGroup<T, C>],
    ) -> Result<Vec<C>, OptimizerStateError> {
        let sizes: Vec<usize> = groups.iter().map(|g| g.params.len()).collect();
        self.check_layout(kind, &sizes)?;
        (0..groups.len()).map(|g| self.group_options(g)).collect()
    }

    /// Writes the saved rates and the options read by
    /// [`OptimizerState::group_configs`] into `groups`.
    pub(crate) fn restore_groups<C>(&self, groups: &mut [ParamGroup<T, C>], configs: Vec<C>) {
        for ((group, config), saved) in groups.iter_mut().zip(configs).zip(&self.groups) {
            group.config = config;
            group.lr = saved.lr;
        }
    }

    /// Checks that this state was saved by optimizer `kind` with groups of
    /// the given sizes, and that no entry names a parameter beyond them.
    fn check_layout(&self, kind: &str, group_sizes: &[usize]) -> Result<(), OptimizerStateError> {
        if self.kind != kind {
            return Err(OptimizerStateError::KindMismatch {
                expected: kind.to_string(),
                found: self.kind.clone(),
            });
        }
        if self.groups.len() != group_sizes.len() {
            return Err(OptimizerStateError::GroupCount {
                expected: group_sizes.len(),
                found: self.groups.len(),
            });
        }
        let mut next = 0;
        for (group, (saved, &size)) in self.groups.iter().zip(group_sizes).enumerate() {
            let expected: Vec<usize> = (next..next + size).collect();
            if saved.params != expected {
                return Err(OptimizerStateError::GroupSize {
                    group,
                    expected: size,
                    found: saved.params.len(),
                });
            }
            next += size;
        }
        if let Some(&param) = self.state.keys().find(|&&p| p >= next) {
            return Err(OptimizerStateError::UnknownParam { param });
        }
        Ok(())
    }

    /// Reads a group's options back into the optimizer's config type.
    fn group_options<C: DeserializeOwned>(&self, group: usize) -> Result<C, OptimizerStateError> {
        serde_json::from_value(self.groups[group].options.clone()).map_err(|e| {
            OptimizerStateError::BadOptions {
                group,
                message: e.to_string(),
            }
        })
    }
}

impl<T: Float> ParamState<T> {
    /// The buffer `name`, checked to have `shape`.
    pub(crate) fn buffer(
        &self,
        param: usize,
        name: &str,
        shape: &[usize],
    ) -> Result<Tensor<T>, OptimizerStateError> {
        let t = self
            .buffers
            .get(name)
            .ok_or_else(|| OptimizerStateError::MissingBuffer {
                param,
                name: name.to_string(),
            })?;
        if t.shape() != shape {
            return Err(OptimizerStateError::ShapeMismatch {
                param,
                name: name.to_string(),
                expected: shape.to_vec(),
                found: t.shape().to_vec(),
            });
        }
        Ok(t.clone())
    }
}
