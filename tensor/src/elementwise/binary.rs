//! Binary element-wise ops with NumPy broadcasting.
//!
//! Shapes are aligned on the right and axes of size 1 stretch to match
//! (`[4, 1, 3] + [5, 1] → [4, 5, 3]`). When both shapes are equal the kernel
//! is a plain zip over the two buffers.

use crate::element::Float;
use crate::parallel::{filled, for_each_block, num_threads};
use crate::shape::{
    broadcast_runs, broadcast_shapes, for_each_broadcast_run_in, numel, BroadcastRun,
};
use crate::tensor::Tensor;

/// Elements per block of the (possibly parallel) same-shape zips.
const BLOCK: usize = 1 << 14;

impl<T: Float> Tensor<T> {
    /// Applies `f` to each pair of elements of `self` and `other`, broadcast
    /// to a common shape; panics naming `op` and both shapes if they do not
    /// broadcast.
    pub fn zip_map(&self, other: &Self, op: &str, f: impl Fn(T, T) -> T + Sync + Send) -> Self {
        if self.shape() == other.shape() {
            let (a, b) = (self.data(), other.data());
            let mut out = vec![T::ZERO; a.len()];
            for_each_block(&mut out, BLOCK, a.len(), |i, chunk| {
                let s = i * BLOCK;
                for (j, o) in chunk.iter_mut().enumerate() {
                    *o = f(a[s + j], b[s + j]);
                }
            });
            return Tensor::from_vec(out, self.shape());
        }
        let shape = broadcast_shapes(self.shape(), other.shape()).unwrap_or_else(|| {
            panic!(
                "{op}: shapes {:?} and {:?} do not broadcast",
                self.shape(),
                other.shape()
            )
        });
        let (a, b) = (self.data(), other.data());
        // The runs, all of one length and in output order, in blocks of
        // whole runs for the threads.
        let (count, run_len) = broadcast_runs(self.shape(), other.shape(), &shape);
        let per_block = count.div_ceil(2 * num_threads()).max(1);
        let n = numel(&shape);
        let mut out = filled(n, T::ZERO, per_block * run_len, n);
        for_each_block(&mut out, per_block * run_len, n, |blk, out| {
            let runs = blk * per_block..(blk * per_block + out.len() / run_len);
            let mut dst = out.chunks_exact_mut(run_len);
            for_each_broadcast_run_in(self.shape(), other.shape(), &shape, runs, |r| {
                apply_run(
                    &r,
                    dst.next().expect("one block of output per run"),
                    a,
                    b,
                    &f,
                );
            });
        });
        Tensor::from_vec(out, &shape)
    }

    /// `self[i] = f(self[i], other[i])` in place (in parallel for large
    /// tensors): [`Tensor::zip_map`] without a new buffer, for operands of
    /// one shape; panics naming `op` and both shapes otherwise.
    ///
    /// ```
    /// use synann_tensor::Tensor;
    /// let mut g = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
    /// let x = Tensor::from_vec(vec![-1.0, 0.5, 2.0], &[3]);
    /// g.zip_map_(&x, "relu", |g, x| if x > 0.0 { g } else { 0.0 });
    /// assert_eq!(g.data(), &[0.0, 2.0, 3.0]);
    /// ```
    pub fn zip_map_(&mut self, other: &Self, op: &str, f: impl Fn(T, T) -> T + Sync + Send) {
        self.assert_same_shape(other, op);
        let b = other.data();
        for_each_block(self.data_mut(), BLOCK, b.len(), |i, chunk| {
            let s = i * BLOCK;
            for (a, &b) in chunk.iter_mut().zip(&b[s..]) {
                *a = f(*a, b);
            }
        });
    }

    /// Element-wise sum with broadcasting.
    pub fn add(&self, other: &Self) -> Self {
        self.zip_map(other, "add", |a, b| a + b)
    }

    /// Element-wise difference with broadcasting.
    pub fn sub(&self, other: &Self) -> Self {
        self.zip_map(other, "sub", |a, b| a - b)
    }

    /// Element-wise product with broadcasting.
    pub fn mul(&self, other: &Self) -> Self {
        self.zip_map(other, "mul", |a, b| a * b)
    }

    /// Element-wise quotient with broadcasting.
    pub fn div(&self, other: &Self) -> Self {
        self.zip_map(other, "div", |a, b| a / b)
    }

    /// Element-wise power `self ^ other` with broadcasting.
    pub fn pow(&self, other: &Self) -> Self {
        self.zip_map(other, "pow", |a, b| a.powf(b))
    }

    /// Element-wise maximum with broadcasting.
    pub fn maximum(&self, other: &Self) -> Self {
        self.zip_map(other, "maximum", |a, b| if a >= b { a } else { b })
    }

    /// Element-wise minimum with broadcasting.
    pub fn minimum(&self, other: &Self) -> Self {
        self.zip_map(other, "minimum", |a, b| if a <= b { a } else { b })
    }
}

/// One run of a broadcast element-wise op ([`BroadcastRun`]):
/// `dst[j] = f(a[r.a + j·a_step], b[r.b + j·b_step])`, as slice loops for
/// the common runs (both operands in order, or one of them a single value:
/// a bias, a mask per channel).
#[inline(always)]
fn apply_run<T: Float>(r: &BroadcastRun, dst: &mut [T], a: &[T], b: &[T], f: &impl Fn(T, T) -> T) {
    match (r.a_step, r.b_step) {
        (1, 1) => {
            let (a, b) = (&a[r.a..r.a + r.len], &b[r.b..r.b + r.len]);
            for ((d, &x), &y) in dst.iter_mut().zip(a).zip(b) {
                *d = f(x, y);
            }
        }
        (1, 0) => {
            let y = b[r.b];
            for (d, &x) in dst.iter_mut().zip(&a[r.a..r.a + r.len]) {
                *d = f(x, y);
            }
        }
        (0, 1) => {
            let x = a[r.a];
            for (d, &y) in dst.iter_mut().zip(&b[r.b..r.b + r.len]) {
                *d = f(x, y);
            }
        }
        (sa, sb) => {
            for (j, d) in dst.iter_mut().enumerate() {
                *d = f(a[r.a + j * sa], b[r.b + j * sb]);
            }
        }
    }
}
