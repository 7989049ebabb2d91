//! One matrix written by several threads at once, each in its own band of
//! columns.
//!
//! The backward's outputs dX (N×n) and dB (m×n) are both sums over another
//! index, so the natural way to split them between threads is by columns
//! j: a thread that owns columns j₀..j₁ computes every term that lands in
//! them and nothing else. Each output element is then written by exactly
//! one thread, in a fixed order (so the result does not depend on the
//! thread count), and no thread needs a private copy of dB to be summed
//! afterwards. Row-major storage interleaves the bands, though, so safe
//! Rust cannot hand each thread a `&mut` to its band: [`ColumnBands`] does,
//! with the disjointness promised by its (unsafe) caller.

use std::marker::PhantomData;
use std::ops::Range;

/// A row-major `rows × cols` matrix lent to several threads, each of which
/// reads and writes only its own band of columns.
pub struct ColumnBands<'a, T> {
    ptr: *mut T,
    rows: usize,
    cols: usize,
    _borrow: PhantomData<&'a mut [T]>,
}

// SAFETY: the view is a `&mut [T]` split by columns; every access goes
// through `row_band`, whose contract keeps threads on disjoint elements.
unsafe impl<T: Send> Send for ColumnBands<'_, T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for ColumnBands<'_, T> {}

impl<'a, T> ColumnBands<'a, T> {
    /// Lends `data`, a row-major matrix with `cols` columns.
    pub fn new(data: &'a mut [T], cols: usize) -> Self {
        assert!(
            cols > 0 && data.len().is_multiple_of(cols),
            "ColumnBands: {} elements are not rows of {cols} columns",
            data.len()
        );
        ColumnBands {
            ptr: data.as_mut_ptr(),
            rows: data.len() / cols,
            cols,
            _borrow: PhantomData,
        }
    }

    /// Columns `band` of row `row`.
    ///
    /// # Safety
    /// While the returned slice lives, no other slice from this view may
    /// overlap it, on this thread or another: the callers give each thread
    /// its own band of columns and hold at most one slice of a row at once.
    #[inline(always)]
    #[allow(clippy::mut_from_ref)] // the point of the type; see the contract
    pub unsafe fn row_band(&self, row: usize, band: Range<usize>) -> &mut [T] {
        assert!(
            row < self.rows && band.start <= band.end && band.end <= self.cols,
            "ColumnBands: row {row}, columns {band:?} outside {} × {}",
            self.rows,
            self.cols
        );
        // SAFETY: in bounds (asserted); exclusive by the caller's contract;
        // the matrix is borrowed mutably for 'a, which outlives `self`.
        unsafe {
            std::slice::from_raw_parts_mut(self.ptr.add(row * self.cols + band.start), band.len())
        }
    }
}

/// The rows of X and of the output gradient g of one part of the backward,
/// for the register-tiled kernels (`avx2`, `avx512`), which take rows in
/// groups: past the last row, a group is completed with zero rows. X = 0
/// makes the factor 1 and g = 0 makes the quotient 0, so they add nothing.
pub(super) struct PaddedRows<'a> {
    x: &'a [f32],
    g: &'a [f32],
    n: usize,
    m: usize,
    zeros: Vec<f32>,
}

impl<'a> PaddedRows<'a> {
    /// The rows of `x` (n wide) and `g` (m wide).
    pub fn new((n, m): (usize, usize), (x, g): (&'a [f32], &'a [f32])) -> Self {
        PaddedRows {
            x,
            g,
            n,
            m,
            zeros: vec![0.0; n.max(m)],
        }
    }

    /// The number of real rows.
    pub fn len(&self) -> usize {
        self.x.len() / self.n
    }

    /// Row `k` of X, or n zeros past the last.
    pub fn x(&self, k: usize) -> &[f32] {
        match self.x.get(k * self.n..(k + 1) * self.n) {
            Some(row) => row,
            None => &self.zeros[..self.n],
        }
    }

    /// Row `k` of g, or m zeros past the last.
    pub fn g(&self, k: usize) -> &[f32] {
        match self.g.get(k * self.m..(k + 1) * self.m) {
            Some(row) => row,
            None => &self.zeros[..self.m],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ColumnBands;

    #[test]
    fn threads_write_their_own_bands() {
        let mut m = vec![0u32; 3 * 8];
        let view = ColumnBands::new(&mut m, 8);
        std::thread::scope(|s| {
            for (t, band) in [0..3, 3..8].into_iter().enumerate() {
                let view = &view;
                s.spawn(move || {
                    for row in 0..3 {
                        // SAFETY: the two threads own disjoint bands.
                        let part = unsafe { view.row_band(row, band.clone()) };
                        part.iter_mut()
                            .for_each(|v| *v = 10 * t as u32 + row as u32);
                    }
                });
            }
        });
        assert_eq!(&m[..8], &[0, 0, 0, 10, 10, 10, 10, 10]);
        assert_eq!(&m[16..], &[2, 2, 2, 12, 12, 12, 12, 12]);
    }

    #[test]
    #[should_panic(expected = "ColumnBands: row 3, columns 0..2 outside 3 × 8")]
    fn a_row_out_of_range_panics() {
        let mut m = vec![0u32; 3 * 8];
        let view = ColumnBands::new(&mut m, 8);
        // SAFETY: one slice only.
        let _ = unsafe { view.row_band(3, 0..2) };
    }

    #[test]
    #[should_panic(expected = "ColumnBands: 10 elements are not rows of 4 columns")]
    fn a_ragged_matrix_is_rejected() {
        let mut m = vec![0u32; 10];
        let _ = ColumnBands::new(&mut m, 4);
    }
}
