//! The training recipe and image input that come with each zoo model: what
//! the original code (or our own tuning) trained it with. The types are the
//! training library's ([`synann_train::Recipe`]) and the data library's
//! ([`synann_datasets::ImageInput`]); the zoo only holds the values. The main
//! job (`examples/mnist.rs`) reads them for its defaults; every field of the
//! recipe can be overridden from the command line.

pub use synann_datasets::{Augmentation, ImageInput, InputLayout, Normalization};
pub use synann_train::{LossKind, OptimizerKind, Recipe, Schedule};
