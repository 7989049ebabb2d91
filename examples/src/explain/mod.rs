//! Explainability: what the Synapse layers of a trained model learned.
//!
//! A Synapse layer's inhibition matrix B says how strongly input j inhibits
//! output i (B[i, j] > 0) or disinhibits it (B[i, j] < 0, a factor
//! 1 − B·x above 1); see [`links`]. [`run`] reads a checkpoint, finds its
//! Synapse tensors, draws each B as a heat map ([`heatmap`]) and lists its
//! strongest links; `examples/explain.rs` is its command line ([`cli`]):
//!
//! ```text
//! cargo run --release --example explain -- --checkpoint runs/mnist-seed-torch/best.safetensors
//! cargo run --release --example explain -- --checkpoint runs/mnist-syna-rnn/last.ckpt.safetensors --model syna-rnn --top 5
//! ```
//!
//! **Which tensors.** With `--model`, the weights are loaded strictly into
//! that zoo model (any missing, unexpected or misshapen tensor is an
//! error) and its Synapse tensors are those of [`zoo_synapses`], each with
//! its layer's [`BParam`] applied (B = sigmoid(W) for the recurrent cell of
//! `syna-rnn`). Without it the tensors are read directly, shown raw, and
//! picked by [`is_synapse_tensor`]'s rule on names and shapes.
//!
//! **Convolutional synapses.** A `SynapseConv2d` B is [C, C, k, k]: the heat
//! map shows, for each pair of channels, Σ |B[i, j, ·, ·]| over the k × k
//! window (signs inside a window could cancel), and the links are ranked by
//! the signed sum Σ B[i, j, ·, ·], the net inhibition of channel i by
//! channel j.

pub mod cli;
pub mod heatmap;
pub mod links;

use cli::Config;
use links::{links_table, strongest_disinhibitory, strongest_inhibitory, Link, Matrix};
use std::fmt;
use std::path::{Path, PathBuf};
use synann::layers::BParam;
use synann::zoo::{self, ZooError, ZooOptions};
use synann_autograd::Var;
use synann_nn::checkpoint::{safetensors_from_bytes, training, CheckpointError};
use synann_nn::state_dict::{load_state_dict, StateDict, StateDictError, Strict};
use synann_tensor::Tensor;
use synann_train::plot::PlotError;

/// Why [`run`] (or [`cli::parse_args`]) failed; every message is one line.
#[derive(Debug)]
pub enum ExplainError {
    /// `--help` or `--version`: the text to print (exit status 0).
    Help(String),
    /// clap rejected the command line: its first line.
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
    /// The checkpoint file does not exist.
    NotFound(PathBuf),
    /// The checkpoint could not be read or is corrupt.
    Checkpoint {
        /// The file.
        path: PathBuf,
        /// What went wrong (boxed: it is large, and errors are rare).
        source: Box<CheckpointError>,
    },
    /// The model name is not in the zoo.
    Model(ZooError),
    /// The checkpoint does not fit the model given with `--model`.
    Mismatch {
        /// The model.
        model: String,
        /// The first tensor that does not fit.
        source: StateDictError,
    },
    /// The checkpoint holds no Synapse tensor.
    NoSynapse {
        /// The file.
        path: PathBuf,
        /// How many tensors it holds.
        tensors: usize,
    },
    /// The output folder could not be created.
    Output {
        /// The folder.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Drawing a heat map failed.
    Plot(PlotError),
}

impl fmt::Display for ExplainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExplainError::Help(text) => write!(f, "{text}"),
            ExplainError::Usage(line) => write!(f, "{line} (see --help)"),
            ExplainError::Invalid {
                flag,
                value,
                reason,
            } => write!(f, "invalid value `{value}` for --{flag}: {reason}"),
            ExplainError::NotFound(path) => write!(f, "no checkpoint at {}", path.display()),
            ExplainError::Checkpoint { path, source } => write!(f, "{}: {source}", path.display()),
            ExplainError::Model(e) => write!(f, "{e}"),
            ExplainError::Mismatch { model, source } => {
                write!(f, "the checkpoint does not fit {model}: {source}")
            }
            ExplainError::NoSynapse { path, tensors } => write!(
                f,
                "{}: none of its {tensors} tensors is a Synapse inhibition matrix",
                path.display()
            ),
            ExplainError::Output { path, source } => {
                write!(f, "cannot create {}: {source}", path.display())
            }
            ExplainError::Plot(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ExplainError {}

impl ExplainError {
    /// The program's exit status for this error, by the convention of
    /// every program in `examples/`: 0 for `--help`, 2 for a wrong command
    /// line (a bad flag or value, a checkpoint that does not exist, an
    /// unknown model), 1 for a failure while running (a corrupt checkpoint,
    /// one that does not fit the model, nothing to draw, a write error).
    pub fn exit_status(&self) -> u8 {
        match self {
            ExplainError::Help(_) => 0,
            ExplainError::Usage(_)
            | ExplainError::Invalid { .. }
            | ExplainError::NotFound(_)
            | ExplainError::Model(_) => 2,
            ExplainError::Checkpoint { .. }
            | ExplainError::Mismatch { .. }
            | ExplainError::NoSynapse { .. }
            | ExplainError::Output { .. }
            | ExplainError::Plot(_) => 1,
        }
    }
}

/// A Synapse tensor of a zoo model: its parameter name and how its weight
/// becomes B.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SynapseSpec {
    /// The parameter's dotted name (`fcn.weight`).
    pub name: &'static str,
    /// The layer's parameterisation.
    pub param: BParam,
}

const fn spec(name: &'static str, param: BParam) -> SynapseSpec {
    SynapseSpec { name, param }
}

/// The Synapse tensors of the zoo model `model` (see `synann::zoo`), or
/// `None` for a name not in the zoo.
pub fn zoo_synapses(model: &str) -> Option<&'static [SynapseSpec]> {
    const SEED_TORCH: &[SynapseSpec] = &[spec("fcn.weight", BParam::Raw)];
    const SYNAPSE: &[SynapseSpec] = &[spec("synapse.weight", BParam::Raw)];
    const SYNA_CNN: &[SynapseSpec] = &[
        spec("synapse_conv.weight", BParam::Raw),
        spec("synapse.weight", BParam::Raw),
    ];
    const SYNA_RNN: &[SynapseSpec] = &[
        spec("rnn.synapse_weight", BParam::Sigmoid),
        spec("synapse.weight", BParam::Raw),
    ];
    match model {
        "seed-torch" => Some(SEED_TORCH),
        "seed-keras" | "syna-mlp" => Some(SYNAPSE),
        "syna-cnn" => Some(SYNA_CNN),
        "syna-rnn" => Some(SYNA_RNN),
        _ => None,
    }
}

/// The rule that picks Synapse tensors when no model is given: a
/// `<layer>.weight` whose layer's own name is `fcn` or contains `synapse`
/// (`fcn.weight`, `synapse.weight`, `synapse_conv.weight`), or a
/// `<cell>.synapse_weight` (a `SynapseRNNCell`), whose shape is square
/// [n, n] or, for a convolutional synapse, [C, C, k, k].
///
/// ```
/// use synann_examples::explain::is_synapse_tensor;
/// assert!(is_synapse_tensor("fcn.weight", &[64, 64]));
/// assert!(is_synapse_tensor("synapse_conv.weight", &[32, 32, 3, 3]));
/// assert!(is_synapse_tensor("rnn.synapse_weight", &[128, 128]));
/// assert!(!is_synapse_tensor("fcn.bias", &[64]));
/// assert!(!is_synapse_tensor("fc1.weight", &[64, 64]));
/// ```
pub fn is_synapse_tensor(name: &str, shape: &[usize]) -> bool {
    let (layer, field) = name.rsplit_once('.').unwrap_or(("", name));
    let layer = layer.rsplit('.').next().unwrap_or("");
    let named = match field {
        "weight" => layer == "fcn" || layer.contains("synapse"),
        "synapse_weight" => true,
        _ => false,
    };
    let square = match shape {
        [n, m] => n == m,
        [c, d, k, l] => c == d && k == l,
        _ => false,
    };
    named && square
}

/// Reads the model tensors of a state dict or of a training checkpoint
/// (whose `model.<name>` tensors become `<name>`).
pub fn read_checkpoint(path: &Path) -> Result<StateDict<f32>, ExplainError> {
    if !path.is_file() {
        return Err(ExplainError::NotFound(path.to_path_buf()));
    }
    let failed = |source| ExplainError::Checkpoint {
        path: path.to_path_buf(),
        source: Box::new(source),
    };
    let bytes = std::fs::read(path).map_err(|source| {
        failed(CheckpointError::Io {
            path: path.to_path_buf(),
            source,
        })
    })?;
    let (dict, meta) = safetensors_from_bytes::<f32>(&bytes).map_err(failed)?;
    if meta.get("format").map(String::as_str) != Some(training::FORMAT) {
        return Ok(dict);
    }
    Ok(dict
        .iter()
        .filter_map(|(name, t)| Some((name.strip_prefix("model.")?.to_string(), t.clone())))
        .collect())
}

/// What [`run`] found about one Synapse tensor.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerReport {
    /// The tensor's name (`fcn.weight`).
    pub name: String,
    /// Its shape: [n, n], or [C, C, k, k] for a convolutional synapse.
    pub shape: Vec<usize>,
    /// The parameterisation applied (raw without `--model`).
    pub param: BParam,
    /// The smallest entry of B.
    pub min: f64,
    /// The largest entry of B.
    pub max: f64,
    /// The strongest inhibitions, largest B first.
    pub inhibitory: Vec<Link>,
    /// The strongest disinhibitions, most negative B first.
    pub disinhibitory: Vec<Link>,
    /// The heat map, PNG.
    pub png: PathBuf,
    /// The heat map, SVG.
    pub svg: PathBuf,
}

/// Everything [`run`] found; its `Display` is the text the example prints.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// The checkpoint read.
    pub checkpoint: PathBuf,
    /// The model it was loaded into, if any.
    pub model: Option<String>,
    /// One entry per Synapse tensor: in the model's order with `--model`,
    /// else in the file's (sorted by name).
    pub layers: Vec<LayerReport>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match &self.model {
            Some(m) => format!("loaded into {m}"),
            None => "tensors read directly, B shown raw".to_string(),
        };
        writeln!(f, "{} ({source})", self.checkpoint.display())?;
        for l in &self.layers {
            let b = match l.param {
                BParam::Raw => "B = W",
                BParam::Sigmoid => "B = sigmoid(W)",
                BParam::Clamped => "B = clamp(W, 0, 1)",
            };
            writeln!(f)?;
            writeln!(
                f,
                "{} {:?}: {b}, min {:.6}, max {:.6}",
                l.name, l.shape, l.min, l.max
            )?;
            if l.shape.len() == 4 {
                writeln!(
                    f,
                    "  (channel links, ranked by the sum of B over the window)"
                )?;
            }
            writeln!(f, "  heat map: {} and {}", l.png.display(), l.svg.display())?;
            let title = "strongest inhibitory links (largest B[i, j] > 0)";
            write!(f, "{}", links_table(title, &l.inhibitory))?;
            let title = "strongest disinhibitory links (most negative B[i, j]: 1 - B*x > 1)";
            write!(f, "{}", links_table(title, &l.disinhibitory))?;
        }
        Ok(())
    }
}

/// The Synapse tensors of `dict` with their parameterisation: per
/// [`zoo_synapses`] after a strict load into `config.model` (built with
/// `config.width`), else per
/// [`is_synapse_tensor`] and raw.
fn synapse_tensors(
    dict: &StateDict<f32>,
    config: &Config,
) -> Result<Vec<(String, Tensor<f32>, BParam)>, ExplainError> {
    let Some(name) = config.model.as_deref() else {
        return Ok(dict
            .iter()
            .filter(|(n, t)| is_synapse_tensor(n, t.shape()))
            .map(|(n, t)| (n.to_string(), t.clone(), BParam::Raw))
            .collect());
    };
    let options = ZooOptions {
        width: config.width,
        ..ZooOptions::default()
    };
    let built = zoo::build(name, &options).map_err(ExplainError::Model)?;
    load_state_dict(built.model.as_ref(), dict, Strict::Yes).map_err(|source| {
        ExplainError::Mismatch {
            model: name.to_string(),
            source,
        }
    })?;
    let params = built.model.named_parameters();
    let specs = zoo_synapses(name).unwrap_or(&[]);
    Ok(specs
        .iter()
        .filter_map(|s| {
            let (_, var) = params.iter().find(|(n, _)| n == s.name)?;
            let t = var.value().clone();
            is_synapse_tensor(s.name, t.shape()).then(|| (s.name.to_string(), t, s.param))
        })
        .collect())
}

/// B = param(W), as `f64`.
fn effective(w: &Tensor<f32>, param: BParam) -> Tensor<f64> {
    let b = param.apply(&Var::constant(w.cast::<f64>()));
    let value = b.value().clone();
    value
}

/// The matrix drawn and the matrix ranked for a B of shape [n, n] or
/// [C, C, k, k] (Σ |B| and Σ B over each window).
fn matrices(b: &Tensor<f64>) -> (Matrix, Matrix) {
    let (rows, cols) = (b.shape()[0], b.shape()[1]);
    if b.rank() == 2 {
        let m = Matrix::new(rows, cols, b.data().to_vec());
        return (m.clone(), m);
    }
    let window = b.numel() / (rows * cols).max(1);
    let sums = |f: fn(f64) -> f64| {
        let values = b
            .data()
            .chunks(window)
            .map(|w| w.iter().map(|&v| f(v)).sum())
            .collect();
        Matrix::new(rows, cols, values)
    };
    (sums(f64::abs), sums(|v| v))
}

/// A file name from a tensor name: anything but letters, digits, `.`, `-`
/// and `_` becomes `_`.
fn file_stem(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '-' | '_' => c,
            _ => '_',
        })
        .collect()
}

/// Reads `config.checkpoint`, draws a heat map of every Synapse tensor into
/// `config.out` (`<name>.png` and `<name>.svg`) and returns its strongest
/// links. Nothing is printed; the example prints the [`Report`].
pub fn run(config: &Config) -> Result<Report, ExplainError> {
    let dict = read_checkpoint(&config.checkpoint)?;
    let tensors = synapse_tensors(&dict, config)?;
    if tensors.is_empty() {
        return Err(ExplainError::NoSynapse {
            path: config.checkpoint.clone(),
            tensors: dict.len(),
        });
    }
    std::fs::create_dir_all(&config.out).map_err(|source| ExplainError::Output {
        path: config.out.clone(),
        source,
    })?;
    let mut layers = Vec::new();
    for (name, w, param) in tensors {
        let b = effective(&w, param);
        let (heat, ranked) = matrices(&b);
        let stem = file_stem(&name);
        let (png, svg) = (
            config.out.join(format!("{stem}.png")),
            config.out.join(format!("{stem}.svg")),
        );
        let what = match (b.rank(), param) {
            (4, _) => format!("Σ|B| over the {0}×{0} window", b.shape()[2]),
            (_, BParam::Raw) => "B = W".to_string(),
            (_, BParam::Sigmoid) => "B = sigmoid(W)".to_string(),
            (_, BParam::Clamped) => "B = clamp(W, 0, 1)".to_string(),
        };
        let title = format!(
            "{name}  ({what}; min {:.4}, max {:.4})",
            heat.min(),
            heat.max()
        );
        heatmap::draw_heatmap(&heat, &title, &png, &svg).map_err(ExplainError::Plot)?;
        layers.push(LayerReport {
            shape: b.shape().to_vec(),
            param,
            min: b.data().iter().copied().fold(f64::INFINITY, f64::min),
            max: b.data().iter().copied().fold(f64::NEG_INFINITY, f64::max),
            inhibitory: strongest_inhibitory(&ranked, config.top),
            disinhibitory: strongest_disinhibitory(&ranked, config.top),
            name,
            png,
            svg,
        });
    }
    Ok(Report {
        checkpoint: config.checkpoint.clone(),
        model: config.model.clone(),
        layers,
    })
}
