//! Proptest strategies for gradient checks: shapes, broadcast-compatible
//! shape pairs, tensors whose values stay inside an op's domain and away
//! from its kinks ([`Values`]), and valid convolution and pooling
//! parameter sets.
//!
//! Strategies generate shapes and seeds; tensors are filled from the seed,
//! so a failing case shrinks to a small shape and prints its seed.
//!
//! ```
//! use proptest::prelude::*;
//! use synann_testing::strategies::{shape, tensor, Values};
//!
//! proptest! {
//!     // #[test] in a test file; here the example calls it.
//!     fn values_stay_away_from_zero(x in tensor(shape(0, 3, 4), Values::signed(0.1, 2.0))) {
//!         prop_assert!(x.data().iter().all(|v| v.abs() >= 0.1));
//!     }
//! }
//! # values_stay_away_from_zero();
//! ```

use proptest::prelude::*;
use rand::seq::SliceRandom;
use rand::Rng;
use synann_tensor::conv::Conv2dParams;
use synann_tensor::random::seeded;
use synann_tensor::{KeepDim, Tensor, Unbiased};

/// A shape of rank `min_rank..=max_rank` with sizes `1..=max_dim`.
pub fn shape(
    min_rank: usize,
    max_rank: usize,
    max_dim: usize,
) -> impl Strategy<Value = Vec<usize>> + Clone {
    prop::collection::vec(1..=max_dim, min_rank..=max_rank)
}

/// Two shapes that broadcast together: both start from one shape, each
/// sets some axes to 1, and one of them drops some leading axes (so
/// `[3, 1, 4]` with `[2, 1]`, `[1, 4]` with `[3, 1]` and equal shapes all
/// occur).
pub fn broadcast_pair(
    max_rank: usize,
    max_dim: usize,
) -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> + Clone {
    (shape(1, max_rank, max_dim), any::<u64>()).prop_map(|(full, bits)| {
        let bit = |k: usize| (bits >> (k % 64)) & 1 == 1;
        let mut a = full.clone();
        let mut b = full.clone();
        for i in 0..full.len() {
            if bit(i) {
                a[i] = 1;
            }
            if bit(i + 16) {
                b[i] = 1;
            }
        }
        let drop = (bits >> 40) as usize % (full.len() + 1);
        if bit(48) {
            a.drain(..drop);
        } else {
            b.drain(..drop);
        }
        (a, b)
    })
}

/// Either [`KeepDim`]: reductions tested both keeping and dropping the
/// reduced axes.
pub fn keepdim() -> impl Strategy<Value = KeepDim> + Clone {
    prop_oneof![Just(KeepDim::No), Just(KeepDim::Yes)]
}

/// Either [`Unbiased`]: the variance tested with and without Bessel's
/// correction.
pub fn unbiased() -> impl Strategy<Value = Unbiased> + Clone {
    prop_oneof![Just(Unbiased::No), Just(Unbiased::Yes)]
}

/// A non-empty subset of the axes of a rank-`rank` tensor, chosen by
/// `bits`, with some axes written as negative (counted from the end).
pub fn axes_from_bits(rank: usize, bits: u64) -> Vec<isize> {
    let mut axes: Vec<isize> = (0..rank)
        .filter(|&i| (bits >> i) & 1 == 1)
        .map(|i| {
            if (bits >> (i + 16)) & 1 == 1 {
                i as isize - rank as isize
            } else {
                i as isize
            }
        })
        .collect();
    if axes.is_empty() {
        axes.push((bits >> 32) as isize % rank as isize);
    }
    axes
}

/// A random permutation of `0..rank` chosen by `seed`.
pub fn permutation(rank: usize, seed: u64) -> Vec<usize> {
    let mut p: Vec<usize> = (0..rank).collect();
    p.shuffle(&mut seeded(seed));
    p
}

/// How the values of a generated tensor are drawn: inside an op's domain
/// and, for ops with kinks or ties, away from them, so that a central
/// difference never straddles a point where the derivative jumps.
#[derive(Clone, Debug, PartialEq)]
pub enum Values {
    /// Uniform in `[lo, hi)`.
    Uniform {
        /// Lower bound.
        lo: f64,
        /// Upper bound (excluded).
        hi: f64,
    },
    /// Uniform in `[lo, hi)`, then every value within `margin` of one of
    /// `kinks` pushed out to `margin` from it (for clamp's bounds, relu's
    /// and abs's 0, a domain edge).
    AwayFrom {
        /// Lower bound.
        lo: f64,
        /// Upper bound (excluded).
        hi: f64,
        /// The points to avoid.
        kinks: Vec<f64>,
        /// The smallest distance kept from each.
        margin: f64,
    },
    /// |x| uniform in `[lo, hi)` with a random sign: away from 0 (the kink
    /// of relu and abs, the pole of 1/x) when `lo > 0`.
    Signed {
        /// Smallest magnitude.
        lo: f64,
        /// Largest magnitude (excluded).
        hi: f64,
    },
    /// Distinct values at least 0.2 apart around 0 (a shuffled grid, step
    /// 0.25, jittered): no ties for max, min and max-pooling, which a
    /// finite-difference step could otherwise flip.
    Distinct,
}

impl Values {
    /// [`Values::Uniform`] in `[lo, hi)`.
    pub fn uniform(lo: f64, hi: f64) -> Values {
        Values::Uniform { lo, hi }
    }

    /// [`Values::Signed`]: magnitudes in `[lo, hi)`, random signs.
    pub fn signed(lo: f64, hi: f64) -> Values {
        Values::Signed { lo, hi }
    }

    /// [`Values::AwayFrom`]: uniform in `[lo, hi)`, at least `margin`
    /// from every point of `kinks`.
    pub fn away_from(lo: f64, hi: f64, kinks: &[f64], margin: f64) -> Values {
        Values::AwayFrom {
            lo,
            hi,
            kinks: kinks.to_vec(),
            margin,
        }
    }

    /// A tensor of `shape` filled from `seed`.
    pub fn fill(&self, shape: &[usize], seed: u64) -> Tensor<f64> {
        match self {
            Values::Uniform { lo, hi } => uniform(shape, seed, *lo, *hi),
            Values::Signed { lo, hi } => signed(shape, seed, *lo, *hi),
            Values::Distinct => distinct(&[shape], seed).remove(0),
            Values::AwayFrom {
                lo,
                hi,
                kinks,
                margin,
            } => uniform(shape, seed, *lo, *hi).map(|mut x| {
                for &k in kinks {
                    if (x - k).abs() < *margin {
                        x = if x >= k { k + margin } else { k - margin };
                    }
                }
                x
            }),
        }
    }
}

/// Tensors with shapes from `shapes` and values drawn as `values` says.
pub fn tensor(
    shapes: impl Strategy<Value = Vec<usize>>,
    values: Values,
) -> impl Strategy<Value = Tensor<f64>> {
    (shapes, any::<u64>()).prop_map(move |(s, seed)| values.fill(&s, seed))
}

/// `count` tensors of one shape from `shapes`, each drawn as `values`:
/// the inputs of an element-wise op.
pub fn tensors(
    count: usize,
    shapes: impl Strategy<Value = Vec<usize>>,
    values: Values,
) -> impl Strategy<Value = Vec<Tensor<f64>>> {
    (shapes, any::<u64>()).prop_map(move |(s, seed)| {
        (0..count)
            .map(|i| values.fill(&s, seed ^ (i as u64).wrapping_mul(0x9e37_79b9)))
            .collect()
    })
}

/// Two tensors whose shapes broadcast together ([`broadcast_pair`]), each
/// drawn as its [`Values`]: the inputs of a binary op.
pub fn broadcast_tensors(
    max_rank: usize,
    max_dim: usize,
    a: Values,
    b: Values,
) -> impl Strategy<Value = Vec<Tensor<f64>>> {
    (broadcast_pair(max_rank, max_dim), any::<u64>())
        .prop_map(move |((sa, sb), seed)| vec![a.fill(&sa, seed), b.fill(&sb, seed ^ 1)])
}

/// Values uniform in `[lo, hi)`, from `seed`.
pub fn uniform(shape: &[usize], seed: u64, lo: f64, hi: f64) -> Tensor<f64> {
    Tensor::uniform(shape, lo, hi, &mut seeded(seed))
}

/// Values with |x| uniform in `[lo, hi)` and a random sign.
pub fn signed(shape: &[usize], seed: u64, lo: f64, hi: f64) -> Tensor<f64> {
    let mut rng = seeded(seed);
    let mut t = Tensor::uniform(shape, lo, hi, &mut rng);
    for v in t.data_mut() {
        if rng.gen::<bool>() {
            *v = -*v;
        }
    }
    t
}

/// Distinct values (a shuffled grid with step 0.25 around 0), one tensor
/// per shape, all different from each other: no ties for max/min, or
/// between the two operands of maximum/minimum.
pub fn distinct(shapes: &[&[usize]], seed: u64) -> Vec<Tensor<f64>> {
    let total: usize = shapes.iter().map(|s| s.iter().product::<usize>()).sum();
    let mut rng = seeded(seed);
    let mut grid: Vec<f64> = (0..total)
        .map(|k| (k as f64 - total as f64 / 2.0) * 0.25 + rng.gen_range(-0.05..0.05))
        .collect();
    grid.shuffle(&mut rng);
    let mut rest = grid.as_slice();
    shapes
        .iter()
        .map(|s| {
            let n: usize = s.iter().product();
            let (mine, tail) = rest.split_at(n);
            rest = tail;
            Tensor::from_vec(mine.to_vec(), s)
        })
        .collect()
}

/// A valid conv2d call: input `[n, c, h, w]`, weight `[o, c/groups, kh,
/// kw]`, an optional bias and the parameters, with the dilated kernel
/// fitting the padded input.
#[derive(Clone, Debug, PartialEq)]
pub struct Conv2dCase {
    /// Input shape `[n, c, h, w]`.
    pub input: [usize; 4],
    /// Weight shape `[o, c/groups, kh, kw]`.
    pub weight: [usize; 4],
    /// Whether there is a bias of shape `[o]`.
    pub bias: bool,
    /// Stride, padding, dilation and groups.
    pub params: Conv2dParams,
}

impl Conv2dCase {
    /// Input, weight and (if any) bias, uniform in [−1, 1) from `seed`.
    pub fn tensors(&self, seed: u64) -> Vec<Tensor<f64>> {
        let mut t = vec![
            uniform(&self.input, seed, -1.0, 1.0),
            uniform(&self.weight, seed ^ 1, -1.0, 1.0),
        ];
        if self.bias {
            t.push(uniform(&[self.weight[0]], seed ^ 2, -1.0, 1.0));
        }
        t
    }
}

/// Small valid conv2d calls over strides, padding, dilation and groups
/// (batch 1–2, 1–2 channels per group, 1–2 groups, kernels up to 3×3).
pub fn conv2d_case() -> impl Strategy<Value = Conv2dCase> {
    (
        (1usize..3, 1usize..3, 1usize..3, 1usize..3),
        (1usize..4, 1usize..4),
        (
            1usize..3,
            1usize..3,
            0usize..2,
            0usize..2,
            1usize..3,
            1usize..3,
        ),
        (0usize..3, 0usize..3),
        any::<bool>(),
    )
        .prop_map(
            |((n, groups, cg, og), (kh, kw), (sh, sw, ph, pw, dh, dw), (eh, ew), bias)| {
                // Big enough for the dilated kernel, with a few extra rows
                // and columns.
                let h = (dh * (kh - 1) + 1 + eh).saturating_sub(2 * ph).max(1);
                let w = (dw * (kw - 1) + 1 + ew).saturating_sub(2 * pw).max(1);
                Conv2dCase {
                    input: [n, groups * cg, h, w],
                    weight: [groups * og, cg, kh, kw],
                    bias,
                    params: Conv2dParams {
                        stride: (sh, sw),
                        padding: (ph, pw),
                        dilation: (dh, dw),
                        groups,
                    },
                }
            },
        )
}

/// A valid 2-d pooling call: input `[n, c, h, w]`, window, stride and
/// padding (at most half the window, window within the padded input).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pool2dCase {
    /// Input shape `[n, c, h, w]`.
    pub input: [usize; 4],
    /// Window (kh, kw).
    pub kernel: (usize, usize),
    /// Stride.
    pub stride: (usize, usize),
    /// Padding.
    pub padding: (usize, usize),
}

/// Small valid pooling calls (windows up to 3×3, strides up to 2, padding
/// up to half the window).
pub fn pool2d_case() -> impl Strategy<Value = Pool2dCase> {
    (
        (1usize..3, 1usize..3, 0usize..4, 0usize..4),
        (
            1usize..4,
            1usize..4,
            1usize..3,
            1usize..3,
            0usize..2,
            0usize..2,
        ),
    )
        .prop_map(|((n, c, eh, ew), (kh, kw, sh, sw, ph, pw))| {
            let (ph, pw) = (ph.min(kh / 2), pw.min(kw / 2));
            Pool2dCase {
                input: [n, c, kh + eh, kw + ew],
                kernel: (kh, kw),
                stride: (sh, sw),
                padding: (ph, pw),
            }
        })
}
