//! The portable kernels: plain Rust on fixed-size arrays, which LLVM
//! vectorises for whatever instruction set they are compiled with. They run
//! for f64 (gradient checks), and for f32 on CPUs without AVX-512.
//!
//! **Forward: products instead of logarithms.** The j loop keeps [`LANES`]
//! independent running products (lane l takes every j ≡ l mod LANES), which
//! the compiler turns into SIMD multiplications. After each block of
//! [`BLOCK`] factors every lane is checked: a lane that left [2⁻⁷, 2⁷] is
//! *flushed* (its logarithm added to the sum, the lane reset to 1), so no
//! product can underflow or overflow between checks unless single factors
//! are extreme; a lane that did leave the safe range of the float type
//! (zero, subnormal, infinite, NaN) recomputes that block exactly, one
//! logarithm per factor ([`flush`]). At the end the 16 lanes, each in
//! [2⁻⁷, 2⁷], multiply into one number in [2⁻¹¹², 2¹¹²], normal even in
//! f32, and one `ln` gives the sum. (A lane that dips below 2⁻¹²⁶ inside a
//! block and climbs back above 2⁻¹⁰⁰ would lose digits silently; that needs
//! factors in the millions, |B·X| > 10⁶, far outside a synapse's domain.)
//!
//! **Backward: one division per term, shared.** r = g[k, i]/(1 − B·X) is
//! computed once per (k, i, j) and feeds both dX[k, j] −= B·r and
//! dB[i, j] −= X·r, in one loop over j that the compiler vectorises. Rows
//! of X are walked [`K_TILE`] at a time, and columns in [`J_CHUNK`]s, so
//! that the rows of X, dX, B and dB being worked on stay in L1 cache. The
//! caller hands each thread a band of columns ([`ColumnBands`]).

use super::bands::ColumnBands;
use super::{clamped_factor, Isa, BLOCK, K_TILE, LANES};
use crate::ops::FACTOR_FLOOR;
use std::ops::Range;
use synann_tensor::Float;

/// Columns processed together in the backward, so that the K_TILE rows of
/// X and dX being worked on stay in L1 cache.
pub const J_CHUNK: usize = 256;

/// The thresholds of the forward's range checks.
pub(super) struct Bounds<T> {
    pub floor: T,
    /// A lane in [lo, hi] is kept multiplying.
    pub lo: T,
    pub hi: T,
    /// A lane in [safe_lo, safe_hi] but outside [lo, hi] is flushed with one
    /// ln; outside it, the block is recomputed factor by factor.
    pub safe_lo: T,
    pub safe_hi: T,
}

impl<T: Float> Bounds<T> {
    pub fn new() -> Self {
        Bounds {
            floor: T::from_f64(FACTOR_FLOOR),
            lo: T::from_f64(2f64.powi(-7)),
            hi: T::from_f64(2f64.powi(7)),
            safe_lo: T::from_f64(2f64.powi(-100)),
            safe_hi: T::from_f64(2f64.powi(100)),
        }
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

/// Σ ln f over the factors of lane `l` of one block, one `ln` each.
fn exact_lane<T: Float>(b: &[T], x: &[T], l: usize, floor: T) -> T {
    (l..b.len())
        .step_by(LANES)
        .map(|j| log_factor(b[j], x[j], floor))
        .sum()
}

/// The range check after a block: every lane of `lanes` outside [lo, hi]
/// is flushed (one ln, or the block `b`, `x` recomputed exactly when the
/// lane left the safe range; `saved` holds the lanes before the block) and
/// reset to 1. Returns the logarithms taken out of the lanes.
#[inline(always)]
pub(super) fn flush<T: Float>(
    lanes: &mut [T; LANES],
    saved: &[T; LANES],
    b: &[T],
    x: &[T],
    c: &Bounds<T>,
) -> T {
    let mut acc = T::ZERO;
    for l in 0..LANES {
        let p = lanes[l];
        if p >= c.lo && p <= c.hi {
            continue;
        }
        acc += if p >= c.safe_lo && p <= c.safe_hi {
            p.ln()
        } else {
            saved[l].ln() + exact_lane(b, x, l, c.floor)
        };
        lanes[l] = T::ONE;
    }
    acc
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

/// Σ_j ln max(1 − b[j]·x[j], floor) for one (k, i) pair.
#[inline(always)]
fn log_product<T: Float>(b: &[T], x: &[T], c: &Bounds<T>) -> T {
    let mut lanes = [T::ONE; LANES];
    let mut acc = T::ZERO;
    for (bb, xb) in b.chunks(BLOCK).zip(x.chunks(BLOCK)) {
        let saved = lanes;
        multiply_block(&mut lanes, bb, xb, c.floor);
        // `&` rather than `&&`: no early exit, so the check vectorises too.
        if !lanes
            .iter()
            .fold(true, |ok, &p| ok & (p >= c.lo) & (p <= c.hi))
        {
            acc += flush(&mut lanes, &saved, bb, xb, c);
        }
    }
    acc + lanes.iter().fold(T::ONE, |p, &q| p * q).ln()
}

/// One task of the forward: `out_rows[r, i]` for the rows `xs` of X.
#[inline(always)]
fn forward_tile<T: Float>(n: usize, m: usize, xs: &[T], b: &[T], out_rows: &mut [T]) {
    let bounds = Bounds::new();
    for (i, brow) in b.chunks_exact(n).enumerate() {
        for (r, xrow) in xs.chunks_exact(n).enumerate() {
            out_rows[r * m + i] = log_product(brow, xrow, &bounds);
        }
    }
}

/// [`forward_tile`] compiled with AVX2 and FMA.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn forward_tile_avx2<T: Float>(n: usize, m: usize, xs: &[T], b: &[T], out_rows: &mut [T]) {
    forward_tile(n, m, xs, b, out_rows)
}

/// [`forward_tile`] compiled with AVX-512.
///
/// # Safety
/// The CPU must support AVX-512F, AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn forward_tile_avx512<T: Float>(n: usize, m: usize, xs: &[T], b: &[T], out_rows: &mut [T]) {
    forward_tile(n, m, xs, b, out_rows)
}

/// [`forward_tile`] compiled for `isa`, which the caller has checked this
/// CPU supports.
pub(super) fn forward_tile_with<T: Float>(
    isa: Isa,
    n: usize,
    m: usize,
    xs: &[T],
    b: &[T],
    out_rows: &mut [T],
) {
    match isa {
        // SAFETY: the caller checked that this CPU has the instruction set
        // (`assert_supported`); the function is safe code otherwise.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => unsafe { forward_tile_avx512(n, m, xs, b, out_rows) },
        // SAFETY: as above.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => unsafe { forward_tile_avx2(n, m, xs, b, out_rows) },
        _ => forward_tile(n, m, xs, b, out_rows),
    }
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

/// The backward for the rows `x` (with their output gradients `g`) and
/// the columns `band`: adds their terms into those columns of `dx` (rows
/// of `x`) and `db`.
///
/// # Safety
/// No other thread may touch columns `band` of `dx` or `db` during the
/// call.
#[inline(always)]
unsafe fn backward_band<T: Float>(
    (n, m): (usize, usize),
    b: &[T],
    (x, g): (&[T], &[T]),
    band: Range<usize>,
    dx: &ColumnBands<T>,
    db: &ColumnBands<T>,
) {
    let floor = T::from_f64(FACTOR_FLOOR);
    let rows = x.len() / n;
    for k0 in (0..rows).step_by(K_TILE) {
        let k1 = (k0 + K_TILE).min(rows);
        for j0 in band.clone().step_by(J_CHUNK) {
            let cols = j0..(j0 + J_CHUNK).min(band.end);
            for i in 0..m {
                let brow = &b[i * n + cols.start..i * n + cols.end];
                // SAFETY: this call owns columns `band` (contract), and this
                // is the only slice of row i of dB alive.
                let dbrow = unsafe { db.row_band(i, cols.clone()) };
                for k in k0..k1 {
                    let xrow = &x[k * n + cols.start..k * n + cols.end];
                    // SAFETY: as above, for row k of dX.
                    let dxrow = unsafe { dx.row_band(k, cols.clone()) };
                    accumulate(brow, xrow, g[k * m + i], dxrow, dbrow, floor);
                }
            }
        }
    }
}

/// [`backward_band`] compiled with AVX2 and FMA.
///
/// # Safety
/// The CPU must support AVX2 and FMA; the contract of [`backward_band`].
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn backward_band_avx2<T: Float>(
    dims: (usize, usize),
    b: &[T],
    rows: (&[T], &[T]),
    band: Range<usize>,
    dx: &ColumnBands<T>,
    db: &ColumnBands<T>,
) {
    // SAFETY: forwarded contract.
    unsafe { backward_band(dims, b, rows, band, dx, db) }
}

/// [`backward_band`] compiled with AVX-512.
///
/// # Safety
/// The CPU must support AVX-512F, AVX2 and FMA; the contract of
/// [`backward_band`].
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn backward_band_avx512<T: Float>(
    dims: (usize, usize),
    b: &[T],
    rows: (&[T], &[T]),
    band: Range<usize>,
    dx: &ColumnBands<T>,
    db: &ColumnBands<T>,
) {
    // SAFETY: forwarded contract.
    unsafe { backward_band(dims, b, rows, band, dx, db) }
}

/// [`backward_band`] compiled for `isa`.
///
/// # Safety
/// The CPU must support `isa`; the contract of [`backward_band`].
pub(super) unsafe fn backward_band_with<T: Float>(
    isa: Isa,
    dims: (usize, usize),
    b: &[T],
    rows: (&[T], &[T]),
    band: Range<usize>,
    dx: &ColumnBands<T>,
    db: &ColumnBands<T>,
) {
    // SAFETY (all three): forwarded contract.
    match isa {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => unsafe { backward_band_avx512(dims, b, rows, band, dx, db) },
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => unsafe { backward_band_avx2(dims, b, rows, band, dx, db) },
        _ => unsafe { backward_band(dims, b, rows, band, dx, db) },
    }
}
