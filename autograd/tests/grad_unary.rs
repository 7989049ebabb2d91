//! Gradient checks of the unary element-wise ops, each on inputs inside its
//! domain and away from its kinks.

mod common;

use common::{check, shape, signed, uniform, CASES};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn exp_and_exp_m1(s in shape(0, 4, 3), seed: u64) {
        let x = [uniform(&s, seed, -2.0, 2.0)];
        check(|v| v[0].exp(), &x)?;
        check(|v| v[0].exp_m1(), &x)?;
    }

    #[test]
    fn ln_and_sqrt(s in shape(0, 4, 3), seed: u64) {
        // x > 0, not too close to the singularity at 0.
        let x = [uniform(&s, seed, 0.2, 3.0)];
        check(|v| v[0].ln(), &x)?;
        check(|v| v[0].sqrt(), &x)?;
    }

    #[test]
    fn ln_1p(s in shape(0, 4, 3), seed: u64) {
        check(|v| v[0].ln_1p(), &[uniform(&s, seed, -0.7, 3.0)])?;
    }

    #[test]
    fn abs_and_relu(s in shape(0, 4, 3), seed: u64) {
        // |x| > 0.05: away from the kink at 0.
        let x = [signed(&s, seed, 0.05, 2.0)];
        check(|v| v[0].abs(), &x)?;
        check(|v| v[0].relu(), &x)?;
    }

    #[test]
    fn sigmoid_and_tanh(s in shape(0, 4, 3), seed: u64) {
        let x = [uniform(&s, seed, -4.0, 4.0)];
        check(|v| v[0].sigmoid(), &x)?;
        check(|v| v[0].tanh(), &x)?;
    }

    #[test]
    fn softplus(s in shape(0, 4, 3), seed: u64) {
        // Both branches of the stable formula (x > 0 and x < 0), and large
        // |x| where a naive ln(1 + eˣ) would overflow.
        check(|v| v[0].softplus(), &[uniform(&s, seed, -30.0, 30.0)])?;
    }

    #[test]
    fn powf(s in shape(0, 4, 3), seed: u64, p in -2.0f64..3.0) {
        check(|v| v[0].powf(p), &[uniform(&s, seed, 0.3, 2.0)])?;
    }

    #[test]
    fn clamp(s in shape(1, 4, 3), seed: u64) {
        // Keep every x at least 0.05 from the bounds ±0.5 (and so from the
        // kinks): shift values that fall too close outwards by 0.1.
        let x = signed(&s, seed, 0.0, 1.5).map(|x| {
            if (x.abs() - 0.5).abs() < 0.05 { x + 0.1 * x.signum() } else { x }
        });
        check(|v| v[0].clamp(-0.5, 0.5), &[x])?;
    }
}
