//! The im2col matrix read where it lies, and col2im a pixel row at a time,
//! in f32 with AVX-512, for convolutions with stride 1 and no padding or
//! dilation.
//!
//! **No im2col.** With stride 1 and no padding, tap (c, ky, kx) of output
//! pixel (y, x) of sample s reads input element
//!
//! ```text
//! s·C·H·W + c·H·W + (y + ky)·W + (x + kx)  =  pixel_at(s, y, x) + tap_at(c, ky, kx)
//! ```
//!
//! a sum of a pixel's offset and a tap's. So the im2col matrix (taps ×
//! pixels) is a [`Gathered`] matrix with `row_at` = the taps' offsets and
//! `col_at` = the pixels', and the patches as rows (pixels × taps, for the
//! weight gradient) the same with the two swapped; the narrow GEMM
//! ([`gemm_gathered`](crate::linalg::strips_avx512::gemm_gathered)) reads
//! them from the input in place. A strip of 16 pixels is a few runs of
//! `ow` consecutive inputs, a strip of 16 taps a few runs of `kw`: one
//! masked load each. The sums are those of the GEMM on the matrix written
//! out, so the results keep their bits.
//!
//! **col2im by pixel rows** ([`col2im_rows`]). The adjoint adds every entry
//! of the column matrix onto the input pixel it was read from. Tap by tap,
//! as [`col2im`](super::col2im) does, each tap adds a row of `ow` values
//! onto the image row the previous tap (kx − 1) has just written, shifted
//! by one: each load waits for a store it only partly overlaps. Here each
//! image row is summed in a register instead, over its (ky, kx) in the same
//! order (so with the bits `col2im` gives onto a zeroed image): the (ky, kx)
//! entries of output row y = iy − ky land on lanes kx..kx + ow, one masked
//! load each, and the row is written once.

use super::ConvGeometry;
use crate::simd::{lane_mask, store, LANES};
use std::arch::x86_64::{_mm512_add_ps, _mm512_maskz_loadu_ps, _mm512_setzero_ps};

/// Whether the in-place reading and [`col2im_rows`] serve this geometry on
/// this CPU: stride 1, no padding, no dilation, and not 1×1 (conv2d's
/// pointwise path reads the input in place already).
pub(crate) fn applies(geom: &ConvGeometry) -> bool {
    geom.stride == (1, 1)
        && geom.padding == (0, 0)
        && geom.dilation == (1, 1)
        && geom.kernel != (1, 1)
        && geom.output.0 > 0
        && geom.output.1 > 0
        && std::arch::is_x86_feature_detected!("avx512f")
}

/// Where each tap (c, ky, kx) of one image reads, from its output pixel's
/// input position, in im2col's row order.
pub(crate) fn tap_offsets(geom: &ConvGeometry) -> Vec<usize> {
    let ((h, w), (kh, kw)) = (geom.input, geom.kernel);
    let mut at = Vec::with_capacity(geom.col_rows());
    for c in 0..geom.channels {
        for ky in 0..kh {
            at.extend((0..kw).map(|kx| (c * h + ky) * w + kx));
        }
    }
    at
}

/// Where the window of each output pixel (y, x) of `samples` consecutive
/// samples starts, for samples `sample_len` elements apart: sample-major,
/// then im2col's column order.
pub(crate) fn pixel_offsets(geom: &ConvGeometry, samples: usize, sample_len: usize) -> Vec<usize> {
    let (w, (oh, ow)) = (geom.input.1, geom.output);
    let mut at = Vec::with_capacity(samples * oh * ow);
    for s in 0..samples {
        for y in 0..oh {
            at.extend((0..ow).map(|x| s * sample_len + y * w + x));
        }
    }
    at
}

/// [`col2im`](super::col2im) of the columns `s·P..(s + 1)·P` (P = oh·ow)
/// of a column matrix whose tap rows are `ld` apart, for the geometry
/// [`applies`] serves: writes into each pixel of `image` the sum of the
/// entries read from it, with the bits `col2im` gives onto a zeroed image
/// (see the module docs). Panics unless [`applies`] holds and the lengths
/// fit.
pub(crate) fn col2im_rows(
    geom: &ConvGeometry,
    col: &[f32],
    ld: usize,
    s: usize,
    image: &mut [f32],
) {
    let p = geom.col_cols();
    assert!(
        applies(geom)
            && image.len() == geom.image_len()
            && (s + 1) * p <= ld
            && col.len() >= (geom.col_rows() - 1) * ld + (s + 1) * p,
        "col2im rows: image of {} and columns {s} of {} elements (tap rows {ld} apart) for {geom:?}",
        image.len(),
        col.len()
    );
    // SAFETY: `applies` checked AVX-512F; the lengths are checked above.
    unsafe { col2im_rows_avx512(geom, &col[s * p..], ld, image) }
}

/// Image rows summed together by [`col2im_rows_avx512`]: independent sums
/// that overlap in the pipeline (one row's 25 additions of a 5×5 kernel
/// form one chain).
const ROW_BLOCK: usize = 4;

/// [`col2im_rows`] after its checks, with `col` starting at the sample's
/// first column.
///
/// # Safety
/// The CPU must support AVX-512F, and for every tap t and output pixel q,
/// `t·ld + q < col.len()`.
#[target_feature(enable = "avx512f")]
unsafe fn col2im_rows_avx512(geom: &ConvGeometry, col: &[f32], ld: usize, image: &mut [f32]) {
    let (h, w) = geom.input;
    for c in 0..geom.channels {
        for iy0 in (0..h).step_by(ROW_BLOCK) {
            for x0 in (0..w).step_by(LANES) {
                // SAFETY: as for this function (contract).
                unsafe {
                    if iy0 + ROW_BLOCK <= h {
                        row_block::<ROW_BLOCK>(geom, col, ld, image, (c, iy0, x0));
                    } else {
                        for iy in iy0..h {
                            row_block::<1>(geom, col, ld, image, (c, iy, x0));
                        }
                    }
                }
            }
        }
    }
}

/// Lanes x0..x0 + 16 (at most, within the row) of image rows iy0..iy0 + R
/// of channel c: each the sum, over (ky, kx) in order, of the entries of
/// output row iy − ky, tap (c, ky, kx), that land on it.
///
/// # Safety
/// As [`col2im_rows_avx512`], and iy0 + R ≤ h.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn row_block<const R: usize>(
    geom: &ConvGeometry,
    col: &[f32],
    ld: usize,
    image: &mut [f32],
    (c, iy0, x0): (usize, usize, usize),
) {
    let ((h, w), (kh, kw), (oh, ow)) = (geom.input, geom.kernel, geom.output);
    let lanes = LANES.min(w - x0);
    let mut acc = [_mm512_setzero_ps(); R];
    for ky in 0..kh {
        for kx in 0..kw {
            // Lanes l with 0 ≤ x0 + l − kx < ow read output column
            // x0 + l − kx.
            let first = kx.saturating_sub(x0);
            let end = (kx + ow).saturating_sub(x0).min(lanes);
            if first >= end {
                continue;
            }
            let mask = lane_mask(end) & !lane_mask(first);
            let tap = (c * kh + ky) * kw + kx;
            for (r, acc) in acc.iter_mut().enumerate() {
                // Output row y = iy − ky, where it exists.
                let Some(y) = (iy0 + r).checked_sub(ky).filter(|&y| y < oh) else {
                    continue;
                };
                let at = (tap * ld + y * ow + x0) as isize - kx as isize;
                // SAFETY: lane l of `mask` reads col[tap·ld + y·ow +
                // (x0 + l − kx)], an output pixel of tap `tap`, in bounds by
                // the contract; masked lanes are not read, wherever the
                // pointer points.
                let v = unsafe { _mm512_maskz_loadu_ps(mask, col.as_ptr().wrapping_offset(at)) };
                *acc = _mm512_add_ps(*acc, v);
            }
        }
    }
    for (r, &acc) in acc.iter().enumerate() {
        store(&mut image[(c * h + iy0 + r) * w + x0..][..lanes], acc);
    }
}

#[cfg(test)]
mod tests {
    use super::{applies, col2im_rows, pixel_offsets, tap_offsets};
    use crate::conv::{col2im, im2col, Conv2dParams, ConvGeometry};

    /// Geometries with rows narrower and wider than a register, square and
    /// not, and a kernel as wide as the image.
    fn geometries() -> Vec<ConvGeometry> {
        [
            (1, (5, 6), (2, 3)),
            (3, (7, 9), (3, 8)),
            (2, (12, 12), (5, 5)),
            (2, (4, 21), (4, 3)),
            (1, (3, 40), (1, 2)),
        ]
        .into_iter()
        .map(|(c, hw, k)| ConvGeometry::new(c, hw, k, &Conv2dParams::default()))
        .collect()
    }

    #[test]
    fn offsets_address_the_im2col_matrix() {
        for geom in geometries() {
            let image: Vec<f32> = (0..2 * geom.image_len()).map(|v| v as f32).collect();
            let (taps, pixels) = (
                tap_offsets(&geom),
                pixel_offsets(&geom, 2, geom.image_len()),
            );
            let p = geom.col_cols();
            for s in 0..2 {
                let mut col = vec![0.0f32; geom.col_rows() * p];
                im2col(
                    &geom,
                    &image[s * geom.image_len()..][..geom.image_len()],
                    &mut col,
                );
                for (t, &tap) in taps.iter().enumerate() {
                    for q in 0..p {
                        assert_eq!(image[tap + pixels[s * p + q]], col[t * p + q], "{geom:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn col2im_rows_has_the_bits_of_col2im() {
        for geom in geometries() {
            if !applies(&geom) {
                return; // no AVX-512 here
            }
            let (k, p) = (geom.col_rows(), geom.col_cols());
            // Two samples side by side, tap rows 2·P + 3 apart.
            let ld = 2 * p + 3;
            let col: Vec<f32> = (0..k * ld)
                .map(|v| ((v * 7919) % 997) as f32 / 97.0 - 5.0)
                .collect();
            for s in 0..2 {
                let mut own: Vec<f32> = vec![0.0; k * p];
                for t in 0..k {
                    own[t * p..][..p].copy_from_slice(&col[t * ld + s * p..][..p]);
                }
                let mut want = vec![0.0f32; geom.image_len()];
                let mut got: Vec<f32> = (0..geom.image_len()).map(|v| v as f32 * 0.5).collect();
                col2im(&geom, &own, &mut want);
                col2im_rows(&geom, &col, ld, s, &mut got);
                assert_eq!(
                    got.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    want.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    "{geom:?}, sample {s}"
                );
            }
        }
    }

    #[test]
    #[should_panic(expected = "col2im rows")]
    fn col2im_rows_refuses_a_short_matrix() {
        let geom = ConvGeometry::new(1, (5, 6), (2, 3), &Conv2dParams::default());
        let mut image = vec![0.0f32; geom.image_len()];
        col2im_rows(&geom, &[0.0; 10], geom.col_cols(), 0, &mut image);
    }
}
