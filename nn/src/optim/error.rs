//! The errors of the optimizers and schedulers: invalid options
//! ([`ConfigError`]) and a saved state that does not fit
//! ([`OptimizerStateError`]).

use std::fmt;

/// An optimizer or scheduler option outside its valid range (PyTorch raises
/// `ValueError` for the same cases).
#[derive(Clone, Debug, PartialEq)]
pub enum ConfigError {
    /// `option` of `owner` has a value that breaks `requirement`.
    InvalidOption {
        /// The type being configured (`"SGD"`, `"StepLR"`, …).
        owner: &'static str,
        /// The option's name, as in PyTorch (`"momentum"`, `"step_size"`).
        option: &'static str,
        /// The rejected value, formatted.
        value: String,
        /// What the value must satisfy.
        requirement: &'static str,
    },
}

impl ConfigError {
    /// Returns `Err(InvalidOption)` unless `ok`.
    pub(crate) fn check(
        ok: bool,
        owner: &'static str,
        option: &'static str,
        value: impl fmt::Display,
        requirement: &'static str,
    ) -> Result<(), ConfigError> {
        if ok {
            Ok(())
        } else {
            Err(ConfigError::InvalidOption {
                owner,
                option,
                value: value.to_string(),
                requirement,
            })
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::InvalidOption {
                owner,
                option,
                value,
                requirement,
            } => write!(f, "{owner}: invalid {option} = {value} ({requirement})"),
        }
    }
}

impl std::error::Error for ConfigError {}

/// Why [`Optimizer::load_state_dict`](super::Optimizer::load_state_dict)
/// rejected a saved state. Nothing is changed when it fails.
#[derive(Clone, Debug, PartialEq)]
pub enum OptimizerStateError {
    /// The state was saved by another kind of optimizer.
    KindMismatch {
        /// This optimizer's kind.
        expected: String,
        /// The saved kind.
        found: String,
    },
    /// The number of parameter groups differs.
    GroupCount {
        /// Groups in this optimizer.
        expected: usize,
        /// Groups in the saved state.
        found: usize,
    },
    /// A group holds a different number of parameters.
    GroupSize {
        /// The group index.
        group: usize,
        /// Parameters in this optimizer's group.
        expected: usize,
        /// Parameters in the saved group.
        found: usize,
    },
    /// A group's saved options could not be read.
    BadOptions {
        /// The group index.
        group: usize,
        /// What was wrong.
        message: String,
    },
    /// State saved for a parameter number this optimizer does not have.
    UnknownParam {
        /// The parameter number.
        param: usize,
    },
    /// A buffer this optimizer needs is absent from a parameter's state.
    MissingBuffer {
        /// The parameter number.
        param: usize,
        /// The buffer name (`"exp_avg"`, `"momentum_buffer"`, …).
        name: String,
    },
    /// A parameter's state has no step count.
    MissingStep {
        /// The parameter number.
        param: usize,
    },
    /// A buffer's shape differs from its parameter's.
    ShapeMismatch {
        /// The parameter number.
        param: usize,
        /// The buffer name.
        name: String,
        /// The parameter's shape.
        expected: Vec<usize>,
        /// The saved buffer's shape.
        found: Vec<usize>,
    },
}

impl fmt::Display for OptimizerStateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use OptimizerStateError::*;
        match self {
            KindMismatch { expected, found } => {
                write!(f, "optimizer state was saved by {found}, not {expected}")
            }
            GroupCount { expected, found } => write!(
                f,
                "optimizer state has {found} parameter groups, the optimizer has {expected}"
            ),
            GroupSize {
                group,
                expected,
                found,
            } => write!(
                f,
                "parameter group {group} has {found} parameters in the state, {expected} in the optimizer"
            ),
            BadOptions { group, message } => {
                write!(f, "parameter group {group}: bad options: {message}")
            }
            UnknownParam { param } => {
                write!(f, "optimizer state has an entry for unknown parameter {param}")
            }
            MissingBuffer { param, name } => {
                write!(f, "optimizer state of parameter {param} lacks `{name}`")
            }
            MissingStep { param } => {
                write!(f, "optimizer state of parameter {param} lacks its step count")
            }
            ShapeMismatch {
                param,
                name,
                expected,
                found,
            } => write!(
                f,
                "optimizer state `{name}` of parameter {param} has shape {found:?}, the parameter has {expected:?}"
            ),
        }
    }
}

impl std::error::Error for OptimizerStateError {}
