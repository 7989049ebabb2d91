//! Layers with PyTorch's names, parameter layouts and default
//! initialisation, one layer (or small family) per file.
//!
//! Constructors of layers with random initialisation take an explicit
//! [`Rng`](synann_tensor::random::Rng), so a model is reproducible from a
//! seed.

mod activation;
mod batchnorm;
mod conv;
mod dropout;
mod flatten;
mod linear;
mod pool;
mod rnn;
mod sequential;

pub use activation::{LogSoftmax, ReLU, Sigmoid, Softmax, Tanh};
pub use batchnorm::{
    batch_norm, with_sync_batch_norm, BatchNorm, BatchNorm1d, BatchNorm2d, BatchNormConfig,
    SyncBatchNorm,
};
pub use conv::Conv2d;
pub(crate) use dropout::{scaled_mask, FixedMasks};
pub use dropout::{Dropout, Dropout2d};
pub use flatten::Flatten;
pub use linear::Linear;
pub use pool::{AdaptiveAvgPool2d, AvgPool2d, GlobalMaxPool2d, MaxPool2d, PoolWindow};
pub use rnn::{GRUCell, RNNCell, RecurrentWeights};
pub use sequential::Sequential;

/// Whether a [`Linear`] or [`Conv2d`] layer adds a learned bias (PyTorch's
/// `bias=True`, its default, or `bias=False`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bias {
    /// With a bias parameter.
    Yes,
    /// Without one (for instance before a batch norm, which adds its own).
    No,
}
