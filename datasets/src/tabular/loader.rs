//! [`TabularLoader`]: batches of rows as `Tensor<f32>` `[B, F]` with their
//! labels, reshuffled each epoch, reproducibly.

use super::{Tabular, TabularError};
use rand::seq::SliceRandom;
use synann_tensor::random::seeded;
use synann_tensor::Tensor;

/// Batches `(features, labels)` from a [`Tabular`]: features as a
/// `Tensor<f32>` `[B, F]`, labels as `Vec<usize>`.
///
/// By default rows come in order and the last, smaller batch is kept. With
/// [`shuffle`](TabularLoader::shuffle), epoch `e` visits the rows in the
/// order of a Fisher–Yates shuffle driven by ChaCha8 keyed by the seed, on
/// stream `e`: a function of the seed and the epoch only, so an epoch can be
/// replayed without running the ones before it.
///
/// ```
/// use synann_datasets::tabular::{Tabular, TabularLoader};
/// let data = Tabular::new(vec!["x".into()], (0..5).map(|i| i as f32).collect(), vec![0, 1, 0, 1, 0], 2)?;
/// let loader = TabularLoader::new(&data, 2)?;
/// let batches: Vec<_> = loader.epoch(0).collect();
/// assert_eq!(batches.len(), 3);
/// assert_eq!(batches[2].0.shape(), &[1, 1]);
/// assert_eq!(batches[0].1, vec![0, 1]);
/// assert!(TabularLoader::new(&data, 0).is_err());
/// # Ok::<(), synann_datasets::tabular::TabularError>(())
/// ```
#[derive(Clone, Debug)]
pub struct TabularLoader<'a> {
    data: &'a Tabular,
    batch_size: usize,
    shuffle: bool,
    seed: u64,
    drop_last: bool,
}

impl<'a> TabularLoader<'a> {
    /// A loader over `data` in batches of `batch_size` rows; fails if
    /// `batch_size` is 0.
    pub fn new(data: &'a Tabular, batch_size: usize) -> Result<Self, TabularError> {
        if batch_size == 0 {
            return Err(TabularError::ZeroBatchSize);
        }
        Ok(TabularLoader {
            data,
            batch_size,
            shuffle: false,
            seed: 0,
            drop_last: false,
        })
    }

    /// Whether to visit the rows in a new random order each epoch.
    pub fn shuffle(mut self, shuffle: bool) -> Self {
        self.shuffle = shuffle;
        self
    }

    /// The seed of the shuffling (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Whether to skip the last batch when it is smaller than the batch
    /// size.
    pub fn drop_last(mut self, drop_last: bool) -> Self {
        self.drop_last = drop_last;
        self
    }

    /// The number of batches per epoch.
    pub fn len(&self) -> usize {
        if self.drop_last {
            self.data.len() / self.batch_size
        } else {
            self.data.len().div_ceil(self.batch_size)
        }
    }

    /// Whether an epoch yields no batch.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The order in which epoch `epoch` visits the rows: a permutation of
    /// `0..N` (the identity without shuffling).
    pub fn permutation(&self, epoch: usize) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.data.len()).collect();
        if self.shuffle {
            let mut rng = seeded(self.seed);
            rng.set_stream(epoch as u64);
            order.shuffle(&mut rng);
        }
        order
    }

    /// The batches of epoch `epoch` (epochs count from 0).
    pub fn epoch(&self, epoch: usize) -> TabularBatches<'a> {
        self.clone().into_epoch(epoch)
    }

    /// The batches of epoch `epoch`, owning the loader (an iterator that
    /// outlives the loader, as the [`Dataset`](crate::Dataset) trait needs).
    pub fn into_epoch(self, epoch: usize) -> TabularBatches<'a> {
        TabularBatches {
            order: self.permutation(epoch),
            loader: self,
            next: 0,
        }
    }
}

/// The batches of one epoch, in order; see [`TabularLoader::epoch`].
#[derive(Clone, Debug)]
pub struct TabularBatches<'a> {
    loader: TabularLoader<'a>,
    order: Vec<usize>,
    next: usize,
}

impl Iterator for TabularBatches<'_> {
    type Item = (Tensor<f32>, Vec<usize>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.loader.len() {
            return None;
        }
        let size = self.loader.batch_size;
        let start = self.next * size;
        let rows = &self.order[start..(start + size).min(self.order.len())];
        self.next += 1;
        let data = self.loader.data;
        let features = rows
            .iter()
            .flat_map(|&i| data.row(i).iter().copied())
            .collect();
        let labels = rows.iter().map(|&i| data.labels()[i]).collect();
        Some((
            Tensor::from_vec(features, &[rows.len(), data.num_features()]),
            labels,
        ))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.loader.len().saturating_sub(self.next);
        (left, Some(left))
    }
}

impl ExactSizeIterator for TabularBatches<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbered(n: usize) -> Tabular {
        let features = (0..n).flat_map(|i| [i as f32, 10.0 * i as f32]).collect();
        Tabular::new(
            vec!["i".into(), "ten_i".into()],
            features,
            (0..n).map(|i| i % 2).collect(),
            2,
        )
        .unwrap()
    }

    #[test]
    fn batches_cover_every_row_once_per_epoch() {
        let data = numbered(10);
        let loader = TabularLoader::new(&data, 4).unwrap().shuffle(true).seed(5);
        assert_eq!(loader.len(), 3);
        let mut seen = Vec::new();
        for (x, labels) in loader.epoch(3) {
            assert_eq!(x.shape()[1], 2);
            for (r, &label) in labels.iter().enumerate() {
                let i = x.data()[2 * r];
                assert_eq!(x.data()[2 * r + 1], 10.0 * i);
                assert_eq!(label, i as usize % 2);
                seen.push(i as usize);
            }
        }
        assert_ne!(seen, (0..10).collect::<Vec<_>>(), "shuffled");
        seen.sort_unstable();
        assert_eq!(seen, (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn shuffling_is_seeded_per_epoch() {
        let data = numbered(30);
        let a = TabularLoader::new(&data, 8).unwrap().shuffle(true).seed(1);
        let b = a.clone().seed(2);
        assert_eq!(a.permutation(4), a.permutation(4));
        assert_ne!(a.permutation(4), a.permutation(5));
        assert_ne!(a.permutation(4), b.permutation(4));
        let plain = TabularLoader::new(&data, 8).unwrap();
        assert_eq!(plain.permutation(7), (0..30).collect::<Vec<_>>());
    }

    #[test]
    fn drop_last_and_zero_batch_size() {
        let data = numbered(10);
        let loader = TabularLoader::new(&data, 4).unwrap().drop_last(true);
        assert_eq!(loader.len(), 2);
        assert_eq!(loader.epoch(0).len(), 2);
        assert!(loader.epoch(0).all(|(x, _)| x.shape() == [4, 2]));
        let err = TabularLoader::new(&data, 0).unwrap_err();
        assert_eq!(err, TabularError::ZeroBatchSize);
    }
}
