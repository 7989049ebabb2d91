//! # synann-datasets
//!
//! Data for the synann deep-learning engine: the IDX file format, the MNIST
//! and Fashion-MNIST datasets, a batching data loader, and tabular (CSV)
//! data with splits, standardisation and its own loader.
//!
//! | module | what it holds |
//! |---|---|
//! | [`dataset`] | [`Dataset`]: what a trainer needs from labelled data (length, classes, batches of a [`Pass`]); [`ImageInput`]: a model's image layout, normalisation and augmentation |
//! | [`idx`] | [`read_idx`](idx::read_idx) / [`write_idx`](idx::write_idx) for every IDX element type, raw or gzipped, with a typed [`IdxError`] |
//! | [`mnist`] | [`Mnist`], [`FashionMnist`] (one [`MnistFormat`] loader): locating, reading and checking the four files |
//! | `image_set` | [`ImageSet`]: `u8` images and their labels |
//! | [`loader`] | [`DataLoader`]: seeded per-epoch shuffling, batches of `f32` tensors |
//! | [`transform`] | [`Transform`]: scaling, normalisation, random shift and affine augmentation |
//! | [`tabular`] | [`Tabular`]: CSV reading ([`read_csv`], typed [`CsvError`]), seeded splits, [`Standardizer`], [`TabularLoader`]; the shipped Breast Cancer set ([`load_breast_cancer`](tabular::load_breast_cancer)) |
//!
//! A copy of MNIST ships in the source tree (`datasets/data/mnist/`, with
//! the Breast Cancer Wisconsin CSV in `datasets/data/breast_cancer/`), so
//! this runs in a checkout without downloading anything:
//!
//! ```no_run
//! use synann_datasets::{DataLoader, Mnist, MNIST_MEAN, MNIST_STD};
//!
//! let mnist = Mnist::load_default()?; // $SYNANN_DATA/mnist, else the shipped copy
//! assert_eq!((mnist.train.len(), mnist.test.len()), (60000, 10000));
//!
//! let loader = DataLoader::new(&mnist.train, 64)
//!     .shuffle(true)
//!     .seed(1)
//!     .normalize(MNIST_MEAN, MNIST_STD)
//!     .random_shift(2);
//! for epoch in 0..2 {
//!     for (images, labels) in loader.epoch(epoch) {
//!         assert_eq!(images.shape()[1..], [1, 28, 28]);
//!         assert_eq!(images.shape()[0], labels.len());
//!     }
//! }
//! # Ok::<(), synann_datasets::IdxError>(())
//! ```

#![warn(missing_docs)]

pub mod dataset;
pub mod idx;
mod image_set;
pub mod loader;
pub mod mnist;
pub mod tabular;
pub mod transform;

pub use dataset::{
    Augmentation, Batch, Dataset, ImageData, ImageInput, InputLayout, Normalization, Pass,
};
pub use idx::IdxError;
pub use image_set::{ImageSet, SplitError};
pub use loader::{Batches, DataLoader};
pub use mnist::{FashionMnist, LoadOptions, Mnist, MnistFormat};
/// `rand` 0.8, whose traits the generator implements (re-exported from
/// [`synann_tensor::rand`]).
pub use synann_tensor::rand;
/// The generator the augmentations take and its `rand` 0.8 traits
/// (re-exported from [`synann_tensor::random`]).
pub use synann_tensor::random;
pub use tabular::{
    read_csv, CsvError, CsvErrorKind, Splits, Standardizer, Tabular, TabularError, TabularLoader,
};
pub use transform::{RandomAffine, Transform, MNIST_MEAN, MNIST_STD};
