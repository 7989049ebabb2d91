//! f64 gradient checks of the layers with parameters: each closure builds
//! the layer, swaps its parameters for the checked inputs and runs its
//! forward, so the whole layer path is differentiated.

use proptest::prelude::*;
use synann_autograd::{gradcheck, GradcheckOptions, Var};
use synann_nn::layers::{BatchNorm1d, BatchNorm2d, BatchNormConfig, Conv2d, GRUCell, Linear, RNNCell};
use synann_nn::{Mode, Module};
use synann_tensor::conv::Conv2dParams;
use synann_tensor::random::seeded;
use synann_tensor::Tensor;

fn random(shape: &[usize], seed: u64) -> Tensor<f64> {
    Tensor::uniform(shape, -2.0, 2.0, &mut seeded(seed))
}

fn check(f: impl Fn(&[Var<f64>]) -> Var<f64>, inputs: &[Tensor<f64>]) {
    if let Err(e) = gradcheck(f, inputs, &GradcheckOptions::default()) {
        panic!("{e}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn linear(batch in 1usize..4, inp in 1usize..5, out in 1usize..4, bias: bool, seed: u64) {
        let x = random(&[batch, inp], seed);
        let w = random(&[out, inp], seed ^ 1);
        let b = random(&[out], seed ^ 2);
        let mut inputs = vec![x, w];
        if bias {
            inputs.push(b);
        }
        check(
            |v| {
                let mut layer = Linear::<f64>::new(inp, out, bias, &mut seeded(0));
                layer.weight = v[1].clone();
                if bias {
                    layer.bias = Some(v[2].clone());
                }
                layer.forward(&v[0], Mode::Train)
            },
            &inputs,
        );
    }

    #[test]
    fn conv2d(
        groups in 1usize..3,
        in_per_group in 1usize..3,
        out_per_group in 1usize..3,
        (kh, kw) in (1usize..4, 1usize..3),
        stride in (1usize..3, 1usize..3),
        padding in (0usize..2, 0usize..2),
        dilation in (1usize..3, 1usize..3),
        extra in (0usize..3, 0usize..3),
        bias: bool,
        seed: u64,
    ) {
        let (cin, cout) = (groups * in_per_group, groups * out_per_group);
        // Big enough for the dilated kernel, with `extra` rows/columns more.
        let h = dilation.0 * (kh - 1) + 1 + extra.0;
        let w = dilation.1 * (kw - 1) + 1 + extra.1;
        let params = Conv2dParams { stride, padding, dilation, groups };
        let mut inputs = vec![
            random(&[2, cin, h, w], seed),
            random(&[cout, in_per_group, kh, kw], seed ^ 1),
        ];
        if bias {
            inputs.push(random(&[cout], seed ^ 2));
        }
        check(
            |v| {
                let mut conv = Conv2d::<f64>::new(cin, cout, (kh, kw), params, bias, &mut seeded(0));
                conv.weight = v[1].clone();
                if bias {
                    conv.bias = Some(v[2].clone());
                }
                conv.forward(&v[0], Mode::Train)
            },
            &inputs,
        );
    }

    #[test]
    fn batch_norm_1d_train(
        n in 2usize..5,
        c in 1usize..4,
        len in proptest::option::of(1usize..4),
        seed: u64,
    ) {
        let shape: Vec<usize> = match len {
            Some(l) => vec![n, c, l],
            None => vec![n, c],
        };
        let inputs = [random(&shape, seed), random(&[c], seed ^ 1), random(&[c], seed ^ 2)];
        check(
            |v| {
                let mut bn = BatchNorm1d::<f64>::new(c);
                bn.weight = Some(v[1].clone());
                bn.bias = Some(v[2].clone());
                bn.forward(&v[0], Mode::Train)
            },
            &inputs,
        );
    }

    #[test]
    fn batch_norm_2d_train(n in 1usize..3, c in 1usize..3, h in 1usize..3, w in 2usize..4, seed: u64) {
        let inputs = [random(&[n, c, h, w], seed), random(&[c], seed ^ 1), random(&[c], seed ^ 2)];
        check(
            |v| {
                let mut bn = BatchNorm2d::<f64>::new(c);
                bn.weight = Some(v[1].clone());
                bn.bias = Some(v[2].clone());
                bn.forward(&v[0], Mode::Train)
            },
            &inputs,
        );
    }

    #[test]
    fn batch_norm_2d_train_without_affine(n in 1usize..3, c in 1usize..3, hw in 2usize..4, seed: u64) {
        let config = BatchNormConfig { affine: false, ..Default::default() };
        check(
            |v| BatchNorm2d::<f64>::with_config(c, config).forward(&v[0], Mode::Train),
            &[random(&[n, c, hw, hw], seed)],
        );
    }

    #[test]
    fn batch_norm_eval(n in 1usize..4, c in 1usize..4, seed: u64) {
        let mean = random(&[c], seed ^ 3);
        let var = Tensor::uniform(&[c], 0.5, 2.0, &mut seeded(seed ^ 4));
        let inputs = [random(&[n, c], seed), random(&[c], seed ^ 1), random(&[c], seed ^ 2)];
        check(
            |v| {
                let mut bn = BatchNorm1d::<f64>::new(c);
                bn.running_mean.as_ref().unwrap().set_value(mean.clone());
                bn.running_var.as_ref().unwrap().set_value(var.clone());
                bn.weight = Some(v[1].clone());
                bn.bias = Some(v[2].clone());
                bn.forward(&v[0], Mode::Eval)
            },
            &inputs,
        );
    }
}

/// The recurrent cells with their four weights swapped for checked inputs:
/// two steps, so the gradient also flows through the state.
/// (batch, features, hidden size, seed).
fn recurrent_case() -> impl Strategy<Value = (usize, usize, usize, u64)> {
    (1usize..3, 1usize..4, 1usize..4, any::<u64>())
}

fn recurrent_inputs(n: usize, f: usize, h: usize, gates: usize, seed: u64) -> Vec<Tensor<f64>> {
    vec![
        random(&[n, f], seed),
        random(&[n, h], seed ^ 1).map(|v| v / 2.0),
        random(&[gates * h, f], seed ^ 2),
        random(&[gates * h, h], seed ^ 3),
        random(&[gates * h], seed ^ 4),
        random(&[gates * h], seed ^ 5),
    ]
}

fn swap_weights(w: &mut synann_nn::layers::RecurrentWeights<f64>, v: &[Var<f64>]) {
    w.weight_ih = v[2].clone();
    w.weight_hh = v[3].clone();
    w.bias_ih = v[4].clone();
    w.bias_hh = v[5].clone();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn rnn_cell_two_steps((n, f, h, seed) in recurrent_case()) {
        check(
            |v| {
                let mut cell = RNNCell::<f64>::new(f, h, &mut seeded(0));
                swap_weights(&mut cell.weights, v);
                cell.step(&v[0], &cell.step(&v[0], &v[1]))
            },
            &recurrent_inputs(n, f, h, 1, seed),
        );
    }

    #[test]
    fn gru_cell_two_steps((n, f, h, seed) in recurrent_case()) {
        check(
            |v| {
                let mut cell = GRUCell::<f64>::new(f, h, &mut seeded(0));
                swap_weights(&mut cell.weights, v);
                cell.step(&v[0], &cell.step(&v[0], &v[1]))
            },
            &recurrent_inputs(n, f, h, 3, seed),
        );
    }
}

/// The GRU's forward against its formula written out by hand for one
/// feature and one state unit (PyTorch's gate order r, z, n).
#[test]
fn gru_cell_matches_pytorchs_formula() {
    let mut cell = GRUCell::<f64>::new(1, 1, &mut seeded(0));
    let t = |v: &[f64]| Var::leaf(Tensor::from_vec(v.to_vec(), &[v.len(), 1]), true);
    let b = |v: &[f64]| Var::leaf(Tensor::from_vec(v.to_vec(), &[v.len()]), true);
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
