//! `synapse_logsum` at batch 128, n = m = 64, 256, 784, forward and
//! forward + backward, in f32: the shapes of PyTorch's
//! `torch_micro.py synapse_fused_n*` cases (softmax inputs, kaiming-uniform
//! weights); then the raw kernels per instruction set, and the forward's
//! accuracy and speed against the reference kernel. Run with
//! `RAYON_NUM_THREADS=2 cargo bench -p synann`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::hint::black_box;
use synann::ops::kernels::fast::{self, Isa};
use synann::ops::kernels::{reference, Dims};
use synann::ops::synapse_logsum;
use synann_autograd::{no_grad, Var};
use synann_tensor::{random::seeded, Tensor};

const BATCH: usize = 128;

/// Softmax rows of N(0, 1) samples, as the PyTorch benchmark's inputs.
fn softmax_rows(n: usize) -> Tensor<f32> {
    let z = Tensor::<f32>::normal(&[BATCH, n], 0.0, 1.0, &mut seeded(0));
    z.softmax(-1)
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("synapse_logsum");
    group.sample_size(20);
    for n in [64usize, 256, 784] {
        let bound = 1.0 / (n as f32).sqrt();
        let x = Var::requiring_grad(softmax_rows(n));
        let b = Var::requiring_grad(Tensor::uniform(&[n, n], -bound, bound, &mut seeded(1)));
        let gout = Tensor::<f32>::normal(&[BATCH, n], 0.0, 1.0, &mut seeded(2));
        group.bench_with_input(BenchmarkId::new("fwd", n), &n, |bench, _| {
            bench.iter(|| no_grad(|| black_box(synapse_logsum(&x, &b))))
        });
        group.bench_with_input(BenchmarkId::new("fwd+bwd", n), &n, |bench, _| {
            bench.iter(|| {
                x.zero_grad();
                b.zero_grad();
                synapse_logsum(&x, &b).backward_with(gout.clone());
                black_box(b.grad().is_some())
            })
        });
    }
    group.finish();
}

/// The raw kernels (no autograd) of every instruction set this CPU runs,
/// side by side at n = m = 784: what each compiled version is worth.
fn kernels(c: &mut Criterion) {
    let mut group = c.benchmark_group("synapse_kernels_n784");
    group.sample_size(20);
    let n = 784;
    let d = Dims {
        batch: BATCH,
        inputs: n,
        outputs: n,
    };
    let bound = 1.0 / (n as f32).sqrt();
    let x = softmax_rows(n).into_vec();
    let b = Tensor::<f32>::uniform(&[n, n], -bound, bound, &mut seeded(1)).into_vec();
    let g = Tensor::<f32>::normal(&[BATCH, n], 0.0, 1.0, &mut seeded(2)).into_vec();
    for isa in [Isa::Baseline, Isa::Avx2, Isa::Avx512] {
        if !isa.is_supported() {
            continue;
        }
        let name = format!("{isa:?}");
        group.bench_function(BenchmarkId::new("fwd", &name), |bench| {
            bench.iter(|| black_box(fast::forward_with(isa, d, &x, &b).out))
        });
        group.bench_function(BenchmarkId::new("bwd", &name), |bench| {
            bench.iter(|| black_box(fast::backward_with(isa, d, &x, &b, &g)))
        });
    }
    group.finish();
}

/// The largest error of `got` against `exact`, relative to the largest
/// |exact|.
fn relative_error(got: &[f32], exact: &[f64]) -> f64 {
    let scale = exact.iter().fold(0.0f64, |a, &e| a.max(e.abs()));
    let err = got
        .iter()
        .zip(exact)
        .fold(0.0f64, |a, (&g, &e)| a.max((g as f64 - e).abs()));
    err / scale
}

/// The forward's accuracy and speed, fast (products computed in f64)
/// against reference (one `ln_1p` per term and a running f32 sum, close to
/// how PyTorch computes the op), in f32 at n = m = 64, 256, 784 with
/// softmax inputs and kaiming-uniform B: what the exact fast forward saves
/// over a logarithm per term. The errors against the
/// f64 reference are printed once per size, before the timings.
fn forward_accuracy(c: &mut Criterion) {
    let mut group = c.benchmark_group("synapse_forward_f32");
    group.sample_size(20);
    for n in [64usize, 256, 784] {
        let d = Dims {
            batch: BATCH,
            inputs: n,
            outputs: n,
        };
        let bound = 1.0 / (n as f32).sqrt();
        let x = softmax_rows(n).into_vec();
        let b = Tensor::<f32>::uniform(&[n, n], -bound, bound, &mut seeded(1)).into_vec();
        let widen = |v: &[f32]| v.iter().map(|&a| a as f64).collect::<Vec<_>>();
        let exact = reference::forward(d, &widen(&x), &widen(&b)).out;
        eprintln!(
            "synapse_forward_f32 n = {n}: error of the largest output, fast {:.2e}, \
             reference (per-term ln_1p) {:.2e}",
            relative_error(&fast::forward(d, &x, &b).out, &exact),
            relative_error(&reference::forward(d, &x, &b).out, &exact),
        );
        group.bench_with_input(BenchmarkId::new("fast", n), &n, |bench, _| {
            bench.iter(|| black_box(fast::forward(d, &x, &b).out))
        });
        group.bench_with_input(BenchmarkId::new("reference", n), &n, |bench, _| {
            bench.iter(|| black_box(reference::forward(d, &x, &b).out))
        });
    }
    group.finish();
}

criterion_group!(benches, bench, kernels, forward_accuracy);
criterion_main!(benches);
