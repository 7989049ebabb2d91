//! The MNIST main job: train a zoo model, evaluate a checkpoint, or print
//! its predictions.
//!
//! ```text
//! cargo run --release --example mnist                       # train the default model
//! cargo run --release --example mnist -- --model syna-mlp --epochs 3
//! cargo run --release --example mnist -- --resume runs/mnist-seed-torch/last.ckpt.safetensors
//! cargo run --release --example mnist -- --eval-only --checkpoint runs/mnist-seed-torch/best.safetensors
//! cargo run --release --example mnist -- --predict 20 --checkpoint runs/mnist-seed-torch/best.safetensors
//! cargo build --release --example mnist --features synann-examples/mpi
//! mpirun -np 4 target/release/examples/mnist --distributed --threads 1 --model seed-keras
//! ```
//!
//! Training writes into `--out` (default `runs/mnist-<model>/`):
//! `metrics.csv`, `curves.svg`, `curves.png`, `best.safetensors`,
//! `last.ckpt.safetensors` after every epoch and `summary.json` at the end.
//! The last line printed is `test_accuracy=<fraction>` (with `--predict N`,
//! `predicted_accuracy=<fraction>` of the N images shown). Ctrl-C stops a
//! run; `--resume <out>/last.ckpt.safetensors` continues it from the last
//! completed epoch (resuming a finished run says so and trains nothing). With
//! `--detect-anomaly`, the first NaN or infinity produced by an op stops
//! training with a one-line error naming the op, the layer and the step. Any
//! bad flag, value or path (a `--data-dir` without the MNIST files
//! included) is a one-line error and exit status 2; a failure during the
//! run is a one-line error and exit status 1 (see
//! [`synann_examples::cli::failure_status`]).
//!
//! With `--distributed` (a build with `--features mpi`, started by
//! `mpirun`) each process is one rank of a data-parallel run: the global
//! batch and the recipe stay as configured, `--threads` is per rank, rank
//! 0 alone prints and writes the outputs, and an error on any rank ends the
//! whole job (`MPI_Abort`). With `--ranks N` the ranks are N threads of
//! this one process instead (no MPI needed), `--threads` each. See
//! docs/DISTRIBUTED.md.

use std::process::ExitCode;
use synann::zoo::{self, ZooModel};
use synann_datasets::{Dataset, LoadOptions, Mnist};
use synann_examples::cli::{failure_status, parse_args, CliError, Config, Parallelism, Task};
use synann_train::distributed::{run_thread_ranks, BatchNormSync, Distributed};
use synann_train::setup::Overrides;
use synann_train::summary::{best_validation_epoch, host_cpu, Summary};
use synann_train::trainer::LAST_FILE;
use synann_train::{evaluate, load_weights, TrainError, TrainOptions, Trainer};

/// The seed of the validation split (`--validation`): fixed, so that every
/// run of a study, whatever its `--seed`, validates on the same images.
const VALIDATION_SPLIT_SEED: u64 = 0x5EED_5A11_DA7E_0001;

fn main() -> ExitCode {
    let config = match parse_args(std::env::args_os()) {
        Ok(c) => c,
        Err(CliError::Help(text)) => {
            print!("{text}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Parallelism::Threads { ranks, batch_norm } = config.parallelism {
        return match train_on_thread_ranks(&config, ranks, batch_norm) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(failure_status(&*e))
            }
        };
    }
    // MPI stays initialised until the end of main (this handle outlives the
    // trainer's), so that a failing rank can still end the job.
    let distributed = match distributed(&config) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    match run(&config, distributed.clone()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            if distributed.is_some() {
                // The other ranks would wait for this one forever.
                abort_job();
            }
            ExitCode::from(failure_status(&*e))
        }
    }
}

/// Ends every rank of the MPI job (`MPI_Abort`, exit status 1).
#[cfg(feature = "mpi")]
fn abort_job() {
    synann_train::distributed::mpi::abort(1)
}

/// Without MPI there is no job to end (`--distributed` is refused).
#[cfg(not(feature = "mpi"))]
fn abort_job() {}

/// The data-parallel context of `--distributed` (MPI is initialised here).
#[cfg(feature = "mpi")]
fn distributed(config: &Config) -> Result<Option<Distributed>, AnyError> {
    match config.parallelism {
        // (`--ranks` is handled before: main calls `train_on_thread_ranks`.)
        Parallelism::SingleProcess | Parallelism::Threads { .. } => Ok(None),
        Parallelism::Mpi(batch_norm) => Ok(Some(Distributed::from_mpi(batch_norm)?)),
    }
}

/// Without MPI, no MPI context (`parse_args` refuses `--distributed`).
#[cfg(not(feature = "mpi"))]
fn distributed(_config: &Config) -> Result<Option<Distributed>, AnyError> {
    Ok(None)
}

type AnyError = Box<dyn std::error::Error + Send + Sync>;

/// `--ranks N`: trains on N threads of this process, each a rank with
/// `--threads` threads of its own; the data are loaded once and shared.
fn train_on_thread_ranks(
    config: &Config,
    ranks: usize,
    batch_norm: BatchNormSync,
) -> Result<(), AnyError> {
    synann_tensor::conv::set_conv2d_algorithms(config.conv);
    let mnist = load_data(config)?;
    run_thread_ranks(ranks, config.threads, batch_norm, |d| {
        let zoo_model = zoo::build(&config.model, &config.zoo_options())?;
        train(config, &mnist, zoo_model, Some(d))
    })?;
    Ok(())
}

fn run(config: &Config, distributed: Option<Distributed>) -> Result<(), AnyError> {
    synann_tensor::parallel::init_global_pool(config.threads)?;
    synann_tensor::memory::retain_freed_memory();
    synann_tensor::conv::set_conv2d_algorithms(config.conv);
    let mnist = load_data(config)?;
    let options = config.zoo_options();
    let zoo_model = zoo::build(&config.model, &options)?;
    match config.task {
        Task::Train => train(config, &mnist, zoo_model, distributed),
        Task::Evaluate | Task::Predict(_) => inspect(config, &mnist, zoo_model),
    }
}

/// Loads MNIST, reading only as many images as the limits need.
fn load_data(config: &Config) -> Result<Mnist, AnyError> {
    let limit = match (config.limit_train, config.limit_test) {
        (Some(a), Some(b)) => Some(a.max(b)),
        _ => None,
    };
    let mut mnist = Mnist::load_with(&LoadOptions {
        dir: config.data_dir.clone(),
        limit,
    })?;
    if let Some(n) = config.limit_train {
        mnist.train.truncate(n);
    }
    if let Some(n) = config.limit_test {
        mnist.test.truncate(n);
    }
    Ok(mnist)
}

fn train(
    config: &Config,
    mnist: &Mnist,
    zoo_model: ZooModel,
    distributed: Option<Distributed>,
) -> Result<(), AnyError> {
    // The validation images are the same for every seed of a study.
    let (train_set, validation) = match config.validation {
        Some(n) => {
            let (train, val) = mnist.train.split_validation(n, VALIDATION_SPLIT_SEED)?;
            (train, Some(val))
        }
        None => (mnist.train.clone(), None),
    };
    let overrides = Overrides {
        epochs: config.epochs,
        batch_size: config.batch_size,
        lr: config.lr,
        optimizer: config
            .optimizer
            .map(|o| o.resolve(zoo_model.recipe.optimizer)),
    };
    let recipe = overrides.apply(&zoo_model.recipe);
    let train_options = TrainOptions {
        clip_grad_norm: config.clip_grad_norm,
        quiet: config.quiet,
        detect_anomaly: config.detect_anomaly,
        out_dir: Some(config.out.clone()),
        settings: config.model_settings(),
        ..TrainOptions::new(&config.model, config.seed)
    };
    let input = zoo_model.input;
    let mut trainer = Trainer::new(recipe, train_options, zoo_model.model, train_set.len())?;
    let world_size = distributed.as_ref().map_or(1, Distributed::world_size);
    if let Some(d) = distributed {
        trainer = trainer.with_distributed(d)?;
    }
    // Only rank 0 of a distributed run prints (the others train silently).
    let root = trainer.is_root();
    macro_rules! say {
        ($($arg:tt)*) => { if root { println!($($arg)*); } };
    }
    if let Some(path) = &config.resume {
        trainer.resume(path)?;
        say!(
            "resumed from {} after epoch {}",
            path.display(),
            trainer.epoch()
        );
    }
    let parameters = trainer.model().num_parameters();
    let held_out = validation.as_ref().map_or(String::new(), |v| {
        format!(" ({} held out for validation)", v.len())
    });
    let ranks = match world_size {
        1 => String::new(),
        n => format!(" per rank, {n} ranks"),
    };
    say!(
        "model {} ({} parameters), {} training{held_out} and {} test images, {} threads{ranks}",
        config.model,
        parameters,
        train_set.len(),
        mnist.test.len(),
        config.threads
    );
    if trainer.is_finished() {
        let path = config
            .resume
            .as_ref()
            .expect("only a resumed run starts finished");
        say!(
            "nothing to train: {} has completed all {} epochs (pass a larger --epochs to continue)",
            path.display(),
            trainer.recipe().epochs
        );
        let last = trainer.history().last().map_or(0.0, |m| m.test_acc);
        say!("test_accuracy={last}");
        return Ok(());
    }
    say!(
        "Ctrl-C stops the run; --resume {} continues it from the last completed epoch",
        config.out.join(LAST_FILE).display()
    );
    let first_epoch = trainer.epoch();
    while trainer.epoch() < trainer.recipe().epochs {
        let validation = validation.as_ref().map(|v| input.of(v));
        let m = trainer.run_epoch(
            &input.of(&train_set),
            validation.as_ref().map(|v| v as &dyn Dataset),
            &input.of(&mnist.test),
        )?;
        let val = m
            .val_acc
            .map_or(String::new(), |v| format!("  val acc {:.2}%", 100.0 * v));
        say!(
            "epoch {:>3}  lr {:.2e}  train loss {:.4} acc {:.2}%{val}  test loss {:.4} acc {:.2}%  {:.1}s",
            m.epoch,
            m.lr,
            m.train_loss,
            100.0 * m.train_acc,
            m.test_loss,
            100.0 * m.test_acc,
            m.seconds
        );
    }
    let history = trainer.history();
    let trained = &history[first_epoch.min(history.len())..];
    let train_seconds: f64 = trained.iter().map(|m| m.seconds).sum();
    let final_acc = history.last().map_or(0.0, |m| m.test_acc);
    let best_val = best_validation_epoch(history);
    let summary = Summary {
        model: config.model.clone(),
        epochs: trainer.epoch(),
        final_test_accuracy: final_acc,
        best_test_accuracy: history.iter().map(|m| m.test_acc).fold(0.0, f64::max),
        wall_seconds: trainer.wall_seconds(),
        samples_per_second: (trained.len() * train_set.len()) as f64 / train_seconds.max(1e-9),
        threads: config.threads,
        parameters,
        mean_epoch_seconds: train_seconds / trained.len().max(1) as f64,
        cpu: host_cpu(),
        settings: summary_settings(config, world_size),
        validation_images: validation.as_ref().map(|v| v.len()),
        final_val_accuracy: history.last().and_then(|m| m.val_acc),
        best_val_epoch: best_val.map(|(epoch, _)| epoch),
        test_accuracy_at_best_val: best_val.map(|(_, test)| test),
    };
    if root {
        summary.write(&config.out.join("summary.json"))?;
    }
    say!(
        "best test accuracy {:.2}%, {:.0} images/s, {:.1}s; outputs in {}",
        100.0 * summary.best_test_accuracy,
        summary.samples_per_second,
        summary.wall_seconds,
        config.out.display()
    );
    say!("test_accuracy={final_acc}");
    Ok(())
}

/// The model settings, plus the world size of a distributed run (kept out
/// of the checkpoint's settings, so a run resumes on any world size).
fn summary_settings(
    config: &Config,
    world_size: usize,
) -> std::collections::BTreeMap<String, String> {
    let mut settings = config.model_settings();
    if world_size > 1 {
        settings.insert("world_size".into(), world_size.to_string());
    }
    settings
}

/// `--eval-only` and `--predict`.
fn inspect(config: &Config, mnist: &Mnist, mut zoo_model: ZooModel) -> Result<(), AnyError> {
    let path = config.checkpoint.as_ref().expect("validated by parse_args");
    load_weights(&*zoo_model.model, path).map_err(|e| match &e {
        TrainError::WrongModel { saved_from, .. } => {
            format!("cannot load: {e} (pass --model {saved_from})")
        }
        _ => format!("cannot load {}: {e}", path.display()),
    })?;
    let test = zoo_model.input.of(&mnist.test);
    let eval = evaluate(&mut *zoo_model.model, &test, &zoo_model.recipe, 1000)?;
    if let Task::Predict(n) = config.task {
        let shown = n.min(eval.labels.len());
        println!("image  predicted  true");
        for (i, (p, t)) in eval
            .predictions
            .iter()
            .zip(&eval.labels)
            .take(n)
            .enumerate()
        {
            let mark = if p == t { "" } else { "  ✗" };
            println!("{i:>5}  {p:>9}  {t:>4}{mark}");
        }
        let correct = (eval.predictions.iter().zip(&eval.labels))
            .take(shown)
            .filter(|(p, t)| p == t)
            .count();
        // The accuracy of the images shown, not of the whole test set.
        println!(
            "predicted_accuracy={}",
            correct as f64 / shown.max(1) as f64
        );
    } else {
        println!("{}", eval.confusion_table());
        println!("test loss {:.4} on {} images", eval.loss, eval.labels.len());
        println!("test_accuracy={}", eval.accuracy);
    }
    Ok(())
}
