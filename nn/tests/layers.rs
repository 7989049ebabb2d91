//! Layer construction, PyTorch names, default initialisation, batch-norm
//! state handling, Sequential and the panics that name the layer.

use synann_autograd::Var;
use synann_nn::layers::*;
use synann_nn::loss::{cross_entropy, Reduction};
use synann_nn::{Mode, Module};
use synann_tensor::conv::Conv2dParams;
use synann_tensor::random::seeded;
use synann_tensor::Tensor;

fn names(named: Vec<(String, Var<f32>)>) -> Vec<String> {
    named.into_iter().map(|(n, _)| n).collect()
}

fn max_abs(v: &Var<f32>) -> f32 {
    v.value().data().iter().fold(0.0, |m, x| m.max(x.abs()))
}

#[test]
fn linear_layout_and_default_init() {
    let fc = Linear::<f32>::new(400, 30, Bias::Yes, &mut seeded(1));
    assert_eq!(fc.weight.shape(), vec![30, 400]);
    assert_eq!((fc.in_features(), fc.out_features()), (400, 30));
    assert_eq!(names(fc.named_parameters()), ["weight", "bias"]);
    let bound = 1.0 / 20.0; // 1/√400
    assert!(max_abs(&fc.weight) <= bound && max_abs(&fc.weight) > 0.9 * bound);
    let b = fc.bias.as_ref().unwrap();
    assert!(max_abs(b) <= bound && max_abs(b) > 0.0);
    let no_bias = Linear::<f32>::new(3, 2, Bias::No, &mut seeded(1));
    assert_eq!(names(no_bias.named_parameters()), ["weight"]);
    assert_eq!(fc.num_parameters(), 400 * 30 + 30);
}

#[test]
fn same_seed_same_model() {
    let a = Linear::<f64>::new(5, 4, Bias::Yes, &mut seeded(9));
    let b = Linear::<f64>::new(5, 4, Bias::Yes, &mut seeded(9));
    assert_eq!(*a.weight.value(), *b.weight.value());
    assert_eq!(*a.bias.unwrap().value(), *b.bias.unwrap().value());
}

#[test]
fn conv2d_layout_and_default_init() {
    let params = Conv2dParams {
        groups: 2,
        ..Default::default()
    };
    let conv = Conv2d::<f32>::new(4, 6, (5, 3), params, Bias::Yes, &mut seeded(2));
    assert_eq!(conv.weight.shape(), vec![6, 2, 5, 3]);
    assert_eq!(names(conv.named_parameters()), ["weight", "bias"]);
    let bound = 1.0 / 30f32.sqrt(); // fan_in = 4/2·5·3
    assert!(max_abs(&conv.weight) <= bound && max_abs(&conv.weight) > 0.9 * bound);
    assert!(max_abs(conv.bias.as_ref().unwrap()) <= bound);
}

#[test]
#[should_panic(
    expected = "Conv2d: in_channels 3 and out_channels 4 must both be divisible by groups 2"
)]
fn conv2d_rejects_bad_groups() {
    let params = Conv2dParams {
        groups: 2,
        ..Default::default()
    };
    Conv2d::<f32>::new(3, 4, (3, 3), params, Bias::Yes, &mut seeded(0));
}

#[test]
fn batch_norm_names_and_initial_state() {
    let bn = BatchNorm2d::<f32>::new(3);
    assert_eq!(names(bn.named_parameters()), ["weight", "bias"]);
    assert_eq!(
        names(bn.named_buffers()),
        ["running_mean", "running_var", "num_batches_tracked"]
    );
    assert_eq!(bn.weight.as_ref().unwrap().value().data(), &[1.0; 3]);
    assert_eq!(bn.bias.as_ref().unwrap().value().data(), &[0.0; 3]);
    assert_eq!(bn.running_var.as_ref().unwrap().value().data(), &[1.0; 3]);
    let count = bn.num_batches_tracked.as_ref().unwrap().value().clone();
    assert_eq!((count.shape(), count.item()), (&[][..], 0.0));
    // Buffers never require grad; parameters do.
    assert!(bn.named_buffers().iter().all(|(_, v)| !v.requires_grad()));
    assert!(bn.parameters().iter().all(|v| v.requires_grad()));
}

#[test]
fn batch_norm_without_affine_or_running_stats() {
    let config = BatchNormConfig {
        affine: false,
        track_running_stats: false,
        ..Default::default()
    };
    let mut bn = BatchNorm1d::<f64>::with_config(2, config);
    assert!(bn.named_parameters().is_empty() && bn.named_buffers().is_empty());
    let x = Var::constant(Tensor::from_vec(vec![1.0, 10.0, 3.0, 30.0], &[2, 2]));
    // Batch statistics in both modes: each column becomes ∓1 (ε aside).
    for mode in [Mode::Train, Mode::Eval] {
        let y = bn.forward(&x, mode);
        let expected = [-1.0, -1.0, 1.0, 1.0];
        for (a, b) in y.value().data().iter().zip(expected) {
            assert!((a - b).abs() < 1e-4, "{a} vs {b}");
        }
    }
}

/// Batch norm in training of `x` `[N, C, …]` by the formulas, element by
/// element in memory order: the statistics summed channel by channel as
/// the values come, then y = ((x − mean)·(1/√(var + ε)))·γ + β.
fn batch_norm_by_the_formulas(x: &Tensor<f32>, gamma: &[f32], beta: &[f32], eps: f32) -> Vec<f32> {
    let shape = x.shape();
    let (n, c) = (shape[0], shape[1]);
    let s: usize = shape[2..].iter().product();
    let d = x.data();
    let channel = |i: usize| (i / s) % c;
    let count = (n * s) as f32;
    let mut mean = vec![0.0f32; c];
    for (i, &v) in d.iter().enumerate() {
        mean[channel(i)] += v;
    }
    mean.iter_mut().for_each(|m| *m /= count);
    let mut var = vec![0.0f32; c];
    for (i, &v) in d.iter().enumerate() {
        let dev = v - mean[channel(i)];
        var[channel(i)] += dev * dev;
    }
    var.iter_mut().for_each(|v| *v /= count);
    let inv_std: Vec<f32> = var.iter().map(|&v| 1.0 / (v + eps).sqrt()).collect();
    d.iter()
        .enumerate()
        .map(|(i, &v)| {
            let ch = channel(i);
            (v - mean[ch]) * inv_std[ch] * gamma[ch] + beta[ch]
        })
        .collect()
}

#[test]
fn batch_norm_in_training_is_its_formulas_to_the_bit() {
    // [N, C] (one value per channel and sample, the rows path) and
    // [N, C, H, W]: the same bits as the formulas summed in memory order.
    let mut rng = seeded(11);
    for shape in [
        vec![7usize, 5],
        vec![100, 50],
        vec![3, 4, 5, 6],
        vec![2, 3, 1, 1],
    ] {
        let c = shape[1];
        let x = Tensor::<f32>::normal(&shape, 0.5, 2.0, &mut rng);
        let gamma = Tensor::<f32>::uniform(&[c], 0.5, 1.5, &mut rng);
        let beta = Tensor::<f32>::uniform(&[c], -1.0, 1.0, &mut rng);
        let (gv, bv) = (Var::constant(gamma.clone()), Var::constant(beta.clone()));
        let y = synann_nn::functional::batch_norm(
            &Var::constant(x.clone()),
            None,
            Some(&gv),
            Some(&bv),
            true,
            0.1,
            1e-5,
        );
        let want = batch_norm_by_the_formulas(&x, gamma.data(), beta.data(), 1e-5);
        let bits = |v: &[f32]| v.iter().map(|a| a.to_bits()).collect::<Vec<u32>>();
        assert_eq!(bits(y.value().data()), bits(&want), "shape {shape:?}");
    }
}

#[test]
fn batch_norm_eval_uses_running_stats_and_does_not_update_them() {
    let mut bn = BatchNorm1d::<f64>::new(1);
    bn.running_mean
        .as_ref()
        .unwrap()
        .set_value(Tensor::from_vec(vec![2.0], &[1]));
    bn.running_var
        .as_ref()
        .unwrap()
        .set_value(Tensor::from_vec(vec![4.0 - 1e-5], &[1]));
    let x = Var::constant(Tensor::from_vec(vec![4.0, 6.0], &[2, 1]));
    let y = bn.forward(&x, Mode::Eval);
    assert!((y.value().data()[0] - 1.0).abs() < 1e-12);
    assert!((y.value().data()[1] - 2.0).abs() < 1e-12);
    assert_eq!(bn.running_mean.as_ref().unwrap().value().item(), 2.0);
    assert_eq!(bn.num_batches_tracked.as_ref().unwrap().value().item(), 0.0);
}

#[test]
#[should_panic(expected = "BatchNorm2d: expected an input of rank [4], got shape [2, 3]")]
fn batch_norm_2d_rejects_rank_2() {
    BatchNorm2d::<f32>::new(3).forward(&Var::constant(Tensor::zeros(&[2, 3])), Mode::Train);
}

#[test]
#[should_panic(expected = "BatchNorm1d: input of shape [4, 5] has 5 channels, the layer has 3")]
fn batch_norm_rejects_wrong_channel_count() {
    BatchNorm1d::<f32>::new(3).forward(&Var::constant(Tensor::zeros(&[4, 5])), Mode::Train);
}

#[test]
#[should_panic(expected = "expected more than 1 value per channel when training")]
fn batch_norm_rejects_single_value_per_channel_in_training() {
    BatchNorm1d::<f32>::new(3).forward(&Var::constant(Tensor::zeros(&[1, 3])), Mode::Train);
}

#[test]
fn sequential_names_children_by_position_and_chains_forward() {
    let mut rng = seeded(3);
    let mut net = Sequential::<f32>::new();
    net.push(Conv2d::new(
        1,
        2,
        (3, 3),
        Conv2dParams::default(),
        Bias::Yes,
        &mut rng,
    ))
    .push(BatchNorm2d::new(2))
    .push(ReLU)
    .push(MaxPool2d::new((2, 2)))
    .push(Flatten::new())
    .push(Linear::new(8, 3, Bias::Yes, &mut rng));
    assert_eq!(net.len(), 6);
    assert_eq!(
        names(net.named_parameters()),
        ["0.weight", "0.bias", "1.weight", "1.bias", "5.weight", "5.bias"]
    );
    assert_eq!(
        names(net.named_buffers()),
        ["1.running_mean", "1.running_var", "1.num_batches_tracked"]
    );
    let x = Var::constant(Tensor::uniform(&[2, 1, 6, 6], -1.0, 1.0, &mut rng));
    let y = net.forward(&x, Mode::Train);
    assert_eq!(y.shape(), vec![2, 3]);
    cross_entropy(&y, &[0, 2], Reduction::Mean, 0.0).backward();
    assert!(net.parameters().iter().all(|p| p.grad().is_some()));
}

#[test]
fn frozen_parameters_get_no_gradient() {
    let mut fc = Linear::<f64>::new(3, 2, Bias::Yes, &mut seeded(0));
    fc.weight.set_requires_grad(false);
    let x = Var::constant(Tensor::ones(&[1, 3]));
    fc.forward(&x, Mode::Train).sum_all().backward();
    assert!(fc.weight.grad().is_none());
    assert_eq!(
        fc.bias.as_ref().unwrap().grad().unwrap().data(),
        &[1.0, 1.0]
    );
}

#[test]
fn flatten_ranges() {
    let x = Var::constant(Tensor::<f32>::zeros(&[2, 3, 4, 5]));
    assert_eq!(Flatten::new().forward(&x, Mode::Eval).shape(), vec![2, 60]);
    let middle = Flatten::with_dims(1, 2).forward(&x, Mode::Eval);
    assert_eq!(middle.shape(), vec![2, 12, 5]);
    let all = Flatten::with_dims(0, -1).forward(&x, Mode::Eval);
    assert_eq!(all.shape(), vec![120]);
}

#[test]
fn global_pools_give_one_value_per_channel() {
    let x = Var::constant(Tensor::from_vec(vec![1.0f64, 5.0, 3.0, 2.0], &[1, 1, 2, 2]));
    let max = GlobalMaxPool2d.forward(&x, Mode::Eval);
    assert_eq!((max.shape(), max.value().item()), (vec![1, 1, 1, 1], 5.0));
    let avg = AdaptiveAvgPool2d::new((1, 1)).forward(&x, Mode::Eval);
    assert_eq!(avg.value().item(), 2.75);
}

#[test]
#[should_panic(expected = "AdaptiveAvgPool2d: only output size (1, 1) is implemented, got (2, 2)")]
fn adaptive_avg_pool_only_to_one() {
    AdaptiveAvgPool2d::new((2, 2));
}

#[test]
fn linear_accepts_extra_leading_axes_and_a_single_vector() {
    let mut fc = Linear::<f64>::new(3, 2, Bias::Yes, &mut seeded(4));
    let x = Tensor::uniform(&[2, 4, 3], -1.0, 1.0, &mut seeded(5));
    let y = fc.forward(&Var::constant(x.clone()), Mode::Eval);
    assert_eq!(y.shape(), vec![2, 4, 2]);
    let flat = fc.forward(&Var::constant(x.reshape(&[8, 3])), Mode::Eval);
    assert_eq!(y.value().data(), flat.value().data());
    let row = Var::constant(x.reshape(&[8, 3]).narrow(0, 0, 1).reshape(&[3]));
    let single = fc.forward(&row, Mode::Eval);
    assert_eq!(single.shape(), vec![2]);
    assert_eq!(single.value().data(), &flat.value().data()[..2]);
}

#[test]
#[should_panic(expected = "(in Linear(3, 2))")]
fn anomaly_reports_name_the_layer() {
    let mut fc = Linear::<f64>::new(3, 2, Bias::Yes, &mut seeded(0));
    fc.weight.value_mut().data_mut()[0] = f64::NAN;
    synann_autograd::detect_anomaly(|| {
        fc.forward(&Var::constant(Tensor::ones(&[1, 3])), Mode::Eval);
    });
}
