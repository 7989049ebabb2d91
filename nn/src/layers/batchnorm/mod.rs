//! Batch normalisation: [`BatchNorm1d`], [`BatchNorm2d`] and the fused op
//! behind them, [`batch_norm`].
//!
//! For each channel c, over the M = N·(spatial size) values x_i of that
//! channel in the batch:
//!
//! ```text
//! μ = (1/M) Σ x_i            σ² = (1/M) Σ (x_i − μ)²     (biased)
//! x̂_i = (x_i − μ) / √(σ² + ε)                y_i = γ·x̂_i + β
//! ```
//!
//! In training the statistics are the batch's, and the running estimates
//! are updated with the *unbiased* variance σ²·M/(M − 1):
//! `running = (1 − momentum)·running + momentum·batch`. In evaluation the
//! running estimates are used instead, which makes the layer affine.
//!
//! State, with PyTorch's names: parameters `weight` (γ) and `bias` (β);
//! buffers `running_mean`, `running_var` and `num_batches_tracked`. The
//! last is an int64 tensor in PyTorch; here it is a float tensor of shape
//! `[]` (exact up to 2^24 batches in f32).
//!
//! In a data-parallel run each rank normalises with its own batch's
//! statistics (as PyTorch's DistributedDataParallel does) unless the
//! statistics are synchronised: [`SyncBatchNorm`] layers, or every
//! BatchNorm layer inside [`with_sync_batch_norm`] (see `sync.rs`).

mod op;
mod sync;

pub use op::batch_norm;
pub use sync::{with_sync_batch_norm, SyncBatchNorm};

use crate::distributed::ProcessGroup;
use crate::module::{Mode, Module};
use std::ops::{Deref, DerefMut};
use std::rc::Rc;
use synann_autograd::anomaly::describe_module;
use synann_autograd::Var;
use synann_tensor::{Float, Tensor};

/// Settings of a batch-norm layer; the defaults are PyTorch's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BatchNormConfig {
    /// Added to the variance before the square root (1e-5).
    pub eps: f64,
    /// Weight of the new batch in the running statistics (0.1); `None`
    /// gives the cumulative average (factor 1/num_batches_tracked).
    pub momentum: Option<f64>,
    /// Learnable γ (`weight`, ones) and β (`bias`, zeros) (true).
    pub affine: bool,
    /// Keep running statistics and use them in evaluation (true); without
    /// them the batch's statistics are used in both modes.
    pub track_running_stats: bool,
}

impl Default for BatchNormConfig {
    fn default() -> Self {
        BatchNormConfig {
            eps: 1e-5,
            momentum: Some(0.1),
            affine: true,
            track_running_stats: true,
        }
    }
}

/// The state and logic shared by [`BatchNorm1d`] and [`BatchNorm2d`], which
/// dereference to it (so `bn.weight`, `bn.running_mean` work on both).
pub struct BatchNorm<T: Float> {
    /// γ `[C]` (ones), if affine.
    pub weight: Option<Var<T>>,
    /// β `[C]` (zeros), if affine.
    pub bias: Option<Var<T>>,
    /// Running mean `[C]` (zeros), if tracked.
    pub running_mean: Option<Var<T>>,
    /// Running (unbiased) variance `[C]` (ones), if tracked.
    pub running_var: Option<Var<T>>,
    /// Number of training batches seen, if tracked. PyTorch stores it as an
    /// int64 tensor; here it is a float tensor of shape `[]`.
    pub num_batches_tracked: Option<Var<T>>,
    /// The settings.
    pub config: BatchNormConfig,
}

impl<T: Float> BatchNorm<T> {
    fn new(num_features: usize, config: BatchNormConfig) -> Self {
        let param = |v: T| Var::requiring_grad(Tensor::full(&[num_features], v));
        let buffer = |v: T| Var::constant(Tensor::full(&[num_features], v));
        let tracked = config.track_running_stats;
        BatchNorm {
            weight: config.affine.then(|| param(T::ONE)),
            bias: config.affine.then(|| param(T::ZERO)),
            running_mean: tracked.then(|| buffer(T::ZERO)),
            running_var: tracked.then(|| buffer(T::ONE)),
            num_batches_tracked: tracked.then(|| Var::constant(Tensor::scalar(T::ZERO))),
            config,
        }
    }

    /// Number of channels C.
    pub fn num_features(&self) -> usize {
        self.running_mean
            .as_ref()
            .or(self.weight.as_ref())
            .map_or(0, |v| v.shape()[0])
    }

    /// The forward of a layer called `layer` taking inputs of one of the
    /// ranks `ranks`, with batch statistics reduced over `group` if given.
    fn forward_checked(
        &mut self,
        x: &Var<T>,
        mode: Mode,
        layer: &str,
        ranks: &[usize],
        group: Option<Rc<dyn ProcessGroup>>,
    ) -> Var<T> {
        let shape = x.shape();
        assert!(
            ranks.contains(&shape.len()),
            "{layer}: expected an input of rank {ranks:?}, got shape {shape:?}"
        );
        let c = self.num_features();
        if self.weight.is_some() || self.running_mean.is_some() {
            assert_eq!(
                shape[1], c,
                "{layer}: input of shape {shape:?} has {} channels, the layer has {c}",
                shape[1]
            );
        }
        let _scope = describe_module(|| format!("{layer}({c})"));
        let training = mode.is_train();
        // Training batches seen, this one included (stored after the step).
        let seen = self
            .num_batches_tracked
            .as_ref()
            .map(|n| n.value().item().to_f64() + 1.0);
        // The weight of this batch in the running statistics; without a
        // momentum, 1/seen gives the cumulative average.
        let factor = match (self.config.momentum, seen) {
            (Some(m), _) => m,
            (None, Some(seen)) => 1.0 / seen,
            (None, None) => 0.0,
        };
        let running = self.running_mean.as_ref().zip(self.running_var.as_ref());
        let y = op::batch_norm_over(
            x,
            running,
            self.weight.as_ref(),
            self.bias.as_ref(),
            training,
            factor,
            self.config.eps,
            group,
        );
        if let (true, Some(n), Some(seen)) = (training, &self.num_batches_tracked, seen) {
            n.value_mut().fill_(T::from_f64(seen));
        }
        y
    }

    fn named_parameters(&self) -> Vec<(String, Var<T>)> {
        [("weight", &self.weight), ("bias", &self.bias)]
            .into_iter()
            .filter_map(|(n, v)| v.as_ref().map(|v| (n.to_string(), v.clone())))
            .collect()
    }

    fn named_buffers(&self) -> Vec<(String, Var<T>)> {
        [
            ("running_mean", &self.running_mean),
            ("running_var", &self.running_var),
            ("num_batches_tracked", &self.num_batches_tracked),
        ]
        .into_iter()
        .filter_map(|(n, v)| v.as_ref().map(|v| (n.to_string(), v.clone())))
        .collect()
    }
}

/// Batch norm over `[N, C]` or `[N, C, L]`, PyTorch's `nn.BatchNorm1d`
/// (statistics per channel C over N, and L).
///
/// ```
/// use synann_autograd::Var;
/// use synann_nn::{layers::BatchNorm1d, Mode, Module};
/// use synann_tensor::Tensor;
///
/// let mut bn = BatchNorm1d::<f64>::new(1);
/// let x = Var::constant(Tensor::from_vec(vec![1.0, 3.0], &[2, 1]));
/// bn.forward(&x, Mode::Train);
/// // 0.9·0 + 0.1·2 and 0.9·1 + 0.1·(unbiased variance 2)
/// assert_eq!(bn.running_mean.as_ref().unwrap().value().data(), &[0.2]);
/// assert!((bn.running_var.as_ref().unwrap().value().item() - 1.1).abs() < 1e-12);
/// ```
pub struct BatchNorm1d<T: Float>(BatchNorm<T>);

/// Batch norm over `[N, C, H, W]`, PyTorch's `nn.BatchNorm2d`
/// (statistics per channel C over N, H and W).
pub struct BatchNorm2d<T: Float>(BatchNorm<T>);

impl<T: Float> BatchNorm1d<T> {
    /// A layer for `num_features` channels with PyTorch's defaults.
    pub fn new(num_features: usize) -> Self {
        Self::with_config(num_features, BatchNormConfig::default())
    }
    /// A layer with explicit settings.
    pub fn with_config(num_features: usize, config: BatchNormConfig) -> Self {
        BatchNorm1d(BatchNorm::new(num_features, config))
    }
}

impl<T: Float> BatchNorm2d<T> {
    /// A layer for `num_features` channels with PyTorch's defaults.
    pub fn new(num_features: usize) -> Self {
        Self::with_config(num_features, BatchNormConfig::default())
    }
    /// A layer with explicit settings.
    pub fn with_config(num_features: usize, config: BatchNormConfig) -> Self {
        BatchNorm2d(BatchNorm::new(num_features, config))
    }
}

impl<T: Float> Deref for BatchNorm1d<T> {
    type Target = BatchNorm<T>;
    fn deref(&self) -> &BatchNorm<T> {
        &self.0
    }
}

impl<T: Float> DerefMut for BatchNorm1d<T> {
    fn deref_mut(&mut self) -> &mut BatchNorm<T> {
        &mut self.0
    }
}

impl<T: Float> Deref for BatchNorm2d<T> {
    type Target = BatchNorm<T>;
    fn deref(&self) -> &BatchNorm<T> {
        &self.0
    }
}

impl<T: Float> DerefMut for BatchNorm2d<T> {
    fn deref_mut(&mut self) -> &mut BatchNorm<T> {
        &mut self.0
    }
}

impl<T: Float> Module<T> for BatchNorm1d<T> {
    fn forward(&mut self, x: &Var<T>, mode: Mode) -> Var<T> {
        let group = sync::scoped_group();
        self.0
            .forward_checked(x, mode, "BatchNorm1d", &[2, 3], group)
    }
    fn named_parameters(&self) -> Vec<(String, Var<T>)> {
        self.0.named_parameters()
    }
    fn named_buffers(&self) -> Vec<(String, Var<T>)> {
        self.0.named_buffers()
    }
}

impl<T: Float> Module<T> for BatchNorm2d<T> {
    fn forward(&mut self, x: &Var<T>, mode: Mode) -> Var<T> {
        let group = sync::scoped_group();
        self.0.forward_checked(x, mode, "BatchNorm2d", &[4], group)
    }
    fn named_parameters(&self) -> Vec<(String, Var<T>)> {
        self.0.named_parameters()
    }
    fn named_buffers(&self) -> Vec<(String, Var<T>)> {
        self.0.named_buffers()
    }
}
