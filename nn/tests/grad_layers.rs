//! f64 gradient checks of the layers with parameters, through the public
//! module check: `gradcheck_module` differentiates each layer's own
//! forward with respect to its input and every named parameter, in train
//! and eval mode. The cases come from `synann-testing`'s strategies.

use proptest::prelude::*;
use synann_autograd::{
    apply, BackwardCtx, Function, GradcheckError, GradcheckOptions, Location, Var,
};
use synann_nn::layers::{
    BatchNorm1d, BatchNorm2d, BatchNormConfig, Bias, Conv2d, Dropout, Dropout2d, GRUCell, Linear,
    RNNCell, Sequential, Tanh,
};
use synann_nn::{gradcheck_module, prefixed, Mode, Module};
use synann_tensor::random::seeded;
use synann_tensor::Tensor;
use synann_testing::strategies::{conv2d_case, uniform};
use synann_testing::{prop_gradcheck_module, CASES};

/// Gives every parameter of `module` random values in [−2, 2) (the
/// defaults, such as BatchNorm's weight 1 and bias 0, are special points).
fn randomise<M: Module<f64>>(module: &M, seed: u64) {
    for (k, p) in module.parameters().iter().enumerate() {
        p.set_value(uniform(&p.shape(), seed ^ (k as u64 + 11), -2.0, 2.0));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn linear(
        batch in 1usize..4,
        inp in 1usize..5,
        out in 1usize..4,
        bias in prop_oneof![Just(Bias::Yes), Just(Bias::No)],
        seed: u64,
    ) {
        let mut layer = Linear::<f64>::new(inp, out, bias, &mut seeded(seed));
        randomise(&layer, seed);
        prop_gradcheck_module(&mut layer, &uniform(&[batch, inp], seed, -2.0, 2.0))?;
    }

    #[test]
    fn conv2d(case in conv2d_case(), seed: u64) {
        let [_, cin, _, _] = case.input;
        let [cout, _, kh, kw] = case.weight;
        let bias = if case.bias { Bias::Yes } else { Bias::No };
        let mut conv = Conv2d::<f64>::new(cin, cout, (kh, kw), case.params, bias, &mut seeded(seed));
        randomise(&conv, seed);
        prop_gradcheck_module(&mut conv, &uniform(&case.input, seed, -2.0, 2.0))?;
    }

    #[test]
    fn batch_norm_1d(
        n in 2usize..5,
        c in 1usize..4,
        len in proptest::option::of(1usize..4),
        seed: u64,
    ) {
        let shape: Vec<usize> = match len {
            Some(l) => vec![n, c, l],
            None => vec![n, c],
        };
        let mut bn = BatchNorm1d::<f64>::new(c);
        randomise(&bn, seed);
        // Eval mode normalises with the running statistics: make them
        // something other than (0, 1).
        bn.running_mean.as_ref().unwrap().set_value(uniform(&[c], seed ^ 3, -2.0, 2.0));
        bn.running_var.as_ref().unwrap().set_value(uniform(&[c], seed ^ 4, 0.5, 2.0));
        prop_gradcheck_module(&mut bn, &uniform(&shape, seed, -2.0, 2.0))?;
    }

    #[test]
    fn batch_norm_2d(n in 1usize..3, c in 1usize..3, h in 1usize..3, w in 2usize..4, seed: u64) {
        let mut bn = BatchNorm2d::<f64>::new(c);
        randomise(&bn, seed);
        prop_gradcheck_module(&mut bn, &uniform(&[n, c, h, w], seed, -2.0, 2.0))?;
    }

    #[test]
    fn batch_norm_2d_without_affine(n in 1usize..3, c in 1usize..3, hw in 2usize..4, seed: u64) {
        let config = BatchNormConfig { affine: false, ..Default::default() };
        let mut bn = BatchNorm2d::<f64>::with_config(c, config);
        prop_gradcheck_module(&mut bn, &uniform(&[n, c, hw, hw], seed, -2.0, 2.0))?;
    }

    /// Dropout in a model: the check fixes the masks, so train mode is a
    /// function like any other.
    #[test]
    fn model_with_dropout(batch in 1usize..4, hidden in 1usize..6, seed: u64) {
        let mut rng = seeded(seed);
        let mut model = Sequential::<f64>::new();
        model
            .push(Linear::new(3, hidden, Bias::Yes, &mut rng))
            .push(Tanh)
            .push(Dropout::new(0.5, seeded(seed ^ 1)))
            .push(Linear::new(hidden, 2, Bias::Yes, &mut rng));
        prop_gradcheck_module(&mut model, &uniform(&[batch, 3], seed, -2.0, 2.0))?;
    }
}

#[test]
fn dropout2d_in_a_model_gets_fixed_masks() {
    let mut model = Sequential::<f64>::new();
    model
        .push(Conv2d::new(
            2,
            3,
            (3, 3),
            Default::default(),
            Bias::Yes,
            &mut seeded(0),
        ))
        .push(Dropout2d::new(0.5, seeded(1)))
        .push(Tanh);
    let x = uniform(&[2, 2, 5, 5], 2, -1.0, 1.0);
    let report = gradcheck_module(&mut model, &x, &GradcheckOptions::default()).unwrap();
    assert_eq!(report.modes.len(), 2);
    assert_eq!(report.checked, ["input", "0.weight", "0.bias"]);
}

#[test]
fn the_check_restores_parameters_gradients_and_running_statistics() {
    let mut bn = BatchNorm1d::<f64>::new(3);
    randomise(&bn, 5);
    let before: Vec<Tensor<f64>> = bn.parameters().iter().map(|p| p.value().clone()).collect();
    let stats: Vec<Tensor<f64>> = bn
        .named_buffers()
        .iter()
        .map(|(_, b)| b.value().clone())
        .collect();
    bn.weight
        .as_ref()
        .unwrap()
        .set_grad(Some(Tensor::ones(&[3])));
    gradcheck_module(
        &mut bn,
        &uniform(&[4, 3], 6, -1.0, 1.0),
        &GradcheckOptions::default(),
    )
    .unwrap();
    let after: Vec<Tensor<f64>> = bn.parameters().iter().map(|p| p.value().clone()).collect();
    let stats_after: Vec<Tensor<f64>> = bn
        .named_buffers()
        .iter()
        .map(|(_, b)| b.value().clone())
        .collect();
    assert_eq!(before, after);
    assert_eq!(stats, stats_after);
    assert_eq!(
        bn.weight.as_ref().unwrap().grad().unwrap().data(),
        &[1.0; 3]
    );
    assert!(bn.bias.as_ref().unwrap().grad().is_none());
}

/// y = x·w with the gradient of w wrong at one element in training only.
struct ScaleWithBug;

impl Function<f64> for ScaleWithBug {
    fn name(&self) -> &str {
        "scale_with_bug"
    }
    fn forward(&mut self, x: &[&Tensor<f64>]) -> Tensor<f64> {
        x[0].mul(x[1])
    }
    fn backward(&self, ctx: &BackwardCtx<'_, f64>) -> Vec<Option<Tensor<f64>>> {
        let (x, w, g) = (ctx.inputs[0], ctx.inputs[1], ctx.grad_output);
        let mut dw = g.mul(x).sum_to(w.shape());
        dw.data_mut()[7] *= 1.5;
        vec![Some(g.mul(w)), Some(dw)]
    }
}

/// A container whose second child's weight has a wrong gradient in
/// training mode only.
struct Net {
    fc1: Linear<f64>,
    scale: Var<f64>,
}

impl Module<f64> for Net {
    fn forward(&mut self, x: &Var<f64>, mode: Mode) -> Var<f64> {
        let h = self.fc1.forward(x, mode);
        match mode {
            Mode::Train => apply(ScaleWithBug, &[&h, &self.scale]),
            Mode::Eval => h.mul(&self.scale),
        }
    }
    fn named_parameters(&self) -> Vec<(String, Var<f64>)> {
        let mut p = prefixed("fc1", self.fc1.named_parameters());
        p.extend(prefixed(
            "fc2",
            vec![("weight".to_string(), self.scale.clone())],
        ));
        p
    }
}

#[test]
fn a_failure_names_the_mode_and_the_parameter_path() {
    let mut net = Net {
        fc1: Linear::new(4, 9, Bias::Yes, &mut seeded(0)),
        scale: Var::requiring_grad(uniform(&[3, 9], 1, -1.0, 1.0)),
    };
    let x = uniform(&[3, 4], 2, -1.0, 1.0);
    let err = gradcheck_module(&mut net, &x, &GradcheckOptions::default()).unwrap_err();
    assert_eq!(err.mode, Mode::Train);
    match &err.error {
        GradcheckError::Mismatch {
            op, worst, total, ..
        } => {
            assert_eq!(op.as_deref(), Some("scale_with_bug"));
            assert_eq!(*total, 1);
            assert_eq!(worst[0].name, "fc2.weight");
            assert_eq!(worst[0].location, Location::Element(vec![0, 7]));
        }
        other => panic!("expected a mismatch, got {other:?}"),
    }
    let message = err.to_string();
    assert!(
        message.starts_with("in Train mode, gradcheck of `scale_with_bug`: 1 of ")
            && message.contains("fc2.weight[0, 7]: analytic"),
        "{message}"
    );
    // Without the bug (eval mode), the same module passes.
    let eval = synann_nn::gradcheck_module_with(
        &mut net,
        &x,
        &[Mode::Eval],
        |y: &Var<f64>| y.clone(),
        &GradcheckOptions::default(),
    );
    assert!(eval.is_ok(), "{eval:?}");
}

/// Two steps of a recurrent cell from the zero state, so that the gradient
/// also flows through the state and reaches `weight_hh`.
struct TwoSteps<C>(C);

impl Module<f64> for TwoSteps<RNNCell<f64>> {
    fn forward(&mut self, x: &Var<f64>, _mode: Mode) -> Var<f64> {
        let h = self.0.step(x, &self.0.initial_state(x.shape()[0]));
        self.0.step(x, &h)
    }
    fn named_parameters(&self) -> Vec<(String, Var<f64>)> {
        self.0.named_parameters()
    }
}

impl Module<f64> for TwoSteps<GRUCell<f64>> {
    fn forward(&mut self, x: &Var<f64>, _mode: Mode) -> Var<f64> {
        let h = self.0.step(x, &self.0.initial_state(x.shape()[0]));
        self.0.step(x, &h)
    }
    fn named_parameters(&self) -> Vec<(String, Var<f64>)> {
        self.0.named_parameters()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn rnn_cell_two_steps(n in 1usize..3, f in 1usize..4, h in 1usize..4, seed: u64) {
        let mut cell = TwoSteps(RNNCell::<f64>::new(f, h, &mut seeded(seed)));
        prop_gradcheck_module(&mut cell, &uniform(&[n, f], seed, -2.0, 2.0))?;
    }

    #[test]
    fn gru_cell_two_steps(n in 1usize..3, f in 1usize..4, h in 1usize..4, seed: u64) {
        let mut cell = TwoSteps(GRUCell::<f64>::new(f, h, &mut seeded(seed)));
        prop_gradcheck_module(&mut cell, &uniform(&[n, f], seed, -2.0, 2.0))?;
    }
}

/// The GRU's forward against its formula written out by hand for one
/// feature and one state unit (PyTorch's gate order r, z, n).
#[test]
fn gru_cell_matches_pytorchs_formula() {
    let mut cell = GRUCell::<f64>::new(1, 1, &mut seeded(0));
    let t = |v: &[f64]| Var::requiring_grad(Tensor::from_vec(v.to_vec(), &[v.len(), 1]));
    let b = |v: &[f64]| Var::requiring_grad(Tensor::from_vec(v.to_vec(), &[v.len()]));
    cell.weights.weight_ih = t(&[0.5, -0.3, 0.8]);
    cell.weights.weight_hh = t(&[0.2, 0.4, -0.6]);
    cell.weights.bias_ih = b(&[0.1, 0.0, -0.2]);
    cell.weights.bias_hh = b(&[-0.1, 0.3, 0.05]);
    let (x, h) = (0.7, -0.4);
    let sig = |v: f64| 1.0 / (1.0 + (-v).exp());
    let r = sig(0.5 * x + 0.1 + 0.2 * h - 0.1);
    let z = sig(-0.3 * x + 0.4 * h + 0.3);
    let n = (0.8 * x - 0.2 + r * (-0.6 * h + 0.05)).tanh();
    let expected = (1.0 - z) * n + z * h;
    let got = cell
        .step(
            &Var::constant(Tensor::from_vec(vec![x], &[1, 1])),
            &Var::constant(Tensor::from_vec(vec![h], &[1, 1])),
        )
        .value()
        .data()[0];
    assert!((got - expected).abs() < 1e-15, "{got} vs {expected}");
    let mut rnn = RNNCell::<f64>::new(1, 1, &mut seeded(0));
    rnn.weights.weight_ih = t(&[0.5]);
    rnn.weights.weight_hh = t(&[0.2]);
    rnn.weights.bias_ih = b(&[0.1]);
    rnn.weights.bias_hh = b(&[-0.3]);
    let got = rnn
        .step(
            &Var::constant(Tensor::from_vec(vec![x], &[1, 1])),
            &Var::constant(Tensor::from_vec(vec![h], &[1, 1])),
        )
        .value()
        .data()[0];
    assert!((got - (0.5 * x + 0.1 + 0.2 * h - 0.3f64).tanh()).abs() < 1e-15);
}
