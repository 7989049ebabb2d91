//! Gradient checks of the indexing ops: narrow, concat, stack,
//! index_select and gather (the last two with repeated indices, whose
//! gradients must accumulate).

use proptest::prelude::*;
use rand::Rng;
use synann_autograd::Var;
use synann_tensor::random::seeded;
use synann_testing::strategies::{shape, uniform};
use synann_testing::{prop_gradcheck, CASES};

/// `count` random indices below `size` (repeats likely), from `seed`.
fn indices(count: usize, size: usize, seed: u64) -> Vec<usize> {
    let mut rng = seeded(seed);
    (0..count).map(|_| rng.gen_range(0..size)).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn narrow(s in shape(1, 4, 4), axis in 0usize..4, a in 0usize..4, b in 0usize..4, seed: u64) {
        let axis = axis % s.len();
        let size = s[axis];
        let start = a % size;
        let len = b % (size - start + 1);
        prop_gradcheck(|v| v[0].narrow(axis as isize, start, len), &[uniform(&s, seed, -2.0, 2.0)])?;
    }

    #[test]
    fn concat(s in shape(1, 3, 3), axis in 0usize..3, extra in prop::collection::vec(0usize..4, 1..4), seed: u64) {
        // Inputs that differ only along `axis` (sizes from `extra`, 0 allowed).
        let axis = axis % s.len();
        let inputs: Vec<_> = extra
            .iter()
            .enumerate()
            .map(|(i, &len)| {
                let mut si = s.clone();
                si[axis] = len;
                uniform(&si, seed ^ i as u64, -2.0, 2.0)
            })
            .collect();
        let neg = axis as isize - s.len() as isize;
        prop_gradcheck(|v| Var::concat(&v.iter().collect::<Vec<_>>(), neg), &inputs)?;
    }

    #[test]
    fn stack(s in shape(0, 3, 3), axis in 0usize..4, count in 1usize..4, seed: u64) {
        let axis = (axis % (s.len() + 1)) as isize;
        let inputs: Vec<_> = (0..count).map(|i| uniform(&s, seed ^ i as u64, -2.0, 2.0)).collect();
        prop_gradcheck(|v| Var::stack(&v.iter().collect::<Vec<_>>(), axis), &inputs)?;
    }

    #[test]
    fn index_select(s in shape(1, 3, 4), axis in 0usize..3, count in 0usize..6, seed: u64) {
        let axis = axis % s.len();
        let idx = indices(count, s[axis], seed ^ 3);
        prop_gradcheck(|v| v[0].index_select(axis as isize, &idx), &[uniform(&s, seed, -2.0, 2.0)])?;
    }

    #[test]
    fn gather(s in shape(1, 3, 4), axis in 0usize..3, shrink: u64, along in 1usize..5, seed: u64) {
        // Index shape: at most the input's size on the other axes, any
        // length along `axis`.
        let axis = axis % s.len();
        let ishape: Vec<usize> = s
            .iter()
            .enumerate()
            .map(|(d, &n)| if d == axis { along } else { 1 + (shrink >> (8 * d)) as usize % n })
            .collect();
        let idx = indices(ishape.iter().product(), s[axis], seed ^ 5);
        prop_gradcheck(|v| v[0].gather(axis as isize, &idx, &ishape), &[uniform(&s, seed, -2.0, 2.0)])?;
    }
}
