//! Dropout and Dropout2d: inverted scaling, reproducibility from the seed,
//! identity in evaluation, whole channels for the 2-d form.

use synann_autograd::Var;
use synann_nn::functional;
use synann_nn::layers::{Dropout, Dropout2d};
use synann_nn::{Mode, Module};
use synann_tensor::random::seeded;
use synann_tensor::Tensor;

fn ones(shape: &[usize]) -> Var<f64> {
    Var::constant(Tensor::ones(shape))
}

#[test]
fn kept_values_are_scaled_by_one_over_keep_probability() {
    let p = 0.3;
    let mut drop = Dropout::new(p, seeded(11));
    let y = drop.forward(&ones(&[100_000]), Mode::Train);
    let y = y.value();
    let scale = 1.0 / (1.0 - p);
    assert!(y
        .data()
        .iter()
        .all(|&v| v == 0.0 || (v - scale).abs() < 1e-12));
    let dropped = y.data().iter().filter(|&&v| v == 0.0).count() as f64 / 100_000.0;
    assert!((dropped - p).abs() < 0.01, "dropped fraction {dropped}");
    // Inverted scaling keeps the mean.
    let mean = y.mean_all().item();
    assert!((mean - 1.0).abs() < 0.02, "mean {mean}");
}

#[test]
fn gradient_uses_the_same_mask() {
    let mut drop = Dropout::new(0.5, seeded(2));
    let x = Var::requiring_grad(Tensor::<f64>::ones(&[64]));
    let y = drop.forward(&x, Mode::Train);
    y.sum_all().backward();
    assert_eq!(x.grad().unwrap().data(), y.value().data());
}

#[test]
fn same_seed_same_masks_and_masks_change_between_steps() {
    let mut a = Dropout::new(0.5, seeded(42));
    let mut b = Dropout::new(0.5, seeded(42));
    let x = ones(&[256]);
    let a1 = a.forward(&x, Mode::Train).value().clone();
    let b1 = b.forward(&x, Mode::Train).value().clone();
    assert_eq!(a1, b1);
    let a2 = a.forward(&x, Mode::Train).value().clone();
    assert_ne!(a1, a2);
    let mut c = Dropout::new(0.5, seeded(43));
    assert_ne!(c.forward(&x, Mode::Train).value().clone(), a1);
}

#[test]
fn identity_in_eval_and_for_p_zero() {
    let x = Var::constant(Tensor::from_vec(vec![1.0, -2.0, 3.0], &[3]));
    let mut drop = Dropout::new(0.9, seeded(0));
    assert!(drop.forward(&x, Mode::Eval).ptr_eq(&x));
    let mut drop2d = Dropout2d::new(0.9, seeded(0));
    let x4 = ones(&[1, 2, 2, 2]);
    assert!(drop2d.forward(&x4, Mode::Eval).ptr_eq(&x4));
    let mut never = Dropout::new(0.0, seeded(0));
    assert_eq!(
        never.forward(&x, Mode::Train).value().data(),
        x.value().data()
    );
}

#[test]
fn p_one_drops_everything() {
    let mut drop = Dropout::new(1.0, seeded(0));
    let y = drop.forward(&ones(&[10]), Mode::Train);
    assert!(y.value().data().iter().all(|&v| v == 0.0));
}

#[test]
fn dropout2d_zeroes_whole_channels() {
    let p = 0.5;
    let (n, c, h, w) = (8, 16, 3, 4);
    let mut drop = Dropout2d::new(p, seeded(5));
    let y = drop.forward(&ones(&[n, c, h, w]), Mode::Train);
    let y = y.value();
    let mut zero_maps = 0;
    for map in y.data().chunks(h * w) {
        let first = map[0];
        assert!(first == 0.0 || first == 2.0);
        assert!(
            map.iter().all(|&v| v == first),
            "a channel map was partly dropped"
        );
        zero_maps += usize::from(first == 0.0);
    }
    // 128 Bernoulli(0.5) draws: far from all-kept or all-dropped.
    assert!(
        (32..=96).contains(&zero_maps),
        "{zero_maps} of 128 maps dropped"
    );
}

#[test]
fn functional_dropout_matches_the_layer_for_the_same_seed() {
    let x = ones(&[50]);
    let mut layer = Dropout::new(0.4, seeded(9));
    let from_layer = layer.forward(&x, Mode::Train).value().clone();
    let from_fn = functional::dropout(&x, 0.4, Mode::Train, &mut seeded(9))
        .value()
        .clone();
    assert_eq!(from_layer, from_fn);
}

#[test]
#[should_panic(expected = "Dropout: dropout probability has to be between 0 and 1, got 1.5")]
fn rejects_bad_probability() {
    Dropout::new(1.5, seeded(0));
}
