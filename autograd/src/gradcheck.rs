//! Gradient checking: compare the analytic gradients of a function of
//! [`Var`]s with central finite differences, in f64.
//!
//! For a function f with inputs x₁…x_k and an output y, draw a random
//! gradient v for y (seeded) and check, for every element x of every input,
//!
//! ```text
//! analytic  = (vᵀ ∂y/∂x)          from one backward pass
//! numeric   = (L(x + ε) − L(x − ε)) / 2ε,   L = Σ v ⊙ y
//! pass when |analytic − numeric| ≤ atol + rtol·|numeric|
//! ```
//!
//! Using a random v checks the whole Jacobian with probability one while
//! needing one backward pass instead of one per output element. Besides the
//! values it checks what PyTorch's `gradcheck` checks: each gradient has its
//! input's shape, a second backward gives bitwise the same result
//! (reentrancy), and the backward is linear in the output gradient
//! (backward(2v) = 2·backward(v)). The fast mode (for large inputs) also
//! draws a random direction u per input and compares vᵀJu with a single
//! directional difference.
//!
//! ```
//! use synann_autograd::{gradcheck, GradcheckOptions, Var};
//! use synann_tensor::Tensor;
//! let x = Tensor::from_vec(vec![0.3, -1.2, 2.0], &[3]);
//! // f(x) = x · exp(x): its backward is built from mul and exp.
//! gradcheck(|v: &[Var<f64>]| v[0].mul(&v[0].exp()), &[x], &GradcheckOptions::default()).unwrap();
//! ```

use crate::no_grad::no_grad;
use crate::var::Var;
use rand::SeedableRng;
use synann_tensor::Tensor;

/// Settings of [`gradcheck`]; the defaults are PyTorch's.
#[derive(Clone, Debug)]
pub struct GradcheckOptions {
    /// Finite-difference step.
    pub eps: f64,
    /// Absolute tolerance.
    pub atol: f64,
    /// Relative tolerance.
    pub rtol: f64,
    /// Compare vᵀJu for random directions u instead of every element.
    pub fast_mode: bool,
    /// Seed of the random output gradient (and directions).
    pub seed: u64,
}

impl Default for GradcheckOptions {
    fn default() -> Self {
        GradcheckOptions {
            eps: 1e-6,
            atol: 1e-5,
            rtol: 1e-3,
            fast_mode: false,
            seed: 0x5eed,
        }
    }
}

/// Why a gradient check failed; the message names the input and element.
#[derive(Clone, Debug, PartialEq)]
pub enum GradcheckError {
    /// An analytic gradient differs from the numeric one.
    Mismatch {
        /// Which input (0-based).
        input: usize,
        /// Multi-index of the element (empty in fast mode).
        index: Vec<usize>,
        /// Value from backward.
        analytic: f64,
        /// Value from central differences.
        numeric: f64,
    },
    /// A gradient has the wrong shape.
    WrongShape {
        /// Which input.
        input: usize,
        /// The input's shape.
        expected: Vec<usize>,
        /// The gradient's shape.
        got: Vec<usize>,
    },
    /// Two backward passes gave different results.
    NotReentrant {
        /// Which input.
        input: usize,
        /// Flat index of the first differing element.
        index: usize,
        /// First pass.
        first: f64,
        /// Second pass.
        second: f64,
    },
    /// backward(2v) ≠ 2·backward(v).
    NotLinear {
        /// Which input.
        input: usize,
        /// Flat index of the first offending element.
        index: usize,
        /// 2·backward(v).
        expected: f64,
        /// backward(2v).
        got: f64,
    },
    /// The function's output is not finite at the given inputs.
    NonFinite {
        /// What was evaluated.
        what: String,
    },
}

impl std::fmt::Display for GradcheckError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GradcheckError::Mismatch { input, index, analytic, numeric } => write!(
                f,
                "gradcheck: input {input}, element {index:?}: analytic {analytic:.10e} vs numeric {numeric:.10e} (difference {:.3e})",
                (analytic - numeric).abs()
            ),
            GradcheckError::WrongShape { input, expected, got } => write!(
                f,
                "gradcheck: input {input}: gradient has shape {got:?}, input has shape {expected:?}"
            ),
            GradcheckError::NotReentrant { input, index, first, second } => write!(
                f,
                "gradcheck: input {input}, flat element {index}: backward is not reentrant ({first:e} then {second:e})"
            ),
            GradcheckError::NotLinear { input, index, expected, got } => write!(
                f,
                "gradcheck: input {input}, flat element {index}: backward is not linear in the output gradient (backward(2v) = {got:e}, 2·backward(v) = {expected:e})"
            ),
            GradcheckError::NonFinite { what } => write!(f, "gradcheck: non-finite value in {what}"),
        }
    }
}

impl std::error::Error for GradcheckError {}

/// L = Σ v ⊙ f(inputs), evaluated without recording a graph.
fn projected<F>(f: &F, inputs: &[Tensor<f64>], v: &Tensor<f64>) -> f64
where
    F: Fn(&[Var<f64>]) -> Var<f64>,
{
    no_grad(|| {
        let vars: Vec<Var<f64>> = inputs.iter().map(|t| Var::constant(t.clone())).collect();
        let y = f(&vars);
        let y = y.value();
        y.data().iter().zip(v.data()).map(|(a, b)| a * b).sum()
    })
}

/// The analytic gradients vᵀJ for every input, from one backward pass.
fn analytic<F>(
    f: &F,
    inputs: &[Tensor<f64>],
    v: &Tensor<f64>,
) -> Result<Vec<Tensor<f64>>, GradcheckError>
where
    F: Fn(&[Var<f64>]) -> Var<f64>,
{
    let vars: Vec<Var<f64>> = inputs.iter().map(|t| Var::leaf(t.clone(), true)).collect();
    let y = f(&vars);
    if y.requires_grad() {
        y.backward_with(v.clone());
    }
    vars.iter()
        .enumerate()
        .map(|(i, var)| {
            let g = var
                .take_grad()
                .unwrap_or_else(|| Tensor::zeros(var.value().shape()));
            if g.shape() != inputs[i].shape() {
                return Err(GradcheckError::WrongShape {
                    input: i,
                    expected: inputs[i].shape().to_vec(),
                    got: g.shape().to_vec(),
                });
            }
            Ok(g)
        })
        .collect()
}

fn unflatten(mut flat: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for a in (0..shape.len()).rev() {
        idx[a] = flat % shape[a];
        flat /= shape[a];
    }
    idx
}

fn close(a: f64, n: f64, o: &GradcheckOptions) -> bool {
    (a - n).abs() <= o.atol + o.rtol * n.abs()
}

/// Checks the gradients of `f` at `inputs` (see the module docs). Every
/// input is treated as requiring grad; capture constants in the closure.
pub fn gradcheck<F>(
    f: F,
    inputs: &[Tensor<f64>],
    opts: &GradcheckOptions,
) -> Result<(), GradcheckError>
where
    F: Fn(&[Var<f64>]) -> Var<f64>,
{
    let mut rng = rand::rngs::StdRng::seed_from_u64(opts.seed);
    let out_shape = no_grad(|| {
        let vars: Vec<Var<f64>> = inputs.iter().map(|t| Var::constant(t.clone())).collect();
        let y = f(&vars);
        let ok = y.value().all_finite();
        (y.shape(), ok)
    });
    if !out_shape.1 {
        return Err(GradcheckError::NonFinite {
            what: "the function's output".into(),
        });
    }
    let v = Tensor::<f64>::uniform(&out_shape.0, -1.0, 1.0, &mut rng);

    // Shape, reentrancy and linearity of backward.
    let g1 = analytic(&f, inputs, &v)?;
    let g2 = analytic(&f, inputs, &v)?;
    let g_double = analytic(&f, inputs, &v.mul_scalar(2.0))?;
    for i in 0..inputs.len() {
        if let Some(k) =
            (0..g1[i].numel()).find(|&k| g1[i].data()[k].to_bits() != g2[i].data()[k].to_bits())
        {
            return Err(GradcheckError::NotReentrant {
                input: i,
                index: k,
                first: g1[i].data()[k],
                second: g2[i].data()[k],
            });
        }
        for k in 0..g1[i].numel() {
            let (e, got) = (2.0 * g1[i].data()[k], g_double[i].data()[k]);
            if (e - got).abs() > 1e-12 + 1e-9 * e.abs() {
                return Err(GradcheckError::NotLinear {
                    input: i,
                    index: k,
                    expected: e,
                    got,
                });
            }
        }
    }

    // Values against central differences.
    let mut work: Vec<Tensor<f64>> = inputs.to_vec();
    for i in 0..inputs.len() {
        if opts.fast_mode {
            let u = Tensor::<f64>::uniform(inputs[i].shape(), -1.0, 1.0, &mut rng);
            work[i] = inputs[i].add(&u.mul_scalar(opts.eps));
            let plus = projected(&f, &work, &v);
            work[i] = inputs[i].sub(&u.mul_scalar(opts.eps));
            let minus = projected(&f, &work, &v);
            work[i] = inputs[i].clone();
            let numeric = (plus - minus) / (2.0 * opts.eps);
            let a: f64 = g1[i].data().iter().zip(u.data()).map(|(g, u)| g * u).sum();
            if !close(a, numeric, opts) {
                return Err(GradcheckError::Mismatch {
                    input: i,
                    index: vec![],
                    analytic: a,
                    numeric,
                });
            }
            continue;
        }
        for k in 0..inputs[i].numel() {
            let x = inputs[i].data()[k];
            work[i].data_mut()[k] = x + opts.eps;
            let plus = projected(&f, &work, &v);
            work[i].data_mut()[k] = x - opts.eps;
            let minus = projected(&f, &work, &v);
            work[i].data_mut()[k] = x;
            if !plus.is_finite() || !minus.is_finite() {
                return Err(GradcheckError::NonFinite {
                    what: format!(
                        "f at input {i}, element {:?} ± eps",
                        unflatten(k, inputs[i].shape())
                    ),
                });
            }
            let numeric = (plus - minus) / (2.0 * opts.eps);
            let a = g1[i].data()[k];
            if !close(a, numeric, opts) {
                return Err(GradcheckError::Mismatch {
                    input: i,
                    index: unflatten(k, inputs[i].shape()),
                    analytic: a,
                    numeric,
                });
            }
        }
    }
    Ok(())
}
