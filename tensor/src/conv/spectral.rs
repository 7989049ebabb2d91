//! Convolution by the discrete Fourier transform, for large kernels over
//! small images (the seed Keras network's 7×7 convolution of 112 channels
//! of 20×20 into 784 channels).
//!
//! **Why.** Written as a GEMM, a convolution costs one multiply-add per
//! output pixel, output channel and input tap: O·P·C·kh·kw per sample
//! (843 M for that layer). In the frequency domain the sum over the
//! kernel's taps becomes one product per frequency, and what is left is,
//! for each frequency, a complex matrix product over the channels: about
//! 4·O·C·(H·(W/2 + 1)) real multiply-adds per sample (77 M there), plus the
//! transforms.
//!
//! **The maths.** Take the input's own size as the period, (Pₕ, P_w) =
//! (H, W), and the 2-d DFT â[u, v] = Σ_{y,x} a[y, x]·e^{−2πi(uy/Pₕ + vx/P_w)}
//! of any array placed in the top-left corner of that grid (zeros
//! elsewhere). With stride 1 and no padding every window lies inside the
//! image (y + i ≤ oh − 1 + kh − 1 = H − 1), so the convolution is the
//! circular one, cropped, and with ∗ the complex conjugate:
//!
//! ```text
//! forward   Y[y, x]  = Σ_{c,i,j} w[o,c,i,j]·X[c, y+i, x+j]      Ŷ[o] = Σ_c ŵ[o,c]* · X̂[c]
//! input     dX[y, x] = Σ_{o,i,j} w[o,c,i,j]·dY[o, y−i, x−j]     dX̂[c] = Σ_o ŵ[o,c] · dŶ[o]
//! weight    dw[i, j] = Σ_{y,x} dY[o, y, x]·X[c, y+i, x+j]       dŵ[o,c] = Σ_n dŶ[n,o]* · X̂[n,c]
//! ```
//!
//! per frequency (u, v) (for the input gradient, dY is zero outside its
//! oh × ow corner, so the circular sum is the true one as well), followed
//! by the inverse transform a[y, x] = (1/(Pₕ·P_w))·Σ_{u,v} â[u, v]·e^{+2πi(…)}
//! cropped to the result's size. The arrays are real, so their spectra are
//! Hermitian (â[−u, −v] = â[u, v]*): only the columns v = 0..=P_w/2 are
//! computed, and the inverse counts each other column twice, taking the
//! real part.
//!
//! **How.** Everything is a GEMM: the transform along x multiplies each
//! row by a [w, 2V] matrix of cosines and sines (V = P_w/2 + 1 columns of
//! frequencies), the one along y the result by [h, Pₕ] matrices; then, one
//! column v at a time (so that only one column of the weight's spectra is
//! held), the products over the channels, four real GEMMs per frequency;
//! then the inverse, along y per column and along x at the end. The
//! results differ from the direct sums by rounding only, but relative to
//! the magnitudes of the whole image and kernel (every frequency mixes
//! all of them), not of each window: a small output beside large ones
//! keeps less of its relative accuracy than from the direct sums. For the
//! same reason a NaN or an infinity anywhere in a sample would reach all
//! its outputs: conv2d takes this path for finite operands only.
//!
//! conv2d takes this path ([`worth_it`]) for f32 when it costs a quarter of
//! the direct GEMM's multiply-adds or less (the products here are strided
//! and the transforms' inner sizes small, so they run slower per
//! multiply-add); f64 keeps the direct sums, the reference, and
//! [`set_conv2d_algorithms`](super::set_conv2d_algorithms) can rule it
//! out. Besides its result, a pass holds both operands transposed, one
//! column of their spectra and of their products, and a few columns of the
//! inverse ([`COLUMNS_HELD`]) before it adds them along x into the result:
//! in all about as much as its operands and result again (the direct path
//! holds a few samples' im2col matrices). So each of the three runs as
//! passes over chunks of output channels ([`channel_chunks`]), a chunk's
//! output and weight each no larger than the input.

use super::ConvGeometry;
use crate::element::Float;
use crate::linalg::{gemm_serial, MatRef};
use crate::parallel::{for_each_block, for_each_block_pair, num_threads};
use std::f64::consts::PI;

/// The grid of one call's transforms: the period (the input's height and
/// width) and the columns of frequencies kept.
#[derive(Clone, Copy, Debug)]
struct Grid {
    /// Period along y: the input's height, and the number of rows u of
    /// frequencies.
    ph: usize,
    /// Period along x: the input's width.
    pw: usize,
    /// Columns v = 0..V of frequencies kept: V = P_w/2 + 1.
    v: usize,
}

impl Grid {
    fn new(geom: &ConvGeometry) -> Self {
        let (ph, pw) = geom.input;
        Grid {
            ph,
            pw,
            v: pw / 2 + 1,
        }
    }

    /// The [w, 2V] matrix of the transform along x of rows of `w` values:
    /// column v is cos(2π·v·x/P_w), column V + v is −sin(2π·v·x/P_w).
    fn along_x<T: Float>(&self, w: usize) -> Vec<T> {
        let mut m = vec![T::ZERO; w * 2 * self.v];
        for x in 0..w {
            for v in 0..self.v {
                let t = 2.0 * PI * (v * x % self.pw) as f64 / self.pw as f64;
                m[x * 2 * self.v + v] = T::from_f64(t.cos());
                m[x * 2 * self.v + self.v + v] = T::from_f64(-t.sin());
            }
        }
        m
    }

    /// The [a, b] matrices cos(2π·r·s/Pₕ) and sin(2π·r·s/Pₕ) for rows r and
    /// columns s: the transform along y (rows y, columns u) and its inverse
    /// (rows u, columns y).
    fn along_y<T: Float>(&self, a: usize, b: usize) -> (Vec<T>, Vec<T>) {
        let angle = |r: usize, s: usize| 2.0 * PI * (r * s % self.ph) as f64 / self.ph as f64;
        let (mut c, mut s) = (vec![T::ZERO; a * b], vec![T::ZERO; a * b]);
        for r in 0..a {
            for q in 0..b {
                c[r * b + q] = T::from_f64(angle(r, q).cos());
                s[r * b + q] = T::from_f64(angle(r, q).sin());
            }
        }
        (c, s)
    }

    /// The [2V, w] matrix of the inverse transform along x to `w` columns,
    /// with the Hermitian weights and the 1/(Pₕ·P_w) of the inverse: row v
    /// is c_v·cos(2π·v·x/P_w)/(Pₕ·P_w), row V + v is −c_v·sin(…)/(Pₕ·P_w),
    /// c_v = 1 for v = 0 and for v = P_w/2 (P_w even), 2 for the others
    /// (they stand for their conjugate columns too).
    fn inverse_x<T: Float>(&self, w: usize) -> Vec<T> {
        let scale = 1.0 / (self.ph * self.pw) as f64;
        let mut m = vec![T::ZERO; 2 * self.v * w];
        for v in 0..self.v {
            let twice = v != 0 && 2 * v != self.pw;
            let c = if twice { 2.0 } else { 1.0 } * scale;
            for x in 0..w {
                let t = 2.0 * PI * (v * x % self.pw) as f64 / self.pw as f64;
                m[v * w + x] = T::from_f64(c * t.cos());
                m[(self.v + v) * w + x] = T::from_f64(-c * t.sin());
            }
        }
        m
    }

    /// Frequencies per column v (the rows u).
    fn rows(&self) -> usize {
        self.ph
    }
}

/// The spectra of `count` real arrays of `h × w` values (each in the
/// top-left corner of the grid), one column v of frequencies at a time.
struct Spectra<T> {
    /// The arrays transposed, `[h·w, count]`: row y of all of them is a
    /// `[w, count]` matrix with contiguous rows, which the narrow GEMM
    /// reads in place.
    by_pixel: Vec<T>,
    count: usize,
    h: usize,
    w: usize,
    grid: Grid,
    /// The transform along x ([`Grid::along_x`]), `[w, 2V]`.
    along_x: Vec<T>,
    /// cos and sin of 2π·u·y/Pₕ, `[Pₕ, h]`.
    cos: Vec<T>,
    sin: Vec<T>,
}

impl<T: Float> Spectra<T> {
    fn new(arrays: &Arrays<'_, T>, grid: Grid) -> Self {
        let ((h, w), count) = (arrays.size, arrays.count());
        let (cos, sin) = grid.along_y(grid.rows(), h);
        let mut by_pixel = vec![T::ZERO; count * h * w];
        transpose_rows_into(arrays.values, &arrays.starts, h * w, &mut by_pixel);
        Spectra {
            by_pixel,
            count,
            h,
            w,
            grid,
            along_x: grid.along_x(w),
            cos,
            sin,
        }
    }

    /// Column v of the spectra: `[re; im]`, each `[Pₕ, count]`
    /// (frequency-major: one frequency's values for all the arrays
    /// together, as the products over channels read them), with
    /// `scratch` ([`Spectra::column_buffers`]). Along x, each row y:
    /// b[y] = `[2, w] · [w, count]` (real and imaginary parts); then along
    /// y, with θ = 2π·u·y/Pₕ:
    /// (b_r + i·b_i)(cos θ − i·sin θ) = (b_r·cos + b_i·sin) + i(b_i·cos − b_r·sin).
    fn column(&self, v: usize, out: &mut [T], scratch: &mut [T]) {
        let (count, h, w, u) = (self.count, self.h, self.w, self.grid.rows());
        // Columns v and V + v of the transform along x, as a [2, w] matrix.
        let coef = MatRef {
            data: &self.along_x[v..],
            rows: 2,
            cols: w,
            row_stride: self.grid.v,
            col_stride: 2 * self.grid.v,
        };
        for_each_block(scratch, 2 * count, 2 * h * w * count, |y, b| {
            let row_y = MatRef::row_major(&self.by_pixel[y * w * count..][..w * count], w, count);
            gemm_serial(T::ONE, coef, row_y, T::ZERO, b);
        });
        // Rows y of the real (part 0) or imaginary (part 1) transforms.
        let part = |part: usize| MatRef {
            data: &scratch[part * count..],
            rows: h,
            cols: count,
            row_stride: 2 * count,
            col_stride: 1,
        };
        let (br, bi) = (part(0), part(1));
        let (c, s) = (
            MatRef::row_major(&self.cos, u, h),
            MatRef::row_major(&self.sin, u, h),
        );
        // The real parts on one thread, the imaginary ones on another.
        for_each_block(out, u * count, 4 * u * h * count, |which, out| {
            if which == 0 {
                gemm_serial(T::ONE, c, br, T::ZERO, out);
                gemm_serial(T::ONE, s, bi, T::ONE, out);
            } else {
                gemm_serial(T::ONE, c, bi, T::ZERO, out);
                gemm_serial(-T::ONE, s, br, T::ONE, out);
            }
        });
    }

    /// Buffers for one column ([`Spectra::column`]): its output and its
    /// scratch.
    fn column_buffers(&self) -> (Vec<T>, Vec<T>) {
        (
            vec![T::ZERO; 2 * self.grid.rows() * self.count],
            vec![T::ZERO; 2 * self.h * self.count],
        )
    }
}

/// Frequency u of a frequency-major column of spectra ([`Spectra::column`]:
/// `[re; im]`, `r·q` values per frequency, the arrays (r, q) in row-major
/// order) as two `[r, q]` matrices.
fn at_frequency<T>(spectra: &[T], u: usize, (r, q): (usize, usize)) -> [MatRef<'_, T>; 2] {
    let (re, im) = spectra.split_at(spectra.len() / 2);
    [re, im].map(|s| MatRef::row_major(&s[u * r * q..][..r * q], r, q))
}

/// Rows of 16 columns moved together by [`transpose_rows_into`].
const TILE: usize = 16;

/// `dst` `[cols, rows]` = the transpose of the `[rows, cols]` matrix whose
/// row r is `src[starts[r]..starts[r] + cols]` (rows = `starts.len()`), in
/// parallel blocks of `dst`'s rows, tile by tile.
fn transpose_rows_into<T: Float>(src: &[T], starts: &[usize], cols: usize, dst: &mut [T]) {
    let rows = starts.len();
    assert!(
        dst.len() == rows * cols && starts.iter().all(|&at| at + cols <= src.len()),
        "spectral conv2d: transpose of {rows} rows of {cols} from {} into {} elements",
        src.len(),
        dst.len()
    );
    if rows == 0 || cols == 0 {
        return;
    }
    let per_block = cols.div_ceil(2 * num_threads()).max(1);
    for_each_block(dst, per_block * rows, rows * cols, |blk, out| {
        let c0 = blk * per_block;
        let block_cols = out.len() / rows;
        for r0 in (0..rows).step_by(TILE) {
            let r1 = (r0 + TILE).min(rows);
            for j in 0..block_cols {
                let column = &mut out[j * rows..][r0..r1];
                for (&at, d) in starts[r0..r1].iter().zip(column) {
                    *d = src[at + c0 + j];
                }
            }
        }
    });
}

/// The transpose of `src` `[rows, cols]` ([`transpose_rows_into`]).
fn transpose<T: Float>(src: &[T], rows: usize, cols: usize) -> Vec<T> {
    let starts: Vec<usize> = (0..rows).map(|r| r * cols).collect();
    let mut dst = vec![T::ZERO; rows * cols];
    transpose_rows_into(src, &starts, cols, &mut dst);
    dst
}

/// Columns of frequencies the inverse holds before it takes them along x
/// ([`Inverse`]): a few, so that it holds a few of the result rows'
/// frequencies rather than all of them (in seed-keras's weight gradient,
/// the step's peak), at the cost of adding into the result once per few.
const COLUMNS_HELD: usize = 4;

/// The inverse transform of `count` arrays to `h × w` values (cropped from
/// the grid), a column v of frequencies at a time.
struct Inverse<T> {
    /// The result so far, `[h, w, count]`: the columns taken along x.
    by_row: Vec<T>,
    /// Up to [`COLUMNS_HELD`] columns after the inverse along y, not yet
    /// taken along x: `[h, COLUMNS_HELD, 2, count]`, the real and the
    /// imaginary part of each held column (in `held` order) for each row.
    cols: Vec<T>,
    /// The columns v held in `cols`.
    held: Vec<usize>,
    /// One column's inverse along y, `[2, h, count]`.
    scratch: Vec<T>,
    count: usize,
    h: usize,
    w: usize,
    grid: Grid,
    /// The inverse along x ([`Grid::inverse_x`]), `[2V, w]`.
    along_x: Vec<T>,
    /// cos and sin of 2π·y·u/Pₕ, `[h, Pₕ]`.
    cos: Vec<T>,
    sin: Vec<T>,
}

impl<T: Float> Inverse<T> {
    fn new(count: usize, (h, w): (usize, usize), grid: Grid) -> Self {
        let (cos, sin) = grid.along_y(h, grid.rows());
        Inverse {
            by_row: vec![T::ZERO; h * w * count],
            cols: vec![T::ZERO; h * COLUMNS_HELD * 2 * count],
            held: Vec::with_capacity(COLUMNS_HELD),
            scratch: vec![T::ZERO; 2 * h * count],
            count,
            h,
            w,
            grid,
            along_x: grid.inverse_x(w),
            cos,
            sin,
        }
    }

    /// Takes column v of the spectra, `[re; im]` frequency-major (each
    /// `[Pₕ, count]`). Along y, θ = 2π·u·y/Pₕ:
    /// (Y_r + i·Y_i)(cos θ + i·sin θ) = (Y_r·cos − Y_i·sin) + i(Y_r·sin + Y_i·cos).
    fn add_column(&mut self, v: usize, spectra: &[T]) {
        let (u, count, h) = (self.grid.rows(), self.count, self.h);
        let (re, im) = spectra.split_at(u * count);
        let (yr, yi) = (
            MatRef::row_major(re, u, count),
            MatRef::row_major(im, u, count),
        );
        let (c, s) = (
            MatRef::row_major(&self.cos, h, u),
            MatRef::row_major(&self.sin, h, u),
        );
        for_each_block(
            &mut self.scratch,
            h * count,
            4 * h * u * count,
            |which, g| {
                if which == 0 {
                    gemm_serial(T::ONE, c, yr, T::ZERO, g);
                    gemm_serial(-T::ONE, s, yi, T::ONE, g);
                } else {
                    gemm_serial(T::ONE, s, yr, T::ZERO, g);
                    gemm_serial(T::ONE, c, yi, T::ONE, g);
                }
            },
        );
        // Row y of part p to row (y, j, p), j the column's place.
        let j = self.held.len();
        for (p, part) in self.scratch.chunks_exact(h * count).enumerate() {
            for (y, row) in part.chunks_exact(count).enumerate() {
                let at = ((y * COLUMNS_HELD + j) * 2 + p) * count;
                self.cols[at..at + count].copy_from_slice(row);
            }
        }
        self.held.push(v);
        if self.held.len() == COLUMNS_HELD {
            self.take_along_x();
        }
    }

    /// Adds the held columns along x into the result: for each row y,
    /// `[w, 2k] · [2k, count]` with the rows of [`Grid::inverse_x`] for the
    /// k held columns.
    fn take_along_x(&mut self) {
        let (count, w, k) = (self.count, self.w, self.held.len());
        if k == 0 {
            return;
        }
        // Rows (j, p) of the inverse along x: column held[j], part p.
        let mut coef = Vec::with_capacity(2 * k * w);
        for &v in &self.held {
            for p in 0..2 {
                let row = p * self.grid.v + v;
                coef.extend_from_slice(&self.along_x[row * w..(row + 1) * w]);
            }
        }
        let coef_t = MatRef::row_major(&coef, 2 * k, w).t();
        let cols = &self.cols;
        let work = self.h * w * 2 * k * count;
        for_each_block(&mut self.by_row, w * count, work, |y, out| {
            let g = MatRef::row_major(
                &cols[y * COLUMNS_HELD * 2 * count..][..2 * k * count],
                2 * k,
                count,
            );
            gemm_serial(T::ONE, coef_t, g, T::ONE, out);
        });
        self.held.clear();
    }

    /// The arrays, `[count, h, w]`, once every column has been added: the
    /// columns still held taken along x, then the result transposed.
    fn finish(mut self) -> Vec<T> {
        self.take_along_x();
        let (count, h, w) = (self.count, self.h, self.w);
        let by_row = std::mem::take(&mut self.by_row);
        // (The columns are no longer needed: freed before the transpose
        // allocates its result.)
        drop(self);
        transpose(&by_row, h * w, count)
    }
}

/// For each frequency u of one column: `f(u, re, im)` writes the `[m, n]`
/// complex product of that frequency into `re` and `im`; the frequencies
/// in parallel blocks, `out` frequency-major `[re; im]` (each `[Pₕ, m·n]`).
fn per_frequency<T: Float>(
    (m, n, k): (usize, usize, usize),
    out: &mut [T],
    f: impl Fn(usize, &mut [T], &mut [T]) + Sync + Send,
) {
    let len = m * n;
    let (out_re, out_im) = out.split_at_mut(out.len() / 2);
    let count = out_re.len() / len.max(1);
    let per_block = count.div_ceil(2 * num_threads()).max(1);
    let work = 4 * count * m * n * k;
    for_each_block_pair(
        out_re,
        per_block * len,
        out_im,
        per_block * len,
        work,
        |blk, re, im| {
            let pairs = re.chunks_exact_mut(len).zip(im.chunks_exact_mut(len));
            for (q, (re, im)) in pairs.enumerate() {
                f(blk * per_block + q, re, im);
            }
        },
    );
}

/// Whether the spectral path serves this convolution and saves enough:
/// one group, stride 1, no padding or dilation, and at most a quarter of
/// the direct path's multiply-adds by the estimate of [`cost`].
pub(crate) fn worth_it(geom: &ConvGeometry, groups: usize, (n, o): (usize, usize)) -> bool {
    let (kh, kw) = geom.kernel;
    let direct = n * o * geom.col_cols() * geom.col_rows();
    groups == 1
        && geom.stride == (1, 1)
        && geom.padding == (0, 0)
        && geom.dilation == (1, 1)
        && kh * kw > 1
        && geom.output.0 > 0
        && geom.output.1 > 0
        && 4 * cost(geom, (n, o)) <= direct
}

/// Multiply-adds of one spectral pass (the forward; each backward pass
/// costs about as much): the transforms of both operands, the products
/// and the inverse.
fn cost(geom: &ConvGeometry, (n, o): (usize, usize)) -> usize {
    let grid = Grid::new(geom);
    let (c, (h, w), (kh, kw), (oh, ow)) = (geom.channels, geom.input, geom.kernel, geom.output);
    let (u, v) = (grid.rows(), grid.v);
    let spectra = |count: usize, rows: usize, cols: usize| {
        count * rows * cols * 2 * v + v * 4 * count * rows * u
    };
    let products = 4 * u * v * n * o * c;
    let inverse = v * 4 * n * o * u * oh + n * o * oh * 2 * v * ow;
    spectra(n * c, h, w) + spectra(o * c, kh, kw) + products + inverse
}

/// Which factor of a complex product is conjugated ([`complex_product`]).
#[derive(Clone, Copy)]
enum Conjugate {
    Neither,
    A,
    B,
}

/// `re + i·im` = A·B for complex matrices given as real and imaginary
/// parts, either factor conjugated: with s_a, s_b = −1 for a conjugated
/// factor (else 1),
/// (A_r + i·s_a·A_i)(B_r + i·s_b·B_i) = (A_r·B_r − s_a·s_b·A_i·B_i) + i(s_a·A_i·B_r + s_b·A_r·B_i),
/// four real GEMMs on the calling thread.
fn complex_product<T: Float>(
    [a_r, a_i]: [MatRef<'_, T>; 2],
    [b_r, b_i]: [MatRef<'_, T>; 2],
    conjugate: Conjugate,
    re: &mut [T],
    im: &mut [T],
) {
    let (s_a, s_b) = match conjugate {
        Conjugate::Neither => (T::ONE, T::ONE),
        Conjugate::A => (-T::ONE, T::ONE),
        Conjugate::B => (T::ONE, -T::ONE),
    };
    gemm_serial(T::ONE, a_r, b_r, T::ZERO, re);
    gemm_serial(-(s_a * s_b), a_i, b_i, T::ONE, re);
    gemm_serial(s_a, a_i, b_r, T::ZERO, im);
    gemm_serial(s_b, a_r, b_i, T::ONE, im);
}

/// The arrays of one operand of a pass: `h × w` values each, array q
/// starting at `values[starts[q]]`.
struct Arrays<'a, T> {
    values: &'a [T],
    starts: Vec<usize>,
    size: (usize, usize),
}

impl<'a, T> Arrays<'a, T> {
    /// All of `values`, `count` consecutive arrays.
    fn all(values: &'a [T], count: usize, (h, w): (usize, usize)) -> Self {
        assert_eq!(
            values.len(),
            count * h * w,
            "spectral conv2d: {count} arrays of {h}×{w} in {} values",
            values.len()
        );
        Arrays {
            values,
            starts: (0..count).map(|q| q * h * w).collect(),
            size: (h, w),
        }
    }

    /// Of `values` `[n, channels, h, w]`, the channels in `range` of every
    /// sample: array (s, j) is channel `range.start + j` of sample s.
    fn channels(
        values: &'a [T],
        (n, channels): (usize, usize),
        range: std::ops::Range<usize>,
        (h, w): (usize, usize),
    ) -> Self {
        let starts = (0..n)
            .flat_map(|s| range.clone().map(move |j| (s * channels + j) * h * w))
            .collect();
        Arrays {
            values,
            starts,
            size: (h, w),
        }
    }

    fn count(&self) -> usize {
        self.starts.len()
    }
}

/// One pass: the spectra of two sets of arrays, a column of frequencies at
/// a time; for each frequency f, `product(f, a, b, re, im)` writes the
/// `[m, n]` complex product (over k) of the two columns' values `a` and
/// `b` (frequency-major, see [`Spectra::column`]) into `re` and `im`; then
/// the inverse of the products, `out_count` arrays of `out_size` values.
fn pass<T: Float>(
    grid: Grid,
    (a, b): (Arrays<'_, T>, Arrays<'_, T>),
    (out_count, out_size): (usize, (usize, usize)),
    (m, n, k): (usize, usize, usize),
    product: impl Fn(usize, &[T], &[T], &mut [T], &mut [T]) + Sync + Send,
) -> Vec<T> {
    let (sa, sb) = (Spectra::new(&a, grid), Spectra::new(&b, grid));
    let mut inverse = Inverse::new(out_count, out_size, grid);
    let ((mut af, mut at), (mut bf, mut bt)) = (sa.column_buffers(), sb.column_buffers());
    let mut products = vec![T::ZERO; 2 * grid.rows() * m * n];
    for v in 0..grid.v {
        sa.column(v, &mut af, &mut at);
        sb.column(v, &mut bf, &mut bt);
        per_frequency((m, n, k), &mut products, |f, re, im| {
            product(f, &af, &bf, re, im)
        });
        inverse.add_column(v, &products);
    }
    drop((sa, sb, af, at, bf, bt, products));
    inverse.finish()
}

/// The output channels in chunks, each one pass: as few chunks as keep a
/// chunk's output (or its gradient) and its weight each no larger than the
/// input (or one channel a chunk, where one alone is larger), of nearly
/// equal sizes. A pass holds about its operands and
/// result again (see the module docs); in seed-keras's conv4 the output
/// (784 channels of 14×14) and the weight (784 × 112 kernels of 7×7) are
/// 3.4 and 1.5 times the input (112 channels of 20×20), so in four chunks
/// a pass holds a quarter of the output's and the weight's spectra (the
/// input's whole, and in the input gradient its whole result and the sum
/// so far). The price is one more transform of the operand every chunk
/// needs (the input, in the forward and the weight gradient) or one more
/// inverse (the input gradient, summed over the chunks in order), each a
/// few per cent of a pass.
fn channel_chunks(geom: &ConvGeometry, (n, o): (usize, usize)) -> Vec<std::ops::Range<usize>> {
    if o == 0 {
        return Vec::new();
    }
    let (c, (h, w), (kh, kw), (oh, ow)) = (geom.channels, geom.input, geom.kernel, geom.output);
    // Values of the output and of the weight per output channel.
    let per_channel = (n * oh * ow).max(c * kh * kw).max(1);
    let most = (n * c * h * w / per_channel).max(1);
    let chunks = o.div_ceil(most);
    let per_chunk = o.div_ceil(chunks);
    (0..o)
        .step_by(per_chunk)
        .map(|o0| o0..(o0 + per_chunk).min(o))
        .collect()
}

/// The kernels of output channels `range` of a weight `[o, C, kh, kw]`, as
/// arrays.
fn weight_chunk<'a, T>(
    w: &'a [T],
    geom: &ConvGeometry,
    range: &std::ops::Range<usize>,
) -> Arrays<'a, T> {
    let kernel = geom.channels * geom.kernel.0 * geom.kernel.1;
    let values = &w[range.start * kernel..range.end * kernel];
    Arrays::all(values, range.len() * geom.channels, geom.kernel)
}

/// The forward of [`conv2d`](super::conv2d) by the DFT: `[n, o, oh, ow]`
/// from `x` `[n, C, H, W]`, `w` `[o, C, kh, kw]` and the bias `[o]`, in
/// [`channel_chunks`].
pub(crate) fn forward<T: Float>(
    geom: &ConvGeometry,
    (n, o): (usize, usize),
    x: &[T],
    w: &[T],
    bias: Option<&[T]>,
) -> Vec<T> {
    let plane = geom.col_cols();
    let mut out = Vec::new();
    forward_chunks(geom, (n, o), x, w, |range, part| {
        if range.len() == o {
            out = part; // One chunk: it is the whole output.
            return;
        }
        // The chunk's channels of each sample into their place.
        out.resize(n * o * plane, T::ZERO);
        for (s, sample) in part.chunks_exact(range.len() * plane).enumerate() {
            out[(s * o + range.start) * plane..][..range.len() * plane].copy_from_slice(sample);
        }
    });
    if let Some(b) = bias {
        for (q, channel) in out.chunks_exact_mut(plane).enumerate() {
            let b = b[q % o];
            channel.iter_mut().for_each(|y| *y += b);
        }
    }
    out
}

/// The forward by the DFT a chunk of output channels at a time
/// ([`channel_chunks`]): `each(channels, part)` receives each chunk's
/// output `[n, channels.len(), oh, ow]` (without the bias) as it is made,
/// so that a caller that reduces it at once (a global max pooling,
/// `conv2d_global_max_pool2d`) never holds the whole output.
pub(crate) fn forward_chunks<T: Float>(
    geom: &ConvGeometry,
    (n, o): (usize, usize),
    x: &[T],
    w: &[T],
    mut each: impl FnMut(std::ops::Range<usize>, Vec<T>),
) {
    let c = geom.channels;
    for range in channel_chunks(geom, (n, o)) {
        let oc = range.len();
        let operands = (
            Arrays::all(x, n * c, geom.input),
            weight_chunk(w, geom, &range),
        );
        // Ŷ[n, o] = Σ_c X̂[n, c]·ŵ[o, c]*: X̂·(ŵ*)ᵀ.
        let product = |f, xf: &[T], wf: &[T], re: &mut [T], im: &mut [T]| {
            let (x, w) = (at_frequency(xf, f, (n, c)), at_frequency(wf, f, (oc, c)));
            complex_product(x, w.map(MatRef::t), Conjugate::B, re, im);
        };
        let out_arrays = (n * oc, geom.output);
        each(
            range,
            pass(Grid::new(geom), operands, out_arrays, (n, oc, c), product),
        );
    }
}

/// dL/d(input) by the DFT: `[n, C, H, W]` from `gy` `[n, o, oh, ow]` and
/// `w` `[o, C, kh, kw]`, summed over [`channel_chunks`] in order.
pub(crate) fn backward_input<T: Float>(
    geom: &ConvGeometry,
    (n, o): (usize, usize),
    gy: &[T],
    w: &[T],
) -> Vec<T> {
    let c = geom.channels;
    let mut grad: Option<Vec<T>> = None;
    for range in channel_chunks(geom, (n, o)) {
        let oc = range.len();
        let operands = (
            Arrays::channels(gy, (n, o), range.clone(), geom.output),
            weight_chunk(w, geom, &range),
        );
        // dX̂[n, c] = Σ_o dŶ[n, o]·ŵ[o, c]: dŶ·ŵ.
        let product = |f, gf: &[T], wf: &[T], re: &mut [T], im: &mut [T]| {
            let (g, w) = (at_frequency(gf, f, (n, oc)), at_frequency(wf, f, (oc, c)));
            complex_product(g, w, Conjugate::Neither, re, im);
        };
        let out_arrays = (n * c, geom.input);
        let part = pass(Grid::new(geom), operands, out_arrays, (n, c, oc), product);
        match &mut grad {
            None => grad = Some(part),
            Some(sum) => sum.iter_mut().zip(&part).for_each(|(s, &p)| *s += p),
        }
    }
    grad.unwrap_or_else(|| vec![T::ZERO; n * c * geom.input.0 * geom.input.1])
}

/// dL/d(weight) by the DFT: `[o, C, kh, kw]` from `gy` `[n, o, oh, ow]`
/// and `x` `[n, C, H, W]`, each of [`channel_chunks`] a pass whose result
/// is its part of the gradient.
pub(crate) fn backward_weight<T: Float>(
    geom: &ConvGeometry,
    (n, o): (usize, usize),
    gy: &[T],
    x: &[T],
) -> Vec<T> {
    let c = geom.channels;
    let mut gw = Vec::new();
    for range in channel_chunks(geom, (n, o)) {
        let oc = range.len();
        let operands = (
            Arrays::channels(gy, (n, o), range, geom.output),
            Arrays::all(x, n * c, geom.input),
        );
        // dŵ[o, c] = Σ_n dŶ[n, o]*·X̂[n, c]: (dŶ*)ᵀ·X̂.
        let product = |f, gf: &[T], xf: &[T], re: &mut [T], im: &mut [T]| {
            let (g, x) = (at_frequency(gf, f, (n, oc)), at_frequency(xf, f, (n, c)));
            complex_product(g.map(MatRef::t), x, Conjugate::A, re, im);
        };
        let part = pass(
            Grid::new(geom),
            operands,
            (oc * c, geom.kernel),
            (oc, c, n),
            product,
        );
        if gw.is_empty() {
            gw = part;
            gw.reserve_exact(o * c * geom.kernel.0 * geom.kernel.1 - gw.len());
        } else {
            gw.extend_from_slice(&part);
        }
    }
    gw
}

#[cfg(test)]
mod tests {
    use super::{backward_input, backward_weight, channel_chunks, forward, worth_it};
    use crate::conv::{Conv2dParams, ConvGeometry};

    /// The three passes by their definitions, in f64.
    fn direct(
        geom: &ConvGeometry,
        (n, o): (usize, usize),
        x: &[f64],
        w: &[f64],
        gy: &[f64],
    ) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let (c, (h, wd), (kh, kw), (oh, ow)) =
            (geom.channels, geom.input, geom.kernel, geom.output);
        let (mut y, mut gx, mut gw) = (
            vec![0.0; n * o * oh * ow],
            vec![0.0; n * c * h * wd],
            vec![0.0; o * c * kh * kw],
        );
        for s in 0..n {
            for q in 0..o {
                for r in 0..c {
                    for i in 0..kh {
                        for j in 0..kw {
                            let wi = ((q * c + r) * kh + i) * kw + j;
                            for py in 0..oh {
                                for px in 0..ow {
                                    let yi = ((s * o + q) * oh + py) * ow + px;
                                    let xi = ((s * c + r) * h + py + i) * wd + px + j;
                                    y[yi] += w[wi] * x[xi];
                                    gx[xi] += w[wi] * gy[yi];
                                    gw[wi] += gy[yi] * x[xi];
                                }
                            }
                        }
                    }
                }
            }
        }
        (y, gx, gw)
    }

    fn values(len: usize, seed: usize) -> Vec<f64> {
        (0..len)
            .map(|i| (((i * 7919 + seed * 104729) % 2003) as f64 / 1001.0) - 1.0)
            .collect()
    }

    fn assert_close(got: &[f64], want: &[f64], what: &str) {
        assert_eq!(got.len(), want.len(), "{what}: lengths");
        for (q, (&g, &e)) in got.iter().zip(want).enumerate() {
            assert!(
                (g - e).abs() <= 1e-11 * (1.0 + e.abs()),
                "{what}[{q}]: {g} against {e}"
            );
        }
    }

    #[test]
    fn the_three_passes_are_their_definitions() {
        // Even and odd periods, square and not, a kernel as large as the
        // image (in 2 chunks of output channels) and a 1-row kernel, and
        // 7 output channels in chunks of 2, 2, 2 and 1.
        for (c, hw, k, n, o) in [
            (3, (8, 8), (3, 3), 2, 4),
            (2, (7, 9), (4, 2), 3, 2),
            (1, (5, 6), (5, 6), 2, 3),
            (2, (6, 5), (1, 3), 1, 2),
            (1, (6, 6), (3, 3), 2, 7),
        ] {
            let geom = ConvGeometry::new(c, hw, k, &Conv2dParams::default());
            let (oh, ow) = geom.output;
            let x = values(n * c * hw.0 * hw.1, 1);
            let w = values(o * c * k.0 * k.1, 2);
            let gy = values(n * o * oh * ow, 3);
            let b = values(o, 4);
            let (y, gx, gw) = direct(&geom, (n, o), &x, &w, &gy);
            let with_bias: Vec<f64> = y
                .iter()
                .enumerate()
                .map(|(q, v)| v + b[q / (oh * ow) % o])
                .collect();
            let what = format!("{geom:?}");
            assert_close(
                &forward(&geom, (n, o), &x, &w, Some(&b)),
                &with_bias,
                &format!("forward {what}"),
            );
            assert_close(
                &backward_input(&geom, (n, o), &gy, &w),
                &gx,
                &format!("input {what}"),
            );
            assert_close(
                &backward_weight(&geom, (n, o), &gy, &x),
                &gw,
                &format!("weight {what}"),
            );
        }
    }

    #[test]
    fn output_channels_are_chunked_by_their_size_against_the_input() {
        let params = Conv2dParams::default();
        // seed-keras's conv4: the output is 3.4 times the input, 4 chunks.
        let conv4 = ConvGeometry::new(112, (20, 20), (7, 7), &params);
        let chunks = channel_chunks(&conv4, (64, 784));
        assert_eq!(chunks, [0..196, 196..392, 392..588, 588..784]);
        // Its conv3 (56 → 112, 5×5 on 24×24): 1.4 times, 2 chunks.
        let conv3 = ConvGeometry::new(56, (24, 24), (5, 5), &params);
        assert_eq!(channel_chunks(&conv3, (64, 112)), [0..56, 56..112]);
        // No larger than the input: one chunk; uneven: the last is short.
        let small = ConvGeometry::new(3, (8, 8), (3, 3), &params);
        assert_eq!(channel_chunks(&small, (2, 4)), vec![0..4]);
        let uneven = ConvGeometry::new(1, (6, 6), (3, 3), &params);
        assert_eq!(channel_chunks(&uneven, (2, 7)), [0..2, 2..4, 4..6, 6..7]);
        // Never more chunks than channels, and no chunk without any.
        let wide = ConvGeometry::new(1, (2, 2), (1, 1), &params);
        assert_eq!(channel_chunks(&wide, (1, 3)), [0..1, 1..2, 2..3]);
        assert!(channel_chunks(&wide, (1, 0)).is_empty());
        // In general: the chunks cover the channels in order, each no
        // larger than the input (or of one channel), as few as that allows.
        for (c, hw, k, n, o) in [
            (1, (10, 10), (3, 3), 1, 3),
            (3, (9, 7), (2, 4), 5, 11),
            (2, (6, 6), (6, 6), 3, 40),
            (16, (5, 5), (3, 3), 2, 9),
        ] {
            let geom = ConvGeometry::new(c, hw, k, &params);
            let (oh, ow) = geom.output;
            let input = n * c * hw.0 * hw.1;
            let per_channel = (n * oh * ow).max(c * k.0 * k.1);
            let chunks = channel_chunks(&geom, (n, o));
            let ends: Vec<usize> = chunks.iter().map(|r| r.end).collect();
            assert_eq!(chunks[0].start, 0, "{geom:?}");
            assert!(chunks.windows(2).all(|p| p[0].end == p[1].start));
            assert_eq!(ends.last(), Some(&o));
            for r in &chunks {
                assert!(
                    r.len() * per_channel <= input || r.len() == 1,
                    "{geom:?}: {r:?}"
                );
            }
            let most = (input / per_channel).max(1);
            assert_eq!(chunks.len(), o.div_ceil(most), "{geom:?}");
        }
    }

    #[test]
    fn it_is_chosen_for_large_kernels_on_small_images_only() {
        let params = Conv2dParams::default();
        // The seed Keras network's last convolution: 112 → 784, 7×7 on 20×20.
        let keras = ConvGeometry::new(112, (20, 20), (7, 7), &params);
        assert!(worth_it(&keras, 1, (64, 784)));
        assert!(!worth_it(&keras, 2, (64, 784)), "one group only");
        // The seed PyTorch network's second: 10 → 20, 5×5 on 12×12.
        let torch = ConvGeometry::new(10, (12, 12), (5, 5), &params);
        assert!(!worth_it(&torch, 1, (100, 20)));
        // A 3×3 kernel on a larger image.
        let small = ConvGeometry::new(28, (26, 26), (3, 3), &params);
        assert!(!worth_it(&small, 1, (64, 56)));
        let strided = ConvGeometry::new(
            112,
            (20, 20),
            (7, 7),
            &Conv2dParams {
                stride: (2, 2),
                ..params
            },
        );
        assert!(!worth_it(&strided, 1, (64, 784)));
    }

    /// The shape `tests/conv.rs` fuses with a global max pool
    /// (`conv2d_global_max_pool2d_is_conv2d_then_global_max_pool2d`)
    /// takes this path, in two chunks of output channels, so that test
    /// compares pooling by chunks with the two calls.
    #[test]
    fn the_fused_global_pool_test_shape_takes_it_in_two_chunks() {
        let geom = ConvGeometry::new(16, (20, 20), (9, 9), &Conv2dParams::default());
        assert!(worth_it(&geom, 1, (16, 64)));
        assert_eq!(channel_chunks(&geom, (16, 64)).len(), 2);
    }

    /// In f32, conv2d and its gradients take this path for a large kernel
    /// on a small image, and agree with the direct sums in f64 to within
    /// f32 rounding of the terms' magnitudes.
    #[test]
    fn conv2d_in_f32_takes_it_and_agrees_with_the_direct_sums() {
        use crate::conv::{conv2d, conv2d_backward_input, conv2d_backward_weight};
        use crate::Tensor;
        let (n, c, hw, k, o) = (16, 16, (20, 20), (9, 9), 64);
        let params = Conv2dParams::default();
        let geom = ConvGeometry::new(c, hw, k, &params);
        assert!(worth_it(&geom, 1, (n, o)));
        let (oh, ow) = geom.output;
        let t = |shape: &[usize], seed| {
            let v = values(shape.iter().product(), seed);
            Tensor::from_vec(v, shape)
        };
        let x = t(&[n, c, hw.0, hw.1], 5);
        let w = t(&[o, c, k.0, k.1], 6);
        let gy = t(&[n, o, oh, ow], 7);
        let f32_of = |t: &Tensor<f64>| t.cast::<f32>();
        let (x32, w32, gy32) = (f32_of(&x), f32_of(&w), f32_of(&gy));
        let abs = |t: &Tensor<f64>| t.map(f64::abs);
        // Each result against the direct f64 sums, within 1e-6 of the
        // largest sum of the terms' magnitudes.
        let check = |got: &Tensor<f32>, want: &Tensor<f64>, scale: &Tensor<f64>, what: &str| {
            let bound = 1e-6 * scale.data().iter().fold(0.0f64, |m, &v| m.max(v));
            let worst = got
                .data()
                .iter()
                .zip(want.data())
                .map(|(&g, &e)| (g as f64 - e).abs())
                .fold(0.0, f64::max);
            assert!(worst <= bound, "{what}: error {worst:e} above {bound:e}");
        };
        check(
            &conv2d(&x32, &w32, None, &params),
            &conv2d(&x, &w, None, &params),
            &conv2d(&abs(&x), &abs(&w), None, &params),
            "forward",
        );
        let shape = [n, c, hw.0, hw.1];
        check(
            &conv2d_backward_input(&gy32, &w32, &shape, &params),
            &conv2d_backward_input(&gy, &w, &shape, &params),
            &conv2d_backward_input(&abs(&gy), &abs(&w), &shape, &params),
            "input gradient",
        );
        let shape = [o, c, k.0, k.1];
        check(
            &conv2d_backward_weight(&gy32, &x32, &shape, &params),
            &conv2d_backward_weight(&gy, &x, &shape, &params),
            &conv2d_backward_weight(&abs(&gy), &abs(&x), &shape, &params),
            "weight gradient",
        );
    }

    /// `Conv2dAlgorithms::Direct` keeps conv2d off this path: its result is
    /// then not this path's (other rounding), and `Any` brings it back.
    #[test]
    fn the_direct_setting_turns_it_off() {
        use crate::conv::{conv2d, set_conv2d_algorithms, Conv2dAlgorithms};
        use crate::Tensor;
        let (n, c, hw, k, o) = (16, 16, (20, 20), (9, 9), 64);
        let params = Conv2dParams::default();
        let geom = ConvGeometry::new(c, hw, k, &params);
        let x: Vec<f32> = values(n * c * hw.0 * hw.1, 8)
            .iter()
            .map(|&v| v as f32)
            .collect();
        let w: Vec<f32> = values(o * c * k.0 * k.1, 9)
            .iter()
            .map(|&v| v as f32)
            .collect();
        let spectral = forward(&geom, (n, o), &x, &w, None);
        let (xt, wt) = (
            Tensor::from_vec(x, &[n, c, hw.0, hw.1]),
            Tensor::from_vec(w, &[o, c, k.0, k.1]),
        );
        set_conv2d_algorithms(Conv2dAlgorithms::Direct);
        let direct = conv2d(&xt, &wt, None, &params);
        set_conv2d_algorithms(Conv2dAlgorithms::Any);
        let any = conv2d(&xt, &wt, None, &params);
        assert_eq!(any.data(), &spectral[..], "Any takes the spectral path");
        assert_ne!(direct.data(), &spectral[..], "Direct does not");
        let scale = spectral.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        for (d, s) in direct.data().iter().zip(&spectral) {
            assert!((d - s).abs() <= 1e-5 * scale, "{d} against {s}");
        }
    }

    /// An infinity in the input of a shape that takes this path: conv2d
    /// keeps it to the windows that read it (the direct sums), instead of
    /// mixing it into every output of the sample.
    #[test]
    fn a_non_finite_operand_stays_in_its_windows() {
        use crate::conv::conv2d;
        use crate::Tensor;
        let (n, c, (h, w), (kh, kw), o) = (16, 16, (20, 20), (9, 9), 64);
        let params = Conv2dParams::default();
        let geom = ConvGeometry::new(c, (h, w), (kh, kw), &params);
        assert!(worth_it(&geom, 1, (n, o)));
        let (oh, ow) = geom.output;
        let mut x: Vec<f32> = values(n * c * h * w, 10)
            .iter()
            .map(|&v| v as f32)
            .collect();
        // Sample 3, channel 2, pixel (5, 7).
        let (bad_n, bad_y, bad_x) = (3, 5, 7);
        x[((bad_n * c + 2) * h + bad_y) * w + bad_x] = f32::INFINITY;
        let wt: Vec<f32> = values(o * c * kh * kw, 11)
            .iter()
            .map(|&v| v as f32)
            .collect();
        let y = conv2d(
            &Tensor::from_vec(x, &[n, c, h, w]),
            &Tensor::from_vec(wt, &[o, c, kh, kw]),
            None,
            &params,
        );
        for (q, v) in y.data().iter().enumerate() {
            let (s, py, px) = (q / (o * oh * ow), q / ow % oh, q % ow);
            let reads =
                s == bad_n && (py..py + kh).contains(&bad_y) && (px..px + kw).contains(&bad_x);
            assert_eq!(!v.is_finite(), reads, "output {q} = {v}");
        }
    }

    /// The three passes give the same bits on 1, 2 and 4 threads (every
    /// GEMM is single-threaded inside blocks of whole frequencies, rows or
    /// arrays).
    #[test]
    fn the_passes_do_not_depend_on_the_thread_count() {
        use crate::parallel::with_threads;
        let (n, c, hw, k, o) = (8, 8, (12, 11), (5, 4), 16);
        let geom = ConvGeometry::new(c, hw, k, &Conv2dParams::default());
        let (oh, ow) = geom.output;
        let f32s =
            |len, seed| -> Vec<f32> { values(len, seed).iter().map(|&v| v as f32).collect() };
        let (x, w) = (f32s(n * c * hw.0 * hw.1, 12), f32s(o * c * k.0 * k.1, 13));
        let (gy, b) = (f32s(n * o * oh * ow, 14), f32s(o, 15));
        let run = |threads| {
            with_threads(threads, || {
                [
                    forward(&geom, (n, o), &x, &w, Some(&b)),
                    backward_input(&geom, (n, o), &gy, &w),
                    backward_weight(&geom, (n, o), &gy, &x),
                ]
                .map(|v| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>())
            })
            .expect("a pool of threads")
        };
        let one = run(1);
        for threads in [2, 4] {
            assert!(run(threads) == one, "{threads} threads");
        }
    }
}
