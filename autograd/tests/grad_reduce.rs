//! Gradient checks of the reductions: sum, mean (over axis subsets and
//! everything), max and min (on distinct values: no ties), and variance.

use proptest::prelude::*;
use synann_testing::strategies::{axes_from_bits, distinct, keepdim, shape, unbiased, uniform};
use synann_testing::{prop_gradcheck, CASES};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn sum_and_mean(s in shape(1, 4, 3), bits: u64, keepdim in keepdim(), seed: u64) {
        let axes = axes_from_bits(s.len(), bits);
        let x = [uniform(&s, seed, -2.0, 2.0)];
        prop_gradcheck(|v| v[0].sum(&axes, keepdim), &x)?;
        prop_gradcheck(|v| v[0].mean(&axes, keepdim), &x)?;
    }

    #[test]
    fn sum_all_and_mean_all(s in shape(0, 4, 3), seed: u64) {
        let x = [uniform(&s, seed, -2.0, 2.0)];
        prop_gradcheck(|v| v[0].sum_all(), &x)?;
        prop_gradcheck(|v| v[0].mean_all(), &x)?;
    }

    #[test]
    fn max_and_min(s in shape(1, 4, 3), bits: u64, keepdim in keepdim(), seed: u64) {
        let axes = axes_from_bits(s.len(), bits);
        let x = distinct(&[&s], seed);
        prop_gradcheck(|v| v[0].max(&axes, keepdim), &x)?;
        prop_gradcheck(|v| v[0].min(&axes, keepdim), &x)?;
    }

    #[test]
    fn variance(
        s in shape(1, 4, 3),
        bits: u64,
        unbiased in unbiased(),
        keepdim in keepdim(),
        seed: u64,
    ) {
        let axes = axes_from_bits(s.len(), bits);
        let x = [uniform(&s, seed, -2.0, 2.0)];
        prop_gradcheck(|v| v[0].variance(&axes, unbiased, keepdim), &x)?;
    }
}
