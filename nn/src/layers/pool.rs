//! Pooling layers over `[N, C, H, W]`: [`MaxPool2d`], [`AvgPool2d`],
//! [`GlobalMaxPool2d`] and [`AdaptiveAvgPool2d`] (output size 1×1 only).
//! The maths (forward and backward) lives in the pooling ops on [`Var`].

use crate::module::{Mode, Module};
use synann_autograd::anomaly::describe_module;
use synann_autograd::Var;
use synann_tensor::Float;

/// A pooling window: size, step and zero padding, each `(height, width)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolWindow {
    /// Window size.
    pub kernel_size: (usize, usize),
    /// Step between windows (PyTorch's default: the kernel size).
    pub stride: (usize, usize),
    /// Padding on each side (0 by default).
    pub padding: (usize, usize),
}

impl PoolWindow {
    fn new(kernel_size: (usize, usize)) -> Self {
        PoolWindow {
            kernel_size,
            stride: kernel_size,
            padding: (0, 0),
        }
    }

    /// `layer(kernel kh×kw)`, for anomaly reports.
    fn describe(&self, layer: &str) -> String {
        let (kh, kw) = self.kernel_size;
        format!("{layer}(kernel {kh}×{kw})")
    }
}

/// Maximum over each window, PyTorch's `nn.MaxPool2d` (padding acts as −∞).
///
/// ```
/// use synann_autograd::Var;
/// use synann_nn::{layers::MaxPool2d, Mode, Module};
/// use synann_tensor::Tensor;
///
/// let x = Var::constant(Tensor::from_vec((0..16).map(|v| v as f32).collect(), &[1, 1, 4, 4]));
/// let y = MaxPool2d::new((2, 2)).forward(&x, Mode::Eval);
/// assert_eq!(y.value().data(), &[5.0, 7.0, 13.0, 15.0]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaxPool2d {
    /// The window.
    pub window: PoolWindow,
}

/// Mean over each window, PyTorch's `nn.AvgPool2d` (padding counts as
/// zeros in the mean, PyTorch's `count_include_pad=True`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AvgPool2d {
    /// The window.
    pub window: PoolWindow,
}

impl MaxPool2d {
    /// A `kernel_size` window with stride = kernel size, no padding.
    pub fn new(kernel_size: (usize, usize)) -> Self {
        MaxPool2d {
            window: PoolWindow::new(kernel_size),
        }
    }
    /// Sets the stride.
    pub fn with_stride(mut self, stride: (usize, usize)) -> Self {
        self.window.stride = stride;
        self
    }
    /// Sets the padding.
    pub fn with_padding(mut self, padding: (usize, usize)) -> Self {
        self.window.padding = padding;
        self
    }
}

impl AvgPool2d {
    /// A `kernel_size` window with stride = kernel size, no padding.
    pub fn new(kernel_size: (usize, usize)) -> Self {
        AvgPool2d {
            window: PoolWindow::new(kernel_size),
        }
    }
    /// Sets the stride.
    pub fn with_stride(mut self, stride: (usize, usize)) -> Self {
        self.window.stride = stride;
        self
    }
    /// Sets the padding.
    pub fn with_padding(mut self, padding: (usize, usize)) -> Self {
        self.window.padding = padding;
        self
    }
}

impl<T: Float> Module<T> for MaxPool2d {
    fn forward(&mut self, x: &Var<T>, _mode: Mode) -> Var<T> {
        let w = self.window;
        let _scope = describe_module(|| w.describe("MaxPool2d"));
        x.max_pool2d(w.kernel_size, w.stride, w.padding)
    }
    fn named_parameters(&self) -> Vec<(String, Var<T>)> {
        Vec::new()
    }
}

impl<T: Float> Module<T> for AvgPool2d {
    fn forward(&mut self, x: &Var<T>, _mode: Mode) -> Var<T> {
        let w = self.window;
        let _scope = describe_module(|| w.describe("AvgPool2d"));
        x.avg_pool2d(w.kernel_size, w.stride, w.padding)
    }
    fn named_parameters(&self) -> Vec<(String, Var<T>)> {
        Vec::new()
    }
}

/// Maximum over each whole channel map: `[N, C, H, W]` → `[N, C, 1, 1]`
/// (PyTorch's `nn.AdaptiveMaxPool2d(1)`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GlobalMaxPool2d;

impl<T: Float> Module<T> for GlobalMaxPool2d {
    fn forward(&mut self, x: &Var<T>, _mode: Mode) -> Var<T> {
        let _scope = describe_module(|| "GlobalMaxPool2d".to_string());
        x.global_max_pool2d()
    }
    fn named_parameters(&self) -> Vec<(String, Var<T>)> {
        Vec::new()
    }
}

/// PyTorch's `nn.AdaptiveAvgPool2d`, for an output size of 1×1 only: the
/// mean of each channel map, `[N, C, H, W]` → `[N, C, 1, 1]`. Other output
/// sizes are not implemented (the constructor panics).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdaptiveAvgPool2d {
    output_size: (usize, usize),
}

impl AdaptiveAvgPool2d {
    /// Panics unless `output_size` is `(1, 1)`.
    pub fn new(output_size: (usize, usize)) -> Self {
        assert_eq!(
            output_size,
            (1, 1),
            "AdaptiveAvgPool2d: only output size (1, 1) is implemented, got {output_size:?}"
        );
        AdaptiveAvgPool2d { output_size }
    }

    /// The output size, `(1, 1)`.
    pub fn output_size(&self) -> (usize, usize) {
        self.output_size
    }
}

impl<T: Float> Module<T> for AdaptiveAvgPool2d {
    fn forward(&mut self, x: &Var<T>, _mode: Mode) -> Var<T> {
        let _scope = describe_module(|| "AdaptiveAvgPool2d((1, 1))".to_string());
        x.global_avg_pool2d()
    }
    fn named_parameters(&self) -> Vec<(String, Var<T>)> {
        Vec::new()
    }
}
