//! [`DistributedSampler`]: which samples of each global batch a rank
//! trains on, and which evaluation batches it evaluates.
//!
//! Every rank draws the same global batches, in the data set's seeded
//! order for the epoch (the order depends only on the seed and the epoch,
//! never on the world size), and keeps a contiguous slice of rows: with B
//! rows and p ranks, rank r keeps rows `r·B/p .. (r+1)·B/p`. The recipe's
//! batch size is the global one, so the step count, the learning-rate
//! schedule and the gradient of every step are those of one process with
//! the same batch (up to the order of the sums). The last batch of an
//! epoch may be smaller and not a multiple of p: its shards then differ
//! by at most one row (the first ranks take one more), and each rank's
//! gradient is weighted by its share ([`DistributedSampler::weight`]).

use super::DistributedError;
use std::ops::Range;
use synann_datasets::Batch;
use synann_tensor::Tensor;

/// The shards of rank `rank` of `world_size`, PyTorch's
/// `DistributedSampler` (contiguous shards of each global batch here, so a
/// rank's shard of a batch is what one process would see of it).
///
/// ```
/// use synann_train::distributed::DistributedSampler;
///
/// let sampler = DistributedSampler::new(1, 4);
/// assert_eq!(sampler.shard(64), 16..32);
/// assert_eq!(sampler.shard(10), 3..6); // shards of 3, 3, 2, 2
/// assert!(sampler.check(64, 60_000).is_ok());
/// assert!(sampler.check(30, 60_000).is_err()); // 4 does not divide 30
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DistributedSampler {
    rank: usize,
    world_size: usize,
}

impl DistributedSampler {
    /// The sampler of rank `rank` in a world of `world_size` ranks.
    pub fn new(rank: usize, world_size: usize) -> Self {
        assert!(
            rank < world_size,
            "rank {rank} is outside a world of {world_size} ranks"
        );
        DistributedSampler { rank, world_size }
    }

    /// Checks that every rank gets a non-empty, equal shard of every full
    /// batch: the world size divides `batch_size`, and the last partial
    /// batch of `train_len` samples (if any) holds at least one sample per
    /// rank.
    pub fn check(&self, batch_size: usize, train_len: usize) -> Result<(), DistributedError> {
        let world_size = self.world_size;
        if !batch_size.is_multiple_of(world_size) {
            return Err(DistributedError::BatchSize {
                batch_size,
                world_size,
            });
        }
        let last = train_len % batch_size;
        if last != 0 && last < world_size {
            return Err(DistributedError::ShortLastBatch {
                train_len,
                batch_size,
                world_size,
            });
        }
        Ok(())
    }

    /// The rows this rank keeps of a global batch of `batch_len` rows.
    pub fn shard(&self, batch_len: usize) -> Range<usize> {
        let (share, extra) = (batch_len / self.world_size, batch_len % self.world_size);
        let start = |r: usize| r * share + r.min(extra);
        start(self.rank)..start(self.rank + 1)
    }

    /// This rank's shard of a global batch (a copy of its rows).
    pub fn shard_batch(&self, (inputs, labels): Batch) -> Batch {
        let rows = self.shard(labels.len());
        if rows.len() == labels.len() {
            return (inputs, labels);
        }
        let mut shape = inputs.shape().to_vec();
        let row = shape[1..].iter().product::<usize>();
        shape[0] = rows.len();
        let data = inputs.data()[rows.start * row..rows.end * row].to_vec();
        (Tensor::from_vec(data, &shape), labels[rows].to_vec())
    }

    /// The factor this rank's gradient (of its shard's mean loss) is
    /// multiplied by before the sum over ranks and the division by the
    /// world size, so that the result is the gradient of the global
    /// batch's mean loss: (shard size) · p / (batch size), exactly 1 (and
    /// then skipped) when the shards are equal.
    pub fn weight(&self, batch_len: usize) -> Option<f64> {
        let rows = self.shard(batch_len).len();
        (rows * self.world_size != batch_len)
            .then(|| (rows * self.world_size) as f64 / batch_len as f64)
    }

    /// Whether this rank evaluates evaluation batch `index` (0-based):
    /// batches are dealt round-robin, batch i to rank i mod p.
    pub fn owns_eval_batch(&self, index: usize) -> bool {
        index % self.world_size == self.rank
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_every_batch_once_in_order() {
        for world in 1..6 {
            for len in world..40 {
                let ranges: Vec<_> = (0..world)
                    .map(|r| DistributedSampler::new(r, world).shard(len))
                    .collect();
                assert_eq!(ranges[0].start, 0);
                assert_eq!(ranges[world - 1].end, len);
                assert!(ranges.windows(2).all(|w| w[0].end == w[1].start));
                let sizes: Vec<_> = ranges.iter().map(|r| r.len()).collect();
                assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1);
            }
        }
    }

    #[test]
    fn weights_make_the_weighted_mean_the_global_mean() {
        // A last batch of 7 over 3 ranks: shards 3, 2, 2; weights 9/7, 6/7, 6/7.
        let weights: Vec<f64> = (0..3)
            .map(|r| DistributedSampler::new(r, 3).weight(7).unwrap())
            .collect();
        assert_eq!(weights, vec![9.0 / 7.0, 6.0 / 7.0, 6.0 / 7.0]);
        // Σ_r weight_r · mean_r / p = Σ_r (n_r/n) · mean_r: the global mean.
        assert!((weights.iter().sum::<f64>() / 3.0 - 1.0).abs() < 1e-15);
        assert_eq!(DistributedSampler::new(1, 4).weight(64), None);
    }

    #[test]
    fn a_world_size_that_does_not_divide_the_batch_is_an_error_naming_both() {
        let err = DistributedSampler::new(0, 3).check(64, 6000).unwrap_err();
        assert_eq!(
            err,
            DistributedError::BatchSize {
                batch_size: 64,
                world_size: 3
            }
        );
        let text = err.to_string();
        assert!(
            text.contains("world size 3") && text.contains("batch size 64"),
            "{text}"
        );
        // 1001 samples in batches of 8: a last batch of 1 for 2 ranks.
        let err = DistributedSampler::new(0, 2).check(8, 1001).unwrap_err();
        assert!(err.to_string().contains("holds 1 samples"), "{err}");
        assert!(DistributedSampler::new(0, 2).check(8, 1002).is_ok());
    }

    #[test]
    fn shard_batch_keeps_the_rows_of_the_rank() {
        let inputs = Tensor::from_vec((0..12).map(|v| v as f32).collect(), &[6, 2]);
        let labels = vec![0, 1, 2, 3, 4, 5];
        let (x, y) = DistributedSampler::new(1, 3).shard_batch((inputs, labels));
        assert_eq!(x.shape(), &[2, 2]);
        assert_eq!(x.data(), &[4.0, 5.0, 6.0, 7.0]);
        assert_eq!(y, vec![2, 3]);
        assert!(DistributedSampler::new(0, 1).owns_eval_batch(5));
        assert!(DistributedSampler::new(1, 2).owns_eval_batch(3));
    }
}
