//! The engine's in-place backward ([`Function::backward_in_place`]): which
//! ops it asks, what it does with their answer, and that the gradients it
//! gets that way are bit for bit those of the ops' `backward`.

use proptest::prelude::*;
use std::cell::Cell;
use std::rc::Rc;
use synann_autograd::{apply, BackwardCtx, Function, InPlaceCtx, Var};
use synann_tensor::Tensor;
use synann_testing::strategies::{broadcast_pair, signed, uniform};
use synann_testing::{prop_gradcheck, CASES};

/// z = a·b (a, b of one shape) that counts its two backward paths and
/// writes in place only when `in_place` says so.
struct CountingMul {
    in_place: bool,
    backward_calls: Rc<Cell<usize>>,
    in_place_calls: Rc<Cell<usize>>,
}

impl Function<f64> for CountingMul {
    fn name(&self) -> &str {
        "counting_mul"
    }
    fn forward(&mut self, x: &[&Tensor<f64>]) -> Tensor<f64> {
        x[0].mul(x[1])
    }
    fn backward(&self, ctx: &BackwardCtx<'_, f64>) -> Vec<Option<Tensor<f64>>> {
        self.backward_calls.set(self.backward_calls.get() + 1);
        let g = ctx.grad_output;
        vec![
            ctx.needs_grad[0].then(|| g.mul(ctx.inputs[1])),
            ctx.needs_grad[1].then(|| g.mul(ctx.inputs[0])),
        ]
    }
    fn backward_in_place(&self, ctx: &InPlaceCtx<'_, f64>, grad: &mut Tensor<f64>) -> bool {
        self.in_place_calls.set(self.in_place_calls.get() + 1);
        if self.in_place {
            let other = ctx.inputs[1 - ctx.input];
            grad.zip_map_(other, "counting_mul", |g, o| g * o);
        }
        self.in_place
    }
}

/// Runs a·b through [`CountingMul`] with the given inputs needing grad and
/// returns (backward calls, in-place calls, a's gradient, b's gradient).
fn run_counting(
    in_place: bool,
    a_needs: bool,
    b_needs: bool,
) -> (usize, usize, Option<Tensor<f64>>, Option<Tensor<f64>>) {
    let backward_calls = Rc::new(Cell::new(0));
    let in_place_calls = Rc::new(Cell::new(0));
    let leaf = |data: Vec<f64>, needs: bool| {
        let t = Tensor::from_vec(data, &[3]);
        if needs {
            Var::requiring_grad(t)
        } else {
            Var::constant(t)
        }
    };
    let a = leaf(vec![1.0, 2.0, 3.0], a_needs);
    let b = leaf(vec![4.0, 5.0, 6.0], b_needs);
    let op = CountingMul {
        in_place,
        backward_calls: backward_calls.clone(),
        in_place_calls: in_place_calls.clone(),
    };
    apply(op, &[&a, &b]).sum_all().backward();
    let grads = (a.grad().map(|g| g.clone()), b.grad().map(|g| g.clone()));
    (backward_calls.get(), in_place_calls.get(), grads.0, grads.1)
}

#[test]
fn one_input_needing_a_gradient_is_written_in_place() {
    let (backward, in_place, ga, gb) = run_counting(true, true, false);
    assert_eq!((backward, in_place), (0, 1));
    assert_eq!(ga.unwrap().data(), &[4.0, 5.0, 6.0]);
    assert!(gb.is_none());
    let (backward, in_place, ga, gb) = run_counting(true, false, true);
    assert_eq!((backward, in_place), (0, 1));
    assert!(ga.is_none());
    assert_eq!(gb.unwrap().data(), &[1.0, 2.0, 3.0]);
}

#[test]
fn an_op_that_declines_gets_its_backward_called() {
    let (backward, in_place, ga, _) = run_counting(false, true, false);
    assert_eq!((backward, in_place), (1, 1));
    assert_eq!(ga.unwrap().data(), &[4.0, 5.0, 6.0]);
}

#[test]
fn two_inputs_needing_gradients_are_never_asked_in_place() {
    let (backward, in_place, ga, gb) = run_counting(true, true, true);
    assert_eq!((backward, in_place), (1, 0));
    assert_eq!(ga.unwrap().data(), &[4.0, 5.0, 6.0]);
    assert_eq!(gb.unwrap().data(), &[1.0, 2.0, 3.0]);
}

type Op = fn(&Var<f64>, &Var<f64>) -> Var<f64>;

/// Which operand of a binary op varies (the other one is held fixed).
#[derive(Clone, Copy, Debug)]
enum Varying {
    First,
    Second,
}

/// `op` with `x` as its varying operand and `y` as the other.
fn call(op: Op, varying: Varying, x: &Var<f64>, y: &Var<f64>) -> Var<f64> {
    match varying {
        Varying::First => op(x, y),
        Varying::Second => op(y, x),
    }
}

/// Whether the fixed operand needs a gradient too.
#[derive(Clone, Copy, Debug)]
enum Other {
    Constant,
    NeedingGrad,
}

/// dL/dx of `op` applied to the varying `x` and the fixed `y`, with
/// L = Σ w·z: with `y` a constant the engine may write dL/dx in place, with
/// `y` needing a gradient too it calls `backward`.
fn grad_of(
    op: Op,
    varying: Varying,
    x: &Tensor<f64>,
    y: &Tensor<f64>,
    other: Other,
) -> Tensor<f64> {
    let xv = Var::requiring_grad(x.clone());
    let yv = match other {
        Other::Constant => Var::constant(y.clone()),
        Other::NeedingGrad => Var::requiring_grad(y.clone()),
    };
    let z = call(op, varying, &xv, &yv);
    let w = uniform(&z.shape(), 99, -1.0, 1.0);
    z.backward_with(w);
    let g = xv.grad().unwrap().clone();
    g
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// add, sub, mul and div with either operand constant: the gradient the
    /// engine gets in place (or, where shapes broadcast, from `backward`)
    /// is the one `backward` gives when both operands need gradients, bit
    /// for bit, and it passes the finite-difference check.
    #[test]
    fn binary_ops_with_one_constant_operand((sa, sb) in broadcast_pair(4, 3), seed: u64) {
        let a = uniform(&sa, seed, -2.0, 2.0);
        let b = signed(&sb, seed ^ 1, 0.5, 2.0);
        let ops: [(&str, Op); 4] = [
            ("add", |x, y| x.add(y)),
            ("sub", |x, y| x.sub(y)),
            ("mul", |x, y| x.mul(y)),
            ("div", |x, y| x.div(y)),
        ];
        for (name, op) in ops {
            // b stays away from 0: it may be div's divisor either way.
            for (varying, x, y) in [(Varying::First, &a, &b), (Varying::Second, &b, &a)] {
                let alone = grad_of(op, varying, x, y, Other::Constant);
                let both = grad_of(op, varying, x, y, Other::NeedingGrad);
                prop_assert_eq!(alone.data(), both.data(), "{} ({:?} operand)", name, varying);
                let fixed = Var::constant(y.clone());
                prop_gradcheck(|v| call(op, varying, &v[0], &fixed), std::slice::from_ref(x))?;
            }
        }
    }
}
