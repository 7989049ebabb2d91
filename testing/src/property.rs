//! Property gradchecks: [`gradcheck()`] and [`gradcheck_module()`] as proptest
//! properties, inside a `proptest!` block ([`prop_gradcheck`],
//! [`prop_gradcheck_module`]) or as one call that runs the whole property
//! ([`gradcheck_property`], [`gradcheck_module_property`]).
//!
//! ```
//! use synann_testing::{gradcheck_property, strategies::{shape, tensors, Values}};
//! // d/dx tanh(x)·x over random shapes of rank 0–3, values in [−2, 2).
//! gradcheck_property(tensors(1, shape(0, 3, 3), Values::uniform(-2.0, 2.0)), |v| {
//!     v[0].tanh().mul(&v[0])
//! });
//! ```

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use synann_autograd::{gradcheck, GradcheckOptions, Var};
use synann_nn::{gradcheck_module, Module};
use synann_tensor::Tensor;

/// Proptest cases per property in [`gradcheck_property`] and
/// [`gradcheck_module_property`]: enough to cover shapes, small enough that
/// a suite of them stays fast. The `PROPTEST_CASES` environment variable
/// does not change it; build your own runner for more.
pub const CASES: u32 = 24;

/// Runs [`gradcheck()`] with the default options and turns a failure into a
/// proptest failure whose message is the check's (op, inputs, elements)
/// plus the input shapes. Use it with `?` inside `proptest!`.
pub fn prop_gradcheck<F>(f: F, inputs: &[Tensor<f64>]) -> Result<(), TestCaseError>
where
    F: Fn(&[Var<f64>]) -> Var<f64>,
{
    gradcheck(f, inputs, &GradcheckOptions::default())
        .map(|_| ())
        .map_err(|e| {
            let shapes: Vec<&[usize]> = inputs.iter().map(|t| t.shape()).collect();
            TestCaseError::fail(format!("{e}\n(input shapes {shapes:?})"))
        })
}

/// Runs [`gradcheck_module`] (train and eval mode, input and every
/// parameter) with the default options as a proptest check.
pub fn prop_gradcheck_module<M>(module: &mut M, input: &Tensor<f64>) -> Result<(), TestCaseError>
where
    M: Module<f64> + ?Sized,
{
    gradcheck_module(module, input, &GradcheckOptions::default())
        .map(|_| ())
        .map_err(|e| TestCaseError::fail(format!("{e}\n(input shape {:?})", input.shape())))
}

/// Runs `property` on [`CASES`] cases drawn from `cases`, panicking with
/// the smallest failing case proptest finds.
pub fn run_property<S, P>(cases: S, property: P)
where
    S: Strategy,
    P: Fn(S::Value) -> Result<(), TestCaseError>,
{
    let config = Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    };
    match TestRunner::new(config).run(&cases, property) {
        Ok(()) => {}
        Err(TestError::Fail(reason, case)) => {
            panic!("property failed: {reason}\nminimal failing case: {case:?}")
        }
        Err(TestError::Abort(reason)) => panic!("property aborted: {reason}"),
    }
}

/// Gradient-checks `f` on every input set drawn from `inputs` (a strategy
/// of input lists, such as [`tensors`](crate::strategies::tensors) or
/// [`broadcast_tensors`](crate::strategies::broadcast_tensors)); panics
/// with the smallest failing inputs.
pub fn gradcheck_property<S, F>(inputs: S, f: F)
where
    S: Strategy<Value = Vec<Tensor<f64>>>,
    F: Fn(&[Var<f64>]) -> Var<f64>,
{
    run_property(inputs, |inputs| prop_gradcheck(&f, &inputs));
}

/// Gradient-checks the module `build` makes from each case drawn from
/// `cases`, at the input it returns (train and eval mode, input and every
/// parameter); panics with the smallest failing case.
///
/// ```
/// use proptest::prelude::*;
/// use synann_nn::layers::{Bias, Linear};
/// use synann_tensor::random::seeded;
/// use synann_testing::{gradcheck_module_property, strategies::uniform};
///
/// let cases = (1usize..4, 1usize..5, 1usize..4, any::<u64>());
/// gradcheck_module_property(cases, |&(batch, inp, out, seed)| {
///     let layer = Linear::<f64>::new(inp, out, Bias::Yes, &mut seeded(seed));
///     (layer, uniform(&[batch, inp], seed, -1.0, 1.0))
/// });
/// ```
pub fn gradcheck_module_property<S, M, B>(cases: S, build: B)
where
    S: Strategy,
    M: Module<f64>,
    B: Fn(&S::Value) -> (M, Tensor<f64>),
{
    run_property(cases, |case| {
        let (mut module, input) = build(&case);
        prop_gradcheck_module(&mut module, &input)
    });
}
