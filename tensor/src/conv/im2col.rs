//! im2col and col2im: turning a convolution into one matrix product.
//!
//! For one image of `C` channels and a `kh × kw` kernel, `im2col` writes a
//! matrix with one row per kernel tap `(c, i, j)` (row `(c·kh + i)·kw + j`)
//! and one column per output pixel `(y, x)` (column `y·ow + x`):
//!
//! ```text
//! col[(c, i, j), (y, x)] = image[c, y·sh − ph + i·dh, x·sw − pw + j·dw]   (0 outside)
//! ```
//!
//! so that `weight[o, (c, i, j)] @ col` is the convolution. `col2im` is its
//! adjoint: it *adds* every entry of such a matrix back onto the image pixel
//! it was read from, which is how the input gradient is formed.

use super::params::Conv2dParams;
use crate::element::Float;

/// Geometry of one image and one kernel window: all that [`im2col`] and
/// [`col2im`] need.
///
/// ```
/// use synann_tensor::conv::{Conv2dParams, ConvGeometry};
/// let g = ConvGeometry::new(3, (8, 8), (3, 3), &Conv2dParams::default());
/// assert_eq!(g.output, (6, 6));
/// assert_eq!((g.col_rows(), g.col_cols()), (27, 36));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvGeometry {
    /// Channels of the image (of one group).
    pub channels: usize,
    /// Image `(height, width)`.
    pub input: (usize, usize),
    /// Kernel `(kh, kw)`.
    pub kernel: (usize, usize),
    /// Window step `(sh, sw)`.
    pub stride: (usize, usize),
    /// Zero padding `(ph, pw)`.
    pub padding: (usize, usize),
    /// Tap spacing `(dh, dw)`.
    pub dilation: (usize, usize),
    /// Output `(oh, ow)`, from [`Conv2dParams::output_size`].
    pub output: (usize, usize),
}

impl ConvGeometry {
    /// The geometry of a `channels × input` image under a `kernel` with
    /// `params` (whose `groups` is ignored: pass the channels of one group).
    pub fn new(
        channels: usize,
        input: (usize, usize),
        kernel: (usize, usize),
        params: &Conv2dParams,
    ) -> Self {
        ConvGeometry {
            channels,
            input,
            kernel,
            stride: params.stride,
            padding: params.padding,
            dilation: params.dilation,
            output: params.output_size(input, kernel),
        }
    }

    /// Rows of the column matrix: `channels · kh · kw`.
    pub fn col_rows(&self) -> usize {
        self.channels * self.kernel.0 * self.kernel.1
    }

    /// Columns of the column matrix: `oh · ow`.
    pub fn col_cols(&self) -> usize {
        self.output.0 * self.output.1
    }

    /// Elements of one image: `channels · height · width`.
    pub fn image_len(&self) -> usize {
        self.channels * self.input.0 * self.input.1
    }

    fn check(&self, op: &str, image: usize, col: usize) {
        assert!(
            image == self.image_len() && col == self.col_rows() * self.col_cols(),
            "{op}: image of {image} and column matrix of {col} elements do not match a [{}, {}, {}] image with kernel {:?} (need {} and {}×{})",
            self.channels,
            self.input.0,
            self.input.1,
            self.kernel,
            self.image_len(),
            self.col_rows(),
            self.col_cols()
        );
    }

    /// The copy plan of every kernel tap `(c, i, j)`, in column-matrix row
    /// order. It depends only on the geometry, so a convolution works it
    /// out once and reuses it for every image (it costs two divisions per
    /// tap, as much as copying a small tap's pixels).
    pub(crate) fn taps(&self) -> Vec<Tap> {
        let (h, w) = self.input;
        let (kh, kw) = self.kernel;
        let (oh, ow) = self.output;
        let (sh, sw) = self.stride;
        let (ph, pw) = self.padding;
        let (dh, dw) = self.dilation;
        let mut taps = Vec::with_capacity(self.col_rows());
        for c in 0..self.channels {
            for i in 0..kh {
                let row_off = (i * dh) as isize - ph as isize;
                let (y0, y1) = valid_range(h, oh, sh, row_off);
                for j in 0..kw {
                    let col_off = (j * dw) as isize - pw as isize;
                    let (x0, x1) = valid_range(w, ow, sw, col_off);
                    // The input pixel read by output (y0, x0); y0 ≥ 1 when
                    // row_off < 0 and likewise for x0, so it is in the image
                    // whenever some row and column are.
                    let iy = (y0 * sh) as isize + row_off;
                    let ix = (x0 * sw) as isize + col_off;
                    let inside = y0 < y1 && x0 < x1;
                    taps.push(Tap {
                        row: (c * kh + i) * kw + j,
                        src: if inside {
                            (c * h + iy as usize) * w + ix as usize
                        } else {
                            0
                        },
                        rows: if inside { y0..y1 } else { 0..0 },
                        x0,
                        x1,
                    });
                }
            }
        }
        taps
    }
}

/// One kernel tap as [`ConvGeometry::taps`] plans it: output pixels `(y, x)`
/// with `y` in `rows` and `x0 ≤ x < x1` read inside the image, the others
/// read padding.
#[derive(Clone, Debug)]
pub(crate) struct Tap {
    /// The tap's row in the column matrix.
    row: usize,
    /// Offset in the image of the pixel read by output `(rows.start, x0)`.
    src: usize,
    /// Output rows that read inside the image (empty if none does).
    rows: std::ops::Range<usize>,
    /// First output column that reads inside the image.
    x0: usize,
    /// One past the last such column.
    x1: usize,
}

/// `dst[k] = src[k·stride]`, unrolled by 8 for the common stride 1 so
/// short rows cost no call to `memcpy`.
#[inline(always)]
fn gather<T: Copy>(dst: &mut [T], src: &[T], stride: usize) {
    if stride == 1 {
        let src = &src[..dst.len()];
        let mut d8 = dst.chunks_exact_mut(8);
        let mut s8 = src.chunks_exact(8);
        for (d, s) in (&mut d8).zip(&mut s8) {
            let d: &mut [T; 8] = d.try_into().expect("chunk of 8");
            *d = s.try_into().expect("chunk of 8");
        }
        for (d, &s) in d8.into_remainder().iter_mut().zip(s8.remainder()) {
            *d = s;
        }
    } else {
        for (k, d) in dst.iter_mut().enumerate() {
            *d = src[k * stride];
        }
    }
}

/// `dst[k·stride] += src[k]`.
#[inline(always)]
fn scatter_add<T: Float>(dst: &mut [T], src: &[T], stride: usize) {
    if stride == 1 {
        dst[..src.len()]
            .iter_mut()
            .zip(src)
            .for_each(|(d, &s)| *d += s);
    } else {
        for (k, &s) in src.iter().enumerate() {
            dst[k * stride] += s;
        }
    }
}

/// The output columns `x0..x1` with `0 ≤ x·stride + off < len`, clipped to
/// `0..out`.
fn valid_range(len: usize, out: usize, stride: usize, off: isize) -> (usize, usize) {
    let s = stride as isize;
    // Smallest x with x·s + off ≥ 0.
    let x0 = if off >= 0 { 0 } else { (-off + s - 1) / s };
    // One past the largest x with x·s + off ≤ len − 1.
    let last = len as isize - 1 - off;
    let x1 = if last < 0 { 0 } else { last / s + 1 };
    let x1 = (x1 as usize).min(out);
    ((x0 as usize).min(x1), x1)
}

/// Fills `col` (`geom.col_rows() × geom.col_cols()`, row-major) with the
/// patches of `image` (`[channels, height, width]`, row-major); see the
/// module docs. Panics if a length does not match the geometry.
///
/// ```
/// use synann_tensor::conv::{im2col, Conv2dParams, ConvGeometry};
/// // A 1×3×3 image and a 2×2 kernel: 4 taps × 4 output pixels.
/// let img = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0];
/// let g = ConvGeometry::new(1, (3, 3), (2, 2), &Conv2dParams::default());
/// let mut col = [0.0f32; 16];
/// im2col(&g, &img, &mut col);
/// assert_eq!(&col[..4], &[1.0, 2.0, 4.0, 5.0]); // tap (0, 0)
/// assert_eq!(&col[12..], &[5.0, 6.0, 8.0, 9.0]); // tap (1, 1)
/// ```
pub fn im2col<T: Float>(geom: &ConvGeometry, image: &[T], col: &mut [T]) {
    geom.check("im2col", image.len(), col.len());
    im2col_ld(geom, &geom.taps(), image, col, geom.col_cols());
}

/// [`im2col`] into a wider matrix, with the taps planned already: tap rows
/// are `ld` (≥ `oh·ow`) elements apart, so several images can sit side by
/// side in one column matrix.
pub(crate) fn im2col_ld<T: Float>(
    geom: &ConvGeometry,
    taps: &[Tap],
    image: &[T],
    col: &mut [T],
    ld: usize,
) {
    let (oh, ow) = geom.output;
    let (step, sw) = (geom.stride.0 * geom.input.1, geom.stride.1);
    for t in taps {
        let dst = t.row * ld;
        let tap = &mut col[dst..dst + oh * ow];
        if t.rows.len() == oh && t.x1 - t.x0 == ow {
            // A tap that never reads padding (all of them without padding):
            // straight row copies, nothing to zero.
            let src = &image[t.src..];
            for (y, dst) in tap.chunks_exact_mut(ow).enumerate() {
                gather(dst, &src[y * step..], sw);
            }
            continue;
        }
        let (inside, below) = tap.split_at_mut(t.rows.end * ow);
        let (above, inside) = inside.split_at_mut(t.rows.start * ow);
        above.fill(T::ZERO);
        below.fill(T::ZERO);
        // One output row per input row `step` elements further on.
        for (dst, src) in inside.chunks_exact_mut(ow).zip(image[t.src..].chunks(step)) {
            dst[..t.x0].fill(T::ZERO);
            dst[t.x1..].fill(T::ZERO);
            gather(&mut dst[t.x0..t.x1], src, sw);
        }
    }
}

/// The adjoint of [`im2col`]: adds every entry of `col` onto the pixel of
/// `image` it was read from (entries read from the padding are dropped).
/// `image` is accumulated into, not overwritten.
///
/// ```
/// use synann_tensor::conv::{col2im, Conv2dParams, ConvGeometry};
/// // 1×3×3 image, 2×2 kernel: the centre pixel is in all 4 windows.
/// let g = ConvGeometry::new(1, (3, 3), (2, 2), &Conv2dParams::default());
/// let mut img = [0.0f32; 9];
/// col2im(&g, &[1.0f32; 16], &mut img);
/// assert_eq!(img, [1.0, 2.0, 1.0, 2.0, 4.0, 2.0, 1.0, 2.0, 1.0]);
/// ```
pub fn col2im<T: Float>(geom: &ConvGeometry, col: &[T], image: &mut [T]) {
    geom.check("col2im", image.len(), col.len());
    col2im_ld(geom, &geom.taps(), col, image, geom.col_cols());
}

/// [`col2im`] from a wider matrix whose tap rows are `ld` elements apart,
/// with the taps planned already.
pub(crate) fn col2im_ld<T: Float>(
    geom: &ConvGeometry,
    taps: &[Tap],
    col: &[T],
    image: &mut [T],
    ld: usize,
) {
    let ow = geom.output.1;
    let (step, sw) = (geom.stride.0 * geom.input.1, geom.stride.1);
    for t in taps {
        let dst = t.row * ld;
        let inside = &col[dst + t.rows.start * ow..dst + t.rows.end * ow];
        for (src, dst) in inside.chunks_exact(ow).zip(image[t.src..].chunks_mut(step)) {
            scatter_add(dst, &src[t.x0..t.x1], sw);
        }
    }
}
