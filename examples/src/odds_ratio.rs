//! Odds ratios from a logistic regression and from a SynaNN model on a
//! binary tabular task, what the `odds_ratio` example prints.
//!
//! SynaNN's synapse S(x, y; α, β) = α·x·(1 − β·y) compared with its inputs
//! swapped gives the *swap ratio*
//!
//! ```text
//! S(x, y) / S(y, x) = x·(1 − β·y) / (y·(1 − β·x))
//! ```
//!
//! which at β = 1 is the odds ratio (x/(1 − x)) / (y/(1 − y)) ([`swap_ratio`]).
//! That is a property of one synapse on two probabilities. What a clinician
//! reads from a model is another odds ratio: how much the odds of the
//! outcome grow when one feature grows by one standard deviation. For a
//! logistic regression it is exp(w_j) ([`logistic_odds_ratios`]); for any
//! other model it can be measured the same way, as
//! odds(p(x + e_j)) / odds(p(x)) averaged over a data set
//! ([`odds_ratios_per_std`]). The example compares the two sets of numbers
//! feature by feature with a rank correlation ([`spearman`]).
//!
//! Everything is for two classes, with "the odds" meaning those of class 0
//! against class 1: p₀ / p₁ = exp(z₀ − z₁) for logits z.

use synann::layers::{Synapse, SynapseConfig};
use synann_autograd::{no_grad, Var};
use synann_datasets::tabular::{Tabular, TabularError, TabularLoader};
use synann_nn::layers::{Bias, Linear};
use synann_nn::loss::{cross_entropy, Reduction};
use synann_nn::optim::{Adam, AdamConfig, ConfigError, Optimizer};
use synann_nn::{prefixed, Mode, Module};
use synann_tensor::random::seeded;
use synann_tensor::Tensor;

/// Why training could not run.
#[derive(Debug)]
pub enum TrainError {
    /// The data cannot be batched (a batch size of 0).
    Data(TabularError),
    /// The optimizer rejected its settings (a negative learning rate…).
    Optimizer(ConfigError),
}

impl std::fmt::Display for TrainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TrainError::Data(e) => write!(f, "training data: {e}"),
            TrainError::Optimizer(e) => write!(f, "optimizer: {e}"),
        }
    }
}

impl std::error::Error for TrainError {}

/// Logistic regression for `classes` classes: one `Linear(features,
/// classes)` whose logits go into a softmax cross-entropy.
pub struct LogisticRegression {
    /// The only layer.
    pub linear: Linear<f32>,
}

impl LogisticRegression {
    /// A model on `features` inputs, initialised from `seed`.
    pub fn new(features: usize, classes: usize, seed: u64) -> Self {
        LogisticRegression {
            linear: Linear::new(features, classes, Bias::Yes, &mut seeded(seed)),
        }
    }
}

impl Module<f32> for LogisticRegression {
    fn forward(&mut self, x: &Var<f32>, mode: Mode) -> Var<f32> {
        self.linear.forward(x, mode)
    }

    fn named_parameters(&self) -> Vec<(String, Var<f32>)> {
        prefixed("linear", self.linear.named_parameters())
    }
}

/// The SynaNN classifier: features → sigmoid (so that the synapse sees
/// probabilities in (0, 1)) → `Synapse(features)` with the paper's
/// constraints ([`SynapseConfig::constrained`]: B ∈ (0, 1), a ≥ 1) →
/// `Linear(features, classes)`.
pub struct SynapseClassifier {
    /// The synapse graph y_i = a_i·x_i·Π_j(1 − B_ij·x_j).
    pub synapse: Synapse<f32>,
    /// The linear read-out of the synapse outputs.
    pub head: Linear<f32>,
}

impl SynapseClassifier {
    /// A model on `features` inputs, initialised from `seed`.
    pub fn new(features: usize, classes: usize, seed: u64) -> Self {
        let mut rng = seeded(seed);
        SynapseClassifier {
            synapse: Synapse::new(features, SynapseConfig::constrained(), &mut rng),
            head: Linear::new(features, classes, Bias::Yes, &mut rng),
        }
    }

    /// The learned inhibition matrix B, `[n, n]`: B_ij is how strongly
    /// input j inhibits output i.
    pub fn inhibition(&self) -> Tensor<f32> {
        self.synapse.inhibition().value().clone()
    }
}

impl Module<f32> for SynapseClassifier {
    fn forward(&mut self, x: &Var<f32>, mode: Mode) -> Var<f32> {
        let probabilities = x.sigmoid();
        let y = self.synapse.forward(&probabilities, mode);
        self.head.forward(&y, mode)
    }

    fn named_parameters(&self) -> Vec<(String, Var<f32>)> {
        let mut p = prefixed("synapse", self.synapse.named_parameters());
        p.extend(prefixed("head", self.head.named_parameters()));
        p
    }
}

/// How to train: Adam at learning rate `lr` for `epochs` epochs of
/// shuffled batches of `batch_size` rows, cross-entropy loss.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrainSettings {
    /// Adam's learning rate.
    pub lr: f64,
    /// Passes over the training rows.
    pub epochs: usize,
    /// Rows per step.
    pub batch_size: usize,
    /// The seed of the batch order.
    pub seed: u64,
}

/// Trains `model` on `data` as `settings` say, calling `after_epoch(e,
/// model)` after epoch `e` (counted from 1).
pub fn train<M: Module<f32>>(
    model: &mut M,
    data: &Tabular,
    settings: &TrainSettings,
    mut after_epoch: impl FnMut(usize, &mut M),
) -> Result<(), TrainError> {
    let loader = TabularLoader::new(data, settings.batch_size)
        .map_err(TrainError::Data)?
        .shuffle(true)
        .seed(settings.seed);
    let mut optimizer = Adam::new(model.parameters(), settings.lr, AdamConfig::default())
        .map_err(TrainError::Optimizer)?;
    for epoch in 0..settings.epochs {
        for (x, labels) in loader.epoch(epoch) {
            optimizer.zero_grad();
            let logits = model.forward(&Var::constant(x), Mode::Train);
            cross_entropy(&logits, &labels, Reduction::Mean, 0.0).backward();
            optimizer.step();
        }
        after_epoch(epoch + 1, model);
    }
    Ok(())
}

/// The model's logits on every row of `features` (`[N, F]`), `[N, classes]`.
pub fn logits<M: Module<f32>>(model: &mut M, features: Tensor<f32>) -> Tensor<f32> {
    no_grad(|| {
        model
            .forward(&Var::constant(features), Mode::Eval)
            .value()
            .clone()
    })
}

/// The mean cross-entropy and the accuracy of `model` on `data`.
pub fn evaluate<M: Module<f32>>(model: &mut M, data: &Tabular) -> (f64, f64) {
    let z = logits(model, data.to_tensor());
    let loss = cross_entropy(
        &Var::constant(z.clone()),
        data.labels(),
        Reduction::Mean,
        0.0,
    )
    .value()
    .item();
    let classes = z.shape()[1];
    let correct = z
        .data()
        .chunks(classes)
        .zip(data.labels())
        .filter(|(row, &label)| argmax(row) == label)
        .count();
    (f64::from(loss), correct as f64 / data.len().max(1) as f64)
}

/// The index of the largest value (the first one on ties).
fn argmax(values: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if v > values[best] {
            best = i;
        }
    }
    best
}

/// The log-odds of class 0 against class 1 on each row: z₀ − z₁ for the
/// logits `[N, 2]`.
pub fn log_odds(logits: &Tensor<f32>) -> Vec<f64> {
    logits
        .data()
        .chunks(logits.shape()[1])
        .map(|z| f64::from(z[0]) - f64::from(z[1]))
        .collect()
}

/// The odds ratio of a one-unit increase of each feature (one standard
/// deviation, on standardised data), measured on the model: for feature
/// j, odds(p(x + e_j)) / odds(p(x)) on every row x of `data`, averaged as
/// a geometric mean (the mean of the log odds ratios, exponentiated:
/// odds ratios multiply, and one extreme row does not dominate).
///
/// For a logistic regression every row gives exp(w₀ⱼ − w₁ⱼ), so this is
/// [`logistic_odds_ratios`] exactly.
pub fn odds_ratios_per_std<M: Module<f32>>(model: &mut M, data: &Tabular) -> Vec<f64> {
    let base = log_odds(&logits(model, data.to_tensor()));
    let columns = data.num_features();
    (0..columns)
        .map(|j| {
            let mut shifted = data.features().to_vec();
            for row in shifted.chunks_mut(columns) {
                row[j] += 1.0;
            }
            let moved = log_odds(&logits(
                model,
                Tensor::from_vec(shifted, &[data.len(), columns]),
            ));
            let mean_log_ratio =
                moved.iter().zip(&base).map(|(m, b)| m - b).sum::<f64>() / data.len() as f64;
            mean_log_ratio.exp()
        })
        .collect()
}

/// exp(w₀ⱼ − w₁ⱼ) for each feature j: the logistic regression's odds ratio
/// of class 0 against class 1 per unit of feature j.
pub fn logistic_odds_ratios(model: &LogisticRegression) -> Vec<f64> {
    let w = model.linear.weight.value();
    let columns = w.shape()[1];
    (0..columns)
        .map(|j| (f64::from(w.data()[j]) - f64::from(w.data()[columns + j])).exp())
        .collect()
}

/// The seed paper's swap ratio S(x, y)/S(y, x) = x(1 − βy) / (y(1 − βx))
/// of a synapse with excitatory input x, inhibitory input y and inhibition
/// β (the gain α cancels). At β = 1 it is the odds ratio of x to y.
///
/// ```
/// use synann_examples::odds_ratio::{odds, swap_ratio};
/// let (x, y) = (0.8, 0.3);
/// assert!((swap_ratio(x, y, 1.0) - odds(x) / odds(y)).abs() < 1e-12);
/// assert!((swap_ratio(x, y, 0.0) - x / y).abs() < 1e-12);
/// ```
pub fn swap_ratio(x: f64, y: f64, beta: f64) -> f64 {
    x * (1.0 - beta * y) / (y * (1.0 - beta * x))
}

/// The odds p / (1 − p) of a probability.
pub fn odds(p: f64) -> f64 {
    p / (1.0 - p)
}

/// The ranks of `values` (1 = smallest), ties getting the mean of the
/// ranks they share.
pub fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        // Positions start..end (0-based) share ranks start+1 ..= end.
        let shared = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = shared;
        }
        start = end;
    }
    ranks
}

/// Spearman's rank correlation of two equally long lists: the Pearson
/// correlation of their ranks ([`ranks`]). NaN if either list is constant
/// or they have fewer than two values.
///
/// ```
/// use synann_examples::odds_ratio::spearman;
/// assert_eq!(spearman(&[1.0, 2.0, 3.0], &[10.0, 200.0, 3000.0]), 1.0);
/// assert_eq!(spearman(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]), -1.0);
/// ```
pub fn spearman(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "spearman: lists of different lengths");
    pearson(&ranks(a), &ranks(b))
}

/// Pearson's correlation coefficient.
fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma) * (x - ma)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb) * (y - mb)).sum();
    cov / (va * vb).sqrt()
}

/// A learning rate and epoch count chosen on validation data, with the
/// validation loss and accuracy it reached.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Choice {
    /// The chosen settings.
    pub settings: TrainSettings,
    /// The validation cross-entropy at the chosen epoch.
    pub val_loss: f64,
    /// The validation accuracy at the chosen epoch.
    pub val_accuracy: f64,
}

/// Chooses the learning rate (from `lrs`) and the number of epochs (from
/// `checkpoints`, ascending) with the lowest validation cross-entropy:
/// one run per learning rate, `build()` giving a fresh model each time,
/// evaluated on `validation` after each checkpoint epoch. The same grid
/// and budget serve every model, so the comparison is like for like.
pub fn choose_settings<M: Module<f32>>(
    build: impl Fn() -> M,
    train_set: &Tabular,
    validation: &Tabular,
    lrs: &[f64],
    checkpoints: &[usize],
    base: TrainSettings,
) -> Result<Option<Choice>, TrainError> {
    let mut best: Option<Choice> = None;
    let last = checkpoints.iter().copied().max().unwrap_or(0);
    for &lr in lrs {
        let settings = TrainSettings {
            lr,
            epochs: last,
            ..base
        };
        let mut model = build();
        train(&mut model, train_set, &settings, |epoch, model| {
            if !checkpoints.contains(&epoch) {
                return;
            }
            let (val_loss, val_accuracy) = evaluate(model, validation);
            if best.is_none_or(|b| val_loss < b.val_loss) {
                best = Some(Choice {
                    settings: TrainSettings {
                        epochs: epoch,
                        ..settings
                    },
                    val_loss,
                    val_accuracy,
                });
            }
        })?;
    }
    Ok(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_share_ties() {
        assert_eq!(ranks(&[3.0, 1.0, 3.0, 2.0]), [3.5, 1.0, 3.5, 2.0]);
        let rho = spearman(&[1.0, 2.0, 3.0, 4.0], &[1.0, 3.0, 2.0, 4.0]);
        // 1 − 6·Σd²/(n(n² − 1)) = 1 − 6·2/60
        assert!((rho - 0.8).abs() < 1e-12);
    }

    #[test]
    fn swap_ratio_between_its_limits() {
        let (x, y) = (0.7, 0.2);
        let plain = x / y;
        let odds_ratio = odds(x) / odds(y);
        let half = swap_ratio(x, y, 0.5);
        assert!(plain < half && half < odds_ratio);
    }

    #[test]
    fn logits_give_log_odds_of_class_zero() {
        let z = Tensor::from_vec(vec![2.0f32, 0.5, -1.0, 1.0], &[2, 2]);
        assert_eq!(log_odds(&z), [1.5, -2.0]);
        assert_eq!(argmax(&[0.1, 0.7, 0.7]), 1);
    }
}
