//! The vectorised f32 kernels of `vmath` against their libm reference
//! kernels, on one thread, at 12,800 elements (a recurrent layer's gate
//! activations for a batch: 100 × 128) and at 2²⁰ (about a million).
//! Inputs are uniform in [−10, 10] (ln: in (0, 10]).
//!
//! Run: `cargo bench -p synann-tensor --bench vmath`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use std::time::Duration;
use synann_tensor::random::seeded;
use synann_tensor::vmath::{self, reference};
use synann_tensor::Tensor;

type Kernel = fn(&[f32], &mut [f32]);

fn bench_vmath(c: &mut Criterion) {
    let functions: [(&str, Kernel, Kernel); 4] = [
        ("exp", vmath::exp, reference::exp),
        ("ln", vmath::ln, reference::ln),
        ("sigmoid", vmath::sigmoid, reference::sigmoid),
        ("tanh", vmath::tanh, reference::tanh),
    ];
    for n in [12_800usize, 1 << 20] {
        let x = Tensor::<f32>::uniform(&[n], -10.0, 10.0, &mut seeded(7));
        let positive = x.abs().add_scalar(1e-6);
        let mut out = vec![0.0f32; n];
        let mut group = c.benchmark_group(format!("vmath_{n}"));
        group
            .throughput(Throughput::Elements(n as u64))
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(1))
            .sample_size(20);
        for (name, fast, libm) in functions {
            let input = if name == "ln" {
                positive.data()
            } else {
                x.data()
            };
            group.bench_with_input(BenchmarkId::new("fast", name), input, |b, x| {
                b.iter(|| fast(black_box(x), &mut out))
            });
            group.bench_with_input(BenchmarkId::new("libm", name), input, |b, x| {
                b.iter(|| libm(black_box(x), &mut out))
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench_vmath);
criterion_main!(benches);
