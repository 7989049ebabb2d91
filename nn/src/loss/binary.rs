//! Binary cross-entropy, on probabilities and on logits.

use super::{assert_same_shape, Reduction};
use synann_autograd::{apply, BackwardCtx, Function, Var};
use synann_tensor::{Float, Tensor};

/// ℓ = −(y·ln p + (1 − y)·ln(1 − p)), each log clamped at −100 as in
/// PyTorch so that p = 0 or 1 gives a finite loss.
///
/// dℓ/dp = −y/p + (1 − y)/(1 − p) = (p − y)/(p(1 − p)), with the
/// denominator kept ≥ 10⁻¹² (PyTorch's guard); dℓ/dy = ln(1 − p) − ln p
/// (with the clamped logs).
struct BinaryCrossEntropy {
    reduction: Reduction,
}

const LOG_FLOOR: f64 = -100.0;
/// PyTorch's guard is the f32 literal 1e-12 (≈ 9.99999996e-13), whatever
/// the dtype; using the same value keeps gradients at p = 0 or 1 identical.
const DENOMINATOR_FLOOR: f64 = 1e-12_f32 as f64;

fn clamped_logs<T: Float>(p: T) -> (T, T) {
    let floor = T::from_f64(LOG_FLOOR);
    (p.ln().max(floor), (T::ONE - p).ln().max(floor))
}

impl<T: Float> Function<T> for BinaryCrossEntropy {
    fn name(&self) -> &str {
        "binary_cross_entropy"
    }

    fn forward(&mut self, inputs: &[&Tensor<T>]) -> Tensor<T> {
        let losses = inputs[0].zip_map(inputs[1], "binary_cross_entropy", |p, y| {
            let (log_p, log_q) = clamped_logs(p);
            -(y * log_p + (T::ONE - y) * log_q)
        });
        self.reduction.reduce(losses)
    }

    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> Vec<Option<Tensor<T>>> {
        let (p, y) = (ctx.inputs[0], ctx.inputs[1]);
        let g = self.reduction.expand(ctx.grad_output, p.shape());
        let floor = T::from_f64(DENOMINATOR_FLOOR);
        let dp = ctx.needs_grad[0].then(|| {
            p.zip_map(y, "binary_cross_entropy", |p, y| {
                (p - y) / (p * (T::ONE - p)).max(floor)
            })
            .mul(&g)
        });
        let dy = ctx.needs_grad[1].then(|| {
            p.map(|p| {
                let (log_p, log_q) = clamped_logs(p);
                log_q - log_p
            })
            .mul(&g)
        });
        vec![dp, dy]
    }
}

/// Binary cross-entropy between probabilities `probs` ∈ [0, 1] and
/// `targets` (same shape), PyTorch's `F.binary_cross_entropy`. Panics if a
/// probability is outside [0, 1].
///
/// ```
/// use synann_autograd::Var;
/// use synann_nn::loss::{binary_cross_entropy, Reduction};
/// use synann_tensor::Tensor;
///
/// let p = Var::constant(Tensor::from_vec(vec![0.5f64, 0.0], &[2]));
/// let y = Var::constant(Tensor::from_vec(vec![1.0, 1.0], &[2]));
/// let l = binary_cross_entropy(&p, &y, Reduction::None);
/// assert_eq!(l.value().data(), &[2f64.ln(), 100.0]); // ln 0 clamped at −100
/// ```
pub fn binary_cross_entropy<T: Float>(
    probs: &Var<T>,
    targets: &Var<T>,
    reduction: Reduction,
) -> Var<T> {
    assert_same_shape("binary_cross_entropy", &probs.shape(), &targets.shape());
    if let Some(bad) = probs
        .value()
        .data()
        .iter()
        .find(|&&p| !(p >= T::ZERO && p <= T::ONE))
    {
        panic!("binary_cross_entropy: all input probabilities must be in [0, 1], found {bad}");
    }
    apply(BinaryCrossEntropy { reduction }, &[probs, targets])
}

/// ℓ = −(y·ln σ(x) + (1 − y)·ln(1 − σ(x))), written stably as
/// ℓ = max(x, 0) − x·y + ln(1 + e^(−|x|)) (no overflow for any x).
///
/// dℓ/dx = σ(x) − y, dℓ/dy = −x.
struct BinaryCrossEntropyWithLogits {
    reduction: Reduction,
}

impl<T: Float> Function<T> for BinaryCrossEntropyWithLogits {
    fn name(&self) -> &str {
        "binary_cross_entropy_with_logits"
    }

    fn forward(&mut self, inputs: &[&Tensor<T>]) -> Tensor<T> {
        let losses = inputs[0].zip_map(inputs[1], "binary_cross_entropy_with_logits", |x, y| {
            x.max(T::ZERO) - x * y + (-x.abs()).exp().ln_1p()
        });
        self.reduction.reduce(losses)
    }

    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> Vec<Option<Tensor<T>>> {
        let (x, y) = (ctx.inputs[0], ctx.inputs[1]);
        let g = self.reduction.expand(ctx.grad_output, x.shape());
        let dx = ctx.needs_grad[0].then(|| {
            x.zip_map(y, "binary_cross_entropy_with_logits", |x, y| {
                x.sigmoid() - y
            })
            .mul(&g)
        });
        let dy = ctx.needs_grad[1].then(|| x.neg().mul(&g));
        vec![dx, dy]
    }
}

/// Binary cross-entropy on logits (sigmoid and BCE fused, numerically
/// stable), PyTorch's `F.binary_cross_entropy_with_logits` without weights.
///
/// ```
/// use synann_autograd::Var;
/// use synann_nn::loss::{binary_cross_entropy_with_logits, Reduction};
/// use synann_tensor::Tensor;
///
/// let x = Var::constant(Tensor::from_vec(vec![1000.0f32], &[1]));
/// let y = Var::constant(Tensor::from_vec(vec![0.0f32], &[1]));
/// // σ(1000) rounds to 1, but the loss stays finite: ≈ 1000.
/// assert_eq!(binary_cross_entropy_with_logits(&x, &y, Reduction::Sum).value().item(), 1000.0);
/// ```
pub fn binary_cross_entropy_with_logits<T: Float>(
    logits: &Var<T>,
    targets: &Var<T>,
    reduction: Reduction,
) -> Var<T> {
    assert_same_shape(
        "binary_cross_entropy_with_logits",
        &logits.shape(),
        &targets.shape(),
    );
    apply(
        BinaryCrossEntropyWithLogits { reduction },
        &[logits, targets],
    )
}
