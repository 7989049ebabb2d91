//! `C += A·Bᵀ` as dot products of rows, for long, thin products.
//!
//! With `A` `[m, k]` and `B` `[n, k]` both stored row by row, every entry
//! `C[i, j] = Σ_t A[i, t]·B[j, t]` is a dot product of two contiguous rows.
//! When `m` and `n` are small and `k` is long (a convolution's weight
//! gradient: `dW[O, C·kh·kw] = dY[O, pixels] · col[C·kh·kw, pixels]ᵀ`, with
//! thousands of pixels), a packing GEMM spends most of its time copying
//! both operands into its panel layout, and reads them across their rows
//! (strided) to do so. Reading the rows in place is cheaper.
//!
//! The kernel takes 2 rows of `A` and 4 rows of `B` at a time, so each
//! element loaded is used 4 or 2 times, and keeps `LANES` partial sums per
//! entry (entry `(i, j)`'s lane `l` sums the terms `t ≡ l (mod LANES)`),
//! which the compiler maps onto vector registers. The lanes are added in a
//! fixed order at the end, so the result depends on neither the thread
//! count nor the instruction set: the same code is compiled for AVX-512 and
//! AVX2 (picked at run time) and for the baseline, and no multiply–add is
//! fused, so all three round alike.

use crate::element::Float;

/// Partial sums per entry: 16, one AVX-512 register of `f32`.
const LANES: usize = 16;

/// A matrix whose rows are contiguous: row `i` is
/// `data[i·stride..i·stride + cols]`.
#[derive(Clone, Copy, Debug)]
pub struct Rows<'a, T> {
    /// The backing elements.
    pub data: &'a [T],
    /// Number of rows.
    pub rows: usize,
    /// Length of each row.
    pub cols: usize,
    /// Distance between row starts.
    pub stride: usize,
}

impl<'a, T> Rows<'a, T> {
    fn row(&self, i: usize) -> &'a [T] {
        &self.data[i * self.stride..][..self.cols]
    }
}

/// `C += A·Bᵀ` for `A` `[m, k]` and `B` `[n, k]`, `C` row-major `m × n`.
/// Panics if the shapes or the buffer do not match.
///
/// ```
/// use synann_tensor::linalg::{gemm_abt, Rows};
/// let a = [1.0f32, 2.0, 3.0, 4.0]; // [[1, 2], [3, 4]]
/// let rows = Rows { data: &a, rows: 2, cols: 2, stride: 2 };
/// let mut c = [1.0f32; 4];
/// gemm_abt(rows, rows, &mut c); // C = 1 + A·Aᵀ
/// assert_eq!(c, [6.0, 12.0, 12.0, 26.0]);
/// ```
pub fn gemm_abt<T: Float>(a: Rows<'_, T>, b: Rows<'_, T>, c: &mut [T]) {
    assert_eq!(
        a.cols, b.cols,
        "gemm_abt: rows of {} and {} elements",
        a.cols, b.cols
    );
    assert_eq!(
        c.len(),
        a.rows * b.rows,
        "gemm_abt: output of {} elements for [{}, {}]",
        c.len(),
        a.rows,
        b.rows
    );
    if a.rows > 0 {
        let _ = a.row(a.rows - 1); // bounds, once, before any work
    }
    if b.rows > 0 {
        let _ = b.row(b.rows - 1);
    }
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        if has!("avx512f") {
            // SAFETY: the CPU supports AVX-512F, checked just above.
            return unsafe { abt_avx512(a, b, c) };
        }
        if has!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { abt_avx2(a, b, c) };
        }
    }
    abt(a, b, c)
}

/// [`abt`] compiled for AVX-512.
///
/// # Safety
/// The CPU must support AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn abt_avx512<T: Float>(a: Rows<'_, T>, b: Rows<'_, T>, c: &mut [T]) {
    abt(a, b, c)
}

/// [`abt`] compiled for AVX2.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn abt_avx2<T: Float>(a: Rows<'_, T>, b: Rows<'_, T>, c: &mut [T]) {
    abt(a, b, c)
}

/// The kernel: blocks of 2 rows of `A` by 4 rows of `B`, smaller blocks at
/// the edges.
#[inline(always)]
fn abt<T: Float>(a: Rows<'_, T>, b: Rows<'_, T>, c: &mut [T]) {
    let (m, n) = (a.rows, b.rows);
    let mut i = 0;
    while i < m {
        let mut j = 0;
        while j < n {
            match (m - i, n - j) {
                (2.., 4..) => block::<T, 2, 4>(a, b, i, j, c),
                (1, 4..) => block::<T, 1, 4>(a, b, i, j, c),
                (2.., _) => block::<T, 2, 1>(a, b, i, j, c),
                _ => block::<T, 1, 1>(a, b, i, j, c),
            }
            j += if n - j >= 4 { 4 } else { 1 };
        }
        i += if m - i >= 2 { 2 } else { 1 };
    }
}

/// The `LANES` elements of `row` from `t` on.
#[inline(always)]
fn lanes<T>(row: &[T], t: usize) -> &[T; LANES] {
    row[t..t + LANES].try_into().expect("a chunk of LANES")
}

/// `acc[l] += x[l]·y[l]` for every lane: one vector multiply and add.
#[inline(always)]
fn mul_add_lanes<T: Float>(acc: &mut [T; LANES], x: &[T; LANES], y: &[T; LANES]) {
    for ((a, &x), &y) in acc.iter_mut().zip(x).zip(y) {
        *a += x * y;
    }
}

/// Adds the `MB × NB` block of `A·Bᵀ` at rows `i..`, columns `j..` to `C`.
#[inline(always)]
fn block<T: Float, const MB: usize, const NB: usize>(
    a: Rows<'_, T>,
    b: Rows<'_, T>,
    i: usize,
    j: usize,
    c: &mut [T],
) {
    let k = a.cols;
    let ar: [&[T]; MB] = std::array::from_fn(|r| a.row(i + r));
    let br: [&[T]; NB] = std::array::from_fn(|s| b.row(j + s));
    let mut acc = [[[T::ZERO; LANES]; NB]; MB];
    let full = k - k % LANES;
    let mut t = 0;
    while t < full {
        // Each accumulator is copied out, updated and put back: written
        // so, LLVM keeps it in a vector register (updated in place through
        // the nested arrays, it did not vectorise at all).
        for r in 0..MB {
            let x = lanes(ar[r], t);
            for s in 0..NB {
                let mut a = acc[r][s];
                mul_add_lanes(&mut a, x, lanes(br[s], t));
                acc[r][s] = a;
            }
        }
        t += LANES;
    }
    for r in 0..MB {
        for s in 0..NB {
            // The lanes in order, then the last k % LANES terms.
            let mut sum = acc[r][s].iter().fold(T::ZERO, |x, &y| x + y);
            for t in full..k {
                sum += ar[r][t] * br[s][t];
            }
            c[(i + r) * b.rows + j + s] += sum;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::seeded;
    use crate::tensor::Tensor;

    /// Every block shape (2×4, 1×4, 2×1, 1×1) and a tail of k, against
    /// plain dot products; and the dispatched (vector) code against the
    /// portable body bit for bit.
    #[test]
    fn matches_naive_and_portable() {
        let mut rng = seeded(5);
        for &(m, n, k) in &[
            (1, 1, 1),
            (2, 4, 16),
            (3, 5, 37),
            (5, 9, 100),
            (4, 8, 1152),
            (7, 3, 0),
        ] {
            let a = Tensor::<f32>::uniform(&[m, k + 3], -1.0, 1.0, &mut rng);
            let b = Tensor::<f32>::uniform(&[n, k + 2], -1.0, 1.0, &mut rng);
            // Rows strided wider than they are long.
            let ra = Rows {
                data: a.data(),
                rows: m,
                cols: k,
                stride: k + 3,
            };
            let rb = Rows {
                data: b.data(),
                rows: n,
                cols: k,
                stride: k + 2,
            };
            let mut c = vec![0.5f32; m * n];
            gemm_abt(ra, rb, &mut c);
            let mut portable = vec![0.5f32; m * n];
            abt(ra, rb, &mut portable);
            assert_eq!(c, portable, "{m}×{n}×{k}: dispatched vs portable");
            for i in 0..m {
                for j in 0..n {
                    let want: f64 = 0.5
                        + (0..k)
                            .map(|t| f64::from(ra.row(i)[t]) * f64::from(rb.row(j)[t]))
                            .sum::<f64>();
                    let got = f64::from(c[i * n + j]);
                    assert!(
                        (got - want).abs() < 1e-4,
                        "{m}×{n}×{k} ({i}, {j}): {got} vs {want}"
                    );
                }
            }
        }
    }

    #[test]
    #[should_panic(expected = "gemm_abt: rows of 3 and 4 elements")]
    fn mismatched_rows_panic() {
        let x = [0.0f64; 8];
        let a = Rows {
            data: &x,
            rows: 2,
            cols: 3,
            stride: 3,
        };
        let b = Rows {
            data: &x,
            rows: 2,
            cols: 4,
            stride: 4,
        };
        gemm_abt(a, b, &mut [0.0; 4]);
    }
}
