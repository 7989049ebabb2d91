//! # synann
//!
//! SynaNN, the Synaptic Neural Network: the synapse maths, the fused
//! `synapse_logsum` op and the Synapse layers (fully connected, convolutional
//! and recurrent), with the model zoo used by the MNIST main job.
//!
//! A synapse has an excitatory input x and an inhibitory input y, both open
//! probabilities in (0, 1), and computes S(x, y; a, b) = a·x·(1 − b·y). A
//! fully connected synapse graph maps x ∈ (0, 1)ⁿ to
//!
//! ```text
//! y_i = a_i · x_i · Π_j (1 − B_ij · x_j),   ln y_i = ln a_i + ln x_i + Σ_j ln(1 − B_ij · x_j)
//! ```
//!
//! Reading order:
//!
//! 1. the [`maths`] module: the scalar identities (surprisal, the inhibitory
//!    map, the Bose-Einstein derivative, the swap ratio);
//! 2. the [`ops`] module: [`synapse_logsum`](ops::synapse_logsum), the fused
//!    op behind every layer (a plain reference kernel and a fast one side by
//!    side);
//! 3. the [`layers`] module: [`Synapse`](layers::Synapse),
//!    [`SynapseConv2d`](layers::SynapseConv2d),
//!    [`SynapseRNNCell`](layers::SynapseRNNCell) and
//!    [`SynapseRNN`](layers::SynapseRNN).
//!
//! ```
//! use synann::ops::synapse_logsum;
//! use synann_autograd::Var;
//! use synann_tensor::Tensor;
//! let x = Var::constant(Tensor::from_vec(vec![0.5f64, 0.25], &[1, 2]));
//! let b = Var::constant(Tensor::from_vec(vec![0.0, 1.0, 0.5, 0.0], &[2, 2]));
//! let out = synapse_logsum(&x, &b); // out[0, i] = Σ_j ln(1 − B[i, j]·x[0, j])
//! let expected = [(0.75f64).ln(), (0.75f64).ln()];
//! for (o, e) in out.value().data().iter().zip(expected) {
//!     assert!((o - e).abs() < 1e-12);
//! }
//! ```

#![warn(missing_docs)]

pub mod error;
pub mod layers;
pub mod maths;
pub mod ops;
pub mod zoo;

pub use error::DomainError;
/// `rand` 0.8, whose traits the generator implements (re-exported from
/// [`synann_tensor::rand`]).
pub use synann_tensor::rand;
/// The generator the layers take and its `rand` 0.8 traits (re-exported
/// from [`synann_tensor::random`], so a crate needs no `rand` of its own).
///
/// ```
/// use synann::layers::{Synapse, SynapseConfig};
/// use synann::random::{Rng, SeedableRng};
///
/// let syn = Synapse::<f32>::new(16, SynapseConfig::default(), &mut Rng::seed_from_u64(3));
/// assert_eq!(syn.features(), 16);
/// ```
pub use synann_tensor::random;
