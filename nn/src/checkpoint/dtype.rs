//! Element types in a safetensors file and how they map to ours.
//!
//! # Reading
//!
//! Every tensor is converted to the model's float type `T`, **exactly** or
//! not at all:
//!
//! | stored dtype | becomes |
//! |---|---|
//! | `F32`, `F64` | the same value, rounded to nearest when an `F64` is read as `f32` |
//! | `F16`, `BF16` | the same value (every half-precision value is an `f32`) |
//! | `BOOL`, `U8`, `I8`, `I16`, `U16`, `I32`, `U32`, `I64`, `U64` | the same integer (`BOOL`: a zero byte is 0, any other 1) |
//!
//! An integer is exact in `T` only up to ±2^24 for `f32` and ±2^53 for
//! `f64` (the width of the significand): a larger one is a
//! [`CheckpointError::InexactInteger`] naming the tensor rather than a
//! silently rounded value. The 8-bit float formats (`F8_E5M2`, `F8_E4M3`)
//! are a [`StateDictError::DtypeMismatch`].
//!
//! # Writing
//!
//! Tensors are written in `T`'s own dtype (`F32` or `F64`), except the
//! buffers PyTorch keeps as integers ([`INTEGER_BUFFERS`]: BatchNorm's
//! `num_batches_tracked`), which are written as `I64` when every value is an
//! integer that `T` holds exactly, so that the file has PyTorch's dtypes and
//! reads back to the same values.

use super::error::CheckpointError;
use crate::state_dict::StateDictError;
use safetensors::tensor::TensorView;
use safetensors::Dtype;
use synann_tensor::{Float, Tensor};

/// The last name component of the buffers PyTorch stores as `int64`
/// (`bn.num_batches_tracked`); they are written as `I64`.
pub const INTEGER_BUFFERS: &[&str] = &["num_batches_tracked"];

/// Whether the tensor called `name` (dotted, as in a state dict) is one of
/// the [`INTEGER_BUFFERS`].
///
/// ```
/// use synann_nn::checkpoint::dtype::is_integer_buffer;
///
/// assert!(is_integer_buffer("fcb.num_batches_tracked"));
/// assert!(!is_integer_buffer("fcb.running_mean"));
/// ```
pub fn is_integer_buffer(name: &str) -> bool {
    let last = name.rsplit('.').next().unwrap_or(name);
    INTEGER_BUFFERS.contains(&last)
}

/// The largest integer magnitude below which every integer is exact in `T`:
/// 2^24 for `f32`, 2^53 for `f64` (2 / machine epsilon).
fn exact_integer_limit<T: Float>() -> f64 {
    2.0 / T::EPSILON.to_f64()
}

/// The little-endian bytes of a tensor's elements: `I64` for an integer
/// buffer holding exact integers, `T`'s own dtype otherwise.
pub(crate) fn encode<T: Float>(name: &str, t: &Tensor<T>) -> (Dtype, Vec<u8>) {
    let limit = exact_integer_limit::<T>();
    let integral = |v: f64| v.fract() == 0.0 && v.abs() <= limit;
    if is_integer_buffer(name) && t.data().iter().all(|v| integral(v.to_f64())) {
        let bytes = t
            .data()
            .iter()
            .flat_map(|v| (v.to_f64() as i64).to_le_bytes());
        return (Dtype::I64, bytes.collect());
    }
    match T::DTYPE {
        "F32" => {
            let bytes = t
                .data()
                .iter()
                .flat_map(|v| (v.to_f64() as f32).to_le_bytes());
            (Dtype::F32, bytes.collect())
        }
        _ => {
            let bytes = t.data().iter().flat_map(|v| v.to_f64().to_le_bytes());
            (Dtype::F64, bytes.collect())
        }
    }
}

/// The elements of `data`, `N` little-endian bytes each, read by `read`.
fn elements<'a, const N: usize, V: 'a>(
    data: &'a [u8],
    read: fn([u8; N]) -> V,
) -> impl Iterator<Item = V> + 'a {
    data.chunks_exact(N)
        .map(move |c| read(c.try_into().expect("chunks_exact(N) yields N bytes")))
}

/// An IEEE half-precision value (1 sign, 5 exponent, 10 fraction bits),
/// exactly as an `f32`.
fn f16_to_f32(bits: u16) -> f32 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exponent = i32::from((bits >> 10) & 0x1f);
    let fraction = f32::from(bits & 0x03ff);
    let magnitude = match exponent {
        // Subnormal: fraction/1024 · 2^−14.
        0 => fraction * 2f32.powi(-24),
        0x1f if fraction == 0.0 => f32::INFINITY,
        0x1f => f32::NAN,
        e => (1.0 + fraction / 1024.0) * 2f32.powi(e - 15),
    };
    sign * magnitude
}

/// A bfloat16 value: the top 16 bits of an `f32`.
fn bf16_to_f32(bits: u16) -> f32 {
    f32::from_bits(u32::from(bits) << 16)
}

/// The integer elements of an integer-typed view, or `None` for a float
/// dtype.
fn integers(view: &TensorView<'_>) -> Option<Vec<i128>> {
    let data = view.data();
    let ints: Vec<i128> = match view.dtype() {
        Dtype::BOOL => data.iter().map(|&b| i128::from(b != 0)).collect(),
        Dtype::U8 => data.iter().map(|&b| i128::from(b)).collect(),
        Dtype::I8 => elements(data, i8::from_le_bytes).map(i128::from).collect(),
        Dtype::I16 => elements(data, i16::from_le_bytes).map(i128::from).collect(),
        Dtype::U16 => elements(data, u16::from_le_bytes).map(i128::from).collect(),
        Dtype::I32 => elements(data, i32::from_le_bytes).map(i128::from).collect(),
        Dtype::U32 => elements(data, u32::from_le_bytes).map(i128::from).collect(),
        Dtype::I64 => elements(data, i64::from_le_bytes).map(i128::from).collect(),
        Dtype::U64 => elements(data, u64::from_le_bytes).map(i128::from).collect(),
        _ => return None,
    };
    Some(ints)
}

/// A tensor of element type `T` from a stored view (the conversions of the
/// [module docs](self)).
pub(crate) fn decode<T: Float>(
    name: &str,
    view: &TensorView<'_>,
) -> Result<Tensor<T>, CheckpointError> {
    let data = view.data();
    let values: Vec<T> = match view.dtype() {
        Dtype::F64 => elements(data, f64::from_le_bytes)
            .map(T::from_f64)
            .collect(),
        Dtype::F32 => elements(data, f32::from_le_bytes)
            .map(|v| T::from_f64(f64::from(v)))
            .collect(),
        Dtype::F16 => elements(data, u16::from_le_bytes)
            .map(|b| T::from_f64(f64::from(f16_to_f32(b))))
            .collect(),
        Dtype::BF16 => elements(data, u16::from_le_bytes)
            .map(|b| T::from_f64(f64::from(bf16_to_f32(b))))
            .collect(),
        other => {
            let Some(ints) = integers(view) else {
                return Err(StateDictError::DtypeMismatch {
                    name: name.to_string(),
                    expected: "a float (F16, BF16, F32, F64) or integer dtype".to_string(),
                    found: format!("{other:?}"),
                }
                .into());
            };
            let limit = exact_integer_limit::<T>() as u128;
            if let Some(&value) = ints.iter().find(|v| v.unsigned_abs() > limit) {
                return Err(CheckpointError::InexactInteger {
                    name: name.to_string(),
                    value,
                    dtype: T::DTYPE.to_string(),
                });
            }
            // |v| ≤ 2^53: exact in f64, and ≤ 2^24 (exact in f32) for f32.
            ints.into_iter().map(|v| T::from_f64(v as f64)).collect()
        }
    };
    // The safetensors crate has already checked that the byte length matches
    // the shape and dtype, so this cannot panic.
    Ok(Tensor::from_vec(values, view.shape()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_precision_decodes_exactly() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x7bff), 65504.0); // the largest finite
        assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24)); // the smallest subnormal
        assert_eq!(f16_to_f32(0x3555), 0.333_251_95); // 1/3 rounded to 10 bits
        assert_eq!(f16_to_f32(0x7c00), f32::INFINITY);
        assert!(f16_to_f32(0x7e00).is_nan());
        assert_eq!(bf16_to_f32(0x3f80), 1.0);
        assert_eq!(bf16_to_f32(0xc0a0), -5.0);
    }

    #[test]
    fn exact_integer_limits_are_the_significand_widths() {
        assert_eq!(exact_integer_limit::<f32>(), 16_777_216.0);
        assert_eq!(exact_integer_limit::<f64>(), 9_007_199_254_740_992.0);
    }
}
