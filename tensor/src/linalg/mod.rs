//! Matrix products, dispatched to `matrixmultiply`'s GEMM (or, in f32 on
//! AVX-512, for a narrow A, to a GEMM without packing: `strips_avx512`),
//! and a row-dot kernel for long, thin `A·Bᵀ` ([`gemm_abt`]).

mod matmul;
mod rowdot;
#[cfg(target_arch = "x86_64")]
pub(crate) mod strips_avx512;

pub use matmul::{gemm, gemm_serial, MatRef, Transpose};
pub use rowdot::{gemm_abt, Rows};
