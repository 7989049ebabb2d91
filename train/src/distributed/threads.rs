//! Data-parallel training on the cores of one machine: the ranks are
//! threads of this process ([`ThreadGroup`]), each with a pool of its own.
//!
//! **Why.** The usual way to train on several cores, and PyTorch's on a
//! CPU, is to split every op over them (intra-op parallelism: our global
//! thread pool, `--threads`). A model made of many small ops pays for it
//! at every op: a recurrent cell runs about ten per time step, each a fork
//! and a join of the pool, and ops on a few thousand elements do not split
//! at all, so the other cores wait. Ranks as threads split the *batch*
//! instead, once per step: each rank runs the whole forward and backward
//! of its shard on its own cores, and the ranks meet once per step to sum
//! the gradients ([`all_reduce_gradients`](super::all_reduce_gradients)).
//! The numbers a run gives are those of MPI ranks (the same code, the same
//! sums in rank order), which in turn are those of one process up to the
//! order of the sums (see `docs/DISTRIBUTED.md`). The cost is memory: one
//! replica of the model, its optimizer state and its activations per rank.
//!
//! ```
//! use synann_tensor::parallel::{num_threads, ThreadPoolBuildError};
//! use synann_train::distributed::{run_thread_ranks, BatchNormSync};
//!
//! // Two ranks of one thread each: every closure gets its rank's context
//! // (give it to `Trainer::with_distributed`).
//! let ranks = run_thread_ranks(2, 1, BatchNormSync::PerRank, |d| {
//!     Ok::<_, ThreadPoolBuildError>((d.rank(), d.world_size(), num_threads()))
//! })
//! .unwrap();
//! assert_eq!(ranks, vec![(0, 2, 1), (1, 2, 1)]);
//! ```

use super::{BatchNormSync, Distributed};
use std::rc::Rc;
use synann_nn::distributed::ThreadGroup;
use synann_tensor::parallel;

/// Runs `f` on `ranks` threads, each one rank of a data-parallel group
/// ([`ThreadGroup`]) with a pool of `threads_per_rank` threads of its own
/// ([`with_threads`](synann_tensor::parallel::with_threads): the kernels
/// `f` calls use that pool, not the global one), and returns the ranks'
/// results in rank order.
///
/// `f` gets its rank's [`Distributed`] context, built on the rank's
/// thread. If a rank returns an error (or panics), the group is aborted:
/// the other ranks unwind at their next collective instead of waiting for
/// it, and the error of the lowest failing rank is returned (a panic is
/// re-raised), as `MPI_Abort` ends an MPI job. Ranks × threads per rank
/// should not exceed the machine's cores.
///
/// # Panics
/// If `ranks` is 0.
pub fn run_thread_ranks<R, E>(
    ranks: usize,
    threads_per_rank: usize,
    batch_norm: BatchNormSync,
    f: impl Fn(Distributed) -> Result<R, E> + Sync,
) -> Result<Vec<R>, E>
where
    R: Send,
    E: Send + From<parallel::ThreadPoolBuildError>,
{
    assert!(
        ranks > 0,
        "run_thread_ranks: a group needs at least one rank"
    );
    ThreadGroup::try_run(ranks, |group| {
        parallel::with_threads(threads_per_rank, || {
            f(Distributed::new(Rc::new(group), batch_norm))
        })?
    })
}
