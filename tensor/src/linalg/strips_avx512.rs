//! C = α·A·B for a *narrow* A, in f32 with AVX-512, without packing.
//!
//! The general GEMM (`matrixmultiply`) copies both operands into panels
//! before it multiplies, which pays off when each copied value then serves
//! many products. When A has few rows (a convolution with few output
//! channels: the seed network's conv2 computes `[20, 250] · [250, 128]`,
//! and its weight gradient `[20, 128] · [128, 250]` with the patches as
//! rows) or few columns (its input gradient, `[250, 20] · [20, 128]`), the
//! copies cost about as much as the products: in the seed network's step,
//! packing was a third of the GEMMs' time.
//!
//! Here B is read in place, one row segment of 16 columns (one register)
//! at a time, and a block of R rows of C keeps its 16 columns in R
//! registers:
//!
//! ```text
//! for each block of R rows of C:          (R = 12, 10, 8, … by `block_len`)
//!     for each strip of 16 columns j:
//!         acc[r] = 0
//!         for k in 0..K:  acc[r] += A[r, k] · B[k, j]   (one load of B, R fused multiply-adds)
//!         C[r, j] = α·acc[r]          (or C[r, j] + α·acc[r]: `Output::Accumulate`)
//! ```
//!
//! Each element of C is one fused multiply-add chain over k in order, the
//! way a plain dot product would sum it, whatever the thread count. A is
//! read as broadcasts from memory and must stay in L1 cache
//! ([`MAX_A`]); B's rows must be contiguous (unit column stride).

use super::MatRef;
use crate::simd::{block_len, lane_mask, load, load_masked_unchecked, store, with_block, LANES};
use std::arch::x86_64::{_mm512_fmadd_ps, _mm512_mul_ps, _mm512_set1_ps, _mm512_setzero_ps};

/// A narrow A has at most this many rows…
pub const MAX_ROWS: usize = 24;
/// …or at most this many columns.
pub const MAX_INNER: usize = 32;
/// Elements of A at most (32 KiB of f32: an L1 data cache), since every
/// block of rows reads its part of A once per strip of columns.
pub const MAX_A: usize = 8192;

/// What [`gemm`] does with C.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// C = α·A·B (GEMM's β = 0).
    Overwrite,
    /// C = α·A·B + C (β = 1).
    Accumulate,
}

/// Whether [`gemm`] serves C = A·B for these operands on this CPU.
pub fn applies(a: &MatRef<'_, f32>, b: &MatRef<'_, f32>) -> bool {
    b.col_stride == 1 && narrow(a.rows, a.cols)
}

/// Whether an A of `rows × cols` is narrow enough for [`gemm`] (with B's
/// rows contiguous), on this CPU: for callers that choose a layout of B
/// before they have it.
pub fn narrow(rows: usize, cols: usize) -> bool {
    (rows <= MAX_ROWS || cols <= MAX_INNER)
        && rows * cols <= MAX_A
        && std::arch::is_x86_feature_detected!("avx512f")
}

/// C = α·A·B (+ C), C row-major `a.rows × b.cols` in `c`. Panics unless
/// [`applies`] holds, the shapes chain and both operands lie inside their
/// slices.
pub fn gemm(alpha: f32, a: MatRef<'_, f32>, b: MatRef<'_, f32>, c: &mut [f32], out: Output) {
    assert!(
        applies(&a, &b),
        "strip gemm: [{}, {}] @ [{}, {}] with B's column stride {} not served here",
        a.rows,
        a.cols,
        b.rows,
        b.cols,
        b.col_stride
    );
    assert!(
        a.cols == b.rows && c.len() == a.rows * b.cols,
        "strip gemm: [{}, {}] @ [{}, {}] into {} elements",
        a.rows,
        a.cols,
        b.rows,
        b.cols,
        c.len()
    );
    a.check_bounds("strip gemm");
    b.check_bounds("strip gemm");
    // SAFETY: `applies` checked that the CPU has AVX-512F; the operands
    // were checked against their slices.
    unsafe { gemm_avx512(alpha, a, b, c, out) }
}

/// [`gemm`] after its checks.
///
/// # Safety
/// The CPU must support AVX-512F, and every element (i, j) of `a` and `b`
/// must lie inside its slice (`check_bounds`).
#[target_feature(enable = "avx512f")]
unsafe fn gemm_avx512(
    alpha: f32,
    a: MatRef<'_, f32>,
    b: MatRef<'_, f32>,
    c: &mut [f32],
    out: Output,
) {
    let mut r0 = 0;
    while r0 < a.rows {
        let len = block_len(a.rows - r0);
        // SAFETY: as for this function (contract).
        unsafe { with_block!(len, block(alpha, (&a, &b), r0, c, out)) };
        r0 += len;
    }
}

/// Rows r0..r0 + R of C.
///
/// # Safety
/// As [`gemm_avx512`], and r0 + R ≤ a.rows.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn block<const R: usize>(
    alpha: f32,
    (a, b): (&MatRef<'_, f32>, &MatRef<'_, f32>),
    r0: usize,
    c: &mut [f32],
    out: Output,
) {
    let (n, k) = (b.cols, a.cols);
    for j0 in (0..n).step_by(LANES) {
        let len = LANES.min(n - j0);
        let mask = lane_mask(len);
        let mut acc = [_mm512_setzero_ps(); R];
        for kk in 0..k {
            // SAFETY: B's elements (kk, j0..j0 + len) are in bounds
            // (contract), and its columns are contiguous.
            let bv = unsafe { load_masked_unchecked(b.data, kk * b.row_stride + j0, mask) };
            for (r, v) in acc.iter_mut().enumerate() {
                let at = (r0 + r) * a.row_stride + kk * a.col_stride;
                // SAFETY: A's element (r0 + r, kk) is in bounds (contract).
                let av = unsafe { *a.data.get_unchecked(at) };
                *v = _mm512_fmadd_ps(_mm512_set1_ps(av), bv, *v);
            }
        }
        let scale = _mm512_set1_ps(alpha);
        for (r, &v) in acc.iter().enumerate() {
            let dst = &mut c[(r0 + r) * n + j0..][..len];
            let v = match out {
                Output::Overwrite => _mm512_mul_ps(v, scale),
                Output::Accumulate => _mm512_fmadd_ps(v, scale, load(dst)),
            };
            store(dst, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{applies, gemm, Output};
    use crate::linalg::MatRef;

    #[test]
    fn serves_narrow_operands_and_matches_the_definition() {
        if !std::arch::is_x86_feature_detected!("avx512f") {
            return;
        }
        // A 3 × 5 (read transposed from a 5 × 3 array), B 5 × 20: one
        // block of 2 rows and one of 1; a whole and a partial strip.
        let (m, k, n) = (3, 5, 20);
        let at: Vec<f32> = (0..k * m).map(|v| v as f32 * 0.25 - 1.0).collect();
        let b: Vec<f32> = (0..k * n).map(|v| (v % 7) as f32 - 3.0).collect();
        let a = MatRef::row_major(&at, k, m).t();
        let bm = MatRef::row_major(&b, k, n);
        assert!(applies(&a, &bm));
        assert!(
            !applies(&a, &MatRef::row_major(&b, n, k).t()),
            "B's rows must be contiguous"
        );
        let want = |i: usize, j: usize| (0..k).map(|p| at[p * m + i] * b[p * n + j]).sum::<f32>();
        let mut c = vec![1.0f32; m * n];
        gemm(2.0, a, bm, &mut c, Output::Overwrite);
        for (q, &v) in c.iter().enumerate() {
            assert_eq!(v, 2.0 * want(q / n, q % n), "element {q}");
        }
        gemm(1.0, a, bm, &mut c, Output::Accumulate);
        for (q, &v) in c.iter().enumerate() {
            assert_eq!(v, 3.0 * want(q / n, q % n), "element {q}");
        }
    }
}
