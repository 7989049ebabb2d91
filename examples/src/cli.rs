//! The command line of the MNIST main job (`examples/mnist.rs`): parsing and
//! up-front validation, so that a bad flag, value or path is a one-line
//! error before any work starts.
//!
//! ```
//! use synann_examples::cli::{parse_args, Task};
//! let config = parse_args(["mnist", "--model", "syna-mlp", "--epochs", "2"]).unwrap();
//! assert_eq!(config.model, "syna-mlp");
//! assert_eq!(config.task, Task::Train);
//! assert!(parse_args(["mnist", "--batch-size", "0"]).is_err());
//! ```
//!
//! **Exit statuses**, the same for every program of `examples/`: 0 on
//! success (and `--help`), 2 for a wrong command line (a bad flag or value,
//! a path that does not exist or does not hold what it should), 1 for a
//! failure while running (a corrupt file, a diverging loss, a write error).
//! [`USAGE_STATUS`], [`FAILURE_STATUS`], [`failure_status`].

use clap::Parser;
use std::fmt;
use std::path::{Path, PathBuf};
use synann::zoo::{
    ConvSynapseVariant, OptimizerKind, RecurrentCell, SynapseInput, SynapseVariant, ZooOptions,
    MODEL_NAMES,
};
use synann_datasets::IdxError;
use synann_tensor::conv::Conv2dAlgorithms;
use synann_train::distributed::BatchNormSync;

/// The exit status of a wrong command line.
pub const USAGE_STATUS: u8 = 2;
/// The exit status of a failure while running.
pub const FAILURE_STATUS: u8 = 1;

/// The exit status of a run that failed with `e`: [`USAGE_STATUS`] when the
/// failure is a wrong path of the command line that only loading could
/// find (a data directory without the MNIST files), else
/// [`FAILURE_STATUS`].
///
/// ```
/// use synann_datasets::IdxError;
/// use synann_examples::cli::failure_status;
/// let missing = IdxError::NotFound { dataset: "MNIST", tried: vec![] };
/// assert_eq!(failure_status(&missing), 2);
/// let corrupt: Box<dyn std::error::Error> = "the loss is not finite".into();
/// assert_eq!(failure_status(&*corrupt), 1);
/// ```
pub fn failure_status(e: &(dyn std::error::Error + 'static)) -> u8 {
    match e.downcast_ref::<IdxError>() {
        Some(IdxError::NotFound { .. }) => USAGE_STATUS,
        _ => FAILURE_STATUS,
    }
}

/// The model trained when `--model` is not given: the original PyTorch
/// SynaNN CNN (how long it takes and what it reaches: the README's first
/// table, generated from `results/quickstart/`).
pub const DEFAULT_MODEL: &str = "seed-torch";

/// The epochs of the default run (no `--model`, no `--epochs`); with
/// `--model`, the model's recipe decides (10 for seed-torch).
pub const DEFAULT_EPOCHS: usize = 16;

/// The flags, as clap parses them (before validation).
#[derive(Parser, Debug)]
#[command(
    name = "mnist",
    about = "Train, evaluate or query a SynaNN model on MNIST",
    version,
    allow_negative_numbers = true
)]
struct Args {
    /// Zoo model: seed-torch, seed-keras, syna-mlp, syna-cnn or syna-rnn
    /// [default: seed-torch].
    #[arg(long)]
    model: Option<String>,
    /// Number of epochs (default: the model's recipe; 16 without --model).
    #[arg(long)]
    epochs: Option<usize>,
    /// Training batch size (default: the model's recipe).
    #[arg(long)]
    batch_size: Option<usize>,
    /// Base learning rate (default: the model's recipe).
    #[arg(long)]
    lr: Option<f64>,
    /// Optimizer: sgd, adam or adamw (default: the model's recipe).
    #[arg(long)]
    optimizer: Option<String>,
    /// Seed of weights, data order, augmentation and dropout.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Threads of the compute pool.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Channel-width multiplier of seed-keras and syna-cnn.
    #[arg(long, default_value_t = 1.0)]
    width: f64,
    /// What stands in the fully connected Synapse layer's place:
    /// per-sample, batch-coupled, identity, linear, constrained (B ∈ (0, 1),
    /// a ≥ 1) or stacked (two Synapse layers).
    #[arg(long, default_value = "per-sample")]
    synapse: String,
    /// syna-cnn: what stands in the convolutional synapse's place: synapse,
    /// identity or conv (a 3×3 Conv2d of the same parameter count).
    #[arg(long, default_value = "synapse")]
    synapse_conv: String,
    /// syna-rnn: the recurrent cell: synapse, tanh or gru (the latter two
    /// with no more parameters than the synapse cell).
    #[arg(long, default_value = "synapse")]
    rnn_cell: String,
    /// syna-mlp and seed-torch: the activation in front of the Synapse:
    /// softmax or sigmoid.
    #[arg(long, default_value = "softmax")]
    synapse_input: String,
    /// Which algorithms the convolutions may choose: any (the spectral
    /// path included, for large kernels on small images) or direct (the
    /// direct sums only).
    #[arg(long, default_value = "any")]
    conv: String,
    /// Hold out N training images as a validation set (the same images for
    /// every seed), evaluated after every epoch; best.safetensors is then
    /// chosen on it instead of the test set.
    #[arg(long)]
    validation: Option<usize>,
    /// Clip the gradients' joint 2-norm to this value.
    #[arg(long)]
    clip_grad_norm: Option<f64>,
    /// Directory holding the four MNIST files (default: $SYNANN_DATA/mnist,
    /// else the shipped copy).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Output folder (default: runs/mnist-<model>/).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Continue training from a last.ckpt.safetensors.
    #[arg(long)]
    resume: Option<PathBuf>,
    /// Use only the first N training images.
    #[arg(long)]
    limit_train: Option<usize>,
    /// Use only the first N test images.
    #[arg(long)]
    limit_test: Option<usize>,
    /// Evaluate --checkpoint on the test set: accuracy and confusion matrix.
    #[arg(long)]
    eval_only: bool,
    /// Weights to evaluate or predict with (best.safetensors or a
    /// last.ckpt.safetensors).
    #[arg(long)]
    checkpoint: Option<PathBuf>,
    /// Print predicted and true labels of the first N test images (with
    /// --checkpoint).
    #[arg(long)]
    predict: Option<usize>,
    /// No progress bars.
    #[arg(long)]
    quiet: bool,
    /// Stop at the first NaN or infinity produced by an op's forward or
    /// backward, naming the op, the layer and the step (slower).
    #[arg(long)]
    detect_anomaly: bool,
    /// Train as one rank of an MPI job, data-parallel:
    /// `mpirun -np 4 mnist --distributed ...` (a build with `--features mpi`;
    /// see docs/DISTRIBUTED.md). --threads is then per rank.
    #[arg(long)]
    distributed: bool,
    /// Train data-parallel on N threads of this process: each rank holds a
    /// replica of the model and trains on batch/N images of every batch,
    /// with --threads threads of its own (`--ranks 2 --threads 1` on two
    /// cores; see docs/DISTRIBUTED.md) [default: 1]
    #[arg(long)]
    ranks: Option<usize>,
    /// With --distributed or --ranks: BatchNorm statistics of the whole
    /// global batch (SyncBatchNorm) instead of each rank's shard.
    #[arg(long)]
    sync_batch_norm: bool,
}

/// How many processes train the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parallelism {
    /// This process alone (threads: `--threads`).
    SingleProcess,
    /// This process is one rank of an MPI job (`--distributed`), with
    /// BatchNorm statistics per rank or synchronised (`--sync-batch-norm`).
    Mpi(BatchNormSync),
    /// This process runs `ranks` ranks as threads (`--ranks`), with
    /// BatchNorm statistics per rank or synchronised.
    Threads {
        /// The number of ranks (at least 2).
        ranks: usize,
        /// How BatchNorm layers share statistics.
        batch_norm: BatchNormSync,
    },
}

/// Whether this build can run `--distributed` (feature `mpi`).
pub const MPI_BUILT: bool = cfg!(feature = "mpi");

/// What the main job does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Task {
    /// Train (possibly resuming), then report.
    Train,
    /// Evaluate a checkpoint on the test set.
    Evaluate,
    /// Print the predictions of a checkpoint for the first N test images.
    Predict(usize),
}

/// The `--optimizer` choice; the recipe's settings are kept when the kind
/// matches (see [`OptimizerChoice::resolve`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptimizerChoice {
    /// SGD with momentum.
    Sgd,
    /// Adam.
    Adam,
    /// AdamW.
    AdamW,
}

impl OptimizerChoice {
    /// The optimizer to use given the recipe's: the recipe's own when it is
    /// of this kind, else SGD with momentum 0.9, Adam, or AdamW with weight
    /// decay 0.01 (PyTorch's default).
    pub fn resolve(self, recipe: OptimizerKind) -> OptimizerKind {
        match (self, recipe) {
            (OptimizerChoice::Sgd, k @ OptimizerKind::Sgd { .. }) => k,
            (OptimizerChoice::AdamW, k @ OptimizerKind::AdamW { .. }) => k,
            (OptimizerChoice::Sgd, _) => OptimizerKind::Sgd { momentum: 0.9 },
            (OptimizerChoice::Adam, _) => OptimizerKind::Adam,
            (OptimizerChoice::AdamW, _) => OptimizerKind::AdamW { weight_decay: 0.01 },
        }
    }
}

/// The validated configuration of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// The zoo model's name (one of [`MODEL_NAMES`]).
    pub model: String,
    /// What to do.
    pub task: Task,
    /// Epoch override ([`DEFAULT_EPOCHS`] when neither `--model` nor
    /// `--epochs` is given).
    pub epochs: Option<usize>,
    /// Batch-size override.
    pub batch_size: Option<usize>,
    /// Learning-rate override.
    pub lr: Option<f64>,
    /// Optimizer override.
    pub optimizer: Option<OptimizerChoice>,
    /// The seed.
    pub seed: u64,
    /// Threads of the rayon pool.
    pub threads: usize,
    /// Zoo width multiplier.
    pub width: f64,
    /// What stands in the fully connected Synapse layer's place.
    pub synapse: SynapseVariant,
    /// What stands in syna-cnn's convolutional synapse's place.
    pub synapse_conv: ConvSynapseVariant,
    /// syna-rnn's recurrent cell.
    pub rnn_cell: RecurrentCell,
    /// The activation in front of the Synapse of syna-mlp and seed-torch.
    pub synapse_input: SynapseInput,
    /// Which algorithms the convolutions may choose (process-wide:
    /// `synann_tensor::conv::set_conv2d_algorithms`).
    pub conv: Conv2dAlgorithms,
    /// Training images held out for validation.
    pub validation: Option<usize>,
    /// Gradient clipping.
    pub clip_grad_norm: Option<f64>,
    /// The MNIST directory (`None`: the default search).
    pub data_dir: Option<PathBuf>,
    /// The output folder.
    pub out: PathBuf,
    /// The checkpoint to resume from.
    pub resume: Option<PathBuf>,
    /// Training images used.
    pub limit_train: Option<usize>,
    /// Test images used.
    pub limit_test: Option<usize>,
    /// The weights for evaluation or prediction.
    pub checkpoint: Option<PathBuf>,
    /// No progress bars.
    pub quiet: bool,
    /// Train under anomaly detection (`--detect-anomaly`).
    pub detect_anomaly: bool,
    /// One process or one rank of an MPI job (`--distributed`).
    pub parallelism: Parallelism,
}

/// A rejected command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CliError {
    /// `--help` or `--version` was asked for: the text to print (not an
    /// error; exit with status 0).
    Help(String),
    /// clap rejected the command line (unknown flag, missing or unparsable
    /// value): its first line.
    Usage(String),
    /// A flag's value is out of range.
    Invalid {
        /// The flag.
        flag: &'static str,
        /// The value given.
        value: String,
        /// What it must be.
        reason: String,
    },
    /// Flags that do not go together, or one missing another.
    Conflict(String),
    /// A path given by a flag is not usable.
    Path {
        /// The flag.
        flag: &'static str,
        /// The path.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Help(text) => write!(f, "{text}"),
            CliError::Usage(line) => write!(f, "{line} (see --help)"),
            CliError::Invalid {
                flag,
                value,
                reason,
            } => write!(f, "invalid value `{value}` for --{flag}: {reason}"),
            CliError::Conflict(what) => write!(f, "{what}"),
            CliError::Path { flag, path, reason } => {
                write!(f, "--{flag} {}: {reason}", path.display())
            }
        }
    }
}

impl std::error::Error for CliError {}

/// What a clap parse failure means to one of our command-line tools.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClapOutcome {
    /// `--help` or `--version`: the text to print, exit status 0.
    Help(String),
    /// A rejected command line, as one line: clap's first paragraph
    /// (`"… not provided: --checkpoint <CHECKPOINT>"`) without the usage
    /// that follows and without its `error: ` prefix.
    Usage(String),
}

/// Sorts a clap error into [`ClapOutcome`]; the main job, `bench` and
/// `explain` all report clap's errors this way.
pub fn clap_outcome(e: &clap::Error) -> ClapOutcome {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => ClapOutcome::Help(e.to_string()),
        _ => {
            let text = e.to_string();
            let first: Vec<&str> = text
                .lines()
                .map(str::trim)
                .take_while(|l| !l.is_empty())
                .collect();
            let line = first.join(" ");
            ClapOutcome::Usage(line.trim_start_matches("error: ").to_string())
        }
    }
}

/// Parses and validates the command line (`args[0]` is the program name).
/// Paths are checked to exist with the right kind (file or directory).
pub fn parse_args<I, S>(args: I) -> Result<Config, CliError>
where
    I: IntoIterator<Item = S>,
    S: Into<std::ffi::OsString> + Clone,
{
    let a = Args::try_parse_from(args).map_err(|e| match clap_outcome(&e) {
        ClapOutcome::Help(text) => CliError::Help(text),
        ClapOutcome::Usage(line) => CliError::Usage(line),
    })?;
    let invalid = |flag, value: &dyn fmt::Display, reason: &str| CliError::Invalid {
        flag,
        value: value.to_string(),
        reason: reason.to_string(),
    };
    let (model, default_epochs) = match a.model {
        Some(m) => (m, None),
        None => (DEFAULT_MODEL.to_string(), Some(DEFAULT_EPOCHS)),
    };
    if !MODEL_NAMES.contains(&model.as_str()) {
        let known = MODEL_NAMES.join(", ");
        return Err(invalid("model", &model, &format!("known models: {known}")));
    }
    let positive = |flag, v: Option<usize>| match v {
        Some(0) => Err(invalid(flag, &0, "must be at least 1")),
        _ => Ok(v),
    };
    let epochs = positive("epochs", a.epochs)?.or(default_epochs);
    let batch_size = positive("batch-size", a.batch_size)?;
    let limit_train = positive("limit-train", a.limit_train)?;
    let limit_test = positive("limit-test", a.limit_test)?;
    positive("threads", Some(a.threads))?;
    positive("predict", a.predict)?;
    let positive_real = |flag, v: Option<f64>| match v {
        Some(x) if !(x.is_finite() && x > 0.0) => {
            Err(invalid(flag, &x, "must be a finite number > 0"))
        }
        _ => Ok(v),
    };
    let lr = positive_real("lr", a.lr)?;
    let clip_grad_norm = positive_real("clip-grad-norm", a.clip_grad_norm)?;
    positive_real("width", Some(a.width))?;
    let optimizer = match a.optimizer.as_deref() {
        None => None,
        Some("sgd") => Some(OptimizerChoice::Sgd),
        Some("adam") => Some(OptimizerChoice::Adam),
        Some("adamw") => Some(OptimizerChoice::AdamW),
        Some(other) => return Err(invalid("optimizer", &other, "expected sgd, adam or adamw")),
    };
    let choice = |flag, value: &str, names: &[&str]| {
        invalid(
            flag,
            &value,
            &format!("expected one of {}", names.join(", ")),
        )
    };
    let synapse = SynapseVariant::from_name(&a.synapse)
        .ok_or_else(|| choice("synapse", &a.synapse, SynapseVariant::NAMES))?;
    let synapse_conv = ConvSynapseVariant::from_name(&a.synapse_conv)
        .ok_or_else(|| choice("synapse-conv", &a.synapse_conv, ConvSynapseVariant::NAMES))?;
    let rnn_cell = RecurrentCell::from_name(&a.rnn_cell)
        .ok_or_else(|| choice("rnn-cell", &a.rnn_cell, RecurrentCell::NAMES))?;
    let synapse_input = SynapseInput::from_name(&a.synapse_input)
        .ok_or_else(|| choice("synapse-input", &a.synapse_input, SynapseInput::NAMES))?;
    let conv = Conv2dAlgorithms::from_name(&a.conv)
        .ok_or_else(|| choice("conv", &a.conv, Conv2dAlgorithms::NAMES))?;
    let validation = positive("validation", a.validation)?;
    let task = match (a.eval_only, a.predict) {
        (true, Some(_)) => {
            return Err(CliError::Conflict(
                "--eval-only and --predict cannot be used together".into(),
            ))
        }
        (true, None) => Task::Evaluate,
        (false, Some(n)) => Task::Predict(n),
        (false, None) => Task::Train,
    };
    match (task, &a.checkpoint, &a.resume) {
        (Task::Train, Some(_), _) => {
            return Err(CliError::Conflict(
                "--checkpoint needs --eval-only or --predict (use --resume to continue training)"
                    .into(),
            ))
        }
        (Task::Evaluate | Task::Predict(_), None, _) => {
            return Err(CliError::Conflict(
                "--eval-only and --predict need --checkpoint PATH".into(),
            ))
        }
        (Task::Evaluate | Task::Predict(_), _, Some(_)) => {
            return Err(CliError::Conflict(
                "--resume only applies to training".into(),
            ))
        }
        _ => {}
    }
    positive("ranks", a.ranks)?;
    let batch_norm = match a.sync_batch_norm {
        true => BatchNormSync::Sync,
        false => BatchNormSync::PerRank,
    };
    let ranks = a.ranks.unwrap_or(1);
    let parallelism = match (a.distributed, ranks) {
        (false, 1) if a.sync_batch_norm => {
            return Err(CliError::Conflict(
                "--sync-batch-norm needs --distributed or --ranks N (N ≥ 2)".into(),
            ))
        }
        (false, 1) => Parallelism::SingleProcess,
        (false, ranks) => {
            if task != Task::Train {
                return Err(CliError::Conflict(
                    "--ranks only applies to training".into(),
                ));
            }
            Parallelism::Threads { ranks, batch_norm }
        }
        (true, _) if a.ranks.is_some() => {
            return Err(CliError::Conflict(
                "--distributed and --ranks do not go together: \
                 the ranks are MPI processes (mpirun -np N) or threads (--ranks N), not both"
                    .into(),
            ))
        }
        (true, _) => {
            if !MPI_BUILT {
                return Err(CliError::Conflict(
                    "--distributed needs a build with MPI: \
                     cargo build --release --example mnist --features synann-examples/mpi (see docs/DISTRIBUTED.md)"
                        .into(),
                ));
            }
            if task != Task::Train {
                return Err(CliError::Conflict(
                    "--distributed only applies to training".into(),
                ));
            }
            Parallelism::Mpi(batch_norm)
        }
    };
    if let Some(dir) = &a.data_dir {
        check_dir("data-dir", dir)?;
    }
    if let Some(path) = &a.checkpoint {
        check_file("checkpoint", path)?;
    }
    if let Some(path) = &a.resume {
        check_file("resume", path)?;
    }
    let out = a
        .out
        .unwrap_or_else(|| PathBuf::from(format!("runs/mnist-{model}")));
    if out.exists() && !out.is_dir() {
        return Err(CliError::Path {
            flag: "out",
            path: out,
            reason: "exists and is not a directory".into(),
        });
    }
    Ok(Config {
        model,
        task,
        epochs,
        batch_size,
        lr,
        optimizer,
        seed: a.seed,
        threads: a.threads,
        width: a.width,
        synapse,
        synapse_conv,
        rnn_cell,
        synapse_input,
        conv,
        validation,
        clip_grad_norm,
        data_dir: a.data_dir,
        out,
        resume: a.resume,
        limit_train,
        limit_test,
        checkpoint: a.checkpoint,
        quiet: a.quiet,
        detect_anomaly: a.detect_anomaly,
        parallelism,
    })
}

impl Config {
    /// The zoo options of the run: seed, width and every layer swap.
    pub fn zoo_options(&self) -> ZooOptions {
        ZooOptions {
            seed: self.seed,
            width: self.width,
            variant: self.synapse,
            conv_variant: self.synapse_conv,
            cell: self.rnn_cell,
            synapse_input: self.synapse_input,
        }
    }

    /// The settings that shape the model, by flag name (stored in
    /// checkpoints, checked on resume, and written to `summary.json`).
    /// Flags left at their default are left out, so checkpoints of runs
    /// that use none of them read as before.
    pub fn model_settings(&self) -> std::collections::BTreeMap<String, String> {
        let mut settings = std::collections::BTreeMap::from([
            ("width".to_string(), self.width.to_string()),
            ("synapse".to_string(), format!("{:?}", self.synapse)),
        ]);
        let defaults = ZooOptions::default();
        let mut add = |flag: &str, value: &str, default: &str| {
            if value != default {
                settings.insert(flag.to_string(), value.to_string());
            }
        };
        add(
            "synapse-conv",
            self.synapse_conv.name(),
            defaults.conv_variant.name(),
        );
        add("rnn-cell", self.rnn_cell.name(), defaults.cell.name());
        add(
            "synapse-input",
            self.synapse_input.name(),
            defaults.synapse_input.name(),
        );
        settings
    }
}

/// Checks that `path` is a readable directory.
fn check_dir(flag: &'static str, path: &Path) -> Result<(), CliError> {
    let error = |reason: String| CliError::Path {
        flag,
        path: path.to_path_buf(),
        reason,
    };
    if !path.is_dir() {
        return Err(error("not a directory".into()));
    }
    std::fs::read_dir(path)
        .map(|_| ())
        .map_err(|e| error(format!("cannot be read ({e})")))
}

/// Checks that `path` is a readable file.
fn check_file(flag: &'static str, path: &Path) -> Result<(), CliError> {
    let error = |reason: String| CliError::Path {
        flag,
        path: path.to_path_buf(),
        reason,
    };
    if !path.is_file() {
        return Err(error("no such file".into()));
    }
    std::fs::File::open(path)
        .map(|_| ())
        .map_err(|e| error(format!("cannot be read ({e})")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conv_flag() {
        assert_eq!(parse_args(["mnist"]).unwrap().conv, Conv2dAlgorithms::Any);
        let direct = parse_args(["mnist", "--conv", "direct"]).unwrap();
        assert_eq!(direct.conv, Conv2dAlgorithms::Direct);
        let err = parse_args(["mnist", "--conv", "fast"]).unwrap_err();
        assert!(err.to_string().contains("--conv"), "{err}");
        assert!(err.to_string().contains("any, direct"), "{err}");
    }

    #[test]
    fn distributed_flags() {
        assert_eq!(
            parse_args(["mnist"]).unwrap().parallelism,
            Parallelism::SingleProcess
        );
        let err = parse_args(["mnist", "--sync-batch-norm"]).unwrap_err();
        assert!(err.to_string().contains("needs --distributed"), "{err}");
        // Ranks as threads, with or without SyncBatchNorm; one rank is one
        // process.
        assert_eq!(
            parse_args(["mnist", "--ranks", "2"]).unwrap().parallelism,
            Parallelism::Threads {
                ranks: 2,
                batch_norm: BatchNormSync::PerRank
            }
        );
        assert_eq!(
            parse_args(["mnist", "--ranks", "3", "--sync-batch-norm"])
                .unwrap()
                .parallelism,
            Parallelism::Threads {
                ranks: 3,
                batch_norm: BatchNormSync::Sync
            }
        );
        assert_eq!(
            parse_args(["mnist", "--ranks", "1"]).unwrap().parallelism,
            Parallelism::SingleProcess
        );
        for (args, says) in [
            (&["mnist", "--ranks", "0"][..], "--ranks"),
            (
                &["mnist", "--ranks", "1", "--sync-batch-norm"][..],
                "needs --distributed",
            ),
            (
                &["mnist", "--ranks", "2", "--distributed"][..],
                "do not go together",
            ),
        ] {
            let err = parse_args(args.iter().copied()).unwrap_err().to_string();
            assert!(err.contains(says), "{args:?}: {err}");
        }
        let distributed = parse_args(["mnist", "--distributed", "--sync-batch-norm"]);
        if MPI_BUILT {
            assert_eq!(
                distributed.unwrap().parallelism,
                Parallelism::Mpi(BatchNormSync::Sync)
            );
            let eval = parse_args(["mnist", "--distributed", "--eval-only"]);
            assert!(eval.is_err());
        } else {
            let err = distributed.unwrap_err().to_string();
            assert!(err.contains("synann-examples/mpi"), "{err}");
        }
    }
}
