//! The broadcasting binary ops, `where_` and `sum_to` against a naive
//! index-based reference: each output multi-index is mapped to each
//! operand by aligning on the right and reading index 0 on size-1 axes.

use proptest::prelude::*;
use synann_tensor::random::seeded;
use synann_tensor::shape::{broadcast_shapes, numel, unravel_index};
use synann_tensor::Tensor;

fn random(shape: &[usize], seed: u64, lo: f64, hi: f64) -> Tensor<f64> {
    Tensor::uniform(shape, lo, hi, &mut seeded(seed))
}

/// Two shapes that broadcast: a common shape, some axes set to 1 in each,
/// some leading axes dropped from one.
fn broadcast_pair() -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    (prop::collection::vec(1usize..4, 0..5), any::<u64>()).prop_map(|(full, bits)| {
        let bit = |k: usize| (bits >> k) & 1 == 1;
        let mut a = full.clone();
        let mut b = full.clone();
        for i in 0..full.len() {
            if bit(i) {
                a[i] = 1;
            }
            if bit(i + 8) {
                b[i] = 1;
            }
        }
        let drop = (bits >> 32) as usize % (full.len() + 1);
        if bit(20) {
            a.drain(..drop);
        } else {
            b.drain(..drop);
        }
        (a, b)
    })
}

/// The element of `t` that broadcasting reads at output index `out_idx`.
fn read(t: &Tensor<f64>, out_idx: &[usize]) -> f64 {
    let skip = out_idx.len() - t.rank();
    let idx: Vec<usize> = t
        .shape()
        .iter()
        .zip(&out_idx[skip..])
        .map(|(&s, &i)| if s == 1 { 0 } else { i })
        .collect();
    t.get(&idx)
}

fn naive(a: &Tensor<f64>, b: &Tensor<f64>, f: impl Fn(f64, f64) -> f64) -> Tensor<f64> {
    let shape = broadcast_shapes(a.shape(), b.shape()).unwrap();
    let data = (0..numel(&shape))
        .map(|k| {
            let idx = unravel_index(k, &shape);
            f(read(a, &idx), read(b, &idx))
        })
        .collect();
    Tensor::from_vec(data, &shape)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn binary_ops((sa, sb) in broadcast_pair(), seed: u64) {
        let a = random(&sa, seed, 0.5, 2.0);
        let b = random(&sb, seed ^ 1, -2.0, 2.0);
        prop_assert_eq!(a.add(&b), naive(&a, &b, |x, y| x + y));
        prop_assert_eq!(a.sub(&b), naive(&a, &b, |x, y| x - y));
        prop_assert_eq!(a.mul(&b), naive(&a, &b, |x, y| x * y));
        prop_assert_eq!(a.div(&b), naive(&a, &b, |x, y| x / y));
        prop_assert_eq!(a.pow(&b), naive(&a, &b, f64::powf));
        prop_assert_eq!(a.maximum(&b), naive(&a, &b, f64::max));
        prop_assert_eq!(a.minimum(&b), naive(&a, &b, f64::min));
        prop_assert_eq!(a.gt(&b), naive(&a, &b, |x, y| f64::from(u8::from(x > y))));
    }

    #[test]
    fn where_selects_per_element((sa, sb) in broadcast_pair(), seed: u64) {
        let a = random(&sa, seed, -2.0, 2.0);
        let b = random(&sb, seed ^ 1, -2.0, 2.0);
        // A mask with the first operand's shape, broadcast too.
        let cond = Tensor::<f64>::bernoulli(&sa, 0.5, &mut seeded(seed ^ 2));
        let got = Tensor::where_(&cond, &a, &b);
        let shape = broadcast_shapes(&sa, &sb).unwrap();
        for k in 0..numel(&shape) {
            let idx = unravel_index(k, &shape);
            let want = if read(&cond, &idx) != 0.0 { read(&a, &idx) } else { read(&b, &idx) };
            prop_assert_eq!(got.data()[k], want);
        }
    }

    #[test]
    fn sum_to_adds_every_broadcast_copy((small, other) in broadcast_pair(), seed: u64) {
        let big_shape = broadcast_shapes(&small, &other).unwrap();
        let big = random(&big_shape, seed, -2.0, 2.0);
        let got = big.sum_to(&small);
        // Each element of the big tensor lands on the small element it
        // would have been broadcast from.
        let mut want = Tensor::zeros(&small);
        for k in 0..big.numel() {
            let idx = unravel_index(k, &big_shape);
            let skip = idx.len() - small.len();
            let to: Vec<usize> =
                small.iter().zip(&idx[skip..]).map(|(&s, &i)| if s == 1 { 0 } else { i }).collect();
            let v = want.get(&to) + big.data()[k];
            want.set(&to, v);
        }
        prop_assert!(got.allclose(&want, 1e-12, 1e-12));
        // And broadcast_to copies it back out.
        let back = got.broadcast_to(&big_shape);
        prop_assert_eq!(back, naive(&got, &Tensor::zeros(&big_shape), |x, _| x));
    }
}

#[test]
#[should_panic(expected = "add: shapes [2, 3] and [4] do not broadcast")]
fn incompatible_shapes_panic() {
    Tensor::<f32>::zeros(&[2, 3]).add(&Tensor::zeros(&[4]));
}

/// Runs taken in any two ranges are the runs of the whole walk.
#[test]
fn runs_from_any_start_are_the_runs_of_the_whole_walk() {
    use synann_tensor::shape::{broadcast_runs, for_each_broadcast_run, for_each_broadcast_run_in};
    let cases: [(&[usize], &[usize], &[usize]); 5] = [
        (&[2, 3, 4], &[3, 1], &[2, 3, 4]),
        (&[4, 1, 3], &[5, 1], &[4, 5, 3]),
        (&[2, 5, 2], &[2], &[2, 5, 2]),
        (&[1, 1], &[1], &[1, 1]),
        (&[3, 1, 4, 1], &[1, 2, 1, 5], &[3, 2, 4, 5]),
    ];
    for (a, b, out) in cases {
        let mut all = Vec::new();
        for_each_broadcast_run(a, b, out, |r| all.push(r));
        let (count, len) = broadcast_runs(a, b, out);
        assert_eq!(all.len(), count, "{a:?} {b:?}");
        assert!(all.iter().all(|r| r.len == len));
        for split in 0..=count {
            let mut parts = Vec::new();
            for_each_broadcast_run_in(a, b, out, 0..split, |r| parts.push(r));
            for_each_broadcast_run_in(a, b, out, split..count, |r| parts.push(r));
            assert_eq!(parts, all, "{a:?} {b:?} split at {split}");
        }
    }
}
