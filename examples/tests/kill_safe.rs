//! Kill-safe checkpoints: a training process killed with SIGKILL at any
//! moment, even in the middle of writing its checkpoint, leaves a file that
//! loads intact and resumes.
//!
//! The parent test re-runs this test binary (`current_exe`) with
//! `--exact child_writer --ignored`: the child trains a tiny model on 200
//! MNIST images and saves a [`TrainingCheckpoint`] through the real atomic
//! path after every step, forever. The parent kills it after a seeded random
//! delay, at least 100 times, and after each kill loads the checkpoint into
//! a fresh model and optimizer and takes one more training step. The next
//! child resumes from the file, so the step count must keep growing. A
//! stray `<file>.tmp` left by a kill during a write is ignored by loading
//! and replaced by the next write.

use crate::common;

use common::{mnist_slice, temp_dir, tiny_input, tiny_model, tiny_recipe};
use rand::{Rng, SeedableRng};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use synann_autograd::Var;
use synann_datasets::Pass;
use synann_nn::checkpoint::atomic::tmp_path;
use synann_nn::checkpoint::TrainingCheckpoint;
use synann_nn::optim::Optimizer;
use synann_nn::{Mode, Module};
use synann_tensor::random::{seeded, RngState};
use synann_train::evaluate::batch_loss;
use synann_train::setup::build_optimizer;

/// Set in the child's environment: the checkpoint file to write.
const CHILD_ENV: &str = "SYNANN_KILL_SAFE_CHECKPOINT";
/// The child's test, by its name in the merged test binary (`tests/main.rs`).
const CHILD_TEST: &str = "kill_safe::child_writer";
/// Printed by the child once it is about to start training.
const READY: &str = "kill-safe child ready";
const KILLS: usize = 100;

/// A fresh tiny model and its Adam optimizer.
fn fresh() -> (Box<dyn Module<f32>>, Box<dyn Optimizer<f32>>) {
    let model = tiny_model(16, None, 1);
    let recipe = tiny_recipe(1, 20);
    let optimizer = build_optimizer(recipe.optimizer, model.parameters(), recipe.lr).unwrap();
    (model, optimizer)
}

/// One training step on batch `index` of the 200-image epoch `epoch`;
/// returns the loss.
fn train_step(
    model: &mut dyn Module<f32>,
    optimizer: &mut dyn Optimizer<f32>,
    images: &synann_datasets::ImageSet,
    step: u64,
) -> f32 {
    let recipe = tiny_recipe(1, 20);
    let batches = tiny_input(0).loader(images, recipe.batch_size, Pass::Train { seed: 3 });
    let per_epoch = batches.len() as u64;
    let epoch = batches.epoch((step / per_epoch) as usize);
    let (x, labels) = epoch.get((step % per_epoch) as usize);
    let output = model.forward(&Var::constant(x), Mode::Train);
    let loss = batch_loss(&output, &labels, &recipe);
    let value = loss.value().item();
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    value
}

/// Loads `path` into a fresh model and optimizer; returns them and the
/// step count stored in it.
fn restore(path: &Path) -> (Box<dyn Module<f32>>, Box<dyn Optimizer<f32>>, u64) {
    let ckpt = TrainingCheckpoint::<f32>::load(path)
        .unwrap_or_else(|e| panic!("the checkpoint must load after a kill: {e}"));
    let (model, mut optimizer) = fresh();
    ckpt.restore(&*model, &mut *optimizer, None)
        .unwrap_or_else(|e| panic!("the checkpoint must fit a fresh model: {e}"));
    (model, optimizer, ckpt.global_step)
}

/// The child: resumes from the checkpoint if there is one, then trains and
/// saves after every step until it is killed.
#[test]
#[ignore = "run by kill_safe_checkpoints_survive_sigkill in a child process"]
fn child_writer() {
    let Some(path) = std::env::var_os(CHILD_ENV).map(PathBuf::from) else {
        return;
    };
    let (train, _) = mnist_slice(200, 1);
    let (mut model, mut optimizer, mut step) = if path.exists() {
        restore(&path)
    } else {
        let (m, o) = fresh();
        (m, o, 0)
    };
    println!("{READY}");
    loop {
        train_step(&mut *model, &mut *optimizer, &train, step);
        step += 1;
        let ckpt = TrainingCheckpoint::capture(
            &*model,
            &*optimizer,
            None,
            0,
            step,
            RngState::of(&seeded(step)),
        );
        ckpt.save(&path)
            .expect("the child can write its checkpoint");
    }
}

/// Starts a child writing `path` and waits until it is training.
fn spawn_child(path: &Path) -> std::process::Child {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", CHILD_TEST, "--ignored", "--nocapture"])
        .env(CHILD_ENV, path)
        .env("RAYON_NUM_THREADS", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the test binary can re-run itself");
    let stdout = child.stdout.take().unwrap();
    let ready = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .any(|line| line == READY);
    assert!(ready, "the child exited before training");
    child
}

#[test]
fn kill_safe_checkpoints_survive_sigkill() {
    let dir = temp_dir("kill-safe");
    let path = dir.join("last.ckpt.safetensors");
    let (train, _) = mnist_slice(200, 1);

    // Time one write cycle (a step and a save) to spread the kills over it.
    let (mut model, mut optimizer) = fresh();
    let start = Instant::now();
    for step in 0..5 {
        train_step(&mut *model, &mut *optimizer, &train, step);
        TrainingCheckpoint::capture(&*model, &*optimizer, None, 0, 0, RngState::of(&seeded(0)))
            .save(dir.join("timing.safetensors"))
            .unwrap();
    }
    let cycle = start.elapsed() / 5;

    let mut rng = rand::rngs::StdRng::seed_from_u64(2024);
    let (mut last_step, mut stray_tmp, mut resumed) = (0, 0, 0);
    for kill in 0..KILLS {
        let mut child = spawn_child(&path);
        // Kill within the first few write cycles, at a random point of one.
        let delay = cycle.mul_f64(rng.gen_range(0.0..4.0)) + Duration::from_micros(50);
        std::thread::sleep(delay);
        child.kill().expect("SIGKILL the child");
        child.wait().unwrap();

        if !path.exists() {
            assert_eq!(last_step, 0, "kill {kill}: the checkpoint disappeared");
            continue;
        }
        if tmp_path(&path).exists() {
            stray_tmp += 1;
        }
        let (mut model, mut optimizer, step) = restore(&path);
        assert!(
            step >= last_step,
            "kill {kill}: the step count went back from {last_step} to {step}"
        );
        if step > last_step && last_step > 0 {
            resumed += 1;
        }
        last_step = step;
        let loss = train_step(&mut *model, &mut *optimizer, &train, step);
        assert!(loss.is_finite(), "kill {kill}: resumed loss {loss}");
    }
    eprintln!(
        "kill-safe: {KILLS} kills, cycle {cycle:?}, last step {last_step}, \
         {resumed} resumed runs made progress, {stray_tmp} kills left a stray .tmp"
    );
    assert!(last_step > 0, "no child ever saved a checkpoint");

    // The next write replaces any stray temporary file.
    let (model, optimizer, step) = restore(&path);
    TrainingCheckpoint::capture(
        &*model,
        &*optimizer,
        None,
        0,
        step,
        RngState::of(&seeded(0)),
    )
    .save(&path)
    .unwrap();
    assert!(!tmp_path(&path).exists(), "a write leaves no .tmp behind");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn checkpoints_of_other_models_or_shapes_are_errors_naming_the_tensor() {
    let dir = temp_dir("kill-safe-mismatch");
    let path = dir.join("wide.ckpt.safetensors");
    let wide = tiny_model(32, None, 0);
    let recipe = tiny_recipe(1, 20);
    let wide_opt = build_optimizer(recipe.optimizer, wide.parameters(), recipe.lr).unwrap();
    TrainingCheckpoint::capture(&*wide, &*wide_opt, None, 0, 0, RngState::of(&seeded(0)))
        .save(&path)
        .unwrap();
    let ckpt = TrainingCheckpoint::<f32>::load(&path).unwrap();

    // Same names, other shapes (hidden 16 instead of 32).
    let (narrow, mut narrow_opt) = fresh();
    let err = ckpt
        .restore(&*narrow, &mut *narrow_opt, None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("fc1.weight") && err.contains("[32, 784]"),
        "{err}"
    );

    // Another model altogether: a zoo model with other parameter names.
    let zoo = synann::zoo::build("syna-mlp", &Default::default()).unwrap();
    let mut zoo_opt =
        build_optimizer(zoo.recipe.optimizer, zoo.model.parameters(), zoo.recipe.lr).unwrap();
    let err = ckpt
        .restore(&*zoo.model, &mut *zoo_opt, None)
        .unwrap_err()
        .to_string();
    let names = synann_nn::state_dict::state_dict(&*zoo.model);
    let named = names.iter().any(|(n, _)| err.contains(n)) || err.contains("fc1.weight");
    assert!(named, "the error must name a tensor: {err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
