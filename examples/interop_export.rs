//! PyTorch interop, the Rust side: writes the files that
//! `nn/tests/reference/interop.py` compares with PyTorch.
//!
//! ```text
//! # synann → PyTorch: our model and its outputs
//! cargo run --release --example interop_export -- --out runs/interop [--seed 0] [--checkpoint PATH]
//! # PyTorch → synann: a PyTorch state_dict, run here
//! cargo run --release --example interop_export -- --out runs/interop --import torch_model.safetensors
//! ```
//!
//! Both modes build `seed-torch` from the zoo (the original PyTorch `Net`,
//! with PyTorch's parameter names) and run it in eval mode on the first
//! `--count` (64) MNIST test images, normalised as its recipe says.
//!
//! - Export (default): the model is the zoo's with `--seed`, or the weights
//!   of `--checkpoint` (a state dict or training checkpoint). Without a
//!   checkpoint, two training-mode forward passes over training images
//!   first give the batch norm non-trivial running statistics (no parameter
//!   changes). Writes `model.safetensors` (the state dict, loadable with
//!   `model.load_state_dict(load_file(...))`) and `expected.safetensors`
//!   (`input` `[N, 1, 28, 28]` F32 and `output` `[N, 10]` log-probabilities).
//! - `--import PATH`: loads a state dict saved by PyTorch
//!   (`safetensors.torch.save_file(net.state_dict(), PATH)`) strictly into
//!   the model and writes `imported.safetensors` (`input`, `output`) for the
//!   Python side to compare with its own outputs.
//!
//! `bench/interop.sh` runs both directions. A bad flag is a one-line error
//! and exit status 2; any other error a one-line error and status 1.

use clap::Parser;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use synann::zoo::{self, ZooOptions};
use synann_autograd::Var;
use synann_datasets::{LoadOptions, Mnist, Normalization};
use synann_examples::cli::{FAILURE_STATUS, USAGE_STATUS};
use synann_nn::checkpoint::{save_safetensors, Metadata};
use synann_nn::state_dict::{state_dict, StateDict};
use synann_nn::Mode;
use synann_tensor::Tensor;
use synann_train::load_weights;

/// Exports seed-torch and its outputs for PyTorch, or runs a PyTorch
/// state dict.
#[derive(Parser, Debug)]
struct Args {
    /// Directory for the output files (created if absent).
    #[arg(long, default_value = "runs/interop")]
    out: PathBuf,
    /// Seed of the model's initialisation.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Weights to export instead of the fresh model (state dict or training
    /// checkpoint).
    #[arg(long, conflicts_with = "import")]
    checkpoint: Option<PathBuf>,
    /// A state dict saved by PyTorch to load and run (import mode).
    #[arg(long)]
    import: Option<PathBuf>,
    /// Number of test images to run.
    #[arg(long, default_value_t = 64)]
    count: usize,
    /// The MNIST directory (default: the usual search path).
    #[arg(long)]
    data: Option<PathBuf>,
}

type AnyError = Box<dyn std::error::Error>;

/// The first `count` training and test images as `[N, 1, 28, 28]` tensors,
/// normalised with MNIST's mean and standard deviation if `normalize`.
fn images(
    args: &Args,
    normalization: Normalization,
) -> Result<(Tensor<f32>, Tensor<f32>), AnyError> {
    let mnist = Mnist::load_with(&LoadOptions {
        dir: args.data.clone(),
        limit: Some(args.count),
    })?;
    let prepare = |t: Tensor<f32>| {
        let Normalization::MeanStd { mean, std } = normalization else {
            return t;
        };
        let shape = t.shape().to_vec();
        let data = t.into_vec();
        let scaled = data.into_iter().map(|p| (p - mean) / std);
        Tensor::from_vec(scaled.collect(), &shape)
    };
    Ok((
        prepare(mnist.train.to_tensor()),
        prepare(mnist.test.to_tensor()),
    ))
}

/// Writes `input` and the model's `output` for it to `path`.
fn save_outputs(path: &Path, input: &Tensor<f32>, output: &Tensor<f32>) -> Result<(), AnyError> {
    let mut dict = StateDict::new();
    dict.insert("input", input.clone());
    dict.insert("output", output.clone());
    let meta = Metadata::from([("model".to_string(), "seed-torch".to_string())]);
    save_safetensors(path, &dict, &meta)?;
    Ok(())
}

fn run(args: &Args) -> Result<(), AnyError> {
    let zoo = zoo::build(
        "seed-torch",
        &ZooOptions {
            seed: args.seed,
            ..ZooOptions::default()
        },
    )?;
    let mut model = zoo.model;
    let (train, test) = images(args, zoo.input.normalization)?;
    std::fs::create_dir_all(&args.out).map_err(|e| format!("--out {}: {e}", args.out.display()))?;

    if let Some(path) = args.import.as_ref().or(args.checkpoint.as_ref()) {
        load_weights(model.as_ref(), path).map_err(|e| format!("{}: {e}", path.display()))?;
    } else {
        // Running statistics from two training-mode passes (no update of
        // the parameters: nothing calls backward or an optimizer).
        for _ in 0..2 {
            model.forward(&Var::constant(train.clone()), Mode::Train);
        }
    }

    let output = model.forward(&Var::constant(test.clone()), Mode::Eval);
    let output = output.value().clone();
    if args.import.is_some() {
        let path = args.out.join("imported.safetensors");
        save_outputs(&path, &test, &output)?;
        println!("wrote {}", path.display());
    } else {
        let model_path = args.out.join("model.safetensors");
        save_safetensors(&model_path, &state_dict(model.as_ref()), &Metadata::new())?;
        let expected_path = args.out.join("expected.safetensors");
        save_outputs(&expected_path, &test, &output)?;
        println!(
            "wrote {} and {}",
            model_path.display(),
            expected_path.display()
        );
    }
    Ok(())
}

/// Parses the command line (`args[0]` is the program name): the
/// arguments, or the exit status and the text to print (`--help`: 0 and
/// the help on stdout; a bad flag or value: 2 and one line on stderr).
fn parse_args<I, S>(args: I) -> Result<Args, (u8, String)>
where
    I: IntoIterator<Item = S>,
    S: Into<std::ffi::OsString> + Clone,
{
    let args = Args::try_parse_from(args).map_err(|e| {
        if !e.use_stderr() {
            // --help or --version.
            return (0, e.to_string());
        }
        let text = e.to_string();
        let line = text.lines().next().unwrap_or("error: invalid arguments");
        (USAGE_STATUS, format!("{line} (see --help)"))
    })?;
    if args.count == 0 {
        return Err((
            USAGE_STATUS,
            "error: invalid value `0` for --count: must be at least 1".into(),
        ));
    }
    for (flag, path) in [("checkpoint", &args.checkpoint), ("import", &args.import)] {
        if let Some(path) = path.as_ref().filter(|p| !p.is_file()) {
            return Err((
                USAGE_STATUS,
                format!(
                    "error: invalid value for --{flag}: {} is not a file",
                    path.display()
                ),
            ));
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args_os()) {
        Ok(args) => args,
        Err((0, help)) => {
            print!("{help}");
            return ExitCode::SUCCESS;
        }
        Err((status, line)) => {
            eprintln!("{line}");
            return ExitCode::from(status);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(FAILURE_STATUS)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_command_lines_are_one_line_usage_errors() {
        for args in [
            &["interop_export", "--bogus"][..],
            &["interop_export", "--count", "many"],
            &["interop_export", "--count", "0"],
            &["interop_export", "--seed", "-1"],
            &["interop_export", "--checkpoint", "a", "--import", "b"],
            &["interop_export", "--out"],
        ] {
            match parse_args(args) {
                Err((2, line)) => {
                    assert!(
                        line.starts_with("error: ") && !line.contains('\n'),
                        "{line}"
                    )
                }
                other => panic!("{args:?}: {:?}", other.map(|a| a.out)),
            }
        }
        assert!(matches!(
            parse_args(["interop_export", "--help"]),
            Err((0, _))
        ));
        assert_eq!(parse_args(["interop_export"]).unwrap().count, 64);
    }

    /// A missing file is a wrong command line (status 2), found before any
    /// work; a corrupt one fails the run (status 1 in `main`), one line.
    #[test]
    fn missing_and_corrupt_files_are_one_line_errors_not_panics() {
        let out = std::env::temp_dir().join(format!("synann-interop-{}", std::process::id()));
        std::fs::create_dir_all(&out).unwrap();
        let corrupt = out.join("corrupt.safetensors");
        std::fs::write(&corrupt, b"not a state dict").unwrap();
        let (out, corrupt) = (out.to_string_lossy(), corrupt.to_string_lossy());
        for flag in ["--checkpoint", "--import"] {
            match parse_args(["interop_export", "--out", &out, flag, "/no/such/file"]) {
                Err((2, line)) => assert!(
                    line.contains("/no/such/file") && !line.contains('\n'),
                    "{line}"
                ),
                other => panic!("{flag}: {:?}", other.map(|a| a.out)),
            }
            let args = parse_args(["interop_export", "--out", &out, flag, &corrupt]).unwrap();
            let err = run(&args).unwrap_err().to_string();
            assert!(
                err.contains("corrupt.safetensors") && !err.contains('\n'),
                "{err}"
            );
        }
        let _ = std::fs::remove_dir_all(&*out);
    }
}
