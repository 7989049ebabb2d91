//! Precision checks: an op's f32 outputs and gradients against its own f64
//! run on the same inputs.
//!
//! A gradient check runs in f64, where rounding is negligible; it says
//! nothing about an f32 kernel that reorders sums, multiplies factors
//! instead of adding logarithms, or uses a lower-precision approximation.
//! This check rounds the inputs to f32 once, runs the op in f32 and in f64
//! on exactly those values (so the inputs' own rounding is not counted),
//! and compares each output and each gradient element:
//!
//! ```text
//! error in ulps = |y₃₂ − y₆₄| / (ε₃₂ · scale),   ε₃₂ = f32::EPSILON
//! scale         = |y₆₄| + κ̂,   κ̂ ≈ |Σ_j ∂y/∂x_j · x_j·s_j|  (max over a few random signs s)
//! pass when error in ulps ≤ PrecisionOptions::ulps
//! ```
//!
//! κ̂ is a statistical condition estimate: how much y moves when every
//! input moves by a random relative amount, measured in f64 by central
//! differences. It is large where y is the small difference of large
//! terms, which is where even a perfect f32 kernel loses digits, so the
//! bound widens exactly there. Gradients are compared the same way, the
//! condition estimate perturbing both the inputs and the output gradient v.
//!
//! ```
//! use synann_autograd::{check_precision, PrecisionOptions, Var};
//! use synann_tensor::Tensor;
//! let x = Tensor::from_vec(vec![0.3, -1.2, 2.0, 0.7], &[2, 2]);
//! // The same expression, once for f32 and once for f64.
//! check_precision!(|v| v[0].exp().matmul(&v[0]).tanh(), &[x], &PrecisionOptions::default()).unwrap();
//! ```

use crate::var::Var;
use rand::{Rng, SeedableRng};
use std::fmt;
use synann_tensor::shape::unravel_index;
use synann_tensor::Tensor;

/// Settings of [`check_precision`].
#[derive(Clone, Debug)]
pub struct PrecisionOptions {
    /// The largest accepted error, in units of f32::EPSILON times the
    /// condition-scaled magnitude (see the module docs).
    pub ulps: f64,
    /// Random sign vectors of the condition estimate.
    pub samples: usize,
    /// Seed of the output gradient and of the sign vectors.
    pub seed: u64,
    /// Whether gradients are compared too.
    pub compare: Compared,
    /// How many excesses a failure lists (the worst ones).
    pub max_reported: usize,
}

impl Default for PrecisionOptions {
    fn default() -> Self {
        PrecisionOptions {
            ulps: 64.0,
            samples: 4,
            seed: 0x5eed,
            compare: Compared::OutputAndGradients,
            max_reported: 10,
        }
    }
}

/// What [`check_precision`] compares.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Compared {
    /// The output only (the forward kernel).
    Output,
    /// The gradient of every input only (the backward kernel).
    Gradients,
    /// The output and the gradient of every input.
    #[default]
    OutputAndGradients,
}

/// Which value an excess is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Quantity {
    /// The op's output.
    Output,
    /// The gradient of input `input`.
    Gradient {
        /// Which input (0-based).
        input: usize,
    },
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Quantity::Output => write!(f, "output"),
            Quantity::Gradient { input } => write!(f, "gradient of input {input}"),
        }
    }
}

/// One value whose f32 error exceeds the bound.
#[derive(Clone, Debug, PartialEq)]
pub struct PrecisionExcess {
    /// Output or which gradient.
    pub quantity: Quantity,
    /// Multi-index of the element.
    pub index: Vec<usize>,
    /// The f32 result (widened).
    pub value_f32: f64,
    /// The f64 result.
    pub value_f64: f64,
    /// The condition estimate κ̂ at this element.
    pub condition: f64,
    /// The error in ulps of |y₆₄| + κ̂.
    pub ulps: f64,
}

impl fmt::Display for PrecisionExcess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.index.iter().map(|i| i.to_string()).collect();
        write!(
            f,
            "{}[{}]: f32 {:.8e} vs f64 {:.8e} (error {:.2e} = {:.0} ulps of |y| {:.2e} + condition estimate {:.2e})",
            self.quantity,
            parts.join(", "),
            self.value_f32,
            self.value_f64,
            (self.value_f32 - self.value_f64).abs(),
            self.ulps,
            self.value_f64.abs(),
            self.condition
        )
    }
}

/// What a passing [`check_precision`] measured.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PrecisionReport {
    /// The op that produced the output, if any.
    pub op: Option<String>,
    /// Number of values compared.
    pub compared: usize,
    /// The largest error seen, in ulps (at most the bound).
    pub worst_ulps: f64,
}

/// Why a precision check failed.
#[derive(Clone, Debug, PartialEq)]
pub enum PrecisionError {
    /// Some f32 values are further from f64 than the bound allows.
    Exceeded {
        /// The op that produced the output, if any.
        op: Option<String>,
        /// The bound, in ulps.
        bound: f64,
        /// The worst excesses, largest first.
        worst: Vec<PrecisionExcess>,
        /// How many values exceeded the bound.
        total: usize,
        /// How many values were compared.
        compared: usize,
    },
    /// The f64 run is not finite: there is nothing to compare against.
    NonFinite {
        /// The op that produced the output, if any.
        op: Option<String>,
    },
    /// The f32 and f64 runs have different output shapes.
    ShapeMismatch {
        /// The f32 output's shape.
        f32_shape: Vec<usize>,
        /// The f64 output's shape.
        f64_shape: Vec<usize>,
    },
}

impl fmt::Display for PrecisionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = |op: &Option<String>| match op {
            Some(op) => format!("precision check of `{op}`"),
            None => "precision check".to_string(),
        };
        match self {
            PrecisionError::Exceeded {
                op,
                bound,
                worst,
                total,
                compared,
            } => {
                write!(
                    f,
                    "{}: {total} of {compared} f32 values are more than {bound} ulps from the f64 run",
                    name(op)
                )?;
                for e in worst {
                    write!(f, "\n  {e}")?;
                }
                Ok(())
            }
            PrecisionError::NonFinite { op } => {
                write!(f, "{}: the f64 run is not finite", name(op))
            }
            PrecisionError::ShapeMismatch {
                f32_shape,
                f64_shape,
            } => write!(
                f,
                "precision check: the f32 output has shape {f32_shape:?}, the f64 one {f64_shape:?}"
            ),
        }
    }
}

impl std::error::Error for PrecisionError {}

/// Output and input gradients of one run, widened to f64.
struct Run {
    op: Option<String>,
    output: Tensor<f64>,
    grads: Vec<Tensor<f64>>,
}

fn run_f32<F>(f: &F, inputs: &[Tensor<f64>], v: Option<&Tensor<f64>>) -> Run
where
    F: Fn(&[Var<f32>]) -> Var<f32>,
{
    let vars: Vec<Var<f32>> = inputs
        .iter()
        .map(|t| Var::requiring_grad(t.cast::<f32>()))
        .collect();
    let y = f(&vars);
    let op = y.op_name();
    let output = y.value().cast::<f64>();
    if let (Some(v), true) = (v, y.requires_grad()) {
        y.backward_with(v.cast::<f32>());
    }
    let grads = vars
        .iter()
        .zip(inputs)
        .map(|(x, t)| {
            x.take_grad()
                .map(|g| g.cast::<f64>())
                .unwrap_or_else(|| Tensor::zeros(t.shape()))
        })
        .collect();
    Run { op, output, grads }
}

fn run_f64<G>(g: &G, inputs: &[Tensor<f64>], v: Option<&Tensor<f64>>) -> Run
where
    G: Fn(&[Var<f64>]) -> Var<f64>,
{
    // Leaves require grad even when no gradient is wanted, so the output
    // records its op's name.
    let vars: Vec<Var<f64>> = inputs
        .iter()
        .map(|t| Var::requiring_grad(t.clone()))
        .collect();
    let y = g(&vars);
    let op = y.op_name();
    let output = y.value().clone();
    if let (Some(v), true) = (v, y.requires_grad()) {
        y.backward_with(v.clone());
    }
    let grads = vars
        .iter()
        .zip(inputs)
        .map(|(x, t)| x.take_grad().unwrap_or_else(|| Tensor::zeros(t.shape())))
        .collect();
    Run { op, output, grads }
}

/// Scales each element of `t` by (1 + h·s) for random signs s.
fn perturbed(t: &Tensor<f64>, signs: &[f64], h: f64) -> Tensor<f64> {
    let data = t
        .data()
        .iter()
        .zip(signs)
        .map(|(x, s)| x * (1.0 + h * s))
        .collect();
    Tensor::from_vec(data, t.shape())
}

/// Compares `f32_fn` with `f64_fn` (the same op, instantiated for both
/// types) at `inputs` rounded to f32; see the module docs. The
/// [`check_precision!`](crate::check_precision!) macro writes the closure
/// once.
pub fn check_precision<F, G>(
    f32_fn: F,
    f64_fn: G,
    inputs: &[Tensor<f64>],
    opts: &PrecisionOptions,
) -> Result<PrecisionReport, PrecisionError>
where
    F: Fn(&[Var<f32>]) -> Var<f32>,
    G: Fn(&[Var<f64>]) -> Var<f64>,
{
    // The same inputs for both runs: the f32 values.
    let inputs: Vec<Tensor<f64>> = inputs.iter().map(|t| t.cast::<f32>().cast()).collect();
    let mut rng = rand::rngs::StdRng::seed_from_u64(opts.seed);
    let shape = run_f64(&f64_fn, &inputs, None).output.shape().to_vec();
    // The output gradient, also exactly representable in f32.
    let grads = opts.compare != Compared::Output;
    let v = grads.then(|| {
        Tensor::<f64>::uniform(&shape, -1.0, 1.0, &mut rng)
            .cast::<f32>()
            .cast::<f64>()
    });
    let exact = run_f64(&f64_fn, &inputs, v.as_ref());
    let low = run_f32(&f32_fn, &inputs, v.as_ref());
    let op = low.op.clone().or(exact.op.clone());
    if low.output.shape() != exact.output.shape() {
        return Err(PrecisionError::ShapeMismatch {
            f32_shape: low.output.shape().to_vec(),
            f64_shape: exact.output.shape().to_vec(),
        });
    }
    let finite = exact.output.all_finite() && exact.grads.iter().all(|g| g.all_finite());
    if !finite {
        return Err(PrecisionError::NonFinite { op });
    }

    // Condition estimates: max over random relative perturbations of the
    // inputs (and of v) of the central difference.
    let h = 1e-6;
    let mut cond_out = vec![0.0; exact.output.numel()];
    let mut cond_grads: Vec<Vec<f64>> = inputs.iter().map(|t| vec![0.0; t.numel()]).collect();
    for _ in 0..opts.samples {
        let signs: Vec<Vec<f64>> = inputs
            .iter()
            .map(|t| (0..t.numel()).map(|_| rng.gen_range(-1.0..1.0)).collect())
            .collect();
        let v_signs: Vec<f64> = (0..exact.output.numel())
            .map(|_| rng.gen_range(-1.0..1.0))
            .collect();
        let at = |sign: f64| {
            let xs: Vec<Tensor<f64>> = inputs
                .iter()
                .zip(&signs)
                .map(|(t, s)| perturbed(t, s, sign * h))
                .collect();
            let vs = v.as_ref().map(|v| perturbed(v, &v_signs, sign * h));
            run_f64(&f64_fn, &xs, vs.as_ref())
        };
        let (plus, minus) = (at(1.0), at(-1.0));
        let slope = |a: &Tensor<f64>, b: &Tensor<f64>, into: &mut [f64]| {
            for ((c, p), m) in into.iter_mut().zip(a.data()).zip(b.data()) {
                let d = ((p - m) / (2.0 * h)).abs();
                if d.is_finite() {
                    *c = f64::max(*c, d);
                }
            }
        };
        slope(&plus.output, &minus.output, &mut cond_out);
        if grads {
            for (i, c) in cond_grads.iter_mut().enumerate() {
                slope(&plus.grads[i], &minus.grads[i], c);
            }
        }
    }

    let mut excesses = Vec::new();
    let mut compared = 0;
    let mut worst_ulps: f64 = 0.0;
    let mut compare = |quantity: Quantity, low: &Tensor<f64>, exact: &Tensor<f64>, cond: &[f64]| {
        for (k, ((a, b), c)) in low.data().iter().zip(exact.data()).zip(cond).enumerate() {
            compared += 1;
            let scale = f64::from(f32::EPSILON) * (b.abs() + c);
            let ulps = if a == b {
                0.0
            } else if scale > 0.0 && a.is_finite() {
                (a - b).abs() / scale
            } else {
                f64::INFINITY
            };
            worst_ulps = worst_ulps.max(ulps);
            if ulps > opts.ulps {
                excesses.push(PrecisionExcess {
                    quantity: quantity.clone(),
                    index: unravel_index(k, exact.shape()),
                    value_f32: *a,
                    value_f64: *b,
                    condition: *c,
                    ulps,
                });
            }
        }
    };
    if opts.compare != Compared::Gradients {
        compare(Quantity::Output, &low.output, &exact.output, &cond_out);
    }
    if grads {
        for (i, cond) in cond_grads.iter().enumerate() {
            let input = Quantity::Gradient { input: i };
            compare(input, &low.grads[i], &exact.grads[i], cond);
        }
    }
    if excesses.is_empty() {
        return Ok(PrecisionReport {
            op,
            compared,
            worst_ulps,
        });
    }
    excesses.sort_by(|a, b| b.ulps.total_cmp(&a.ulps));
    let total = excesses.len();
    excesses.truncate(opts.max_reported.max(1));
    Err(PrecisionError::Exceeded {
        op,
        bound: opts.ulps,
        worst: excesses,
        total,
        compared,
    })
}

/// [`check_precision`] with the op written once: `check_precision!(|v|
/// expr, inputs, options)` instantiates the closure for `Var<f32>` and for
/// `Var<f64>`.
///
/// ```
/// use synann_autograd::{check_precision, PrecisionOptions};
/// use synann_tensor::Tensor;
/// let x = Tensor::from_vec(vec![0.5, 1.5, 2.5], &[3]);
/// let report = check_precision!(|v| v[0].ln().mul(&v[0]), &[x], &PrecisionOptions::default()).unwrap();
/// assert!(report.worst_ulps <= 64.0);
/// ```
#[macro_export]
macro_rules! check_precision {
    (|$v:ident| $body:expr, $inputs:expr, $opts:expr $(,)?) => {
        $crate::precision::check_precision(
            |$v: &[$crate::Var<f32>]| $body,
            |$v: &[$crate::Var<f64>]| $body,
            $inputs,
            $opts,
        )
    };
}
