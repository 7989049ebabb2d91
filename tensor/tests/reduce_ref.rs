//! Reductions (sum, mean, max, min, var, argmax, argmin) and the softmax
//! family against naive loops over every element.

use proptest::prelude::*;
use synann_tensor::random::seeded;
use synann_tensor::reduce::resolve_axes;
use synann_tensor::shape::unravel_index;
use synann_tensor::{KeepDim, Tensor, Unbiased};

fn random(shape: &[usize], seed: u64) -> Tensor<f64> {
    Tensor::uniform(shape, -3.0, 3.0, &mut seeded(seed))
}

/// A non-empty subset of the axes of a rank-`rank` tensor, from `bits`.
fn axes_from_bits(rank: usize, bits: u64) -> Vec<isize> {
    let mut axes: Vec<isize> = (0..rank as isize)
        .filter(|&i| (bits >> i) & 1 == 1)
        .collect();
    if axes.is_empty() {
        axes.push((bits >> 32) as isize % rank as isize);
    }
    axes
}

/// Groups the elements of `x` by their output position (the reduced axes
/// set to 0) and folds each group with `f`; returns the keepdim result.
fn naive(x: &Tensor<f64>, axes: &[usize], f: impl Fn(&[f64]) -> f64) -> Tensor<f64> {
    let kept: Vec<usize> = x
        .shape()
        .iter()
        .enumerate()
        .map(|(i, &s)| if axes.contains(&i) { 1 } else { s })
        .collect();
    let mut groups: Vec<Vec<f64>> = vec![vec![]; kept.iter().product()];
    for k in 0..x.numel() {
        let idx = unravel_index(k, x.shape());
        let slot = idx
            .iter()
            .zip(&kept)
            .fold(0, |acc, (&i, &s)| acc * s + if s == 1 { 0 } else { i });
        groups[slot].push(x.data()[k]);
    }
    Tensor::from_vec(groups.iter().map(|g| f(g)).collect(), &kept)
}

fn shape() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..5, 1..5)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn sum_mean_max_min_var(
        s in shape(),
        bits: u64,
        keepdim in prop_oneof![Just(KeepDim::No), Just(KeepDim::Yes)],
        seed: u64,
    ) {
        let x = random(&s, seed);
        let axes = axes_from_bits(s.len(), bits);
        let resolved = resolve_axes("test", &axes, s.len());
        let shape_of = |t: Tensor<f64>| if keepdim == KeepDim::Yes { t } else {
            let squeezed: Vec<usize> = t.shape().iter().enumerate()
                .filter(|(i, _)| !resolved.contains(i)).map(|(_, &d)| d).collect();
            t.reshape(&squeezed)
        };
        let sum = |g: &[f64]| g.iter().sum::<f64>();
        let mean = |g: &[f64]| sum(g) / g.len() as f64;
        let var = |g: &[f64], d: f64| g.iter().map(|v| (v - mean(g)).powi(2)).sum::<f64>() / d;
        prop_assert!(x.sum(&axes, keepdim).allclose(&shape_of(naive(&x, &resolved, sum)), 1e-12, 1e-12));
        prop_assert!(x.mean(&axes, keepdim).allclose(&shape_of(naive(&x, &resolved, mean)), 1e-12, 1e-12));
        let max = naive(&x, &resolved, |g| g.iter().copied().fold(f64::NEG_INFINITY, f64::max));
        let min = naive(&x, &resolved, |g| g.iter().copied().fold(f64::INFINITY, f64::min));
        prop_assert_eq!(x.max(&axes, keepdim), shape_of(max));
        prop_assert_eq!(x.min(&axes, keepdim), shape_of(min));
        let biased = naive(&x, &resolved, |g| var(g, g.len() as f64));
        prop_assert!(x.variance(&axes, Unbiased::No, keepdim).allclose(&shape_of(biased), 1e-10, 1e-12));
        let unbiased = naive(&x, &resolved, |g| var(g, (g.len().max(2) - 1) as f64));
        prop_assert!(x.variance(&axes, Unbiased::Yes, keepdim).allclose(&shape_of(unbiased), 1e-10, 1e-12));
    }

    #[test]
    fn a_fold_over_the_last_axis_is_the_fold_of_each_row_in_order(
        rows in 0usize..6,
        len in 0usize..40,
        seed: u64,
    ) {
        // The last axis has its own loop; the same sums, bit for bit, as
        // adding each row from the left (and an empty axis gives 0).
        let x = random(&[rows, len], seed).map(|v| v * 1e3);
        let sums = x.sum(&[-1], KeepDim::No);
        for (r, &got) in sums.data().iter().enumerate() {
            let row = &x.data()[r * len..(r + 1) * len];
            prop_assert_eq!(got.to_bits(), row.iter().fold(0.0, |a, &v| a + v).to_bits());
        }
        prop_assert_eq!(sums.shape(), &[rows]);
    }

    #[test]
    fn sum_all_and_mean_all(s in prop::collection::vec(1usize..5, 0..4), seed: u64) {
        let x = random(&s, seed);
        let total: f64 = x.data().iter().sum();
        prop_assert!((x.sum_all().item() - total).abs() < 1e-12);
        prop_assert!((x.mean_all().item() - total / x.numel() as f64).abs() < 1e-12);
    }

    #[test]
    fn argmax_argmin(s in shape(), axis in 0usize..4, seed: u64) {
        let x = random(&s, seed);
        let axis = axis % s.len();
        // Position along `axis` of the first extreme value of each lane.
        let arg = |pick_max: bool| -> Vec<usize> {
            let lane: Vec<usize> = s.iter().enumerate().map(|(i, &d)| if i == axis { 1 } else { d }).collect();
            (0..lane.iter().product::<usize>()).map(|k| {
                let mut idx = unravel_index(k, &lane);
                let mut best = 0;
                for p in 0..s[axis] {
                    idx[axis] = p;
                    let v = x.get(&idx);
                    idx[axis] = best;
                    let b = x.get(&idx);
                    if (pick_max && v > b) || (!pick_max && v < b) {
                        best = p;
                    }
                }
                best
            }).collect()
        };
        prop_assert_eq!(x.argmax(axis as isize), arg(true));
        prop_assert_eq!(x.argmin(axis as isize), arg(false));
    }

    #[test]
    fn softmax_family(s in shape(), axis in 0usize..4, seed: u64) {
        let x = random(&s, seed);
        let axis = axis % s.len();
        let lse = naive(&x, &[axis], |g| g.iter().map(|v| v.exp()).sum::<f64>().ln());
        prop_assert!(x.log_sum_exp(axis as isize, KeepDim::Yes).allclose(&lse, 1e-12, 1e-12));
        let want_log = x.sub(&lse);
        prop_assert!(x.log_softmax(axis as isize).allclose(&want_log, 1e-12, 1e-12));
        prop_assert!(x.softmax(axis as isize).allclose(&want_log.exp(), 1e-12, 1e-12));
    }
}
