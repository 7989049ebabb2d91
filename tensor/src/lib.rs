//! # synann-tensor
//!
//! Dense n-d arrays for the synann deep-learning engine: a [`Tensor`] is a
//! shape and a contiguous row-major buffer of `f32` or `f64` ([`Float`]).
//!
//! The crate is organised by kind of operation; each folder is one chapter:
//!
//! | module | what it holds |
//! |---|---|
//! | [`element`] | the [`Float`] trait: the scalar maths every kernel uses, the GEMM hook and the one way to take an f32 path |
//! | [`shape`] | strides, broadcasting rules |
//! | `creation`, [`random`] | zeros, ones, arange, eye; seeded uniform/normal fills |
//! | `layout` | reshape, permute, broadcast, narrow, concat, stack, gather |
//! | `elementwise` | unary maps, broadcasting binary ops, masks, `where_` |
//! | `reduce` | sum, mean, max, argmax, variance, softmax family |
//! | [`linalg`] | matmul through matrixmultiply's GEMM |
//! | [`conv`] | conv2d (im2col + GEMM), max/avg pooling, forward and backward |
//! | [`parallel`] | the single level of rayon parallelism |
//! | [`vmath`] | vectorised f32 `exp`, `ln`, `sigmoid`, `tanh` over slices, with their libm reference kernels |
//!
//! Shape errors are programming errors and panic with a message that names
//! the operation and the shapes involved.
//!
//! Random fills take a generator of `rand` 0.8 ([`random::Rng`], seeded with
//! [`random::seeded`]); that version of `rand` is re-exported as [`rand`],
//! and its `SeedableRng` and `RngCore` traits in [`random`], so a crate on
//! another version of `rand` never has to depend on 0.8 itself (see
//! [`random`]'s "Which `rand`").
//!
//! ```
//! use synann_tensor::Tensor;
//! let x = Tensor::from_vec(vec![1.0f64, 2.0, 3.0], &[3]);
//! let y = x.mul(&x).sum_all();
//! assert_eq!(y.item(), 14.0);
//! ```

#![warn(missing_docs)]

pub mod conv;
mod creation;
pub mod element;
mod elementwise;
pub mod isa;
mod layout;
pub mod linalg;
pub mod memory;
pub mod parallel;
pub mod random;
pub mod reduce;
pub mod shape;
// Public only so that the AVX-512 synapse kernels of `synann` can share
// these helpers with the first-layer convolution; hidden from the docs, as
// they are not part of the supported API.
#[cfg(target_arch = "x86_64")]
#[doc(hidden)]
pub mod simd;
mod tensor;
pub mod vmath;

pub use element::Float;
pub use linalg::Transpose;
pub use reduce::{KeepDim, Unbiased};
pub use tensor::Tensor;

/// `rand` 0.8, the version whose traits this crate's public API uses (the
/// fills take `impl rand::Rng`; [`random::Rng`] implements its traits):
/// name them through this re-export (`synann_tensor::rand::Rng`) rather
/// than depending on `rand` 0.8 yourself.
pub use rand;
