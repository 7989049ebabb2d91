//! The reference kernels: the same four functions with the standard
//! library's scalar `f32` functions (libm), one element at a time. The
//! fast kernels are tested against these (and against an f64
//! computation), and f64 tensors keep using the scalar functions.

use crate::element::Float;

/// e^x with libm's `expf`.
pub fn exp(x: &[f32], out: &mut [f32]) {
    map(x, out, f32::exp);
}

/// ln x with libm's `logf`.
pub fn ln(x: &[f32], out: &mut [f32]) {
    map(x, out, f32::ln);
}

/// σ(x) with [`Float::sigmoid`]'s formula over libm's `expf`.
pub fn sigmoid(x: &[f32], out: &mut [f32]) {
    map(x, out, <f32 as Float>::sigmoid);
}

/// tanh x with libm's `tanhf`.
pub fn tanh(x: &[f32], out: &mut [f32]) {
    map(x, out, f32::tanh);
}

fn map(x: &[f32], out: &mut [f32], f: impl Fn(f32) -> f32) {
    super::check_lengths(x, out);
    for (o, &v) in out.iter_mut().zip(x) {
        *o = f(v);
    }
}
