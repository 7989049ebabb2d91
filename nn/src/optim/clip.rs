//! Gradient clipping (PyTorch's `torch.nn.utils.clip_grad_norm_` and
//! `clip_grad_value_`). Both act in place on the gradients of the given
//! parameters and skip parameters without a gradient.

use synann_autograd::Var;
use synann_tensor::Float;

/// The p-norm of a slice: (Σ|x|ᵖ)^(1/p), or max |x| for p = ∞.
fn p_norm<T: Float>(xs: impl Iterator<Item = T>, norm_type: f64) -> T {
    if norm_type == f64::INFINITY {
        xs.fold(T::ZERO, |m, x| m.max(x.abs()))
    } else {
        let p = T::from_f64(norm_type);
        xs.map(|x| x.abs().powf(p)).sum::<T>().powf(T::ONE / p)
    }
}

/// Scales all gradients together so that their joint `norm_type`-norm is
/// at most `max_norm`, and returns that norm as it was before clipping.
///
/// The total norm is the norm of the per-parameter norms (equal to the norm
/// of all gradient entries concatenated); `norm_type` is a p ≥ 1 or
/// `f64::INFINITY` for the largest absolute entry. Gradients are multiplied
/// by `min(1, max_norm / (total + 1e-6))`, PyTorch's rule. With no gradient
/// at all the result is 0.
///
/// **A non-finite result is reported, not hidden**: if some gradient holds
/// NaN or ±∞, the returned norm is NaN or ∞ (and, as in PyTorch, the scaled
/// gradients are then NaN/0 too). Check `is_finite()` on the result and
/// skip the optimizer step when it fails.
///
/// ```
/// use synann_autograd::Var;
/// use synann_nn::optim::clip_grad_norm_;
/// use synann_tensor::Tensor;
///
/// let w = Var::requiring_grad(Tensor::<f64>::zeros(&[2]));
/// w.set_grad(Some(Tensor::from_vec(vec![3.0, 4.0], &[2])));
/// let total = clip_grad_norm_(&[w.clone()], 1.0, 2.0);
/// assert_eq!(total, 5.0);
/// let g = w.grad().unwrap().clone();
/// assert!((g.data()[0] - 0.6).abs() < 1e-6 && (g.data()[1] - 0.8).abs() < 1e-6);
/// ```
pub fn clip_grad_norm_<T: Float>(params: &[Var<T>], max_norm: f64, norm_type: f64) -> T {
    assert!(
        norm_type >= 1.0,
        "clip_grad_norm_: norm_type must be ≥ 1 or infinity (got {norm_type})"
    );
    let norms: Vec<T> = params
        .iter()
        .filter_map(|p| {
            p.grad()
                .map(|g| p_norm(g.data().iter().copied(), norm_type))
        })
        .collect();
    if norms.is_empty() {
        return T::ZERO;
    }
    let total = p_norm(norms.into_iter(), norm_type);
    let coef = (T::from_f64(max_norm) / (total + T::from_f64(1e-6))).min(T::ONE);
    let coef = if total.is_nan() { total } else { coef };
    for p in params {
        if let Some(mut g) = p.grad_mut() {
            g.scale_(coef);
        }
    }
    total
}

/// Clamps every gradient entry into `[-clip_value, clip_value]`.
///
/// ```
/// use synann_autograd::Var;
/// use synann_nn::optim::clip_grad_value_;
/// use synann_tensor::Tensor;
///
/// let w = Var::requiring_grad(Tensor::<f32>::zeros(&[3]));
/// w.set_grad(Some(Tensor::from_vec(vec![-2.0, 0.5, 3.0], &[3])));
/// clip_grad_value_(&[w.clone()], 1.0);
/// assert_eq!(w.grad().unwrap().data(), &[-1.0, 0.5, 1.0]);
/// ```
pub fn clip_grad_value_<T: Float>(params: &[Var<T>], clip_value: f64) {
    assert!(
        clip_value >= 0.0,
        "clip_grad_value_: clip_value must be ≥ 0 (got {clip_value})"
    );
    let c = T::from_f64(clip_value);
    for p in params {
        if let Some(mut g) = p.grad_mut() {
            // Comparisons, not min/max, so that a NaN entry stays NaN.
            for x in g.data_mut() {
                if *x > c {
                    *x = c;
                } else if *x < -c {
                    *x = -c;
                }
            }
        }
    }
}
