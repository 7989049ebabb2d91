//! `synapse_logsum`: the log-space inhibition of a fully connected synapse
//! graph, as one fused op.
//!
//! For X of shape (N, n) (N samples of n inputs in (0, 1)) and B of shape
//! (m, n) (B[i, j]: how strongly input j inhibits output i),
//!
//! ```text
//! out[k, i] = Σ_j ln(1 − B[i, j] · X[k, j])                       (N, m)
//! ```
//!
//! so that a Synapse layer is y = a ⊙ x ⊙ exp(out). With
//! ∂/∂z ln(1 − z) = −1/(1 − z) and z = B[i, j]·X[k, j], the chain rule gives
//!
//! ```text
//! dX[k, j] = −Σ_i g[k, i] · B[i, j] / (1 − B[i, j]·X[k, j])
//! dB[i, j] = −Σ_k g[k, i] · X[k, j] / (1 − B[i, j]·X[k, j])
//! ```
//!
//! Written naively (as PyTorch code does) this builds the N×m×n tensor of
//! terms; the kernels in [`kernels`](super::kernels) stream over it instead
//! and use O(N·n + N·m + m·n) extra memory.
//!
//! **Domain policy.** The logarithm needs 1 − B·X > 0. By default each factor
//! is clamped below at [`FACTOR_FLOOR`] (10⁻³⁰, so a term is never below
//! ln 10⁻³⁰ ≈ −69.1, in the spirit of PyTorch's BCE clamping its logs at
//! −100): the output stays finite and the gradient of a clamped term is 0.
//! NaN inputs propagate to NaN outputs. To *count* the clamped factors, use
//! [`synapse_logsum_with_clamp_count`] (the kernels count them as they
//! clamp, at no extra pass; the Synapse layers keep the count of their
//! latest forward). To *detect* out-of-domain inputs instead, use
//! [`synapse_logsum_checked`], which reports the first offending (k, i, j)
//! with the layer's name.

use super::kernels::{fast, reference, Dims};
use crate::error::DomainError;
use std::cell::Cell;
use std::rc::Rc;
use synann_autograd::{apply, BackwardCtx, Function, Var};
use synann_tensor::{Float, Tensor};

/// The smallest factor 1 − B·X the default policy takes the logarithm of;
/// smaller (or negative) factors are clamped to it.
pub const FACTOR_FLOOR: f64 = 1e-30;

/// Which implementation computes the op; both give the same results up to
/// rounding.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Kernel {
    /// Plain loops, one `ln_1p` per term: the obviously-correct yardstick.
    Reference,
    /// Tiled, vectorised, multi-threaded (see [`kernels::fast`](super::kernels::fast)).
    #[default]
    Fast,
}

/// The op: X (N, n) and B (m, n) in, (N, m) out.
struct SynapseLogSum {
    kernel: Kernel,
    /// Where the forward leaves the number of factors it clamped (shared
    /// with the caller, since `apply` takes the op).
    clamped: Rc<Cell<u64>>,
}

/// Reads the dimensions, panicking with both shapes when they do not fit.
fn dims<T: Float>(x: &Tensor<T>, b: &Tensor<T>) -> Dims {
    let (xs, bs) = (x.shape(), b.shape());
    assert!(
        xs.len() == 2 && bs.len() == 2 && xs[1] == bs[1],
        "synapse_logsum: X {xs:?} and B {bs:?} do not fit: need X (N, n) and B (m, n)"
    );
    Dims {
        batch: xs[0],
        inputs: xs[1],
        outputs: bs[0],
    }
}

impl<T: Float> Function<T> for SynapseLogSum {
    fn name(&self) -> &str {
        "synapse_logsum"
    }

    fn forward(&mut self, inputs: &[&Tensor<T>]) -> Tensor<T> {
        let (x, b) = (inputs[0], inputs[1]);
        let d = dims(x, b);
        let result = match self.kernel {
            Kernel::Reference => reference::forward(d, x.data(), b.data()),
            Kernel::Fast => fast::forward(d, x.data(), b.data()),
        };
        self.clamped.set(result.clamped);
        Tensor::from_vec(result.out, &[d.batch, d.outputs])
    }

    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> Vec<Option<Tensor<T>>> {
        let (x, b, g) = (ctx.inputs[0], ctx.inputs[1], ctx.grad_output);
        let d = dims(x, b);
        let (dx, db) = match self.kernel {
            Kernel::Reference => reference::backward(d, x.data(), b.data(), g.data()),
            Kernel::Fast => fast::backward(d, x.data(), b.data(), g.data()),
        };
        vec![
            ctx.needs_grad[0].then(|| Tensor::from_vec(dx, x.shape())),
            ctx.needs_grad[1].then(|| Tensor::from_vec(db, b.shape())),
        ]
    }
}

/// out[k, i] = Σ_j ln(1 − B[i, j]·X[k, j]) for X (N, n) and B (m, n), with
/// the fast kernel and the default domain policy (factors clamped at
/// [`FACTOR_FLOOR`]).
///
/// Panics if X and B are not 2-d with the same number of columns.
///
/// ```
/// use synann::ops::synapse_logsum;
/// use synann_autograd::Var;
/// use synann_tensor::Tensor;
/// let x = Var::requiring_grad(Tensor::from_vec(vec![0.5f64, 0.5], &[1, 2]));
/// let b = Var::requiring_grad(Tensor::from_vec(vec![1.0, 1.0], &[1, 2]));
/// let out = synapse_logsum(&x, &b); // 2·ln(1 − 0.5)
/// assert!((out.value().item() - 2.0 * 0.5f64.ln()).abs() < 1e-12);
/// out.sum_all().backward();
/// assert!((x.grad().unwrap().data()[0] + 2.0).abs() < 1e-12); // −B/(1 − B·X)
/// ```
pub fn synapse_logsum<T: Float>(x: &Var<T>, b: &Var<T>) -> Var<T> {
    synapse_logsum_with(x, b, Kernel::Fast)
}

/// [`synapse_logsum`] computed by the chosen [`Kernel`].
pub fn synapse_logsum_with<T: Float>(x: &Var<T>, b: &Var<T>, kernel: Kernel) -> Var<T> {
    synapse_logsum_with_clamp_count(x, b, kernel).0
}

/// [`synapse_logsum_with`], also returning how many factors
/// 1 − B[i, j]·X[k, j] were below [`FACTOR_FLOOR`] and clamped to it (NaN
/// factors are not counted). The kernel counts as it clamps, so the count
/// costs no extra pass over the data; the output is the same.
///
/// ```
/// use synann::ops::{synapse_logsum_with_clamp_count, Kernel};
/// use synann_autograd::Var;
/// use synann_tensor::Tensor;
/// let x = Var::constant(Tensor::from_vec(vec![0.5f64, 0.9], &[1, 2]));
/// let b = Var::constant(Tensor::from_vec(vec![0.5, 2.0, 3.0, 0.1], &[2, 2]));
/// // 1 − 2·0.9 and 1 − 3·0.5 are negative: two factors clamped.
/// let (out, clamped) = synapse_logsum_with_clamp_count(&x, &b, Kernel::Fast);
/// assert_eq!(clamped, 2);
/// assert!(out.value().all_finite());
/// ```
pub fn synapse_logsum_with_clamp_count<T: Float>(
    x: &Var<T>,
    b: &Var<T>,
    kernel: Kernel,
) -> (Var<T>, u64) {
    let clamped = Rc::new(Cell::new(0));
    let op = SynapseLogSum {
        kernel,
        clamped: Rc::clone(&clamped),
    };
    let out = apply(op, &[x, b]);
    (out, clamped.get())
}

/// Checks that every factor 1 − B[i, j]·X[k, j] is at least [`FACTOR_FLOOR`]
/// (so the default policy changes nothing), reporting the first one that is
/// not, in row-major (k, i, j) order, with `layer` as the culprit's name.
///
/// Panics on shapes that do not fit, like [`synapse_logsum`].
pub fn check_domain<T: Float>(
    x: &Tensor<T>,
    b: &Tensor<T>,
    layer: &str,
) -> Result<(), DomainError> {
    let d = dims(x, b);
    let (xd, bd, n) = (x.data(), b.data(), d.inputs);
    let floor = T::from_f64(FACTOR_FLOOR);
    for k in 0..d.batch {
        let xrow = &xd[k * n..(k + 1) * n];
        for i in 0..d.outputs {
            let brow = &bd[i * n..(i + 1) * n];
            let outside = |j: usize| {
                let factor = T::ONE - brow[j] * xrow[j];
                factor.is_nan() || factor < floor
            };
            if let Some(j) = (0..n).find(|&j| outside(j)) {
                return Err(DomainError::FactorOutOfDomain {
                    layer: layer.to_string(),
                    k,
                    i,
                    j,
                    b: brow[j].to_f64(),
                    x: xrow[j].to_f64(),
                });
            }
        }
    }
    Ok(())
}

/// [`synapse_logsum`] that first checks the domain ([`check_domain`]) and
/// returns a [`DomainError`] naming `layer` and the offending (k, i, j)
/// instead of clamping.
///
/// ```
/// use synann::ops::synapse_logsum_checked;
/// use synann::DomainError;
/// use synann_autograd::Var;
/// use synann_tensor::Tensor;
/// let x = Var::constant(Tensor::from_vec(vec![0.5f64, 0.9], &[1, 2]));
/// let b = Var::constant(Tensor::from_vec(vec![0.5, 2.0], &[1, 2])); // 1 − 2·0.9 < 0
/// let err = synapse_logsum_checked(&x, &b, "syn1").unwrap_err();
/// assert!(matches!(err, DomainError::FactorOutOfDomain { k: 0, i: 0, j: 1, .. }));
/// assert!(err.to_string().starts_with("syn1"));
/// ```
pub fn synapse_logsum_checked<T: Float>(
    x: &Var<T>,
    b: &Var<T>,
    layer: &str,
) -> Result<Var<T>, DomainError> {
    check_domain(&x.value(), &b.value(), layer)?;
    Ok(synapse_logsum(x, b))
}
