//! conv2d: forward and the three backward kernels, by im2col + GEMM.
//!
//! For one sample and one group (`groups` = 1 shown; with groups each block
//! of channels does the same with its block of the weight), with `X` the
//! input `[C, H, W]`, `W` the weight `[O, C·kh·kw]` and `col = im2col(X)`
//! (`[C·kh·kw, P]`, `P = oh·ow`, see [`im2col`]):
//!
//! ```text
//! forward   Y[O, P]        = W · col + b            (b broadcast over P)
//! input     dX             = col2im(Wᵀ · dY)         (dY = dL/dY, [O, P])
//! weight    dW[O, C·kh·kw] = Σ_samples dY · colᵀ
//! bias      db[O]          = Σ_samples Σ_P dY
//! ```
//!
//! A pointwise convolution (1×1 kernel, stride 1, no padding) needs no
//! im2col at all: `col` *is* `X` seen as `[C, H·W]`, so the GEMMs read the
//! input in place ([`Dims::pointwise`]).
//!
//! Batching: a GEMM per sample would be small (conv2 of the seed network is
//! `[20, 250] · [250, 64]`), so the per-call overheads of packing and of
//! reading and writing C would dominate. The samples are therefore taken a
//! chunk at a time: their column matrices sit side by side in one
//! `[C·kh·kw, S·P]` buffer (about `COL_TARGET` elements, to stay in L2),
//! the matching rows of `dY` are gathered next to each other, and each pass
//! is one GEMM per chunk and group.
//!
//! In f32 on AVX-512, where the GEMM without packing serves the product,
//! the weight gradient writes the patches as rows (`patch_rows_avx512`)
//! and multiplies dY by them directly, instead of packing im2col's
//! transpose.
//!
//! The im2col copy plan (which pixels each kernel tap reads, see
//! `ConvGeometry::taps`) depends only on the geometry: it is worked out
//! once per call, not once per image. The weight gradient of a layer with
//! few output channels and long rows goes through [`gemm_abt`] (dot
//! products of rows read in place) instead of the packing GEMM; see
//! [`ROW_DOT_MAX_OUT`].
//!
//! First layers (one group, stride 1, no padding or dilation, at most
//! [`first_layer_avx512::MAX_TAPS`] input taps per output) in f32 on a CPU
//! with AVX-512 skip im2col altogether: see [`first_layer_avx512`] for the
//! direct-convolution kernels of the forward and the weight gradient.
//! With stride 1 and no padding, f32 on AVX-512 also reads the im2col
//! matrix in place where the narrow GEMM serves the product (the forward
//! of a layer with few output channels), and col2im sums a pixel row at a
//! time ([`in_place_avx512`]).
//!
//! Large kernels on small images in f32 (the seed Keras network's 7×7
//! convolution of 20×20 images) go through the frequency domain instead,
//! where the sum over the kernel's taps is one product per frequency:
//! see [`spectral`], which [`Dims::spectral`] chooses by the count of
//! multiply-adds.
//!
//! Parallelism: the batch is cut into a few blocks of samples, one rayon task
//! each ([`crate::parallel`]); a task owns its scratch buffers, reused for all
//! its chunks, and calls the single-threaded [`gemm_serial`]. The weight
//! gradient is accumulated per block and the blocks' sums added in order, so
//! results do not depend on thread timing.

use super::im2col::{col2im_ld, im2col_ld, ConvGeometry, Tap};
use super::params::Conv2dParams;
#[cfg(target_arch = "x86_64")]
use super::pool::PlanePooler;
use super::pool::{plane_max, MaxPool2dOutput};
use super::spectral;
#[cfg(target_arch = "x86_64")]
use super::{first_layer_avx512, in_place_avx512, patch_rows_avx512};
use crate::element::Float;
#[cfg(target_arch = "x86_64")]
use crate::linalg::strips_avx512::{gemm_gathered, Gathered, Output};
use crate::linalg::{gemm_abt, gemm_serial, MatRef, Rows};
use crate::parallel::{filled, for_each_block, for_each_block_pair, map_range, num_threads};
use crate::tensor::Tensor;
use std::ops::Range;

/// Target size, in elements, of the column matrix of one chunk of samples
/// (128 KiB of f32: measured at the seed shapes, 2¹³ to 2¹⁷ are within a few
/// per cent of each other, 2¹⁸ is slower).
const COL_TARGET: usize = 1 << 15;

/// When the weight gradient is computed as dot products of rows
/// ([`gemm_abt`]) rather than by the packing GEMM: for fewer output channels
/// (per group) than `ROW_DOT_MAX_OUT` and at least `ROW_DOT_MIN` pixels per
/// chunk. The packing GEMM copies both operands, across their rows, into
/// panels of 16 rows; with few channels that copy costs more than the
/// products, while the row-dot kernel reads rows in place but multiplies
/// at about half the speed. Measured at the seed network's shapes, before
/// the first-layer kernels existed: conv1 (10 channels, 1152 pixels)
/// gained about a third, conv2 (20 channels, 128 or 512 pixels) lost. In
/// f32 on AVX-512 conv1 now takes the first-layer kernels
/// ([`first_layer_avx512`]); this path serves such layers in f64, on other
/// CPUs, and with more than [`first_layer_avx512::MAX_TAPS`] taps.
const ROW_DOT_MAX_OUT: usize = 16;
/// See [`ROW_DOT_MAX_OUT`].
const ROW_DOT_MIN: usize = 512;

/// The shortest run of consecutive inputs (output row or kernel row) for
/// which the GEMM reads the im2col matrix in place: a strip of 16 columns
/// is then at most three runs, one masked load each (with shorter runs,
/// the loads outnumber the multiply-adds they feed, and writing the matrix
/// out costs less).
#[cfg(target_arch = "x86_64")]
const MIN_RUN: usize = 8;

/// Elements after the column matrix in its scratch buffer (see
/// `patch_rows_avx512`).
#[cfg(target_arch = "x86_64")]
const COL_SLACK: usize = patch_rows_avx512::SLACK;
#[cfg(not(target_arch = "x86_64"))]
const COL_SLACK: usize = 0;

/// Sizes of one conv2d call, checked once.
struct Dims {
    n: usize,
    c: usize,
    o: usize,
    groups: usize,
    /// Geometry of one group of one sample.
    geom: ConvGeometry,
    /// Whether the convolution is pointwise (1×1 kernel, stride 1, no
    /// padding): the input is its own column matrix, so no im2col.
    pointwise: bool,
    /// The im2col copy plan of one image, shared by all of them.
    taps: Vec<Tap>,
    /// Where the im2col matrix can be read in place (`in_place_avx512`),
    /// the offsets that read it.
    #[cfg(target_arch = "x86_64")]
    in_place: Option<InPlace>,
}

/// The offsets of [`in_place_avx512`] for one conv2d call: the taps', and
/// the pixels' of the largest chunk of samples (a shorter chunk's are their
/// first ones).
#[cfg(target_arch = "x86_64")]
struct InPlace {
    taps: Vec<usize>,
    pixels: Vec<usize>,
}

/// Which matrix of a chunk's patches a GEMM reads in place.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
enum Patches {
    /// im2col's `[C/g·kh·kw, S·P]`, a row per tap (the forward's).
    TapRows,
    /// Its transpose `[S·P, C/g·kh·kw]`, a row per pixel (the weight
    /// gradient's).
    PixelRows,
}

impl Dims {
    fn new(op: &str, input: &[usize], weight: &[usize], p: &Conv2dParams) -> Self {
        let fail = |why: &str| -> ! {
            panic!("{op}: input {input:?} and weight {weight:?} ([out, in/groups, kh, kw]) {why} (groups {})", p.groups)
        };
        if input.len() != 4 || weight.len() != 4 {
            fail("must both be 4-d");
        }
        let (n, c, h, w) = (input[0], input[1], input[2], input[3]);
        let (o, cg, kh, kw) = (weight[0], weight[1], weight[2], weight[3]);
        if p.groups == 0 || c % p.groups != 0 || o % p.groups != 0 {
            fail("have channels not divisible by groups");
        }
        if cg != c / p.groups {
            fail("disagree on input channels");
        }
        let geom = ConvGeometry::new(cg, (h, w), (kh, kw), p);
        let pointwise = (kh, kw) == (1, 1) && p.stride == (1, 1) && p.padding == (0, 0);
        #[allow(unused_mut)] // (mutated on x86-64 only)
        let mut d = Dims {
            n,
            c,
            o,
            groups: p.groups,
            geom,
            pointwise,
            taps: if pointwise { Vec::new() } else { geom.taps() },
            #[cfg(target_arch = "x86_64")]
            in_place: None,
        };
        #[cfg(target_arch = "x86_64")]
        if !pointwise && in_place_avx512::applies(&geom) {
            d.in_place = Some(InPlace {
                taps: in_place_avx512::tap_offsets(&geom),
                pixels: in_place_avx512::pixel_offsets(&geom, d.chunk(), d.in_len()),
            });
        }
        d
    }

    /// C = A · (the patches of group `g` of the samples `chunk` of `x`, as
    /// `layout`), or C + that for `Output::Accumulate`, read in place
    /// (`in_place_avx512`), and `true`; or `false`, with `c` untouched,
    /// where that does not serve: elements other than f32, a geometry
    /// `in_place_avx512` does not read, or an A too wide for the narrow
    /// GEMM.
    #[cfg(target_arch = "x86_64")]
    #[allow(clippy::too_many_arguments)]
    fn gemm_in_place<T: Float>(
        &self,
        a: MatRef<'_, T>,
        x: &[T],
        chunk: Range<usize>,
        g: usize,
        layout: Patches,
        c: &mut [T],
        out: Output,
    ) -> bool {
        let Some(offsets) = &self.in_place else {
            return false;
        };
        let (Some(ad), Some(x), Some(c)) = (
            T::as_f32_slice(a.data),
            T::as_f32_slice(x),
            T::as_f32_slice_mut(c),
        ) else {
            return false;
        };
        // The runs of consecutive inputs a strip of 16 columns is made of:
        // output rows (the forward) or kernel rows (the weight gradient).
        let run = match layout {
            Patches::TapRows => self.geom.output.1,
            Patches::PixelRows => self.geom.kernel.1,
        };
        if run < MIN_RUN || !crate::linalg::strips_avx512::narrow(a.rows, a.cols) {
            return false;
        }
        let pixels = &offsets.pixels[..chunk.len() * self.geom.col_cols()];
        let (row_at, col_at) = match layout {
            Patches::TapRows => (&offsets.taps[..], pixels),
            Patches::PixelRows => (pixels, &offsets.taps[..]),
        };
        let data = &x[chunk.start * self.in_len() + g * self.geom.image_len()..];
        let b = Gathered {
            data,
            row_at,
            col_at,
        };
        gemm_gathered(1.0, a.with_data(ad), b, c, out);
        true
    }

    /// Whether the spectral path ([`spectral`]) serves this call on the
    /// operands `a` and `b`: allowed
    /// ([`set_conv2d_algorithms`](super::set_conv2d_algorithms)), f32
    /// elements (f64 keeps the direct sums, the reference), a geometry
    /// where it saves enough, and finite operands ([`all_finite`]).
    fn spectral<T: Float>(&self, a: &[T], b: &[T]) -> bool {
        super::conv2d_algorithms() == super::Conv2dAlgorithms::Any
            && T::as_f32_slice(&[] as &[T]).is_some()
            && spectral::worth_it(&self.geom, self.groups, (self.n, self.o))
            && all_finite(a)
            && all_finite(b)
    }

    /// Whether the first-layer kernels ([`first_layer_avx512`]) serve this
    /// geometry on this CPU (they do when the elements are f32: see
    /// [`Float::as_f32_slice`]).
    #[cfg(target_arch = "x86_64")]
    fn first_layer_avx512(&self) -> bool {
        first_layer_avx512::applies(&self.geom, self.groups)
    }

    fn out_shape(&self) -> [usize; 4] {
        [self.n, self.o, self.geom.output.0, self.geom.output.1]
    }

    /// Elements of one input sample.
    fn in_len(&self) -> usize {
        self.c * self.geom.input.0 * self.geom.input.1
    }

    /// Elements of one output sample.
    fn out_len(&self) -> usize {
        self.o * self.geom.col_cols()
    }

    /// Output channels per group.
    fn og(&self) -> usize {
        self.o / self.groups
    }

    /// Scalar multiply–adds of one GEMM pass over the whole batch.
    fn work(&self) -> usize {
        self.n * self.out_len() * self.geom.col_rows()
    }

    /// Samples per parallel block: two blocks per thread, so one slow
    /// thread does not hold the others up for long.
    fn samples_per_block(&self) -> usize {
        self.n.div_ceil(2 * num_threads()).max(1)
    }

    /// Samples per GEMM (1 on the pointwise path, which reads the input in
    /// place).
    fn chunk(&self) -> usize {
        if self.pointwise {
            return 1;
        }
        let per_sample = self.geom.col_rows() * self.geom.col_cols();
        (COL_TARGET / per_sample.max(1)).clamp(1, self.samples_per_block())
    }

    /// The chunks of samples inside `samples`.
    fn chunks(&self, samples: Range<usize>) -> impl Iterator<Item = Range<usize>> {
        let step = self.chunk();
        samples
            .clone()
            .step_by(step)
            .map(move |s| s..(s + step).min(samples.end))
    }

    /// Scratch for one task: the column matrix and one `[O/g, S·P]` block.
    fn scratch<T: Float>(&self) -> (Vec<T>, Vec<T>) {
        let cols = self.chunk() * self.geom.col_cols();
        let col = if self.pointwise {
            0
        } else {
            // (With room after the matrix for `patch_rows`' last copy.)
            self.geom.col_rows() * cols + COL_SLACK
        };
        (vec![T::ZERO; col], vec![T::ZERO; self.og() * cols])
    }

    /// The `[C/g·kh·kw, S·P]` matrix of group `g` of the samples `chunk` of
    /// `x`: the input itself on the pointwise path, else im2col into `col`.
    fn patches<'a, T: Float>(
        &self,
        x: &'a [T],
        chunk: Range<usize>,
        g: usize,
        col: &'a mut [T],
    ) -> MatRef<'a, T> {
        let (img, k, p) = (
            self.geom.image_len(),
            self.geom.col_rows(),
            self.geom.col_cols(),
        );
        let image = |i: usize| &x[i * self.in_len() + g * img..][..img];
        let ld = chunk.len() * p;
        if self.pointwise {
            return MatRef::row_major(image(chunk.start), k, p);
        }
        for (s, i) in chunk.enumerate() {
            im2col_ld(&self.geom, &self.taps, image(i), &mut col[s * p..], ld);
        }
        MatRef::row_major(&col[..k * ld], k, ld)
    }

    /// Writes the patches of group `g` of the samples `chunk` of `x` as the
    /// rows of `col` (`[S·P, C/g·kh·kw]`, see `patch_rows_avx512`) and
    /// returns `true`, where that serves the weight gradient: f32, AVX-512,
    /// the geometry `patch_rows_avx512` copies, and an output gradient of
    /// `ld` columns narrow enough for the GEMM without packing. Else
    /// `false`, with `col` untouched.
    #[cfg(target_arch = "x86_64")]
    fn patch_rows<T: Float>(
        &self,
        x: &[T],
        chunk: Range<usize>,
        g: usize,
        col: &mut [T],
        ld: usize,
    ) -> bool {
        let og = self.og();
        let (Some(x), Some(col)) = (T::as_f32_slice(x), T::as_f32_slice_mut(col)) else {
            return false;
        };
        if self.pointwise
            || !crate::linalg::strips_avx512::narrow(og, ld)
            || !patch_rows_avx512::applies(&self.geom)
        {
            return false;
        }
        let (img, rows) = (
            self.geom.image_len(),
            self.geom.col_rows() * self.geom.col_cols(),
        );
        for (s, i) in chunk.enumerate() {
            let image = &x[i * self.in_len() + g * img..][..img];
            patch_rows_avx512::patch_rows(&self.geom, image, &mut col[s * rows..]);
        }
        true
    }

    /// Group `g` of the weight as a `[O/g, C/g·kh·kw]` matrix.
    fn weight<'a, T>(&self, w: &'a [T], g: usize) -> MatRef<'a, T> {
        let (og, k) = (self.og(), self.geom.col_rows());
        MatRef::row_major(&w[g * og * k..(g + 1) * og * k], og, k)
    }

    /// Group `g`'s rows of the `[N, O, P]` tensor `y` for the samples
    /// `chunk`, side by side as `[O/g, S·P]`: in place for one sample,
    /// else gathered into `buf`.
    fn rows<'a, T: Float>(
        &self,
        y: &'a [T],
        chunk: Range<usize>,
        g: usize,
        buf: &'a mut [T],
    ) -> MatRef<'a, T> {
        let (og, p) = (self.og(), self.geom.col_cols());
        let ld = chunk.len() * p;
        let src = |i: usize| &y[i * self.out_len() + g * og * p..][..og * p];
        if chunk.len() == 1 {
            return MatRef::row_major(src(chunk.start), og, p);
        }
        for (s, i) in chunk.enumerate() {
            for (o, row) in src(i).chunks_exact(p).enumerate() {
                buf[o * ld + s * p..][..p].copy_from_slice(row);
            }
        }
        MatRef::row_major(&buf[..og * ld], og, ld)
    }
}

/// Whether every value is finite. The spectral path mixes every input of a
/// sample into every output of it (every weight, for the weight
/// gradient), so a NaN or an infinity anywhere would make all of them NaN;
/// it takes finite operands only, and the direct sums keep a non-finite
/// value's effect to the windows that read it. (A branch-free fold per
/// block, so the scan vectorises.)
fn all_finite<T: Float>(v: &[T]) -> bool {
    v.chunks(1024)
        .all(|block| block.iter().fold(true, |ok, x| ok & x.is_finite()))
}

/// A row-major [`MatRef`] as the [`Rows`] that [`gemm_abt`] reads.
fn row_major<T>(m: MatRef<'_, T>) -> Rows<'_, T> {
    assert_eq!(
        m.col_stride, 1,
        "row_major: a matrix with column stride {}",
        m.col_stride
    );
    Rows {
        data: m.data,
        rows: m.rows,
        cols: m.cols,
        stride: m.row_stride,
    }
}

/// Panics (naming `op` and both shapes) unless `bias` is absent or `[o]`.
fn check_bias<T: Float>(op: &str, bias: Option<&Tensor<T>>, weight: &Tensor<T>, o: usize) {
    if let Some(b) = bias {
        assert_eq!(
            b.shape(),
            &[o],
            "{op}: bias {:?} does not match weight {:?}",
            b.shape(),
            weight.shape()
        );
    }
}

fn check_grad_output(op: &str, d: &Dims, grad_output: &[usize]) {
    assert_eq!(
        grad_output,
        d.out_shape(),
        "{op}: grad_output {grad_output:?} does not match the output shape {:?}",
        d.out_shape()
    );
}

/// 2-d convolution (PyTorch's `F.conv2d`, a cross-correlation) of `input`
/// `[N, C, H, W]` with `weight` `[O, C/groups, kh, kw]` and an optional
/// `bias` `[O]`, giving `[N, O, oh, ow]` (see [`Conv2dParams::output_size`]).
///
/// Panics, naming the shapes, if they do not fit together.
///
/// ```
/// use synann_tensor::conv::{conv2d, Conv2dParams};
/// use synann_tensor::Tensor;
/// let x = Tensor::from_vec((0..16).map(|v| v as f32).collect(), &[1, 1, 4, 4]);
/// let w = Tensor::ones(&[1, 1, 2, 2]);
/// let y = conv2d(&x, &w, None, &Conv2dParams { stride: (2, 2), ..Default::default() });
/// assert_eq!(y.shape(), &[1, 1, 2, 2]);
/// assert_eq!(y.data(), &[10.0, 18.0, 42.0, 50.0]); // sums of the 2×2 blocks
/// ```
pub fn conv2d<T: Float>(
    input: &Tensor<T>,
    weight: &Tensor<T>,
    bias: Option<&Tensor<T>>,
    params: &Conv2dParams,
) -> Tensor<T> {
    let d = Dims::new("conv2d", input.shape(), weight.shape(), params);
    check_bias("conv2d", bias, weight, d.o);
    let (x, w) = (input.data(), weight.data());
    if d.spectral(x, w) {
        let b = bias.map(|b| b.data());
        let out = spectral::forward(&d.geom, (d.n, d.o), x, w, b);
        return Tensor::from_vec(out, &d.out_shape());
    }
    let (out_len, p, og) = (d.out_len(), d.geom.col_cols(), d.og());
    let spb = d.samples_per_block();
    let mut out = filled(d.n * out_len, T::ZERO, spb * out_len, d.work());
    #[cfg(target_arch = "x86_64")]
    if d.first_layer_avx512() {
        if let (Some(x), Some(w), Some(out_f32)) = (
            T::as_f32_slice(x),
            T::as_f32_slice(w),
            T::as_f32_slice_mut(&mut out),
        ) {
            // The elements are f32, so the bias (if any) casts too.
            let b = bias.and_then(|b| T::as_f32_slice(b.data()));
            let in_len = d.in_len();
            for_each_block(out_f32, spb * out_len, d.work(), |blk, out_blk| {
                let first = blk * spb;
                let x_blk = &x[first * in_len..(first + out_blk.len() / out_len) * in_len];
                first_layer_avx512::forward(&d.geom, x_blk, w, b, out_blk);
            });
            return Tensor::from_vec(out, &d.out_shape());
        }
    }
    for_each_block(&mut out, spb * out_len, d.work(), |blk, out_blk| {
        let first = blk * spb;
        let samples = first..first + out_blk.len() / out_len;
        let bias_of = |g: usize, o: usize| bias.map_or(T::ZERO, |b| b.data()[g * og + o]);
        #[cfg(target_arch = "x86_64")]
        if d.in_place.is_some() {
            // Y_g[O/g, P] = W_g · col, the columns read in place, straight
            // into each sample's output; then the bias. (Whether this
            // serves does not depend on the sample: if the first one is
            // refused, nothing has been written.)
            let mut served = true;
            'samples: for i in samples.clone() {
                let dst = &mut out_blk[(i - first) * out_len..][..out_len];
                for (g, y_g) in dst.chunks_exact_mut(og * p).enumerate() {
                    served = d.gemm_in_place(
                        d.weight(w, g),
                        x,
                        i..i + 1,
                        g,
                        Patches::TapRows,
                        y_g,
                        Output::Overwrite,
                    );
                    if !served {
                        break 'samples;
                    }
                    for (o, row) in y_g.chunks_exact_mut(p).enumerate() {
                        let b = bias_of(g, o);
                        row.iter_mut().for_each(|r| *r += b);
                    }
                }
            }
            if served {
                return;
            }
        }
        let (mut col, mut y) = d.scratch();
        for chunk in d.chunks(samples) {
            let ld = chunk.len() * p;
            for g in 0..d.groups {
                // Y_g[O/g, S·P] = W_g · col, then each sample's rows to its place.
                let cols = d.patches(x, chunk.clone(), g, &mut col);
                gemm_serial(T::ONE, d.weight(w, g), cols, T::ZERO, &mut y[..og * ld]);
                for (s, i) in chunk.clone().enumerate() {
                    let dst = &mut out_blk[(i - first) * out_len + g * og * p..][..og * p];
                    for (o, row) in dst.chunks_exact_mut(p).enumerate() {
                        let b = bias_of(g, o);
                        let src = &y[o * ld + s * p..][..p];
                        row.iter_mut().zip(src).for_each(|(r, &v)| *r = v + b);
                    }
                }
            }
        }
    });
    Tensor::from_vec(out, &d.out_shape())
}

/// [`conv2d`] then [`global_max_pool2d`](super::global_max_pool2d) where
/// conv2d takes the spectral path (see [`spectral`]): each chunk of output
/// channels the path makes is pooled at once, so the convolution's output
/// never exists whole. The same bits as the two calls (the same chunks,
/// the bias added as conv2d adds it, the same maximum per plane). `None`
/// where that path does not serve the call.
pub(super) fn spectral_global_max_pooled<T: Float>(
    input: &Tensor<T>,
    weight: &Tensor<T>,
    bias: Option<&Tensor<T>>,
    params: &Conv2dParams,
) -> Option<MaxPool2dOutput<T>> {
    let op = "conv2d_global_max_pool2d";
    let d = Dims::new(op, input.shape(), weight.shape(), params);
    check_bias(op, bias, weight, d.o);
    let (x, w) = (input.data(), weight.data());
    if !d.spectral(x, w) {
        return None;
    }
    let plane = d.geom.col_cols();
    let (mut vals, mut indices) = (vec![T::ZERO; d.n * d.o], vec![0usize; d.n * d.o]);
    spectral::forward_chunks(&d.geom, (d.n, d.o), x, w, |channels, part| {
        let oc = channels.len();
        let bias = bias.map(|b| &b.data()[channels.clone()]);
        // Each sample's planes of the chunk in parallel: the bias added
        // value by value as conv2d adds it, then each plane's maximum as
        // global_max_pool2d finds it. (Adding the bias to the maximum
        // instead would give the same value, but two values that round to
        // the same sum could then pick another winner.)
        let maxima = map_range(d.n, part.len(), |s| {
            let planes = part[s * oc * plane..][..oc * plane].chunks_exact(plane);
            let mut scratch = vec![T::ZERO; plane];
            let mut row = Vec::with_capacity(oc);
            for (k, p) in planes.enumerate() {
                row.push(match bias {
                    Some(b) => {
                        scratch.iter_mut().zip(p).for_each(|(z, &y)| *z = y + b[k]);
                        plane_max(&scratch)
                    }
                    None => plane_max(p),
                });
            }
            row
        });
        for (s, row) in maxima.into_iter().enumerate() {
            for (k, (v, i)) in row.into_iter().enumerate() {
                let at = s * d.o + channels.start + k;
                vals[at] = v;
                indices[at] = i;
            }
        }
    });
    Some(MaxPool2dOutput {
        output: Tensor::from_vec(vals, &[d.n, d.o, 1, 1]),
        indices,
    })
}

/// [`conv2d`] then [`max_pool2d`](super::max_pool2d) with the window
/// `(kernel, stride, padding)`, where the first-layer kernels serve the
/// convolution (f32 on AVX-512, see [`first_layer_avx512`]): each output
/// plane is pooled as soon as it is made, while it is in cache, so the
/// convolution's output never exists whole. The same bits as the two calls
/// (the same kernels, plane for plane). `None` where that path does not
/// serve the call.
#[cfg(target_arch = "x86_64")]
pub(super) fn first_layer_max_pooled<T: Float>(
    input: &Tensor<T>,
    weight: &Tensor<T>,
    bias: Option<&Tensor<T>>,
    params: &Conv2dParams,
    (kernel, stride, padding): ((usize, usize), (usize, usize), (usize, usize)),
) -> Option<MaxPool2dOutput<T>> {
    let op = "conv2d_max_pool2d";
    let d = Dims::new(op, input.shape(), weight.shape(), params);
    check_bias(op, bias, weight, d.o);
    if d.spectral(input.data(), weight.data()) {
        return None; // conv2d takes another path.
    }
    let (x, w) = (
        T::as_f32_slice(input.data())?,
        T::as_f32_slice(weight.data())?,
    );
    let b = bias.and_then(|b| T::as_f32_slice(b.data()));
    if !d.first_layer_avx512() {
        return None;
    }
    let new_pooler = || PlanePooler::new(op, d.geom.output, kernel, stride, padding);
    let (oh, ow) = new_pooler().output();
    let (pooled, spb, in_len) = (d.o * oh * ow, d.samples_per_block(), d.in_len());
    let mut vals = filled(d.n * pooled, T::ZERO, spb * pooled, d.work());
    let mut indices = filled(d.n * pooled, 0usize, spb * pooled, d.work());
    let blk_len = spb * pooled;
    for_each_block_pair(
        &mut vals,
        blk_len,
        &mut indices,
        blk_len,
        d.work(),
        |blk, v, idx| {
            let samples = v.len() / pooled;
            let x_blk = &x[blk * spb * in_len..][..samples * in_len];
            let v = T::as_f32_slice_mut(v).expect("the elements are f32");
            let mut pooler = new_pooler();
            first_layer_avx512::forward_planes(&d.geom, (x_blk, w, b), samples, |s, r, plane| {
                let at = (s * d.o + r) * oh * ow..(s * d.o + r + 1) * oh * ow;
                pooler.pool(plane, &mut v[at.clone()], &mut idx[at]);
            });
        },
    );
    Some(MaxPool2dOutput {
        output: Tensor::from_vec(vals, &[d.n, d.o, oh, ow]),
        indices,
    })
}

/// dL/d(input) of [`conv2d`]: `col2im(Wᵀ · dY)` per sample and group.
/// `input_shape` is the forward input's shape `[N, C, H, W]`.
///
/// ```
/// use synann_tensor::conv::{conv2d_backward_input, Conv2dParams};
/// use synann_tensor::Tensor;
/// // A 2×2 all-ones kernel over a 3×3 image: each input pixel's gradient
/// // counts the windows it falls in.
/// let g = conv2d_backward_input(&Tensor::<f32>::ones(&[1, 1, 2, 2]), &Tensor::ones(&[1, 1, 2, 2]), &[1, 1, 3, 3], &Conv2dParams::default());
/// assert_eq!(g.data(), &[1.0, 2.0, 1.0, 2.0, 4.0, 2.0, 1.0, 2.0, 1.0]);
/// ```
pub fn conv2d_backward_input<T: Float>(
    grad_output: &Tensor<T>,
    weight: &Tensor<T>,
    input_shape: &[usize],
    params: &Conv2dParams,
) -> Tensor<T> {
    let op = "conv2d_backward_input";
    let d = Dims::new(op, input_shape, weight.shape(), params);
    check_grad_output(op, &d, grad_output.shape());
    let (gy, w) = (grad_output.data(), weight.data());
    if d.spectral(gy, w) {
        let grad_in = spectral::backward_input(&d.geom, (d.n, d.o), gy, w);
        return Tensor::from_vec(grad_in, input_shape);
    }
    let (in_len, img, p) = (d.in_len(), d.geom.image_len(), d.geom.col_cols());
    let spb = d.samples_per_block();
    let mut grad_in = filled(d.n * in_len, T::ZERO, spb * in_len, d.work());
    for_each_block(&mut grad_in, spb * in_len, d.work(), |blk, gin_blk| {
        let (mut col, mut buf) = d.scratch();
        let first = blk * spb;
        for chunk in d.chunks(first..first + gin_blk.len() / in_len) {
            let ld = chunk.len() * p;
            for g in 0..d.groups {
                let dy = d.rows(gy, chunk.clone(), g, &mut buf);
                let wt = d.weight(w, g).t();
                let image = |i: usize| (i - first) * in_len + g * img;
                if d.pointwise {
                    // dX_g = W_gᵀ · dY_g straight into the gradient.
                    let gx = &mut gin_blk[image(chunk.start)..][..img];
                    gemm_serial(T::ONE, wt, dy, T::ZERO, gx);
                    continue;
                }
                // col = W_gᵀ · dY_g, then each sample's columns back onto its image.
                gemm_serial(T::ONE, wt, dy, T::ZERO, &mut col[..wt.rows * ld]);
                for (s, i) in chunk.clone().enumerate() {
                    let gx = &mut gin_blk[image(i)..][..img];
                    #[cfg(target_arch = "x86_64")]
                    if d.in_place.is_some() {
                        if let (Some(col), Some(gx)) =
                            (T::as_f32_slice(&col), T::as_f32_slice_mut(gx))
                        {
                            // The image is still zero: written, not added to.
                            in_place_avx512::col2im_rows(&d.geom, col, ld, s, gx);
                            continue;
                        }
                    }
                    col2im_ld(&d.geom, &d.taps, &col[s * p..], gx, ld);
                }
            }
        }
    });
    Tensor::from_vec(grad_in, input_shape)
}

/// dL/d(weight) of [`conv2d`]: `Σ_samples dY · im2col(X)ᵀ` per group.
/// `weight_shape` is `[O, C/groups, kh, kw]`.
///
/// ```
/// use synann_tensor::conv::{conv2d_backward_weight, Conv2dParams};
/// use synann_tensor::Tensor;
/// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[1, 1, 2, 2]);
/// // A 1×1 kernel: its gradient is Σ x · dy.
/// let g = conv2d_backward_weight(&Tensor::ones(&[1, 1, 2, 2]), &x, &[1, 1, 1, 1], &Conv2dParams::default());
/// assert_eq!(g.data(), &[10.0]);
/// ```
pub fn conv2d_backward_weight<T: Float>(
    grad_output: &Tensor<T>,
    input: &Tensor<T>,
    weight_shape: &[usize],
    params: &Conv2dParams,
) -> Tensor<T> {
    let op = "conv2d_backward_weight";
    let d = Dims::new(op, input.shape(), weight_shape, params);
    check_grad_output(op, &d, grad_output.shape());
    let (gy, x) = (grad_output.data(), input.data());
    if d.spectral(gy, x) {
        let gw = spectral::backward_weight(&d.geom, (d.n, d.o), gy, x);
        return Tensor::from_vec(gw, weight_shape);
    }
    let (og, k) = (d.og(), d.geom.col_rows());
    let spb = d.samples_per_block();
    #[cfg(target_arch = "x86_64")]
    if d.first_layer_avx512() {
        let mut gw = vec![T::ZERO; d.o * k];
        if let (Some(gy), Some(x), Some(total)) = (
            T::as_f32_slice(gy),
            T::as_f32_slice(x),
            T::as_f32_slice_mut(&mut gw),
        ) {
            let (in_len, out_len) = (d.in_len(), d.out_len());
            let partials = map_range(d.n.div_ceil(spb), d.work(), |blk| {
                let samples = blk * spb..((blk + 1) * spb).min(d.n);
                let mut gw = vec![0.0f32; d.o * k];
                let gy_blk = &gy[samples.start * out_len..samples.end * out_len];
                let x_blk = &x[samples.start * in_len..samples.end * in_len];
                first_layer_avx512::weight_grad(&d.geom, gy_blk, x_blk, &mut gw);
                gw
            });
            for part in partials {
                total.iter_mut().zip(&part).for_each(|(a, &b)| *a += b);
            }
            return Tensor::from_vec(gw, weight_shape);
        }
    }
    // One partial gradient per block of samples, summed in block order.
    let partials = map_range(d.n.div_ceil(spb), d.work(), |blk| {
        let mut gw = vec![T::ZERO; d.o * k];
        let (mut col, mut buf) = d.scratch();
        for chunk in d.chunks(blk * spb..((blk + 1) * spb).min(d.n)) {
            for g in 0..d.groups {
                // dW_g += dY_g · colᵀ, the chunk's samples summed inside the GEMM.
                let dy = d.rows(gy, chunk.clone(), g, &mut buf);
                let gw_g = &mut gw[g * og * k..(g + 1) * og * k];
                #[cfg(target_arch = "x86_64")]
                if d.patch_rows(x, chunk.clone(), g, &mut col, dy.cols) {
                    // dW_g += dY_g · (the patches as rows): no packing.
                    let cols_t = MatRef::row_major(&col[..dy.cols * k], dy.cols, k);
                    gemm_serial(T::ONE, dy, cols_t, T::ONE, gw_g);
                    continue;
                }
                // Else (wider kernel rows) the same rows read in place. (Where
                // both serve, the copy wins: a strip of 16 taps of a 5-wide
                // kernel is 4 or 5 pieces, a masked load each per pixel.)
                #[cfg(target_arch = "x86_64")]
                if d.gemm_in_place(
                    dy,
                    x,
                    chunk.clone(),
                    g,
                    Patches::PixelRows,
                    gw_g,
                    Output::Accumulate,
                ) {
                    continue;
                }
                let cols = d.patches(x, chunk.clone(), g, &mut col);
                if dy.rows < ROW_DOT_MAX_OUT && dy.cols >= ROW_DOT_MIN {
                    // Both are row-major with long rows (the chunk's
                    // pixels): dot products of rows, read in place.
                    gemm_abt(row_major(dy), row_major(cols), gw_g);
                } else {
                    gemm_serial(T::ONE, dy, cols.t(), T::ONE, gw_g);
                }
            }
        }
        gw
    });
    let mut total = partials.into_iter();
    let mut gw = total.next().unwrap_or_else(|| vec![T::ZERO; d.o * k]);
    for part in total {
        gw.iter_mut().zip(&part).for_each(|(a, &b)| *a += b);
    }
    Tensor::from_vec(gw, weight_shape)
}

/// dL/d(bias) of [`conv2d`]: `grad_output` `[N, O, oh, ow]` summed over
/// every axis but the channel, giving `[O]`.
///
/// ```
/// use synann_tensor::conv::conv2d_backward_bias;
/// use synann_tensor::Tensor;
/// let g = conv2d_backward_bias(&Tensor::<f32>::ones(&[2, 3, 4, 4]));
/// assert_eq!(g.data(), &[32.0, 32.0, 32.0]);
/// ```
pub fn conv2d_backward_bias<T: Float>(grad_output: &Tensor<T>) -> Tensor<T> {
    let s = grad_output.shape();
    assert_eq!(
        s.len(),
        4,
        "conv2d_backward_bias: grad_output {s:?} is not [N, O, oh, ow]"
    );
    let (n, o, p) = (s[0], s[1], s[2] * s[3]);
    // Each channel summed over the samples in order, as one thread would:
    // blocks of channels in parallel for a large gradient, with the same
    // bits for any thread count.
    let data = grad_output.data();
    let mut gb = vec![T::ZERO; o];
    let per_block = o.div_ceil(2 * num_threads()).max(1);
    for_each_block(&mut gb, per_block, data.len(), |blk, sums| {
        for (q, acc) in sums.iter_mut().enumerate() {
            let channel = blk * per_block + q;
            for s in 0..n {
                *acc += sum_lanes(&data[(s * o + channel) * p..][..p]);
            }
        }
    });
    Tensor::from_vec(gb, &[o])
}

/// Sum of a slice with eight independent accumulators, so the additions
/// pipeline (and vectorise) instead of waiting on one another.
fn sum_lanes<T: Float>(v: &[T]) -> T {
    let mut acc = [T::ZERO; 8];
    let chunks = v.chunks_exact(8);
    let tail: T = chunks.remainder().iter().copied().sum();
    for c in chunks {
        for (a, &x) in acc.iter_mut().zip(c) {
            *a += x;
        }
    }
    acc.iter().copied().sum::<T>() + tail
}
