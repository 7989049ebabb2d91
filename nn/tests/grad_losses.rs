//! f64 gradient checks of the fused losses, for every reduction, through
//! the public property-test API of `synann-testing`.

use proptest::prelude::*;
use synann_autograd::Var;
use synann_nn::loss::{
    binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, mse_loss, nll_loss,
    Reduction,
};
use synann_tensor::Tensor;
use synann_testing::prop_gradcheck;
use synann_testing::strategies::uniform;

fn reduction() -> impl Strategy<Value = Reduction> {
    prop_oneof![
        Just(Reduction::Mean),
        Just(Reduction::Sum),
        Just(Reduction::None)
    ]
}

/// `n` class indices below `classes`, from a seed.
fn targets(n: usize, classes: usize, seed: u64) -> Vec<usize> {
    (0..n)
        .map(|i| (seed.wrapping_mul(31).wrapping_add(i as u64 * 7) % classes as u64) as usize)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn cross_entropy_with_smoothing(
        n in 1usize..5,
        classes in 1usize..6,
        smoothing in prop_oneof![Just(0.0), 0.0f64..0.5],
        r in reduction(),
        seed: u64,
    ) {
        let t = targets(n, classes, seed);
        prop_gradcheck(
            |v| cross_entropy(&v[0], &t, r, smoothing),
            &[uniform(&[n, classes], seed, -3.0, 3.0)],
        )?;
    }

    #[test]
    fn nll(n in 1usize..5, classes in 1usize..6, r in reduction(), seed: u64) {
        let t = targets(n, classes, seed);
        prop_gradcheck(|v| nll_loss(&v[0], &t, r), &[uniform(&[n, classes], seed, -3.0, 0.0)])?;
    }

    #[test]
    fn nll_after_log_softmax(n in 1usize..4, classes in 2usize..5, seed: u64) {
        let t = targets(n, classes, seed);
        prop_gradcheck(
            |v| nll_loss(&v[0].log_softmax(1), &t, Reduction::Mean),
            &[uniform(&[n, classes], seed, -3.0, 3.0)],
        )?;
    }

    #[test]
    fn mse(rows in 1usize..4, cols in 1usize..4, r in reduction(), seed: u64) {
        let inputs = [
            uniform(&[rows, cols], seed, -2.0, 2.0),
            uniform(&[rows, cols], seed ^ 1, -2.0, 2.0),
        ];
        prop_gradcheck(|v| mse_loss(&v[0], &v[1], r), &inputs)?;
    }

    #[test]
    fn bce(len in 1usize..6, r in reduction(), seed: u64) {
        let inputs = [uniform(&[len], seed, 0.05, 0.95), uniform(&[len], seed ^ 1, 0.0, 1.0)];
        prop_gradcheck(|v| binary_cross_entropy(&v[0], &v[1], r), &inputs)?;
    }

    #[test]
    fn bce_with_logits(rows in 1usize..3, cols in 1usize..4, r in reduction(), seed: u64) {
        let inputs = [
            uniform(&[rows, cols], seed, -4.0, 4.0),
            uniform(&[rows, cols], seed ^ 1, 0.0, 1.0),
        ];
        prop_gradcheck(|v| binary_cross_entropy_with_logits(&v[0], &v[1], r), &inputs)?;
    }
}

#[test]
#[should_panic(expected = "cross_entropy: target 5 (sample 1) is out of range for 5 classes")]
fn cross_entropy_rejects_out_of_range_target() {
    let logits = Var::constant(Tensor::<f32>::zeros(&[2, 5]));
    cross_entropy(&logits, &[0, 5], Reduction::Mean, 0.0);
}

#[test]
#[should_panic(expected = "nll_loss: target 3 (sample 0) is out of range for 3 classes")]
fn nll_rejects_out_of_range_target() {
    let lp = Var::constant(Tensor::<f32>::zeros(&[1, 3]));
    nll_loss(&lp, &[3], Reduction::Sum);
}

#[test]
#[should_panic(expected = "mse_loss: input of shape [2] and target of shape [3] differ")]
fn mse_rejects_shape_mismatch() {
    mse_loss(
        &Var::constant(Tensor::<f64>::zeros(&[2])),
        &Var::constant(Tensor::<f64>::zeros(&[3])),
        Reduction::Mean,
    );
}

#[test]
fn bce_is_finite_at_zero_and_one() {
    let p = Var::requiring_grad(Tensor::from_vec(vec![0.0f64, 1.0], &[2]));
    let y = Var::constant(Tensor::from_vec(vec![1.0, 1.0], &[2]));
    let loss = binary_cross_entropy(&p, &y, Reduction::Sum);
    assert_eq!(loss.value().item(), 100.0);
    loss.backward();
    assert!(p.grad().unwrap().all_finite());
}

#[test]
fn cross_entropy_gradient_is_softmax_minus_smoothed_one_hot() {
    let z = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 0.5, -1.0, 0.0], &[2, 3]);
    let logits = Var::requiring_grad(z.clone());
    let eps = 0.3;
    cross_entropy(&logits, &[2, 0], Reduction::Mean, eps).backward();
    let p = z.softmax(1);
    let grad = logits.grad().unwrap().clone();
    for (n, t) in [2usize, 0].into_iter().enumerate() {
        for c in 0..3 {
            let q = if c == t { 1.0 - eps } else { 0.0 } + eps / 3.0;
            let expected = (p.get(&[n, c]) - q) / 2.0;
            assert!((grad.get(&[n, c]) - expected).abs() < 1e-12);
        }
    }
}
