//! What training and evaluation share: data loaders in the model's input
//! layout, the loss of the recipe, counting correct predictions, and the
//! evaluation pass itself with its confusion matrix.

use synann::zoo::{InputLayout, LossKind, Recipe};
use synann_autograd::{no_grad, Var};
use synann_datasets::{DataLoader, ImageSet, RandomAffine, MNIST_MEAN, MNIST_STD};
use synann_nn::loss::{cross_entropy, nll_loss, Reduction};
use synann_nn::{Mode, Module};
use synann_tensor::Tensor;

/// Number of classes of MNIST.
pub const NUM_CLASSES: usize = 10;

/// A loader over `data` with the recipe's normalisation and input layout;
/// with `train`, also shuffled (seeded by `seed`, reshuffled per epoch) and
/// augmented as the recipe says.
pub fn loader<'a>(
    data: &'a ImageSet,
    recipe: &Recipe,
    batch_size: usize,
    seed: u64,
    train: bool,
) -> DataLoader<'a> {
    let mut loader = DataLoader::new(data, batch_size)
        .seed(seed)
        .shuffle(train)
        .flatten(recipe.input == InputLayout::Flat);
    if recipe.normalize {
        loader = loader.normalize(MNIST_MEAN, MNIST_STD);
    }
    if train {
        let aug = recipe.augmentation;
        if aug.shift > 0 {
            loader = loader.random_shift(aug.shift);
        }
        // A scale range of (0, 0) (the derived default) means no scaling,
        // like (1, 1).
        let scale = match aug.scale {
            (0.0, 0.0) => (1.0, 1.0),
            s => s,
        };
        if aug.degrees != 0.0 || aug.translate != 0.0 || scale != (1.0, 1.0) {
            loader = loader.random_affine(RandomAffine::new(aug.degrees, aug.translate, scale));
        }
    }
    loader
}

/// A batch of images as the model's input: `[B, 28, 28]` rows for
/// [`InputLayout::Rows`]; the loader already gives the other layouts.
pub fn model_input(images: Tensor<f32>, layout: InputLayout) -> Var<f32> {
    let images = match layout {
        InputLayout::Rows => {
            let s = images.shape().to_vec();
            images.reshape(&[s[0], s[2], s[3]])
        }
        InputLayout::Image | InputLayout::Flat => images,
    };
    Var::constant(images)
}

/// The mean loss of a batch of model outputs `[B, 10]`.
pub fn batch_loss(output: &Var<f32>, labels: &[usize], recipe: &Recipe) -> Var<f32> {
    match recipe.loss {
        LossKind::Nll => nll_loss(output, labels, Reduction::Mean),
        LossKind::CrossEntropy => cross_entropy(
            output,
            labels,
            Reduction::Mean,
            recipe.label_smoothing as f32,
        ),
    }
}

/// The predicted class of each row of `[B, C]` scores (the first maximum).
pub fn argmax_rows(scores: &Tensor<f32>) -> Vec<usize> {
    let classes = scores.shape()[1];
    scores
        .data()
        .chunks(classes)
        .map(|row| {
            row.iter()
                .enumerate()
                .fold(0, |best, (i, &v)| if v > row[best] { i } else { best })
        })
        .collect()
}

/// The result of an evaluation pass.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// Mean loss over the samples.
    pub loss: f64,
    /// Fraction of correct predictions.
    pub accuracy: f64,
    /// The predicted class of each sample, in dataset order.
    pub predictions: Vec<usize>,
    /// The true class of each sample, in dataset order.
    pub labels: Vec<usize>,
}

impl Evaluation {
    /// `matrix[true][predicted]`: how many samples of each class got each
    /// prediction.
    pub fn confusion_matrix(&self) -> [[usize; NUM_CLASSES]; NUM_CLASSES] {
        let mut m = [[0; NUM_CLASSES]; NUM_CLASSES];
        for (&p, &t) in self.predictions.iter().zip(&self.labels) {
            m[t][p] += 1;
        }
        m
    }

    /// The confusion matrix as text: a header row of predicted classes and
    /// one row per true class.
    pub fn confusion_table(&self) -> String {
        let mut s = String::from("true\\pred");
        for c in 0..NUM_CLASSES {
            s += &format!("{c:>6}");
        }
        for (t, row) in self.confusion_matrix().iter().enumerate() {
            s += &format!("\n{t:>9}");
            for n in row {
                s += &format!("{n:>6}");
            }
        }
        s
    }
}

/// Evaluates `model` on `data` in [`Mode::Eval`] without recording a graph,
/// in batches of `batch_size`.
pub fn evaluate(
    model: &mut dyn Module<f32>,
    data: &ImageSet,
    recipe: &Recipe,
    batch_size: usize,
) -> Evaluation {
    let loader = loader(data, recipe, batch_size, 0, false);
    let (mut loss_sum, mut predictions, mut labels) = (0.0, Vec::new(), Vec::new());
    no_grad(|| {
        for (images, batch_labels) in loader.epoch(0) {
            let output = model.forward(&model_input(images, recipe.input), Mode::Eval);
            let loss = batch_loss(&output, &batch_labels, recipe).value().item() as f64;
            loss_sum += loss * batch_labels.len() as f64;
            predictions.extend(argmax_rows(&output.value()));
            labels.extend(batch_labels);
        }
    });
    let n = labels.len().max(1) as f64;
    let correct = predictions
        .iter()
        .zip(&labels)
        .filter(|(p, t)| p == t)
        .count();
    Evaluation {
        loss: loss_sum / n,
        accuracy: correct as f64 / n,
        predictions,
        labels,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argmax_takes_the_first_maximum() {
        let t = Tensor::from_vec(vec![0.0, 2.0, 2.0, 5.0, 1.0, -1.0], &[2, 3]);
        assert_eq!(argmax_rows(&t), vec![1, 0]);
    }

    #[test]
    fn confusion_matrix_counts_true_by_predicted() {
        let e = Evaluation {
            loss: 0.0,
            accuracy: 0.5,
            predictions: vec![1, 1, 3, 0],
            labels: vec![1, 2, 3, 9],
        };
        let m = e.confusion_matrix();
        assert_eq!((m[1][1], m[2][1], m[3][3], m[9][0]), (1, 1, 1, 1));
        assert_eq!(m.iter().flatten().sum::<usize>(), 4);
        assert_eq!(e.confusion_table().lines().count(), 11);
    }

    #[test]
    fn rows_layout_drops_the_channel_axis() {
        let x = model_input(Tensor::zeros(&[2, 1, 28, 28]), InputLayout::Rows);
        assert_eq!(x.shape(), vec![2, 28, 28]);
    }
}
