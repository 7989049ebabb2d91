//! Gradient checks of the fused softmax family: softmax, log_softmax and
//! log_sum_exp (with and without keepdim), along every axis.

use proptest::prelude::*;
use synann_tensor::KeepDim;
use synann_testing::strategies::{keepdim, shape, uniform};
use synann_testing::{prop_gradcheck, CASES};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn softmax(s in shape(1, 4, 4), axis in 0usize..4, negative: bool, seed: u64) {
        let x = [uniform(&s, seed, -3.0, 3.0)];
        let axis = axis % s.len();
        let axis = if negative { axis as isize - s.len() as isize } else { axis as isize };
        prop_gradcheck(|v| v[0].softmax(axis), &x)?;
    }

    #[test]
    fn log_softmax(s in shape(1, 4, 4), axis in 0usize..4, seed: u64) {
        let x = [uniform(&s, seed, -3.0, 3.0)];
        prop_gradcheck(|v| v[0].log_softmax((axis % s.len()) as isize), &x)?;
    }

    #[test]
    fn log_sum_exp(s in shape(1, 4, 4), axis in 0usize..4, keepdim in keepdim(), seed: u64) {
        let x = [uniform(&s, seed, -3.0, 3.0)];
        prop_gradcheck(|v| v[0].log_sum_exp((axis % s.len()) as isize, keepdim), &x)?;
    }

    #[test]
    fn large_logits_do_not_overflow(n in 2usize..6, seed: u64) {
        // exp(800) overflows f64; the fused ops shift by the max first.
        let x = [uniform(&[2, n], seed, 799.0, 801.0)];
        prop_gradcheck(|v| v[0].log_softmax(1), &x)?;
        prop_gradcheck(|v| v[0].softmax(1), &x)?;
        prop_gradcheck(|v| v[0].log_sum_exp(1, KeepDim::No), &x)?;
    }
}
