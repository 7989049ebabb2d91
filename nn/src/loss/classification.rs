//! Losses on class indices: negative log-likelihood and cross-entropy.

use super::Reduction;
use synann_autograd::{apply, BackwardCtx, Function, Var};
use synann_tensor::{Float, Tensor};

/// Panics unless `scores` is `[N, C]` with one target per row, each < C.
fn check_targets(loss: &str, shape: &[usize], targets: &[usize]) {
    assert!(
        shape.len() == 2,
        "{loss}: expected input of shape [N, C], got {shape:?}"
    );
    assert_eq!(
        shape[0],
        targets.len(),
        "{loss}: input of shape {shape:?} has {} rows but {} targets were given",
        shape[0],
        targets.len()
    );
    let classes = shape[1];
    if let Some((n, &t)) = targets.iter().enumerate().find(|(_, &t)| t >= classes) {
        panic!("{loss}: target {t} (sample {n}) is out of range for {classes} classes");
    }
}

/// ℓ_n = −lp[n, t_n], so dℓ_n/dlp[n, c] = −1 if c = t_n, else 0.
struct NllLoss {
    targets: Vec<usize>,
    reduction: Reduction,
}

impl<T: Float> Function<T> for NllLoss {
    fn name(&self) -> &str {
        "nll_loss"
    }

    fn forward(&mut self, inputs: &[&Tensor<T>]) -> Tensor<T> {
        let lp = inputs[0];
        let classes = lp.shape()[1];
        let losses: Vec<T> = (lp.data().chunks(classes.max(1)))
            .zip(&self.targets)
            .map(|(row, &t)| -row[t])
            .collect();
        let n = losses.len();
        self.reduction.reduce(Tensor::from_vec(losses, &[n]))
    }

    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> Vec<Option<Tensor<T>>> {
        let shape = ctx.inputs[0].shape();
        let g = self.reduction.expand(ctx.grad_output, &[shape[0]]);
        let mut grad = Tensor::zeros(shape);
        let classes = shape[1];
        for (n, &t) in self.targets.iter().enumerate() {
            grad.data_mut()[n * classes + t] = -g.data()[n];
        }
        vec![Some(grad)]
    }
}

/// Negative log-likelihood of `targets` (class indices) under
/// `log_probs` `[N, C]` (the output of a log-softmax), PyTorch's
/// `F.nll_loss` without class weights or `ignore_index`. `Mean` averages
/// over the N samples; extra spatial axes (`[N, C, d…]`) are not supported.
///
/// Panics if a target is ≥ C, naming the target and the class count.
pub fn nll_loss<T: Float>(log_probs: &Var<T>, targets: &[usize], reduction: Reduction) -> Var<T> {
    check_targets("nll_loss", &log_probs.shape(), targets);
    let op = NllLoss {
        targets: targets.to_vec(),
        reduction,
    };
    apply(op, &[log_probs])
}

/// Cross-entropy of logits against smoothed one-hot targets, log-softmax
/// and NLL fused into one op.
///
/// With ε the label smoothing and C classes, the target distribution of
/// sample n is q_n = (1 − ε)·onehot(t_n) + ε/C, and
///
/// ```text
/// lp[n, c] = z[n, c] − ln Σ_k e^(z[n, k])
/// ℓ_n = −Σ_c q[n, c]·lp[n, c]
/// dℓ_n/dz[n, c] = softmax(z_n)_c − q[n, c]       (as Σ_c q[n, c] = 1)
/// ```
///
/// so the backward is (softmax − q) scaled by the output gradient (÷N for
/// the mean). Forward keeps the softmax for it.
struct CrossEntropy<T: Float> {
    targets: Vec<usize>,
    reduction: Reduction,
    smoothing: T,
    softmax: Tensor<T>,
}

impl<T: Float> CrossEntropy<T> {
    /// q[n, c] for the row of sample `n`.
    fn target_prob(&self, n: usize, c: usize, classes: usize) -> T {
        let uniform = self.smoothing / T::from_usize(classes);
        let hit = if c == self.targets[n] {
            T::ONE - self.smoothing
        } else {
            T::ZERO
        };
        hit + uniform
    }
}

impl<T: Float> Function<T> for CrossEntropy<T> {
    fn name(&self) -> &str {
        "cross_entropy"
    }

    fn forward(&mut self, inputs: &[&Tensor<T>]) -> Tensor<T> {
        let z = inputs[0];
        let (n, classes) = (z.shape()[0], z.shape()[1]);
        let lp = z.log_softmax(1);
        let losses: Vec<T> = (0..n)
            .map(|i| {
                let row = &lp.data()[i * classes..(i + 1) * classes];
                -(0..classes)
                    .map(|c| self.target_prob(i, c, classes) * row[c])
                    .sum::<T>()
            })
            .collect();
        self.softmax = lp.exp();
        self.reduction.reduce(Tensor::from_vec(losses, &[n]))
    }

    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> Vec<Option<Tensor<T>>> {
        let shape = ctx.inputs[0].shape();
        let (n, classes) = (shape[0], shape[1]);
        let g = self.reduction.expand(ctx.grad_output, &[n]);
        let mut grad = self.softmax.clone();
        for (i, row) in grad.data_mut().chunks_mut(classes.max(1)).enumerate() {
            let gi = g.data()[i];
            for (c, v) in row.iter_mut().enumerate() {
                *v = (*v - self.target_prob(i, c, classes)) * gi;
            }
        }
        vec![Some(grad)]
    }
}

/// Cross-entropy between `logits` `[N, C]` and class indices `targets`,
/// with optional `label_smoothing` ∈ [0, 1]: PyTorch's `F.cross_entropy`
/// without class weights or `ignore_index`, and with class indices only
/// (not probability targets). Log-softmax and NLL are fused, so the
/// backward is (softmax − smoothed one-hot), divided by N for the mean.
///
/// Panics if a target is ≥ C, naming the target and the class count.
pub fn cross_entropy<T: Float>(
    logits: &Var<T>,
    targets: &[usize],
    reduction: Reduction,
    label_smoothing: T,
) -> Var<T> {
    check_targets("cross_entropy", &logits.shape(), targets);
    assert!(
        label_smoothing >= T::ZERO && label_smoothing <= T::ONE,
        "cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}"
    );
    let op = CrossEntropy {
        targets: targets.to_vec(),
        reduction,
        smoothing: label_smoothing,
        softmax: Tensor::zeros(&[0]),
    };
    apply(op, &[logits])
}
