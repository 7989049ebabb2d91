//! The fast kernels, one element at a time: each `*_lane` function is
//! branch-free straight-line code (its `if`s become lane selects), so the
//! loop in [`run`] that applies it to 16 elements at a time is vectorised
//! by LLVM for whatever instruction set it is compiled with.
//!
//! Every function uses only +, −, ×, ÷, comparisons and bit operations on
//! f32 and i32/u32, each correctly rounded by IEEE 754, and no fused
//! multiply-add: so the result does not depend on the instruction set
//! (see the module docs of [`vmath`](super) for why).
//!
//! The polynomials and range reductions follow Stephen L. Moshier's Cephes
//! Math Library (`expf.c`, `logf.c`, `tanhf.c`), whose coefficients are
//! minimax fits in single precision (written here as the f32 values the
//! published decimals round to, e.g. 0.5 for 5.0000001201E-1); the errors
//! quoted are the ones we measured over all 2³² inputs, in ulp of the
//! exact result (`tests/vmath.rs`).

/// Elements per step of [`run`]: one AVX-512 register of f32, two AVX2
/// registers, four SSE ones.
pub const LANES: usize = 16;

/// Applies `f` to every element of `x`, into `out`, [`LANES`] at a time;
/// the last, short piece goes through a padded copy, so that it runs the
/// same vector code.
///
/// (Fixed-size chunks, which LLVM unrolls and vectorises as straight-line
/// code: a plain loop over the whole slice left `tanh_lane` scalar, four
/// times slower.) Inlined into each instruction-set wrapper of `super`,
/// so that it (and `f`) is compiled with that wrapper's target features.
#[inline(always)]
pub fn run(x: &[f32], out: &mut [f32], f: impl Fn(f32) -> f32) {
    super::check_lengths(x, out);
    let mut xs = x.chunks_exact(LANES);
    let mut os = out.chunks_exact_mut(LANES);
    for (xc, oc) in (&mut xs).zip(&mut os) {
        for (o, &v) in oc.iter_mut().zip(xc) {
            *o = f(v);
        }
    }
    let (xr, or) = (xs.remainder(), os.into_remainder());
    if !xr.is_empty() {
        let mut buf = [0.0f32; LANES];
        buf[..xr.len()].copy_from_slice(xr);
        for v in buf.iter_mut() {
            *v = f(*v);
        }
        or.copy_from_slice(&buf[..xr.len()]);
    }
}

/// ln 2 split for Cody–Waite reduction: `LN2_HI` = 355/512 has 9
/// significant bits, so k·`LN2_HI` is exact for |k| < 2¹⁵, and
/// `LN2_HI` + `LN2_LO` = ln 2 to about 2⁻³³ (Cephes' C1, C2).
const LN2_HI: f32 = 0.693_359_4;
/// The rest of ln 2 (see [`LN2_HI`]).
const LN2_LO: f32 = -2.121_944_4e-4;
/// 1.5·2²³: adding it to a float of magnitude below 2²² rounds that float
/// to the nearest integer k and leaves k in the low mantissa bits.
const ROUND: f32 = 12_582_912.0;

/// Inputs of `exp` are clamped into [`EXP_MIN`, `EXP_MAX`]: e^x overflows
/// for x > 88.722839 and rounds to 0 for x < −103.972084, so the clamp
/// changes no result, and it keeps the exponent k in [−150, 128].
const EXP_MAX: f32 = 89.0;
/// See [`EXP_MAX`].
const EXP_MIN: f32 = -104.0;

/// e^x.
///
/// **Range reduction.** x = k·ln 2 + r with k = round(x/ln 2), so
/// |r| ≤ ln(2)/2 (a hair more where x·log₂e rounds across a half), and
/// e^x = 2^k·e^r. r is computed as (x − k·`LN2_HI`) − k·`LN2_LO`: the
/// first product is exact, and so is the subtraction (x and k·`LN2_HI`
/// are within a factor 2 of each other, Sterbenz); the last subtraction
/// rounds, and its rounding error c is recovered exactly (Fast2Sum) and
/// added back into the polynomial's small terms, since e^(r + c) ≈
/// e^r + c.
///
/// **Polynomial.** e^r ≈ 1 + r + r²·P(r), P of degree 5 (Cephes `expf`,
/// minimax on |r| ≤ ln(2)/2). The sum is ordered so that only its last
/// addition rounds at the size of the result: 1 + r is split into its
/// rounded value s and its exact rounding error (Fast2Sum again), which
/// joins the small terms, and y = s + (small terms) rounds once. Without
/// the two error terms the error measured 0.97 ulp; with them, about half.
///
/// **Scaling by 2^k without overflow or premature underflow.** 2^k is
/// built from its exponent bits, in two halves 2^k₁·2^k₂ (k₁ = ⌊k/2⌋,
/// k₂ = k − k₁, both in [−75, 64], so both are normal floats): the first
/// product y·2^k₁ is exact and normal, the second rounds once, so a
/// subnormal result is correctly rounded from y, and a result above the
/// largest float becomes +∞.
///
/// **Special values.** NaN stays NaN (it passes the clamp); +∞ → +∞; −∞ → +0; every x above
/// 88.722839 gives +∞ and below −103.972084 gives 0, as in libm.
///
/// **Measured error:** at most 0.71 ulp (libm: 0.50). A subnormal result
/// is rounded twice (y to 24 bits, then y·2^k to the coarser subnormal
/// grid), which costs up to a quarter ulp more there: 0.77 ulp.
#[inline(always)]
pub fn exp_lane(x: f32) -> f32 {
    exp_hi_lo(x).0
}

/// e^x as an unevaluated sum hi + lo, with hi = [`exp_lane`]`(x)` and lo
/// the rounding error of the last addition of its polynomial, scaled by
/// 2^k like hi (exactly, unless it underflows): about 30 bits in all,
/// for [`sigmoid_lane`] and [`tanh_lane`], whose divisions would
/// otherwise amplify the error of e^x.
#[inline(always)]
fn exp_hi_lo(x: f32) -> (f32, f32) {
    // (`clamp` keeps NaN.)
    let x = x.clamp(EXP_MIN, EXP_MAX);
    // k = round(x·log₂e), as a float and as the integer in its low bits.
    let t = x * std::f32::consts::LOG2_E + ROUND;
    let kf = t - ROUND;
    let k = t.to_bits().wrapping_sub(ROUND.to_bits()) as i32;
    // r = r_hi − k_lo rounds; c is its rounding error, exactly (Fast2Sum:
    // |r_hi| ≥ |k_lo| whenever |r| is large enough for c to matter).
    let r_hi = x - kf * LN2_HI;
    let k_lo = kf * LN2_LO;
    let r = r_hi - k_lo;
    let c = (r_hi - r) - k_lo;

    let mut p = 1.987_569_1e-4;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 5e-1;
    // y = 1 + r + (r²·P(r) + c), with 1 + r split into its rounded sum s
    // and the exact error of that sum, so that only the last addition
    // rounds at the size of y.
    let s = 1.0 + r;
    let s_err = (1.0 - s) + r;
    let tail = s_err + (p * (r * r) + c);
    let y = s + tail;
    let y_err = (s - y) + tail; // exact (Fast2Sum: |s| > 0.6 > |tail|)

    let k1 = k >> 1;
    let k2 = k.wrapping_sub(k1);
    let (a, b) = (pow2(k1), pow2(k2));
    ((y * a) * b, (y_err * a) * b)
}

/// 2^k for k in [−126, 127], from the exponent bits (other k give
/// garbage, only ever multiplied into a NaN).
#[inline(always)]
fn pow2(k: i32) -> f32 {
    f32::from_bits((k.wrapping_add(127) as u32) << 23)
}

/// √½, the lower end of the reduced mantissa in [`ln_lane`].
const SQRT_HALF: f32 = std::f32::consts::FRAC_1_SQRT_2;

/// ln x.
///
/// **Range reduction.** x = m·2^e with m in [√½, √2), read from the bits
/// (a subnormal x is first multiplied by 2²³, exactly, and 23 taken off
/// e); f = m − 1, in [−0.293, 0.414), is exact. Then
/// ln x = e·ln 2 + ln(1 + f).
///
/// **Polynomial.** ln(1 + f) ≈ f − f²/2 + f³·P(f), P of degree 8
/// (Cephes `logf`, minimax on that interval). The small terms are added
/// first and e·ln 2 last, in two parts (`LN2_HI`, exact times e, and
/// `LN2_LO`), so that near x = 1 (e = 0) the relative accuracy of f is
/// kept.
///
/// **Special values**, as libm: ln(±0) = −∞, ln(x < 0) = NaN (−∞
/// included), ln(+∞) = +∞, NaN stays NaN, ln 1 = 0 exactly.
///
/// **Measured error:** at most 0.83 ulp (libm: 0.82).
#[inline(always)]
pub fn ln_lane(x: f32) -> f32 {
    // Subnormals: scale into the normal range (exact).
    let subnormal = x < f32::MIN_POSITIVE;
    let xs = if subnormal { x * 8_388_608.0 } else { x };
    let e_adj: i32 = if subnormal { -23 } else { 0 };

    // x = m·2^e with m in [0.5, 1) from the bits (garbage for x ≤ 0,
    // ∞ and NaN, which are replaced at the end).
    let bits = xs.to_bits();
    let e = ((bits >> 23) as i32 & 0xff) - 126 + e_adj;
    let m = f32::from_bits((bits & 0x007f_ffff) | 0x3f00_0000);
    // m in [√½, √2): double it, and take one from e, when below √½.
    let low = m < SQRT_HALF;
    let f = if low { (m + m) - 1.0 } else { m - 1.0 };
    let e = if low { e - 1 } else { e };
    let ef = e as f32;

    let z = f * f;
    let mut p = 7.037_683_6e-2;
    p = p * f - 1.151_461e-1;
    p = p * f + 1.167_699_9e-1;
    p = p * f - 1.242_014_1e-1;
    p = p * f + 1.424_932_3e-1;
    p = p * f - 1.666_805_8e-1;
    p = p * f + 2.000_071_4e-1;
    p = p * f - 2.499_999_4e-1;
    p = p * f + 3.333_333e-1;
    let mut y = p * f * z;
    y += ef * LN2_LO;
    y -= 0.5 * z;
    let v = (f + y) + ef * LN2_HI;

    if x > 0.0 && x < f32::INFINITY {
        v
    } else if x == 0.0 {
        f32::NEG_INFINITY
    } else if x < 0.0 {
        f32::NAN
    } else {
        x // +∞ or NaN
    }
}

/// The logistic function σ(x) = 1/(1 + e^(−x)).
///
/// With e = e^(−|x|), which is at most 1 and cannot overflow,
/// σ(x) = 1/(1 + e) for x ≥ 0 and e/(1 + e) for x < 0: the formula of
/// [`Float::sigmoid`](crate::Float::sigmoid), one division either way.
///
/// **Compensation.** Computed plainly, the error of e (half an ulp of e,
/// which can be an ulp of σ) and the rounding of 1 + e (up to 2⁻²⁴
/// relative) add to the division's half ulp: 2.2 ulp measured, as for
/// libm's formula. So e comes with its rounding error e_lo
/// ([`exp_hi_lo`]), the rounding error of 1 + e is recovered exactly
/// (Fast2Sum), and both are corrected for to first order, leaving little
/// more than the division's rounding.
///
/// **Saturation.** σ(x) = 1 exactly for x > 17.33, where e < 2⁻²⁵ and
/// the correctly rounded value is 1. (libm's formula gives 1 from 16.64
/// on, where 1 + e already rounds to 1; between the two the exact σ
/// rounds to 1 − 2⁻²⁴, which is what we return.) For x < 0, σ follows
/// e^x down through the subnormals to 0 exactly (x < −103.97), as libm's
/// formula. σ(+∞) = 1, σ(−∞) = 0; NaN stays NaN.
///
/// **Measured error:** at most 1.18 ulp (libm's formula: 2.40); 0.77
/// where the result is subnormal (see [`exp_lane`]).
#[inline(always)]
pub fn sigmoid_lane(x: f32) -> f32 {
    let (e, e_lo) = exp_hi_lo(-x.abs());
    let positive = x >= 0.0; // false for NaN: e (NaN) is then the numerator
    let (num, num_lo) = if positive { (1.0, 0.0) } else { (e, e_lo) };
    let d = 1.0 + e;
    let q = num / d;
    // The exact denominator 1 + e + e_lo is d + d_err (Fast2Sum), and
    // (num + num_lo)/(d + d_err) ≈ q + (num_lo − q·d_err)/d, where
    // 1/d ≈ σ(|x|), which is q or 1 − q.
    let d_err = ((1.0 - d) + e) + e_lo;
    let inv_d = if positive { q } else { 1.0 - q };
    q + (num_lo - q * d_err) * inv_d
}

/// Below this |x|, [`tanh_lane`] uses its polynomial (Cephes' switch).
const TANH_SMALL: f32 = 0.625;

/// Below this |x| (2⁻¹²), tanh x rounds to x: x³/3 is under half an ulp.
const TANH_TINY: f32 = 1.0 / 4096.0;

/// tanh x.
///
/// **Small |x| < 0.625:** tanh x ≈ x + x³·P(x²), P of degree 4 (Cephes
/// `tanhf`, minimax), so the relative accuracy holds down to 0 (and
/// tanh x = x exactly for tiny and subnormal x, −0 included).
///
/// **Otherwise:** with e = e^(−2|x|) ≤ e^(−1.25) ≈ 0.29 (no overflow, and
/// no cancellation in 1 − e ≥ 0.71), tanh|x| = (1 − e)/(1 + e), and the
/// sign of x copied onto it. It is exactly ±1 where the correctly
/// rounded tanh is (|x| > 9.01), as libm; tanh(±∞) = ±1; NaN stays NaN.
/// As in
/// [`sigmoid_lane`], the rounding errors of e, 1 − e and 1 + e are
/// carried and corrected for (1.5 ulp measured without).
///
/// **Measured error:** at most 1.03 ulp (libm: 2.19).
#[inline(always)]
pub fn tanh_lane(x: f32) -> f32 {
    let a = x.abs();

    // x + x³·P(x²), and x itself where the x³ term is below half an ulp
    // (so that tanh(−0) = −0: x + (+0) would give +0).
    let z = x * x;
    let mut p = -5.704_988_7e-3;
    p = p * z + 2.063_909e-2;
    p = p * z - 5.373_971_6e-2;
    p = p * z + 1.333_144_2e-1;
    p = p * z - 3.333_328e-1;
    let small = (p * z) * x + x;

    // (1 − e − e_lo)/(1 + e + e_lo) with both sums split into a rounded
    // value and its exact error (Fast2Sum, as e ≤ 1), corrected for to
    // first order: (n + n_err)/(d + d_err) ≈ q + (n_err − q·d_err)/d,
    // where 1/d = (1 + tanh|x|)/2 ≈ (1 + q)/2.
    let (e, e_lo) = exp_hi_lo(-(a + a));
    let (n, d) = (1.0 - e, 1.0 + e);
    let n_err = ((1.0 - n) - e) - e_lo;
    let d_err = ((1.0 - d) + e) + e_lo;
    let q = n / d;
    let large = (q + (n_err - q * d_err) * ((1.0 + q) * 0.5)).copysign(x);

    if a < TANH_TINY {
        x
    } else if a < TANH_SMALL {
        small
    } else {
        large
    }
}
