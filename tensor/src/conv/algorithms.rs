//! Which algorithms conv2d may choose: a process-wide setting, as
//! PyTorch's `torch.backends` flags.

use std::sync::atomic::{AtomicBool, Ordering};

/// Which algorithms [`conv2d`](super::conv2d) and its gradients may choose
/// ([`set_conv2d_algorithms`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Conv2dAlgorithms {
    /// The cheapest by conv2d's estimate, the spectral path (the discrete
    /// Fourier transform, for large kernels on small images in f32)
    /// included. The default.
    #[default]
    Any,
    /// The direct sums only (im2col + GEMM and the direct kernels): every
    /// output is a sum of its terms, as in f64, at the spectral path's
    /// speed-up's cost.
    Direct,
}

impl Conv2dAlgorithms {
    /// The settings' names, in the order of the variants (as a command
    /// line spells them).
    pub const NAMES: &'static [&'static str] = &["any", "direct"];

    /// The setting called `name` (one of [`Conv2dAlgorithms::NAMES`]).
    ///
    /// ```
    /// use synann_tensor::conv::Conv2dAlgorithms;
    /// assert_eq!(Conv2dAlgorithms::from_name("direct"), Some(Conv2dAlgorithms::Direct));
    /// assert_eq!(Conv2dAlgorithms::from_name("fast"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "any" => Some(Conv2dAlgorithms::Any),
            "direct" => Some(Conv2dAlgorithms::Direct),
            _ => None,
        }
    }
}

/// Whether the spectral path is allowed: the one bit the setting holds.
static SPECTRAL_ALLOWED: AtomicBool = AtomicBool::new(true);

/// Sets which algorithms conv2d may choose from now on, in every thread.
///
/// ```
/// use synann_tensor::conv::{conv2d_algorithms, set_conv2d_algorithms, Conv2dAlgorithms};
/// set_conv2d_algorithms(Conv2dAlgorithms::Direct);
/// assert_eq!(conv2d_algorithms(), Conv2dAlgorithms::Direct);
/// set_conv2d_algorithms(Conv2dAlgorithms::Any);
/// ```
pub fn set_conv2d_algorithms(algorithms: Conv2dAlgorithms) {
    SPECTRAL_ALLOWED.store(algorithms == Conv2dAlgorithms::Any, Ordering::Relaxed);
}

/// The current setting ([`set_conv2d_algorithms`]).
pub fn conv2d_algorithms() -> Conv2dAlgorithms {
    if SPECTRAL_ALLOWED.load(Ordering::Relaxed) {
        Conv2dAlgorithms::Any
    } else {
        Conv2dAlgorithms::Direct
    }
}
