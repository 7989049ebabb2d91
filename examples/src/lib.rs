//! # synann-examples
//!
//! The programs of synann, run from the workspace root with
//! `cargo run --release --example NAME`, and what only they share: the MNIST
//! job's command line ([`cli`]), the benchmark harness, explainability
//! charts, the ablation tables and the odds-ratio example. Training itself
//! is the library crate `synann-train`.

#![warn(missing_docs)]

pub mod bench;
pub mod cli;
pub mod docs;
pub mod explain;
pub mod odds_ratio;
pub mod soak;
pub mod study;
