//! matmul and matmul_t (every transpose flag, 2-D, batched, and 3-D by a
//! shared 2-D matrix) against a naive triple loop.

use proptest::prelude::*;
use synann_tensor::linalg::{gemm_serial, MatRef};
use synann_tensor::random::seeded;
use synann_tensor::{Tensor, Transpose};

fn random(shape: &[usize], seed: u64) -> Tensor<f64> {
    Tensor::uniform(shape, -1.0, 1.0, &mut seeded(seed))
}

/// Element (i, j) of matrix `batch` of `t` (last two axes), transposed if
/// asked; a rank-2 `t` is the same matrix for every batch entry.
fn at(t: &Tensor<f64>, batch: usize, trans: bool, i: usize, j: usize) -> f64 {
    let (i, j) = if trans { (j, i) } else { (i, j) };
    match t.rank() {
        2 => t.get(&[i, j]),
        _ => t.get(&[batch, i, j]),
    }
}

/// op(a) @ op(b) by the definition C[i][j] = Σ_p A[i][p]·B[p][j].
fn naive(a: &Tensor<f64>, ta: bool, b: &Tensor<f64>, tb: bool) -> Tensor<f64> {
    let r = a.rank();
    let (m, k) = if ta {
        (a.shape()[r - 1], a.shape()[r - 2])
    } else {
        (a.shape()[r - 2], a.shape()[r - 1])
    };
    let n = if tb {
        b.shape()[b.rank() - 2]
    } else {
        b.shape()[b.rank() - 1]
    };
    let batch = if r == 3 { a.shape()[0] } else { 1 };
    let mut out = Vec::with_capacity(batch * m * n);
    for bi in 0..batch {
        for i in 0..m {
            for j in 0..n {
                out.push(
                    (0..k)
                        .map(|p| at(a, bi, ta, i, p) * at(b, bi, tb, p, j))
                        .sum(),
                );
            }
        }
    }
    let shape = if r == 3 {
        vec![batch, m, n]
    } else {
        vec![m, n]
    };
    Tensor::from_vec(out, &shape)
}

/// The stored shape of an `rows × cols` operand, transposed if `trans`.
fn stored(batch: Option<usize>, rows: usize, cols: usize, trans: bool) -> Vec<usize> {
    let mat = if trans { [cols, rows] } else { [rows, cols] };
    batch.into_iter().chain(mat).collect()
}

/// `Transpose::Yes` for `true`, so that the flags can be drawn as bools.
fn transpose(trans: bool) -> Transpose {
    if trans {
        Transpose::Yes
    } else {
        Transpose::No
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn matmul_2d(m in 0usize..7, k in 0usize..7, n in 0usize..7, ta: bool, tb: bool, seed: u64) {
        let a = random(&stored(None, m, k, ta), seed);
        let b = random(&stored(None, k, n, tb), seed ^ 1);
        let c = a.matmul_t(transpose(ta), &b, transpose(tb));
        prop_assert!(c.allclose(&naive(&a, ta, &b, tb), 1e-12, 1e-12), "{c:?}");
        if !ta && !tb {
            prop_assert_eq!(a.matmul(&b), c);
        }
    }

    #[test]
    fn matmul_batched(bs in 0usize..4, m in 1usize..5, k in 1usize..5, n in 1usize..5, ta: bool, tb: bool, seed: u64) {
        let a = random(&stored(Some(bs), m, k, ta), seed);
        let b = random(&stored(Some(bs), k, n, tb), seed ^ 1);
        let c = a.matmul_t(transpose(ta), &b, transpose(tb));
        prop_assert_eq!(c.shape(), &[bs, m, n]);
        prop_assert!(c.allclose(&naive(&a, ta, &b, tb), 1e-12, 1e-12));
    }

    #[test]
    fn matmul_3d_by_2d(bs in 0usize..4, m in 1usize..5, k in 1usize..5, n in 1usize..5, ta: bool, tb: bool, seed: u64) {
        let a = random(&stored(Some(bs), m, k, ta), seed);
        let b = random(&stored(None, k, n, tb), seed ^ 1);
        let c = a.matmul_t(transpose(ta), &b, transpose(tb));
        prop_assert!(c.allclose(&naive(&a, ta, &b, tb), 1e-12, 1e-12));
    }
}

/// `alpha·op(A)·B + beta·C` in f32 through `gemm_serial` against the f64
/// definition, for a narrow A: on a CPU with AVX-512 these take the GEMM
/// without packing (`strips_avx512`: few rows of A, or few columns, B's
/// rows contiguous), elsewhere the packing GEMM.
fn narrow_gemm_matches_naive(
    (m, k, n): (usize, usize, usize),
    ta: bool,
    (alpha, beta): (f32, f32),
    seed: u64,
) -> Result<(), TestCaseError> {
    let a = random(&stored(None, m, k, ta), seed);
    let b = random(&[k, n], seed ^ 1);
    let c0 = random(&[m, n], seed ^ 2);
    let (a32, b32) = (a.cast::<f32>(), b.cast::<f32>());
    let mut c = c0.cast::<f32>().data().to_vec();
    let am = MatRef::row_major(a32.data(), a32.shape()[0], a32.shape()[1]);
    let am = if ta { am.t() } else { am };
    gemm_serial(alpha, am, MatRef::row_major(b32.data(), k, n), beta, &mut c);
    let want = naive(&a, ta, &b, false)
        .mul_scalar(f64::from(alpha))
        .add(&c0.mul_scalar(f64::from(beta)));
    let got = Tensor::from_vec(c, &[m, n]).cast::<f64>();
    prop_assert!(
        got.allclose(&want, 1e-4, 1e-4),
        "m {m}, k {k}, n {n}, ta {ta}"
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Few rows of A (up to 24, blocks of 12, 10, …, 1) and long rows,
    /// columns of C in whole and partial registers of 16.
    #[test]
    fn gemm_with_few_rows_of_a(m in 1usize..25, k in 1usize..300, n in 1usize..70,
                              ta: bool, accumulate: bool, seed: u64) {
        let beta = if accumulate { 1.0 } else { 0.0 };
        narrow_gemm_matches_naive((m, k, n), ta, (0.5, beta), seed)?;
    }

    /// Few columns of A (up to 32) and many rows.
    #[test]
    fn gemm_with_few_columns_of_a(m in 25usize..250, k in 1usize..33, n in 1usize..40,
                                 ta: bool, accumulate: bool, seed: u64) {
        let beta = if accumulate { 1.0 } else { 0.0 };
        narrow_gemm_matches_naive((m, k, n), ta, (1.0, beta), seed)?;
    }
}

#[test]
fn large_products_split_over_threads_agree() {
    // Big enough (m·k·n ≥ 2¹⁸) to take the row-block parallel path.
    for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
        let a = random(&stored(None, 130, 48, ta), 11);
        let b = random(&stored(None, 48, 67, tb), 12);
        let c = a.matmul_t(transpose(ta), &b, transpose(tb));
        assert!(c.allclose(&naive(&a, ta, &b, tb), 1e-11, 1e-11));
    }
}

#[test]
#[should_panic(expected = "matmul: shapes [2, 3] and [2, 3] do not multiply")]
fn mismatched_inner_sizes_panic() {
    random(&[2, 3], 0).matmul(&random(&[2, 3], 1));
}
