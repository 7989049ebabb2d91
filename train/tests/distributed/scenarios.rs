//! Scenarios of data-parallel training, written against any
//! [`ProcessGroup`]: run with ranks as threads ([`ThreadGroup`], in the
//! plain test binary) and with ranks as MPI processes (`tests/mpi.rs`,
//! feature `mpi`, under `mpirun`).
//!
//! # The f32 bound
//!
//! Data-parallel and single-process training compute the same gradient
//! with the sums in another order: each rank sums its shard (b/p per-sample
//! terms), then the all-reduce sums the p partial results. A sum of b f32
//! terms in any order is within (b − 1)·ε·Σ|terms| of the exact one
//! (ε = 2⁻²³ ≈ 1.19e-7), so each step's gradients may differ by about
//! b·ε relative, and after N steps of a stable descent the parameters by
//! at most about N·b·ε·max(1, |θ|). The scenarios assert
//! |θ_parallel − θ_single| ≤ N·b·ε·max(1, |θ|) element-wise, with
//! N the number of optimizer steps and b the global batch size. In f64,
//! with the sums of two ranks (one addition, exact in order), the bound is
//! 1e-12 relative.

#![allow(dead_code)]

use std::path::Path;
use std::rc::Rc;
use synann_autograd::Var;
use synann_datasets::Tabular;
use synann_nn::distributed::ProcessGroup;
use synann_nn::layers::{
    with_sync_batch_norm, BatchNorm1d, Bias, Linear, LogSoftmax, ReLU, Sequential, Tanh,
};
use synann_nn::loss::{nll_loss, Reduction};
use synann_nn::{Mode, Module};
use synann_tensor::random::seeded;
use synann_tensor::Tensor;
use synann_train::distributed::{
    all_reduce_gradients, BatchNormSync, Distributed, DistributedError, DistributedSampler,
};
use synann_train::trainer::LAST_FILE;
use synann_train::{LossKind, OptimizerKind, Recipe, Schedule, TrainError, TrainOptions, Trainer};

/// Features per sample of the synthetic data.
pub const FEATURES: usize = 6;
/// Classes of the synthetic data.
pub const CLASSES: usize = 3;
/// The global batch size of the scenarios (divisible by 1, 2 and 4).
pub const BATCH: usize = 16;
/// Training samples: 6 full batches and a last one of 6 (shards of 3 + 3
/// on 2 ranks, 2 + 2 + 1 + 1 on 4, weighted by their share).
pub const TRAIN_LEN: usize = 6 * BATCH + 6;

/// `n` samples of a learnable 3-class problem: uniform features, the
/// label the argmax of a fixed linear map.
pub fn synthetic(n: usize, seed: u64) -> Tabular {
    let x = Tensor::<f32>::uniform(&[n, FEATURES], -1.0, 1.0, &mut seeded(seed));
    let w = Tensor::<f32>::uniform(&[FEATURES, CLASSES], -1.0, 1.0, &mut seeded(99));
    let labels = x
        .data()
        .chunks(FEATURES)
        .map(|row| {
            let score = |c: usize| {
                (0..FEATURES)
                    .map(|f| row[f] * w.data()[f * CLASSES + c])
                    .sum::<f32>()
            };
            (0..CLASSES).fold(0, |best, c| if score(c) > score(best) { c } else { best })
        })
        .collect();
    let names = (0..FEATURES).map(|f| format!("x{f}")).collect();
    Tabular::new(names, x.data().to_vec(), labels, CLASSES).expect("valid synthetic data")
}

/// The training and test sets.
pub fn data() -> (Tabular, Tabular) {
    (synthetic(TRAIN_LEN, 1), synthetic(40, 2))
}

/// Whether the model has a BatchNorm layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Norm {
    /// Linear → ReLU → Linear → LogSoftmax.
    None,
    /// Linear → BatchNorm1d → ReLU → Linear → LogSoftmax.
    BatchNorm,
}

/// A small MLP without dropout, seeded from `seed`.
pub fn mlp(norm: Norm, seed: u64) -> Box<dyn Module<f32>> {
    let mut rng = seeded(seed);
    let mut model = Sequential::new();
    model.push(Linear::new(FEATURES, 12, Bias::Yes, &mut rng));
    if norm == Norm::BatchNorm {
        model.push(BatchNorm1d::new(12));
    }
    model
        .push(ReLU)
        .push(Linear::new(12, CLASSES, Bias::Yes, &mut rng))
        .push(LogSoftmax::new(1));
    Box::new(model)
}

/// SGD with momentum, NLL, batches of [`BATCH`].
pub fn recipe(epochs: usize) -> Recipe {
    Recipe {
        epochs,
        batch_size: BATCH,
        lr: 0.05,
        optimizer: OptimizerKind::Sgd { momentum: 0.9 },
        schedule: Schedule::Constant,
        loss: LossKind::Nll,
        label_smoothing: 0.0,
    }
}

/// Options of the scenarios: quiet, writing into `out_dir` if given.
pub fn options(out_dir: Option<&Path>) -> TrainOptions {
    TrainOptions {
        quiet: true,
        out_dir: out_dir.map(Path::to_path_buf),
        eval_batch_size: 7,
        ..TrainOptions::new("mlp", 3)
    }
}

/// A trainer of `epochs` epochs, one rank of `group` when given; each
/// rank initialises its model from another seed (rank 0's is broadcast).
pub fn trainer(
    norm: Norm,
    epochs: usize,
    out_dir: Option<&Path>,
    distributed: Option<Distributed>,
) -> Result<Trainer, TrainError> {
    let rank = distributed.as_ref().map_or(0, Distributed::rank) as u64;
    let model = mlp(norm, 10 + rank);
    let trainer = Trainer::new(recipe(epochs), options(out_dir), model, TRAIN_LEN)?;
    match distributed {
        Some(d) => trainer.with_distributed(d),
        None => Ok(trainer),
    }
}

/// The flattened parameters and buffers of a model.
pub fn state<M: Module<f32> + ?Sized>(model: &M) -> Vec<f32> {
    synann_nn::state_dict::state_dict(model)
        .iter()
        .flat_map(|(_, t)| t.data().to_vec())
        .collect()
}

/// The bound of the module docs: N·b·ε_f32 for N steps of batch b.
pub fn f32_bound(steps: u64) -> f64 {
    steps as f64 * BATCH as f64 * f32::EPSILON as f64
}

/// Asserts |a − b| ≤ bound·max(1, |b|) element-wise.
pub fn assert_close(what: &str, a: &[f32], b: &[f32], bound: f64) {
    assert_eq!(a.len(), b.len(), "{what}: lengths differ");
    let worst = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| (x as f64 - y as f64).abs() / (y.abs() as f64).max(1.0))
        .fold(0.0, f64::max);
    assert!(
        worst <= bound,
        "{what}: largest relative difference {worst:e} exceeds the bound {bound:e}"
    );
    eprintln!("{what}: largest relative difference {worst:e} (bound {bound:e})");
}

/// Asserts that every rank holds bitwise the same `values` as rank 0.
pub fn assert_replicas_equal(group: &dyn ProcessGroup, values: &[f32]) {
    let mut root = values.to_vec();
    group.broadcast_f32(&mut root, 0);
    let same = root
        .iter()
        .zip(values)
        .all(|(a, b)| a.to_bits() == b.to_bits());
    assert!(
        same,
        "rank {} holds other parameters than rank 0",
        group.rank()
    );
}

/// 2 or more ranks × batch b/p, SyncBatchNorm (or no BatchNorm), against
/// one process × batch b, trained 3 epochs (21 steps, the last batch of
/// each epoch smaller): parameters within the f32 bound, replicas
/// bitwise equal, metrics equal.
pub fn equivalence_f32(group: Rc<dyn ProcessGroup>, norm: Norm) {
    let (train, test) = data();
    let epochs = 3;
    let mut single = trainer(norm, epochs, None, None).unwrap();
    single.fit(&train, None, &test).unwrap();
    let sync = match norm {
        Norm::None => BatchNormSync::PerRank,
        Norm::BatchNorm => BatchNormSync::Sync,
    };
    let d = Distributed::new(group.clone(), sync);
    let mut parallel = trainer(norm, epochs, None, Some(d)).unwrap();
    parallel.fit(&train, None, &test).unwrap();
    assert_eq!(parallel.global_step(), single.global_step());
    let steps = single.global_step();
    let (a, b) = (state(parallel.model()), state(single.model()));
    let what = format!("{norm:?} on {} ranks, {steps} steps", group.world_size());
    assert_close(&what, &a, &b, f32_bound(steps));
    assert_replicas_equal(&*group, &a);
    // The metrics: the loss to f32 rounding, the accuracies to a sample or
    // two (a prediction on the edge may flip with the rounding).
    for (p, s) in parallel.history().iter().zip(single.history()) {
        assert!(
            (p.train_loss - s.train_loss).abs() <= 1e-5 * s.train_loss,
            "{what}: train loss"
        );
        assert!(
            (p.train_acc - s.train_acc).abs() <= 2.0 / TRAIN_LEN as f64,
            "{what}: train accuracy"
        );
        assert!(
            (p.test_acc - s.test_acc).abs() <= 2.0 / 40.0,
            "{what}: test accuracy"
        );
    }
}

/// An f64 model: Linear → BatchNorm1d → Tanh → Linear → LogSoftmax.
fn mlp_f64(seed: u64) -> Sequential<f64> {
    let mut rng = seeded(seed);
    let mut model = Sequential::new();
    model
        .push(Linear::new(FEATURES, 8, Bias::Yes, &mut rng))
        .push(BatchNorm1d::new(8))
        .push(Tanh)
        .push(Linear::new(8, CLASSES, Bias::Yes, &mut rng))
        .push(LogSoftmax::new(1));
    model
}

/// `steps` steps of plain SGD in f64 on the global batches of the
/// synthetic data, on one process (no group) or on this rank's shards
/// with SyncBatchNorm and the fused all-reduce; returns the state.
fn sgd_f64(group: Option<&Rc<dyn ProcessGroup>>, steps: usize) -> Vec<f64> {
    let (train, _) = data();
    let x = Tensor::<f64>::from_vec(
        train.features().iter().map(|&v| v as f64).collect(),
        &[TRAIN_LEN, FEATURES],
    );
    let mut model = mlp_f64(7);
    let params = model.parameters();
    for step in 0..steps {
        let rows = (step * BATCH) % (TRAIN_LEN - BATCH);
        let rows = match group {
            Some(g) => {
                let shard = DistributedSampler::new(g.rank(), g.world_size()).shard(BATCH);
                rows + shard.start..rows + shard.end
            }
            None => rows..rows + BATCH,
        };
        let input = Tensor::from_vec(
            x.data()[rows.start * FEATURES..rows.end * FEATURES].to_vec(),
            &[rows.len(), FEATURES],
        );
        let labels = &train.labels()[rows];
        model.zero_grad();
        let forward = || {
            let out = model.forward(&Var::constant(input), Mode::Train);
            nll_loss(&out, labels, Reduction::Mean)
        };
        match group {
            Some(g) => {
                let loss = with_sync_batch_norm(g.clone(), forward);
                loss.backward();
                all_reduce_gradients(&params, &**g, None, 0.0, 0, labels.len());
            }
            None => forward().backward(),
        }
        for p in &params {
            let g = p.grad().unwrap().clone();
            let mut v = p.value_mut();
            v.data_mut()
                .iter_mut()
                .zip(g.data())
                .for_each(|(v, g)| *v -= 0.1 * g);
        }
    }
    synann_nn::state_dict::state_dict(&model)
        .iter()
        .flat_map(|(_, t)| t.data().to_vec())
        .collect()
}

/// The f64 equivalence on 2 ranks: 2 × b/2 with SyncBatchNorm against
/// 1 × b, 12 SGD steps, every parameter and running statistic within
/// 1e-12 relative.
pub fn equivalence_f64(group: Rc<dyn ProcessGroup>) {
    let single = sgd_f64(None, 12);
    let parallel = sgd_f64(Some(&group), 12);
    for (i, (p, s)) in parallel.iter().zip(&single).enumerate() {
        assert!(
            (p - s).abs() <= 1e-12 * s.abs().max(1.0),
            "f64 state[{i}]: {} ranks {p}, one process {s}",
            group.world_size()
        );
    }
}

/// A batch size the world size does not divide is an error at start on
/// every rank, naming both numbers.
pub fn bad_world_size(group: Rc<dyn ProcessGroup>) {
    let world_size = group.world_size();
    assert!(
        world_size > 1 && !BATCH.is_multiple_of(world_size),
        "run with a world size not dividing {BATCH}"
    );
    let d = Distributed::new(group, BatchNormSync::PerRank);
    let err = trainer(Norm::None, 1, None, Some(d))
        .err()
        .expect("an error");
    assert!(matches!(
        err,
        TrainError::Distributed(DistributedError::BatchSize { batch_size: BATCH, world_size: w }) if w == world_size
    ));
    let text = err.to_string();
    assert!(
        text.contains(&format!("world size {world_size}"))
            && text.contains(&format!("batch size {BATCH}")),
        "{text}"
    );
}

/// Trains (or resumes from `dir/last.ckpt.safetensors` if it exists) to
/// `epochs` epochs, one rank of `distributed` if given, writing into
/// `dir`; returns the final state.
pub fn train_to(dir: &Path, epochs: usize, distributed: Option<Distributed>) -> Vec<f32> {
    let (train, test) = data();
    let mut t = trainer(Norm::None, epochs, Some(dir), distributed).unwrap();
    let last = dir.join(LAST_FILE);
    if last.exists() {
        t.resume(&last).unwrap();
    }
    t.fit(&train, None, &test).unwrap();
    state(t.model())
}

/// The state after `epochs` epochs of one uninterrupted process.
pub fn reference(epochs: usize) -> Vec<f32> {
    let (train, test) = data();
    let mut t = trainer(Norm::None, epochs, None, None).unwrap();
    t.fit(&train, None, &test).unwrap();
    state(t.model())
}

/// Steps of `epochs` epochs.
pub fn steps(epochs: usize) -> u64 {
    (epochs * TRAIN_LEN.div_ceil(BATCH)) as u64
}

/// Checks a run resumed (on any world size) and finished at `epochs`
/// epochs: its state is within the f32 bound of the uninterrupted
/// single-process run, and the checkpoint records every epoch.
pub fn check_resumed(dir: &Path, resumed: &[f32], epochs: usize) {
    assert_close(
        "resumed run",
        resumed,
        &reference(epochs),
        f32_bound(steps(epochs)),
    );
    let ckpt = synann_nn::checkpoint::TrainingCheckpoint::<f32>::load(dir.join(LAST_FILE)).unwrap();
    assert_eq!(ckpt.epoch as usize, epochs);
}

/// A fresh empty directory under the system's temporary directory.
pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("synann-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the temporary directory is writable");
    dir
}
