//! The one level of parallelism: rayon over independent blocks of work.
//!
//! Kernels split their outer loop (a batch, a block of rows) over rayon's
//! global pool, which honours `RAYON_NUM_THREADS`. Inside a block everything,
//! GEMM included, runs on one thread, so pools never nest. Small problems stay
//! sequential: below [`PAR_MIN_WORK`] scalar operations the cost of waking
//! threads exceeds the gain. Programs start the pool with
//! [`init_global_pool`], which makes the calling thread one of its
//! threads, so that a region does not also put the caller to sleep and
//! wake it again; and after each region the other workers poll for the
//! next one for a while ([`set_worker_spin`]) rather than fall asleep.

use rayon::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

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

/// How long, by default, a worker that has finished its share of a
/// parallel region keeps polling for the next one (see
/// [`set_worker_spin`]).
pub const DEFAULT_WORKER_SPIN: Duration = Duration::from_micros(200);

/// The workers' spin, in nanoseconds ([`set_worker_spin`]).
static WORKER_SPIN_NS: AtomicU64 = AtomicU64::new(DEFAULT_WORKER_SPIN.as_nanos() as u64);

/// Counts the parallel regions started: a spinning worker returns to
/// rayon as soon as it changes.
static REGIONS: AtomicU64 = AtomicU64::new(0);

/// Sets how long a worker that has finished its share of a parallel region
/// keeps polling for the next region before rayon may put it to sleep
/// ([`DEFAULT_WORKER_SPIN`] unless set; zero turns the polling off).
///
/// Why: training runs thousands of parallel regions per second with a
/// little sequential work between them (the autograd's bookkeeping, small
/// ops). A rayon worker with nothing to do goes to sleep after a few tens
/// of microseconds, and waking it for the next region costs a system call
/// and, on a virtual machine, the host scheduling the idle virtual CPU
/// again: tens of microseconds per region on our 2-vCPU test machines
/// (`tensor/examples/worker_wake.rs` measures it), a large part of a small
/// model's step. OpenMP runtimes (PyTorch's) poll likewise before sleeping. The
/// cost is the other cores busy for up to this long after each region,
/// and work handed to rayon outside this module's regions waiting up to
/// this long for a polling worker.
///
/// ```
/// use std::time::Duration;
/// use synann_tensor::parallel::{set_worker_spin, worker_spin, DEFAULT_WORKER_SPIN};
/// set_worker_spin(Duration::ZERO);
/// assert_eq!(worker_spin(), Duration::ZERO);
/// set_worker_spin(DEFAULT_WORKER_SPIN);
/// ```
pub fn set_worker_spin(spin: Duration) {
    let nanos = u64::try_from(spin.as_nanos()).unwrap_or(u64::MAX);
    WORKER_SPIN_NS.store(nanos, Ordering::Relaxed);
}

/// The workers' current spin ([`set_worker_spin`]).
pub fn worker_spin() -> Duration {
    Duration::from_nanos(WORKER_SPIN_NS.load(Ordering::Relaxed))
}

/// Runs one parallel region, `body`: first tells any polling worker that a
/// region has started (so that it returns to rayon and takes its share),
/// then, once `body` is done, keeps the pool's other workers polling for
/// the next region ([`set_worker_spin`]).
fn region<R>(body: impl FnOnce() -> R) -> R {
    REGIONS.fetch_add(1, Ordering::AcqRel);
    let result = body();
    keep_workers_polling();
    result
}

/// Gives every other thread of the current pool a job that returns when
/// the next region starts or the spin time has passed, whichever is first.
fn keep_workers_polling() {
    let spin = worker_spin();
    if spin.is_zero() {
        return;
    }
    let region = REGIONS.load(Ordering::Acquire);
    let caller = rayon::current_thread_index();
    rayon::spawn_broadcast(move |ctx| {
        if Some(ctx.index()) == caller {
            return;
        }
        let start = Instant::now();
        // Each poll yields the CPU, so that a thread that shares it with
        // this worker (the one that will start the next region, say) runs
        // first; on an idle CPU a yield returns at once.
        while REGIONS.load(Ordering::Acquire) == region && start.elapsed() < spin {
            std::thread::yield_now();
        }
    });
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
        region(|| {
            out.par_chunks_mut(block_len)
                .enumerate()
                .for_each(|(i, c)| f(i, c))
        });
    } else {
        out.chunks_mut(block_len)
            .enumerate()
            .for_each(|(i, c)| f(i, c));
    }
}

/// A vector of `len` copies of `value`, written in `block_len`-element
/// blocks in parallel when `work` is large enough: an output that a kernel
/// will then fill with [`for_each_block`] and the same `block_len`, each
/// thread finding the block it wrote in its cache. (`vec![value; len]`
/// writes it all on the calling thread, before the parallel region, while
/// the other threads wait: for a first convolution's output of a few
/// megabytes, a visible part of a training step.)
///
/// ```
/// let v = synann_tensor::parallel::filled(1000, 0.0f32, 300, 1 << 20);
/// assert_eq!(v, vec![0.0f32; 1000]);
/// ```
pub fn filled<T: Copy + Send + Sync>(
    len: usize,
    value: T,
    block_len: usize,
    work: usize,
) -> Vec<T> {
    let mut v = Vec::with_capacity(len);
    let spare = &mut v.spare_capacity_mut()[..len];
    let block_len = if block_len == 0 { len } else { block_len };
    for_each_block(spare, block_len, work, |_, blk| {
        blk.fill(std::mem::MaybeUninit::new(value))
    });
    // SAFETY: the `len` elements after the (empty) start were all written
    // above: `for_each_block` hands every element of `spare` to exactly one
    // block (its blocks cover the slice; a `block_len` of 0 was replaced by
    // one block of all of it, so none is skipped).
    unsafe { v.set_len(len) };
    v
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
        region(|| {
            a.par_chunks_mut(a_len)
                .zip(b.par_chunks_mut(b_len))
                .enumerate()
                .for_each(|(i, (x, y))| f(i, x, y))
        });
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
        region(|| (0..count).into_par_iter().map(f).collect())
    } else {
        (0..count).map(f).collect()
    }
}
