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
//!
//! **B read where it lies** ([`gemm_gathered`]). The same loop serves a B
//! that is never written out: one whose element (k, j) is
//! `data[row_at[k] + col_at[j]]` (a [`Gathered`] matrix). A convolution's
//! im2col matrix is one (k a kernel tap, j an output pixel: `row_at` the
//! taps' offsets in the image, `col_at` the pixels'), and so are its
//! patches as rows. Where `col_at` runs in steps of one, a strip of 16
//! columns is a few contiguous pieces of `data`, each read with one masked
//! load; the sums are the same chains, so C has the same bits as from the
//! matrix written out.

use super::MatRef;
use crate::simd::{block_len, lane_mask, load, load_masked_unchecked, store, with_block, LANES};
use std::arch::x86_64::{
    __m512, __mmask16, _mm512_fmadd_ps, _mm512_mask_loadu_ps, _mm512_mul_ps, _mm512_set1_ps,
    _mm512_setzero_ps,
};

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
    unsafe { gemm_avx512(alpha, a, &b, c, out) }
}

/// A matrix B whose element (k, j) is `data[row_at[k] + col_at[j]]`, for
/// [`gemm_gathered`]: `row_at.len()` rows, `col_at.len()` columns.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Gathered<'a> {
    /// The values B's elements are read from.
    pub data: &'a [f32],
    /// Where each row starts in `data`.
    pub row_at: &'a [usize],
    /// Where each column lies, from its row's start.
    pub col_at: &'a [usize],
}

impl Gathered<'_> {
    /// Panics, for `op`, unless every element lies inside `data`.
    fn check_bounds(&self, op: &str) {
        let (Some(&r), Some(&c)) = (self.row_at.iter().max(), self.col_at.iter().max()) else {
            return;
        };
        assert!(
            r.checked_add(c).is_some_and(|last| last < self.data.len()),
            "{op}: a gathered {}×{} matrix reads element {r} + {c} of {}",
            self.row_at.len(),
            self.col_at.len(),
            self.data.len()
        );
    }
}

/// C = α·A·B (+ C) as [`gemm`] does, for a B read in place through its
/// offsets ([`Gathered`], see the module docs): the same sums, so the
/// same bits as [`gemm`] on B written out. Panics unless A is narrow
/// ([`narrow`]), the shapes chain and B lies inside its slice.
pub(crate) fn gemm_gathered(
    alpha: f32,
    a: MatRef<'_, f32>,
    b: Gathered<'_>,
    c: &mut [f32],
    out: Output,
) {
    let (k, n) = (b.row_at.len(), b.col_at.len());
    assert!(
        narrow(a.rows, a.cols) && a.cols == k && c.len() == a.rows * n,
        "strip gemm: [{}, {}] @ gathered [{k}, {n}] into {} elements",
        a.rows,
        a.cols,
        c.len()
    );
    a.check_bounds("strip gemm");
    b.check_bounds("strip gemm");
    // SAFETY: `narrow` checked that the CPU has AVX-512F; the operands
    // were checked against their slices.
    unsafe { gemm_avx512(alpha, a, &b, c, out) }
}

/// A B that [`block`] reads one strip of up to 16 columns at a time.
trait Strips {
    /// Rows (A's columns).
    fn rows(&self) -> usize;
    /// Columns.
    fn cols(&self) -> usize;
    /// `acc[r]` = Σ_k A[r0 + r, k] · B[k, j0..j0 + len] (zeros past len),
    /// as [`strip_sums`] sums.
    ///
    /// # Safety
    /// As [`gemm_avx512`], r0 + R ≤ a.rows, j0 + len ≤ self.cols() and
    /// len ≤ 16.
    unsafe fn strip_sums<const R: usize>(
        &self,
        a: &MatRef<'_, f32>,
        r0: usize,
        j0: usize,
        len: usize,
    ) -> [__m512; R];
}

/// One strip of B, a row at a time.
trait StripRows {
    /// Row `k` of the strip in a register, zeros past its end.
    ///
    /// # Safety
    /// The CPU must support AVX-512F and `k` must be a row of B.
    unsafe fn row(&self, k: usize) -> __m512;
}

/// `acc[r]` = Σ_k A[r0 + r, k] · `rows.row(k)` over the `k` rows: one fused
/// multiply-add chain per lane, in k order.
///
/// # Safety
/// The CPU must support AVX-512F, A's elements (r0..r0 + R, 0..k) must lie
/// inside its slice and `rows` must read k rows.
#[inline(always)]
unsafe fn strip_sums<const R: usize>(
    a: &MatRef<'_, f32>,
    r0: usize,
    k: usize,
    rows: &impl StripRows,
) -> [__m512; R] {
    // SAFETY (all of the body): AVX-512F by the contract.
    let mut acc = [unsafe { _mm512_setzero_ps() }; R];
    for kk in 0..k {
        // SAFETY: kk is a row of B (contract).
        let bv = unsafe { rows.row(kk) };
        for (r, v) in acc.iter_mut().enumerate() {
            let at = (r0 + r) * a.row_stride + kk * a.col_stride;
            // SAFETY: A's element (r0 + r, kk) is in bounds (contract).
            let av = unsafe { *a.data.get_unchecked(at) };
            *v = unsafe { _mm512_fmadd_ps(_mm512_set1_ps(av), bv, *v) };
        }
    }
    acc
}

/// A strip of a row-major B: its first column and the mask of its lanes.
struct DenseStrip<'a> {
    b: &'a MatRef<'a, f32>,
    j0: usize,
    mask: __mmask16,
}

impl StripRows for DenseStrip<'_> {
    #[inline(always)]
    unsafe fn row(&self, k: usize) -> __m512 {
        // SAFETY: the elements (k, j0..j0 + len) are in bounds (checked by
        // the caller), and the columns are contiguous.
        unsafe { load_masked_unchecked(self.b.data, k * self.b.row_stride + self.j0, self.mask) }
    }
}

impl Strips for MatRef<'_, f32> {
    fn rows(&self) -> usize {
        self.rows
    }

    fn cols(&self) -> usize {
        self.cols
    }

    #[inline(always)]
    unsafe fn strip_sums<const R: usize>(
        &self,
        a: &MatRef<'_, f32>,
        r0: usize,
        j0: usize,
        len: usize,
    ) -> [__m512; R] {
        let strip = DenseStrip {
            b: self,
            j0,
            mask: lane_mask(len),
        };
        // SAFETY: as for this function (contract).
        unsafe { strip_sums(a, r0, self.rows, &strip) }
    }
}

/// A strip of a [`Gathered`] matrix as its `P` contiguous pieces: piece p
/// fills the lanes of `mask[p]` from `data[row_at[k] + offset[p] + lane]`
/// (the offset is the piece's first column's, less its first lane). The
/// count is a constant, so that the pieces stay in registers.
struct Pieces<'a, const P: usize> {
    b: &'a Gathered<'a>,
    mask: [__mmask16; P],
    offset: [isize; P],
}

impl<const P: usize> StripRows for Pieces<'_, P> {
    #[inline(always)]
    unsafe fn row(&self, k: usize) -> __m512 {
        // SAFETY: as for this function (contract).
        unsafe { load_pieces(self.b, k, &self.mask, &self.offset) }
    }
}

/// Row `k` of a strip of `b` from its pieces (see [`Pieces`]).
///
/// # Safety
/// The CPU must support AVX-512F, `k` must be a row of `b`, `b` must have
/// been checked against its slice, and the pieces must be those of one of
/// its strips.
#[inline(always)]
unsafe fn load_pieces(
    b: &Gathered<'_>,
    k: usize,
    masks: &[__mmask16],
    offsets: &[isize],
) -> __m512 {
    // SAFETY: k is a row (contract).
    let row = unsafe { *b.row_at.get_unchecked(k) };
    let base = b.data.as_ptr().wrapping_add(row);
    // SAFETY: AVX-512F (contract).
    let mut v = unsafe { _mm512_setzero_ps() };
    for (&mask, &offset) in masks.iter().zip(offsets) {
        // SAFETY: the lanes of `mask` read data[row + col_at[j]] for the
        // strip's columns j, in bounds (`check_bounds`); the others are
        // not read, wherever the pointer points.
        v = unsafe { _mm512_mask_loadu_ps(v, mask, base.wrapping_offset(offset)) };
    }
    v
}

/// Pieces counted at run time, for strips of more than
/// [`MAX_FIXED_PIECES`].
struct ManyPieces<'a> {
    b: &'a Gathered<'a>,
    len: usize,
    mask: [__mmask16; LANES],
    offset: [isize; LANES],
}

impl StripRows for ManyPieces<'_> {
    #[inline(always)]
    unsafe fn row(&self, k: usize) -> __m512 {
        // SAFETY: as for this function (contract).
        unsafe { load_pieces(self.b, k, &self.mask[..self.len], &self.offset) }
    }
}

/// The most pieces per strip compiled with their count fixed.
const MAX_FIXED_PIECES: usize = 4;

impl Strips for Gathered<'_> {
    fn rows(&self) -> usize {
        self.row_at.len()
    }

    fn cols(&self) -> usize {
        self.col_at.len()
    }

    #[inline(always)]
    unsafe fn strip_sums<const R: usize>(
        &self,
        a: &MatRef<'_, f32>,
        r0: usize,
        j0: usize,
        len: usize,
    ) -> [__m512; R] {
        let mut p = ManyPieces {
            b: self,
            len: 0,
            mask: [0; LANES],
            offset: [0; LANES],
        };
        for (lane, &at) in self.col_at[j0..j0 + len].iter().enumerate() {
            let continues = lane > 0 && at == self.col_at[j0 + lane - 1] + 1;
            if !continues {
                p.offset[p.len] = at as isize - lane as isize;
                p.len += 1;
            }
            p.mask[p.len - 1] |= 1 << lane;
        }
        fn fixed<'a, const P: usize>(p: &ManyPieces<'a>) -> Pieces<'a, P> {
            Pieces {
                b: p.b,
                mask: p.mask[..P].try_into().expect("P pieces"),
                offset: p.offset[..P].try_into().expect("P pieces"),
            }
        }
        let k = self.rows();
        // SAFETY (each arm): as for this function (contract).
        unsafe {
            match p.len {
                1 => strip_sums(a, r0, k, &fixed::<1>(&p)),
                2 => strip_sums(a, r0, k, &fixed::<2>(&p)),
                3 => strip_sums(a, r0, k, &fixed::<3>(&p)),
                MAX_FIXED_PIECES => strip_sums(a, r0, k, &fixed::<MAX_FIXED_PIECES>(&p)),
                _ => strip_sums(a, r0, k, &p),
            }
        }
    }
}

/// [`gemm`] and [`gemm_gathered`] after their checks.
///
/// # Safety
/// The CPU must support AVX-512F, and every element (i, j) of `a` and `b`
/// must lie inside its slice (`check_bounds`).
#[target_feature(enable = "avx512f")]
unsafe fn gemm_avx512<B: Strips>(
    alpha: f32,
    a: MatRef<'_, f32>,
    b: &B,
    c: &mut [f32],
    out: Output,
) {
    let mut r0 = 0;
    while r0 < a.rows {
        let len = block_len(a.rows - r0);
        // SAFETY: as for this function (contract).
        unsafe { with_block!(len, block(alpha, (&a, b), r0, c, out)) };
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
    (a, b): (&MatRef<'_, f32>, &impl Strips),
    r0: usize,
    c: &mut [f32],
    out: Output,
) {
    let n = b.cols();
    for j0 in (0..n).step_by(LANES) {
        let len = LANES.min(n - j0);
        // SAFETY: as for this function (contract).
        let acc: [__m512; R] = unsafe { b.strip_sums(a, r0, j0, len) };
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
    use super::{applies, gemm, gemm_gathered, Gathered, Output};
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

    #[test]
    fn a_gathered_b_gives_the_bits_of_b_written_out() {
        if !std::arch::is_x86_feature_detected!("avx512f") {
            return;
        }
        // Columns in runs of 3, 1 and 7 (pieces of a strip), one going
        // backwards, and a partial last strip: 37 columns.
        let col_at: Vec<usize> = (0..37)
            .map(|j| match j % 11 {
                0..=2 => 40 * (j / 11) + j % 11,
                3 => 200 - j,
                r => 40 * (j / 11) + 10 + r,
            })
            .collect();
        let row_at: Vec<usize> = (0..9).map(|k| (k * 13) % 50).collect();
        let data: Vec<f32> = (0..300)
            .map(|v| ((v * 37) % 101) as f32 / 7.0 - 6.0)
            .collect();
        let (m, k, n) = (11, row_at.len(), col_at.len());
        let a_data: Vec<f32> = (0..m * k).map(|v| (v % 13) as f32 * 0.37 - 2.0).collect();
        let a = MatRef::row_major(&a_data, m, k);
        let dense: Vec<f32> = row_at
            .iter()
            .flat_map(|&r| col_at.iter().map(move |&c| r + c))
            .map(|at| data[at])
            .collect();
        let b = Gathered {
            data: &data,
            row_at: &row_at,
            col_at: &col_at,
        };
        for out in [Output::Overwrite, Output::Accumulate] {
            let (mut want, mut got) = (vec![0.5f32; m * n], vec![0.5f32; m * n]);
            gemm(1.5, a, MatRef::row_major(&dense, k, n), &mut want, out);
            gemm_gathered(1.5, a, b, &mut got, out);
            assert_eq!(
                got.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                want.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                "{out:?}"
            );
        }
    }

    #[test]
    #[should_panic(expected = "reads element")]
    fn a_gathered_b_outside_its_slice_is_refused() {
        if !std::arch::is_x86_feature_detected!("avx512f") {
            panic!("reads element (no AVX-512 here: nothing to check)");
        }
        let data = [1.0f32; 10];
        let b = Gathered {
            data: &data,
            row_at: &[0, 5],
            col_at: &[0, 5],
        };
        let a = [1.0f32; 2];
        gemm_gathered(
            1.0,
            MatRef::row_major(&a, 1, 2),
            b,
            &mut [0.0; 2],
            Output::Overwrite,
        );
    }
}
