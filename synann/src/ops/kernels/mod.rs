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
//! it was clamped (the clamp is flat there). NaN inputs propagate. The
//! forwards also count the clamped factors ([`ForwardOutput::clamped`]),
//! inside their loops: the comparison that clamps a factor adds it to the
//! count, so the count costs no extra pass over the data.
//!
//! - [`reference`](mod@reference): three nested loops, one `ln_1p` per term: obviously
//!   correct, the yardstick the tests compare against;
//! - [`fast`]: cache-tiled, autovectorised, one logarithm per many factors,
//!   parallel over blocks of rows.

pub mod fast;
pub mod reference;

/// What a forward kernel returns: the output and how many factors it
/// clamped.
#[derive(Clone, Debug, PartialEq)]
pub struct ForwardOutput<T> {
    /// out[k, i], row-major (N, m).
    pub out: Vec<T>,
    /// The number of (k, i, j) whose factor 1 − B[i, j]·X[k, j] was below
    /// [`FACTOR_FLOOR`](crate::ops::FACTOR_FLOOR) and was clamped to it. A
    /// NaN factor is not counted: it is not clamped but propagates.
    pub clamped: u64,
}

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
