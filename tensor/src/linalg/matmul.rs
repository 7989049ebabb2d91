//! matmul: 2-D and batched matrix products.
//!
//! Every product goes through one safe wrapper, [`gemm`], around
//! matrixmultiply's `sgemm`/`dgemm`; in f32 on AVX-512, a narrow A (few
//! rows or few columns) with B's rows contiguous goes to the GEMM without
//! packing of `strips_avx512` instead, where packing would cost as much as
//! the products. A transposed operand is never copied:
//! reading `A` with its row and column strides swapped *is* reading `Aᵀ`.
//! Large products split the rows of the output into one block per thread
//! (rayon), each block a single-threaded GEMM, so pools never nest.

use crate::element::Float;
use crate::parallel::{for_each_block, num_threads};
use crate::tensor::Tensor;

/// A read-only matrix inside a slice: `rows × cols`, element `(i, j)` at
/// `data[i·row_stride + j·col_stride]`.
#[derive(Clone, Copy, Debug)]
pub struct MatRef<'a, T> {
    /// The backing elements.
    pub data: &'a [T],
    /// Number of rows.
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
    /// Distance between rows, in elements.
    pub row_stride: usize,
    /// Distance between columns, in elements.
    pub col_stride: usize,
}

impl<'a, T> MatRef<'a, T> {
    /// A row-major `rows × cols` matrix.
    pub fn row_major(data: &'a [T], rows: usize, cols: usize) -> Self {
        MatRef {
            data,
            rows,
            cols,
            row_stride: cols,
            col_stride: 1,
        }
    }

    /// The transpose: same elements, strides swapped.
    pub fn t(self) -> Self {
        MatRef {
            data: self.data,
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
        }
    }

    /// The same shape and strides over `data` (the same elements, seen as
    /// another type).
    #[cfg(target_arch = "x86_64")]
    pub(crate) fn with_data<U>(&self, data: &'a [U]) -> MatRef<'a, U> {
        MatRef {
            data,
            rows: self.rows,
            cols: self.cols,
            row_stride: self.row_stride,
            col_stride: self.col_stride,
        }
    }

    /// Rows `start..start + count`.
    fn rows_slice(self, start: usize, count: usize) -> Self {
        let off = start * self.row_stride;
        MatRef {
            data: &self.data[off.min(self.data.len())..],
            rows: count,
            ..self
        }
    }

    pub(crate) fn check_bounds(&self, op: &str) {
        if self.rows == 0 || self.cols == 0 {
            return;
        }
        let last = (self.rows - 1) * self.row_stride + (self.cols - 1) * self.col_stride;
        assert!(
            last < self.data.len(),
            "{op}: a {}×{} matrix with strides ({}, {}) does not fit in {} elements",
            self.rows,
            self.cols,
            self.row_stride,
            self.col_stride,
            self.data.len()
        );
    }
}

/// `C = alpha·A·B + beta·C` with `C` row-major `m × n` in `c`.
///
/// Splits the rows of `C` over threads when the product is large enough.
/// Panics naming the shapes if they do not chain.
pub fn gemm<T: Float>(alpha: T, a: MatRef<'_, T>, b: MatRef<'_, T>, beta: T, c: &mut [T]) {
    assert_eq!(
        a.cols, b.rows,
        "matmul: inner sizes differ: [{}, {}] @ [{}, {}]",
        a.rows, a.cols, b.rows, b.cols
    );
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert_eq!(
        c.len(),
        m * n,
        "matmul: output buffer of {} elements for a [{m}, {n}] result",
        c.len()
    );
    a.check_bounds("matmul");
    b.check_bounds("matmul");
    if m == 0 || n == 0 {
        return;
    }
    let work = m * k * n;
    let threads = num_threads();
    // One block of rows per thread, at least 64 rows per block.
    let rows_per_block = if threads > 1 && work >= 1 << 18 {
        m.div_ceil(threads).max(64.min(m))
    } else {
        m
    };
    for_each_block(c, rows_per_block * n, work, |blk, c_blk| {
        let r0 = blk * rows_per_block;
        let rows = c_blk.len() / n;
        gemm_block(alpha, a.rows_slice(r0, rows), b, beta, c_blk, n);
    });
}

/// `C = alpha·A·B + beta·C` on the calling thread only, for kernels that
/// already run one level of parallelism outside (convolution over the
/// batch). Same contract and panics as [`gemm`].
///
/// ```
/// use synann_tensor::linalg::{gemm_serial, MatRef};
/// let a = [1.0f32, 2.0, 3.0, 4.0];
/// let mut c = [0.0f32; 4];
/// // A·Aᵀ without copying the transpose.
/// gemm_serial(1.0, MatRef::row_major(&a, 2, 2), MatRef::row_major(&a, 2, 2).t(), 0.0, &mut c);
/// assert_eq!(c, [5.0, 11.0, 11.0, 25.0]);
/// ```
pub fn gemm_serial<T: Float>(alpha: T, a: MatRef<'_, T>, b: MatRef<'_, T>, beta: T, c: &mut [T]) {
    assert_eq!(
        a.cols, b.rows,
        "matmul: inner sizes differ: [{}, {}] @ [{}, {}]",
        a.rows, a.cols, b.rows, b.cols
    );
    assert_eq!(
        c.len(),
        a.rows * b.cols,
        "matmul: output buffer of {} elements for a [{}, {}] result",
        c.len(),
        a.rows,
        b.cols
    );
    b.check_bounds("matmul");
    if a.rows == 0 || b.cols == 0 {
        return;
    }
    gemm_block(alpha, a, b, beta, c, b.cols);
}

/// One single-threaded GEMM call; `b` has been bounds-checked by the caller.
fn gemm_block<T: Float>(
    alpha: T,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    beta: T,
    c: &mut [T],
    n: usize,
) {
    let (m, k) = (a.rows, a.cols);
    if k == 0 {
        // Empty inner dimension: C = beta·C.
        c.iter_mut()
            .for_each(|v| *v = if beta == T::ZERO { T::ZERO } else { beta * *v });
        return;
    }
    a.check_bounds("matmul");
    #[cfg(target_arch = "x86_64")]
    {
        // A narrow A in f32 on AVX-512: no packing (see `strips_avx512`).
        use super::strips_avx512::{self as strips, Output};
        let out = match beta {
            b if b == T::ZERO => Some(Output::Overwrite),
            b if b == T::ONE => Some(Output::Accumulate),
            _ => None,
        };
        if let (Some(out), Some(ad), Some(bd), Some(cf)) = (
            out,
            T::as_f32_slice(a.data),
            T::as_f32_slice(b.data),
            T::as_f32_slice_mut(c),
        ) {
            let (a32, b32) = (a.with_data(ad), b.with_data(bd));
            if strips::applies(&a32, &b32) && cf.len() == m * n {
                strips::gemm(alpha.to_f64() as f32, a32, b32, cf, out);
                return;
            }
        }
    }
    // SAFETY: `check_bounds` proved every (i, j) of A (m×k) and B (k×n) lies
    // inside its slice; `c` is an exclusive m×n row-major buffer (asserted by
    // the caller's length check and the block split), so it aliases neither.
    unsafe {
        T::gemm(
            m,
            k,
            n,
            alpha,
            a.data.as_ptr(),
            a.row_stride as isize,
            a.col_stride as isize,
            b.data.as_ptr(),
            b.row_stride as isize,
            b.col_stride as isize,
            beta,
            c.as_mut_ptr(),
            n as isize,
            1,
        )
    }
}

/// Matrix `b` of the batch in `t` (its last two axes), transposed if asked.
fn mat<T: Float>(t: &Tensor<T>, b: usize, trans: bool) -> MatRef<'_, T> {
    let r = t.rank();
    let (rows, cols) = (t.shape()[r - 2], t.shape()[r - 1]);
    let sz = rows * cols;
    let m = MatRef::row_major(&t.data()[b * sz..(b + 1) * sz], rows, cols);
    if trans {
        m.t()
    } else {
        m
    }
}

/// Whether [`Tensor::matmul_t`] reads an operand transposed (its last two
/// axes swapped, through strides: no copy), like BLAS's `transa`/`transb`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transpose {
    /// The operand as it is.
    No,
    /// The operand's transpose.
    Yes,
}

impl<T: Float> Tensor<T> {
    /// Matrix product.
    ///
    /// - `[m, k] @ [k, n] → [m, n]`;
    /// - `[b, m, k] @ [b, k, n] → [b, m, n]` (batched);
    /// - `[b, m, k] @ [k, n] → [b, m, n]` (one right-hand matrix for all).
    ///
    /// ```
    /// use synann_tensor::Tensor;
    /// let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    /// let i = Tensor::eye(2);
    /// assert_eq!(a.matmul(&i), a);
    /// ```
    pub fn matmul(&self, other: &Self) -> Self {
        self.matmul_t(Transpose::No, other, Transpose::No)
    }

    /// Matrix product with either operand transposed (the last two axes),
    /// without copying it: `op(self) @ op(other)`.
    ///
    /// ```
    /// use synann_tensor::{Tensor, Transpose};
    /// let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    /// // aᵀ·a is [3, 3], a·aᵀ is [2, 2].
    /// assert_eq!(a.matmul_t(Transpose::Yes, &a, Transpose::No).shape(), &[3, 3]);
    /// assert_eq!(a.matmul_t(Transpose::No, &a, Transpose::Yes).data(), &[14.0, 32.0, 32.0, 77.0]);
    /// ```
    pub fn matmul_t(
        &self,
        transpose_self: Transpose,
        other: &Self,
        transpose_other: Transpose,
    ) -> Self {
        let (trans_self, trans_other) = (
            transpose_self == Transpose::Yes,
            transpose_other == Transpose::Yes,
        );
        let fail = || -> ! {
            panic!(
                "matmul: shapes {:?}{} and {:?}{} do not multiply",
                self.shape(),
                if trans_self { "ᵀ" } else { "" },
                other.shape(),
                if trans_other { "ᵀ" } else { "" }
            )
        };
        match (self.rank(), other.rank()) {
            (2, 2) => {
                let (a, b) = (mat(self, 0, trans_self), mat(other, 0, trans_other));
                if a.cols != b.rows {
                    fail()
                }
                let mut out = vec![T::ZERO; a.rows * b.cols];
                gemm(T::ONE, a, b, T::ZERO, &mut out);
                Tensor::from_vec(out, &[a.rows, b.cols])
            }
            (3, 2) | (3, 3) => {
                let batch = self.shape()[0];
                if other.rank() == 3 && other.shape()[0] != batch {
                    fail()
                }
                // The (rows, cols) of op(matrix), read from the shapes so an
                // empty batch needs no matrix.
                let dims = |t: &Tensor<T>, trans: bool| {
                    let (r, c) = (t.shape()[t.rank() - 2], t.shape()[t.rank() - 1]);
                    if trans {
                        (c, r)
                    } else {
                        (r, c)
                    }
                };
                let ((m, k), (k2, n)) = (dims(self, trans_self), dims(other, trans_other));
                if k != k2 {
                    fail()
                }
                let mut out = vec![T::ZERO; batch * m * n];
                if batch > 0 && m * n > 0 {
                    let work = m * k * n * batch;
                    // Batched products parallelise over the batch; each GEMM
                    // runs on one thread.
                    let per = m * n;
                    let run = |bi: usize, c: &mut [T]| {
                        let a = mat(self, bi, trans_self);
                        let b = mat(other, if other.rank() == 3 { bi } else { 0 }, trans_other);
                        gemm_block(T::ONE, a, b, T::ZERO, c, n);
                    };
                    for_each_block(&mut out, per, work, run);
                }
                Tensor::from_vec(out, &[batch, m, n])
            }
            _ => fail(),
        }
    }
}
