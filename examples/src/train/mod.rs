//! The training toolkit: train and evaluate loops, progress bars, metrics,
//! curves, best-only checkpoints and resume.

pub mod metrics;
pub mod plot;
pub mod progress;
