//! `synapse_logsum`: gradient checks of both kernels, agreement of the fast
//! kernel with the reference one, the domain policy (and the count of
//! clamped factors) and the checked mode.

use proptest::prelude::*;
use synann::ops::kernels::fast::Isa;
use synann::ops::kernels::{fast, reference, Dims};
use synann::ops::{
    synapse_logsum, synapse_logsum_checked, synapse_logsum_with, synapse_logsum_with_clamp_count,
    Kernel, FACTOR_FLOOR,
};
use synann::DomainError;
use synann_autograd::{gradcheck, GradcheckOptions, Var};
use synann_tensor::{Float, Tensor};

/// (N, n, m) and values: X in (0.05, 0.95), B in (−1, 1), so every factor
/// is at least 0.05, well inside the domain.
fn small_case() -> impl Strategy<Value = (Tensor<f64>, Tensor<f64>)> {
    (1usize..4, 1usize..6, 1usize..5).prop_flat_map(|(nb, n, m)| {
        (
            prop::collection::vec(0.05..0.95f64, nb * n),
            prop::collection::vec(-1.0..1.0f64, m * n),
        )
            .prop_map(move |(x, b)| (Tensor::from_vec(x, &[nb, n]), Tensor::from_vec(b, &[m, n])))
    })
}

/// Larger shapes that cross the fast kernel's block (64) and tile (8)
/// boundaries, with values from `lo..hi` for B: strongly inhibiting ranges
/// force lane flushes, negative ones big factors.
fn wide_case(b_lo: f64, b_hi: f64) -> impl Strategy<Value = (Dims, Vec<f64>, Vec<f64>, Vec<f64>)> {
    (1usize..20, 1usize..150, 1usize..10).prop_flat_map(move |(nb, n, m)| {
        (
            prop::collection::vec(0.0..1.0f64, nb * n),
            prop::collection::vec(b_lo..b_hi, m * n),
            prop::collection::vec(-1.0..1.0f64, nb * m),
        )
            .prop_map(move |(x, b, g)| {
                let d = Dims {
                    batch: nb,
                    inputs: n,
                    outputs: m,
                };
                (d, x, b, g)
            })
    })
}

fn assert_close(a: &[f64], b: &[f64], tol: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= tol * (1.0 + y.abs()),
            "{what}[{i}]: fast {x} vs reference {y}"
        );
    }
}

/// The instruction sets this CPU can run: every compiled version of the
/// fast kernels is tested, not only the one `Isa::detect` picks.
fn isas() -> Vec<Isa> {
    [Isa::Baseline, Isa::Avx2, Isa::Avx512]
        .into_iter()
        .filter(|&isa| match Isa::detect() {
            Isa::Avx512 => true,
            Isa::Avx2 => isa != Isa::Avx512,
            Isa::Baseline => isa == Isa::Baseline,
        })
        .collect()
}

/// The number of factors 1 − B[i, j]·X[k, j] below the floor, counted
/// the plain way, in the precision of the kernels.
fn plain_clamp_count<T: Float>(d: Dims, x: &[T], b: &[T]) -> u64 {
    let (n, floor) = (d.inputs, T::from_f64(FACTOR_FLOOR));
    let mut count = 0;
    for k in 0..d.batch {
        for i in 0..d.outputs {
            for j in 0..n {
                if T::ONE - b[i * n + j] * x[k * n + j] < floor {
                    count += 1;
                }
            }
        }
    }
    count
}

fn kernels_agree(d: Dims, x: &[f64], b: &[f64], g: &[f64]) {
    let (rx, rb) = reference::backward(d, x, b, g);
    let reference = reference::forward(d, x, b);
    let (r_out, clamped) = (&reference.out, plain_clamp_count(d, x, b));
    assert_eq!(reference.clamped, clamped, "reference clamp count");
    for isa in isas() {
        let what = |s: &str| format!("{s} ({isa:?})");
        let fast = fast::forward_with(isa, d, x, b);
        assert_close(&fast.out, r_out, 1e-10, &what("forward"));
        assert_eq!(fast.clamped, clamped, "{}", what("clamp count"));
        let (fx, fb) = fast::backward_with(isa, d, x, b, g);
        assert_close(&fx, &rx, 1e-10, &what("dX"));
        assert_close(&fb, &rb, 1e-10, &what("dB"));
    }
}

/// Error scales of an f32 evaluation: per output, the sum over its terms
/// of the size of the term times its condition number. The factor
/// f = 1 − b·x is computed with an error of about ε·(1 + |b·x|), which is
/// relatively large where f is small, so each term is weighted by
/// (1 + |b·x|/f). Returns (forward, dX, dB) scales.
fn f32_error_scales(d: Dims, x: &[f64], b: &[f64], g: &[f64]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let (n, m) = (d.inputs, d.outputs);
    let floor = FACTOR_FLOOR;
    let mut out = vec![0.0; d.batch * m];
    let mut dx = vec![0.0; d.batch * n];
    let mut db = vec![0.0; m * n];
    for k in 0..d.batch {
        for i in 0..m {
            for j in 0..n {
                let bx = b[i * n + j] * x[k * n + j];
                let f = (1.0 - bx).max(floor);
                let cond = 1.0 + bx.abs() / f;
                out[k * m + i] += (f.ln().abs() + 1.0) * cond;
                let q = (g[k * m + i] / f).abs() * cond;
                dx[k * n + j] += q * b[i * n + j].abs();
                db[i * n + j] += q * x[k * n + j].abs();
            }
        }
    }
    (out, dx, db)
}

/// f32 against the f64 reference on the same (f32-rounded) inputs: every
/// compiled version, within `tol` relative to the error scales.
fn f32_agrees(d: Dims, x: &[f64], b: &[f64], g: &[f64], tol: f64) {
    let to32 = |v: &[f64]| v.iter().map(|&a| a as f32).collect::<Vec<f32>>();
    let back = |v: &[f32]| v.iter().map(|&a| a as f64).collect::<Vec<f64>>();
    let (x32, b32, g32) = (to32(x), to32(b), to32(g));
    let (x, b, g) = (back(&x32), back(&b32), back(&g32));
    let (ex, eb) = reference::backward(d, &x, &b, &g);
    let e_out = reference::forward(d, &x, &b).out;
    let (s_out, sx, sb) = f32_error_scales(d, &x, &b, &g);
    let check = |what: String, got: &[f32], exact: &[f64], scale: &[f64]| {
        for (i, ((&v, e), s)) in got.iter().zip(exact).zip(scale).enumerate() {
            let err = (v as f64 - e).abs();
            assert!(
                err <= tol * (1.0 + s),
                "{what}[{i}]: {v} vs {e} (scale {s})"
            );
        }
    };
    for isa in isas() {
        let out = fast::forward_with(isa, d, &x32, &b32).out;
        check(format!("{isa:?} forward"), &out, &e_out, &s_out);
        let (fx, fb) = fast::backward_with(isa, d, &x32, &b32, &g32);
        check(format!("{isa:?} dX"), &fx, &ex, &sx);
        check(format!("{isa:?} dB"), &fb, &eb, &sb);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn gradcheck_fast((x, b) in small_case()) {
        let f = |v: &[Var<f64>]| synapse_logsum_with(&v[0], &v[1], Kernel::Fast);
        gradcheck(f, &[x, b], &GradcheckOptions::default()).unwrap();
    }

    #[test]
    fn gradcheck_reference((x, b) in small_case()) {
        let f = |v: &[Var<f64>]| synapse_logsum_with(&v[0], &v[1], Kernel::Reference);
        gradcheck(f, &[x, b], &GradcheckOptions::default()).unwrap();
    }

    #[test]
    fn fast_matches_reference((d, x, b, g) in wide_case(-1.0, 1.0)) {
        kernels_agree(d, &x, &b, &g);
    }

    #[test]
    fn f32_kernels_match_the_f64_reference((d, x, b, g) in wide_case(-1.0, 1.0)) {
        // Every f32 version, the AVX-512 reciprocal estimate included.
        f32_agrees(d, &x, &b, &g, 1e-5);
    }

    #[test]
    fn f32_kernels_match_under_strong_inhibition((d, x, b, g) in wide_case(0.5, 0.999)) {
        // Factors down to 0.001: reciprocals up to 1000.
        f32_agrees(d, &x, &b, &g, 1e-5);
    }

    #[test]
    fn f32_kernels_match_with_clamped_factors((d, x, b, g) in wide_case(1.0, 5.0)) {
        // Clamped factors (1 − B·X < 0) give no gradient: the masks of the
        // AVX2 and AVX-512 backwards, with ragged row groups and columns.
        f32_agrees(d, &x, &b, &g, 1e-5);
    }

    #[test]
    fn fast_matches_reference_under_strong_inhibition((d, x, b, g) in wide_case(0.5, 0.999)) {
        // Factors down to 0.001: lanes leave [2⁻¹⁵, 2¹⁵] and get flushed.
        kernels_agree(d, &x, &b, &g);
    }

    #[test]
    fn fast_matches_reference_with_large_factors((d, x, b, g) in wide_case(-400.0, -50.0)) {
        // Factors up to 401: lanes overflow 2¹⁵ within a block.
        kernels_agree(d, &x, &b, &g);
    }

    #[test]
    fn fast_matches_reference_with_clamped_factors((d, x, b, g) in wide_case(1.0, 5.0)) {
        // 1 − B·X < 0 wherever X > 1/B: clamped factors make lanes
        // underflow, so blocks are recomputed one logarithm at a time.
        kernels_agree(d, &x, &b, &g);
    }

    #[test]
    fn f32_clamp_counts_match_a_plain_count((d, x, b, _g) in wide_case(1.0, 5.0)) {
        // The f32 forward computes in f64 but clamps by the f32 rule: with
        // ragged row groups (N not a multiple of 4) and partial last chunks
        // (n not a multiple of 8).
        let x: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        let b: Vec<f32> = b.iter().map(|&v| v as f32).collect();
        let clamped = plain_clamp_count(d, &x, &b);
        prop_assert_eq!(reference::forward(d, &x, &b).clamped, clamped);
        for isa in isas() {
            prop_assert_eq!(fast::forward_with(isa, d, &x, &b).clamped, clamped, "{:?}", isa);
        }
    }

    #[test]
    fn checked_mode_reports_the_offending_indices(
        (x, b) in small_case(), pick in (0usize..1000, 0usize..1000, 0usize..1000)
    ) {
        let (nb, n, m) = (x.shape()[0], x.shape()[1], b.shape()[0]);
        let (k, i, j) = (pick.0 % nb, pick.1 % m, pick.2 % n);
        // Make exactly one factor negative: B[i, j]·X[k, j] = 2. Every other
        // factor involving X[k, j] or B[i, j] must stay positive, so use
        // X[k, j] = 0.95 and B[i, j] = 2/0.95, and keep the others.
        let mut x = x;
        let mut b = b;
        x.data_mut()[k * n + j] = 0.95;
        b.data_mut()[i * n + j] = 2.0 / 0.95;
        // Other rows of X meet B[i, j] too: keep them below 0.45 in column j.
        for kk in 0..nb {
            if kk != k {
                x.data_mut()[kk * n + j] = 0.4;
            }
        }
        // Other rows of B meet X[k, j] = 0.95: keep them below 1.
        for ii in 0..m {
            if ii != i {
                b.data_mut()[ii * n + j] = 0.5;
            }
        }
        let err = synapse_logsum_checked(&Var::constant(x.clone()), &Var::constant(b.clone()), "syn7").unwrap_err();
        let DomainError::FactorOutOfDomain { layer, k: ek, i: ei, j: ej, .. } = err.clone();
        prop_assert_eq!((ek, ei, ej), (k, i, j));
        prop_assert_eq!(layer.as_str(), "syn7");
        let msg = err.to_string();
        prop_assert!(msg.contains("syn7") && msg.contains(&format!("B[{i}, {j}]·X[{k}, {j}]")), "{}", msg);
        // In domain, the checked form is the plain op.
        x.data_mut()[k * n + j] = 0.3;
        let ok = synapse_logsum_checked(&Var::constant(x.clone()), &Var::constant(b.clone()), "syn7").unwrap();
        let plain = synapse_logsum(&Var::constant(x), &Var::constant(b));
        let (got, want) = (ok.value().data().to_vec(), plain.value().data().to_vec());
        prop_assert_eq!(got, want);
    }
}

#[test]
fn parallel_path_matches_reference() {
    // Big enough (N·m·n = 2¹⁸) for the kernels to split work over threads.
    let d = Dims {
        batch: 64,
        inputs: 64,
        outputs: 64,
    };
    let mut rng = synann_tensor::random::seeded(3);
    let x = Tensor::<f64>::uniform(&[64, 64], 0.0, 1.0, &mut rng).into_vec();
    let b = Tensor::<f64>::uniform(&[64, 64], -0.5, 0.5, &mut rng).into_vec();
    let g = Tensor::<f64>::uniform(&[64, 64], -1.0, 1.0, &mut rng).into_vec();
    kernels_agree(d, &x, &b, &g);
    // And the result is the same from run to run, bit for bit.
    assert_eq!(fast::backward(d, &x, &b, &g), fast::backward(d, &x, &b, &g));
}

#[test]
fn a_product_that_rounds_to_one_in_f32_is_clamped_by_every_kernel() {
    // b·x = 1 − 2.95·10⁻⁸ exactly, which f32 rounds to 1: the f32 factor
    // 1 − fl(b·x) is 0, below the floor. The fast f32 forward works in f64,
    // where that factor is 2.95·10⁻⁸, yet it must clamp and count it as the
    // f32 reference does; and no backward may give the term a gradient
    // (1/f would be 3.4·10⁷).
    let (bv, xv) = (f32::from_bits(0x3f19_9e30), f32::from_bits(0x3fd5_4ef6));
    assert!(f64::from(bv) * f64::from(xv) < 1.0 && bv * xv == 1.0);
    let d = Dims {
        batch: 2,
        inputs: 5,
        outputs: 3,
    };
    let mut x = vec![0.1f32; 2 * 5];
    let mut b = vec![0.2f32; 3 * 5];
    x[2] = xv; // X[0, 2]
    b[5 + 2] = bv; // B[1, 2]
    let g = vec![0.5f32, -0.25, 1.0, 0.75, -1.0, 0.5];
    let reference = reference::forward(d, &x, &b);
    let (rx, rb) = reference::backward(d, &x, &b, &g);
    assert_eq!(reference.clamped, 1);
    for isa in isas() {
        let fast = fast::forward_with(isa, d, &x, &b);
        assert_eq!(fast.clamped, 1, "{isa:?}");
        for (got, want) in fast.out.iter().zip(&reference.out) {
            assert!(
                (got - want).abs() <= 1e-5 * want.abs(),
                "{isa:?}: {got} vs {want}"
            );
        }
        let (fx, fb) = fast::backward_with(isa, d, &x, &b, &g);
        for (got, want) in fx.iter().zip(&rx).chain(fb.iter().zip(&rb)) {
            assert!(
                (got - want).abs() <= 1e-5 * (1.0 + want.abs()),
                "{isa:?}: {got} vs {want}"
            );
        }
    }
}

#[test]
fn clamp_counts_do_not_depend_on_the_thread_count() {
    // Big enough for the forward to run its tiles on several threads, with
    // about a quarter of the factors below the floor.
    let d = Dims {
        batch: 64,
        inputs: 96,
        outputs: 48,
    };
    let mut rng = synann_tensor::random::seeded(5);
    let x = Tensor::<f32>::uniform(&[64, 96], 0.0, 1.0, &mut rng).into_vec();
    let b = Tensor::<f32>::uniform(&[48, 96], -2.0, 2.0, &mut rng).into_vec();
    let clamped = plain_clamp_count(d, &x, &b);
    assert!(clamped > 0 && clamped < (64 * 96 * 48) as u64, "{clamped}");
    for isa in isas() {
        for threads in [1, 2, 3] {
            let got = with_threads(threads, || fast::forward_with(isa, d, &x, &b).clamped);
            assert_eq!(got, clamped, "{isa:?}, {threads} threads");
        }
    }
}

#[test]
fn a_forward_that_clamps_reports_the_exact_count_and_the_same_values() {
    // X (3, 5) against B (4, 5): B = 3 clamps wherever X > 1/3.
    let x = Tensor::from_vec(
        vec![
            0.1, 0.5, 0.9, 0.2, 0.4, //
            0.3, 0.3, 0.3, 0.3, 0.3, //
            0.8, 0.05, 0.6, 0.7, 0.25,
        ],
        &[3, 5],
    );
    let b = Tensor::from_vec(
        vec![
            3.0, 3.0, 3.0, 3.0, 3.0, //
            0.5, -1.0, 0.25, 0.0, 0.9, //
            3.0, 0.1, 0.1, 0.1, 3.0, //
            -2.0, 2.0, 1.0, 1.5, 0.0,
        ],
        &[4, 5],
    );
    let d = Dims {
        batch: 3,
        inputs: 5,
        outputs: 4,
    };
    let expected = plain_clamp_count(d, x.data(), b.data());
    // Per row of B, over the rows k = 0, 1, 2 of X. Row 0: 3·X ≥ 1 in
    // 3 + 0 + 3 entries. Row 1: none (every B·X < 1). Row 2: 3·X[k, 0] or
    // 3·X[k, 4] ≥ 1 in 1 + 0 + 1. Row 3: 2·X[k, 1] ≥ 1 (exactly 1 for
    // k = 0: a zero factor) in 1 + 0 + 0, 1.5·X[k, 3] ≥ 1 in 0 + 0 + 1.
    let per_row_of_b = [6, 0, 2, 2];
    assert_eq!(expected, per_row_of_b.iter().sum::<u64>());
    let (x, b) = (Var::constant(x), Var::constant(b));
    for kernel in [Kernel::Reference, Kernel::Fast] {
        let (out, clamped) = synapse_logsum_with_clamp_count(&x, &b, kernel);
        assert_eq!(clamped, expected, "{kernel:?}");
        let plain = synapse_logsum_with(&x, &b, kernel);
        assert_eq!(out.value().data(), plain.value().data(), "{kernel:?}");
    }
}

#[test]
fn a_forward_inside_the_domain_clamps_nothing() {
    let mut rng = synann_tensor::random::seeded(6);
    let x = Var::constant(Tensor::<f32>::uniform(&[9, 40], 0.0, 1.0, &mut rng));
    let b = Var::constant(Tensor::<f32>::uniform(&[7, 40], -1.0, 0.99, &mut rng));
    for kernel in [Kernel::Reference, Kernel::Fast] {
        assert_eq!(
            synapse_logsum_with_clamp_count(&x, &b, kernel).1,
            0,
            "{kernel:?}"
        );
    }
}

/// Runs `f` on a rayon pool of `threads` threads.
fn with_threads<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool")
        .install(f)
}

#[test]
fn backward_is_the_same_for_any_thread_count() {
    // A B large enough (m·n ≥ BAND_MIN_DB, n = 300: 19 vectors) for the
    // backward to give each thread a band of columns: every output element
    // is then summed by one thread in the same order, whatever the thread
    // count, so the results agree bit for bit, in f32 (every compiled
    // version) and f64.
    let (nb, n, m) = (21, 300, 220);
    assert!(m * n >= fast::BAND_MIN_DB);
    let d = Dims {
        batch: nb,
        inputs: n,
        outputs: m,
    };
    let mut rng = synann_tensor::random::seeded(5);
    let mut x = Tensor::<f64>::uniform(&[nb, n], 0.0, 1.0, &mut rng).into_vec();
    let mut b = Tensor::<f64>::uniform(&[m, n], -1.0, 1.0, &mut rng).into_vec();
    // Column 290 of B reaches 3 (its factors stay above 0.1: X there is
    // at most 0.3): a kernel that chose how to divide by the reach of its
    // whole band would choose differently for the first columns when they
    // are one band with column 290 than when they are not.
    for row in x.chunks_exact_mut(n) {
        row[290] *= 0.3;
    }
    for row in b.chunks_exact_mut(n) {
        row[290] = 3.0;
    }
    let g = Tensor::<f64>::uniform(&[nb, m], -1.0, 1.0, &mut rng).into_vec();
    let to32 = |v: &[f64]| v.iter().map(|&a| a as f32).collect::<Vec<f32>>();
    let (x32, b32, g32) = (to32(&x), to32(&b), to32(&g));
    for isa in isas() {
        let one = with_threads(1, || fast::backward_with(isa, d, &x, &b, &g));
        let one32 = with_threads(1, || fast::backward_with(isa, d, &x32, &b32, &g32));
        for threads in [2, 3] {
            let many = with_threads(threads, || fast::backward_with(isa, d, &x, &b, &g));
            assert_eq!(one, many, "{isa:?}, f64, {threads} threads");
            let many32 = with_threads(threads, || fast::backward_with(isa, d, &x32, &b32, &g32));
            assert_eq!(one32, many32, "{isa:?}, f32, {threads} threads");
        }
    }
    kernels_agree(d, &x, &b, &g);
}

#[test]
fn f32_fast_kernel_is_accurate() {
    let d = Dims {
        batch: 16,
        inputs: 784,
        outputs: 12,
    };
    let mut rng = synann_tensor::random::seeded(4);
    let x = Tensor::<f64>::uniform(&[16, 784], 0.0, 0.01, &mut rng).into_vec();
    let b = Tensor::<f64>::uniform(&[12, 784], -1.0, 1.0, &mut rng).into_vec();
    let exact = reference::forward(d, &x, &b).out;
    let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    let b32: Vec<f32> = b.iter().map(|&v| v as f32).collect();
    let got = fast::forward(d, &x32, &b32).out;
    for (g, e) in got.iter().zip(&exact) {
        assert!((*g as f64 - e).abs() < 1e-5, "f32 {g} vs f64 {e}");
    }
}

#[test]
fn out_of_domain_factors_are_clamped_and_nan_propagates() {
    // Row 0: 1 − 2·0.75 = −0.5 is clamped to FACTOR_FLOOR; the other term is
    // ln(1 − 0.5·0.5).
    let x = Var::requiring_grad(Tensor::from_vec(vec![0.75f64, 0.5], &[1, 2]));
    let b = Var::requiring_grad(Tensor::from_vec(vec![2.0, 0.5], &[1, 2]));
    for kernel in [Kernel::Reference, Kernel::Fast] {
        let out = synapse_logsum_with(&x, &b, kernel);
        let expected = FACTOR_FLOOR.ln() + 0.75f64.ln();
        assert!((out.value().item() - expected).abs() < 1e-12, "{kernel:?}");
        out.sum_all().backward();
        // The clamped term contributes no gradient: only −B/(1 − B·X) of the
        // second term remains.
        let gx = x.take_grad().unwrap();
        let gb = b.take_grad().unwrap();
        assert_eq!(gx.data()[0], 0.0);
        assert_eq!(gb.data()[0], 0.0);
        assert!((gx.data()[1] + 0.5 / 0.75).abs() < 1e-12);
        assert!((gb.data()[1] + 0.5 / 0.75).abs() < 1e-12);
    }
    // NaN in, NaN out (for its row only).
    let x = Var::constant(Tensor::from_vec(vec![f64::NAN, 0.5, 0.5, 0.5], &[2, 2]));
    let b = Var::constant(Tensor::from_vec(vec![0.5, 0.5], &[1, 2]));
    for kernel in [Kernel::Reference, Kernel::Fast] {
        let out = synapse_logsum_with(&x, &b, kernel);
        let v = out.value();
        assert!(v.data()[0].is_nan(), "{kernel:?}");
        assert!(v.data()[1].is_finite(), "{kernel:?}");
    }
}

#[test]
fn a_nan_in_f32_reaches_only_the_gradients_it_touches() {
    // X[0, 3] is NaN: the terms it enters are those of column 3 of row 0,
    // so every compiled f32 backward gives NaN in dX[0, 3] and in column 3
    // of dB, and finite values everywhere else.
    let (nb, n, m) = (2, 11, 3);
    let d = Dims {
        batch: nb,
        inputs: n,
        outputs: m,
    };
    let mut x = vec![0.5f32; nb * n];
    x[3] = f32::NAN;
    let b = vec![0.25f32; m * n];
    let g = vec![1.0f32; nb * m];
    for isa in isas() {
        let (dx, db) = fast::backward_with(isa, d, &x, &b, &g);
        for (at, v) in dx.iter().enumerate() {
            assert_eq!(v.is_nan(), at == 3, "{isa:?}: dX[{}, {}]", at / n, at % n);
        }
        for i in 0..m {
            for j in 0..n {
                assert_eq!(db[i * n + j].is_nan(), j == 3, "{isa:?}: dB[{i}, {j}]");
            }
        }
    }
}

#[test]
#[should_panic(expected = "synapse_logsum: X [2, 3] and B [4, 2] do not fit")]
fn shape_mismatch_names_both_shapes() {
    let x = Var::constant(Tensor::<f64>::zeros(&[2, 3]));
    let b = Var::constant(Tensor::<f64>::zeros(&[4, 2]));
    synapse_logsum(&x, &b);
}

#[test]
fn empty_shapes() {
    for (nb, n, m) in [(0, 3, 2), (2, 0, 2), (2, 3, 0)] {
        let d = Dims {
            batch: nb,
            inputs: n,
            outputs: m,
        };
        let x = vec![0.5f64; nb * n];
        let b = vec![0.5f64; m * n];
        let g = vec![1.0f64; nb * m];
        kernels_agree(d, &x, &b, &g);
        assert!(fast::forward(d, &x, &b).out.iter().all(|&v| v == 0.0));
    }
}
