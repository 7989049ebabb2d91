//! Shared proptest strategies and helpers for the gradient-check suite:
//! random shapes, broadcast-compatible shape pairs, axis subsets, and
//! tensors drawn from a seed with values kept inside an op's domain.
//!
//! Strategies generate only shapes and seeds; the tensors are filled from
//! the seed, so a failing case shrinks to a small shape and prints its seed.

#![allow(dead_code)] // each test file uses a different subset

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use rand::seq::SliceRandom;
use rand::Rng;
use synann_autograd::{gradcheck, GradcheckOptions, Var};
use synann_tensor::random::seeded;
use synann_tensor::Tensor;

/// Proptest cases per property: enough to cover shapes, small enough that
/// the whole suite stays fast.
pub const CASES: u32 = 24;

/// A shape of rank `min_rank..=max_rank` with sizes `1..=max_dim`.
pub fn shape(
    min_rank: usize,
    max_rank: usize,
    max_dim: usize,
) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1..=max_dim, min_rank..=max_rank)
}

/// Two shapes that broadcast together: both start from one shape, each
/// sets some axes to 1, and one of them drops some leading axes (so
/// `[3, 1, 4]` with `[2, 1]`, `[1, 4]` with `[3, 1]` and equal shapes all
/// occur).
pub fn broadcast_pair(
    max_rank: usize,
    max_dim: usize,
) -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
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

/// Values uniform in `[lo, hi)`, from `seed`.
pub fn uniform(shape: &[usize], seed: u64, lo: f64, hi: f64) -> Tensor<f64> {
    Tensor::uniform(shape, lo, hi, &mut seeded(seed))
}

/// Values with |x| uniform in `[lo, hi)` and a random sign: away from the
/// kink at 0 of relu and abs, or from the pole of 1/x.
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

/// Runs [`gradcheck`] with the default options and turns a failure into a
/// proptest failure that prints the error (input, element, both values).
pub fn check<F>(f: F, inputs: &[Tensor<f64>]) -> Result<(), TestCaseError>
where
    F: Fn(&[Var<f64>]) -> Var<f64>,
{
    gradcheck(f, inputs, &GradcheckOptions::default()).map_err(|e| {
        let shapes: Vec<&[usize]> = inputs.iter().map(|t| t.shape()).collect();
        TestCaseError::fail(format!("{e} (input shapes {shapes:?})"))
    })
}
