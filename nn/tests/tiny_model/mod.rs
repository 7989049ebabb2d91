//! A tiny hand-built model for the optimizer and checkpoint tests, so they
//! do not depend on the layers: two linear maps (`fc1`, `fc2`) and one
//! buffer (`norm.running_mean`).

#![allow(dead_code)]

use synann_autograd::Var;
use synann_nn::{Mode, Module};
use synann_tensor::{random::seeded, Float, Tensor};

/// y = fc2(tanh(fc1(x))) with a buffer that is saved but never trained.
pub struct TinyNet<T: Float> {
    pub fc1_weight: Var<T>,
    pub fc1_bias: Var<T>,
    pub fc2_weight: Var<T>,
    pub fc2_bias: Var<T>,
    pub running_mean: Var<T>,
}

impl<T: Float> TinyNet<T> {
    /// Weights drawn from U(−0.5, 0.5) with `seed`.
    pub fn new(seed: u64) -> Self {
        let mut rng = seeded(seed);
        let half = T::from_f64(0.5);
        let mut param =
            |shape: &[usize]| Var::requiring_grad(Tensor::uniform(shape, -half, half, &mut rng));
        TinyNet {
            fc1_weight: param(&[3, 4]),
            fc1_bias: param(&[3]),
            fc2_weight: param(&[2, 3]),
            fc2_bias: param(&[2]),
            running_mean: Var::constant(Tensor::from_vec(
                vec![T::from_f64(0.1), T::from_f64(0.2), T::from_f64(0.3)],
                &[3],
            )),
        }
    }

    /// A scalar loss on a fixed batch: Σ forward(x)².
    pub fn loss(&mut self, x: &Tensor<T>) -> Var<T> {
        let y = self.forward(&Var::constant(x.clone()), Mode::Train);
        y.mul(&y).sum_all()
    }
}

impl<T: Float> Module<T> for TinyNet<T> {
    fn forward(&mut self, x: &Var<T>, _mode: Mode) -> Var<T> {
        let h = x
            .matmul(&self.fc1_weight.transpose(0, 1))
            .add(&self.fc1_bias)
            .tanh();
        h.matmul(&self.fc2_weight.transpose(0, 1))
            .add(&self.fc2_bias)
    }

    fn named_parameters(&self) -> Vec<(String, Var<T>)> {
        vec![
            ("fc1.weight".into(), self.fc1_weight.clone()),
            ("fc1.bias".into(), self.fc1_bias.clone()),
            ("fc2.weight".into(), self.fc2_weight.clone()),
            ("fc2.bias".into(), self.fc2_bias.clone()),
        ]
    }

    fn named_buffers(&self) -> Vec<(String, Var<T>)> {
        vec![("norm.running_mean".into(), self.running_mean.clone())]
    }
}

/// A fixed input batch of 5 rows.
pub fn batch<T: Float>() -> Tensor<T> {
    Tensor::uniform(&[5, 4], -T::ONE, T::ONE, &mut seeded(99))
}
