//! The one level of parallelism: rayon over independent blocks of work.
//!
//! Kernels split their outer loop (a batch, a block of rows) over rayon's
//! global pool, which honours `RAYON_NUM_THREADS`. Inside a block everything,
//! GEMM included, runs on one thread, so pools never nest. Small problems stay
//! sequential: below [`PAR_MIN_WORK`] scalar operations the cost of waking
//! threads exceeds the gain. Programs start the pool with
//! [`init_global_pool`], which makes the calling thread one of its
//! threads, so that a region does not also put the caller to sleep and
//! wake it again.

use rayon::prelude::*;

/// Why a thread pool could not be built (rayon's error, re-exported so that
/// callers need not depend on rayon).
pub use rayon::ThreadPoolBuildError;

/// Below this many scalar operations, a kernel runs on the calling thread.
pub const PAR_MIN_WORK: usize = 1 << 15;

/// Starts rayon's global pool with `threads` threads (0: rayon's default,
/// `RAYON_NUM_THREADS` or one per CPU), the calling thread being one of
/// them. Call it once, at the start of `main`, before any
/// kernel runs (afterwards the global pool exists and this returns an
/// error).
///
/// Why the calling thread: with rayon's default pool, a thread outside
/// the pool that starts parallel work (a kernel's `par_chunks_mut`) hands
/// the job to the pool's threads and sleeps until they finish, so every
/// parallel region costs two more context switches and one more runnable
/// thread than there are cores. Training runs thousands of small regions
/// per second (a recurrent model: several per time step), where these
/// switches cost more than the work. With the calling thread in the pool
/// it runs its share of each region itself and the other workers steal
/// the rest; `threads` threads in all, not `threads` + 1.
///
/// Other threads may still run kernels (the ranks of
/// `synann_nn::distributed::ThreadGroup::run`, say): their parallel
/// regions go to the pool's other workers while the calling thread waits
/// for them outside rayon. With `threads` = 1 every kernel runs on the
/// thread that calls it, as [`for_each_block`] and friends take the
/// sequential path.
///
/// ```
/// // A program's first line; a second call fails: the pool exists.
/// let _ = synann_tensor::parallel::init_global_pool(2);
/// assert!(synann_tensor::parallel::init_global_pool(2).is_err());
/// ```
pub fn init_global_pool(threads: usize) -> Result<(), ThreadPoolBuildError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .use_current_thread()
        .build_global()
}

/// Runs `f` with a pool of its own of `threads` threads (0: rayon's
/// default), instead of the global one: every kernel `f` calls splits its
/// work over that pool, and with `threads` = 1 runs on one thread with no
/// parallel region at all. This is how the ranks of a data-parallel run
/// on the threads of one process each get their share of the cores
/// (`synann_train::distributed::run_thread_ranks`). `f` runs on one of
/// the pool's threads while the calling thread waits; the pool ends when
/// `f` returns.
///
/// ```
/// use synann_tensor::parallel::{num_threads, with_threads};
/// assert_eq!(with_threads(1, num_threads).unwrap(), 1);
/// assert_eq!(with_threads(3, num_threads).unwrap(), 3);
/// ```
pub fn with_threads<R: Send>(
    threads: usize,
    f: impl FnOnce() -> R + Send,
) -> Result<R, ThreadPoolBuildError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    Ok(pool.install(f))
}

/// Number of threads rayon will use.
pub fn num_threads() -> usize {
    rayon::current_num_threads()
}

/// Runs `f(block_index, block)` over consecutive `block_len`-element chunks of
/// `out`, in parallel when `work` (an estimate of scalar operations) is large
/// enough.
pub fn for_each_block<T: Send>(
    out: &mut [T],
    block_len: usize,
    work: usize,
    f: impl Fn(usize, &mut [T]) + Sync + Send,
) {
    if block_len == 0 {
        return;
    }
    if work >= PAR_MIN_WORK && out.len() > block_len && num_threads() > 1 {
        out.par_chunks_mut(block_len)
            .enumerate()
            .for_each(|(i, c)| f(i, c));
    } else {
        out.chunks_mut(block_len)
            .enumerate()
            .for_each(|(i, c)| f(i, c));
    }
}

/// [`for_each_block`] over two outputs cut into the same number of blocks:
/// `f(block_index, a_block, b_block)` with `a` in `a_len`-element and `b` in
/// `b_len`-element chunks (for kernels that write two results at once, such
/// as max pooling's values and argmax indices).
pub fn for_each_block_pair<A: Send, B: Send>(
    a: &mut [A],
    a_len: usize,
    b: &mut [B],
    b_len: usize,
    work: usize,
    f: impl Fn(usize, &mut [A], &mut [B]) + Sync + Send,
) {
    if a_len == 0 || b_len == 0 {
        return;
    }
    assert_eq!(
        a.len().div_ceil(a_len),
        b.len().div_ceil(b_len),
        "for_each_block_pair: the two outputs cut into different numbers of blocks"
    );
    if work >= PAR_MIN_WORK && a.len() > a_len && num_threads() > 1 {
        a.par_chunks_mut(a_len)
            .zip(b.par_chunks_mut(b_len))
            .enumerate()
            .for_each(|(i, (x, y))| f(i, x, y));
    } else {
        a.chunks_mut(a_len)
            .zip(b.chunks_mut(b_len))
            .enumerate()
            .for_each(|(i, (x, y))| f(i, x, y));
    }
}

/// Maps `f` over `0..count` (in parallel when `work` is large) and collects.
pub fn map_range<R: Send>(
    count: usize,
    work: usize,
    f: impl Fn(usize) -> R + Sync + Send,
) -> Vec<R> {
    if work >= PAR_MIN_WORK && count > 1 && num_threads() > 1 {
        (0..count).into_par_iter().map(f).collect()
    } else {
        (0..count).map(f).collect()
    }
}
