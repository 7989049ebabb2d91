//! The two implementations of `synapse_logsum`, on plain row-major slices.
//!
//! Both compute, for X of shape (N, n) and B of shape (m, n),
//!
//! ```text
//! out[k, i] = Σ_j ln f(k, i, j),        f = max(1 − B[i, j]·X[k, j], FACTOR_FLOOR)
//! dX[k, j]  = −Σ_i g[k, i] · B[i, j] · r(k, i, j)
//! dB[i, j]  = −Σ_k g[k, i] · X[k, j] · r(k, i, j)
//! ```
//!
//! with r = 1/(1 − B·X) where the factor is above the floor and r = 0 where
//! it was clamped (the clamp is flat there). NaN inputs propagate.
//!
//! - [`reference`](mod@reference): three nested loops, one `ln_1p` per term: obviously
//!   correct, the yardstick the tests compare against;
//! - [`fast`]: cache-tiled, autovectorised, one logarithm per many factors,
//!   parallel over blocks of rows.

pub mod fast;
pub mod reference;

/// Shapes of one call: X is (N, n), B is (m, n).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dims {
    /// Rows of X (samples).
    pub batch: usize,
    /// Columns of X and B (inhibiting inputs).
    pub inputs: usize,
    /// Rows of B (outputs).
    pub outputs: usize,
}

impl Dims {
    /// Asserts that the slices have the lengths these shapes need.
    pub(crate) fn check(&self, op: &str, x: usize, b: usize) {
        assert!(
            x == self.batch * self.inputs && b == self.outputs * self.inputs,
            "{op}: X of {x} and B of {b} elements do not match X ({}, {}) and B ({}, {})",
            self.batch,
            self.inputs,
            self.outputs,
            self.inputs
        );
    }
}
