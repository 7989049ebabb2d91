//! Convolution hyper-parameters and the output-size formula.

/// Stride, zero padding, dilation and groups of a 2-d convolution, with
/// PyTorch's meaning and defaults (`nn.Conv2d`): each pair is
/// `(height, width)`.
///
/// ```
/// use synann_tensor::conv::Conv2dParams;
/// let p = Conv2dParams { padding: (2, 2), ..Default::default() };
/// // 28×28 input, 5×5 kernel, padding 2: the size is kept.
/// assert_eq!(p.output_size((28, 28), (5, 5)), (28, 28));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Conv2dParams {
    /// Step between neighbouring windows.
    pub stride: (usize, usize),
    /// Zeros added on each side (top and bottom, left and right).
    pub padding: (usize, usize),
    /// Distance between neighbouring kernel taps (1 = dense kernel).
    pub dilation: (usize, usize),
    /// Number of groups: input and output channels split into `groups`
    /// blocks, output block `g` seeing only input block `g`.
    pub groups: usize,
}

impl Default for Conv2dParams {
    /// Stride 1, no padding, dilation 1, one group.
    fn default() -> Self {
        Conv2dParams {
            stride: (1, 1),
            padding: (0, 0),
            dilation: (1, 1),
            groups: 1,
        }
    }
}

impl Conv2dParams {
    /// Output `(height, width)` for an input of `input` = `(height, width)`
    /// and a kernel of `kernel` = `(kh, kw)`:
    /// `out = ⌊(in + 2·padding − dilation·(k − 1) − 1) / stride⌋ + 1`.
    ///
    /// Panics (naming the sizes) if the dilated kernel does not fit in the
    /// padded input, or if a stride or dilation is 0.
    pub fn output_size(&self, input: (usize, usize), kernel: (usize, usize)) -> (usize, usize) {
        (
            output_len(
                "conv2d",
                input.0,
                kernel.0,
                self.stride.0,
                self.padding.0,
                self.dilation.0,
            ),
            output_len(
                "conv2d",
                input.1,
                kernel.1,
                self.stride.1,
                self.padding.1,
                self.dilation.1,
            ),
        )
    }
}

/// Output length along one axis of a sliding window:
/// `⌊(len + 2·padding − dilation·(kernel − 1) − 1) / stride⌋ + 1`.
///
/// `op` names the caller in the panic raised when the window does not fit or
/// a stride, dilation or kernel size is 0.
///
/// ```
/// use synann_tensor::conv::output_len;
/// assert_eq!(output_len("max_pool2d", 24, 2, 2, 0, 1), 12);
/// ```
pub fn output_len(
    op: &str,
    len: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
    dilation: usize,
) -> usize {
    assert!(
        stride > 0 && dilation > 0 && kernel > 0,
        "{op}: kernel {kernel}, stride {stride} and dilation {dilation} must all be positive"
    );
    let span = dilation * (kernel - 1) + 1;
    let padded = len + 2 * padding;
    assert!(
        span <= padded,
        "{op}: a kernel of {kernel} (dilation {dilation}, span {span}) does not fit an input of {len} with padding {padding}"
    );
    (padded - span) / stride + 1
}
