//! Unary element-wise maps.
//!
//! `exp`, `ln`, `sigmoid` and `tanh` of f32 tensors run the vectorised
//! kernels of [`vmath`](crate::vmath) on each block; every other map, and
//! f64, applies the scalar function element by element.

use crate::element::Float;
use crate::parallel::for_each_block;
use crate::tensor::Tensor;
use crate::vmath;

/// Elements per block of the (possibly parallel) maps.
const BLOCK: usize = 1 << 14;

impl<T: Float> Tensor<T> {
    /// Applies `f` to every element (in parallel for large tensors).
    pub fn map(&self, f: impl Fn(T) -> T + Sync + Send) -> Self {
        self.map_blocks(|src, dst| {
            for (o, &v) in dst.iter_mut().zip(src) {
                *o = f(v);
            }
        })
    }

    /// Applies `f` to every element in place (in parallel for large
    /// tensors): [`Tensor::map`] without a new buffer.
    pub fn map_(&mut self, f: impl Fn(T) -> T + Sync + Send) {
        let n = self.numel();
        for_each_block(self.data_mut(), BLOCK, n, |_, block| {
            for v in block {
                *v = f(*v);
            }
        });
    }

    /// [`Tensor::map`] with a slice kernel for f32: each block of an f32
    /// tensor goes through `fast`, any other type through `f`.
    fn map_with_f32_kernel(
        &self,
        fast: fn(&[f32], &mut [f32]),
        f: impl Fn(T) -> T + Sync + Send,
    ) -> Self {
        self.map_blocks(|src, dst| {
            if let (Some(src), Some(dst)) = (T::as_f32_slice(src), T::as_f32_slice_mut(dst)) {
                fast(src, dst);
            } else {
                for (o, &v) in dst.iter_mut().zip(src) {
                    *o = f(v);
                }
            }
        })
    }

    /// A tensor of this shape whose elements `block(src, dst)` writes, one
    /// [`BLOCK`] of the input at a time (blocks in parallel for large
    /// tensors).
    fn map_blocks(&self, block: impl Fn(&[T], &mut [T]) + Sync + Send) -> Self {
        let a = self.data();
        let mut out = vec![T::ZERO; a.len()];
        for_each_block(&mut out, BLOCK, a.len() * 4, |i, dst| {
            block(&a[i * BLOCK..i * BLOCK + dst.len()], dst);
        });
        Tensor::from_vec(out, self.shape())
    }

    /// −x.
    pub fn neg(&self) -> Self {
        self.map(|x| -x)
    }
    /// e^x (f32: [`vmath::exp`]).
    pub fn exp(&self) -> Self {
        self.map_with_f32_kernel(vmath::exp, T::exp)
    }
    /// ln x (f32: [`vmath::ln`]).
    pub fn ln(&self) -> Self {
        self.map_with_f32_kernel(vmath::ln, T::ln)
    }
    /// ln(1 + x).
    pub fn ln_1p(&self) -> Self {
        self.map(T::ln_1p)
    }
    /// e^x − 1.
    pub fn exp_m1(&self) -> Self {
        self.map(T::exp_m1)
    }
    /// √x.
    pub fn sqrt(&self) -> Self {
        self.map(T::sqrt)
    }
    /// |x|.
    pub fn abs(&self) -> Self {
        self.map(T::abs)
    }
    /// max(x, 0).
    pub fn relu(&self) -> Self {
        self.map(|x| if x > T::ZERO { x } else { T::ZERO })
    }
    /// 1 / (1 + e^(−x)) (f32: [`vmath::sigmoid`]).
    pub fn sigmoid(&self) -> Self {
        self.map_with_f32_kernel(vmath::sigmoid, T::sigmoid)
    }
    /// ln(1 + eˣ), without overflow.
    pub fn softplus(&self) -> Self {
        self.map(T::softplus)
    }
    /// tanh x (f32: [`vmath::tanh`]).
    pub fn tanh(&self) -> Self {
        self.map_with_f32_kernel(vmath::tanh, T::tanh)
    }
    /// x^p for a scalar exponent.
    pub fn powf(&self, p: T) -> Self {
        self.map(|x| x.powf(p))
    }
    /// Clamps every element into `[min, max]`.
    pub fn clamp(&self, min: T, max: T) -> Self {
        assert!(min <= max, "clamp: min {min} > max {max}");
        self.map(|x| {
            if x < min {
                min
            } else if x > max {
                max
            } else {
                x
            }
        })
    }
    /// x + s.
    pub fn add_scalar(&self, s: T) -> Self {
        self.map(|x| x + s)
    }
    /// x · s.
    pub fn mul_scalar(&self, s: T) -> Self {
        self.map(|x| x * s)
    }
}
