//! [`Conv2d`]: 2-d convolution over `[N, C, H, W]` inputs.

use super::{Bias, MaxPool2d};
use crate::init::default_weight_and_bias_;
use crate::module::{Mode, Module};
use synann_autograd::anomaly::{describe_module, ModuleScope};
use synann_autograd::Var;
use synann_tensor::conv::Conv2dParams;
use synann_tensor::random::Rng;
use synann_tensor::{Float, Tensor};

/// A 2-d convolution, PyTorch's `nn.Conv2d` (cross-correlation, NCHW).
///
/// Parameters: `weight` `[out_channels, in_channels/groups, kh, kw]` and
/// `bias` `[out_channels]`, both initialised U(−1/√fan_in, 1/√fan_in) with
/// fan_in = in_channels/groups·kh·kw (PyTorch's kaiming_uniform with
/// a = √5, and its bias rule). Stride, padding, dilation and groups come in
/// a [`Conv2dParams`].
///
/// ```
/// use synann_autograd::Var;
/// use synann_nn::layers::{Bias, Conv2d};
/// use synann_nn::{Mode, Module};
/// use synann_tensor::{conv::Conv2dParams, random::seeded, Tensor};
///
/// let params = Conv2dParams { padding: (1, 1), ..Default::default() };
/// let mut conv = Conv2d::<f32>::new(3, 8, (3, 3), params, Bias::Yes, &mut seeded(0));
/// let y = conv.forward(&Var::constant(Tensor::zeros(&[2, 3, 5, 5])), Mode::Train);
/// assert_eq!(y.shape(), vec![2, 8, 5, 5]);
/// ```
pub struct Conv2d<T: Float> {
    /// `[out_channels, in_channels/groups, kh, kw]`.
    pub weight: Var<T>,
    /// `[out_channels]`, if the layer has one.
    pub bias: Option<Var<T>>,
    /// Stride, padding, dilation and groups.
    pub params: Conv2dParams,
}

impl<T: Float> Conv2d<T> {
    /// A convolution from `in_channels` to `out_channels` with a
    /// `kernel_size` = `(kh, kw)` kernel, with or without a bias,
    /// initialised from `rng`. Panics if
    /// either channel count is not divisible by `params.groups`.
    pub fn new(
        in_channels: usize,
        out_channels: usize,
        kernel_size: (usize, usize),
        params: Conv2dParams,
        bias: Bias,
        rng: &mut Rng,
    ) -> Self {
        let groups = params.groups;
        assert!(
            groups > 0 && in_channels.is_multiple_of(groups) && out_channels.is_multiple_of(groups),
            "Conv2d: in_channels {in_channels} and out_channels {out_channels} must both be divisible by groups {groups}"
        );
        let (kh, kw) = kernel_size;
        let shape = [out_channels, in_channels / groups, kh, kw];
        let weight = Var::requiring_grad(Tensor::zeros(&shape));
        let bias = (bias == Bias::Yes).then(|| Var::requiring_grad(Tensor::zeros(&[out_channels])));
        default_weight_and_bias_(&weight, bias.as_ref(), rng);
        Conv2d {
            weight,
            bias,
            params,
        }
    }
}

impl<T: Float> Conv2d<T> {
    /// `pool.forward(conv.forward(x))` as one op
    /// ([`Var::conv2d_max_pool2d`]): the same values and gradients, with
    /// the weight and bias gradients summed over the pooling's winners
    /// alone instead of through the convolution's whole output gradient,
    /// mostly zeros.
    ///
    /// ```
    /// use synann_autograd::Var;
    /// use synann_nn::layers::{Bias, Conv2d, MaxPool2d};
    /// use synann_nn::{Mode, Module};
    /// use synann_tensor::{conv::Conv2dParams, random::seeded, Tensor};
    ///
    /// let mut conv = Conv2d::<f64>::new(1, 4, (3, 3), Conv2dParams::default(), Bias::Yes, &mut seeded(0));
    /// let x = Var::constant(Tensor::uniform(&[2, 1, 10, 10], -1.0, 1.0, &mut seeded(1)));
    /// let pool = MaxPool2d::new((2, 2));
    /// let fused = conv.forward_max_pool2d(&x, &pool);
    /// let unfused = pool.clone().forward(&conv.forward(&x, Mode::Train), Mode::Train);
    /// assert_eq!(fused.shape(), vec![2, 4, 4, 4]);
    /// assert_eq!(fused.value().data(), unfused.value().data());
    /// ```
    pub fn forward_max_pool2d(&self, x: &Var<T>, pool: &MaxPool2d) -> Var<T> {
        let _scope = self.describe();
        let w = pool.window;
        x.conv2d_max_pool2d(
            &self.weight,
            self.bias.as_ref(),
            self.params,
            w.kernel_size,
            w.stride,
            w.padding,
        )
    }

    /// `GlobalMaxPool2d.forward(conv.forward(x))` as one op
    /// ([`Var::conv2d_global_max_pool2d`]): the same values and gradients,
    /// the weight and bias gradients summed over one winner per channel
    /// map (and the input gradient too, where a map has at least
    /// [`SPARSE_INPUT_RATIO`](synann_autograd::ops::conv_pool::SPARSE_INPUT_RATIO) positions).
    ///
    /// ```
    /// use synann_autograd::Var;
    /// use synann_nn::layers::{Bias, Conv2d, GlobalMaxPool2d};
    /// use synann_nn::{Mode, Module};
    /// use synann_tensor::{conv::Conv2dParams, random::seeded, Tensor};
    ///
    /// let mut conv = Conv2d::<f64>::new(2, 3, (3, 3), Conv2dParams::default(), Bias::Yes, &mut seeded(0));
    /// let x = Var::constant(Tensor::uniform(&[2, 2, 8, 8], -1.0, 1.0, &mut seeded(1)));
    /// let fused = conv.forward_global_max_pool2d(&x);
    /// let unfused = GlobalMaxPool2d.forward(&conv.forward(&x, Mode::Train), Mode::Train);
    /// assert_eq!(fused.shape(), vec![2, 3, 1, 1]);
    /// assert_eq!(fused.value().data(), unfused.value().data());
    /// ```
    pub fn forward_global_max_pool2d(&self, x: &Var<T>) -> Var<T> {
        let _scope = self.describe();
        x.conv2d_global_max_pool2d(&self.weight, self.bias.as_ref(), self.params)
    }

    /// Names the layer in anomaly reports while the returned scope lives.
    fn describe(&self) -> ModuleScope {
        describe_module(|| {
            let w = self.weight.shape();
            format!("Conv2d(out {}, kernel {}×{})", w[0], w[2], w[3])
        })
    }
}

impl<T: Float> Module<T> for Conv2d<T> {
    fn forward(&mut self, x: &Var<T>, _mode: Mode) -> Var<T> {
        let _scope = self.describe();
        x.conv2d(&self.weight, self.bias.as_ref(), self.params)
    }

    fn named_parameters(&self) -> Vec<(String, Var<T>)> {
        let mut p = vec![("weight".to_string(), self.weight.clone())];
        if let Some(b) = &self.bias {
            p.push(("bias".to_string(), b.clone()));
        }
        p
    }
}
