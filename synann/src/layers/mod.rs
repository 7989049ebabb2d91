//! The Synapse layers, each an [`nn::Module`](synann_nn::Module):
//!
//! | layer | input | what it computes |
//! |---|---|---|
//! | [`Synapse`] | [N, n] | y = a ⊙ x ⊙ Π_j (1 − B_ij x_j) |
//! | [`SynapseConv2d`] | [N, C, H, W] | the same over k×k windows of every channel |
//! | [`SynapseRNNCell`] | [N, F], [N, H] | h_t = sigmoid(W_ih x_t + W_hh h + b) ⊙ Π_j (1 − B_ij h_j) |
//! | [`SynapseRNN`] | [N, T, F] | the cell unrolled over T steps |

pub mod synapse;
pub mod synapse_conv;
pub mod synapse_rnn;

pub use synapse::{BParam, Coupling, Gain, Synapse, SynapseConfig, SynapseInit};
pub use synapse_conv::SynapseConv2d;
pub use synapse_rnn::{RnnOutput, SynapseRNN, SynapseRNNCell};
