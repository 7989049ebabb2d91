//! The fused batch-norm op and [`batch_norm`], PyTorch's `F.batch_norm`.

use crate::distributed::ProcessGroup;
use std::ops::Range;
use std::rc::Rc;
use synann_autograd::{apply, BackwardCtx, Function, Var};
use synann_tensor::{Float, Tensor};

/// Normalises `x` `[N, C, …]` with per-channel `mean` and `var`, then
/// scales by γ and shifts by β: the forward and backward of batch norm as
/// one op.
///
/// With `batch_stats` the statistics are those of `x` itself, so they
/// depend on x and the backward goes through them. Writing g = dL/dy and
/// sums over the M values of a channel:
///
/// ```text
/// dL/dβ = Σ g_i        dL/dγ = Σ g_i·x̂_i
/// dL/dx̂_i = γ·g_i
/// dL/dx_i = (1/√(σ² + ε))·(dL/dx̂_i − (1/M) Σ_j dL/dx̂_j − x̂_i·(1/M) Σ_j dL/dx̂_j·x̂_j)
/// ```
///
/// (from dx̂_i/dx_j = (δ_ij − 1/M − x̂_i·x̂_j/M)/√(σ² + ε)). With fixed
/// (running) statistics, the last line is just dL/dx_i = γ·g_i/√(σ² + ε).
///
/// Synchronised over a process group (SyncBatchNorm), the batch is the
/// union of the ranks' batches: M counts the values of every rank, and the
/// two sums over j in dL/dx_i are all-reduced in the backward. The sums of
/// dL/dγ and dL/dβ stay local: a data-parallel trainer all-reduces
/// parameter gradients itself.
struct BatchNormOp<T: Float> {
    mean: Vec<T>,
    var: Vec<T>,
    eps: T,
    batch_stats: bool,
    /// The values per channel M (over every rank when synchronised).
    count: usize,
    /// The group the batch statistics are reduced over (SyncBatchNorm).
    group: Option<Rc<dyn ProcessGroup>>,
    has_weight: bool,
    has_bias: bool,
    /// Saved by forward: x̂ and 1/√(σ² + ε) per channel.
    x_hat: Tensor<T>,
    inv_std: Vec<T>,
}

/// `(N, C, S)`: batch, channels and spatial size of an `[N, C, …]` shape.
fn ncs(shape: &[usize]) -> (usize, usize, usize) {
    (shape[0], shape[1], shape[2..].iter().product())
}

/// The runs of an `[N, C, …]` tensor in memory order, as (flat range,
/// channel): with `S` > 1, each sample's `S` values of one channel; with
/// `S` = 1 (an `[N, C]` input), where such a run would be one value, each
/// sample's whole row instead, channel `None` (value j of the run is
/// channel j's). The per-channel loops below walk these runs as slices,
/// which the compiler vectorises, rather than one call per element.
fn runs(shape: &[usize]) -> impl Iterator<Item = (Range<usize>, Option<usize>)> {
    let (n, c, s) = ncs(shape);
    let (count, run) = if s == 1 { (n, c) } else { (n * c, s) };
    (0..count).map(move |k| {
        let channel = (s != 1).then_some(k % c);
        (k * run..(k + 1) * run, channel)
    })
}

/// Per-channel sums of `term(values…, params[c])` over `[N, C, …]`
/// tensors of one shape, each channel's terms added in memory order.
fn channel_sums<T: Float, P: Copy, const K: usize>(
    shape: &[usize],
    data: [&[T]; K],
    params: &[P],
    term: impl Fn([T; K], P) -> T,
) -> Vec<T> {
    let mut out = vec![T::ZERO; shape[1]];
    for (range, c) in runs(shape) {
        let runs = data.map(|d| &d[range.clone()]);
        match c {
            // One value per channel: channel j's term is the row's j-th.
            None => {
                for (j, (o, &p)) in out.iter_mut().zip(params).enumerate() {
                    *o += term(runs.map(|r| r[j]), p);
                }
            }
            Some(c) => {
                for j in 0..range.len() {
                    out[c] += term(runs.map(|r| r[j]), params[c]);
                }
            }
        }
    }
    out
}

/// `out[i] = f(values[i]…, params[c])` for every element i of channel c:
/// an element-wise map with per-channel parameters.
fn map_channels<T: Float, P: Copy, const K: usize>(
    shape: &[usize],
    out: &mut [T],
    data: [&[T]; K],
    params: &[P],
    f: impl Fn([T; K], P) -> T,
) {
    for (range, c) in runs(shape) {
        let runs = data.map(|d| &d[range.clone()]);
        let out = &mut out[range];
        match c {
            None => {
                for (j, (o, &p)) in out.iter_mut().zip(params).enumerate() {
                    *o = f(runs.map(|r| r[j]), p);
                }
            }
            Some(c) => {
                for (j, o) in out.iter_mut().enumerate() {
                    *o = f(runs.map(|r| r[j]), params[c]);
                }
            }
        }
    }
}

/// No per-channel parameters, for [`channel_sums`] of plain terms.
fn no_params(shape: &[usize]) -> Vec<()> {
    vec![(); shape[1]]
}

/// Per-channel Σ (x − mean[c])² of `x` `[N, C, …]`.
fn squared_deviations<T: Float>(shape: &[usize], x: &[T], mean: &[T]) -> Vec<T> {
    channel_sums(shape, [x], mean, |[v], m| (v - m) * (v - m))
}

/// Per-channel mean and biased variance of `x` `[N, C, …]` (two passes).
pub(crate) fn channel_stats<T: Float>(x: &Tensor<T>) -> (Vec<T>, Vec<T>) {
    let (n, _, s) = ncs(x.shape());
    let m = T::from_usize(n * s);
    let d = x.data();
    let mean: Vec<T> = channel_sums(x.shape(), [d], &no_params(x.shape()), |[v], ()| v)
        .into_iter()
        .map(|sum| sum / m)
        .collect();
    let mut var = squared_deviations(x.shape(), d, &mean);
    var.iter_mut().for_each(|v| *v /= m);
    (mean, var)
}

impl<T: Float> Function<T> for BatchNormOp<T> {
    fn name(&self) -> &str {
        "batch_norm"
    }

    fn forward(&mut self, inputs: &[&Tensor<T>]) -> Tensor<T> {
        let x = inputs[0];
        let eps = self.eps;
        self.inv_std = self
            .var
            .iter()
            .map(|&v| T::ONE / (v + eps).sqrt())
            .collect();
        let mut x_hat = x.clone();
        let shape = x.shape();
        let params: Vec<(T, T)> = self
            .mean
            .iter()
            .copied()
            .zip(self.inv_std.iter().copied())
            .collect();
        map_channels(
            shape,
            x_hat.data_mut(),
            [x.data()],
            &params,
            |[v], (m, s)| (v - m) * s,
        );
        // y = x̂·γ + β, with whichever of γ and β the op has.
        let gamma = self.has_weight.then(|| inputs[1].data());
        let beta = self
            .has_bias
            .then(|| inputs[1 + usize::from(self.has_weight)].data());
        let mut y = x_hat.clone();
        let (out, xh) = (y.data_mut(), x_hat.data());
        match (gamma, beta) {
            (Some(g), Some(b)) => {
                let gb: Vec<(T, T)> = g.iter().copied().zip(b.iter().copied()).collect();
                map_channels(shape, out, [xh], &gb, |[v], (g, b)| v * g + b);
            }
            (Some(g), None) => map_channels(shape, out, [xh], g, |[v], g| v * g),
            (None, Some(b)) => map_channels(shape, out, [xh], b, |[v], b| v + b),
            (None, None) => {}
        }
        self.x_hat = x_hat;
        y
    }

    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> Vec<Option<Tensor<T>>> {
        let g = ctx.grad_output;
        let shape = g.shape();
        let m = T::from_usize(self.count);
        let channels = self.inv_std.len();
        let gamma: Vec<T> = if self.has_weight {
            ctx.inputs[1].data().to_vec()
        } else {
            vec![T::ONE; channels]
        };
        let (gd, xh) = (g.data(), self.x_hat.data());
        let none = no_params(shape);
        let sum_g = channel_sums(shape, [gd], &none, |[g], ()| g);
        let sum_g_xhat = channel_sums(shape, [gd, xh], &none, |[g, x], ()| g * x);
        // The sums over the whole (all ranks') batch, for dL/dx.
        let reduced = match (&self.group, self.batch_stats && ctx.needs_grad[0]) {
            (Some(group), true) => {
                let mut both: Vec<f64> = sum_g
                    .iter()
                    .chain(&sum_g_xhat)
                    .map(|v| v.to_f64())
                    .collect();
                group.all_reduce_sum_f64(&mut both);
                let both: Vec<T> = both.into_iter().map(T::from_f64).collect();
                Some((both[..channels].to_vec(), both[channels..].to_vec()))
            }
            _ => None,
        };
        let (all_g, all_g_xhat) = reduced
            .as_ref()
            .map_or((&sum_g, &sum_g_xhat), |(g, gx)| (g, gx));

        let mut grads = Vec::with_capacity(ctx.inputs.len());
        grads.push(ctx.needs_grad[0].then(|| {
            let mut dx = Tensor::zeros(shape);
            let out = dx.data_mut();
            let inv_std = &self.inv_std;
            if self.batch_stats {
                // Remove from g its channel mean and its projection on x̂.
                // Per channel: (γ·1/√(σ² + ε), mean of g, mean of g·x̂).
                let params: Vec<(T, T, T)> = (0..channels)
                    .map(|c| (gamma[c] * inv_std[c], all_g[c] / m, all_g_xhat[c] / m))
                    .collect();
                map_channels(shape, out, [gd, xh], &params, |[g, x], (scale, mg, mgx)| {
                    scale * (g - mg - x * mgx)
                });
            } else {
                let scale: Vec<T> = (0..channels).map(|c| gamma[c] * inv_std[c]).collect();
                map_channels(shape, out, [gd], &scale, |[g], s| s * g);
            }
            dx
        }));
        let mut next = 1;
        if self.has_weight {
            let needed = ctx.needs_grad[next];
            grads.push(needed.then(|| Tensor::from_vec(sum_g_xhat.clone(), &[channels])));
            next += 1;
        }
        if self.has_bias {
            let needed = ctx.needs_grad[next];
            grads.push(needed.then(|| Tensor::from_vec(sum_g.clone(), &[channels])));
        }
        grads
    }
}

/// Batch normalisation of `x` `[N, C, …]`, PyTorch's `F.batch_norm`.
///
/// `running` holds the `(running_mean, running_var)` buffers `[C]`. With
/// `training` (or without running statistics) the batch's statistics are
/// used and, if given, the running ones are updated in place with
/// `momentum` and the unbiased batch variance; otherwise the running
/// statistics normalise. `weight` (γ) and `bias` (β) are `[C]`.
///
/// ```
/// use synann_autograd::Var;
/// use synann_nn::functional::batch_norm;
/// use synann_tensor::Tensor;
///
/// let x = Var::constant(Tensor::from_vec(vec![1.0f64, 3.0], &[2, 1]));
/// let y = batch_norm(&x, None, None, None, true, 0.1, 0.0);
/// assert_eq!(y.value().data(), &[-1.0, 1.0]);
/// ```
pub fn batch_norm<T: Float>(
    x: &Var<T>,
    running: Option<(&Var<T>, &Var<T>)>,
    weight: Option<&Var<T>>,
    bias: Option<&Var<T>>,
    training: bool,
    momentum: f64,
    eps: f64,
) -> Var<T> {
    batch_norm_over(x, running, weight, bias, training, momentum, eps, None)
}

/// [`batch_norm`], with the batch statistics (when used) reduced over
/// `group` when one is given: the mean and variance of the union of the
/// ranks' batches, and the matching backward (SyncBatchNorm).
#[allow(clippy::too_many_arguments)]
pub(crate) fn batch_norm_over<T: Float>(
    x: &Var<T>,
    running: Option<(&Var<T>, &Var<T>)>,
    weight: Option<&Var<T>>,
    bias: Option<&Var<T>>,
    training: bool,
    momentum: f64,
    eps: f64,
    group: Option<Rc<dyn ProcessGroup>>,
) -> Var<T> {
    let shape = x.shape();
    assert!(
        shape.len() >= 2,
        "batch_norm: input of shape {shape:?} has no channel axis ([N, C, …] expected)"
    );
    let (n, channels, s) = ncs(&shape);
    for (what, p) in [("weight", weight), ("bias", bias)] {
        if let Some(p) = p {
            assert_eq!(
                p.shape(),
                vec![channels],
                "batch_norm: {what} of shape {:?} for input {shape:?} ({channels} channels)",
                p.shape()
            );
        }
    }
    let batch_stats = training || running.is_none();
    let group = group.filter(|_| batch_stats);
    let (mean, var, count) = if batch_stats {
        let (mean, var, count) = match &group {
            Some(group) => synced_channel_stats(&x.value(), &**group),
            None => {
                let (mean, var) = channel_stats(&x.value());
                (mean, var, n * s)
            }
        };
        assert!(
            count > 1,
            "batch_norm: expected more than 1 value per channel when training, got input of shape {shape:?}"
        );
        if let (true, Some((rm, rv))) = (training, running) {
            update_running(rm, rv, &mean, &var, count, momentum);
        }
        (mean, var, count)
    } else {
        let (rm, rv) = running.expect("checked above");
        let mean = rm.value().data().to_vec();
        let var = rv.value().data().to_vec();
        (mean, var, n * s)
    };
    let op = BatchNormOp {
        mean,
        var,
        eps: T::from_f64(eps),
        batch_stats,
        count,
        group,
        has_weight: weight.is_some(),
        has_bias: bias.is_some(),
        x_hat: Tensor::zeros(&[0]),
        inv_std: Vec::new(),
    };
    let inputs: Vec<&Var<T>> = std::iter::once(x).chain(weight).chain(bias).collect();
    apply(op, &inputs)
}

/// Per-channel mean and biased variance of the union of the ranks'
/// batches `x` `[N, C, …]`, and the number of values per channel in it:
/// two all-reduces (the sums and the count, then the squared deviations
/// from the global mean), in f64.
fn synced_channel_stats<T: Float>(
    x: &Tensor<T>,
    group: &dyn ProcessGroup,
) -> (Vec<T>, Vec<T>, usize) {
    let (n, c, s) = ncs(x.shape());
    let d = x.data();
    let mut sums: Vec<f64> = channel_sums(x.shape(), [d], &no_params(x.shape()), |[v], ()| v)
        .into_iter()
        .map(|v| v.to_f64())
        .chain([(n * s) as f64])
        .collect();
    group.all_reduce_sum_f64(&mut sums);
    let count = sums[c] as usize;
    let mean: Vec<T> = sums[..c]
        .iter()
        .map(|&sum| T::from_f64(sum / count.max(1) as f64))
        .collect();
    let squares = squared_deviations(x.shape(), d, &mean);
    let mut squares: Vec<f64> = squares.into_iter().map(|v| v.to_f64()).collect();
    group.all_reduce_sum_f64(&mut squares);
    let var = squares
        .into_iter()
        .map(|sq| T::from_f64(sq / count.max(1) as f64))
        .collect();
    (mean, var, count)
}

/// running ← (1 − momentum)·running + momentum·batch, with the unbiased
/// variance σ²·M/(M − 1) for `running_var`.
fn update_running<T: Float>(
    running_mean: &Var<T>,
    running_var: &Var<T>,
    mean: &[T],
    var: &[T],
    count: usize,
    momentum: f64,
) {
    let m = T::from_f64(momentum);
    let keep = T::ONE - m;
    let unbias = T::from_usize(count) / T::from_usize(count - 1);
    let mut rm = running_mean.value_mut();
    rm.data_mut()
        .iter_mut()
        .zip(mean)
        .for_each(|(r, &b)| *r = keep * *r + m * b);
    let mut rv = running_var.value_mut();
    rv.data_mut()
        .iter_mut()
        .zip(var)
        .for_each(|(r, &b)| *r = keep * *r + m * b * unbias);
}
