//! # synann-testing
//!
//! Property tests for gradients, the tools synann's own suites use:
//!
//! - [`strategies`]: proptest strategies for shapes, broadcast-compatible
//!   shape pairs, tensors whose values stay inside a domain and away from
//!   kinks ([`Values`](strategies::Values)), and valid convolution and
//!   pooling parameter sets;
//! - [`property`]: gradchecks of ops and modules as proptest properties,
//!   in a `proptest!` block or as one call.
//!
//! The chapter [Verifying gradients](guide) puts them together with
//! `synann_autograd::gradcheck`, `synann_nn::gradcheck_module` and the
//! f32 precision checks.
//!
//! ```
//! use synann_testing::{gradcheck_property, strategies::{broadcast_tensors, Values}};
//! // a / b over broadcasting shapes, with the divisor away from 0.
//! gradcheck_property(
//!     broadcast_tensors(3, 3, Values::uniform(-2.0, 2.0), Values::signed(0.5, 2.0)),
//!     |v| v[0].div(&v[1]),
//! );
//! ```

#![warn(missing_docs)]

pub mod property;
pub mod strategies;

pub use property::{
    gradcheck_module_property, gradcheck_property, prop_gradcheck, prop_gradcheck_module,
    run_property, CASES,
};
/// The proptest crate these strategies are written for, re-exported so a
/// test crate uses the same version.
pub use proptest;

#[doc = include_str!("../../docs/GRADCHECK.md")]
pub mod guide {}
