//! Unary element-wise maps.

use crate::element::Float;
use crate::parallel::for_each_block;
use crate::tensor::Tensor;

impl<T: Float> Tensor<T> {
    /// Applies `f` to every element (in parallel for large tensors).
    pub fn map(&self, f: impl Fn(T) -> T + Sync + Send) -> Self {
        let a = self.data();
        let mut out = vec![T::ZERO; a.len()];
        const BLOCK: usize = 1 << 14;
        for_each_block(&mut out, BLOCK, a.len() * 4, |i, chunk| {
            let s = i * BLOCK;
            for (j, o) in chunk.iter_mut().enumerate() {
                *o = f(a[s + j]);
            }
        });
        Tensor::from_vec(out, self.shape())
    }

    /// −x.
    pub fn neg(&self) -> Self {
        self.map(|x| -x)
    }
    /// e^x.
    pub fn exp(&self) -> Self {
        self.map(T::exp)
    }
    /// ln x.
    pub fn ln(&self) -> Self {
        self.map(T::ln)
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
    /// 1 / (1 + e^(−x)).
    pub fn sigmoid(&self) -> Self {
        self.map(T::sigmoid)
    }
    /// ln(1 + eˣ), without overflow.
    pub fn softplus(&self) -> Self {
        self.map(T::softplus)
    }
    /// tanh x.
    pub fn tanh(&self) -> Self {
        self.map(T::tanh)
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
