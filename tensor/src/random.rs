//! Random fills from a caller-owned, seeded generator.
//!
//! synann never uses a hidden global RNG: every random tensor comes from an
//! explicit [`rand::Rng`], so a run is reproducible from its seed. [`Rng`] is
//! the generator the workspace uses: ChaCha8, whose whole state (seed, stream,
//! position) can be saved in a checkpoint and restored with [`RngState`].
//!
//! # Which `rand`
//!
//! The generator and the fills are those of `rand` 0.8: [`Rng`] is
//! `rand_chacha` 0.3's `ChaCha8Rng`, and the fills take any `rand` 0.8
//! generator (`impl rand::Rng`). A crate on another version of `rand` does
//! not need to add `rand` 0.8 to use them: the traits are re-exported,
//! [`SeedableRng`] (`seed_from_u64`, `from_seed`) and [`RngCore`] in this
//! module, and the whole crate as [`synann_tensor::rand`](crate::rand),
//! whose `Rng` trait gives `gen` and `gen_range` (it is not re-exported
//! here, where `Rng` names the generator). `synann-nn`, `synann` and
//! `synann-datasets`, whose constructors take an [`Rng`], re-export this
//! module and `rand` too (`synann_nn::random`, `synann_nn::rand`).
//!
//! ```
//! use synann_tensor::rand::Rng as _; // gen() and gen_range()
//! use synann_tensor::random::{seeded, Rng, SeedableRng};
//! use synann_tensor::Tensor;
//!
//! let mut rng = Rng::seed_from_u64(7); // the stream of seeded(7)
//! let a = Tensor::<f32>::uniform(&[3], 0.0, 1.0, &mut rng);
//! let b = Tensor::<f32>::uniform(&[3], 0.0, 1.0, &mut seeded(7));
//! assert_eq!(a.data(), b.data());
//! let child_seed: u64 = rng.gen(); // e.g. to seed a dropout layer's own stream
//! let _child = seeded(child_seed);
//! ```

pub use rand::{RngCore, SeedableRng};

use crate::element::Float;
use crate::shape::numel;
use crate::tensor::Tensor;
use rand_distr::{Distribution, StandardNormal};

/// The seedable generator used across synann.
pub type Rng = rand_chacha::ChaCha8Rng;

/// A generator seeded with `seed` (the same as `Rng::seed_from_u64(seed)`).
pub fn seeded(seed: u64) -> Rng {
    Rng::seed_from_u64(seed)
}

/// The complete state of an [`Rng`]: restoring it continues the exact same
/// stream of numbers (used by training checkpoints).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RngState {
    /// The 32-byte ChaCha key.
    pub seed: [u8; 32],
    /// The stream number.
    pub stream: u64,
    /// Position in the stream, in 32-bit words.
    pub word_pos: u128,
}

impl RngState {
    /// Captures the state of `rng`.
    pub fn of(rng: &Rng) -> Self {
        RngState {
            seed: rng.get_seed(),
            stream: rng.get_stream(),
            word_pos: rng.get_word_pos(),
        }
    }

    /// A generator that continues from this state.
    pub fn restore(&self) -> Rng {
        let mut rng = Rng::from_seed(self.seed);
        rng.set_stream(self.stream);
        rng.set_word_pos(self.word_pos);
        rng
    }

    /// The state as 56 bytes (seed, stream, position; little-endian).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = self.seed.to_vec();
        b.extend_from_slice(&self.stream.to_le_bytes());
        b.extend_from_slice(&self.word_pos.to_le_bytes());
        b
    }

    /// Parses [`RngState::to_bytes`]'s output; `None` if the length is wrong.
    pub fn from_bytes(b: &[u8]) -> Option<Self> {
        if b.len() != 56 {
            return None;
        }
        Some(RngState {
            seed: b[..32].try_into().ok()?,
            stream: u64::from_le_bytes(b[32..40].try_into().ok()?),
            word_pos: u128::from_le_bytes(b[40..56].try_into().ok()?),
        })
    }
}

impl<T: Float> Tensor<T> {
    /// Independent samples from U(low, high).
    ///
    /// ```
    /// use synann_tensor::{random::seeded, Tensor};
    /// let t = Tensor::<f64>::uniform(&[3, 4], -1.0, 1.0, &mut seeded(7));
    /// assert!(t.data().iter().all(|v| (-1.0..1.0).contains(v)));
    /// ```
    pub fn uniform(shape: &[usize], low: T, high: T, rng: &mut impl rand::Rng) -> Self {
        assert!(low <= high, "uniform: low {low} > high {high}");
        let (lo, hi) = (low.to_f64(), high.to_f64());
        let data = (0..numel(shape))
            .map(|_| T::from_f64(lo + (hi - lo) * rng.gen::<f64>()))
            .collect();
        Tensor::from_vec(data, shape)
    }

    /// Independent samples from N(mean, std²).
    pub fn normal(shape: &[usize], mean: T, std: T, rng: &mut impl rand::Rng) -> Self {
        assert!(std >= T::ZERO, "normal: std must be ≥ 0 (got {std})");
        let (m, s) = (mean.to_f64(), std.to_f64());
        let data = (0..numel(shape))
            .map(|_| {
                let z: f64 = StandardNormal.sample(rng);
                T::from_f64(m + s * z)
            })
            .collect();
        Tensor::from_vec(data, shape)
    }

    /// Independent Bernoulli(p) samples as 0/1 values.
    pub fn bernoulli(shape: &[usize], p: f64, rng: &mut impl rand::Rng) -> Self {
        assert!(
            (0.0..=1.0).contains(&p),
            "bernoulli: p = {p} is not in [0, 1]"
        );
        let data = (0..numel(shape))
            .map(|_| {
                if rng.gen::<f64>() < p {
                    T::ONE
                } else {
                    T::ZERO
                }
            })
            .collect();
        Tensor::from_vec(data, shape)
    }
}
