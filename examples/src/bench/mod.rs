//! The benchmark harness behind `cargo run --release --example bench`.
//!
//! One *case* is one training-shaped piece of work (a matmul, a convolution
//! forward+backward, a Synapse layer forward+backward, a whole SGD step of
//! the seed network) that PyTorch can also run with the same shapes, so the
//! two can be compared side by side (`bench/pytorch/torch_side.py` times the
//! PyTorch counterparts under the same case names).
//!
//! - [`timing`]: the repetition protocol and its statistics (median, min);
//! - [`memory`]: the process's peak resident memory, from `/proc`;
//! - [`cases`]: the registry of cases, each building its inputs once and
//!   returning the closure that is timed;
//! - [`report`]: the table and JSON output, and reading PyTorch's JSON;
//! - [`cli`]: the example's command line.

pub mod cases;
pub mod cli;
pub mod memory;
pub mod report;
pub mod timing;

pub use cases::{find, Case, CASES};
pub use report::{BenchError, Row};
pub use timing::{Protocol, Timing};
