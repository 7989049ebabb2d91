//! [`DataLoader`]: batches of `f32` images and their labels, reshuffled each
//! epoch, reproducibly.
//!
//! # Randomness, reproducibility and resuming
//!
//! The loader holds no random state. Everything random is a function of the
//! loader's seed, the epoch number and the position in the epoch:
//!
//! - the order of epoch `e` is a Fisher–Yates shuffle driven by ChaCha8
//!   ([`synann_tensor::random::Rng`]) keyed by the seed, on stream `2e`;
//! - the augmentation of the image at position `p` of epoch `e` uses the same
//!   key on stream `2e + 1`, starting at word `64 p`.
//!
//! So a run resumed at epoch `e`, batch `b` only needs `e` and `b`
//! ([`DataLoader::epoch`] then [`Iterator::nth`], which skips without
//! assembling), and an image's augmentation does not depend on the batch
//! size or on the thread that assembles it.
//!
//! # Cost
//!
//! Images stay `u8` until a batch is assembled; each image is converted
//! through a 256-entry lookup table (scaling and normalisation together),
//! the images of a batch in parallel. Without augmentation a 60000-image
//! epoch of MNIST assembles in a few tens of milliseconds.

use crate::image_set::ImageSet;
use crate::transform::{RandomAffine, Transform};
use rand::seq::SliceRandom;
use synann_tensor::parallel::for_each_block;
use synann_tensor::random::seeded;
use synann_tensor::Tensor;

/// Random words reserved for the augmentation of one image.
const WORDS_PER_IMAGE: u128 = 64;

/// Batches `(images, labels)` from an [`ImageSet`].
///
/// Images come as `Tensor<f32>` of shape `[B, 1, rows, cols]` (or
/// `[B, rows · cols]` with [`DataLoader::flatten`]), labels as `Vec<usize>`.
/// By default: no shuffling, the last partial batch is kept, values are
/// scaled to [0, 1], no augmentation.
///
/// ```
/// use synann_datasets::{DataLoader, ImageSet, MNIST_MEAN, MNIST_STD};
/// let set = ImageSet::new(vec![0; 10 * 4], (0..10).collect(), 2, 2, 10);
/// let loader = DataLoader::new(&set, 4)
///     .shuffle(true)
///     .seed(42)
///     .drop_last(true)
///     .normalize(MNIST_MEAN, MNIST_STD);
/// assert_eq!(loader.len(), 2);
/// for (images, labels) in loader.epoch(0) {
///     assert_eq!(images.shape(), &[4, 1, 2, 2]);
///     assert_eq!(labels.len(), 4);
/// }
/// ```
#[derive(Clone, Debug)]
pub struct DataLoader<'a> {
    data: &'a ImageSet,
    batch_size: usize,
    shuffle: bool,
    seed: u64,
    drop_last: bool,
    flatten: bool,
    transform: Transform,
    table: [f32; 256],
}

impl<'a> DataLoader<'a> {
    /// A loader over `data` in batches of `batch_size` (> 0).
    pub fn new(data: &'a ImageSet, batch_size: usize) -> Self {
        assert!(batch_size > 0, "DataLoader::new: batch_size must be > 0");
        let transform = Transform::default();
        DataLoader {
            data,
            batch_size,
            shuffle: false,
            seed: 0,
            drop_last: false,
            flatten: false,
            table: transform.lookup_table(),
            transform,
        }
    }

    /// Whether to visit the images in a new random order each epoch.
    pub fn shuffle(mut self, shuffle: bool) -> Self {
        self.shuffle = shuffle;
        self
    }

    /// The seed of the shuffling and of the augmentation (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Whether to skip the last batch when it is smaller than `batch_size`.
    pub fn drop_last(mut self, drop_last: bool) -> Self {
        self.drop_last = drop_last;
        self
    }

    /// Whether images come as `[B, rows · cols]` instead of
    /// `[B, 1, rows, cols]`.
    pub fn flatten(mut self, flatten: bool) -> Self {
        self.flatten = flatten;
        self
    }

    /// Replaces the whole per-image transform; panics if its parameters are
    /// invalid (see [`Transform::check`]).
    pub fn transform(mut self, transform: Transform) -> Self {
        transform.check();
        self.table = transform.lookup_table();
        self.transform = transform;
        self
    }

    /// Normalises values (after scaling to [0, 1]) to `(x − mean) / std`;
    /// MNIST's are [`MNIST_MEAN`](crate::MNIST_MEAN) and
    /// [`MNIST_STD`](crate::MNIST_STD).
    pub fn normalize(self, mean: f32, std: f32) -> Self {
        let transform = Transform {
            normalize: Some((mean, std)),
            ..self.transform
        };
        self.transform(transform)
    }

    /// Shifts each image by up to `max_pixels` whole pixels along each axis,
    /// filling with black.
    pub fn random_shift(self, max_pixels: usize) -> Self {
        let transform = Transform {
            shift: max_pixels,
            ..self.transform
        };
        self.transform(transform)
    }

    /// Applies a random affine transform to each image.
    pub fn random_affine(self, affine: RandomAffine) -> Self {
        let transform = Transform {
            affine: Some(affine),
            ..self.transform
        };
        self.transform(transform)
    }

    /// The per-image transform in use.
    pub fn current_transform(&self) -> &Transform {
        &self.transform
    }

    /// The number of batches per epoch.
    pub fn len(&self) -> usize {
        let n = self.data.len();
        if self.drop_last {
            n / self.batch_size
        } else {
            n.div_ceil(self.batch_size)
        }
    }

    /// Whether an epoch yields no batch.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The order in which epoch `epoch` visits the images: a permutation of
    /// `0..N` (the identity without shuffling).
    pub fn permutation(&self, epoch: usize) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.data.len()).collect();
        if self.shuffle {
            let mut rng = seeded(self.seed);
            rng.set_stream(2 * epoch as u64);
            order.shuffle(&mut rng);
        }
        order
    }

    /// The batches of epoch `epoch` (count epochs from 0).
    pub fn epoch(&self, epoch: usize) -> Batches<'a> {
        self.clone().into_epoch(epoch)
    }

    /// The batches of epoch `epoch`, owning the loader (an iterator that
    /// outlives the loader, as the [`Dataset`](crate::Dataset) trait needs).
    pub fn into_epoch(self, epoch: usize) -> Batches<'a> {
        Batches {
            order: self.permutation(epoch),
            loader: self,
            epoch,
            next: 0,
        }
    }

    /// Assembles the batch of the images `order` (which start at position
    /// `start` of epoch `epoch`).
    fn assemble(&self, epoch: usize, order: &[usize], start: usize) -> (Tensor<f32>, Vec<usize>) {
        let (rows, cols) = (self.data.rows(), self.data.cols());
        let pixels = rows * cols;
        let mut images = vec![0.0f32; order.len() * pixels];
        let mut augment_rng = seeded(self.seed);
        augment_rng.set_stream(2 * epoch as u64 + 1);
        let work = images.len() * if self.transform.is_random() { 24 } else { 1 };
        for_each_block(&mut images, pixels, work, |i, out| {
            let mut rng = augment_rng.clone();
            if self.transform.is_random() {
                rng.set_word_pos((start + i) as u128 * WORDS_PER_IMAGE);
            }
            let src = self.data.image(order[i]);
            self.transform
                .apply_with_table(&self.table, src, rows, cols, &mut rng, out);
        });
        let labels = order.iter().map(|&i| self.data.labels()[i]).collect();
        let shape = if self.flatten {
            vec![order.len(), pixels]
        } else {
            vec![order.len(), 1, rows, cols]
        };
        (Tensor::from_vec(images, &shape), labels)
    }
}

/// The batches of one epoch, in order; see [`DataLoader::epoch`].
#[derive(Clone, Debug)]
pub struct Batches<'a> {
    loader: DataLoader<'a>,
    epoch: usize,
    order: Vec<usize>,
    next: usize,
}

impl Batches<'_> {
    /// The epoch these batches belong to.
    pub fn epoch(&self) -> usize {
        self.epoch
    }

    /// The image order of this epoch.
    pub fn order(&self) -> &[usize] {
        &self.order
    }

    /// Batch `index` of the epoch, whatever the iterator's position; panics
    /// if `index` is not below [`DataLoader::len`].
    pub fn get(&self, index: usize) -> (Tensor<f32>, Vec<usize>) {
        let count = self.loader.len();
        assert!(
            index < count,
            "Batches::get: batch {index} out of range for {count} batches"
        );
        let start = index * self.loader.batch_size;
        let end = (start + self.loader.batch_size).min(self.order.len());
        self.loader
            .assemble(self.epoch, &self.order[start..end], start)
    }
}

impl Iterator for Batches<'_> {
    type Item = (Tensor<f32>, Vec<usize>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.loader.len() {
            return None;
        }
        let batch = self.get(self.next);
        self.next += 1;
        Some(batch)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.loader.len().saturating_sub(self.next);
        (left, Some(left))
    }

    /// Skips `n` batches without assembling them (used to resume an epoch).
    fn nth(&mut self, n: usize) -> Option<Self::Item> {
        self.next = self.next.saturating_add(n);
        self.next()
    }
}

impl ExactSizeIterator for Batches<'_> {}
