//! [`Trainer`]: the training loop, with best-only checkpoints and exact
//! resume.
//!
//! # One epoch
//!
//! For each batch: forward in [`Mode::Train`], the recipe's loss, a check
//! that the loss is finite, backward, the gradient norm (clipped to
//! `clip_grad_norm` if set) checked finite too, the optimizer step, and the
//! scheduler step when it is stepped per batch. After the epoch: evaluation
//! on the validation set (if the run has one, see
//! [`Trainer::run_epoch`]) and on the test set, the scheduler step
//! when it is stepped per epoch (ReduceLROnPlateau watches the *training*
//! accuracy, as the Keras seed's `monitor='accuracy'` does, never the test
//! set), then (with an output folder) `best.safetensors` if the selection
//! accuracy improved (the validation accuracy when there is a validation
//! set, else the test accuracy), `last.ckpt.safetensors`, `metrics.csv` and the curves, each
//! written atomically. A non-finite loss or gradient norm stops training
//! with [`TrainError::NonFinite`] before the step, so no file ever holds
//! NaN weights and the previous epoch's checkpoint stays as it was. With
//! [`TrainOptions::detect_anomaly`], forward and backward run under
//! [`catch_anomaly`] and the first non-finite value stops training with
//! [`TrainError::Anomaly`] (op, module path, epoch and step) before the
//! step.
//!
//! # Resuming exactly
//!
//! A run resumed from `last.ckpt.safetensors` produces bitwise the same
//! parameters as one that never stopped (with the same number of threads).
//! All randomness is a function of the seed and the epoch:
//!
//! - a data set's training order and augmentation depend only on (seed,
//!   epoch) (see [`Dataset`] and [`Pass::Train`]);
//! - the model's random generators (dropout's) are reseeded at the start
//!   of every epoch from [`epoch_seed`]`(seed, epoch)` through
//!   [`Module::named_generators`] ([`reseed_generators`]), so the masks of
//!   epoch `e` are the same whether or not the run was interrupted before
//!   it.
//!
//! The checkpoint then only needs what
//! [`TrainingCheckpoint`](synann_nn::checkpoint::TrainingCheckpoint) holds: the
//! model's state dict, the optimizer's and scheduler's states, the epoch,
//! the step count and the best accuracy (plus the metrics history). Its
//! `rng` field records the generator seeded by `epoch_seed(seed, epoch)`
//! for the next epoch, for reference. Writing and reading it is in
//! `trainer/resume.rs` ([`Trainer::resume`], [`load_weights`]).
//!
//! # Data-parallel runs
//!
//! [`Trainer::with_distributed`] makes the run one rank of a data-parallel
//! job (see [`crate::distributed`]): each rank trains on its shard of every
//! global batch, the gradients are averaged across ranks in one fused
//! all-reduce before the gradient norm is taken, evaluation is sharded,
//! and only rank 0 draws progress bars, prints warnings and writes files.
//! Without it, the loop is the single-process one above.
//!
//! # Clamped synapse factors
//!
//! After each training step the trainer asks the model which layers
//! clamped out-of-domain factors ([`Module::named_clamp_counts`]) and, for
//! each layer that did, prints one warning line (once per layer and epoch)
//! naming the layer and the count, so a silently saturating Synapse layer
//! is seen.

mod resume;

pub use resume::load_weights;

use crate::distributed::{
    all_reduce_gradients, broadcast_state, broadcast_vars, evaluate_sharded, BatchNormSync,
    Distributed,
};
use crate::error::TrainError;
use crate::evaluate::{argmax_rows, batch_loss, evaluate, Evaluation};
use crate::metrics::EpochMetrics;
use crate::progress::EpochProgress;
use crate::recipe::Recipe;
use crate::setup::{build_optimizer, build_scheduler, Scheduler, Stepping};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Instant;
use synann_autograd::anomaly::catch_anomaly;
use synann_autograd::Var;
use synann_datasets::{Dataset, Pass};
use synann_nn::distributed::ProcessGroup;
use synann_nn::layers::with_sync_batch_norm;
use synann_nn::module::reseed_generators;
use synann_nn::optim::{clip_grad_norm_, Optimizer};
use synann_nn::{Mode, Module};

/// The file name of the best model's state dict.
pub const BEST_FILE: &str = "best.safetensors";
/// The file name of the last training checkpoint.
pub const LAST_FILE: &str = "last.ckpt.safetensors";

/// The seed of the model built at the start of epoch `epoch` (0-based),
/// which seeds its dropout generators: the run's seed plus (epoch + 1) times
/// the golden-ratio constant, so every epoch gets a distinct seed.
pub fn epoch_seed(seed: u64, epoch: usize) -> u64 {
    seed.wrapping_add((epoch as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// Options of a run that are not part of the recipe.
#[derive(Clone, Debug)]
pub struct TrainOptions {
    /// The run's seed (initial weights, data order, augmentation, dropout).
    pub seed: u64,
    /// Clip the gradients' joint 2-norm to this value (`None`: no clipping).
    pub clip_grad_norm: Option<f64>,
    /// Batch size of evaluation passes.
    pub eval_batch_size: usize,
    /// Hide the progress bars.
    pub quiet: bool,
    /// Where checkpoints, metrics and curves go (`None`: nothing written).
    pub out_dir: Option<PathBuf>,
    /// The run's name (the model's), stored in checkpoints and checked on
    /// resume, and the title of the curves.
    pub name: String,
    /// Other settings that shape the model or its data (a zoo's width,
    /// layer swaps, input pipeline), stored in checkpoints and checked on
    /// resume.
    pub settings: BTreeMap<String, String>,
    /// Run each training step under
    /// [`catch_anomaly`]: the first op whose forward or backward produces a
    /// NaN or an infinity stops training with [`TrainError::Anomaly`],
    /// naming the op, the module path and the step.
    pub detect_anomaly: bool,
}

impl TrainOptions {
    /// Options with seed `seed` and name `name`: no clipping, evaluation
    /// batches of 1000, progress bars shown, nothing written.
    pub fn new(name: &str, seed: u64) -> Self {
        TrainOptions {
            seed,
            clip_grad_norm: None,
            eval_batch_size: 1000,
            quiet: false,
            out_dir: None,
            name: name.to_string(),
            settings: BTreeMap::new(),
            detect_anomaly: false,
        }
    }
}

/// A training run in progress, over a model of type `M` (any [`Module`];
/// by default a boxed trait object).
pub struct Trainer<M: Module<f32> + ?Sized = dyn Module<f32>> {
    recipe: Recipe,
    options: TrainOptions,
    model: Box<M>,
    optimizer: Box<dyn Optimizer<f32>>,
    scheduler: Option<Scheduler>,
    epoch: usize,
    global_step: u64,
    best_accuracy: Option<f64>,
    history: Vec<EpochMetrics>,
    /// Wall seconds of the run before this process (from a resumed
    /// checkpoint).
    wall_before: f64,
    /// When this process's part of the run started.
    started: Instant,
    /// The warnings printed so far (clamped synapse factors).
    warnings: Vec<String>,
    /// The number of training samples.
    train_len: usize,
    /// The data-parallel context, when this process is one rank of many.
    distributed: Option<Distributed>,
}

impl<M: Module<f32> + ?Sized> Trainer<M> {
    /// A run of `recipe` training `model` over a training set of
    /// `train_len` samples (which fixes the steps per epoch of per-batch
    /// schedules).
    pub fn new(
        recipe: Recipe,
        options: TrainOptions,
        model: Box<M>,
        train_len: usize,
    ) -> Result<Self, TrainError> {
        let mut optimizer = build_optimizer(recipe.optimizer, model.parameters(), recipe.lr)?;
        let scheduler = build_scheduler(&recipe, train_len.div_ceil(recipe.batch_size))?;
        if let Some(s) = &scheduler {
            optimizer.set_lr_all(s.inner.get_last_lr());
        }
        Ok(Trainer {
            recipe,
            options,
            model,
            optimizer,
            scheduler,
            epoch: 0,
            global_step: 0,
            best_accuracy: None,
            history: Vec::new(),
            wall_before: 0.0,
            started: Instant::now(),
            warnings: Vec::new(),
            train_len,
            distributed: None,
        })
    }

    /// Makes this run one rank of a data-parallel job over `distributed`'s
    /// group: checks that every rank gets an equal, non-empty shard of each
    /// batch ([`DistributedError`](crate::distributed::DistributedError),
    /// naming the batch and world sizes, on every rank) and broadcasts the
    /// parameters and buffers of rank 0. Call it on every rank, with the
    /// same recipe and options; resume (on every rank) before or after.
    pub fn with_distributed(mut self, distributed: Distributed) -> Result<Self, TrainError> {
        distributed
            .sampler()
            .check(self.recipe.batch_size, self.train_len)?;
        broadcast_state(&*self.model, &**distributed.group());
        if !distributed.is_root() {
            self.options.quiet = true;
        }
        self.distributed = Some(distributed);
        Ok(self)
    }

    /// The data-parallel context, if this run is one rank of many.
    pub fn distributed(&self) -> Option<&Distributed> {
        self.distributed.as_ref()
    }

    /// Whether this process writes files and prints: always, except on the
    /// ranks other than 0 of a distributed run.
    pub fn is_root(&self) -> bool {
        self.distributed.as_ref().is_none_or(Distributed::is_root)
    }

    /// Wall seconds of the whole run so far, across resumes: the time
    /// recorded in the checkpoint it resumed from plus this process's.
    pub fn wall_seconds(&self) -> f64 {
        self.wall_before + self.started.elapsed().as_secs_f64()
    }

    /// The warnings printed so far, in order: one line per layer and epoch
    /// in which a training step clamped out-of-domain synapse factors.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Whether every epoch of the recipe is done (after a resume from a
    /// finished run, there is nothing to train).
    pub fn is_finished(&self) -> bool {
        self.epoch >= self.recipe.epochs
    }

    /// The model being trained.
    pub fn model(&mut self) -> &mut M {
        &mut self.model
    }

    /// The model, ending the run.
    pub fn into_model(self) -> Box<M> {
        self.model
    }

    /// The recipe in use.
    pub fn recipe(&self) -> &Recipe {
        &self.recipe
    }

    /// The options of the run.
    pub fn options(&self) -> &TrainOptions {
        &self.options
    }

    /// Epochs completed.
    pub fn epoch(&self) -> usize {
        self.epoch
    }

    /// Optimizer steps taken.
    pub fn global_step(&self) -> u64 {
        self.global_step
    }

    /// The best selection accuracy so far: on the validation set when the
    /// epochs were run with one, else on the test set.
    pub fn best_accuracy(&self) -> Option<f64> {
        self.best_accuracy
    }

    /// The metrics of the completed epochs.
    pub fn history(&self) -> &[EpochMetrics] {
        &self.history
    }

    /// Trains until `recipe.epochs` epochs are completed (counting those
    /// before a resume), evaluating on `validation` (if given) and `test`
    /// after each; see [`run_epoch`](Trainer::run_epoch).
    pub fn fit(
        &mut self,
        train: &dyn Dataset,
        validation: Option<&dyn Dataset>,
        test: &dyn Dataset,
    ) -> Result<(), TrainError> {
        while self.epoch < self.recipe.epochs {
            self.run_epoch(train, validation, test)?;
        }
        Ok(())
    }

    /// One epoch: training, evaluation on `validation` (when given) and on
    /// `test`, scheduler, checkpoints and metrics. With a validation set
    /// (carved from the training data), `best.safetensors` is the epoch with
    /// the best validation accuracy, so no choice is ever made on the test
    /// set; without one, it is the best test accuracy.
    pub fn run_epoch(
        &mut self,
        train: &dyn Dataset,
        validation: Option<&dyn Dataset>,
        test: &dyn Dataset,
    ) -> Result<EpochMetrics, TrainError> {
        let lr = self.optimizer.lr(0);
        let (train_loss, train_acc, seconds) = self.train_epoch(train)?;
        let val = validation.map(|v| self.evaluate(v)).transpose()?;
        let eval = self.evaluate(test)?;
        if let Some(s) = self.scheduler.as_mut() {
            if s.stepping == Stepping::PerEpochOnAccuracy {
                let lr = s.inner.step_with(train_acc);
                self.optimizer.set_lr_all(lr);
            }
        }
        self.epoch += 1;
        let metrics = EpochMetrics {
            epoch: self.epoch,
            lr,
            train_loss,
            train_acc,
            test_loss: eval.loss,
            test_acc: eval.accuracy,
            seconds,
            val_loss: val.as_ref().map(|v| v.loss),
            val_acc: val.as_ref().map(|v| v.accuracy),
        };
        self.history.push(metrics.clone());
        let selection = metrics.val_acc.unwrap_or(eval.accuracy);
        let improved = self.best_accuracy.is_none_or(|b| selection > b);
        if improved {
            self.best_accuracy = Some(selection);
        }
        if let Some(dir) = self.options.out_dir.clone().filter(|_| self.is_root()) {
            self.write_outputs(&dir, improved)?;
        }
        Ok(metrics)
    }

    /// Evaluates the current model on `data` (no graph, [`Mode::Eval`]);
    /// fails if an output is not finite.
    /// In a distributed run the evaluation is sharded across the ranks
    /// ([`evaluate_sharded`]) and every rank gets the whole result.
    pub fn evaluate(&mut self, data: &dyn Dataset) -> Result<Evaluation, TrainError> {
        let batch_size = self.options.eval_batch_size;
        match &self.distributed {
            None => evaluate(&mut *self.model, data, &self.recipe, batch_size),
            Some(d) => {
                self.sync_buffers();
                evaluate_sharded(
                    &mut *self.model,
                    data,
                    &self.recipe,
                    batch_size,
                    &**d.group(),
                )
            }
        }
    }

    /// With per-rank BatchNorm statistics, gives every rank rank 0's
    /// buffers (DDP's `broadcast_buffers`); otherwise nothing.
    fn sync_buffers(&self) {
        if let Some(d) = &self.distributed {
            if d.batch_norm() == BatchNormSync::PerRank {
                let buffers: Vec<Var<f32>> = self
                    .model
                    .named_buffers()
                    .into_iter()
                    .map(|(_, v)| v)
                    .collect();
                broadcast_vars(&buffers, &**d.group());
            }
        }
    }

    /// The group BatchNorm layers synchronise over in training, if any.
    fn batch_norm_group(&self) -> Option<Rc<dyn ProcessGroup>> {
        self.distributed
            .as_ref()
            .filter(|d| d.batch_norm() == BatchNormSync::Sync)
            .map(|d| d.group().clone())
    }

    /// Trains one epoch; returns the mean loss, the accuracy and the
    /// seconds it took.
    fn train_epoch(&mut self, train: &dyn Dataset) -> Result<(f64, f64, f64), TrainError> {
        // Ranks other than 0 draw other dropout masks (stream offset by the
        // rank); rank 0's are those of a single-process run.
        let rank = self.distributed.as_ref().map_or(0, Distributed::rank) as u64;
        let seed = epoch_seed(self.options.seed, self.epoch).wrapping_add(rank);
        reseed_generators(&mut *self.model, seed);
        let batch_size = self.recipe.batch_size;
        let label = format!("epoch {}/{}", self.epoch + 1, self.recipe.epochs);
        let mut progress =
            EpochProgress::new(&label, train.num_batches(batch_size), self.options.quiet);
        let params = self.model.parameters();
        let checked = self.options.detect_anomaly;
        let sync_group = self.batch_norm_group();
        let mut warned = BTreeSet::new();
        let pass = Pass::Train {
            seed: self.options.seed,
        };
        for (i, batch) in train.batches(batch_size, pass, self.epoch).enumerate() {
            let batch_len = batch.1.len();
            let (inputs, labels) = match &self.distributed {
                Some(d) => d.sampler().shard_batch(batch),
                None => batch,
            };
            self.sync_buffers();
            let (model, recipe) = (&mut self.model, &self.recipe);
            let (epoch, step) = (self.epoch + 1, i + 1);
            let (output, loss) = guarded(checked, epoch, step, || {
                let forward = || {
                    let output = model.forward(&Var::constant(inputs), Mode::Train);
                    let loss = batch_loss(&output, &labels, recipe);
                    (output, loss)
                };
                match sync_group.clone() {
                    Some(group) => with_sync_batch_norm(group, forward),
                    None => forward(),
                }
            })?;
            let predictions = argmax_rows(&output.value());
            let correct = predictions
                .iter()
                .zip(&labels)
                .filter(|(p, t)| p == t)
                .count();
            let local_loss = loss.value().item() as f64;
            let (loss_value, correct, samples) = match &self.distributed {
                None => {
                    self.check_finite("loss", local_loss, i)?;
                    self.optimizer.zero_grad();
                    guarded(checked, epoch, step, || loss.backward())?;
                    (local_loss, correct, labels.len())
                }
                Some(d) => {
                    // Every rank runs its backward and joins the all-reduce
                    // before any check: a non-finite loss on one rank makes
                    // the reduced loss non-finite on all, which then stop
                    // together, before the step.
                    self.optimizer.zero_grad();
                    guarded(checked, epoch, step, || loss.backward())?;
                    let weight = d.sampler().weight(batch_len);
                    let group = &**d.group();
                    let stats = all_reduce_gradients(
                        &params,
                        group,
                        weight,
                        local_loss,
                        correct,
                        labels.len(),
                    );
                    self.check_finite("loss", stats.loss, i)?;
                    (stats.loss, stats.correct, stats.samples)
                }
            };
            let norm = match self.options.clip_grad_norm {
                Some(max_norm) => clip_grad_norm_(&params, max_norm, 2.0) as f64,
                None => grad_norm(&params),
            };
            self.check_finite("gradient norm", norm, i)?;
            self.optimizer.step();
            self.global_step += 1;
            if let Some(s) = self.scheduler.as_mut() {
                if s.stepping == Stepping::PerBatch {
                    let lr = s.inner.step();
                    self.optimizer.set_lr_all(lr);
                }
            }
            if self.is_root() {
                self.warn_clamped(&mut warned, &progress, step);
            }
            progress.update(loss_value, correct, samples);
        }
        progress.finish();
        Ok((
            progress.mean_loss(),
            progress.accuracy(),
            progress.seconds(),
        ))
    }

    /// Prints one line for each layer that clamped out-of-domain factors in
    /// this step, once per layer and epoch (layers already in `warned` stay
    /// quiet).
    fn warn_clamped(
        &mut self,
        warned: &mut BTreeSet<String>,
        progress: &EpochProgress,
        step: usize,
    ) {
        for (layer, count) in self.model.named_clamp_counts() {
            if count > 0 && warned.insert(layer.clone()) {
                let line = format!(
                    "warning: layer `{layer}` clamped {count} out-of-domain synapse factors \
                     (1 − b·x ≤ 0) in epoch {}, batch {step}; their gradient is 0 \
                     (a lower --lr or a constrained parameterisation avoids it)",
                    self.epoch + 1
                );
                progress.println(&line);
                self.warnings.push(line);
            }
        }
    }

    /// Stops training if `value` is not finite.
    fn check_finite(&self, what: &'static str, value: f64, batch: usize) -> Result<(), TrainError> {
        if value.is_finite() {
            return Ok(());
        }
        Err(TrainError::NonFinite {
            what,
            value,
            epoch: self.epoch + 1,
            step: batch + 1,
            global_step: self.global_step,
        })
    }
}

/// Runs `f`, under [`catch_anomaly`] if `checked`; an anomaly is reported
/// at (1-based) `epoch` and `step`.
fn guarded<R>(
    checked: bool,
    epoch: usize,
    step: usize,
    f: impl FnOnce() -> R,
) -> Result<R, TrainError> {
    if checked {
        catch_anomaly(f).map_err(|anomaly| TrainError::Anomaly {
            anomaly: Box::new(anomaly),
            epoch,
            step,
        })
    } else {
        Ok(f())
    }
}

/// The joint 2-norm of the gradients of `params` (those without one
/// count as zero), accumulated in f64.
pub fn grad_norm(params: &[Var<f32>]) -> f64 {
    params
        .iter()
        .filter_map(|p| {
            p.grad().map(|g| {
                g.data()
                    .iter()
                    .map(|&x| (x as f64) * (x as f64))
                    .sum::<f64>()
            })
        })
        .sum::<f64>()
        .sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use synann_tensor::Tensor;

    #[test]
    fn grad_norm_is_the_joint_two_norm_and_reports_non_finite() {
        let a = Var::requiring_grad(Tensor::<f32>::zeros(&[2]));
        let b = Var::requiring_grad(Tensor::<f32>::zeros(&[1]));
        let none = Var::requiring_grad(Tensor::<f32>::zeros(&[3]));
        a.set_grad(Some(Tensor::from_vec(vec![3.0, 0.0], &[2])));
        b.set_grad(Some(Tensor::from_vec(vec![4.0], &[1])));
        assert_eq!(grad_norm(&[a.clone(), b.clone(), none]), 5.0);
        b.set_grad(Some(Tensor::from_vec(vec![f32::INFINITY], &[1])));
        assert!(!grad_norm(&[a.clone(), b.clone()]).is_finite());
        b.set_grad(Some(Tensor::from_vec(vec![f32::NAN], &[1])));
        assert!(grad_norm(&[a, b]).is_nan());
    }

    #[test]
    fn epoch_seeds_differ_between_epochs_and_runs() {
        let seeds: Vec<u64> = (0..4).map(|e| epoch_seed(0, e)).collect();
        assert!(seeds
            .iter()
            .enumerate()
            .all(|(i, s)| !seeds[..i].contains(s)));
        assert_ne!(epoch_seed(0, 1), epoch_seed(1, 1));
        assert_ne!(epoch_seed(0, 0), 0);
    }
}
