//! [`SynapseConv2d`]: a synapse graph over local windows (our design).
//!
//! Each pixel of each channel is inhibited by the k×k neighbourhood of every
//! channel (C channels in and out, odd k, zero 'same' padding):
//!
//! ```text
//! ln y[c, p] = ln x[c, p] + Σ_{c', q ∈ k×k} ln(1 − B[c, c', q] · x[c', p + q])
//! ```
//!
//! with x = 0 outside the image (a padded tap contributes ln 1 = 0). It is
//! [`synapse_logsum`](crate::ops::synapse_logsum) applied to the im2col windows: one row of X per pixel
//! (its C·k·k window values, [`Var::im2row_same`]), one row of B per output
//! channel (B [C, C, k, k] flattened to [C, C·k·k] in the same (c', ky, kx)
//! order). Like [`Synapse`](super::Synapse), the layer counts the factors
//! it clamps at [`FACTOR_FLOOR`](crate::ops::FACTOR_FLOOR)
//! ([`SynapseConv2d::clamped_factors`]).

use super::synapse::{BParam, SynapseInit};
use crate::ops::{synapse_logsum_with_clamp_count, Kernel};
use std::cell::Cell;
use synann_autograd::anomaly::describe_module;
use synann_autograd::Var;
use synann_nn::{Mode, Module};
use synann_tensor::random::Rng;
use synann_tensor::{Float, Tensor};

/// The convolutional synapse layer on [N, C, H, W] inputs in (0, 1) (see
/// the [module docs](self)).
///
/// Parameter: `weight` [C, C, k, k], giving B through [`BParam`].
///
/// ```
/// use synann::layers::{BParam, SynapseConv2d, SynapseInit};
/// use synann_autograd::Var;
/// use synann_nn::{Mode, Module};
/// use synann_tensor::{random::seeded, Tensor};
/// let mut conv = SynapseConv2d::<f32>::new(2, 3, SynapseInit::original(), BParam::Sigmoid, &mut seeded(0));
/// let x = Var::constant(Tensor::full(&[1, 2, 5, 5], 0.5));
/// let y = conv.forward(&x, Mode::Train);
/// assert_eq!(y.shape(), vec![1, 2, 5, 5]);
/// assert!(y.value().data().iter().all(|&v| v > 0.0 && v < 0.5));
/// ```
pub struct SynapseConv2d<T: Float> {
    /// W, [C, C, k, k].
    pub weight: Var<T>,
    /// How `weight` becomes B.
    pub param: BParam,
    /// The factors clamped by the latest forward.
    clamped: Cell<u64>,
}

impl<T: Float> SynapseConv2d<T> {
    /// A layer on `channels` channels with a `kernel_size`² window (odd),
    /// `weight` initialised by `init` (fan in = C·k·k).
    pub fn new(
        channels: usize,
        kernel_size: usize,
        init: SynapseInit,
        param: BParam,
        rng: &mut Rng,
    ) -> Self {
        assert!(
            kernel_size % 2 == 1,
            "SynapseConv2d: kernel size {kernel_size} must be odd for 'same' padding"
        );
        let weight = Var::requiring_grad(Tensor::zeros(&[
            channels,
            channels,
            kernel_size,
            kernel_size,
        ]));
        init.fill(&weight, param, rng);
        SynapseConv2d {
            weight,
            param,
            clamped: Cell::new(0),
        }
    }

    /// The number of channels C.
    pub fn channels(&self) -> usize {
        self.weight.shape()[0]
    }

    /// The window size k.
    pub fn kernel_size(&self) -> usize {
        self.weight.shape()[2]
    }

    /// The number of factors 1 − B·window that the latest forward (in
    /// either mode) found below [`FACTOR_FLOOR`](crate::ops::FACTOR_FLOOR) and
    /// clamped, over every pixel, output channel and tap; 0 before the
    /// first forward. Padded taps (x = 0, factor 1) are never clamped.
    pub fn clamped_factors(&self) -> u64 {
        self.clamped.get()
    }

    /// Returns [`SynapseConv2d::clamped_factors`] and resets it to 0.
    pub fn take_clamped_factors(&self) -> u64 {
        self.clamped.take()
    }
}

impl<T: Float> Module<T> for SynapseConv2d<T> {
    /// y = x ⊙ exp(Σ ln(1 − B·window)); the mode does not matter.
    fn forward(&mut self, x: &Var<T>, _mode: Mode) -> Var<T> {
        let s = x.shape();
        let (c, k) = (self.channels(), self.kernel_size());
        let _scope = describe_module(|| format!("SynapseConv2d({c}, {k}×{k})"));
        assert!(
            s.len() == 4 && s[1] == c,
            "SynapseConv2d: input {s:?} does not match [N, {c}, H, W] (weight {:?})",
            self.weight.shape()
        );
        let (n, h, w) = (s[0], s[2], s[3]);
        // One row per pixel: [N·H·W, C·k·k].
        let windows = x.im2row_same(k);
        let b = self.param.apply(&self.weight).reshape(&[c, c * k * k]);
        let (log_inhibition, clamped) = synapse_logsum_with_clamp_count(&windows, &b, Kernel::Fast);
        self.clamped.set(clamped);
        // [N·H·W, C] → [N, C, H, W].
        let log_inhibition = log_inhibition
            .reshape(&[n, h * w, c])
            .permute(&[0, 2, 1])
            .reshape(&[n, c, h, w]);
        x.mul(&log_inhibition.exp())
    }

    fn named_parameters(&self) -> Vec<(String, Var<T>)> {
        vec![("weight".to_string(), self.weight.clone())]
    }

    /// The layer's own [`SynapseConv2d::clamped_factors`], under `""`.
    fn named_clamp_counts(&self) -> Vec<(String, u64)> {
        vec![(String::new(), self.clamped_factors())]
    }
}
