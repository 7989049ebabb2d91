//! The f32 backward written with AVX-512 intrinsics: the loop of
//! [`portable`](super::portable), register-tiled by hand; and the inner
//! step of the f32 forward of [`widened`](super::widened), [`Zmm`].
//!
//! **Forward.** `widened`'s loop multiplies, per (k, i) pair, eight f64
//! lanes by factors 1 − b·x, four rows of X against one row of B. Written
//! as plain Rust over arrays, LLVM vectorised it well for AVX2 but, for
//! AVX-512, in some builds as a mesh of shuffles and partial loads at about
//! half the speed of the same source in another crate (on a Zen 4 host).
//! [`Zmm`] states the loop directly: one register per pair's lanes, one
//! load of B (f32, widened in the register) per chunk, one fused
//! multiply-add and one multiplication per row, and the range check after
//! each block as two comparisons per register, with the lanes written to
//! memory only when one left the range. These are the plain loop's
//! operations in the same order, so the same bits.
//!
//! **Backward: register tiles.** The backward works on [`ROWS`] rows of X at once
//! against one row of B, [`LANES`] columns (one 512-bit register) at a
//! time. The `ROWS` chains of SIMD operations are independent, so the CPU
//! overlaps them instead of waiting for each result, and each vector of B
//! loaded from memory serves `ROWS` rows. A last, short group of rows is
//! completed with zero rows (`PaddedRows`); a last, short group of columns
//! is read and written through a lane mask, with zeros in the missing
//! lanes (B = X = 0: the factor is 1 and adds nothing to any gradient).
//!
//! **Backward.** For one tile the `ROWS` vectors of X and the running sums
//! of dX stay in registers while the loop walks down a block of
//! [`I_BLOCK`] rows of B (whose vectors, and dB's, stay in L1 cache); per
//! row i it loads one vector of B, computes q = g[k, i]/(1 − B·X) for the
//! `ROWS` rows with one masked division each (q = 0 where the factor was
//! clamped), subtracts q·B into dX and adds −Σ_r q·X into dB[i, ·].
//!
//! **What bounds it.** Per 16 terms: a multiplication, a subtraction and
//! a comparison for the factor, the division, and two fused
//! multiply-adds. On a Zen 4 core (512-bit operations on 256-bit units)
//! the division and the multiply-adds compete for the same two pipes, so
//! that cheaper divisions buy little. We tried, on that core, three ways
//! to divide less and kept none: the hardware's reciprocal estimate
//! (`vrcp14ps`) refined by one Newton step, r₁ = r₀·(2 − f·r₀) (slower,
//! as on the Zen 5 machine of `docs/PERFORMANCE.md`: four more operations
//! on the same pipes); one division for two terms of a row of X, with
//! t = g/(f_a·f_b), q_a = t·f_b and q_b = t·f_a, where the reaches prove
//! that no factor clamps (a few per cent faster: three more
//! multiplications in place of a division); and, as a bound, no division
//! at all (wrong results; only about a tenth faster). So the kernel
//! divides, exactly.

use super::bands::{ColumnBands, PaddedRows};
use super::widened::{self, Finished, PairLoop, Pairs, Watch};
use super::LANES;
use std::arch::x86_64::{
    __m512d, __mmask16, __mmask8, _mm256_loadu_ps, _mm512_add_ps, _mm512_castps512_ps256,
    _mm512_cmp_pd_mask, _mm512_cmp_ps_mask, _mm512_cvtps_pd, _mm512_fmadd_ps, _mm512_fnmadd_pd,
    _mm512_loadu_pd, _mm512_maskz_div_ps, _mm512_maskz_loadu_pd, _mm512_maskz_loadu_ps,
    _mm512_mul_pd, _mm512_mul_ps, _mm512_set1_pd, _mm512_set1_ps, _mm512_setzero_ps,
    _mm512_storeu_pd, _mm512_sub_ps, _CMP_GE_OQ, _CMP_LE_OQ, _CMP_NLT_UQ,
};
use std::ops::Range;
use synann_tensor::simd::{load, store};

/// `widened`'s pair loop with AVX-512 intrinsics (see the module docs).
pub(super) struct Zmm;

impl PairLoop for Zmm {
    #[inline(always)]
    unsafe fn pairs<W: Watch, const R: usize>(b: &[f32], x: [&[f64]; R]) -> Finished<R> {
        const L: usize = widened::LANES;
        let n = b.len();
        assert!(
            x.iter().all(|row| row.len() == n),
            "Zmm::pairs: rows of X and B differ"
        );
        let mut s = Pairs::<W, R>::new();
        // SAFETY: the CPU supports AVX-512F (contract). Every load reads
        // lanes j..j + L with j + L ≤ n, or (masked) only the lanes below
        // n, of `b` and of rows of `x`, which are n long (asserted above);
        // every store writes one whole array of L values.
        unsafe {
            let (one, lo, hi) = (
                _mm512_set1_pd(1.0),
                _mm512_set1_pd(widened::LO),
                _mm512_set1_pd(widened::HI),
            );
            let mut pv = [one; R];
            // pv[r] ·= 1 − b·x over lanes `mask` of the chunk at j (the
            // other lanes load zeros: factors of exactly 1).
            let step = |pv: &mut [__m512d; R], watch: &mut [W; R], j: usize, mask: __mmask8| {
                let load = |v: &[f64]| {
                    if mask == u8::MAX {
                        _mm512_loadu_pd(v.as_ptr().add(j))
                    } else {
                        _mm512_maskz_loadu_pd(mask, v.as_ptr().add(j))
                    }
                };
                // B stays f32 in memory (half the bytes streamed from
                // cache) and is widened here, exactly.
                let bv = _mm512_cvtps_pd(if mask == u8::MAX {
                    _mm256_loadu_ps(b.as_ptr().add(j))
                } else {
                    let lanes = __mmask16::from(mask);
                    _mm512_castps512_ps256(_mm512_maskz_loadu_ps(lanes, b.as_ptr().add(j)))
                });
                for r in 0..R {
                    // 1 − b·x in one rounding, as `mul_add(-b, x, 1)`.
                    let f = _mm512_fnmadd_pd(bv, load(x[r]), one);
                    pv[r] = _mm512_mul_pd(pv[r], f);
                    if W::WATCHES {
                        let mut seen = [0.0; L];
                        _mm512_storeu_pd(seen.as_mut_ptr(), f);
                        watch[r].see(&seen);
                    }
                }
            };
            for j0 in (0..n).step_by(widened::BLOCK) {
                let j1 = (j0 + widened::BLOCK).min(n);
                let mut j = j0;
                while j + L <= j1 {
                    step(&mut pv, &mut s.watch, j, u8::MAX);
                    j += L;
                }
                if j < j1 {
                    step(&mut pv, &mut s.watch, j, (1u8 << (j1 - j)) - 1);
                }
                // The range check in registers; lane by lane (in memory)
                // only when a lane left the range.
                let in_range = pv.iter().fold(u8::MAX, |all, &v| {
                    all & _mm512_cmp_pd_mask(v, lo, _CMP_GE_OQ)
                        & _mm512_cmp_pd_mask(v, hi, _CMP_LE_OQ)
                });
                if in_range != u8::MAX {
                    for (lanes, &v) in s.p.iter_mut().zip(&pv) {
                        _mm512_storeu_pd(lanes.as_mut_ptr(), v);
                    }
                    s.check();
                    pv = s.p.map(|lanes| _mm512_loadu_pd(lanes.as_ptr()));
                }
            }
            for (lanes, v) in s.p.iter_mut().zip(pv) {
                _mm512_storeu_pd(lanes.as_mut_ptr(), v);
            }
        }
        s.finish()
    }
}

/// `widened`'s forward task with [`Zmm`]: the AVX-512 build of
/// `widened::forward_tile_with`.
///
/// # Safety
/// The CPU must support AVX-512F, AVX2 and FMA.
#[target_feature(enable = "avx512f,avx2,fma")]
pub(super) unsafe fn forward_tile(
    n: usize,
    m: usize,
    xs: &[f64],
    b: (&[f32], &[f64]),
    out_rows: &mut [f32],
) -> u64 {
    // SAFETY: this function is compiled for, and only called on, AVX-512.
    unsafe { widened::forward_tile::<Zmm>(n, m, xs, b, out_rows) }
}

/// Rows of X in one register tile.
pub const ROWS: usize = 8;
/// Rows of B whose vectors the backward keeps in L1 cache at a time.
pub const I_BLOCK: usize = 128;

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
    // −g, so that each broadcast reads its value straight from memory
    // (−q = −g/f exactly, and adding −q·B is subtracting q·B: the same bits).
    let neg_g: Vec<f32> = g.iter().map(|&v| -v).collect();
    let padded = PaddedRows::new((n, m), (x, &neg_g));
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
                        // The f32 factor fl(1 − fl(b·x)), as the reference
                        // kernel rounds it, so that the clamp rule is the
                        // same. q = g/f where f ≥ floor (or NaN, which
                        // propagates), 0 where the factor was clamped.
                        let f = _mm512_sub_ps(one, _mm512_mul_ps(bv, xv[r]));
                        let kept = _mm512_cmp_ps_mask(f, floor, _CMP_NLT_UQ);
                        let neg_q = _mm512_maskz_div_ps(kept, _mm512_set1_ps(gr[r][i]), f);
                        dxv[r] = _mm512_fmadd_ps(neg_q, bv, dxv[r]);
                        db_sum[r % 2] = _mm512_fmadd_ps(neg_q, xv[r], db_sum[r % 2]);
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
