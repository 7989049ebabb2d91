//! Vectorised f32 e^x, ln x, σ(x) and tanh x over slices.
//!
//! The standard library's `f32::exp` and friends call libm once per
//! element; in recurrent models (a sigmoid and a tanh per gate and step)
//! those calls showed up in profiles. The kernels here compute the same
//! functions with a range reduction and a polynomial, written as
//! branch-free code over blocks of 16 elements, which LLVM turns into SIMD
//! instructions. [`Tensor<f32>`](crate::Tensor)'s `exp`, `ln`, `sigmoid`
//! and `tanh` (and so softmax and friends) use them; f64 tensors, used for
//! gradient checks, keep libm.
//!
//! | function | method | max error measured |
//! |---|---|---|
//! | [`exp`] | x = k·ln 2 + r, degree-5 polynomial, 2^k from the exponent bits | 0.71 ulp (subnormal results 0.77) |
//! | [`ln`] | x = m·2^e, m in [√½, √2), degree-8 polynomial in m − 1 | 0.83 ulp |
//! | [`sigmoid`] | 1/(1 + e) or e/(1 + e) with e = e^(−\|x\|), compensated | 1.18 ulp (subnormal results 0.77) |
//! | [`tanh`] | polynomial below 0.625, else (1 − e)/(1 + e), e = e^(−2\|x\|), compensated | 1.03 ulp |
//!
//! Errors are in ulp of the exact result (computed in f64), over all 2³²
//! inputs (libm, for comparison: exp 0.50, ln 0.82, its sigmoid formula
//! 2.40, tanh 2.19 ulp). The tests (`tests/vmath.rs`) assert bounds just
//! above these on every 251st bit pattern plus dense ranges and special
//! points; their ignored test `exhaustive` runs all inputs.
//!
//! Special values behave as in libm: NaN in, NaN out; exp overflows to
//! +∞ and underflows through the subnormals (rounded twice: at most 0.77
//! ulp there) to 0; ln(±0) = −∞, ln of a negative number is NaN,
//! subnormal inputs are handled; σ and tanh reach exactly 0, 1 and ±1
//! wherever libm does and the correctly rounded value is that (libm's
//! sigmoid formula gives 1 from x = 16.64 on, where the exact σ still
//! rounds to 1 − 2⁻²⁴; we give 1 from 17.33 on). The maths of each
//! function is documented next to its code (`kernels.rs`).
//!
//! **Instruction sets.** The code is compiled three times on x86-64
//! (baseline SSE2, AVX2, AVX-512) and the widest version this CPU supports
//! runs ([`Isa`], shared with `synann`'s synapse kernels). The kernels
//! use no fused multiply-add: the baseline build has no FMA instruction,
//! and `f32::mul_add` there is a slow library call, so using FMA where it
//! exists would make the results depend on the CPU. Without it every
//! operation is an IEEE-rounded +, −, ×, ÷ or a bit operation, so all
//! three builds give bitwise identical results (tested); the accuracy
//! above is reached without FMA.
//!
//! Every fast kernel has its plain reference kernel beside it, in
//! [`reference`](mod@reference), with libm's scalar functions.

mod kernels;
pub mod reference;

pub use crate::isa::Isa;

/// Panics, naming both lengths, unless `x` and `out` are as long.
fn check_lengths(x: &[f32], out: &[f32]) {
    assert_eq!(
        x.len(),
        out.len(),
        "vmath: {} inputs for {} outputs",
        x.len(),
        out.len()
    );
}

/// Defines, for one lane function of `kernels`, the public kernel with the
/// detected instruction set, its `_with` form, and the AVX2 and AVX-512
/// builds it dispatches to.
macro_rules! kernel {
    ($(#[$doc:meta])* $name:ident, $with:ident, $lane:path) => {
        $(#[$doc])*
        ///
        /// `x` and `out` must have the same length (panics otherwise).
        /// Runs with the widest instruction set of this CPU; all give the
        /// same bits.
        pub fn $name(x: &[f32], out: &mut [f32]) {
            $with(Isa::detect(), x, out);
        }

        #[doc = concat!("[`", stringify!($name), "`] compiled for `isa` (panics if this CPU does not support it).")]
        pub fn $with(isa: Isa, x: &[f32], out: &mut [f32]) {
            isa.assert_supported("vmath");
            #[cfg(target_arch = "x86_64")]
            {
                /// The kernel compiled with AVX2.
                ///
                /// # Safety
                /// The CPU must support AVX2.
                #[target_feature(enable = "avx2")]
                unsafe fn avx2(x: &[f32], out: &mut [f32]) {
                    kernels::run(x, out, $lane)
                }

                /// The kernel compiled with AVX-512.
                ///
                /// # Safety
                /// The CPU must support AVX-512F and AVX2.
                #[target_feature(enable = "avx512f,avx2")]
                unsafe fn avx512(x: &[f32], out: &mut [f32]) {
                    kernels::run(x, out, $lane)
                }

                match isa {
                    // SAFETY: this CPU supports AVX-512F and AVX2 (asserted
                    // above); the function is safe code otherwise.
                    Isa::Avx512 => return unsafe { avx512(x, out) },
                    // SAFETY: this CPU supports AVX2 (asserted above).
                    Isa::Avx2 => return unsafe { avx2(x, out) },
                    Isa::Baseline => {}
                }
            }
            kernels::run(x, out, $lane)
        }
    };
}

kernel!(
    /// `out[i] = e^x[i]` (see the module docs for accuracy and special
    /// values).
    exp,
    exp_with,
    kernels::exp_lane
);
kernel!(
    /// `out[i] = ln x[i]` (see the module docs for accuracy and special
    /// values).
    ln,
    ln_with,
    kernels::ln_lane
);
kernel!(
    /// `out[i] = 1/(1 + e^(−x[i]))`, the logistic sigmoid (see the module
    /// docs for accuracy and special values).
    sigmoid,
    sigmoid_with,
    kernels::sigmoid_lane
);
kernel!(
    /// `out[i] = tanh x[i]` (see the module docs for accuracy and special
    /// values).
    tanh,
    tanh_with,
    kernels::tanh_lane
);
