//! The memory soak test (`examples/memory_soak.rs`): trains a zoo model for
//! many steps and samples the resident memory and the number of live graph
//! nodes, to show that a training loop's memory stays bounded.
//!
//! ```
//! use synann_examples::soak::parse_args;
//! let args = parse_args(["memory_soak", "--steps", "600"]).unwrap();
//! assert_eq!((args.steps, args.batch_size), (600, 100));
//! assert!(parse_args(["memory_soak", "--steps", "0"]).is_err());
//! assert!(parse_args(["memory_soak", "--bogus"]).is_err());
//! ```

use crate::bench::memory::rss_mib;
use clap::Parser;
use std::fmt;
use std::path::PathBuf;
use synann::zoo::{self, ZooOptions, MODEL_NAMES};
use synann_autograd::{live_nodes, Var};
use synann_datasets::{Dataset, LoadOptions, Mnist, Pass};
use synann_nn::Mode;
use synann_train::evaluate::batch_loss;
use synann_train::setup::build_optimizer;

/// The flags, as clap parses them.
#[derive(Parser, Debug)]
#[command(
    name = "memory_soak",
    about = "Train for many steps, printing RSS and live graph nodes"
)]
struct Flags {
    /// Zoo model to train.
    #[arg(long, default_value = "seed-torch")]
    model: String,
    /// Optimizer steps.
    #[arg(long, default_value_t = 5000)]
    steps: usize,
    /// Batch size.
    #[arg(long, default_value_t = 100)]
    batch_size: usize,
    /// Print a sample every N steps.
    #[arg(long, default_value_t = 250)]
    every: usize,
    /// The step after which growth is measured (the warm-up).
    #[arg(long, default_value_t = 500)]
    warmup: usize,
    /// Threads of the compute pool.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Directory holding the MNIST files (default: the usual search).
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

/// A validated soak configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct SoakArgs {
    /// Zoo model name.
    pub model: String,
    /// Optimizer steps.
    pub steps: usize,
    /// Batch size.
    pub batch_size: usize,
    /// Sampling period, in steps.
    pub every: usize,
    /// Warm-up steps before growth is measured.
    pub warmup: usize,
    /// Threads of the compute pool.
    pub threads: usize,
    /// MNIST directory (`None`: the default search).
    pub data_dir: Option<PathBuf>,
}

/// A rejected command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SoakCliError {
    /// `--help` was asked for: the text to print (exit status 0).
    Help(String),
    /// An unknown flag, a bad or out-of-range value, or a bad path: one line.
    Usage(String),
}

impl fmt::Display for SoakCliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SoakCliError::Help(text) => write!(f, "{text}"),
            SoakCliError::Usage(line) => write!(f, "{line} (see --help)"),
        }
    }
}

impl std::error::Error for SoakCliError {}

/// Parses and validates the command line (`args[0]` is the program name).
pub fn parse_args<I, S>(args: I) -> Result<SoakArgs, SoakCliError>
where
    I: IntoIterator<Item = S>,
    S: Into<std::ffi::OsString> + Clone,
{
    let f = Flags::try_parse_from(args).map_err(|e| {
        use clap::error::ErrorKind;
        let text = e.to_string();
        match e.kind() {
            ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => SoakCliError::Help(text),
            _ => {
                let line = text.lines().next().unwrap_or("invalid arguments");
                SoakCliError::Usage(line.trim_start_matches("error: ").to_string())
            }
        }
    })?;
    let usage = |msg: String| Err(SoakCliError::Usage(msg));
    for (flag, v) in [
        ("steps", f.steps),
        ("batch-size", f.batch_size),
        ("every", f.every),
        ("threads", f.threads),
    ] {
        if v == 0 {
            return usage(format!(
                "invalid value `0` for --{flag}: must be at least 1"
            ));
        }
    }
    if f.warmup >= f.steps {
        return usage(format!(
            "invalid value `{}` for --warmup: must be less than --steps ({})",
            f.warmup, f.steps
        ));
    }
    if !MODEL_NAMES.contains(&f.model.as_str()) {
        return usage(format!(
            "invalid value `{}` for --model: known models: {}",
            f.model,
            MODEL_NAMES.join(", ")
        ));
    }
    if let Some(dir) = &f.data_dir {
        if !dir.is_dir() {
            return usage(format!("--data-dir {}: not a directory", dir.display()));
        }
    }
    Ok(SoakArgs {
        model: f.model,
        steps: f.steps,
        batch_size: f.batch_size,
        every: f.every,
        warmup: f.warmup,
        threads: f.threads,
        data_dir: f.data_dir,
    })
}

/// One sample of the soak: after `step` steps, the resident memory (MiB,
/// `None` off Linux) and the live graph nodes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    /// Steps taken.
    pub step: usize,
    /// VmRSS, in MiB.
    pub rss_mib: Option<f64>,
    /// [`live_nodes`] after the step.
    pub live_nodes: usize,
}

/// Trains `args.model` on MNIST for `args.steps` steps (cycling over
/// epochs), calling `report` with a [`Sample`] after step 1 and every
/// `args.every` steps, and returns all the samples. Runs in the current
/// rayon pool.
pub fn run(
    args: &SoakArgs,
    mut report: impl FnMut(&Sample),
) -> Result<Vec<Sample>, Box<dyn std::error::Error>> {
    let mnist = Mnist::load_with(&LoadOptions {
        dir: args.data_dir.clone(),
        limit: None,
    })?;
    let zoo_model = zoo::build(&args.model, &ZooOptions::default())?;
    let (mut model, recipe) = (zoo_model.model, zoo_model.recipe);
    let train = zoo_model.input.of(&mnist.train);
    let mut optimizer = build_optimizer(recipe.optimizer, model.parameters(), recipe.lr)?;
    let mut samples = Vec::new();
    let mut step = 0;
    for epoch in 0.. {
        for (images, labels) in train.batches(args.batch_size, Pass::Train { seed: 0 }, epoch) {
            let output = model.forward(&Var::constant(images), Mode::Train);
            let loss = batch_loss(&output, &labels, &recipe);
            if !loss.value().item().is_finite() {
                return Err(format!("the loss is not finite at step {}", step + 1).into());
            }
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            drop((output, loss));
            step += 1;
            if step == 1 || step % args.every == 0 || step == args.steps {
                let sample = Sample {
                    step,
                    rss_mib: rss_mib(),
                    live_nodes: live_nodes(),
                };
                report(&sample);
                samples.push(sample);
            }
            if step == args.steps {
                return Ok(samples);
            }
        }
    }
    unreachable!("the epoch loop only ends by returning")
}

/// The growth of the resident memory from the last sample at or before
/// step `warmup` to the last sample: (MiB, percent); `None` without RSS.
pub fn growth(samples: &[Sample], warmup: usize) -> Option<(f64, f64)> {
    let start = samples.iter().rev().find(|s| s.step <= warmup)?.rss_mib?;
    let end = samples.last()?.rss_mib?;
    Some((end - start, 100.0 * (end - start) / start))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_flags_are_one_line_usage_errors() {
        for args in [
            &["memory_soak", "--bogus"][..],
            &["memory_soak", "--steps", "ten"],
            &["memory_soak", "--batch-size", "0"],
            &["memory_soak", "--steps", "100", "--warmup", "100"],
            &["memory_soak", "--model", "resnet"],
            &["memory_soak", "--data-dir", "/no/such/dir"],
        ] {
            match parse_args(args) {
                Err(SoakCliError::Usage(line)) => assert!(!line.contains('\n'), "{line}"),
                other => panic!("{args:?}: {other:?}"),
            }
        }
        assert!(matches!(
            parse_args(["memory_soak", "--help"]),
            Err(SoakCliError::Help(_))
        ));
    }

    #[test]
    fn growth_is_measured_from_the_warm_up() {
        let s = |step, rss| Sample {
            step,
            rss_mib: Some(rss),
            live_nodes: 0,
        };
        let samples = [s(1, 50.0), s(500, 100.0), s(750, 101.0), s(1000, 102.0)];
        assert_eq!(growth(&samples, 500), Some((2.0, 2.0)));
        assert_eq!(growth(&samples[..1], 500), Some((0.0, 0.0)));
    }
}
