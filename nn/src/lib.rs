//! # synann-nn
//!
//! Neural-network building blocks on top of `synann-autograd`: modules and
//! layers with PyTorch's names and parameter layouts, losses, initialisers,
//! optimizers, learning-rate schedulers and safetensors checkpoints.

#![warn(missing_docs)]

pub mod module;

pub use module::{prefixed, Mode, Module};
