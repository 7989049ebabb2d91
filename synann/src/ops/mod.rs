//! The differentiable ops of SynaNN, written through the public custom-op
//! API of `synann-autograd` ([`Function`](synann_autograd::Function) +
//! [`apply`](synann_autograd::apply)), like any user-defined op.
//!
//! - [`synapse_logsum`]: the fused log-space synapse graph (and its checked
//!   and kernel-selecting forms);
//! - the windows a synapse convolution works on, one row per pixel, are
//!   the generic autograd op [`Var::im2row_same`](synann_autograd::Var::im2row_same);
//! - [`kernels`]: the reference and fast implementations on raw slices.

pub mod kernels;
mod synapse_logsum;

pub use synapse_logsum::{
    check_domain, synapse_logsum, synapse_logsum_checked, synapse_logsum_with,
    synapse_logsum_with_clamp_count, Kernel, FACTOR_FLOOR,
};
