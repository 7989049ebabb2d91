//! Collective operations between the ranks of a data-parallel run: the
//! [`ProcessGroup`] trait, what [`SyncBatchNorm`](crate::layers::SyncBatchNorm)
//! and a distributed trainer need from a communication runtime, and
//! [`ThreadGroup`], ranks as threads of one process.
//!
//! A process group is a fixed set of `world_size` ranks, numbered from 0,
//! that call the same collective operations in the same order. The MPI
//! implementation lives in `synann-train` (feature `mpi`); [`ThreadGroup`]
//! runs the same code with every rank in one process, which is how the
//! reductions are tested without MPI:
//!
//! ```
//! use synann_nn::distributed::{ProcessGroup, ThreadGroup};
//!
//! let sums = ThreadGroup::run(3, |group| {
//!     let mut values = [group.rank() as f64, 1.0];
//!     group.all_reduce_sum_f64(&mut values);
//!     values
//! });
//! assert_eq!(sums, vec![[3.0, 3.0]; 3]);
//! ```

use std::sync::{Arc, Barrier, Mutex};
use synann_tensor::Float;

/// The ranks of a data-parallel run and the collective operations between
/// them, PyTorch's `ProcessGroup`.
///
/// Every rank must call the same collectives in the same order with
/// buffers of the same length; each call returns when every rank has made
/// it. The sum of an all-reduce must be bitwise the same on every rank, so
/// that replicas that start equal stay equal.
pub trait ProcessGroup {
    /// This rank, in `0..world_size()`.
    fn rank(&self) -> usize;

    /// The number of ranks.
    fn world_size(&self) -> usize;

    /// Replaces `values` on every rank by their element-wise sum over the
    /// ranks.
    fn all_reduce_sum_f32(&self, values: &mut [f32]);

    /// Replaces `values` on every rank by their element-wise sum over the
    /// ranks.
    fn all_reduce_sum_f64(&self, values: &mut [f64]);

    /// Replaces `values` on every rank by those of rank `root`.
    fn broadcast_f32(&self, values: &mut [f32], root: usize);

    /// Replaces `values` on every rank by those of rank `root`.
    fn broadcast_f64(&self, values: &mut [f64], root: usize);
}

/// An element type that a [`ProcessGroup`] reduces and broadcasts (`f32`
/// and `f64`), so code generic over [`Float`] can call the collectives.
pub trait Collective: Float {
    /// [`ProcessGroup::all_reduce_sum_f32`] or `_f64`.
    fn all_reduce_sum(group: &dyn ProcessGroup, values: &mut [Self]);

    /// [`ProcessGroup::broadcast_f32`] or `_f64`.
    fn broadcast(group: &dyn ProcessGroup, values: &mut [Self], root: usize);
}

impl Collective for f32 {
    fn all_reduce_sum(group: &dyn ProcessGroup, values: &mut [f32]) {
        group.all_reduce_sum_f32(values)
    }

    fn broadcast(group: &dyn ProcessGroup, values: &mut [f32], root: usize) {
        group.broadcast_f32(values, root)
    }
}

impl Collective for f64 {
    fn all_reduce_sum(group: &dyn ProcessGroup, values: &mut [f64]) {
        group.all_reduce_sum_f64(values)
    }

    fn broadcast(group: &dyn ProcessGroup, values: &mut [f64], root: usize) {
        group.broadcast_f64(values, root)
    }
}

/// The buffers the ranks of a [`ThreadGroup`] exchange through.
struct Exchange {
    world_size: usize,
    barrier: Barrier,
    /// Each rank's contribution to the collective in progress, as f64
    /// (exact for f32 values).
    slots: Mutex<Vec<Vec<f64>>>,
}

/// A [`ProcessGroup`] whose ranks are threads of one process: for tests
/// and for simulating a multi-rank run on one machine without MPI.
///
/// Sums are taken in rank order (rank 0 first) in the element type, so
/// they are deterministic and the same on every rank.
pub struct ThreadGroup {
    rank: usize,
    exchange: Arc<Exchange>,
}

impl ThreadGroup {
    /// The `world_size` handles of a new group, one per rank (rank `r` at
    /// index `r`), to move into the threads that play the ranks.
    pub fn new(world_size: usize) -> Vec<ThreadGroup> {
        assert!(world_size > 0, "a process group needs at least one rank");
        let exchange = Arc::new(Exchange {
            world_size,
            barrier: Barrier::new(world_size),
            slots: Mutex::new(vec![Vec::new(); world_size]),
        });
        (0..world_size)
            .map(|rank| ThreadGroup {
                rank,
                exchange: exchange.clone(),
            })
            .collect()
    }

    /// Runs `f` on `world_size` threads, each with its rank's handle, and
    /// returns their results in rank order. A panic on any rank is
    /// re-raised here (after the others finish or block forever: a rank
    /// that panics between collectives leaves the others waiting, as a
    /// crashed MPI rank would without an error handler; tests panic only
    /// after their last collective).
    pub fn run<R: Send>(world_size: usize, f: impl Fn(ThreadGroup) -> R + Sync) -> Vec<R> {
        let f = &f;
        std::thread::scope(|scope| {
            let handles: Vec<_> = ThreadGroup::new(world_size)
                .into_iter()
                .map(|group| scope.spawn(move || f(group)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        })
    }

    /// Posts this rank's values, waits for every rank, and returns all
    /// contributions in rank order; a second barrier keeps the slots until
    /// every rank has read them.
    fn exchange(&self, values: Vec<f64>, read: impl FnOnce(&[Vec<f64>])) {
        let ex = &*self.exchange;
        ex.slots.lock().expect("no rank panics holding the lock")[self.rank] = values;
        ex.barrier.wait();
        read(&ex.slots.lock().expect("no rank panics holding the lock"));
        ex.barrier.wait();
    }

    /// The all-reduce of any [`Float`], summed in rank order in `T`.
    fn all_reduce<T: Float>(&self, values: &mut [T]) {
        let mine = values.iter().map(|v| v.to_f64()).collect();
        self.exchange(mine, |all| {
            for (i, v) in values.iter_mut().enumerate() {
                *v = all
                    .iter()
                    .fold(T::ZERO, |sum, rank| sum + T::from_f64(rank[i]));
            }
        });
    }

    /// The broadcast of any [`Float`].
    fn broadcast<T: Float>(&self, values: &mut [T], root: usize) {
        let mine = values.iter().map(|v| v.to_f64()).collect();
        self.exchange(mine, |all| {
            for (v, &r) in values.iter_mut().zip(&all[root]) {
                *v = T::from_f64(r);
            }
        });
    }
}

impl ProcessGroup for ThreadGroup {
    fn rank(&self) -> usize {
        self.rank
    }

    fn world_size(&self) -> usize {
        self.exchange.world_size
    }

    fn all_reduce_sum_f32(&self, values: &mut [f32]) {
        self.all_reduce(values)
    }

    fn all_reduce_sum_f64(&self, values: &mut [f64]) {
        self.all_reduce(values)
    }

    fn broadcast_f32(&self, values: &mut [f32], root: usize) {
        self.broadcast(values, root)
    }

    fn broadcast_f64(&self, values: &mut [f64], root: usize) {
        self.broadcast(values, root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_are_in_rank_order_and_equal_on_every_rank() {
        // 1e8 + 1 − 1e8 in f32: rank order gives (1e8 + 1) − 1e8 = 0.
        let out = ThreadGroup::run(3, |g| {
            let mut v = [[1e8f32, 1.0, -1e8][g.rank()]];
            g.all_reduce_sum_f32(&mut v);
            v[0]
        });
        assert_eq!(out, vec![0.0; 3]);
    }

    #[test]
    fn broadcast_copies_the_root() {
        let out = ThreadGroup::run(2, |g| {
            let mut v = [g.rank() as f32 + 5.0, 1.5];
            g.broadcast_f32(&mut v, 1);
            let mut w = [g.rank() as f64];
            g.broadcast_f64(&mut w, 0);
            (v, w)
        });
        assert_eq!(out, vec![([6.0, 1.5], [0.0]); 2]);
    }
}
