//! The initialisers' distributions, checked statistically on large
//! tensors with generous tolerances, and the gain and fan formulas exactly.

use synann_autograd::Var;
use synann_nn::init::*;
use synann_tensor::random::seeded;
use synann_tensor::Tensor;

fn var(shape: &[usize]) -> Var<f64> {
    Var::requiring_grad(Tensor::zeros(shape))
}

/// (min, max, mean, std) of the values.
fn stats(v: &Var<f64>) -> (f64, f64, f64, f64) {
    let t = v.value();
    let d = t.data();
    let n = d.len() as f64;
    let mean = d.iter().sum::<f64>() / n;
    let std = (d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
    let min = d.iter().cloned().fold(f64::INFINITY, f64::min);
    let max = d.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    (min, max, mean, std)
}

/// Values in [−bound, bound], reaching close to both ends, with the
/// uniform's standard deviation bound/√3.
fn assert_uniform(v: &Var<f64>, bound: f64) {
    let (min, max, mean, std) = stats(v);
    assert!(
        min >= -bound && max <= bound,
        "[{min}, {max}] exceeds ±{bound}"
    );
    assert!(
        min < -0.98 * bound && max > 0.98 * bound,
        "[{min}, {max}] for ±{bound}"
    );
    assert!(mean.abs() < 0.02 * bound, "mean {mean}");
    let expected = bound / 3f64.sqrt();
    assert!(
        (std / expected - 1.0).abs() < 0.03,
        "std {std}, expected {expected}"
    );
}

fn assert_normal(v: &Var<f64>, mean: f64, std: f64) {
    let (_, _, m, s) = stats(v);
    assert!(
        (m - mean).abs() < 0.02 * std.max(1e-3),
        "mean {m}, expected {mean}"
    );
    assert!((s / std - 1.0).abs() < 0.03, "std {s}, expected {std}");
}

#[test]
fn gains_match_pytorch() {
    assert_eq!(calculate_gain(Nonlinearity::Linear, None), 1.0);
    assert_eq!(calculate_gain(Nonlinearity::Conv2d, None), 1.0);
    assert_eq!(calculate_gain(Nonlinearity::Sigmoid, None), 1.0);
    assert_eq!(calculate_gain(Nonlinearity::Tanh, None), 5.0 / 3.0);
    assert_eq!(calculate_gain(Nonlinearity::Relu, None), 2f64.sqrt());
    assert_eq!(calculate_gain(Nonlinearity::Selu, None), 0.75);
    let leaky = calculate_gain(Nonlinearity::LeakyRelu, None);
    assert!((leaky - (2.0 / (1.0 + 0.01f64.powi(2))).sqrt()).abs() < 1e-15);
    let sqrt5 = calculate_gain(Nonlinearity::LeakyRelu, Some(5f64.sqrt()));
    assert!((sqrt5 - (1.0f64 / 3.0).sqrt()).abs() < 1e-15);
}

#[test]
fn fans_of_linear_and_conv_weights() {
    assert_eq!(calculate_fan_in_and_fan_out(&[20, 30]), (30, 20));
    assert_eq!(calculate_fan_in_and_fan_out(&[16, 8, 3, 3]), (72, 144));
}

#[test]
#[should_panic(expected = "fewer than 2 dimensions")]
fn fans_need_two_dimensions() {
    calculate_fan_in_and_fan_out(&[5]);
}

#[test]
fn uniform_and_normal_and_constants() {
    let v = var(&[200, 500]);
    uniform_(&v, -0.5, 1.5, &mut seeded(1));
    let (min, max, mean, _) = stats(&v);
    assert!(min >= -0.5 && max <= 1.5 && (mean - 0.5).abs() < 0.01);
    normal_(&v, 2.0, 0.5, &mut seeded(2));
    assert_normal(&v, 2.0, 0.5);
    constant_(&v, 0.25);
    assert!(v.value().data().iter().all(|&x| x == 0.25));
    zeros_(&v);
    assert!(v.value().data().iter().all(|&x| x == 0.0));
    ones_(&v);
    assert!(v.value().data().iter().all(|&x| x == 1.0));
}

#[test]
fn xavier_bounds_and_std() {
    let (fan_out, fan_in) = (300, 200);
    let v = var(&[fan_out, fan_in]);
    let gain = 2.0;
    xavier_uniform_(&v, gain, &mut seeded(3));
    assert_uniform(&v, gain * (6.0 / (fan_in + fan_out) as f64).sqrt());
    xavier_normal_(&v, gain, &mut seeded(4));
    assert_normal(&v, 0.0, gain * (2.0 / (fan_in + fan_out) as f64).sqrt());
}

#[test]
fn kaiming_bounds_and_std_for_both_fan_modes() {
    // Conv-shaped: fan_in = 8·3·3 = 72, fan_out = 64·3·3 = 576.
    let v = var(&[64, 8, 3, 3]);
    let relu = 2f64.sqrt();
    kaiming_uniform_(&v, 0.0, FanMode::FanIn, Nonlinearity::Relu, &mut seeded(5));
    assert_uniform(&v, relu * (3.0 / 72.0f64).sqrt());
    kaiming_uniform_(&v, 0.0, FanMode::FanOut, Nonlinearity::Relu, &mut seeded(6));
    assert_uniform(&v, relu * (3.0 / 576.0f64).sqrt());
    kaiming_normal_(&v, 0.0, FanMode::FanIn, Nonlinearity::Relu, &mut seeded(7));
    assert_normal(&v, 0.0, relu / 72f64.sqrt());
    let a: f64 = 0.2;
    let leaky = (2.0 / (1.0 + a * a)).sqrt();
    kaiming_normal_(
        &v,
        a,
        FanMode::FanOut,
        Nonlinearity::LeakyRelu,
        &mut seeded(8),
    );
    assert_normal(&v, 0.0, leaky / 576f64.sqrt());
}

#[test]
fn pytorch_default_kaiming_gives_one_over_sqrt_fan_in() {
    let v = var(&[400, 250]);
    let a = 5f64.sqrt();
    kaiming_uniform_(
        &v,
        a,
        FanMode::FanIn,
        Nonlinearity::LeakyRelu,
        &mut seeded(9),
    );
    assert_uniform(&v, 1.0 / 250f64.sqrt());
}

#[test]
fn same_seed_same_values() {
    let (a, b) = (var(&[10, 10]), var(&[10, 10]));
    xavier_uniform_(&a, 1.0, &mut seeded(77));
    xavier_uniform_(&b, 1.0, &mut seeded(77));
    assert_eq!(*a.value(), *b.value());
}
