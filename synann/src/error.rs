//! The typed errors of the synann crate.

use std::fmt;

/// An input outside the domain of a synapse: a factor 1 − B[i, j]·X[k, j]
/// that is not above [`FACTOR_FLOOR`](crate::ops::FACTOR_FLOOR) (zero,
/// negative, or NaN), whose logarithm the default policy would clamp.
///
/// Returned by [`synapse_logsum_checked`](crate::ops::synapse_logsum_checked)
/// and the layers' `try_forward`, naming the layer and the first offending
/// indices in row-major (k, i, j) order.
#[derive(Clone, Debug, PartialEq)]
pub enum DomainError {
    /// 1 − B[i, j]·X[k, j] ≤ `FACTOR_FLOOR` (or NaN).
    FactorOutOfDomain {
        /// The layer (or op) that met the input.
        layer: String,
        /// Row of X: the sample (or pixel) index.
        k: usize,
        /// Row of B: the output feature.
        i: usize,
        /// Column of both: the inhibiting input feature.
        j: usize,
        /// B[i, j].
        b: f64,
        /// X[k, j].
        x: f64,
    },
}

impl fmt::Display for DomainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DomainError::FactorOutOfDomain { layer, k, i, j, b, x } => write!(
                f,
                "{layer}: synapse factor 1 − B[{i}, {j}]·X[{k}, {j}] = 1 − {b}·{x} = {} is not positive \
                 (sample {k}, output {i}, input {j})",
                1.0 - b * x
            ),
        }
    }
}

impl std::error::Error for DomainError {}
