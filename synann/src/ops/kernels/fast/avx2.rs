//! The f32 backward written with AVX2 and FMA intrinsics, for CPUs
//! without AVX-512: the loop of [`portable`](super::portable),
//! register-tiled by hand as in [`avx512`](super::avx512), with 8-lane
//! registers. (The f32 forward is [`widened`](super::widened)'s portable
//! loop, compiled for AVX2.)
//!
//! **Register tiles and packed columns.** The portable backward reads and
//! writes a row of dX and of dB for every (k, i) pair. Here, for one tile,
//! the [`ROWS`] vectors of X and the running sums of dX stay in registers
//! while the loop walks down a block of [`I_BLOCK`] rows of B; per row i
//! it loads one vector of B, computes q = g[k, i]/(1 − B·X) for each row,
//! subtracts q·B into dX and Σ_r q·X into dB[i, ·]. The block's 8 columns
//! of B, and their sums for dB, are first copied into contiguous buffers
//! that every group of rows then walks with unit stride: read in place,
//! the rows of B are n floats apart, and at n = 128 (512 bytes) the 128
//! rows of a block fall into 8 of the L1 cache's 64 sets and evict each
//! other. Packing made the backward faster at n = 128 and n = 784 on our
//! AVX2 machine (AMD EPYC, family 23, model 1).
//!
//! **Two quotients.** Where a tile's factors might be clamped, q is one
//! exact division, set to 0 where the f32 factor fl(1 − fl(b·x)) is below
//! the floor (the reference kernel's rule; a NaN propagates). Most tiles
//! cannot clamp, and their *reach* says so (as in the forward: if
//! max|B|·max|X| < 1 − 2⁻²⁵, every factor is above 2⁻²⁵): there, q comes
//! from the reciprocal estimate refined by one Newton step,
//! g·r₀·(2 − f·r₀), with no mask. On our AVX2 machine that is faster
//! than the masked division (the division unit, not the multipliers,
//! bounds that loop; with the mask, the estimate gained nothing); the
//! quotient is within about 2 units in
//! the last place of the exact one (`rcpps` is good to 1.5·2⁻¹², and one
//! step squares its error). The sums run in another order than the
//! portable loop's, so the gradients agree with it to rounding, not to
//! the bit; for a fixed thread count they are the same from run to run.
//!
//! A last, short piece of up to 7 columns is loaded through a zero-padded
//! copy and stored back element by element (AVX2's masked moves need an
//! integer mask vector and are slow on some CPUs).

use super::bands::{ColumnBands, PaddedRows};
use super::widened::{clamp_free, column_reaches, max_reach, reach};
use std::arch::x86_64::{
    __m256, _mm256_add_ps, _mm256_and_ps, _mm256_cmp_ps, _mm256_div_ps, _mm256_fmadd_ps,
    _mm256_fnmadd_ps, _mm256_loadu_ps, _mm256_mul_ps, _mm256_rcp_ps, _mm256_set1_ps,
    _mm256_setzero_ps, _mm256_storeu_ps, _mm256_sub_ps, _CMP_NLT_UQ,
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

/// How a tile computes q = g/(1 − b·x).
trait Quotient {
    /// q for the factors of `bv` against `xv`, with `g` broadcast.
    ///
    /// # Safety
    /// The CPU must support AVX2 and FMA.
    unsafe fn q(bv: __m256, xv: __m256, g: f32) -> __m256;
}

/// For tiles that might clamp: the f32 factor fl(1 − fl(b·x)), one exact
/// division, and 0 where the factor is below the floor.
struct Masked;

impl Quotient for Masked {
    #[inline(always)]
    unsafe fn q(bv: __m256, xv: __m256, g: f32) -> __m256 {
        // SAFETY: the CPU supports AVX2 and FMA (contract).
        unsafe {
            let f = _mm256_sub_ps(_mm256_set1_ps(1.0), _mm256_mul_ps(bv, xv));
            // Kept where f ≥ floor, or f is NaN (which propagates).
            let kept = _mm256_cmp_ps::<_CMP_NLT_UQ>(f, _mm256_set1_ps(super::floor()));
            _mm256_and_ps(kept, _mm256_div_ps(_mm256_set1_ps(g), f))
        }
    }
}

/// For tiles whose reach rules clamping out (every factor above 2⁻²⁵):
/// the reciprocal estimate r₀ of f = 1 − b·x refined by one Newton step.
struct Estimated;

impl Quotient for Estimated {
    #[inline(always)]
    unsafe fn q(bv: __m256, xv: __m256, g: f32) -> __m256 {
        // SAFETY: the CPU supports AVX2 and FMA (contract).
        unsafe {
            let f = _mm256_fnmadd_ps(bv, xv, _mm256_set1_ps(1.0));
            let r0 = _mm256_rcp_ps(f);
            let step = _mm256_fnmadd_ps(f, r0, _mm256_set1_ps(2.0));
            _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(g), r0), step)
        }
    }
}

/// One register tile's pass down a packed block of B: for each row i of
/// `bp` (8 columns of B, contiguous), q = g[r][i]/(1 − B·X) for the
/// [`ROWS`] rows held in `xv`, dX −= q·B into `dxv`, and dB −= Σ_r q·X
/// into row i of `dbp`.
#[inline]
#[target_feature(enable = "avx2,fma")]
fn sweep<Q: Quotient>(
    bp: &[f32],
    dbp: &mut [f32],
    g: [&[f32]; ROWS],
    xv: [__m256; ROWS],
    dxv: &mut [__m256; ROWS],
) {
    let [mut d0, mut d1, mut d2, mut d3] = *dxv;
    let rows = bp
        .chunks_exact(WIDTH)
        .zip(dbp.chunks_exact_mut(WIDTH))
        .zip(g[0].iter().zip(g[1]).zip(g[2].iter().zip(g[3])));
    for ((bs, dbs), ((&g0, &g1), (&g2, &g3))) in rows {
        // SAFETY: `bs` and `dbs` hold exactly 8 values (chunks_exact).
        let bv = unsafe { _mm256_loadu_ps(bs.as_ptr()) };
        // SAFETY: this function runs with AVX2 and FMA enabled.
        let (q0, q1, q2, q3) = unsafe {
            (
                Q::q(bv, xv[0], g0),
                Q::q(bv, xv[1], g1),
                Q::q(bv, xv[2], g2),
                Q::q(bv, xv[3], g3),
            )
        };
        d0 = _mm256_fnmadd_ps(q0, bv, d0);
        d1 = _mm256_fnmadd_ps(q1, bv, d1);
        d2 = _mm256_fnmadd_ps(q2, bv, d2);
        d3 = _mm256_fnmadd_ps(q3, bv, d3);
        // Two partial sums for dB, so that its chain of dependent
        // additions is half as long.
        let s01 = _mm256_fmadd_ps(q1, xv[1], _mm256_mul_ps(q0, xv[0]));
        let s23 = _mm256_fmadd_ps(q3, xv[3], _mm256_mul_ps(q2, xv[2]));
        // SAFETY: as above.
        unsafe {
            let old = _mm256_loadu_ps(dbs.as_ptr());
            _mm256_storeu_ps(
                dbs.as_mut_ptr(),
                _mm256_sub_ps(old, _mm256_add_ps(s01, s23)),
            );
        }
    }
    *dxv = [d0, d1, d2, d3];
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
    // Which groups of rows are clamp-free at each block of 8 columns (see
    // the module docs): those get the reciprocal estimate, the others the
    // masked division. The reaches are those of the block, not of the
    // band, so that the choice, and the bits, do not depend on the thread
    // count.
    let b_columns = column_reaches(b, n, band.clone());
    let mut group_clamp_free: Vec<bool> = Vec::with_capacity(rows.div_ceil(ROWS));
    // One block of B's columns, packed: I_BLOCK rows of 8, and dB's.
    let mut bp = vec![0.0f32; I_BLOCK * WIDTH];
    let mut dbp = vec![0.0f32; I_BLOCK * WIDTH];
    for j0 in band.clone().step_by(WIDTH) {
        let cols = j0..(j0 + WIDTH).min(band.end);
        let b_reach = max_reach(&b_columns[cols.start - band.start..cols.end - band.start]);
        group_clamp_free.clear();
        group_clamp_free.extend((0..rows).step_by(ROWS).map(|k0| {
            let x_reach = (k0..(k0 + ROWS).min(rows))
                .map(|k| reach(&padded.x(k)[cols.clone()]))
                .fold(0.0, f64::max);
            clamp_free(b_reach, x_reach)
        }));
        for i0 in (0..m).step_by(I_BLOCK) {
            let i1 = (i0 + I_BLOCK).min(m);
            let len = (i1 - i0) * WIDTH;
            for i in i0..i1 {
                let packed = &mut bp[(i - i0) * WIDTH..][..WIDTH];
                packed.fill(0.0);
                packed[..cols.len()].copy_from_slice(&b[i * n + cols.start..i * n + cols.end]);
            }
            dbp[..len].fill(0.0);
            for k0 in (0..rows).step_by(ROWS) {
                let valid = ROWS.min(rows - k0);
                let xv: [__m256; ROWS] =
                    std::array::from_fn(|r| load(&padded.x(k0 + r)[cols.clone()]));
                let gr: [&[f32]; ROWS] = std::array::from_fn(|r| &padded.g(k0 + r)[i0..i1]);
                let mut dxv = [_mm256_setzero_ps(); ROWS];
                for (r, v) in dxv.iter_mut().enumerate().take(valid) {
                    // SAFETY: this call owns columns `band` (contract).
                    *v = load(unsafe { dx.row_band(k0 + r, cols.clone()) });
                }
                if group_clamp_free[k0 / ROWS] {
                    sweep::<Estimated>(&bp[..len], &mut dbp[..len], gr, xv, &mut dxv);
                } else {
                    sweep::<Masked>(&bp[..len], &mut dbp[..len], gr, xv, &mut dxv);
                }
                for (r, &v) in dxv.iter().enumerate().take(valid) {
                    // SAFETY: this call owns columns `band` (contract).
                    store(unsafe { dx.row_band(k0 + r, cols.clone()) }, v);
                }
            }
            for i in i0..i1 {
                // SAFETY: this call owns columns `band` (contract).
                let db_i = unsafe { db.row_band(i, cols.clone()) };
                let sums = &dbp[(i - i0) * WIDTH..][..cols.len()];
                db_i.iter_mut().zip(sums).for_each(|(d, s)| *d += *s);
            }
        }
    }
}
