//! [`TrainError`]: why a training run stopped.

use crate::distributed::DistributedError;
use crate::plot::PlotError;
use std::fmt;
use std::path::PathBuf;
use synann_autograd::Anomaly;
use synann_nn::checkpoint::CheckpointError;
use synann_nn::lr_scheduler::SchedulerStateError;
use synann_nn::optim::{ConfigError, OptimizerStateError};
use synann_nn::state_dict::StateDictError;

/// A failed training run. Every message is one line naming what to fix.
#[derive(Debug)]
pub enum TrainError {
    /// The loss or the gradient norm is NaN or infinite: training stops
    /// before the optimizer step, so no checkpoint holds the bad values.
    NonFinite {
        /// `"loss"` or `"gradient norm"`.
        what: &'static str,
        /// The value found.
        value: f64,
        /// The 1-based epoch.
        epoch: usize,
        /// The 1-based batch within the epoch.
        step: usize,
        /// Optimizer steps taken before this batch, over the whole run.
        global_step: u64,
    },
    /// With anomaly detection on, an op produced a NaN or an infinity
    /// (training stopped before the optimizer step).
    Anomaly {
        /// The op, the value and the module it ran in (boxed: it is the
        /// largest variant).
        anomaly: Box<Anomaly>,
        /// The 1-based epoch.
        epoch: usize,
        /// The 1-based batch within the epoch.
        step: usize,
    },
    /// A model's output holds a NaN or an infinity in evaluation, where its
    /// predictions would be meaningless (an `argmax` over NaN picks class
    /// 0, which looks like a plausible accuracy).
    NonFiniteOutput {
        /// The 1-based batch of the evaluation pass.
        batch: usize,
        /// The 0-based index of the first such sample in the data set.
        sample: usize,
    },
    /// An optimizer or scheduler option is invalid.
    Config(ConfigError),
    /// A checkpoint could not be written or read.
    Checkpoint(CheckpointError),
    /// A saved model state does not fit the model.
    StateDict(StateDictError),
    /// A saved optimizer state does not fit the optimizer.
    OptimizerState(OptimizerStateError),
    /// A saved scheduler state does not fit the scheduler.
    SchedulerState(SchedulerStateError),
    /// A checkpoint belongs to another run (other model, seed or recipe).
    Mismatch {
        /// The checkpoint file.
        path: PathBuf,
        /// What differs.
        detail: String,
    },
    /// Weights saved from another model do not fit this one.
    WrongModel {
        /// The weights file.
        path: PathBuf,
        /// The model the file records it was saved from.
        saved_from: String,
        /// What does not fit (the first missing or unexpected tensor).
        detail: String,
    },
    /// Writing an output file failed.
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Drawing the curves failed.
    Plot(PlotError),
    /// A distributed run is misconfigured (the world size does not divide
    /// the batch size, MPI failed to start).
    Distributed(DistributedError),
}

impl fmt::Display for TrainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrainError::NonFinite {
                what,
                value,
                epoch,
                step,
                global_step,
            } => write!(
                f,
                "training diverged: {what} is {value} at epoch {epoch}, batch {step} \
                 (global step {global_step}); stopped before the optimizer step, \
                 the last checkpoint is left as it was (try a lower --lr)"
            ),
            TrainError::Anomaly {
                anomaly,
                epoch,
                step,
            } => write!(
                f,
                "training stopped at epoch {epoch}, batch {step}: {anomaly}; \
                 the last checkpoint is left as it was"
            ),
            TrainError::NonFiniteOutput { batch, sample } => write!(
                f,
                "the model's output is NaN or infinite in evaluation batch {batch} \
                 (sample {sample}): its predictions would be meaningless"
            ),
            TrainError::Config(e) => write!(f, "{e}"),
            TrainError::Checkpoint(e) => write!(f, "{e}"),
            TrainError::StateDict(e) => write!(f, "{e}"),
            TrainError::OptimizerState(e) => write!(f, "optimizer state: {e}"),
            TrainError::SchedulerState(e) => write!(f, "scheduler state: {e}"),
            TrainError::Mismatch { path, detail } => {
                write!(f, "cannot resume from {}: {detail}", path.display())
            }
            TrainError::WrongModel {
                path,
                saved_from,
                detail,
            } => write!(
                f,
                "{} holds the weights of model `{saved_from}`, which do not fit this model \
                 ({detail}); load it into a `{saved_from}` model",
                path.display()
            ),
            TrainError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            TrainError::Plot(e) => write!(f, "{e}"),
            TrainError::Distributed(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for TrainError {}

macro_rules! from_error {
    ($source:ty, $variant:ident) => {
        impl From<$source> for TrainError {
            fn from(e: $source) -> Self {
                TrainError::$variant(e)
            }
        }
    };
}

from_error!(ConfigError, Config);
from_error!(CheckpointError, Checkpoint);
from_error!(StateDictError, StateDict);
from_error!(OptimizerStateError, OptimizerState);
from_error!(SchedulerStateError, SchedulerState);
from_error!(PlotError, Plot);
from_error!(DistributedError, Distributed);
