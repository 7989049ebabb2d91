//! [`CheckpointError`]: everything that can go wrong reading or writing a
//! checkpoint.

use crate::lr_scheduler::SchedulerStateError;
use crate::optim::OptimizerStateError;
use crate::state_dict::StateDictError;
use std::fmt;
use std::path::PathBuf;

/// A failed checkpoint read or write.
#[derive(Debug)]
pub enum CheckpointError {
    /// The file system refused (opening, writing, syncing, renaming).
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is shorter (or longer) than its header says.
    Truncated {
        /// What did not fit.
        detail: String,
    },
    /// The header is not a valid safetensors header.
    CorruptHeader {
        /// What was wrong.
        detail: String,
    },
    /// A metadata entry could not be parsed.
    BadMetadata {
        /// The metadata key.
        key: String,
        /// What was wrong.
        detail: String,
    },
    /// A required metadata entry or tensor is absent.
    MissingKey {
        /// The metadata key or tensor name.
        key: String,
    },
    /// An integer tensor holds a value that the float type cannot represent
    /// exactly (beyond ±2^24 for `f32`, ±2^53 for `f64`).
    InexactInteger {
        /// The tensor's name.
        name: String,
        /// The first such value.
        value: i128,
        /// The float type it was to become (`"F32"` or `"F64"`).
        dtype: String,
    },
    /// A tensor does not fit (unsupported dtype, wrong shape, unknown or
    /// missing name), named in the inner error.
    StateDict(StateDictError),
    /// A saved optimizer state does not fit the optimizer.
    Optimizer(OptimizerStateError),
    /// A saved scheduler state does not fit the scheduler.
    Scheduler(SchedulerStateError),
    /// The tensors could not be encoded.
    Encode {
        /// What was wrong.
        detail: String,
    },
}

impl fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckpointError::Io { path, source } => {
                write!(f, "checkpoint I/O error on {}: {source}", path.display())
            }
            CheckpointError::Truncated { detail } => {
                write!(f, "checkpoint file is truncated: {detail}")
            }
            CheckpointError::CorruptHeader { detail } => {
                write!(f, "checkpoint header is corrupt: {detail}")
            }
            CheckpointError::BadMetadata { key, detail } => {
                write!(f, "checkpoint metadata `{key}` is invalid: {detail}")
            }
            CheckpointError::MissingKey { key } => write!(f, "checkpoint lacks `{key}`"),
            CheckpointError::InexactInteger { name, value, dtype } => write!(
                f,
                "checkpoint tensor `{name}` holds the integer {value}, which {dtype} cannot represent exactly"
            ),
            CheckpointError::StateDict(e) => write!(f, "checkpoint: {e}"),
            CheckpointError::Optimizer(e) => write!(f, "checkpoint: {e}"),
            CheckpointError::Scheduler(e) => write!(f, "checkpoint: {e}"),
            CheckpointError::Encode { detail } => {
                write!(f, "checkpoint could not be encoded: {detail}")
            }
        }
    }
}

impl std::error::Error for CheckpointError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CheckpointError::Io { source, .. } => Some(source),
            CheckpointError::StateDict(e) => Some(e),
            CheckpointError::Optimizer(e) => Some(e),
            CheckpointError::Scheduler(e) => Some(e),
            _ => None,
        }
    }
}

impl From<StateDictError> for CheckpointError {
    fn from(e: StateDictError) -> Self {
        CheckpointError::StateDict(e)
    }
}

impl From<OptimizerStateError> for CheckpointError {
    fn from(e: OptimizerStateError) -> Self {
        CheckpointError::Optimizer(e)
    }
}

impl From<SchedulerStateError> for CheckpointError {
    fn from(e: SchedulerStateError) -> Self {
        CheckpointError::Scheduler(e)
    }
}

/// A closure mapping an `io::Error` on `path` to [`CheckpointError::Io`].
pub(crate) fn io_at(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> CheckpointError {
    let path = path.to_path_buf();
    move |source| CheckpointError::Io { path, source }
}
