//! Activation functions as modules (PyTorch's `nn.ReLU`, `nn.Sigmoid`,
//! `nn.Tanh`, `nn.Softmax`, `nn.LogSoftmax`), for use in [`Sequential`].
//! Each calls the op of the same name on [`Var`], where the maths lives.
//!
//! [`Sequential`]: super::Sequential

use crate::module::{Mode, Module};
use synann_autograd::anomaly::describe_module;
use synann_autograd::Var;
use synann_tensor::Float;

/// max(x, 0), element-wise.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReLU;

/// The logistic sigmoid 1/(1 + e⁻ˣ), element-wise.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sigmoid;

/// tanh x, element-wise.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tanh;

impl<T: Float> Module<T> for ReLU {
    fn forward(&mut self, x: &Var<T>, _mode: Mode) -> Var<T> {
        let _scope = describe_module(|| "ReLU".to_string());
        x.relu()
    }
    fn named_parameters(&self) -> Vec<(String, Var<T>)> {
        Vec::new()
    }
}

impl<T: Float> Module<T> for Sigmoid {
    fn forward(&mut self, x: &Var<T>, _mode: Mode) -> Var<T> {
        let _scope = describe_module(|| "Sigmoid".to_string());
        x.sigmoid()
    }
    fn named_parameters(&self) -> Vec<(String, Var<T>)> {
        Vec::new()
    }
}

impl<T: Float> Module<T> for Tanh {
    fn forward(&mut self, x: &Var<T>, _mode: Mode) -> Var<T> {
        let _scope = describe_module(|| "Tanh".to_string());
        x.tanh()
    }
    fn named_parameters(&self) -> Vec<(String, Var<T>)> {
        Vec::new()
    }
}

/// e^(x_i) / Σ_j e^(x_j) along `dim` (negative counts from the end).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Softmax {
    /// The axis normalised over.
    pub dim: isize,
}

/// x_i − ln Σ_j e^(x_j) along `dim`: the log of [`Softmax`], computed
/// stably.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogSoftmax {
    /// The axis normalised over.
    pub dim: isize,
}

impl Softmax {
    /// Softmax over axis `dim`.
    pub fn new(dim: isize) -> Self {
        Softmax { dim }
    }
}

impl LogSoftmax {
    /// Log-softmax over axis `dim`.
    pub fn new(dim: isize) -> Self {
        LogSoftmax { dim }
    }
}

impl<T: Float> Module<T> for Softmax {
    fn forward(&mut self, x: &Var<T>, _mode: Mode) -> Var<T> {
        let _scope = describe_module(|| format!("Softmax(dim {})", self.dim));
        x.softmax(self.dim)
    }
    fn named_parameters(&self) -> Vec<(String, Var<T>)> {
        Vec::new()
    }
}

impl<T: Float> Module<T> for LogSoftmax {
    fn forward(&mut self, x: &Var<T>, _mode: Mode) -> Var<T> {
        let _scope = describe_module(|| format!("LogSoftmax(dim {})", self.dim));
        x.log_softmax(self.dim)
    }
    fn named_parameters(&self) -> Vec<(String, Var<T>)> {
        Vec::new()
    }
}
