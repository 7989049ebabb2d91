//! # synann-nn
//!
//! Neural-network building blocks on top of `synann-autograd`: modules and
//! layers with PyTorch's names and parameter layouts, losses, initialisers,
//! optimizers, learning-rate schedulers and safetensors checkpoints.
//!
//! Layers with random initial values take a seeded generator,
//! [`random::Rng`]. It and the `rand` 0.8 traits it implements are
//! re-exported here ([`random`], [`rand`]), so your crate needs no `rand`
//! of its own, whatever version it uses elsewhere:
//!
//! ```
//! use synann_nn::layers::{Bias, Dropout, Linear};
//! use synann_nn::rand::Rng as _; // gen() on the generator
//! use synann_nn::random::{seeded, Rng, SeedableRng};
//!
//! let mut rng = Rng::seed_from_u64(42);
//! let fc = Linear::<f32>::new(784, 10, Bias::Yes, &mut rng);
//! let dropout = Dropout::new(0.5, seeded(rng.gen())); // its own stream
//! // The same seed, the same layer.
//! let again = Linear::<f32>::new(784, 10, Bias::Yes, &mut seeded(42));
//! assert_eq!(fc.weight.value().data(), again.weight.value().data());
//! assert_eq!(dropout.p(), 0.5);
//! ```

#![warn(missing_docs)]

pub mod checkpoint;
pub mod distributed;
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
pub use module::{forward_child, prefixed, Mode, Module};
/// `rand` 0.8, whose traits the generator implements (re-exported from
/// [`synann_tensor::rand`]).
pub use synann_tensor::rand;
/// The generator layers take and its `rand` 0.8 traits (re-exported from
/// [`synann_tensor::random`]).
pub use synann_tensor::random;
