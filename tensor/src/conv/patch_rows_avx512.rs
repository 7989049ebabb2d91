//! The patches of an image as *rows*, for the weight gradient, in f32
//! with AVX-512.
//!
//! The weight gradient is dW = dY · colᵀ (one group): with the im2col
//! matrix `col` [taps, pixels], colᵀ's rows are strided and the GEMM
//! packs both operands first. Written as rows instead — row q is output
//! pixel q's patch, in im2col's tap order (channel, ky, kx) — the matrix
//! is read in place by the narrow GEMM (`linalg::strips_avx512`, dY has
//! few rows), and nothing is packed.
//!
//! With stride 1 and no padding or dilation, each (channel, ky) of a
//! patch is `kw` consecutive pixels of one input row. They are copied with
//! one unaligned 8-lane load and store each (kw ≤ 8): the store's extra
//! lanes spill into the next slot of the patch, or the next patch, which
//! is written afterwards and overwrites them, so the rows are written in
//! order and the buffer keeps `SLACK` elements after the last patch.

use super::ConvGeometry;
use std::arch::x86_64::{_mm256_loadu_ps, _mm256_maskz_loadu_ps, _mm256_storeu_ps};

/// Lanes of one copy: the widest kernel row served.
pub const MAX_KW: usize = 8;
/// Elements the buffer needs after the last patch, for the last copy's
/// extra lanes.
pub const SLACK: usize = MAX_KW;

/// Whether [`patch_rows`] serves this geometry on this CPU.
pub(crate) fn applies(geom: &ConvGeometry) -> bool {
    geom.stride == (1, 1)
        && geom.padding == (0, 0)
        && geom.dilation == (1, 1)
        && geom.kernel.1 <= MAX_KW
        && std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512vl")
}

/// Writes the patches of `image` ([C, H, W]) as the rows of `out`:
/// `oh·ow` rows of `C·kh·kw`, followed by up to [`SLACK`] elements of
/// scratch. Panics unless [`applies`] holds and the lengths match.
pub(crate) fn patch_rows(geom: &ConvGeometry, image: &[f32], out: &mut [f32]) {
    assert!(applies(geom), "patch rows: geometry {geom:?} not served");
    let (taps, pixels) = (geom.col_rows(), geom.col_cols());
    assert!(
        image.len() == geom.image_len() && out.len() >= taps * pixels + SLACK,
        "patch rows: image of {} and buffer of {} elements for {geom:?}",
        image.len(),
        out.len()
    );
    // SAFETY: `applies` checked AVX-512F and VL; the lengths are checked.
    unsafe { patch_rows_avx512(geom, image, out) }
}

/// [`patch_rows`] after its checks.
///
/// # Safety
/// The CPU must support AVX-512F and AVX-512VL, and `image` and `out` must
/// have the lengths [`patch_rows`] checks.
#[target_feature(enable = "avx512f,avx512vl,avx2")]
unsafe fn patch_rows_avx512(geom: &ConvGeometry, image: &[f32], out: &mut [f32]) {
    let ((h, w), (kh, kw), (oh, ow)) = (geom.input, geom.kernel, geom.output);
    let mut at = 0;
    for oy in 0..oh {
        for ox in 0..ow {
            for c in 0..geom.channels {
                for ky in 0..kh {
                    let src = c * h * w + (oy + ky) * w + ox;
                    // SAFETY: the kernel row lies inside the image
                    // (src + kw ≤ image.len(), as oy + ky < h and
                    // ox + kw ≤ w); a whole 8-lane load only where it
                    // stays inside, else a masked one of the kw lanes.
                    // The store writes out[at..at + 8], at + 8 ≤
                    // taps·pixels + SLACK ≤ out.len().
                    unsafe {
                        let row = if src + MAX_KW <= image.len() {
                            _mm256_loadu_ps(image.as_ptr().add(src))
                        } else {
                            _mm256_maskz_loadu_ps((1u8 << kw) - 1, image.as_ptr().add(src))
                        };
                        _mm256_storeu_ps(out.as_mut_ptr().add(at), row);
                    }
                    at += kw;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{applies, patch_rows, SLACK};
    use crate::conv::{im2col, Conv2dParams, ConvGeometry};

    #[test]
    fn rows_are_the_transpose_of_im2col() {
        for (c, (h, w), (kh, kw)) in [
            (1, (5, 6), (2, 3)),
            (3, (7, 9), (3, 8)),
            (2, (4, 4), (4, 1)),
        ] {
            let geom = ConvGeometry::new(c, (h, w), (kh, kw), &Conv2dParams::default());
            if !applies(&geom) {
                return; // no AVX-512 here
            }
            let image: Vec<f32> = (0..geom.image_len()).map(|v| v as f32).collect();
            let (taps, pixels) = (geom.col_rows(), geom.col_cols());
            let mut col = vec![0.0f32; taps * pixels];
            im2col(&geom, &image, &mut col);
            let mut rows = vec![-1.0f32; taps * pixels + SLACK];
            patch_rows(&geom, &image, &mut rows);
            for q in 0..pixels {
                for t in 0..taps {
                    assert_eq!(
                        rows[q * taps + t],
                        col[t * pixels + q],
                        "{geom:?}: pixel {q}, tap {t}"
                    );
                }
            }
        }
    }
}
