//! f32 matrix product C = A·B for square sizes 256, 512 and 1024.
//!
//! Throughput is set to the 2·n³ floating-point operations of one product,
//! so criterion's `thrpt` line in `Gelem/s` reads directly as GFLOP/s; the
//! bench also prints `GFLOP/s` from the median time it measured.
//!
//! Run: `RAYON_NUM_THREADS=2 cargo bench -p synann-tensor --bench matmul`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use std::time::Instant;
use synann_tensor::linalg::{gemm, MatRef};
use synann_tensor::random::seeded;
use synann_tensor::Tensor;

/// Median seconds of `reps` calls of `f`, for the GFLOP/s line.
fn median_secs(reps: usize, mut f: impl FnMut()) -> f64 {
    let mut t: Vec<f64> = (0..reps)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[reps / 2]
}

fn bench_matmul(c: &mut Criterion) {
    let mut group = c.benchmark_group("sgemm");
    for n in [256usize, 512, 1024] {
        let mut rng = seeded(n as u64);
        let a = Tensor::<f32>::uniform(&[n, n], -1.0, 1.0, &mut rng);
        let b = Tensor::<f32>::uniform(&[n, n], -1.0, 1.0, &mut rng);
        let mut out = vec![0.0f32; n * n];
        let mut run = || {
            gemm(
                1.0,
                MatRef::row_major(a.data(), n, n),
                MatRef::row_major(b.data(), n, n),
                0.0,
                black_box(&mut out),
            )
        };
        let flop = 2 * n * n * n;
        group.throughput(Throughput::Elements(flop as u64));
        group.bench_function(BenchmarkId::from_parameter(n), |bch| bch.iter(&mut run));
        let secs = median_secs(if n >= 1024 { 15 } else { 50 }, &mut run);
        println!(
            "sgemm {n}³: median {:.3} ms = {:.1} GFLOP/s",
            secs * 1e3,
            flop as f64 / secs / 1e9
        );
    }
    group.finish();
}

criterion_group!(benches, bench_matmul);
criterion_main!(benches);
