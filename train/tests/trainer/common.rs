//! A tiny model and recipe for the trainer's tests (and, included by path,
//! the examples' tests): fast to train, with a dropout layer so that
//! resuming has a generator to get right.

use std::cell::Cell;
use std::rc::Rc;
use synann_autograd::Var;
use synann_datasets::{
    Augmentation, ImageInput, ImageSet, InputLayout, LoadOptions, Mnist, Normalization,
};
use synann_nn::layers::{Bias, Dropout, Linear};
use synann_nn::{prefixed, Mode, Module};
use synann_tensor::random::{seeded, Rng};
use synann_train::{LossKind, OptimizerKind, Recipe, Schedule};

/// 784 → hidden, ReLU, dropout, → 10, log-softmax. With `poison`, the
/// output turns NaN once the counter, decremented per training forward,
/// reaches zero.
pub struct TinyNet {
    fc1: Linear<f32>,
    drop: Dropout,
    fc2: Linear<f32>,
    poison: Option<Rc<Cell<usize>>>,
}

impl Module<f32> for TinyNet {
    fn forward(&mut self, x: &Var<f32>, mode: Mode) -> Var<f32> {
        let h = self.fc1.forward(x, mode).relu();
        let h = self.drop.forward(&h, mode);
        let mut out = self.fc2.forward(&h, mode).log_softmax(1);
        if let (Some(left), true) = (&self.poison, mode.is_train()) {
            left.set(left.get().saturating_sub(1));
            if left.get() == 0 {
                out = out.mul_scalar(f32::NAN);
            }
        }
        out
    }

    fn named_parameters(&self) -> Vec<(String, Var<f32>)> {
        let mut p = prefixed("fc1", self.fc1.named_parameters());
        p.extend(prefixed("fc2", self.fc2.named_parameters()));
        p
    }

    fn named_generators(&mut self) -> Vec<(String, &mut Rng)> {
        prefixed("drop", Module::<f32>::named_generators(&mut self.drop))
    }
}

/// A [`TinyNet`] with `hidden` units, its weights and dropout seeded from
/// `seed`.
pub fn tiny_model(
    hidden: usize,
    poison: Option<Rc<Cell<usize>>>,
    seed: u64,
) -> Box<dyn Module<f32>> {
    let mut rng = seeded(seed);
    let fc1 = Linear::new(784, hidden, Bias::Yes, &mut rng);
    let fc2 = Linear::new(hidden, 10, Bias::Yes, &mut rng);
    let drop = Dropout::new(0.2, seeded(seed ^ 0xD0));
    Box::new(TinyNet {
        fc1,
        drop,
        fc2,
        poison,
    })
}

/// The tiny model's recipe: Adam, NLL.
pub fn tiny_recipe(epochs: usize, batch_size: usize) -> Recipe {
    Recipe {
        epochs,
        batch_size,
        lr: 2e-3,
        optimizer: OptimizerKind::Adam,
        schedule: Schedule::Constant,
        loss: LossKind::Nll,
        label_smoothing: 0.0,
    }
}

/// The tiny model's input: flat, normalised images, `shift` pixels of
/// random shifts in training.
pub fn tiny_input(shift: usize) -> ImageInput {
    ImageInput {
        layout: InputLayout::Flat,
        normalization: Normalization::MNIST,
        augmentation: Augmentation {
            shift,
            ..Augmentation::NONE
        },
    }
}

/// The first `train` training and `test` test images of the shipped MNIST.
pub fn mnist_slice(train: usize, test: usize) -> (ImageSet, ImageSet) {
    let mnist = Mnist::load_with(&LoadOptions {
        dir: None,
        limit: Some(train.max(test)),
    })
    .expect("the shipped MNIST loads");
    let (mut tr, mut te) = (mnist.train, mnist.test);
    tr.truncate(train);
    te.truncate(test);
    (tr, te)
}

/// A fresh empty directory under the system's temporary directory.
pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("synann-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the temporary directory is writable");
    dir
}
