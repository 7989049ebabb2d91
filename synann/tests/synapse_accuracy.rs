//! How accurate the fast `synapse_logsum` forward is, measured against the
//! f64 reference kernel, on every instruction set this CPU runs.
//!
//! - **f32 against "PyTorch f32".** PyTorch code computes the op naively:
//!   `torch.log1p(-B * x).sum(-1)`, each term rounded in f32 and then
//!   summed. We emulate that here (f32 `ln_1p` per term, f32 pairwise sum,
//!   the same clamp at `FACTOR_FLOOR`) and require the fast kernel's error
//!   to be within 2× of it (and within one unit in the last place of the
//!   largest output), at n = 64, 256, 784, for softmax, sigmoid and
//!   uniform inputs, with B as initialised (kaiming uniform,
//!   U(−1/√n, 1/√n)) and after training-like growth (×10).
//! - **f64 with tiny products.** For X in 10⁻¹⁰..10⁻⁸ every factor is
//!   1 − O(10⁻⁹); the fast kernel must still agree with the reference to
//!   10⁻¹³ relative.
//!
//! Run with `--nocapture` to see the table of errors.

use synann::ops::kernels::fast::{self, Isa};
use synann::ops::kernels::{reference, Dims};
use synann::ops::FACTOR_FLOOR;
use synann_tensor::{random::seeded, Tensor};

/// The instruction sets this CPU can run.
fn isas() -> Vec<Isa> {
    [Isa::Baseline, Isa::Avx2, Isa::Avx512]
        .into_iter()
        .filter(|isa| isa.is_supported())
        .collect()
}

/// Σ of `v` in f32, pairwise (as PyTorch's cascade sum, which is more
/// accurate than a running sum: the bar we set is the stricter one).
fn pairwise_sum(v: &[f32]) -> f32 {
    if v.len() <= 8 {
        v.iter().sum()
    } else {
        let (a, b) = v.split_at(v.len() / 2);
        pairwise_sum(a) + pairwise_sum(b)
    }
}

/// The op as PyTorch computes it in f32: one rounded `log1p` per term
/// (clamped like ours), then an f32 sum.
fn pytorch_like_f32(d: Dims, x: &[f32], b: &[f32]) -> Vec<f32> {
    let (n, m) = (d.inputs, d.outputs);
    let floor = FACTOR_FLOOR as f32;
    let mut out = vec![0.0f32; d.batch * m];
    let mut terms = vec![0.0f32; n];
    for k in 0..d.batch {
        for i in 0..m {
            for (j, t) in terms.iter_mut().enumerate() {
                let z = b[i * n + j] * x[k * n + j];
                *t = if 1.0 - z < floor {
                    floor.ln()
                } else {
                    (-z).ln_1p()
                };
            }
            out[k * m + i] = pairwise_sum(&terms);
        }
    }
    out
}

/// (largest error, root-mean-square error) of `got` against `exact`, both
/// relative to the largest |exact|.
fn errors(got: &[f32], exact: &[f64]) -> (f64, f64) {
    let scale = exact.iter().fold(0.0f64, |a, &e| a.max(e.abs()));
    let (mut max, mut sq) = (0.0f64, 0.0f64);
    for (&g, &e) in got.iter().zip(exact) {
        let err = (g as f64 - e).abs() / scale;
        max = max.max(err);
        sq += err * err;
    }
    (max, (sq / exact.len() as f64).sqrt())
}

/// The inputs X of one case, rows of n values in (0, 1).
#[derive(Clone, Copy, Debug)]
enum Inputs {
    /// softmax of N(0, 1) logits: values around 1/n, summing to 1.
    Softmax,
    /// sigmoid of N(0, 1) logits: values around 1/2.
    Sigmoid,
    /// U(0, 1).
    Uniform,
}

fn inputs(kind: Inputs, rows: usize, n: usize, seed: u64) -> Vec<f32> {
    let mut rng = seeded(seed);
    match kind {
        Inputs::Softmax => Tensor::<f64>::normal(&[rows, n], 0.0, 1.0, &mut rng)
            .softmax(-1)
            .into_vec(),
        Inputs::Sigmoid => Tensor::<f64>::normal(&[rows, n], 0.0, 1.0, &mut rng)
            .sigmoid()
            .into_vec(),
        Inputs::Uniform => Tensor::<f64>::uniform(&[rows, n], 0.0, 1.0, &mut rng).into_vec(),
    }
    .into_iter()
    .map(|v| v as f32)
    .collect()
}

#[test]
fn f32_forward_is_as_accurate_as_pytorch_f32() {
    let (batch, m) = (16, 32);
    let mut failures = Vec::new();
    println!("n    inputs   B growth  ISA       fast max / rms        pytorch-like max / rms");
    for n in [64usize, 256, 784] {
        let d = Dims {
            batch,
            inputs: n,
            outputs: m,
        };
        for (c, kind) in [Inputs::Softmax, Inputs::Sigmoid, Inputs::Uniform]
            .into_iter()
            .enumerate()
        {
            let x = inputs(kind, batch, n, 10 + c as u64);
            for growth in [1.0f64, 10.0] {
                // Kaiming uniform with a = √5: U(−1/√n, 1/√n), times the growth.
                let bound = growth / (n as f64).sqrt();
                let b: Vec<f32> = Tensor::<f64>::uniform(&[m, n], -bound, bound, &mut seeded(20))
                    .into_vec()
                    .into_iter()
                    .map(|v| v as f32)
                    .collect();
                // The exact result for these (f32) inputs.
                let widen = |v: &[f32]| v.iter().map(|&a| a as f64).collect::<Vec<_>>();
                let exact = reference::forward(d, &widen(&x), &widen(&b)).out;
                let torch = errors(&pytorch_like_f32(d, &x, &b), &exact);
                for isa in isas() {
                    let fast = errors(&fast::forward_with(isa, d, &x, &b).out, &exact);
                    println!(
                        "{n:<4} {kind:<8?} ×{growth:<7} {isa:<9?} {:.2e} / {:.2e}    {:.2e} / {:.2e}",
                        fast.0, fast.1, torch.0, torch.1
                    );
                    // Within 2× of PyTorch's error (the target), and at most
                    // one unit in the last place of the largest output: the
                    // f32 kernel computes in f64 and rounds once.
                    if fast.0 > 2.0 * torch.0 || fast.1 > 2.0 * torch.1 || fast.0 > 2f64.powi(-23) {
                        failures.push(format!("n = {n}, {kind:?}, ×{growth}, {isa:?}"));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "fast f32 forward more than 2× less accurate than PyTorch-style f32: {failures:#?}"
    );
}

#[test]
fn f64_forward_is_accurate_for_tiny_products() {
    let (batch, m) = (8, 16);
    let mut failures = Vec::new();
    println!("f64, X in 1e-10..1e-8: largest error relative to Σ_j |ln f_j|");
    for n in [64usize, 256, 784] {
        let d = Dims {
            batch,
            inputs: n,
            outputs: m,
        };
        // X log-uniform in [1e-10, 1e-8].
        let e = Tensor::<f64>::uniform(&[batch, n], -10.0, -8.0, &mut seeded(30)).into_vec();
        let x: Vec<f64> = e.iter().map(|&p| 10f64.powf(p)).collect();
        for (lo, hi) in [(0.0, 1.0), (-1.0, 1.0)] {
            let b = Tensor::<f64>::uniform(&[m, n], lo, hi, &mut seeded(31)).into_vec();
            let exact = reference::forward(d, &x, &b).out;
            // Relative to Σ_j |ln f_j| (= |out| when B > 0): with mixed
            // signs the sum may cancel, and no kernel can do better than its
            // terms' rounding then.
            let scale = |k: usize, i: usize| -> f64 {
                (0..n)
                    .map(|j| (-b[i * n + j] * x[k * n + j]).ln_1p().abs())
                    .sum()
            };
            for isa in isas() {
                let got = fast::forward_with(isa, d, &x, &b).out;
                let mut worst = 0.0f64;
                for k in 0..batch {
                    for i in 0..m {
                        let err = (got[k * m + i] - exact[k * m + i]).abs() / scale(k, i);
                        worst = worst.max(err);
                    }
                }
                println!("n = {n:<4} B in ({lo}, {hi})  {isa:<9?} {worst:.2e}");
                if worst > 1e-13 {
                    failures.push(format!("n = {n}, B in ({lo}, {hi}), {isa:?}: {worst:.2e}"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "f64 fast forward off by more than 1e-13 relative: {failures:#?}"
    );
}

#[test]
fn forward_is_bitwise_the_same_on_every_instruction_set() {
    // The compiled versions of each loop (f32: `widened`, f64: `portable`)
    // run the same operations in the same order, so their results agree
    // bit for bit, clamped, flushed and exactly recomputed pairs included.
    let (batch, n, m) = (11, 300, 9);
    let d = Dims {
        batch,
        inputs: n,
        outputs: m,
    };
    let x = Tensor::<f64>::uniform(&[batch, n], 0.0, 1.0, &mut seeded(40)).into_vec();
    for (lo, hi) in [(-0.2, 0.2), (0.5, 0.999), (-400.0, -50.0), (1.0, 5.0)] {
        let b = Tensor::<f64>::uniform(&[m, n], lo, hi, &mut seeded(41)).into_vec();
        let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        let b32: Vec<f32> = b.iter().map(|&v| v as f32).collect();
        let base = fast::forward_with(Isa::Baseline, d, &x, &b).out;
        let base32 = fast::forward_with(Isa::Baseline, d, &x32, &b32).out;
        for isa in isas() {
            let same =
                |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(p, q)| p.to_bits() == q.to_bits());
            let same32 =
                |a: &[f32], b: &[f32]| a.iter().zip(b).all(|(p, q)| p.to_bits() == q.to_bits());
            assert!(
                same(&fast::forward_with(isa, d, &x, &b).out, &base),
                "f64, {isa:?}, B in ({lo}, {hi})"
            );
            assert!(
                same32(&fast::forward_with(isa, d, &x32, &b32).out, &base32),
                "f32, {isa:?}, B in ({lo}, {hi})"
            );
        }
    }
}
