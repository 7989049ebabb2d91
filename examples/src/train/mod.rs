//! The training toolkit: train and evaluate loops, progress bars, metrics,
//! curves, best-only checkpoints and resume.
//!
//! | file | contents |
//! |---|---|
//! | [`setup`] | optimizer and scheduler from a zoo [`Recipe`](synann::zoo::Recipe), command-line [`Overrides`](setup::Overrides) |
//! | [`evaluate`] | loaders in the model's layout, the loss, evaluation, confusion matrix |
//! | [`trainer`] | [`Trainer`](trainer::Trainer): epochs, non-finite checks, checkpoints, exact resume (`trainer/resume.rs`) |
//! | [`error`] | [`TrainError`](error::TrainError) |
//! | [`metrics`] | `metrics.csv` |
//! | [`plot`] | `curves.svg` and `curves.png` |
//! | [`progress`] | progress bars |
//! | [`summary`] | `summary.json` |

pub mod error;
pub mod evaluate;
pub mod metrics;
pub mod plot;
pub mod progress;
pub mod setup;
pub mod summary;
pub mod trainer;
