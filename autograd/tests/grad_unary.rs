//! Gradient checks of the unary element-wise ops, each on inputs inside its
//! domain and away from its kinks ([`Values`] says where the values come
//! from).

use proptest::prelude::*;
use synann_testing::strategies::{shape, tensor, Values};
use synann_testing::{gradcheck_property, prop_gradcheck, strategies::tensors, CASES};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn exp_and_exp_m1(x in tensor(shape(0, 4, 3), Values::uniform(-2.0, 2.0))) {
        prop_gradcheck(|v| v[0].exp(), std::slice::from_ref(&x))?;
        prop_gradcheck(|v| v[0].exp_m1(), &[x])?;
    }

    #[test]
    fn ln_and_sqrt(x in tensor(shape(0, 4, 3), Values::uniform(0.2, 3.0))) {
        // x > 0, not too close to the singularity at 0.
        prop_gradcheck(|v| v[0].ln(), std::slice::from_ref(&x))?;
        prop_gradcheck(|v| v[0].sqrt(), &[x])?;
    }

    #[test]
    fn abs_and_relu(x in tensor(shape(0, 4, 3), Values::signed(0.05, 2.0))) {
        // |x| ≥ 0.05: away from the kink at 0.
        prop_gradcheck(|v| v[0].abs(), std::slice::from_ref(&x))?;
        prop_gradcheck(|v| v[0].relu(), &[x])?;
    }

    #[test]
    fn sigmoid_and_tanh(x in tensor(shape(0, 4, 3), Values::uniform(-4.0, 4.0))) {
        prop_gradcheck(|v| v[0].sigmoid(), std::slice::from_ref(&x))?;
        prop_gradcheck(|v| v[0].tanh(), &[x])?;
    }

    #[test]
    fn softplus(x in tensor(shape(0, 4, 3), Values::uniform(-30.0, 30.0))) {
        // Both branches of the stable formula (x > 0 and x < 0), and large
        // |x| where a naive ln(1 + eˣ) would overflow.
        prop_gradcheck(|v| v[0].softplus(), &[x])?;
    }

    #[test]
    fn powf(x in tensor(shape(0, 4, 3), Values::uniform(0.3, 2.0)), p in -2.0f64..3.0) {
        prop_gradcheck(|v| v[0].powf(p), &[x])?;
    }
}

// One call per property when the op needs no parameters of its own.

#[test]
fn ln_1p() {
    gradcheck_property(
        tensors(1, shape(0, 4, 3), Values::uniform(-0.7, 3.0)),
        |v| v[0].ln_1p(),
    );
}

#[test]
fn clamp() {
    // At least 0.05 from the bounds ±0.5, where the derivative jumps.
    let x = Values::away_from(-1.5, 1.5, &[-0.5, 0.5], 0.05);
    gradcheck_property(tensors(1, shape(1, 4, 3), x), |v| v[0].clamp(-0.5, 0.5));
}
