//! Tests of the checker itself and of the graph bookkeeping: gradcheck must
//! catch each kind of broken backward and name where, and the engine must
//! free graphs, record nothing under `no_grad`, and sum the gradients of a
//! value used twice.
//!
//! `live_nodes()` is a process-wide counter, so every test here takes
//! [`serial`]'s lock: no other test of this binary creates nodes meanwhile.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::{Mutex, MutexGuard};
use synann_autograd::{
    apply, check_precision, gradcheck, gradcheck_named, live_nodes, no_grad, BackwardCtx, Function,
    GradcheckError, GradcheckOptions, Location, PrecisionError, PrecisionOptions, Quantity,
    StepRefinement, Var,
};
use synann_tensor::Tensor;

fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    // A should_panic test poisons the lock; the data is `()`, so go on.
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn t(data: &[f64], shape: &[usize]) -> Tensor<f64> {
    Tensor::from_vec(data.to_vec(), shape)
}

/// z = a ⊙ b, whose backward for `b` is wrong at one flat element
/// (`bad`, if any): there it returns (a + 1)·g instead of a·g.
struct MulWithBug {
    bad: Option<usize>,
}

impl Function<f64> for MulWithBug {
    fn name(&self) -> &str {
        "mul_with_bug"
    }
    fn forward(&mut self, x: &[&Tensor<f64>]) -> Tensor<f64> {
        x[0].mul(x[1])
    }
    fn backward(&self, ctx: &BackwardCtx<'_, f64>) -> Vec<Option<Tensor<f64>>> {
        let (a, b, g) = (ctx.inputs[0], ctx.inputs[1], ctx.grad_output);
        let mut db = g.mul(a);
        if let Some(k) = self.bad {
            db.data_mut()[k] += g.data()[k];
        }
        vec![Some(g.mul(b)), Some(db)]
    }
}

/// y = x with a backward of g + 1: right value for g = 1, but affine, not
/// linear, in g.
struct AffineBackward;

impl Function<f64> for AffineBackward {
    fn name(&self) -> &str {
        "affine_backward"
    }
    fn forward(&mut self, x: &[&Tensor<f64>]) -> Tensor<f64> {
        x[0].clone()
    }
    fn backward(&self, ctx: &BackwardCtx<'_, f64>) -> Vec<Option<Tensor<f64>>> {
        vec![Some(ctx.grad_output.add_scalar(1.0))]
    }
}

/// y = x with a backward that returns a gradient of the wrong shape.
struct WrongShape;

impl Function<f64> for WrongShape {
    fn name(&self) -> &str {
        "wrong_shape"
    }
    fn forward(&mut self, x: &[&Tensor<f64>]) -> Tensor<f64> {
        x[0].clone()
    }
    fn backward(&self, ctx: &BackwardCtx<'_, f64>) -> Vec<Option<Tensor<f64>>> {
        vec![Some(
            ctx.grad_output
                .reshape(&[ctx.grad_output.numel()])
                .unsqueeze(0),
        )]
    }
}

/// y = 2x whose backward scales by a shared call counter: linear in g, but
/// each backward pass returns something different.
struct Drifting {
    calls: Rc<Cell<u32>>,
}

impl Function<f64> for Drifting {
    fn name(&self) -> &str {
        "drifting"
    }
    fn forward(&mut self, x: &[&Tensor<f64>]) -> Tensor<f64> {
        x[0].mul_scalar(2.0)
    }
    fn backward(&self, ctx: &BackwardCtx<'_, f64>) -> Vec<Option<Tensor<f64>>> {
        let n = self.calls.get();
        self.calls.set(n + 1);
        vec![Some(ctx.grad_output.mul_scalar(2.0 + f64::from(n)))]
    }
}

#[test]
fn correct_custom_op_passes() {
    let _g = serial();
    let inputs = [
        t(&[0.5, -1.0, 2.0, 0.3], &[2, 2]),
        t(&[1.5, 0.2, -0.7, 1.1], &[2, 2]),
    ];
    let f = |v: &[Var<f64>]| apply(MulWithBug { bad: None }, &[&v[0], &v[1]]);
    let report = gradcheck(f, &inputs, &GradcheckOptions::default()).unwrap();
    assert_eq!(report.op.as_deref(), Some("mul_with_bug"));
    assert_eq!(report.compared, 8);
    assert!(report.refined.is_empty());
}

#[test]
fn wrong_derivative_is_a_mismatch_at_the_right_element() {
    let _g = serial();
    let inputs = [
        t(&[0.5, -1.0, 2.0, 0.3], &[2, 2]),
        t(&[1.5, 0.2, -0.7, 1.1], &[2, 2]),
    ];
    // Flat element 2 of input 1 is wrong: multi-index [1, 0].
    let f = |v: &[Var<f64>]| apply(MulWithBug { bad: Some(2) }, &[&v[0], &v[1]]);
    let err = gradcheck(f, &inputs, &GradcheckOptions::default()).unwrap_err();
    match &err {
        GradcheckError::Mismatch {
            op, worst, total, ..
        } => {
            assert_eq!(op.as_deref(), Some("mul_with_bug"));
            assert_eq!(*total, 1);
            let m = &worst[0];
            assert_eq!((m.input, &m.location), (1, &Location::Element(vec![1, 0])));
            assert!(m.error() > 0.01, "{m}");
            // The difference dwarfs what finite differences could explain.
            assert!(m.expected_fd_error.total() < 1e-6, "{m}");
        }
        other => panic!("expected a mismatch, got {other:?}"),
    }
    let message = err.to_string();
    assert!(
        message.starts_with("gradcheck of `mul_with_bug`: 1 of 8 gradient values differ")
            && message.contains("input 1[1, 0]: analytic"),
        "{message}"
    );
}

#[test]
fn backward_affine_in_grad_output_is_not_linear() {
    let _g = serial();
    let f = |v: &[Var<f64>]| apply(AffineBackward, &[&v[0]]);
    let err = gradcheck(
        f,
        &[t(&[1.0, 2.0, 3.0], &[3])],
        &GradcheckOptions::default(),
    );
    assert!(
        matches!(
            err,
            Err(GradcheckError::NotLinear {
                input: 0,
                ref index,
                ..
            }) if index == &[0]
        ),
        "{err:?}"
    );
}

#[test]
#[should_panic(expected = "backward of `wrong_shape` returned a gradient of shape [1, 4]")]
fn wrongly_shaped_gradient_panics_naming_the_op() {
    let _g = serial();
    let f = |v: &[Var<f64>]| apply(WrongShape, &[&v[0]]);
    let _ = gradcheck(
        f,
        &[t(&[1.0, 2.0, 3.0, 4.0], &[2, 2])],
        &GradcheckOptions::default(),
    );
}

#[test]
fn non_reentrant_backward_is_reported() {
    let _g = serial();
    let calls = Rc::new(Cell::new(0));
    let f = |v: &[Var<f64>]| {
        apply(
            Drifting {
                calls: calls.clone(),
            },
            &[&v[0]],
        )
    };
    let err = gradcheck(f, &[t(&[1.0, -2.0], &[2])], &GradcheckOptions::default());
    match err {
        Err(GradcheckError::NotReentrant {
            input: 0,
            index,
            first,
            second,
            ..
        }) => {
            assert_eq!(index, vec![0]);
            assert_ne!(first, second);
        }
        other => panic!("expected NotReentrant, got {other:?}"),
    }
    assert!(calls.get() >= 2, "backward ran {} times", calls.get());
}

#[test]
fn fast_mode_passes_a_correct_op_and_fails_a_wrong_one() {
    let _g = serial();
    let opts = GradcheckOptions {
        fast_mode: true,
        ..GradcheckOptions::default()
    };
    let inputs = [
        Tensor::uniform(&[3, 4], -1.0, 1.0, &mut synann_tensor::random::seeded(1)),
        Tensor::uniform(&[3, 4], -1.0, 1.0, &mut synann_tensor::random::seeded(2)),
    ];
    let good = |v: &[Var<f64>]| apply(MulWithBug { bad: None }, &[&v[0], &v[1]]);
    assert!(gradcheck(good, &inputs, &opts).is_ok());
    let bad = |v: &[Var<f64>]| apply(MulWithBug { bad: Some(5) }, &[&v[0], &v[1]]);
    match gradcheck(bad, &inputs, &opts) {
        // Fast mode compares one projection per input, and says so.
        Err(e @ GradcheckError::Mismatch { .. }) => {
            let GradcheckError::Mismatch { ref worst, .. } = e else {
                unreachable!()
            };
            assert_eq!(worst[0].input, 1);
            assert_eq!(worst[0].location, Location::RandomDirection);
            assert!(
                e.to_string()
                    .contains("input 1 along a random direction u (fast mode"),
                "{e}"
            );
        }
        other => panic!("expected a fast-mode mismatch on input 1, got {other:?}"),
    }
}

#[test]
fn backward_frees_the_graph() {
    let _g = serial();
    let before = live_nodes();
    let x = Var::requiring_grad(t(&[0.1, 0.2, 0.3], &[3]));
    let y = x.mul(&x).exp().sum_all();
    // x, mul, exp, sum.
    assert_eq!(live_nodes(), before + 4);
    y.backward();
    // Backward unlinked the op nodes: only x and the output remain.
    assert_eq!(live_nodes(), before + 2);
    assert!(y.is_leaf());
    drop(y);
    assert_eq!(live_nodes(), before + 1);
    assert!(x.grad().is_some());
    drop(x);
    assert_eq!(live_nodes(), before);
}

#[test]
fn dropping_an_unused_graph_frees_it() {
    let _g = serial();
    let before = live_nodes();
    let x = Var::requiring_grad(t(&[0.1, 0.2], &[2]));
    let mut y = x.clone();
    for _ in 0..1000 {
        y = y.tanh();
    }
    assert_eq!(live_nodes(), before + 1001);
    drop(y);
    assert_eq!(live_nodes(), before + 1);
}

#[test]
fn no_grad_records_nothing() {
    let _g = serial();
    let before = live_nodes();
    let x = Var::requiring_grad(t(&[0.1, 0.2], &[2]));
    let y = no_grad(|| x.mul(&x).exp().sum_all());
    assert!(!y.requires_grad());
    assert!(y.is_leaf());
    assert_eq!(y.op_name(), None);
    // The intermediates were never linked, so only x and y are alive.
    assert_eq!(live_nodes(), before + 2);
    // Recording is back on after the closure.
    assert!(x.mul(&x).requires_grad());
}

#[test]
fn a_value_used_twice_gets_the_summed_gradient() {
    let _g = serial();
    let x = Var::requiring_grad(t(&[0.5, -1.5], &[2]));
    // y = Σ x·x: dy/dx = 2x, one x·g from each operand of mul.
    x.mul(&x).sum_all().backward();
    assert_eq!(x.grad().unwrap().data(), &[1.0, -3.0]);
    x.zero_grad();
    // A diamond: a = eˣ feeds both mul operands and the add, so
    // d(a² + a)/dx = (2a + 1)·a.
    let a = x.exp();
    a.mul(&a).add(&a).sum_all().backward();
    let expected: Vec<f64> = [0.5f64, -1.5]
        .iter()
        .map(|v| (2.0 * v.exp() + 1.0) * v.exp())
        .collect();
    let got = x.grad().unwrap().data().to_vec();
    for (g, e) in got.iter().zip(&expected) {
        assert!((g - e).abs() < 1e-12, "{g} vs {e}");
    }
}

#[test]
fn gradients_accumulate_across_backward_calls() {
    let _g = serial();
    let x = Var::requiring_grad(t(&[2.0], &[1]));
    x.mul_scalar(3.0).sum_all().backward();
    x.mul_scalar(3.0).sum_all().backward();
    assert_eq!(x.grad().unwrap().data(), &[6.0]);
}

/// y = x with a backward that doubles every gradient: all elements wrong.
struct DoubledBackward;

impl Function<f64> for DoubledBackward {
    fn name(&self) -> &str {
        "doubled_backward"
    }
    fn forward(&mut self, x: &[&Tensor<f64>]) -> Tensor<f64> {
        x[0].clone()
    }
    fn backward(&self, ctx: &BackwardCtx<'_, f64>) -> Vec<Option<Tensor<f64>>> {
        vec![Some(ctx.grad_output.mul_scalar(2.0))]
    }
}

#[test]
fn every_mismatch_is_listed_worst_first_up_to_the_limit() {
    let _g = serial();
    let x = t(&[0.1, -0.2, 0.3, -0.4, 0.5, -0.6], &[2, 3]);
    let f = |v: &[Var<f64>]| apply(DoubledBackward, &[&v[0]]);
    let opts = GradcheckOptions {
        max_reported: 4,
        ..GradcheckOptions::default()
    };
    match gradcheck_named(f, &[x], &["fc1.weight"], &opts) {
        Err(GradcheckError::Mismatch {
            worst,
            total,
            compared,
            ..
        }) => {
            assert_eq!((worst.len(), total, compared), (4, 6, 6));
            assert!(worst.windows(2).all(|w| w[0].error() >= w[1].error()));
            assert!(
                worst[0].to_string().starts_with("fc1.weight["),
                "{}",
                worst[0]
            );
        }
        other => panic!("expected mismatches, got {other:?}"),
    }
}

#[test]
fn richardson_refinement_rescues_a_large_projected_output_and_says_so() {
    let _g = serial();
    // y = x² + 1e4: L is so large that its rounding (≈ ulp(L)/ε ≈ 1e-6)
    // swamps the derivative at ε = 1e-6; larger steps recover it.
    let x = t(&[0.5, -0.25, 1.0], &[3]);
    let f = |v: &[Var<f64>]| v[0].mul(&v[0]).add_scalar(1e4);
    let plain = GradcheckOptions {
        atol: 1e-7,
        rtol: 1e-7,
        ..GradcheckOptions::default()
    };
    match gradcheck(f, std::slice::from_ref(&x), &plain) {
        Err(GradcheckError::Mismatch { worst, .. }) => {
            // The expected error explains it: rounding, not a bug.
            let m = &worst[0];
            assert!(m.expected_fd_error.rounding >= m.error() / 10.0, "{m}");
        }
        other => panic!("expected a spurious mismatch at ε, got {other:?}"),
    }
    let refined = GradcheckOptions {
        refine: StepRefinement::Richardson,
        ..plain
    };
    let report = gradcheck(f, &[x], &refined).unwrap();
    assert!(!report.refined.is_empty());
    assert!(report.refined.iter().all(|r| r.step > 1e-6));
}

#[test]
fn richardson_refinement_does_not_rescue_a_wrong_backward() {
    let _g = serial();
    let f = |v: &[Var<f64>]| apply(DoubledBackward, &[&v[0]]);
    let opts = GradcheckOptions {
        refine: StepRefinement::Richardson,
        ..GradcheckOptions::default()
    };
    assert!(matches!(
        gradcheck(f, &[t(&[0.3, 0.7], &[2])], &opts),
        Err(GradcheckError::Mismatch { total: 2, .. })
    ));
}

/// y = x·(1 + 1e-3) in f32 only: a kernel "1000 ulps" off.
struct SloppyInF32;

impl<T: synann_tensor::Float> Function<T> for SloppyInF32 {
    fn name(&self) -> &str {
        "sloppy"
    }
    fn forward(&mut self, x: &[&Tensor<T>]) -> Tensor<T> {
        let k = if T::DTYPE == "F32" { 1.0 + 1e-4 } else { 1.0 };
        x[0].mul_scalar(T::from_f64(k))
    }
    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> Vec<Option<Tensor<T>>> {
        vec![Some(ctx.grad_output.clone())]
    }
}

#[test]
fn precision_check_passes_exact_ops_and_names_an_inaccurate_f32_kernel() {
    let _g = serial();
    let x = Tensor::uniform(&[4, 5], -2.0, 2.0, &mut synann_tensor::random::seeded(3));
    let w = Tensor::uniform(&[5, 3], -1.0, 1.0, &mut synann_tensor::random::seeded(4));
    let opts = PrecisionOptions::default();
    let report =
        check_precision!(|v| v[0].matmul(&v[1]).tanh().exp(), &[x.clone(), w], &opts).unwrap();
    assert_eq!(report.op.as_deref(), Some("exp"));
    assert_eq!(report.compared, 12 + 20 + 15);
    match check_precision!(|v| apply(SloppyInF32, &[&v[0]]), &[x], &opts) {
        Err(e @ PrecisionError::Exceeded { .. }) => {
            let PrecisionError::Exceeded {
                ref worst, total, ..
            } = e
            else {
                unreachable!()
            };
            // The forward is off everywhere (≈ 840 ulps); the backward is exact.
            assert_eq!(total, 20);
            assert!(worst
                .iter()
                .all(|w| w.quantity == Quantity::Output && w.ulps > 100.0));
            assert!(
                e.to_string()
                    .starts_with("precision check of `sloppy`: 20 of 40"),
                "{e}"
            );
        }
        other => panic!("expected an excess, got {other:?}"),
    }
}
