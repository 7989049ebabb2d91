//! conv2d forward + backward at the two convolutions of the seed CNN
//! (batch 100), the cases `conv1_fb` and `conv2_fb` of PyTorch's
//! `torch_micro.py`:
//!
//! - `conv1_fb`: 1 → 10 channels, 5×5, on 28×28 images; the images need no
//!   gradient, so backward computes only the weight and bias gradients;
//! - `conv2_fb`: 10 → 20 channels, 5×5, on 12×12; backward computes the
//!   input, weight and bias gradients.
//!
//! Run: `RAYON_NUM_THREADS=2 cargo bench -p synann-tensor --bench conv`.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use synann_tensor::conv::{
    conv2d, conv2d_backward_bias, conv2d_backward_input, conv2d_backward_weight, Conv2dParams,
};
use synann_tensor::random::seeded;
use synann_tensor::Tensor;

/// One seed-CNN convolution: input, weight, bias, output gradient.
struct Case {
    x: Tensor<f32>,
    w: Tensor<f32>,
    b: Tensor<f32>,
    gy: Tensor<f32>,
}

impl Case {
    fn new(c: usize, o: usize, size: usize) -> Self {
        let mut rng = seeded(42);
        let out = size - 4;
        Case {
            x: Tensor::uniform(&[100, c, size, size], -1.0, 1.0, &mut rng),
            w: Tensor::uniform(&[o, c, 5, 5], -0.2, 0.2, &mut rng),
            b: Tensor::uniform(&[o], -0.2, 0.2, &mut rng),
            gy: Tensor::uniform(&[100, o, out, out], -1.0, 1.0, &mut rng),
        }
    }

    /// Forward, then the gradients a training step needs.
    fn step(&self, input_grad: bool) {
        let p = Conv2dParams::default();
        black_box(conv2d(&self.x, &self.w, Some(&self.b), &p));
        if input_grad {
            black_box(conv2d_backward_input(&self.gy, &self.w, self.x.shape(), &p));
        }
        black_box(conv2d_backward_weight(
            &self.gy,
            &self.x,
            self.w.shape(),
            &p,
        ));
        black_box(conv2d_backward_bias(&self.gy));
    }
}

fn bench_conv(c: &mut Criterion) {
    let conv1 = Case::new(1, 10, 28);
    let conv2 = Case::new(10, 20, 12);
    c.bench_function("conv1_fb", |b| b.iter(|| conv1.step(false)));
    c.bench_function("conv2_fb", |b| b.iter(|| conv2.step(true)));
}

criterion_group!(benches, bench_conv);
criterion_main!(benches);
