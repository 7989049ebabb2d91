//! [`PiecewiseConstantLR`]: fixed values between epoch boundaries (Keras's
//! `PiecewiseConstantDecay`, counted in epochs).
//!
//! With boundaries b₀ < b₁ < … and values v₀, v₁, …, one more than the
//! boundaries: `lr(e) = v₀` for e < b₀, `v₁` for b₀ ≤ e < b₁, …, and the
//! last value from the last boundary on. The original SynaNN run used
//! boundaries [12, 30] and values [1e-3, 1e-4, 1e-5].

use super::ClosedForm;
use crate::optim::ConfigError;

/// A learning rate that is constant between boundary epochs.
///
/// ```
/// use synann_nn::lr_scheduler::{ClosedForm, PiecewiseConstantLR};
/// let s = PiecewiseConstantLR::new(vec![12, 30], vec![1e-3, 1e-4, 1e-5]).unwrap();
/// assert_eq!([s.lr_at(11), s.lr_at(12), s.lr_at(29), s.lr_at(30)], [1e-3, 1e-4, 1e-4, 1e-5]);
/// ```
#[derive(Clone, Debug)]
pub struct PiecewiseConstantLR {
    boundaries: Vec<u64>,
    values: Vec<f64>,
    last_epoch: u64,
}

impl PiecewiseConstantLR {
    /// `boundaries` must be strictly increasing and `values` one longer.
    pub fn new(boundaries: Vec<u64>, values: Vec<f64>) -> Result<Self, ConfigError> {
        const OWNER: &str = "PiecewiseConstantLR";
        ConfigError::check(
            boundaries.windows(2).all(|w| w[0] < w[1]),
            OWNER,
            "boundaries",
            format!("{boundaries:?}"),
            "must be strictly increasing",
        )?;
        ConfigError::check(
            values.len() == boundaries.len() + 1,
            OWNER,
            "values",
            format!("{values:?}"),
            "must hold one more value than there are boundaries",
        )?;
        Ok(PiecewiseConstantLR {
            boundaries,
            values,
            last_epoch: 0,
        })
    }
}

impl ClosedForm for PiecewiseConstantLR {
    const NAME: &'static str = "PiecewiseConstantLR";

    fn lr_at(&self, epoch: u64) -> f64 {
        self.values[self.boundaries.partition_point(|&b| b <= epoch)]
    }

    fn last_epoch(&self) -> u64 {
        self.last_epoch
    }

    fn set_last_epoch(&mut self, epoch: u64) {
        self.last_epoch = epoch;
    }
}
