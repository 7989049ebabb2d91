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

use std::convert::Infallible as Never;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
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

/// The buffers the ranks of a [`ThreadGroup`] exchange through, and the
/// rendezvous where they wait for each other.
struct Exchange {
    world_size: usize,
    state: Mutex<Rendezvous>,
    /// Woken when the last rank arrives, or when the group is aborted.
    arrived: Condvar,
}

/// What the ranks of a [`ThreadGroup`] share under its lock.
struct Rendezvous {
    /// Each rank's contribution to the collective in progress, as f64
    /// (exact for f32 values).
    slots: Vec<Vec<f64>>,
    /// Ranks waiting at the current rendezvous.
    waiting: usize,
    /// Rendezvous completed so far: a waiting rank leaves when it changes.
    generation: u64,
    /// Set when a rank stopped (an error or a panic): no collective can
    /// complete any more.
    aborted: bool,
}

/// The panic payload with which a collective of an aborted
/// [`ThreadGroup`] unwinds its rank (raised without the panic hook, so it
/// prints nothing); [`ThreadGroup::run`] and [`ThreadGroup::try_run`]
/// catch it.
#[derive(Debug)]
pub struct GroupAborted;

/// A [`ProcessGroup`] whose ranks are threads of one process: data-parallel
/// training on the cores of one machine (see `synann_train`'s
/// `run_thread_ranks`), tests of the distributed code without MPI, and
/// simulations of a multi-rank run.
///
/// Sums are taken in rank order (rank 0 first) in the element type, so
/// they are deterministic and the same on every rank.
///
/// **A rank that stops.** When a rank returns an error ([`try_run`]) or
/// panics, the group is *aborted*: the other ranks' collectives, waiting or
/// still to come, unwind their threads instead of waiting forever (the
/// threads' version of `MPI_Abort`), and the runner returns the error or
/// re-raises the panic.
///
/// [`try_run`]: ThreadGroup::try_run
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
            state: Mutex::new(Rendezvous {
                slots: vec![Vec::new(); world_size],
                waiting: 0,
                generation: 0,
                aborted: false,
            }),
            arrived: Condvar::new(),
        });
        (0..world_size)
            .map(|rank| ThreadGroup {
                rank,
                exchange: exchange.clone(),
            })
            .collect()
    }

    /// Runs `f` on `world_size` threads, each with its rank's handle, and
    /// returns their results in rank order. A panic on any rank aborts the
    /// group (see the type's docs) and is re-raised here once every rank
    /// has stopped (the lowest rank's, if several panicked).
    pub fn run<R: Send>(world_size: usize, f: impl Fn(ThreadGroup) -> R + Sync) -> Vec<R> {
        match Self::try_run(world_size, |group| Ok::<R, Never>(f(group))) {
            Ok(results) => results,
            Err(never) => match never {},
        }
    }

    /// [`ThreadGroup::run`] for ranks that can fail: the results in rank
    /// order, or the error of the lowest rank that returned one. A rank's
    /// error aborts the group, so the others stop at their next collective
    /// (or finish, if they have none left) instead of waiting for it.
    ///
    /// ```
    /// use synann_nn::distributed::{ProcessGroup, ThreadGroup};
    ///
    /// let out = ThreadGroup::try_run(3, |group| {
    ///     if group.rank() == 1 {
    ///         return Err(format!("rank {} cannot start", group.rank()));
    ///     }
    ///     // Ranks 0 and 2 would wait here forever for rank 1.
    ///     let mut v = [1.0f32];
    ///     group.all_reduce_sum_f32(&mut v);
    ///     Ok(v[0])
    /// });
    /// assert_eq!(out, Err("rank 1 cannot start".to_string()));
    /// ```
    pub fn try_run<R: Send, E: Send>(
        world_size: usize,
        f: impl Fn(ThreadGroup) -> Result<R, E> + Sync,
    ) -> Result<Vec<R>, E> {
        let f = &f;
        let outcomes: Vec<std::thread::Result<Option<Result<R, E>>>> =
            std::thread::scope(|scope| {
                let handles: Vec<_> = ThreadGroup::new(world_size)
                    .into_iter()
                    .map(|group| {
                        scope.spawn(move || {
                            let exchange = group.exchange.clone();
                            let outcome = catch_unwind(AssertUnwindSafe(|| f(group)));
                            match outcome {
                                Ok(Ok(r)) => Ok(Some(Ok(r))),
                                Ok(Err(e)) => {
                                    abort(&exchange);
                                    Ok(Some(Err(e)))
                                }
                                // Stopped because another rank did.
                                Err(payload) if payload.is::<GroupAborted>() => Ok(None),
                                Err(payload) => {
                                    abort(&exchange);
                                    Err(payload)
                                }
                            }
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_else(Err))
                    .collect()
            });
        let mut results = Vec::with_capacity(world_size);
        let mut first_error = None;
        for outcome in outcomes {
            match outcome {
                Err(payload) => resume_unwind(payload),
                Ok(Some(Ok(r))) => results.push(r),
                Ok(Some(Err(e))) => {
                    first_error.get_or_insert(e);
                }
                Ok(None) => {}
            }
        }
        // Without an error or a panic no rank aborted the group, so every
        // rank returned its result.
        match first_error {
            Some(e) => Err(e),
            None => Ok(results),
        }
    }

    /// Posts this rank's values, waits for every rank, and hands all
    /// contributions in rank order to `read`; a second rendezvous keeps the
    /// slots until every rank has read them. Unwinds with [`GroupAborted`]
    /// if the group is aborted.
    fn exchange(&self, values: Vec<f64>, read: impl FnOnce(&[Vec<f64>])) {
        let state = self.rendezvous(|state| state.slots[self.rank] = values);
        read(&state.slots);
        drop(state);
        drop(self.rendezvous(|_| {}));
    }

    /// Does `arrive` under the lock, then waits until every rank has
    /// arrived; returns the lock (held) once they all have.
    fn rendezvous(&self, arrive: impl FnOnce(&mut Rendezvous)) -> MutexGuard<'_, Rendezvous> {
        let ex = &*self.exchange;
        let mut state = ex.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.aborted {
            drop(state);
            resume_unwind(Box::new(GroupAborted));
        }
        arrive(&mut state);
        state.waiting += 1;
        if state.waiting == ex.world_size {
            state.waiting = 0;
            state.generation += 1;
            ex.arrived.notify_all();
            return state;
        }
        let generation = state.generation;
        while state.generation == generation && !state.aborted {
            state = ex.arrived.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        if state.generation == generation {
            // Aborted before every rank arrived.
            drop(state);
            resume_unwind(Box::new(GroupAborted));
        }
        state
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

/// Aborts the group: every rank waiting in a collective, or entering one
/// later, unwinds with [`GroupAborted`].
fn abort(exchange: &Exchange) {
    let mut state = exchange.state.lock().unwrap_or_else(|e| e.into_inner());
    state.aborted = true;
    exchange.arrived.notify_all();
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
    fn many_collectives_in_a_row_each_see_their_own_values() {
        let out = ThreadGroup::run(3, |g| {
            (0..200)
                .map(|step| {
                    let mut v = [(step * 10 + g.rank()) as f64];
                    g.all_reduce_sum_f64(&mut v);
                    v[0]
                })
                .collect::<Vec<_>>()
        });
        let expected: Vec<f64> = (0..200).map(|step| (30 * step + 3) as f64).collect();
        assert_eq!(out, vec![expected; 3]);
    }

    #[test]
    fn an_error_stops_the_other_ranks_and_the_lowest_ranks_error_is_returned() {
        // Ranks 1 and 2 fail after one collective; rank 0 would wait in the
        // second forever without the abort.
        let out = ThreadGroup::try_run(3, |g| {
            let mut v = [1.0f32];
            g.all_reduce_sum_f32(&mut v);
            if g.rank() > 0 {
                return Err(g.rank());
            }
            g.all_reduce_sum_f32(&mut v);
            Ok(v[0])
        });
        assert_eq!(out, Err(1));
        // Without errors, the results in rank order.
        let ok = ThreadGroup::try_run(2, |g| Ok::<_, ()>(g.rank() * 10));
        assert_eq!(ok, Ok(vec![0, 10]));
    }

    #[test]
    fn a_panic_stops_the_other_ranks_and_is_re_raised() {
        let caught = catch_unwind(|| {
            ThreadGroup::run(2, |g| {
                if g.rank() == 1 {
                    panic!("rank 1 fails");
                }
                let mut v = [0.0f64];
                g.all_reduce_sum_f64(&mut v);
            })
        });
        let payload = caught.expect_err("the panic reaches the caller");
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"rank 1 fails"));
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
