//! [`Dataset`]: what a trainer needs from labelled data, whatever it is.
//!
//! A training loop asks a data set for two things only: how many samples it
//! has (for progress bars and the number of steps of a schedule) and the
//! batches of one pass over it. Images ([`ImageSet`], or [`ImageInput`]'s
//! view of one with a model's layout, normalisation and augmentation) and
//! tables ([`Tabular`]) implement it the same way, so one trainer serves
//! both:
//!
//! ```
//! use synann_datasets::{Dataset, Pass, Tabular};
//!
//! let table = Tabular::new(vec!["x".into()], vec![0.0, 1.0, 2.0], vec![0, 1, 0], 2)?;
//! let data: &dyn Dataset = &table;
//! assert_eq!((data.len(), data.num_classes(), data.num_batches(2)), (3, 2, 2));
//! let batches: Vec<_> = data.batches(2, Pass::Eval, 0).collect();
//! assert_eq!(batches[0].0.shape(), &[2, 1]);
//! assert_eq!(batches[1].1, vec![0]);
//! # Ok::<(), synann_datasets::TabularError>(())
//! ```
//!
//! The order of a [`Pass::Train`] is a function of its seed and the epoch
//! only (never of the passes before), which is what makes an interrupted run
//! resume exactly.

use crate::{DataLoader, ImageSet, RandomAffine, Tabular, TabularLoader};
use synann_tensor::Tensor;

/// A batch: the inputs, with the batch on the first axis, and one class
/// label per sample.
pub type Batch = (Tensor<f32>, Vec<usize>);

/// Which kind of pass over the data a stream of batches is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
    /// Training: the samples in a new random order each epoch, drawn from
    /// the seed and the epoch, and augmented where the data set augments.
    Train {
        /// The run's seed.
        seed: u64,
    },
    /// Evaluation: the samples in their stored order, never augmented.
    Eval,
}

/// Labelled data for classification, batched for training or evaluation.
pub trait Dataset {
    /// The number of samples.
    fn len(&self) -> usize;

    /// Whether there is no sample.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of classes: every label is below it.
    fn num_classes(&self) -> usize;

    /// The batches of one pass: `batch_size` samples each (> 0), the last
    /// one smaller when the size does not divide [`len`](Dataset::len).
    fn batches(
        &self,
        batch_size: usize,
        pass: Pass,
        epoch: usize,
    ) -> Box<dyn Iterator<Item = Batch> + '_>;

    /// The number of batches [`batches`](Dataset::batches) yields.
    fn num_batches(&self, batch_size: usize) -> usize {
        self.len().div_ceil(batch_size)
    }
}

/// Images as `[B, 1, rows, cols]` values in [0, 1], without augmentation
/// (see [`ImageInput`] for other layouts, normalisation and augmentation).
impl Dataset for ImageSet {
    fn len(&self) -> usize {
        ImageSet::len(self)
    }

    fn num_classes(&self) -> usize {
        ImageSet::num_classes(self)
    }

    fn batches(
        &self,
        batch_size: usize,
        pass: Pass,
        epoch: usize,
    ) -> Box<dyn Iterator<Item = Batch> + '_> {
        let loader = ImageInput::default().loader(self, batch_size, pass);
        Box::new(loader.into_epoch(epoch))
    }
}

/// Rows as `[B, features]`.
impl Dataset for Tabular {
    fn len(&self) -> usize {
        Tabular::len(self)
    }

    fn num_classes(&self) -> usize {
        Tabular::num_classes(self)
    }

    fn batches(
        &self,
        batch_size: usize,
        pass: Pass,
        epoch: usize,
    ) -> Box<dyn Iterator<Item = Batch> + '_> {
        let loader = TabularLoader::new(self, batch_size)
            .unwrap_or_else(|e| panic!("Dataset::batches of a Tabular: {e}"));
        let loader = match pass {
            Pass::Train { seed } => loader.shuffle(true).seed(seed),
            Pass::Eval => loader,
        };
        Box::new(loader.into_epoch(epoch))
    }
}

/// The shape in which a model takes its images.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum InputLayout {
    /// `[B, 1, rows, cols]` images.
    #[default]
    Image,
    /// `[B, rows · cols]` flattened images.
    Flat,
    /// `[B, rows, cols]`: a sequence of `rows` steps of `cols` pixels.
    Rows,
}

/// How pixel values are scaled.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Normalization {
    /// `pixel / 255`, in [0, 1].
    #[default]
    Unit,
    /// `(pixel / 255 − mean) / std` (torchvision's `Normalize`).
    MeanStd {
        /// The mean subtracted.
        mean: f32,
        /// The standard deviation divided by.
        std: f32,
    },
}

impl Normalization {
    /// MNIST's training mean and standard deviation (0.1307, 0.3081).
    pub const MNIST: Normalization = Normalization::MeanStd {
        mean: crate::MNIST_MEAN,
        std: crate::MNIST_STD,
    };
}

/// Random augmentation of training images (never applied in evaluation).
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Augmentation {
    /// Random shifts of up to this many pixels (0 = none).
    pub shift: usize,
    /// Random rotation of up to ± this many degrees (0 = none), with
    /// scaling and translation per the fields below.
    pub degrees: f32,
    /// Random translation as a fraction of the size.
    pub translate: f32,
    /// Random scale range; (1, 1), or (0, 0) as derived by `Default`, means
    /// no scaling.
    pub scale: (f32, f32),
}

impl Augmentation {
    /// No augmentation.
    pub const NONE: Augmentation = Augmentation {
        shift: 0,
        degrees: 0.0,
        translate: 0.0,
        scale: (1.0, 1.0),
    };

    /// The random affine part, or `None` when it would be the identity.
    fn affine(&self) -> Option<RandomAffine> {
        let scale = match self.scale {
            (0.0, 0.0) => (1.0, 1.0),
            s => s,
        };
        let is_identity = self.degrees == 0.0 && self.translate == 0.0 && scale == (1.0, 1.0);
        (!is_identity).then(|| RandomAffine::new(self.degrees, self.translate, scale))
    }
}

/// How a model takes its images: layout, normalisation and training
/// augmentation. [`ImageInput::of`] applies it to an [`ImageSet`], giving a
/// [`Dataset`].
///
/// ```
/// use synann_datasets::{Augmentation, Dataset, ImageInput, ImageSet, InputLayout, Normalization, Pass};
///
/// let set = ImageSet::new(vec![255; 3 * 4], vec![0, 1, 2], 2, 2, 3);
/// let input = ImageInput {
///     layout: InputLayout::Rows,
///     normalization: Normalization::MeanStd { mean: 0.5, std: 0.5 },
///     augmentation: Augmentation::NONE,
/// };
/// let (x, labels) = input.of(&set).batches(2, Pass::Train { seed: 1 }, 0).next().unwrap();
/// assert_eq!(x.shape(), &[2, 2, 2]);
/// assert_eq!(x.data()[0], 1.0);
/// assert_eq!(labels.len(), 2);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ImageInput {
    /// The shape of a batch.
    pub layout: InputLayout,
    /// The scaling of pixel values.
    pub normalization: Normalization,
    /// The augmentation of training batches.
    pub augmentation: Augmentation,
}

impl ImageInput {
    /// `set` as this input: a [`Dataset`] whose batches have this layout,
    /// normalisation and (in training) augmentation.
    pub fn of<'a>(&self, set: &'a ImageSet) -> ImageData<'a> {
        ImageData { set, input: *self }
    }

    /// The loader of one pass over `set` in batches of `batch_size`.
    pub fn loader<'a>(&self, set: &'a ImageSet, batch_size: usize, pass: Pass) -> DataLoader<'a> {
        let mut loader = DataLoader::new(set, batch_size).flatten(self.layout == InputLayout::Flat);
        if let Normalization::MeanStd { mean, std } = self.normalization {
            loader = loader.normalize(mean, std);
        }
        let Pass::Train { seed } = pass else {
            return loader;
        };
        loader = loader.seed(seed).shuffle(true);
        if self.augmentation.shift > 0 {
            loader = loader.random_shift(self.augmentation.shift);
        }
        if let Some(affine) = self.augmentation.affine() {
            loader = loader.random_affine(affine);
        }
        loader
    }

    /// A batch of `[B, 1, rows, cols]` or `[B, rows · cols]` images from a
    /// [`DataLoader`] in this layout (`[B, rows, cols]` for
    /// [`InputLayout::Rows`]).
    pub fn shape_batch(&self, images: Tensor<f32>) -> Tensor<f32> {
        match self.layout {
            InputLayout::Rows => {
                let s = images.shape().to_vec();
                images.reshape(&[s[0], s[2], s[3]])
            }
            InputLayout::Image | InputLayout::Flat => images,
        }
    }
}

/// An [`ImageSet`] seen through an [`ImageInput`]; see [`ImageInput::of`].
#[derive(Clone, Copy, Debug)]
pub struct ImageData<'a> {
    set: &'a ImageSet,
    input: ImageInput,
}

impl ImageData<'_> {
    /// The number of images.
    pub fn len(&self) -> usize {
        self.set.len()
    }

    /// Whether there is no image.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    /// The images.
    pub fn images(&self) -> &ImageSet {
        self.set
    }

    /// The layout, normalisation and augmentation.
    pub fn input(&self) -> &ImageInput {
        &self.input
    }
}

impl Dataset for ImageData<'_> {
    fn len(&self) -> usize {
        self.set.len()
    }

    fn num_classes(&self) -> usize {
        self.set.num_classes()
    }

    fn batches(
        &self,
        batch_size: usize,
        pass: Pass,
        epoch: usize,
    ) -> Box<dyn Iterator<Item = Batch> + '_> {
        let input = self.input;
        let loader = input.loader(self.set, batch_size, pass);
        Box::new(
            loader
                .into_epoch(epoch)
                .map(move |(images, labels)| (input.shape_batch(images), labels)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> ImageSet {
        ImageSet::new(
            (0..5 * 4).map(|v| v as u8).collect(),
            vec![0, 1, 2, 3, 4],
            2,
            2,
            5,
        )
    }

    #[test]
    fn layouts_shape_the_batches() {
        let set = set();
        for (layout, shape) in [
            (InputLayout::Image, vec![2, 1, 2, 2]),
            (InputLayout::Flat, vec![2, 4]),
            (InputLayout::Rows, vec![2, 2, 2]),
        ] {
            let input = ImageInput {
                layout,
                ..ImageInput::default()
            };
            let (x, _) = input.of(&set).batches(2, Pass::Eval, 0).next().unwrap();
            assert_eq!(x.shape(), shape.as_slice());
        }
    }

    #[test]
    fn eval_keeps_the_order_and_train_shuffles_by_seed_and_epoch() {
        let set = set();
        let labels = |pass, epoch| -> Vec<usize> {
            set.batches(2, pass, epoch).flat_map(|(_, l)| l).collect()
        };
        assert_eq!(labels(Pass::Eval, 3), vec![0, 1, 2, 3, 4]);
        let a = labels(Pass::Train { seed: 7 }, 0);
        assert_eq!(a, labels(Pass::Train { seed: 7 }, 0));
        let mut sorted = a.clone();
        sorted.sort();
        assert_eq!(sorted, vec![0, 1, 2, 3, 4]);
        let others: Vec<_> = (1..6).map(|e| labels(Pass::Train { seed: 7 }, e)).collect();
        assert!(others.iter().any(|o| *o != a), "epochs reshuffle");
        assert_eq!(set.num_batches(2), 3);
    }

    #[test]
    fn the_same_loader_as_the_data_loader_with_the_same_options() {
        let set = set();
        let input = ImageInput {
            layout: InputLayout::Flat,
            normalization: Normalization::MNIST,
            augmentation: Augmentation {
                shift: 1,
                ..Augmentation::NONE
            },
        };
        let ours: Vec<Batch> = input
            .of(&set)
            .batches(2, Pass::Train { seed: 3 }, 1)
            .collect();
        let direct = DataLoader::new(&set, 2)
            .flatten(true)
            .normalize(crate::MNIST_MEAN, crate::MNIST_STD)
            .seed(3)
            .shuffle(true)
            .random_shift(1);
        let theirs: Vec<Batch> = direct.epoch(1).collect();
        assert_eq!(ours.len(), theirs.len());
        for (a, b) in ours.iter().zip(&theirs) {
            assert_eq!(a.0.data(), b.0.data());
            assert_eq!(a.1, b.1);
        }
    }

    #[test]
    fn no_augmentation_in_evaluation_and_default_scale_is_identity() {
        assert!(Augmentation::default().affine().is_none());
        assert!(Augmentation::NONE.affine().is_none());
        let aug = Augmentation {
            degrees: 10.0,
            ..Augmentation::NONE
        };
        assert!(aug.affine().is_some());
        let input = ImageInput {
            augmentation: aug,
            ..ImageInput::default()
        };
        let set = set();
        let plain: Vec<Batch> = set.batches(5, Pass::Eval, 0).collect();
        let eval: Vec<Batch> = input.of(&set).batches(5, Pass::Eval, 0).collect();
        assert_eq!(plain[0].0.data(), eval[0].0.data());
    }
}
