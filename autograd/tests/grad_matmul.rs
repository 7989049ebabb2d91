//! Gradient checks of matmul (2-D, batched, 3-D by a shared 2-D matrix)
//! and linear (with and without bias).

use proptest::prelude::*;
use synann_testing::strategies::uniform;
use synann_testing::{prop_gradcheck, CASES};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn matmul_2d(m in 1usize..5, k in 1usize..5, n in 1usize..5, seed: u64) {
        let inputs = [uniform(&[m, k], seed, -1.0, 1.0), uniform(&[k, n], seed ^ 1, -1.0, 1.0)];
        prop_gradcheck(|v| v[0].matmul(&v[1]), &inputs)?;
    }

    #[test]
    fn matmul_batched(b in 1usize..4, m in 1usize..4, k in 1usize..4, n in 1usize..4, seed: u64) {
        let inputs = [uniform(&[b, m, k], seed, -1.0, 1.0), uniform(&[b, k, n], seed ^ 1, -1.0, 1.0)];
        prop_gradcheck(|v| v[0].matmul(&v[1]), &inputs)?;
    }

    #[test]
    fn matmul_3d_by_2d(b in 1usize..4, m in 1usize..4, k in 1usize..4, n in 1usize..4, seed: u64) {
        let inputs = [uniform(&[b, m, k], seed, -1.0, 1.0), uniform(&[k, n], seed ^ 1, -1.0, 1.0)];
        prop_gradcheck(|v| v[0].matmul(&v[1]), &inputs)?;
    }

    #[test]
    fn linear(batch in 1usize..5, inp in 1usize..5, out in 1usize..5, seed: u64) {
        let x = uniform(&[batch, inp], seed, -1.0, 1.0);
        let w = uniform(&[out, inp], seed ^ 1, -1.0, 1.0);
        let b = uniform(&[out], seed ^ 2, -1.0, 1.0);
        prop_gradcheck(|v| v[0].linear(&v[1], Some(&v[2])), &[x.clone(), w.clone(), b])?;
        prop_gradcheck(|v| v[0].linear(&v[1], None), &[x, w])?;
    }
}
