//! # synann-train
//!
//! Training for synann models, on any data that implements
//! [`Dataset`](synann_datasets::Dataset) (images, tables, your own): the
//! [`Trainer`] with best-only checkpoints and exact resume, evaluation,
//! optimizer and scheduler set-up from a [`Recipe`], per-epoch metrics
//! (`metrics.csv`, `summary.json`), accuracy/loss curves and progress bars.
//!
//! ```no_run
//! use synann_datasets::{tabular::load_breast_cancer, Standardizer};
//! use synann_nn::layers::{Bias, Linear, Sequential};
//! use synann_tensor::random::seeded;
//! use synann_train::{OptimizerKind, Recipe, TrainOptions, Trainer};
//!
//! let data = load_breast_cancer()?;
//! let splits = data.train_val_test_split([0.6, 0.2, 0.2], 0)?;
//! let scaler = Standardizer::fit(&splits.train)?;
//! let (train, test) = (scaler.transform(&splits.train)?, scaler.transform(&splits.test)?);
//!
//! let mut rng = seeded(0);
//! let mut model = Sequential::new();
//! model.push(Linear::new(train.num_features(), 2, Bias::Yes, &mut rng));
//! let recipe = Recipe { epochs: 20, ..Recipe::new(OptimizerKind::Adam, 1e-2, 32) };
//! let options = TrainOptions { out_dir: Some("runs/cancer".into()), ..TrainOptions::new("logistic", 0) };
//! let mut trainer = Trainer::new(recipe, options, Box::new(model), train.len())?;
//! trainer.fit(&train, None, &test)?; // progress bars, metrics.csv, curves, checkpoints
//! println!("test accuracy {}", trainer.history().last().unwrap().test_acc);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! **Threads.** The kernels run on rayon's global pool. Start it with
//! [`synann_tensor::parallel::init_global_pool`]`(threads)` as the first
//! line of `main`, so that the training thread is one of the pool's
//! threads: otherwise it hands every parallel region to the pool and sleeps
//! until it is done, which costs more than the work in models made of many
//! small ops, such as recurrent ones (see that function's docs). Then call
//! [`synann_tensor::memory::retain_freed_memory`]`()`, so that each step
//! reuses the memory the last one freed rather than faulting in fresh pages
//! from the kernel.
//!
//! | module | contents |
//! |---|---|
//! | [`recipe`] | [`Recipe`]: epochs, batch size, optimizer, schedule, loss, as data |
//! | [`setup`] | the optimizer and scheduler of a recipe, command-line [`Overrides`](setup::Overrides) |
//! | [`evaluate`](mod@evaluate) | the loss of a recipe, evaluation (an error on non-finite outputs), the confusion matrix |
//! | [`trainer`] | [`Trainer`]: epochs, non-finite checks, checkpoints, exact resume (`trainer/resume.rs`) |
//! | [`distributed`] | data-parallel training: [`Distributed`](distributed::Distributed), the sampler, the fused gradient all-reduce, sharded evaluation (MPI with feature `mpi`) |
//! | [`error`] | [`TrainError`] |
//! | [`metrics`] | `metrics.csv` |
//! | [`summary`] | `summary.json` |
//! | [`plot`] | `curves.svg` and `curves.png` (feature `plot`) |
//! | [`progress`] | progress bars (feature `progress`) |
//!
//! # Features
//!
//! Both on by default; turn them off (`default-features = false`) to drop
//! their dependencies:
//!
//! - `progress`: progress bars on stderr (indicatif). Without it, epochs
//!   train silently (the statistics are still computed);
//! - `plot`: the curves (plotters). Without it, [`draw_curves`](plot::draw_curves)
//!   draws nothing.
//!
//! and one off by default:
//!
//! - `mpi`: data-parallel training over MPI (`distributed::mpi`, rsmpi),
//!   which needs an MPI library and libclang to build (docs/DISTRIBUTED.md).
//!   Without it the [`distributed`] module still runs ranks as threads.
//!
//! The trainer works in `f32`, the element type of every data set and of
//! the fast kernels; gradient checks (which need `f64`) are in `synann-nn`.

#![warn(missing_docs)]

pub mod distributed;
pub mod error;
pub mod evaluate;
pub mod metrics;
pub mod plot;
pub mod progress;
pub mod recipe;
pub mod setup;
pub mod summary;
pub mod trainer;

pub use error::TrainError;
pub use evaluate::{evaluate, Evaluation};
pub use metrics::EpochMetrics;
pub use recipe::{LossKind, OptimizerKind, Recipe, Schedule};
pub use summary::Summary;
pub use trainer::{load_weights, TrainOptions, Trainer};
