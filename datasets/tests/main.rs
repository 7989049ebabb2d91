//! The integration tests of `synann-datasets`, linked into one test binary
//! (one link of the dependency tree instead of one per file); each module
//! below was a test file of its own.
//!
//! `data_env.rs` stays a binary of its own: it sets the process-wide `SYNANN_DATA` environment variable.
//! `huge_header.rs` stays a binary of its own: it installs a global allocator
//! that records the largest allocation, which other tests would disturb.

mod common;
mod fuzz_regressions;
mod idx_errors;
mod idx_roundtrip;
mod loader;
mod mnist;
mod tabular;
