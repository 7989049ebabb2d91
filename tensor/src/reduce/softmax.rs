//! log_sum_exp, softmax and log_softmax, computed stably by shifting by the
//! maximum: ln Σ e^(x_i) = m + ln Σ e^(x_i − m) with m = max x_i, so no
//! exponential overflows.

use super::KeepDim;
use crate::element::Float;
use crate::tensor::Tensor;

impl<T: Float> Tensor<T> {
    /// ln Σ exp(x) along `axis`.
    pub fn log_sum_exp(&self, axis: isize, keepdim: KeepDim) -> Self {
        let m = self.max(&[axis], KeepDim::Yes);
        // A row of −∞ would give (−∞) − (−∞) = NaN; shift by 0 there instead.
        let m = m.map(|v| if v.is_finite() { v } else { T::ZERO });
        let lse = self.sub(&m).exp().sum(&[axis], KeepDim::Yes).ln().add(&m);
        match keepdim {
            KeepDim::Yes => lse,
            KeepDim::No => lse.squeeze(axis),
        }
    }

    /// e^(x_i) / Σ_j e^(x_j) along `axis`.
    pub fn softmax(&self, axis: isize) -> Self {
        let m = self.max(&[axis], KeepDim::Yes);
        let e = self.sub(&m).exp();
        let s = e.sum(&[axis], KeepDim::Yes);
        e.div(&s)
    }

    /// x_i − ln Σ_j e^(x_j) along `axis`.
    pub fn log_softmax(&self, axis: isize) -> Self {
        self.sub(&self.log_sum_exp(axis, KeepDim::Yes))
    }
}
