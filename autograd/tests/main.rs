//! The integration tests of `synann-autograd`, linked into one test binary
//! (one link of the dependency tree instead of one per file); each module
//! below was a test file of its own.
//!
//! `gradcheck_api.rs` stays a binary of its own: it counts the process's live graph nodes (`live_nodes`), which tests running beside it in one process would change.

mod backward_memory;
mod grad_arith;
mod grad_conv;
mod grad_im2row;
mod grad_index;
mod grad_matmul;
mod grad_reduce;
mod grad_shape;
mod grad_softmax;
mod grad_unary;
mod precision_kernels;
