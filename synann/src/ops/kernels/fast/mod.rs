//! The fast kernels: the reference formulas reorganised for the CPU.
//!
//! **Forward: products instead of logarithms.** A logarithm costs tens of
//! multiplications, so instead of Σ_j ln f_j we multiply the factors and
//! take one logarithm per block of factors: Σ_j ln f_j = ln Π_j f_j, guarded
//! against underflow and overflow. Multiplying rounded factors would lose
//! the digits of small terms, so each precision gets an exact-enough
//! product: f32 inputs are multiplied in f64, where every term b·x is exact
//! and the rounding of the products stays far below the f32 result's
//! (`widened.rs`); f64 inputs carry each running product's rounding error
//! beside it, a *compensated* product (`portable.rs`).
//!
//! **Backward: one reciprocal per term, shared.** q = g[k, i]/(1 − B·X) is
//! computed once per (k, i, j) and feeds both dX[k, j] −= B·q and
//! dB[i, j] −= X·q.
//!
//! **Implementations.** `widened` (the f32 forward) and `portable` (the
//! f64 forward, and the backward for f64 and for f32 on CPUs without AVX2)
//! are plain Rust that LLVM vectorises; on x86-64 each is compiled three
//! times (baseline SSE2, AVX2, AVX-512) and the widest version the CPU
//! supports runs ([`Isa`]); the versions of one loop give the same bits.
//! The AVX-512 build of the f32 forward's inner loop, and the f32 backward
//! on x86-64, are written with intrinsics (`avx512`, `avx2`): register tiles of several rows of X against one row of B, so
//! that every vector of B loaded serves several rows and independent
//! chains of operations keep the SIMD units busy. The tests run every
//! version the test machine supports against the
//! [`reference`](super::reference) kernels, in f64 and f32.
//!
//! **Counting clamped factors.** The forward also counts the factors it
//! clamps at the floor ([`ForwardOutput::clamped`]): the f64 loop counts in
//! its inner loop, from the comparison that clamps; the f32 loop on its
//! exact path, where every pair with a clamped factor goes. Each task sums
//! its counts and adds them to one shared atomic counter once at its end.
//!
//! **Threads.** The forward splits the rows of the output over rayon. The
//! backward gives each thread a band of columns of dX and dB
//! (`bands.rs`), or, when there are too few columns, a part of the rows
//! with its own small dB (see `split_backward`). Extra memory: the outputs,
//! in f32 each task's rows of X widened to f64 for the forward (B is
//! widened in registers), and, in the second case of the backward, one m×n
//! dB per thread: O(N·m + N·n + threads·m·n), never N·m·n.

/// Defines `$with(isa, args…)`, which runs the forward task `$kernel`
/// compiled for `isa`: as it is (baseline), with AVX2 and FMA, or with
/// AVX-512. `$kernel` must be `#[inline(always)]`, so that each build
/// inlines (and vectorises) its own copy; the caller must have checked that
/// this CPU supports `isa` (`assert_supported`). With `avx512 = path`, the
/// AVX-512 build is that function instead (an `unsafe fn` compiled for
/// AVX-512 with the same arguments: a kernel written with intrinsics).
macro_rules! forward_per_isa {
    (
        $(#[$doc:meta])*
        fn $with:ident $(<$($g:ident: $bound:path),*>)? ($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty
            = $kernel:ident
    ) => {
        forward_per_isa!(
            @define $(#[$doc])*
            fn $with $(<$($g: $bound),*>)? ($($arg: $ty),*) -> $ret = $kernel,
            avx512 = {
                /// The kernel compiled with AVX-512.
                ///
                /// # Safety
                /// The CPU must support AVX-512F, AVX2 and FMA.
                #[target_feature(enable = "avx512f,avx2,fma")]
                unsafe fn avx512 $(<$($g: $bound),*>)? ($($arg: $ty),*) -> $ret {
                    $kernel($($arg),*)
                }
            } avx512
        );
    };
    (
        $(#[$doc:meta])*
        fn $with:ident $(<$($g:ident: $bound:path),*>)? ($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty
            = $kernel:ident, avx512 = $avx512:path
    ) => {
        forward_per_isa!(
            @define $(#[$doc])*
            fn $with $(<$($g: $bound),*>)? ($($arg: $ty),*) -> $ret = $kernel,
            avx512 = {} $avx512
        );
    };
    (
        @define $(#[$doc:meta])*
        fn $with:ident $(<$($g:ident: $bound:path),*>)? ($($arg:ident: $ty:ty),*) -> $ret:ty
            = $kernel:ident, avx512 = { $($avx512_build:item)? } $avx512:path
    ) => {
        $(#[$doc])*
        pub(super) fn $with $(<$($g: $bound),*>)? (isa: Isa, $($arg: $ty),*) -> $ret {
            #[cfg(target_arch = "x86_64")]
            {
                /// The kernel compiled with AVX2 and FMA.
                ///
                /// # Safety
                /// The CPU must support AVX2 and FMA.
                #[target_feature(enable = "avx2,fma")]
                unsafe fn avx2 $(<$($g: $bound),*>)? ($($arg: $ty),*) -> $ret {
                    $kernel($($arg),*)
                }

                $($avx512_build)?

                match isa {
                    // SAFETY: the caller checked that this CPU has the
                    // instruction set; the kernel is safe code otherwise.
                    Isa::Avx512 => return unsafe { $avx512($($arg),*) },
                    // SAFETY: as above.
                    Isa::Avx2 => return unsafe { avx2($($arg),*) },
                    Isa::Baseline => {}
                }
            }
            #[cfg(not(target_arch = "x86_64"))]
            let _ = isa; // Only the baseline build elsewhere.
            $kernel($($arg),*)
        }
    };
}

// The kernels themselves are private: callers go through `forward` and
// `backward` (or their `_with` forms), which pick and check the instruction set.
#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
mod bands;
mod portable;
mod widened;

use crate::ops::kernels::{Dims, ForwardOutput};
use crate::ops::FACTOR_FLOOR;
use bands::ColumnBands;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use synann_tensor::{parallel, Float};

/// SIMD lanes: one AVX-512 register of f32 (two AVX2 registers, four SSE
/// ones).
const LANES: usize = 16;
/// Factors multiplied into a lane's running product between two range
/// checks, in the forward.
const BLOCK: usize = LANES * 16;
/// Rows of X in one task (forward) or one cache tile (portable backward).
const K_TILE: usize = 8;
/// The size of dB (m·n elements) from which the backward splits the work
/// between threads by columns rather than by rows (see `split_backward`):
/// a private copy of dB per thread would then cost more to allocate, fill
/// and add up (on one thread, after the parallel part) than the imbalance
/// of column bands. `SynapseRNN`'s 128 × 128 B is above it: its backward
/// at batch 100 on two threads was faster with bands.
pub const BAND_MIN_DB: usize = 1 << 13;

/// The instruction sets the kernels are compiled for (the tensor crate's,
/// shared with its element-wise maths).
pub use synann_tensor::isa::Isa;

/// The floor as a `T`.
#[inline(always)]
pub(crate) fn floor<T: Float>() -> T {
    T::from_f64(FACTOR_FLOOR)
}

/// out[k, i] = Σ_j ln max(1 − B[i, j]·X[k, j], FACTOR_FLOOR), row-major
/// (N, m), and the number of factors clamped to the floor, with the widest
/// instruction set of this CPU.
pub fn forward<T: Float>(d: Dims, x: &[T], b: &[T]) -> ForwardOutput<T> {
    forward_with(Isa::detect(), d, x, b)
}

/// [`forward`] with the kernels compiled for `isa` (panics if this CPU does
/// not support it: see [`Isa::is_supported`]).
pub fn forward_with<T: Float>(isa: Isa, d: Dims, x: &[T], b: &[T]) -> ForwardOutput<T> {
    d.check("synapse_logsum forward", x.len(), b.len());
    isa.assert_supported("synapse kernels");
    let (n, m) = (d.inputs, d.outputs);
    let mut out = vec![T::ZERO; d.batch * m];
    if out.is_empty() || n == 0 {
        return ForwardOutput { out, clamped: 0 };
    }
    let work = d.batch * m * n;
    // Each task adds its own count once, at its end.
    let clamped = AtomicU64::new(0);
    if let (Some(x), Some(b), Some(out)) = (
        T::as_f32_slice(x),
        T::as_f32_slice(b),
        T::as_f32_slice_mut(&mut out),
    ) {
        // f32: computed in f64 (see `widened.rs`); each task widens its
        // rows of X, B is widened in registers.
        let widen = |v: &[f32]| v.iter().map(|&a| f64::from(a)).collect::<Vec<f64>>();
        let b_reach: Vec<f64> = b.chunks_exact(n).map(widened::reach::<f32>).collect();
        parallel::for_each_block(out, K_TILE * m, work, |tile, out_rows| {
            let k0 = tile * K_TILE;
            let rows = out_rows.len() / m;
            let xs = widen(&x[k0 * n..(k0 + rows) * n]);
            let count = widened::forward_tile_with(isa, n, m, &xs, (b, &b_reach), out_rows);
            clamped.fetch_add(count, Ordering::Relaxed);
        });
    } else {
        // f64: compensated products (see `portable.rs`).
        parallel::for_each_block(&mut out, K_TILE * m, work, |tile, out_rows| {
            let k0 = tile * K_TILE;
            let rows = out_rows.len() / m;
            let xs = &x[k0 * n..(k0 + rows) * n];
            let count = portable::forward_tile_with(isa, n, m, xs, b, out_rows);
            clamped.fetch_add(count, Ordering::Relaxed);
        });
    }
    ForwardOutput {
        out,
        clamped: clamped.into_inner(),
    }
}

/// The gradients (dX, dB) for the output gradient `g` (N, m), with the
/// widest instruction set of this CPU.
pub fn backward<T: Float>(d: Dims, x: &[T], b: &[T], g: &[T]) -> (Vec<T>, Vec<T>) {
    backward_with(Isa::detect(), d, x, b, g)
}

/// [`backward`] with the kernels compiled for `isa` (panics if this CPU
/// does not support it: see [`Isa::is_supported`]).
pub fn backward_with<T: Float>(isa: Isa, d: Dims, x: &[T], b: &[T], g: &[T]) -> (Vec<T>, Vec<T>) {
    d.check("synapse_logsum backward", x.len(), b.len());
    isa.assert_supported("synapse kernels");
    let (batch, n, m) = (d.batch, d.inputs, d.outputs);
    assert_eq!(
        g.len(),
        batch * m,
        "synapse_logsum backward: gradient of {} elements for an output ({batch}, {m})",
        g.len()
    );
    let mut dx = vec![T::ZERO; batch * n];
    let mut db = vec![T::ZERO; m * n];
    if batch == 0 || n == 0 || m == 0 {
        return (dx, db);
    }
    #[cfg(target_arch = "x86_64")]
    if let (Isa::Avx512 | Isa::Avx2, Some(x), Some(b), Some(g), Some(dx_f32), Some(db_f32)) = (
        isa,
        T::as_f32_slice(x),
        T::as_f32_slice(b),
        T::as_f32_slice(g),
        T::as_f32_slice_mut(&mut dx),
        T::as_f32_slice_mut(&mut db),
    ) {
        let outputs = (dx_f32, db_f32);
        split_backward(
            d,
            (x, b, g),
            outputs,
            &|dims, b, rows, band, dx, db| match isa {
                // SAFETY: `assert_supported` checked that the CPU has AVX-512F,
                // AVX2 and FMA; `split_backward` gives every call its own band
                // of columns (or its own buffers).
                Isa::Avx512 => unsafe { avx512::backward_band(dims, b, rows, band, dx, db) },
                // SAFETY: as above, AVX2 and FMA.
                _ => unsafe { avx2::backward_band(dims, b, rows, band, dx, db) },
            },
        );
        return (dx, db);
    }
    split_backward(
        d,
        (x, b, g),
        (&mut dx, &mut db),
        &|dims, b, rows, band, dx, db| {
            // SAFETY: as above, for `isa`.
            unsafe { portable::backward_band_with(isa, dims, b, rows, band, dx, db) }
        },
    );
    (dx, db)
}

/// A backward kernel for one part: (n, m), B, the part's rows of X and g,
/// its band of columns, and the views of dX and dB it adds into.
type BandKernel<'k, F> = dyn Fn((usize, usize), &[F], (&[F], &[F]), Range<usize>, &ColumnBands<F>, &ColumnBands<F>)
    + Sync
    + 'k;

/// Splits the backward between threads and runs `kernel` on each part,
/// adding into `dx` and `db` (zero on entry).
///
/// When dB is large (at least [`BAND_MIN_DB`] elements, and at least two
/// vectors of [`LANES`] columns per thread) every thread takes a band of
/// columns of both outputs for all rows: no extra memory, and each output
/// element is summed by one thread in a fixed order, so the result does not
/// depend on the thread count. Otherwise (a small B, as in `SynapseConv2d`,
/// where N is large and n small) the rows are split instead, which
/// balances the threads better; each part sums its terms of dB into its
/// own m×n buffer, added in part order at the end.
fn split_backward<F: Float>(
    d: Dims,
    (x, b, g): (&[F], &[F], &[F]),
    (dx, db): (&mut [F], &mut [F]),
    kernel: &BandKernel<'_, F>,
) {
    let (batch, n, m) = (d.batch, d.inputs, d.outputs);
    let work = batch * m * n;
    let threads = if work >= parallel::PAR_MIN_WORK {
        parallel::num_threads()
    } else {
        1
    };
    let vectors = n.div_ceil(LANES);
    if threads == 1 {
        // One part: everything straight into the outputs.
        let (dx, db) = (ColumnBands::new(dx, n), ColumnBands::new(db, n));
        kernel((n, m), b, (x, g), 0..n, &dx, &db);
        return;
    }
    if vectors >= 2 * threads && m * n >= BAND_MIN_DB {
        let band_len = vectors.div_ceil(threads) * LANES;
        let bands = n.div_ceil(band_len);
        let (dx, db) = (ColumnBands::new(dx, n), ColumnBands::new(db, n));
        parallel::map_range(bands, work, |p| {
            let band = p * band_len..((p + 1) * band_len).min(n);
            kernel((n, m), b, (x, g), band, &dx, &db)
        });
        return;
    }
    let rows_per_part = batch.div_ceil(threads.min(batch.div_ceil(K_TILE)).max(1));
    let parts = batch.div_ceil(rows_per_part);
    let mut db_parts = vec![F::ZERO; parts * m * n];
    parallel::for_each_block_pair(
        dx,
        rows_per_part * n,
        &mut db_parts,
        m * n,
        work,
        |p, dx_part, db_part| {
            let (k0, k1) = (p * rows_per_part, ((p + 1) * rows_per_part).min(batch));
            let rows = (&x[k0 * n..k1 * n], &g[k0 * m..k1 * m]);
            let (dx_part, db_part) = (ColumnBands::new(dx_part, n), ColumnBands::new(db_part, n));
            kernel((n, m), b, rows, 0..n, &dx_part, &db_part)
        },
    );
    for part in db_parts.chunks_exact(m * n) {
        db.iter_mut().zip(part).for_each(|(a, p)| *a += *p);
    }
}
