//! Pooling over the spatial axes of NCHW tensors: max, average and global.
//!
//! Every `(sample, channel)` plane is pooled on its own, so the kernels
//! parallelise over planes. With window `(y, x)` covering the input rows
//! `y·sh − ph + i` and columns `x·sw − pw + j` (`0 ≤ i < kh`, `0 ≤ j < kw`):
//!
//! ```text
//! max:  Y[y, x] = max over the window (padding never wins)
//!       dX[argmax] += dY[y, x]                 (the gradient routes to the winner)
//! avg:  Y[y, x] = Σ window / (kh·kw)           (padding counts as zeros:
//!       dX[p]   += dY[y, x] / (kh·kw)           PyTorch's count_include_pad)
//!       for every in-image p in the window
//! ```
//!
//! Global pooling is the window that covers the whole plane, giving
//! `[N, C, 1, 1]`.

use super::params::output_len;
use crate::element::Float;
use crate::parallel::{filled, for_each_block, for_each_block_pair, num_threads};
use crate::tensor::Tensor;

/// What [`max_pool2d`] and [`global_max_pool2d`] return: the pooled values
/// and, for each of them, where the maximum was.
#[derive(Clone, Debug, PartialEq)]
pub struct MaxPool2dOutput<T: Float> {
    /// The pooled tensor `[N, C, oh, ow]`.
    pub output: Tensor<T>,
    /// For each output element, the flat index `row·W + col` of its maximum
    /// inside its own `H × W` input plane (PyTorch's `return_indices`).
    pub indices: Vec<usize>,
}

/// Sizes of one pooling call.
struct PoolDims {
    planes: usize,
    input: (usize, usize),
    output: (usize, usize),
    kernel: (usize, usize),
    stride: (usize, usize),
    padding: (usize, usize),
}

impl PoolDims {
    fn new(
        op: &str,
        shape: &[usize],
        kernel: (usize, usize),
        stride: (usize, usize),
        padding: (usize, usize),
    ) -> Self {
        assert!(
            shape.len() == 4,
            "{op}: input {shape:?} is not [N, C, H, W]"
        );
        assert!(
            2 * padding.0 <= kernel.0 && 2 * padding.1 <= kernel.1,
            "{op}: padding {padding:?} must be at most half the kernel {kernel:?}"
        );
        let (h, w) = (shape[2], shape[3]);
        let output = (
            output_len(op, h, kernel.0, stride.0, padding.0, 1),
            output_len(op, w, kernel.1, stride.1, padding.1, 1),
        );
        PoolDims {
            planes: shape[0] * shape[1],
            input: (h, w),
            output,
            kernel,
            stride,
            padding,
        }
    }

    fn in_plane(&self) -> usize {
        self.input.0 * self.input.1
    }

    fn out_plane(&self) -> usize {
        self.output.0 * self.output.1
    }

    fn out_shape(&self, shape: &[usize]) -> [usize; 4] {
        [shape[0], shape[1], self.output.0, self.output.1]
    }

    /// Planes per parallel block: two blocks per thread.
    fn planes_per_block(&self) -> usize {
        self.planes.div_ceil(2 * num_threads()).max(1)
    }

    /// The in-image rows and columns of window `(y, x)`.
    fn window(&self, y: usize, x: usize) -> (std::ops::Range<usize>, std::ops::Range<usize>) {
        let clip = |o: usize, s: usize, p: usize, k: usize, len: usize| {
            let start = o * s;
            start.saturating_sub(p)..(start + k).saturating_sub(p).min(len)
        };
        (
            clip(
                y,
                self.stride.0,
                self.padding.0,
                self.kernel.0,
                self.input.0,
            ),
            clip(
                x,
                self.stride.1,
                self.padding.1,
                self.kernel.1,
                self.input.1,
            ),
        )
    }

    /// Scalar operations of one pass, for the parallel threshold.
    fn work(&self) -> usize {
        self.planes * self.out_plane() * self.kernel.0 * self.kernel.1
    }
}

fn check_grad_output(op: &str, grad_output: &[usize], expected: [usize; 4]) {
    assert_eq!(
        grad_output, expected,
        "{op}: grad_output {grad_output:?} does not match the output shape {expected:?}"
    );
}

/// Max pooling (PyTorch's `F.max_pool2d` with `return_indices=True`, no
/// dilation, floor mode) of `[N, C, H, W]` with a `kernel` window moved by
/// `stride`, the input padded by `padding` (at most half the kernel) of −∞.
/// Ties go to the first maximum in row-major order; a NaN wins.
///
/// ```
/// use synann_tensor::conv::max_pool2d;
/// use synann_tensor::Tensor;
/// let x = Tensor::from_vec(vec![1.0f32, 5.0, 2.0, 0.0, 3.0, 4.0, 9.0, 8.0, 7.0, 6.0, 1.0, 2.0, 0.0, 0.0, 3.0, 4.0], &[1, 1, 4, 4]);
/// let r = max_pool2d(&x, (2, 2), (2, 2), (0, 0));
/// assert_eq!(r.output.data(), &[5.0, 9.0, 7.0, 4.0]);
/// assert_eq!(r.indices, vec![1, 6, 8, 15]);
/// ```
pub fn max_pool2d<T: Float>(
    input: &Tensor<T>,
    kernel: (usize, usize),
    stride: (usize, usize),
    padding: (usize, usize),
) -> MaxPool2dOutput<T> {
    let d = PoolDims::new("max_pool2d", input.shape(), kernel, stride, padding);
    let (x, in_plane, out_plane) = (input.data(), d.in_plane(), d.out_plane());
    let ppb = d.planes_per_block();
    let (blk_len, work) = (ppb * out_plane, d.work());
    let mut out = filled(d.planes * out_plane, T::NEG_INFINITY, blk_len, work);
    let mut indices = filled(d.planes * out_plane, 0usize, blk_len, work);
    for_each_block_pair(
        &mut out,
        blk_len,
        &mut indices,
        blk_len,
        work,
        |blk, vals, idx| {
            let mut pooler = PlanePooler::new("max_pool2d", d.input, kernel, stride, padding);
            let planes = vals.chunks_mut(out_plane).zip(idx.chunks_mut(out_plane));
            for (q, (vals, idx)) in planes.enumerate() {
                pooler.pool(&x[(blk * ppb + q) * in_plane..][..in_plane], vals, idx);
            }
        },
    );
    MaxPool2dOutput {
        output: Tensor::from_vec(out, &d.out_shape(input.shape())),
        indices,
    }
}

/// Max pooling of `H × W` planes one at a time, with one call's window:
/// what [`max_pool2d`] runs on each plane, for a kernel that makes its
/// input a plane at a time (a convolution, whose output then never exists
/// whole: see [`conv2d_max_pool2d`](super::conv2d_max_pool2d)).
pub(super) struct PlanePooler {
    d: PoolDims,
    /// The 2×2, stride 2, unpadded window (the common one).
    pairs: bool,
    /// Any unpadded window.
    windows: Option<Windows>,
    /// Per output column: the 2×2 path's winning offset (u32 lanes so its
    /// loop vectorises), the general path's (alive, position).
    winner: Vec<u32>,
    first_hit: Vec<(u32, u32)>,
}

impl PlanePooler {
    /// For `input` = `(H, W)` planes; panics (naming `op`) if the window
    /// does not fit.
    pub(super) fn new(
        op: &str,
        input: (usize, usize),
        kernel: (usize, usize),
        stride: (usize, usize),
        padding: (usize, usize),
    ) -> Self {
        let d = PoolDims::new(op, &[1, 1, input.0, input.1], kernel, stride, padding);
        let pairs = d.padding == (0, 0) && d.kernel == (2, 2) && d.stride == (2, 2);
        let windows = (d.padding == (0, 0)).then(|| Windows::new(&d));
        PlanePooler {
            pairs,
            windows,
            winner: vec![0; d.output.1],
            first_hit: vec![(0, 0); d.output.1],
            d,
        }
    }

    /// The pooled plane's `(oh, ow)`.
    #[cfg(target_arch = "x86_64")]
    pub(super) fn output(&self) -> (usize, usize) {
        self.d.output
    }

    /// Pools `plane` (`H·W` values) into `vals` and `idx` (`oh·ow` each,
    /// the winners' in-plane positions).
    pub(super) fn pool<T: Float>(&mut self, plane: &[T], vals: &mut [T], idx: &mut [usize]) {
        if self.pairs {
            max_pool_2x2_plane(plane, self.d.input.1, vals, idx, &mut self.winner);
        } else if let Some(win) = &self.windows {
            win.max_pool_plane(plane, vals, idx, &mut self.first_hit);
        } else {
            max_pool_plane_padded(&self.d, plane, vals, idx);
        }
    }
}

/// Whether a row-major scan that holds `best` moves to a later `v`: only
/// if `v` is larger, or a NaN where `best` is not (a NaN wins, the first
/// one stays). Written with `|` and `&`, no branch, so loops vectorise.
#[inline(always)]
fn beats<T: Float>(v: T, best: T) -> bool {
    (v > best) | (v.is_nan() & !best.is_nan())
}

/// Of two candidate maxima `(value, position)`, the one a row-major scan
/// keeps ([`beats`]).
#[inline(always)]
fn first_max<T: Float>(x: (T, u32), y: (T, u32)) -> (T, u32) {
    let take = beats(y.0, x.0);
    // Selects, not branches: see `Windows::max_pool_plane`.
    (if take { y.0 } else { x.0 }, if take { y.1 } else { x.1 })
}

/// 2×2 max pooling with stride 2 and no padding (the networks' pooling) of
/// one plane `w` pixels wide, into its `vals` and `idx`; `winner` is
/// scratch of one entry per output column.
///
/// Each window is a pixel pair of the top row and one of the bottom row;
/// the maximum is a small tournament, `first_max(first_max(top₀, top₁),
/// first_max(bottom₀, bottom₁))`, which keeps the same pixel as a row-major scan
/// (the earlier one on ties, the first NaN). Reading the rows two pixels at
/// a time with no data-dependent branch lets the compiler vectorise the
/// loop: this is several times faster than the general
/// [`Windows::max_pool_plane`] on this, the most common, window.
fn max_pool_2x2_plane<T: Float>(
    plane: &[T],
    w: usize,
    vals: &mut [T],
    idx: &mut [usize],
    winner: &mut [u32],
) {
    let ow = winner.len();
    let w32 = u32::try_from(w).expect("max_pool2d: image rows wider than u32");
    let out_rows = vals.chunks_exact_mut(ow).zip(idx.chunks_exact_mut(ow));
    for (y, (best, at)) in out_rows.enumerate() {
        let top = plane[2 * y * w..][..2 * ow].chunks_exact(2);
        let bottom = plane[(2 * y + 1) * w..][..2 * ow].chunks_exact(2);
        // The winner's offset from its window's top-left pixel: 0, 1, w or w + 1.
        for ((v, k), (t, u)) in best.iter_mut().zip(winner.iter_mut()).zip(top.zip(bottom)) {
            let upper = first_max((t[0], 0), (t[1], 1));
            let lower = first_max((u[0], w32), (u[1], w32 + 1));
            (*v, *k) = first_max(upper, lower);
        }
        for (x, (i, &k)) in at.iter_mut().zip(winner.iter()).enumerate() {
            *i = 2 * y * w + 2 * x + k as usize;
        }
    }
}

/// The windows of a pooling without padding, where each lies entirely
/// inside the plane: window `(y, x)` covers the pixels
/// `row_start[y] + x·sw + tap` for each `tap` in `taps`.
struct Windows {
    /// In-plane index of the top-left pixel of each output row's first
    /// window.
    row_start: Vec<usize>,
    /// Outputs per row.
    ow: usize,
    /// Column stride: window `x` of a row starts `x·sw` after its first.
    sw: usize,
    /// Offsets `i·W + j` of the window pixels from the corner, row-major.
    taps: Vec<usize>,
}

impl Windows {
    fn new(d: &PoolDims) -> Self {
        let ((oh, ow), (sh, sw), w) = (d.output, d.stride, d.input.1);
        let row_start = (0..oh).map(|y| y * sh * w).collect();
        let (kh, kw) = d.kernel;
        let taps = (0..kh)
            .flat_map(|i| (0..kw).map(move |j| i * w + j))
            .collect();
        Windows {
            row_start,
            taps,
            ow,
            sw,
        }
    }

    /// Max pooling of one plane into its `vals` and `idx`; `first_hit` is
    /// scratch of one entry per output column.
    ///
    /// One output row at a time, in two passes over the window pixels, each
    /// with the output column as the innermost loop. Its iterations are
    /// independent, and they are written without branches on the data:
    /// which pixel wins is unpredictable on real data, and a mispredicted
    /// branch per pixel would cost more than all the comparisons.
    ///
    /// 1. The maxima: `best` takes `v` when `v > best` or `v` is a NaN (a
    ///    NaN wins), unless `best` is already a NaN.
    /// 2. Where they are: the position, in row-major window order, of the
    ///    first pixel equal to its window's maximum (or NaN when the
    ///    maximum is). It is counted rather than selected: `pos` grows by
    ///    one for each pixel scanned while no hit has been seen (`alive`),
    ///    so it stops at the first hit.
    fn max_pool_plane<T: Float>(
        &self,
        plane: &[T],
        vals: &mut [T],
        idx: &mut [usize],
        first_hit: &mut [(u32, u32)],
    ) {
        let (ow, sw) = (self.ow, self.sw);
        let first_hit = &mut first_hit[..ow];
        let rows = vals.chunks_exact_mut(ow).zip(idx.chunks_exact_mut(ow));
        for ((best, at), &r0) in rows.zip(&self.row_start) {
            best.fill(T::NEG_INFINITY);
            for &tap in &self.taps {
                let src = &plane[r0 + tap..];
                for (x, b) in best.iter_mut().enumerate() {
                    let v = src[x * sw];
                    *b = if beats(v, *b) { v } else { *b };
                }
            }
            // (alive, pos) per output: 1 until the first hit, and the count.
            first_hit.fill((1, 0));
            for &tap in &self.taps {
                let src = &plane[r0 + tap..];
                for (x, ((alive, pos), &m)) in first_hit.iter_mut().zip(best.iter()).enumerate() {
                    let v = src[x * sw];
                    let hit = (v == m) | (v.is_nan() & m.is_nan());
                    *alive &= u32::from(!hit);
                    *pos += *alive;
                }
            }
            for (x, (i, &(_, pos))) in at.iter_mut().zip(first_hit.iter()).enumerate() {
                *i = r0 + x * sw + self.taps[pos as usize];
            }
        }
    }
}

/// Max pooling of one plane with padding: each window clipped to the image
/// (padding never wins), scanned in row-major order; ties keep the first
/// maximum and a NaN wins.
fn max_pool_plane_padded<T: Float>(d: &PoolDims, plane: &[T], vals: &mut [T], idx: &mut [usize]) {
    let w = d.input.1;
    for y in 0..d.output.0 {
        for xo in 0..d.output.1 {
            let (rows, cols) = d.window(y, xo);
            let mut best = (T::NEG_INFINITY, rows.start * w + cols.start);
            for r in rows {
                for c in cols.clone() {
                    let v = plane[r * w + c];
                    if beats(v, best.0) {
                        best = (v, r * w + c);
                    }
                }
            }
            let k = y * d.output.1 + xo;
            (vals[k], idx[k]) = best;
        }
    }
}

/// dL/d(input) of [`max_pool2d`] (and [`global_max_pool2d`]): each output
/// gradient is added to the input element its `indices` entry names.
///
/// ```
/// use synann_tensor::conv::{max_pool2d, max_pool2d_backward};
/// use synann_tensor::Tensor;
/// let x = Tensor::from_vec(vec![1.0f32, 3.0, 2.0, 0.0], &[1, 1, 2, 2]);
/// let r = max_pool2d(&x, (2, 2), (2, 2), (0, 0));
/// let g = max_pool2d_backward(&Tensor::<f32>::ones(&[1, 1, 1, 1]), &r.indices, x.shape());
/// assert_eq!(g.data(), &[0.0, 1.0, 0.0, 0.0]);
/// ```
pub fn max_pool2d_backward<T: Float>(
    grad_output: &Tensor<T>,
    indices: &[usize],
    input_shape: &[usize],
) -> Tensor<T> {
    let (gs, op) = (grad_output.shape(), "max_pool2d_backward");
    assert!(
        gs.len() == 4
            && input_shape.len() == 4
            && gs[..2] == input_shape[..2]
            && indices.len() == grad_output.numel(),
        "{op}: grad_output {gs:?} with {} indices does not match input {input_shape:?}",
        indices.len()
    );
    let (in_plane, out_plane) = (input_shape[2] * input_shape[3], gs[2] * gs[3]);
    let planes = gs[0] * gs[1];
    let ppb = planes.div_ceil(2 * num_threads()).max(1);
    // The zeros are written (not a zeroed allocation) before the gradients
    // are added into them: a fresh page first *read* (by `+=`) is mapped
    // to the shared zero page, so that its first write faults again and
    // flushes the other cores' TLBs (with two threads, a third of the seed
    // network's step when the buffer came zeroed).
    let mut grad_in = filled(
        planes * in_plane,
        T::ZERO,
        ppb * in_plane,
        grad_output.numel(),
    );
    let gy = grad_output.data();
    for_each_block(
        &mut grad_in,
        ppb * in_plane,
        grad_output.numel(),
        |blk, gin_blk| {
            for (q, gx) in gin_blk.chunks_mut(in_plane).enumerate() {
                let k0 = (blk * ppb + q) * out_plane;
                for (&i, &g) in indices[k0..k0 + out_plane]
                    .iter()
                    .zip(&gy[k0..k0 + out_plane])
                {
                    assert!(
                        i < in_plane,
                        "{op}: index {i} is outside a plane of {in_plane}"
                    );
                    gx[i] += g;
                }
            }
        },
    );
    Tensor::from_vec(grad_in, input_shape)
}

/// Average pooling (PyTorch's `F.avg_pool2d` with its defaults: floor mode,
/// `count_include_pad=True`): each output is its window's sum divided by
/// `kh·kw`, padding counting as zeros.
///
/// ```
/// use synann_tensor::conv::avg_pool2d;
/// use synann_tensor::Tensor;
/// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[1, 1, 2, 2]);
/// assert_eq!(avg_pool2d(&x, (2, 2), (2, 2), (0, 0)).data(), &[2.5]);
/// // Padding 1 with a 2×2 window: the corner window sees x[0, 0] and 3 zeros.
/// assert_eq!(avg_pool2d(&x, (2, 2), (2, 2), (1, 1)).data(), &[0.25, 0.5, 0.75, 1.0]);
/// ```
pub fn avg_pool2d<T: Float>(
    input: &Tensor<T>,
    kernel: (usize, usize),
    stride: (usize, usize),
    padding: (usize, usize),
) -> Tensor<T> {
    let d = PoolDims::new("avg_pool2d", input.shape(), kernel, stride, padding);
    let (x, in_plane, out_plane, w) = (input.data(), d.in_plane(), d.out_plane(), d.input.1);
    let scale = T::ONE / T::from_usize(kernel.0 * kernel.1);
    let ppb = d.planes_per_block();
    let mut out = vec![T::ZERO; d.planes * out_plane];
    for_each_block(&mut out, ppb * out_plane, d.work(), |blk, out_blk| {
        for (q, yp) in out_blk.chunks_mut(out_plane).enumerate() {
            let plane = &x[(blk * ppb + q) * in_plane..][..in_plane];
            for y in 0..d.output.0 {
                for xo in 0..d.output.1 {
                    let (rows, cols) = d.window(y, xo);
                    let sum: T = rows
                        .map(|r| {
                            plane[r * w + cols.start..r * w + cols.end]
                                .iter()
                                .copied()
                                .sum::<T>()
                        })
                        .sum();
                    yp[y * d.output.1 + xo] = sum * scale;
                }
            }
        }
    });
    Tensor::from_vec(out, &d.out_shape(input.shape()))
}

/// dL/d(input) of [`avg_pool2d`] called with the same window arguments:
/// every in-image element of window `(y, x)` receives `dY[y, x] / (kh·kw)`.
///
/// ```
/// use synann_tensor::conv::avg_pool2d_backward;
/// use synann_tensor::Tensor;
/// let g = avg_pool2d_backward(&Tensor::<f32>::ones(&[1, 1, 1, 1]), &[1, 1, 2, 2], (2, 2), (2, 2), (0, 0));
/// assert_eq!(g.data(), &[0.25; 4]);
/// ```
pub fn avg_pool2d_backward<T: Float>(
    grad_output: &Tensor<T>,
    input_shape: &[usize],
    kernel: (usize, usize),
    stride: (usize, usize),
    padding: (usize, usize),
) -> Tensor<T> {
    let op = "avg_pool2d_backward";
    let d = PoolDims::new(op, input_shape, kernel, stride, padding);
    check_grad_output(op, grad_output.shape(), d.out_shape(input_shape));
    let (gy, in_plane, out_plane, w) = (grad_output.data(), d.in_plane(), d.out_plane(), d.input.1);
    let scale = T::ONE / T::from_usize(kernel.0 * kernel.1);
    let ppb = d.planes_per_block();
    let mut grad_in = vec![T::ZERO; d.planes * in_plane];
    for_each_block(&mut grad_in, ppb * in_plane, d.work(), |blk, gin_blk| {
        for (q, gx) in gin_blk.chunks_mut(in_plane).enumerate() {
            let gp = &gy[(blk * ppb + q) * out_plane..][..out_plane];
            for y in 0..d.output.0 {
                for xo in 0..d.output.1 {
                    let g = gp[y * d.output.1 + xo] * scale;
                    let (rows, cols) = d.window(y, xo);
                    for r in rows {
                        gx[r * w + cols.start..r * w + cols.end]
                            .iter_mut()
                            .for_each(|v| *v += g);
                    }
                }
            }
        }
    });
    Tensor::from_vec(grad_in, input_shape)
}

/// Global max pooling: the maximum of each `H × W` plane, as `[N, C, 1, 1]`,
/// with its position for [`max_pool2d_backward`].
///
/// ```
/// use synann_tensor::conv::global_max_pool2d;
/// use synann_tensor::Tensor;
/// let x = Tensor::from_vec(vec![1.0f32, 7.0, 2.0, 0.0, 3.0, 8.0], &[1, 2, 1, 3]);
/// let r = global_max_pool2d(&x);
/// assert_eq!((r.output.shape(), r.output.data()), (&[1, 2, 1, 1][..], &[7.0, 8.0][..]));
/// assert_eq!(r.indices, vec![1, 2]);
/// ```
pub fn global_max_pool2d<T: Float>(input: &Tensor<T>) -> MaxPool2dOutput<T> {
    let s = input.shape();
    assert!(
        s.len() == 4,
        "global_max_pool2d: input {s:?} is not [N, C, H, W]"
    );
    let plane = s[2] * s[3];
    assert!(
        plane > 0,
        "global_max_pool2d: input {s:?} has empty planes (no maximum)"
    );
    let planes = s[0] * s[1];
    let mut output = vec![T::NEG_INFINITY; planes];
    let mut indices = vec![0usize; planes];
    let x = input.data();
    let per_block = planes.div_ceil(2 * num_threads()).max(1);
    for_each_block_pair(
        &mut output,
        per_block,
        &mut indices,
        per_block,
        input.numel(),
        |blk, vals, idx| {
            let planes = x[blk * per_block * plane..].chunks_exact(plane);
            for ((v, i), p) in vals.iter_mut().zip(idx.iter_mut()).zip(planes) {
                (*v, *i) = plane_max(p);
            }
        },
    );
    MaxPool2dOutput {
        output: Tensor::from_vec(output, &[s[0], s[1], 1, 1]),
        indices,
    }
}

/// The maximum of a (non-empty) plane and where a row-major scan finds it
/// ([`beats`]: the first of equal maxima, the first NaN): the maximum in
/// one pass, then its first position in another, both plain loops over
/// the slice (as [`max_pool2d`] with the whole plane as its window, which
/// visits the plane a tap at a time).
pub(super) fn plane_max<T: Float>(plane: &[T]) -> (T, usize) {
    let best = plane
        .iter()
        .fold(T::NEG_INFINITY, |b, &v| if beats(v, b) { v } else { b });
    let at = plane
        .iter()
        .position(|&v| v == best || (v.is_nan() && best.is_nan()))
        .unwrap_or(0);
    (best, at)
}

/// Global average pooling: the mean of each `H × W` plane, as `[N, C, 1, 1]`.
///
/// ```
/// use synann_tensor::conv::global_avg_pool2d;
/// use synann_tensor::Tensor;
/// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 6.0], &[1, 1, 2, 2]);
/// assert_eq!(global_avg_pool2d(&x).data(), &[3.0]);
/// ```
pub fn global_avg_pool2d<T: Float>(input: &Tensor<T>) -> Tensor<T> {
    let s = input.shape();
    assert!(
        s.len() == 4,
        "global_avg_pool2d: input {s:?} is not [N, C, H, W]"
    );
    avg_pool2d(input, (s[2], s[3]), (1, 1), (0, 0))
}

/// dL/d(input) of [`global_avg_pool2d`]: `dY / (H·W)` spread over each plane.
///
/// ```
/// use synann_tensor::conv::global_avg_pool2d_backward;
/// use synann_tensor::Tensor;
/// let g = global_avg_pool2d_backward(&Tensor::<f32>::full(&[1, 1, 1, 1], 4.0), &[1, 1, 2, 2]);
/// assert_eq!(g.data(), &[1.0; 4]);
/// ```
pub fn global_avg_pool2d_backward<T: Float>(
    grad_output: &Tensor<T>,
    input_shape: &[usize],
) -> Tensor<T> {
    assert!(
        input_shape.len() == 4,
        "global_avg_pool2d_backward: input {input_shape:?} is not [N, C, H, W]"
    );
    let (h, w) = (input_shape[2], input_shape[3]);
    avg_pool2d_backward(grad_output, input_shape, (h, w), (1, 1), (0, 0))
}
