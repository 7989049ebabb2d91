//! Convolution and pooling kernels in NCHW layout.
//!
//! Free functions, each forward next to its backward:
//!
//! | file | what it holds |
//! |---|---|
//! | `algorithms` | [`set_conv2d_algorithms`]: whether conv2d may choose the spectral path |
//! | `params` | [`Conv2dParams`] (stride, padding, dilation, groups) and the output-size formula |
//! | `im2col` | [`im2col`] / [`col2im`]: a convolution as one matrix product |
//! | `conv2d` | [`conv2d`] and its input, weight and bias gradients |
//! | `first_layer_avx512` | the f32 AVX-512 direct convolution for few input taps (first layers) |
//! | `in_place_avx512` | the f32 AVX-512 im2col matrix read in place, and col2im by pixel rows |
//! | `patch_rows_avx512` | the patches as rows, for the f32 weight gradient on AVX-512 |
//! | `spectral` | conv2d by the discrete Fourier transform, for large kernels on small images (f32) |
//! | `pool` | max, average and global pooling, forward and backward |
//! | `pooled` | a convolution that only a max pooling reads: the forward in one call, the gradients from the pooled gradient |
//! | `pooled_avx2` | its f32 weight gradient with AVX2 and FMA |
//!
//! Weights are `[out, in/groups, kh, kw]` as in PyTorch.

mod algorithms;
mod conv2d;
#[cfg(target_arch = "x86_64")]
mod first_layer_avx512;
mod im2col;
#[cfg(target_arch = "x86_64")]
mod in_place_avx512;
mod params;
#[cfg(target_arch = "x86_64")]
mod patch_rows_avx512;
mod pool;
mod pooled;
#[cfg(target_arch = "x86_64")]
mod pooled_avx2;
mod spectral;

pub use algorithms::{conv2d_algorithms, set_conv2d_algorithms, Conv2dAlgorithms};
pub use conv2d::{conv2d, conv2d_backward_bias, conv2d_backward_input, conv2d_backward_weight};
pub use im2col::{col2im, im2col, ConvGeometry};
pub use params::{output_len, Conv2dParams};
pub use pool::{
    avg_pool2d, avg_pool2d_backward, global_avg_pool2d, global_avg_pool2d_backward,
    global_max_pool2d, max_pool2d, max_pool2d_backward, MaxPool2dOutput,
};
pub use pooled::{
    conv2d_global_max_pool2d, conv2d_max_pool2d, conv2d_max_pool2d_backward_input,
    conv2d_max_pool2d_backward_weight,
};
