//! The command line of `examples/explain.rs`: parsing and up-front
//! validation, so a bad flag or value is a one-line error before any work.
//!
//! ```
//! use synann_examples::explain::cli::parse_args;
//! let c = parse_args(["explain", "--checkpoint", "runs/mnist-seed-torch/best.safetensors"]).unwrap();
//! assert_eq!(c.out, std::path::PathBuf::from("runs/mnist-seed-torch/explain"));
//! assert_eq!((c.model, c.top), (None, 10));
//! assert!(parse_args(["explain"]).is_err()); // --checkpoint is required
//! assert!(parse_args(["explain", "--checkpoint", "x", "--top", "0"]).is_err());
//! ```

use super::ExplainError;
use crate::cli::{clap_outcome, ClapOutcome};
use clap::Parser;
use std::path::PathBuf;
use synann::zoo::MODEL_NAMES;

/// The links listed per table when `--top` is not given.
pub const DEFAULT_TOP: usize = 10;

/// The flags, as clap parses them (before validation).
#[derive(Parser, Debug)]
#[command(
    name = "explain",
    about = "Draw the inhibition matrices of a SynaNN checkpoint and list its strongest links",
    version,
    allow_negative_numbers = true
)]
struct Args {
    /// The weights: a state dict (best.safetensors) or a training
    /// checkpoint (last.ckpt.safetensors).
    #[arg(long)]
    checkpoint: PathBuf,
    /// Zoo model the checkpoint belongs to (seed-torch, seed-keras,
    /// syna-mlp, syna-cnn or syna-rnn): the weights are loaded strictly
    /// into it and each B gets its layer's parameterisation. Without it the
    /// tensors are read directly and shown raw.
    #[arg(long)]
    model: Option<String>,
    /// Channel-width multiplier the --model was trained with (seed-keras,
    /// syna-cnn; as the main job's --width).
    #[arg(long, default_value_t = 1.0)]
    width: f64,
    /// Output folder [default: the checkpoint's folder + /explain/].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Links listed per table.
    #[arg(long, default_value_t = DEFAULT_TOP)]
    top: usize,
}

/// The validated configuration of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// The checkpoint file.
    pub checkpoint: PathBuf,
    /// The zoo model (one of [`MODEL_NAMES`]), if given.
    pub model: Option<String>,
    /// The width multiplier the model is built with (finite, > 0).
    pub width: f64,
    /// The output folder.
    pub out: PathBuf,
    /// Links listed per table (at least 1).
    pub top: usize,
}

impl Config {
    /// A configuration for `checkpoint` with the defaults: no model, width
    /// 1, output
    /// in the checkpoint's folder + `/explain/`, [`DEFAULT_TOP`] links.
    pub fn new(checkpoint: impl Into<PathBuf>) -> Self {
        let checkpoint = checkpoint.into();
        Config {
            out: default_out(&checkpoint),
            checkpoint,
            model: None,
            width: 1.0,
            top: DEFAULT_TOP,
        }
    }
}

/// `<the checkpoint's folder>/explain`.
fn default_out(checkpoint: &std::path::Path) -> PathBuf {
    checkpoint
        .parent()
        .unwrap_or_else(|| std::path::Path::new(""))
        .join("explain")
}

/// Parses and validates a command line (`args` includes the program name).
///
/// `--help` and `--version` come back as [`ExplainError::Help`] with the
/// text to print; anything clap rejects as [`ExplainError::Usage`]; an
/// unknown `--model`, `--top 0` or a `--width` that is not a finite
/// positive number as [`ExplainError::Invalid`]. Whether the
/// checkpoint exists is checked when it is read.
pub fn parse_args<I, T>(args: I) -> Result<Config, ExplainError>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let a = Args::try_parse_from(args).map_err(|e| match clap_outcome(&e) {
        ClapOutcome::Help(text) => ExplainError::Help(text),
        ClapOutcome::Usage(line) => ExplainError::Usage(line),
    })?;
    if let Some(model) = &a.model {
        if !MODEL_NAMES.contains(&model.as_str()) {
            return Err(ExplainError::Invalid {
                flag: "model",
                value: model.clone(),
                reason: format!("known models: {}", MODEL_NAMES.join(", ")),
            });
        }
    }
    if a.top == 0 {
        return Err(ExplainError::Invalid {
            flag: "top",
            value: "0".into(),
            reason: "must be at least 1".into(),
        });
    }
    if !(a.width.is_finite() && a.width > 0.0) {
        return Err(ExplainError::Invalid {
            flag: "width",
            value: a.width.to_string(),
            reason: "must be a finite number > 0".into(),
        });
    }
    Ok(Config {
        width: a.width,
        out: a.out.unwrap_or_else(|| default_out(&a.checkpoint)),
        checkpoint: a.checkpoint,
        model: a.model,
        top: a.top,
    })
}
