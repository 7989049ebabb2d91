//! Matrix products, dispatched to `matrixmultiply`'s GEMM, and a row-dot
//! kernel for long, thin `A·Bᵀ` ([`gemm_abt`]).

mod matmul;
mod rowdot;
#[cfg(target_arch = "x86_64")]
pub(crate) mod strips_avx512;

pub use matmul::{gemm, gemm_serial, MatRef, Transpose};
pub use rowdot::{gemm_abt, Rows};
