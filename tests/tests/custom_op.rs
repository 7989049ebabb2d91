//! A custom op defined outside the engine, through the public `Function`
//! API, and checked with the public `gradcheck` — what a researcher adding
//! their own op does.

use proptest::prelude::*;
use synann_autograd::{
    apply, gradcheck, BackwardCtx, Function, GradcheckError, GradcheckOptions, Var,
};
use synann_tensor::{Float, Tensor};

/// The smooth "swish" activation y = x·σ(x), whose derivative is
/// y' = σ(x) + x·σ(x)(1 − σ(x)).
struct Swish;

impl<T: Float> Function<T> for Swish {
    fn name(&self) -> &str {
        "swish"
    }
    fn forward(&mut self, inputs: &[&Tensor<T>]) -> Tensor<T> {
        inputs[0].map(|x| x * x.sigmoid())
    }
    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> Vec<Option<Tensor<T>>> {
        let dx = ctx.inputs[0].zip_map(ctx.grad_output, "swish", |x, g| {
            let s = x.sigmoid();
            (s + x * s * (T::ONE - s)) * g
        });
        vec![Some(dx)]
    }
}

/// A two-input op with a scalar parameter: z = x·y² + c·x.
/// ∂z/∂x = y² + c, ∂z/∂y = 2xy.
struct MulSquarePlus {
    c: f64,
}

impl<T: Float> Function<T> for MulSquarePlus {
    fn name(&self) -> &str {
        "mul_square_plus"
    }
    fn forward(&mut self, inputs: &[&Tensor<T>]) -> Tensor<T> {
        let c = T::from_f64(self.c);
        inputs[0].zip_map(inputs[1], "mul_square_plus", move |x, y| x * y * y + c * x)
    }
    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> Vec<Option<Tensor<T>>> {
        let (x, y, g) = (ctx.inputs[0], ctx.inputs[1], ctx.grad_output);
        let c = T::from_f64(self.c);
        let two = T::from_f64(2.0);
        let dx = y.zip_map(g, "mul_square_plus", move |y, g| (y * y + c) * g);
        let dy = x
            .mul(y)
            .zip_map(g, "mul_square_plus", move |xy, g| two * xy * g);
        vec![Some(dx), Some(dy)]
    }
}

/// The same op with the derivative of y deliberately wrong (xy instead of 2xy).
struct WrongMulSquarePlus;

impl<T: Float> Function<T> for WrongMulSquarePlus {
    fn name(&self) -> &str {
        "wrong"
    }
    fn forward(&mut self, inputs: &[&Tensor<T>]) -> Tensor<T> {
        MulSquarePlus { c: 0.5 }.forward(inputs)
    }
    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> Vec<Option<Tensor<T>>> {
        let (x, y, g) = (ctx.inputs[0], ctx.inputs[1], ctx.grad_output);
        let half = T::from_f64(0.5);
        let dx = y.zip_map(g, "wrong", move |y, g| (y * y + half) * g);
        let dy = x.mul(y).mul(g);
        vec![Some(dx), Some(dy)]
    }
}

fn tensor(shape: &[usize], seed: u64) -> Tensor<f64> {
    Tensor::uniform(shape, -2.0, 2.0, &mut synann_tensor::random::seeded(seed))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn swish_passes_gradcheck(rows in 1usize..5, cols in 1usize..6, seed in any::<u64>()) {
        let x = tensor(&[rows, cols], seed);
        let r = gradcheck(|v: &[Var<f64>]| apply(Swish, &[&v[0]]), &[x], &GradcheckOptions::default());
        prop_assert!(r.is_ok(), "{}", r.unwrap_err());
    }

    #[test]
    fn two_input_op_passes_gradcheck_inside_a_graph(n in 1usize..8, seed in any::<u64>()) {
        let x = tensor(&[n], seed);
        let y = tensor(&[n], seed ^ 1);
        // The custom op composed with built-in ops on both sides.
        let f = |v: &[Var<f64>]| apply(MulSquarePlus { c: 0.5 }, &[&v[0].tanh(), &v[1]]).exp();
        let r = gradcheck(f, &[x, y], &GradcheckOptions::default());
        prop_assert!(r.is_ok(), "{}", r.unwrap_err());
    }
}

#[test]
fn wrong_backward_is_caught_and_located() {
    let x = Tensor::from_vec(vec![0.5, -1.0, 1.5], &[3]);
    let y = Tensor::from_vec(vec![1.0, 2.0, -0.7], &[3]);
    let err = gradcheck(
        |v: &[Var<f64>]| apply(WrongMulSquarePlus, &[&v[0], &v[1]]),
        &[x, y],
        &GradcheckOptions::default(),
    )
    .expect_err("a wrong derivative must fail");
    match &err {
        GradcheckError::Mismatch { op, worst, .. } => {
            // x's gradient is right, so every mismatch is in input 1 (y).
            assert_eq!(op.as_deref(), Some("wrong"));
            assert!(worst.iter().all(|m| m.input == 1));
            assert!(worst.iter().all(|m| m.error() > 1e-3));
        }
        other => panic!("expected a mismatch, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(
        msg.contains("input 1") && msg.contains("analytic") && msg.contains("numeric"),
        "{msg}"
    );
}

#[test]
fn fast_mode_checks_large_inputs() {
    let x = tensor(&[40, 50], 3);
    let opts = GradcheckOptions {
        fast_mode: true,
        ..Default::default()
    };
    gradcheck(
        |v: &[Var<f64>]| apply(Swish, &[&v[0]]),
        std::slice::from_ref(&x),
        &opts,
    )
    .expect("swish is right");
    let y = tensor(&[40, 50], 4);
    let wrong = gradcheck(
        |v: &[Var<f64>]| apply(WrongMulSquarePlus, &[&v[0], &v[1]]),
        &[x, y],
        &opts,
    );
    assert!(
        matches!(&wrong, Err(GradcheckError::Mismatch { worst, .. }) if worst[0].input == 1),
        "{wrong:?}"
    );
}

#[test]
fn custom_op_trains_a_parameter() {
    // Minimise Σ swish(w) by gradient descent: w moves towards swish's minimum
    // near −1.278, where the derivative vanishes.
    let w = Var::requiring_grad(Tensor::from_vec(vec![1.0f64, -3.0], &[2]));
    for _ in 0..2000 {
        let loss = apply(Swish, &[&w]).sum_all();
        loss.backward();
        let g = w.take_grad().expect("w requires grad");
        w.value_mut().axpy_(-0.1, &g);
    }
    for &v in w.value().data() {
        assert!((v + 1.2785).abs() < 1e-3, "w = {v}");
    }
}
