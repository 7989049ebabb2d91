//! [`TrainingCheckpoint`]: model, optimizer, scheduler, counters, RNG and
//! best metric in one safetensors file (layout in the [module docs](super)).

use super::atomic::write_atomic;
use super::error::{io_at, CheckpointError};
use super::safetensors_io::{safetensors_from_bytes, safetensors_to_bytes, Metadata};
use crate::lr_scheduler::{LrScheduler, SchedulerState};
use crate::module::Module;
use crate::optim::{GroupState, Optimizer, OptimizerState, ParamState};
use crate::state_dict::{load_state_dict, state_dict, StateDict, Strict};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use synann_tensor::random::RngState;
use synann_tensor::Float;

/// The value of the `format` metadata entry.
pub const FORMAT: &str = "synann.training_checkpoint.v1";

/// Everything needed to resume training where it stopped.
///
/// ```
/// use std::collections::BTreeMap;
/// use synann_autograd::Var;
/// use synann_nn::checkpoint::TrainingCheckpoint;
/// use synann_nn::optim::{Optimizer, SgdConfig, SGD};
/// use synann_nn::state_dict::StateDict;
/// use synann_tensor::{random::{seeded, RngState}, Tensor};
///
/// let w = Var::requiring_grad(Tensor::from_vec(vec![1.0f32, 2.0], &[2]));
/// let opt = SGD::new(vec![w.clone()], 0.1, SgdConfig::default()).unwrap();
/// let mut model = StateDict::new();
/// model.insert("w", w.value().clone());
/// let ckpt = TrainingCheckpoint {
///     model,
///     optimizer: opt.state_dict(),
///     scheduler: None,
///     epoch: 3,
///     global_step: 300,
///     rng: RngState::of(&seeded(0)),
///     best_metric: Some(0.25),
///     metadata: BTreeMap::from([("run".to_string(), "demo".to_string())]),
/// };
/// let back = TrainingCheckpoint::<f32>::from_bytes(&ckpt.to_bytes().unwrap()).unwrap();
/// assert_eq!(back, ckpt);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct TrainingCheckpoint<T: Float> {
    /// The model's state dict.
    pub model: StateDict<T>,
    /// The optimizer's state.
    pub optimizer: OptimizerState<T>,
    /// The scheduler's state, if a scheduler is used.
    pub scheduler: Option<SchedulerState>,
    /// Epochs completed.
    pub epoch: u64,
    /// Optimizer steps taken.
    pub global_step: u64,
    /// The training RNG's state.
    pub rng: RngState,
    /// The best monitored metric so far.
    pub best_metric: Option<f64>,
    /// Free-form metadata (run name, git hash, …).
    pub metadata: BTreeMap<String, String>,
}

/// The optimizer state minus its tensors, as stored in the `optimizer`
/// metadata entry.
#[derive(Serialize, Deserialize)]
struct OptimizerJson {
    kind: String,
    param_groups: Vec<GroupState>,
    state: BTreeMap<usize, ParamJson>,
}

/// One parameter's step count and the names of its buffer tensors.
#[derive(Serialize, Deserialize)]
struct ParamJson {
    step: Option<u64>,
    buffers: Vec<String>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

fn to_json<V: Serialize>(key: &str, v: &V) -> Result<String, CheckpointError> {
    serde_json::to_string(v).map_err(|e| CheckpointError::Encode {
        detail: format!("{key}: {e}"),
    })
}

/// Metadata entry `key`, required.
fn entry<'m>(meta: &'m Metadata, key: &str) -> Result<&'m str, CheckpointError> {
    meta.get(key)
        .map(String::as_str)
        .ok_or_else(|| CheckpointError::MissingKey {
            key: key.to_string(),
        })
}

/// Parses metadata entry `key` with `parse`, naming the key on failure.
fn parse<V, E: std::fmt::Display>(
    meta: &Metadata,
    key: &str,
    parse: impl FnOnce(&str) -> Result<V, E>,
) -> Result<V, CheckpointError> {
    parse(entry(meta, key)?).map_err(|e| CheckpointError::BadMetadata {
        key: key.to_string(),
        detail: e.to_string(),
    })
}

impl<T: Float> TrainingCheckpoint<T> {
    /// Snapshots a training run: the model's state dict, the optimizer's and
    /// (if any) the scheduler's state, with no best metric and no metadata
    /// (set those fields directly).
    pub fn capture(
        model: &dyn Module<T>,
        optimizer: &dyn Optimizer<T>,
        scheduler: Option<&dyn LrScheduler>,
        epoch: u64,
        global_step: u64,
        rng: RngState,
    ) -> Self {
        TrainingCheckpoint {
            model: state_dict(model),
            optimizer: optimizer.state_dict(),
            scheduler: scheduler.map(|s| s.state_dict()),
            epoch,
            global_step,
            rng,
            best_metric: None,
            metadata: BTreeMap::new(),
        }
    }

    /// Loads the saved states into a freshly built model (strictly),
    /// optimizer and scheduler; continue with `self.rng.restore()` and the
    /// counters. Each component is checked before it is changed, but if a
    /// later one fails the earlier ones keep their restored state.
    pub fn restore(
        &self,
        model: &dyn Module<T>,
        optimizer: &mut dyn Optimizer<T>,
        scheduler: Option<&mut dyn LrScheduler>,
    ) -> Result<(), CheckpointError> {
        load_state_dict(model, &self.model, Strict::Yes)?;
        optimizer.load_state_dict(&self.optimizer)?;
        if let Some(s) = scheduler {
            let saved = self
                .scheduler
                .as_ref()
                .ok_or_else(|| CheckpointError::MissingKey {
                    key: "scheduler".to_string(),
                })?;
            s.load_state_dict(saved)?;
        }
        Ok(())
    }

    /// Encodes the checkpoint as safetensors bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>, CheckpointError> {
        let mut tensors = StateDict::new();
        for (name, t) in self.model.iter() {
            tensors.insert(format!("model.{name}"), t.clone());
        }
        let mut state = BTreeMap::new();
        for (&i, s) in &self.optimizer.state {
            for (buf, t) in &s.buffers {
                tensors.insert(format!("optim.state.{i}.{buf}"), t.clone());
            }
            let buffers = s.buffers.keys().cloned().collect();
            state.insert(
                i,
                ParamJson {
                    step: s.step,
                    buffers,
                },
            );
        }
        let optimizer = OptimizerJson {
            kind: self.optimizer.kind.clone(),
            param_groups: self.optimizer.groups.clone(),
            state,
        };
        let mut meta = Metadata::new();
        meta.insert("format".into(), FORMAT.into());
        meta.insert("epoch".into(), self.epoch.to_string());
        meta.insert("global_step".into(), self.global_step.to_string());
        meta.insert("rng_state".into(), hex(&self.rng.to_bytes()));
        if let Some(best) = self.best_metric {
            meta.insert("best_metric".into(), best.to_string());
        }
        meta.insert("optimizer".into(), to_json("optimizer", &optimizer)?);
        meta.insert("scheduler".into(), to_json("scheduler", &self.scheduler)?);
        meta.insert("user".into(), to_json("user", &self.metadata)?);
        safetensors_to_bytes(&tensors, &meta)
    }

    /// Decodes a checkpoint; any malformed input is an error, never a panic.
    /// Tensors stored in the other float width are converted.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CheckpointError> {
        let (tensors, meta) = safetensors_from_bytes::<T>(bytes)?;
        let format = entry(&meta, "format")?;
        if format != FORMAT {
            return Err(CheckpointError::BadMetadata {
                key: "format".into(),
                detail: format!("expected {FORMAT}, found {format}"),
            });
        }
        let epoch = parse(&meta, "epoch", str::parse::<u64>)?;
        let global_step = parse(&meta, "global_step", str::parse::<u64>)?;
        let rng = parse(&meta, "rng_state", |s| {
            unhex(s)
                .and_then(|b| RngState::from_bytes(&b))
                .ok_or("expected 112 hexadecimal digits")
        })?;
        let best_metric = match meta.contains_key("best_metric") {
            true => Some(parse(&meta, "best_metric", str::parse::<f64>)?),
            false => None,
        };
        let optim: OptimizerJson = parse(&meta, "optimizer", |s| serde_json::from_str(s))?;
        let scheduler = parse(&meta, "scheduler", |s| serde_json::from_str(s))?;
        let metadata = parse(&meta, "user", |s| serde_json::from_str(s))?;

        let mut state = BTreeMap::new();
        for (i, p) in optim.state {
            let mut buffers = BTreeMap::new();
            for name in p.buffers {
                let key = format!("optim.state.{i}.{name}");
                let t = tensors
                    .get(&key)
                    .ok_or(CheckpointError::MissingKey { key })?;
                buffers.insert(name, t.clone());
            }
            state.insert(
                i,
                ParamState {
                    step: p.step,
                    buffers,
                },
            );
        }
        let model = tensors
            .iter()
            .filter_map(|(n, t)| Some((n.strip_prefix("model.")?.to_string(), t.clone())))
            .collect();
        Ok(TrainingCheckpoint {
            model,
            optimizer: OptimizerState {
                kind: optim.kind,
                groups: optim.param_groups,
                state,
            },
            scheduler,
            epoch,
            global_step,
            rng,
            best_metric,
            metadata,
        })
    }

    /// Writes the checkpoint to `path` atomically.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), CheckpointError> {
        write_atomic(path, &self.to_bytes()?)
    }

    /// Reads a checkpoint written by [`TrainingCheckpoint::save`].
    pub fn load(path: impl AsRef<Path>) -> Result<Self, CheckpointError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(io_at(path))?;
        Self::from_bytes(&bytes)
    }
}
