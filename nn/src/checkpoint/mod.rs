//! Checkpoints in the [safetensors](https://github.com/huggingface/safetensors)
//! format, readable by PyTorch.
//!
//! # Model files
//!
//! [`save_safetensors`] writes a [`StateDict`](crate::state_dict::StateDict)
//! with PyTorch's tensor names (`conv1.weight`, `bn.running_mean`), its
//! dtype (`"F32"` for `f32`, `"F64"` for `f64`) and row-major layout, plus a
//! string → string metadata map, so that
//!
//! ```python
//! from safetensors.torch import load_file
//! model.load_state_dict(load_file("model.safetensors"))
//! ```
//!
//! loads it into the equivalent PyTorch module. BatchNorm's
//! `num_batches_tracked` is written as `I64`, PyTorch's dtype for it.
//! [`load_safetensors`] reads such a file (ours or PyTorch's `save_file`)
//! into either float width: float and integer tensors are converted exactly
//! (an integer too large to be exact in the float type, or an 8-bit float,
//! is an error naming the tensor); see [`dtype`] for the table.
//!
//! # Training checkpoints
//!
//! A [`TrainingCheckpoint`] stores everything needed to resume training in
//! **one** safetensors file. [`TrainingCheckpoint::capture`] snapshots a
//! model, optimizer and scheduler; [`TrainingCheckpoint::restore`] loads
//! them back into freshly built ones. The file layout:
//!
//! | where | what |
//! |---|---|
//! | tensor `model.<name>` | each model tensor (`model.fc1.weight`) |
//! | tensor `optim.state.<i>.<buffer>` | optimizer buffers of parameter number `i` (`optim.state.3.exp_avg`) |
//! | metadata `format` | `synann.training_checkpoint.v1` |
//! | metadata `epoch`, `global_step` | decimal integers |
//! | metadata `rng_state` | hex of [`RngState::to_bytes`](synann_tensor::random::RngState::to_bytes) (112 digits) |
//! | metadata `best_metric` | the best monitored metric as a decimal float (absent if none) |
//! | metadata `optimizer` | JSON: `{"kind", "param_groups": [{"lr", "options", "params"}], "state": {"<i>": {"step", "buffers": [names]}}}` |
//! | metadata `scheduler` | JSON of the [`SchedulerState`](crate::lr_scheduler::SchedulerState), or `null` |
//! | metadata `user` | JSON object of the free-form string metadata |
//!
//! # Safety of writes and reads
//!
//! Every write is atomic ([`write_atomic`]): the bytes go to `<path>.tmp`
//! in the same directory, the file is flushed to disk, renamed over the
//! target, and the directory is flushed, so a crash leaves either the old
//! file or the new one, never a mix. Every read failure is a
//! [`CheckpointError`], never a panic, whatever the bytes.

pub mod atomic;
pub mod dtype;
pub mod error;
pub mod safetensors_io;
pub mod training;

pub use atomic::write_atomic;
pub use error::CheckpointError;
pub use safetensors_io::{
    load_safetensors, safetensors_from_bytes, safetensors_to_bytes, save_safetensors, Metadata,
};
pub use training::TrainingCheckpoint;
