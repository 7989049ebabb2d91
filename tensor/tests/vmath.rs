//! The vectorised f32 kernels of `vmath` against the exact functions
//! (computed in f64, whose error is far below an f32 ulp) and against
//! libm's scalar reference kernels, on every instruction set this CPU
//! supports.
//!
//! Errors are measured in ulp of the exact result: |got − exact| / ulp,
//! where ulp is the spacing of f32 at |exact| (2⁻¹⁴⁹ below the smallest
//! normal), and ±∞ counts as ±2¹²⁸, the next power of two after the
//! largest float. A correctly rounded result has an error of at most 0.5.
//!
//! What is asserted, for each function:
//! - over a sweep of every 251st of the 2³² bit patterns, dense sweeps of
//!   the interesting ranges (subnormals, thresholds, the switch between
//!   two formulas), and the special points: the error is at most the
//!   function's bound where the exact result is normal (exp 0.75, ln 1,
//!   sigmoid 1.25, tanh 1.25 ulp), at most 0.8 ulp where it is subnormal
//!   (rounded twice), and NaN exactly where the exact result is NaN;
//! - wherever libm gives a saturated value (0, ±1 or ±∞) that is also the
//!   correctly rounded one, the kernel gives exactly that value;
//! - every instruction set gives the same bits (NaNs: NaN on all).
//!
//! The bounds are the maxima measured over all 2³² inputs (the ignored
//! test `exhaustive`) rounded up a little; libm's errors are printed next
//! to ours for comparison.

use synann_tensor::vmath::{self, reference, Isa};

/// One function under test.
struct Func {
    name: &'static str,
    fast: fn(Isa, &[f32], &mut [f32]),
    reference: fn(&[f32], &mut [f32]),
    exact: fn(f64) -> f64,
    /// The largest error (ulp) asserted.
    bound: f64,
}

fn exact_sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

const EXP: Func = Func {
    name: "exp",
    fast: vmath::exp_with,
    reference: reference::exp,
    exact: f64::exp,
    bound: 0.75,
};
const LN: Func = Func {
    name: "ln",
    fast: vmath::ln_with,
    reference: reference::ln,
    exact: f64::ln,
    bound: 1.0,
};
const SIGMOID: Func = Func {
    name: "sigmoid",
    fast: vmath::sigmoid_with,
    reference: reference::sigmoid,
    exact: exact_sigmoid,
    bound: 1.25,
};
const TANH: Func = Func {
    name: "tanh",
    fast: vmath::tanh_with,
    reference: reference::tanh,
    exact: f64::tanh,
    bound: 1.25,
};

/// The error of `got` in ulp of `exact` (see the module docs).
fn ulp_error(got: f32, exact: f64) -> f64 {
    let rounded = exact as f32;
    if got.is_nan() || rounded.is_nan() {
        return if got.is_nan() && rounded.is_nan() {
            0.0
        } else {
            f64::INFINITY
        };
    }
    if got == rounded && got.is_infinite() {
        return 0.0;
    }
    let big = 2f64.powi(128);
    let got = if got.is_infinite() {
        big.copysign(got as f64)
    } else {
        got as f64
    };
    let exact = exact.clamp(-big, big);
    let e = ((exact.abs().to_bits() >> 52) as i32 - 1023).max(-126);
    (got - exact).abs() / 2f64.powi(e - 23)
}

fn is_saturated(v: f32) -> bool {
    v == 0.0 || v.abs() == 1.0 || v.is_infinite()
}

/// The largest errors found, and where: over the points whose exact
/// result is a normal float (or 0, ∞), and over those whose exact result
/// is subnormal.
#[derive(Default)]
struct Worst {
    normal: f64,
    normal_at: f32,
    subnormal: f64,
    subnormal_at: f32,
    checked: usize,
}

impl Worst {
    fn add(&mut self, err: f64, at: f32, exact: f64) {
        self.checked += 1;
        let (worst, worst_at) = if exact != 0.0 && exact.abs() < f32::MIN_POSITIVE as f64 {
            (&mut self.subnormal, &mut self.subnormal_at)
        } else {
            (&mut self.normal, &mut self.normal_at)
        };
        if err > *worst || err.is_nan() {
            *worst = err;
            *worst_at = at;
        }
    }
}

/// Runs `f` on `x` with every supported instruction set, checks that they
/// agree bit for bit and that saturated values match libm, and adds the
/// errors of the fast kernel and of libm to `fast` and `libm`.
fn check(f: &Func, x: &[f32], fast: &mut Worst, libm: &mut Worst) {
    let isas = Isa::all_supported();
    let mut outs: Vec<Vec<f32>> = Vec::new();
    for &isa in &isas {
        let mut out = vec![0.0; x.len()];
        (f.fast)(isa, x, &mut out);
        outs.push(out);
    }
    let mut lib = vec![0.0; x.len()];
    (f.reference)(x, &mut lib);
    let got = &outs[0];
    for (isa, other) in isas.iter().zip(&outs).skip(1) {
        for ((&a, &b), &v) in got.iter().zip(other).zip(x) {
            assert!(
                a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                "{}({v:e}): {a:e} with {:?}, {b:e} with {isa:?}",
                f.name,
                isas[0]
            );
        }
    }
    for ((&v, &g), &l) in x.iter().zip(got).zip(&lib) {
        let exact = (f.exact)(v as f64);
        fast.add(ulp_error(g, exact), v, exact);
        libm.add(ulp_error(l, exact), v, exact);
        if is_saturated(l) && l == exact as f32 {
            assert!(
                g.to_bits() == l.to_bits(),
                "{}({v:e}) = {g:e}, libm saturates to {l:e}",
                f.name
            );
        }
    }
}

/// Stride through all 2³² bit patterns in the tests (odd, so every
/// low-bit pattern occurs); `exhaustive` takes them all.
const STRIDE: u64 = 251;

/// The largest error asserted where the exact result is subnormal, for
/// every function: a subnormal result is rounded twice (see
/// `kernels::exp_lane`), 0.5 + 0.27 ulp at worst.
const SUBNORMAL_BOUND: f64 = 0.8;

/// Every `step`-th f32 in [lo, hi] (same sign), by bit pattern.
fn dense(lo: f32, hi: f32, step: u32) -> Vec<f32> {
    let (a, b) = (
        lo.to_bits().min(hi.to_bits()),
        lo.to_bits().max(hi.to_bits()),
    );
    (a..=b).step_by(step as usize).map(f32::from_bits).collect()
}

/// Points every function is checked at: the special values, the ends of
/// the float range, and ±(small integers, halves).
fn special_points() -> Vec<f32> {
    let mut v = vec![
        0.0,
        -0.0,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        -f32::NAN,
        f32::MIN_POSITIVE,
        f32::from_bits(1),
        f32::from_bits(0x007f_ffff),
        f32::MAX,
        f32::EPSILON,
        1.0 - f32::EPSILON / 2.0,
        1.0 + f32::EPSILON,
        // exp: the overflow and underflow thresholds.
        88.722_83,
        88.722_84,
        88.722_85,
        -87.336_55,
        -103.972_08,
        -103.972_09,
        -104.0,
        // sigmoid: where it reaches 1; tanh: the switch and ±1.
        16.635_532,
        16.635_534,
        0.625,
        0.624_999_94,
        9.010_913,
        9.010_914,
    ];
    for i in -200..=200 {
        v.push(i as f32 * 0.5);
    }
    let neg: Vec<f32> = v.iter().map(|x| -x).collect();
    v.extend(neg);
    v
}

/// The whole test of one function: specials, dense ranges, the sweep of
/// every `stride`-th bit pattern.
fn test_function(f: &Func, dense_ranges: &[(f32, f32, u32)], stride: u64) {
    let (mut fast, mut libm) = (Worst::default(), Worst::default());
    check(f, &special_points(), &mut fast, &mut libm);
    for &(lo, hi, step) in dense_ranges {
        check(f, &dense(lo, hi, step), &mut fast, &mut libm);
    }
    let mut batch = Vec::with_capacity(1 << 16);
    let mut bits = 0u64;
    while bits < 1 << 32 {
        batch.clear();
        while bits < 1 << 32 && batch.len() < 1 << 16 {
            batch.push(f32::from_bits(bits as u32));
            bits += stride;
        }
        check(f, &batch, &mut fast, &mut libm);
    }
    println!(
        "{}: max error {:.3} ulp at {:e}, subnormal results {:.3} ulp at {:e} \
         (libm {:.3} ulp at {:e}, subnormal {:.3}), {} points, {:?}",
        f.name,
        fast.normal,
        fast.normal_at,
        fast.subnormal,
        fast.subnormal_at,
        libm.normal,
        libm.normal_at,
        libm.subnormal,
        fast.checked,
        Isa::all_supported()
    );
    assert!(
        fast.normal <= f.bound,
        "{}: error {} ulp at {:e} (bits {:#010x}) above the bound {}",
        f.name,
        fast.normal,
        fast.normal_at,
        fast.normal_at.to_bits(),
        f.bound
    );
    assert!(
        fast.subnormal <= SUBNORMAL_BOUND,
        "{}: error {} ulp at {:e} (bits {:#010x}), a subnormal result, above {}",
        f.name,
        fast.subnormal,
        fast.subnormal_at,
        fast.subnormal_at.to_bits(),
        SUBNORMAL_BOUND
    );
}

/// The dense ranges of each function (step in bit patterns).
const EXP_RANGES: &[(f32, f32, u32)] = &[
    // Subnormal results, the overflow threshold, around 0.
    (-104.0, -87.0, 1),
    (88.0, 89.0, 1),
    (-1e-3, -1e-9, 127),
    (1e-9, 1e-3, 127),
];
const LN_RANGES: &[(f32, f32, u32)] = &[
    // Subnormal inputs, and around 1 (where ln x is small).
    (1.0e-45, f32::MIN_POSITIVE, 3),
    (0.5, 2.0, 5),
];
const SIGMOID_RANGES: &[(f32, f32, u32)] = &[
    // Subnormal results, saturation at 1, around 0.
    (-104.0, -87.0, 1),
    (15.0, 18.0, 1),
    (-1e-3, -1e-9, 127),
    (1e-9, 1e-3, 127),
];
const TANH_RANGES: &[(f32, f32, u32)] = &[
    // The polynomial's switch, saturation at ±1, around 0.
    (0.6, 0.65, 1),
    (-0.65, -0.6, 1),
    (8.9, 9.1, 1),
    (-9.1, -8.9, 1),
    (1e-9, 1e-3, 127),
];

#[test]
fn exp_within_bound() {
    test_function(&EXP, EXP_RANGES, STRIDE);
}

#[test]
fn ln_within_bound() {
    test_function(&LN, LN_RANGES, STRIDE);
}

#[test]
fn sigmoid_within_bound() {
    test_function(&SIGMOID, SIGMOID_RANGES, STRIDE);
}

#[test]
fn tanh_within_bound() {
    test_function(&TANH, TANH_RANGES, STRIDE);
}

/// All 2³² inputs of all four functions: minutes in a release build, so
/// ignored by default. Run it after changing a kernel:
/// `cargo test --release -p synann-tensor --test main vmath::exhaustive -- --ignored --nocapture`.
#[test]
#[ignore]
fn exhaustive() {
    for (f, ranges) in [
        (&EXP, EXP_RANGES),
        (&LN, LN_RANGES),
        (&SIGMOID, SIGMOID_RANGES),
        (&TANH, TANH_RANGES),
    ] {
        test_function(f, ranges, 1);
    }
}

/// `f(x) == want` bit for bit (any NaN for a NaN), for each pair, and
/// NaN for NaN.
fn expect(name: &str, f: fn(&[f32], &mut [f32]), pairs: &[(f32, f32)]) {
    let pairs: Vec<(f32, f32)> = pairs
        .iter()
        .copied()
        .chain([(f32::NAN, f32::NAN)])
        .collect();
    let x: Vec<f32> = pairs.iter().map(|p| p.0).collect();
    let mut out = vec![0.0; x.len()];
    f(&x, &mut out);
    for (&(v, want), &got) in pairs.iter().zip(&out) {
        assert!(
            got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
            "{name}({v}) = {got}, want {want}"
        );
    }
}

/// The special values, exactly as libm gives them.
#[test]
fn special_values_as_libm() {
    let (inf, nan) = (f32::INFINITY, f32::NAN);
    expect(
        "exp",
        vmath::exp,
        &[
            (0.0, 1.0),
            (-0.0, 1.0),
            (inf, inf),
            (-inf, 0.0),
            (100.0, inf),
            (-200.0, 0.0),
        ],
    );
    expect(
        "ln",
        vmath::ln,
        &[
            (1.0, 0.0),
            (0.0, -inf),
            (-0.0, -inf),
            (inf, inf),
            (-1.0, nan),
            (-inf, nan),
        ],
    );
    expect(
        "sigmoid",
        vmath::sigmoid,
        &[
            (0.0, 0.5),
            (-0.0, 0.5),
            (inf, 1.0),
            (-inf, 0.0),
            (20.0, 1.0),
            (-110.0, 0.0),
        ],
    );
    expect(
        "tanh",
        vmath::tanh,
        &[
            (0.0, 0.0),
            (-0.0, -0.0),
            (inf, 1.0),
            (-inf, -1.0),
            (10.0, 1.0),
            (-10.0, -1.0),
        ],
    );
    // Subnormal x: ln is finite and accurate; tanh x = x.
    let sub = [
        f32::from_bits(1),
        f32::from_bits(0x0040_0000),
        f32::from_bits(0x007f_ffff),
    ];
    let mut out = [0.0; 3];
    vmath::tanh(&sub, &mut out);
    assert_eq!(out, sub);
    vmath::ln(&sub, &mut out);
    assert_eq!(out[0], (f32::from_bits(1)).ln());
}

/// Every length (the padded last piece included) gives the values of
/// whole blocks, and a mismatched output panics.
#[test]
fn any_length() {
    let x: Vec<f32> = (0..40).map(|i| i as f32 * 0.37 - 7.0).collect();
    let mut whole = vec![0.0; 40];
    vmath::tanh(&x, &mut whole);
    for len in 0..40 {
        let mut out = vec![0.0; len];
        vmath::tanh(&x[40 - len..], &mut out);
        assert_eq!(out, whole[40 - len..], "len {len}");
    }
    assert!(std::panic::catch_unwind(|| vmath::exp(&[1.0, 2.0], &mut [0.0])).is_err());
}

/// The f32 tensor methods go through the kernels, f64 through libm.
#[test]
fn tensors_use_the_kernels() {
    use synann_tensor::Tensor;
    let v: Vec<f32> = (0..100_000).map(|i| (i as f32 - 50_000.0) * 1e-3).collect();
    let t = Tensor::from_vec(v.clone(), &[100, 1000]);
    let mut want = vec![0.0; v.len()];
    vmath::sigmoid(&v, &mut want);
    assert_eq!(t.sigmoid().data(), &want[..]);
    vmath::exp(&v, &mut want);
    assert_eq!(t.exp().data(), &want[..]);
    let t64: Tensor<f64> = t.cast();
    let y = t64.tanh();
    assert!(y
        .data()
        .iter()
        .zip(&v)
        .all(|(&y, &x)| y == (x as f64).tanh()));
}
