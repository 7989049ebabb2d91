//! The f32 kernels written with AVX-512 intrinsics: the loops of
//! [`portable`](super::portable), register-tiled by hand.
//!
//! **Register tiles.** Both passes work on [`ROWS`] rows of X at once
//! against one row of B, [`LANES`] columns (one 512-bit register) at a
//! time. The `ROWS` chains of SIMD operations are independent, so the CPU
//! overlaps them instead of waiting for each multiplication's result, and
//! each vector of B loaded from memory serves `ROWS` rows. A last, short
//! group of rows repeats its last row (the copies' results are dropped);
//! a last, short group of columns is read and written through a lane mask,
//! with zeros in the missing lanes (B = X = 0: the factor is 1 and adds
//! nothing to any gradient).
//!
//! **Forward.** As in the portable kernel: compensated running products
//! (each with its rounding error, see the portable module's docs), one `ln`
//! per block of [`BLOCK`] factors at most, the same range checks, the same
//! exact fallback (`flush`) and the same final combination (`finish`).
//! Every vector operation mirrors one scalar operation of the portable
//! loop, in the same order, so the two give the same bits; the test
//! `forward_is_bitwise_the_same_on_every_instruction_set` holds them to it
//! on AVX-512 machines.
//!
//! **Counting clamped factors.** The portable loop adds, per lane, whether
//! `factor` clamped; here the same comparison yields a 16-bit mask of the
//! clamped lanes, whose population count (`popcnt`) is added to the row's
//! counter: the same integers summed in another order, so the same count.
//! The repeated rows of a short last group are not counted, and the masked
//! missing columns (B = X = 0, factor 1) are never clamped. (Our
//! development machine has AVX2 only, so this path is checked against the
//! portable one only on AVX-512 machines, by the tests that compare every
//! instruction set; keep it operation for operation like the portable
//! loop.)
//!
//! **Backward.** For one tile the `ROWS` vectors of X and the running sums
//! of dX stay in registers while the loop walks down a block of
//! [`I_BLOCK`] rows of B (whose vectors, and dB's, stay in L1 cache); per
//! row i it loads one vector of B, computes q = g[k, i]/(1 − B·X) for the
//! `ROWS` rows with one masked division each (q = 0 where the factor was
//! clamped), subtracts q·B into dX and adds −Σ_r q·X into dB[i, ·]. The
//! division is the bottleneck. We also tried the hardware's reciprocal
//! estimate (`vrcp14ps`) refined by one Newton step, r₁ = r₀·(2 − f·r₀):
//! on the Zen 5 machine of `docs/PERFORMANCE.md` it was slower than the
//! division (N = 128, n = m = 784, one thread), so the kernel divides,
//! exactly.

use super::bands::{ColumnBands, PaddedRows};
use super::portable::{finish, flush, Bounds, Lanes};
use super::{BLOCK, LANES};
use std::arch::x86_64::{
    __m512, __mmask16, _mm512_add_ps, _mm512_cmp_ps_mask, _mm512_fmadd_ps, _mm512_fmsub_ps,
    _mm512_fnmadd_ps, _mm512_mask_blend_ps, _mm512_maskz_div_ps, _mm512_maskz_sub_ps,
    _mm512_mul_ps, _mm512_set1_ps, _mm512_setzero_ps, _mm512_storeu_ps, _mm512_sub_ps, _CMP_GE_OQ,
    _CMP_LE_OQ, _CMP_NLT_UQ,
};
use std::ops::Range;
use synann_tensor::simd::{load, store};

/// Rows of X in one register tile.
pub const ROWS: usize = 8;
/// Rows of B whose vectors the backward keeps in L1 cache at a time.
pub const I_BLOCK: usize = 128;

/// The 16 lanes of `v` as an array.
#[inline]
#[target_feature(enable = "avx512f")]
fn to_array(v: __m512) -> [f32; LANES] {
    let mut a = [0.0; LANES];
    // SAFETY: `a` holds exactly the 16 f32 an unaligned store writes.
    unsafe { _mm512_storeu_ps(a.as_mut_ptr(), v) };
    a
}

/// The factors max(1 − b·x, floor), their rounding errors and the mask of
/// the clamped lanes: [`factor`](super::portable::factor) on 16 lanes,
/// operation for operation (so the results are the same bits). A factor is
/// kept where f ≥ floor *or* f is NaN (`_CMP_NLT_UQ`, the negation of the
/// portable `f < floor`), so a NaN stays NaN and is not counted; a clamped
/// factor is `floor` with error 0.
#[inline]
#[target_feature(enable = "avx512f")]
fn factors(b: __m512, x: __m512, one: __m512, floor: __m512) -> (__m512, __m512, __mmask16) {
    let p = _mm512_mul_ps(b, x);
    let f = _mm512_sub_ps(one, p);
    let kept = _mm512_cmp_ps_mask(f, floor, _CMP_NLT_UQ);
    // δ = (1 − f) − p where kept, 0 where clamped.
    let d = _mm512_maskz_sub_ps(kept, _mm512_sub_ps(one, f), p);
    (_mm512_mask_blend_ps(kept, floor, f), d, !kept)
}

/// [`times`](super::portable::times) on 16 lanes: (P̂ + E)·(f̂ + δ) as
/// (q, E·f̂ + P̂·δ + π) with q = fl(P̂·f̂) and π = P̂·f̂ − q computed by one
/// fused operation (`vfmsub`: one rounding, like `mul_add`).
#[inline]
#[target_feature(enable = "avx512f")]
fn times_v(p: __m512, e: __m512, f: __m512, d: __m512) -> (__m512, __m512) {
    let q = _mm512_mul_ps(p, f);
    let pi = _mm512_fmsub_ps(p, f, q);
    (q, _mm512_fmadd_ps(e, f, _mm512_fmadd_ps(p, d, pi)))
}

/// The vectors `p`, `e` as [`Lanes`].
#[inline]
#[target_feature(enable = "avx512f")]
fn to_lanes(p: __m512, e: __m512) -> Lanes<f32> {
    Lanes {
        p: to_array(p),
        e: to_array(e),
    }
}

/// Σ_j ln max(1 − b[j]·x_r[j], floor) for the [`ROWS`] rows `xs`, and the
/// number of factors clamped in each row.
#[inline]
#[target_feature(enable = "avx512f,fma,popcnt")]
fn log_products(b: &[f32], xs: [&[f32]; ROWS], c: &Bounds<f32>) -> ([f32; ROWS], [u64; ROWS]) {
    let one = _mm512_set1_ps(1.0);
    let floor = _mm512_set1_ps(c.floor);
    let (lo, hi) = (_mm512_set1_ps(c.lo), _mm512_set1_ps(c.hi));
    // Per row: the running products of its 16 lanes and their errors.
    let mut p = [one; ROWS];
    let mut e = [_mm512_setzero_ps(); ROWS];
    let mut acc = [0.0f32; ROWS];
    let mut clamped = [0u64; ROWS];
    for (start, b_block) in (0..).step_by(BLOCK).zip(b.chunks(BLOCK)) {
        let end = start + b_block.len();
        let mut x_block = [&[][..]; ROWS];
        for r in 0..ROWS {
            x_block[r] = &xs[r][start..end];
        }
        let (saved_p, saved_e) = (p, e);
        for (j, b_chunk) in (0..).step_by(LANES).zip(b_block.chunks(LANES)) {
            let bv = load(b_chunk);
            for r in 0..ROWS {
                let xv = load(&x_block[r][j..j + b_chunk.len()]);
                let (f, d, clamped_lanes) = factors(bv, xv, one, floor);
                (p[r], e[r]) = times_v(p[r], e[r], f, d);
                clamped[r] += u64::from(clamped_lanes.count_ones());
            }
        }
        for r in 0..ROWS {
            let inside =
                _mm512_cmp_ps_mask(p[r], lo, _CMP_GE_OQ) & _mm512_cmp_ps_mask(p[r], hi, _CMP_LE_OQ);
            if inside != u16::MAX {
                let mut lanes = to_lanes(p[r], e[r]);
                let saved = to_lanes(saved_p[r], saved_e[r]);
                acc[r] += flush(&mut lanes, &saved, b_block, x_block[r], c);
                p[r] = load(&lanes.p);
                e[r] = load(&lanes.e);
            }
        }
    }
    let mut sums = [0.0; ROWS];
    for r in 0..ROWS {
        sums[r] = finish(acc[r], &to_lanes(p[r], e[r]));
    }
    (sums, clamped)
}

/// One task of the forward: `out_rows[r, i]` for the rows `xs` of X.
/// Returns the number of factors clamped.
#[target_feature(enable = "avx512f,avx2,fma,popcnt")]
pub(super) fn forward_tile(n: usize, m: usize, xs: &[f32], b: &[f32], out_rows: &mut [f32]) -> u64 {
    let bounds = Bounds::new();
    let rows = xs.len() / n;
    let mut total = 0;
    for (i, brow) in b.chunks_exact(n).enumerate() {
        for r0 in (0..rows).step_by(ROWS) {
            let mut tile = [&[][..]; ROWS];
            for (r, x) in tile.iter_mut().enumerate() {
                let k = (r0 + r).min(rows - 1);
                *x = &xs[k * n..(k + 1) * n];
            }
            let (sums, clamped) = log_products(brow, tile, &bounds);
            // Only the real rows: a short group's copies of its last row
            // are dropped, their counts too.
            for r in 0..ROWS.min(rows - r0) {
                out_rows[(r0 + r) * m + i] = sums[r];
                total += clamped[r];
            }
        }
    }
    total
}

/// The backward for the rows `x` (with their output gradients `g`) and
/// the columns `band`: adds their terms into those columns of `dx` (rows
/// of `x`) and `db`.
///
/// # Safety
/// The CPU must support AVX-512F, AVX2 and FMA, and no other thread may
/// touch columns `band` of `dx` or `db` during the call.
#[target_feature(enable = "avx512f,avx2,fma")]
pub(super) unsafe fn backward_band(
    (n, m): (usize, usize),
    b: &[f32],
    (x, g): (&[f32], &[f32]),
    band: Range<usize>,
    dx: &ColumnBands<f32>,
    db: &ColumnBands<f32>,
) {
    // A short last group of rows is completed with zero rows (see
    // `PaddedRows`).
    let padded = PaddedRows::new((n, m), (x, g));
    let rows = padded.len();
    let one = _mm512_set1_ps(1.0);
    let floor = _mm512_set1_ps(super::floor());
    for j0 in band.clone().step_by(LANES) {
        let cols = j0..(j0 + LANES).min(band.end);
        // Rows i0..i1 of B and dB: their vectors at these columns stay in
        // L1 cache while every group of rows of X passes over them.
        for i0 in (0..m).step_by(I_BLOCK) {
            let i1 = (i0 + I_BLOCK).min(m);
            for k0 in (0..rows).step_by(ROWS) {
                let valid = ROWS.min(rows - k0);
                let mut xv = [_mm512_setzero_ps(); ROWS];
                let mut dxv = [_mm512_setzero_ps(); ROWS];
                let mut gr = [padded.g(rows); ROWS];
                for r in 0..ROWS {
                    xv[r] = load(&padded.x(k0 + r)[cols.clone()]);
                    gr[r] = padded.g(k0 + r);
                    if r < valid {
                        // SAFETY: this call owns columns `band` (contract).
                        dxv[r] = load(unsafe { dx.row_band(k0 + r, cols.clone()) });
                    }
                }
                for i in i0..i1 {
                    let bv = load(&b[i * n + cols.start..i * n + cols.end]);
                    // Two partial sums for dB, so that its chain of
                    // dependent additions is half as long.
                    let mut db_sum = [_mm512_setzero_ps(); 2];
                    for r in 0..ROWS {
                        let f = _mm512_fnmadd_ps(bv, xv[r], one);
                        // q = g/f where f ≥ floor (or NaN, which propagates),
                        // 0 where the factor was clamped.
                        let kept = _mm512_cmp_ps_mask(f, floor, _CMP_NLT_UQ);
                        let q = _mm512_maskz_div_ps(kept, _mm512_set1_ps(gr[r][i]), f);
                        dxv[r] = _mm512_fnmadd_ps(q, bv, dxv[r]);
                        db_sum[r % 2] = _mm512_fnmadd_ps(q, xv[r], db_sum[r % 2]);
                    }
                    // SAFETY: this call owns columns `band` (contract).
                    let db_i = unsafe { db.row_band(i, cols.clone()) };
                    let sum = _mm512_add_ps(db_sum[0], db_sum[1]);
                    store(db_i, _mm512_add_ps(load(db_i), sum));
                }
                for (r, &v) in dxv.iter().enumerate().take(valid) {
                    // SAFETY: this call owns columns `band` (contract).
                    store(unsafe { dx.row_band(k0 + r, cols.clone()) }, v);
                }
            }
        }
    }
}
