//! The integration tests of `synann-examples`, linked into one test binary
//! (one link of the dependency tree instead of one per file); each module
//! below was a test file of its own.
//!
//! `bounded_memory.rs` stays a binary of its own: it counts the process's live graph nodes (`live_nodes`), which tests running beside it in one process would change.

mod anomaly;
mod cli;
/// The trainer's tiny model and MNIST slices, shared with synann-train's tests.
#[path = "../../train/tests/trainer/common.rs"]
#[allow(dead_code)]
mod common;
mod determinism;
mod exit_status;
mod explain;
mod kill_safe;
mod odds_ratio;
