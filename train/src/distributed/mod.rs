//! Data-parallel training: every rank holds a replica of the model, trains
//! on its shard of each global batch, and the gradients are averaged
//! across ranks before every optimizer step, so the replicas stay equal
//! and the run follows the same recipe (global batch size, learning rate
//! schedule) as one process would.
//!
//! [`Distributed`] is the context a [`Trainer`](crate::Trainer) takes
//! ([`Trainer::with_distributed`](crate::Trainer::with_distributed)): a
//! [`ProcessGroup`] (rank, world size, collectives) and the
//! [`BatchNormSync`] choice. With feature `mpi` the group is MPI's
//! `MPI_COMM_WORLD` (`Distributed::from_mpi`, `mpi.rs`);
//! [`ThreadGroup`](synann_nn::distributed::ThreadGroup) runs the ranks as
//! threads of one process: [`run_thread_ranks`] trains that way on the
//! cores of one machine (`threads.rs`, faster than one process for models
//! of many small ops), and the tests check the logic with it in a plain
//! `cargo test`.
//!
//! What a distributed run does, as PyTorch's DistributedDataParallel with a
//! `DistributedSampler`:
//!
//! - at start, the parameters and buffers of rank 0 are broadcast to every
//!   rank ([`broadcast_state`]);
//! - every rank draws the same global batches (the data set's seeded order,
//!   [`Pass::Train`](synann_datasets::Pass::Train)) and keeps its
//!   contiguous shard of each ([`DistributedSampler`], `sampler.rs`); the
//!   world size must divide the batch size ([`DistributedError::BatchSize`]);
//! - after the backward, one fused buffer holding every gradient in
//!   parameter order (plus the step's loss and accuracy counts) is
//!   all-reduced: summed, then divided by the world size
//!   ([`all_reduce_gradients`], `allreduce.rs`), so the clipping, the
//!   non-finite checks and the step see the same numbers on every rank;
//! - BatchNorm layers use their rank's batch statistics and rank 0's running
//!   statistics are broadcast before every forward ([`BatchNormSync::PerRank`],
//!   DDP's default), or reduce them across ranks ([`BatchNormSync::Sync`],
//!   [`with_sync_batch_norm`](synann_nn::layers::with_sync_batch_norm));
//! - evaluation is sharded by batches and reduced ([`evaluate_sharded`]);
//! - rank 0 alone writes metrics, curves and checkpoints; every rank reads
//!   the checkpoint it resumes from (on a shared file system, or a copy), on
//!   any world size.

mod allreduce;
mod evaluate;
#[cfg(feature = "mpi")]
pub mod mpi;
mod sampler;
mod threads;

pub(crate) use allreduce::broadcast_vars;
pub use allreduce::{all_reduce_gradients, broadcast_state, FusedBuffer, StepStatistics};
pub use evaluate::evaluate_sharded;
pub use sampler::DistributedSampler;
pub use threads::run_thread_ranks;

use std::fmt;
use std::rc::Rc;
use synann_nn::distributed::ProcessGroup;

/// How BatchNorm layers compute their batch statistics in a distributed
/// run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BatchNormSync {
    /// Each rank normalises with its own shard's statistics, and rank 0's
    /// running statistics are broadcast before every forward (PyTorch's
    /// DistributedDataParallel default).
    #[default]
    PerRank,
    /// The mean and variance of the whole global batch, reduced across the
    /// ranks in the forward, with their gradients reduced in the backward
    /// (SyncBatchNorm): training then matches one process over the global
    /// batch.
    Sync,
}

/// A configuration error of a distributed run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DistributedError {
    /// The world size does not divide the global batch size.
    BatchSize {
        /// The recipe's (global) batch size.
        batch_size: usize,
        /// The number of ranks.
        world_size: usize,
    },
    /// The last, partial batch of an epoch has fewer samples than there are
    /// ranks, so some rank would get an empty shard.
    ShortLastBatch {
        /// The number of training samples.
        train_len: usize,
        /// The recipe's batch size.
        batch_size: usize,
        /// The number of ranks.
        world_size: usize,
    },
    /// MPI could not be initialised (it was already, or the runtime
    /// refused).
    Init(String),
}

impl fmt::Display for DistributedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DistributedError::BatchSize {
                batch_size,
                world_size,
            } => write!(
                f,
                "the world size {world_size} does not divide the global batch size {batch_size}: \
                 each rank takes batch_size / world_size samples of every batch; \
                 choose a batch size that is a multiple of {world_size} or another number of ranks"
            ),
            DistributedError::ShortLastBatch {
                train_len,
                batch_size,
                world_size,
            } => write!(
                f,
                "the last batch of an epoch holds {} samples ({train_len} mod {batch_size}), \
                 fewer than the world size {world_size}: some rank would get none; \
                 change the batch size or the number of ranks",
                train_len % batch_size
            ),
            DistributedError::Init(why) => write!(f, "MPI initialisation failed: {why}"),
        }
    }
}

impl std::error::Error for DistributedError {}

/// The context of a data-parallel run: this rank's [`ProcessGroup`] and
/// how BatchNorm layers share statistics.
#[derive(Clone)]
pub struct Distributed {
    group: Rc<dyn ProcessGroup>,
    batch_norm: BatchNormSync,
}

impl fmt::Debug for Distributed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Distributed")
            .field("rank", &self.rank())
            .field("world_size", &self.world_size())
            .field("batch_norm", &self.batch_norm)
            .finish()
    }
}

impl Distributed {
    /// The context of this rank of `group`.
    pub fn new(group: Rc<dyn ProcessGroup>, batch_norm: BatchNormSync) -> Self {
        Distributed { group, batch_norm }
    }

    /// This rank, in `0..world_size()`.
    pub fn rank(&self) -> usize {
        self.group.rank()
    }

    /// The number of ranks.
    pub fn world_size(&self) -> usize {
        self.group.world_size()
    }

    /// Whether this is rank 0, the one that writes files and prints.
    pub fn is_root(&self) -> bool {
        self.rank() == 0
    }

    /// The process group.
    pub fn group(&self) -> &Rc<dyn ProcessGroup> {
        &self.group
    }

    /// How BatchNorm layers share statistics.
    pub fn batch_norm(&self) -> BatchNormSync {
        self.batch_norm
    }

    /// This rank's sampler.
    pub fn sampler(&self) -> DistributedSampler {
        DistributedSampler::new(self.rank(), self.world_size())
    }
}
