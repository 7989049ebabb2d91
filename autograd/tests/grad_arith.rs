//! Gradient checks of the broadcasting binary ops, the scalar forms, the
//! operator overloads and `where_`, over random shapes and broadcast pairs.

use proptest::prelude::*;
use synann_autograd::Var;
use synann_tensor::Tensor;
use synann_testing::strategies::{broadcast_pair, distinct, shape, signed, uniform};
use synann_testing::{prop_gradcheck, CASES};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn add((sa, sb) in broadcast_pair(4, 3), seed: u64) {
        prop_gradcheck(|v| v[0].add(&v[1]), &[uniform(&sa, seed, -2.0, 2.0), uniform(&sb, seed ^ 1, -2.0, 2.0)])?;
    }

    #[test]
    fn sub((sa, sb) in broadcast_pair(4, 3), seed: u64) {
        prop_gradcheck(|v| v[0].sub(&v[1]), &[uniform(&sa, seed, -2.0, 2.0), uniform(&sb, seed ^ 1, -2.0, 2.0)])?;
    }

    #[test]
    fn mul((sa, sb) in broadcast_pair(4, 3), seed: u64) {
        prop_gradcheck(|v| v[0].mul(&v[1]), &[uniform(&sa, seed, -2.0, 2.0), uniform(&sb, seed ^ 1, -2.0, 2.0)])?;
    }

    #[test]
    fn div((sa, sb) in broadcast_pair(4, 3), seed: u64) {
        // Divisor away from 0.
        prop_gradcheck(|v| v[0].div(&v[1]), &[uniform(&sa, seed, -2.0, 2.0), signed(&sb, seed ^ 1, 0.5, 2.0)])?;
    }

    #[test]
    fn pow((sa, sb) in broadcast_pair(4, 3), seed: u64) {
        // Base > 0 so that the exponent's gradient a^b·ln a exists.
        prop_gradcheck(|v| v[0].pow(&v[1]), &[uniform(&sa, seed, 0.5, 2.0), uniform(&sb, seed ^ 1, -2.0, 2.0)])?;
    }

    #[test]
    fn maximum((sa, sb) in broadcast_pair(4, 3), seed: u64) {
        prop_gradcheck(|v| v[0].maximum(&v[1]), &distinct(&[&sa, &sb], seed))?;
    }

    #[test]
    fn minimum((sa, sb) in broadcast_pair(4, 3), seed: u64) {
        prop_gradcheck(|v| v[0].minimum(&v[1]), &distinct(&[&sa, &sb], seed))?;
    }

    #[test]
    fn scalar_forms(s in shape(0, 4, 3), seed: u64, c in -3.0f64..3.0) {
        let x = [uniform(&s, seed, -2.0, 2.0)];
        prop_gradcheck(|v| v[0].add_scalar(c), &x)?;
        prop_gradcheck(|v| v[0].mul_scalar(c), &x)?;
        prop_gradcheck(|v| v[0].rsub_scalar(c), &x)?;
        prop_gradcheck(|v| v[0].neg(), &x)?;
    }

    #[test]
    fn operator_overloads((sa, sb) in broadcast_pair(3, 3), seed: u64) {
        let inputs = [uniform(&sa, seed, -2.0, 2.0), signed(&sb, seed ^ 1, 0.5, 2.0)];
        // (a·b + a) / b − (−a), every operator once.
        prop_gradcheck(|v| &(&(&(&v[0] * &v[1]) + &v[0]) / &v[1]) - &(-&v[0]), &inputs)?;
    }

    #[test]
    fn where_((sa, sb) in broadcast_pair(3, 3), cond_on_a: bool, seed: u64) {
        // The mask broadcasts too: give it the shape of one operand.
        let out = synann_tensor::shape::broadcast_shapes(&sa, &sb).unwrap();
        let cshape = if cond_on_a { sa.clone() } else { out };
        let cond = Tensor::<f64>::bernoulli(&cshape, 0.5, &mut synann_tensor::random::seeded(seed ^ 7));
        let inputs = [uniform(&sa, seed, -2.0, 2.0), uniform(&sb, seed ^ 1, -2.0, 2.0)];
        prop_gradcheck(|v| Var::where_(&cond, &v[0], &v[1]), &inputs)?;
    }
}
