//! The identities of `synann::maths`, checked on random points.

use proptest::prelude::*;
use synann::maths::*;

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + b.abs())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn synapse_is_gated_excitation(x in 0.0..1.0f64, y in 0.0..1.0f64, a in 0.0..2.0f64, b in 0.0..1.0f64) {
        let s = synapse(x, y, a, b);
        prop_assert!(close(s, a * x - a * x * b * y, 1e-14));
        // Inhibition can only reduce the excitation.
        prop_assert!(s <= a * x + 1e-15);
    }

    #[test]
    fn surprisal_round_trips(p in 1e-12..1.0f64) {
        prop_assert!(close(inverse_surprisal(surprisal(p)), p, 1e-14));
        prop_assert!(surprisal(p) >= 0.0);
    }

    #[test]
    fn commutative_diagram(p in 1e-9..(1.0 - 1e-9f64)) {
        // I(F(p)) = G(I(p)): complementing in probability space is G in
        // surprisal space.
        let lhs = surprisal(complement(p));
        let rhs = inhibitory_map(surprisal(p));
        prop_assert!(close(lhs, rhs, 1e-9), "p = {p}: I(F(p)) = {lhs}, G(I(p)) = {rhs}");
    }

    #[test]
    fn inhibitory_map_is_an_involution(u in 1e-3..30.0f64) {
        // F∘F = id, hence G∘G = id on (0, ∞).
        prop_assert!(close(inhibitory_map(inhibitory_map(u)), u, 1e-9));
    }

    #[test]
    fn surprisal_synapse_is_minus_log_synapse(
        x in 0.01..1.0f64, y in 0.01..1.0f64, a in 0.01..1.0f64, b in 0.01..0.99f64
    ) {
        let direct = -synapse(x, y, a, b).ln();
        let via = surprisal_synapse(surprisal(a), surprisal(b), surprisal(x), surprisal(y));
        prop_assert!(close(direct, via, 1e-12), "{direct} vs {via}");
    }

    #[test]
    fn bose_einstein_is_the_gamma_derivative(v in 0.0..5.0f64, gamma in 0.05..5.0f64) {
        // Central differences of h(γ) = ln(1 − e^(−(γ + v))).
        let h = |g: f64| (-(-(g + v)).exp()).ln_1p();
        let eps = 1e-5;
        let numeric = (h(gamma + eps) - h(gamma - eps)) / (2.0 * eps);
        let analytic = bose_einstein(v, gamma);
        prop_assert!(close(analytic, numeric, 1e-6), "BE {analytic} vs FD {numeric}");
    }

    #[test]
    fn swap_ratio_at_b_one_is_the_odds_ratio(x in 0.01..0.99f64, y in 0.01..0.99f64, a in 0.1..2.0f64) {
        let r = swap_ratio(x, y, a, 1.0);
        prop_assert!(close(r, odds(x) / odds(y), 1e-12));
    }

    #[test]
    fn swap_ratio_in_general(x in 0.01..0.99f64, y in 0.01..0.99f64, a in 0.1..2.0f64, b in 0.0..1.0f64) {
        let r = swap_ratio(x, y, a, b);
        prop_assert!(close(r, x * (1.0 - b * y) / (y * (1.0 - b * x)), 1e-12));
    }
}

#[test]
fn fixed_point_of_the_diagram() {
    let ln2 = std::f64::consts::LN_2;
    assert_eq!(complement(0.5f64), 0.5);
    assert!((inhibitory_map(ln2) - ln2).abs() < 1e-15);
    assert!((inhibitory_map(ln2 as f32) - ln2 as f32).abs() < 1e-6);
}

#[test]
fn inhibitory_map_is_stable_at_both_ends() {
    // Large u: G(u) = −ln(1 − e^(−u)) ≈ e^(−u), far below f64's epsilon
    // relative to 1, where the naive formula returns 0.
    let u = 50.0f64;
    assert!(close(inhibitory_map(u), (-u).exp(), 1e-12));
    // Small u: G(u) ≈ −ln u, where 1 − e^(−u) cancels naively.
    let u = 1e-12f64;
    assert!(close(inhibitory_map(u), -u.ln(), 1e-9));
    // f32 too.
    assert!(inhibitory_map(30.0f32) > 0.0);
    assert!(inhibitory_map(1e-8f32).is_finite());
}
