//! The f32 backward written with AVX2 and FMA intrinsics, for CPUs
//! without AVX-512: the loop of [`portable`](super::portable),
//! register-tiled by hand as in [`avx512`](super::avx512), with 8-lane
//! registers.
//!
//! **Why not the portable loop.** The portable backward reads and writes
//! a row of dX and of dB for every (k, i) pair. Here, for one tile, the
//! [`ROWS`] vectors of X and the running sums of dX stay in registers
//! while the loop walks down a block of [`I_BLOCK`] rows of B; per row i
//! it loads one vector of B, computes q = g[k, i]/(1 − B·X) for each row
//! with one exact division (q = 0 where the factor was clamped, a NaN
//! propagates), subtracts q·B into dX and −Σ_r q·X into dB[i, ·]. The
//! sums run in another order than the portable loop's, so the gradients
//! agree with it to rounding, not to the bit; for a fixed thread count
//! they are the same from run to run.
//!
//! **No AVX2 forward.** The forward stays the portable loop compiled for
//! AVX2. We wrote its register-tiled twin (two rows of X against a row of
//! B, lanes mirroring the portable operations bit for bit): on our AVX2
//! machine (AMD EPYC, family 23, model 1) it was slower than the portable
//! loop on `synapse_n784_fwd` and at n = 128, because two rows' products,
//! errors and clamp counters need more than AVX2's 16 registers and
//! spill, while the portable loop already keeps the FMA units about as
//! busy as their throughput allows.
//!
//! A last, short piece of up to 7 columns is loaded through a zero-padded
//! copy and stored back element by element (AVX2's masked moves need an
//! integer mask vector and are slow on some CPUs).

use super::bands::{ColumnBands, PaddedRows};
use std::arch::x86_64::{
    __m256, _mm256_add_ps, _mm256_and_ps, _mm256_cmp_ps, _mm256_div_ps, _mm256_fnmadd_ps,
    _mm256_loadu_ps, _mm256_set1_ps, _mm256_setzero_ps, _mm256_storeu_ps, _CMP_NLT_UQ,
};
use std::ops::Range;

/// f32 lanes of one AVX2 register.
const WIDTH: usize = 8;
/// Rows of X in one register tile (a vector of X and one of dX each).
pub const ROWS: usize = 4;
/// Rows of B whose vectors the backward keeps in L1 cache at a time.
pub const I_BLOCK: usize = 128;

/// The first values of `s` (at most 8) in the first lanes, zeros after.
#[inline]
#[target_feature(enable = "avx2")]
fn load(s: &[f32]) -> __m256 {
    if s.len() >= WIDTH {
        // SAFETY: `s` holds at least the 8 values an unaligned load reads.
        unsafe { _mm256_loadu_ps(s.as_ptr()) }
    } else {
        let mut padded = [0.0f32; WIDTH];
        padded[..s.len()].copy_from_slice(s);
        // SAFETY: `padded` holds exactly 8 values.
        unsafe { _mm256_loadu_ps(padded.as_ptr()) }
    }
}

/// Writes the first `s.len()` (at most 8) lanes of `v` into `s`.
#[inline]
#[target_feature(enable = "avx2")]
fn store(s: &mut [f32], v: __m256) {
    if s.len() >= WIDTH {
        // SAFETY: `s` holds at least the 8 values an unaligned store writes.
        unsafe { _mm256_storeu_ps(s.as_mut_ptr(), v) }
    } else {
        let mut lanes = [0.0f32; WIDTH];
        // SAFETY: `lanes` holds exactly 8 values.
        unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), v) };
        let len = s.len();
        s.copy_from_slice(&lanes[..len]);
    }
}

/// The backward for the rows `x` (with their output gradients `g`) and
/// the columns `band`: adds their terms into those columns of `dx` (rows
/// of `x`) and `db`.
///
/// # Safety
/// The CPU must support AVX2 and FMA, and no other thread may touch
/// columns `band` of `dx` or `db` during the call.
#[target_feature(enable = "avx2,fma")]
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
    let one = _mm256_set1_ps(1.0);
    let floor = _mm256_set1_ps(super::floor());
    for j0 in band.clone().step_by(WIDTH) {
        let cols = j0..(j0 + WIDTH).min(band.end);
        // Rows i0..i1 of B and dB: their vectors at these columns stay in
        // L1 cache while every group of rows of X passes over them.
        for i0 in (0..m).step_by(I_BLOCK) {
            let i1 = (i0 + I_BLOCK).min(m);
            for k0 in (0..rows).step_by(ROWS) {
                let valid = ROWS.min(rows - k0);
                let xv: [__m256; ROWS] =
                    std::array::from_fn(|r| load(&padded.x(k0 + r)[cols.clone()]));
                let gr: [&[f32]; ROWS] = std::array::from_fn(|r| padded.g(k0 + r));
                let mut dxv = [_mm256_setzero_ps(); ROWS];
                for (r, v) in dxv.iter_mut().enumerate().take(valid) {
                    // SAFETY: this call owns columns `band` (contract).
                    *v = load(unsafe { dx.row_band(k0 + r, cols.clone()) });
                }
                for i in i0..i1 {
                    let bv = load(&b[i * n + cols.start..i * n + cols.end]);
                    // Two partial sums for dB, so that its chain of
                    // dependent additions is half as long.
                    let mut db_sum = [_mm256_setzero_ps(); 2];
                    for r in 0..ROWS {
                        let f = _mm256_fnmadd_ps(bv, xv[r], one);
                        // q = g/f where f ≥ floor (or NaN, which propagates),
                        // 0 where the factor was clamped.
                        let kept = _mm256_cmp_ps::<_CMP_NLT_UQ>(f, floor);
                        let q = _mm256_and_ps(kept, _mm256_div_ps(_mm256_set1_ps(gr[r][i]), f));
                        dxv[r] = _mm256_fnmadd_ps(q, bv, dxv[r]);
                        db_sum[r % 2] = _mm256_fnmadd_ps(q, xv[r], db_sum[r % 2]);
                    }
                    // SAFETY: this call owns columns `band` (contract).
                    let db_i = unsafe { db.row_band(i, cols.clone()) };
                    let sum = _mm256_add_ps(db_sum[0], db_sum[1]);
                    store(db_i, _mm256_add_ps(load(db_i), sum));
                }
                for (r, &v) in dxv.iter().enumerate().take(valid) {
                    // SAFETY: this call owns columns `band` (contract).
                    store(unsafe { dx.row_band(k0 + r, cols.clone()) }, v);
                }
            }
        }
    }
}
