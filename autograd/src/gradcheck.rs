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
//! (backward(2v) = 2·backward(v)). Two more checks concern our engine:
//! with several inputs, each input's gradient is computed again with that
//! input alone needing one, the path of
//! [`Function::backward_in_place`](crate::Function::backward_in_place),
//! and must agree; and since the backward runs with f between exact copies
//! of its inputs and output ([`exact_copy`]), the pass frees every value
//! the ops say they do not read
//! ([`Function::backward_needs_input`](crate::Function::backward_needs_input),
//! [`Function::backward_needs_output`](crate::Function::backward_needs_output)),
//! so a backward that reads one anyway is given an empty tensor (a panic
//! naming the op, or a mismatch) here rather than only inside a larger
//! graph. The fast mode (for large inputs) also
//! draws a random direction u per input and compares vᵀJu with a single
//! directional difference.
//!
//! A failure lists every mismatching element (up to
//! [`GradcheckOptions::max_reported`]), worst first, each with the error a
//! central difference is expected to make there ([`FiniteDifferenceError`]):
//! an observed difference far above it is a wrong backward, one close to it
//! asks for another step. [`StepRefinement::Richardson`] retries such
//! elements with larger steps and Richardson extrapolation before calling
//! them mismatches; the elements it rescued are listed in the
//! [`GradcheckReport`].
//!
//! The chapter "Verifying gradients" (`docs/GRADCHECK.md`, rendered as
//! `synann_testing::guide`) shows the whole tool set: ops, layers, whole
//! models, property tests and precision checks.
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
use std::fmt;
use synann_tensor::shape::unravel_index;
use synann_tensor::Tensor;

/// What to do with an element whose central difference at the step
/// [`GradcheckOptions::eps`] disagrees with the analytic gradient.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StepRefinement {
    /// Report it as a mismatch (PyTorch's behaviour).
    #[default]
    None,
    /// Retry with steps 10ε, 100ε and 1000ε, each Richardson-extrapolated
    /// ((4·D(h) − D(2h))/3, truncation error O(h⁴)), and accept the element
    /// if one of them agrees. Smooth functions with large higher
    /// derivatives, or whose projected output is large (rounding error
    /// ≈ ulp(L)/ε), then pass; a wrong backward disagrees at every step.
    /// Rescued elements are listed in [`GradcheckReport::refined`].
    Richardson,
}

/// Settings of [`gradcheck()`]; the defaults are PyTorch's.
#[derive(Clone, Debug)]
pub struct GradcheckOptions {
    /// Finite-difference step.
    pub eps: f64,
    /// Absolute tolerance.
    pub atol: f64,
    /// Relative tolerance.
    pub rtol: f64,
    /// Compare vᵀJu for random directions u instead of every element
    /// (PyTorch's `fast_mode`).
    pub fast_mode: bool,
    /// Seed of the random output gradient (and directions).
    pub seed: u64,
    /// Whether to retry disagreeing elements with other steps.
    pub refine: StepRefinement,
    /// How many mismatching elements a failure lists (the worst ones); the
    /// total is always counted.
    pub max_reported: usize,
}

impl Default for GradcheckOptions {
    fn default() -> Self {
        GradcheckOptions {
            eps: 1e-6,
            atol: 1e-5,
            rtol: 1e-3,
            fast_mode: false,
            seed: 0x5eed,
            refine: StepRefinement::None,
            max_reported: 10,
        }
    }
}

/// Which scalar of an input a comparison is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// One element, by multi-index (`[]` for a scalar).
    Element(Vec<usize>),
    /// Fast mode: the projection onto a random direction u of the whole
    /// input (vᵀJu against one directional difference).
    RandomDirection,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Element(index) => {
                let parts: Vec<String> = index.iter().map(|i| i.to_string()).collect();
                write!(f, "[{}]", parts.join(", "))
            }
            Location::RandomDirection => write!(f, " along a random direction u (fast mode, vᵀJu)"),
        }
    }
}

/// The error a central difference with step ε is expected to make, from
/// a Taylor expansion: truncation ≈ ε²/6·|f'''| and rounding ≈ ulp(L)/ε,
/// where ulp(L) is the rounding error of the projected output
/// L = Σ v ⊙ y (machine epsilon times Σ |v ⊙ y|).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FiniteDifferenceError {
    /// ε²/6·|f'''|, with f''' estimated by a wider five-point stencil.
    pub truncation: f64,
    /// ulp(L)/ε.
    pub rounding: f64,
}

impl FiniteDifferenceError {
    /// Truncation plus rounding.
    pub fn total(&self) -> f64 {
        self.truncation + self.rounding
    }
}

/// One comparison that failed.
#[derive(Clone, Debug, PartialEq)]
pub struct ElementMismatch {
    /// Which input (0-based).
    pub input: usize,
    /// The input's name: `input 1` for [`gradcheck()`], the parameter path
    /// (`fc1.weight`) for module checks.
    pub name: String,
    /// Which element (or direction).
    pub location: Location,
    /// Value from backward.
    pub analytic: f64,
    /// Value from central differences.
    pub numeric: f64,
    /// The error the central difference itself is expected to make there.
    pub expected_fd_error: FiniteDifferenceError,
}

impl ElementMismatch {
    /// |analytic − numeric|.
    pub fn error(&self) -> f64 {
        (self.analytic - self.numeric).abs()
    }
}

impl fmt::Display for ElementMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = self.expected_fd_error;
        write!(
            f,
            "{}{}: analytic {:.10e} vs numeric {:.10e} (difference {:.3e}; a central difference is expected to be off by ≈ {:.1e}: truncation {:.1e}, rounding {:.1e})",
            self.name,
            self.location,
            self.analytic,
            self.numeric,
            self.error(),
            e.total(),
            e.truncation,
            e.rounding
        )
    }
}

/// An element that disagreed at the step ε but agreed after
/// [`StepRefinement::Richardson`].
#[derive(Clone, Debug, PartialEq)]
pub struct RefinedElement {
    /// The comparison at ε (which failed).
    pub at_eps: ElementMismatch,
    /// The step whose extrapolated difference agreed.
    pub step: f64,
    /// That extrapolated difference.
    pub numeric: f64,
}

/// What a passing [`gradcheck()`] checked.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GradcheckReport {
    /// The op that produced the checked output (its
    /// [`Function::name`](crate::Function::name)), if any.
    pub op: Option<String>,
    /// Number of comparisons against finite differences.
    pub compared: usize,
    /// Elements that passed only after step refinement.
    pub refined: Vec<RefinedElement>,
}

/// Why a gradient check failed; the message names the op, the input and
/// the element.
#[derive(Clone, Debug, PartialEq)]
pub enum GradcheckError {
    /// Analytic gradients differ from the numeric ones.
    Mismatch {
        /// The op that produced the checked output, if any.
        op: Option<String>,
        /// The worst mismatches, largest |analytic − numeric| first, at most
        /// [`GradcheckOptions::max_reported`] of them.
        worst: Vec<ElementMismatch>,
        /// How many comparisons failed in all.
        total: usize,
        /// How many comparisons were made.
        compared: usize,
    },
    /// A gradient has the wrong shape.
    WrongShape {
        /// The op that produced the checked output, if any.
        op: Option<String>,
        /// Which input.
        input: usize,
        /// Its name.
        name: String,
        /// The input's shape.
        expected: Vec<usize>,
        /// The gradient's shape.
        got: Vec<usize>,
    },
    /// Two backward passes gave different results.
    NotReentrant {
        /// The op that produced the checked output, if any.
        op: Option<String>,
        /// Which input.
        input: usize,
        /// Its name.
        name: String,
        /// Multi-index of the first differing element.
        index: Vec<usize>,
        /// First pass.
        first: f64,
        /// Second pass.
        second: f64,
    },
    /// backward(2v) ≠ 2·backward(v).
    NotLinear {
        /// The op that produced the checked output, if any.
        op: Option<String>,
        /// Which input.
        input: usize,
        /// Its name.
        name: String,
        /// Multi-index of the first offending element.
        index: Vec<usize>,
        /// 2·backward(v).
        expected: f64,
        /// backward(2v).
        got: f64,
    },
    /// An input's gradient differs when it alone needs one (the other
    /// inputs constant) from when every input does: a wrong
    /// [`Function::backward_in_place`](crate::Function::backward_in_place)
    /// or a backward whose result depends on `needs_grad`.
    AloneDiffers {
        /// The op that produced the checked output, if any.
        op: Option<String>,
        /// Which input.
        input: usize,
        /// Its name.
        name: String,
        /// Multi-index of the first offending element.
        index: Vec<usize>,
        /// With every input needing a gradient.
        together: f64,
        /// With this input alone.
        alone: f64,
    },
    /// The function's output is not finite at the given inputs.
    NonFinite {
        /// The op that produced the checked output, if any.
        op: Option<String>,
        /// What was evaluated.
        what: String,
    },
}

fn prefix(op: &Option<String>) -> String {
    match op {
        Some(op) => format!("gradcheck of `{op}`"),
        None => "gradcheck".to_string(),
    }
}

fn index_str(index: &[usize]) -> String {
    Location::Element(index.to_vec()).to_string()
}

impl fmt::Display for GradcheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GradcheckError::Mismatch { op, worst, total, compared } => {
                write!(
                    f,
                    "{}: {total} of {compared} gradient values differ from central differences",
                    prefix(op)
                )?;
                if *total > worst.len() {
                    write!(f, " (the {} worst below)", worst.len())?;
                }
                for m in worst {
                    write!(f, "\n  {m}")?;
                }
                Ok(())
            }
            GradcheckError::WrongShape { op, name, expected, got, .. } => write!(
                f,
                "{}: {name}: gradient has shape {got:?}, input has shape {expected:?}",
                prefix(op)
            ),
            GradcheckError::NotReentrant { op, name, index, first, second, .. } => write!(
                f,
                "{}: {name}{}: backward is not reentrant ({first:e} then {second:e})",
                prefix(op),
                index_str(index)
            ),
            GradcheckError::NotLinear { op, name, index, expected, got, .. } => write!(
                f,
                "{}: {name}{}: backward is not linear in the output gradient (backward(2v) = {got:e}, 2·backward(v) = {expected:e})",
                prefix(op),
                index_str(index)
            ),
            GradcheckError::AloneDiffers { op, name, index, together, alone, .. } => write!(
                f,
                "{}: {name}{}: the gradient differs when this input alone needs one ({alone:e}) from when every input does ({together:e}): check the op's `backward_in_place` and its use of `needs_grad`",
                prefix(op),
                index_str(index)
            ),
            GradcheckError::NonFinite { op, what } => {
                write!(f, "{}: non-finite value in {what}", prefix(op))
            }
        }
    }
}

impl std::error::Error for GradcheckError {}

/// A function under check, seen as what gradcheck needs from it: its value
/// without a graph, and its gradients from one backward pass. Implemented
/// for closures over [`Var`]s here and for modules in `synann-nn`.
pub trait Checkable {
    /// y = f(inputs), recording no graph.
    fn evaluate(&mut self, inputs: &[Tensor<f64>]) -> Tensor<f64>;

    /// The gradients vᵀJ of every input (`None` where an input got no
    /// gradient), and the name of the op that produced y.
    fn gradients(
        &mut self,
        inputs: &[Tensor<f64>],
        v: &Tensor<f64>,
    ) -> (Vec<Option<Tensor<f64>>>, Option<String>);

    /// The gradient vᵀJ of input `i` from a backward in which only that
    /// input needs one (the others held constant): the path on which an
    /// op may write it in place
    /// ([`Function::backward_in_place`](crate::Function::backward_in_place))
    /// and skips the other inputs' work (`needs_grad`). `None` where the
    /// checkable cannot run f so (the default), or where input `i` got no
    /// gradient.
    fn gradient_alone(
        &mut self,
        inputs: &[Tensor<f64>],
        v: &Tensor<f64>,
        i: usize,
    ) -> Option<Tensor<f64>> {
        let _ = (inputs, v, i);
        None
    }
}

/// x + (−0), a copy of x in the graph with the same bits (x·1 would turn
/// −0 into +0 through the op's `1·x + 0`), whose backward passes the
/// gradient through unchanged and reads no value: f runs between such
/// copies so that its own inputs and output are intermediate values, which
/// the backward pass frees wherever the ops say they do not read them.
pub fn exact_copy(x: &Var<f64>) -> Var<f64> {
    x.add_scalar(-0.0)
}

/// Runs backward from `y` through an [`exact_copy`] of it (so that `y`
/// itself is an intermediate value), if `y` requires a gradient at all.
pub fn backward_through_copy(y: Var<f64>, v: &Tensor<f64>) {
    if y.requires_grad() {
        let copy = exact_copy(&y);
        drop(y);
        copy.backward_with(v.clone());
    }
}

/// A closure over [`Var`]s as a [`Checkable`]: every input becomes a leaf
/// that requires grad.
struct Closure<F>(F);

impl<F> Checkable for Closure<F>
where
    F: Fn(&[Var<f64>]) -> Var<f64>,
{
    fn evaluate(&mut self, inputs: &[Tensor<f64>]) -> Tensor<f64> {
        no_grad(|| {
            let vars: Vec<Var<f64>> = inputs.iter().map(|t| Var::constant(t.clone())).collect();
            let y = (self.0)(&vars);
            let y = y.value().clone();
            y
        })
    }

    fn gradients(
        &mut self,
        inputs: &[Tensor<f64>],
        v: &Tensor<f64>,
    ) -> (Vec<Option<Tensor<f64>>>, Option<String>) {
        let (vars, op) = self.backward_from_leaves(inputs, v, |_| true);
        (vars.iter().map(|var| var.take_grad()).collect(), op)
    }

    fn gradient_alone(
        &mut self,
        inputs: &[Tensor<f64>],
        v: &Tensor<f64>,
        i: usize,
    ) -> Option<Tensor<f64>> {
        let (vars, _) = self.backward_from_leaves(inputs, v, |j| j == i);
        vars[i].take_grad()
    }
}

impl<F> Closure<F>
where
    F: Fn(&[Var<f64>]) -> Var<f64>,
{
    /// y = f(copies of `vars`). f runs on [`exact_copy`]s, so that its inputs are intermediate values
    /// that the pass frees wherever the ops say their backward does not
    /// read them
    /// ([`Function::backward_needs_input`](crate::Function::backward_needs_input)
    /// and `_output`): a backward that reads one anyway fails here, not
    /// only inside a user's larger graph.
    fn run_between_copies(&self, vars: &[Var<f64>]) -> Var<f64> {
        let copies: Vec<Var<f64>> = vars.iter().map(exact_copy).collect();
        (self.0)(&copies)
    }

    /// The inputs as leaves (those `needs_grad` picks requiring a gradient,
    /// the others constants), y = f between copies of them, and the
    /// backward of vᵀy: the leaves, holding their gradients, and y's op.
    fn backward_from_leaves(
        &self,
        inputs: &[Tensor<f64>],
        v: &Tensor<f64>,
        needs_grad: impl Fn(usize) -> bool,
    ) -> (Vec<Var<f64>>, Option<String>) {
        let vars: Vec<Var<f64>> = inputs
            .iter()
            .enumerate()
            .map(|(j, t)| {
                if needs_grad(j) {
                    Var::requiring_grad(t.clone())
                } else {
                    Var::constant(t.clone())
                }
            })
            .collect();
        let y = self.run_between_copies(&vars);
        let op = y.op_name();
        backward_through_copy(y, v);
        (vars, op)
    }
}

/// L = Σ v ⊙ f(inputs) and Σ |v ⊙ f(inputs)| (the scale of its rounding
/// error).
fn projected(f: &mut dyn Checkable, inputs: &[Tensor<f64>], v: &Tensor<f64>) -> (f64, f64) {
    let y = f.evaluate(inputs);
    y.data()
        .iter()
        .zip(v.data())
        .fold((0.0, 0.0), |(s, a), (y, v)| (s + y * v, a + (y * v).abs()))
}

/// Whether two analytic results of the same gradient agree up to the
/// rounding of a different order of operations (the linearity and
/// alone-against-together checks).
fn agrees(expected: f64, got: f64) -> bool {
    (expected - got).abs() <= 1e-12 + 1e-9 * expected.abs()
}

fn close(a: f64, n: f64, o: &GradcheckOptions) -> bool {
    (a - n).abs() <= o.atol + o.rtol * n.abs()
}

/// Checks the gradients of `f` at `inputs` (see the module docs). Every
/// input is treated as requiring grad; capture constants in the closure.
/// Inputs are named `input 0`, `input 1`, … in failures; see
/// [`gradcheck_named`] to name them.
pub fn gradcheck<F>(
    f: F,
    inputs: &[Tensor<f64>],
    opts: &GradcheckOptions,
) -> Result<GradcheckReport, GradcheckError>
where
    F: Fn(&[Var<f64>]) -> Var<f64>,
{
    let names: Vec<String> = (0..inputs.len()).map(|i| format!("input {i}")).collect();
    gradcheck_checkable(&mut Closure(f), inputs, &names, opts)
}

/// [`gradcheck()`] with a name for each input, used in failures
/// (`weight[3, 7]`).
///
/// Panics if `names` and `inputs` differ in length.
///
/// ```
/// use synann_autograd::{gradcheck_named, GradcheckOptions, Var};
/// use synann_tensor::Tensor;
/// let (x, w) = (Tensor::from_vec(vec![1.0, 2.0], &[1, 2]), Tensor::from_vec(vec![0.5, -0.5], &[2, 1]));
/// let f = |v: &[Var<f64>]| v[0].matmul(&v[1]).tanh();
/// gradcheck_named(f, &[x, w], &["x", "weight"], &GradcheckOptions::default()).unwrap();
/// ```
pub fn gradcheck_named<F>(
    f: F,
    inputs: &[Tensor<f64>],
    names: &[&str],
    opts: &GradcheckOptions,
) -> Result<GradcheckReport, GradcheckError>
where
    F: Fn(&[Var<f64>]) -> Var<f64>,
{
    assert_eq!(
        names.len(),
        inputs.len(),
        "gradcheck_named: {} names for {} inputs",
        names.len(),
        inputs.len()
    );
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    gradcheck_checkable(&mut Closure(f), inputs, &names, opts)
}

/// The checker behind [`gradcheck()`], for any [`Checkable`] (the module
/// checks of `synann-nn` use it). `names` names the inputs in failures.
pub fn gradcheck_checkable(
    f: &mut dyn Checkable,
    inputs: &[Tensor<f64>],
    names: &[String],
    opts: &GradcheckOptions,
) -> Result<GradcheckReport, GradcheckError> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(opts.seed);
    let y = f.evaluate(inputs);
    let v = Tensor::<f64>::uniform(y.shape(), -1.0, 1.0, &mut rng);

    // Shape, reentrancy and linearity of backward.
    let (g1, op) = f.gradients(inputs, &v);
    if !y.all_finite() {
        return Err(GradcheckError::NonFinite {
            op,
            what: "the function's output".into(),
        });
    }
    let g1 = complete(g1, inputs, names, &op)?;
    let g2 = complete(f.gradients(inputs, &v).0, inputs, names, &op)?;
    let g_double = complete(
        f.gradients(inputs, &v.mul_scalar(2.0)).0,
        inputs,
        names,
        &op,
    )?;
    for i in 0..inputs.len() {
        let shape = inputs[i].shape();
        if let Some(k) =
            (0..g1[i].numel()).find(|&k| g1[i].data()[k].to_bits() != g2[i].data()[k].to_bits())
        {
            return Err(GradcheckError::NotReentrant {
                op,
                input: i,
                name: names[i].clone(),
                index: unravel_index(k, shape),
                first: g1[i].data()[k],
                second: g2[i].data()[k],
            });
        }
        for k in 0..g1[i].numel() {
            let (e, got) = (2.0 * g1[i].data()[k], g_double[i].data()[k]);
            if !agrees(e, got) {
                return Err(GradcheckError::NotLinear {
                    op,
                    input: i,
                    name: names[i].clone(),
                    index: unravel_index(k, shape),
                    expected: e,
                    got,
                });
            }
        }
    }

    // Each input alone needing a gradient, where there are several (with
    // one, "alone" is the pass above).
    let alone_checked = if inputs.len() > 1 {
        0..inputs.len()
    } else {
        0..0
    };
    for i in alone_checked {
        let Some(alone) = f.gradient_alone(inputs, &v, i) else {
            continue;
        };
        let alone = complete(vec![Some(alone)], &inputs[i..=i], &names[i..=i], &op)?.remove(0);
        let together = &g1[i];
        if let Some(k) =
            (0..together.numel()).find(|&k| !agrees(together.data()[k], alone.data()[k]))
        {
            return Err(GradcheckError::AloneDiffers {
                op,
                input: i,
                name: names[i].clone(),
                index: unravel_index(k, inputs[i].shape()),
                together: together.data()[k],
                alone: alone.data()[k],
            });
        }
    }

    // Values against central differences.
    let mut report = GradcheckReport {
        op: op.clone(),
        ..GradcheckReport::default()
    };
    let mut mismatches = Vec::new();
    let mut work: Vec<Tensor<f64>> = inputs.to_vec();
    for i in 0..inputs.len() {
        // The comparisons: one per element, or (fast mode) one along a
        // random direction u over the whole input.
        let u = opts
            .fast_mode
            .then(|| Tensor::<f64>::uniform(inputs[i].shape(), -1.0, 1.0, &mut rng));
        let count = if u.is_some() { 1 } else { inputs[i].numel() };
        for k in 0..count {
            let (location, analytic) = match &u {
                Some(u) => {
                    let a = g1[i].data().iter().zip(u.data()).map(|(g, u)| g * u).sum();
                    (Location::RandomDirection, a)
                }
                None => (
                    Location::Element(unravel_index(k, inputs[i].shape())),
                    g1[i].data()[k],
                ),
            };
            // The central difference at step h, and the size of L.
            let mut diff = |h: f64| -> (f64, f64) {
                let mut at = |sign: f64| {
                    match &u {
                        Some(u) => work[i] = inputs[i].add(&u.mul_scalar(sign * h)),
                        None => work[i].data_mut()[k] = inputs[i].data()[k] + sign * h,
                    }
                    projected(f, &work, &v)
                };
                let ((plus, scale_p), (minus, scale_m)) = (at(1.0), at(-1.0));
                match &u {
                    Some(_) => work[i] = inputs[i].clone(),
                    None => work[i].data_mut()[k] = inputs[i].data()[k],
                }
                ((plus - minus) / (2.0 * h), scale_p.max(scale_m))
            };
            let (numeric, scale) = diff(opts.eps);
            report.compared += 1;
            if !numeric.is_finite() {
                return Err(GradcheckError::NonFinite {
                    op,
                    what: format!("f at {}{location} ± eps", names[i]),
                });
            }
            if close(analytic, numeric, opts) {
                continue;
            }
            // Expected error of the difference: f''' from a five-point
            // stencil at a wider step, rounding from the size of L.
            let wide = 1e-3;
            let third = (diff(2.0 * wide).0 - diff(wide).0) / (wide * wide);
            let mismatch = ElementMismatch {
                input: i,
                name: names[i].clone(),
                location,
                analytic,
                numeric,
                expected_fd_error: FiniteDifferenceError {
                    truncation: opts.eps * opts.eps / 6.0 * (2.0 * third).abs(),
                    rounding: f64::EPSILON * scale / opts.eps,
                },
            };
            let rescued = match opts.refine {
                StepRefinement::None => None,
                StepRefinement::Richardson => [10.0, 100.0, 1000.0].into_iter().find_map(|k| {
                    let h = opts.eps * k;
                    let r = (4.0 * diff(h).0 - diff(2.0 * h).0) / 3.0;
                    close(analytic, r, opts).then_some((h, r))
                }),
            };
            match rescued {
                Some((step, numeric)) => report.refined.push(RefinedElement {
                    at_eps: mismatch,
                    step,
                    numeric,
                }),
                None => mismatches.push(mismatch),
            }
        }
    }
    if mismatches.is_empty() {
        return Ok(report);
    }
    mismatches.sort_by(|a, b| b.error().total_cmp(&a.error()));
    let total = mismatches.len();
    mismatches.truncate(opts.max_reported.max(1));
    Err(GradcheckError::Mismatch {
        op,
        worst: mismatches,
        total,
        compared: report.compared,
    })
}

/// Fills in zero gradients for inputs that got none and checks the shapes.
fn complete(
    grads: Vec<Option<Tensor<f64>>>,
    inputs: &[Tensor<f64>],
    names: &[String],
    op: &Option<String>,
) -> Result<Vec<Tensor<f64>>, GradcheckError> {
    grads
        .into_iter()
        .enumerate()
        .map(|(i, g)| {
            let g = g.unwrap_or_else(|| Tensor::zeros(inputs[i].shape()));
            if g.shape() != inputs[i].shape() {
                return Err(GradcheckError::WrongShape {
                    op: op.clone(),
                    input: i,
                    name: names[i].clone(),
                    expected: inputs[i].shape().to_vec(),
                    got: g.shape().to_vec(),
                });
            }
            Ok(g)
        })
        .collect()
}
