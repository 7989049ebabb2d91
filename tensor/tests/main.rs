//! The integration tests of `synann-tensor`, linked into one test binary
//! (one link of the dependency tree instead of one per file); each module
//! below was a test file of its own.

mod broadcast_ref;
mod conv;
mod layout_ref;
mod matmul_ref;
mod parallel;
mod precision;
mod reduce_ref;
mod vmath;
