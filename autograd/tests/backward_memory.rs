//! How the backward pass holds less: the in-place backward
//! ([`Function::backward_in_place`]: which ops it asks, what it does with
//! their answer, and that the gradients it gets that way are bit for bit
//! those of the ops' `backward`), and values freed once no backward still
//! to run reads them ([`Function::backward_needs_output`],
//! [`Function::backward_needs_input`]: which, when, and that the graph stays
//! usable after), and gradcheck's checks of both.

use proptest::prelude::*;
use std::cell::Cell;
use std::rc::Rc;
use synann_autograd::{apply, BackwardCtx, Function, InPlaceCtx, Var};
use synann_tensor::conv::Conv2dParams;
use synann_tensor::Tensor;
use synann_testing::strategies::{broadcast_pair, conv2d_case, signed, uniform};
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

/// Where a [`Probe`]'s backward records (output elements, input elements)
/// of what it was given.
type Seen = Rc<Cell<Option<(usize, usize)>>>;

/// y = 2x that records how many elements of its output and input its
/// backward was given, and says whether it reads them.
struct Probe {
    needs_output: bool,
    needs_input: bool,
    seen: Seen,
}

impl Function<f64> for Probe {
    fn name(&self) -> &str {
        "probe"
    }
    fn forward(&mut self, x: &[&Tensor<f64>]) -> Tensor<f64> {
        x[0].mul_scalar(2.0)
    }
    fn backward(&self, ctx: &BackwardCtx<'_, f64>) -> Vec<Option<Tensor<f64>>> {
        self.seen
            .set(Some((ctx.output.numel(), ctx.inputs[0].numel())));
        vec![Some(ctx.grad_output.mul_scalar(2.0))]
    }
    fn backward_needs_output(&self) -> bool {
        self.needs_output
    }
    fn backward_needs_input(&self, _: usize) -> bool {
        self.needs_input
    }
}

/// What a [`Probe`] reads.
#[derive(Clone, Copy, Debug)]
enum Reads {
    Input,
    Output,
}

/// A [`Probe`] of `x` reading `reads`, and the cell its backward fills.
fn probe(x: &Var<f64>, reads: Reads) -> (Var<f64>, Seen) {
    let seen = Rc::new(Cell::new(None));
    let op = Probe {
        needs_output: matches!(reads, Reads::Output),
        needs_input: matches!(reads, Reads::Input),
        seen: seen.clone(),
    };
    (apply(op, &[x]), seen)
}

/// Whether the caller keeps its handle on the intermediate node.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Handle {
    Dropped,
    Kept,
}

/// L = Σ second(first(x))² with `first` and `second` probes reading
/// `first_reads` and `second_reads`: returns (what first's backward saw,
/// what second's saw, x's gradient), each seen as (output elements, input
/// elements). x has 2 elements.
fn run_chain(
    first_reads: Reads,
    second_reads: Reads,
    handle: Handle,
) -> ((usize, usize), (usize, usize), Vec<f64>) {
    let x = Var::requiring_grad(Tensor::from_vec(vec![1.0, -3.0], &[2]));
    let (y, first_seen) = probe(&x, first_reads);
    let (z, second_seen) = probe(&y, second_reads);
    let loss = z.mul(&z).sum_all();
    let kept = (handle == Handle::Kept).then(|| y.clone());
    drop((y, z));
    loss.backward();
    if let Some(y) = kept {
        // A handle the caller kept still reads the value after backward.
        assert_eq!(y.value().data(), &[2.0, -6.0]);
    }
    let g = x.grad().unwrap().data().to_vec();
    (first_seen.get().unwrap(), second_seen.get().unwrap(), g)
}

#[test]
fn values_nobody_reads_are_freed_and_the_gradients_unchanged() {
    use Reads::{Input, Output};
    // d/dx Σ(4x)² = 32x.
    let g = vec![32.0, -96.0];
    // y unread by its own backward and by z's: freed before the pass.
    // (z's output is read by the product that follows it.)
    assert_eq!(
        run_chain(Input, Output, Handle::Dropped),
        ((0, 2), (2, 0), g.clone())
    );
    // y read by z's backward: kept for it, then freed before y's own;
    // z's output, read by the product, freed before z's backward.
    assert_eq!(
        run_chain(Input, Input, Handle::Dropped),
        ((0, 2), (0, 2), g.clone())
    );
    // y read by its own backward: kept (z's backward is given it too,
    // though it reads only its output).
    assert_eq!(
        run_chain(Output, Output, Handle::Dropped),
        ((2, 2), (2, 2), g.clone())
    );
    // The caller holds y: kept.
    assert_eq!(run_chain(Input, Output, Handle::Kept), ((2, 2), (2, 2), g));
}

#[test]
fn a_value_an_op_outside_the_pass_reads_is_kept_for_it() {
    let x = Var::requiring_grad(Tensor::from_vec(vec![1.0, -3.0], &[2]));
    let (y, _) = probe(&x, Reads::Input);
    let (a, _) = probe(&y, Reads::Output);
    // A second consumer of y, reading it, outside the first pass.
    let (b, b_seen) = probe(&y, Reads::Input);
    drop(y);
    a.sum_all().backward();
    assert_eq!(x.grad().unwrap().data(), &[4.0, 4.0]);
    // The first pass released y's link to x (as PyTorch frees the graph
    // without retain_graph), so this one stops at y; what matters here is
    // that b's backward still reads y.
    b.sum_all().backward();
    assert_eq!(b_seen.get(), Some((2, 2)));
}

#[test]
fn a_retained_graph_keeps_its_values() {
    let x = Var::requiring_grad(Tensor::from_vec(vec![1.0], &[1]));
    let (y, seen) = probe(&x, Reads::Input);
    let loss = y.exp();
    drop(y);
    loss.backward_retaining_graph(Tensor::ones(&[1]));
    assert_eq!(seen.get(), Some((1, 1)));
    loss.backward_with(Tensor::ones(&[1]));
    assert_eq!(seen.get(), Some((0, 1)));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// Chains of ops that free one another's values: a convolution's
    /// output under a ReLU, and outputs read only by their own op. (Every
    /// op's own gradient check frees what it says it does not read too:
    /// gradcheck runs it between exact copies.)
    #[test]
    fn chains_that_free_values(case in conv2d_case(), seed: u64) {
        let params: Conv2dParams = case.params;
        prop_gradcheck(|v| v[0].conv2d(&v[1], v.get(2), params).relu().sigmoid(), &case.tensors(seed))?;
        let x = signed(&[3, 4], seed, 0.05, 0.9);
        let w = uniform(&[5, 4], seed ^ 1, -1.0, 1.0);
        prop_gradcheck(|v| v[0].linear(&v[1], None).relu().ln_1p(), &[x.clone(), w])?;
        prop_gradcheck(|v| v[0].mul_scalar(1.5).sigmoid().tanh().exp().exp_m1().sqrt(), &[x])?;
    }
}

/// y = x² whose backward reads x (2x·dL/dy) though it says it does not.
struct DishonestSquare;

impl Function<f64> for DishonestSquare {
    fn name(&self) -> &str {
        "dishonest_square"
    }
    fn forward(&mut self, x: &[&Tensor<f64>]) -> Tensor<f64> {
        x[0].mul(x[0])
    }
    fn backward(&self, ctx: &BackwardCtx<'_, f64>) -> Vec<Option<Tensor<f64>>> {
        let x = ctx.inputs[0];
        vec![Some(x.zip_map(
            ctx.grad_output,
            "dishonest_square",
            |x, g| 2.0 * x * g,
        ))]
    }
    fn backward_needs_input(&self, _: usize) -> bool {
        false
    }
}

#[test]
fn gradcheck_catches_a_backward_that_reads_a_value_it_disowned() {
    let x = [Tensor::from_vec(vec![1.0, -2.0, 0.5], &[3])];
    let check = std::panic::catch_unwind(|| {
        synann_autograd::gradcheck(
            |v| apply(DishonestSquare, &[&v[0]]),
            &x,
            &synann_autograd::GradcheckOptions::default(),
        )
    });
    let message = match check {
        Ok(result) => panic!("gradcheck passed a dishonest op: {result:?}"),
        Err(payload) => payload
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default(),
    };
    assert!(message.contains("dishonest_square"), "{message}");
    // The same op, honest about what it reads, passes.
    struct HonestSquare;
    impl Function<f64> for HonestSquare {
        fn name(&self) -> &str {
            "square"
        }
        fn forward(&mut self, x: &[&Tensor<f64>]) -> Tensor<f64> {
            DishonestSquare.forward(x)
        }
        fn backward(&self, ctx: &BackwardCtx<'_, f64>) -> Vec<Option<Tensor<f64>>> {
            DishonestSquare.backward(ctx)
        }
    }
    let checked = synann_autograd::gradcheck(
        |v| apply(HonestSquare, &[&v[0]]),
        &x,
        &synann_autograd::GradcheckOptions::default(),
    );
    assert!(checked.is_ok(), "{checked:?}");
}

/// y = x, whose backward gives its input no gradient (`None`), as a
/// backward may: the ops under it get no gradient from this pass.
struct Stop;

impl Function<f64> for Stop {
    fn name(&self) -> &str {
        "stop"
    }
    fn forward(&mut self, x: &[&Tensor<f64>]) -> Tensor<f64> {
        x[0].clone()
    }
    fn backward(&self, _: &BackwardCtx<'_, f64>) -> Vec<Option<Tensor<f64>>> {
        vec![None]
    }
}

#[test]
fn a_freed_value_keeps_its_shape_for_a_later_pass() {
    // n = 2x is freed at the start of the first pass (exp reads its
    // output, not n); exp gets no gradient there, so its link to n stays,
    // and a second pass through it checks n's gradient against n's shape.
    let x = Var::requiring_grad(Tensor::from_vec(vec![0.0, 1.0, -1.0], &[3]));
    let n = x.mul_scalar(2.0);
    let c = n.exp();
    let d = apply(Stop, &[&c]);
    drop(n);
    d.sum_all().backward();
    assert!(x.grad().is_none());
    c.sum_all().backward();
    let expected: Vec<f64> = [0.0f64, 1.0, -1.0]
        .iter()
        .map(|&v| 2.0 * (2.0 * v).exp())
        .collect();
    assert_eq!(x.grad().unwrap().data(), &expected[..]);
}

/// y = x, whose backward panics.
struct Panicking;

impl Function<f64> for Panicking {
    fn name(&self) -> &str {
        "panicking"
    }
    fn forward(&mut self, x: &[&Tensor<f64>]) -> Tensor<f64> {
        x[0].clone()
    }
    fn backward(&self, _: &BackwardCtx<'_, f64>) -> Vec<Option<Tensor<f64>>> {
        panic!("panicking: backward")
    }
}

#[test]
fn a_pass_that_panics_leaves_the_graph_usable() {
    let x = Var::requiring_grad(Tensor::from_vec(vec![1.0, -1.0], &[2]));
    let h = x.mul_scalar(3.0);
    let a = h.relu();
    let bad = apply(Panicking, &[&a]);
    drop(h);
    let caught =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| bad.sum_all().backward()));
    assert!(caught.is_err());
    a.sum_all().backward();
    assert_eq!(x.grad().unwrap().data(), &[3.0, 0.0]);
}

#[test]
fn a_value_with_several_links_is_freed_only_when_none_reads_it() {
    // h feeds two ReLUs, one op twice (h·h reads h) and a probe that reads
    // it: kept. g feeds two ReLUs and a sigmoid, none of which reads it:
    // freed. The gradients are those of the formula either way.
    let x = Var::requiring_grad(Tensor::from_vec(vec![0.5, -2.0], &[2]));
    let h = x.mul_scalar(2.0);
    let g = x.mul_scalar(3.0);
    let (h_probe, seen) = probe(&h, Reads::Input);
    let terms = [
        h.relu(),
        h.relu(),
        h.mul(&h),
        h_probe,
        g.relu(),
        g.relu(),
        g.sigmoid(),
    ];
    drop((h, g));
    let loss = terms
        .iter()
        .fold(Var::constant(Tensor::zeros(&[2])), |s, t| s.add(t))
        .sum_all();
    drop(terms);
    loss.backward();
    // The probe's own output was freed before its backward (only the sum
    // read it), its input, h, was there.
    assert_eq!(seen.get(), Some((0, 2)));
    // d/dx of 2·relu(2x) + 4x² + 4x + 2·relu(3x) + σ(3x).
    let expected: Vec<f64> = [0.5f64, -2.0]
        .iter()
        .map(|&x| {
            let step = if x > 0.0 { 1.0 } else { 0.0 };
            let s = 1.0 / (1.0 + (-3.0 * x).exp());
            4.0 * step + 8.0 * x + 4.0 + 6.0 * step + 3.0 * s * (1.0 - s)
        })
        .collect();
    let got = x.grad().unwrap().data().to_vec();
    for (a, b) in got.iter().zip(&expected) {
        assert!((a - b).abs() < 1e-12, "{got:?} against {expected:?}");
    }
}

#[test]
fn relu_through_its_output_gives_the_same_bits_as_through_its_input() {
    let specials = vec![
        0.0,
        -0.0,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::MIN_POSITIVE / 4.0,
        -f64::MIN_POSITIVE / 4.0,
        1.5,
        -1.5,
    ];
    let g = Tensor::from_vec(vec![-0.75; specials.len()], &[specials.len()]);
    let x = Var::requiring_grad(Tensor::from_vec(specials.clone(), &[specials.len()]));
    x.relu().backward_with(g.clone());
    let through_x: Vec<u64> = specials
        .iter()
        .zip(g.data())
        .map(|(&x, &g)| (if x > 0.0 { g } else { 0.0 }).to_bits())
        .collect();
    let got: Vec<u64> = x
        .grad()
        .unwrap()
        .data()
        .iter()
        .map(|v| v.to_bits())
        .collect();
    assert_eq!(got, through_x);
}

#[test]
fn in_place_and_freeing_work_under_anomaly_detection_in_a_module() {
    let run = || {
        let x = Var::requiring_grad(Tensor::from_vec(vec![0.5, -2.0], &[2]));
        let (y, seen) = {
            let _scope = synann_autograd::anomaly::enter_module("block");
            let h = x.mul_scalar(2.0);
            let (p, seen) = probe(&h, Reads::Output);
            (p.relu(), seen)
        };
        y.sum_all().backward();
        let g = x.grad().unwrap().data().to_vec();
        (seen.get(), g)
    };
    let plain = run();
    let detected = synann_autograd::detect_anomaly(run);
    assert_eq!(plain, detected);
    // The probe's input (2x) was freed: nothing reads it.
    assert_eq!(detected.0, Some((2, 0)));
}

/// z = a·b (one shape) whose in-place backward forgets the factor.
struct WrongInPlaceMul;

impl Function<f64> for WrongInPlaceMul {
    fn name(&self) -> &str {
        "wrong_in_place_mul"
    }
    fn forward(&mut self, x: &[&Tensor<f64>]) -> Tensor<f64> {
        x[0].mul(x[1])
    }
    fn backward(&self, ctx: &BackwardCtx<'_, f64>) -> Vec<Option<Tensor<f64>>> {
        let g = ctx.grad_output;
        vec![Some(g.mul(ctx.inputs[1])), Some(g.mul(ctx.inputs[0]))]
    }
    fn backward_in_place(&self, _: &InPlaceCtx<'_, f64>, _: &mut Tensor<f64>) -> bool {
        true
    }
}

#[test]
fn gradcheck_compares_each_input_alone_with_all_together() {
    let inputs = [
        Tensor::from_vec(vec![1.0, 2.0], &[2]),
        Tensor::from_vec(vec![3.0, -4.0], &[2]),
    ];
    let err = synann_autograd::gradcheck(
        |v| apply(WrongInPlaceMul, &[&v[0], &v[1]]),
        &inputs,
        &synann_autograd::GradcheckOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            synann_autograd::GradcheckError::AloneDiffers { input: 0, .. }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("backward_in_place"), "{err}");
}
