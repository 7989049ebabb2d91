//! The scalar maths of SynaNN, with the identities the layers rely on.
//!
//! A synapse joins an excitatory input `x` and an inhibitory input `y`, both
//! open probabilities in (0, 1), through two parameters `a, b`:
//!
//! ```text
//! S(x, y; a, b) = a · x · (1 − b · y)
//! ```
//!
//! **Surprisal space.** The surprisal of a probability is I(p) = −ln p, with
//! inverse p = e^(−u). Writing θ = −ln a, γ = −ln b, u = −ln x, v = −ln y:
//!
//! ```text
//! −ln S = −ln a − ln x − ln(1 − b·y)
//!       = θ + u − ln(1 − e^(−(γ + v)))
//!       = (θ + u) + G(γ + v),        G(w) = −ln(1 − e^(−w))
//! ```
//!
//! so the excitatory path adds surprisals and the inhibitory path goes
//! through the *inhibitory map* G. G is the surprisal-space picture of the
//! complement F(p) = 1 − p: I(F(p)) = −ln(1 − p) = G(−ln p) = G(I(p)), a
//! commutative diagram whose fixed point is p = 1/2 (u = ln 2).
//!
//! **Bose-Einstein.** The derivative of the inhibitory term in γ is
//!
//! ```text
//! ∂/∂γ ln(1 − e^(−(γ + v))) = e^(−(γ+v)) / (1 − e^(−(γ+v))) = 1 / (e^(γ + v) − 1)
//! ```
//!
//! the Bose-Einstein occupation number with energy γ + v.
//!
//! **Swap ratio.** Exchanging the roles of the two inputs gives
//! S(x, y)/S(y, x) = x·(1 − b·y) / (y·(1 − b·x)); at b = 1 this is the odds
//! ratio (x/(1 − x)) / (y/(1 − y)).
//!
//! ```
//! use synann::maths::{inhibitory_map, surprisal, complement};
//! let p = 0.3f64;
//! let lhs = surprisal(complement(p));
//! let rhs = inhibitory_map(surprisal(p));
//! assert!((lhs - rhs).abs() < 1e-12);
//! ```

use synann_tensor::Float;

/// The synapse S(x, y; a, b) = a·x·(1 − b·y): excitation `x` gated by the
/// inhibition `y`.
///
/// ```
/// assert_eq!(synann::maths::synapse(0.5f64, 0.5, 1.0, 1.0), 0.25);
/// ```
pub fn synapse<T: Float>(x: T, y: T, a: T, b: T) -> T {
    a * x * (T::ONE - b * y)
}

/// The complement F(p) = 1 − p (the probability that a channel is closed).
pub fn complement<T: Float>(p: T) -> T {
    T::ONE - p
}

/// The surprisal (self-information) I(p) = −ln p, in nats.
pub fn surprisal<T: Float>(p: T) -> T {
    -p.ln()
}

/// The inverse of [`surprisal`]: p = e^(−u).
pub fn inverse_surprisal<T: Float>(u: T) -> T {
    (-u).exp()
}

/// The inhibitory map G(u) = −ln(1 − e^(−u)) for u > 0: the surprisal of the
/// complement of the probability whose surprisal is `u`, G(I(p)) = I(1 − p).
///
/// Computed without cancellation: for u ≤ ln 2, 1 − e^(−u) = −expm1(−u) is
/// small and `exp_m1` keeps its digits; for u > ln 2, e^(−u) < 1/2 and
/// ln(1 − e^(−u)) = ln_1p(−e^(−u)) keeps the digits of a result near 0.
///
/// ```
/// use synann::maths::inhibitory_map;
/// let ln2 = 2f64.ln();
/// assert!((inhibitory_map(ln2) - ln2).abs() < 1e-15); // the fixed point p = 1/2
/// ```
pub fn inhibitory_map<T: Float>(u: T) -> T {
    let ln2 = T::from_f64(std::f64::consts::LN_2);
    if u <= ln2 {
        -(-(-u).exp_m1()).ln()
    } else {
        -(-(-u).exp()).ln_1p()
    }
}

/// The surprisal synapse −ln S(x, y; a, b) written in surprisals:
/// (θ + u) + G(γ + v), with θ = −ln a, γ = −ln b, u = −ln x, v = −ln y and
/// G the [`inhibitory_map`].
///
/// ```
/// use synann::maths::{surprisal, surprisal_synapse, synapse};
/// let (x, y, a, b) = (0.6f64, 0.3, 0.9, 0.7);
/// let direct = -synapse(x, y, a, b).ln();
/// let via_surprisal = surprisal_synapse(surprisal(a), surprisal(b), surprisal(x), surprisal(y));
/// assert!((direct - via_surprisal).abs() < 1e-12);
/// ```
pub fn surprisal_synapse<T: Float>(theta: T, gamma: T, u: T, v: T) -> T {
    (theta + u) + inhibitory_map(gamma + v)
}

/// The Bose-Einstein form 1/(e^(γ + v) − 1) = ∂/∂γ ln(1 − e^(−(γ + v))): the
/// sensitivity of the inhibitory term to the surprisal γ of `b`.
///
/// Uses `exp_m1`, accurate when γ + v is near 0 (b·y near 1).
pub fn bose_einstein<T: Float>(v: T, gamma: T) -> T {
    T::ONE / (gamma + v).exp_m1()
}

/// The odds p/(1 − p) of a probability.
pub fn odds<T: Float>(p: T) -> T {
    p / (T::ONE - p)
}

/// The swap ratio S(x, y; a, b) / S(y, x; a, b): how much more the synapse
/// passes with `x` exciting and `y` inhibiting than the other way round.
/// At b = 1 it equals the odds ratio `odds(x) / odds(y)`, whatever `a`.
///
/// ```
/// use synann::maths::{odds, swap_ratio};
/// let r = swap_ratio(0.8f64, 0.4, 0.5, 1.0);
/// assert!((r - odds(0.8) / odds(0.4)).abs() < 1e-12);
/// ```
pub fn swap_ratio<T: Float>(x: T, y: T, a: T, b: T) -> T {
    synapse(x, y, a, b) / synapse(y, x, a, b)
}
