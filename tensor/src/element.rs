//! The element types a tensor can hold.
//!
//! Everything in synann is generic over [`Float`], implemented for `f32`
//! (training) and `f64` (gradient checks). The trait lists the scalar
//! operations the kernels use, so a reader can see the whole numeric surface
//! in one place, and two hooks that are not scalar operations but need to
//! know the concrete type:
//!
//! - [`Float::gemm`], the matrix product, dispatched to matrixmultiply's
//!   `sgemm` or `dgemm`;
//! - [`Float::as_f32_slice`] (and its `_mut` twin), the one way a generic
//!   kernel takes a hand-vectorised `f32` path: it returns `Some` exactly
//!   when the elements are `f32`, so the `f32` kernel is called on the
//!   slices it returned and every other type falls through to the generic
//!   code (the AVX-512 first-layer convolution and the synapse kernels of
//!   `synann` use it).

use std::fmt::{Debug, Display};
use std::iter::Sum;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

/// A floating-point element type: `f32` or `f64`.
pub trait Float:
    Copy
    + Clone
    + Debug
    + Display
    + Default
    + PartialEq
    + PartialOrd
    + Send
    + Sync
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + Sum
{
    /// The type's name as safetensors and PyTorch spell it (`"F32"`, `"F64"`).
    const DTYPE: &'static str;
    /// 0.
    const ZERO: Self;
    /// 1.
    const ONE: Self;
    /// Machine epsilon.
    const EPSILON: Self;
    /// +∞.
    const INFINITY: Self;
    /// −∞.
    const NEG_INFINITY: Self;

    /// Converts from `f64` (rounding for `f32`).
    fn from_f64(v: f64) -> Self;
    /// Converts to `f64` (exact).
    fn to_f64(self) -> f64;
    /// Converts from `usize`.
    fn from_usize(v: usize) -> Self {
        Self::from_f64(v as f64)
    }
    /// e^x.
    fn exp(self) -> Self;
    /// Natural logarithm.
    fn ln(self) -> Self;
    /// ln(1 + x), accurate near 0.
    fn ln_1p(self) -> Self;
    /// e^x − 1, accurate near 0.
    fn exp_m1(self) -> Self;
    /// Square root.
    fn sqrt(self) -> Self;
    /// self·a + b with a single rounding (fused multiply-add). One
    /// instruction where the compiled code may use FMA (x86-64 with the
    /// `fma` target feature, AArch64); a much slower, still exact, library
    /// routine otherwise. Compensated (error-free) arithmetic needs it: the
    /// rounding error of a product p = fl(a·b) is exactly `a.mul_add(b, -p)`.
    fn mul_add(self, a: Self, b: Self) -> Self;
    /// |x|.
    fn abs(self) -> Self;
    /// Hyperbolic tangent.
    fn tanh(self) -> Self;
    /// x^p for a real exponent p.
    fn powf(self, p: Self) -> Self;
    /// x^n for an integer exponent n.
    fn powi(self, n: i32) -> Self;
    /// The larger of two values (NaN-ignoring like `f32::max`).
    fn max(self, other: Self) -> Self;
    /// The smaller of two values.
    fn min(self, other: Self) -> Self;
    /// Whether the value is neither infinite nor NaN.
    fn is_finite(self) -> bool;
    /// Whether the value is NaN.
    fn is_nan(self) -> bool;
    /// Largest integer ≤ x.
    fn floor(self) -> Self;
    /// The logistic function 1 / (1 + e^(−x)), computed without overflow.
    fn sigmoid(self) -> Self {
        if self >= Self::ZERO {
            Self::ONE / (Self::ONE + (-self).exp())
        } else {
            let e = self.exp();
            e / (Self::ONE + e)
        }
    }
    /// The softplus ln(1 + eˣ), computed without overflow as
    /// max(x, 0) + ln(1 + e^(−|x|)).
    fn softplus(self) -> Self {
        self.max(Self::ZERO) + (-self.abs()).exp().ln_1p()
    }
    /// GEMM: C = alpha·A·B + beta·C, with arbitrary row/column strides
    /// (in elements), dispatched to `matrixmultiply`.
    ///
    /// # Safety
    /// The pointers and strides must describe valid `m×k`, `k×n` and `m×n`
    /// matrices inside live allocations; `c` must not alias `a` or `b`.
    #[allow(clippy::too_many_arguments)]
    unsafe fn gemm(
        m: usize,
        k: usize,
        n: usize,
        alpha: Self,
        a: *const Self,
        rsa: isize,
        csa: isize,
        b: *const Self,
        rsb: isize,
        csb: isize,
        beta: Self,
        c: *mut Self,
        rsc: isize,
        csc: isize,
    );

    /// The slice itself as `&[f32]` when `Self` is `f32`, else `None`.
    ///
    /// The one way a kernel written for any `Float` takes its `f32` path
    /// (a hand-vectorised single-precision version) without an `unsafe`
    /// cast: cast every slice the `f32` kernel needs in one `if let`, and
    /// let the generic code handle the `None` case.
    ///
    /// ```
    /// use synann_tensor::Float;
    /// fn sum<T: Float>(v: &[T]) -> f64 {
    ///     if let Some(v) = T::as_f32_slice(v) {
    ///         return v.iter().sum::<f32>() as f64; // the f32-only kernel
    ///     }
    ///     v.iter().map(|x| x.to_f64()).sum()
    /// }
    /// assert_eq!(sum(&[1.5f32, 2.0]), 3.5);
    /// assert_eq!(sum(&[1.5f64, 2.0]), 3.5);
    /// assert!(f64::as_f32_slice(&[1.0]).is_none());
    /// ```
    fn as_f32_slice(s: &[Self]) -> Option<&[f32]>;
    /// Mutable counterpart of [`Float::as_f32_slice`].
    fn as_f32_slice_mut(s: &mut [Self]) -> Option<&mut [f32]>;
}

macro_rules! impl_float {
    ($t:ty, $name:literal, $gemm:path, $as_f32:expr, $as_f32_mut:expr) => {
        impl Float for $t {
            const DTYPE: &'static str = $name;
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const EPSILON: Self = <$t>::EPSILON;
            const INFINITY: Self = <$t>::INFINITY;
            const NEG_INFINITY: Self = <$t>::NEG_INFINITY;

            #[inline]
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline]
            fn exp(self) -> Self {
                <$t>::exp(self)
            }
            #[inline]
            fn ln(self) -> Self {
                <$t>::ln(self)
            }
            #[inline]
            fn ln_1p(self) -> Self {
                <$t>::ln_1p(self)
            }
            #[inline]
            fn exp_m1(self) -> Self {
                <$t>::exp_m1(self)
            }
            #[inline]
            fn sqrt(self) -> Self {
                <$t>::sqrt(self)
            }
            #[inline]
            fn mul_add(self, a: Self, b: Self) -> Self {
                <$t>::mul_add(self, a, b)
            }
            #[inline]
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            #[inline]
            fn tanh(self) -> Self {
                <$t>::tanh(self)
            }
            #[inline]
            fn powf(self, p: Self) -> Self {
                <$t>::powf(self, p)
            }
            #[inline]
            fn powi(self, n: i32) -> Self {
                <$t>::powi(self, n)
            }
            #[inline]
            fn max(self, other: Self) -> Self {
                <$t>::max(self, other)
            }
            #[inline]
            fn min(self, other: Self) -> Self {
                <$t>::min(self, other)
            }
            #[inline]
            fn is_finite(self) -> bool {
                <$t>::is_finite(self)
            }
            #[inline]
            fn is_nan(self) -> bool {
                <$t>::is_nan(self)
            }
            #[inline]
            fn floor(self) -> Self {
                <$t>::floor(self)
            }
            #[inline]
            unsafe fn gemm(
                m: usize,
                k: usize,
                n: usize,
                alpha: Self,
                a: *const Self,
                rsa: isize,
                csa: isize,
                b: *const Self,
                rsb: isize,
                csb: isize,
                beta: Self,
                c: *mut Self,
                rsc: isize,
                csc: isize,
            ) {
                // SAFETY: forwarded verbatim; the caller upholds the contract
                // documented on `Float::gemm`, which is matrixmultiply's.
                unsafe { $gemm(m, k, n, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc) }
            }
            #[inline]
            fn as_f32_slice(s: &[Self]) -> Option<&[f32]> {
                $as_f32(s)
            }
            #[inline]
            fn as_f32_slice_mut(s: &mut [Self]) -> Option<&mut [f32]> {
                $as_f32_mut(s)
            }
        }
    };
}

impl_float!(f32, "F32", matrixmultiply::sgemm, Some, Some);
impl_float!(f64, "F64", matrixmultiply::dgemm, |_| None, |_| None);
