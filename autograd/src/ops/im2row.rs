//! im2row for stride-1, 'same'-padded windows: the windows of every pixel
//! as the rows of a matrix, the layout a convolution written as one matrix
//! operation per pixel takes (SynaNN's `SynapseConv2d` feeds it to its
//! synapse op).
//!
//! For x of shape [N, C, H, W] and an odd kernel k (r = k/2), the output
//! has shape [N·H·W, C·k·k]: row (n, y, x) holds the window of pixel (y, x)
//! of image n, column (c, ky, kx) the value x[n, c, y + ky − r, x + kx − r]
//! (0 outside the image). It is the transpose of the per-image matrix of
//! [`im2col`](synann_tensor::conv::im2col) with 'same' padding, written
//! directly, so that no separate transpose (a copy of the whole window
//! matrix, forward and backward) is needed. It only copies, so
//!
//! ```text
//! dL/dx[n, c, i, j] = Σ of dL/dout over every (row, column) that copied x[n, c, i, j]
//! ```
//!
//! (the adjoint of a gather is the scatter-add back onto the source).

use crate::function::{apply, BackwardCtx, Function};
use crate::var::Var;
use synann_tensor::{parallel, Float, Tensor};

/// The shape of one call.
#[derive(Clone, Copy)]
struct Windows {
    channels: usize,
    height: usize,
    width: usize,
    kernel: usize,
}

impl Windows {
    fn new(shape: &[usize], kernel: usize) -> Self {
        assert!(
            shape.len() == 4 && kernel % 2 == 1,
            "im2row_same: input {shape:?} with kernel {kernel} does not fit: need [N, C, H, W] and an odd kernel"
        );
        Windows {
            channels: shape[1],
            height: shape[2],
            width: shape[3],
            kernel,
        }
    }

    /// Values in one image.
    fn image_len(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// Values in one row (one pixel's window).
    fn row_len(&self) -> usize {
        self.channels * self.kernel * self.kernel
    }

    /// For the window tap at offset `d` (ky or kx, 0..k) along an axis of
    /// `len` pixels: the range of output positions whose tap falls inside
    /// the image. Position p reads p + d − r.
    fn valid(&self, d: usize, len: usize) -> std::ops::Range<usize> {
        let r = self.kernel / 2;
        let start = r.saturating_sub(d);
        let end = (len + r).saturating_sub(d).min(len);
        start..end.max(start)
    }

    /// Calls `f(row, column, source)` for every window value of one image
    /// that lies inside it: `row` is the pixel y·W + x, `column` the tap
    /// (c, ky, kx), `source` the index in the image. Walks the image in the
    /// order it is stored, a tap row at a time.
    fn for_each_tap(&self, mut f: impl FnMut(usize, usize, usize)) {
        let (k, r, w) = (self.kernel, self.kernel / 2, self.width);
        for c in 0..self.channels {
            for ky in 0..k {
                for y in self.valid(ky, self.height) {
                    let sy = y + ky - r;
                    for kx in 0..k {
                        let column = (c * k + ky) * k + kx;
                        for x in self.valid(kx, w) {
                            let source = (c * self.height + sy) * w + x + kx - r;
                            f(y * w + x, column, source);
                        }
                    }
                }
            }
        }
    }
}

struct Im2rowSame {
    kernel: usize,
}

impl<T: Float> Function<T> for Im2rowSame {
    fn name(&self) -> &str {
        "im2row_same"
    }

    fn forward(&mut self, inputs: &[&Tensor<T>]) -> Tensor<T> {
        let x = inputs[0];
        let win = Windows::new(x.shape(), self.kernel);
        let (image, rows, cols) = (win.image_len(), win.height * win.width, win.row_len());
        let total = x.shape()[0] * rows * cols;
        let mut out = vec![T::ZERO; total];
        parallel::for_each_block(&mut out, rows * cols, total, |n, dst| {
            let src = &x.data()[n * image..(n + 1) * image];
            win.for_each_tap(|row, column, source| dst[row * cols + column] = src[source]);
        });
        Tensor::from_vec(out, &[x.shape()[0] * rows, cols])
    }

    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> Vec<Option<Tensor<T>>> {
        let x = ctx.inputs[0];
        let win = Windows::new(x.shape(), self.kernel);
        let (image, rows, cols) = (win.image_len(), win.height * win.width, win.row_len());
        let g = ctx.grad_output.data();
        let mut dx = vec![T::ZERO; x.numel()];
        parallel::for_each_block(&mut dx, image, g.len(), |n, dst| {
            let src = &g[n * rows * cols..(n + 1) * rows * cols];
            win.for_each_tap(|row, column, source| dst[source] += src[row * cols + column]);
        });
        vec![Some(Tensor::from_vec(dx, x.shape()))]
    }
}

impl<T: Float> Var<T> {
    /// The k×k windows of every pixel, zero-padded to keep the size, one
    /// row per pixel: [N, C, H, W] in, [N·H·W, C·k·k] out, column
    /// (c, ky, kx) read at offset (ky − k/2, kx − k/2). Panics unless x is
    /// 4-d and `kernel` is odd.
    ///
    /// ```
    /// use synann_autograd::Var;
    /// use synann_tensor::Tensor;
    /// let x = Var::constant(Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0], &[1, 1, 2, 2]));
    /// let rows = x.im2row_same(3);
    /// assert_eq!(rows.shape(), vec![4, 9]);
    /// // Pixel (0, 0): its right and lower neighbours, zeros outside.
    /// assert_eq!(rows.value().data()[..9], [0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 0.0, 3.0, 4.0]);
    /// ```
    pub fn im2row_same(&self, kernel: usize) -> Var<T> {
        apply(Im2rowSame { kernel }, &[self])
    }
}
