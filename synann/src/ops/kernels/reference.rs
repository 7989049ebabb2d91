//! The reference kernels: the formulas as three nested loops.
//!
//! Slow (one `ln_1p` or one division per term, no tiling, one thread) but
//! short enough to check by eye; the fast kernels are tested against them.

use super::{Dims, ForwardOutput};
use crate::ops::FACTOR_FLOOR;
use synann_tensor::Float;

/// out[k, i] = Σ_j ln max(1 − B[i, j]·X[k, j], FACTOR_FLOOR), row-major
/// (N, m), and the number of factors clamped to the floor.
pub fn forward<T: Float>(d: Dims, x: &[T], b: &[T]) -> ForwardOutput<T> {
    d.check("synapse_logsum reference forward", x.len(), b.len());
    let floor = T::from_f64(FACTOR_FLOOR);
    let n = d.inputs;
    let mut out = vec![T::ZERO; d.batch * d.outputs];
    let mut clamped = 0;
    for k in 0..d.batch {
        for i in 0..d.outputs {
            let mut acc = T::ZERO;
            for j in 0..n {
                let bx = b[i * n + j] * x[k * n + j];
                // ln(1 − bx) = ln_1p(−bx), accurate for small bx.
                acc += if T::ONE - bx < floor {
                    clamped += 1;
                    floor.ln()
                } else {
                    (-bx).ln_1p()
                };
            }
            out[k * d.outputs + i] = acc;
        }
    }
    ForwardOutput { out, clamped }
}

/// The gradients (dX, dB) for the output gradient `g` (N, m).
pub fn backward<T: Float>(d: Dims, x: &[T], b: &[T], g: &[T]) -> (Vec<T>, Vec<T>) {
    d.check("synapse_logsum reference backward", x.len(), b.len());
    let floor = T::from_f64(FACTOR_FLOOR);
    let (n, m) = (d.inputs, d.outputs);
    let mut dx = vec![T::ZERO; d.batch * n];
    let mut db = vec![T::ZERO; m * n];
    for k in 0..d.batch {
        for i in 0..m {
            for j in 0..n {
                let factor = T::ONE - b[i * n + j] * x[k * n + j];
                // d/d(bx) ln(1 − bx) = −1/(1 − bx); zero where the factor was clamped.
                let r = if factor < floor {
                    T::ZERO
                } else {
                    T::ONE / factor
                };
                let gr = g[k * m + i] * r;
                dx[k * n + j] -= gr * b[i * n + j];
                db[i * n + j] -= gr * x[k * n + j];
            }
        }
    }
    (dx, db)
}
