//! A convolution whose output only a max pooling reads: the forward in one
//! call (windowed or global), and the gradients from the pooled gradient.
//!
//! For `Z = conv2d(X, W) + b` followed by `Y = max_pool2d(Z)` (any window,
//! or the whole plane), each pooled output `Y[n, o, p]` is one element of
//! `Z`, its window's winner at position `q(n, o, p)` of the `oh × ow`
//! plane (the pooling's saved indices). So `dL/dZ` is zero except at the
//! winners, where it collects `dL/dY`, and the convolution's gradients
//! are sums over the pooled outputs instead of over all of `Z`:
//!
//! ```text
//! dL/dW[o, c, i, j]  = Σ_n Σ_p dL/dY[n, o, p] · X[n, c, qy·sh − ph + i·dh, qx·sw − pw + j·dw]
//! dL/dX[n, c, y, x] += dL/dY[n, o, p] · W[o, c, i, j]     at y, x = the same positions
//! dL/db[o]           = Σ_n Σ_p dL/dY[n, o, p]
//! ```
//!
//! (with `(qy, qx)` the winner's row and column, `c` running over the
//! input channels of `o`'s group, `X` zero outside the image). They are the
//! convolution's gradients at the pooling's gradient, term for term, less
//! the products with the zeros of `dL/dZ`: a 2×2 pooling reaches a quarter
//! of `Z`, a global one a single element per plane. The one difference in
//! value: an infinite or NaN pixel of `X` that no winner's window covers
//! enters the unfused weight gradient as `0·∞ = NaN`, and not this one
//! (likewise an infinite or NaN weight and the input gradient).
//!
//! The weight gradient runs a channel at a time, in parallel over
//! channels; the input gradient a sample at a time, in parallel over
//! samples. Each sums in a fixed order, so the bits do not depend on the
//! thread count. In f32 on a CPU with AVX2 and FMA, the weight gradient's
//! windows that lie inside the image, with rows of at most 8 taps and no
//! dilation along them, go through `pooled_avx2`; this file's loops serve everything else and are
//! the reference that kernel is tested against.

use super::conv2d::conv2d;
use super::params::{output_len, Conv2dParams};
use super::pool::{global_max_pool2d, max_pool2d, MaxPool2dOutput};
use crate::element::Float;
use crate::parallel::for_each_block;
use crate::tensor::Tensor;

/// Sizes of one call, checked against each other.
#[derive(Clone, Copy, Debug)]
pub(super) struct Sizes {
    /// Samples.
    pub n: usize,
    /// Input channels (all groups).
    pub c: usize,
    /// Output channels (all groups).
    pub o: usize,
    /// Input channels per group.
    pub cg: usize,
    /// Output channels per group.
    pub og: usize,
    /// Image `(H, W)`.
    pub input: (usize, usize),
    /// Kernel `(kh, kw)`.
    pub kernel: (usize, usize),
    /// The convolution's output `(oh, ow)`.
    pub conv_out: (usize, usize),
    /// Pooled outputs per plane.
    pub pooled: usize,
    /// Stride, padding, dilation.
    pub params: Conv2dParams,
}

impl Sizes {
    /// Checks the shapes (panicking with `op`, the shapes and what is
    /// wrong); the indices' values are checked by the passes
    /// ([`Sizes::check_indices`]).
    pub(super) fn new(
        op: &str,
        input: &[usize],
        weight: &[usize],
        grad_pooled: &[usize],
        indices: &[usize],
        params: &Conv2dParams,
    ) -> Self {
        assert!(
            input.len() == 4 && weight.len() == 4 && grad_pooled.len() == 4,
            "{op}: input {input:?}, weight {weight:?} and grad_output {grad_pooled:?} must all be 4-d"
        );
        let groups = params.groups;
        let (c, o) = (input[1], weight[0]);
        assert!(
            groups > 0 && o % groups == 0 && c == weight[1] * groups,
            "{op}: input {input:?} and weight {weight:?} do not agree with {groups} groups"
        );
        let p = params;
        let conv_out = (
            output_len(
                op,
                input[2],
                weight[2],
                p.stride.0,
                p.padding.0,
                p.dilation.0,
            ),
            output_len(
                op,
                input[3],
                weight[3],
                p.stride.1,
                p.padding.1,
                p.dilation.1,
            ),
        );
        assert!(
            grad_pooled[..2] == [input[0], o],
            "{op}: grad_output {grad_pooled:?} is not [N, O, …] for input {input:?} and weight {weight:?}"
        );
        let pooled = grad_pooled[2] * grad_pooled[3];
        assert_eq!(
            indices.len(),
            input[0] * o * pooled,
            "{op}: {} indices for grad_output {grad_pooled:?}",
            indices.len()
        );
        Sizes {
            n: input[0],
            c,
            o,
            cg: weight[1],
            og: o / groups,
            input: (input[2], input[3]),
            kernel: (weight[2], weight[3]),
            conv_out,
            pooled,
            params: *params,
        }
    }

    /// Checks the winners' positions of pooled planes `planes` (sample
    /// `n`, channel `o` at `n·O + o`): each must lie in the convolution's
    /// output plane. Run by the parallel passes on the planes they read.
    fn check_indices(&self, op: &str, indices: &[usize], planes: impl Iterator<Item = usize>) {
        let (conv_out, p) = (self.conv_out, self.pooled);
        for plane in planes {
            let winners = &indices[plane * p..(plane + 1) * p];
            if let Some(bad) = winners.iter().find(|&&q| q >= conv_out.0 * conv_out.1) {
                let (n, o) = (plane / self.o, plane % self.o);
                panic!(
                    "{op}: index {bad} (sample {n}, channel {o}) is outside the convolution's {conv_out:?} output plane"
                );
            }
        }
    }

    /// Elements of one input plane.
    pub(super) fn hw(&self) -> usize {
        self.input.0 * self.input.1
    }

    /// The input row and column of winner `q`'s window's top-left tap
    /// (negative or past the image in the padding).
    pub(super) fn corner(&self, q: usize) -> (isize, isize) {
        let (ow, p) = (self.conv_out.1, &self.params);
        let (qy, qx) = (q / ow, q % ow);
        (
            (qy * p.stride.0) as isize - p.padding.0 as isize,
            (qx * p.stride.1) as isize - p.padding.1 as isize,
        )
    }

    /// For each position `q` of the convolution's output plane, the
    /// in-plane index of its window's top-left tap if the window lies
    /// inside the image, else [`AT_THE_BORDER`]: worked out once per call,
    /// so that the passes over the winners look it up instead of dividing.
    pub(super) fn inside_corners(&self) -> Vec<usize> {
        let ((kh, kw), (dh, dw)) = (self.kernel, self.params.dilation);
        (0..self.conv_out.0 * self.conv_out.1)
            .map(|q| {
                let (y, x) = self.corner(q);
                let inside = y >= 0
                    && x >= 0
                    && y as usize + (kh - 1) * dh < self.input.0
                    && x as usize + (kw - 1) * dw < self.input.1;
                if inside {
                    y as usize * self.input.1 + x as usize
                } else {
                    AT_THE_BORDER
                }
            })
            .collect()
    }

    /// The in-plane offset of tap `(i, j)` of the window at `(y, x)`, if it
    /// is in the image.
    fn tap(&self, (y, x): (isize, isize), i: usize, j: usize) -> Option<usize> {
        let (dh, dw) = self.params.dilation;
        let (ty, tx) = (y + (i * dh) as isize, x + (j * dw) as isize);
        let (h, w) = self.input;
        (ty >= 0 && tx >= 0 && (ty as usize) < h && (tx as usize) < w)
            .then(|| ty as usize * w + tx as usize)
    }

    /// Scalar multiply-adds of one gradient, for the parallel threshold.
    fn work(&self) -> usize {
        self.n * self.o * self.pooled * self.cg * self.kernel.0 * self.kernel.1
    }
}

/// [`Sizes::inside_corners`]'s mark of a window that reaches past the
/// image (into the padding).
pub(super) const AT_THE_BORDER: usize = usize::MAX;

/// Which winners a plain pass takes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Winners {
    /// Every one.
    All,
    /// Those whose window reaches past the image (the vector kernel takes
    /// the others).
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    AtTheBorder,
}

/// `max_pool2d(conv2d(input, weight, bias, params), kernel, stride,
/// padding)`, bit for bit: the forward of a convolution under a max
/// pooling. Where the first-layer kernels serve the convolution (f32 on
/// AVX-512: one group, stride 1, no padding or dilation, few taps), each
/// output plane is pooled as soon as it is made, so the convolution's
/// output, four times the pooled one under a 2×2 window, is never written
/// out; elsewhere the two calls run one after the other.
///
/// ```
/// use synann_tensor::conv::{conv2d, conv2d_max_pool2d, max_pool2d, Conv2dParams};
/// use synann_tensor::Tensor;
/// let x = Tensor::from_vec((0..36).map(|v| v as f32).collect(), &[1, 1, 6, 6]);
/// let w = Tensor::from_vec(vec![1.0, -1.0, 2.0, 0.5], &[1, 1, 2, 2]);
/// let p = Conv2dParams::default();
/// let fused = conv2d_max_pool2d(&x, &w, None, &p, (2, 2), (2, 2), (0, 0));
/// let unfused = max_pool2d(&conv2d(&x, &w, None, &p), (2, 2), (2, 2), (0, 0));
/// assert_eq!(fused, unfused);
/// ```
pub fn conv2d_max_pool2d<T: Float>(
    input: &Tensor<T>,
    weight: &Tensor<T>,
    bias: Option<&Tensor<T>>,
    params: &Conv2dParams,
    kernel: (usize, usize),
    stride: (usize, usize),
    padding: (usize, usize),
) -> MaxPool2dOutput<T> {
    #[cfg(target_arch = "x86_64")]
    if let Some(out) = super::conv2d::first_layer_max_pooled(
        input,
        weight,
        bias,
        params,
        (kernel, stride, padding),
    ) {
        return out;
    }
    max_pool2d(
        &conv2d(input, weight, bias, params),
        kernel,
        stride,
        padding,
    )
}

/// `global_max_pool2d(conv2d(input, weight, bias, params))`, bit for bit:
/// the forward of a convolution under a global max pooling. Where conv2d
/// takes the spectral path (large kernels on small images in f32, such as
/// the seed Keras network's last convolution), each chunk of output
/// channels is pooled as soon as it is made, so the convolution's output
/// is never held whole; elsewhere the two calls run one after the other.
///
/// ```
/// use synann_tensor::conv::{conv2d, conv2d_global_max_pool2d, global_max_pool2d, Conv2dParams};
/// use synann_tensor::Tensor;
/// let x = Tensor::from_vec((0..32).map(|v| (v as f32 * 0.7).sin()).collect(), &[2, 1, 4, 4]);
/// let w = Tensor::from_vec(vec![1.0, -1.0, 2.0, 0.5], &[1, 1, 2, 2]);
/// let p = Conv2dParams::default();
/// let fused = conv2d_global_max_pool2d(&x, &w, None, &p);
/// assert_eq!(fused, global_max_pool2d(&conv2d(&x, &w, None, &p)));
/// ```
pub fn conv2d_global_max_pool2d<T: Float>(
    input: &Tensor<T>,
    weight: &Tensor<T>,
    bias: Option<&Tensor<T>>,
    params: &Conv2dParams,
) -> MaxPool2dOutput<T> {
    if let Some(out) = super::conv2d::spectral_global_max_pooled(input, weight, bias, params) {
        return out;
    }
    global_max_pool2d(&conv2d(input, weight, bias, params))
}

/// dL/d(weight) of `conv2d` followed by a max pooling, from the pooling's
/// gradient alone (the convolution's output gradient is the pooled one at
/// the pooling's winners and zero elsewhere, so the sums run over the
/// winners): `grad_output`
/// `[N, O, ph, pw]` is dL/d(pooled), `indices` its winners' positions in
/// the convolution's output planes (as [`max_pool2d`](super::max_pool2d)
/// returns them), `input` the convolution's `[N, C, H, W]`. Gives
/// `weight_shape` `[O, C/groups, kh, kw]`; equal, up to the order of the
/// sums, to [`conv2d_backward_weight`](super::conv2d_backward_weight) at
/// [`max_pool2d_backward`](super::max_pool2d_backward)'s gradient.
///
/// ```
/// use synann_tensor::conv::{conv2d, conv2d_max_pool2d_backward_weight, max_pool2d, Conv2dParams};
/// use synann_tensor::Tensor;
/// let x = Tensor::from_vec((0..16).map(|v| v as f64).collect(), &[1, 1, 4, 4]);
/// let w = Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0], &[1, 1, 2, 2]);
/// let params = Conv2dParams::default();
/// let z = conv2d(&x, &w, None, &params); // [1, 1, 3, 3]
/// let pooled = max_pool2d(&z, (3, 3), (3, 3), (0, 0)); // the last, at (2, 2)
/// let g = Tensor::ones(&[1, 1, 1, 1]);
/// let gw = conv2d_max_pool2d_backward_weight(&g, &pooled.indices, &x, &[1, 1, 2, 2], &params);
/// assert_eq!(gw.data(), &[10.0, 11.0, 14.0, 15.0]); // the winner's window of x
/// ```
pub fn conv2d_max_pool2d_backward_weight<T: Float>(
    grad_output: &Tensor<T>,
    indices: &[usize],
    input: &Tensor<T>,
    weight_shape: &[usize],
    params: &Conv2dParams,
) -> Tensor<T> {
    let op = "conv2d_max_pool2d_backward_weight";
    let s = Sizes::new(
        op,
        input.shape(),
        weight_shape,
        grad_output.shape(),
        indices,
        params,
    );
    let per_channel = s.cg * s.kernel.0 * s.kernel.1;
    let mut gw = vec![T::ZERO; s.o * per_channel];
    let (gy, x) = (grad_output.data(), input.data());
    let corners = s.inside_corners();
    #[cfg(target_arch = "x86_64")]
    let border = corners.contains(&AT_THE_BORDER);
    // A block per channel: the seed network's 10 share out evenly.
    for_each_block(&mut gw, per_channel, s.work(), |o, gw_o| {
        s.check_indices(op, indices, (0..s.n).map(|n| n * s.o + o));
        let pass = |gw_o: &mut [T], which| {
            weight_grad_channel(&s, o, (gy, indices), x, &corners, gw_o, which)
        };
        #[cfg(target_arch = "x86_64")]
        if let (Some(gy), Some(x), Some(gw_f32)) = (
            T::as_f32_slice(gy),
            T::as_f32_slice(x),
            T::as_f32_slice_mut(gw_o),
        ) {
            let winners = (gy, indices);
            if super::pooled_avx2::weight_grad_channel(&s, o, winners, x, &corners, gw_f32) {
                // The windows inside the image are summed; add the others.
                if border {
                    pass(gw_o, Winners::AtTheBorder);
                }
                return;
            }
        }
        pass(gw_o, Winners::All);
    });
    Tensor::from_vec(gw, weight_shape)
}

/// Adds to `gw_o` (output channel `o`'s `[C/groups, kh, kw]`) the terms of
/// the `which` winners of channel `o` (`gy` and `indices`, the pooled
/// gradient and its winners' positions), sample by sample, winner by
/// winner.
fn weight_grad_channel<T: Float>(
    s: &Sizes,
    o: usize,
    (gy, indices): (&[T], &[usize]),
    x: &[T],
    corners: &[usize],
    gw_o: &mut [T],
    which: Winners,
) {
    let ((kh, kw), hw) = (s.kernel, s.hw());
    let first_channel = (o / s.og) * s.cg;
    for n in 0..s.n {
        let x_n = &x[(n * s.c + first_channel) * hw..][..s.cg * hw];
        let plane = (n * s.o + o) * s.pooled..(n * s.o + o + 1) * s.pooled;
        for (&g, &q) in gy[plane.clone()].iter().zip(&indices[plane]) {
            if which == Winners::AtTheBorder && corners[q] != AT_THE_BORDER {
                continue;
            }
            let corner = s.corner(q);
            for (ci, gw_c) in gw_o.chunks_exact_mut(kh * kw).enumerate() {
                let x_c = &x_n[ci * hw..][..hw];
                for i in 0..kh {
                    for j in 0..kw {
                        if let Some(at) = s.tap(corner, i, j) {
                            gw_c[i * kw + j] += g * x_c[at];
                        }
                    }
                }
            }
        }
    }
}

/// dL/d(input) of `conv2d` followed by a max pooling, from the pooling's
/// gradient alone (the convolution's output gradient is the pooled one at
/// the pooling's winners and zero elsewhere, so the sums run over the
/// winners): `grad_output`
/// `[N, O, ph, pw]` is dL/d(pooled), `indices` its winners' positions in
/// the convolution's output planes, `weight` the convolution's
/// `[O, C/groups, kh, kw]`. Gives `input_shape` `[N, C, H, W]`; equal, up
/// to the order of the sums, to
/// [`conv2d_backward_input`](super::conv2d_backward_input) at
/// [`max_pool2d_backward`](super::max_pool2d_backward)'s gradient.
///
/// ```
/// use synann_tensor::conv::{conv2d_max_pool2d_backward_input, Conv2dParams};
/// use synann_tensor::Tensor;
/// let w = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[1, 1, 2, 2]);
/// let g = Tensor::from_vec(vec![10.0], &[1, 1, 1, 1]);
/// // The single winner is output (1, 1) of the 2×2 plane (index 3): its
/// // window is x's rows 1–2, columns 1–2.
/// let gx = conv2d_max_pool2d_backward_input(&g, &[3], &w, &[1, 1, 3, 3], &Conv2dParams::default());
/// assert_eq!(gx.data(), &[0.0, 0.0, 0.0, 0.0, 10.0, 20.0, 0.0, 30.0, 40.0]);
/// ```
pub fn conv2d_max_pool2d_backward_input<T: Float>(
    grad_output: &Tensor<T>,
    indices: &[usize],
    weight: &Tensor<T>,
    input_shape: &[usize],
    params: &Conv2dParams,
) -> Tensor<T> {
    let op = "conv2d_max_pool2d_backward_input";
    let s = Sizes::new(
        op,
        input_shape,
        weight.shape(),
        grad_output.shape(),
        indices,
        params,
    );
    let per_sample = s.c * s.hw();
    let mut gx = vec![T::ZERO; s.n * per_sample];
    let (gy, w) = (grad_output.data(), weight.data());
    let corners = s.inside_corners();
    for_each_block(&mut gx, per_sample, s.work(), |n, gx_n| {
        s.check_indices(op, indices, n * s.o..(n + 1) * s.o);
        input_grad_sample(&s, n, (gy, indices), w, &corners, gx_n);
    });
    Tensor::from_vec(gx, input_shape)
}

/// Adds to `gx_n` (sample `n`'s `[C, H, W]`) the terms of its winners,
/// channel by channel, winner by winner: a window inside the image (with
/// dilation 1 along its rows) a row of taps at a time, as slices; one that
/// reaches into the padding a tap at a time.
fn input_grad_sample<T: Float>(
    s: &Sizes,
    n: usize,
    (gy, indices): (&[T], &[usize]),
    w: &[T],
    corners: &[usize],
    gx_n: &mut [T],
) {
    let ((kh, kw), hw, width) = (s.kernel, s.hw(), s.input.1);
    let (dh, dw) = s.params.dilation;
    let per_channel = s.cg * kh * kw;
    for o in 0..s.o {
        let w_o = &w[o * per_channel..][..per_channel];
        let first_channel = (o / s.og) * s.cg;
        let plane = (n * s.o + o) * s.pooled..(n * s.o + o + 1) * s.pooled;
        for (&g, &q) in gy[plane.clone()].iter().zip(&indices[plane]) {
            let (corner, inside) = (s.corner(q), corners[q]);
            for (ci, w_c) in w_o.chunks_exact(kh * kw).enumerate() {
                let gx_c = &mut gx_n[(first_channel + ci) * hw..][..hw];
                for (i, w_row) in w_c.chunks_exact(kw).enumerate() {
                    if inside != AT_THE_BORDER && dw == 1 {
                        let row = &mut gx_c[inside + i * dh * width..][..kw];
                        row.iter_mut().zip(w_row).for_each(|(d, &wv)| *d += g * wv);
                        continue;
                    }
                    for (j, &wv) in w_row.iter().enumerate() {
                        if let Some(at) = s.tap(corner, i, j) {
                            gx_c[at] += g * wv;
                        }
                    }
                }
            }
        }
    }
}
