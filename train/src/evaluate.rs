//! What training and evaluation share: the loss of a recipe, counting
//! correct predictions, and the evaluation pass itself with its confusion
//! matrix.
//!
//! A model whose outputs turned NaN would otherwise look like it predicts
//! class 0 everywhere (about 10% accuracy on MNIST, a plausible number), so
//! [`evaluate`] stops with [`TrainError::NonFiniteOutput`] naming the batch.

use crate::error::TrainError;
use crate::recipe::{LossKind, Recipe};
use synann_autograd::{no_grad, Var};
use synann_datasets::{Dataset, Pass};
use synann_nn::loss::{cross_entropy, nll_loss, Reduction};
use synann_nn::{Mode, Module};
use synann_tensor::Tensor;

/// The mean loss of a batch of model outputs `[B, classes]`.
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
/// A row holding a NaN has no meaningful maximum: check with
/// [`first_non_finite_row`] first.
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

/// The first row of `[B, C]` scores holding a NaN or an infinity, if any.
pub fn first_non_finite_row(scores: &Tensor<f32>) -> Option<usize> {
    let classes = scores.shape()[1];
    scores
        .data()
        .chunks(classes)
        .position(|row| row.iter().any(|v| !v.is_finite()))
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
    /// The number of classes of the data set.
    pub num_classes: usize,
}

impl Evaluation {
    /// The evaluation of `predictions` against `labels` (in dataset
    /// order), whose per-sample losses sum to `loss_sum`: the mean loss and
    /// the accuracy over all samples.
    pub fn from_predictions(
        loss_sum: f64,
        predictions: Vec<usize>,
        labels: Vec<usize>,
        num_classes: usize,
    ) -> Evaluation {
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
            num_classes,
        }
    }

    /// `matrix[true][predicted]`: how many samples of each class got each
    /// prediction.
    pub fn confusion_matrix(&self) -> Vec<Vec<usize>> {
        let mut m = vec![vec![0; self.num_classes]; self.num_classes];
        for (&p, &t) in self.predictions.iter().zip(&self.labels) {
            m[t][p] += 1;
        }
        m
    }

    /// The confusion matrix as text: a header row of predicted classes and
    /// one row per true class.
    pub fn confusion_table(&self) -> String {
        let mut s = String::from("true\\pred");
        for c in 0..self.num_classes {
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
/// in batches of `batch_size`, with the loss of `recipe`.
///
/// Fails with [`TrainError::NonFiniteOutput`] at the first batch whose
/// outputs hold a NaN or an infinity.
pub fn evaluate<M: Module<f32> + ?Sized>(
    model: &mut M,
    data: &dyn Dataset,
    recipe: &Recipe,
    batch_size: usize,
) -> Result<Evaluation, TrainError> {
    let (mut loss_sum, mut predictions, mut labels) = (0.0, Vec::new(), Vec::new());
    no_grad(|| {
        for (b, (inputs, batch_labels)) in data.batches(batch_size, Pass::Eval, 0).enumerate() {
            let output = model.forward(&Var::constant(inputs), Mode::Eval);
            if let Some(row) = first_non_finite_row(&output.value()) {
                return Err(TrainError::NonFiniteOutput {
                    batch: b + 1,
                    sample: b * batch_size + row,
                });
            }
            let loss = batch_loss(&output, &batch_labels, recipe).value().item() as f64;
            loss_sum += loss * batch_labels.len() as f64;
            predictions.extend(argmax_rows(&output.value()));
            labels.extend(batch_labels);
        }
        Ok(())
    })?;
    Ok(Evaluation::from_predictions(
        loss_sum,
        predictions,
        labels,
        data.num_classes(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recipe::OptimizerKind;
    use synann_datasets::Tabular;

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
            num_classes: 10,
        };
        let m = e.confusion_matrix();
        assert_eq!((m[1][1], m[2][1], m[3][3], m[9][0]), (1, 1, 1, 1));
        assert_eq!(m.iter().flatten().sum::<usize>(), 4);
        assert_eq!(e.confusion_table().lines().count(), 11);
    }

    /// Outputs its input plus a NaN in sample 3.
    struct NanAtThree;

    impl Module<f32> for NanAtThree {
        fn forward(&mut self, x: &Var<f32>, _: Mode) -> Var<f32> {
            let mut v = x.value().data().to_vec();
            let width = x.shape()[1];
            let first = (x.value().data()[0] as usize) * width;
            if (first..first + v.len()).contains(&(3 * width)) {
                v[3 * width - first] = f32::NAN;
            }
            Var::constant(Tensor::from_vec(v, &x.shape()))
        }

        fn named_parameters(&self) -> Vec<(String, Var<f32>)> {
            Vec::new()
        }
    }

    #[test]
    fn non_finite_outputs_are_an_error_naming_the_batch() {
        // Sample i has features [i, 0]; the model turns sample 3 into NaN.
        let features = (0..6).flat_map(|i| [i as f32, 0.0]).collect();
        let data = Tabular::new(vec!["a".into(), "b".into()], features, vec![0; 6], 2).unwrap();
        let recipe = Recipe::new(OptimizerKind::Adam, 1e-3, 2);
        let err = evaluate(&mut NanAtThree, &data, &recipe, 2).unwrap_err();
        assert!(matches!(
            err,
            TrainError::NonFiniteOutput {
                batch: 2,
                sample: 3
            }
        ));
        assert!(err.to_string().contains("batch 2"), "{err}");
        assert_eq!(
            first_non_finite_row(&Tensor::from_vec(vec![1.0, 2.0], &[1, 2])),
            None
        );
    }
}
