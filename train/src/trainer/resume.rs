//! Checkpoints of a [`Trainer`]: the files written after each epoch,
//! resuming from `last.ckpt.safetensors`, and loading weights for
//! evaluation.

use super::{epoch_seed, Trainer, BEST_FILE, LAST_FILE};
use crate::error::TrainError;
use crate::metrics::{write_csv, EpochMetrics};
use crate::plot::draw_curves;
use crate::recipe::Recipe;
use std::path::Path;
use synann_nn::checkpoint::{
    load_safetensors, save_safetensors, training, Metadata, TrainingCheckpoint,
};
use synann_nn::state_dict::{load_state_dict, state_dict, Strict};
use synann_nn::Module;
use synann_tensor::random::{seeded, RngState};

impl<M: Module<f32> + ?Sized> Trainer<M> {
    /// A snapshot of the run for `last.ckpt.safetensors`.
    pub fn checkpoint(&self) -> Result<TrainingCheckpoint<f32>, TrainError> {
        let history = serde_json::to_string(&self.history).expect("metrics serialise to JSON");
        let mut metadata = self.options.settings.clone();
        metadata.extend([
            ("model".to_string(), self.options.name.clone()),
            ("seed".to_string(), self.options.seed.to_string()),
            ("recipe".to_string(), recipe_key(&self.recipe)),
            ("history".to_string(), history),
            ("wall_seconds".to_string(), self.wall_seconds().to_string()),
        ]);
        if let Some(d) = &self.distributed {
            // For reference only: a run resumes on any world size.
            metadata.insert("world_size".to_string(), d.world_size().to_string());
        }
        Ok(TrainingCheckpoint {
            model: state_dict(&*self.model),
            optimizer: self.optimizer.state_dict(),
            scheduler: self.scheduler.as_ref().map(|s| s.inner.state_dict()),
            epoch: self.epoch as u64,
            global_step: self.global_step,
            rng: RngState::of(&seeded(epoch_seed(self.options.seed, self.epoch))),
            best_metric: self.best_accuracy,
            metadata,
        })
    }

    /// Continues the run saved in the checkpoint at `path`, which must come
    /// from the same model, seed, settings and recipe (the number of epochs
    /// may differ, to extend a run).
    ///
    /// A model state dict (`best.safetensors`) is not a training checkpoint:
    /// it fails with [`TrainError::Mismatch`] saying so and naming the file
    /// to resume from instead.
    pub fn resume(&mut self, path: &Path) -> Result<(), TrainError> {
        let mismatch = |detail: String| TrainError::Mismatch {
            path: path.to_path_buf(),
            detail,
        };
        let (_, meta) = load_safetensors::<f32>(path)?;
        if meta.get("format").map(String::as_str) != Some(training::FORMAT) {
            let model = meta
                .get("model")
                .map_or(String::new(), |m| format!(" of model `{m}`"));
            return Err(mismatch(format!(
                "it holds only the weights{model} (a state dict such as {BEST_FILE}), \
                 not a training checkpoint: resume from {LAST_FILE}"
            )));
        }
        let ckpt = TrainingCheckpoint::<f32>::load(path)?;
        let mut expect = vec![
            ("model".to_string(), self.options.name.clone()),
            ("seed".to_string(), self.options.seed.to_string()),
            ("recipe".to_string(), recipe_key(&self.recipe)),
        ];
        expect.extend(self.options.settings.clone());
        for (key, ours) in expect {
            let theirs = ckpt.metadata.get(&key).map(String::as_str).unwrap_or("?");
            if theirs != ours {
                return Err(mismatch(format!(
                    "its {key} is `{theirs}`, this run's is `{ours}`"
                )));
            }
        }
        let history: Vec<EpochMetrics> = ckpt
            .metadata
            .get("history")
            .and_then(|h| serde_json::from_str(h).ok())
            .ok_or_else(|| mismatch("its metrics history is missing or invalid".into()))?;
        load_state_dict(&*self.model, &ckpt.model, Strict::Yes)?;
        self.optimizer.load_state_dict(&ckpt.optimizer)?;
        match (self.scheduler.as_mut(), &ckpt.scheduler) {
            (Some(s), Some(state)) => s.inner.load_state_dict(state)?,
            (None, None) => {}
            _ => return Err(mismatch("the scheduler differs".into())),
        }
        self.epoch = ckpt.epoch as usize;
        self.global_step = ckpt.global_step;
        self.best_accuracy = ckpt.best_metric;
        self.history = history;
        self.wall_before = ckpt
            .metadata
            .get("wall_seconds")
            .and_then(|s| s.parse().ok())
            .unwrap_or(0.0);
        Ok(())
    }

    /// Writes the checkpoints, `metrics.csv` and the curves into `dir`.
    pub(super) fn write_outputs(&self, dir: &Path, improved: bool) -> Result<(), TrainError> {
        std::fs::create_dir_all(dir).map_err(|source| TrainError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        if improved {
            let on_validation = self.history.last().is_some_and(|m| m.val_acc.is_some());
            let key = if on_validation {
                "validation_accuracy"
            } else {
                "test_accuracy"
            };
            let meta = Metadata::from([
                ("model".to_string(), self.options.name.clone()),
                ("epoch".to_string(), self.epoch.to_string()),
                (
                    key.to_string(),
                    format!("{}", self.best_accuracy.unwrap_or(0.0)),
                ),
            ]);
            save_safetensors(dir.join(BEST_FILE), &state_dict(&*self.model), &meta)?;
        }
        self.checkpoint()?.save(dir.join(LAST_FILE))?;
        let csv = dir.join("metrics.csv");
        write_csv(&csv, &self.history).map_err(|source| TrainError::Io { path: csv, source })?;
        let title = self.options.name.clone();
        draw_curves(
            &self.history,
            &title,
            &dir.join("curves.svg"),
            &dir.join("curves.png"),
        )?;
        Ok(())
    }
}

/// The recipe without its epoch count, as stored in checkpoints to check
/// that a resumed run trains the same way.
fn recipe_key(recipe: &Recipe) -> String {
    format!(
        "{:?}",
        Recipe {
            epochs: 0,
            ..recipe.clone()
        }
    )
}

/// Loads model weights into `model` from either a state dict
/// (`best.safetensors`) or a training checkpoint (`last.ckpt.safetensors`);
/// the names must match exactly.
///
/// When the names do not match and the file records the model it was saved
/// from, the error ([`TrainError::WrongModel`]) names that model.
pub fn load_weights<M: Module<f32> + ?Sized>(model: &M, path: &Path) -> Result<(), TrainError> {
    let (dict, meta) = load_safetensors::<f32>(path)?;
    let dict = match meta.get("format").map(String::as_str) {
        Some(training::FORMAT) => TrainingCheckpoint::<f32>::load(path)?.model,
        _ => dict,
    };
    load_state_dict(model, &dict, Strict::Yes).map_err(|e| match meta.get("model") {
        Some(saved_from) => TrainError::WrongModel {
            path: path.to_path_buf(),
            saved_from: saved_from.clone(),
            detail: e.to_string(),
        },
        None => TrainError::StateDict(e),
    })
}
