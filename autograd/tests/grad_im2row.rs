//! `Var::im2row_same` (the windows of `SynapseConv2d`) against a plain
//! definition and against im2col, and gradient checks of both.

use proptest::prelude::*;
use synann_autograd::{apply, gradcheck, BackwardCtx, Function, GradcheckOptions, Var};
use synann_tensor::conv::{col2im, im2col, Conv2dParams, ConvGeometry};
use synann_tensor::Tensor;

/// im2col with stride 1 and 'same' padding as a custom op, for these tests
/// only: [N, C, H, W] in, [N, C·k·k, H·W] out, backward by col2im (the
/// adjoint of im2col). Per image, its matrix is the transpose of
/// `im2row_same`'s rows.
struct Im2colSame {
    kernel: usize,
}

impl Im2colSame {
    /// Geometry of one image of the input `shape` [N, C, H, W].
    fn geometry(&self, shape: &[usize]) -> ConvGeometry {
        let pad = self.kernel / 2;
        let params = Conv2dParams {
            padding: (pad, pad),
            ..Default::default()
        };
        let (c, h, w) = (shape[1], shape[2], shape[3]);
        ConvGeometry::new(c, (h, w), (self.kernel, self.kernel), &params)
    }
}

impl Function<f64> for Im2colSame {
    fn name(&self) -> &str {
        "im2col_same"
    }

    fn forward(&mut self, inputs: &[&Tensor<f64>]) -> Tensor<f64> {
        let x = inputs[0];
        let geom = self.geometry(x.shape());
        let (rows, cols) = (geom.col_rows(), geom.col_cols());
        let mut out = vec![0.0; x.shape()[0] * rows * cols];
        for (image, dst) in x
            .data()
            .chunks_exact(geom.image_len())
            .zip(out.chunks_exact_mut(rows * cols))
        {
            im2col(&geom, image, dst);
        }
        Tensor::from_vec(out, &[x.shape()[0], rows, cols])
    }

    fn backward(&self, ctx: &BackwardCtx<'_, f64>) -> Vec<Option<Tensor<f64>>> {
        let x = ctx.inputs[0];
        let geom = self.geometry(x.shape());
        let col = geom.col_rows() * geom.col_cols();
        let mut dx = vec![0.0; x.numel()];
        for (g, dst) in ctx
            .grad_output
            .data()
            .chunks_exact(col)
            .zip(dx.chunks_exact_mut(geom.image_len()))
        {
            col2im(&geom, g, dst);
        }
        vec![Some(Tensor::from_vec(dx, x.shape()))]
    }
}

fn im2col_same(x: &Var<f64>, kernel: usize) -> Var<f64> {
    apply(Im2colSame { kernel }, &[x])
}

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
        let rows = v.im2row_same(k).value().clone();
        prop_assert_eq!(rows.shape(), &[n * h * w, c * k * k][..]);
        prop_assert_eq!(rows.data(), &naive_im2row(&x, k)[..]);
        // im2col's per-image matrix, transposed, is the same thing.
        let cols = im2col_same(&v, k).value().permute(&[0, 2, 1]);
        prop_assert_eq!(cols.data(), rows.data());
    }

    #[test]
    fn gradcheck_im2row((x, k) in case()) {
        let f = |v: &[Var<f64>]| v[0].im2row_same(k);
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
    Var::constant(Tensor::<f64>::zeros(&[2, 3])).im2row_same(3);
}

#[test]
#[should_panic(expected = "with kernel 2 does not fit")]
fn im2row_rejects_an_even_kernel() {
    Var::constant(Tensor::<f64>::zeros(&[1, 1, 4, 4])).im2row_same(2);
}
