//! # synann-nn
//!
//! Neural-network building blocks on top of `synann-autograd`: modules and
//! layers with PyTorch's names and parameter layouts, losses, initialisers,
//! optimizers, learning-rate schedulers and safetensors checkpoints.

#![warn(missing_docs)]

pub mod checkpoint;
pub mod functional;
pub mod gradcheck;
pub mod init;
pub mod layers;
pub mod loss;
pub mod lr_scheduler;
pub mod module;
pub mod optim;
pub mod state_dict;

pub use gradcheck::{
    gradcheck_module, gradcheck_module_with, ModuleGradcheckError, ModuleGradcheckReport,
};
pub use module::{prefixed, Mode, Module};
