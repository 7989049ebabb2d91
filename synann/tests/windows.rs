//! The window ops of `SynapseConv2d`: `im2row_same` against a plain
//! definition and against `im2col_same`, and gradient checks of both.

use proptest::prelude::*;
use synann::ops::{im2col_same, im2row_same};
use synann_autograd::{gradcheck, GradcheckOptions, Var};
use synann_tensor::Tensor;

/// [N, C, H, W] with small sizes, and an odd kernel (possibly larger than
/// the image).
fn case() -> impl Strategy<Value = (Tensor<f64>, usize)> {
    (1usize..3, 1usize..4, 1usize..6, 1usize..6, 0usize..3).prop_flat_map(|(n, c, h, w, k)| {
        prop::collection::vec(-1.0..1.0f64, n * c * h * w)
            .prop_map(move |v| (Tensor::from_vec(v, &[n, c, h, w]), 2 * k + 1))
    })
}

/// The definition: row (n, y, x), column (c, ky, kx) is
/// x[n, c, y + ky − r, x + kx − r], 0 outside.
fn naive_im2row(x: &Tensor<f64>, k: usize) -> Vec<f64> {
    let s = x.shape();
    let (n, c, h, w) = (s[0], s[1], s[2], s[3]);
    let r = k as isize / 2;
    let mut out = Vec::new();
    for img in 0..n {
        for y in 0..h as isize {
            for xx in 0..w as isize {
                for ch in 0..c {
                    for ky in 0..k as isize {
                        for kx in 0..k as isize {
                            let (sy, sx) = (y + ky - r, xx + kx - r);
                            let inside = sy >= 0 && sx >= 0 && sy < h as isize && sx < w as isize;
                            out.push(if inside {
                                x.data()[((img * c + ch) * h + sy as usize) * w + sx as usize]
                            } else {
                                0.0
                            });
                        }
                    }
                }
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn im2row_matches_its_definition_and_im2col((x, k) in case()) {
        let s = x.shape().to_vec();
        let (n, c, h, w) = (s[0], s[1], s[2], s[3]);
        let v = Var::constant(x.clone());
        let rows = im2row_same(&v, k).value().clone();
        prop_assert_eq!(rows.shape(), &[n * h * w, c * k * k][..]);
        prop_assert_eq!(rows.data(), &naive_im2row(&x, k)[..]);
        // im2col's per-image matrix, transposed, is the same thing.
        let cols = im2col_same(&v, k).value().permute(&[0, 2, 1]);
        prop_assert_eq!(cols.data(), rows.data());
    }

    #[test]
    fn gradcheck_im2row((x, k) in case()) {
        let f = |v: &[Var<f64>]| im2row_same(&v[0], k);
        gradcheck(f, &[x], &GradcheckOptions::default()).unwrap();
    }

    #[test]
    fn gradcheck_im2col((x, k) in case()) {
        let f = |v: &[Var<f64>]| im2col_same(&v[0], k);
        gradcheck(f, &[x], &GradcheckOptions::default()).unwrap();
    }
}

#[test]
#[should_panic(expected = "im2row_same: input [2, 3] with kernel 3 does not fit")]
fn im2row_rejects_a_non_image() {
    im2row_same(&Var::constant(Tensor::<f64>::zeros(&[2, 3])), 3);
}

#[test]
#[should_panic(expected = "with kernel 2 does not fit")]
fn im2row_rejects_an_even_kernel() {
    im2row_same(&Var::constant(Tensor::<f64>::zeros(&[1, 1, 4, 4])), 2);
}
