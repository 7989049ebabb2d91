//! A differentiable im2col for stride-1, 'same'-padded windows, as
//! [`SynapseConv2d`](crate::layers::SynapseConv2d) needs.
//!
//! For x of shape [N, C, H, W] and an odd kernel k, the output has shape
//! [N, C·k·k, H·W]: row (c, ky, kx) of image n holds, for every pixel p, the
//! input x[n, c, p + (ky − k/2, kx − k/2)] (0 outside the image). It only
//! copies, so its backward adds every output gradient back onto the pixel
//! it was copied from: that is col2im, the adjoint of im2col. The kernels
//! are [`synann_tensor::conv::im2col`] and [`synann_tensor::conv::col2im`].

use synann_autograd::{apply, BackwardCtx, Function, Var};
use synann_tensor::conv::{col2im, im2col, Conv2dParams, ConvGeometry};
use synann_tensor::{parallel, Float, Tensor};

struct Im2colSame {
    kernel: usize,
}

impl Im2colSame {
    /// Geometry of one image of shape [C, H, W].
    fn geometry(&self, shape: &[usize]) -> ConvGeometry {
        assert!(
            shape.len() == 4 && self.kernel % 2 == 1,
            "im2col_same: input {shape:?} with kernel {} does not fit: need [N, C, H, W] and an odd kernel",
            self.kernel
        );
        let pad = self.kernel / 2;
        let params = Conv2dParams {
            padding: (pad, pad),
            ..Default::default()
        };
        ConvGeometry::new(
            shape[1],
            (shape[2], shape[3]),
            (self.kernel, self.kernel),
            &params,
        )
    }
}

impl<T: Float> Function<T> for Im2colSame {
    fn name(&self) -> &str {
        "im2col_same"
    }

    fn forward(&mut self, inputs: &[&Tensor<T>]) -> Tensor<T> {
        let x = inputs[0];
        let geom = self.geometry(x.shape());
        let (image, col) = (geom.image_len(), geom.col_rows() * geom.col_cols());
        let mut out = vec![T::ZERO; x.shape()[0] * col];
        parallel::for_each_block(&mut out, col, x.numel() * geom.col_rows(), |n, dst| {
            im2col(&geom, &x.data()[n * image..(n + 1) * image], dst)
        });
        Tensor::from_vec(out, &[x.shape()[0], geom.col_rows(), geom.col_cols()])
    }

    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> Vec<Option<Tensor<T>>> {
        let x = ctx.inputs[0];
        let geom = self.geometry(x.shape());
        let (image, col) = (geom.image_len(), geom.col_rows() * geom.col_cols());
        let g = ctx.grad_output.data();
        let mut dx = vec![T::ZERO; x.numel()];
        parallel::for_each_block(&mut dx, image, g.len(), |n, dst| {
            col2im(&geom, &g[n * col..(n + 1) * col], dst)
        });
        vec![Some(Tensor::from_vec(dx, x.shape()))]
    }
}

/// The k×k windows of every pixel, zero-padded to keep the size: [N, C, H, W]
/// in, [N, C·k·k, H·W] out, row (c, ky, kx) read at offset
/// (ky − k/2, kx − k/2). Panics unless x is 4-d and `kernel` is odd.
///
/// ```
/// use synann::ops::im2col_same;
/// use synann_autograd::Var;
/// use synann_tensor::Tensor;
/// let x = Var::constant(Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0], &[1, 1, 2, 2]));
/// let cols = im2col_same(&x, 3);
/// assert_eq!(cols.shape(), vec![1, 9, 4]);
/// // The centre tap (row 4) is the image itself.
/// assert_eq!(&cols.value().data()[16..20], &[1.0, 2.0, 3.0, 4.0]);
/// ```
pub fn im2col_same<T: Float>(x: &Var<T>, kernel: usize) -> Var<T> {
    apply(Im2colSame { kernel }, &[x])
}
