//! # synann-examples
//!
//! The programs of synann, run from the workspace root with
//! `cargo run --release --example NAME`, and the training toolkit they share
//! ([`train`]).

#![warn(missing_docs)]

pub mod bench;
pub mod cli;
pub mod explain;
pub mod odds_ratio;
pub mod soak;
pub mod study;
pub mod train;
