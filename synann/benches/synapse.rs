//! `synapse_logsum` at batch 128, n = m = 64, 256, 784, forward and
//! forward + backward, in f32: the shapes of PyTorch's
//! `torch_micro.py synapse_fused_n*` cases (softmax inputs, kaiming-uniform
//! weights). Run with `RAYON_NUM_THREADS=2 cargo bench -p synann`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::hint::black_box;
use synann::ops::kernels::fast::{self, Isa};
use synann::ops::kernels::Dims;
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
        let x = Var::leaf(softmax_rows(n), true);
        let b = Var::leaf(
            Tensor::uniform(&[n, n], -bound, bound, &mut seeded(1)),
            true,
        );
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
            bench.iter(|| black_box(fast::forward_with(isa, d, &x, &b)))
        });
        group.bench_function(BenchmarkId::new("bwd", &name), |bench| {
            bench.iter(|| black_box(fast::backward_with(isa, d, &x, &b, &g)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench, kernels);
criterion_main!(benches);
