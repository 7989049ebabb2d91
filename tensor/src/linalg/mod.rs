//! Matrix products, dispatched to `matrixmultiply`'s GEMM.

mod matmul;

pub use matmul::{gemm, gemm_serial, MatRef};
