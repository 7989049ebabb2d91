//! Gradient checks of the shape ops: reshape, flatten_from, squeeze,
//! unsqueeze, permute, transpose and broadcast_to.

use proptest::prelude::*;
use synann_testing::strategies::{broadcast_pair, permutation, shape, uniform};
use synann_testing::{prop_gradcheck, CASES};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn reshape_and_flatten(s in shape(1, 4, 3), start in 0usize..5, seed: u64) {
        let x = [uniform(&s, seed, -2.0, 2.0)];
        // Reverse the sizes: same count, a different layout.
        let reversed: Vec<usize> = s.iter().rev().copied().collect();
        prop_gradcheck(|v| v[0].reshape(&reversed), &x)?;
        let start = start.min(s.len());
        prop_gradcheck(|v| v[0].flatten_from(start), &x)?;
    }

    #[test]
    fn squeeze_and_unsqueeze(s in shape(0, 3, 3), at in 0usize..4, negative: bool, seed: u64) {
        let x = [uniform(&s, seed, -2.0, 2.0)];
        let at = at.min(s.len());
        let axis = if negative { at as isize - s.len() as isize - 1 } else { at as isize };
        prop_gradcheck(|v| v[0].unsqueeze(axis), &x)?;
        // Squeezing the axis just inserted gives back the input's shape.
        prop_gradcheck(|v| v[0].unsqueeze(at as isize).squeeze(at as isize), &x)?;
    }

    #[test]
    fn permute_and_transpose(s in shape(1, 4, 3), perm_seed: u64, a in 0usize..4, b in 0usize..4, seed: u64) {
        let x = [uniform(&s, seed, -2.0, 2.0)];
        let perm = permutation(s.len(), perm_seed);
        prop_gradcheck(|v| v[0].permute(&perm), &x)?;
        let (a, b) = ((a % s.len()) as isize, (b % s.len()) as isize - s.len() as isize);
        prop_gradcheck(|v| v[0].transpose(a, b), &x)?;
    }

    #[test]
    fn broadcast_to((small, other) in broadcast_pair(4, 3), seed: u64) {
        let target = synann_tensor::shape::broadcast_shapes(&small, &other).unwrap();
        prop_gradcheck(|v| v[0].broadcast_to(&target), &[uniform(&small, seed, -2.0, 2.0)])?;
    }
}
