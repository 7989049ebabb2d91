//! The fast kernels: the reference formulas reorganised for the CPU.
//!
//! **Forward: products instead of logarithms.** A logarithm costs tens of
//! multiplications, so instead of Σ_j ln f_j we multiply the factors and take
//! one logarithm at the end: Σ_j ln f_j = ln Π_j f_j. The j loop keeps
//! [`LANES`] independent running products (lane l takes every j ≡ l mod
//! LANES), which the compiler turns into SIMD multiplications. After each
//! block of [`BLOCK`] factors every lane is checked: a lane that left
//! [2⁻⁷, 2⁷] is *flushed* (its logarithm added to the sum, the lane reset to
//! 1), so no product can underflow or overflow between checks unless single
//! factors are extreme; a lane that did leave the safe range of the float
//! type (zero, subnormal, infinite, NaN) recomputes that block exactly, one
//! logarithm per factor. At the end the 16 lanes, each in [2⁻⁷, 2⁷], multiply
//! into one number in [2⁻¹¹², 2¹¹²], normal even in f32, and one `ln` gives
//! the sum. (A lane that dips below 2⁻¹²⁶ inside a block and climbs back
//! above 2⁻¹⁰⁰ would lose digits silently; that needs factors in the
//! millions, |B·X| > 10⁶, far outside a synapse's domain.)
//!
//! **Backward: one division per term, shared.** r = g[k, i]/(1 − B·X) is
//! computed once per (k, i, j) and feeds both dX[k, j] −= B·r and
//! dB[i, j] −= X·r, in one loop over j that the compiler vectorises. (Also
//! tried, without a measurable gain on our 2-core machine: two rows sharing
//! one division, 1/f₁ = f₂/(f₁f₂); keeping dB in registers across a tile;
//! dropping the clamp where the factors provably stay above the floor.)
//!
//! **Instruction set.** The loops are plain Rust that LLVM vectorises. On
//! x86-64 the same code is compiled a second time with AVX2 enabled (twice
//! the SIMD width of the baseline SSE2) and chosen at run time when the CPU
//! has it; that call is the only `unsafe` here.
//!
//! **Tiling and threads.** Both passes walk [`K_TILE`] rows of X at a time
//! and, for each row of B, reuse it across those rows while it is in L1
//! cache; the backward also cuts the columns into [`J_CHUNK`]s so that the
//! rows of X and dX it updates stay in L1 too. The forward splits the rows
//! of the output over rayon; the backward splits the rows of X into one
//! contiguous part per thread, each with its own dB accumulator, summed in
//! part order at the end (so the result is the same from run to run). Extra memory: the output, dX, and one dB per
//! thread: O(N·m + N·n + threads·m·n), never N·m·n.

use super::Dims;
use crate::ops::FACTOR_FLOOR;
use synann_tensor::{parallel, Float};

/// Independent running products in the forward j loop: two AVX2 registers
/// of f32, enough independent multiplications to hide their latency.
pub const LANES: usize = 16;
/// Factors multiplied into the lanes between two range checks.
pub const BLOCK: usize = LANES * 16;
/// Rows of X processed together, so each row of B is read from memory once
/// per tile.
pub const K_TILE: usize = 8;
/// Columns processed together in the backward, so that the K_TILE rows of
/// X and dX being worked on stay in L1 cache.
pub const J_CHUNK: usize = 256;

/// The thresholds of the forward's range checks.
struct Bounds<T> {
    floor: T,
    /// A lane in [lo, hi] is kept multiplying.
    lo: T,
    hi: T,
    /// A lane in [safe_lo, safe_hi] but outside [lo, hi] is flushed with one
    /// ln; outside it, the block is recomputed factor by factor.
    safe_lo: T,
    safe_hi: T,
}

impl<T: Float> Bounds<T> {
    fn new() -> Self {
        Bounds {
            floor: T::from_f64(FACTOR_FLOOR),
            lo: T::from_f64(2f64.powi(-7)),
            hi: T::from_f64(2f64.powi(7)),
            safe_lo: T::from_f64(2f64.powi(-100)),
            safe_hi: T::from_f64(2f64.powi(100)),
        }
    }
}

/// The factor 1 − b·x, clamped below at `floor`. Written as a compare and
/// select (not `max`) so that a NaN factor stays NaN.
#[inline(always)]
fn clamped_factor<T: Float>(b: T, x: T, floor: T) -> T {
    let f = T::ONE - b * x;
    if f < floor {
        floor
    } else {
        f
    }
}

/// ln of one clamped factor, with `ln_1p` for accuracy when b·x is small.
#[inline]
fn log_factor<T: Float>(b: T, x: T, floor: T) -> T {
    let bx = b * x;
    if T::ONE - bx < floor {
        floor.ln()
    } else {
        (-bx).ln_1p()
    }
}

/// Multiplies one chunk of [`LANES`] factors into the lanes, lane by lane
/// (fixed-size arrays: no bounds checks, and a loop LLVM vectorises).
#[inline(always)]
fn multiply_chunk<T: Float>(lanes: &mut [T; LANES], b: &[T; LANES], x: &[T; LANES], floor: T) {
    for ((p, &bv), &xv) in lanes.iter_mut().zip(b).zip(x) {
        *p *= clamped_factor(bv, xv, floor);
    }
}

/// Multiplies the factors of one block (at most [`BLOCK`] long) into the
/// lanes: factor j goes to lane j mod LANES. A last partial chunk is padded
/// with b = 0, whose factor is 1.
#[inline(always)]
fn multiply_block<T: Float>(lanes: &mut [T; LANES], b: &[T], x: &[T], floor: T) {
    let mut bc = b.chunks_exact(LANES);
    let mut xc = x.chunks_exact(LANES);
    for (bs, xs) in (&mut bc).zip(&mut xc) {
        let bs = bs.try_into().expect("chunk of LANES");
        let xs = xs.try_into().expect("chunk of LANES");
        multiply_chunk(lanes, bs, xs, floor);
    }
    let (br, xr) = (bc.remainder(), xc.remainder());
    if !br.is_empty() {
        let (mut bs, mut xs) = ([T::ZERO; LANES], [T::ZERO; LANES]);
        bs[..br.len()].copy_from_slice(br);
        xs[..xr.len()].copy_from_slice(xr);
        multiply_chunk(lanes, &bs, &xs, floor);
    }
}

/// Σ ln f over the factors of lane `l` of one block, one `ln` each.
fn exact_lane<T: Float>(b: &[T], x: &[T], l: usize, floor: T) -> T {
    (l..b.len())
        .step_by(LANES)
        .map(|j| log_factor(b[j], x[j], floor))
        .sum()
}

/// Σ_j ln max(1 − b[j]·x[j], floor) for one (k, i) pair.
#[inline(always)]
fn log_product<T: Float>(b: &[T], x: &[T], c: &Bounds<T>) -> T {
    let mut lanes = [T::ONE; LANES];
    let mut acc = T::ZERO;
    for (bb, xb) in b.chunks(BLOCK).zip(x.chunks(BLOCK)) {
        let saved = lanes;
        multiply_block(&mut lanes, bb, xb, c.floor);
        // `&` rather than `&&`: no early exit, so the check vectorises too.
        if lanes
            .iter()
            .fold(true, |ok, &p| ok & (p >= c.lo) & (p <= c.hi))
        {
            continue;
        }
        for l in 0..LANES {
            let p = lanes[l];
            if p >= c.lo && p <= c.hi {
                continue;
            }
            acc += if p >= c.safe_lo && p <= c.safe_hi {
                p.ln()
            } else {
                saved[l].ln() + exact_lane(bb, xb, l, c.floor)
            };
            lanes[l] = T::ONE;
        }
    }
    acc + lanes.iter().fold(T::ONE, |p, &q| p * q).ln()
}

/// Whether the AVX2 versions of the kernels can run on this CPU.
fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// One tile of the forward: `out_rows[r, i]` for the rows `xs` of X.
#[inline(always)]
fn forward_tile<T: Float>(n: usize, m: usize, xs: &[T], b: &[T], out_rows: &mut [T]) {
    let bounds = Bounds::new();
    for (i, brow) in b.chunks_exact(n).enumerate() {
        for (r, xrow) in xs.chunks_exact(n).enumerate() {
            out_rows[r * m + i] = log_product(brow, xrow, &bounds);
        }
    }
}

/// [`forward_tile`] compiled with AVX2.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn forward_tile_avx2<T: Float>(n: usize, m: usize, xs: &[T], b: &[T], out_rows: &mut [T]) {
    forward_tile(n, m, xs, b, out_rows)
}

/// out[k, i] = Σ_j ln max(1 − B[i, j]·X[k, j], FACTOR_FLOOR), row-major
/// (N, m).
pub fn forward<T: Float>(d: Dims, x: &[T], b: &[T]) -> Vec<T> {
    d.check("synapse_logsum forward", x.len(), b.len());
    let (n, m) = (d.inputs, d.outputs);
    let mut out = vec![T::ZERO; d.batch * m];
    if out.is_empty() || n == 0 {
        return out;
    }
    let avx2 = has_avx2();
    let work = d.batch * m * n;
    parallel::for_each_block(&mut out, K_TILE * m, work, |tile, out_rows| {
        let k0 = tile * K_TILE;
        let rows = out_rows.len() / m;
        let xs = &x[k0 * n..(k0 + rows) * n];
        #[cfg(target_arch = "x86_64")]
        if avx2 {
            // SAFETY: `has_avx2` checked that the CPU supports AVX2; the
            // function is safe code otherwise (slices only).
            return unsafe { forward_tile_avx2(n, m, xs, b, out_rows) };
        }
        let _ = avx2;
        forward_tile(n, m, xs, b, out_rows)
    });
    out
}

/// dX[k, ·] −= B[i, ·]·r and dB[i, ·] −= X[k, ·]·r with r = g/(1 − B·X)
/// (0 where the factor was clamped): one (k, i) pair, vectorised over j.
#[inline(always)]
fn accumulate<T: Float>(b: &[T], x: &[T], g: T, dx: &mut [T], db: &mut [T], floor: T) {
    for (((&bv, &xv), dxv), dbv) in b.iter().zip(x).zip(dx.iter_mut()).zip(db.iter_mut()) {
        let f = T::ONE - bv * xv;
        let r = if f < floor { T::ZERO } else { g / f };
        *dxv -= r * bv;
        *dbv -= r * xv;
    }
}

/// The backward over a contiguous group of rows `xs` of X (with their
/// output gradients `gs`): their dX rows and their contribution to dB.
#[inline(always)]
fn backward_rows<T: Float>(n: usize, m: usize, b: &[T], xs: &[T], gs: &[T]) -> (Vec<T>, Vec<T>) {
    let floor = T::from_f64(FACTOR_FLOOR);
    let rows = xs.len() / n;
    let mut dx = vec![T::ZERO; rows * n];
    let mut db = vec![T::ZERO; m * n];
    for k0 in (0..rows).step_by(K_TILE) {
        let k1 = (k0 + K_TILE).min(rows);
        for j0 in (0..n).step_by(J_CHUNK) {
            // Columns j0..j1 of row `r` of any of the (·, n) matrices.
            let j1 = (j0 + J_CHUNK).min(n);
            let cols = |r: usize| r * n + j0..r * n + j1;
            for i in 0..m {
                let (brow, dbrow) = (&b[cols(i)], &mut db[cols(i)]);
                for k in k0..k1 {
                    let (xrow, dxrow) = (&xs[cols(k)], &mut dx[cols(k)]);
                    accumulate(brow, xrow, gs[k * m + i], dxrow, dbrow, floor);
                }
            }
        }
    }
    (dx, db)
}

/// [`backward_rows`] compiled with AVX2.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn backward_rows_avx2<T: Float>(
    n: usize,
    m: usize,
    b: &[T],
    xs: &[T],
    gs: &[T],
) -> (Vec<T>, Vec<T>) {
    backward_rows(n, m, b, xs, gs)
}

/// The gradients (dX, dB) for the output gradient `g` (N, m).
pub fn backward<T: Float>(d: Dims, x: &[T], b: &[T], g: &[T]) -> (Vec<T>, Vec<T>) {
    d.check("synapse_logsum backward", x.len(), b.len());
    let (batch, n, m) = (d.batch, d.inputs, d.outputs);
    if batch == 0 || n == 0 || m == 0 {
        return (vec![T::ZERO; batch * n], vec![T::ZERO; m * n]);
    }
    let work = batch * m * n;
    let parts = if work >= parallel::PAR_MIN_WORK {
        parallel::num_threads().min(batch.div_ceil(K_TILE)).max(1)
    } else {
        1
    };
    let rows_per_part = batch.div_ceil(parts);
    let avx2 = has_avx2();
    let partials = parallel::map_range(parts, work, |p| {
        let k0 = (p * rows_per_part).min(batch);
        let k1 = ((p + 1) * rows_per_part).min(batch);
        let (xs, gs) = (&x[k0 * n..k1 * n], &g[k0 * m..k1 * m]);
        #[cfg(target_arch = "x86_64")]
        if avx2 {
            // SAFETY: `has_avx2` checked that the CPU supports AVX2; the
            // function is safe code otherwise (slices only).
            return unsafe { backward_rows_avx2(n, m, b, xs, gs) };
        }
        let _ = avx2;
        backward_rows(n, m, b, xs, gs)
    });
    let mut dx = Vec::with_capacity(batch * n);
    let mut db = vec![T::ZERO; m * n];
    for (part_dx, part_db) in partials {
        dx.extend_from_slice(&part_dx);
        db.iter_mut().zip(&part_db).for_each(|(a, p)| *a += *p);
    }
    (dx, db)
}
