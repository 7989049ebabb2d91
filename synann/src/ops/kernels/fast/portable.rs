//! The portable kernels: plain Rust on fixed-size arrays, which LLVM
//! vectorises for whatever instruction set they are compiled with. The
//! forward runs for f64 (the gradient checks; f32 has its own,
//! [`widened`](super::widened)); the backward for f64, and for f32 on CPUs
//! without AVX2. The code is generic over the float type, and the accuracy
//! figures below for f32 describe it compiled for f32, as it was used before
//! the widened forward.
//!
//! **Forward: products instead of logarithms.** The j loop keeps [`LANES`]
//! independent running products (lane l takes every j ≡ l mod LANES), which
//! the compiler turns into SIMD multiplications. After each block of
//! [`BLOCK`] factors every lane is checked: a lane that left [2⁻⁷, 2⁷] is
//! *flushed* (its logarithm added to the sum, the lane reset to 1), so no
//! product can underflow or overflow between checks unless single factors
//! are extreme; a lane that did leave the safe range of the float type
//! (zero, subnormal, infinite, NaN) recomputes that block exactly, one
//! logarithm per factor (`flush`). At the end the 16 lanes, each in
//! [2⁻⁷, 2⁷], multiply into one number in [2⁻¹¹², 2¹¹²], normal even in
//! f32, and one `ln` gives the sum (`finish`). (A lane that dips below
//! 2⁻¹²⁶ inside a block and climbs back above 2⁻¹⁰⁰ would lose digits
//! silently; that needs factors in the millions, |B·X| > 10⁶, far outside a
//! synapse's domain.)
//!
//! **Forward: compensated products.** Multiplying rounded numbers loses
//! accuracy where the terms are small. A factor f = 1 − z with z = b·x tiny
//! is a float near 1, whose rounding error is up to ε/2 *absolute* (ε = 2⁻²³
//! in f32, 2⁻⁵² in f64): an error of up to ε/2 in ln f, however small the
//! term ln f ≈ −z itself is. Every multiplication of the running product
//! rounds too, with the same effect. Over n factors the errors add up to
//! about √n·ε/2 in the sum, which can be a large part of a small result:
//! with softmax inputs at n = 784 (z ≈ 10⁻⁴, sums ≈ 10⁻²), plain products
//! were off by 2·10⁻³ of the largest output in f32, against 8·10⁻⁸ for one
//! `ln_1p` per term summed in f32 (PyTorch's way). Per-term `ln_1p` does
//! not have the problem, as its error is relative to the term; but it costs
//! a logarithm per term.
//!
//! So we keep the products and carry, next to each rounded product P̂, its
//! error E (the exact product is P̂ + E), updated with *error-free
//! transformations*: the rounding error of a sum or a product of two floats
//! is itself a float, which a few more operations compute exactly.
//!
//! 1. *The factor* (`factor`). With p = fl(b·x) (the reference kernel
//!    rounds b·x too) and f̂ = fl(1 − p), the error δ = (1 − p) − f̂ is
//!    exactly δ = fl(fl(1 − f̂) − p), Dekker's Fast2Sum, for every factor
//!    that is not clamped: for −1 < p < 1 its condition (the exponent of p
//!    at most that of 1) holds; for p ≤ −1, f̂ ≥ 2 makes 1 − f̂ exact, and
//!    then (1 − f̂) − p is the rounding error of 1 + |p|, a float, so exact
//!    too; p ≥ 1 is clamped. So 1 − p = f̂ + δ exactly. A clamped factor is
//!    exactly the floor, by definition: δ = 0.
//! 2. *The product* (`times`). With q = fl(P̂·f̂), the error
//!    π = P̂·f̂ − q is exactly fma(P̂, f̂, −q) (TwoProduct: the fused
//!    multiply-add rounds once, and its exact result π is a float, unless
//!    it underflows: the range checks keep lanes above 2⁻¹⁰⁰, where that
//!    costs at most 2⁻¹⁴⁹, far below the lane's own rounding). Then
//!
//!    ```text
//!    (P̂ + E)·(f̂ + δ) = q + π + P̂·δ + E·f̂ + E·δ,
//!    ```
//!
//!    so the new lane is q with error E' = E·f̂ + P̂·δ + π. We drop E·δ:
//!    |E/P̂| and |δ/f̂| are a few ε, so it is ε² relative, below rounding.
//! 3. *The logarithm* (`ln_corrected`). At a flush or at the end,
//!    ln(P̂ + E) = ln P̂ + ln(1 + E/P̂) = ln P̂ + E/P̂ − (E/P̂)²/2 + …, and
//!    again the square is below rounding: ln P̂ + E/P̂, one division.
//!
//! In log terms this is ln Π(f̂ⱼ + δⱼ) = Σ ln f̂ⱼ + Σ δⱼ/f̂ⱼ + O(ε²), the
//! correction written per factor, without a division per factor. What is
//! left is the rounding of b·x (relative to each term, like `ln_1p` per
//! term) and a few roundings of the final logarithm and sums, relative to
//! the result: in f32 the forward measures at least as accurate as per-term
//! `ln_1p` summed in f32, and in f64 it agrees with the reference kernel to
//! about 10⁻¹⁵ relative even for z ≈ 10⁻¹⁰ (`tests/synapse_accuracy.rs`).
//! The price is about 10 vector operations per factor instead of 4
//! (multiply, subtract, clamp, multiply), still far less than a logarithm.
//! The 16 lanes are combined at the end by the same rule (a lane is a
//! factor P̂ₗ with error Eₗ). On x86-64 without FMA (the baseline build)
//! `mul_add` is a slow (exact) library call; the AVX2 and AVX-512 builds,
//! which nearly every x86-64 CPU of the last decade runs, use the FMA
//! instruction.
//!
//! **Forward: counting the clamped factors.** The comparison that clamps a
//! factor (`factor`) also says whether it did; each lane adds that to its
//! own counter (an array of [`LANES`] integers beside the products, so the
//! count vectorises with the rest), and the counters are summed once per
//! (k, i) pair. A lane recomputed exactly by `flush` is not counted again.
//!
//! **Backward: one division per term, shared.** r = g[k, i]/(1 − B·X) is
//! computed once per (k, i, j) and feeds both dX[k, j] −= B·r and
//! dB[i, j] −= X·r, in one loop over j that the compiler vectorises. Rows
//! of X are walked [`K_TILE`] at a time, and columns in [`J_CHUNK`]s, so
//! that the rows of X, dX, B and dB being worked on stay in L1 cache. The
//! caller hands each thread a band of columns ([`ColumnBands`]).

use super::bands::ColumnBands;
use super::{Isa, BLOCK, K_TILE, LANES};
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

/// [`LANES`] running products, each carried with its rounding error: lane
/// l stands for the exact product `p[l] + e[l]` (to first order; see the
/// module docs).
#[derive(Clone, Copy, Debug)]
pub(super) struct Lanes<T> {
    /// The rounded products P̂.
    pub p: [T; LANES],
    /// Their errors E: the exact product minus P̂.
    pub e: [T; LANES],
}

impl<T: Float> Lanes<T> {
    /// Every lane the empty product 1, exactly.
    pub fn new() -> Self {
        Lanes {
            p: [T::ONE; LANES],
            e: [T::ZERO; LANES],
        }
    }
}

/// The factor max(1 − b·x, floor) as (f̂, δ, clamped): f̂ = fl(1 − p)
/// with p = fl(b·x), and δ = (1 − p) − f̂, the exact rounding error of the
/// subtraction (Fast2Sum; exact whenever the factor is not clamped). A
/// clamped factor is exactly `floor`: δ = 0, and `clamped` is true. A NaN
/// stays NaN (compare and select, not `max`) and is not counted as clamped.
#[inline(always)]
pub(super) fn factor<T: Float>(b: T, x: T, floor: T) -> (T, T, bool) {
    let p = b * x;
    let f = T::ONE - p;
    if f < floor {
        (floor, T::ZERO, true)
    } else {
        (f, (T::ONE - f) - p, false)
    }
}

/// (P̂ + E)·(f̂ + δ) as a new (P̂, E): P̂·f̂ = q + π exactly (TwoProduct:
/// π = fma(P̂, f̂, −q)), and E' = E·f̂ + P̂·δ + π, dropping the second-order
/// E·δ.
#[inline(always)]
pub(super) fn times<T: Float>(p: T, e: T, f: T, d: T) -> (T, T) {
    let q = p * f;
    let pi = p.mul_add(f, -q);
    (q, e.mul_add(f, p.mul_add(d, pi)))
}

/// ln(P̂ + E) = ln P̂ + ln(1 + E/P̂) ≈ ln P̂ + E/P̂ (|E/P̂| is a few
/// rounding errors, so the neglected (E/P̂)²/2 is far below one).
#[inline(always)]
fn ln_corrected<T: Float>(p: T, e: T) -> T {
    p.ln() + e / p
}

/// The range check after a block: every lane of `lanes` outside [lo, hi]
/// is flushed (its corrected logarithm taken, or the block `b`, `x`
/// recomputed exactly when the lane left the safe range; `saved` holds the
/// lanes before the block) and reset to 1. Returns the logarithms taken
/// out of the lanes.
#[inline(always)]
pub(super) fn flush<T: Float>(
    lanes: &mut Lanes<T>,
    saved: &Lanes<T>,
    b: &[T],
    x: &[T],
    c: &Bounds<T>,
) -> T {
    let mut acc = T::ZERO;
    for l in 0..LANES {
        let p = lanes.p[l];
        if p >= c.lo && p <= c.hi {
            continue;
        }
        acc += if p >= c.safe_lo && p <= c.safe_hi {
            ln_corrected(p, lanes.e[l])
        } else {
            ln_corrected(saved.p[l], saved.e[l]) + exact_lane(b, x, l, c.floor)
        };
        lanes.p[l] = T::ONE;
        lanes.e[l] = T::ZERO;
    }
    acc
}

/// `acc` plus the logarithm of the product of all the lanes, each in
/// [lo, hi] (so the product is within [2⁻¹¹², 2¹¹²]). The lanes are
/// multiplied with the same compensation as the factors (a lane is a
/// factor P̂ₗ with error Eₗ), pairwise as a tree: lane l times lane
/// l + 8, then l times l + 4, l + 2, l + 1, so that each level is one
/// vector operation of independent pairs (4 levels, not a chain of 15
/// dependent products), and one corrected `ln` is taken.
#[inline(always)]
pub(super) fn finish<T: Float>(acc: T, lanes: &Lanes<T>) -> T {
    let (mut p, mut e) = (lanes.p, lanes.e);
    let mut half = LANES / 2;
    while half > 0 {
        for l in 0..half {
            (p[l], e[l]) = times(p[l], e[l], p[l + half], e[l + half]);
        }
        half /= 2;
    }
    acc + ln_corrected(p[0], e[0])
}

/// Per lane, the number of factors clamped so far (at most n/[`LANES`]
/// per (k, i) pair, far below `u32::MAX`).
type ClampCounts = [u32; LANES];

/// Multiplies one chunk of [`LANES`] factors into the lanes, lane by lane
/// (fixed-size arrays: no bounds checks, and a loop LLVM vectorises), and
/// counts the clamped ones.
#[inline(always)]
fn multiply_chunk<T: Float>(
    lanes: &mut Lanes<T>,
    clamped: &mut ClampCounts,
    b: &[T; LANES],
    x: &[T; LANES],
    floor: T,
) {
    for l in 0..LANES {
        let (f, d, was_clamped) = factor(b[l], x[l], floor);
        (lanes.p[l], lanes.e[l]) = times(lanes.p[l], lanes.e[l], f, d);
        clamped[l] += u32::from(was_clamped);
    }
}

/// Multiplies the factors of one block (at most [`BLOCK`] long) into the
/// lanes: factor j goes to lane j mod LANES. A last partial chunk is padded
/// with b = 0, whose factor is 1 (exactly: δ = 0; never clamped).
#[inline(always)]
fn multiply_block<T: Float>(
    lanes: &mut Lanes<T>,
    clamped: &mut ClampCounts,
    b: &[T],
    x: &[T],
    floor: T,
) {
    let mut bc = b.chunks_exact(LANES);
    let mut xc = x.chunks_exact(LANES);
    for (bs, xs) in (&mut bc).zip(&mut xc) {
        let bs = bs.try_into().expect("chunk of LANES");
        let xs = xs.try_into().expect("chunk of LANES");
        multiply_chunk(lanes, clamped, bs, xs, floor);
    }
    let (br, xr) = (bc.remainder(), xc.remainder());
    if !br.is_empty() {
        let (mut bs, mut xs) = ([T::ZERO; LANES], [T::ZERO; LANES]);
        bs[..br.len()].copy_from_slice(br);
        xs[..xr.len()].copy_from_slice(xr);
        multiply_chunk(lanes, clamped, &bs, &xs, floor);
    }
}

/// Σ_j ln max(1 − b[j]·x[j], floor) for one (k, i) pair, and the number of
/// factors clamped.
#[inline(always)]
fn log_product<T: Float>(b: &[T], x: &[T], c: &Bounds<T>) -> (T, u64) {
    let mut lanes = Lanes::new();
    let mut clamped = [0; LANES];
    let mut acc = T::ZERO;
    for (bb, xb) in b.chunks(BLOCK).zip(x.chunks(BLOCK)) {
        let saved = lanes;
        multiply_block(&mut lanes, &mut clamped, bb, xb, c.floor);
        // `&` rather than `&&`: no early exit, so the check vectorises too.
        if !lanes
            .p
            .iter()
            .fold(true, |ok, &p| ok & (p >= c.lo) & (p <= c.hi))
        {
            acc += flush(&mut lanes, &saved, bb, xb, c);
        }
    }
    let clamped = clamped.iter().map(|&count| u64::from(count)).sum();
    (finish(acc, &lanes), clamped)
}

/// One task of the forward: `out_rows[r, i]` for the rows `xs` of X.
/// Returns the number of factors clamped.
#[inline(always)]
fn forward_tile<T: Float>(n: usize, m: usize, xs: &[T], b: &[T], out_rows: &mut [T]) -> u64 {
    let bounds = Bounds::new();
    let mut clamped = 0;
    for (i, brow) in b.chunks_exact(n).enumerate() {
        for (r, xrow) in xs.chunks_exact(n).enumerate() {
            let (sum, count) = log_product(brow, xrow, &bounds);
            out_rows[r * m + i] = sum;
            clamped += count;
        }
    }
    clamped
}

forward_per_isa!(
    /// [`forward_tile`] compiled for `isa`, which the caller has checked
    /// this CPU supports. Returns the number of factors clamped.
    fn forward_tile_with<T: Float>(
        n: usize,
        m: usize,
        xs: &[T],
        b: &[T],
        out_rows: &mut [T],
    ) -> u64 = forward_tile
);

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
